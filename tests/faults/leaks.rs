//! No secret ever leaks: every command, with `-v`, on success and failure paths, prints no
//! access token, refresh token or password — except `token` printing the one token it exists
//! to print.

use std::process::Output;

use serde_json::json;

use crate::support::*;
use crate::*;

const WRONG_PASSWORD: &str = "wrong-Passw0rd-for-the-leak-test";
const ENV_PASSWORD: &str = "env-Passw0rd-for-the-leak-test";

/// Every output of one scenario, with the token its stdout may carry.
struct Runs<'a> {
    env: &'a TestEnv,
    runs: Vec<(String, Output, Option<String>)>,
}

impl<'a> Runs<'a> {
    fn new(env: &'a TestEnv) -> Self {
        Runs {
            env,
            runs: Vec::new(),
        }
    }

    /// Runs `pointauth -v ARGS` (with `stdin`, and extra environment) and records it.
    fn run(&mut self, args: &[&str], stdin: Option<&str>, vars: &[(&str, &str)]) -> &Output {
        let mut cmd = self.env.cmd();
        cmd.arg("-v").args(args);
        for (name, value) in vars {
            cmd.env(name, value);
        }
        if let Some(stdin) = stdin {
            cmd.write_stdin(stdin.to_owned());
        }
        let output = cmd.output().expect("run pointauth");
        self.runs.push((args.join(" "), output, None));
        &self.runs.last().unwrap().1
    }

    /// Lets the last run's stdout hold `token` (the token it printed on purpose).
    fn allow_token(&mut self, token: String) {
        self.runs.last_mut().unwrap().2 = Some(token);
    }

    fn last_exit(&self) -> Option<i32> {
        self.runs.last().unwrap().1.status.code()
    }

    /// Pieces that must never show: the whole of every token and password, and 24-character
    /// windows of each token (a cut-off token leaks too).
    fn forbidden(&self) -> Vec<String> {
        let mut secrets = vec![
            DEFAULT_PASSWORD.to_owned(),
            WRONG_PASSWORD.to_owned(),
            ENV_PASSWORD.to_owned(),
        ];
        for token in self.env.server.issued_tokens() {
            let bytes = token.as_bytes();
            let mut start = 0;
            while start + 24 <= bytes.len() {
                let window = &token[start..start + 24];
                // The JWT header (alg, kid) is the same in every token and not secret.
                if !token.starts_with("AMf-v") && start < token.find('.').unwrap_or(0) {
                    start += 16;
                    continue;
                }
                secrets.push(window.to_owned());
                start += 16;
            }
            secrets.push(token);
        }
        secrets
    }

    fn assert_no_leaks(&self) {
        assert!(!self.env.server.issued_tokens().is_empty());
        let forbidden = self.forbidden();
        for (what, output, allowed) in &self.runs {
            let mut stdout = stdout_of(output);
            if let Some(token) = allowed {
                assert!(
                    stdout.contains(token.as_str()),
                    "`{what}` printed its token"
                );
                stdout = stdout.replace(token.as_str(), "<the token>");
            }
            let stderr = stderr_of(output);
            for secret in &forbidden {
                assert!(
                    !stdout.contains(secret.as_str()),
                    "`{what}` leaked a secret on stdout:\n{stdout}"
                );
                assert!(
                    !stderr.contains(secret.as_str()),
                    "`{what}` leaked a secret on stderr:\n{stderr}"
                );
            }
        }
    }
}

#[test]
fn no_command_leaks_a_secret_on_success_paths() {
    let env = TestEnv::new();
    let mut runs = Runs::new(&env);
    let password = format!("{DEFAULT_PASSWORD}\n");
    runs.run(
        &[
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ],
        Some(&password),
        &[],
    );
    assert_eq!(runs.last_exit(), Some(0));
    let token = env.stored_access_token();
    for args in [
        &["token"][..],
        &["token", "--json"],
        &["token", "--header"],
        &["token", "--min-ttl", "0"],
    ] {
        runs.run(args, None, &[]);
        assert_eq!(runs.last_exit(), Some(0));
        runs.allow_token(token.clone());
    }
    runs.run(&["refresh"], None, &[]);
    assert_eq!(runs.last_exit(), Some(0));
    let token = env.stored_access_token();
    runs.run(&["token"], None, &[]);
    runs.allow_token(token.clone());
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["status", "--all"],
        &["status", "--all", "--json"],
        &[
            "exec",
            "--",
            "sh",
            "-c",
            "test -n \"$POINTAUTH_ACCESS_TOKEN\"",
        ],
        &["logout"],
        &["logout"],
        &["status"],
    ] {
        runs.run(args, None, &[]);
    }
    // Signing in from the environment (CI), then refreshing a stale token.
    env.server.set_expires_in(json!(60));
    runs.run(
        &["token"],
        None,
        &[
            ("POINTAUTH_USERNAME", DEFAULT_USERNAME),
            ("POINTAUTH_PASSWORD", DEFAULT_PASSWORD),
        ],
    );
    assert_eq!(runs.last_exit(), Some(0));
    runs.allow_token(env.stored_access_token());
    env.server.set_expires_in(json!(3600));
    runs.run(&["token", "--json"], None, &[]);
    assert_eq!(runs.last_exit(), Some(0));
    runs.allow_token(env.stored_access_token());
    runs.assert_no_leaks();
}

#[test]
fn no_command_leaks_a_secret_on_failure_paths() {
    let env = TestEnv::new();
    env.server.add_user("env-user@example.com", ENV_PASSWORD);
    env.login();
    let mut runs = Runs::new(&env);

    // A wrong password, on stdin and from the environment.
    let wrong = format!("{WRONG_PASSWORD}\n");
    runs.run(
        &[
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ],
        Some(&wrong),
        &[],
    );
    assert_eq!(runs.last_exit(), Some(4));
    runs.run(
        &["--store", "file", "login", "--username", DEFAULT_USERNAME],
        None,
        &[("POINTAUTH_PASSWORD", WRONG_PASSWORD)],
    );
    assert_eq!(runs.last_exit(), Some(4));

    // A service that echoes what it was sent in its error text.
    env.server.script(
        Endpoint::SignIn,
        status(
            400,
            &format!("INVALID_PASSWORD : the password {WRONG_PASSWORD} is wrong"),
        ),
    );
    runs.run(
        &[
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ],
        Some(&wrong),
        &[],
    );
    assert_eq!(runs.last_exit(), Some(4));
    let refresh_token = env.stored_refresh_token();
    env.server.script(
        Endpoint::Refresh,
        json_error_fault(
            400,
            &format!("SOMETHING_ODD : unknown token {refresh_token}"),
        ),
    );
    runs.run(&["refresh"], None, &[]);
    assert_eq!(runs.last_exit(), Some(5));
    env.server.script(
        Endpoint::Refresh,
        answer(
            400,
            &json!({"error": "invalid_request", "error_description": format!("bad refresh_token={refresh_token}")}).to_string(),
            &[],
        ),
    );
    runs.run(&["refresh"], None, &[]);
    assert_eq!(runs.last_exit(), Some(5));

    // 503s: with a stale token (served from cache), then with an expired one.
    env.edit_session("default", |session| {
        session["access_token_expires_at"] = json!(from_now(60));
    });
    let cached = env.stored_access_token();
    script(&env, Endpoint::Refresh, status(503, "UNAVAILABLE"), 3);
    runs.run(&["token"], None, &[]);
    assert_eq!(runs.last_exit(), Some(0));
    runs.allow_token(cached);
    env.edit_session("default", |session| {
        session["access_token_expires_at"] = json!(from_now(-60));
    });
    for args in [&["token"][..], &["token", "--header"], &["refresh"]] {
        // Each command makes its own attempts (and messages), not the last one's note.
        env.forget_noted_failures("default");
        script(&env, Endpoint::Refresh, status(503, "UNAVAILABLE"), 3);
        runs.run(args, None, &[]);
        assert_eq!(runs.last_exit(), Some(5));
    }
    env.forget_noted_failures("default");
    script(&env, Endpoint::Refresh, status(503, "UNAVAILABLE"), 3);
    runs.run(&["exec", "--", "true"], None, &[]);
    assert_eq!(runs.last_exit(), Some(5));
    runs.run(&["status", "--json"], None, &[]);

    // Another identity asked for, without a password: refused, nothing printed.
    runs.run(
        &["token"],
        None,
        &[("POINTAUTH_USERNAME", "env-user@example.com")],
    );
    assert_eq!(runs.last_exit(), Some(3));

    // A corrupted session: cut in the middle of the refresh token, then a wrong type.
    let text = String::from_utf8(env.session_bytes("default")).unwrap();
    let cut = text.find(refresh_token.as_str()).unwrap() + refresh_token.len() / 2;
    write_session(&env, &text[..cut]);
    for args in [&["token"][..], &["refresh"]] {
        runs.run(args, None, &[]);
        assert_eq!(
            runs.last_exit(),
            Some(1),
            "{args:?}: a corrupted session is exit 1"
        );
    }
    // `status` reads only the metadata; whatever it says, it says no secret.
    for args in [&["status"][..], &["status", "--json"]] {
        runs.run(args, None, &[]);
    }
    write_session(&env, &text.replace("\"version\":1", "\"version\":[1]"));
    runs.run(&["token"], None, &[]);
    assert_eq!(runs.last_exit(), Some(1));
    write_session(&env, &text);

    // The session ends (TOKEN_EXPIRED), then CI credentials sign in again; then a wrong one.
    env.forget_noted_failures("default");
    env.server.revoke_all_refresh_tokens();
    for args in [&["token"][..], &["refresh"], &["exec", "--", "true"]] {
        env.edit_session("default", |session| {
            session["access_token_expires_at"] = json!(from_now(-60));
        });
        runs.run(args, None, &[]);
        assert_eq!(runs.last_exit(), Some(3), "{args:?}");
        write_session(&env, &text);
    }
    runs.run(&["logout"], None, &[]);
    runs.run(
        &["token"],
        None,
        &[
            ("POINTAUTH_USERNAME", "env-user@example.com"),
            ("POINTAUTH_PASSWORD", WRONG_PASSWORD),
        ],
    );
    assert_eq!(runs.last_exit(), Some(4));
    runs.run(
        &["token", "--header"],
        None,
        &[
            ("POINTAUTH_USERNAME", "env-user@example.com"),
            ("POINTAUTH_PASSWORD", ENV_PASSWORD),
        ],
    );
    assert_eq!(runs.last_exit(), Some(0));
    runs.allow_token(env.stored_access_token());
    runs.assert_no_leaks();
}

fn json_error_fault(code: u16, message: &str) -> Fault {
    status(code, message)
}

/// (Re)writes the session file, private as pointauth would have it.
fn write_session(env: &TestEnv, text: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(env.session_path("default"))
        .and_then(|mut file| file.write_all(text.as_bytes()))
        .expect("write session");
}
