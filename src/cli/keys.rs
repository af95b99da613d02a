//! `norman-mcp keys`: the keyring file shared by every replica.

use clap::Subcommand;
use norman_mcp::keyring::{KeyFile, KeyId, KeyRole};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{CliError, KeysFileArg};

#[derive(Subcommand)]
pub enum KeysCommand {
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
        #[arg(long, env = "NORMAN_MCP_ACTIVATE_IN", default_value = "10m", value_parser = super::parse::parse_duration)]
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

pub fn run(command: KeysCommand, now: OffsetDateTime) -> Result<(), CliError> {
    match command {
        KeysCommand::Init { file } => {
            let keys = KeyFile::generate(now).map_err(CliError::KeyGeneration)?;
            keys.create(&file.path)?;
            println!("created {} with key 1, sealing now", file.path.display());
        }
        KeysCommand::Rotate { file, activate_in } => {
            let mut keys = KeyFile::read(&file.path)?;
            let id = keys.rotate(now, activate_in).map_err(CliError::KeyGeneration)?;
            keys.save(&file.path)?;
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
            let keys = KeyFile::read(&file.path)?;
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
            let mut keys = KeyFile::read(&file.path)?;
            let retired = keys.retire(id, force, now)?;
            keys.save(&file.path)?;
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
