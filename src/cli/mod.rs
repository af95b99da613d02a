//! The `norman-mcp` command line: one module per command group, one error type
//! ([`CliError`]); every failure is one `error: ...` line on stderr and exit code 1.

mod clients;
#[cfg(feature = "demo")]
mod demo;
mod error;
mod keys;
mod parse;
mod serve;
mod stdio;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use norman_mcp::config::Config;
use norman_mcp::keyring::Keyring;
use time::OffsetDateTime;
use url::Url;

pub use self::error::CliError;

#[derive(Parser)]
#[command(name = "norman-mcp", version, about = "MCP server for the Norman Finance API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(Box<serve::ServeArgs>),
    #[command(about = stdio::ABOUT, long_about = stdio::LONG_ABOUT)]
    Stdio(stdio::StdioArgs),
    /// Run the server against a built-in sandbox Norman API, with a throwaway keyring.
    #[cfg(feature = "demo")]
    Demo(demo::DemoArgs),
    /// Run only the sandbox Norman API (for end-to-end runs with several replicas).
    #[cfg(feature = "demo")]
    Sandbox(demo::SandboxArgs),
    /// Manage the keyring file shared by every replica.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
    },
    /// Register clients offline, for clients that are configured by hand.
    Clients {
        #[command(subcommand)]
        command: clients::ClientsCommand,
    },
    /// Work with access tokens.
    Token {
        #[command(subcommand)]
        command: token::TokenCommand,
    },
}

#[derive(clap::Args)]
struct KeysFileArg {
    /// The keyring file.
    #[arg(long = "keys", env = "NORMAN_MCP_KEYS", default_value = "keys.toml")]
    path: PathBuf,
}

/// The deployment a sealed value belongs to: it opens only on servers with this public URL.
#[derive(clap::Args)]
struct DeploymentArg {
    /// The public URL of the servers the client id (or token) is for, as given to `serve`.
    #[arg(long, env = "NORMAN_MCP_PUBLIC_URL")]
    public_url: Url,
}

impl DeploymentArg {
    fn keyring(&self, file: &KeysFileArg) -> Result<Keyring, CliError> {
        Ok(Keyring::load(&file.path)?.bound_to(&Config::issuer_of(&self.public_url)))
    }
}

/// Parses the command line, runs the command, and reports a failure on stderr.
pub fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let now = OffsetDateTime::now_utc();
    let result = match cli.command {
        Command::Serve(args) => run_async(serve::serve(*args)),
        Command::Stdio(args) => run_async(stdio::stdio(args)),
        #[cfg(feature = "demo")]
        Command::Demo(args) => run_async(demo::demo(args)),
        #[cfg(feature = "demo")]
        Command::Sandbox(args) => run_async(demo::sandbox(args)),
        Command::Keys { command } => keys::run(command, now),
        Command::Clients { command } => clients::run(command, now),
        Command::Token { command } => token::run(command, now),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run_async(future: impl Future<Output = Result<(), CliError>>) -> Result<(), CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Runtime)?
        .block_on(future)
}

fn init_logging() {
    let filter = norman_mcp::logging::filter(std::env::var("NORMAN_MCP_LOG").ok().as_deref());
    use std::io::IsTerminal as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .finish()
        .with(norman_mcp::logging::ClientGone)
        .init();
}
