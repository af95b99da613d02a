//! The server's settings, from flags and the environment (see `main.rs` for the names).

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use crate::mcp::catalogue::Toolsets;
use crate::tokens::access::{DEFAULT_ACCESS_LIFETIME, MAX_ACCESS_LIFETIME};

/// Failed sign-ins a minute per client address by default; per email, half as many.
pub const DEFAULT_LOGIN_FAILURES_PER_MINUTE: u32 = 10;
/// How long a rotated refresh token presented again is taken for a concurrent duplicate.
pub const DEFAULT_REFRESH_REUSE_GRACE: Duration = Duration::from_secs(10);
/// The longest grace allowed: for that long a copied refresh token can be tried without its
/// grant being revoked.
pub const MAX_REFRESH_REUSE_GRACE: Duration = Duration::from_secs(60);
/// The shortest access-token lifetime allowed: shorter ones only make clients refresh.
pub const MIN_ACCESS_TOKEN_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// Where clients reach this server; the issuer and the MCP URL derive from it.
    pub public_url: Url,
    pub norman_api_url: Url,
    pub norman_api_timeout: Duration,
    /// Development only: fetch client metadata documents and upload URLs from private and
    /// loopback addresses.
    pub allow_private_metadata_fetch: bool,
    /// Browser origins allowed to call `/mcp` besides the public URL's own and loopback ones.
    pub allowed_origins: Vec<Url>,
    /// Load balancers whose `X-Forwarded-For` is believed (for the login rate limit).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub replay: ReplayConfig,
    /// How often to look at the key file's modification time; `None`: only on SIGHUP.
    pub keys_poll_interval: Option<Duration>,
    /// Serve `/metrics` on this address instead of the public one; `None`: on the public one.
    pub metrics_bind: Option<SocketAddr>,
    /// Failed sign-ins a minute per client address (half as many per email), per replica;
    /// `0`: no limits.
    pub login_failures_per_minute: u32,
    /// How long an access token lives at most; the Norman token it carries may end it sooner.
    pub access_token_ttl: Duration,
    /// The tool sets served: the tools listed and callable, and the prompts offered.
    pub toolsets: Toolsets,
}

/// A setting outside what the server accepts; the message names the flag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

/// The replay guard: where it lives and how long it may take.
#[derive(Debug, Clone)]
pub struct ReplayConfig {
    /// Shared by every replica; `None`: in memory, each replica on its own.
    pub store: Option<ReplayStoreUrl>,
    /// How long one guard operation may take before the store counts as unavailable.
    pub timeout: Duration,
    /// A rotated refresh token presented again within this window is a concurrent duplicate
    /// (answered, or refused without revoking); after it, a reuse that revokes its family.
    pub refresh_grace: Duration,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        ReplayConfig {
            store: None,
            timeout: Duration::from_millis(250),
            refresh_grace: DEFAULT_REFRESH_REUSE_GRACE,
        }
    }
}

/// A `redis://` URL. It may hold a password, so neither `Debug` nor `Display` shows more
/// than host and port.
#[derive(Clone)]
pub struct ReplayStoreUrl(Url);

impl ReplayStoreUrl {
    pub fn parse(text: &str) -> Result<ReplayStoreUrl, String> {
        let url = Url::parse(text).map_err(|e| format!("not a URL ({e}); expected redis://HOST:PORT"))?;
        if url.scheme() != "redis" {
            return Err("expected redis://HOST:PORT (TLS is not supported: use a private network)".into());
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("expected redis://HOST:PORT: the host is missing".into());
        }
        Ok(ReplayStoreUrl(url))
    }

    /// `host:port`, safe to log.
    pub fn address(&self) -> String {
        format!("{}:{}", self.0.host_str().unwrap_or_default(), self.0.port().unwrap_or(6379))
    }

    /// The whole URL, credentials included: for the Redis client only.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }
}

impl std::fmt::Debug for ReplayStoreUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReplayStoreUrl(redis://{})", self.address())
    }
}

impl std::str::FromStr for ReplayStoreUrl {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ReplayStoreUrl::parse(text)
    }
}

impl Config {
    /// Refuses settings the server must not run with.
    pub fn check(&self) -> Result<(), ConfigError> {
        let show = |d: Duration| humantime::format_duration(d).to_string();
        if self.replay.refresh_grace > MAX_REFRESH_REUSE_GRACE {
            return Err(ConfigError(format!(
                "--refresh-reuse-grace {} is too long: at most {} (for that long a copied refresh \
                 token is refused without its grant being revoked)",
                show(self.replay.refresh_grace),
                show(MAX_REFRESH_REUSE_GRACE)
            )));
        }
        let longest = MAX_ACCESS_LIFETIME.unsigned_abs();
        if !(MIN_ACCESS_TOKEN_TTL..=longest).contains(&self.access_token_ttl) {
            return Err(ConfigError(format!(
                "--access-token-ttl {} is out of range: from {} to {}",
                show(self.access_token_ttl),
                show(MIN_ACCESS_TOKEN_TTL),
                show(longest)
            )));
        }
        Ok(())
    }

    /// The access-token lifetime the token endpoint grants by default.
    pub fn default_access_token_ttl() -> Duration {
        DEFAULT_ACCESS_LIFETIME.unsigned_abs()
    }

    /// `access_token_ttl` as the token rules count time (saturating: `check` bounds it).
    pub fn access_lifetime(&self) -> time::Duration {
        time::Duration::try_from(self.access_token_ttl).unwrap_or(MAX_ACCESS_LIFETIME)
    }

    /// The issuer identifier: the public URL without a trailing slash, byte-identical in every
    /// metadata document and every `iss` parameter.
    pub fn issuer(&self) -> String {
        Config::issuer_of(&self.public_url)
    }

    /// The issuer identifier of a deployment whose public URL is `public_url`; everything it
    /// seals is bound to it (`Keyring::bound_to`).
    pub fn issuer_of(public_url: &Url) -> String {
        public_url.as_str().trim_end_matches('/').to_owned()
    }

    /// The canonical URL of the MCP endpoint, the audience of every access token (RFC 8707).
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.issuer())
    }

    /// Cookies get `Secure` and the `__Host-` prefix when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The default public URL for a bind address: `http://localhost:PORT`.
    pub fn default_public_url(bind: SocketAddr) -> Url {
        Url::parse(&format!("http://localhost:{}", bind.port())).expect("a valid URL")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(refresh_grace: Duration, access_token_ttl: Duration) -> Config {
        let bind: SocketAddr = "127.0.0.1:3001".parse().unwrap();
        Config {
            bind,
            public_url: Config::default_public_url(bind),
            norman_api_url: Url::parse("https://api.norman.finance/").unwrap(),
            norman_api_timeout: Duration::from_secs(30),
            allow_private_metadata_fetch: false,
            allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            replay: ReplayConfig { refresh_grace, ..ReplayConfig::default() },
            keys_poll_interval: None,
            metrics_bind: None,
            login_failures_per_minute: DEFAULT_LOGIN_FAILURES_PER_MINUTE,
            access_token_ttl,
            toolsets: Toolsets::ALL,
        }
    }

    #[test]
    fn the_refresh_grace_and_the_access_token_ttl_are_bounded() {
        let (minute, hour, day) =
            (Duration::from_secs(60), Duration::from_secs(3600), Duration::from_secs(86_400));
        for (grace, ttl) in [(Duration::ZERO, minute), (DEFAULT_REFRESH_REUSE_GRACE, hour), (minute, day)] {
            assert_eq!(config(grace, ttl).check(), Ok(()), "{grace:?} {ttl:?}");
        }
        let error = config(minute + Duration::from_millis(1), hour).check().unwrap_err().to_string();
        assert!(error.starts_with("--refresh-reuse-grace 1m 1ms is too long: at most 1m"), "{error}");
        for ttl in [Duration::from_secs(59), day + Duration::from_secs(1)] {
            let error = config(DEFAULT_REFRESH_REUSE_GRACE, ttl).check().unwrap_err().to_string();
            assert!(error.contains("--access-token-ttl") && error.contains("from 1m to 1day"), "{error}");
        }
        assert_eq!(config(Duration::ZERO, day).access_lifetime(), MAX_ACCESS_LIFETIME);
        assert_eq!(ReplayConfig::default().refresh_grace, Duration::from_secs(10));
    }

    #[test]
    fn replay_store_urls() {
        let url = ReplayStoreUrl::parse("redis://:hunter2-secret@10.0.0.5:6380/2").unwrap();
        assert_eq!(url.address(), "10.0.0.5:6380");
        assert!(!format!("{url:?}").contains("hunter2"));
        assert_eq!(ReplayStoreUrl::parse("redis://cache").unwrap().address(), "cache:6379");
        for bad in ["rediss://cache:6380", "http://cache", "cache:6379", "redis://"] {
            assert!(ReplayStoreUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
