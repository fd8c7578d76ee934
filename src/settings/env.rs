//! The environment, read once: a snapshot of the process's variables that everything else
//! is handed (tests build their own), and the one table of the variables pointauth uses,
//! which the docs are generated from.
#![allow(clippy::disallowed_methods)] // the one reader of the environment

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use crate::error::{Error, Result};

/// A variable pointauth reads (or, for the child of `exec`, sets), for the docs.
#[derive(Clone, Copy, Debug)]
pub struct Variable {
    pub name: &'static str,
    pub meaning: &'static str,
}

/// Every variable pointauth reads or sets: README, `--help` and the man pages show this table.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "POINTAUTH_PROFILE",
        meaning: "The profile, as --profile (default `default`).",
    },
    Variable {
        name: "POINTAUTH_BASE_URL",
        meaning: "The service's base URL, as --base-url (default: the profile's remembered one, \
                  else https://api.pointservices.com).",
    },
    Variable {
        name: "POINTAUTH_STORE",
        meaning: "Where secrets live, as --store: auto, keyring, kernel or file.",
    },
    Variable {
        name: "POINTAUTH_TIMEOUT",
        meaning: "The longest a command spends on the network in all, as --timeout (default \
                  30 s): attempts, backoff and Retry-After waits share it.",
    },
    Variable {
        name: "POINTAUTH_USERNAME",
        meaning: "The username for login, and for signing in without a prompt when token, \
                  refresh or exec find no usable session. A stored session for another user is \
                  not used.",
    },
    Variable {
        name: "POINTAUTH_PASSWORD",
        meaning: "The password for signing in without a prompt: login without a terminal, and \
                  token, refresh or exec when they find no usable session. It is never stored.",
    },
    Variable {
        name: "POINTAUTH_ACCESS_TOKEN",
        meaning: "Set by exec, for the command it runs, to a fresh access token.",
    },
    Variable {
        name: "POINTAUTH_ACCESS_TOKEN_EXPIRES_AT",
        meaning: "Set by exec beside POINTAUTH_ACCESS_TOKEN: when that token expires, in RFC \
                  3339 and UTC (2026-12-02T13:00:00Z).",
    },
    Variable {
        name: "POINTAUTH_TOKEN_FILE, BEARER_TOKEN_FILE",
        meaning: "Set by exec --token-file, for the command it runs, to the file that always \
                  holds a fresh access token (the token alone, no newline). BEARER_TOKEN_FILE is \
                  the WLCG convention; BEARER_TOKEN, which WLCG readers look at first, is \
                  removed.",
    },
    Variable {
        name: "HTTPS_PROXY, ALL_PROXY, NO_PROXY",
        meaning: "The proxy for requests to the service: HTTPS_PROXY or ALL_PROXY (the \
                  lower-case names work too). NO_PROXY lists the hosts reached directly.",
    },
    Variable {
        name: "SSL_CERT_FILE, SSL_CERT_DIR",
        meaning: "On Linux, the CA certificates to trust instead of the system's, e.g. a \
                  corporate CA bundle. macOS and Windows use the system trust store.",
    },
    Variable {
        name: "XDG_DATA_HOME, XDG_STATE_HOME",
        meaning: "Where the files live on Linux; see FILES.",
    },
    Variable {
        name: "XDG_RUNTIME_DIR",
        meaning: "Where exec --token-file keeps its token file, when it is set and exists; else \
                  under XDG_STATE_HOME.",
    },
    Variable {
        name: "DBUS_SESSION_BUS_ADDRESS",
        meaning: "On Linux, the session bus on which the Secret Service (e.g. gnome-keyring) is \
                  found. Without one, --store auto uses the kernel keyring, or where the kernel \
                  refuses keyring calls, the file store.",
    },
];

/// The environment pointauth runs in: the process's own, read a variable at a time when
/// asked (the cached `token` path reads a handful of the dozens a shell sets), or, in tests,
/// a fixed set.
#[derive(Clone, Debug)]
pub(crate) struct Env {
    /// `None`: the process's environment.
    fixed: Option<BTreeMap<OsString, OsString>>,
}

impl Env {
    pub(crate) fn from_process() -> Env {
        Env { fixed: None }
    }

    #[cfg(test)]
    pub(crate) fn from_pairs(pairs: &[(&str, &str)]) -> Env {
        Env {
            fixed: Some(
                pairs
                    .iter()
                    .map(|(k, v)| (OsString::from(k), OsString::from(v)))
                    .collect(),
            ),
        }
    }

    #[cfg(all(test, unix))]
    pub(crate) fn with_raw(mut self, name: &str, value: &[u8]) -> Env {
        use std::os::unix::ffi::OsStrExt;
        self.fixed
            .get_or_insert_with(BTreeMap::new)
            .insert(name.into(), OsStr::from_bytes(value).to_owned());
        self
    }

    pub(crate) fn os(&self, name: &str) -> Option<OsString> {
        match &self.fixed {
            None => std::env::var_os(name),
            Some(vars) => vars.get(OsStr::new(name)).cloned(),
        }
    }

    /// A variable's text; `None` when unset or empty. A value that is not UTF-8 is a usage
    /// error naming the variable (never its value), not a silent "unset".
    pub(crate) fn text(&self, name: &str) -> Result<Option<String>> {
        match self.os(name) {
            None => Ok(None),
            Some(value) if value.is_empty() => Ok(None),
            Some(value) => value.into_string().map(Some).map_err(|_| {
                Error::usage(format!("{name} is not valid UTF-8 text"))
                    .hint(format!("set {name} to plain text, or unset it"))
            }),
        }
    }

    /// An absolute directory from a variable (the XDG rule: relative values are ignored).
    pub(crate) fn dir(&self, name: &str) -> Option<PathBuf> {
        self.os(name)
            .filter(|value| !value.is_empty())
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    }

    /// `$HOME`, or the passwd entry's home directory.
    pub(crate) fn home(&self) -> Option<PathBuf> {
        let home = match &self.fixed {
            None => std::env::home_dir(),
            Some(vars) => vars.get(OsStr::new("HOME")).map(PathBuf::from),
        };
        home.filter(|home| !home.as_os_str().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_unset_and_text_is_text() {
        let env = Env::from_pairs(&[("A", "x"), ("B", "")]);
        assert_eq!(env.text("A").unwrap().as_deref(), Some("x"));
        assert_eq!(env.text("B").unwrap(), None);
        assert_eq!(env.text("C").unwrap(), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_value_that_is_not_utf8_is_a_usage_error_that_names_the_variable() {
        let env = Env::from_pairs(&[]).with_raw("POINTAUTH_PASSWORD", b"hunter\xff22");
        let err = env.text("POINTAUTH_PASSWORD").unwrap_err();
        assert_eq!(err.kind(), crate::error::Kind::Usage);
        assert!(err.message().contains("POINTAUTH_PASSWORD"), "{err}");
        assert!(!err.report_text().contains("hunter"), "{err:?}");
    }

    #[test]
    fn directories_must_be_absolute() {
        let env = Env::from_pairs(&[("XDG_DATA_HOME", "rel/x"), ("XDG_STATE_HOME", "/s")]);
        assert_eq!(env.dir("XDG_DATA_HOME"), None);
        assert_eq!(env.dir("XDG_STATE_HOME"), Some(PathBuf::from("/s")));
    }

    #[test]
    fn every_pointauth_variable_in_the_code_is_in_the_table() {
        let documented: Vec<&str> = VARIABLES.iter().flat_map(|v| v.name.split(", ")).collect();
        for name in [
            "POINTAUTH_PROFILE",
            "POINTAUTH_BASE_URL",
            "POINTAUTH_STORE",
            "POINTAUTH_TIMEOUT",
            "POINTAUTH_USERNAME",
            "POINTAUTH_PASSWORD",
            "POINTAUTH_ACCESS_TOKEN",
            "HTTPS_PROXY",
            "NO_PROXY",
            "XDG_DATA_HOME",
            "XDG_STATE_HOME",
        ] {
            assert!(documented.contains(&name), "{name}");
        }
    }
}
