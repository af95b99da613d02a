//! Verification: the cheap refusals first, then the signatures and the envelope; and the
//! [`Verifier`], which remembers successes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use biscuit_auth::PublicKey;
use biscuit_auth::error;
use biscuit_auth::format::{SerializedBiscuit, schema};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use super::attenuate::appended_restriction;
use super::mint::proof_secret;
use super::reader::minted_claims;
use super::{MAX_ACCESS_TOKEN_LEN, MAX_APPENDED_BLOCKS, Principal, VerifyError, decode};
use crate::keyring::{Key, Keyring};
use crate::seal;
use crate::tokens::upstream::UpstreamCredentials;

/// Verifies access tokens, remembering successes. Failures are never cached: they are cheap
/// to reach again and caching them would let garbage evict good entries.
pub struct Verifier {
    cache: quick_cache::sync::Cache<[u8; 32], Arc<CacheEntry>>,
    hits: AtomicU64,
}

struct CacheEntry {
    principal: Arc<Principal>,
    /// The root key that verified the signature: a key id can come back with another secret
    /// (retire the newest key, then rotate), and that must not revive cached tokens.
    root: PublicKey,
}

impl Verifier {
    pub fn new(capacity: usize) -> Verifier {
        Verifier { cache: quick_cache::sync::Cache::new(capacity.max(1)), hits: AtomicU64::new(0) }
    }

    /// Verifies the token's shape, the audience, the expiry, the scopes its blocks leave, the
    /// signature of every block with the key named by `root_key_id`, and opens the upstream
    /// envelope (module docs). Revocation is the caller's: see `Principal::revocation_ids`.
    ///
    /// A cache hit re-checks what can change after a success: the clock (against the earliest
    /// expiry, appended blocks included), the audience asked for, and that the signing key is
    /// still in `keyring`, so a retired key stops its tokens at once.
    pub fn verify(
        &self,
        keyring: &Keyring,
        token: &str,
        expected_audience: &str,
        now: OffsetDateTime,
    ) -> Result<Arc<Principal>, VerifyError> {
        if token.len() > MAX_ACCESS_TOKEN_LEN {
            return Err(VerifyError::Malformed);
        }
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(entry) = self.cache.get(&digest) {
            let principal = &entry.principal;
            let key_in_force =
                keyring.key(principal.key_id).is_some_and(|k| k.biscuit_root().public() == entry.root);
            if !key_in_force {
                self.cache.remove(&digest);
                return Err(VerifyError::UnknownKey);
            }
            if now >= principal.expires_at {
                self.cache.remove(&digest);
                return Err(VerifyError::Expired);
            }
            if principal.audience != expected_audience {
                return Err(VerifyError::WrongAudience);
            }
            self.hits.fetch_add(1, Ordering::Relaxed);
            return Ok(Arc::clone(principal));
        }

        let raw = decode(token).ok_or(VerifyError::Malformed)?;
        let (principal, key) = verify_raw(keyring, &raw, expected_audience, now)?;
        let principal = Arc::new(principal);
        let root = key.biscuit_root().public();
        self.cache.insert(digest, Arc::new(CacheEntry { principal: Arc::clone(&principal), root }));
        Ok(principal)
    }

    pub fn clear(&self) {
        self.cache.clear();
    }

    /// Tokens currently remembered.
    pub fn cache_len(&self) -> usize {
        self.cache.len()
    }

    /// Verifications answered from the cache since this verifier was made.
    pub fn cache_hits(&self) -> u64 {
        self.hits.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("cached", &self.cache.len())
            .field("hits", &self.cache_hits())
            .finish_non_exhaustive()
    }
}

/// `Verifier::verify` without the cache: every refusal that needs no signature comes first
/// (module docs). Returns the key that verified the token.
pub(super) fn verify_raw<'k>(
    keyring: &'k Keyring,
    raw: &[u8],
    expected_audience: &str,
    now: OffsetDateTime,
) -> Result<(Principal, &'k Key), VerifyError> {
    use prost::Message as _;

    let token = schema::Biscuit::decode(raw).map_err(|_| VerifyError::Malformed)?;
    // prost fills in what is missing (even from no bytes at all); Biscuit requires a proof.
    if token.proof.content.is_none() {
        return Err(VerifyError::Malformed);
    }
    let key = token.root_key_id.and_then(|id| keyring.key(id)).ok_or(VerifyError::UnknownKey)?;
    // Before any block is even decoded: a token of 5 blocks or more is none of ours.
    if token.blocks.len() > MAX_APPENDED_BLOCKS {
        return Err(VerifyError::Unsupported);
    }
    let claims = minted_claims(&token.authority.block).ok_or(VerifyError::Unsupported)?;
    if claims.audience != expected_audience {
        return Err(VerifyError::WrongAudience);
    }
    if now >= claims.expires_at {
        return Err(VerifyError::Expired);
    }
    let restriction = appended_restriction(&token.blocks)?;
    let expires_at = restriction.expiry(claims.expires_at);
    if now >= expires_at {
        return Err(VerifyError::Expired);
    }
    let scopes = restriction.scopes(claims.granted);
    if scopes.is_empty() {
        return Err(VerifyError::Denied);
    }

    check_signatures(key, &token, raw, &claims.token_id)?;
    let revocation_ids = revocation_ids(&claims.token_id, &token);
    let upstream =
        seal::open::<UpstreamCredentials>(keyring, &claims.envelope, now).map_err(VerifyError::Upstream)?;
    let principal = Principal {
        token_id: claims.token_id,
        client_fingerprint: claims.client_fingerprint,
        scopes,
        audience: claims.audience,
        expires_at,
        key_id: key.id(),
        norman_access: upstream.norman_access.clone(),
        company_id: upstream.company_id.clone(),
        family_id: upstream.family_id.clone(),
        revocation_ids,
    };
    Ok((principal, key))
}

/// The signature of every block, from `key`, and the proof. A token exactly as `mint` writes
/// it (no appended block, the derived proof) is checked here with one signature verification
/// and a comparison of secrets; any other by biscuit-auth (module docs). Either way the bytes
/// must be the token's one encoding: the signatures cover block contents, not the protobuf
/// around them, and an unknown field or a default written out would otherwise make another
/// string of the same token.
pub(super) fn check_signatures(
    key: &Key,
    token: &schema::Biscuit,
    raw: &[u8],
    token_id: &str,
) -> Result<(), VerifyError> {
    use prost::Message as _;
    use schema::proof::Content as Proof;

    let authority = &token.authority;
    let ed25519 = schema::public_key::Algorithm::Ed25519 as i32;
    let minted = match (&token.proof.content, token.blocks.is_empty(), authority.version) {
        (Some(Proof::NextSecret(proof)), true, None) => {
            authority.external_signature.is_none()
                && authority.next_key.algorithm == ed25519
                && authority.next_key.key.len() == 32
                && bool::from(proof.as_slice().ct_eq(&proof_secret(key, token_id)[..]))
        }
        _ => false,
    };
    if minted {
        // For this shape Biscuit writes exactly what prost re-encodes.
        if token.encode_to_vec() != raw {
            return Err(VerifyError::Malformed);
        }
        let signature =
            ed25519_dalek::Signature::from_slice(&authority.signature).map_err(|_| VerifyError::Forged)?;
        // Biscuit's block signature, format version 0: block bytes, next key algorithm, next key.
        let mut signed = Vec::with_capacity(authority.block.len() + 4 + 32);
        signed.extend_from_slice(&authority.block);
        signed.extend_from_slice(&authority.next_key.algorithm.to_le_bytes());
        signed.extend_from_slice(&authority.next_key.key);
        return key
            .biscuit_verifying_key()
            .verify_strict(&signed, &signature)
            .map_err(|_| VerifyError::Forged);
    }
    let root = key.biscuit_root().public();
    let container = SerializedBiscuit::from_slice(raw, root).map_err(format_error)?;
    if container.to_vec().ok().as_deref() != Some(raw) {
        return Err(VerifyError::Malformed);
    }
    Ok(())
}

pub(super) fn format_error(error: error::Format) -> VerifyError {
    match error {
        error::Format::UnknownPublicKey => VerifyError::UnknownKey,
        error::Format::Signature(_) | error::Format::SealedSignature => VerifyError::Forged,
        _ => VerifyError::Malformed,
    }
}

/// The revocation id of each block (module docs): the token id, then base64url of each
/// appended block's signature.
pub(super) fn revocation_ids(token_id: &str, token: &schema::Biscuit) -> Vec<String> {
    std::iter::once(token_id.to_owned())
        .chain(token.blocks.iter().map(|block| URL_SAFE_NO_PAD.encode(&block.signature)))
        .collect()
}
