//! Display-only JWT claim decoding. Nothing here verifies a signature or decides on a claim.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde_json::{Map, Value};

/// base64url that accepts padding or its absence (the contract's example token is padded).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// A JWT's payload is never bigger than this in practice; anything larger is not decoded.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The claims `status` shows. Each may be missing.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Identity {
    pub(crate) email: Option<String>,
    pub(crate) user_id: Option<String>,
}

/// Decodes a JWT's payload into a JSON object, or `None` if it is not one.
pub(crate) fn claims(token: &str) -> Option<Map<String, Value>> {
    let token = token.trim();
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let mut segments = token.split('.');
    let (_header, payload, _signature) = (segments.next()?, segments.next()?, segments.next()?);
    if segments.next().is_some() {
        return None;
    }
    // Tolerate the standard alphabet too: map it onto the URL-safe one.
    let normalized: String = payload
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    let bytes = LENIENT.decode(normalized.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The user's email and id, as far as the token tells.
pub(crate) fn identity(token: &str) -> Identity {
    let Some(claims) = claims(token) else {
        return Identity::default();
    };
    // Claims are shown on a terminal: strip control and format characters (escape sequences,
    // bidi overrides, zero-width characters) as for any server text, and cut them short.
    let text = |key: &str| {
        claims
            .get(key)
            .and_then(Value::as_str)
            .map(crate::text::sanitize)
    };
    Identity {
        email: text("email"),
        user_id: text("user_id").or_else(|| text("sub")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn token_with_payload(payload: &str) -> String {
        format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn decodes_unpadded_base64url() {
        let token = token_with_payload(r#"{"email":"a@b.c","user_id":"u1"}"#);
        assert_eq!(
            identity(&token),
            Identity {
                email: Some("a@b.c".into()),
                user_id: Some("u1".into())
            }
        );
    }

    #[test]
    fn decodes_padded_base64url() {
        // 16 bytes of JSON encode to 22 characters + "==".
        let payload = r#"{"sub":"abcdef"}"#;
        assert_eq!(payload.len(), 16);
        let padded = base64::engine::general_purpose::URL_SAFE.encode(payload);
        assert!(padded.ends_with("=="));
        let token = format!("eyJhbGciOiJub25lIn0.{padded}.sig");
        assert_eq!(identity(&token).user_id.as_deref(), Some("abcdef"));
    }

    #[test]
    fn decodes_the_contract_example_token() {
        // The shape of the service documentation's example: padded segments, Firebase claims.
        let token = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEiLCJ0eXAiOiJKV1QifQ==.\
eyJpc3MiOiJodHRwczovL3NlY3VyZXRva2VuLmdvb2dsZS5jb20vcG9pbnQiLCJhdWQiOiJwb2ludCIs\
ImF1dGhfdGltZSI6MTYwMDAwMDAwMCwidXNlcl9pZCI6IlVJRDEyMyIsInN1YiI6IlVJRDEyMyIsImlh\
dCI6OTk5OTk5OTk5OSwiZXhwIjoxLCJlbWFpbCI6InVzZXJAZXhhbXBsZS5jb20ifQ==.c2lnbmF0dXJl";
        let identity = identity(token);
        assert_eq!(identity.email.as_deref(), Some("user@example.com"));
        assert_eq!(identity.user_id.as_deref(), Some("UID123"));
    }

    #[test]
    fn accepts_the_standard_alphabet() {
        // A payload whose encoding contains '/' or '+' in the standard alphabet.
        let payload = r#"{"email":"??>>??"}"#;
        let standard = base64::engine::general_purpose::STANDARD.encode(payload);
        assert!(standard.contains('/') || standard.contains('+'));
        let token = format!("e30.{standard}.sig");
        assert_eq!(identity(&token).email.as_deref(), Some("??>>??"));
    }

    /// A token of exactly `len` characters: a small payload, the rest its signature (as a
    /// long RSA signature or many claims make a token long).
    fn token_of_len(len: usize) -> String {
        let token = token_with_payload(r#"{"email":"big@example.com"}"#);
        let unsigned = token.strip_suffix("c2ln").unwrap();
        format!("{unsigned}{}", "s".repeat(len - unsigned.len()))
    }

    #[test]
    fn tokens_up_to_16_kib_are_decoded_and_longer_ones_are_not() {
        // Tokens with many custom claims run to kilobytes; 16 KiB is the ceiling.
        for len in [10_000, 16 * 1024] {
            let token = token_of_len(len);
            assert_eq!(token.len(), len);
            assert_eq!(
                identity(&token).email.as_deref(),
                Some("big@example.com"),
                "{len}"
            );
        }
        let token = token_of_len(16 * 1024 + 1);
        assert_eq!(identity(&token), Identity::default());
    }

    #[test]
    fn non_jwts_have_no_identity() {
        for token in ["", "opaque", "a.b", "a.b.c.d.e", "e30.!!!.x", "e30.WzFd.x"] {
            assert_eq!(identity(token), Identity::default(), "{token}");
        }
    }
}
