//! Text from outside (the service, token claims, file names) made fit to show: control and
//! Unicode format characters removed, echoes of the request's secrets redacted, and cut to a
//! readable length.

use std::collections::HashSet;
use std::hash::{BuildHasher, RandomState};

use zeroize::Zeroize;

/// Shown text is cut to about this many characters.
pub(crate) const MAX_SHOWN: usize = 200;

/// A run of this many characters of a secret is redacted wherever it appears: a server that
/// echoes a secret minus a character or two must not show the rest.
const FRAGMENT: usize = 8;

const REDACTED: &str = "[redacted]";

/// General category Cf (format characters: bidi embeddings, overrides and isolates,
/// zero-width spaces and joiners, the BOM, the soft hyphen, tags...), from the Unicode
/// Character Database's `DerivedGeneralCategory.txt`, Unicode 18.0.0 (170 code points, the
/// same set since Unicode 15.0). A table rather than a crate: one category of 21 ranges that
/// changes once in years is not worth a dependency (std has no category lookup);
/// `format_table_is_sorted_and_disjoint` guards the search in `is_format`.
const FORMAT: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),   // SOFT HYPHEN
    ('\u{0600}', '\u{0605}'),   // ARABIC NUMBER SIGN..ARABIC NUMBER MARK ABOVE
    ('\u{061C}', '\u{061C}'),   // ARABIC LETTER MARK
    ('\u{06DD}', '\u{06DD}'),   // ARABIC END OF AYAH
    ('\u{070F}', '\u{070F}'),   // SYRIAC ABBREVIATION MARK
    ('\u{0890}', '\u{0891}'),   // ARABIC POUND MARK ABOVE..ARABIC PIASTRE MARK ABOVE
    ('\u{08E2}', '\u{08E2}'),   // ARABIC DISPUTED END OF AYAH
    ('\u{180E}', '\u{180E}'),   // MONGOLIAN VOWEL SEPARATOR
    ('\u{200B}', '\u{200F}'),   // ZERO WIDTH SPACE..RIGHT-TO-LEFT MARK
    ('\u{202A}', '\u{202E}'),   // LEFT-TO-RIGHT EMBEDDING..RIGHT-TO-LEFT OVERRIDE
    ('\u{2060}', '\u{2064}'),   // WORD JOINER..INVISIBLE PLUS
    ('\u{2066}', '\u{206F}'),   // LEFT-TO-RIGHT ISOLATE..NOMINAL DIGIT SHAPES
    ('\u{FEFF}', '\u{FEFF}'),   // ZERO WIDTH NO-BREAK SPACE
    ('\u{FFF9}', '\u{FFFB}'),   // INTERLINEAR ANNOTATION ANCHOR..TERMINATOR
    ('\u{110BD}', '\u{110BD}'), // KAITHI NUMBER SIGN
    ('\u{110CD}', '\u{110CD}'), // KAITHI NUMBER SIGN ABOVE
    ('\u{13430}', '\u{1343F}'), // EGYPTIAN HIEROGLYPH VERTICAL JOINER..END WALLED ENCLOSURE
    ('\u{1BCA0}', '\u{1BCA3}'), // SHORTHAND FORMAT LETTER OVERLAP..UP STEP
    ('\u{1D173}', '\u{1D17A}'), // MUSICAL SYMBOL BEGIN BEAM..END PHRASE
    ('\u{E0001}', '\u{E0001}'), // LANGUAGE TAG
    ('\u{E0020}', '\u{E007F}'), // TAG SPACE..CANCEL TAG
];

fn is_format(c: char) -> bool {
    let i = FORMAT.partition_point(|&(_, last)| last < c);
    FORMAT.get(i).is_some_and(|&(first, _)| first <= c)
}

/// Whether `c` may reach a terminal: no control character (escape sequences, line
/// rewriting) and no format character (text that reorders or hides what is shown).
fn shows(c: char) -> bool {
    !c.is_control() && !is_format(c)
}

/// Text fit for a terminal: no control or format characters, cut to ~200 characters with a
/// trailing `…`. For text that can carry no secret (claims, names); server text answering a
/// request goes through `Secrets::show`.
/// A URL fit to show: `user:password@` becomes `[redacted]@`. Everything up to the last `@`
/// after the scheme goes, so a password with an unencoded `/` or `@` in it goes too.
pub(crate) fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let shown = match rest.rfind('@') {
        Some(at) => format!("[redacted]{}", &rest[at..]),
        None => rest.to_owned(),
    };
    sanitize(&format!("{scheme}{shown}"))
}

pub(crate) fn sanitize(text: &str) -> String {
    cut(text.chars().filter(|&c| shows(c)))
}

fn cut(chars: impl Iterator<Item = char>) -> String {
    let mut chars = chars.peekable();
    let mut shown: String = chars.by_ref().take(MAX_SHOWN).collect();
    if chars.peek().is_some() {
        shown.push('…');
    }
    shown
}

/// The secrets sent in one request, ready to be found in whatever comes back. Built once per
/// answer (a 64 KiB secret's windows are not rebuilt for each field).
///
/// Windows are kept as hashes, not as a readable copy of the secrets (pointauth clears
/// secrets from its memory once used). A hash that collides can only redact too much.
pub(crate) struct Secrets {
    /// The multiplier of the rolling hash, random per run so a server cannot aim at it.
    key: u64,
    /// The hash of every `FRAGMENT`-character window of every form of every secret.
    windows: HashSet<u64>,
    /// Forms shorter than `FRAGMENT` (length, hash): only whole occurrences are redacted.
    short: Vec<(usize, u64)>,
}

impl Secrets {
    pub(crate) fn new(secrets: &[&str]) -> Secrets {
        let mut prepared = Secrets {
            key: RandomState::new().hash_one(0_u8) | 1,
            windows: HashSet::new(),
            short: Vec::new(),
        };
        for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
            for mut form in forms(secret) {
                // Each form as the text it would be found in looks once stripped.
                let mut stripped: Vec<char> = form.chars().filter(|&c| shows(c)).collect();
                let (mut folded, _) = fold(&stripped);
                if folded.len() >= FRAGMENT {
                    let windows = &mut prepared.windows;
                    rolling_hashes(&folded, FRAGMENT, prepared.key, |_, hash| {
                        windows.insert(hash);
                    });
                } else if !folded.is_empty() {
                    let mut hash = 0;
                    rolling_hashes(&folded, folded.len(), prepared.key, |_, h| hash = h);
                    if !prepared.short.contains(&(folded.len(), hash)) {
                        prepared.short.push((folded.len(), hash));
                    }
                }
                form.zeroize();
                stripped.zeroize();
                folded.zeroize();
            }
        }
        prepared
    }

    /// `text` fit to show: control and format characters stripped first (so that one placed
    /// inside an echo cannot hide it), every echo of a secret replaced by `[redacted]` (in any
    /// letter case, JSON-escaped, or a fragment of 8 characters or more; overlapping and
    /// adjacent echoes become one), then cut to ~200 characters.
    pub(crate) fn show(&self, text: &str) -> String {
        let stripped: Vec<char> = text.chars().filter(|&c| shows(c)).collect();
        let echoed = self.echoes(&stripped);
        let mut kept = Vec::with_capacity(MAX_SHOWN + 1);
        for (i, &c) in stripped.iter().enumerate() {
            if !echoed[i] {
                kept.push(c);
            } else if i == 0 || !echoed[i - 1] {
                kept.extend(REDACTED.chars());
            }
            if kept.len() > MAX_SHOWN {
                break;
            }
        }
        cut(kept.into_iter())
    }

    /// Whether `text` carries an echo of a secret that `show` would redact.
    pub(crate) fn echoed_in(&self, text: &str) -> bool {
        let stripped: Vec<char> = text.chars().filter(|&c| shows(c)).collect();
        self.echoes(&stripped).contains(&true)
    }

    /// For each char of `text`, whether it is part of an echo.
    fn echoes(&self, text: &[char]) -> Vec<bool> {
        let mut echoed = vec![false; text.len()];
        if self.windows.is_empty() && self.short.is_empty() {
            return echoed;
        }
        // Matching runs on the folded text; `origin` maps each folded char back to the char
        // it came from, so a match marks exactly the original chars it covers (a char whose
        // folding is longer than one char is marked whole when any of it matches).
        let (folded, origin) = fold(text);
        let mut mark = |start: usize, len: usize| {
            echoed[origin[start]..=origin[start + len - 1]].fill(true);
        };
        rolling_hashes(&folded, FRAGMENT, self.key, |start, hash| {
            if self.windows.contains(&hash) {
                mark(start, FRAGMENT);
            }
        });
        for &(len, short) in &self.short {
            rolling_hashes(&folded, len, self.key, |start, hash| {
                if hash == short {
                    mark(start, len);
                }
            });
        }
        echoed
    }
}

/// Calls `found(start, hash)` for every `len`-char window of `chars`, in order, with its
/// polynomial hash `Σ c[i]·key^(len-1-i)` (wrapping): each window costs O(1), whatever `len`.
fn rolling_hashes(chars: &[char], len: usize, key: u64, mut found: impl FnMut(usize, u64)) {
    if len == 0 || chars.len() < len {
        return;
    }
    let value = |c: char| u64::from(c);
    // key^(len-1): the weight of the char that leaves the window.
    let top = (1..len).fold(1_u64, |power, _| power.wrapping_mul(key));
    let mut hash = chars[..len].iter().fold(0_u64, |hash, &c| {
        hash.wrapping_mul(key).wrapping_add(value(c))
    });
    found(0, hash);
    for start in 1..=chars.len() - len {
        hash = hash
            .wrapping_sub(value(chars[start - 1]).wrapping_mul(top))
            .wrapping_mul(key)
            .wrapping_add(value(chars[start + len - 1]));
        found(start, hash);
    }
}

/// The ways a server may write `secret` back: as sent, and as the contents of a JSON string
/// (escaped by an encoder, then shown once decoded): the minimal escapes (serde_json's), with
/// everything beyond ASCII as `\uXXXX` (Python's default), with `/` as `\/`, or both (PHP's
/// default). Any letter case of each (`\u00E9` too) is matched by folding.
fn forms(secret: &str) -> [String; 5] {
    [
        secret.to_owned(),
        json_escaped(secret, false, false),
        json_escaped(secret, true, false),
        json_escaped(secret, false, true),
        json_escaped(secret, true, true),
    ]
}

fn json_escaped(secret: &str, ascii: bool, slash: bool) -> String {
    let mut escaped = String::with_capacity(secret.len() + 2);
    for c in secret.chars() {
        match c {
            '"' => escaped.push_str("\\\""),
            '\\' => escaped.push_str("\\\\"),
            '/' if slash => escaped.push_str("\\/"),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            '\u{8}' => escaped.push_str("\\b"),
            '\u{c}' => escaped.push_str("\\f"),
            c if c < ' ' || (ascii && !c.is_ascii()) => {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    escaped.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => escaped.push(c),
        }
    }
    escaped
}

/// `text` case-folded for matching, and for each folded char the index of the char of `text`
/// it came from. std has no Unicode case folding; lower(upper(lower(c))) comes close and is
/// the same on both sides: `ß`, `ẞ` and `SS` all fold to `ss`, `ς`, `σ` and `Σ` to `σ`.
fn fold(text: &[char]) -> (Vec<char>, Vec<usize>) {
    let mut folded = Vec::with_capacity(text.len());
    let mut origin = Vec::with_capacity(text.len());
    for (i, &c) in text.iter().enumerate() {
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
            origin.push(i);
            continue;
        }
        for upper in c.to_lowercase().flat_map(char::to_uppercase) {
            for lower in upper.to_lowercase() {
                folded.push(lower);
                origin.push(i);
            }
        }
    }
    (folded, origin)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    fn show(text: &str, secret: &str) -> String {
        Secrets::new(&[secret]).show(text)
    }

    const PASSWORD: &str = "Tr0ub4dor\"&\\3-été-correct/horse";

    #[test]
    fn control_characters_are_stripped_and_long_text_is_cut() {
        assert_eq!(sanitize("a\u{1b}[31mb\nc"), "a[31mbc");
        let long = "x".repeat(10_000);
        let cut = sanitize(&long);
        assert_eq!(cut.chars().count(), MAX_SHOWN + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(sanitize(&"y".repeat(MAX_SHOWN)), "y".repeat(MAX_SHOWN));
        assert_eq!(
            show(&"z".repeat(5000), "hunter22").chars().count(),
            MAX_SHOWN + 1
        );
    }

    #[test]
    fn format_characters_are_stripped_at_both_ends_of_every_range() {
        for &(first, last) in FORMAT {
            for c in [first, last] {
                let text = format!("a{c}b");
                assert_eq!(sanitize(&text), "ab", "U+{:04X}", c as u32);
                assert_eq!(show(&text, "hunter22"), "ab", "U+{:04X}", c as u32);
            }
            // The search agrees with the table just outside each range too.
            for c in [
                char::from_u32(first as u32 - 1),
                char::from_u32(last as u32 + 1),
            ] {
                let c = c.unwrap();
                if !FORMAT.iter().any(|&(f, l)| (f..=l).contains(&c)) && !c.is_control() {
                    assert!(shows(c), "U+{:04X}", c as u32);
                }
            }
        }
        let bidi = "user\u{202E}moc.elgoog\u{202C}@\u{200B}x\u{2066}y\u{2069}\u{FEFF}\u{AD}z";
        assert_eq!(sanitize(bidi), "usermoc.elgoog@xyz");
        assert!(shows('é') && shows('\u{AC}') && shows('\u{AE}') && shows(' '));
    }

    #[test]
    fn format_table_is_sorted_and_disjoint() {
        for pair in FORMAT.windows(2) {
            assert!(pair[0].0 <= pair[0].1 && pair[0].1 < pair[1].0, "{pair:?}");
        }
        let count: u32 = FORMAT.iter().map(|&(f, l)| l as u32 - f as u32 + 1).sum();
        assert_eq!(count, 170, "DerivedGeneralCategory.txt's Cf total");
    }

    #[test]
    fn a_secret_in_text_is_redacted() {
        assert_eq!(
            show("bad password hunter22", "hunter22"),
            "bad password [redacted]"
        );
        assert_eq!(show("nothing here", "hunter22"), "nothing here");
        assert_eq!(show("empty secret", ""), "empty secret");
        assert_eq!(Secrets::new(&[]).show("no secrets\u{7}"), "no secrets");
    }

    #[test]
    fn json_escaped_echoes_are_redacted() {
        let serde = serde_json::to_string(PASSWORD).unwrap();
        let serde = &serde[1..serde.len() - 1];
        assert!(serde.contains("\\\"") && serde.contains("\\\\"), "{serde}");
        let python = serde.replace('é', "\\u00e9");
        let php = python.replace('/', "\\/");
        let upper_hex = python.replace("\\u00e9", "\\u00E9");
        for echo in [serde, &python, &php, &upper_hex] {
            let shown = show(&format!("wrong password {echo}!"), PASSWORD);
            assert_eq!(shown, "wrong password [redacted]!", "{echo}");
        }
    }

    #[test]
    fn a_json_escaped_echo_keeps_spaces_as_they_are() {
        // serde_json escapes the quote and leaves the spaces: `wrong \"pass word\"`.
        let secret = "wrong \"pass word\"";
        let echo = serde_json::to_string(secret).unwrap();
        assert_eq!(show(&format!("got {echo}"), secret), "got \"[redacted]\"");
    }

    #[test]
    fn echoes_in_any_letter_case_are_redacted() {
        for echo in [
            PASSWORD.to_uppercase(),
            PASSWORD.to_lowercase(),
            "tR0UB4DOR\"&\\3-ÉtÉ-CoRrEcT/HoRsE".to_owned(),
        ] {
            assert_eq!(
                show(&format!("<{echo}>"), PASSWORD),
                "<[redacted]>",
                "{echo}"
            );
        }
        // Case mappings that change the length: ß upper-cases to SS, capital ẞ to itself.
        for echo in ["STRASSE-12345", "STRAẞE-12345", "strasse-12345"] {
            assert_eq!(
                show(&format!("({echo})"), "straße-12345"),
                "([redacted])",
                "{echo}"
            );
        }
        assert_eq!(show("(ΣΟΦΊΑ-ΟΔΌΣ-7)", "σοφία-οδός-7"), "([redacted])");
        // Short secrets: whole occurrences only, in any case.
        assert_eq!(
            show("code PIN42 or pin42", "pin42"),
            "code [redacted] or [redacted]"
        );
        assert_eq!(show("pin4 alone", "pin42"), "pin4 alone");
    }

    #[test]
    fn a_control_or_format_character_inside_an_echo_does_not_hide_it() {
        for echo in [
            "hun\u{1}ter22",
            "hunter\u{1b}22",
            "hun\u{200B}ter\u{202E}22",
        ] {
            assert_eq!(
                show(&format!("bad {echo}."), "hunter22"),
                "bad [redacted].",
                "{echo:?}"
            );
        }
        // A secret that itself holds one is found as the stripped text shows it.
        assert_eq!(show("bad hunter22", "hun\tter22"), "bad [redacted]");
        assert_eq!(show("bad hun\\tter22", "hun\tter22"), "bad [redacted]");
    }

    #[test]
    fn fragments_of_8_or_more_characters_are_redacted() {
        let secret = "AMf-vBxq81Zt0k3LmNoPq";
        let minus_first = &secret[1..];
        let minus_last = &secret[..secret.len() - 1];
        for fragment in [minus_first, minus_last, &secret[5..13], &secret[13..]] {
            assert!(fragment.chars().count() >= 8);
            let shown = show(&format!("token {fragment} unknown"), secret);
            assert_eq!(shown, "token [redacted] unknown", "{fragment}");
        }
        // Seven characters are not a fragment.
        let seven = &secret[5..12];
        assert_eq!(
            show(&format!("token {seven} unknown"), secret),
            format!("token {seven} unknown")
        );
        // Where a fragment ends mid-word, the neighbours stay.
        assert_eq!(show("xxAMf-vBxq8yy", secret), "xx[redacted]yy");
    }

    #[test]
    fn overlapping_and_adjacent_echoes_become_one_redaction() {
        let secret = "abcdefghij";
        // Two fragments that overlap ("abcdefgh" and "cdefghij" over "abcdefghij")...
        assert_eq!(show("<abcdefghij>", secret), "<[redacted]>");
        // ...one fragment running into another, and an echo repeated back to back.
        assert_eq!(show("<cdefghijabcdefgh>", secret), "<[redacted]>");
        assert_eq!(show("<abcdefghijABCDEFGHIJ> ok", secret), "<[redacted]> ok");
        // A short secret overlapping itself.
        assert_eq!(show("<aaaa>", "aaa"), "<[redacted]>");
        // Two secrets of one request.
        let both = Secrets::new(&["hunter22", "AMf-v0123456789"]);
        assert_eq!(
            both.show("hunter22 AMF-V0123456789"),
            "[redacted] [redacted]"
        );
        assert!(both.echoed_in("x-HUNTER22") && !both.echoed_in("hunter2"));
    }

    #[test]
    fn the_mapping_back_keeps_text_around_multi_char_foldings() {
        // İ lower-cases to two chars; its neighbours must come back intact.
        assert_eq!(show("İİ hunter22 İİ", "hunter22"), "İİ [redacted] İİ");
        assert_eq!(show("ﬁﬁ:HUNTER22:ßß", "hunter22"), "ﬁﬁ:[redacted]:ßß");
        // A secret that ends in a char whose folding is two chars long.
        assert_eq!(show("x-abcdefgİ-y", "abcdefgİ"), "x-[redacted]-y");
    }

    #[test]
    fn a_mebibyte_of_text_with_a_64_kib_secret_is_quick() {
        // Pseudo-random secret: its windows are all different (the worst case for the set).
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let alphabet: Vec<char> = ('a'..='z').chain('0'..='9').collect();
        let secret: String = (0..64 * 1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                alphabet[(state % alphabet.len() as u64) as usize]
            })
            .collect();
        let mut text = "x".repeat(1024 * 1024 - secret.len() / 2);
        text.insert_str(100, &secret[..secret.len() / 2]);
        let started = Instant::now();
        let secrets = Secrets::new(&[&secret]);
        let shown = secrets.show(&text);
        let took = started.elapsed();
        assert_eq!(shown.chars().count(), MAX_SHOWN + 1);
        assert!(
            shown.starts_with(&format!("{}[redacted]xx", "x".repeat(100))),
            "{shown}"
        );
        // About 0.7 s unoptimised (60 ms optimised) on a 2-core machine; a search quadratic in
        // the secret's length would take hours.
        assert!(took < Duration::from_secs(10), "took {took:?}");
    }

    #[test]
    fn json_escaping_matches_serde_json() {
        let secret = "q\"b\\s/é\u{1F600}\n\t\u{1}\u{1f}";
        let serde = serde_json::to_string(secret).unwrap();
        assert_eq!(
            json_escaped(secret, false, false),
            serde[1..serde.len() - 1]
        );
        assert_eq!(
            json_escaped(secret, true, true),
            "q\\\"b\\\\s\\/\\u00e9\\ud83d\\ude00\\n\\t\\u0001\\u001f"
        );
    }
}
