//! The `norman-mcp` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use norman_mcp::keyring::{KeyFile, KeyId, KeyRole, RetireError};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

#[derive(Parser)]
#[command(name = "norman-mcp", version, about = "MCP server for the Norman Finance API")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the keyring file shared by every replica.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
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

fn parse_duration(text: &str) -> Result<time::Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 10m, 1h30m, 0s)"))?;
    time::Duration::try_from(duration).map_err(|_| "duration is too long".to_owned())
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keys { command } => run_keys(command, OffsetDateTime::now_utc()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NORMAN_MCP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
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
