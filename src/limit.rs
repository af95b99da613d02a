//! Per-key budgets of events a minute with fixed memory, and the unit a per-address limit
//! counts. Used by the login limits (failed sign-ins) and the metadata-document fetcher (new
//! fetches per client address).
//!
//! Each key holds one instant, GCRA style: every counted event pushes it one step (a minute
//! divided by the budget) into the future, and a key whose instant would pass a minute from
//! now is over its budget. A full budget may be spent at once; after that one event is allowed
//! per step. The table is a `quick_cache` cache of fixed capacity: a flood of new keys evicts
//! old ones (the least used first) and can never grow memory past the capacity.

use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

use quick_cache::sync::{Cache, EntryAction, EntryResult};

const WINDOW: Duration = Duration::from_secs(60);

/// Over a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// When the next event for this key will be allowed.
    pub retry_after: Duration,
}

/// Events per key: `budget` at once, then one per `step`.
pub struct KeyedBudget<K> {
    step: Duration,
    /// Per key, the instant by which its counted events have all run out.
    until: Cache<K, Instant>,
}

impl<K: Eq + std::hash::Hash + Clone> KeyedBudget<K> {
    /// `per_minute` events a minute per key (at least one); at most `capacity` keys held.
    pub fn new(per_minute: u32, capacity: usize) -> KeyedBudget<K> {
        KeyedBudget { step: WINDOW / per_minute.max(1), until: Cache::new(capacity) }
    }

    /// Counts one event for `key` unless that would exceed its budget.
    pub fn reserve(&self, key: K, now: Instant) -> Result<(), Limited> {
        let (step, limit) = (self.step, now + WINDOW);
        let advance = |until: Instant| {
            let next = until.max(now) + step;
            if next <= limit { Ok(next) } else { Err(Limited { retry_after: next - limit }) }
        };
        let result = self.until.entry(&key, None, |_, until| match advance(*until) {
            Ok(next) => {
                *until = next;
                EntryAction::Retain(Ok(()))
            }
            Err(limited) => EntryAction::Retain(Err(limited)),
        });
        match result {
            EntryResult::Retained(outcome) => outcome,
            EntryResult::Vacant(guard) => {
                // A step never exceeds the window, so a new key always has room.
                let _ = guard.insert(now + step);
                Ok(())
            }
            // Only `Retain` is ever answered, and `entry` without a timeout waits.
            EntryResult::Removed(..) | EntryResult::Replaced(..) | EntryResult::Timeout => Ok(()),
        }
    }

    /// Takes back one event reserved for `key` (if the key was evicted meanwhile, there is
    /// nothing to take back).
    pub fn release(&self, key: &K) {
        let step = self.step;
        let _ = self.until.entry(key, None, |_, until| {
            *until = until.checked_sub(step).unwrap_or(*until);
            EntryAction::Retain(())
        });
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.until.len()
    }

    pub fn is_empty(&self) -> bool {
        self.until.is_empty()
    }

    /// Keys held at most.
    pub fn capacity(&self) -> usize {
        usize::try_from(self.until.capacity()).unwrap_or(usize::MAX)
    }
}

/// The unit a per-address limit counts: an IPv4 address, or an IPv6 address's /64 (one
/// subscriber's network, RFC 6177: anyone holding one has all of its 2^64 addresses to pick
/// from). IPv4-mapped IPv6 addresses count as the IPv4 address they carry.
pub fn address_group(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn ipv6_addresses_are_grouped_by_their_64() {
        assert_eq!(address_group(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(address_group(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(address_group(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), ip("2001:db8:1:2::"));
        assert_ne!(address_group(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(address_group(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
    }

    #[test]
    fn a_budget_is_spent_at_once_then_refills_one_step_at_a_time() {
        let budget = KeyedBudget::new(6, 16);
        let now = Instant::now();
        for _ in 0..6 {
            budget.reserve("k", now).unwrap();
        }
        assert_eq!(budget.reserve("k", now), Err(Limited { retry_after: Duration::from_secs(10) }));
        budget.reserve("other", now).unwrap();
        budget.reserve("k", now + Duration::from_secs(10)).unwrap();
        budget.release(&"k");
        budget.reserve("k", now + Duration::from_secs(10)).unwrap();
        assert!(budget.reserve("k", now + Duration::from_secs(10)).is_err());
    }
}
