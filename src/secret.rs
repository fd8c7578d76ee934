//! `Secret<T>`: a value that never prints itself and is zeroed when dropped. Only the code
//! that must send or show a token calls `expose`.
//!
//! There is deliberately no `Display`: `format!("Bearer {token}")` does not compile, so a
//! secret can only reach text through an explicit `expose()` (as cargo's `Secret` does).

use std::fmt;

use zeroize::Zeroize;

#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct Secret<T: Zeroize>(T);

impl<T: Zeroize> Secret<T> {
    pub(crate) fn new(value: T) -> Self {
        Secret(value)
    }

    pub(crate) fn expose(&self) -> &T {
        &self.0
    }
}

impl<T: Zeroize> Drop for Secret<T> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl<T: Zeroize> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Secret<String> {
    /// `value` as JSON. A `String` that grows leaves its old buffer behind unzeroed, with
    /// whatever secret it held so far; this text is written where each growth zeroes the
    /// buffer it leaves, so no copy of it is ever freed unzeroed.
    pub(crate) fn json(value: &impl serde::Serialize) -> Secret<String> {
        let mut out = Wiping(Vec::new());
        // Writing plain data to memory cannot fail; an empty text would be refused where it
        // is read, never mistaken for a session or a request.
        if serde_json::to_writer(&mut out, value).is_err() {
            out.0.zeroize();
            return Secret(String::new());
        }
        match String::from_utf8(std::mem::take(&mut out.0)) {
            Ok(text) => Secret(text),
            // serde_json writes only UTF-8; were it not, the bytes are zeroed all the same.
            Err(err) => {
                err.into_bytes().zeroize();
                Secret(String::new())
            }
        }
    }
}

/// A buffer that zeroes what it leaves behind whenever it grows. Its text is taken whole
/// (or zeroed, should serialising fail), so it never drops anything of its own.
struct Wiping(Vec<u8>);

impl std::io::Write for Wiping {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.0.capacity() - self.0.len() < bytes.len() {
            let needed = self.0.len() + bytes.len();
            let mut grown = Vec::with_capacity(needed.max(self.0.capacity() * 2).max(256));
            grown.extend_from_slice(&self.0);
            self.0.zeroize();
            self.0 = grown;
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2".to_string());
        assert_eq!(format!("{secret:?}"), "[redacted]");
        assert_eq!(format!("{:?}", Some(&secret)), "Some([redacted])");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn a_secret_is_zeroed_before_its_memory_is_freed() {
        let freed = crate::freed::freed_holding(b"hunter2", || {
            drop(Secret::new("hunter2".to_string()));
        });
        assert_eq!(freed, 0);
    }

    #[test]
    fn json_text_leaves_no_copy_behind_as_it_grows() {
        // Long enough to make the buffer grow several times, as a long token does.
        let long = format!("{}hunter2", "x".repeat(5000));
        let freed = crate::freed::freed_holding(b"hunter2", || {
            let text = Secret::json(&[("password", long.as_str()), ("after", "y")]);
            assert_eq!(
                text.expose().len(),
                r#"[["password",""],["after","y"]]"#.len() + long.len()
            );
            assert!(text.expose().contains(&long));
        });
        assert_eq!(freed, 0);
        // The same text through serde_json's own String would leave copies.
        let freed = crate::freed::freed_holding(b"hunter2", || {
            let text = Secret::new(serde_json::to_string(&[("password", long.as_str())]).unwrap());
            drop(text);
        });
        assert!(freed > 0, "the check sees what a growing String leaves");
    }
}
