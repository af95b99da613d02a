//! `nmc_`: the authorization code. It carries everything the token endpoint checks and the
//! Norman tokens it hands on.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::NormanToken;
use crate::norman::oauth::SignInMethod;
use crate::scope::Scopes;
use crate::seal::{Expiry, Purpose, Sealed};

/// OAuth 2.1 asks for short-lived codes.
pub const CODE_LIFETIME: time::Duration = time::Duration::seconds(60);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCode {
    /// Random id, the key of the single-use guard.
    pub code_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// Whether the authorization request named the redirect URI (then /token must repeat it).
    pub redirect_uri_given: bool,
    pub code_challenge: String,
    pub scope: Scopes,
    pub resource: Option<String>,
    pub norman_access: NormanToken,
    pub norman_refresh: NormanToken,
    pub company_id: Option<String>,
    /// How the Norman tokens were obtained, and so where they are refreshed.
    #[serde(default)]
    pub method: SignInMethod,
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
}

impl Sealed for AuthorizationCode {
    const PURPOSE: Purpose = Purpose::Code;
    fn expiry(&self) -> Expiry {
        Expiry::At(self.expires_at)
    }
}
