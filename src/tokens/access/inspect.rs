//! What `norman-mcp token inspect` shows of a token.

use biscuit_auth::format::schema;
use biscuit_auth::{Biscuit, error};
use time::OffsetDateTime;

use super::attenuate::appended_restriction;
use super::reader::minted_claims;
use super::verify::{format_error, revocation_ids, verify_raw};
use super::{MAX_ACCESS_TOKEN_LEN, VerifyError, decode};
use crate::keyring::{KeyId, Keyring};
use crate::scope::Scopes;

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
