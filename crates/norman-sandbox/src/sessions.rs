//! Who is logged in: issuing access and refresh pairs, checking bearer tokens, spending
//! refresh tokens once, and revoking a user's access tokens.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::HeaderValue;
use serde_json::{Value, json};

use crate::token::{Keys, TokenType, now_secs};
use crate::users::ALL_DEMO_USERS;

/// The sandbox's signing key and the state of every session.
pub(crate) struct Sessions {
    /// Signs the tokens; also derives the presigned download links.
    pub keys: Keys,
    access_ttl: Duration,
    refresh_ttl: Duration,
    /// Per user: access tokens with a serial number below this are revoked.
    min_serial: Vec<AtomicU64>,
    /// Serial number for the next token; makes revocation exact to the token, not the second.
    next_serial: AtomicU64,
    /// Refresh tokens that may still be spent, by `jti`. Rotation removes the entry.
    refresh_tokens: Mutex<RefreshStore>,
}

impl Sessions {
    /// No sessions yet, under a new random signing secret.
    pub(crate) fn new(access_ttl: Duration, refresh_ttl: Duration) -> Sessions {
        Sessions {
            keys: Keys::random(),
            access_ttl,
            refresh_ttl,
            min_serial: ALL_DEMO_USERS.iter().map(|_| AtomicU64::new(0)).collect(),
            next_serial: AtomicU64::new(1),
            refresh_tokens: Mutex::new(RefreshStore::default()),
        }
    }

    /// Issues an access + refresh pair (SimpleJWT's `{access, refresh}`) and remembers the
    /// refresh token as unspent.
    pub(crate) fn issue_pair(&self, user: usize) -> Value {
        let (access, refresh) = self.mint_pair(user, None);
        json!({ "access": access, "refresh": refresh })
    }

    /// Issues an access + refresh pair to the OAuth client `client_id`, in OAuth's shape
    /// (RFC 6749 §5.1). The access token is like a password login's; the refresh token can
    /// be spent only by that client at the OAuth token endpoint.
    pub(crate) fn issue_oauth_pair(&self, user: usize, client_id: &str) -> Value {
        let (access, refresh) = self.mint_pair(user, Some(client_id));
        json!({
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self.access_ttl.as_secs(),
            "scope": "read write",
        })
    }

    fn mint_pair(&self, user: usize, client_id: Option<&str>) -> (String, String) {
        let serial = self.next_serial.fetch_add(2, Ordering::SeqCst);
        let (access, _) = self.keys.mint(TokenType::Access, user, serial, self.access_ttl);
        let (refresh, claims) = self.keys.mint(TokenType::Refresh, user, serial + 1, self.refresh_ttl);
        let mut store = self.refresh_tokens.lock().unwrap_or_else(|e| e.into_inner());
        store.insert(claims.jti, claims.exp, client_id.map(str::to_owned));
        drop(store);
        (access, refresh)
    }

    /// The user index behind a valid, unrevoked access token in an `Authorization` header.
    pub(crate) fn authenticate(&self, header: Option<&HeaderValue>) -> Option<usize> {
        let value = header?.to_str().ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let claims = self.keys.verify(token.trim(), TokenType::Access)?;
        let user = claims.user_index().filter(|&u| u < ALL_DEMO_USERS.len())?;
        if claims.serial < self.min_serial[user].load(Ordering::SeqCst) {
            return None;
        }
        Some(user)
    }

    /// Spends a refresh token: the user index if it was valid, unspent and issued to
    /// `client_id` (`None`: by the password login), and never again.
    pub(crate) fn spend_refresh(&self, token: &str, client_id: Option<&str>) -> Option<usize> {
        let claims = self.keys.verify(token, TokenType::Refresh)?;
        let user = claims.user_index().filter(|&u| u < ALL_DEMO_USERS.len())?;
        let mut store = self.refresh_tokens.lock().unwrap_or_else(|e| e.into_inner());
        store.take(&claims.jti, client_id)?;
        Some(user)
    }

    /// Revokes every access token issued so far to `user`; refresh tokens stay valid.
    pub(crate) fn expire_access_tokens_of(&self, user: usize) {
        let cutoff = self.next_serial.load(Ordering::SeqCst);
        if let Some(min) = self.min_serial.get(user) {
            min.fetch_max(cutoff, Ordering::SeqCst);
        }
    }
}

/// Live refresh tokens: `jti` → expiry (Unix seconds) and the OAuth client it was issued to
/// (`None`: the password login). Spending one removes it; expired ones are swept out once the
/// map grows, so a long benchmark that logs in repeatedly does not grow memory without end.
#[derive(Default)]
struct RefreshStore {
    live: HashMap<String, (u64, Option<String>)>,
    sweep_at: usize,
}

impl RefreshStore {
    fn insert(&mut self, jti: String, exp: u64, client_id: Option<String>) {
        if self.live.len() >= self.sweep_at.max(4096) {
            let now = now_secs();
            self.live.retain(|_, (exp, _)| *exp > now);
            self.sweep_at = self.live.len() * 2;
        }
        self.live.insert(jti, (exp, client_id));
    }

    /// Removes `jti` if it was issued to `client_id`; one presented by anyone else stays.
    fn take(&mut self, jti: &str, client_id: Option<&str>) -> Option<u64> {
        match self.live.get(jti) {
            Some((_, issued_to)) if issued_to.as_deref() == client_id => {
                self.live.remove(jti).map(|(exp, _)| exp)
            }
            _ => None,
        }
    }
}
