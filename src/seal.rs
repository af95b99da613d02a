//! Sealed envelopes: everything the server must remember between two requests travels with
//! the client, encrypted and authenticated under a keyring key.
//!
//! Wire form: `prefix "_" base64url_nopad(version:u8 | key_id:u32 BE | nonce:24 | ciphertext+tag)`.
//! The associated data is `prefix ‖ version ‖ key_id ‖ issuer`, the issuer being the UTF-8
//! issuer identifier (public URL) of the deployment the keyring is bound to. So an envelope
//! sealed for one purpose can never be opened as another even if its prefix is rewritten, and
//! one sealed by one deployment never opens at another that shares its key file (staging and
//! production): the tag fails, exactly as for a forgery. Version 2 added the issuer; version 1
//! envelopes no longer open. The plaintext is `expires_at:i64 BE (unix seconds) | JSON
//! payload`; the expiry sits in front so an expired envelope is refused without parsing its
//! payload. Plaintexts are held in buffers that are zeroed when dropped.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::XNonce;
use chacha20poly1305::aead::{Aead, Payload};
use serde::Serialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::keyring::{KeyId, Keyring};

/// The envelope format version; bumping it lets a later format coexist. Version 1 had no
/// issuer in the associated data and is no longer opened.
pub const ENVELOPE_VERSION: u8 = 2;

/// Longest envelope `open` will look at, checked before any decoding. A code carries two Norman
/// JWTs plus metadata (about 1.5 KiB); a client id a handful of redirect URIs.
pub const MAX_ENVELOPE_LEN: usize = 8 * 1024;

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 1 + 4 + NONCE_LEN;
const EXPIRY_LEN: usize = 8;

/// What an envelope is for. The prefix is part of the wire form and of the associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// The login form's hidden field: the validated /authorize request and a CSRF nonce.
    Login,
    /// An authorization code.
    Code,
    /// A refresh token.
    Refresh,
    /// A registered client id (dynamic client registration).
    Client,
    /// The Norman access token and company id inside a Biscuit access token.
    Upstream,
    /// The company choice page's hidden field: the signed-in request, waiting for a company.
    CompanyChoice,
    /// The `state` of a sign-in at Norman's authorization server.
    NormanState,
    /// An upload link's path: the Norman access token, company id and what the files are for.
    UploadLink,
}

impl Purpose {
    pub const ALL: [Purpose; 8] = [
        Purpose::Login,
        Purpose::Code,
        Purpose::Refresh,
        Purpose::Client,
        Purpose::Upstream,
        Purpose::CompanyChoice,
        Purpose::NormanState,
        Purpose::UploadLink,
    ];

    pub const fn prefix(self) -> &'static str {
        match self {
            Purpose::Login => "nml",
            Purpose::Code => "nmc",
            Purpose::Refresh => "nmr",
            Purpose::Client => "nmi",
            Purpose::Upstream => "nmu",
            Purpose::CompanyChoice => "nms",
            Purpose::NormanState => "nmo",
            Purpose::UploadLink => "nmf",
        }
    }

    fn from_prefix(prefix: &str) -> Option<Purpose> {
        Purpose::ALL.into_iter().find(|p| p.prefix() == prefix)
    }
}

/// When a sealed value stops opening.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    At(OffsetDateTime),
    /// Lives until its key is retired (registered client ids).
    Never,
}

impl Expiry {
    fn to_unix(self) -> i64 {
        match self {
            Expiry::At(at) => at.unix_timestamp(),
            Expiry::Never => i64::MAX,
        }
    }
}

/// A payload type with a fixed purpose. Each purpose has exactly one payload type.
pub trait Sealed: Serialize + DeserializeOwned {
    const PURPOSE: Purpose;
    fn expiry(&self) -> Expiry;
}

/// Why an envelope did not open. None of the variants carries the envelope itself, so the
/// error can be logged without leaking a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("envelope longer than {MAX_ENVELOPE_LEN} characters")]
    Oversized,
    #[error("envelope is malformed")]
    Malformed,
    #[error("envelope was sealed for another purpose")]
    WrongPurpose,
    #[error("envelope was sealed under key {0}, which is not in the keyring")]
    UnknownKey(KeyId),
    #[error("envelope failed authentication")]
    Forged,
    #[error("envelope has expired")]
    Expired,
}

impl OpenError {
    /// A short, stable label for metrics and logs.
    pub const fn reason(self) -> &'static str {
        match self {
            OpenError::Oversized => "oversized",
            OpenError::Malformed => "malformed",
            OpenError::WrongPurpose => "wrong_purpose",
            OpenError::UnknownKey(_) => "unknown_key",
            OpenError::Forged => "forged",
            OpenError::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("no key in the keyring is active yet")]
    NoActiveKey,
    #[error("the payload could not be serialized")]
    Encode,
    #[error("the operating system's random number generator failed")]
    Random,
}

/// Seals `value` under the keyring's current sealing key, for the keyring's deployment.
pub fn seal<T: Sealed>(keyring: &Keyring, value: &T, now: OffsetDateTime) -> Result<String, SealError> {
    let mut plaintext = ZeroizingWriter(Zeroizing::new(Vec::with_capacity(1024)));
    plaintext.0.extend_from_slice(&value.expiry().to_unix().to_be_bytes());
    serde_json::to_writer(&mut plaintext, value).map_err(|_| SealError::Encode)?;
    seal_bytes(keyring, T::PURPOSE, &plaintext.0, now)
}

/// A buffer that never leaves a copy of its contents behind: when it has to grow, the old
/// allocation is zeroed as it is dropped (a plain `Vec` would free it as it is).
struct ZeroizingWriter(Zeroizing<Vec<u8>>);

impl std::io::Write for ZeroizingWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let needed = self.0.len() + bytes.len();
        if needed > self.0.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(needed.max(2 * self.0.capacity())));
            bigger.extend_from_slice(&self.0);
            self.0 = bigger;
        }
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Opens an envelope of `T`'s purpose: the typed value, or why it did not open.
pub fn open<T: Sealed>(keyring: &Keyring, envelope: &str, now: OffsetDateTime) -> Result<T, OpenError> {
    open_keyed(keyring, envelope, now).map(|(value, _)| value)
}

/// Like [`open`], also naming the key that sealed the envelope (client secrets derive from it).
pub fn open_keyed<T: Sealed>(
    keyring: &Keyring,
    envelope: &str,
    now: OffsetDateTime,
) -> Result<(T, KeyId), OpenError> {
    let (plaintext, key_id) = open_bytes_keyed(keyring, T::PURPOSE, envelope)?;
    let (expiry, payload) = plaintext.split_at_checked(EXPIRY_LEN).ok_or(OpenError::Malformed)?;
    let expires_at = i64::from_be_bytes(expiry.try_into().map_err(|_| OpenError::Malformed)?);
    if now.unix_timestamp() >= expires_at {
        return Err(OpenError::Expired);
    }
    let value = serde_json::from_slice(payload).map_err(|_| OpenError::Malformed)?;
    Ok((value, key_id))
}

/// The envelope layer without a payload type: seals raw bytes for `purpose` and the keyring's
/// deployment.
pub fn seal_bytes(
    keyring: &Keyring,
    purpose: Purpose,
    plaintext: &[u8],
    now: OffsetDateTime,
) -> Result<String, SealError> {
    let key = keyring.sealing_key(now).ok_or(SealError::NoActiveKey)?;
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|_| SealError::Random)?;
    let aad = associated_data(purpose, key.id(), keyring.issuer());
    let ciphertext = key
        .cipher()
        .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: &aad })
        .map_err(|_| SealError::Encode)?;

    let mut raw = Vec::with_capacity(HEADER_LEN + ciphertext.len());
    raw.push(ENVELOPE_VERSION);
    raw.extend_from_slice(&key.id().to_be_bytes());
    raw.extend_from_slice(&nonce);
    raw.extend_from_slice(&ciphertext);

    let prefix = purpose.prefix();
    let mut out = String::with_capacity(prefix.len() + 1 + raw.len().div_ceil(3) * 4);
    out.push_str(prefix);
    out.push('_');
    URL_SAFE_NO_PAD.encode_string(&raw, &mut out);
    Ok(out)
}

/// The envelope layer without a payload type: authenticates and decrypts, checking the
/// purpose, the version, the key and the deployment, but not the expiry (which lives in the
/// payload layer).
pub fn open_bytes(
    keyring: &Keyring,
    purpose: Purpose,
    envelope: &str,
) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    open_bytes_keyed(keyring, purpose, envelope).map(|(plaintext, _)| plaintext)
}

fn open_bytes_keyed(
    keyring: &Keyring,
    purpose: Purpose,
    envelope: &str,
) -> Result<(Zeroizing<Vec<u8>>, KeyId), OpenError> {
    if envelope.len() > MAX_ENVELOPE_LEN {
        return Err(OpenError::Oversized);
    }
    let (prefix, body) = envelope.split_once('_').ok_or(OpenError::Malformed)?;
    if prefix != purpose.prefix() {
        return Err(match Purpose::from_prefix(prefix) {
            Some(_) => OpenError::WrongPurpose,
            None => OpenError::Malformed,
        });
    }
    let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| OpenError::Malformed)?;
    // The expiry belongs to the payload layer (`open_keyed` checks it): this layer opens every
    // plaintext `seal_bytes` seals, the empty one included.
    if raw.len() < HEADER_LEN + TAG_LEN || raw[0] != ENVELOPE_VERSION {
        return Err(OpenError::Malformed);
    }
    let key_id = KeyId::from_be_bytes([raw[1], raw[2], raw[3], raw[4]]);
    let nonce: [u8; NONCE_LEN] = raw[5..HEADER_LEN].try_into().map_err(|_| OpenError::Malformed)?;
    let key = keyring.key(key_id).ok_or(OpenError::UnknownKey(key_id))?;
    let aad = associated_data(purpose, key_id, keyring.issuer());
    let plaintext = key
        .cipher()
        .decrypt(&XNonce::from(nonce), Payload { msg: &raw[HEADER_LEN..], aad: &aad })
        .map(Zeroizing::new)
        .map_err(|_| OpenError::Forged)?;
    Ok((plaintext, key_id))
}

/// `prefix ‖ version ‖ key_id ‖ issuer`: every part before the issuer has a fixed length, so
/// no two different inputs give the same bytes.
fn associated_data(purpose: Purpose, key_id: KeyId, issuer: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(8 + issuer.len());
    aad.extend_from_slice(purpose.prefix().as_bytes());
    aad.push(ENVELOPE_VERSION);
    aad.extend_from_slice(&key_id.to_be_bytes());
    aad.extend_from_slice(issuer.as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_three_distinct_bytes() {
        let mut seen = std::collections::HashSet::new();
        for purpose in Purpose::ALL {
            assert_eq!(purpose.prefix().len(), 3);
            assert!(seen.insert(purpose.prefix()));
            assert_eq!(Purpose::from_prefix(purpose.prefix()), Some(purpose));
        }
    }
}
