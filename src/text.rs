//! Text from outside (the service, token claims, file names) made fit to show: control and
//! Unicode format characters removed, cut to a readable length, and echoes of secrets redacted.

/// Shown text is cut to about this many characters.
pub(crate) const MAX_SHOWN: usize = 200;

/// Text fit for a terminal: no control characters (no escape sequences), cut to ~200
/// characters with a trailing `…`.
pub(crate) fn sanitize(text: &str) -> String {
    let mut clean: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_SHOWN + 1)
        .collect();
    if clean.chars().count() > MAX_SHOWN {
        clean = clean.chars().take(MAX_SHOWN).collect();
        clean.push('…');
    }
    clean
}

/// `text` with every occurrence of `secret` replaced by `[redacted]`.
pub(crate) fn redact(text: &str, secret: &str) -> String {
    if secret.is_empty() || !text.contains(secret) {
        return text.to_owned();
    }
    text.replace(secret, "[redacted]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_stripped_and_long_text_is_cut() {
        assert_eq!(sanitize("a\u{1b}[31mb\nc"), "a[31mbc");
        let long = "x".repeat(10_000);
        let cut = sanitize(&long);
        assert_eq!(cut.chars().count(), MAX_SHOWN + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(sanitize(&"y".repeat(MAX_SHOWN)), "y".repeat(MAX_SHOWN));
    }

    #[test]
    fn a_secret_in_text_is_redacted() {
        assert_eq!(
            redact("bad password hunter22", "hunter22"),
            "bad password [redacted]"
        );
        assert_eq!(redact("nothing here", "hunter22"), "nothing here");
        assert_eq!(redact("empty secret", ""), "empty secret");
    }
}
