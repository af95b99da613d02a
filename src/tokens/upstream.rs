//! `nmu_`: the Norman access token and company id, sealed inside the Biscuit access token so
//! that a Biscuit, which anyone can read, never shows the Norman credential.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::NormanToken;
use crate::seal::{Expiry, Purpose, Sealed};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpstreamCredentials {
    pub norman_access: NormanToken,
    pub company_id: Option<String>,
    /// The grant (refresh-token family) the access token was issued under: revoking the grant
    /// (RFC 7009 section 2.1, a replayed code, a reused refresh token) stops its access tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_id: Option<String>,
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
}

impl Sealed for UpstreamCredentials {
    const PURPOSE: Purpose = Purpose::Upstream;
    fn expiry(&self) -> Expiry {
        Expiry::At(self.expires_at)
    }
}
