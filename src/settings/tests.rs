//! Resolution order and the environment's edge cases, without a process.

use super::*;

fn env(pairs: &[(&str, &str)]) -> Env {
    let home = tempfile::tempdir().unwrap().keep();
    let home = home.to_str().unwrap().to_owned();
    let mut all = vec![("HOME", home.as_str())];
    all.extend_from_slice(pairs);
    Env::from_pairs(&all)
}

#[test]
fn flags_beat_the_environment_which_beats_the_defaults() {
    let ctx = resolve(Flags::default(), &env(&[])).unwrap();
    assert_eq!(ctx.identity.profile, "default");
    assert_eq!(ctx.identity.base_url.as_str(), DEFAULT_BASE_URL);
    assert_eq!(ctx.store, StoreChoice::Auto);
    assert_eq!(ctx.api.timeout, DEFAULT_TIMEOUT);

    let vars = env(&[
        ("POINTAUTH_PROFILE", "ci"),
        ("POINTAUTH_BASE_URL", "https://env.example"),
        ("POINTAUTH_STORE", "file"),
        ("POINTAUTH_TIMEOUT", "5"),
    ]);
    let ctx = resolve(Flags::default(), &vars).unwrap();
    assert_eq!(ctx.identity.profile, "ci");
    assert_eq!(ctx.identity.base_url.as_str(), "https://env.example");
    assert_eq!(ctx.store, StoreChoice::File);
    assert_eq!(ctx.api.timeout, Duration::from_secs(5));

    let flags = Flags {
        profile: Some("flag".into()),
        base_url: Some("https://flag.example/".into()),
        store: Some(StoreChoice::Keyring),
        timeout: Some(Duration::from_secs(9)),
        verbose: true,
    };
    let ctx = resolve(flags, &vars).unwrap();
    assert_eq!(ctx.identity.profile, "flag");
    assert_eq!(ctx.identity.base_url.as_str(), "https://flag.example");
    assert_eq!(ctx.store, StoreChoice::Keyring);
    assert_eq!(ctx.api.timeout, Duration::from_secs(9));
    assert!(ctx.api.verbose);
}

#[test]
fn a_bad_variable_is_a_usage_error_that_names_it() {
    for (name, value) in [
        ("POINTAUTH_STORE", "vault"),
        ("POINTAUTH_TIMEOUT", "soon"),
        ("POINTAUTH_TIMEOUT", "0"),
        ("POINTAUTH_PROFILE", "../etc"),
        ("POINTAUTH_BASE_URL", "http://example.com"),
    ] {
        let err = resolve(Flags::default(), &env(&[(name, value)])).unwrap_err();
        assert_eq!(err.kind(), crate::error::Kind::Usage, "{name}={value}");
        if name != "POINTAUTH_PROFILE" && name != "POINTAUTH_BASE_URL" {
            assert!(err.message().contains(name), "{name}: {err}");
        }
    }
}

#[cfg(unix)]
#[test]
fn credentials_and_proxies_that_are_not_utf8_are_usage_errors_not_unset() {
    for name in ["POINTAUTH_USERNAME", "POINTAUTH_PASSWORD"] {
        let vars = env(&[]).with_raw(name, b"x\xffy");
        let err = resolve(Flags::default(), &vars).unwrap_err();
        assert_eq!(err.kind(), crate::error::Kind::Usage, "{name}");
        assert!(err.message().contains(name), "{name}: {err}");
    }
    // A proxy setting is reported by the first request, so offline commands still work.
    for name in ["HTTPS_PROXY", "no_proxy"] {
        let vars = env(&[]).with_raw(name, b"x\xffy");
        let ctx = resolve(Flags::default(), &vars).unwrap();
        let err = ctx.api.proxy.unwrap_err();
        assert_eq!(err.kind(), crate::error::Kind::Usage, "{name}");
        assert!(err.message().contains(name), "{name}: {err}");
    }
}

#[test]
fn env_credentials_need_both_variables_and_usernames_are_trimmed() {
    let ctx = resolve(Flags::default(), &env(&[("POINTAUTH_USERNAME", " alice ")])).unwrap();
    assert_eq!(ctx.identity.username.as_deref(), Some("alice"));
    assert!(ctx.credentials.is_none());
    let ctx = resolve(
        Flags::default(),
        &env(&[
            ("POINTAUTH_USERNAME", "alice"),
            ("POINTAUTH_PASSWORD", " pw "),
        ]),
    )
    .unwrap();
    let credentials = ctx.credentials.unwrap();
    assert_eq!(
        credentials.password.expose(),
        " pw ",
        "passwords are verbatim"
    );
    assert!(!format!("{credentials:?}").contains("pw "));
}

#[test]
fn xdg_directories_are_enough_without_a_home() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let state = dir.path().join("s");
    let vars = Env::from_pairs(&[
        ("XDG_DATA_HOME", data.to_str().unwrap()),
        ("XDG_STATE_HOME", state.to_str().unwrap()),
    ]);
    let ctx = resolve(Flags::default(), &vars).unwrap();
    assert_eq!(ctx.stores.paths().unwrap().data, data.join("pointauth"));
    assert_eq!(ctx.stores.paths().unwrap().state, state.join("pointauth"));
}
