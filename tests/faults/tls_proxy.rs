//! TLS with a private CA (SSL_CERT_FILE), certificate failures (never retried), and
//! HTTPS_PROXY/NO_PROXY through a local CONNECT proxy.

use std::path::PathBuf;
use std::process::Output;

use crate::support::proxy::ConnectProxy;
use crate::support::tls::{TestCa, TlsFront};
use crate::support::*;
use crate::*;

struct Https {
    env: TestEnv,
    front: TlsFront,
    ca_file: PathBuf,
}

impl Https {
    fn new() -> Https {
        let env = TestEnv::new();
        let ca = TestCa::new();
        let front = TlsFront::start(&ca, env.server.port());
        let ca_file = env.home().join("test-ca.pem");
        ca.write_ca(&ca_file);
        Https {
            env,
            front,
            ca_file,
        }
    }

    /// `pointauth` aimed at `https://HOST:PORT` of the TLS front, trusting the test CA.
    fn cmd(&self, host: &str, vars: &[(&str, &str)]) -> assert_cmd::Command {
        let mut cmd = self.env.cmd();
        cmd.env("POINTAUTH_BASE_URL", self.front.base_url(host))
            .env("SSL_CERT_FILE", &self.ca_file);
        for (name, value) in vars {
            cmd.env(name, value);
        }
        cmd
    }

    fn login(&self, host: &str, vars: &[(&str, &str)]) -> Output {
        self.cmd(host, vars)
            .args([
                "--store",
                "file",
                "login",
                "--username",
                DEFAULT_USERNAME,
                "--password-stdin",
            ])
            .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
            .output()
            .unwrap()
    }
}

#[test]
fn https_with_a_private_ca_trusted_through_ssl_cert_file_works() {
    let https = Https::new();
    let output = https.login("localhost", &[]);
    assert_exit(&output, 0);
    assert_eq!(https.env.server.sign_in_count(), 1);
    assert_eq!(https.front.handshakes(), 1);
    let session = https.env.session("default");
    assert_eq!(session["base_url"], https.front.base_url("localhost"));

    let output = https.cmd("localhost", &[]).arg("refresh").output().unwrap();
    assert_exit(&output, 0);
    assert_eq!(https.env.server.refresh_count(), 1);
    let output = https.cmd("localhost", &[]).arg("token").output().unwrap();
    assert_exit(&output, 0);
    assert_eq!(
        stdout_of(&output),
        format!("{}\n", https.env.stored_access_token())
    );
}

#[test]
fn an_untrusted_certificate_is_a_certificate_error_and_not_retried() {
    let https = Https::new();
    let output = https
        .env
        .cmd()
        .env("POINTAUTH_BASE_URL", https.front.base_url("localhost"))
        .args([
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .output()
        .unwrap();
    assert_exit(&output, 5);
    assert_stderr_has(&output, &["certificate", "localhost", "SSL_CERT_FILE"]);
    assert_eq!(https.front.connections(), 1, "exactly one attempt");
    assert_eq!(https.front.handshakes(), 0);
    assert_eq!(https.env.server.request_count(), 0, "nothing got through");
}

#[test]
fn a_certificate_for_another_name_is_refused() {
    let https = Https::new();
    // The certificate names localhost and pointauth.test, not 127.0.0.1.
    let output = https.login("127.0.0.1", &[]);
    assert_exit(&output, 5);
    assert_stderr_has(&output, &["certificate"]);
    assert_eq!(https.front.connections(), 1, "exactly one attempt");
    assert_eq!(https.env.server.request_count(), 0);
}

#[test]
fn an_untrusted_certificate_on_refresh_keeps_the_session() {
    let https = Https::new();
    assert_exit(&https.login("localhost", &[]), 0);
    https.env.edit_session("default", |session| {
        session["access_token_expires_at"] = serde_json::json!(from_now(-60));
    });
    let before = https.env.session_bytes("default");
    let connections = https.front.connections();
    let output = https
        .cmd("localhost", &[])
        .env_remove("SSL_CERT_FILE")
        .arg("token")
        .output()
        .unwrap();
    assert_exit(&output, 5);
    assert_stderr_has(&output, &["certificate"]);
    assert_eq!(https.front.connections(), connections + 1);
    assert_same_session(&https.env, &before);
}

#[test]
fn https_proxy_carries_the_request() {
    let https = Https::new();
    let proxy = ConnectProxy::start(https.front.port());
    // pointauth.test resolves nowhere: only the proxy can reach it.
    let output = https.login("pointauth.test", &[("HTTPS_PROXY", &proxy.url())]);
    assert_exit(&output, 0);
    assert_eq!(proxy.connects(), 1);
    assert_eq!(
        proxy.requests(),
        [format!(
            "CONNECT pointauth.test:{} HTTP/1.1",
            https.front.port()
        )]
    );
    assert_eq!(https.env.server.sign_in_count(), 1);

    // Lower-case and ALL_PROXY work as well.
    for var in ["https_proxy", "ALL_PROXY", "all_proxy"] {
        let output = https
            .cmd("pointauth.test", &[(var, &proxy.url())])
            .arg("refresh")
            .output()
            .unwrap();
        assert_exit(&output, 0);
    }
    assert_eq!(proxy.connects(), 4);
}

#[test]
fn no_proxy_bypasses_the_proxy() {
    let https = Https::new();
    let proxy = ConnectProxy::start(https.front.port());
    let url = proxy.url();
    // Without NO_PROXY even localhost goes through the proxy (as with curl)...
    assert_exit(&https.login("localhost", &[("HTTPS_PROXY", &url)]), 0);
    assert_eq!(proxy.connects(), 1);
    // ...and with it, directly; spaces and ports in the list are tolerated.
    for no_proxy in ["localhost", "example.com, localhost", "LOCALHOST:1", "*"] {
        let output = https
            .cmd(
                "localhost",
                &[("HTTPS_PROXY", &url), ("NO_PROXY", no_proxy)],
            )
            .arg("refresh")
            .output()
            .unwrap();
        assert_exit(&output, 0);
        assert_eq!(proxy.connects(), 1, "NO_PROXY={no_proxy:?}");
    }
    let output = https
        .cmd(
            "localhost",
            &[("https_proxy", &url), ("no_proxy", "localhost")],
        )
        .arg("refresh")
        .output()
        .unwrap();
    assert_exit(&output, 0);
    assert_eq!(proxy.connects(), 1);
}

#[test]
fn a_plain_http_loopback_url_never_goes_through_a_proxy() {
    let env = TestEnv::new();
    // Were the request proxied, it would even succeed: the proxy tunnels to the stand-in.
    let proxy = ConnectProxy::start(env.server.port());
    let url = proxy.url();
    let output = env
        .cmd()
        .env("HTTPS_PROXY", &url)
        .env("HTTP_PROXY", &url)
        .env("ALL_PROXY", &url)
        .args([
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .output()
        .unwrap();
    assert_exit(&output, 0);
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
}

#[test]
fn http_proxy_is_not_used_for_https() {
    let https = Https::new();
    let proxy = ConnectProxy::start(https.front.port());
    let output = https.login("localhost", &[("HTTP_PROXY", &proxy.url())]);
    assert_exit(&output, 0);
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());
}

#[test]
fn an_unusable_proxy_setting_is_a_usage_error_without_its_credentials() {
    let https = Https::new();
    let output = https.login(
        "localhost",
        &[(
            "HTTPS_PROXY",
            "socks5://proxyuser:pr0xy-s3cret@127.0.0.1:1080",
        )],
    );
    assert_exit(&output, 2);
    assert_stderr_has(&output, &["HTTPS_PROXY"]);
    assert!(!stderr_of(&output).contains("pr0xy-s3cret"));
    assert_eq!(https.front.connections(), 0);
}

#[test]
fn a_dead_proxy_is_a_network_failure() {
    let https = Https::new();
    let port = closed_port();
    let dead = format!("http://proxyuser:pr0xy-s3cret@127.0.0.1:{port}");
    let output = https
        .cmd("localhost", &[("HTTPS_PROXY", &dead)])
        .args([
            "-v",
            "--store",
            "file",
            "login",
            "--username",
            DEFAULT_USERNAME,
            "--password-stdin",
        ])
        .write_stdin(format!("{DEFAULT_PASSWORD}\n"))
        .output()
        .unwrap();
    assert_exit(&output, 5);
    assert_stderr_has(&output, &["sign-in failed"]);
    assert!(
        !stderr_of(&output).contains("pr0xy-s3cret"),
        "{}",
        stderr_of(&output)
    );
    assert_eq!(https.front.connections(), 0);
}

/// A proxy that cannot reach the service (502 to the CONNECT) is the network's failure, not
/// the user's set-up: exit 5 with the proxy's answer, and no credentials hint.
#[test]
fn a_proxy_that_cannot_reach_the_service_is_a_network_failure() {
    let https = Https::new();
    let closed = closed_port();
    let proxy = ConnectProxy::start(closed);
    let output = https.login("pointauth.test", &[("HTTPS_PROXY", &proxy.url())]);
    assert_exit(&output, 5);
    assert_stderr_has(
        &output,
        &[
            "sign-in failed: the proxy refused to connect to pointauth.test",
            "502",
        ],
    );
    assert!(
        !stderr_of(&output).contains("user and password"),
        "{}",
        stderr_of(&output)
    );
    assert!(proxy.connects() >= 1);
    assert_eq!(https.env.server.sign_in_count(), 0);
}

#[test]
fn a_proxy_that_refuses_its_credentials_is_a_setup_error_not_retried() {
    let https = Https::new();
    let proxy = ConnectProxy::requiring(https.front.port(), "alice:proxy-pass");
    let wrong = format!(
        "http://alice:Wr0ngProxyPass@127.0.0.1:{}",
        proxy.url().rsplit(':').next().unwrap()
    );
    for (variable, url) in [("HTTPS_PROXY", wrong.clone()), ("ALL_PROXY", proxy.url())] {
        let before = proxy.connects();
        let output = https.login("pointauth.test", &[(variable, &url)]);
        assert_exit(&output, 2);
        assert_stderr_has(
            &output,
            &[
                "407",
                &format!("hint: set the proxy's user and password in {variable}"),
            ],
        );
        assert!(
            !stderr_of(&output).contains("Wr0ngProxyPass"),
            "{}",
            stderr_of(&output)
        );
        assert_eq!(proxy.connects(), before + 1, "{variable}: not retried");
    }
    assert_eq!(https.env.server.sign_in_count(), 0);
    // With the right credentials, the request goes through.
    let right = format!(
        "http://alice:proxy-pass@127.0.0.1:{}",
        proxy.url().rsplit(':').next().unwrap()
    );
    assert_exit(
        &https.login("pointauth.test", &[("HTTPS_PROXY", &right)]),
        0,
    );
}
