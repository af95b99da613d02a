//! `norman-mcp serve`: the flags that make a [`Config`], and running the server until it is
//! told to stop.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use norman_mcp::config::{Config, DEFAULT_LOGIN_FAILURES_PER_MINUTE, ReplayConfig, ReplayStoreUrl};
use norman_mcp::keyring::{SharedKeyring, watch};
use norman_mcp::mcp::catalogue::Toolsets;
use norman_mcp::norman::oauth::NormanOAuthClient;
use norman_mcp::oauth::login::LoginMode;
use norman_mcp::server;
use url::Url;

use super::parse::{parse_login_mode, parse_net, parse_norman_api_url, parse_std_duration};
use super::{CliError, KeysFileArg};

#[derive(clap::Args)]
pub struct ListenArgs {
    /// Address to listen on; overrides --host and --port.
    #[arg(long, env = "NORMAN_MCP_BIND")]
    bind: Option<SocketAddr>,
    /// Host to listen on when --bind is not given.
    #[arg(long, env = "NORMAN_MCP_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port to listen on when --bind is not given.
    #[arg(long, env = "NORMAN_MCP_PORT", default_value_t = 3001)]
    port: u16,
    /// Where clients reach this server (the OAuth issuer); default http://localhost:PORT.
    #[arg(long, env = "NORMAN_MCP_PUBLIC_URL")]
    public_url: Option<Url>,
    /// A browser origin allowed to call /mcp besides the public URL's and loopback ones
    /// (repeat, or comma-separated in the environment).
    #[arg(long = "allowed-origin", env = "NORMAN_MCP_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origins: Vec<Url>,
    /// A load balancer (address or CIDR) whose X-Forwarded-For names the client, for the
    /// login rate limit (repeat, or comma-separated in the environment).
    #[arg(long = "trusted-proxy", env = "NORMAN_MCP_TRUSTED_PROXIES", value_delimiter = ',', value_parser = parse_net)]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// Serve /metrics on this address (e.g. a private interface) instead of the public one.
    #[arg(long, env = "NORMAN_MCP_METRICS_BIND")]
    metrics_bind: Option<SocketAddr>,
    /// The tool sets to serve, comma-separated (core, bookkeeping, documents, taxes,
    /// tax-advisor, founding), for clients that cap the number of tools; default all.
    #[arg(long, env = "NORMAN_MCP_TOOLSETS")]
    toolsets: Option<Toolsets>,
}

impl ListenArgs {
    /// A local configuration with these listening and login flags applied.
    pub fn config(&self, norman_api_url: Url, login: &LoginArgs) -> Config {
        let bind = self.bind.unwrap_or(SocketAddr::new(self.host, self.port));
        let mut config = Config::local(bind, norman_api_url);
        config.public_url = self.public_url.clone().unwrap_or_else(|| Config::default_public_url(bind));
        config.allowed_origins = self.allowed_origins.clone();
        config.trusted_proxies = self.trusted_proxies.clone();
        config.metrics_bind = self.metrics_bind;
        config.login_failures_per_minute = login.login_failures_per_minute;
        config.toolsets = self.toolsets.unwrap_or_default();
        config
    }
}

#[derive(clap::Args)]
pub struct LoginArgs {
    /// Failed sign-ins a minute per client address, per replica (per email: half as many);
    /// 0 turns the limits off (test rigs only).
    #[arg(long, env = "NORMAN_MCP_LOGIN_FAILURES_PER_MINUTE", default_value_t = DEFAULT_LOGIN_FAILURES_PER_MINUTE)]
    login_failures_per_minute: u32,
    /// Which sign-ins the login page offers: password, norman-oauth ("Sign in with Norman")
    /// or both; default both when --norman-oauth-client-id is given, else password.
    #[arg(long, env = "NORMAN_MCP_LOGIN", value_parser = parse_login_mode)]
    login: Option<LoginMode>,
}

impl LoginArgs {
    /// Sets the sign-ins offered and, for "Sign in with Norman", our client at Norman.
    pub fn apply(&self, config: &mut Config, norman_oauth: Option<NormanOAuthClient>) {
        config.login =
            self.login.unwrap_or(if norman_oauth.is_some() { LoginMode::Both } else { LoginMode::Password });
        config.norman_oauth = norman_oauth;
    }
}

/// "Sign in with Norman": this server's registration at Norman's authorization server. The
/// secret is read from the environment or a file, never from the command line, where every
/// user of the machine could read it.
#[derive(clap::Args)]
pub struct NormanOAuthArgs {
    /// The client id this server was given at Norman's authorization server (its redirect URI
    /// there is <public URL>/oauth/callback); offers "Sign in with Norman" (see --login).
    /// The client secret, if any: NORMAN_OAUTH_CLIENT_SECRET or --norman-oauth-client-secret-file.
    #[arg(long, env = "NORMAN_OAUTH_CLIENT_ID")]
    norman_oauth_client_id: Option<String>,
    /// A file holding the client secret at Norman (instead of NORMAN_OAUTH_CLIENT_SECRET).
    #[arg(long, env = "NORMAN_OAUTH_CLIENT_SECRET_FILE")]
    norman_oauth_client_secret_file: Option<std::path::PathBuf>,
}

impl NormanOAuthArgs {
    pub fn client(&self) -> Result<Option<NormanOAuthClient>, CliError> {
        let from_env = std::env::var("NORMAN_OAUTH_CLIENT_SECRET").ok().filter(|s| !s.is_empty());
        let from_file = match &self.norman_oauth_client_secret_file {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|error| {
                        CliError::Usage(format!(
                            "cannot read the Norman OAuth client secret file {}: {error}",
                            path.display()
                        ))
                    })?
                    .trim()
                    .to_owned(),
            ),
            None => None,
        };
        if from_env.is_some() && from_file.is_some() {
            return Err(CliError::Usage(
                "give the Norman OAuth client secret once: NORMAN_OAUTH_CLIENT_SECRET or --norman-oauth-client-secret-file"
                    .to_owned(),
            ));
        }
        let secret = from_env.or(from_file);
        match self.norman_oauth_client_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
            Some(id) => Ok(Some(NormanOAuthClient::new(id.to_owned(), secret))),
            None if secret.is_some() => Err(CliError::Usage(
                "a Norman OAuth client secret was given without --norman-oauth-client-id (NORMAN_OAUTH_CLIENT_ID)"
                    .to_owned(),
            )),
            None => Ok(None),
        }
    }
}

#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    listen: ListenArgs,
    #[command(flatten)]
    file: KeysFileArg,
    #[command(flatten)]
    norman: NormanApiArgs,
    /// Development only: fetch client metadata documents and upload URLs from private and
    /// loopback addresses.
    #[arg(long, env = "NORMAN_MCP_ALLOW_PRIVATE_METADATA_FETCH")]
    allow_private_metadata_fetch: bool,
    /// Redis shared by every replica for single-use codes, refresh token reuse detection and
    /// revocations: redis://[:PASSWORD@]HOST:PORT[/DB]. Without it each replica guards alone.
    #[arg(long, env = "NORMAN_MCP_REPLAY_STORE", hide_env_values = true)]
    replay_store: Option<ReplayStoreUrl>,
    /// How long one replay store operation may take before the store counts as unavailable.
    #[arg(long, env = "NORMAN_MCP_REPLAY_STORE_TIMEOUT", default_value = "250ms", value_parser = parse_std_duration)]
    replay_store_timeout: Duration,
    /// How often to check the key file for changes (it is also re-read on SIGHUP); 0s: never.
    #[arg(long, env = "NORMAN_MCP_KEYS_POLL_INTERVAL", default_value = "5s", value_parser = parse_std_duration)]
    keys_poll_interval: Duration,
    /// A rotated refresh token presented again within this window is refused without revoking
    /// its grant (a concurrent duplicate); after it, the grant is revoked. At most 60s.
    #[arg(long, env = "NORMAN_MCP_REFRESH_REUSE_GRACE", default_value = "10s", value_parser = parse_std_duration)]
    refresh_reuse_grace: Duration,
    /// How long access tokens live at most (1m to 24h); the Norman token's own expiry may end
    /// them sooner.
    #[arg(long, env = "NORMAN_MCP_ACCESS_TOKEN_TTL", default_value = "1h", value_parser = parse_std_duration)]
    access_token_ttl: Duration,
    #[command(flatten)]
    login: LoginArgs,
    #[command(flatten)]
    norman_oauth: NormanOAuthArgs,
}

/// Which Norman API to call, for `serve` and `stdio` alike.
#[derive(clap::Args)]
pub struct NormanApiArgs {
    /// The Norman API base URL (https; http only on loopback, for a local sandbox); default
    /// from NORMAN_ENVIRONMENT.
    #[arg(long, env = "NORMAN_API_URL", value_parser = parse_norman_api_url)]
    norman_api_url: Option<Url>,
    /// Picks the Norman API when --norman-api-url is not given.
    #[arg(long, env = "NORMAN_ENVIRONMENT", value_enum, ignore_case = true, default_value_t = NormanEnvironment::Production)]
    norman_environment: NormanEnvironment,
    /// Timeout of each Norman API call, in seconds.
    #[arg(long, env = "NORMAN_API_TIMEOUT", default_value_t = 30)]
    norman_api_timeout: u64,
}

impl NormanApiArgs {
    pub fn url(&self) -> Result<Url, CliError> {
        match &self.norman_api_url {
            Some(url) => Ok(url.clone()),
            None => Ok(Url::parse(match self.norman_environment {
                NormanEnvironment::Production => norman_mcp::norman::PRODUCTION_URL,
                NormanEnvironment::Sandbox => norman_mcp::norman::SANDBOX_URL,
            })?),
        }
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.norman_api_timeout.max(1))
    }
}

/// A typo must not quietly send real users' passwords to the sandbox: only these two.
#[derive(Clone, Copy, clap::ValueEnum)]
enum NormanEnvironment {
    Production,
    Sandbox,
}

pub async fn serve(args: ServeArgs) -> Result<(), CliError> {
    if !args.file.path.exists() {
        return Err(CliError::Usage(format!(
            "key file {} does not exist; create it with `norman-mcp keys init --keys {}`",
            args.file.path.display(),
            args.file.path.display()
        )));
    }
    let mut config = args.listen.config(args.norman.url()?, &args.login);
    config.norman_api_timeout = args.norman.timeout();
    config.allow_private_fetches(args.allow_private_metadata_fetch);
    config.replay = ReplayConfig {
        store: args.replay_store,
        timeout: args.replay_store_timeout.max(Duration::from_millis(1)),
        refresh_grace: args.refresh_reuse_grace,
    };
    config.keys_poll_interval = Some(args.keys_poll_interval).filter(|interval| !interval.is_zero());
    config.access_token_ttl = args.access_token_ttl;
    args.login.apply(&mut config, args.norman_oauth.client()?);
    config.check()?;
    let keyring = Arc::new(SharedKeyring::load(&args.file.path, &config.issuer())?);
    run_server(config, keyring).await
}

/// Binds, serves until SIGTERM or Ctrl-C, and reloads the keyring on SIGHUP (the server also
/// polls the key file itself when configured to).
pub async fn run_server(config: Config, keyring: Arc<SharedKeyring>) -> Result<(), CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|source| CliError::Listen { address: config.bind, source })?;
    let running = server::start(listener, &config, Arc::clone(&keyring)).await?;
    tracing::info!(address = %running.local_addr, issuer = %config.issuer(), keys = ?keyring.current().ids(), "listening");
    if let Some(address) = running.metrics_addr {
        tracing::info!(%address, "serving /metrics");
    }
    let mut terminate = signal(SignalKind::terminate())?;
    let mut hangup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
            _ = hangup.recv() => watch::reload_and_log(&keyring, "SIGHUP"),
        }
    }
    tracing::info!("shutting down: finishing requests in flight");
    running.stop().await;
    Ok(())
}
