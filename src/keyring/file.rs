//! The key file on disk and the operations of `norman-mcp keys`: create, rotate, retire, list.
//! Every write is a temp file plus rename in the same directory, so a replica that re-reads
//! the file never sees half of it.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{KeyId, KeyringError};

const FILE_HEADER: &str = "\
# norman-mcp keyring. It holds secrets: keep it mode 0600 and identical on every replica.
# Managed with `norman-mcp keys init|rotate|list|retire`; keys.example documents each field.

";

/// A key's 32-byte secret, base64url in the file. Zeroed on drop, never printed.
#[derive(Clone)]
pub struct KeySecret(Zeroizing<[u8; 32]>);

impl KeySecret {
    pub fn generate() -> Result<KeySecret, getrandom::Error> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut bytes[..])?;
        Ok(KeySecret(bytes))
    }

    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for KeySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeySecret(..)")
    }
}

impl Serialize for KeySecret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&Zeroizing::new(URL_SAFE_NO_PAD.encode(&self.0[..])))
    }
}

impl<'de> Deserialize<'de> for KeySecret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(deserializer)?);
        let bytes = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(text.trim_end_matches('=').as_bytes())
                .map_err(|_| serde::de::Error::custom("secret is not base64url"))?,
        );
        let array: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            serde::de::Error::custom(format!("secret must be 32 bytes, found {}", bytes.len()))
        })?;
        Ok(KeySecret(Zeroizing::new(array)))
    }
}

/// One `[[key]]` table of the file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    pub id: KeyId,
    pub secret: KeySecret,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub active_from: OffsetDateTime,
}

/// The whole file, validated: at least one key, ids unique.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// The highest id ever given out, so a retired id is never reused for another secret
    /// (a token of the retired key would otherwise meet a different key of the same id).
    #[serde(default)]
    highest_id: KeyId,
    #[serde(rename = "key", default)]
    keys: Vec<KeyEntry>,
}

/// What a key does at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRole {
    /// Seals and signs everything new.
    Sealing,
    /// Opens and verifies what it sealed; seals nothing new.
    Retained,
    /// Not active yet: opens already (so replicas that switch early are understood), seals
    /// from its `active_from` on.
    Pending,
}

#[derive(Debug, Clone)]
pub struct KeyStatus {
    pub id: KeyId,
    pub created_at: OffsetDateTime,
    pub active_from: OffsetDateTime,
    pub role: KeyRole,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetireError {
    #[error("there is no key {0} in the file")]
    NotFound(KeyId),
    #[error(
        "key {0} is the only key; the server cannot run without one. To stop everything sealed \
         under it, first add a key that is active now (`keys rotate --activate-in 0s`), then \
         retire key {0} with --force"
    )]
    LastKey(KeyId),
    #[error(
        "key {0} is the key that seals now; retiring it logs every user out and invalidates every \
         registered client id it sealed. Repeat with --force if that is what you want"
    )]
    SealingKey(KeyId),
}

/// The outcome of a retirement, for the CLI to report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retired {
    pub id: KeyId,
    pub was_sealing: bool,
    /// The key that seals after the retirement, if any is active.
    pub sealing_now: Option<KeyId>,
}

impl KeyFile {
    /// A file with one fresh key, active at once.
    pub fn generate(now: OffsetDateTime) -> Result<KeyFile, getrandom::Error> {
        let now = whole_seconds(now);
        Ok(KeyFile {
            highest_id: 1,
            keys: vec![KeyEntry { id: 1, secret: KeySecret::generate()?, created_at: now, active_from: now }],
        })
    }

    pub fn keys(&self) -> &[KeyEntry] {
        &self.keys
    }

    pub fn parse(text: &str, path: &Path) -> Result<KeyFile, KeyringError> {
        let invalid = |reason: String| KeyringError::Invalid { path: path.to_path_buf(), reason };
        // toml's messages quote the offending line, which may be a secret: keep only its summary.
        let file: KeyFile = toml::from_str(text).map_err(|e| invalid(e.message().to_owned()))?;
        if file.keys.is_empty() {
            return Err(invalid("it has no [[key]] entry".into()));
        }
        let mut ids: Vec<KeyId> = file.keys.iter().map(|k| k.id).collect();
        ids.sort_unstable();
        if let Some(pair) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(invalid(format!("key id {} appears twice", pair[0])));
        }
        Ok(file)
    }

    /// Reads and validates the file, warning when group or others can read it.
    pub fn read(path: &Path) -> Result<KeyFile, KeyringError> {
        warn_if_exposed(path);
        let text = Zeroizing::new(
            std::fs::read_to_string(path)
                .map_err(|source| KeyringError::Read { path: path.to_path_buf(), source })?,
        );
        KeyFile::parse(&text, path)
    }

    fn render(&self) -> Zeroizing<String> {
        let body = Zeroizing::new(toml::to_string(self).expect("a key file always serializes"));
        Zeroizing::new(format!("{FILE_HEADER}{}", body.as_str()))
    }

    /// Writes a new file, refusing to replace an existing one.
    pub fn create(&self, path: &Path) -> Result<(), KeyringError> {
        write_atomic(path, &self.render(), false)
    }

    /// Replaces the file atomically.
    pub fn save(&self, path: &Path) -> Result<(), KeyringError> {
        write_atomic(path, &self.render(), true)
    }

    /// Appends a key with the next id that seals from `now + activate_in`.
    pub fn rotate(
        &mut self,
        now: OffsetDateTime,
        activate_in: time::Duration,
    ) -> Result<KeyId, getrandom::Error> {
        let id = self.keys.iter().map(|k| k.id).max().unwrap_or(0).max(self.highest_id) + 1;
        self.highest_id = id;
        let now = whole_seconds(now);
        self.keys.push(KeyEntry {
            id,
            secret: KeySecret::generate()?,
            created_at: now,
            active_from: whole_seconds(now + activate_in),
        });
        Ok(id)
    }

    /// Removes key `id`. Never the last key; the sealing key only with `force`.
    pub fn retire(&mut self, id: KeyId, force: bool, now: OffsetDateTime) -> Result<Retired, RetireError> {
        let index = self.keys.iter().position(|k| k.id == id).ok_or(RetireError::NotFound(id))?;
        if self.keys.len() == 1 {
            return Err(RetireError::LastKey(id));
        }
        let was_sealing = self.sealing_id(now) == Some(id);
        if was_sealing && !force {
            return Err(RetireError::SealingKey(id));
        }
        self.keys.remove(index);
        Ok(Retired { id, was_sealing, sealing_now: self.sealing_id(now) })
    }

    /// The id of the key that seals at `now` (same rule as `Keyring::sealing_key`).
    pub fn sealing_id(&self, now: OffsetDateTime) -> Option<KeyId> {
        self.keys.iter().filter(|k| k.active_from <= now).max_by_key(|k| (k.active_from, k.id)).map(|k| k.id)
    }

    /// Every key with its role at `now`, by id.
    pub fn status(&self, now: OffsetDateTime) -> Vec<KeyStatus> {
        let sealing = self.sealing_id(now);
        let mut out: Vec<KeyStatus> = self
            .keys
            .iter()
            .map(|k| KeyStatus {
                id: k.id,
                created_at: k.created_at,
                active_from: k.active_from,
                role: if Some(k.id) == sealing {
                    KeyRole::Sealing
                } else if k.active_from > now {
                    KeyRole::Pending
                } else {
                    KeyRole::Retained
                },
            })
            .collect();
        out.sort_by_key(|s| s.id);
        out
    }
}

fn whole_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).expect("0 is a valid nanosecond")
}

fn write_atomic(path: &Path, contents: &str, replace: bool) -> Result<(), KeyringError> {
    let write_err = |source: std::io::Error| KeyringError::Write { path: path.to_path_buf(), source };
    if !replace && path.exists() {
        return Err(KeyringError::Exists(path.to_path_buf()));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    // tempfile creates the file 0600, so the secret is never readable by others, not even
    // for an instant.
    let mut tmp = tempfile::Builder::new().prefix(".norman-mcp-keys-").tempfile_in(dir).map_err(write_err)?;
    tmp.write_all(contents.as_bytes()).map_err(write_err)?;
    tmp.as_file().sync_all().map_err(write_err)?;
    if replace {
        tmp.persist(path).map_err(|e| write_err(e.error))?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| match e.error.kind() {
            std::io::ErrorKind::AlreadyExists => KeyringError::Exists(path.to_path_buf()),
            _ => write_err(e.error),
        })?;
    }
    if let Ok(d) = std::fs::File::open(dir) {
        // Makes the rename durable; a failure here does not undo the write.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Logs a warning when group or others may read the key file.
fn warn_if_exposed(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = format_args!("{mode:o}"),
                    "key file is readable by group or others; run chmod 600 on it"
                );
            }
        }
    }
}
