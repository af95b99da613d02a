//! `nmo_`: the `state` sent to Norman's authorization endpoint ("Sign in with Norman"). It
//! carries the validated /authorize request as the login form carried it and the grant the
//! person chose there, so Norman's redirect back to `/oauth/callback` needs no server memory,
//! and a nonce that the browser's cookie must match (the state is bound to the browser that
//! left our page, RFC 6749 §10.12).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::login::LoginRequest;
use crate::scope::Scopes;
use crate::seal::{Expiry, Purpose, Sealed};

/// How long a person has to sign in at Norman and come back.
pub const NORMAN_STATE_LIFETIME: time::Duration = time::Duration::minutes(10);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NormanState {
    /// The login form's request; its own nonce and expiry played their part when the form was
    /// answered.
    pub request: LoginRequest,
    /// What the person granted on our page (the consent choice made before leaving).
    pub scope: Scopes,
    /// Random: the key of the single-use guard and the value of the browser's cookie.
    pub nonce: String,
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
}

impl Sealed for NormanState {
    const PURPOSE: Purpose = Purpose::NormanState;
    fn expiry(&self) -> Expiry {
        Expiry::At(self.expires_at)
    }
}
