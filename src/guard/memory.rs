//! The per-replica guard: a hash map of expiry instants, pruned as it grows.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{GuardFuture, GuardSpace, RefreshClaim, ReplayGuard, guard_key, refresh_claim};

#[derive(Default)]
pub struct MemoryGuard {
    entries: Mutex<HashMap<[u8; 32], Instant>>,
}

/// Entries are swept once the map passes this size, and again each time it doubles.
const PRUNE_THRESHOLD: usize = 4096;

type Entries<'a> = MutexGuard<'a, HashMap<[u8; 32], Instant>>;

impl MemoryGuard {
    pub fn new() -> MemoryGuard {
        MemoryGuard::default()
    }

    fn lock(&self) -> Entries<'_> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn insert_if_absent(entries: &mut Entries<'_>, key: [u8; 32], ttl: Duration, now: Instant) -> bool {
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

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ReplayGuard for MemoryGuard {
    fn first_use<'a>(&'a self, space: GuardSpace, id: &'a str, ttl: Duration) -> GuardFuture<'a, bool> {
        let fresh =
            MemoryGuard::insert_if_absent(&mut self.lock(), guard_key(space, id), ttl, Instant::now());
        Box::pin(std::future::ready(Ok(fresh)))
    }

    fn contains<'a>(&'a self, space: GuardSpace, id: &'a str) -> GuardFuture<'a, bool> {
        let key = guard_key(space, id);
        let present = self.lock().get(&key).is_some_and(|expires| *expires > Instant::now());
        Box::pin(std::future::ready(Ok(present)))
    }

    fn claim_refresh<'a>(
        &'a self,
        id: &'a str,
        grace: Duration,
        ttl: Duration,
    ) -> GuardFuture<'a, RefreshClaim> {
        let now = Instant::now();
        let mut entries = self.lock();
        let grace_free =
            MemoryGuard::insert_if_absent(&mut entries, guard_key(GuardSpace::RefreshGrace, id), grace, now);
        let spent_free =
            MemoryGuard::insert_if_absent(&mut entries, guard_key(GuardSpace::SpentRefresh, id), ttl, now);
        Box::pin(std::future::ready(Ok(refresh_claim(grace_free, spent_free))))
    }

    fn release_refresh<'a>(&'a self, id: &'a str) -> GuardFuture<'a, ()> {
        let mut entries = self.lock();
        entries.remove(&guard_key(GuardSpace::RefreshGrace, id));
        entries.remove(&guard_key(GuardSpace::SpentRefresh, id));
        Box::pin(std::future::ready(Ok(())))
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

    #[tokio::test]
    async fn refresh_claims_first_in_grace_then_reused() {
        let guard = MemoryGuard::new();
        let grace = Duration::from_millis(30);
        let life = Duration::from_secs(60);
        assert_eq!(guard.claim_refresh("r1", grace, life).await.unwrap(), RefreshClaim::First);
        assert_eq!(guard.claim_refresh("r1", grace, life).await.unwrap(), RefreshClaim::InGrace);
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(guard.claim_refresh("r1", grace, life).await.unwrap(), RefreshClaim::Reused);
        // A released claim (the rotation failed) leaves the token as it was.
        assert_eq!(guard.claim_refresh("r2", grace, life).await.unwrap(), RefreshClaim::First);
        guard.release_refresh("r2").await.unwrap();
        assert_eq!(guard.claim_refresh("r2", grace, life).await.unwrap(), RefreshClaim::First);
    }
}
