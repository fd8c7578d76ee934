//! JSON indented for a terminal, token by token: keys keep their order, numbers and strings
//! their exact text (no re-encoding through a parser).

/// `text` indented by two spaces per level, or `None` when it is not JSON.
pub(crate) fn indent(text: &[u8]) -> Option<Vec<u8>> {
    serde_json::from_slice::<serde::de::IgnoredAny>(text).ok()?;
    let mut out = Vec::with_capacity(text.len() + text.len() / 4);
    let mut depth = 0_usize;
    let mut in_string = false;
    let mut escaped = false;
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        out.extend(std::iter::repeat_n(b' ', depth * 2));
    };
    let mut bytes = text.iter().copied().peekable();
    while let Some(byte) = bytes.next() {
        if in_string {
            out.push(byte);
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b' ' | b'\t' | b'\n' | b'\r' => {}
            b'"' => {
                in_string = true;
                out.push(byte);
            }
            b'{' | b'[' => {
                out.push(byte);
                // An empty object or array stays on one line.
                while bytes.next_if(|b| b.is_ascii_whitespace()).is_some() {}
                if let Some(close) = bytes.next_if(|b| *b == b'}' || *b == b']') {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(byte);
            }
            b',' => {
                out.push(byte);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            _ => out.push(byte),
        }
    }
    out.push(b'\n');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(text: &str) -> String {
        String::from_utf8(indent(text.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn json_is_indented_without_changing_a_token() {
        assert_eq!(
            shown(r#"{"z":1,"a":[true,null,{}],"s":"x, {y}: \"z\" \\","n":1.50e+3,"e":[]}"#),
            "{\n  \"z\": 1,\n  \"a\": [\n    true,\n    null,\n    {}\n  ],\n  \"s\": \"x, {y}: \\\"z\\\" \\\\\",\n  \"n\": 1.50e+3,\n  \"e\": []\n}\n"
        );
        // An escaped quote does not end the string: what follows it is still text.
        assert_eq!(
            shown(r#"{"s":"a\", b: [c]"}"#),
            "{\n  \"s\": \"a\\\", b: [c]\"\n}\n"
        );
        assert_eq!(shown("  [ ]  "), "[]\n");
        assert_eq!(shown("12345678901234567890"), "12345678901234567890\n");
        assert_eq!(shown("\"ünïcödé\""), "\"ünïcödé\"\n");
    }

    #[test]
    fn what_is_not_json_is_left_alone() {
        for text in ["", "{", "not json", "{\"a\":1} trailing", "\u{fffd}"] {
            assert_eq!(indent(text.as_bytes()), None, "{text}");
        }
    }
}
