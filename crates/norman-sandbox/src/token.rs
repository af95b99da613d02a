//! JWT-shaped tokens like SimpleJWT issues: `base64url(header).base64url(payload).base64url(sig)`
//! with an HMAC-SHA256 signature under a per-sandbox random secret.
//!
//! The payload carries the SimpleJWT claims (`token_type`, `exp`, `iat`, `jti`, `user_id`)
//! plus `serial`, a per-sandbox counter that lets `expire_access_tokens_of` revoke exactly the
//! tokens issued so far, which a timestamp with one-second resolution could not.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// `{"alg":"HS256","typ":"JWT"}`, encoded once.
const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// Anything longer is not one of ours; refuse before decoding.
const MAX_TOKEN_LEN: usize = 2048;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenType {
    Access,
    Refresh,
}

impl TokenType {
    fn as_str(self) -> &'static str {
        match self {
            TokenType::Access => "access",
            TokenType::Refresh => "refresh",
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub token_type: String,
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
    pub user_id: u64,
    pub serial: u64,
}

impl Claims {
    /// Index into `DEMO_USERS`; `user_id`s are 1-based like database keys.
    pub(crate) fn user_index(&self) -> Option<usize> {
        usize::try_from(self.user_id).ok()?.checked_sub(1)
    }
}

/// The signing key. The keyed HMAC state is computed once and cloned per use.
pub(crate) struct Keys {
    mac: HmacSha256,
}

impl Keys {
    pub(crate) fn random() -> Keys {
        let secret: [u8; 32] = random_bytes();
        Keys::from_secret(&secret)
    }

    fn from_secret(secret: &[u8]) -> Keys {
        // HMAC accepts keys of any length, so this cannot fail; the fallback only exists to
        // avoid a panic path.
        let mac = HmacSha256::new_from_slice(secret)
            .unwrap_or_else(|_| <HmacSha256 as KeyInit>::new(&Default::default()));
        Keys { mac }
    }

    /// A keyed digest of `parts`, for values that must look random but be reproducible
    /// (presigned file names).
    pub(crate) fn derive(&self, parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(b"sandbox-derive\0");
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    /// Issues a token and returns it with its claims.
    pub(crate) fn mint(
        &self,
        token_type: TokenType,
        user_index: usize,
        serial: u64,
        ttl: Duration,
    ) -> (String, Claims) {
        let now = now_secs_f64();
        let claims = Claims {
            token_type: token_type.as_str().to_owned(),
            // Rounded up, so a token lives at least `ttl` even when issued late in a second.
            exp: (now + ttl.as_secs_f64()).ceil() as u64,
            iat: now.floor() as u64,
            jti: hex(&random_bytes::<16>()),
            user_id: user_index as u64 + 1,
            serial,
        };
        // Serialising this plain struct cannot fail.
        let payload = serde_json::to_vec(&claims).unwrap_or_default();
        let mut token = String::with_capacity(256);
        token.push_str(HEADER_B64);
        token.push('.');
        B64.encode_string(&payload, &mut token);
        let mut mac = self.mac.clone();
        mac.update(token.as_bytes());
        let signature = mac.finalize().into_bytes();
        token.push('.');
        B64.encode_string(signature, &mut token);
        (token, claims)
    }

    /// Checks shape, signature, type and expiry. Revocation is the caller's business.
    pub(crate) fn verify(&self, token: &str, expected: TokenType) -> Option<Claims> {
        if token.len() > MAX_TOKEN_LEN {
            return None;
        }
        let (signed, signature_b64) = token.rsplit_once('.')?;
        let (header, payload_b64) = signed.split_once('.')?;
        if header != HEADER_B64 {
            return None;
        }
        // Room beyond 32 bytes because `decode_slice` sizes its check conservatively.
        let mut signature = [0u8; 48];
        match B64.decode_slice(signature_b64, &mut signature) {
            Ok(32) => {}
            _ => return None,
        }
        let mut mac = self.mac.clone();
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature[..32]).ok()?;
        let payload = B64.decode(payload_b64).ok()?;
        let claims: Claims = serde_json::from_slice(&payload).ok()?;
        if claims.token_type != expected.as_str() || claims.exp <= now_secs() {
            return None;
        }
        Some(claims)
    }
}

pub(crate) fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn now_secs_f64() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

/// OS randomness. Should the OS refuse (it does not on any supported platform), the bytes are
/// derived from the clock and a counter instead: still unique, which is all the sandbox needs.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    use sha2::Digest as _;
    use std::sync::atomic::{AtomicU64, Ordering};
    static FALLBACK: AtomicU64 = AtomicU64::new(0);

    let mut out = [0u8; N];
    if getrandom::fill(&mut out).is_err() {
        let mut filled = 0;
        while filled < N {
            let mut hasher = Sha256::new();
            hasher.update(FALLBACK.fetch_add(1, Ordering::Relaxed).to_be_bytes());
            let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
            hasher.update(nanos.to_be_bytes());
            let block = hasher.finalize();
            let take = (N - filled).min(block.len());
            out[filled..filled + take].copy_from_slice(&block[..take]);
            filled += take;
        }
    }
    out
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let keys = Keys::from_secret(b"k");
        let (token, claims) = keys.mint(TokenType::Access, 1, 7, Duration::from_secs(60));
        let back = keys.verify(&token, TokenType::Access).expect("valid");
        assert_eq!(back.jti, claims.jti);
        assert_eq!(back.user_index(), Some(1));
        assert!(keys.verify(&token, TokenType::Refresh).is_none());
        let mut forged = token.clone();
        forged.pop();
        forged.push(if token.ends_with('A') { 'B' } else { 'A' });
        assert!(keys.verify(&forged, TokenType::Access).is_none());
        let other = Keys::from_secret(b"other");
        assert!(other.verify(&token, TokenType::Access).is_none());
        let (expired, _) = keys.mint(TokenType::Access, 0, 1, Duration::ZERO);
        // exp = ceil(now) may equal now's second only for an instant; wait it out.
        std::thread::sleep(Duration::from_millis(1100));
        assert!(keys.verify(&expired, TokenType::Access).is_none());
    }

    #[test]
    fn garbage_is_refused() {
        let keys = Keys::random();
        for junk in ["", ".", "..", "a.b.c", "eyJ.x.y", &"a".repeat(5000)] {
            assert!(keys.verify(junk, TokenType::Access).is_none());
        }
    }
}
