//! "Sign in with Norman": the person leaves our login page for Norman's authorization server
//! and comes back to `GET /oauth/callback`. We are Norman's OAuth client here (RFC 6749 §4.1);
//! the sealed `state` (`tokens::norman_state`) and a cookie bound to it replace any session,
//! and the sign-in then goes on exactly like a password sign-in (`AuthServer::signed_in`: the
//! company choice when there is one to make, then the code).
//!
//! Order at the callback: the state first (a state that does not open is a page, never a
//! redirect: nothing validated says where to), then the cookie (a state carried to another
//! browser is refused), then Norman's answer. A refusal at Norman goes back to the app as an
//! OAuth error with its `state` and `iss` (RFC 6749 §4.1.2.1, RFC 9207), since the client and
//! its redirect URI were validated before the state was sealed.

use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;

use super::{LoginOutcome, LoginRefusal, form, signed_in_at_norman};
use crate::guard::GuardSpace;
use crate::norman::oauth::SignInMethod;
use crate::oauth::AuthServer;
use crate::oauth::authorize::ErrorRedirect;
use crate::oauth::error::ErrorCode;
use crate::scope::Scopes;
use crate::seal;
use crate::tokens::login::LoginRequest;
use crate::tokens::norman_state::NormanState;

/// The query of Norman's redirect to our callback: `code` and `state`, or `error`,
/// `error_description` and `state` (RFC 6749 §4.1.2, §4.1.2.1).
#[derive(Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Names only: the code is a credential.
impl std::fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| ".."))
            .field("state", &self.state.as_ref().map(|_| ".."))
            .field("error", &self.error)
            .finish()
    }
}

/// The OAuth error the app gets for Norman's: a refusal stays a refusal, an outage an outage.
fn app_error(norman_error: &str) -> (ErrorCode, &'static str) {
    match norman_error {
        "temporarily_unavailable" => {
            (ErrorCode::TemporarilyUnavailable, "Norman's sign-in is not available right now.")
        }
        "server_error" => (ErrorCode::ServerError, "Norman's sign-in failed."),
        _ => (ErrorCode::AccessDenied, "The person did not allow access at Norman."),
    }
}

impl AuthServer {
    /// Starts a sign-in at Norman for the login form's `request` and the grant the person
    /// chose: seals the state and sends the browser to Norman's authorization endpoint.
    pub(super) fn leave_for_norman(
        &self,
        request: LoginRequest,
        scope: Scopes,
        now: OffsetDateTime,
    ) -> LoginOutcome {
        let Some(client) = self.norman_oauth.as_ref().filter(|_| self.login_mode.offers_norman()) else {
            tracing::info!("Sign in with Norman refused: this server offers only the password sign-in");
            return LoginOutcome::Refused(LoginRefusal::NotOffered);
        };
        let issued =
            match form::issue_norman_state(&self.keyring.current(), request, scope, self.secure_cookies, now)
            {
                Ok(issued) => issued,
                Err(error) => {
                    tracing::error!(%error, "could not seal the state of a sign-in at Norman");
                    return LoginOutcome::Refused(LoginRefusal::Internal);
                }
            };
        let location = self.norman.oauth_authorize_url(client, &self.norman_callback, &issued.state);
        tracing::info!(%scope, "sign-in continues at Norman");
        LoginOutcome::ToNorman { location: location.into(), set_cookie: issued.set_cookie }
    }

    /// `GET /oauth/callback`: Norman's answer. `cookie_header` is the request's `Cookie`.
    pub async fn norman_callback(
        &self,
        params: CallbackParams,
        cookie_header: Option<&str>,
        now: OffsetDateTime,
    ) -> LoginOutcome {
        let Some(client) = self.norman_oauth.as_ref() else {
            return LoginOutcome::Refused(LoginRefusal::NotOffered);
        };
        let keyring = self.keyring.current();
        let state: NormanState = match params.state.as_deref().map(|s| seal::open(&keyring, s, now)) {
            Some(Ok(state)) => state,
            Some(Err(error)) => {
                tracing::info!(reason = error.reason(), "Norman callback refused: the state does not open");
                return LoginOutcome::Refused(LoginRefusal::Expired);
            }
            None => {
                tracing::info!("Norman callback refused: no state");
                return LoginOutcome::Refused(LoginRefusal::Expired);
            }
        };
        if !form::norman_cookie_matches(cookie_header, self.secure_cookies, &state.nonce) {
            tracing::info!("Norman callback refused: its cookie is missing or different");
            return LoginOutcome::Refused(LoginRefusal::CookieMissing);
        }
        let spent_cookie = form::norman_cookie_name(self.secure_cookies, &state.nonce);
        let request = &state.request;
        if let Some(error) = params.error.as_deref() {
            let (code, description) = app_error(error);
            tracing::info!(norman_error = ?error, error = code.as_str(), "Norman refused the sign-in");
            let refused = ErrorRedirect {
                redirect_uri: request.redirect_uri.clone(),
                code,
                description: description.to_owned(),
                state: request.state.clone(),
            };
            return LoginOutcome::Redirect { location: refused.location(&self.issuer), spent_cookie };
        }
        let Some(norman_code) = params.code.as_deref().filter(|c| !c.is_empty()) else {
            tracing::info!("Norman callback refused: neither a code nor an error");
            return LoginOutcome::Refused(LoginRefusal::NormanRefused);
        };
        // Single use: a callback presented twice (a reload, a copied URL) never signs in twice.
        let remaining = (state.expires_at - now).unsigned_abs() + Duration::from_secs(5);
        match self.guard.first_use(GuardSpace::SpentNormanState, &state.nonce, remaining).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("Norman callback presented again; refused");
                return LoginOutcome::Refused(LoginRefusal::NormanRefused);
            }
            Err(_) => return LoginOutcome::Refused(LoginRefusal::Internal),
        }
        let tokens = match self.norman.oauth_exchange(client, norman_code, &self.norman_callback).await {
            Ok(tokens) => tokens,
            Err(error) if error.is_unavailable() => {
                tracing::warn!(%error, "Norman's token endpoint unavailable at the callback");
                return LoginOutcome::Refused(LoginRefusal::NormanUnavailable);
            }
            Err(error) => {
                tracing::info!(%error, "Norman refused to redeem its code");
                return LoginOutcome::Refused(LoginRefusal::NormanRefused);
            }
        };
        match signed_in_at_norman(state.request, state.scope, tokens, SignInMethod::NormanOauth, now) {
            // The state's cookie is spent now; the login form's lapses on its own (it holds
            // only a nonce) or is set again by the company choice page.
            Ok(signed_in) => match self.signed_in(signed_in, None, false, now).await {
                LoginOutcome::Redirect { location, .. } => LoginOutcome::Redirect { location, spent_cookie },
                other => other,
            },
            Err(refusal) => LoginOutcome::Refused(refusal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norman_s_errors_reach_the_app_in_oauth_terms() {
        assert_eq!(app_error("access_denied").0, ErrorCode::AccessDenied);
        assert_eq!(app_error("invalid_scope").0, ErrorCode::AccessDenied, "anything else is a refusal");
        assert_eq!(app_error("temporarily_unavailable").0, ErrorCode::TemporarilyUnavailable);
        assert_eq!(app_error("server_error").0, ErrorCode::ServerError);
        let params =
            CallbackParams { code: Some("secret-code".into()), state: Some("nmo_x".into()), error: None };
        assert!(!format!("{params:?}").contains("secret-code"));
    }
}
