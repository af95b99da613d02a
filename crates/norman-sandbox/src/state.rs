//! The state one sandbox shares between its handlers.

use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use url::Url;

use crate::authorizations::Authorizations;
use crate::blobs::FileStore;
use crate::founders::Founders;
use crate::sessions::Sessions;
use crate::tenants::Tenants;

/// The fake Norman API: the sessions, the companies and their records, and the presigned
/// files. Share it as `Arc<Sandbox>`; all methods take `&self`.
pub struct Sandbox {
    pub(crate) sessions: Sessions,
    /// Norman's OAuth authorization server: registered clients and waiting codes.
    pub(crate) authorizations: Authorizations,
    pub(crate) tenants: Tenants,
    pub(crate) files: FileStore,
    /// The founding drafts, which people own rather than companies.
    pub(crate) founders: Founders,
    /// Where the sandbox is reachable; presigned URLs are built from it. Falls back to the
    /// request's `Host` header when unset (when the router is served by someone else).
    pub(crate) base_url: RwLock<Option<Url>>,
    pub(crate) counters: Counters,
}

/// What [`crate::SandboxStats`] reports.
#[derive(Default)]
pub(crate) struct Counters {
    pub logins_ok: AtomicU64,
    pub logins_failed: AtomicU64,
    pub refreshes_ok: AtomicU64,
    pub refreshes_rejected: AtomicU64,
    pub api_calls: AtomicU64,
    pub unauthorized: AtomicU64,
    pub oauth_codes_ok: AtomicU64,
    pub oauth_refreshes_ok: AtomicU64,
    pub oauth_denied: AtomicU64,
    pub oauth_rejected: AtomicU64,
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}
