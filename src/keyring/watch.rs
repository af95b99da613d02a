//! Hot reload of the key file: on SIGHUP (see `cli/serve.rs`) and when the file changes, found by
//! polling its metadata. A broken file is logged and ignored; the keys in force stay. Logs name
//! key ids and never key material.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use time::OffsetDateTime;
use tokio::task::JoinHandle;

use super::{KeyId, Keyring, SharedKeyring};

/// What identifies one version of the file. The modification time alone can miss a rewrite
/// within the file system's timestamp granularity; an atomic replace also changes the inode.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    use std::os::unix::fs::MetadataExt as _;
    let metadata = std::fs::metadata(path).ok()?;
    Some(Stamp { modified: metadata.modified().ok(), len: metadata.len(), inode: metadata.ino() })
}

fn sealing_id(keyring: &Keyring) -> Option<KeyId> {
    keyring.sealing_key(OffsetDateTime::now_utc()).map(|key| key.id())
}

/// The sealing key's id for the logs, or `none` while every key is pending.
fn sealing_label(id: Option<KeyId>) -> String {
    id.map_or_else(|| "none".to_owned(), |id| id.to_string())
}

/// Re-reads the key file and logs the outcome: the ids in force and the sealing one, or why
/// the file was refused. `cause` says what prompted it (`SIGHUP`, `file changed`).
pub fn reload_and_log(keyring: &SharedKeyring, cause: &'static str) {
    if keyring.path().as_os_str().is_empty() {
        tracing::info!(cause, "this keyring is not backed by a file; nothing to reload");
        return;
    }
    match keyring.reload() {
        Ok(current) => {
            let sealing = sealing_label(sealing_id(&current));
            tracing::info!(keys = ?current.ids(), %sealing, cause, "keyring reloaded")
        }
        Err(error) => {
            let current = keyring.current();
            let sealing = sealing_label(sealing_id(&current));
            tracing::error!(
                keys = ?current.ids(),
                %sealing,
                cause,
                %error,
                "keyring reload failed; keeping the keys in force"
            )
        }
    }
}

/// Polls the key file; stops when dropped (the server owns it and drops it on stop).
pub struct KeyringWatcher {
    task: JoinHandle<()>,
}

impl KeyringWatcher {
    /// Starts polling `keyring`'s file every `interval`. Each check also notices when a
    /// pending key's time comes, and logs which key seals from then on.
    pub fn spawn(keyring: Arc<SharedKeyring>, interval: Duration) -> KeyringWatcher {
        let task = tokio::spawn(async move {
            let path = keyring.path().to_path_buf();
            let mut seen = stamp(&path);
            let mut sealing = sealing_id(&keyring.current());
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                // Stat before reading: a change during the read shows up on the next tick.
                let now = stamp(&path);
                if now.is_some() && now != seen {
                    seen = now;
                    reload_and_log(&keyring, "file changed");
                    sealing = sealing_id(&keyring.current());
                    continue;
                }
                let current = sealing_id(&keyring.current());
                if current != sealing {
                    let keys = keyring.current().ids();
                    tracing::info!(?keys, sealing = %sealing_label(current), "the sealing key changed");
                    sealing = current;
                }
            }
        });
        KeyringWatcher { task }
    }
}

impl Drop for KeyringWatcher {
    fn drop(&mut self) {
        self.task.abort();
    }
}
