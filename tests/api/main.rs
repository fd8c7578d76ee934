//! `pointauth api` against the stand-in's API routes, which need a live bearer token: the
//! request as the service saw it (`/echo`), statuses, redirects within and out of the origin,
//! a token refused once, retries by method, bodies large, slow and stalled, and what the
//! command prints and exits with.

// A test binary shares its helpers through `pub` items, and needs no Debug on fixtures.
#![allow(unreachable_pub, missing_debug_implementations)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods
)]

#[path = "../support/mod.rs"]
mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use support::*;

/// A signed-in profile (file store) against a fresh stand-in.
fn signed_in() -> TestEnv {
    let env = TestEnv::new();
    env.login();
    env
}

fn api(env: &TestEnv, args: &[&str]) -> Output {
    env.cmd().arg("api").args(args).output().unwrap()
}

#[track_caller]
fn exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "--- stdout\n{}\n--- stderr\n{}",
        stdout_of(output),
        stderr_of(output)
    );
}

/// The `/echo` answer on stdout.
#[track_caller]
fn echoed(output: &Output) -> Value {
    exit(output, 0);
    serde_json::from_slice(&output.stdout).expect("the echo is JSON")
}

mod target {
    use super::*;

    #[test]
    fn a_path_goes_below_the_base_url_with_its_query() {
        let env = signed_in();
        for path in ["/echo/a/b?x=1&y=two", "echo/a/b?x=1&y=two"] {
            let seen = echoed(&api(&env, &[path]));
            assert_eq!(seen["method"], "GET");
            assert_eq!(seen["path"], "/echo/a/b");
            assert_eq!(seen["query"], "x=1&y=two");
            assert_eq!(
                seen["headers"]["authorization"],
                format!("Bearer [live token of {DEFAULT_USERNAME}]")
            );
            // No body, so no Content-Length: 0 either.
            assert!(seen["headers"].get("content-length").is_none(), "{seen}");
        }
        // A full URL of the session's origin is the same.
        let full = format!("{}/echo?z=1", env.server.base_url());
        assert_eq!(echoed(&api(&env, &[&full]))["query"], "z=1");
    }

    #[test]
    fn nothing_is_sent_to_another_origin() {
        let env = signed_in();
        let other = StandIn::start();
        let before = env.server.request_count();
        for elsewhere in [
            format!("{}/echo", other.base_url()),
            other.base_url().replace("127.0.0.1", "localhost") + "/echo",
            format!("//127.0.0.1:{}/echo", other.port()),
            format!(
                "{}/echo",
                env.server.base_url().replace("http://", "https://")
            ),
        ] {
            let output = api(&env, &[&elsewhere]);
            exit(&output, 2);
            assert!(
                stderr_of(&output).contains("refusing to send the session's token"),
                "{}",
                stderr_of(&output)
            );
        }
        assert_eq!(
            other.request_count(),
            0,
            "not a single request reached the other origin"
        );
        assert_eq!(env.server.request_count(), before, "nor anything else");
    }

    #[test]
    fn an_authorization_header_is_refused_and_others_are_sent() {
        let env = signed_in();
        for header in [
            "Authorization: Bearer mine",
            "authorization:x",
            "Host: evil.example",
        ] {
            let output = api(&env, &["/echo", "-H", header]);
            exit(&output, 2);
            assert!(
                stderr_of(&output).contains("refused"),
                "{}",
                stderr_of(&output)
            );
        }
        assert_eq!(env.server.api_request_count(), 0);
        let seen = echoed(&api(
            &env,
            &[
                "/echo",
                "-H",
                "X-Trace: abc",
                "--header",
                "Accept: text/plain",
            ],
        ));
        assert_eq!(seen["headers"]["x-trace"], "abc");
        assert_eq!(seen["headers"]["accept"], "text/plain");
    }

    #[test]
    fn the_token_never_appears_in_any_process_command_line() {
        let env = signed_in();
        let token = env.stored_access_token();
        let mut child = std_cmd(
            env.cmd()
                .args(["api", "/slow?bytes=64&every_ms=100&chunk=8"]),
        )
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
        // Looked at while the request is under way.
        std::thread::sleep(Duration::from_millis(300));
        let mut seen = 0;
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
                seen += 1;
                assert!(
                    !cmdline.windows(token.len()).any(|w| w == token.as_bytes()),
                    "the token is in the command line of {:?}",
                    entry.path()
                );
            }
        }
        assert!(seen > 1);
        assert!(child.wait().unwrap().success());
    }
}

mod request {
    use super::*;

    #[test]
    fn fields_make_a_json_body_and_post_the_default() {
        let env = signed_in();
        let seen = echoed(&api(
            &env,
            &[
                "/echo",
                "-f",
                "name=ann",
                "-F",
                "age=40",
                "-F",
                "admin=false",
                "-F",
                "note=null",
                "-f",
                "tags[]=a",
                "-F",
                "tags[]=2",
                "--raw-field",
                "id=007",
                "--field",
                "user[city]=Oslo",
                "-F",
                "empty[]",
            ],
        ));
        assert_eq!(seen["method"], "POST");
        assert_eq!(seen["headers"]["content-type"], "application/json");
        assert_eq!(
            seen["json"],
            json!({
                "name": "ann", "age": 40, "admin": false, "note": null,
                "tags": ["a", 2], "id": "007", "user": {"city": "Oslo"}, "empty": [],
            })
        );
        // -f and -F keep their order in one array.
        let seen = echoed(&api(
            &env,
            &["/echo", "-F", "a[]=1", "-f", "a[]=x", "-F", "a[]=true"],
        ));
        assert_eq!(seen["json"], json!({"a": [1, "x", true]}));
    }

    #[test]
    fn typed_fields_read_files_and_standard_input() {
        let env = signed_in();
        let note = env.home().join("note.txt");
        std::fs::write(&note, "from a file\n").unwrap();
        let output = env
            .cmd()
            .args(["api", "/echo", "-F"])
            .arg(format!("file=@{}", note.display()))
            .args(["-F", "piped=@-"])
            .write_stdin("from stdin")
            .output()
            .unwrap();
        assert_eq!(
            echoed(&output)["json"],
            json!({"file": "from a file\n", "piped": "from stdin"})
        );
        // Standard input can be read once.
        let output = env
            .cmd()
            .args(["api", "/echo", "-F", "a=@-", "--input", "-"])
            .write_stdin("x")
            .output()
            .unwrap();
        exit(&output, 2);
        assert_eq!(env.server.api_request_count(), 1);
    }

    #[test]
    fn with_get_the_fields_are_the_query_string() {
        let env = signed_in();
        let seen = echoed(&api(
            &env,
            &[
                "-X",
                "get",
                "/echo?page=1",
                "-f",
                "q=a b&c",
                "-F",
                "n=5",
                "-f",
                "tags[]=x",
            ],
        ));
        assert_eq!(seen["method"], "GET");
        assert_eq!(seen["query"], "page=1&q=a%20b%26c&n=5&tags%5B%5D=x");
        assert_eq!(seen["body_len"], 0);
    }

    #[test]
    fn input_sends_bytes_as_they_are() {
        let env = signed_in();
        let payload = env.home().join("payload.bin");
        let bytes: Vec<u8> = (0..=255).cycle().take(100_000).collect();
        std::fs::write(&payload, &bytes).unwrap();
        let output = env
            .cmd()
            .args(["api", "-X", "PUT", "/echo", "--input"])
            .arg(&payload)
            .args(["-H", "Content-Type: application/octet-stream"])
            .output()
            .unwrap();
        let seen = echoed(&output);
        assert_eq!(seen["method"], "PUT");
        assert_eq!(seen["headers"]["content-type"], "application/octet-stream");
        assert_eq!(seen["body_len"], 100_000);
        assert_eq!(seen["body_fnv1a"], format!("{:016x}", fnv1a(&bytes)));
        // Standard input, with the JSON content type by default and POST the method.
        let output = env
            .cmd()
            .args(["api", "/echo", "--input", "-", "-f", "in_query=yes"])
            .write_stdin(r#"{"x": [1, 2]}"#)
            .output()
            .unwrap();
        let seen = echoed(&output);
        assert_eq!(seen["method"], "POST");
        assert_eq!(seen["json"], json!({"x": [1, 2]}));
        assert_eq!(seen["headers"]["content-type"], "application/json");
        assert_eq!(
            seen["query"], "in_query=yes",
            "with --input, fields go to the query"
        );
    }

    #[test]
    fn bad_methods_fields_and_files_are_usage_errors_before_any_request() {
        let env = signed_in();
        for args in [
            &["/echo", "-X", "GE T"][..],
            &["/echo", "-f", "no-equals"],
            &["/echo", "-f", "a[b=1"],
            &["/echo", "-f", "a=1", "-f", "a[b]=2"],
            &["/echo", "-F", "x=@/nonexistent/file"],
            &["/echo", "--input", "/nonexistent/file"],
            &["/echo", "-H", "NoColon"],
            &[""],
        ] {
            let output = api(&env, args);
            exit(&output, 2);
            assert!(
                stderr_of(&output).starts_with("pointauth: "),
                "{args:?}: {}",
                stderr_of(&output)
            );
        }
        assert_eq!(env.server.request_count(), 1, "only the login");
    }
}

mod tokens {
    use super::*;

    #[test]
    fn the_token_is_fresh_as_token_makes_it() {
        let env = signed_in();
        env.edit_session("default", |session| {
            session["access_token_expires_at"] = json!(from_now(-10));
        });
        echoed(&api(&env, &["/echo"]));
        assert_eq!(
            env.server.refresh_count(),
            1,
            "refreshed before the request"
        );
        // --min-ttl asks for more than the token has left: refreshed again.
        env.edit_session("default", |session| {
            session["access_token_expires_at"] = json!(from_now(100));
        });
        echoed(&api(&env, &["/echo", "--min-ttl", "200"]));
        assert_eq!(env.server.refresh_count(), 2);
        echoed(&api(&env, &["/echo"]));
        assert_eq!(
            env.server.refresh_count(),
            2,
            "a fresh token is used as it is"
        );
    }

    #[test]
    fn a_401_refreshes_once_and_sends_the_request_again() {
        let env = signed_in();
        env.server.reject_access_tokens_once();
        let output = api(&env, &["/echo", "-f", "once=yes"]);
        assert_eq!(echoed(&output)["json"], json!({"once": "yes"}));
        assert_eq!(env.server.refresh_count(), 1);
        assert_eq!(env.server.unauthorized_count(), 1);
        assert_eq!(
            env.server.api_request_count(),
            2,
            "sent twice: refused, then answered"
        );
        assert!(
            env.server.is_live(&env.stored_access_token()),
            "the new token is stored"
        );
    }

    #[test]
    fn a_second_401_exits_3_with_the_answer_on_stdout() {
        let env = signed_in();
        env.server.reject_all_access_tokens(true);
        let output = api(&env, &["/echo"]);
        exit(&output, 3);
        assert!(
            stdout_of(&output).contains("UNAUTHENTICATED"),
            "{}",
            stdout_of(&output)
        );
        let stderr = stderr_of(&output);
        assert!(stderr.contains("HTTP 401"), "{stderr}");
        assert!(stderr.contains("pointauth login"), "{stderr}");
        assert_eq!(env.server.refresh_count(), 1, "one refresh, not a loop");
        assert_eq!(env.server.api_request_count(), 2);
    }

    #[test]
    fn processes_refused_at_once_share_one_refresh() {
        let env = signed_in();
        env.server.reject_access_tokens_once();
        let children: Vec<_> = (0..6)
            .map(|_| {
                std_cmd(env.cmd().args(["api", "/echo"]))
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut child in children {
            assert!(child.wait().unwrap().success());
        }
        assert_eq!(env.server.refresh_count(), 1, "single-flight");
    }

    #[test]
    fn without_a_session_it_exits_3_and_sends_nothing() {
        let env = TestEnv::new();
        let output = api(&env, &["/echo"]);
        exit(&output, 3);
        assert!(stderr_of(&output).contains("not logged in"));
        assert_eq!(env.server.request_count(), 0);
        // With CI credentials it signs in, as `token` does.
        let output = env
            .cmd()
            .args(["api", "/echo"])
            .env("POINTAUTH_USERNAME", DEFAULT_USERNAME)
            .env("POINTAUTH_PASSWORD", DEFAULT_PASSWORD)
            .output()
            .unwrap();
        echoed(&output);
        assert_eq!(env.server.sign_in_count(), 1);
    }
}

mod retries {
    use super::*;

    #[test]
    fn a_5xx_is_tried_again_for_get_put_and_delete_only() {
        for (method, attempts) in [
            ("GET", 3),
            ("PUT", 3),
            ("DELETE", 3),
            ("POST", 1),
            ("PATCH", 1),
        ] {
            let env = signed_in();
            let output = api(&env, &["-X", method, "/status/503"]);
            exit(&output, 5);
            assert_eq!(
                env.server.api_request_count(),
                attempts,
                "{method}: a POST or PATCH the service may have received is never sent again"
            );
            // The last answer's body is on stdout, and the summary on stderr.
            assert!(stdout_of(&output).contains("STATUS_503"), "{method}");
            assert!(stderr_of(&output).contains("HTTP 503"), "{method}");
        }
    }

    #[test]
    fn a_429_waits_as_asked_then_succeeds() {
        let env = signed_in();
        env.server.script_api(Fault::Status {
            status: 429,
            body: "{}".into(),
            headers: vec![("Retry-After".into(), "1".into())],
        });
        let started = Instant::now();
        echoed(&api(&env, &["/echo"]));
        assert!(started.elapsed() >= Duration::from_secs(1));
        assert_eq!(env.server.api_request_count(), 2);
    }

    /// A wait longer than the time left is not waited for: the answer is given at once, as
    /// the service sent it.
    #[test]
    fn a_retry_after_beyond_the_time_limit_is_answered_at_once() {
        let env = signed_in();
        let output = api(&env, &["/status/503?retry_after=3600"]);
        exit(&output, 5);
        assert_eq!(env.server.api_request_count(), 1);
        assert!(stdout_of(&output).contains("STATUS_503"));
        assert!(
            stderr_of(&output).contains("HTTP 503"),
            "{}",
            stderr_of(&output)
        );
    }

    /// An answer whose connection closes before the length it announced is cut short, not
    /// paused: what arrived is on stdout, and the message says which.
    #[test]
    fn an_answer_cut_short_says_so_not_that_it_paused() {
        let env = signed_in();
        env.server.script_api(Fault::Raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nonly this"
                .to_vec(),
        ));
        let output = api(&env, &["/echo"]);
        exit(&output, 5);
        assert_eq!(stdout_of(&output), "only this");
        let stderr = stderr_of(&output);
        assert!(stderr.contains("was cut short after 9 bytes"), "{stderr}");
    }

    #[test]
    fn a_dropped_connection_is_tried_again_for_get_but_never_for_post() {
        let env = signed_in();
        env.server.script_api(Fault::Reset);
        echoed(&api(&env, &["/echo"]));
        assert_eq!(env.server.api_request_count(), 2);

        let env = signed_in();
        env.server.script_api(Fault::Reset);
        let output = api(&env, &["/echo", "-f", "pay=100"]);
        exit(&output, 5);
        assert_eq!(
            env.server.api_request_count(),
            1,
            "the POST was sent exactly once"
        );
    }
}

mod redirects {
    use super::*;

    #[test]
    fn same_origin_redirects_are_followed_up_to_five() {
        let env = signed_in();
        let seen = echoed(&api(&env, &["/redirect/4?keep=1"]));
        assert_eq!(seen["path"], "/echo");
        assert_eq!(seen["query"], "keep=1");
        assert_eq!(env.server.redirect_count(), 5);
        let output = api(&env, &["/redirect/5"]);
        exit(&output, 6);
        let stderr = stderr_of(&output);
        assert!(stderr.contains("redirect not followed"), "{stderr}");
        assert!(stderr.contains("more than 5"), "{stderr}");
        assert_eq!(env.server.redirect_count(), 5 + 6);
    }

    #[test]
    fn a_redirect_to_another_origin_is_not_followed_and_named() {
        let env = signed_in();
        let other = StandIn::start();
        let target = format!("{}/echo", other.base_url());
        let output = api(&env, &[&format!("/redirect?to={target}")]);
        exit(&output, 6);
        let stderr = stderr_of(&output);
        assert!(stderr.contains(&target), "{stderr}");
        assert!(stderr.contains("another origin"), "{stderr}");
        assert_eq!(other.request_count(), 0, "the token never left the origin");
    }

    #[test]
    fn a_303_turns_a_post_into_a_get_and_a_307_repeats_it() {
        let env = signed_in();
        let seen = echoed(&api(&env, &["/redirect?to=/echo&status=303", "-f", "a=1"]));
        assert_eq!(seen["method"], "GET");
        assert_eq!(seen["body_len"], 0);
        let seen = echoed(&api(&env, &["/redirect?to=/echo&status=307", "-f", "a=1"]));
        assert_eq!(seen["method"], "POST");
        assert_eq!(seen["json"], json!({"a": "1"}));
    }

    /// As curl and browsers do: a 301 or 302 turns only a POST into a GET; a 303 turns any
    /// method but HEAD into one.
    #[test]
    fn a_302_turns_only_a_post_into_a_get_and_a_303_a_put_too() {
        let env = signed_in();
        let seen = echoed(&api(&env, &["/redirect?to=/echo&status=302", "-f", "a=1"]));
        assert_eq!(seen["method"], "GET");
        assert_eq!(seen["body_len"], 0);
        let put = ["-X", "PUT", "-f", "a=1"];
        let seen = echoed(&api(
            &env,
            &[&["/redirect?to=/echo&status=302"][..], &put].concat(),
        ));
        assert_eq!(seen["method"], "PUT");
        assert_eq!(seen["json"], json!({"a": "1"}));
        let seen = echoed(&api(
            &env,
            &[&["/redirect?to=/echo&status=303"][..], &put].concat(),
        ));
        assert_eq!(seen["method"], "GET");
        assert_eq!(seen["body_len"], 0);
    }
}

mod output {
    use super::*;

    /// The service's error code is found in a long error answer too (the summary keeps up to
    /// 64 KiB of it).
    #[test]
    fn the_summary_finds_the_error_code_after_a_long_start() {
        let env = signed_in();
        let output = api(&env, &["/status/409?pad=20000"]);
        exit(&output, 6);
        let body: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(body["_pad"].as_str().map(str::len), Some(20000));
        let stderr = stderr_of(&output);
        assert!(stderr.contains("STATUS_409"), "{stderr}");
    }

    #[test]
    fn an_error_status_prints_the_body_and_a_one_line_summary() {
        let env = signed_in();
        let output = api(&env, &["/status/404"]);
        exit(&output, 6);
        let body: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(body["error"]["code"], 404);
        let stderr = stderr_of(&output);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("pointauth: HTTP 404 from 127.0.0.1:"),
            "{stderr}"
        );
        assert!(stderr.contains("STATUS_404"), "{stderr}");
        for (status, code) in [
            (400, 6),
            (403, 6),
            (409, 6),
            (422, 6),
            (500, 5),
            (204, 0),
            (201, 0),
        ] {
            exit(
                &api(&env, &["-X", "POST", &format!("/status/{status}")]),
                code,
            );
        }
    }

    #[test]
    fn include_prints_the_status_line_and_headers_first() {
        let env = signed_in();
        let output = api(&env, &["-i", "/status/201"]);
        exit(&output, 0);
        let text = stdout_of(&output);
        let (head, body) = text
            .split_once("\r\n\r\n")
            .expect("headers, a blank line, the body");
        assert!(head.starts_with("HTTP/1.1 201 Created\r\n"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("content-type: application/json"),
            "{head}"
        );
        assert_eq!(
            serde_json::from_str::<Value>(body).unwrap(),
            json!({"status": 201})
        );

        // The status line is the one the service sent, HTTP/1.0 too.
        env.server.script_api(Fault::Raw(
            b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi".to_vec(),
        ));
        let output = api(&env, &["-i", "/echo"]);
        exit(&output, 0);
        assert!(
            stdout_of(&output).starts_with("HTTP/1.0 200 OK\r\n"),
            "{}",
            stdout_of(&output)
        );
        assert!(stdout_of(&output).ends_with("\r\n\r\nhi"));
    }

    #[test]
    fn json_is_indented_on_a_terminal_and_byte_for_byte_in_a_pipe() {
        let env = signed_in();
        let piped = api(&env, &["/status/200"]);
        assert_eq!(stdout_of(&piped), r#"{"status":200}"#);
        // `script` gives pointauth a terminal for stdout.
        let output = env
            .cmd_shell(&format!(
                "script -qec '{} api /status/200' /dev/null",
                bin().display()
            ))
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr_of(&output));
        let shown = stdout_of(&output).replace("\r\n", "\n");
        assert_eq!(shown, "{\n  \"status\": 200\n}\n");
    }

    #[test]
    fn a_256_mib_body_arrives_whole() {
        let env = signed_in();
        let bytes = 256 * 1024 * 1024_u64;
        let output = api(&env, &[&format!("/large?bytes={bytes}")]);
        exit(&output, 0);
        assert_eq!(output.stdout.len() as u64, bytes);
        assert_eq!(fnv1a(&output.stdout), large_body_checksum(bytes));
    }

    #[test]
    fn a_pause_longer_than_the_timeout_ends_it_and_a_slow_steady_body_does_not() {
        let env = signed_in();
        let started = Instant::now();
        let stalled = env
            .cmd()
            .args(["--timeout", "2", "api", "/stall?after=5000"])
            .output()
            .unwrap();
        let took = started.elapsed();
        exit(&stalled, 5);
        assert_eq!(stalled.stdout.len(), 5000, "what arrived is on stdout");
        assert!(
            stderr_of(&stalled).contains("stopped arriving after 5000 bytes"),
            "{}",
            stderr_of(&stalled)
        );
        // The point is that it ends, not the exact second: expected ~2 s (the --timeout), and
        // 15 s is over seven times that. A pause that is never cut off would last until the
        // 120 s kill every test command has.
        assert!(took < Duration::from_secs(15), "took {took:?}");
        // 3 s of body with a pause of 0.3 s at a time: within a 1 s --timeout.
        let started = Instant::now();
        let slow = env
            .cmd()
            .args([
                "--timeout",
                "1",
                "api",
                "/slow?bytes=100&chunk=10&every_ms=300",
            ])
            .output()
            .unwrap();
        exit(&slow, 0);
        assert_eq!(slow.stdout.len(), 100);
        assert!(started.elapsed() >= Duration::from_millis(2500));
    }

    #[test]
    fn verbose_logs_method_url_status_and_time_but_never_the_token() {
        let env = signed_in();
        let output = env
            .cmd()
            .args(["-v", "api", "-X", "PUT", "/echo?x=1"])
            .output()
            .unwrap();
        exit(&output, 0);
        let stderr = stderr_of(&output);
        let line = stderr
            .lines()
            .find(|line| line.contains("PUT "))
            .unwrap_or_else(|| panic!("no request line: {stderr}"));
        assert!(
            line.contains(&format!("{}/echo", env.server.base_url())),
            "{line}"
        );
        assert!(line.contains("-> 200 ("), "{line}");
        assert!(line.ends_with(" ms)"), "{line}");
        for secret in env.server.issued_tokens() {
            assert!(!stderr.contains(&secret), "a token on stderr");
        }
    }
}
