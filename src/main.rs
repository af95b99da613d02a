//! The `norman-mcp` command line.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use norman_mcp::config::{Config, DEFAULT_LOGIN_FAILURES_PER_MINUTE, ReplayConfig, ReplayStoreUrl};
use norman_mcp::keyring::{KeyFile, KeyId, KeyRole, Keyring, RetireError, SharedKeyring, watch};
use norman_mcp::mcp::catalogue::Toolsets;
use norman_mcp::oauth::register::{self, RegistrationRequest};
use norman_mcp::server;
use norman_mcp::tokens::access;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use url::Url;

/// Every request allocates many small buffers (HTTP, JSON, rmcp's per-request service);
/// mimalloc serves them faster than glibc's malloc under load (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "norman-mcp", version, about = "MCP server for the Norman Finance API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<ServeArgs>),
    /// Run the server against a built-in sandbox Norman API, with a throwaway keyring.
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    /// Run only the sandbox Norman API (for end-to-end runs with several replicas).
    #[cfg(feature = "demo")]
    Sandbox(demo::SandboxArgs),
    /// Manage the keyring file shared by every replica.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Register clients offline, for clients that are configured by hand.
    Clients {
        #[command(subcommand)]
        command: ClientsCommand,
    },
    /// Work with access tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(clap::Args)]
struct ListenArgs {
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
    fn bind(&self) -> SocketAddr {
        self.bind.unwrap_or(SocketAddr::new(self.host, self.port))
    }
}

#[derive(clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    listen: ListenArgs,
    #[command(flatten)]
    file: KeysFileArg,
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
}

#[derive(clap::Args)]
struct LoginArgs {
    /// Failed sign-ins a minute per client address, per replica (per email: half as many);
    /// 0 turns the limits off (test rigs only).
    #[arg(long, env = "NORMAN_MCP_LOGIN_FAILURES_PER_MINUTE", default_value_t = DEFAULT_LOGIN_FAILURES_PER_MINUTE)]
    login_failures_per_minute: u32,
}

/// A typo must not quietly send real users' passwords to the sandbox: only these two.
#[derive(Clone, Copy, clap::ValueEnum)]
enum NormanEnvironment {
    Production,
    Sandbox,
}

#[derive(Subcommand)]
enum ClientsCommand {
    /// Seal a client registration into a client id, without a running server.
    Register {
        #[command(flatten)]
        file: KeysFileArg,
        /// The name shown on the login page.
        #[arg(long)]
        name: String,
        /// A redirect URI; repeat for several.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Make a confidential client and print its secret (client_secret_basic).
        #[arg(long)]
        secret: bool,
        #[command(flatten)]
        deployment: DeploymentArg,
    },
}

/// The deployment a sealed value belongs to: it opens only on servers with this public URL.
#[derive(clap::Args)]
struct DeploymentArg {
    /// The public URL of the servers the client id (or token) is for, as given to `serve`.
    #[arg(long, env = "NORMAN_MCP_PUBLIC_URL")]
    public_url: Url,
}

impl DeploymentArg {
    fn keyring(&self, file: &KeysFileArg) -> Result<Keyring, String> {
        let keyring = Keyring::load(&file.path).map_err(|e| e.to_string())?;
        Ok(keyring.bound_to(&Config::issuer_of(&self.public_url)))
    }
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Derive a narrower access token offline, without keys.
    Attenuate {
        /// The access token (nma_...).
        token: String,
        /// The derived token no longer grants norman.write.
        #[arg(long)]
        read_only: bool,
        /// The derived token stops working after this long (e.g. 15m).
        #[arg(long, value_parser = parse_duration)]
        ttl: Option<time::Duration>,
    },
    /// Show what an access token grants and until when (never the Norman token).
    Inspect {
        /// The access token (nma_...).
        token: String,
        #[command(flatten)]
        file: KeysFileArg,
        #[command(flatten)]
        deployment: DeploymentArg,
    },
}

#[derive(clap::Args)]
struct KeysFileArg {
    /// The keyring file.
    #[arg(long = "keys", env = "NORMAN_MCP_KEYS", default_value = "keys.toml")]
    path: PathBuf,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create a keyring with one fresh key, active at once. Never overwrites a file.
    Init {
        #[command(flatten)]
        file: KeysFileArg,
    },
    /// Append a key with the next id that starts sealing after a delay.
    Rotate {
        #[command(flatten)]
        file: KeysFileArg,
        /// How long until the new key seals: longer than it takes to copy the file to every
        /// replica. `0s` means now.
        #[arg(long, env = "NORMAN_MCP_ACTIVATE_IN", default_value = "10m", value_parser = parse_duration)]
        activate_in: time::Duration,
    },
    /// One line per key: id, created, active from, and what it does now. Never prints a secret.
    List {
        #[command(flatten)]
        file: KeysFileArg,
    },
    /// Remove a key: everything sealed under it stops working at once (the emergency stop).
    Retire {
        /// The id of the key to remove.
        id: KeyId,
        #[command(flatten)]
        file: KeysFileArg,
        /// Also retire the key that seals now.
        #[arg(long)]
        force: bool,
    },
}

/// An address is a network of one.
fn parse_net(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text} is not an IP address or CIDR network (e.g. 10.0.0.0/8)"))
}

/// Norman receives passwords and tokens: https, or http to this machine only (a local
/// sandbox). The path is a base that API paths are joined to, so it ends with a slash.
fn parse_norman_api_url(text: &str) -> Result<Url, String> {
    let mut url = Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err("Norman must be reached over https (http only on loopback)".to_owned()),
        _ => return Err("expected an https:// URL".to_owned()),
    }
    if url.host().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err("expected a base URL such as https://api.norman.finance/".to_owned());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn parse_duration(text: &str) -> Result<time::Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 10m, 1h30m, 0s)"))?;
    time::Duration::try_from(duration).map_err(|_| "duration is too long".to_owned())
}

fn parse_std_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 250ms, 5s, 1m)"))
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let now = OffsetDateTime::now_utc();
    let result = match cli.command {
        Command::Serve(args) => run_async(serve(*args)),
        #[cfg(feature = "demo")]
        Command::Demo(args) => run_async(demo::demo(args)),
        #[cfg(feature = "demo")]
        Command::Sandbox(args) => run_async(demo::sandbox(args)),
        Command::Keys { command } => run_keys(command, now),
        Command::Clients { command } => run_clients(command, now),
        Command::Token { command } => run_token(command, now),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run_async(future: impl Future<Output = Result<(), String>>) -> Result<(), String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?
        .block_on(future)
}

async fn serve(args: ServeArgs) -> Result<(), String> {
    if !args.file.path.exists() {
        return Err(format!(
            "key file {} does not exist; create it with `norman-mcp keys init --keys {}`",
            args.file.path.display(),
            args.file.path.display()
        ));
    }
    let norman_api_url = match args.norman_api_url {
        Some(url) => url,
        None => {
            let base = match args.norman_environment {
                NormanEnvironment::Production => norman_mcp::norman::PRODUCTION_URL,
                NormanEnvironment::Sandbox => norman_mcp::norman::SANDBOX_URL,
            };
            Url::parse(base).map_err(|e| e.to_string())?
        }
    };
    let bind = args.listen.bind();
    let config = Config {
        bind,
        public_url: args.listen.public_url.clone().unwrap_or_else(|| Config::default_public_url(bind)),
        norman_api_url,
        norman_api_timeout: Duration::from_secs(args.norman_api_timeout.max(1)),
        allow_private_metadata_fetch: args.allow_private_metadata_fetch,
        allowed_origins: args.listen.allowed_origins.clone(),
        trusted_proxies: args.listen.trusted_proxies.clone(),
        metrics_bind: args.listen.metrics_bind,
        replay: ReplayConfig {
            store: args.replay_store,
            timeout: args.replay_store_timeout.max(Duration::from_millis(1)),
            refresh_grace: args.refresh_reuse_grace,
        },
        keys_poll_interval: Some(args.keys_poll_interval).filter(|interval| !interval.is_zero()),
        login_failures_per_minute: args.login.login_failures_per_minute,
        access_token_ttl: args.access_token_ttl,
        toolsets: args.listen.toolsets.unwrap_or_default(),
    };
    config.check().map_err(|e| e.to_string())?;
    let keyring =
        Arc::new(SharedKeyring::load(&args.file.path, &config.issuer()).map_err(|e| e.to_string())?);
    run_server(config, keyring).await
}

/// The server with the fake Norman API built in (the `demo` feature, on by default): a build
/// with `--no-default-features` has neither these subcommands nor the sandbox crate.
#[cfg(feature = "demo")]
mod demo {
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::time::Duration;

    use norman_mcp::config::{Config, ReplayConfig};
    use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
    use norman_sandbox::{ALL_DEMO_USERS, Sandbox, SandboxConfig};
    use time::OffsetDateTime;

    use super::{ListenArgs, LoginArgs, parse_duration, run_server};

    #[derive(clap::Args)]
    pub(super) struct DemoArgs {
        #[command(flatten)]
        listen: ListenArgs,
        #[command(flatten)]
        login: LoginArgs,
    }

    #[derive(clap::Args)]
    pub(super) struct SandboxArgs {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3002")]
        bind: SocketAddr,
        /// Lifetime of the sandbox's Norman access tokens (short values exercise refreshes).
        #[arg(long, default_value = "1h", value_parser = parse_duration)]
        access_ttl: time::Duration,
    }

    pub(super) async fn demo(args: DemoArgs) -> Result<(), String> {
        let sandbox = Sandbox::spawn(SandboxConfig::default())
            .await
            .map_err(|e| format!("cannot start the sandbox: {e}"))?;
        let keys = KeyFile::generate(OffsetDateTime::now_utc())
            .map_err(|e| format!("cannot generate a key: {e}"))?;
        let bind = args.listen.bind();
        let config = Config {
            bind,
            public_url: args.listen.public_url.clone().unwrap_or_else(|| Config::default_public_url(bind)),
            norman_api_url: sandbox.url.clone(),
            norman_api_timeout: Duration::from_secs(10),
            allow_private_metadata_fetch: true,
            allowed_origins: args.listen.allowed_origins.clone(),
            trusted_proxies: args.listen.trusted_proxies.clone(),
            metrics_bind: args.listen.metrics_bind,
            replay: ReplayConfig::default(),
            keys_poll_interval: None,
            login_failures_per_minute: args.login.login_failures_per_minute,
            access_token_ttl: Config::default_access_token_ttl(),
            toolsets: args.listen.toolsets.unwrap_or_default(),
        };
        let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(&config.issuer())));
        println!(
            "norman-mcp demo: a sandbox Norman API and a throwaway keyring (tokens die with this process)."
        );
        println!();
        println!("  MCP URL:  {}", config.mcp_url());
        println!("  Issuer:   {}", config.issuer());
        for user in ALL_DEMO_USERS {
            println!("  Login:    {} / {}   ({})", user.email, user.password, user.summary());
        }
        println!();
        println!("Connect an MCP client to the MCP URL, e.g. npx @modelcontextprotocol/inspector");
        let result = run_server(config, keyring).await;
        sandbox.shutdown().await;
        result
    }

    pub(super) async fn sandbox(args: SandboxArgs) -> Result<(), String> {
        use tokio::signal::unix::{SignalKind, signal};
        let listener = tokio::net::TcpListener::bind(args.bind)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
        let access_ttl =
            Duration::try_from(args.access_ttl).map_err(|_| "--access-ttl must be positive".to_owned())?;
        let config = SandboxConfig { access_ttl, ..SandboxConfig::default() };
        let sandbox = Sandbox::spawn_on(listener, config)
            .await
            .map_err(|e| format!("cannot start the sandbox: {e}"))?;
        println!("sandbox Norman API on {}", sandbox.url);
        for user in ALL_DEMO_USERS {
            println!("  Login:    {} / {}   ({})", user.email, user.password, user.summary());
        }
        let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        sandbox.shutdown().await;
        Ok(())
    }
}

/// Binds, serves until SIGTERM or Ctrl-C, and reloads the keyring on SIGHUP (the server also
/// polls the key file itself when configured to).
async fn run_server(config: Config, keyring: Arc<SharedKeyring>) -> Result<(), String> {
    use tokio::signal::unix::{SignalKind, signal};
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    let running = server::start(listener, &config, Arc::clone(&keyring)).await.map_err(|e| e.to_string())?;
    tracing::info!(address = %running.local_addr, issuer = %config.issuer(), keys = ?keyring.current().ids(), "listening");
    if let Some(address) = running.metrics_addr {
        tracing::info!(%address, "serving /metrics");
    }
    let mut terminate = signal(SignalKind::terminate()).map_err(|e| e.to_string())?;
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| e.to_string())?;
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

fn run_clients(command: ClientsCommand, now: OffsetDateTime) -> Result<(), String> {
    match command {
        ClientsCommand::Register { file, name, redirect_uris, secret, deployment } => {
            let keyring = deployment.keyring(&file)?;
            let request = RegistrationRequest {
                redirect_uris: Some(redirect_uris),
                client_name: Some(name),
                token_endpoint_auth_method: Some(
                    if secret { "client_secret_basic" } else { "none" }.to_owned(),
                ),
                ..RegistrationRequest::default()
            };
            let registered = register::register(&keyring, request, now)
                .map_err(|e| format!("{}: {}", e.code, e.description))?;
            println!("client_id: {}", registered.client_id);
            if let Some(secret) = registered.client_secret {
                println!("client_secret: {secret}");
            }
        }
    }
    Ok(())
}

fn run_token(command: TokenCommand, now: OffsetDateTime) -> Result<(), String> {
    match command {
        TokenCommand::Attenuate { token, read_only, ttl } => {
            if !read_only && ttl.is_none() {
                return Err("say how to narrow the token: --read-only and/or --ttl DURATION".to_owned());
            }
            let narrowed = access::attenuate(&token, read_only, ttl, now).map_err(|e| e.to_string())?;
            println!("{narrowed}");
        }
        TokenCommand::Inspect { token, file, deployment } => {
            let keyring = deployment.keyring(&file)?;
            let report = access::inspect(&keyring, &token, now).map_err(|e| e.to_string())?;
            println!("{report}");
        }
    }
    Ok(())
}

fn init_logging() {
    let filter = norman_mcp::logging::filter(std::env::var("NORMAN_MCP_LOG").ok().as_deref());
    use std::io::IsTerminal as _;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn run_keys(command: KeysCommand, now: OffsetDateTime) -> Result<(), String> {
    match command {
        KeysCommand::Init { file } => {
            let keys = KeyFile::generate(now).map_err(|e| format!("cannot generate a key: {e}"))?;
            keys.create(&file.path).map_err(|e| e.to_string())?;
            println!("created {} with key 1, sealing now", file.path.display());
        }
        KeysCommand::Rotate { file, activate_in } => {
            let mut keys = KeyFile::read(&file.path).map_err(|e| e.to_string())?;
            let id = keys.rotate(now, activate_in).map_err(|e| format!("cannot generate a key: {e}"))?;
            keys.save(&file.path).map_err(|e| e.to_string())?;
            let active_from = keys.keys().iter().find(|k| k.id == id).map(|k| k.active_from).unwrap_or(now);
            println!(
                "added key {id}; it seals from {} ({}). Copy {} to every replica before then and \
                 send them SIGHUP; keep the old keys in the file.",
                rfc3339(active_from),
                relative(active_from - now),
                file.path.display()
            );
        }
        KeysCommand::List { file } => {
            let keys = KeyFile::read(&file.path).map_err(|e| e.to_string())?;
            for status in keys.status(now) {
                let role = match status.role {
                    KeyRole::Sealing => "sealing now".to_owned(),
                    KeyRole::Retained => "retained: opens what it sealed, seals nothing new".to_owned(),
                    KeyRole::Pending => format!(
                        "pending: takes over sealing at {} ({})",
                        rfc3339(status.active_from),
                        relative(status.active_from - now)
                    ),
                };
                println!(
                    "{}\tcreated {}\tactive from {}\t{role}",
                    status.id,
                    rfc3339(status.created_at),
                    rfc3339(status.active_from)
                );
            }
        }
        KeysCommand::Retire { id, file, force } => {
            let mut keys = KeyFile::read(&file.path).map_err(|e| e.to_string())?;
            let retired = keys.retire(id, force, now).map_err(|e: RetireError| e.to_string())?;
            keys.save(&file.path).map_err(|e| e.to_string())?;
            println!(
                "retired key {id}. Everything sealed under it no longer opens once replicas reload \
                 the file: login forms in progress, authorization codes, access and refresh tokens \
                 (their users must log in again) and registered client ids (those clients must \
                 register again)."
            );
            match retired.sealing_now {
                Some(sealing) => println!("key {sealing} seals now."),
                None => {
                    println!("no key is active yet: nothing can be sealed until a pending key's time comes.")
                }
            }
        }
    }
    Ok(())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_else(|_| t.to_string())
}

fn relative(d: time::Duration) -> String {
    if d <= time::Duration::ZERO {
        return "now".to_owned();
    }
    let std = std::time::Duration::from_secs(d.whole_seconds().unsigned_abs());
    format!("in {}", humantime::format_duration(std))
}

#[cfg(test)]
mod tests {
    use super::parse_norman_api_url;

    #[test]
    fn norman_api_urls_are_https_or_loopback_and_end_with_a_slash() {
        let parsed = |text: &str| parse_norman_api_url(text).map(|url| url.to_string());
        assert_eq!(parsed("https://api.norman.finance").unwrap(), "https://api.norman.finance/");
        assert_eq!(parsed("https://gw.example/norman/v2").unwrap(), "https://gw.example/norman/v2/");
        assert_eq!(parsed("http://127.0.0.1:3002/").unwrap(), "http://127.0.0.1:3002/");
        assert_eq!(parsed("http://localhost:3002").unwrap(), "http://localhost:3002/");
        assert_eq!(parsed("http://[::1]:3002/").unwrap(), "http://[::1]:3002/");
        for refused in [
            "http://api.norman.finance/",
            "http://10.0.0.5/",
            "ftp://api.norman.finance/",
            "https://user:pass@api.norman.finance/",
            "https://api.norman.finance/?x=1",
            "api.norman.finance",
        ] {
            assert!(parse_norman_api_url(refused).is_err(), "{refused}");
        }
    }
}
