//! `pointauth doctor`: each check's ok and its warn or fail, the settings' origins, the one
//! credential-free request (none offline), and no secret in anything it prints.

use std::os::unix::fs::PermissionsExt;
use std::process::Output;

use serde_json::Value;

use crate::support::tls::{TestCa, TlsFront};
use crate::support::*;

fn doctor(env: &TestEnv, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = env.cmd();
    cmd.args(args);
    for (name, value) in vars {
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

/// The checks of `doctor --json`, by name: (status, detail, hint).
fn checks_of(output: &Output) -> Vec<(String, String, String, Option<String>)> {
    let value: Value = serde_json::from_str(&stdout_of(output)).unwrap();
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|check| {
            let keys = sorted_keys(check);
            assert_eq!(keys, ["check", "detail", "hint", "status"], "{check}");
            let text = |key: &str| check[key].as_str().map(str::to_owned);
            (
                text("check").unwrap(),
                text("status").unwrap(),
                text("detail").unwrap(),
                text("hint"),
            )
        })
        .collect()
}

fn find<'a>(
    checks: &'a [(String, String, String, Option<String>)],
    name: &str,
) -> &'a (String, String, String, Option<String>) {
    checks
        .iter()
        .find(|check| check.0 == name || check.0.starts_with(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no check {name} in {checks:#?}"))
}

#[test]
fn a_healthy_set_up_passes_every_check_with_one_request_and_no_secret() {
    let env = TestEnv::new();
    env.login();
    let before = env.server.request_count();
    let output = doctor(&env, &["doctor", "--json"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout_of(&output));
    let checks = checks_of(&output);
    for (name, status, detail, hint) in &checks {
        // The keychain is out of reach in tests (no bus): a warning, since auto moves on.
        if name == "store keyring" {
            assert_eq!(status, "warn", "{detail}");
            assert!(hint.is_some());
        } else {
            assert_eq!(status, "ok", "{name}: {detail} {hint:?}");
            assert!(hint.is_none(), "{name}: {hint:?}");
        }
    }
    for name in [
        "store kernel",
        "store file",
        "store choice",
        "setting timeout",
        "TLS",
    ] {
        find(&checks, name);
    }
    assert!(find(&checks, "session").2.contains(DEFAULT_USERNAME));
    assert!(find(&checks, "network").2.contains("answered 404"));
    assert!(find(&checks, "clock").2.contains("0 s"), "{checks:?}");
    // The data directory, the state directory and the two below it, each checked.
    let dirs: Vec<&str> = checks
        .iter()
        .filter_map(|c| c.0.strip_prefix("directory "))
        .collect();
    let home = env.home();
    let expected: Vec<String> = [
        "data/pointauth",
        "state/pointauth",
        "state/pointauth/profiles",
        "state/pointauth/locks",
    ]
    .iter()
    .map(|dir| home.join(dir).display().to_string())
    .collect();
    assert_eq!(dirs, expected, "{checks:#?}");
    // One HEAD of the base URL, with no Authorization header.
    assert_eq!(env.server.request_count(), before + 1);
    let head = env.server.requests().pop().unwrap();
    assert_eq!(head.method, "HEAD");
    assert_eq!(head.header("authorization"), None);
    let printed = format!("{}{}", stdout_of(&output), stderr_of(&output));
    for secret in env.server.issued_tokens() {
        assert!(!printed.contains(&secret[..24]), "a token was printed");
    }
    assert!(!printed.contains(DEFAULT_PASSWORD));

    // The text form: one line per check, its status first.
    let text = doctor(&env, &["doctor"], &[]);
    assert_eq!(text.status.code(), Some(0));
    let stdout = stdout_of(&text);
    assert!(
        stdout.lines().any(|l| l.starts_with("ok    session")),
        "{stdout}"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("warn  store keyring")),
        "{stdout}"
    );
}

#[test]
fn offline_it_sends_nothing_and_skips_the_network_checks() {
    let env = TestEnv::new();
    env.login();
    let before = env.server.request_count();
    let output = doctor(&env, &["doctor", "--offline", "--json"], &[]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(env.server.request_count(), before);
    let checks = checks_of(&output);
    assert!(
        !checks
            .iter()
            .any(|c| ["network", "TLS", "clock"].contains(&c.0.as_str()))
    );
}

#[test]
fn a_directory_others_may_write_fails_and_names_the_fix() {
    let env = TestEnv::new();
    env.login();
    let data = env.home().join("data/pointauth");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    let output = doctor(&env, &["doctor", "--offline", "--json"], &[]);
    assert_eq!(output.status.code(), Some(1));
    let checks = checks_of(&output);
    let (_, status, detail, hint) = find(&checks, &format!("directory {}", data.display()));
    assert_eq!(status, "fail");
    assert!(detail.contains("refusing"), "{detail}");
    assert!(hint.as_deref().unwrap().contains("chmod"), "{hint:?}");
}

#[test]
fn a_chosen_store_that_cannot_be_used_fails_where_auto_only_warns() {
    let env = TestEnv::new();
    let auto = doctor(&env, &["doctor", "--offline", "--json"], &[]);
    assert_eq!(find(&checks_of(&auto), "store keyring").1, "warn");
    let chosen = doctor(
        &env,
        &["--store", "keyring", "doctor", "--offline", "--json"],
        &[],
    );
    assert_eq!(chosen.status.code(), Some(1));
    let checks = checks_of(&chosen);
    assert_eq!(find(&checks, "store keyring").1, "fail");
    assert!(
        find(&checks, "store choice")
            .2
            .contains("keyring (from --store)")
    );
}

#[test]
fn no_session_is_a_warning_and_an_unreadable_one_a_failure() {
    let env = TestEnv::new();
    let none = doctor(&env, &["doctor", "--offline", "--json"], &[]);
    assert_eq!(none.status.code(), Some(0));
    let checks_none = checks_of(&none);
    let (_, status, detail, hint) = find(&checks_none, "session");
    assert_eq!(
        (status.as_str(), detail.contains("not logged in")),
        ("warn", true)
    );
    assert!(hint.as_deref().unwrap().contains("pointauth login"));

    env.login();
    std::fs::write(env.meta_path("default"), b"{not json").unwrap();
    let broken = doctor(&env, &["doctor", "--offline", "--json"], &[]);
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(find(&checks_of(&broken), "session").1, "fail");
}

#[test]
fn each_setting_says_where_it_came_from_and_proxy_credentials_are_hidden() {
    let env = TestEnv::new();
    env.login();
    let output = doctor(
        &env,
        &["--timeout", "7", "doctor", "--offline", "--json"],
        &[
            ("POINTAUTH_PROFILE", "default"),
            ("POINTAUTH_STORE", "file"),
        ],
    );
    let checks = checks_of(&output);
    assert_eq!(find(&checks, "setting timeout").2, "7 s (from --timeout)");
    assert_eq!(
        find(&checks, "setting profile").2,
        "default (from POINTAUTH_PROFILE)"
    );
    assert!(
        find(&checks, "store choice")
            .2
            .contains("from POINTAUTH_STORE")
    );
    assert!(
        find(&checks, "setting base URL")
            .2
            .ends_with("(from POINTAUTH_BASE_URL)")
    );

    // Without the variable, the base URL the profile remembers.
    let mut cmd = env.cmd();
    cmd.env_remove("POINTAUTH_BASE_URL")
        .args(["doctor", "--offline", "--json"]);
    let remembered = checks_of(&cmd.output().unwrap());
    assert!(
        find(&remembered, "setting base URL")
            .2
            .ends_with("(remembered by the profile)")
    );
    assert_eq!(find(&remembered, "setting timeout").2, "30 s (default)");

    // An https base URL goes through HTTPS_PROXY: shown without its credentials.
    let output = doctor(
        &env,
        &["doctor", "--offline", "--json"],
        &[
            ("POINTAUTH_BASE_URL", "https://pointauth.test"),
            ("HTTPS_PROXY", "http://bob:hunter2hunter2@127.0.0.1:9"),
            ("POINTAUTH_USERNAME", DEFAULT_USERNAME),
            ("POINTAUTH_PASSWORD", DEFAULT_PASSWORD),
        ],
    );
    let printed = stdout_of(&output);
    assert!(
        !printed.contains("hunter2") && !printed.contains("bob:"),
        "{printed}"
    );
    assert!(!printed.contains(DEFAULT_PASSWORD), "{printed}");
    let checks = checks_of(&output);
    assert_eq!(
        find(&checks, "setting proxy").2,
        "http://[redacted]@127.0.0.1:9 (from HTTPS_PROXY)"
    );
    assert!(find(&checks, "setting credentials").2.contains("not shown"));
}

#[test]
fn a_service_out_of_reach_fails_the_network_check() {
    let env = TestEnv::new();
    let port = closed_port();
    let dead = format!("http://127.0.0.1:{port}");
    let output = doctor(
        &env,
        &["doctor", "--json"],
        &[("POINTAUTH_BASE_URL", &dead)],
    );
    assert_eq!(output.status.code(), Some(1));
    let checks = checks_of(&output);
    let (_, status, detail, hint) = find(&checks, "network");
    assert_eq!(status, "fail");
    assert!(detail.contains("Connection refused"), "{detail}");
    assert!(hint.is_some());
    assert!(!checks.iter().any(|c| c.0 == "clock"));
}

#[test]
fn a_clock_over_a_minute_off_the_services_is_a_warning() {
    let env = TestEnv::new();
    env.server.set_date_skew(-300);
    let output = doctor(&env, &["doctor", "--json"], &[]);
    let checks = checks_of(&output);
    let (_, status, detail, hint) = find(&checks, "clock");
    assert_eq!(status, "warn");
    // The service's clock runs 300 s behind: the local one is 300 s ahead of it (give or
    // take the second the request took).
    assert!(
        ["299", "300", "301"]
            .iter()
            .any(|s| detail.starts_with(&format!("{s} s ahead of"))),
        "{detail}"
    );
    assert!(hint.as_deref().unwrap().contains("clock"));
    // A warning is not a failure.
    assert_eq!(output.status.code(), Some(0));
}

#[test]
fn tls_names_the_issuer_and_an_untrusted_certificate_fails() {
    let env = TestEnv::new();
    let ca = TestCa::new();
    let front = TlsFront::start(&ca, env.server.port());
    let ca_file = env.home().join("test-ca.pem");
    ca.write_ca(&ca_file);
    let base = front.base_url("localhost");
    let ca_path = ca_file.to_str().unwrap();

    let trusted = doctor(
        &env,
        &["doctor", "--json"],
        &[("POINTAUTH_BASE_URL", &base), ("SSL_CERT_FILE", ca_path)],
    );
    let checks_trusted = checks_of(&trusted);
    let (_, status, detail, _) = find(&checks_trusted, "TLS");
    assert_eq!(status, "ok", "{detail}");
    assert!(detail.contains("CN=pointauth test CA"), "{detail}");
    assert_eq!(find(&checks_trusted, "network").1, "ok");

    let untrusted = doctor(
        &env,
        &["doctor", "--json"],
        &[("POINTAUTH_BASE_URL", &base)],
    );
    assert_eq!(untrusted.status.code(), Some(1));
    let checks_untrusted = checks_of(&untrusted);
    let (_, status, detail, hint) = find(&checks_untrusted, "TLS");
    assert_eq!(status, "fail");
    assert!(
        detail.contains("CN=pointauth test CA") && detail.contains("not trusted"),
        "{detail}"
    );
    assert!(hint.as_deref().unwrap().contains("SSL_CERT_FILE"));
}

/// With the service out of reach, the TLS check says it could not look, and points at the
/// network check, instead of blaming certificates.
#[test]
fn tls_is_not_checked_when_the_service_cannot_be_reached() {
    let env = TestEnv::new();
    let base = format!("https://localhost:{}", closed_port());
    let output = doctor(
        &env,
        &["doctor", "--json"],
        &[("POINTAUTH_BASE_URL", &base)],
    );
    let checks = checks_of(&output);
    assert_ne!(find(&checks, "network").1, "ok");
    let (_, status, detail, hint) = find(&checks, "TLS");
    assert_eq!(status, "warn", "{detail}");
    assert!(detail.starts_with("not checked: "), "{detail}");
    assert_eq!(hint.as_deref(), Some("see the network check"));
}

/// The service answered the network check, but doctor's own look at its certificate failed
/// (here the second connection is closed before any handshake): the TLS check shows that
/// failure and the SSL_CERT_FILE hint, not "see the network check", which passed.
#[test]
fn a_handshake_failing_after_the_service_was_reached_is_a_tls_warning() {
    let env = TestEnv::new();
    let ca = TestCa::new();
    let front = TlsFront::serving(&ca, env.server.port(), 1);
    let ca_file = env.home().join("test-ca.pem");
    ca.write_ca(&ca_file);
    let output = doctor(
        &env,
        &["doctor", "--json"],
        &[
            ("POINTAUTH_BASE_URL", &front.base_url("localhost")),
            ("SSL_CERT_FILE", ca_file.to_str().unwrap()),
        ],
    );
    let checks = checks_of(&output);
    assert_eq!(find(&checks, "network").1, "ok", "{checks:#?}");
    let (_, status, detail, hint) = find(&checks, "TLS");
    assert_eq!(status, "warn", "{detail}");
    assert!(detail.starts_with("the TLS handshake failed: "), "{detail}");
    assert!(
        hint.as_deref().unwrap().contains("SSL_CERT_FILE"),
        "{hint:?}"
    );
    assert_eq!(
        front.connections(),
        2,
        "one request, one look at the certificate"
    );
    assert_eq!(output.status.code(), Some(0), "a warning is not a failure");
}

#[test]
fn through_a_proxy_the_request_goes_via_the_proxy_and_says_so() {
    let env = TestEnv::new();
    let ca = TestCa::new();
    let front = TlsFront::start(&ca, env.server.port());
    let ca_file = env.home().join("test-ca.pem");
    ca.write_ca(&ca_file);
    let proxy = crate::support::proxy::ConnectProxy::start(front.port());
    // pointauth.test resolves nowhere: only the proxy can reach it.
    let base = front.base_url("pointauth.test");
    let output = doctor(
        &env,
        &["doctor", "--json"],
        &[
            ("POINTAUTH_BASE_URL", &base),
            ("SSL_CERT_FILE", ca_file.to_str().unwrap()),
            ("HTTPS_PROXY", &proxy.url()),
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout_of(&output));
    let checks = checks_of(&output);
    let network = &find(&checks, "network").2;
    assert!(
        network.contains("through the proxy from HTTPS_PROXY"),
        "{network}"
    );
    assert!(find(&checks, "TLS").2.contains("trusted through the proxy"));
    assert_eq!(proxy.connects(), 1);
    assert_eq!(env.server.requests().pop().unwrap().method, "HEAD");
}

#[test]
fn a_base_url_with_credentials_is_refused_without_showing_them() {
    let env = TestEnv::new();
    let output = doctor(
        &env,
        &["doctor", "--offline"],
        &[(
            "POINTAUTH_BASE_URL",
            "https://alice:hunter2hunter2@pointauth.test",
        )],
    );
    assert_eq!(output.status.code(), Some(2));
    let printed = format!("{}{}", stdout_of(&output), stderr_of(&output));
    assert!(printed.contains("[redacted]@pointauth.test"), "{printed}");
    assert!(
        !printed.contains("hunter2") && !printed.contains("alice"),
        "{printed}"
    );
}
