//! What the token endpoint grants, what a verified token says, and why a token was refused.

use time::OffsetDateTime;

use super::{MAX_ACCESS_TOKEN_LEN, MAX_APPENDED_BLOCKS};
use crate::keyring::KeyId;
use crate::scope::Scopes;
use crate::seal::{OpenError, SealError};
use crate::tokens::NormanToken;

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
