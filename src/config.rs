//! The server's settings, from flags and the environment (see `cli/` for the names), or from
//! [`Config::local`] for development, tests and benchmarks. Only the assembly (`server`) and
//! the CLI read it; each part of the server receives the settings it uses.

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

pub use crate::guard::ReplayStoreUrl;
use crate::mcp::catalogue::Toolsets;
use crate::mcp::upload::UploadPolicy;
use crate::norman::oauth::NormanOAuthClient;
use crate::oauth::cimd::CimdConfig;
use crate::oauth::login::LoginMode;
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
    /// Fetching client metadata documents (`client_id` URLs).
    pub metadata_fetch: CimdConfig,
    /// Files the upload tools accept, and downloading the ones named by URL.
    pub uploads: UploadPolicy,
    /// `/mcp`'s last-resort timeout; `None`: the longest a tool call can take plus a margin.
    pub mcp_request_timeout: Option<Duration>,
    /// The tool sets served: the tools listed and callable, and the prompts offered.
    pub toolsets: Toolsets,
    /// Which sign-ins the login page offers (`--login`).
    pub login: LoginMode,
    /// This server's registration at Norman's authorization server, for "Sign in with
    /// Norman" (`--norman-oauth-client-id`); also refreshes the tokens obtained that way.
    pub norman_oauth: Option<NormanOAuthClient>,
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

impl Config {
    /// A server on `bind`, reached at `http://{bind}`, calling the Norman API at
    /// `norman_api_url`, with every other setting at its default: for development, tests and
    /// benchmarks, which change the fields they care about.
    pub fn local(bind: SocketAddr, norman_api_url: Url) -> Config {
        let public_url = Url::parse(&format!("http://{bind}")).expect("a socket address makes a valid URL");
        let mut config = Config {
            bind,
            public_url,
            norman_api_url,
            norman_api_timeout: Duration::from_secs(10),
            allowed_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            replay: ReplayConfig::default(),
            keys_poll_interval: None,
            metrics_bind: None,
            login_failures_per_minute: DEFAULT_LOGIN_FAILURES_PER_MINUTE,
            access_token_ttl: Config::default_access_token_ttl(),
            metadata_fetch: CimdConfig::default(),
            uploads: UploadPolicy::default(),
            mcp_request_timeout: None,
            toolsets: Toolsets::ALL,
            login: LoginMode::Password,
            norman_oauth: None,
        };
        config.allow_private_fetches(false);
        config
    }

    /// Development only when `allow`: fetch client metadata documents and upload URLs from
    /// private and loopback addresses too (`--allow-private-metadata-fetch`).
    pub fn allow_private_fetches(&mut self, allow: bool) {
        self.metadata_fetch.allow_private_addresses = allow;
        self.uploads.allow_private_addresses = allow;
    }

    /// The time limit of every request but `/mcp`'s: the login asks Norman twice in a row
    /// (login, then the companies), with room to spare.
    pub fn request_timeout(&self) -> Duration {
        self.norman_api_timeout * 2 + Duration::from_secs(5)
    }

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
        if self.login.offers_norman() && self.norman_oauth.is_none() {
            return Err(ConfigError(format!(
                "--login {} needs --norman-oauth-client-id (NORMAN_OAUTH_CLIENT_ID): the client id \
                 this server was given when it was registered at Norman's authorization server",
                self.login.as_str()
            )));
        }
        Ok(())
    }

    /// The redirect URI registered at Norman for "Sign in with Norman".
    pub fn norman_callback_url(&self) -> String {
        format!("{}/oauth/callback", self.issuer())
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
        let mut config = Config::local(bind, Url::parse("https://api.norman.finance/").unwrap());
        config.replay.refresh_grace = refresh_grace;
        config.access_token_ttl = access_token_ttl;
        config
    }

    #[test]
    fn a_local_configuration_passes_its_own_check() {
        let config =
            Config::local("127.0.0.1:3001".parse().unwrap(), Url::parse("http://127.0.0.1:9/").unwrap());
        assert_eq!(config.check(), Ok(()));
        assert_eq!(config.issuer(), "http://127.0.0.1:3001");
        assert_eq!(config.mcp_url(), "http://127.0.0.1:3001/mcp");
        assert!(!config.metadata_fetch.allow_private_addresses && !config.uploads.allow_private_addresses);
        assert!(!config.secure_cookies());
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
    fn signing_in_with_norman_needs_a_client_id() {
        let mut config = config(DEFAULT_REFRESH_REUSE_GRACE, Duration::from_secs(3600));
        for mode in [LoginMode::NormanOAuth, LoginMode::Both] {
            config.login = mode;
            let error = config.check().unwrap_err().to_string();
            assert!(
                error.starts_with(&format!("--login {} needs --norman-oauth-client-id", mode.as_str())),
                "{error}"
            );
        }
        config.norman_oauth = Some(NormanOAuthClient::new("norman-mcp".into(), None));
        assert_eq!(config.check(), Ok(()));
        assert_eq!(config.norman_callback_url(), "http://127.0.0.1:3001/oauth/callback");
    }
}
