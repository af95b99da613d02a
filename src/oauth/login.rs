//! `POST /authorize`: the person's answer to the login form. The form's sealed request and the
//! CSRF cookie (`form`) replace any server-side session. The outcome is in the protocol's
//! terms; the HTTP layer renders it as a redirect, the form again, or a page.

mod company;
pub mod form;
mod limits;
pub mod norman;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde::Deserialize;
use time::OffsetDateTime;

use crate::i18n::{Text, Texts};
use crate::norman::NormanTokens;
use crate::norman::oauth::SignInMethod;
use crate::oauth::AuthServer;
use crate::oauth::authorize::{ErrorRedirect, success_location};
use crate::oauth::error::ErrorCode;
use crate::scope::{Scope, Scopes};
use crate::seal;
use crate::tokens::code::{AuthorizationCode, CODE_LIFETIME};
use crate::tokens::company_choice::{CHOICE_LIFETIME, CompanyChoice};
use crate::tokens::login::LoginRequest;
use crate::tokens::random_id;

pub use self::company::{ChoiceProblem, CompanyChoiceForm, CompanyChoicePage};
pub use self::limits::{LoginLimits, MAX_EMAIL_BYTES, TRACKED_KEYS};

/// Which sign-ins the login page offers (`--login`): email and password on our page, Norman's
/// own authorization server ("Sign in with Norman"), or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginMode {
    Password,
    NormanOAuth,
    Both,
}

impl LoginMode {
    pub fn parse(text: &str) -> Option<LoginMode> {
        match text {
            "password" => Some(LoginMode::Password),
            "norman-oauth" => Some(LoginMode::NormanOAuth),
            "both" => Some(LoginMode::Both),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            LoginMode::Password => "password",
            LoginMode::NormanOAuth => "norman-oauth",
            LoginMode::Both => "both",
        }
    }

    pub const fn offers_password(self) -> bool {
        matches!(self, LoginMode::Password | LoginMode::Both)
    }

    pub const fn offers_norman(self) -> bool {
        matches!(self, LoginMode::NormanOAuth | LoginMode::Both)
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub login_request: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub action: Option<String>,
    /// Sent by every form our page renders: the person saw the consent choice, so a missing
    /// `allow_write` means the box was unticked (browsers send nothing for it then).
    pub consent: Option<String>,
    /// The "allow changes" box, ticked.
    pub allow_write: Option<String>,
    /// A script's shortcut past the company choice page: the company to sign in for, checked
    /// against the person's companies like the page's answer.
    pub company_id: Option<String>,
}

impl LoginForm {
    /// Whether the person lets the client make changes. A form without the consent marker
    /// comes from a script that posts the credentials itself and so grants what was asked.
    pub fn allows_write(&self) -> bool {
        self.consent.is_none() || self.allow_write.is_some()
    }
}

/// The scopes the person grants: what the client asked for, or read access only when the
/// person unticked "allow changes" (RFC 6749 §3.3: the token response then names the scope).
pub fn granted_scopes(requested: Scopes, allows_write: bool) -> Scopes {
    if requested.contains(Scope::Write) && !allows_write { Scopes::READ } else { requested }
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("action", &self.action)
            .field("allows_write", &self.allows_write())
            .finish_non_exhaustive()
    }
}

/// What the person sees next.
pub enum LoginOutcome {
    /// Back to the app, with a code or with `access_denied`; the form's CSRF cookie (named
    /// here) has done its job and is cleared.
    Redirect { location: String, spent_cookie: String },
    /// On to Norman's authorization server ("Sign in with Norman"), with the cookie that binds
    /// the sealed `state` to this browser.
    ToNorman { location: String, set_cookie: String },
    /// The form again, with what to fix, keeping the email and the consent choice.
    Retry {
        problem: RetryProblem,
        request: Box<LoginRequest>,
        envelope: String,
        email: String,
        allow_write: bool,
    },
    /// Signed in at Norman, and the person may act on more than one company: the company
    /// choice page (docs/architecture.md, "Choosing the company").
    ChooseCompany(Box<CompanyChoicePage>),
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
    /// The one line the form shows, in the language of `texts`.
    pub fn message(self, texts: &Texts) -> String {
        let login = &texts.login;
        match self {
            RetryProblem::EmailTooLong => login.email_too_long.to_string(),
            RetryProblem::MissingCredentials => login.missing_credentials.to_string(),
            RetryProblem::BadCredentials => login.bad_credentials.to_string(),
            RetryProblem::TooManyFailures { retry_after } => {
                wait_message(&login.too_many_one, &login.too_many, retry_after)
            }
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
    /// The form asked for a sign-in this server does not offer (`--login`).
    NotOffered,
    /// Norman's authorization server did not confirm the sign-in (its code was refused, or
    /// the way back from it was already used).
    NormanRefused,
    /// Randomness or sealing failed on our side.
    Internal,
    /// The company choice page was answered too often, from this address, without naming one
    /// of the person's companies (`limits`).
    TooManyAnswers { retry_after: Duration },
}

/// `Retry-After` in whole seconds, rounded up so a client waiting that long is let in.
pub fn retry_after_seconds(retry_after: Duration) -> u64 {
    retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)
}

/// A limit's "please wait" line: `one` for a single second, else `many` with `{seconds}` filled
/// in, the seconds rounded up as in `Retry-After`.
pub fn wait_message(one: &Text, many: &Text, retry_after: Duration) -> String {
    match retry_after_seconds(retry_after) {
        1 => one.to_string(),
        seconds => many.fill("seconds", &seconds.to_string()),
    }
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
        let allow_write = form.allows_write();
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
        let action = form.action.as_deref();
        if action == Some("deny") {
            return self.denied(&request.redirect_uri, request.state.as_deref(), cookie_name);
        }

        let scope = granted_scopes(request.scope, allow_write);
        if action == Some("norman") {
            return self.leave_for_norman(request, scope, now);
        }
        if !self.login_mode.offers_password() {
            tracing::info!("password sign-in refused: this server offers only Sign in with Norman");
            return LoginOutcome::Refused(LoginRefusal::NotOffered);
        }
        let email = form.email.unwrap_or_default().trim().to_owned();
        let password = zeroize::Zeroizing::new(form.password.unwrap_or_default());
        let retry = |problem, email: &str| LoginOutcome::Retry {
            problem,
            request: Box::new(request.clone()),
            envelope: envelope.clone(),
            email: email.to_owned(),
            allow_write,
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
        let signed_in = match signed_in_at_norman(request, scope, tokens, SignInMethod::Password, now) {
            Ok(signed_in) => signed_in,
            Err(refusal) => return LoginOutcome::Refused(refusal),
        };
        let wanted = form.company_id.filter(|id| !id.is_empty());
        self.signed_in(signed_in, wanted.as_deref(), false, now).await
    }

    /// `access_denied` back to the app. RFC 6749 §4.1.2.1: the client and its redirect URI
    /// were validated before the form was sealed, so the refusal may go back, with its state.
    fn denied(&self, redirect_uri: &str, state: Option<&str>, spent_cookie: String) -> LoginOutcome {
        let denied = ErrorRedirect {
            redirect_uri: redirect_uri.to_owned(),
            code: ErrorCode::AccessDenied,
            description: "The person denied access.".to_owned(),
            state: state.map(str::to_owned),
        };
        LoginOutcome::Redirect { location: denied.location(&self.issuer), spent_cookie }
    }

    /// Issues the code for `signed_in` and `company_id`, and sends the browser back to the app.
    fn issue_code(
        &self,
        signed_in: CompanyChoice,
        company_id: Option<String>,
        now: OffsetDateTime,
    ) -> LoginOutcome {
        let cookie_name = form::cookie_name(self.secure_cookies, &signed_in.csrf_nonce);
        let Ok(code_id) = random_id() else {
            return LoginOutcome::Refused(LoginRefusal::Internal);
        };
        let CompanyChoice {
            client_id,
            redirect_uri,
            redirect_uri_given,
            state,
            code_challenge,
            scope,
            resource,
            norman_access,
            norman_refresh,
            method,
            ..
        } = signed_in;
        let code = AuthorizationCode {
            code_id,
            client_id,
            redirect_uri,
            redirect_uri_given,
            code_challenge,
            scope,
            resource,
            norman_access,
            norman_refresh,
            company_id,
            method,
            expires_at: now + CODE_LIFETIME,
        };
        let sealed = match seal::seal(&self.keyring.current(), &code, now) {
            Ok(sealed) => sealed,
            Err(error) => {
                tracing::error!(%error, "could not seal an authorization code");
                return LoginOutcome::Refused(LoginRefusal::Internal);
            }
        };
        tracing::info!(%scope, ?method, "login succeeded; code issued");
        LoginOutcome::Redirect {
            location: success_location(&code.redirect_uri, &sealed, state.as_deref(), &self.issuer),
            spent_cookie: cookie_name,
        }
    }
}

/// Everything a sign-in has gathered once Norman gave us tokens, whichever way the person
/// signed in (password on our page, or Norman's authorization server): what the company choice
/// and then the code carry. Every sign-in continues from here (`AuthServer::signed_in`).
pub(super) fn signed_in_at_norman(
    request: LoginRequest,
    scope: Scopes,
    tokens: NormanTokens,
    method: SignInMethod,
    now: OffsetDateTime,
) -> Result<CompanyChoice, LoginRefusal> {
    let Some(norman_refresh) = tokens.refresh else {
        tracing::warn!("Norman answered the sign-in without a refresh token");
        return Err(LoginRefusal::NormanUnavailable);
    };
    Ok(CompanyChoice {
        client_id: request.client_id,
        client_name: request.client_name,
        redirect_uri: request.redirect_uri,
        redirect_uri_given: request.redirect_uri_given,
        state: request.state,
        code_challenge: request.code_challenge,
        scope,
        resource: request.resource,
        csrf_nonce: request.csrf_nonce,
        norman_access: tokens.access,
        norman_refresh,
        method,
        expires_at: now + CHOICE_LIFETIME,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn a_wait_is_rounded_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
        assert_eq!(retry_after_seconds(Duration::from_millis(2001)), 3);
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        let (en, de) = (Lang::En.texts(), Lang::De.texts());
        let one = RetryProblem::TooManyFailures { retry_after: Duration::from_millis(400) };
        assert_eq!(one.message(en), "Too many failed sign-ins. Please wait 1 second, then try again.");
        assert!(one.message(de).contains("1 Sekunde "), "{}", one.message(de));
        let many = RetryProblem::TooManyFailures { retry_after: Duration::from_millis(29_500) };
        assert_eq!(many.message(en), "Too many failed sign-ins. Please wait 30 seconds, then try again.");
        assert!(many.message(de).contains("30 Sekunden"), "{}", many.message(de));
    }

    #[test]
    fn every_credential_failure_reads_the_same() {
        let en = Lang::En.texts();
        assert_eq!(RetryProblem::BadCredentials.message(en), "The email or password is not correct.");
        assert_ne!(RetryProblem::MissingCredentials.message(en), RetryProblem::BadCredentials.message(en));
    }

    #[test]
    fn login_modes_parse_and_say_what_they_offer() {
        for mode in [LoginMode::Password, LoginMode::NormanOAuth, LoginMode::Both] {
            assert_eq!(LoginMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(LoginMode::parse("oauth"), None);
        assert!(LoginMode::Password.offers_password() && !LoginMode::Password.offers_norman());
        assert!(!LoginMode::NormanOAuth.offers_password() && LoginMode::NormanOAuth.offers_norman());
        assert!(LoginMode::Both.offers_password() && LoginMode::Both.offers_norman());
    }

    #[test]
    fn unticking_changes_grants_read_only() {
        assert_eq!(granted_scopes(Scopes::ALL, true), Scopes::ALL);
        assert_eq!(granted_scopes(Scopes::ALL, false), Scopes::READ);
        assert_eq!(granted_scopes(Scopes::EMPTY.with(Scope::Write), false), Scopes::READ);
        assert_eq!(granted_scopes(Scopes::READ, false), Scopes::READ);
        let form = |consent: Option<&str>, allow: Option<&str>| LoginForm {
            login_request: None,
            email: None,
            password: None,
            action: None,
            consent: consent.map(Into::into),
            allow_write: allow.map(Into::into),
            company_id: None,
        };
        assert!(form(Some("1"), Some("1")).allows_write());
        assert!(!form(Some("1"), None).allows_write(), "our page, box unticked");
        assert!(form(None, None).allows_write(), "a script posting credentials grants what was asked");
    }
}
