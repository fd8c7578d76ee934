//! The imitated identity service: users, refresh-token grants, Firebase-style JWT issuing, and
//! the `signInWithPassword` / `refreshIdToken` logic (answers as JSON maps or error codes).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

use super::{DEFAULT_PASSWORD, DEFAULT_USERNAME, PROJECT_ID};

pub(super) const DEFAULT_LIFETIME: u64 = 3600;
const TOKEN_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";

/// Base64url without padding.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWT with these claims: RS256-looking header with a fixed `kid`, and a
/// 256-byte random signature (it verifies against nothing).
pub fn make_jwt(claims: &Value) -> String {
    let mut rng = Rng::seeded(0x006a_7774);
    jwt_with("3f1c0e7a9b3d2c4e6f8a0b1c2d3e4f5a6b7c8d9e", claims, &mut rng)
}

fn jwt_with(kid: &str, claims: &Value, rng: &mut Rng) -> String {
    let header = json!({"alg": "RS256", "kid": kid, "typ": "JWT"});
    let mut signature = [0u8; 256];
    rng.fill(&mut signature);
    format!(
        "{}.{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes()),
        b64url(&signature)
    )
}

/// The claims of a JWT-shaped token, if its payload decodes (nothing is verified).
pub(super) fn jwt_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice(&bytes).ok()
}

pub(super) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// A stable 28-character Firebase-style uid for a username.
fn user_id(username: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in username.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    Rng::from_seed(hash).chars(ID_ALPHABET, 28)
}

/// xorshift64* — plenty for token-shaped noise; not cryptographic.
pub(super) struct Rng(u64);

impl Rng {
    fn from_seed(seed: u64) -> Rng {
        let mut rng = Rng(if seed == 0 {
            0x2545_f491_4f6c_dd1d
        } else {
            seed
        });
        for _ in 0..8 {
            rng.next_u64();
        }
        rng
    }

    pub(super) fn seeded(extra: u64) -> Rng {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        Rng::from_seed(nanos ^ count.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ extra.rotate_left(32))
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }

    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[(self.next_u64() >> 32) as usize % alphabet.len()]))
            .collect()
    }
}

struct User {
    password: String,
    disabled: bool,
}

struct Grant {
    username: String,
    auth_time: u64,
    revoked: bool,
}

/// An access token as issued: whose it is, its number, and when it stops being live.
struct Access {
    username: String,
    jti: u64,
    expires_at: SystemTime,
}

/// What the API routes make of a bearer token.
pub(super) enum TokenCheck {
    /// Issued here, not expired, not rejected: the user it belongs to.
    Live(String),
    /// Not an access token this server issued (forged, from elsewhere, or a refresh token).
    Unknown,
    /// Past its lifetime by the stand-in's clock.
    Expired,
    /// Issued before the last `reject_access_tokens_once`.
    Revoked,
    /// `reject_all_access_tokens(true)` is in force.
    AllRejected,
}

/// Accounts, grants and every token issued, with the knobs the tests turn.
pub(super) struct Service {
    users: HashMap<String, User>,
    grants: HashMap<String, Grant>,
    pub(super) expires_in: Value,
    pub(super) rotate: bool,
    pub(super) issued: Vec<String>,
    access: HashMap<String, Access>,
    /// Access tokens numbered up to this one are revoked.
    pub(super) revoked_through: u64,
    pub(super) reject_all: bool,
    rng: Rng,
    jti: u64,
    kid: String,
}

impl Service {
    /// The default user only; `seed` varies the token noise between servers.
    pub(super) fn new(seed: u64) -> Service {
        let mut rng = Rng::seeded(seed);
        let kid = rng.chars(HEX, 40);
        let mut service = Service {
            users: HashMap::new(),
            grants: HashMap::new(),
            expires_in: json!(DEFAULT_LIFETIME),
            rotate: false,
            issued: Vec::new(),
            access: HashMap::new(),
            revoked_through: 0,
            reject_all: false,
            rng,
            jti: 0,
            kid,
        };
        service.add_user(DEFAULT_USERNAME, DEFAULT_PASSWORD);
        service
    }

    pub(super) fn add_user(&mut self, username: &str, password: &str) {
        self.users.insert(
            username.to_string(),
            User {
                password: password.to_string(),
                disabled: false,
            },
        );
    }

    pub(super) fn disable_user(&mut self, username: &str) {
        if let Some(user) = self.users.get_mut(username) {
            user.disabled = true;
        }
    }

    pub(super) fn revoke_all_refresh_tokens(&mut self) {
        for grant in self.grants.values_mut() {
            grant.revoked = true;
        }
    }

    /// Revoke every access token issued so far (later ones are not affected).
    pub(super) fn revoke_access_tokens(&mut self) {
        self.revoked_through = self.jti;
    }

    fn issue_access(&mut self, username: &str, auth_time: u64) -> String {
        let now = SystemTime::now();
        let iat = now
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let lifetime = self.expires_in.as_u64().unwrap_or(DEFAULT_LIFETIME);
        self.jti += 1;
        let uid = user_id(username);
        let claims = json!({
            "iss": format!("https://securetoken.google.com/{PROJECT_ID}"),
            "aud": PROJECT_ID,
            "auth_time": auth_time,
            "user_id": uid,
            "sub": uid,
            "iat": iat,
            "exp": iat.saturating_add(lifetime),
            "email": username,
            "email_verified": true,
            "firebase": {
                "identities": {"email": [username]},
                "sign_in_provider": "password"
            },
            "jti": self.jti,
        });
        let kid = self.kid.clone();
        let token = jwt_with(&kid, &claims, &mut self.rng);
        self.issued.push(token.clone());
        self.access.insert(
            token.clone(),
            Access {
                username: username.to_string(),
                jti: self.jti,
                // A lifetime past what SystemTime holds (the JWT's exp saturates): a century.
                expires_at: now
                    .checked_add(Duration::from_secs(lifetime))
                    .unwrap_or(now + Duration::from_secs(100 * 365 * 86_400)),
            },
        );
        token
    }

    fn issue_refresh(&mut self, username: &str, auth_time: u64) -> String {
        let token = format!("AMf-v{}", self.rng.chars(TOKEN_ALPHABET, 250));
        self.grants.insert(
            token.clone(),
            Grant {
                username: username.to_string(),
                auth_time,
                revoked: false,
            },
        );
        self.issued.push(token.clone());
        token
    }

    fn success(&self, access: String, refresh: String) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("access_token".into(), Value::String(access));
        map.insert("refresh_token".into(), Value::String(refresh));
        map.insert("expires_in".into(), self.expires_in.clone());
        map
    }

    /// `signInWithPassword`: the success body, or the Firebase error code.
    pub(super) fn sign_in(
        &mut self,
        obj: &Map<String, Value>,
    ) -> Result<Map<String, Value>, String> {
        let username = string_field(obj, "username")?.ok_or("MISSING_EMAIL")?;
        let password = string_field(obj, "password")?.ok_or("MISSING_PASSWORD")?;
        let Some(user) = self.users.get(username) else {
            return Err("EMAIL_NOT_FOUND".into());
        };
        if user.disabled {
            return Err("USER_DISABLED".into());
        }
        if user.password != password {
            return Err("INVALID_PASSWORD".into());
        }
        let auth_time = now_secs();
        let access = self.issue_access(username, auth_time);
        let refresh = self.issue_refresh(username, auth_time);
        Ok(self.success(access, refresh))
    }

    /// `refreshIdToken`: the success body, or the Firebase error code.
    pub(super) fn refresh(
        &mut self,
        obj: &Map<String, Value>,
    ) -> Result<Map<String, Value>, String> {
        let token = string_field(obj, "refresh_token")?.ok_or("MISSING_REFRESH_TOKEN")?;
        let Some(grant) = self.grants.get(token) else {
            return Err("INVALID_REFRESH_TOKEN".into());
        };
        if grant.revoked {
            return Err("TOKEN_EXPIRED".into());
        }
        let username = grant.username.clone();
        let auth_time = grant.auth_time;
        match self.users.get(&username) {
            None => return Err("USER_NOT_FOUND".into()),
            Some(user) if user.disabled => return Err("USER_DISABLED".into()),
            Some(_) => {}
        }
        let access = self.issue_access(&username, auth_time);
        let refresh = if self.rotate {
            self.grants.remove(token);
            self.issue_refresh(&username, auth_time)
        } else {
            token.to_string()
        };
        Ok(self.success(access, refresh))
    }

    /// Whether `token` is a live access token, and if not, why not.
    pub(super) fn check(&self, token: &str) -> TokenCheck {
        let Some(access) = self.access.get(token) else {
            return TokenCheck::Unknown;
        };
        if SystemTime::now() >= access.expires_at {
            TokenCheck::Expired
        } else if access.jti <= self.revoked_through {
            TokenCheck::Revoked
        } else if self.reject_all {
            TokenCheck::AllRejected
        } else {
            TokenCheck::Live(access.username.clone())
        }
    }

    /// When an access token issued here stops being live by the clock.
    pub(super) fn expiry(&self, token: &str) -> Option<SystemTime> {
        self.access.get(token).map(|a| a.expires_at)
    }
}

/// A required string field: Ok(None) when missing, null or empty.
fn string_field<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("INVALID_JSON : field \"{name}\" must be a string")),
    }
}
