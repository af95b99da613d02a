//! Client ID Metadata Documents (MCP authorization 2025-11-25; draft-ietf-oauth-client-id-metadata-document).
//!
//! A client may use an https URL as its `client_id`; we fetch that URL and read its OAuth
//! client metadata (RFC 7591 fields). Fetching a URL chosen by a stranger is a server-side
//! request forgery risk: the fetch goes through the guarded client of `net` (https only, every
//! address checked before connecting, no proxy), follows no redirects, has one overall timeout
//! and a small streamed body limit.
//!
//! Anyone can make us fetch (a `client_id` at `/authorize` needs no account), so fetching is
//! bounded: at most [`CimdConfig::max_concurrent_fetches`] at once on a replica (a fetch waits
//! briefly for a slot, then fails as `Busy`); new fetches per client address are limited
//! (`fetch_for`); and a host that did not answer (timeout, unreachable, no DNS answer) is not
//! asked again for [`CimdConfig::negative_cache_ttl`], so a stalling host cannot hold slots
//! request after request.
//!
//! Good documents are cached (bounded, honouring `Cache-Control`); other failures are not, so a
//! client that fixes its document is seen at once. Concurrent fetches of one URL share one
//! request.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap};
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::Semaphore;
use url::Url;

use crate::limit::{KeyedBudget, address_group};
use crate::net::{self, DnsConfig, FetchError, GuardedClientConfig, Redirects};
use crate::redirect::{InvalidRedirectUri, RedirectUri};

/// Longest client id URL we will fetch.
pub const MAX_CLIENT_ID_URL_LEN: usize = 2048;
/// How long a document is cached when its response says nothing about caching.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(5 * 60);
/// Upper bound on any `max-age`: a changed or withdrawn document is seen within a day.
pub const MAX_CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Longest `token_endpoint_auth_method` value repeated back in an error message.
const MAX_ECHOED_LEN: usize = 64;
/// Client addresses whose fetch counts are remembered; the least recently used are forgotten.
const ADDRESS_CAPACITY: usize = 10_000;
/// Hosts remembered as not answering.
const NEGATIVE_CAPACITY: usize = 1_000;

#[derive(Debug, Clone)]
pub struct CimdConfig {
    /// Allow documents on loopback and private networks. For development only.
    pub allow_private_addresses: bool,
    /// For the whole fetch: resolution, connection, TLS, headers and body.
    pub timeout: Duration,
    /// Largest body accepted.
    pub max_bytes: usize,
    /// How many documents the cache holds.
    pub cache_capacity: usize,
    /// Extra trusted roots (DER), on top of the system's; for tests with a self-signed server.
    pub extra_root_certificates: Vec<Vec<u8>>,
    pub dns: DnsConfig,
    /// Fetches under way at once, all URLs together.
    pub max_concurrent_fetches: usize,
    /// How long a fetch waits for one of those slots before it fails as `Busy`.
    pub queue_wait: Duration,
    /// New fetches one client address (IPv6: its /64) may cause per minute through
    /// [`CimdFetcher::fetch_for`]; `None`: unlimited.
    pub fetches_per_address_per_minute: Option<NonZeroU32>,
    /// How long a host that did not answer is not asked again; zero: always ask.
    pub negative_cache_ttl: Duration,
}

impl Default for CimdConfig {
    fn default() -> Self {
        CimdConfig {
            allow_private_addresses: false,
            timeout: Duration::from_secs(5),
            max_bytes: 5 * 1024,
            cache_capacity: 1024,
            extra_root_certificates: Vec::new(),
            dns: DnsConfig::default(),
            max_concurrent_fetches: 32,
            queue_wait: Duration::from_secs(1),
            fetches_per_address_per_minute: NonZeroU32::new(10),
            negative_cache_ttl: Duration::from_secs(30),
        }
    }
}

/// A fetched and validated client metadata document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientMetadataDocument {
    /// Equal to the URL it was fetched from.
    pub client_id: String,
    pub client_name: Option<String>,
    /// Never empty.
    pub redirect_uris: Vec<RedirectUri>,
    /// Always `"none"`: we accept only public clients this way.
    pub token_endpoint_auth_method: String,
    /// An https URL, or `None` (also when the document's value was not one).
    pub client_uri: Option<String>,
    /// An https URL, or `None` (also when the document's value was not one).
    pub logo_uri: Option<String>,
}

/// Why a client id URL gave no usable document. `Display` is an English sentence for the app's
/// developer, which the error page shows as a detail under the person's own-language message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CimdError {
    #[error("The client ID must be an https:// URL.")]
    NotHttps,
    #[error(
        "The client ID is not a usable metadata document URL: it needs a host and a path, \
         written in normal form, without a fragment, user name or dot segments."
    )]
    InvalidUrl,
    #[error(
        "The client ID points to a private or reserved network address, which this server does not fetch from."
    )]
    PrivateAddress,
    #[error("The client's metadata document could not be fetched: its server could not be reached.")]
    Unreachable,
    #[error("The client's metadata document could not be fetched: its server did not answer in time.")]
    Timeout,
    #[error(
        "The client's metadata document could not be fetched: its server answered with HTTP status {0}{note}.",
        note = if (300..400).contains(.0) { " (redirects are not followed)" } else { "" }
    )]
    HttpStatus(u16),
    #[error("The client's metadata document is larger than this server accepts.")]
    TooLarge,
    #[error("The client's metadata document is not a JSON object.")]
    NotJson,
    #[error("The client's metadata document has an invalid value for {0}.")]
    InvalidField(&'static str),
    #[error("The client's metadata document does not name the URL it was fetched from as its client_id.")]
    ClientIdMismatch,
    #[error("The client's metadata document lists no redirect URIs.")]
    NoRedirectUris,
    #[error("The client's metadata document lists an invalid redirect URI: {0}.")]
    InvalidRedirectUri(InvalidRedirectUri),
    #[error(
        "The client's metadata document asks for the token endpoint authentication method {0}, \
         but this server accepts only public clients (none)."
    )]
    UnsupportedAuthMethod(String),
    #[error(
        "The client's metadata document could not be fetched: this server is fetching too many \
         documents right now. Please try again in a moment."
    )]
    Busy,
    #[error(
        "The client's metadata document was not fetched: too many new apps were connected from \
         your network in the last minute. Please try again in a minute."
    )]
    RateLimited,
}

impl CimdError {
    /// The document's server is down, slow or shedding load, as opposed to refusing the
    /// client or serving a bad document: worth a retry.
    pub fn is_unavailable(&self) -> bool {
        match self {
            CimdError::Unreachable | CimdError::Timeout | CimdError::Busy | CimdError::RateLimited => true,
            CimdError::HttpStatus(status) => *status >= 500 || matches!(status, 408 | 429),
            _ => false,
        }
    }
}

impl From<FetchError> for CimdError {
    fn from(error: FetchError) -> CimdError {
        match error {
            FetchError::PrivateAddress => CimdError::PrivateAddress,
            FetchError::Timeout => CimdError::Timeout,
            FetchError::Unreachable => CimdError::Unreachable,
        }
    }
}

/// The HTTP client could not be built (an extra root certificate is not valid DER, or the
/// system's DNS configuration cannot be read).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for client metadata documents: {0}")]
pub struct CimdSetupError(#[source] net::SetupError);

type SharedFetch = Shared<BoxFuture<'static, Result<Arc<ClientMetadataDocument>, CimdError>>>;

/// Fetches, validates and caches client metadata documents. Cheap to clone; clones share the
/// cache.
#[derive(Clone)]
pub struct CimdFetcher {
    inner: Arc<Inner>,
}

struct Inner {
    config: CimdConfig,
    /// `None` only when `new` could not build a client; every fetch then fails.
    client: Option<reqwest::Client>,
    cache: quick_cache::sync::Cache<String, Cached>,
    /// Fetches under way, so concurrent callers for one URL share a request. Entries are
    /// removed by the fetch task itself, which always ends (the timeout bounds it).
    in_flight: Mutex<HashMap<String, SharedFetch>>,
    /// One permit per fetch under way.
    slots: Semaphore,
    /// New fetches per client address group.
    per_address: Option<KeyedBudget<IpAddr>>,
    /// Hosts that did not answer, with the error they gave.
    not_answering: quick_cache::sync::Cache<String, NotAnswering>,
}

#[derive(Clone)]
struct Cached {
    document: Arc<ClientMetadataDocument>,
    expires_at: Instant,
}

#[derive(Clone)]
struct NotAnswering {
    error: CimdError,
    until: Instant,
}

impl CimdFetcher {
    /// Never fails: if the HTTP client cannot be built, the error is logged and every fetch
    /// answers `Unreachable`. Use [`CimdFetcher::try_new`] to refuse such a configuration.
    pub fn new(config: CimdConfig) -> CimdFetcher {
        let client = match build_client(&config) {
            Ok(client) => Some(client),
            Err(e) => {
                tracing::error!(error = ?e, "client metadata documents cannot be fetched");
                None
            }
        };
        CimdFetcher::with_client(config, client)
    }

    pub fn try_new(config: CimdConfig) -> Result<CimdFetcher, CimdSetupError> {
        let client = build_client(&config)?;
        Ok(CimdFetcher::with_client(config, Some(client)))
    }

    fn with_client(config: CimdConfig, client: Option<reqwest::Client>) -> CimdFetcher {
        let inner = Inner {
            cache: quick_cache::sync::Cache::new(config.cache_capacity.max(1)),
            in_flight: Mutex::default(),
            slots: Semaphore::new(config.max_concurrent_fetches),
            per_address: config
                .fetches_per_address_per_minute
                .map(|per_minute| KeyedBudget::new(per_minute.get(), ADDRESS_CAPACITY)),
            not_answering: quick_cache::sync::Cache::new(NEGATIVE_CAPACITY),
            config,
            client,
        };
        CimdFetcher { inner: Arc::new(inner) }
    }

    /// Is this client id meant as a metadata document URL (an https URL with a path)? Such ids
    /// go to [`CimdFetcher::fetch`], which applies the full rules and says what is wrong.
    pub fn is_cimd_client_id(client_id: &str) -> bool {
        client_id.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("https://"))
            && Url::parse(client_id).is_ok_and(|u| u.host().is_some() && u.path() != "/")
    }

    /// The validated document for this client id, from the cache or fetched now. For client
    /// ids out of something this server sealed; a request that names a client id itself goes
    /// through [`CimdFetcher::fetch_for`].
    pub async fn fetch(&self, client_id: &str) -> Result<Arc<ClientMetadataDocument>, CimdError> {
        self.fetch_counted(client_id, None).await
    }

    /// Like [`CimdFetcher::fetch`], but a new fetch (not a cached document, not a fetch of the
    /// same URL already under way) counts against the limit of `requester`'s address.
    pub async fn fetch_for(
        &self,
        client_id: &str,
        requester: IpAddr,
    ) -> Result<Arc<ClientMetadataDocument>, CimdError> {
        self.fetch_counted(client_id, Some(requester)).await
    }

    async fn fetch_counted(
        &self,
        client_id: &str,
        requester: Option<IpAddr>,
    ) -> Result<Arc<ClientMetadataDocument>, CimdError> {
        let url = validate_url(client_id)?;
        if let Some(document) = self.inner.cached(client_id) {
            return Ok(document);
        }
        let host = url.host_str().unwrap_or_default().to_owned();
        let fetch = {
            let mut in_flight = lock(&self.inner.in_flight);
            // A fetch may have finished between the look-up above and taking the lock; it fills
            // the cache before it leaves `in_flight`, so looking again here cannot miss it.
            if let Some(document) = self.inner.cached(client_id) {
                return Ok(document);
            }
            match in_flight.get(client_id) {
                Some(fetch) => fetch.clone(),
                None => {
                    if let Some(error) = self.inner.not_answering(&host) {
                        return Err(error);
                    }
                    if let Some(requester) = requester
                        && !self.inner.admit(requester)
                    {
                        tracing::info!(
                            client_id,
                            "client metadata document fetch refused: address over its limit"
                        );
                        return Err(CimdError::RateLimited);
                    }
                    // A task, not a future polled by the callers: the fetch completes and leaves
                    // `in_flight` even if every caller gives up (a browser closing the tab).
                    let task = tokio::spawn(Arc::clone(&self.inner).fetch_and_cache(
                        client_id.to_owned(),
                        host,
                        url,
                    ));
                    let fetch =
                        async move { task.await.unwrap_or(Err(CimdError::Unreachable)) }.boxed().shared();
                    in_flight.insert(client_id.to_owned(), fetch.clone());
                    fetch
                }
            }
        };
        fetch.await
    }
}

impl Inner {
    fn cached(&self, client_id: &str) -> Option<Arc<ClientMetadataDocument>> {
        let cached = self.cache.get(client_id)?;
        let now = Instant::now();
        if cached.expires_at > now {
            return Some(cached.document);
        }
        self.cache.remove_if(client_id, |c| c.expires_at <= now);
        None
    }

    /// The error a host that recently did not answer gave, while it is remembered.
    fn not_answering(&self, host: &str) -> Option<CimdError> {
        let entry = self.not_answering.get(host)?;
        let now = Instant::now();
        if entry.until > now {
            return Some(entry.error);
        }
        self.not_answering.remove_if(host, |e| e.until <= now);
        None
    }

    /// Counts one new fetch for `requester`'s address group; false when it is over its limit.
    fn admit(&self, requester: IpAddr) -> bool {
        self.per_address
            .as_ref()
            .is_none_or(|budget| budget.reserve(address_group(requester), Instant::now()).is_ok())
    }

    async fn fetch_and_cache(
        self: Arc<Self>,
        client_id: String,
        host: String,
        url: Url,
    ) -> Result<Arc<ClientMetadataDocument>, CimdError> {
        let result = self.fetch_in_slot(&client_id, url).await;
        match &result {
            Ok((document, ttl)) => {
                if let Some(expires_at) = Instant::now().checked_add(*ttl).filter(|_| !ttl.is_zero()) {
                    let cached = Cached { document: Arc::clone(document), expires_at };
                    self.cache.insert(client_id.clone(), cached);
                }
            }
            Err(error) => {
                let ttl = self.config.negative_cache_ttl;
                if matches!(error, CimdError::Timeout | CimdError::Unreachable)
                    && let Some(until) = Instant::now().checked_add(ttl).filter(|_| !ttl.is_zero())
                {
                    self.not_answering.insert(host, NotAnswering { error: error.clone(), until });
                }
                tracing::info!(client_id, ?error, "client metadata document refused");
            }
        }
        lock(&self.in_flight).remove(&client_id);
        result.map(|(document, _)| document)
    }

    /// Waits (briefly) for a slot, then fetches under the timeout.
    async fn fetch_in_slot(
        &self,
        client_id: &str,
        url: Url,
    ) -> Result<(Arc<ClientMetadataDocument>, Duration), CimdError> {
        let Ok(Ok(_slot)) = tokio::time::timeout(self.config.queue_wait, self.slots.acquire()).await else {
            return Err(CimdError::Busy);
        };
        tokio::time::timeout(self.config.timeout, self.fetch_uncached(client_id, url))
            .await
            .unwrap_or(Err(CimdError::Timeout))
    }

    /// One fetch with no cache and no timeout (the caller applies it); returns the document and
    /// how long it may be cached.
    async fn fetch_uncached(
        &self,
        client_id: &str,
        url: Url,
    ) -> Result<(Arc<ClientMetadataDocument>, Duration), CimdError> {
        let client = self.client.as_ref().ok_or(CimdError::Unreachable)?;
        if net::refused_literal(&url, self.config.allow_private_addresses) {
            return Err(CimdError::PrivateAddress);
        }
        let mut response =
            client.get(url).header(ACCEPT, "application/json").send().await.map_err(request_error)?;
        if response.status() != StatusCode::OK {
            return Err(CimdError::HttpStatus(response.status().as_u16()));
        }
        let max = self.config.max_bytes;
        // Content-Length only lets us refuse early; the streamed count below is what holds.
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(CimdError::TooLarge);
        }
        let ttl = cache_ttl(response.headers());
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(request_error)? {
            if body.len() + chunk.len() > max {
                return Err(CimdError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok((Arc::new(parse_document(client_id, &body)?), ttl))
    }
}

fn build_client(config: &CimdConfig) -> Result<reqwest::Client, CimdSetupError> {
    net::client::build(&GuardedClientConfig {
        allow_private_addresses: config.allow_private_addresses,
        timeout: config.timeout,
        dns: &config.dns,
        extra_root_certificates: &config.extra_root_certificates,
        user_agent: concat!("norman-mcp/", env!("CARGO_PKG_VERSION"), " (client metadata fetcher)"),
        redirects: Redirects::Refuse,
    })
    .map_err(CimdSetupError)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded map stays consistent even if a holder panicked: every change is one call.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Checks a client id URL against the rules of the draft: https, a host, a path, no fragment,
/// no user info, no dot segments. It must also be in the normal form a URL parser gives it, so
/// the string we fetch, the string we compare with the document's `client_id`, and the string
/// the client sends are one and the same.
pub(crate) fn validate_url(client_id: &str) -> Result<Url, CimdError> {
    if client_id.len() > MAX_CLIENT_ID_URL_LEN {
        return Err(CimdError::InvalidUrl);
    }
    let url = Url::parse(client_id).map_err(|_| CimdError::InvalidUrl)?;
    if url.scheme() != "https" {
        return Err(CimdError::NotHttps);
    }
    let rest = client_id.get("https://".len()..).unwrap_or_default();
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path_and_more) = rest.split_at(authority_end);
    let raw_path = path_and_more.split(['?', '#']).next().unwrap_or_default();
    let dot_segment = raw_path.split('/').any(|segment| {
        let segment = segment.to_ascii_lowercase().replace("%2e", ".");
        segment == "." || segment == ".."
    });
    if url.host().is_none()
        || authority.contains('@')
        || client_id.contains('#')
        || dot_segment
        || url.path() == "/"
        || url.as_str() != client_id
    {
        return Err(CimdError::InvalidUrl);
    }
    Ok(url)
}

fn request_error(error: reqwest::Error) -> CimdError {
    CimdError::from(FetchError::of(error))
}

/// Validates the body against the fetched URL. Unknown fields are ignored (RFC 7591 §2).
pub(crate) fn parse_document(client_id: &str, body: &[u8]) -> Result<ClientMetadataDocument, CimdError> {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return Err(CimdError::NotJson);
    };
    if fields.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err(CimdError::ClientIdMismatch);
    }
    let redirect_uris = match fields.get("redirect_uris") {
        None | Some(Value::Null) => return Err(CimdError::NoRedirectUris),
        Some(Value::Array(items)) if items.is_empty() => return Err(CimdError::NoRedirectUris),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => RedirectUri::parse(text).map_err(CimdError::InvalidRedirectUri),
                _ => Err(CimdError::InvalidField("redirect_uris")),
            })
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(CimdError::InvalidField("redirect_uris")),
    };
    // RFC 7591 §2: the default method is client_secret_basic, but a metadata document cannot
    // hold a secret, so a missing value can only mean a public client.
    match optional_str(&fields, "token_endpoint_auth_method")? {
        None | Some("none") => {}
        Some(other) => {
            let shown: String = other.chars().take(MAX_ECHOED_LEN).collect();
            return Err(CimdError::UnsupportedAuthMethod(shown));
        }
    }
    let client_name =
        optional_str(&fields, "client_name")?.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    Ok(ClientMetadataDocument {
        client_id: client_id.to_owned(),
        client_name,
        redirect_uris,
        token_endpoint_auth_method: "none".to_owned(),
        client_uri: optional_str(&fields, "client_uri")?.and_then(web_link),
        logo_uri: optional_str(&fields, "logo_uri")?.and_then(web_link),
    })
}

/// A string field that may be absent or null; any other type is an error.
fn optional_str<'a>(
    fields: &'a Map<String, Value>,
    name: &'static str,
) -> Result<Option<&'a str>, CimdError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(CimdError::InvalidField(name)),
    }
}

/// `client_uri` and `logo_uri` end up as links and images on our pages: only plain https URLs
/// are kept. A bad one is dropped rather than failing the client; it is decoration.
fn web_link(text: &str) -> Option<String> {
    let plain = text.len() <= MAX_CLIENT_ID_URL_LEN && text.bytes().all(|b| b.is_ascii_graphic());
    let url = Url::parse(text).ok().filter(|_| plain)?;
    (url.scheme() == "https" && url.host().is_some() && url.username().is_empty() && url.password().is_none())
        .then(|| url.into())
}

/// How long a response may be cached: `no-store`/`no-cache` or `max-age=0` → not at all;
/// `max-age=N` → N seconds, at most [`MAX_CACHE_TTL`]; nothing said → [`DEFAULT_CACHE_TTL`].
/// An unreadable `max-age` counts as stale (RFC 9111 §4.2.1).
fn cache_ttl(headers: &HeaderMap) -> Duration {
    let mut max_age: Option<Duration> = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else {
            return Duration::ZERO;
        };
        for directive in value.split(',') {
            let (name, argument) = match directive.split_once('=') {
                Some((name, argument)) => (name.trim(), Some(argument.trim().trim_matches('"'))),
                None => (directive.trim(), None),
            };
            if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
                return Duration::ZERO;
            }
            if name.eq_ignore_ascii_case("max-age") {
                let seconds = match argument {
                    Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                        // Too many digits to parse is simply "very long".
                        digits.parse::<u64>().unwrap_or(u64::MAX)
                    }
                    _ => 0,
                };
                let age = Duration::from_secs(seconds.min(MAX_CACHE_TTL.as_secs()));
                // Conflicting max-age directives: the shortest wins.
                max_age = Some(max_age.map_or(age, |previous| previous.min(age)));
            }
        }
    }
    max_age.unwrap_or(DEFAULT_CACHE_TTL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn client_id_urls() {
        for good in [
            "https://example.com/client.json",
            "https://example.com/oauth/client?v=2",
            "https://example.com:8443/c",
            "https://localhost:1234/client.json",
            "https://[2001:db8::1]/c",
        ] {
            assert_eq!(validate_url(good).map(|u| u.to_string()), Ok(good.to_owned()), "{good}");
            assert!(CimdFetcher::is_cimd_client_id(good), "{good}");
        }
        assert_eq!(validate_url("http://example.com/client.json"), Err(CimdError::NotHttps));
        assert_eq!(validate_url("ftp://example.com/client.json"), Err(CimdError::NotHttps));
        for bad in [
            "",
            "client",
            "nmi_abcdef",
            "https://example.com",
            "https://example.com/",
            "https://example.com/?x=1",
            "https://example.com/client.json#x",
            "https://example.com/client.json#",
            "https://user@example.com/client.json",
            "https://user:pw@example.com/client.json",
            "https://@example.com/client.json",
            "https://example.com/a/../client.json",
            "https://example.com/./client.json",
            "https://example.com/a/%2e%2E/client.json",
            "https://example.com/a/..",
            "https://EXAMPLE.com/client.json",
            "https://example.com:443/client.json",
            "https:/example.com/client.json",
            "https://example.com\\client.json",
            " https://example.com/client.json",
            "https://example.com/cli ent.json",
            "HTTPS://example.com/client.json",
        ] {
            assert_eq!(validate_url(bad).err(), Some(CimdError::InvalidUrl), "{bad:?}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_CLIENT_ID_URL_LEN));
        assert_eq!(validate_url(&long).err(), Some(CimdError::InvalidUrl));

        for not_cimd in ["nmi_abc", "http://example.com/c", "https://example.com", "https://example.com/", ""]
        {
            assert!(!CimdFetcher::is_cimd_client_id(not_cimd), "{not_cimd}");
        }
    }

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(CACHE_CONTROL, HeaderValue::from_str(v).unwrap());
        }
        map
    }

    #[test]
    fn cache_lifetimes() {
        assert_eq!(cache_ttl(&headers(&[])), DEFAULT_CACHE_TTL);
        assert_eq!(cache_ttl(&headers(&["public"])), DEFAULT_CACHE_TTL);
        assert_eq!(cache_ttl(&headers(&["max-age=60"])), Duration::from_secs(60));
        assert_eq!(cache_ttl(&headers(&["public, MAX-AGE = 120 "])), Duration::from_secs(120));
        assert_eq!(cache_ttl(&headers(&["max-age=\"30\""])), Duration::from_secs(30));
        assert_eq!(cache_ttl(&headers(&["max-age=0"])), Duration::ZERO);
        assert_eq!(cache_ttl(&headers(&["max-age=31536000"])), MAX_CACHE_TTL);
        assert_eq!(cache_ttl(&headers(&["max-age=99999999999999999999999"])), MAX_CACHE_TTL);
        assert_eq!(cache_ttl(&headers(&["max-age=-5"])), Duration::ZERO);
        assert_eq!(cache_ttl(&headers(&["max-age=abc"])), Duration::ZERO);
        assert_eq!(cache_ttl(&headers(&["max-age="])), Duration::ZERO);
        assert_eq!(cache_ttl(&headers(&["no-store"])), Duration::ZERO);
        assert_eq!(cache_ttl(&headers(&["max-age=600, no-store"])), Duration::ZERO);
        assert_eq!(cache_ttl(&headers(&["max-age=600", "No-Cache"])), Duration::ZERO);
        assert_eq!(cache_ttl(&headers(&["max-age=600", "max-age=60"])), Duration::from_secs(60));
    }

    const ID: &str = "https://app.example/client.json";

    fn doc(json: Value) -> Result<ClientMetadataDocument, CimdError> {
        parse_document(ID, json.to_string().as_bytes())
    }

    #[test]
    fn documents() {
        let good = doc(serde_json::json!({
            "client_id": ID,
            "client_name": "  Example App ",
            "redirect_uris": ["http://127.0.0.1:3000/cb", "cursor://x/cb", "https://app.example/cb"],
            "token_endpoint_auth_method": "none",
            "client_uri": "https://app.example/",
            "logo_uri": "javascript:alert(1)",
            "grant_types": ["authorization_code"],
            "unknown": {"nested": true}
        }))
        .unwrap();
        assert_eq!(good.client_name.as_deref(), Some("Example App"));
        assert_eq!(good.redirect_uris.len(), 3);
        assert_eq!(good.token_endpoint_auth_method, "none");
        assert_eq!(good.client_uri.as_deref(), Some("https://app.example/"));
        assert_eq!(good.logo_uri, None);

        let minimal =
            doc(serde_json::json!({"client_id": ID, "redirect_uris": ["https://a.example/cb"]})).unwrap();
        assert_eq!(minimal.token_endpoint_auth_method, "none");
        assert_eq!(minimal.client_name, None);

        let cases = [
            (serde_json::json!([1, 2]), CimdError::NotJson),
            (serde_json::json!("text"), CimdError::NotJson),
            (serde_json::json!({"redirect_uris": ["https://a.example/cb"]}), CimdError::ClientIdMismatch),
            (
                serde_json::json!({"client_id": 5, "redirect_uris": ["https://a.example/cb"]}),
                CimdError::ClientIdMismatch,
            ),
            (
                serde_json::json!({"client_id": "https://app.example/client.json/", "redirect_uris": ["https://a.example/cb"]}),
                CimdError::ClientIdMismatch,
            ),
            (serde_json::json!({"client_id": ID}), CimdError::NoRedirectUris),
            (serde_json::json!({"client_id": ID, "redirect_uris": []}), CimdError::NoRedirectUris),
            (
                serde_json::json!({"client_id": ID, "redirect_uris": "https://a.example/cb"}),
                CimdError::InvalidField("redirect_uris"),
            ),
            (
                serde_json::json!({"client_id": ID, "redirect_uris": [7]}),
                CimdError::InvalidField("redirect_uris"),
            ),
            (
                serde_json::json!({"client_id": ID, "redirect_uris": ["https://a.example/cb", "http://evil.example/cb"]}),
                CimdError::InvalidRedirectUri(InvalidRedirectUri::HttpNotLoopback),
            ),
            (
                serde_json::json!({"client_id": ID, "redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}),
                CimdError::UnsupportedAuthMethod("private_key_jwt".into()),
            ),
            (
                serde_json::json!({"client_id": ID, "redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": 1}),
                CimdError::InvalidField("token_endpoint_auth_method"),
            ),
            (
                serde_json::json!({"client_id": ID, "redirect_uris": ["https://a.example/cb"], "client_name": ["x"]}),
                CimdError::InvalidField("client_name"),
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(doc(json.clone()), Err(expected), "{json}");
        }
        assert_eq!(parse_document(ID, b"not json"), Err(CimdError::NotJson));
        assert_eq!(parse_document(ID, b""), Err(CimdError::NotJson));
        assert_eq!(parse_document(ID, &[0xff, 0xfe, 0x00]), Err(CimdError::NotJson));

        let long_method = "m".repeat(1000);
        let json = serde_json::json!({"client_id": ID, "redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": long_method});
        assert_eq!(doc(json), Err(CimdError::UnsupportedAuthMethod("m".repeat(MAX_ECHOED_LEN))));
    }

    #[test]
    fn error_messages_are_sentences() {
        assert_eq!(
            CimdError::HttpStatus(302).to_string(),
            "The client's metadata document could not be fetched: its server answered with HTTP status 302 (redirects are not followed)."
        );
        assert_eq!(
            CimdError::HttpStatus(404).to_string(),
            "The client's metadata document could not be fetched: its server answered with HTTP status 404."
        );
        assert_eq!(
            CimdError::InvalidRedirectUri(InvalidRedirectUri::Fragment).to_string(),
            "The client's metadata document lists an invalid redirect URI: the redirect URI must not contain a fragment."
        );
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,80}", tail in "[a-zA-Z:/\\[\\]@#?.%0-9]{0,40}", body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..200)) {
            let _ = validate_url(&text);
            let _ = CimdFetcher::is_cimd_client_id(&text);
            let url = format!("https://{tail}");
            let _ = (validate_url(&url), CimdFetcher::is_cimd_client_id(&url));
            let _ = parse_document(&url, &body);
            let _ = web_link(&text);
        }
    }
}
