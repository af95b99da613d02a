//! `POST /authorize`: the person's answer to the login form. The form's sealed request and the
//! CSRF cookie replace any server-side session.

mod limits;

use std::borrow::Cow;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde::Deserialize;
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use crate::oauth::AuthServer;
use crate::oauth::authorize::{ErrorRedirect, success_location};
use crate::oauth::error::ErrorCode;
use crate::oauth::pages::PageError;
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
    Redirect {
        location: String,
        spent_cookie: String,
    },
    /// The form again, with one message; `retry_after` when the attempt was over a limit.
    Retry {
        status: StatusCode,
        request: Box<LoginRequest>,
        envelope: String,
        email: String,
        message: Cow<'static, str>,
        retry_after: Option<Duration>,
    },
    Page(PageError),
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

/// The CSRF cookie's name for one login form: each form has its own, so two tabs never clash.
pub fn csrf_cookie_name(secure: bool, nonce: &str) -> String {
    let prefix = if secure { "__Host-" } else { "" };
    let tag: String = nonce.chars().take(10).collect();
    format!("{prefix}nm_login_{tag}")
}

/// The value of cookie `name` in a `Cookie` header.
fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v)
}

fn expired_page() -> PageError {
    PageError::new(
        StatusCode::BAD_REQUEST,
        "This sign-in page has expired",
        "The sign-in page was open for too long or is not valid. Go back to your app and start the connection again.",
    )
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
            return LoginOutcome::Page(expired_page());
        };
        let keyring = self.keyring.current();
        let request: LoginRequest = match seal::open(&keyring, &envelope, now) {
            Ok(request) => request,
            Err(error) => {
                tracing::info!(reason = error.reason(), "login form refused");
                return LoginOutcome::Page(expired_page());
            }
        };
        let cookie_name = csrf_cookie_name(self.secure_cookies, &request.csrf_nonce);
        let cookie_value = cookie_header.and_then(|header| cookie(header, &cookie_name));
        let cookie_ok =
            cookie_value.is_some_and(|v| bool::from(v.as_bytes().ct_eq(request.csrf_nonce.as_bytes())));
        if !cookie_ok {
            tracing::info!("login form refused: CSRF cookie missing or different");
            return LoginOutcome::Page(PageError::new(
                StatusCode::FORBIDDEN,
                "This sign-in could not be verified",
                "Your browser did not send back the cookie of this sign-in page. Allow cookies for this site, then start the connection again from your app.",
            ));
        }
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
        let retry = |status, email: &str, message: Cow<'static, str>, retry_after| LoginOutcome::Retry {
            status,
            request: Box::new(request.clone()),
            envelope: envelope.clone(),
            email: email.to_owned(),
            message,
            retry_after,
        };
        if email.len() > MAX_EMAIL_BYTES {
            return retry(StatusCode::BAD_REQUEST, "", EMAIL_TOO_LONG.into(), None);
        }
        if email.is_empty() || password.is_empty() {
            return retry(StatusCode::BAD_REQUEST, &email, MISSING_CREDENTIALS.into(), None);
        }
        let attempt = match self.login_limits.begin(client_address, &email, Instant::now()) {
            Ok(attempt) => attempt,
            Err(limited) => {
                tracing::warn!(%client_address, "login attempt refused: too many failed sign-ins");
                let message = too_many_failures(limited.retry_after).into();
                return retry(StatusCode::TOO_MANY_REQUESTS, &email, message, Some(limited.retry_after));
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
                return retry(StatusCode::UNAUTHORIZED, &email, BAD_CREDENTIALS.into(), None);
            }
            Err(error) => {
                attempt.release();
                tracing::warn!(%error, "login failed: Norman unavailable");
                return LoginOutcome::Page(norman_unavailable());
            }
        };
        let company_id = match self.norman.first_company(&tokens.access).await {
            Ok(company_id) => company_id,
            Err(error) => {
                tracing::warn!(%error, "company lookup failed after login");
                return LoginOutcome::Page(norman_unavailable());
            }
        };
        let Some(norman_refresh) = tokens.refresh else {
            tracing::warn!("Norman login answered without a refresh token");
            return LoginOutcome::Page(norman_unavailable());
        };
        let Ok(code_id) = random_id() else {
            return LoginOutcome::Page(internal_page());
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
                return LoginOutcome::Page(internal_page());
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

fn norman_unavailable() -> PageError {
    PageError::new(
        StatusCode::BAD_GATEWAY,
        "Norman is not reachable right now",
        "We could not reach Norman to sign you in. Nothing was changed. Please try again in a few minutes.",
    )
}

fn internal_page() -> PageError {
    PageError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong",
        "Something went wrong on our side. Please start the connection again from your app.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_cookie_names_use_the_host_prefix_on_https_and_differ_per_form() {
        assert_eq!(csrf_cookie_name(true, "abcdefghijklmnop"), "__Host-nm_login_abcdefghij");
        assert_eq!(csrf_cookie_name(false, "abcdefghijklmnop"), "nm_login_abcdefghij");
        assert_ne!(csrf_cookie_name(true, "abcdefghijXYZ"), csrf_cookie_name(true, "bbcdefghijXYZ"));
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let header = "other=1; nm_login_abc=xyz; nm_login_abcd=no";
        assert_eq!(cookie(header, "nm_login_abc"), Some("xyz"));
        assert_eq!(cookie(header, "nm_login_ab"), None);
    }
}
