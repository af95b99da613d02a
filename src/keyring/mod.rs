//! The keyring: the one file every replica holds identically, and the keys derived from it.
//!
//! Each key line has one 32-byte secret. HKDF-SHA256 derives from it, under distinct labels,
//! the XChaCha20-Poly1305 key for envelopes, the Ed25519 seed of the Biscuit root key, the
//! HMAC key for client secrets and the HMAC key that derives each access token's proof key, so
//! rotating one line rotates all of them.
//!
//! A keyring in memory is also bound to one deployment: the issuer identifier (the public URL)
//! of the server that seals with it. The issuer is part of every envelope's associated data
//! (`seal`), so two deployments that share a key file (staging and production, two brands)
//! never open each other's envelopes.

mod file;
pub mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use hkdf::Hkdf;
use sha2::Sha256;
use time::OffsetDateTime;
use zeroize::Zeroizing;

pub use file::{KeyEntry, KeyFile, KeyRole, KeySecret, KeyStatus, RetireError, Retired};
pub use watch::KeyringWatcher;

/// A key's integer id; it travels in every envelope and as the Biscuit `root_key_id`.
pub type KeyId = u32;

const SEAL_KEY_LABEL: &[u8] = b"norman-mcp/v1/envelope-xchacha20poly1305";
const BISCUIT_SEED_LABEL: &[u8] = b"norman-mcp/v1/biscuit-root-ed25519";
const CLIENT_SECRET_LABEL: &[u8] = b"norman-mcp/v1/client-secret-hmac";
const ACCESS_PROOF_LABEL: &[u8] = b"norman-mcp/v1/access-proof-hmac";

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("cannot read key file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("cannot write key file {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("key file {0} already exists; refusing to overwrite it")]
    Exists(PathBuf),
    #[error("key file {path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
}

/// One key with everything derived from its secret. The secret itself is not kept.
pub struct Key {
    id: KeyId,
    created_at: OffsetDateTime,
    active_from: OffsetDateTime,
    cipher: XChaCha20Poly1305,
    biscuit_root: biscuit_auth::KeyPair,
    /// The root key's public half, decompressed once (a signature check needs the point).
    biscuit_verifying_key: ed25519_dalek::VerifyingKey,
    client_secret_key: Zeroizing<[u8; 32]>,
    access_proof_key: Zeroizing<[u8; 32]>,
}

impl Key {
    /// Derives the key's working material from its file entry.
    pub fn derive(entry: &KeyEntry) -> Key {
        let hkdf = Hkdf::<Sha256>::new(None, entry.secret.expose());
        let seal_key = expand(&hkdf, SEAL_KEY_LABEL);
        let biscuit_seed = expand(&hkdf, BISCUIT_SEED_LABEL);
        let client_secret_key = expand(&hkdf, CLIENT_SECRET_LABEL);
        let access_proof_key = expand(&hkdf, ACCESS_PROOF_LABEL);
        let cipher = XChaCha20Poly1305::new(&(*seal_key).into());
        let biscuit_private =
            biscuit_auth::PrivateKey::from_bytes(&biscuit_seed[..], biscuit_auth::Algorithm::Ed25519)
                .expect("any 32 bytes are a valid Ed25519 seed");
        let biscuit_root = biscuit_auth::KeyPair::from(&biscuit_private);
        let biscuit_verifying_key = ed25519_dalek::SigningKey::from_bytes(&biscuit_seed).verifying_key();
        Key {
            id: entry.id,
            created_at: entry.created_at,
            active_from: entry.active_from,
            cipher,
            biscuit_root,
            biscuit_verifying_key,
            client_secret_key,
            access_proof_key,
        }
    }

    pub fn id(&self) -> KeyId {
        self.id
    }
    pub fn created_at(&self) -> OffsetDateTime {
        self.created_at
    }
    pub fn active_from(&self) -> OffsetDateTime {
        self.active_from
    }
    pub fn cipher(&self) -> &XChaCha20Poly1305 {
        &self.cipher
    }
    pub fn biscuit_root(&self) -> &biscuit_auth::KeyPair {
        &self.biscuit_root
    }
    pub fn biscuit_verifying_key(&self) -> &ed25519_dalek::VerifyingKey {
        &self.biscuit_verifying_key
    }
    pub fn client_secret_key(&self) -> &[u8; 32] {
        &self.client_secret_key
    }
    pub fn access_proof_key(&self) -> &[u8; 32] {
        &self.access_proof_key
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("id", &self.id)
            .field("active_from", &self.active_from)
            .finish_non_exhaustive()
    }
}

fn expand(hkdf: &Hkdf<Sha256>, label: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0u8; 32]);
    hkdf.expand(label, &mut out[..]).expect("32 bytes is a valid HKDF-SHA256 output length");
    out
}

/// The keys in force: every key opens and verifies; the sealing key is chosen by time.
#[derive(Debug)]
pub struct Keyring {
    /// Sorted by id, ids unique (the key file guarantees both).
    keys: Vec<Key>,
    /// The deployment this keyring seals and opens for; empty when bound to none.
    issuer: String,
}

impl Keyring {
    /// Builds the keyring of a validated key file, bound to no deployment (an empty issuer):
    /// what it seals opens only under a keyring that is not bound either. A server binds its
    /// keyring with [`Keyring::bound_to`].
    pub fn from_file(file: &KeyFile) -> Keyring {
        let mut keys: Vec<Key> = file.keys().iter().map(Key::derive).collect();
        keys.sort_by_key(Key::id);
        Keyring { keys, issuer: String::new() }
    }

    /// The same keys, sealing and opening only for the deployment whose issuer identifier is
    /// `issuer` (`Config::issuer`: the public URL without a trailing slash).
    pub fn bound_to(self, issuer: &str) -> Keyring {
        Keyring { issuer: issuer.to_owned(), ..self }
    }

    /// The issuer this keyring is bound to; empty when bound to none.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Reads, validates and derives the keyring at `path`.
    pub fn load(path: &Path) -> Result<Keyring, KeyringError> {
        Ok(Keyring::from_file(&KeyFile::read(path)?))
    }

    /// The key to seal and sign with at `now`: the latest `active_from` not in the future
    /// (the higher id on a tie). `None` when every key is still pending.
    pub fn sealing_key(&self, now: OffsetDateTime) -> Option<&Key> {
        self.keys.iter().filter(|k| k.active_from <= now).max_by_key(|k| (k.active_from, k.id))
    }

    /// Any key in the file, for opening and verifying.
    pub fn key(&self, id: KeyId) -> Option<&Key> {
        self.keys.binary_search_by_key(&id, Key::id).ok().map(|i| &self.keys[i])
    }

    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    pub fn ids(&self) -> Vec<KeyId> {
        self.keys.iter().map(Key::id).collect()
    }
}

/// The keyring a running server uses: swapped atomically on reload, so a request in flight
/// keeps the keyring it started with and a broken file never replaces a good one. Every
/// keyring it holds is bound to the same issuer.
pub struct SharedKeyring {
    path: PathBuf,
    issuer: String,
    current: ArcSwap<Keyring>,
}

impl SharedKeyring {
    /// The key file at `path`, bound to the deployment whose issuer is `issuer`.
    pub fn load(path: &Path, issuer: &str) -> Result<SharedKeyring, KeyringError> {
        let keyring = Keyring::load(path)?.bound_to(issuer);
        Ok(SharedKeyring {
            path: path.to_path_buf(),
            issuer: issuer.to_owned(),
            current: ArcSwap::from_pointee(keyring),
        })
    }

    /// A keyring not backed by a file (the demo's throwaway keyring, tests), with the binding
    /// it already has.
    pub fn fixed(keyring: Keyring) -> SharedKeyring {
        SharedKeyring {
            path: PathBuf::new(),
            issuer: keyring.issuer.clone(),
            current: ArcSwap::from_pointee(keyring),
        }
    }

    pub fn current(&self) -> Arc<Keyring> {
        self.current.load_full()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Re-reads the file. On success the new keyring is in force and returned; on failure the
    /// previous keyring stays in force and the error says why.
    pub fn reload(&self) -> Result<Arc<Keyring>, KeyringError> {
        let keyring = Arc::new(Keyring::load(&self.path)?.bound_to(&self.issuer));
        self.current.store(Arc::clone(&keyring));
        Ok(keyring)
    }
}
