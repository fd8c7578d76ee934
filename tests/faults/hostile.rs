//! Limits and hostile answers: each fails with the right exit code and a clear message, and
//! leaves the stored session byte-for-byte as it was.

use std::process::Output;
use std::time::Duration;

use serde_json::json;

use crate::support::*;
use crate::*;

/// Logs in (access token expired, so `token` must refresh), scripts `fault` `times` times on
/// the refresh endpoint, runs `token`, and checks the exit code, that stderr names every
/// needle, and that the session file is unchanged. Returns the output.
fn refresh_fails(fault: Fault, times: usize, exit: i32, needles: &[&str]) -> std::process::Output {
    let env = TestEnv::new();
    login_expired(&env);
    let before = env.session_bytes("default");
    script(&env, Endpoint::Refresh, fault, times);
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, exit);
    assert_eq!(stdout_of(&output), "", "nothing on stdout");
    assert_stderr_has(&output, needles);
    assert_same_session(&env, &before);
    output
}

/// Logs in, then tries a second login whose sign-in answer is `fault`; the first session
/// must survive byte-for-byte.
fn sign_in_fails(fault: Fault, times: usize, exit: i32, needles: &[&str]) -> std::process::Output {
    let env = TestEnv::new();
    env.login();
    let before = env.session_bytes("default");
    script(&env, Endpoint::SignIn, fault, times);
    let (output, _) = run_login(&env, &[]);
    assert_exit(&output, exit);
    assert_stderr_has(&output, needles);
    assert_same_session(&env, &before);
    output
}

/// The largest resident set of any child this test process has waited for, in KiB.
#[allow(unsafe_code)] // a libc call std does not wrap
fn children_peak_rss_kib() -> i64 {
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct we pass.
    let rc = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(rc, 0);
    usage.ru_maxrss
}

#[test]
fn a_64_mib_answer_is_refused_fast_with_bounded_memory() {
    let env = TestEnv::new();
    login_expired(&env);
    let before = env.session_bytes("default");
    script(
        &env,
        Endpoint::Refresh,
        Fault::HugeBody(64 * 1024 * 1024),
        1,
    );
    let (output, took) = run(&env, &["token"]);
    assert_exit(&output, 5);
    assert_stderr_has(&output, &["larger than 1 MiB"]);
    // Refused on its Content-Length, without reading the body: expected ~0.1 s. 10 s is a
    // wide margin for a loaded machine, and still fails a call that hung on the body until
    // its 30 s budget ran out.
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(env.server.refresh_count(), 1, "not retried");
    assert_same_session(&env, &before);
    // Every child of this test binary is a small pointauth: none came near holding the body.
    let peak = children_peak_rss_kib();
    assert!(peak < 48 * 1024, "a child peaked at {peak} KiB");
}

#[test]
fn an_answer_of_exactly_1_mib_is_read() {
    // An answer padded by fields pointauth does not read: the cap is on size, not content.
    let grant = |pad: usize| {
        format!(
            r#"{{"access_token":"a.big.answer","refresh_token":"AMf-vbig","expires_in":3600,"pad":"{}"}}"#,
            "x".repeat(pad)
        )
    };
    let overhead = grant(0).len();
    let body = grant(1024 * 1024 - overhead);
    assert_eq!(body.len(), 1024 * 1024);
    let env = TestEnv::new();
    login_expired(&env);
    script(&env, Endpoint::Refresh, answer(200, &body, &[]), 1);
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 0);
    assert_eq!(stdout_of(&output), "a.big.answer\n");
}

#[test]
fn an_answer_over_1_mib_without_a_length_is_cut_off() {
    // Close-delimited: no Content-Length, so only the read limit stops it.
    let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"access_token\":\"".to_vec();
    raw.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
    refresh_fails(Fault::Raw(raw), 1, 5, &["larger than 1 MiB"]);
}

#[test]
fn a_truncated_answer_is_retried_then_reported() {
    let truncated = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"access_token\":\"abc".to_vec();
    refresh_fails(Fault::Raw(truncated.clone()), 3, 5, &["refresh failed"]);
    // Once is a passing failure.
    let env = TestEnv::new();
    login_expired(&env);
    script(&env, Endpoint::Refresh, Fault::Raw(truncated), 1);
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 0);
    assert_eq!(env.server.refresh_count(), 2);
}

#[test]
fn incomplete_json_is_a_malformed_answer() {
    refresh_fails(
        answer(200, r#"{"access_token":"abc"#, &[]),
        1,
        5,
        &["HTTP 200", "malformed answer", "not JSON"],
    );
}

#[test]
fn garbage_is_a_malformed_answer() {
    refresh_fails(
        answer(200, "}{ \u{0} garbage", &[]),
        1,
        5,
        &["malformed answer", "not JSON"],
    );
    refresh_fails(answer(200, "[1,2,3]", &[]), 1, 5, &["not a JSON object"]);
    refresh_fails(answer(200, "", &[]), 1, 5, &["not JSON"]);
}

#[test]
fn a_json_error_that_says_nothing_names_the_status_and_is_not_called_not_json() {
    for body in [r#"{"error":{}}"#, "{}"] {
        let output = sign_in_fails(
            answer(500, body, &[]),
            3,
            5,
            &["sign-in failed", "HTTP 500"],
        );
        let stderr = stderr_of(&output);
        assert!(!stderr.contains("not JSON"), "{body}: {stderr}");
    }
}

#[test]
fn a_502_html_page_names_the_status_and_says_not_json() {
    let html = answer(
        502,
        "<html><body><h1>502 Bad Gateway</h1></body></html>",
        &[("Content-Type", "text/html")],
    );
    let output = sign_in_fails(
        html.clone(),
        3,
        5,
        &["sign-in failed", "HTTP 502", "(not JSON)"],
    );
    let stderr = stderr_of(&output);
    assert!(!stderr.contains("<html>"), "{stderr}");
    refresh_fails(html, 3, 5, &["refresh failed", "HTTP 502", "(not JSON)"]);
    // A 200 HTML page (a captive portal) is malformed, not retried.
    refresh_fails(
        answer(
            200,
            "<!doctype html><p>Sign in to the Wi-Fi</p>",
            &[("Content-Type", "text/html")],
        ),
        1,
        5,
        &["HTTP 200", "HTML"],
    );
}

#[test]
fn a_body_that_is_not_utf8_is_a_malformed_answer() {
    let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 6\r\nConnection: close\r\n\r\n".to_vec();
    raw.extend_from_slice(b"\xff\xfe{}\xc3\x28");
    refresh_fails(Fault::Raw(raw), 1, 5, &["not UTF-8"]);
}

#[test]
fn missing_fields_are_malformed_answers() {
    refresh_fails(
        Fault::Patch(json!({"access_token": null})),
        1,
        5,
        &["malformed answer", "no access_token"],
    );
    refresh_fails(
        Fault::Patch(json!({"expires_in": null})),
        1,
        5,
        &["no expires_in"],
    );
    refresh_fails(
        Fault::Patch(json!({"access_token": "has spaces in it"})),
        1,
        5,
        &["access_token is not a token"],
    );
    sign_in_fails(
        Fault::Patch(json!({"refresh_token": null})),
        1,
        5,
        &["sign-in failed", "no refresh_token"],
    );
}

#[test]
fn expires_in_out_of_range_is_a_malformed_answer() {
    for bad in [
        json!("abc"),
        json!(0),
        json!(-5),
        json!(1e9),
        json!(86401),
        json!(null),
        json!(3600.5),
    ] {
        let output = refresh_fails(
            Fault::Patch(json!({"expires_in": bad.clone()})),
            1,
            5,
            &["expires_in"],
        );
        assert!(stderr_of(&output).contains("malformed"), "{bad}");
    }
    sign_in_fails(
        Fault::Patch(json!({"expires_in": "0"})),
        1,
        5,
        &["expires_in"],
    );
}

#[test]
fn a_refresh_without_a_refresh_token_keeps_the_stored_one() {
    let env = TestEnv::new();
    login_expired(&env);
    let refresh_token = env.stored_refresh_token();
    env.server.script(
        Endpoint::Refresh,
        Fault::Patch(json!({"refresh_token": null})),
    );
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 0);
    assert_eq!(env.stored_refresh_token(), refresh_token);
    assert_eq!(
        stdout_of(&output),
        format!("{}\n", env.stored_access_token())
    );
}

#[test]
fn expires_in_as_a_string_is_accepted() {
    let env = TestEnv::new();
    env.server.set_expires_in(json!("3600"));
    env.login();
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 0);
    assert_eq!(env.server.refresh_count(), 0, "3600 s is fresh");
}

#[test]
fn a_second_factor_request_is_a_clear_credentials_error() {
    let mfa = answer(
        200,
        r#"{"mfaPendingCredential":"AEu4IL3-pending","mfaInfo":[{"mfaEnrollmentId":"x","phoneInfo":"+1******1234"}]}"#,
        &[],
    );
    let output = sign_in_fails(mfa, 1, 4, &["second factor"]);
    assert!(!stderr_of(&output).contains("AEu4IL3-pending"));
    // Also when the usual success fields are simply missing.
    sign_in_fails(
        Fault::Patch(
            json!({"access_token": null, "refresh_token": null, "expires_in": null, "mfaPendingCredential": "p"}),
        ),
        1,
        4,
        &["second factor"],
    );
}

#[test]
fn a_closed_connection_is_a_network_failure() {
    refresh_fails(Fault::Close, 3, 5, &["refresh failed", "connection"]);
    sign_in_fails(Fault::Close, 3, 5, &["sign-in failed"]);
}

#[test]
fn a_redirect_is_not_followed_and_names_the_target() {
    for code in [301, 302, 307, 308] {
        let env = TestEnv::new();
        env.login();
        let before = env.session_bytes("default");
        let elsewhere = StandIn::start();
        let target = format!("http://localhost:{}/steal", elsewhere.port());
        script(
            &env,
            Endpoint::SignIn,
            answer(code, "", &[("Location", &target)]),
            3,
        );
        let (output, _) = run_login(&env, &[]);
        assert_exit(&output, 5);
        assert_stderr_has(
            &output,
            &[
                &format!("HTTP {code}"),
                &format!("localhost:{}", elsewhere.port()),
                "does not follow",
            ],
        );
        assert_eq!(
            env.server.sign_in_count(),
            2,
            "{code}: one attempt, not retried"
        );
        assert_eq!(
            elsewhere.request_count(),
            0,
            "{code}: nothing sent to the target"
        );
        assert_same_session(&env, &before);
    }
    // On refresh too: the refresh token never leaves for the other host.
    let elsewhere = StandIn::start();
    let target = format!("{}/steal", elsewhere.base_url());
    refresh_fails(
        answer(307, "", &[("Location", &target)]),
        3,
        5,
        &["does not follow"],
    );
    assert_eq!(elsewhere.request_count(), 0);
}

#[test]
fn server_text_is_sanitised_and_cut() {
    let noisy = format!(
        "WEAK_PASSWORD : \u{1b}[31mred\u{1b}[0m \u{7} {}",
        "x".repeat(10_000)
    );
    let output = sign_in_fails(status(400, &noisy), 1, 5, &["WEAK_PASSWORD"]);
    let stderr = stderr_of(&output);
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    assert!(stderr.len() < 1500, "{} bytes of stderr", stderr.len());
}

#[test]
fn a_relative_or_scheme_relative_redirect_is_named_too() {
    let output = sign_in_fails(
        answer(302, "", &[("Location", "/v2/signIn")]),
        1,
        5,
        &["HTTP 302", "another path on 127.0.0.1"],
    );
    assert!(!stderr_of(&output).contains("redirected to ,"));
    sign_in_fails(
        answer(302, "", &[("Location", "//evil.example:8443/x")]),
        1,
        5,
        &["redirected to evil.example:8443"],
    );
}

#[test]
fn the_size_limit_is_exactly_1_mib() {
    // 1 MiB is read (and then found wanting: it is only an access_token)...
    let output = refresh_fails(Fault::HugeBody(1024 * 1024), 1, 5, &["no expires_in"]);
    assert!(!stderr_of(&output).contains("larger than"));
    // ...one byte more is refused unread.
    refresh_fails(
        Fault::HugeBody(1024 * 1024 + 1),
        1,
        5,
        &["larger than 1 MiB"],
    );
}

#[test]
fn status_strips_control_characters_from_token_claims() {
    let env = TestEnv::new();
    let hostile = crate::support::stand_in::make_jwt(&json!({
        "email": "mallory@example.com\u{1b}]0;owned\u{7}\u{1b}[2J",
        "user_id": "uid\u{1b}[31m",
    }));
    env.server.script(
        Endpoint::SignIn,
        Fault::Patch(json!({"access_token": hostile})),
    );
    env.login();
    let (output, _) = run(&env, &["status"]);
    assert_exit(&output, 0);
    let stdout = stdout_of(&output);
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "status printed control characters from the server: {stdout:?}"
    );
}

#[test]
fn a_malformed_answer_names_its_real_status() {
    let env = TestEnv::new();
    login_expired(&env);
    env.server
        .script(Endpoint::Refresh, answer(201, r#"{"created": true}"#, &[]));
    let (output, _) = run(&env, &["token"]);
    assert_exit(&output, 5);
    assert_stderr_has(&output, &["HTTP 201", "malformed"]);
}

#[test]
fn an_oauth_error_that_echoes_the_password_in_any_case_never_shows_it() {
    let env = TestEnv::new();
    let password = "s3cret-hunter-2";
    for echoed in [password.to_owned(), password.to_uppercase()] {
        env.server.script(
            Endpoint::SignIn,
            answer(
                400,
                &json!({"error": echoed, "error_description": "rejected"}).to_string(),
                &[],
            ),
        );
        let output = env
            .cmd()
            .args([
                "--store",
                "file",
                "login",
                "--username",
                DEFAULT_USERNAME,
                "--password-stdin",
            ])
            .write_stdin(format!("{password}\n"))
            .output()
            .unwrap();
        assert_exit(&output, 5);
        let stderr = stderr_of(&output).to_lowercase();
        assert!(!stderr.contains("hunter"), "{echoed}: {stderr}");
        assert!(
            !stderr.contains(&password.replace('-', "_")),
            "{echoed}: {stderr}"
        );
    }
}

/// The ways a hostile or careless service may write a secret back, by name: as sent, escaped
/// as the contents of a JSON string (minimal, ASCII-only, `/` as `\/`), in another letter
/// case, with a control or format character inside, and less a character at either end.
fn echoes_of(secret: &str) -> Vec<(&'static str, String)> {
    let json = serde_json::to_string(secret).unwrap();
    let json = json[1..json.len() - 1].to_owned();
    let ascii: String = json
        .chars()
        .map(|c| match c {
            c if c.is_ascii() => c.to_string(),
            c => format!("\\u{:04x}", c as u32),
        })
        .collect();
    let mixed: String = secret
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            let swapped: Vec<char> = if i % 2 == 0 {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            swapped
        })
        .collect();
    let middle = secret
        .char_indices()
        .nth(secret.chars().count() / 2)
        .unwrap()
        .0;
    let (head, tail) = secret.split_at(middle);
    let mut minus_last = secret.to_owned();
    minus_last.pop();
    vec![
        ("as sent", secret.to_owned()),
        ("JSON-escaped", json.clone()),
        ("JSON-escaped, ASCII only", ascii),
        ("JSON-escaped, / as \\/", json.replace('/', "\\/")),
        ("upper-cased", secret.to_uppercase()),
        ("in mixed case", mixed),
        (
            "with a control character inside",
            format!("{head}\u{1}{tail}"),
        ),
        (
            "with a zero-width space inside",
            format!("{head}\u{200b}{tail}"),
        ),
        (
            "minus its first character",
            secret.chars().skip(1).collect(),
        ),
        ("minus its last character", minus_last),
    ]
}

/// Which of `secrets` `output` shows part of: any 8-character window of one, in any letter
/// case, on stdout or stderr.
fn shown_windows(output: &Output, secrets: &[&str]) -> Vec<String> {
    let streams = [stdout_of(output), stderr_of(output)].map(|text| text.to_lowercase());
    let mut shown = Vec::new();
    for secret in secrets {
        let chars: Vec<char> = secret.to_lowercase().chars().collect();
        for window in chars.windows(8) {
            let window: String = window.iter().collect();
            if streams.iter().any(|text| text.contains(&window)) && !shown.contains(&window) {
                shown.push(window);
            }
        }
    }
    shown
}

/// Asserts no echo leaked, naming every form that did (`leaks`: form, windows, stderr).
#[track_caller]
fn assert_no_echo_leaked(leaks: &[(&str, Vec<String>, String)]) {
    let report: Vec<String> = leaks
        .iter()
        .map(|(form, windows, stderr)| format!("echoed {form}: showed {windows:?} in\n{stderr}"))
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn a_sign_in_answer_echoing_the_password_in_any_form_never_shows_it() {
    // Long enough to have 8-character fragments; `"`, `\`, `/` and é change when escaped.
    let password = "Tr0ub4dor\"3\\été/correct-staple-9";
    let mut leaks = Vec::new();
    for (form, echo) in echoes_of(password) {
        let env = TestEnv::new();
        env.server.script(
            Endpoint::SignIn,
            status(
                400,
                &format!("INVALID_PASSWORD : the password {echo} is wrong"),
            ),
        );
        let output = env
            .cmd()
            .args([
                "-v",
                "--store",
                "file",
                "login",
                "--username",
                DEFAULT_USERNAME,
            ])
            .arg("--password-stdin")
            .write_stdin(format!("{password}\n"))
            .output()
            .unwrap();
        assert_exit(&output, 4);
        assert_stderr_has(&output, &["INVALID_PASSWORD"]);
        let shown = shown_windows(&output, &[password, &echo]);
        if shown.is_empty() {
            // The detail was shown, redacted: the check above was not vacuous.
            assert_stderr_has(&output, &["[redacted]"]);
        } else {
            leaks.push((form, shown, stderr_of(&output)));
        }
    }
    assert_no_echo_leaked(&leaks);
}

#[test]
fn a_refresh_answer_echoing_the_refresh_token_in_any_form_never_shows_it() {
    // A refresh token is printable ASCII, which may include `"`, `\` and `/`.
    let refresh_token = "AMf-vBx\"q8\\1Zt0k3/LmNoPq-rStUvWxYz_0123456789";
    let env = TestEnv::new();
    env.server.script(
        Endpoint::SignIn,
        Fault::Patch(json!({"refresh_token": refresh_token})),
    );
    login_expired(&env);
    assert_eq!(env.stored_refresh_token(), refresh_token);
    let before = env.session_bytes("default");
    let mut leaks = Vec::new();
    for (form, echo) in echoes_of(refresh_token) {
        env.forget_noted_failures("default");
        env.server.script(
            Endpoint::Refresh,
            status(
                400,
                &format!("SOMETHING_ODD : unknown refresh token {echo}"),
            ),
        );
        let (output, _) = run(&env, &["-v", "token"]);
        assert_exit(&output, 5);
        assert_stderr_has(&output, &["SOMETHING_ODD"]);
        assert_same_session(&env, &before);
        let shown = shown_windows(&output, &[refresh_token, &echo]);
        if shown.is_empty() {
            // The detail was shown, redacted: the check above was not vacuous.
            assert_stderr_has(&output, &["[redacted]"]);
        } else {
            leaks.push((form, shown, stderr_of(&output)));
        }
    }
    assert_no_echo_leaked(&leaks);
}

/// Bidi overrides and embeddings, isolates, zero-width characters, the BOM, the soft hyphen.
const FORMAT_CHARACTERS: &[char] = &[
    '\u{202E}', '\u{200B}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200F}', '\u{2060}', '\u{FEFF}',
    '\u{AD}',
];

#[track_caller]
fn assert_no_format_characters(what: &str, text: &str) {
    let found: Vec<String> = text
        .chars()
        .filter(|c| FORMAT_CHARACTERS.contains(c))
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    assert!(found.is_empty(), "{what} showed {found:?}: {text:?}");
}

#[test]
fn server_text_loses_its_format_characters() {
    let hostile: String = FORMAT_CHARACTERS
        .iter()
        .map(|c| format!("evil{c}"))
        .collect();
    let output = sign_in_fails(
        status(400, &format!("WEAK_PASSWORD : {hostile}")),
        1,
        5,
        &["WEAK_PASSWORD", "evil"],
    );
    assert_no_format_characters("a sign-in error", &stderr_of(&output));
    // Stripped, not dropped: the rest of the detail is there.
    assert_stderr_has(&output, &["evilevil"]);
    let description = json!({"error": "invalid_request", "error_description": hostile});
    let output = refresh_fails(answer(400, &description.to_string(), &[]), 1, 5, &["evil"]);
    assert_no_format_characters("a refresh error", &stderr_of(&output));
    assert_stderr_has(&output, &["evilevil"]);
}

#[test]
fn status_strips_format_characters_from_token_claims() {
    let env = TestEnv::new();
    let hostile = crate::support::stand_in::make_jwt(&json!({
        "email": "moc.elpmaxe@yrollam\u{202E}\u{200B}@example.com",
        "user_id": "uid\u{200B}\u{202E}\u{2066}x\u{FEFF}",
    }));
    env.server.script(
        Endpoint::SignIn,
        Fault::Patch(json!({"access_token": hostile})),
    );
    env.login();
    for args in [&["status"][..], &["status", "--json"], &["status", "--all"]] {
        let (output, _) = run(&env, args);
        assert_exit(&output, 0);
        let stdout = stdout_of(&output);
        assert_no_format_characters(&format!("{args:?}"), &stdout);
        assert_no_format_characters(&format!("{args:?} on stderr"), &stderr_of(&output));
        // Stripped, not dropped: the claims are still shown.
        assert!(stdout.contains("uidx"), "{args:?}: {stdout}");
    }
}
