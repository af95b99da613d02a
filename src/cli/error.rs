//! The one error type of the command line: every command's failures, each printed as one
//! `error: ...` line on stderr with exit code 1.

use std::net::SocketAddr;

use norman_mcp::config::ConfigError;
use norman_mcp::keyring::{KeyringError, RetireError};
use norman_mcp::mcp::stdio::SignInError;
use norman_mcp::oauth::error::OAuthError;
use norman_mcp::tokens::access::{AttenuateError, VerifyError};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command cannot act on what it was given; the message says what to do instead.
    #[error("{0}")]
    Usage(String),
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot generate a key: {0}")]
    KeyGeneration(getrandom::Error),
    #[cfg(feature = "demo")]
    #[error("cannot start the sandbox: {0}")]
    Sandbox(#[source] std::io::Error),
    #[error("cannot set up the Norman API client: {0}")]
    NormanClient(#[from] norman_mcp::norman::SetupError),
    #[error("cannot sign in to Norman: {0}")]
    SignIn(#[source] SignInError),
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error(transparent)]
    Retire(#[from] RetireError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Url(#[from] url::ParseError),
    #[error("{}: {}", .0.code, .0.description)]
    Registration(OAuthError),
    #[error(transparent)]
    Attenuate(#[from] AttenuateError),
    #[error(transparent)]
    Inspect(#[from] VerifyError),
    /// The server could not start, or a signal handler could not be installed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
