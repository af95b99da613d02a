//! `norman-mcp demo` and `norman-mcp sandbox`: the server with the fake Norman API built in
//! (the `demo` feature, on by default). A build with `--no-default-features` has neither these
//! subcommands nor the sandbox crate.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
use norman_mcp::norman::oauth::NormanOAuthClient;
use norman_sandbox::{ALL_DEMO_USERS, OAuthClient, Sandbox, SandboxConfig};
use time::OffsetDateTime;

use super::CliError;
use super::parse::parse_duration;
use super::serve::{ListenArgs, LoginArgs, run_server};

#[derive(clap::Args)]
pub struct DemoArgs {
    #[command(flatten)]
    listen: ListenArgs,
    #[command(flatten)]
    login: LoginArgs,
}

#[derive(clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3002")]
    bind: SocketAddr,
    /// Lifetime of the sandbox's Norman access tokens (short values exercise refreshes).
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    access_ttl: time::Duration,
    /// An OAuth client of the sandbox's authorization server ("Sign in with Norman"), as
    /// id:secret:redirect_uri (an empty secret makes a public client); repeat for more.
    #[arg(long = "oauth-client", value_parser = OAuthClient::parse)]
    oauth_clients: Vec<OAuthClient>,
}

/// The demo's client at the sandbox's authorization server.
const DEMO_OAUTH_CLIENT_ID: &str = "norman-mcp-demo";

pub async fn demo(args: DemoArgs) -> Result<(), CliError> {
    let sandbox = Sandbox::spawn(SandboxConfig::default()).await.map_err(CliError::Sandbox)?;
    let keys = KeyFile::generate(OffsetDateTime::now_utc()).map_err(CliError::KeyGeneration)?;
    let mut config = args.listen.config(sandbox.url.clone(), &args.login);
    config.allow_private_fetches(true);
    // Both sides of "Sign in with Norman": the sandbox knows this server as an OAuth client
    // with a throwaway secret, and this server knows its id and secret there.
    let secret = norman_mcp::tokens::random_id().map_err(CliError::KeyGeneration)?;
    sandbox.sandbox.register_oauth_client(OAuthClient {
        id: DEMO_OAUTH_CLIENT_ID.to_owned(),
        secret: Some(secret.clone()),
        redirect_uri: config.norman_callback_url(),
    });
    args.login
        .apply(&mut config, Some(NormanOAuthClient::new(DEMO_OAUTH_CLIENT_ID.to_owned(), Some(secret))));
    let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(&config.issuer())));
    println!("norman-mcp demo: a sandbox Norman API and a throwaway keyring (tokens die with this process).");
    println!();
    println!("  MCP URL:  {}", config.mcp_url());
    println!("  Issuer:   {}", config.issuer());
    println!("  Sign-in:  {} (the sandbox plays Norman's authorization server too)", config.login.as_str());
    for user in ALL_DEMO_USERS {
        println!("  Login:    {} / {}   ({})", user.email, user.password, user.summary());
    }
    println!();
    println!("Connect an MCP client to the MCP URL, e.g. npx @modelcontextprotocol/inspector");
    let result = run_server(config, keyring).await;
    sandbox.shutdown().await;
    result
}

pub async fn sandbox(args: SandboxArgs) -> Result<(), CliError> {
    use tokio::signal::unix::{SignalKind, signal};
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|source| CliError::Listen { address: args.bind, source })?;
    let access_ttl = Duration::try_from(args.access_ttl)
        .map_err(|_| CliError::Usage("--access-ttl must be positive".to_owned()))?;
    let config_clients = args.oauth_clients.clone();
    let config = SandboxConfig { access_ttl, oauth_clients: args.oauth_clients, ..SandboxConfig::default() };
    let sandbox = Sandbox::spawn_on(listener, config).await.map_err(CliError::Sandbox)?;
    println!("sandbox Norman API on {}", sandbox.url);
    for client in &config_clients {
        println!("  OAuth client: {} -> {}", client.id, client.redirect_uri);
    }
    for user in ALL_DEMO_USERS {
        println!("  Login:    {} / {}   ({})", user.email, user.password, user.summary());
    }
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    sandbox.shutdown().await;
    Ok(())
}
