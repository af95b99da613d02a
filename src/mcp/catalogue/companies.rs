//! Which companies a caller may act on, asked from Norman and kept briefly: a call naming a
//! `company_id` (or a tax-advisor tool naming its client) is checked against this list before
//! Norman is asked for anything of that company, so a guessed id of another user's company is
//! refused here with a clear tool error; Norman's own 403/404 still apply behind it
//! (docs/architecture.md, "Choosing the company").

use std::sync::Arc;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::reply::Fail;
use crate::norman::{AccessibleCompany, Companies, NormanClient};
use crate::tokens::NormanToken;

/// How long a list is trusted: a company the person just lost is refused here within a
/// minute, and Norman refuses it at once anyway.
const TTL: Duration = Duration::from_secs(60);
/// Logins remembered at once; more evict the least used, so memory stays bounded.
const CAPACITY: usize = 4096;

/// Lists by SHA-256 of the Norman access token they were asked with: the token itself is
/// never a key, and a renewed token asks again. Failures are never kept.
pub(super) struct CompanyLists {
    cache: quick_cache::sync::Cache<[u8; 32], Arc<Listed>>,
}

struct Listed {
    at: Instant,
    companies: Arc<Companies>,
}

impl Default for CompanyLists {
    fn default() -> Self {
        CompanyLists { cache: quick_cache::sync::Cache::new(CAPACITY) }
    }
}

impl CompanyLists {
    /// The companies the holder of `token` may act on.
    pub(super) async fn of(
        &self,
        norman: &NormanClient,
        token: &NormanToken,
    ) -> Result<Arc<Companies>, Fail> {
        let key: [u8; 32] = Sha256::digest(token.expose().as_bytes()).into();
        if let Some(listed) = self.cache.get(&key).filter(|listed| listed.at.elapsed() < TTL) {
            return Ok(Arc::clone(&listed.companies));
        }
        let companies = Arc::new(norman.companies(token).await?);
        self.cache.insert(key, Arc::new(Listed { at: Instant::now(), companies: Arc::clone(&companies) }));
        Ok(companies)
    }

    /// The company `id`, when the holder of `token` may act on it; otherwise the tool error
    /// the model reads to correct `company_id`.
    pub(super) async fn check(
        &self,
        norman: &NormanClient,
        token: &NormanToken,
        id: &str,
    ) -> Result<AccessibleCompany, Fail> {
        let companies = self.of(norman, token).await?;
        companies.find(id).cloned().ok_or_else(|| {
            Fail::Arguments(format!(
                "`company_id` {id} is not a company this login may act on; list_companies shows the companies it may act on (its own and, for a tax advisor, the client companies)"
            ))
        })
    }
}
