//! The only memory the server keeps, and only as a guard: hashes of spent authorization codes
//! and refresh tokens and of revoked token families and access tokens, each expiring on its
//! own. Never a secret, never a mapping to one. The authorization server records and checks
//! single use and revocation; the resource server checks revocation on every request.
//!
//! Two stores implement the same trait: [`MemoryGuard`] (per replica) and [`RedisGuard`]
//! (shared by every replica through `SET NX PX`).

mod memory;
mod redis;

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sha2::{Digest, Sha256};

pub use self::memory::MemoryGuard;
pub use self::redis::{RedisGuard, RedisGuardError, ReplayStoreUrl};

pub type GuardFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, GuardError>> + Send + 'a>>;

/// The store could not answer (in time). Callers fail closed where a wrong "no" would let a
/// grant be used twice; the store itself logs why, once per outage.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the replay guard's store is unavailable")]
pub struct GuardError;

/// What the guard remembers an id for; part of the hashed key, so the spaces never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardSpace {
    /// Authorization codes already exchanged.
    SpentCode,
    /// Refresh token families revoked (RFC 7009), cut off after a code replay or after a
    /// rotated refresh token came back.
    DeniedFamily,
    /// Access tokens revoked, by the revocation id of their last block: every token that
    /// carries that block is refused (`tokens::access::Principal::revocation_ids`).
    DeniedAccess,
    /// Refresh tokens already rotated, for their remaining life.
    SpentRefresh,
    /// Refresh tokens rotated within the grace window for concurrent callers.
    RefreshGrace,
    /// Sign-ins at Norman's authorization server already completed, by their state's nonce.
    SpentNormanState,
    /// Company choices already answered with a code, by the choice's nonce.
    SpentCompanyChoice,
}

impl GuardSpace {
    const fn label(self) -> &'static [u8] {
        match self {
            GuardSpace::SpentCode => b"code\0",
            GuardSpace::DeniedFamily => b"family\0",
            GuardSpace::DeniedAccess => b"access\0",
            GuardSpace::SpentRefresh => b"refresh\0",
            GuardSpace::RefreshGrace => b"grace\0",
            GuardSpace::SpentNormanState => b"norman-state\0",
            GuardSpace::SpentCompanyChoice => b"company-choice\0",
        }
    }
}

/// SHA-256 of space and id: what a guard stores instead of the id.
pub fn guard_key(space: GuardSpace, id: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(space.label());
    hasher.update(id.as_bytes());
    hasher.finalize().into()
}

/// What presenting a refresh token for rotation means (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshClaim {
    /// Never rotated before: this caller rotates it.
    First,
    /// Rotated moments ago (within the grace window): a concurrent duplicate, not an attack.
    InGrace,
    /// Rotated before the grace window: the token was copied; its family must die.
    Reused,
}

pub trait ReplayGuard: Send + Sync {
    /// Records `id` in `space` for `ttl`; true if it was not there yet (the first use).
    fn first_use<'a>(&'a self, space: GuardSpace, id: &'a str, ttl: Duration) -> GuardFuture<'a, bool>;
    /// Whether `id` is recorded in `space`.
    fn contains<'a>(&'a self, space: GuardSpace, id: &'a str) -> GuardFuture<'a, bool>;
    /// Atomically marks refresh token `id` as rotated: in `RefreshGrace` for `grace` and in
    /// `SpentRefresh` for `ttl` (its remaining life), and says which case this was.
    fn claim_refresh<'a>(
        &'a self,
        id: &'a str,
        grace: Duration,
        ttl: Duration,
    ) -> GuardFuture<'a, RefreshClaim>;
    /// Undoes a `First` claim whose rotation failed before anything was issued, so the client
    /// may simply try again.
    fn release_refresh<'a>(&'a self, id: &'a str) -> GuardFuture<'a, ()>;
}

/// The meaning of the two marks a refresh claim sets, each set only if absent: shared by
/// both stores so they cannot disagree.
fn refresh_claim(grace_was_free: bool, spent_was_free: bool) -> RefreshClaim {
    match (grace_was_free, spent_was_free) {
        (false, _) => RefreshClaim::InGrace,
        (true, true) => RefreshClaim::First,
        (true, false) => RefreshClaim::Reused,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_keys_are_hashes() {
        let key = guard_key(GuardSpace::SpentCode, "secret-code-id");
        assert_ne!(&key[..14], b"secret-code-id");
        assert_ne!(key, guard_key(GuardSpace::DeniedFamily, "secret-code-id"));
        assert_ne!(guard_key(GuardSpace::SpentRefresh, "x"), guard_key(GuardSpace::RefreshGrace, "x"));
    }

    #[test]
    fn claim_outcomes() {
        assert_eq!(refresh_claim(true, true), RefreshClaim::First);
        assert_eq!(refresh_claim(false, false), RefreshClaim::InGrace);
        assert_eq!(refresh_claim(false, true), RefreshClaim::InGrace);
        assert_eq!(refresh_claim(true, false), RefreshClaim::Reused);
    }
}
