//! `norman-mcp clients`: registrations sealed offline, for clients configured by hand.

use clap::Subcommand;
use norman_mcp::oauth::register::{self, RegistrationRequest};
use time::OffsetDateTime;

use super::{CliError, DeploymentArg, KeysFileArg};

#[derive(Subcommand)]
pub enum ClientsCommand {
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

pub fn run(command: ClientsCommand, now: OffsetDateTime) -> Result<(), CliError> {
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
            let registered = register::register(&keyring, request, now).map_err(CliError::Registration)?;
            println!("client_id: {}", registered.client_id);
            if let Some(secret) = registered.client_secret {
                println!("client_secret: {secret}");
            }
        }
    }
    Ok(())
}
