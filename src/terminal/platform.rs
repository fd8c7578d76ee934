//! The prompts on Unix: `/dev/tty` read a byte at a time, the keys handled here (see
//! `terminal.rs`), the settings put back on every way out.

use std::fs::File;
use std::io::{self, Read, Write};

use rustix::process::{Signal, kill_current_process_group};
use rustix::termios::{
    LocalModes, OptionalActions, SpecialCodeIndex, Termios, tcgetattr, tcsetattr,
};
use zeroize::Zeroizing;

use super::{Echo, MAX_LINE, PromptError};

/// Moves the cursor back over one character and blanks it.
const RUB_OUT: &[u8] = b"\x08 \x08";

pub(super) fn read(prompt: &str, echo: Echo) -> Result<Zeroizing<Vec<u8>>, PromptError> {
    let tty = Tty::open().map_err(PromptError::NoTerminal)?;
    let keys = Keys::of(&tty.original);
    let mut line = Line::new();
    // The mode is set before the prompt shows: nothing typed after it appears is echoed.
    tty.prompt_mode()?;
    tty.write(prompt.as_bytes())?;
    loop {
        match keys.key(tty.read_byte()?) {
            Key::Enter => {
                tty.write(b"\n")?;
                return Ok(line.into_bytes());
            }
            // The line ends on the screen; `tty` puts the settings back as it drops.
            Key::Interrupt => {
                let _ = tty.write(b"\n");
                return Err(PromptError::Interrupted);
            }
            Key::Eof => {
                let _ = tty.write(b"\n");
                return Err(PromptError::Cancelled);
            }
            Key::Suspend => {
                tty.suspend()?;
                tty.write(b"\r")?;
                tty.write(prompt.as_bytes())?;
                if echo == Echo::On {
                    tty.write(line.bytes())?;
                }
            }
            Key::Erase => {
                if line.erase() && echo == Echo::On {
                    tty.write(RUB_OUT)?;
                }
            }
            Key::Kill => {
                let erased = line.clear();
                if echo == Echo::On {
                    tty.write(&RUB_OUT.repeat(erased))?;
                }
            }
            Key::Text(byte) => {
                if !line.push(byte) {
                    tty.write(b"\x07")?; // full: the bell, as a full canonical line rings it
                } else if echo == Echo::On {
                    tty.write(&[byte])?;
                }
            }
            Key::Other => {}
        }
    }
}

/// The terminal, and its settings as found: they are put back when this drops, however
/// the prompt ends (an answer, a key, an error).
struct Tty {
    file: File,
    original: Termios,
}

impl Tty {
    fn open() -> io::Result<Tty> {
        let file = File::options().read(true).write(true).open("/dev/tty")?;
        let original = tcgetattr(&file)?;
        Ok(Tty { file, original })
    }

    /// One byte at a time, no echo, and the signal keys arrive as bytes (ISIG off), so a
    /// Ctrl-C can put the settings back before pointauth exits.
    fn prompt_mode(&self) -> io::Result<()> {
        let mut mode = self.original.clone();
        mode.local_modes.remove(
            LocalModes::ECHO
                | LocalModes::ECHONL
                | LocalModes::ICANON
                | LocalModes::ISIG
                | LocalModes::IEXTEN,
        );
        mode.special_codes[SpecialCodeIndex::VMIN] = 1;
        mode.special_codes[SpecialCodeIndex::VTIME] = 0;
        Ok(tcsetattr(&self.file, OptionalActions::Now, &mode)?)
    }

    fn restore(&self) -> io::Result<()> {
        Ok(tcsetattr(&self.file, OptionalActions::Now, &self.original)?)
    }

    /// Ctrl-Z: gives the terminal back as it was found, then stops the way the terminal's
    /// own Ctrl-Z would have: SIGTSTP to the process group (us, and the rest of the job
    /// if pointauth runs in a pipeline or a script, so the shell sees the job stopped).
    /// `kill` returns once the job is continued (`fg`), and the prompt's mode is set
    /// again. (In an orphaned process group, with no shell to continue it, the kernel
    /// discards the stop and the prompt simply goes on.)
    fn suspend(&self) -> io::Result<()> {
        self.restore()?;
        kill_current_process_group(Signal::TSTP)?;
        self.prompt_mode()
    }

    /// The next byte typed. A terminal that is gone cancels the prompt: one hung up reads
    /// as the end of file, one whose other end closed (a terminal emulator that died)
    /// answers EIO.
    fn read_byte(&self) -> Result<u8, PromptError> {
        let mut byte = [0];
        match (&self.file).read_exact(&mut byte) {
            Ok(()) => Ok(byte[0]),
            Err(err)
                if err.kind() == io::ErrorKind::UnexpectedEof
                    || err.raw_os_error() == Some(rustix::io::Errno::IO.raw_os_error()) =>
            {
                Err(PromptError::Cancelled)
            }
            Err(err) => Err(err.into()),
        }
    }

    fn write(&self, bytes: &[u8]) -> io::Result<()> {
        (&self.file).write_all(bytes)
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        let _ = self.restore();
    }
}

/// What a byte typed means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Enter,
    Erase,
    Kill,
    Interrupt,
    Eof,
    Suspend,
    Text(u8),
    Other,
}

/// The terminal's special characters (`stty -a`), so the keys do what the user set.
#[derive(Clone, Copy, Debug)]
struct Keys {
    interrupt: u8,
    eof: u8,
    suspend: u8,
    erase: u8,
    kill: u8,
}

impl Keys {
    fn of(settings: &Termios) -> Keys {
        let code = |index| settings.special_codes[index];
        Keys {
            interrupt: code(SpecialCodeIndex::VINTR),
            eof: code(SpecialCodeIndex::VEOF),
            suspend: code(SpecialCodeIndex::VSUSP),
            erase: code(SpecialCodeIndex::VERASE),
            kill: code(SpecialCodeIndex::VKILL),
        }
    }

    fn key(&self, byte: u8) -> Key {
        // A special character switched off (`stty susp undef`) is _POSIX_VDISABLE: 0 on
        // Linux, 0xff on the BSDs and macOS. Neither is a key anyone types.
        let is = |special: u8| byte == special && special != 0 && special != 0xff;
        match byte {
            b'\r' | b'\n' => Key::Enter,
            _ if is(self.interrupt) => Key::Interrupt,
            _ if is(self.eof) => Key::Eof,
            _ if is(self.suspend) => Key::Suspend,
            _ if is(self.kill) => Key::Kill,
            // Backspace sends DEL or ^H depending on the terminal: both erase.
            0x08 | 0x7f => Key::Erase,
            _ if is(self.erase) => Key::Erase,
            0x00..=0x1f => Key::Other,
            _ => Key::Text(byte),
        }
    }
}

/// The line typed so far, zeroed when dropped, in a buffer that never grows (see
/// `MAX_LINE`).
struct Line(Zeroizing<Vec<u8>>);

impl Line {
    fn new() -> Line {
        Line(Zeroizing::new(Vec::with_capacity(MAX_LINE)))
    }

    /// Adds a byte; false, and nothing added, when the line is full.
    fn push(&mut self, byte: u8) -> bool {
        if self.0.len() >= MAX_LINE {
            return false;
        }
        self.0.push(byte);
        true
    }

    /// Erases the last character, all of its UTF-8 bytes; false when there was none.
    fn erase(&mut self) -> bool {
        if self.0.is_empty() {
            return false;
        }
        // A character starts at a byte that is not a continuation byte (0b10xx_xxxx).
        let start = self.0.iter().rposition(|byte| !is_continuation(*byte));
        self.0.truncate(start.unwrap_or(0));
        true
    }

    /// Erases the whole line; how many characters it had.
    fn clear(&mut self) -> usize {
        let characters = self
            .0
            .iter()
            .filter(|byte| !is_continuation(**byte))
            .count();
        self.0.clear();
        characters
    }

    fn bytes(&self) -> &[u8] {
        &self.0
    }

    fn into_bytes(self) -> Zeroizing<Vec<u8>> {
        self.0
    }
}

fn is_continuation(byte: u8) -> bool {
    byte & 0xc0 == 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &Keys, input: &[u8]) -> Vec<u8> {
        let mut line = Line::new();
        for &byte in input {
            match keys.key(byte) {
                Key::Text(byte) => assert!(line.push(byte)),
                Key::Erase => {
                    line.erase();
                }
                Key::Kill => {
                    line.clear();
                }
                _ => {}
            }
        }
        line.bytes().to_vec()
    }

    const STANDARD: Keys = Keys {
        interrupt: 0x03,
        eof: 0x04,
        suspend: 0x1a,
        erase: 0x7f,
        kill: 0x15,
    };

    #[test]
    fn backspace_erases_a_whole_utf8_character_and_ctrl_u_the_line() {
        assert_eq!(
            typed(&STANDARD, "pässwörö\x7fd".as_bytes()),
            "pässwörd".as_bytes()
        );
        assert_eq!(typed(&STANDARD, "€\x08x".as_bytes()), b"x");
        assert_eq!(typed(&STANDARD, b"garbage\x15pw"), b"pw");
        assert_eq!(typed(&STANDARD, b"\x7f\x7fa"), b"a");
        assert_eq!(typed(&STANDARD, b"a\x1b\x01b\tc"), b"abc");
    }

    #[test]
    fn the_keys_are_the_terminals_and_a_disabled_one_is_no_key() {
        assert_eq!(STANDARD.key(0x03), Key::Interrupt);
        assert_eq!(STANDARD.key(0x04), Key::Eof);
        assert_eq!(STANDARD.key(0x1a), Key::Suspend);
        assert_eq!(STANDARD.key(b'\r'), Key::Enter);
        assert_eq!(STANDARD.key(b'\n'), Key::Enter);
        let moved = Keys {
            interrupt: 0x18,
            suspend: 0,
            ..STANDARD
        };
        assert_eq!(moved.key(0x18), Key::Interrupt);
        // `stty erase ^W`: that key erases too, besides the two Backspaces.
        let erase = Keys {
            erase: 0x17,
            ..STANDARD
        };
        assert_eq!(typed(&erase, b"ab\x17c\x7fd"), b"ad");
        assert_eq!(moved.key(0x03), Key::Other);
        assert_eq!(moved.key(0x1a), Key::Other);
        assert_eq!(moved.key(0), Key::Other);
    }

    #[test]
    fn a_full_line_takes_no_more_and_never_reallocates() {
        let mut line = Line::new();
        let capacity = line.0.capacity();
        let taken = (0..2 * MAX_LINE).take_while(|_| line.push(b'x')).count();
        assert_eq!(taken, MAX_LINE);
        assert_eq!(line.bytes().len(), MAX_LINE);
        assert_eq!(line.0.capacity(), capacity);
        assert_eq!(line.clear(), MAX_LINE);
    }
}
