//! Issuing access tokens, and how long the Norman token they carry allows them to live.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use biscuit_auth::builder as bb;
use biscuit_auth::datalog::SymbolTable;
use biscuit_auth::macros::biscuit;
use biscuit_auth::{KeyPair, PrivateKey};
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use super::{
    AccessGrant, MAX_ACCESS_LIFETIME, MAX_ACCESS_TOKEN_LEN, MintError, MintedAccess, date, encode,
    whole_seconds,
};
use crate::keyring::{Key, Keyring};
use crate::seal;
use crate::tokens::upstream::UpstreamCredentials;
use crate::tokens::{NormanToken, random_id};

/// The access token ends this long before the Norman token it carries, so a call made just
/// before our expiry still reaches Norman with a live token. A Norman token whose whole life
/// (`iat` to `exp`) is shorter than four margins keeps a quarter of its life instead.
const UPSTREAM_MARGIN: time::Duration = time::Duration::seconds(30);

/// The `exp` of a JWT, read from its payload without checking the signature: Norman checks
/// its own tokens, we only need to know when to stop using this one.
pub fn norman_token_expiry(token: &NormanToken) -> Option<OffsetDateTime> {
    norman_token_times(token).map(|(_, expires)| expires)
}

/// `iat` (if readable) and `exp` of a JWT's payload.
pub(super) fn norman_token_times(token: &NormanToken) -> Option<(Option<OffsetDateTime>, OffsetDateTime)> {
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
pub(super) fn proof_secret(key: &Key, token_id: &str) -> Zeroizing<[u8; 32]> {
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
