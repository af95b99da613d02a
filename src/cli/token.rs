//! `norman-mcp token`: attenuating access tokens (no keys needed) and inspecting them.

use clap::Subcommand;
use norman_mcp::tokens::access;
use time::OffsetDateTime;

use super::{CliError, DeploymentArg, KeysFileArg};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Derive a narrower access token offline, without keys.
    Attenuate {
        /// The access token (nma_...).
        token: String,
        /// The derived token no longer grants norman.write.
        #[arg(long)]
        read_only: bool,
        /// The derived token stops working after this long (e.g. 15m).
        #[arg(long, value_parser = super::parse::parse_duration)]
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

pub fn run(command: TokenCommand, now: OffsetDateTime) -> Result<(), CliError> {
    match command {
        TokenCommand::Attenuate { token, read_only, ttl } => {
            if !read_only && ttl.is_none() {
                return Err(CliError::Usage(
                    "say how to narrow the token: --read-only and/or --ttl DURATION".to_owned(),
                ));
            }
            let narrowed = access::attenuate(&token, read_only, ttl, now)?;
            println!("{narrowed}");
        }
        TokenCommand::Inspect { token, file, deployment } => {
            let keyring = deployment.keyring(&file)?;
            let report = access::inspect(&keyring, &token, now)?;
            println!("{report}");
        }
    }
    Ok(())
}
