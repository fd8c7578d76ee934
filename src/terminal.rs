//! Prompts on the controlling terminal, `/dev/tty`: a line typed in view (a username) or
//! hidden (a password), never on standard input or standard error.
//!
//! On Unix the terminal is read a byte at a time in non-canonical mode with its signal keys
//! off, so that the keys are ours to handle and the terminal's own settings are put back on
//! every way out: Enter ends the line; Backspace (DEL or `^H`, or `stty erase`) erases a
//! character, all of its UTF-8 bytes; the `stty kill` key (Ctrl-U) erases the line; the
//! `stty intr` key (Ctrl-C) interrupts; `stty eof` (Ctrl-D) cancels; `stty susp` (Ctrl-Z)
//! suspends, and `fg` shows the prompt again, in the same mode, with what was typed kept.
//! Other control characters are ignored.

use std::io;

use zeroize::Zeroizing;

use crate::secret::Secret;

/// The longest line a prompt takes, in bytes. Its buffer is allocated at this size once and
/// never grows: a reallocation would leave a copy of the password behind, never zeroed.
const MAX_LINE: usize = 4096;

/// Why a prompt gave no answer.
#[derive(Debug)]
pub(crate) enum PromptError {
    /// There is no controlling terminal to prompt on.
    NoTerminal(io::Error),
    /// Ctrl-C: the terminal is as it was; the caller exits 130.
    Interrupted,
    /// Ctrl-D, or the terminal hung up: nothing was answered.
    Cancelled,
    /// What was typed is not UTF-8 text.
    NotUtf8,
    /// Reading or writing the terminal failed.
    Io(io::Error),
}

impl From<io::Error> for PromptError {
    fn from(err: io::Error) -> Self {
        PromptError::Io(err)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Echo {
    On,
    Off,
}

/// Asks for a line and shows what is typed (a username).
pub(crate) fn read_line(prompt: &str) -> Result<String, PromptError> {
    let mut bytes = platform::read(prompt, Echo::On)?;
    String::from_utf8(std::mem::take(&mut *bytes)).map_err(|_| PromptError::NotUtf8)
}

/// Asks for a secret and shows nothing of it. The bytes typed live in one zeroed buffer,
/// which becomes the secret's own.
pub(crate) fn read_secret(prompt: &str) -> Result<Secret<String>, PromptError> {
    let mut bytes = platform::read(prompt, Echo::Off)?;
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Secret::new(text)),
        Err(err) => {
            drop(Zeroizing::new(err.into_bytes()));
            Err(PromptError::NotUtf8)
        }
    }
}

// Unix: `/dev/tty` in non-canonical mode. Elsewhere: standard error and input.
#[cfg_attr(not(unix), path = "terminal/platform_portable.rs")]
mod platform;
