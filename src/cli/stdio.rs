//! `norman-mcp stdio`: MCP over stdin and stdout for one person on their own machine, signed in
//! with credentials from the environment (docs/architecture.md, "Local use over stdio").

use std::sync::Arc;

use norman_mcp::mcp::catalogue::Catalogue;
use norman_mcp::mcp::stdio::{self, LocalSession, SignIn};
use norman_mcp::mcp::upload::UploadPolicy;
use norman_mcp::norman::{NormanClient, NormanToken};
use zeroize::Zeroizing;

use super::CliError;
use super::serve::NormanApiArgs;

/// Credentials come from the environment only: command lines show up in process lists.
const EMAIL: &str = "NORMAN_EMAIL";
const PASSWORD: &str = "NORMAN_PASSWORD";
const ACCESS_TOKEN: &str = "NORMAN_ACCESS_TOKEN";
const REFRESH_TOKEN: &str = "NORMAN_REFRESH_TOKEN";

pub const ABOUT: &str = "Serve MCP over stdin/stdout for one person (Claude Desktop, Cursor, ...).";

pub const LONG_ABOUT: &str = "Serve MCP over stdin/stdout for one person on their own machine: the \
MCP client (Claude Desktop, Cursor, ...) starts this command and speaks JSON-RPC on its stdin and \
stdout. The same tools as `serve`, without OAuth, without a listener and without writing any file; \
logs go to stderr.

Sign-in, read from the environment only:
  NORMAN_EMAIL, NORMAN_PASSWORD          your Norman login (used when NORMAN_EMAIL is set), or
  NORMAN_ACCESS_TOKEN, NORMAN_REFRESH_TOKEN
                                         Norman tokens from an earlier sign-in (either or both)

The tokens stay in this process's memory and are renewed at Norman when they expire. The company \
is the first of the login's companies. A refused sign-in ends the command with an error on stderr \
and exit code 1 before anything is served.";

#[derive(clap::Args)]
pub struct StdioArgs {
    #[command(flatten)]
    norman: NormanApiArgs,
}

pub async fn stdio(args: StdioArgs) -> Result<(), CliError> {
    let how = sign_in_from_env()?;
    let norman = NormanClient::new(args.norman.url()?, args.norman.timeout())?;
    let catalogue = Arc::new(Catalogue::new(UploadPolicy::default()));
    let session = LocalSession::sign_in(norman, how).await.map_err(CliError::SignIn)?;
    tracing::info!("signed in to Norman; serving MCP on stdin and stdout");
    stdio::serve(catalogue, session).await?;
    tracing::info!("stdin closed; stopping");
    Ok(())
}

/// An empty variable counts as unset: client configurations often carry `""` placeholders.
fn var(name: &str) -> Option<Zeroizing<String>> {
    std::env::var(name).ok().map(Zeroizing::new).filter(|value| !value.trim().is_empty())
}

fn sign_in_from_env() -> Result<SignIn, CliError> {
    let token = |name| var(name).map(|value| NormanToken::new(value.trim().to_owned()));
    if let Some(email) = var(EMAIL) {
        let password =
            var(PASSWORD).ok_or_else(|| CliError::Usage(format!("{EMAIL} is set but {PASSWORD} is not")))?;
        return Ok(SignIn::Password { email: email.trim().to_owned(), password });
    }
    match (token(ACCESS_TOKEN), token(REFRESH_TOKEN)) {
        (None, None) => Err(CliError::Usage(format!(
            "no Norman credentials: set {EMAIL} and {PASSWORD}, or {ACCESS_TOKEN} and/or {REFRESH_TOKEN}"
        ))),
        (access, refresh) => Ok(SignIn::Tokens { access, refresh }),
    }
}
