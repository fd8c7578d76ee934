//! Property tests of the parsers (a test-only module spanning `api`, `jwt`, `session` and `text`) that read what the service and the store hand back: they
//! never panic on any input, and they read back what a well-formed writer wrote.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

use crate::api::answer::{Expect, parse_grant};
use crate::jwt;
use crate::secret::Secret;
use crate::session::{Grant, Session};
use crate::text::sanitize;
use serde_json::{Value, json};

/// Arbitrary JSON, a few levels deep, with the field names the parsers look for mixed in.
fn json_value() -> impl Strategy<Value = Value> {
    let name = prop_oneof![
        Just("access_token".to_owned()),
        Just("id_token".to_owned()),
        Just("idToken".to_owned()),
        Just("refresh_token".to_owned()),
        Just("refreshToken".to_owned()),
        Just("expires_in".to_owned()),
        Just("expiresIn".to_owned()),
        Just("mfaPendingCredential".to_owned()),
        Just("error".to_owned()),
        Just("message".to_owned()),
        Just("version".to_owned()),
        "[a-z_]{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        (0u64..=100_000).prop_map(|n| Value::from(n.to_string())),
        ".{0,40}".prop_map(Value::from),
        "[A-Za-z0-9._-]{1,60}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 48, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((name.clone(), inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

fn call() -> impl Strategy<Value = Expect> {
    prop_oneof![Just(Expect::SignIn), Just(Expect::Refresh)]
}

/// A token as the service issues them: printable ASCII, no spaces.
fn token() -> impl Strategy<Value = String> {
    "[!-~]{1,300}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn parse_grant_never_panics_on_bytes(call in call(), body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_grant(call, &body);
    }

    #[test]
    fn parse_grant_never_panics_on_json(call in call(), value in json_value()) {
        if let Ok(grant) = parse_grant(call, value.to_string().as_bytes()) {
            prop_assert!((1..=86_400).contains(&grant.expires_in));
            prop_assert!(!grant.access_token.expose().is_empty());
            prop_assert!(grant.access_token.expose().bytes().all(|b| b.is_ascii_graphic()));
            if call == Expect::SignIn {
                prop_assert!(grant.refresh_token.is_some());
            }
        }
    }

    #[test]
    fn parse_grant_reads_every_well_formed_answer(
        call in call(),
        access in token(),
        refresh in token(),
        expires_in in 1u32..=86_400,
        as_string in any::<bool>(),
        firebase_names in any::<bool>(),
    ) {
        let expires: Value = if as_string { expires_in.to_string().into() } else { expires_in.into() };
        let body = if firebase_names {
            json!({"idToken": access, "refreshToken": refresh, "expiresIn": expires, "localId": "u"})
        } else {
            json!({"access_token": access, "refresh_token": refresh, "expires_in": expires, "token_type": "Bearer"})
        };
        let grant = parse_grant(call, body.to_string().as_bytes()).unwrap();
        prop_assert_eq!(grant.access_token.expose(), &access);
        prop_assert_eq!(grant.refresh_token.map(|t| t.expose().clone()), Some(refresh));
        prop_assert_eq!(grant.expires_in, expires_in);
    }

    #[test]
    fn parse_grant_refuses_expires_in_out_of_range(
        call in call(),
        expires_in in prop_oneof![Just(0i64), i64::MIN..=0, 86_401i64..=i64::MAX],
        as_string in any::<bool>(),
    ) {
        let expires: Value = if as_string { expires_in.to_string().into() } else { expires_in.into() };
        let body = json!({"access_token": "a.b.c", "refresh_token": "r", "expires_in": expires});
        prop_assert!(parse_grant(call, body.to_string().as_bytes()).is_err());
    }

    #[test]
    fn jwt_decoding_never_panics(token in ".{0,200}") {
        let _ = jwt::claims(&token);
        let _ = jwt::identity(&token);
    }

    #[test]
    fn jwt_decoding_never_panics_on_token_shaped_input(
        segments in prop::collection::vec("[A-Za-z0-9+/_=-]{0,80}", 0..6),
        prefix in prop_oneof![Just(""), Just("Bearer "), Just("  ")],
    ) {
        let token = format!("{prefix}{}", segments.join("."));
        let _ = jwt::claims(&token);
        let _ = jwt::identity(&token);
    }

    #[test]
    fn jwt_claims_are_read_back_in_every_encoding(
        email in ".{0,40}",
        user_id in "[A-Za-z0-9]{1,28}",
        encoding in 0usize..3,
    ) {
        let payload = json!({"email": email, "user_id": user_id, "iat": 1, "exp": 2}).to_string();
        let encoded = match encoding {
            0 => URL_SAFE_NO_PAD.encode(&payload),
            1 => URL_SAFE.encode(&payload),
            _ => STANDARD.encode(&payload),
        };
        let token = format!("eyJhbGciOiJSUzI1NiJ9.{encoded}.c2ln");
        let identity = jwt::identity(&token);
        // Claims are for display: control characters are stripped, the rest read back.
        let shown = sanitize(&email);
        prop_assert_eq!(identity.email.as_deref(), Some(shown.as_str()));
        prop_assert_eq!(identity.user_id.as_deref(), Some(user_id.as_str()));
    }

    #[test]
    fn jwt_payloads_of_any_json_never_panic(value in json_value()) {
        let token = format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(value.to_string()));
        let claims = jwt::claims(&token);
        prop_assert_eq!(claims.is_some(), value.is_object());
    }

    #[test]
    fn session_parsing_never_panics(text in ".{0,300}") {
        let _ = Session::from_json(&text);
    }

    #[test]
    fn session_parsing_never_panics_on_json(value in json_value()) {
        let _ = Session::from_json(&value.to_string());
    }

    #[test]
    fn stored_sessions_round_trip(
        access in token(),
        refresh in token(),
        expires_in in 1u32..=86_400,
        at in 0i64..4_102_444_800,
    ) {
        let now = Utc.timestamp_opt(at, 0).unwrap();
        let grant = Grant {
            access_token: Secret::new(access),
            refresh_token: Some(Secret::new(refresh)),
            expires_in,
        };
        let session = Session::signed_in("https://api.pointservices.com", "u@example.com", grant, now).unwrap();
        let json = session.to_json();
        prop_assert_eq!(Session::from_json(json.expose()).unwrap(), session);
    }

    #[test]
    fn a_damaged_session_is_refused_without_echoing_it(
        refresh in "[A-Za-z0-9_-]{40,80}",
        cut in 0usize..400,
    ) {
        let now = Utc.timestamp_opt(1_800_000_000, 0).unwrap();
        let grant = Grant {
            access_token: Secret::new("header.payload.signature".into()),
            refresh_token: Some(Secret::new(refresh.clone())),
            expires_in: 3600,
        };
        let session = Session::signed_in("https://x.example", "u", grant, now).unwrap();
        let text = session.to_json().expose().clone();
        let cut = cut.min(text.len() - 1);
        if let Err(why) = Session::from_json(&text[..cut]) {
            prop_assert!(!why.to_string().contains(&refresh[..20]), "{}", why);
        }
        let wrong_type = text.replacen(&format!("\"{refresh}\""), "12345", 1);
        prop_assert!(Session::from_json(&wrong_type).is_err());
    }

    #[test]
    fn sanitised_text_has_no_control_characters_and_is_short(text in any::<String>()) {
        let clean = sanitize(&text);
        prop_assert!(!clean.chars().any(char::is_control));
        prop_assert!(clean.chars().count() <= 201);
    }
}
