//! `nmr_`: the refresh token. It carries the Norman refresh token, so a refresh needs no
//! server memory; the family id ties every rotation of one login together for reuse detection.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::NormanToken;
use crate::norman::oauth::SignInMethod;
use crate::scope::Scopes;
use crate::seal::{Expiry, Purpose, Sealed};

pub const REFRESH_LIFETIME: time::Duration = time::Duration::days(30);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshToken {
    pub token_id: String,
    pub family_id: String,
    pub client_id: String,
    pub scope: Scopes,
    pub resource: Option<String>,
    pub norman_refresh: NormanToken,
    pub company_id: Option<String>,
    /// How the Norman tokens were obtained, and so where they are refreshed.
    #[serde(default)]
    pub method: SignInMethod,
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
}

impl Sealed for RefreshToken {
    const PURPOSE: Purpose = Purpose::Refresh;
    fn expiry(&self) -> Expiry {
        Expiry::At(self.expires_at)
    }
}
