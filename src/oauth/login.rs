//! `POST /authorize`: the person's answer to the login form. The form's sealed request and the
//! CSRF cookie (`form`) replace any server-side session. The outcome is in the protocol's
//! terms; the HTTP layer renders it as a redirect, the form again, or a page.

pub mod form;
mod limits;

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::Deserialize;
use time::OffsetDateTime;

use crate::oauth::AuthServer;
use crate::oauth::authorize::{ErrorRedirect, success_location};
use crate::oauth::error::ErrorCode;
use crate::seal;
use crate::tokens::code::{AuthorizationCode, CODE_LIFETIME};
use crate::tokens::login::LoginRequest;
use crate::tokens::random_id;

pub use self::limits::{LoginLimits, MAX_EMAIL_BYTES, TRACKED_KEYS};

#[derive(Deserialize)]
pub struct LoginForm {
    pub login_request: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub action: Option<String>,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm").field("action", &self.action).finish_non_exhaustive()
    }
}

/// What the person sees next.
pub enum LoginOutcome {
    /// Back to the app, with a code or with `access_denied`; the form's CSRF cookie (named
    /// here) has done its job and is cleared.
    Redirect { location: String, spent_cookie: String },
    /// The form again, with what to fix.
    Retry { problem: RetryProblem, request: Box<LoginRequest>, envelope: String, email: String },
    /// The sign-in cannot go on from this form.
    Refused(LoginRefusal),
}

/// Why the form is shown again: something the person can fix, or wait out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryProblem {
    EmailTooLong,
    MissingCredentials,
    /// Norman refused the email and password (whichever of them was wrong).
    BadCredentials,
    /// Over a failed-sign-in limit until `retry_after` has passed.
    TooManyFailures {
        retry_after: Duration,
    },
}

impl RetryProblem {
    /// The one line the form shows.
    pub fn message(self) -> Cow<'static, str> {
        match self {
            RetryProblem::EmailTooLong => EMAIL_TOO_LONG.into(),
            RetryProblem::MissingCredentials => MISSING_CREDENTIALS.into(),
            RetryProblem::BadCredentials => BAD_CREDENTIALS.into(),
            RetryProblem::TooManyFailures { retry_after } => too_many_failures(retry_after).into(),
        }
    }
}

/// Why a sign-in cannot go on from the submitted form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefusal {
    /// The form's sealed request is missing, expired or not valid.
    Expired,
    /// The browser did not send back the form's CSRF cookie.
    CookieMissing,
    /// Norman could not be asked; nothing was changed.
    NormanUnavailable,
    /// Randomness or sealing failed on our side.
    Internal,
}

/// The one message for every credential failure, so the page never tells whether an account
/// exists.
pub const BAD_CREDENTIALS: &str = "The email or password is not correct.";
const MISSING_CREDENTIALS: &str = "Enter your email and password.";
const EMAIL_TOO_LONG: &str = "That email address is too long.";

/// What a person sees when an attempt is over a limit: how long to wait, in whole seconds.
fn too_many_failures(retry_after: Duration) -> String {
    let seconds = retry_after_seconds(retry_after);
    let unit = if seconds == 1 { "second" } else { "seconds" };
    format!("Too many failed sign-ins. Please wait {seconds} {unit}, then try again.")
}

/// `Retry-After` in whole seconds, rounded up so a client waiting that long is let in.
pub fn retry_after_seconds(retry_after: Duration) -> u64 {
    retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)
}

impl AuthServer {
    /// Handles a submitted login form. `cookie_header` is the request's `Cookie` header.
    pub async fn login(
        &self,
        form: LoginForm,
        cookie_header: Option<&str>,
        client_address: IpAddr,
        now: OffsetDateTime,
    ) -> LoginOutcome {
        let Some(envelope) = form.login_request.filter(|e| !e.is_empty()) else {
            return LoginOutcome::Refused(LoginRefusal::Expired);
        };
        let keyring = self.keyring.current();
        let request: LoginRequest = match seal::open(&keyring, &envelope, now) {
            Ok(request) => request,
            Err(error) => {
                tracing::info!(reason = error.reason(), "login form refused");
                return LoginOutcome::Refused(LoginRefusal::Expired);
            }
        };
        if !form::cookie_matches(cookie_header, self.secure_cookies, &request.csrf_nonce) {
            tracing::info!("login form refused: CSRF cookie missing or different");
            return LoginOutcome::Refused(LoginRefusal::CookieMissing);
        }
        let cookie_name = form::cookie_name(self.secure_cookies, &request.csrf_nonce);
        if form.action.as_deref() == Some("cancel") {
            let denied = ErrorRedirect {
                redirect_uri: request.redirect_uri.clone(),
                code: ErrorCode::AccessDenied,
                description: "The person cancelled the sign-in.".to_owned(),
                state: request.state.clone(),
            };
            return LoginOutcome::Redirect {
                location: denied.location(&self.issuer),
                spent_cookie: cookie_name,
            };
        }

        let email = form.email.unwrap_or_default().trim().to_owned();
        let password = zeroize::Zeroizing::new(form.password.unwrap_or_default());
        let retry = |problem, email: &str| LoginOutcome::Retry {
            problem,
            request: Box::new(request.clone()),
            envelope: envelope.clone(),
            email: email.to_owned(),
        };
        if email.len() > MAX_EMAIL_BYTES {
            return retry(RetryProblem::EmailTooLong, "");
        }
        if email.is_empty() || password.is_empty() {
            return retry(RetryProblem::MissingCredentials, &email);
        }
        let attempt = match self.login_limits.begin(client_address, &email, Instant::now()) {
            Ok(attempt) => attempt,
            Err(limited) => {
                tracing::warn!(%client_address, "login attempt refused: too many failed sign-ins");
                return retry(RetryProblem::TooManyFailures { retry_after: limited.retry_after }, &email);
            }
        };

        let tokens = match self.norman.login(&email, &password).await {
            Ok(tokens) => {
                attempt.release();
                tokens
            }
            Err(error) if !error.is_unavailable() => {
                attempt.failed();
                tracing::info!("login refused by Norman");
                return retry(RetryProblem::BadCredentials, &email);
            }
            Err(error) => {
                attempt.release();
                tracing::warn!(%error, "login failed: Norman unavailable");
                return LoginOutcome::Refused(LoginRefusal::NormanUnavailable);
            }
        };
        let company_id = match self.norman.first_company(&tokens.access).await {
            Ok(company_id) => company_id,
            Err(error) => {
                tracing::warn!(%error, "company lookup failed after login");
                return LoginOutcome::Refused(LoginRefusal::NormanUnavailable);
            }
        };
        let Some(norman_refresh) = tokens.refresh else {
            tracing::warn!("Norman login answered without a refresh token");
            return LoginOutcome::Refused(LoginRefusal::NormanUnavailable);
        };
        let Ok(code_id) = random_id() else {
            return LoginOutcome::Refused(LoginRefusal::Internal);
        };
        let code = AuthorizationCode {
            code_id,
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            redirect_uri_given: request.redirect_uri_given,
            code_challenge: request.code_challenge.clone(),
            scope: request.scope,
            resource: request.resource.clone(),
            norman_access: tokens.access,
            norman_refresh,
            company_id,
            expires_at: now + CODE_LIFETIME,
        };
        let sealed = match seal::seal(&keyring, &code, now) {
            Ok(sealed) => sealed,
            Err(error) => {
                tracing::error!(%error, "could not seal an authorization code");
                return LoginOutcome::Refused(LoginRefusal::Internal);
            }
        };
        tracing::info!("login succeeded; code issued");
        LoginOutcome::Redirect {
            location: success_location(
                &request.redirect_uri,
                &sealed,
                request.state.as_deref(),
                &self.issuer,
            ),
            spent_cookie: cookie_name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_is_rounded_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_seconds(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        let one = RetryProblem::TooManyFailures { retry_after: Duration::from_millis(400) };
        assert_eq!(one.message(), "Too many failed sign-ins. Please wait 1 second, then try again.");
        let many = RetryProblem::TooManyFailures { retry_after: Duration::from_millis(29_500) };
        assert_eq!(many.message(), "Too many failed sign-ins. Please wait 30 seconds, then try again.");
    }

    #[test]
    fn every_credential_failure_reads_the_same() {
        assert_eq!(RetryProblem::BadCredentials.message(), BAD_CREDENTIALS);
        assert_ne!(RetryProblem::MissingCredentials.message(), BAD_CREDENTIALS);
    }
}
