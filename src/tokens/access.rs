//! `nma_`: the access token, a Biscuit signed by the keyring's root key.
//!
//! Wire form: `nma_` base64url_nopad(biscuit bytes), with the signing key's id as the Biscuit
//! `root_key_id`. The authority block (only the server can write it) holds:
//!
//! ```text
//! access({token id}, {client fingerprint}, {audience}, {expiry date}, {nmu_ envelope});
//! right("norman.read"); right("norman.write");        // one fact per granted scope
//! check if time($t), $t < {expiry date};
//! check if resource({audience});
//! ```
//!
//! The claims share one fact so that reading them is one match. The Norman access token travels
//! only inside the `nmu_` envelope, so reading a Biscuit (which anyone can) never shows it.
//!
//! Any holder may append blocks (attenuation). A Datalog block costs what its author wants: a
//! check joining dozens of variables, or a rule multiplying facts, runs for minutes inside one
//! evaluation step, where Biscuit's authorizer limits never look. So no Datalog runs here:
//! tokens are read structurally (the protobuf of `biscuit_auth::format::schema`), and only the
//! shapes this server writes are accepted. The authority block is the one above; after it come
//! at most [`MAX_APPENDED_BLOCKS`] appended blocks, each holding one or both of the checks
//! `attenuate` writes and nothing else (no facts, rules, scopes, public keys, context or
//! third-party signature):
//!
//! ```text
//! check if operation("read");          // the token no longer grants norman.write
//! check if time($t), $t < {date};      // the token ends at {date}, if not before
//! ```
//!
//! Those checks are evaluated in Rust, with the meaning Biscuit's authorizer gives them when a
//! request supplies `time({now})`, `resource({audience})`, `operation("read" | "write")` and
//! the policy `allow if right({scope})`. Anything else is refused (`VerifyError::Unsupported`).
//! Verification runs cheapest first: the length, the protobuf, the key id, the number and shape
//! of the blocks, the audience, expiry and scopes, all read from the bytes; only then the
//! signatures (one Ed25519 verification per block, through biscuit-auth) and the envelope.
//!
//! The token's proof (the secret key that signs a next block, which Biscuit draws at random) is
//! instead HMAC-SHA256 of the token id under the key's access-proof key. Holders see no
//! difference; a cold verification of a token exactly as `mint` writes it then recomputes that
//! secret and compares it, where Biscuit would derive its public key (a curve multiplication)
//! and compare that with the signed `next_key`. The signature covers the token id and the next
//! key, and `mint` always signs the public key of the derived secret, so the two tests agree.
//! Attenuated tokens carry `attenuate`'s random proof and are checked by biscuit-auth.
//!
//! Revocation follows Biscuit's model: every block has a revocation id, a token is refused once
//! any of its blocks' ids is denied, and revoking a token denies its last block's id. Revoking a
//! delegated copy (its parent plus one block) therefore ends that copy and every token derived
//! from it, never the parent. The authority block's id is the token id (signed, and drawn afresh
//! by every `mint`); an appended block's is its signature, as Biscuit's
//! `revocation_identifiers` gives it, in base64url.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use biscuit_auth::builder::{self as bb, BlockBuilder, Term};
use biscuit_auth::datalog::SymbolTable;
use biscuit_auth::format::{SerializedBiscuit, schema};
use biscuit_auth::macros::{biscuit, check};
use biscuit_auth::{Biscuit, KeyPair, PrivateKey, PublicKey, UnverifiedBiscuit, error};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::upstream::UpstreamCredentials;
use super::{NormanToken, random_id};
use crate::keyring::{Key, KeyId, Keyring};
use crate::scope::{Scope, Scopes};
use crate::seal::{self, OpenError, SealError};

pub const ACCESS_PREFIX: &str = "nma_";

/// How long an access token lives unless the operator chose otherwise (`AccessGrant::lifetime`).
pub const DEFAULT_ACCESS_LIFETIME: time::Duration = time::Duration::hours(1);

/// The longest an access token may live, whatever the grant asks: a leaked token works until
/// then unless revoked. The Norman token's own expiry may cut it shorter.
pub const MAX_ACCESS_LIFETIME: time::Duration = time::Duration::hours(24);

/// Longest token `verify`, `inspect` and `attenuate` look at, checked before any decoding.
/// Ours are about 1 KiB; each attenuation block adds about 200 characters.
pub const MAX_ACCESS_TOKEN_LEN: usize = 8 * 1024;

/// The access token ends this long before the Norman token it carries, so a call made just
/// before our expiry still reaches Norman with a live token. A Norman token whose whole life
/// (`iat` to `exp`) is shorter than four margins keeps a quarter of its life instead.
const UPSTREAM_MARGIN: time::Duration = time::Duration::seconds(30);

/// The most blocks a holder may append to a token; `attenuate` writes one per call.
pub const MAX_APPENDED_BLOCKS: usize = 4;

/// What the token endpoint grants; `mint` turns it into a token.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub client_id: String,
    pub scopes: Scopes,
    /// The canonical MCP URL the token is for (RFC 8707 resource).
    pub audience: String,
    pub norman_access: NormanToken,
    pub company_id: Option<String>,
    /// The grant this token belongs to (see `UpstreamCredentials::family_id`).
    pub family_id: Option<String>,
    /// How long the token lives at most (never more than `MAX_ACCESS_LIFETIME`).
    pub lifetime: time::Duration,
}

#[derive(Clone)]
pub struct MintedAccess {
    pub token: String,
    pub expires_at: OffsetDateTime,
    pub token_id: String,
}

/// The token is a bearer credential: `Debug` names it by id only.
impl std::fmt::Debug for MintedAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintedAccess")
            .field("token_id", &self.token_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MintError {
    #[error("no key in the keyring is active yet")]
    NoActiveKey,
    #[error("an access token needs at least one scope")]
    NoScopes,
    #[error("the Norman access token has expired or is about to")]
    UpstreamExpired,
    #[error("sealing the Norman credentials failed: {0}")]
    Seal(#[from] SealError),
    #[error("the operating system's random number generator failed")]
    Random,
    #[error("the Biscuit could not be built")]
    Build,
    #[error("the access token would be longer than {MAX_ACCESS_TOKEN_LEN} characters")]
    Oversized,
}

/// Who is calling and what they may do, as established by `Verifier::verify`.
#[derive(Debug, Clone)]
pub struct Principal {
    pub token_id: String,
    pub client_fingerprint: String,
    /// Effective scopes: the granted ones that every attenuation check still allows.
    pub scopes: Scopes,
    pub audience: String,
    /// The earliest of the authority expiry and any expiry found in appended blocks.
    pub expires_at: OffsetDateTime,
    pub key_id: KeyId,
    /// `NormanToken`'s `Debug` hides the value, so the derived `Debug` is safe to log.
    pub norman_access: NormanToken,
    pub company_id: Option<String>,
    pub family_id: Option<String>,
    /// One id per block, the authority's (the token id) first: the token is refused once any of
    /// them is revoked (module docs).
    pub revocation_ids: Vec<String>,
}

impl Principal {
    /// What revoking this token denies: its last block's id, which every token derived from it
    /// carries too and its parent does not.
    pub fn revocation_id(&self) -> &str {
        self.revocation_ids.last().unwrap_or(&self.token_id)
    }
}

/// Why a token was refused. No variant carries the token, so errors are safe to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("access token is malformed")]
    Malformed,
    #[error("access token was signed by a key that is not in the keyring")]
    UnknownKey,
    #[error("access token signature is invalid")]
    Forged,
    #[error("access token has expired")]
    Expired,
    #[error("access token was issued for another resource")]
    WrongAudience,
    #[error("access token grants nothing here")]
    Denied,
    #[error("access token is not of a shape this server issues or accepts")]
    Unsupported,
    #[error("the upstream credentials in the access token did not open: {0}")]
    Upstream(OpenError),
}

impl VerifyError {
    /// A short, stable label for metrics and logs.
    pub const fn reason(self) -> &'static str {
        match self {
            VerifyError::Malformed => "malformed",
            VerifyError::UnknownKey => "unknown_key",
            VerifyError::Forged => "forged",
            VerifyError::Expired => "expired",
            VerifyError::WrongAudience => "wrong_audience",
            VerifyError::Denied => "denied",
            VerifyError::Unsupported => "unsupported",
            VerifyError::Upstream(_) => "upstream",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AttenuateError {
    #[error("not an access token")]
    Malformed,
    #[error("access token longer than {MAX_ACCESS_TOKEN_LEN} characters")]
    Oversized,
    #[error("nothing to restrict: ask for read-only, a lifetime, or both")]
    NothingToRestrict,
    #[error("the lifetime must be positive")]
    InvalidTtl,
    #[error("a block cannot be appended to this token (is it sealed?)")]
    Append,
    #[error("the token already carries {MAX_APPENDED_BLOCKS} appended blocks, the most a server accepts")]
    TooManyBlocks,
}

/// The `exp` of a JWT, read from its payload without checking the signature: Norman checks
/// its own tokens, we only need to know when to stop using this one.
pub fn norman_token_expiry(token: &NormanToken) -> Option<OffsetDateTime> {
    norman_token_times(token).map(|(_, expires)| expires)
}

/// `iat` (if readable) and `exp` of a JWT's payload.
fn norman_token_times(token: &NormanToken) -> Option<(Option<OffsetDateTime>, OffsetDateTime)> {
    #[derive(serde::Deserialize)]
    struct Payload {
        exp: Option<serde_json::Number>,
        iat: Option<serde_json::Number>,
    }
    // `as` saturates, and the range check rejects the saturated values.
    let instant = |n: serde_json::Number| {
        let seconds = n.as_i64().or_else(|| n.as_f64().map(|f| f.floor() as i64))?;
        OffsetDateTime::from_unix_timestamp(seconds).ok()
    };
    let mut parts = token.expose().split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let json = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let payload = serde_json::from_slice::<Payload>(&json).ok()?;
    Some((payload.iat.and_then(instant), instant(payload.exp?)?))
}

/// Whether the Norman access token is too close to its end to carry an access token; the
/// token endpoint then gets a fresh one first.
pub fn needs_upstream_refresh(norman: &NormanToken, now: OffsetDateTime) -> bool {
    access_expiry(norman, MAX_ACCESS_LIFETIME, now) == Err(MintError::UpstreamExpired)
}

/// A stable, short, non-reversible tag of the client id: client ids can be long (a sealed
/// `nmi_` or a metadata URL) and need not be readable in every token.
pub fn client_fingerprint(client_id: &str) -> String {
    let digest = Sha256::digest(client_id.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..12])
}

/// Issues an access token for `grant`, signed with the keyring's current sealing key.
pub fn mint(keyring: &Keyring, grant: &AccessGrant, now: OffsetDateTime) -> Result<MintedAccess, MintError> {
    if grant.scopes.is_empty() {
        return Err(MintError::NoScopes);
    }
    let key = keyring.sealing_key(now).ok_or(MintError::NoActiveKey)?;
    let expires_at = access_expiry(&grant.norman_access, grant.lifetime, now)?;
    let token_id = random_id().map_err(|_| MintError::Random)?;
    let upstream = UpstreamCredentials {
        norman_access: grant.norman_access.clone(),
        company_id: grant.company_id.clone(),
        family_id: grant.family_id.clone(),
        expires_at,
    };
    let envelope = seal::seal(keyring, &upstream, now)?;

    let mut builder = biscuit!(
        r#"
        access({token_id}, {client}, {audience}, {expires}, {upstream});
        check if time($t), $t < {expires};
        check if resource({audience});
        "#,
        token_id = token_id.as_str(),
        client = client_fingerprint(&grant.client_id),
        audience = grant.audience.as_str(),
        expires = date(expires_at),
        upstream = envelope.as_str(),
    );
    for scope in grant.scopes.iter() {
        builder =
            builder.fact(bb::fact("right", &[bb::string(scope.as_str())])).map_err(|_| MintError::Build)?;
    }
    let next = proof_key_pair(key, &token_id).ok_or(MintError::Build)?;
    let biscuit = builder
        .root_key_id(key.id())
        .build_with_key_pair(key.biscuit_root(), SymbolTable::new(), &next)
        .map_err(|_| MintError::Build)?;
    let token = encode(&biscuit.to_vec().map_err(|_| MintError::Build)?);
    if token.len() > MAX_ACCESS_TOKEN_LEN {
        return Err(MintError::Oversized);
    }
    Ok(MintedAccess { token, expires_at, token_id })
}

/// The secret key a token's first appended block would be signed with (module docs).
fn proof_secret(key: &Key, token_id: &str) -> Zeroizing<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.access_proof_key())
        .expect("HMAC takes a key of any length");
    mac.update(b"norman-mcp access proof\0");
    mac.update(token_id.as_bytes());
    Zeroizing::new(mac.finalize().into_bytes().into())
}

fn proof_key_pair(key: &Key, token_id: &str) -> Option<KeyPair> {
    let secret = proof_secret(key, token_id);
    let private = PrivateKey::from_bytes(&secret[..], biscuit_auth::Algorithm::Ed25519).ok()?;
    Some(KeyPair::from(&private))
}

/// `min(now + lifetime, Norman exp - margin)`, in whole seconds (Biscuit dates have no
/// fraction; rounding down never extends a lifetime).
fn access_expiry(
    norman: &NormanToken,
    lifetime: time::Duration,
    now: OffsetDateTime,
) -> Result<OffsetDateTime, MintError> {
    let mut expires = now.checked_add(lifetime.min(MAX_ACCESS_LIFETIME)).ok_or(MintError::UpstreamExpired)?;
    if let Some((issued, upstream)) = norman_token_times(norman) {
        let margin = match issued {
            Some(issued) if issued < upstream => UPSTREAM_MARGIN.min((upstream - issued) / 4),
            _ => UPSTREAM_MARGIN,
        };
        let usable = upstream.checked_sub(margin).ok_or(MintError::UpstreamExpired)?;
        expires = expires.min(usable);
    }
    let expires = whole_seconds(expires);
    if expires <= now {
        return Err(MintError::UpstreamExpired);
    }
    Ok(expires)
}

/// Appends a block that only restricts, without any key. `read_only`: the token no longer
/// grants `norman.write`. `ttl`: it stops at `now + ttl` (or earlier if it already did).
pub fn attenuate(
    token: &str,
    read_only: bool,
    ttl: Option<time::Duration>,
    now: OffsetDateTime,
) -> Result<String, AttenuateError> {
    if !read_only && ttl.is_none() {
        return Err(AttenuateError::NothingToRestrict);
    }
    if token.len() > MAX_ACCESS_TOKEN_LEN {
        return Err(AttenuateError::Oversized);
    }
    let raw = decode(token).ok_or(AttenuateError::Malformed)?;
    let unverified = UnverifiedBiscuit::from(&raw).map_err(|_| AttenuateError::Malformed)?;
    if unverified.block_count() > MAX_APPENDED_BLOCKS {
        return Err(AttenuateError::TooManyBlocks);
    }

    let mut block = BlockBuilder::new();
    if read_only {
        block = block.check(check!(r#"check if operation("read")"#)).map_err(|_| AttenuateError::Append)?;
    }
    if let Some(ttl) = ttl {
        if !ttl.is_positive() {
            return Err(AttenuateError::InvalidTtl);
        }
        let until = whole_seconds(now.checked_add(ttl).ok_or(AttenuateError::InvalidTtl)?);
        block = block
            .check(check!(r#"check if time($t), $t < {until}"#, until = date(until)))
            .map_err(|_| AttenuateError::Append)?;
    }
    let attenuated = unverified.append(block).map_err(|_| AttenuateError::Append)?;
    let out = encode(&attenuated.to_vec().map_err(|_| AttenuateError::Append)?);
    if out.len() > MAX_ACCESS_TOKEN_LEN {
        return Err(AttenuateError::Oversized);
    }
    Ok(out)
}

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

/// What `norman-mcp token inspect` shows. It never holds the Norman token, nor the envelope.
#[derive(Debug, Clone)]
pub struct TokenReport {
    pub token_id: String,
    pub client_fingerprint: String,
    pub audience: String,
    pub key_id: KeyId,
    /// The authority block plus appended ones.
    pub blocks: usize,
    pub granted: Scopes,
    /// What the token allows at `now` for its own audience (empty if it is not valid).
    pub effective: Scopes,
    /// The expiry the server wrote.
    pub expires_at: OffsetDateTime,
    /// The earliest expiry, appended blocks included (if this server accepts them).
    pub effective_expires_at: OffsetDateTime,
    /// Known only when the token verifies.
    pub company_id: Option<String>,
    /// The Datalog source of each appended block, in order.
    pub attenuation: Vec<String>,
    /// What revoking the token denies (`Principal::revocation_id`).
    pub revocation_id: String,
    /// Whether the token verifies at `now` for its own audience, and if not, why.
    pub status: Result<(), VerifyError>,
}

impl std::fmt::Display for TokenReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rfc3339 = |at: OffsetDateTime| {
            at.format(&time::format_description::well_known::Rfc3339).unwrap_or_else(|_| at.to_string())
        };
        let scopes = |s: Scopes| if s.is_empty() { "(none)".to_owned() } else { s.to_string() };
        writeln!(f, "access token {}", self.token_id)?;
        match self.status {
            Ok(()) => writeln!(f, "  status     valid")?,
            Err(e) => writeln!(f, "  status     not valid: {e}")?,
        }
        writeln!(f, "  signed by  key {}", self.key_id)?;
        writeln!(f, "  client     {} (fingerprint)", self.client_fingerprint)?;
        writeln!(f, "  audience   {}", self.audience)?;
        writeln!(f, "  granted    {}", scopes(self.granted))?;
        writeln!(f, "  effective  {}", scopes(self.effective))?;
        writeln!(f, "  expires    {}", rfc3339(self.expires_at))?;
        if self.effective_expires_at != self.expires_at {
            writeln!(f, "  cut short  {} (by an appended block)", rfc3339(self.effective_expires_at))?;
        }
        if let Some(company) = &self.company_id {
            writeln!(f, "  company    {company}")?;
        }
        writeln!(f, "  revocation {}", self.revocation_id)?;
        writeln!(f, "  blocks     {}", self.blocks)?;
        for (i, source) in self.attenuation.iter().enumerate() {
            writeln!(f, "  block {}:", i + 1)?;
            for line in source.lines() {
                writeln!(f, "    {line}")?;
            }
        }
        Ok(())
    }
}

/// Reads a token whose signatures verify under `keyring`, and judges it at `now` against its
/// own audience as `Verifier::verify` would. Expired, denied and unsupported tokens are still
/// described (blocks of any number and shape are printed, never evaluated); a token that does
/// not parse or verify, or whose authority block is not `mint`'s, is an error.
pub fn inspect(keyring: &Keyring, token: &str, now: OffsetDateTime) -> Result<TokenReport, VerifyError> {
    use prost::Message as _;

    if token.len() > MAX_ACCESS_TOKEN_LEN {
        return Err(VerifyError::Malformed);
    }
    let raw = decode(token).ok_or(VerifyError::Malformed)?;
    let choose = |id: Option<u32>| {
        id.and_then(|id| keyring.key(id))
            .map(|key| key.biscuit_root().public())
            .ok_or(error::Format::UnknownPublicKey)
    };
    let biscuit = Biscuit::from(&raw, choose).map_err(|e| match e {
        error::Token::Format(format) => format_error(format),
        _ => VerifyError::Malformed,
    })?;
    let key_id = biscuit.root_key_id().ok_or(VerifyError::UnknownKey)?;
    let token = schema::Biscuit::decode(raw.as_slice()).map_err(|_| VerifyError::Malformed)?;
    let claims = minted_claims(&token.authority.block).ok_or(VerifyError::Unsupported)?;
    let restriction = appended_restriction(&token.blocks).ok();
    let status = verify_raw(keyring, &raw, &claims.audience, now).map(|(principal, _)| principal);
    let attenuation = (1..biscuit.block_count())
        .map(|i| biscuit.print_block_source(i).unwrap_or_else(|_| "(unreadable)".to_owned()))
        .collect();
    let (effective, company_id, status) = match status {
        Ok(p) => (p.scopes, p.company_id, Ok(())),
        Err(e) => (Scopes::EMPTY, None, Err(e)),
    };
    Ok(TokenReport {
        revocation_id: revocation_ids(&claims.token_id, &token).pop().unwrap_or_default(),
        token_id: claims.token_id,
        client_fingerprint: claims.client_fingerprint,
        audience: claims.audience,
        key_id,
        blocks: biscuit.block_count(),
        granted: claims.granted,
        effective,
        expires_at: claims.expires_at,
        effective_expires_at: restriction.map_or(claims.expires_at, |r| r.expiry(claims.expires_at)),
        company_id,
        attenuation,
        status,
    })
}

// ---- verification internals ----

/// The authority block's facts.
struct Claims {
    token_id: String,
    client_fingerprint: String,
    audience: String,
    expires_at: OffsetDateTime,
    envelope: String,
    granted: Scopes,
}

/// What the appended blocks' checks leave of a token (module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Restriction {
    /// Some block says `check if operation("read")`: writing never passes.
    read_only: bool,
    /// The earliest `{date}` of a `check if time($t), $t < {date}`: from then on nothing passes.
    until: Option<OffsetDateTime>,
}

impl Restriction {
    fn scopes(self, granted: Scopes) -> Scopes {
        if self.read_only { granted.intersection(Scopes::READ) } else { granted }
    }

    fn expiry(self, expires_at: OffsetDateTime) -> OffsetDateTime {
        self.until.map_or(expires_at, |until| until.min(expires_at))
    }
}

fn encode(raw: &[u8]) -> String {
    let mut out = String::with_capacity(ACCESS_PREFIX.len() + raw.len().div_ceil(3) * 4);
    out.push_str(ACCESS_PREFIX);
    URL_SAFE_NO_PAD.encode_string(raw, &mut out);
    out
}

fn decode(token: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(token.strip_prefix(ACCESS_PREFIX)?).ok()
}

/// `Verifier::verify` without the cache: every refusal that needs no signature comes first
/// (module docs). Returns the key that verified the token.
fn verify_raw<'k>(
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
fn check_signatures(
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

fn format_error(error: error::Format) -> VerifyError {
    match error {
        error::Format::UnknownPublicKey => VerifyError::UnknownKey,
        error::Format::Signature(_) | error::Format::SealedSignature => VerifyError::Forged,
        _ => VerifyError::Malformed,
    }
}

/// The revocation id of each block (module docs): the token id, then base64url of each
/// appended block's signature.
fn revocation_ids(token_id: &str, token: &schema::Biscuit) -> Vec<String> {
    std::iter::once(token_id.to_owned())
        .chain(token.blocks.iter().map(|block| URL_SAFE_NO_PAD.encode(&block.signature)))
        .collect()
}

/// The claims of an authority block that is exactly what `mint` writes: one `access` fact,
/// `right` facts naming known scopes, and the two checks `time($t), $t < {expiry}` and
/// `resource({audience})`, nothing else (no rules, scopes or keys). Any other shape gives
/// `None`. It reads, it does not verify.
fn minted_claims(authority_block: &[u8]) -> Option<Claims> {
    use prost::Message as _;
    use schema::term::Content;

    let block = schema::Block::decode(authority_block).ok()?;
    if !block.rules.is_empty() || !block.scope.is_empty() || !block.public_keys.is_empty() {
        return None;
    }
    // Biscuit's numbering: below 1024 the default symbols, from 1024 on the block's own.
    let defaults = SymbolTable::new();
    let symbol = |id: u64| match id.checked_sub(1024) {
        Some(own) => block.symbols.get(usize::try_from(own).ok()?).map(String::as_str),
        None => defaults.get_symbol(id),
    };
    let string = |term: &schema::Term| match term.content {
        Some(Content::String(id)) => symbol(id),
        _ => None,
    };

    let mut access: Option<(Claims, u64, &schema::Term)> = None;
    let mut granted = Scopes::EMPTY;
    for fact in &block.facts {
        match (symbol(fact.predicate.name)?, fact.predicate.terms.as_slice()) {
            ("access", [id, client, audience, expires, envelope]) if access.is_none() => {
                let Some(Content::Date(expires_date)) = expires.content else { return None };
                let claims = Claims {
                    token_id: string(id)?.to_owned(),
                    client_fingerprint: string(client)?.to_owned(),
                    audience: string(audience)?.to_owned(),
                    expires_at: from_date(expires_date)?,
                    envelope: string(envelope)?.to_owned(),
                    granted: Scopes::EMPTY,
                };
                access = Some((claims, expires_date, audience));
            }
            ("right", [right]) => granted = granted.with(Scope::parse(string(right)?)?),
            _ => return None,
        }
    }
    let (mut claims, expires, audience) = access?;
    claims.granted = granted;

    // `check if time($t), $t < {expires}` then `check if resource({audience})`, kind "if".
    let [time_check, resource_check] = block.checks.as_slice() else {
        return None;
    };
    let time_ok = matches!(check_shape(time_check), Some(CheckShape::Before(date)) if date == expires);
    let query = single_query(resource_check)?;
    let [body] = query.body.as_slice() else { return None };
    let resource_ok = symbol(body.name) == Some("resource")
        && query.expressions.is_empty()
        && matches!(body.terms.as_slice(), [term] if term == audience);
    (time_ok && resource_ok).then_some(claims)
}

/// What the appended blocks leave of a token, if every one of them is of a shape `attenuate`
/// writes (module docs); `Unsupported` otherwise. It reads, it does not verify.
fn appended_restriction(blocks: &[schema::SignedBlock]) -> Result<Restriction, VerifyError> {
    use prost::Message as _;

    if blocks.len() > MAX_APPENDED_BLOCKS {
        return Err(VerifyError::Unsupported);
    }
    let mut restriction = Restriction::default();
    for signed in blocks {
        if signed.external_signature.is_some() {
            return Err(VerifyError::Unsupported);
        }
        let block = schema::Block::decode(signed.block.as_slice()).map_err(|_| VerifyError::Unsupported)?;
        let only_checks = block.facts.is_empty()
            && block.rules.is_empty()
            && block.scope.is_empty()
            && block.public_keys.is_empty()
            && block.context.is_none()
            // A variable's name at most: `$t` is usually the authority's own symbol already.
            && block.symbols.len() <= 1
            && block.version.is_some_and(|v| (MIN_BLOCK_VERSION..=MAX_BLOCK_VERSION).contains(&v))
            && (1..=2).contains(&block.checks.len());
        if !only_checks {
            return Err(VerifyError::Unsupported);
        }
        let (mut read_only, mut until) = (false, None);
        for check in &block.checks {
            match check_shape(check) {
                Some(CheckShape::ReadOnly) if !read_only => read_only = true,
                Some(CheckShape::Before(date)) if until.is_none() => until = Some(date),
                _ => return Err(VerifyError::Unsupported),
            }
        }
        restriction.read_only |= read_only;
        // A date past what `OffsetDateTime` holds never cuts anything short.
        if let Some(until) = until.and_then(from_date) {
            restriction.until = Some(restriction.until.map_or(until, |u| u.min(until)));
        }
    }
    Ok(restriction)
}

/// The Datalog versions of the blocks biscuit-auth 6 reads (3.0 to 3.3); the two checks mean
/// the same in every one.
const MIN_BLOCK_VERSION: u32 = 3;
const MAX_BLOCK_VERSION: u32 = 6;

/// The two checks a block may hold, each exactly as Biscuit encodes its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CheckShape {
    /// `check if operation("read")`
    ReadOnly,
    /// `check if time($t), $t < {date}`, the date in seconds
    Before(u64),
}

fn check_shape(check: &schema::Check) -> Option<CheckShape> {
    use schema::{op, term::Content};

    let query = single_query(check)?;
    let [body] = query.body.as_slice() else { return None };
    let [schema::Term { content: Some(term) }] = body.terms.as_slice() else { return None };
    match (term, query.expressions.as_slice()) {
        (Content::String(read), []) if is_default(body.name, "operation") && is_default(*read, "read") => {
            Some(CheckShape::ReadOnly)
        }
        (Content::Variable(var), [expression]) if is_default(body.name, "time") => {
            let [lhs, rhs, compare] = expression.ops.as_slice() else { return None };
            let less_than = schema::op_binary::Kind::LessThan as i32;
            let variable_first = matches!(
                &lhs.content,
                Some(op::Content::Value(schema::Term { content: Some(Content::Variable(v)) })) if v == var
            );
            let compared = matches!(
                &compare.content,
                Some(op::Content::Binary(b)) if b.kind == less_than && b.ffi_name.is_none()
            );
            match &rhs.content {
                Some(op::Content::Value(schema::Term { content: Some(Content::Date(date)) }))
                    if variable_first && compared =>
                {
                    Some(CheckShape::Before(*date))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The one query of a plain `check if` (not `check all`, `reject if`, nor `or`), with no
/// trusted-origin annotation.
fn single_query(check: &schema::Check) -> Option<&schema::Rule> {
    match (check.kind, check.queries.as_slice()) {
        (None, [query]) if query.scope.is_empty() && query.head.terms.is_empty() => Some(query),
        _ => None,
    }
}

/// Whether `id` is Biscuit's default symbol `name` (`read`, `operation`, `time`, ...): Biscuit
/// always encodes those by their fixed ids below 1024 and refuses a block that declares them.
fn is_default(id: u64, name: &str) -> bool {
    SymbolTable::new().get_symbol(id) == Some(name)
}

/// A Biscuit date. Built by hand: `From<SystemTime>` panics before 1970.
fn date(at: OffsetDateTime) -> Term {
    Term::Date(u64::try_from(at.unix_timestamp()).unwrap_or(0))
}

fn from_date(secs: u64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()
}

fn whole_seconds(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use biscuit_auth::AuthorizerLimits;
    use biscuit_auth::builder::{Binary, Check, CheckKind, Expression, Op, Predicate, Rule, Unary};
    use biscuit_auth::macros::{authorizer, biscuit, block};
    use time::macros::datetime;

    use super::*;
    use crate::keyring::KeyFile;

    const T0: OffsetDateTime = datetime!(2026-11-27 12:00:00 UTC);
    const AUDIENCE: &str = "https://mcp.norman.example/mcp";

    fn ring() -> Keyring {
        Keyring::from_file(&KeyFile::generate(T0).unwrap())
    }

    fn grant(scopes: Scopes) -> AccessGrant {
        AccessGrant {
            client_id: "nmi_some-registered-client".into(),
            scopes,
            audience: AUDIENCE.into(),
            norman_access: NormanToken::new("not-a-jwt".to_owned()),
            company_id: Some("cmp_7QxKp2Lm9RzT".into()),
            family_id: None,
            lifetime: DEFAULT_ACCESS_LIFETIME,
        }
    }

    fn raw(token: &str) -> Vec<u8> {
        decode(token).unwrap()
    }

    fn parsed(token: &str) -> schema::Biscuit {
        use prost::Message as _;
        schema::Biscuit::decode(raw(token).as_slice()).unwrap()
    }

    /// Appends `block` as any holder can.
    fn append(token: &str, block: BlockBuilder) -> String {
        encode(&UnverifiedBiscuit::from(raw(token)).unwrap().append(block).unwrap().to_vec().unwrap())
    }

    fn verdict(
        ring: &Keyring,
        token: &str,
        audience: &str,
        now: OffsetDateTime,
    ) -> Result<Scopes, VerifyError> {
        verify_raw(ring, &raw(token), audience, now).map(|(p, _)| p.scopes)
    }

    /// What Biscuit's Datalog authorizer allows, one run per scope, with the facts a request
    /// supplies (module docs). Only for tokens whose evaluation is known to be cheap.
    fn datalog_verdict(ring: &Keyring, token: &str, audience: &str, now: OffsetDateTime) -> Scopes {
        let key = ring.sealing_key(T0).unwrap();
        let biscuit = Biscuit::from(raw(token), key.biscuit_root().public()).unwrap();
        Scope::ALL
            .into_iter()
            .filter(|scope| {
                let operation = match scope {
                    Scope::Read => "read",
                    Scope::Write => "write",
                };
                authorizer!(
                    r#"time({now}); resource({audience}); operation({operation}); allow if right({right});"#,
                    now = date(now),
                    right = scope.as_str(),
                )
                // Biscuit's default budget is 1 ms of wall-clock time, which a preempted thread
                // on a busy machine overruns: a timeout would read as a denial.
                .set_limits(AuthorizerLimits {
                    max_time: std::time::Duration::from_secs(10),
                    ..Default::default()
                })
                .build(&biscuit)
                .unwrap()
                .authorize()
                .is_ok()
            })
            .collect()
    }

    #[test]
    fn minted_tokens_are_read_from_their_bytes() {
        let ring = ring();
        for scopes in [Scopes::ALL, Scopes::READ, Scopes::EMPTY.with(Scope::Write)] {
            let minted = mint(&ring, &grant(scopes), T0).unwrap();
            let token = parsed(&minted.token);
            let claims = minted_claims(&token.authority.block).expect("recognised");
            assert_eq!(claims.granted, scopes);
            assert_eq!(claims.audience, AUDIENCE);
            assert_eq!(claims.expires_at, minted.expires_at);
            assert_eq!(claims.token_id, minted.token_id);
            assert_eq!(appended_restriction(&token.blocks), Ok(Restriction::default()));
            let (principal, key) = verify_raw(&ring, &raw(&minted.token), AUDIENCE, T0).unwrap();
            assert_eq!(key.id(), ring.sealing_key(T0).unwrap().id());
            assert_eq!(principal.revocation_ids, std::slice::from_ref(&minted.token_id));
            assert_eq!(principal.revocation_id(), minted.token_id);
            // biscuit-auth agrees with the fast path's signature check.
            assert!(SerializedBiscuit::from_slice(&raw(&minted.token), key.biscuit_root().public()).is_ok());
        }
    }

    /// The Rust evaluation of every accepted shape against Biscuit's own, at times around
    /// each deadline, for either audience.
    #[test]
    fn the_checks_mean_what_biscuits_authorizer_says() {
        let ring = ring();
        let minutes = |m: i64| time::Duration::minutes(m);
        for scopes in [Scopes::ALL, Scopes::READ, Scopes::EMPTY.with(Scope::Write)] {
            let token = mint(&ring, &grant(scopes), T0).unwrap().token;
            let read_only = attenuate(&token, true, None, T0).unwrap();
            let short = attenuate(&token, false, Some(minutes(10)), T0).unwrap();
            let both = attenuate(&token, true, Some(minutes(20)), T0).unwrap();
            let nested = attenuate(&both, false, Some(minutes(5)), T0).unwrap();
            let longer = attenuate(&short, false, Some(minutes(90)), T0).unwrap();
            let reversed = append(
                &token,
                block!(
                    r#"check if time($t), $t < {until}; check if operation("read");"#,
                    until = date(T0 + minutes(15))
                ),
            );
            for t in [&token, &read_only, &short, &both, &nested, &longer, &reversed] {
                for now in [
                    T0,
                    T0 + minutes(5) - time::Duration::seconds(1),
                    T0 + minutes(5),
                    T0 + minutes(10),
                    T0 + minutes(15),
                    T0 + minutes(20),
                    T0 + minutes(59),
                    T0 + minutes(60),
                    T0 + minutes(61),
                ] {
                    for audience in [AUDIENCE, "https://other.example/mcp"] {
                        let ours = verdict(&ring, t, audience, now).unwrap_or(Scopes::EMPTY);
                        assert_eq!(
                            ours,
                            datalog_verdict(&ring, t, audience, now),
                            "{scopes} {now} {audience}"
                        );
                    }
                }
            }
        }
    }

    /// Every single-bit change anywhere in a minted token is refused, whichever path sees it.
    #[test]
    fn any_changed_bit_of_a_minted_token_is_refused() {
        let ring = ring();
        let raw = raw(&mint(&ring, &grant(Scopes::ALL), T0).unwrap().token);
        let verifier = Verifier::new(4);
        for i in 0..raw.len() {
            for bit in [0x01u8, 0x80] {
                let mut changed = raw.clone();
                changed[i] ^= bit;
                let token = encode(&changed);
                assert!(
                    verifier.verify(&ring, &token, AUDIENCE, T0).is_err(),
                    "byte {i} bit {bit:#x} accepted"
                );
            }
        }
        assert_eq!(verifier.cache_len(), 0);
    }

    /// The fast path's own refusals: a changed block with the right proof is a forgery; a
    /// wrong proof goes to biscuit-auth, which refuses it.
    #[test]
    fn the_fast_path_checks_the_signature_and_the_proof() {
        use prost::Message as _;

        let ring = ring();
        let minted = mint(&ring, &grant(Scopes::READ), T0).unwrap();
        let token = parsed(&minted.token);

        // Re-signed content: the write right added, proof and signature kept.
        let mut block = schema::Block::decode(token.authority.block.as_slice()).unwrap();
        let write = block.facts.iter().find(|f| f.predicate.terms.len() == 1).unwrap().clone();
        block.symbols.push("norman.write".into());
        let mut extra = write;
        let symbol = 1024 + block.symbols.len() as u64 - 1;
        extra.predicate.terms[0].content = Some(schema::term::Content::String(symbol));
        block.facts.push(extra);
        let mut widened = token.clone();
        widened.authority.block = block.encode_to_vec();
        assert!(minted_claims(&widened.authority.block).is_some_and(|c| c.granted == Scopes::ALL));
        assert_eq!(
            Verifier::new(4).verify(&ring, &encode(&widened.encode_to_vec()), AUDIENCE, T0).err(),
            Some(VerifyError::Forged)
        );

        // Another proof: biscuit-auth decides, and the next key does not match it.
        let mut other_proof = token.clone();
        other_proof.proof.content = Some(schema::proof::Content::NextSecret(vec![7; 32]));
        assert_eq!(
            Verifier::new(4).verify(&ring, &encode(&other_proof.encode_to_vec()), AUDIENCE, T0).err(),
            Some(VerifyError::Forged)
        );

        // The same token under another keyring that reuses the key id.
        let other_ring = Keyring::from_file(&KeyFile::generate(T0).unwrap());
        assert_eq!(
            Verifier::new(4).verify(&other_ring, &minted.token, AUDIENCE, T0).err(),
            Some(VerifyError::Forged)
        );
    }

    /// Tokens minted with a random next key (before the derived proof) still verify.
    #[test]
    fn tokens_with_a_random_proof_are_verified_by_biscuit() {
        let ring = ring();
        let key = ring.sealing_key(T0).unwrap();
        let minted = mint(&ring, &grant(Scopes::ALL), T0).unwrap();
        let claims = minted_claims(&parsed(&minted.token).authority.block).unwrap();
        let (a, u, e) = (AUDIENCE, claims.envelope.as_str(), date(claims.expires_at));
        let old = biscuit!(
            r#"access({id}, {c}, {a}, {e}, {u}); right("norman.read"); right("norman.write");
            check if time($t), $t < {e}; check if resource({a});"#,
            id = claims.token_id.as_str(),
            c = claims.client_fingerprint.as_str(),
            e = e.clone(),
        );
        let old = encode(&old.root_key_id(key.id()).build(key.biscuit_root()).unwrap().to_vec().unwrap());
        let p = Verifier::new(4).verify(&ring, &old, AUDIENCE, T0).unwrap();
        assert_eq!((p.scopes, p.token_id.as_str()), (Scopes::ALL, minted.token_id.as_str()));
    }

    /// Authority blocks our key signed but `mint` would not write: refused, whatever Datalog
    /// would have made of them.
    #[test]
    fn any_other_authority_block_is_refused() {
        let ring = ring();
        let key = ring.sealing_key(T0).unwrap();
        let upstream = UpstreamCredentials {
            norman_access: NormanToken::new("not-a-jwt".to_owned()),
            company_id: None,
            family_id: None,
            expires_at: T0 + time::Duration::hours(1),
        };
        let envelope = seal::seal(&ring, &upstream, T0).unwrap();
        let expires = date(T0 + time::Duration::hours(1));
        let later = date(T0 + time::Duration::hours(2));
        let sign = |builder: biscuit_auth::builder::BiscuitBuilder| {
            encode(&builder.root_key_id(key.id()).build(key.biscuit_root()).unwrap().to_vec().unwrap())
        };
        let (a, u) = (AUDIENCE, envelope.as_str());
        let unsupported = Err(VerifyError::Unsupported);
        let cases = [
            // The shape `mint` writes, built by hand: accepted (the control).
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                    check if time($t), $t < {e}; check if resource({a});"#,
                    e = expires.clone(),
                ),
                Ok(Scopes::ALL),
            ),
            // One more check.
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                    check if time($t), $t < {e}; check if resource({a}); check if operation("read");"#,
                    e = expires.clone(),
                ),
                unsupported,
            ),
            // A time check whose date is not the claimed expiry.
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                    check if time($t), $t < {later}; check if resource({a});"#,
                    e = expires.clone(),
                    later = later.clone(),
                ),
                unsupported,
            ),
            // `<=` instead of `<`.
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                    check if time($t), $t <= {e}; check if resource({a});"#,
                    e = expires.clone(),
                ),
                unsupported,
            ),
            // A rule.
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.write");
                    right("norman.read") <- right("norman.write");
                    check if time($t), $t < {e}; check if resource({a});"#,
                    e = expires.clone(),
                ),
                unsupported,
            ),
            // A right that names no scope of ours.
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.admin");
                    check if time($t), $t < {e}; check if resource({a});"#,
                    e = expires.clone(),
                ),
                unsupported,
            ),
        ];
        for (i, (builder, expected)) in cases.into_iter().enumerate() {
            let verdict = Verifier::new(4).verify(&ring, &sign(builder), AUDIENCE, T0).map(|p| p.scopes);
            assert_eq!(verdict, expected, "case {i}");
        }
    }

    /// `check if time($t), {expression}` built without the parser, so that any nesting depth
    /// can be written.
    fn time_check(ops: Vec<Op>) -> Check {
        Check {
            queries: vec![Rule::new(
                Predicate::new("query".into(), Vec::<bb::Term>::new()),
                vec![Predicate::new("time".into(), vec![bb::variable("t")])],
                vec![Expression { ops }],
                vec![],
            )],
            kind: CheckKind::One,
        }
    }

    /// Blocks that `attenuate` never writes, each refused by the reader alone.
    fn foreign_blocks() -> Vec<(&'static str, BlockBuilder)> {
        let until = date(T0 + time::Duration::minutes(5));
        let variables: Vec<String> = (0..40).map(|i| format!("right($v{i})")).collect();
        let mut nested =
            vec![Op::Value(bb::variable("t")), Op::Value(until.clone()), Op::Binary(Binary::LessThan)];
        nested.extend(std::iter::repeat_n(Op::Unary(Unary::Parens), 200));
        let code = |source: &str| BlockBuilder::new().code(source).unwrap();
        vec![
            ("empty", BlockBuilder::new()),
            ("a fact", code(r#"right("norman.write");"#)),
            ("a rule", code(r#"many($a, $b) <- right($a), right($b);"#)),
            ("a 40-variable check", code(&format!("check if {};", variables.join(", ")))),
            ("check if true", code("check if true;")),
            ("another operation", code(r#"check if operation("write");"#)),
            ("two queries", code(r#"check if operation("read") or operation("write");"#)),
            ("check all", code(r#"check all operation("read");"#)),
            ("reject if", code(r#"reject if operation("write");"#)),
            ("the read check twice", code(r#"check if operation("read"); check if operation("read");"#)),
            ("less or equal", code("check if time($t), $t <= 2026-11-27T12:05:00Z;")),
            ("mirrored", code("check if time($t), 2026-11-27T12:05:00Z > $t;")),
            ("two bounds", code("check if time($t), $t < 2026-11-27T12:05:00Z, $t > 2026-01-01T00:00:00Z;")),
            ("another variable", code("check if time($t), $u < 2026-11-27T12:05:00Z;")),
            ("a trusted origin", code(r#"check if operation("read") trusting previous;"#)),
            ("a context", code(r#"check if operation("read");"#).context("ctx".into())),
            ("deep nesting", BlockBuilder::new().check(time_check(nested)).unwrap()),
        ]
    }

    #[test]
    fn only_the_blocks_attenuate_writes_are_read() {
        let ring = ring();
        let token = mint(&ring, &grant(Scopes::ALL), T0).unwrap().token;
        let until = T0 + time::Duration::minutes(5);
        let accepted = [
            (attenuate(&token, true, None, T0).unwrap(), Restriction { read_only: true, until: None }),
            (
                attenuate(&token, false, Some(time::Duration::minutes(5)), T0).unwrap(),
                Restriction { read_only: false, until: Some(until) },
            ),
            (
                attenuate(&token, true, Some(time::Duration::minutes(5)), T0).unwrap(),
                Restriction { read_only: true, until: Some(until) },
            ),
            (
                append(
                    &token,
                    block!(r#"check if time($t), $t < {u}; check if operation("read");"#, u = date(until)),
                ),
                Restriction { read_only: true, until: Some(until) },
            ),
            (
                append(
                    &token,
                    BlockBuilder::new()
                        .check(time_check(vec![
                            Op::Value(bb::variable("t")),
                            Op::Value(date(until)),
                            Op::Binary(Binary::LessThan),
                        ]))
                        .unwrap(),
                ),
                Restriction { read_only: false, until: Some(until) },
            ),
        ];
        for (token, expected) in &accepted {
            assert_eq!(appended_restriction(&parsed(token).blocks), Ok(*expected));
            assert!(verify_raw(&ring, &raw(token), AUDIENCE, T0).is_ok());
        }
        for (case, block) in foreign_blocks() {
            let hostile = append(&token, block);
            assert_eq!(
                appended_restriction(&parsed(&hostile).blocks),
                Err(VerifyError::Unsupported),
                "{case}"
            );
            assert_eq!(verdict(&ring, &hostile, AUDIENCE, T0), Err(VerifyError::Unsupported), "{case}");
        }
    }

    /// A third-party block (signed by another key) is refused even when its check is one
    /// `attenuate` writes.
    #[test]
    fn a_block_with_an_external_signature_is_refused() {
        let ring = ring();
        let token = mint(&ring, &grant(Scopes::ALL), T0).unwrap().token;
        let unverified = UnverifiedBiscuit::from(raw(&token)).unwrap();
        let external = KeyPair::new();
        let request = unverified.third_party_request().unwrap();
        let block =
            request.create_block(&external.private(), block!(r#"check if operation("read");"#)).unwrap();
        let third_party = unverified.append_third_party(&block.serialize().unwrap()).unwrap();
        let third_party = encode(&third_party.to_vec().unwrap());
        assert!(parsed(&third_party).blocks[0].external_signature.is_some());
        assert_eq!(verdict(&ring, &third_party, AUDIENCE, T0), Err(VerifyError::Unsupported));
    }

    /// What the reader refuses, it refuses before any signature is checked: the hostile
    /// tokens with every appended block's signature destroyed get the same answer, never
    /// `Forged`. So no hostile block costs more than decoding its few hundred bytes.
    #[test]
    fn refusals_come_before_any_signature_check() {
        use prost::Message as _;

        let ring = ring();
        let token = mint(&ring, &grant(Scopes::ALL), T0).unwrap().token;
        let read_only = attenuate(&token, true, None, T0).unwrap();
        let mut five = read_only.clone();
        for _ in 0..4 {
            five = append(&five, block!(r#"check if operation("read");"#));
        }
        assert_eq!(parsed(&five).blocks.len(), 5);
        let hostile = foreign_blocks().into_iter().map(|(case, block)| (case, append(&token, block)));
        for (case, token) in hostile.chain([("five blocks", five)]) {
            let mut forged = parsed(&token);
            for block in &mut forged.blocks {
                block.signature = vec![0; 64];
            }
            let forged = encode(&forged.encode_to_vec());
            assert_eq!(verdict(&ring, &token, AUDIENCE, T0), Err(VerifyError::Unsupported), "{case}");
            assert_eq!(verdict(&ring, &forged, AUDIENCE, T0), Err(VerifyError::Unsupported), "{case}");
        }
        // The control: an accepted shape with a destroyed signature is a forgery.
        let mut forged = parsed(&read_only);
        forged.blocks[0].signature = vec![0; 64];
        assert_eq!(verdict(&ring, &encode(&forged.encode_to_vec()), AUDIENCE, T0), Err(VerifyError::Forged));
    }

    /// Expiry, audience and key come before the blocks are read and before any signature.
    #[test]
    fn expiry_audience_and_key_come_first() {
        use prost::Message as _;

        let ring = ring();
        let token = mint(&ring, &grant(Scopes::ALL), T0).unwrap().token;
        let hostile = append(&token, foreign_blocks().remove(3).1);
        let mut forged = parsed(&hostile);
        forged.authority.signature = vec![0; 64];
        let forged = encode(&forged.encode_to_vec());
        for t in [&hostile, &forged] {
            assert_eq!(verdict(&ring, t, AUDIENCE, T0 + time::Duration::hours(2)), Err(VerifyError::Expired));
            assert_eq!(verdict(&ring, t, "https://other.example/mcp", T0), Err(VerifyError::WrongAudience));
            let mut unknown = parsed(t);
            unknown.root_key_id = Some(99);
            assert_eq!(
                verdict(&ring, &encode(&unknown.encode_to_vec()), AUDIENCE, T0),
                Err(VerifyError::UnknownKey)
            );
        }
    }

    #[test]
    fn revocation_ids_are_the_token_id_then_biscuits() {
        let ring = ring();
        let minted = mint(&ring, &grant(Scopes::ALL), T0).unwrap();
        let once = attenuate(&minted.token, true, None, T0).unwrap();
        let twice = attenuate(&once, false, Some(time::Duration::minutes(5)), T0).unwrap();
        let biscuits = UnverifiedBiscuit::from(raw(&twice)).unwrap().revocation_identifiers();
        let (p, _) = verify_raw(&ring, &raw(&twice), AUDIENCE, T0).unwrap();
        assert_eq!(p.revocation_ids.len(), 3);
        assert_eq!(p.revocation_ids[0], minted.token_id);
        let appended: Vec<String> = biscuits[1..].iter().map(|id| URL_SAFE_NO_PAD.encode(id)).collect();
        assert_eq!(p.revocation_ids[1..], appended[..], "Biscuit's own, in base64url");
        assert_eq!(p.revocation_id(), p.revocation_ids[2]);
        let (parent, _) = verify_raw(&ring, &raw(&once), AUDIENCE, T0).unwrap();
        assert_eq!(
            parent.revocation_ids[..],
            p.revocation_ids[..2],
            "a derived token carries its parent's ids"
        );
    }
}
