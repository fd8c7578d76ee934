//! The one error type: what failed, why, which exit code it means, and the hint that names the fix.

use std::fmt;
use std::process::ExitCode;

/// The contract's exit codes, as a closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 1: store unusable, I/O error, a bug.
    Internal,
    /// 2: bad option or environment, no credential source.
    Usage,
    /// 3: not logged in, or the session ended.
    Session,
    /// 4: the service rejected the credentials.
    Credentials,
    /// 5: the service could not be reached or answered badly.
    Service,
}

impl Kind {
    pub fn from_code(code: u8) -> Option<Kind> {
        [
            Kind::Internal,
            Kind::Usage,
            Kind::Session,
            Kind::Credentials,
            Kind::Service,
        ]
        .into_iter()
        .find(|kind| kind.code() == code)
    }

    pub fn code(self) -> u8 {
        match self {
            Kind::Internal => 1,
            Kind::Usage => 2,
            Kind::Session => 3,
            Kind::Credentials => 4,
            Kind::Service => 5,
        }
    }
}

/// A failure ready to be shown to the user. Messages never contain a secret:
/// they are built from names, paths, HTTP statuses and sanitised server codes.
#[derive(Clone, Debug)]
pub struct Error {
    kind: Kind,
    message: String,
    causes: Vec<String>,
    hint: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            causes: Vec::new(),
            hint: None,
        }
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(Kind::Internal, message)
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Kind::Usage, message)
    }

    pub fn session(message: impl Into<String>) -> Self {
        Self::new(Kind::Session, message)
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds an underlying cause, shown on its own line after the message.
    pub fn cause(mut self, cause: impl fmt::Display) -> Self {
        self.causes.push(cause.to_string());
        self
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.kind.code())
    }

    /// Prints the error to stderr: one line first, then causes, then the hint.
    pub fn report(&self) {
        crate::say!("{self}");
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pointauth: {}", self.message)?;
        for cause in &self.causes {
            write!(f, "\n  caused by: {cause}")?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// The way out of a damaged stored entry, for the hint.
pub fn recovery_hint(profile: &str) -> String {
    format!(
        "run `pointauth --profile {profile} logout` to remove it, or `pointauth --profile {profile} login` to replace it"
    )
}

/// Wraps an I/O failure on a named path as an internal error.
pub fn io_error(what: impl fmt::Display, err: std::io::Error) -> Error {
    Error::internal(what.to_string()).cause(err)
}
