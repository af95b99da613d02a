//! The only memory the authorization server keeps, and only as a guard: hashes of spent
//! authorization codes and of revoked token families, each expiring on its own. Never a
//! secret, never a mapping to one. In memory per replica here; a shared store can implement
//! the same trait.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub type GuardFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, GuardError>> + Send + 'a>>;

#[derive(Debug, Clone, thiserror::Error)]
#[error("the replay guard's store is unavailable")]
pub struct GuardError;

/// What the guard remembers an id for; part of the hashed key, so the spaces never collide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardSpace {
    /// Authorization codes already exchanged.
    SpentCode,
    /// Refresh token families revoked (RFC 7009) or cut off after a code replay.
    DeniedFamily,
    /// Access tokens revoked by id.
    DeniedAccess,
}

impl GuardSpace {
    const fn label(self) -> &'static [u8] {
        match self {
            GuardSpace::SpentCode => b"code\0",
            GuardSpace::DeniedFamily => b"family\0",
            GuardSpace::DeniedAccess => b"access\0",
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

pub trait ReplayGuard: Send + Sync {
    /// Records `id` in `space` for `ttl`; true if it was not there yet (the first use).
    fn first_use<'a>(&'a self, space: GuardSpace, id: &'a str, ttl: Duration) -> GuardFuture<'a, bool>;
    /// Whether `id` is recorded in `space`.
    fn contains<'a>(&'a self, space: GuardSpace, id: &'a str) -> GuardFuture<'a, bool>;
}

/// A per-replica guard: a hash map of expiry instants, pruned as it grows.
#[derive(Default)]
pub struct MemoryGuard {
    entries: Mutex<HashMap<[u8; 32], Instant>>,
}

/// Entries are swept once the map passes this size, and again each time it doubles.
const PRUNE_THRESHOLD: usize = 4096;

impl MemoryGuard {
    pub fn new() -> MemoryGuard {
        MemoryGuard::default()
    }

    fn insert_if_absent(&self, key: [u8; 32], ttl: Duration) -> bool {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if entries.len() >= PRUNE_THRESHOLD && entries.len().is_power_of_two() {
            entries.retain(|_, expires| *expires > now);
        }
        match entries.get(&key) {
            Some(expires) if *expires > now => false,
            _ => {
                entries.insert(key, now + ttl);
                true
            }
        }
    }

    fn is_present(&self, key: &[u8; 32]) -> bool {
        let entries = self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        entries.get(key).is_some_and(|expires| *expires > Instant::now())
    }

    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ReplayGuard for MemoryGuard {
    fn first_use<'a>(&'a self, space: GuardSpace, id: &'a str, ttl: Duration) -> GuardFuture<'a, bool> {
        let fresh = self.insert_if_absent(guard_key(space, id), ttl);
        Box::pin(std::future::ready(Ok(fresh)))
    }

    fn contains<'a>(&'a self, space: GuardSpace, id: &'a str) -> GuardFuture<'a, bool> {
        let present = self.is_present(&guard_key(space, id));
        Box::pin(std::future::ready(Ok(present)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn first_use_once_per_space_and_expiry_frees() {
        let guard = MemoryGuard::new();
        let long = Duration::from_secs(60);
        assert!(guard.first_use(GuardSpace::SpentCode, "abc", long).await.unwrap());
        assert!(!guard.first_use(GuardSpace::SpentCode, "abc", long).await.unwrap());
        assert!(guard.first_use(GuardSpace::DeniedFamily, "abc", long).await.unwrap());
        assert!(guard.contains(GuardSpace::SpentCode, "abc").await.unwrap());
        assert!(!guard.contains(GuardSpace::DeniedAccess, "abc").await.unwrap());

        assert!(guard.first_use(GuardSpace::SpentCode, "short", Duration::from_millis(1)).await.unwrap());
        std::thread::sleep(Duration::from_millis(5));
        assert!(!guard.contains(GuardSpace::SpentCode, "short").await.unwrap());
        assert!(guard.first_use(GuardSpace::SpentCode, "short", long).await.unwrap());
    }

    #[tokio::test]
    async fn pruning_keeps_live_entries() {
        let guard = MemoryGuard::new();
        for i in 0..PRUNE_THRESHOLD * 2 + 1 {
            guard.first_use(GuardSpace::SpentCode, &i.to_string(), Duration::from_secs(60)).await.unwrap();
        }
        assert!(guard.contains(GuardSpace::SpentCode, "0").await.unwrap());
        assert!(!guard.first_use(GuardSpace::SpentCode, "7", Duration::from_secs(60)).await.unwrap());
    }

    #[test]
    fn stored_keys_are_hashes() {
        let key = guard_key(GuardSpace::SpentCode, "secret-code-id");
        assert_ne!(&key[..14], b"secret-code-id");
        assert_ne!(key, guard_key(GuardSpace::DeniedFamily, "secret-code-id"));
    }
}
