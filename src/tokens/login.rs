//! `nml_`: the login form's hidden field. It carries the validated /authorize request, so the
//! POST that follows needs no server memory, and a nonce that the CSRF cookie must match.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::scope::Scopes;
use crate::seal::{Expiry, Purpose, Sealed};

/// How long a person has to fill in the login form.
pub const LOGIN_LIFETIME: time::Duration = time::Duration::minutes(10);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub client_id: String,
    /// Shown on the form again after a failed attempt, without resolving the client anew.
    pub client_name: String,
    pub redirect_uri: String,
    /// Whether the authorization request named the redirect URI (then /token must repeat it).
    pub redirect_uri_given: bool,
    pub state: Option<String>,
    pub code_challenge: String,
    pub scope: Scopes,
    pub resource: Option<String>,
    pub csrf_nonce: String,
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
}

impl Sealed for LoginRequest {
    const PURPOSE: Purpose = Purpose::Login;
    fn expiry(&self) -> Expiry {
        Expiry::At(self.expires_at)
    }
}
