//! The prompts without Unix terminals: the line on standard error and input, the password
//! through `rpassword`, as pointauth did before it read `/dev/tty` itself.

use std::io::{self, Write};

use zeroize::Zeroizing;

use super::{Echo, PromptError};

pub(super) fn read(prompt: &str, echo: Echo) -> Result<Zeroizing<Vec<u8>>, PromptError> {
    let line = match echo {
        Echo::Off => rpassword::prompt_password(prompt)?,
        Echo::On => {
            let mut stderr = io::stderr();
            let _ = write!(stderr, "{prompt}");
            let _ = stderr.flush();
            let mut line = String::new();
            if io::stdin().read_line(&mut line)? == 0 {
                return Err(PromptError::Cancelled);
            }
            line
        }
    };
    let mut bytes = Zeroizing::new(line.into_bytes());
    while bytes
        .last()
        .is_some_and(|byte| matches!(byte, b'\r' | b'\n'))
    {
        bytes.pop();
    }
    Ok(bytes)
}
