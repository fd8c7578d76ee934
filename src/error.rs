//! The one error type a command returns: what failed, the exit code it means, the hint that
//! names the fix, and the causes below it as a `std::error::Error` source chain.

use std::fmt;
use std::process::ExitCode;
use std::sync::Arc;

/// The contract's exit codes, as a closed set. [`Kind::ALL`] is the table the docs are
/// generated from (README, `--help`, man pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 1: store unusable, I/O error, unsafe file or directory, a bug.
    Internal,
    /// 2: bad option or environment, no credential source.
    Usage,
    /// 3: not logged in, or the session ended.
    Session,
    /// 4: the service rejected the credentials.
    Credentials,
    /// 5: the service could not be reached or answered badly.
    Service,
    /// 6: `api` only: the service answered the request with an error status.
    Answered,
    /// 130: interrupted at a prompt (Ctrl-C), as a shell reports a command killed by SIGINT.
    Interrupted,
}

impl Kind {
    /// Every kind, in exit-code order.
    pub(crate) const ALL: [Kind; 7] = [
        Kind::Internal,
        Kind::Usage,
        Kind::Session,
        Kind::Credentials,
        Kind::Service,
        Kind::Answered,
        Kind::Interrupted,
    ];

    pub(crate) const fn code(self) -> u8 {
        match self {
            Kind::Internal => 1,
            Kind::Usage => 2,
            Kind::Session => 3,
            Kind::Credentials => 4,
            Kind::Service => 5,
            Kind::Answered => 6,
            Kind::Interrupted => 130,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// What the exit code means, for the docs' table.
    pub(crate) const fn meaning(self) -> &'static str {
        match self {
            Kind::Internal => {
                "unexpected failure (store unusable, I/O error, unsafe file or directory, bug)"
            }
            Kind::Usage => "usage error, bad option or environment, no credential source",
            Kind::Session => "not logged in, or the session expired or was revoked",
            Kind::Credentials => {
                "the service rejected the credentials (wrong password, unknown or disabled user)"
            }
            Kind::Service => {
                "the service could not be reached or answered badly (network, timeout, 5xx, 429 after retries, malformed answer)"
            }
            Kind::Answered => {
                "`api` only: the service answered the request with an error status (4xx other than 401, a redirect not followed)"
            }
            Kind::Interrupted => "interrupted at a prompt (Ctrl-C)",
        }
    }

    /// The usual way out, for the docs' table.
    pub(crate) const fn typical_fix(self) -> &'static str {
        match self {
            Kind::Internal => "read the message",
            Kind::Usage => "fix the command",
            Kind::Session => "`pointauth login`",
            Kind::Credentials => "check them",
            Kind::Service => "retry later",
            Kind::Answered => "read the answer",
            Kind::Interrupted => "",
        }
    }
}

type Source = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// A failure ready to be shown to the user. Messages never contain a secret: they are built
/// from names, paths, HTTP statuses and sanitised server codes.
#[derive(Clone)]
pub(crate) struct Error {
    kind: Kind,
    message: String,
    hint: Option<String>,
    source: Option<Source>,
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            hint: None,
            source: None,
        }
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(Kind::Internal, message)
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub(crate) fn session(message: impl Into<String>) -> Self {
        Self::new(Kind::Session, message)
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Sets the underlying cause, shown on its own line after the message.
    pub(crate) fn because(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    pub(crate) fn kind(&self) -> Kind {
        self.kind
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    pub(crate) fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.kind.code())
    }

    /// The text shown on stderr: `pointauth: <message>`, each cause, then the hint.
    pub(crate) fn report_text(&self) -> String {
        let mut text = format!("pointauth: {}", self.message);
        let mut cause = std::error::Error::source(self);
        while let Some(err) = cause {
            text.push_str(&format!("\n  caused by: {err}"));
            cause = err.source();
        }
        if let Some(hint) = &self.hint {
            text.push_str(&format!("\n  hint: {hint}"));
        }
        text
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("hint", &self.hint)
            .field("source", &self.source.as_ref().map(ToString::to_string))
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// The way out of a damaged stored entry, for the hint.
pub(crate) fn recovery_hint(profile: &str) -> String {
    format!(
        "run `pointauth --profile {profile} logout` to remove it, or `pointauth --profile {profile} login` to replace it"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Leaf;
    impl fmt::Display for Leaf {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("the leaf cause")
        }
    }
    impl std::error::Error for Leaf {}

    #[test]
    fn the_report_shows_the_message_every_cause_and_the_hint() {
        let middle = Error::internal("cannot read the file").because(Leaf);
        let top = Error::internal("the session is unusable")
            .because(middle)
            .hint("run `pointauth login`");
        assert_eq!(
            top.report_text(),
            "pointauth: the session is unusable\n  caused by: cannot read the file\n  \
             caused by: the leaf cause\n  hint: run `pointauth login`"
        );
        assert_eq!(top.to_string(), "the session is unusable");
        assert!(std::error::Error::source(&top).is_some());
    }

    #[test]
    fn exit_codes_are_the_contracts_and_round_trip() {
        let codes: Vec<u8> = Kind::ALL.iter().map(|kind| kind.code()).collect();
        assert_eq!(codes, [1, 2, 3, 4, 5, 6, 130]);
        for kind in Kind::ALL {
            assert_eq!(Kind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(Kind::from_code(0), None);
        assert_eq!(Kind::from_code(7), None);
    }
}
