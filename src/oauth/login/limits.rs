//! Per-replica limits on failed sign-ins, by client address and by email.
//!
//! Only failures count: an attempt reserves one failure on its address and its email before
//! Norman is asked (so a burst of parallel guesses cannot all slip past the check) and gives
//! it back unless Norman refused the credentials. A correct password therefore never uses up
//! a limit, however often people sign in.
//!
//! An answer to the company choice page is a sign-in step of its own: it reserves a failure on
//! its address alone, before Norman's company lists are read again, and keeps it when the
//! answer named no company of the person's. Such an answer leaves the page usable, so without
//! this whoever holds the page and its cookie could make Norman read those lists, with the
//! person's token, as often as they liked for the page's ten minutes.
//!
//! The budgets are `crate::limit::KeyedBudget`s: fixed memory, a full budget at once, then
//! one failure per step.

use std::net::IpAddr;
use std::time::Instant;

use sha2::{Digest, Sha256};

pub use crate::limit::Limited;
use crate::limit::{KeyedBudget, address_group};

/// Keys each table holds at most: about 100 bytes each, so a few MiB per replica.
pub const TRACKED_KEYS: usize = 32 * 1024;

/// The longest email address there is (RFC 5321 §4.5.3.1.3: a path holds at most 256 octets,
/// two of them the angle brackets). Longer input is refused before it is hashed or sent on.
pub const MAX_EMAIL_BYTES: usize = 254;

/// The failure budgets of one replica; `None` inside: limits are off.
pub struct LoginLimits {
    budgets: Option<Budgets>,
}

struct Budgets {
    by_address: KeyedBudget<IpAddr>,
    by_email: KeyedBudget<[u8; 32]>,
    /// Salts the email hashes, so the table never holds a value that a dictionary of
    /// addresses could be matched against.
    email_salt: [u8; 16],
}

/// The failure reserved for one attempt on its address and its email (a company choice: its
/// address only). `failed` keeps it;
/// `release` gives it back. Dropped unsettled (the request went away while Norman was being
/// asked), it stays counted.
#[must_use]
pub struct Attempt<'a> {
    limits: &'a LoginLimits,
    reserved: Option<(IpAddr, Option<[u8; 32]>)>,
}

impl LoginLimits {
    /// `failures_per_minute` per client address, half as many (at least one) per email;
    /// `0` turns the limits off. `capacity`: keys each table holds at most.
    pub fn new(failures_per_minute: u32, capacity: usize) -> LoginLimits {
        let Some(per_address) = std::num::NonZeroU32::new(failures_per_minute) else {
            return LoginLimits { budgets: None };
        };
        let per_email = (per_address.get() / 2).max(1);
        let mut email_salt = [0u8; 16];
        // Without the OS's randomness the salt stays zero: the hashes are still not the
        // addresses, only guessable from a dictionary.
        let _ = getrandom::fill(&mut email_salt);
        LoginLimits {
            budgets: Some(Budgets {
                by_address: KeyedBudget::new(per_address.get(), capacity),
                by_email: KeyedBudget::new(per_email, capacity),
                email_salt,
            }),
        }
    }

    /// Reserves one failure for an attempt from `address` for `email` (at most
    /// `MAX_EMAIL_BYTES`, checked by the caller). The address is checked first: an address
    /// over its budget is refused without its email being looked at or remembered.
    pub fn begin(&self, address: IpAddr, email: &str, now: Instant) -> Result<Attempt<'_>, Limited> {
        let Some(budgets) = &self.budgets else {
            return Ok(Attempt { limits: self, reserved: None });
        };
        let address = address_group(address);
        budgets.by_address.reserve(address, now)?;
        let email = email_key(&budgets.email_salt, email);
        if let Err(limited) = budgets.by_email.reserve(email, now) {
            budgets.by_address.release(&address);
            return Err(limited);
        }
        Ok(Attempt { limits: self, reserved: Some((address, Some(email))) })
    }

    /// Reserves one failure for an answer to the company choice page from `address`.
    pub fn begin_company_answer(&self, address: IpAddr, now: Instant) -> Result<Attempt<'_>, Limited> {
        let Some(budgets) = &self.budgets else {
            return Ok(Attempt { limits: self, reserved: None });
        };
        let address = address_group(address);
        budgets.by_address.reserve(address, now)?;
        Ok(Attempt { limits: self, reserved: Some((address, None)) })
    }
}

impl Attempt<'_> {
    /// Norman refused the credentials, or the answer named no company of the person's: the
    /// failure stays counted.
    pub fn failed(self) {}

    /// Anything else (signed in, or Norman could not be asked): the reserved failure is given
    /// back.
    pub fn release(self) {
        if let (Some(budgets), Some((address, email))) = (&self.limits.budgets, self.reserved) {
            budgets.by_address.release(&address);
            if let Some(email) = email {
                budgets.by_email.release(&email);
            }
        }
    }
}

/// SHA-256 of the salt and the email as Norman compares it (trimmed, case-insensitive).
fn email_key(salt: &[u8; 16], email: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(email.trim().to_lowercase().as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;
    use std::time::Duration;

    use super::*;

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 7));

    fn budgets(limits: &LoginLimits) -> &Budgets {
        limits.budgets.as_ref().expect("limits on")
    }

    #[test]
    fn released_attempts_never_use_up_the_budget() {
        let limits = LoginLimits::new(10, 1024);
        let now = Instant::now();
        for _ in 0..100 {
            limits.begin(HOME, "person@example.com", now).unwrap().release();
        }
        for _ in 0..5 {
            limits.begin(HOME, "person@example.com", now).unwrap().failed();
        }
        let limited =
            limits.begin(HOME, "Person@Example.com ", now).err().expect("the email's five are spent");
        assert_eq!(limited.retry_after, Duration::from_secs(12), "one failure per 12 s after the burst");
        // The email is case- and space-insensitive; another email from the same address has
        // its own budget, until the address's ten are spent.
        for n in 0..5 {
            limits.begin(HOME, &format!("other{n}@example.com"), now).unwrap().failed();
        }
        let limited =
            limits.begin(HOME, "fresh@example.com", now).err().expect("the address's ten are spent");
        assert_eq!(limited.retry_after, Duration::from_secs(6));
        // A step later one more failure is allowed.
        let later = now + Duration::from_secs(6);
        limits.begin(HOME, "fresh@example.com", later).unwrap().failed();
        assert!(limits.begin(HOME, "fresh@example.com", later).is_err());
    }

    #[test]
    fn company_answers_share_the_address_budget_and_never_touch_an_email() {
        let limits = LoginLimits::new(4, 1024);
        let now = Instant::now();
        for _ in 0..50 {
            limits.begin_company_answer(HOME, now).unwrap().release();
        }
        for _ in 0..2 {
            limits.begin_company_answer(HOME, now).unwrap().failed();
        }
        assert_eq!(budgets(&limits).by_email.len(), 0, "no email is involved");
        for n in 0..2 {
            limits.begin(HOME, &format!("guess{n}@example.com"), now).unwrap().failed();
        }
        let limited = limits.begin_company_answer(HOME, now).err().expect("the address's four are spent");
        assert_eq!(limited.retry_after, Duration::from_secs(15));
        assert!(limits.begin(HOME, "person@example.com", now).is_err(), "and so are its sign-ins");
        let elsewhere = IpAddr::from([198, 51, 100, 1]);
        limits.begin_company_answer(elsewhere, now).unwrap().failed();
        assert!(LoginLimits::new(0, 16).begin_company_answer(HOME, now).is_ok(), "zero: off");
    }

    #[test]
    fn an_email_over_its_budget_gives_back_the_address_reservation() {
        let limits = LoginLimits::new(10, 1024);
        let now = Instant::now();
        for n in 0..5 {
            let from = IpAddr::from([198, 51, 100, n]);
            limits.begin(from, "victim@example.com", now).unwrap().failed();
        }
        for _ in 0..20 {
            assert!(limits.begin(HOME, "victim@example.com", now).is_err());
        }
        // Twenty refusals for the email cost HOME nothing: its ten failures are all there.
        for n in 0..10 {
            limits.begin(HOME, &format!("mine{n}@example.com"), now).unwrap().failed();
        }
        assert!(limits.begin(HOME, "mine10@example.com", now).is_err());
    }

    #[test]
    fn an_address_over_its_budget_short_circuits_before_the_email() {
        let limits = LoginLimits::new(4, 1024);
        let now = Instant::now();
        for n in 0..4 {
            limits.begin(HOME, &format!("guess{n}@example.com"), now).unwrap().failed();
        }
        let emails_before = budgets(&limits).by_email.len();
        for n in 0..1000 {
            assert!(limits.begin(HOME, &format!("flood{n}@example.com"), now).is_err());
        }
        assert_eq!(
            budgets(&limits).by_email.len(),
            emails_before,
            "no email of a limited address is remembered"
        );
    }

    #[test]
    fn ipv6_addresses_count_by_their_64() {
        let limits = LoginLimits::new(2, 1024);
        let now = Instant::now();
        for host in 1..=2u16 {
            let from = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0, 0, 0, host));
            limits.begin(from, &format!("a{host}@example.com"), now).unwrap().failed();
        }
        let same_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 2, 0xffff, 1, 2, 3));
        assert!(limits.begin(same_64, "b@example.com", now).is_err());
        let next_64 = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        limits.begin(next_64, "b@example.com", now).unwrap().release();

        assert_eq!(address_group("::ffff:192.0.2.7".parse().unwrap()), HOME, "IPv4-mapped is IPv4");
        assert_eq!(address_group(HOME), HOME);
    }

    #[test]
    fn a_flood_of_new_emails_cannot_grow_memory_past_the_capacity() {
        let limits = LoginLimits::new(u32::MAX, 256);
        let now = Instant::now();
        let emails = &budgets(&limits).by_email;
        let addresses = &budgets(&limits).by_address;
        for n in 0..20_000u32 {
            let from = IpAddr::from(n.to_be_bytes());
            limits.begin(from, &format!("random-{n}@example.com"), now).unwrap().failed();
            assert!(emails.len() <= emails.capacity(), "{} emails after {n}", emails.len());
            assert!(addresses.len() <= addresses.capacity());
        }
        assert!(emails.capacity() < 1024, "capacity {}", emails.capacity());
        assert!(emails.len() > 128, "the table is in use: {}", emails.len());
    }

    #[test]
    fn emails_are_stored_as_salted_hashes() {
        let salt = [7u8; 16];
        let key = email_key(&salt, "  Person@Example.com");
        assert_eq!(key, email_key(&salt, "person@example.com"));
        assert_ne!(key, email_key(&[8u8; 16], "person@example.com"));
        assert_ne!(&key[..18], b"person@example.com");
    }

    #[test]
    fn zero_turns_the_limits_off() {
        let limits = LoginLimits::new(0, 16);
        let now = Instant::now();
        for _ in 0..1000 {
            limits.begin(HOME, "person@example.com", now).unwrap().failed();
        }
    }
}
