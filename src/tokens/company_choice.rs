//! `nms_`: the company choice page's hidden field. A person who may act on more than one
//! company has signed in at Norman already; this carries the validated /authorize request, the
//! granted scopes and Norman's tokens to the page's answer, so that answer needs no server
//! memory. Its CSRF nonce is the login form's, so the same cookie binds it to the browser that
//! signed in (docs/architecture.md, "Choosing the company").

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::NormanToken;
use crate::norman::oauth::SignInMethod;
use crate::scope::Scopes;
use crate::seal::{Expiry, Purpose, Sealed};

/// How long a person has to choose: as long as the login form, and far shorter than Norman's
/// refresh token.
pub const CHOICE_LIFETIME: time::Duration = time::Duration::minutes(10);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyChoice {
    pub client_id: String,
    /// Shown on the page again after a wrong choice.
    pub client_name: String,
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub state: Option<String>,
    pub code_challenge: String,
    /// What the person granted on the login page (the consent choice), not what was asked.
    pub scope: Scopes,
    pub resource: Option<String>,
    pub csrf_nonce: String,
    pub norman_access: NormanToken,
    pub norman_refresh: NormanToken,
    /// How Norman's tokens were obtained, hence where they are refreshed.
    pub method: SignInMethod,
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
}

impl Sealed for CompanyChoice {
    const PURPOSE: Purpose = Purpose::CompanyChoice;
    fn expiry(&self) -> Expiry {
        Expiry::At(self.expires_at)
    }
}
