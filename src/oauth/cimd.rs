//! Client ID Metadata Documents (MCP authorization 2025-11-25; draft-ietf-oauth-client-id-metadata-document).
//!
//! A client may use an https URL as its `client_id`; we fetch that URL and read its OAuth
//! client metadata (RFC 7591 fields). Fetching a URL chosen by a stranger is a server-side
//! request forgery risk, so:
//! - the host is resolved by us and every address checked before any connection, and the
//!   connection goes to exactly those addresses (the check lives in the HTTP client's resolver,
//!   so no second lookup can be rebound to an internal address);
//! - no proxy, no redirects, one overall timeout, a small streamed body limit.
//!
//! Good documents are cached (bounded, honouring `Cache-Control`); failures are not, so a client
//! that fixes its document is seen at once. Concurrent fetches of one URL share one request.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::FutureExt as _;
use futures_util::future::{BoxFuture, Shared};
use reqwest::StatusCode;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{ACCEPT, CACHE_CONTROL, HeaderMap};
use serde::Serialize;
use serde_json::{Map, Value};
use url::{Host, Url};

use super::redirect::{InvalidRedirectUri, RedirectUri};

/// Longest client id URL we will fetch.
pub const MAX_CLIENT_ID_URL_LEN: usize = 2048;
/// How long a document is cached when its response says nothing about caching.
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(5 * 60);
/// Upper bound on any `max-age`: a changed or withdrawn document is seen within a day.
pub const MAX_CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// Longest `token_endpoint_auth_method` value repeated back in an error message.
const MAX_ECHOED_LEN: usize = 64;

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
}

impl Default for CimdConfig {
    fn default() -> Self {
        CimdConfig {
            allow_private_addresses: false,
            timeout: Duration::from_secs(5),
            max_bytes: 5 * 1024,
            cache_capacity: 1000,
            extra_root_certificates: Vec::new(),
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

/// Why a client id URL gave no usable document. `Display` is a sentence for a person reading
/// an error page.
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
}

impl CimdError {
    /// The document's server is down, slow or shedding load, as opposed to refusing the
    /// client or serving a bad document: worth a retry.
    pub fn is_unavailable(&self) -> bool {
        match self {
            CimdError::Unreachable | CimdError::Timeout => true,
            CimdError::HttpStatus(status) => *status >= 500 || matches!(status, 408 | 429),
            _ => false,
        }
    }
}

/// The HTTP client could not be built (typically: an extra root certificate is not valid DER).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for client metadata documents: {0}")]
pub struct CimdSetupError(#[source] reqwest::Error);

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
}

#[derive(Clone)]
struct Cached {
    document: Arc<ClientMetadataDocument>,
    expires_at: Instant,
}

impl CimdFetcher {
    /// Never fails: if the HTTP client cannot be built, the error is logged and every fetch
    /// answers `Unreachable`. Use [`CimdFetcher::try_new`] to refuse such a configuration.
    pub fn new(config: CimdConfig) -> CimdFetcher {
        let client = match build_client(&config) {
            Ok(client) => Some(client),
            Err(e) => {
                tracing::error!(error = %e, "client metadata documents cannot be fetched");
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
        let cache = quick_cache::sync::Cache::new(config.cache_capacity.max(1));
        CimdFetcher { inner: Arc::new(Inner { config, client, cache, in_flight: Mutex::default() }) }
    }

    /// Is this client id meant as a metadata document URL (an https URL with a path)? Such ids
    /// go to [`CimdFetcher::fetch`], which applies the full rules and says what is wrong.
    pub fn is_cimd_client_id(client_id: &str) -> bool {
        client_id.get(..8).is_some_and(|p| p.eq_ignore_ascii_case("https://"))
            && Url::parse(client_id).is_ok_and(|u| u.host().is_some() && u.path() != "/")
    }

    /// The validated document for this client id, from the cache or fetched now.
    pub async fn fetch(&self, client_id: &str) -> Result<Arc<ClientMetadataDocument>, CimdError> {
        let url = validate_url(client_id)?;
        if let Some(document) = self.inner.cached(client_id) {
            return Ok(document);
        }
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
                    // A task, not a future polled by the callers: the fetch completes and leaves
                    // `in_flight` even if every caller gives up (a browser closing the tab).
                    let task =
                        tokio::spawn(Arc::clone(&self.inner).fetch_and_cache(client_id.to_owned(), url));
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

    async fn fetch_and_cache(
        self: Arc<Self>,
        client_id: String,
        url: Url,
    ) -> Result<Arc<ClientMetadataDocument>, CimdError> {
        let result = tokio::time::timeout(self.config.timeout, self.fetch_uncached(&client_id, url))
            .await
            .unwrap_or(Err(CimdError::Timeout));
        match &result {
            Ok((document, ttl)) => {
                if let Some(expires_at) = Instant::now().checked_add(*ttl).filter(|_| !ttl.is_zero()) {
                    let cached = Cached { document: Arc::clone(document), expires_at };
                    self.cache.insert(client_id.clone(), cached);
                }
            }
            Err(e) => tracing::info!(client_id, error = %e, "client metadata document refused"),
        }
        lock(&self.in_flight).remove(&client_id);
        result.map(|(document, _)| document)
    }

    /// One fetch with no cache and no timeout (the caller applies it); returns the document and
    /// how long it may be cached.
    async fn fetch_uncached(
        &self,
        client_id: &str,
        url: Url,
    ) -> Result<(Arc<ClientMetadataDocument>, Duration), CimdError> {
        let client = self.client.as_ref().ok_or(CimdError::Unreachable)?;
        // Hosts written as IP addresses never reach the resolver, so they are checked here.
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if literal.is_some_and(|ip| !self.config.allow_private_addresses && !is_public_address(ip)) {
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
    let certificates = config
        .extra_root_certificates
        .iter()
        .map(|der| reqwest::Certificate::from_der(der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(CimdSetupError)?;
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would resolve the host itself, out of reach of our address check.
        .no_proxy()
        .referer(false)
        .user_agent(concat!("norman-mcp/", env!("CARGO_PKG_VERSION"), " (client metadata fetcher)"))
        .timeout(config.timeout)
        .dns_resolver(GuardedResolver { allow_private_addresses: config.allow_private_addresses });
    if !certificates.is_empty() {
        builder = builder.tls_certs_merge(certificates);
    }
    builder.build().map_err(CimdSetupError)
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded map stays consistent even if a holder panicked: every change is one call.
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Checks a client id URL against the rules of the draft: https, a host, a path, no fragment,
/// no user info, no dot segments. It must also be in the normal form a URL parser gives it, so
/// the string we fetch, the string we compare with the document's `client_id`, and the string
/// the client sends are one and the same.
fn validate_url(client_id: &str) -> Result<Url, CimdError> {
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
    if find_source::<AddressRefused>(&error).is_some() {
        return CimdError::PrivateAddress;
    }
    tracing::debug!(error = %error, "client metadata document request failed");
    if error.is_timeout() { CimdError::Timeout } else { CimdError::Unreachable }
}

/// Finds an error of type `T` in the source chain (bounded, in case of a cycle).
pub(crate) fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    for _ in 0..32 {
        let e = current?;
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// Validates the body against the fetched URL. Unknown fields are ignored (RFC 7591 §2).
fn parse_document(client_id: &str, body: &[u8]) -> Result<ClientMetadataDocument, CimdError> {
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

/// May a metadata document be fetched from this address? Only globally routable unicast
/// addresses qualify: not loopback, private (RFC 1918), shared (CGNAT), link-local, unique-local,
/// unspecified, multicast, broadcast, documentation, benchmarking or otherwise reserved ranges,
/// including IPv6 forms that embed such an IPv4 address (mapped, NAT64, 6to4).
pub fn is_public_address(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_public_v4(ip),
        IpAddr::V6(ip) => is_public_v6(ip),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let reserved = a == 0                                  // "this network", incl. 0.0.0.0
        || a == 10                                         // private
        || a == 127                                        // loopback
        || (a == 100 && (64..128).contains(&b))            // shared address space (CGNAT)
        || (a == 169 && b == 254)                          // link-local (cloud metadata!)
        || (a == 172 && (16..32).contains(&b))             // private
        || (a == 192 && b == 0 && c == 0)                  // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)                  // documentation
        || (a == 192 && b == 88 && c == 99)                // 6to4 relay anycast
        || (a == 192 && b == 168)                          // private
        || (a == 198 && (b == 18 || b == 19))              // benchmarking
        || (a == 198 && b == 51 && c == 100)               // documentation
        || (a == 203 && b == 0 && c == 113)                // documentation
        || a >= 224; // multicast, reserved, broadcast
    !reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded_v4 = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) reach the IPv4 address they carry.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    // Outside 2000::/3 nothing is global unicast: this refuses ::, ::1, the deprecated
    // IPv4-compatible ::/96, fc00::/7, fe80::/10, fec0::/10, ff00::/8, 100::/64 and the rest.
    if s[0] & 0xe000 != 0x2000 {
        return false;
    }
    let reserved = match s[0] {
        // IETF protocol assignments (Teredo, benchmarking, ORCHID…) and documentation.
        0x2001 => s[1] < 0x0200 || s[1] == 0x0db8,
        // Documentation (RFC 9637).
        0x3fff => s[1] < 0x1000,
        _ => false,
    };
    !reserved
}

/// Raised inside the resolver; found again in the request error's source chain.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves to {address}, which is not a public address")]
pub(crate) struct AddressRefused {
    host: String,
    address: IpAddr,
}

/// The HTTP client's resolver: resolves with the system resolver and refuses the name if any
/// address is not public. Refusing on any (not filtering) keeps a name that mixes public and
/// internal addresses from being used to probe the internal ones.
pub(crate) struct GuardedResolver {
    pub(crate) allow_private_addresses: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(resolve_checked(name.as_str().to_owned(), self.allow_private_addresses))
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

async fn resolve_checked(host: String, allow_private_addresses: bool) -> Result<Addrs, BoxError> {
    // Port 0: the connector puts in the URL's port.
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
    if addresses.is_empty() {
        return Err(format!("{host} has no addresses").into());
    }
    if !allow_private_addresses && let Some(bad) = addresses.iter().find(|a| !is_public_address(a.ip())) {
        return Err(Box::new(AddressRefused { host, address: bad.ip() }));
    }
    Ok(Box::new(addresses.into_iter()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn v4(text: &str) -> IpAddr {
        IpAddr::V4(text.parse().unwrap())
    }

    fn v6(text: &str) -> IpAddr {
        IpAddr::V6(text.parse().unwrap())
    }

    #[test]
    fn ipv4_classification() {
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "192.169.0.1",
            "198.17.0.1",
            "198.20.0.1",
            "223.255.255.255",
        ] {
            assert!(is_public_address(v4(public)), "{public} is public");
        }
        for reserved in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "127.0.0.1",
            "127.1.2.3",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "192.88.99.1",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!is_public_address(v4(reserved)), "{reserved} is not public");
        }
    }

    #[test]
    fn ipv6_classification() {
        for public in [
            "2606:4700:4700::1111",
            "2a00:1450:4001:80b::200e",
            "2001:4860:4860::8888",
            "2001:200::1",
            "3ffe::1",
            "3fff:1000::1",
        ] {
            assert!(is_public_address(v6(public)), "{public} is public");
        }
        for reserved in [
            "::",
            "::1",
            "::127.0.0.1",
            "::8.8.8.8",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "febf::1",
            "fec0::1",
            "ff02::1",
            "ff0e::1",
            "100::1",
            "64:ff9b:1::1",
            "2001::1",
            "2001:0:4136:e378::1",
            "2001:2::1",
            "2001:db8::1",
            "3fff::1",
            "3fff:fff::1",
            "5f00::1",
            "4000::1",
            "1::1",
        ] {
            assert!(!is_public_address(v6(reserved)), "{reserved} is not public");
        }
    }

    #[test]
    fn ipv6_forms_embedding_ipv4_are_classified_by_the_ipv4_address() {
        for (address, public) in [
            ("::ffff:127.0.0.1", false),
            ("::ffff:10.1.2.3", false),
            ("::ffff:169.254.169.254", false),
            ("::ffff:192.168.0.1", false),
            ("::ffff:100.64.0.1", false),
            ("::ffff:0.0.0.0", false),
            ("::ffff:255.255.255.255", false),
            ("::ffff:8.8.8.8", true),
            ("64:ff9b::127.0.0.1", false),
            ("64:ff9b::a9fe:a9fe", false),
            ("64:ff9b::8.8.8.8", true),
            ("2002:7f00:1::", false),
            ("2002:a00:1::1", false),
            ("2002:808:808::1", true),
        ] {
            assert_eq!(is_public_address(v6(address)), public, "{address}");
        }
    }

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
