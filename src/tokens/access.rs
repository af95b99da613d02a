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
//! The claims share one fact because each predicate joined in the claims query costs about
//! 3 µs on the reference machine, on a path that runs for every uncached request.
//!
//! The Norman access token travels only inside the `nmu_` envelope, so reading a Biscuit (which
//! anyone can) never shows it. Each verification run adds, for one scope at a time:
//!
//! ```text
//! time({now}); resource({expected audience}); operation("read" | "write");
//! allow if right("norman.read" | "norman.write");
//! ```
//!
//! The token's proof (the secret key that signs a next block, which Biscuit draws at random) is
//! instead HMAC-SHA256 of the token id under the key's access-proof key. Holders see no
//! difference; a cold verification of a token exactly as `mint` writes it then recomputes that
//! secret and compares it, where Biscuit would derive its public key (a curve multiplication)
//! and compare that with the signed `next_key`. The signature covers the token id and the next
//! key, and `mint` always signs the public key of the derived secret, so the two tests agree.
//! Anything else (attenuated tokens, other shapes) is verified by Biscuit in full.
//!
//! Any holder may append blocks. Their facts never reach the policy or the claims query (both
//! trust only the authority block and the authorizer), so an appended block can only restrict,
//! through its checks: `attenuate` writes `check if operation("read")` and
//! `check if time($t), $t < {date}`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use biscuit_auth::builder::{self as bb, Binary, BlockBuilder, Check, CheckKind, Op, Term};
use biscuit_auth::datalog::SymbolTable;
use biscuit_auth::format::schema;
use biscuit_auth::macros::{authorizer, biscuit, check, rule};
use biscuit_auth::{
    Authorizer, AuthorizerLimits, Biscuit, KeyPair, PrivateKey, PublicKey, UnverifiedBiscuit, error,
};
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
/// Ours are about 1 KiB; each attenuation block adds a few hundred bytes.
pub const MAX_ACCESS_TOKEN_LEN: usize = 8 * 1024;

/// The access token ends this long before the Norman token it carries, so a call made just
/// before our expiry still reaches Norman with a live token. A Norman token whose whole life
/// (`iat` to `exp`) is shorter than four margins keeps a quarter of its life instead.
const UPSTREAM_MARGIN: time::Duration = time::Duration::seconds(30);

/// The default `max_time` (1 ms) fails spuriously when a busy 2-core machine preempts the
/// thread (NOTES.md). Our worlds hold about ten facts and no rules, so few facts and
/// iterations suffice and bound what a hostile appended block can make us compute.
fn limits() -> AuthorizerLimits {
    AuthorizerLimits { max_facts: 64, max_iterations: 16, max_time: std::time::Duration::from_millis(20) }
}

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

    /// Verifies the signature with the key named by `root_key_id`, the audience, the expiry,
    /// every check of every block, and opens the upstream envelope.
    ///
    /// A cache hit re-checks what can change after a success: the clock (against the earliest
    /// known expiry, attenuation included), the audience asked for, and that the signing key
    /// is still in `keyring`, so a retired key stops its tokens at once.
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
        let (verified, root) = match read_minted(keyring, &raw)? {
            Some((claims, key)) => {
                let verified = verify_minted(keyring, claims, key.id(), expected_audience, now)?;
                (verified, key.biscuit_root().public())
            }
            None => {
                let (biscuit, key_id, root) = decode_verified(keyring, &raw)?;
                (verify_decoded(keyring, &biscuit, &raw, key_id, expected_audience, now)?, root)
            }
        };
        let principal = Arc::new(verified.principal);
        if verified.cacheable {
            self.cache.insert(digest, Arc::new(CacheEntry { principal: Arc::clone(&principal), root }));
        }
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
    /// The earliest expiry, appended blocks included (as far as they can be read).
    pub effective_expires_at: OffsetDateTime,
    /// Known only when the token verifies.
    pub company_id: Option<String>,
    /// The Datalog source of each appended block, in order.
    pub attenuation: Vec<String>,
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

/// Reads a token whose signature verifies under `keyring`, and judges it at `now` against
/// its own audience. Expired or denied tokens are still described; a token that does not
/// parse or verify is an error.
pub fn inspect(keyring: &Keyring, token: &str, now: OffsetDateTime) -> Result<TokenReport, VerifyError> {
    if token.len() > MAX_ACCESS_TOKEN_LEN {
        return Err(VerifyError::Malformed);
    }
    let raw = decode(token).ok_or(VerifyError::Malformed)?;
    let (biscuit, key_id, _) = decode_verified(keyring, &raw)?;
    // The audience is not known before the claims are read; `resource` only matters to the
    // authority's own check, which this run does not evaluate.
    let mut first = authorizer_for(&biscuit, Scope::Read, "", now)?;
    let claims = read_claims(&mut first)?;
    let limit = attenuation_limit(&biscuit);
    let verified = verify_decoded(keyring, &biscuit, &raw, key_id, &claims.audience, now);
    let attenuation = (1..biscuit.block_count())
        .map(|i| biscuit.print_block_source(i).unwrap_or_else(|_| "(unreadable)".to_owned()))
        .collect();
    let (effective, company_id, status) = match verified {
        Ok(v) => (v.principal.scopes, v.principal.company_id.clone(), Ok(())),
        Err(e) => (Scopes::EMPTY, None, Err(e)),
    };
    Ok(TokenReport {
        token_id: claims.token_id,
        client_fingerprint: claims.client_fingerprint,
        audience: claims.audience,
        key_id,
        blocks: biscuit.block_count(),
        granted: claims.granted,
        effective,
        expires_at: claims.expires_at,
        effective_expires_at: limit.apply(claims.expires_at),
        company_id,
        attenuation,
        status,
    })
}

// ---- verification internals ----

struct Verified {
    principal: Principal,
    /// False when an appended block depends on time in a way `attenuation_limit` cannot
    /// bound: such a token is verified afresh every time.
    cacheable: bool,
}

/// The authority block's facts.
struct Claims {
    token_id: String,
    client_fingerprint: String,
    audience: String,
    expires_at: OffsetDateTime,
    envelope: String,
    granted: Scopes,
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

/// Parses the token and checks every block's signature, starting from the root key named by
/// `root_key_id` (a hint outside the signed bytes; the signature still has to verify).
fn decode_verified(keyring: &Keyring, raw: &[u8]) -> Result<(Biscuit, KeyId, PublicKey), VerifyError> {
    let choose = |id: Option<u32>| {
        id.and_then(|id| keyring.key(id))
            .map(|key| key.biscuit_root().public())
            .ok_or(error::Format::UnknownPublicKey)
    };
    let biscuit = Biscuit::from(raw, choose).map_err(|e| match e {
        error::Token::Format(error::Format::UnknownPublicKey) => VerifyError::UnknownKey,
        error::Token::Format(error::Format::Signature(_) | error::Format::SealedSignature) => {
            VerifyError::Forged
        }
        _ => VerifyError::Malformed,
    })?;
    // The signatures cover block contents, not the protobuf around them: an unknown field or
    // a renumbered default (`algorithm`) decodes to the same token. Accepting only the
    // canonical encoding makes one token one string, so any changed character is refused.
    if biscuit.to_vec().ok().as_deref() != Some(raw) {
        return Err(VerifyError::Malformed);
    }
    let key_id = biscuit.root_key_id().ok_or(VerifyError::UnknownKey)?;
    let root = keyring.key(key_id).ok_or(VerifyError::UnknownKey)?.biscuit_root().public();
    Ok((biscuit, key_id, root))
}

/// `decode_verified` for a token as `mint` writes it: one authority block of the minted shape,
/// an Ed25519 next key, and as proof the secret `proof_secret` derives from the signed token
/// id. Its signature is checked here (the same `verify_strict` over the same bytes as Biscuit);
/// the proof by comparing secrets (module docs). `None`: not that shape, so Biscuit decides.
fn read_minted<'k>(keyring: &'k Keyring, raw: &[u8]) -> Result<Option<(Claims, &'k Key)>, VerifyError> {
    use prost::Message as _;
    use schema::proof::Content as Proof;

    let Ok(token) = schema::Biscuit::decode(raw) else { return Ok(None) };
    let Some(key) = token.root_key_id.and_then(|id| keyring.key(id)) else { return Ok(None) };
    let authority = &token.authority;
    let ed25519 = schema::public_key::Algorithm::Ed25519 as i32;
    let (Some(Proof::NextSecret(proof)), true, None, None, true, 32) = (
        &token.proof.content,
        token.blocks.is_empty(),
        authority.version,
        &authority.external_signature,
        authority.next_key.algorithm == ed25519,
        authority.next_key.key.len(),
    ) else {
        return Ok(None);
    };
    let Some(claims) = minted_claims(&authority.block) else { return Ok(None) };
    if !bool::from(proof.as_slice().ct_eq(&proof_secret(key, &claims.token_id)[..])) {
        return Ok(None);
    }
    // One token, one string (as in `decode_verified`): for this shape Biscuit writes exactly
    // what prost re-encodes.
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
    key.biscuit_verifying_key().verify_strict(&signed, &signature).map_err(|_| VerifyError::Forged)?;
    Ok(Some((claims, key)))
}

/// `raw` must be the bytes `biscuit` was parsed and verified from.
fn verify_decoded(
    keyring: &Keyring,
    biscuit: &Biscuit,
    raw: &[u8],
    key_id: KeyId,
    expected_audience: &str,
    now: OffsetDateTime,
) -> Result<Verified, VerifyError> {
    // A token that is only the authority block `mint` writes needs no Datalog run: its facts
    // and checks are known, and evaluated here exactly as the authorizer would.
    if biscuit.block_count() == 1
        && let Some(claims) = minted_authority(raw)
    {
        return verify_minted(keyring, claims, key_id, expected_audience, now);
    }
    verify_with_authorizer(keyring, biscuit, key_id, expected_audience, now)
}

/// `verify_decoded` for a token `minted_authority` recognised: the authority's two checks
/// (expiry, audience) and the policy (`allow if right(scope)`) evaluated in Rust.
fn verify_minted(
    keyring: &Keyring,
    claims: Claims,
    key_id: KeyId,
    expected_audience: &str,
    now: OffsetDateTime,
) -> Result<Verified, VerifyError> {
    {
        if claims.audience != expected_audience {
            return Err(VerifyError::WrongAudience);
        }
        if now >= claims.expires_at {
            return Err(VerifyError::Expired);
        }
        if claims.granted.is_empty() {
            return Err(VerifyError::Denied);
        }
        let (effective, expires_at) = (claims.granted, claims.expires_at);
        principal(keyring, claims, effective, expires_at, key_id, now, true)
    }
}

/// `verify_decoded` through the Datalog authorizer: any token, appended blocks included.
fn verify_with_authorizer(
    keyring: &Keyring,
    biscuit: &Biscuit,
    key_id: KeyId,
    expected_audience: &str,
    now: OffsetDateTime,
) -> Result<Verified, VerifyError> {
    // Read first: the common token grants it, so this one run usually decides everything.
    let mut first = authorizer_for(biscuit, Scope::Read, expected_audience, now)?;
    let claims = read_claims(&mut first)?;
    // The authority's own facts are trusted, so these give precise errors before any policy.
    if claims.audience != expected_audience {
        return Err(VerifyError::WrongAudience);
    }
    if now >= claims.expires_at {
        return Err(VerifyError::Expired);
    }

    // With the authority block alone, the checks are ours and do not depend on the operation:
    // one run answers for every granted scope. Appended blocks may allow one scope and not
    // another, so each granted scope then gets its own run.
    let attenuated = biscuit.block_count() > 1;
    let limit = if attenuated { attenuation_limit(biscuit) } else { TimeLimit::NONE };
    let expires_at = limit.apply(claims.expires_at);
    let mut effective = Scopes::EMPTY;
    let read_allowed = claims.granted.contains(Scope::Read) && first.authorize().is_ok();
    if read_allowed {
        effective = effective.with(Scope::Read);
    }
    if claims.granted.contains(Scope::Write) {
        let write_allowed = if !attenuated && claims.granted.contains(Scope::Read) {
            read_allowed
        } else {
            authorizer_for(biscuit, Scope::Write, expected_audience, now)?.authorize().is_ok()
        };
        if write_allowed {
            effective = effective.with(Scope::Write);
        }
    }
    if now >= expires_at {
        return Err(VerifyError::Expired);
    }
    if effective.is_empty() {
        return Err(VerifyError::Denied);
    }

    principal(keyring, claims, effective, expires_at, key_id, now, limit.known)
}

/// Opens the upstream envelope of a token whose claims passed every check.
fn principal(
    keyring: &Keyring,
    claims: Claims,
    effective: Scopes,
    expires_at: OffsetDateTime,
    key_id: KeyId,
    now: OffsetDateTime,
    cacheable: bool,
) -> Result<Verified, VerifyError> {
    let upstream =
        seal::open::<UpstreamCredentials>(keyring, &claims.envelope, now).map_err(VerifyError::Upstream)?;
    Ok(Verified {
        principal: Principal {
            token_id: claims.token_id,
            client_fingerprint: claims.client_fingerprint,
            scopes: effective,
            audience: claims.audience,
            expires_at,
            key_id,
            norman_access: upstream.norman_access.clone(),
            company_id: upstream.company_id.clone(),
            family_id: upstream.family_id.clone(),
        },
        cacheable,
    })
}

/// The claims of a token that is exactly what `mint` writes: one `access` fact, `right` facts
/// naming known scopes, and the two checks `time($t), $t < {expiry}` and
/// `resource({audience})`, nothing else (no rules, scopes, keys or further blocks). Any other
/// shape gives `None` and the token goes through the authorizer. Only call this on bytes whose
/// signatures have been verified: it reads, it does not verify.
fn minted_authority(raw: &[u8]) -> Option<Claims> {
    use prost::Message as _;

    let token = schema::Biscuit::decode(raw).ok()?;
    if !token.blocks.is_empty() {
        return None;
    }
    minted_claims(&token.authority.block)
}

/// `minted_authority` for the authority block's own bytes.
fn minted_claims(authority_block: &[u8]) -> Option<Claims> {
    use prost::Message as _;
    use schema::{op, term::Content};

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
    let date = |term: &schema::Term| match term.content {
        Some(Content::Date(d)) => Some(d),
        _ => None,
    };

    let mut access: Option<(Claims, u64, &schema::Term)> = None;
    let mut granted = Scopes::EMPTY;
    for fact in &block.facts {
        match (symbol(fact.predicate.name)?, fact.predicate.terms.as_slice()) {
            ("access", [id, client, audience, expires, envelope]) if access.is_none() => {
                let expires_date = date(expires)?;
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
    fn single(check: &schema::Check) -> Option<&schema::Rule> {
        match (check.kind, check.queries.as_slice()) {
            (None, [query]) if query.scope.is_empty() && query.head.terms.is_empty() => Some(query),
            _ => None,
        }
    }
    let query = single(time_check)?;
    let [body] = query.body.as_slice() else { return None };
    let [schema::Term { content: Some(Content::Variable(var)) }] = body.terms.as_slice() else {
        return None;
    };
    let [expression] = query.expressions.as_slice() else { return None };
    let [lhs, rhs, compare] = expression.ops.as_slice() else { return None };
    let less_than = schema::op_binary::Kind::LessThan as i32;
    let time_ok = symbol(body.name) == Some("time")
        && matches!(&lhs.content, Some(op::Content::Value(schema::Term { content: Some(Content::Variable(v)) })) if v == var)
        && matches!(&rhs.content, Some(op::Content::Value(t)) if date(t) == Some(expires))
        && matches!(&compare.content, Some(op::Content::Binary(b)) if b.kind == less_than && b.ffi_name.is_none());
    let query = single(resource_check)?;
    let [body] = query.body.as_slice() else { return None };
    let resource_ok = symbol(body.name) == Some("resource")
        && query.expressions.is_empty()
        && matches!(body.terms.as_slice(), [term] if term == audience);
    (time_ok && resource_ok).then_some(claims)
}

fn authorizer_for(
    biscuit: &Biscuit,
    scope: Scope,
    resource: &str,
    now: OffsetDateTime,
) -> Result<Authorizer, VerifyError> {
    authorizer!(
        r#"
        time({now});
        resource({resource});
        operation({operation});
        allow if right({right});
        "#,
        now = date(now),
        resource = resource,
        operation = operation(scope),
        right = scope.as_str(),
    )
    .set_limits(limits())
    .build(biscuit)
    .map_err(runtime_error)
}

/// Reads the claims with a query, which sees only the authority block and the authorizer:
/// facts that an appended block declares are invisible here.
fn read_claims(authorizer: &mut Authorizer) -> Result<Claims, VerifyError> {
    let rows: Vec<bb::Fact> = authorizer
        .query(rule!(
            r#"claims($id, $client, $audience, $expires, $upstream, $right)
                <- access($id, $client, $audience, $expires, $upstream), right($right)"#
        ))
        .map_err(runtime_error)?;
    let mut claims: Option<Claims> = None;
    for row in &rows {
        let [
            Term::Str(id),
            Term::Str(client),
            Term::Str(audience),
            Term::Date(expires),
            Term::Str(envelope),
            Term::Str(right),
        ] = row.predicate.terms.as_slice()
        else {
            return Err(VerifyError::Malformed);
        };
        let scope = Scope::parse(right);
        match &mut claims {
            None => {
                claims = Some(Claims {
                    token_id: id.clone(),
                    client_fingerprint: client.clone(),
                    audience: audience.clone(),
                    expires_at: from_date(*expires).ok_or(VerifyError::Malformed)?,
                    envelope: envelope.clone(),
                    granted: scope.map_or(Scopes::EMPTY, |s| Scopes::EMPTY.with(s)),
                });
            }
            Some(c) => {
                // One row per right; anything else differing means a doubled claim.
                if (&c.token_id, &c.client_fingerprint, &c.audience, &c.envelope)
                    != (id, client, audience, envelope)
                    || from_date(*expires) != Some(c.expires_at)
                {
                    return Err(VerifyError::Malformed);
                }
                if let Some(s) = scope {
                    c.granted = c.granted.with(s);
                }
            }
        }
    }
    claims.ok_or(VerifyError::Malformed)
}

/// A limit the Datalog engine hit is a refusal, not a parse failure.
fn runtime_error(e: error::Token) -> VerifyError {
    match e {
        error::Token::RunLimit(_) => VerifyError::Denied,
        _ => VerifyError::Malformed,
    }
}

/// What appended blocks say about time.
#[derive(Clone, Copy, Debug)]
struct TimeLimit {
    /// The earliest moment some appended check stops passing.
    until: Option<OffsetDateTime>,
    /// False if some appended block may depend on time in a way not understood here.
    known: bool,
}

impl TimeLimit {
    const NONE: TimeLimit = TimeLimit { until: None, known: true };

    fn apply(self, expires_at: OffsetDateTime) -> OffsetDateTime {
        self.until.map_or(expires_at, |until| until.min(expires_at))
    }

    fn earlier(&mut self, until: OffsetDateTime) {
        self.until = Some(self.until.map_or(until, |u| u.min(until)));
    }
}

/// Finds, in the appended blocks, the moment their checks stop passing. A cached verdict is
/// only as good as this: the one time-varying input is the `time` fact, so a check without
/// `time` (and no rule that could hide it) is constant, and a check of the form
/// `time($t), $t < D` (or `<=`, `>`, `>=`, either way round) is exact. Anything else makes
/// the token uncacheable. Blocks are printed and re-parsed because Biscuit exposes appended
/// blocks only as source; each block is parsed alone, so a block can only mislead about
/// itself, which its author could as well have left out.
fn attenuation_limit(biscuit: &Biscuit) -> TimeLimit {
    let mut limit = TimeLimit::NONE;
    for index in 1..biscuit.block_count() {
        let parsed =
            biscuit.print_block_source(index).ok().and_then(|source| BlockBuilder::new().code(source).ok());
        let Some(block) = parsed else {
            limit.known = false;
            continue;
        };
        if !block.rules.is_empty() {
            limit.known = false;
        }
        for check in &block.checks {
            match check_time(check) {
                CheckTime::Constant => {}
                CheckTime::Until(until) => limit.earlier(until),
                CheckTime::Unknown => limit.known = false,
            }
        }
    }
    limit
}

enum CheckTime {
    /// Passes or fails the same at every later time.
    Constant,
    /// Passes until this moment (exclusive), then never again.
    Until(OffsetDateTime),
    Unknown,
}

fn check_time(check: &Check) -> CheckTime {
    let mentions_time = check.queries.iter().any(|q| q.body.iter().any(|p| p.name == "time"));
    if !mentions_time {
        return CheckTime::Constant;
    }
    let ([query], CheckKind::One | CheckKind::All) = (check.queries.as_slice(), &check.kind) else {
        return CheckTime::Unknown;
    };
    let [predicate] = query.body.as_slice() else {
        return CheckTime::Unknown;
    };
    let [Term::Variable(var)] = predicate.terms.as_slice() else {
        return CheckTime::Unknown;
    };
    let mut until: Option<u64> = None;
    for expression in &query.expressions {
        // Normalise to `$t OP date`. Lower bounds (`$t > D`) only ever become true and stay so.
        let (op, date) = match expression.ops.as_slice() {
            [Op::Value(Term::Variable(v)), Op::Value(Term::Date(d)), Op::Binary(op)] if v == var => {
                (op.clone(), *d)
            }
            [Op::Value(Term::Date(d)), Op::Value(Term::Variable(v)), Op::Binary(op)] if v == var => {
                let mirrored = match op {
                    Binary::LessThan => Binary::GreaterThan,
                    Binary::LessOrEqual => Binary::GreaterOrEqual,
                    Binary::GreaterThan => Binary::LessThan,
                    Binary::GreaterOrEqual => Binary::LessOrEqual,
                    _ => return CheckTime::Unknown,
                };
                (mirrored, *d)
            }
            _ => return CheckTime::Unknown,
        };
        let bound = match op {
            Binary::LessThan => date,
            // Dates are whole seconds: `$t <= D` fails from D + 1 s on.
            Binary::LessOrEqual => date.saturating_add(1),
            Binary::GreaterThan | Binary::GreaterOrEqual => continue,
            _ => return CheckTime::Unknown,
        };
        until = Some(until.map_or(bound, |u| u.min(bound)));
    }
    match until {
        None => CheckTime::Constant,
        // A bound past the representable range never cuts anything short.
        Some(secs) => from_date(secs).map_or(CheckTime::Constant, CheckTime::Until),
    }
}

const fn operation(scope: Scope) -> &'static str {
    match scope {
        Scope::Read => "read",
        Scope::Write => "write",
    }
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
    use biscuit_auth::macros::biscuit;
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

    /// Both verification paths on the same token, audience and time.
    fn both(
        ring: &Keyring,
        token: &str,
        audience: &str,
        now: OffsetDateTime,
    ) -> [Result<Verified, VerifyError>; 2] {
        let raw = raw(token);
        let (biscuit, key_id, _) = decode_verified(ring, &raw).unwrap();
        let direct = match minted_authority(&raw) {
            Some(claims) => verify_minted(ring, claims, key_id, audience, now),
            None => panic!("not recognised as minted"),
        };
        [direct, verify_with_authorizer(ring, &biscuit, key_id, audience, now)]
    }

    fn summary(
        r: &Result<Verified, VerifyError>,
    ) -> Result<(Scopes, OffsetDateTime, String, String, bool), VerifyError> {
        r.as_ref()
            .map(|v| {
                let p = &v.principal;
                (p.scopes, p.expires_at, p.audience.clone(), p.token_id.clone(), v.cacheable)
            })
            .map_err(|e| *e)
    }

    #[test]
    fn minted_tokens_are_read_directly_with_the_authorizers_verdict() {
        let ring = ring();
        for scopes in [Scopes::ALL, Scopes::EMPTY.with(Scope::Read), Scopes::EMPTY.with(Scope::Write)] {
            let minted = mint(&ring, &grant(scopes), T0).unwrap();
            let claims = minted_authority(&raw(&minted.token)).expect("recognised");
            assert_eq!(claims.granted, scopes);
            assert_eq!(claims.audience, AUDIENCE);
            assert_eq!(claims.expires_at, minted.expires_at);
            assert_eq!(claims.token_id, minted.token_id);
            let at_expiry = minted.expires_at;
            for (audience, now) in [
                (AUDIENCE, T0),
                (AUDIENCE, at_expiry - time::Duration::seconds(1)),
                (AUDIENCE, at_expiry - time::Duration::milliseconds(1)),
                (AUDIENCE, at_expiry),
                (AUDIENCE, at_expiry + time::Duration::hours(1)),
                ("https://mcp.norman.example/mcp/", T0),
                ("https://other.example/mcp", T0),
            ] {
                let [direct, authorizer] = both(&ring, &minted.token, audience, now);
                assert_eq!(summary(&direct), summary(&authorizer), "{scopes} {audience} {now}");
            }
        }
    }

    #[test]
    fn minted_tokens_are_verified_without_biscuit_and_agree_with_it() {
        let ring = ring();
        for scopes in [Scopes::ALL, Scopes::EMPTY.with(Scope::Read)] {
            let minted = mint(&ring, &grant(scopes), T0).unwrap();
            let raw = raw(&minted.token);
            let (claims, key) = read_minted(&ring, &raw).unwrap().expect("the minted shape");
            assert_eq!(key.id(), ring.sealing_key(T0).unwrap().id());
            let (biscuit, key_id, _) = decode_verified(&ring, &raw).expect("Biscuit agrees");
            assert_eq!(key_id, key.id());
            let fast = verify_minted(&ring, claims, key.id(), AUDIENCE, T0);
            let full = verify_with_authorizer(&ring, &biscuit, key_id, AUDIENCE, T0);
            assert_eq!(summary(&fast), summary(&full));
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

    /// The fast path's own refusals: a changed block with the right proof is a forgery, not a
    /// reason to fall back; a wrong proof falls back to Biscuit, which refuses it.
    #[test]
    fn the_fast_path_checks_the_signature_and_the_proof() {
        use prost::Message as _;

        let ring = ring();
        let minted = mint(&ring, &grant(Scopes::EMPTY.with(Scope::Read)), T0).unwrap();
        let token = schema::Biscuit::decode(raw(&minted.token).as_slice()).unwrap();

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
        let widened = widened.encode_to_vec();
        assert!(
            minted_claims(&schema::Biscuit::decode(widened.as_slice()).unwrap().authority.block)
                .is_some_and(|c| c.granted == Scopes::ALL)
        );
        assert_eq!(read_minted(&ring, &widened).err(), Some(VerifyError::Forged));
        assert_eq!(
            Verifier::new(4).verify(&ring, &encode(&widened), AUDIENCE, T0).err(),
            Some(VerifyError::Forged)
        );

        // Another proof: not ours, so Biscuit decides, and the next key does not match it.
        let mut other_proof = token.clone();
        other_proof.proof.content = Some(schema::proof::Content::NextSecret(vec![7; 32]));
        let other_proof = other_proof.encode_to_vec();
        assert!(read_minted(&ring, &other_proof).unwrap().is_none());
        assert_eq!(
            Verifier::new(4).verify(&ring, &encode(&other_proof), AUDIENCE, T0).err(),
            Some(VerifyError::Forged)
        );

        // The same token under another keyring that reuses the key id: unknown proof, then
        // Biscuit's signature check fails.
        let other_ring = Keyring::from_file(&KeyFile::generate(T0).unwrap());
        assert!(read_minted(&other_ring, &raw(&minted.token)).unwrap().is_none());
        assert_eq!(
            Verifier::new(4).verify(&other_ring, &minted.token, AUDIENCE, T0).err(),
            Some(VerifyError::Forged)
        );
    }

    /// Tokens minted with a random next key (before the derived proof) still verify, in full.
    #[test]
    fn tokens_with_a_random_proof_are_verified_by_biscuit() {
        let ring = ring();
        let key = ring.sealing_key(T0).unwrap();
        let minted = mint(&ring, &grant(Scopes::ALL), T0).unwrap();
        let claims = minted_authority(&raw(&minted.token)).unwrap();
        let (a, u, e) = (AUDIENCE, claims.envelope.as_str(), date(claims.expires_at));
        let old = biscuit!(
            r#"access({id}, {c}, {a}, {e}, {u}); right("norman.read"); right("norman.write");
            check if time($t), $t < {e}; check if resource({a});"#,
            id = claims.token_id.as_str(),
            c = claims.client_fingerprint.as_str(),
            e = e.clone(),
        );
        let old = encode(&old.root_key_id(key.id()).build(key.biscuit_root()).unwrap().to_vec().unwrap());
        assert!(read_minted(&ring, &raw(&old)).unwrap().is_none());
        let p = Verifier::new(4).verify(&ring, &old, AUDIENCE, T0).unwrap();
        assert_eq!((p.scopes, p.token_id.as_str()), (Scopes::ALL, minted.token_id.as_str()));
    }

    #[test]
    fn attenuated_tokens_always_go_through_the_authorizer() {
        let ring = ring();
        let token = mint(&ring, &grant(Scopes::ALL), T0).unwrap().token;
        let attenuated = attenuate(&token, true, None, T0).unwrap();
        assert!(minted_authority(&raw(&attenuated)).is_none());
        assert!(read_minted(&ring, &raw(&attenuated)).unwrap().is_none());
        let p = Verifier::new(4).verify(&ring, &attenuated, AUDIENCE, T0).unwrap();
        assert_eq!(p.scopes, Scopes::EMPTY.with(Scope::Read));
    }

    /// Authority blocks our key signed but `mint` would not write: recognised by nothing but
    /// the authorizer, whose verdict stands.
    #[test]
    fn any_other_authority_block_goes_through_the_authorizer() {
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
        let all = Ok(Scopes::ALL);
        let cases = [
            // The shape `mint` writes, built by hand: recognised (the control).
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                    check if time($t), $t < {e}; check if resource({a});"#,
                    e = expires.clone(),
                ),
                true,
                all,
            ),
            // One more check, which no operation passes.
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                    check if time($t), $t < {e}; check if resource({a}); check if operation("admin");"#,
                    e = expires.clone(),
                ),
                false,
                Err(VerifyError::Denied),
            ),
            // A time check whose date is not the claimed expiry.
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                    check if time($t), $t < {later}; check if resource({a});"#,
                    e = expires.clone(),
                    later = later.clone(),
                ),
                false,
                all,
            ),
            // `<=` instead of `<`, and a resource check for another audience.
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                    check if time($t), $t <= {e}; check if resource("https://other.example/mcp");"#,
                    e = expires.clone(),
                ),
                false,
                Err(VerifyError::Denied),
            ),
            // A rule in the authority block (the authorizer derives the read right from it).
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.write");
                    right("norman.read") <- right("norman.write");
                    check if time($t), $t < {e}; check if resource({a});"#,
                    e = expires.clone(),
                ),
                false,
                all,
            ),
            // A right that names no scope of ours.
            (
                biscuit!(
                    r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.admin");
                    check if time($t), $t < {e}; check if resource({a});"#,
                    e = expires.clone(),
                ),
                false,
                Ok(Scopes::EMPTY.with(Scope::Read)),
            ),
        ];
        for (i, (builder, recognised, expected)) in cases.into_iter().enumerate() {
            let token = sign(builder);
            assert_eq!(minted_authority(&raw(&token)).is_some(), recognised, "case {i}");
            let verdict = Verifier::new(4).verify(&ring, &token, AUDIENCE, T0).map(|p| p.scopes);
            assert_eq!(verdict, expected, "case {i}");
        }
    }
}
