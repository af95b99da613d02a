//! The login form's state, kept by the browser instead of a server-side session: the validated
//! authorization request sealed into the form's hidden field, and its CSRF nonce both inside
//! that envelope and in a cookie of the form's own (double submit). The same for a sign-in at
//! Norman's authorization server: its sealed `state` and a cookie bound to it. Every cookie
//! rule is here.

use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use crate::keyring::Keyring;
use crate::oauth::authorize::ValidAuthorization;
use crate::scope::Scopes;
use crate::seal::{self, SealError};
use crate::tokens::login::{LOGIN_LIFETIME, LoginRequest};
use crate::tokens::norman_state::{NORMAN_STATE_LIFETIME, NormanState};
use crate::tokens::random_id;

/// A login form ready to be shown: what it asks for, its sealed hidden field, and the
/// `Set-Cookie` value that must come back with its answer.
pub struct IssuedForm {
    pub request: LoginRequest,
    pub envelope: String,
    pub set_cookie: String,
}

/// Why no form could be issued; the person can only try again.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("no randomness for the CSRF nonce")]
    Random,
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// Seals the login request for `valid` with a fresh CSRF nonce and sets the matching cookie.
/// `secure`: the public URL is https (the cookie then gets `Secure` and the `__Host-` prefix).
pub fn issue(
    keyring: &Keyring,
    valid: &ValidAuthorization,
    secure: bool,
    now: OffsetDateTime,
) -> Result<IssuedForm, IssueError> {
    let csrf_nonce = random_id().map_err(|_| IssueError::Random)?;
    let request = LoginRequest {
        client_id: valid.client.id.clone(),
        client_name: valid.client.display_name().to_owned(),
        redirect_uri: valid.redirect_uri.clone(),
        redirect_uri_given: valid.redirect_uri_given,
        state: valid.state.clone(),
        code_challenge: valid.code_challenge.clone(),
        scope: valid.scopes,
        resource: valid.resource.clone(),
        csrf_nonce,
        expires_at: now + LOGIN_LIFETIME,
    };
    let envelope = seal::seal(keyring, &request, now)?;
    let set_cookie = set_cookie(secure, &request.csrf_nonce, LOGIN_LIFETIME);
    Ok(IssuedForm { request, envelope, set_cookie })
}

/// The `Set-Cookie` value of the form's CSRF cookie, living `lifetime` (the company choice
/// page sets it again, for its own lifetime).
pub fn set_cookie(secure: bool, nonce: &str, lifetime: time::Duration) -> String {
    setting_cookie(&cookie_name(secure, nonce), nonce, lifetime, secure)
}

/// A sign-in at Norman ready to start: the sealed `state` for Norman's authorization request
/// and the `Set-Cookie` value that must come back with Norman's redirect to our callback.
pub struct IssuedNormanState {
    pub state: String,
    pub set_cookie: String,
}

/// Seals `request` and the grant the person chose into the `state` sent to Norman, with a
/// fresh nonce in the state and in a cookie of its own.
pub fn issue_norman_state(
    keyring: &Keyring,
    request: LoginRequest,
    scope: Scopes,
    secure: bool,
    now: OffsetDateTime,
) -> Result<IssuedNormanState, IssueError> {
    let nonce = random_id().map_err(|_| IssueError::Random)?;
    let sealed = NormanState { request, scope, nonce, expires_at: now + NORMAN_STATE_LIFETIME };
    let state = seal::seal(keyring, &sealed, now)?;
    let set_cookie = setting_cookie(
        &norman_cookie_name(secure, &sealed.nonce),
        &sealed.nonce,
        NORMAN_STATE_LIFETIME,
        secure,
    );
    Ok(IssuedNormanState { state, set_cookie })
}

/// The CSRF cookie's name for one login form: each form has its own, so two tabs never clash.
pub fn cookie_name(secure: bool, nonce: &str) -> String {
    named(secure, "nm_login_", nonce)
}

/// The name of the cookie that binds one sign-in at Norman to the browser that left for it.
pub fn norman_cookie_name(secure: bool, nonce: &str) -> String {
    named(secure, "nm_norman_", nonce)
}

fn named(secure: bool, kind: &str, nonce: &str) -> String {
    let prefix = if secure { "__Host-" } else { "" };
    let tag: String = nonce.chars().take(10).collect();
    format!("{prefix}{kind}{tag}")
}

/// Whether the request's `Cookie` header carries the form's cookie with its nonce.
pub fn cookie_matches(cookie_header: Option<&str>, secure: bool, nonce: &str) -> bool {
    carries(cookie_header, &cookie_name(secure, nonce), nonce)
}

/// Whether the request's `Cookie` header carries the cookie of the sign-in at Norman whose
/// state holds `nonce`.
pub fn norman_cookie_matches(cookie_header: Option<&str>, secure: bool, nonce: &str) -> bool {
    carries(cookie_header, &norman_cookie_name(secure, nonce), nonce)
}

fn carries(cookie_header: Option<&str>, name: &str, nonce: &str) -> bool {
    cookie_header
        .and_then(|header| cookie(header, name))
        .is_some_and(|value| bool::from(value.as_bytes().ct_eq(nonce.as_bytes())))
}

/// `SameSite=Lax`: the cookie still comes along when another site sends the browser here with
/// a top-level GET, which is how Norman's redirect to our callback arrives.
fn setting_cookie(name: &str, value: &str, lifetime: time::Duration, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        lifetime.whole_seconds(),
        secure_attribute(secure)
    )
}

/// The `Set-Cookie` value that removes a spent form's cookie named `name`.
pub fn clearing_cookie(name: &str, secure: bool) -> String {
    format!("{name}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{}", secure_attribute(secure))
}

fn secure_attribute(secure: bool) -> &'static str {
    if secure { "; Secure" } else { "" }
}

/// The value of cookie `name` in a `Cookie` header.
fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|pair| pair.trim().split_once('=')).find(|(n, _)| *n == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_names_use_the_host_prefix_on_https_and_differ_per_form() {
        assert_eq!(cookie_name(true, "abcdefghijklmnop"), "__Host-nm_login_abcdefghij");
        assert_eq!(cookie_name(false, "abcdefghijklmnop"), "nm_login_abcdefghij");
        assert_ne!(cookie_name(true, "abcdefghijXYZ"), cookie_name(true, "bbcdefghijXYZ"));
        assert_eq!(norman_cookie_name(true, "abcdefghijklmnop"), "__Host-nm_norman_abcdefghij");
        assert_eq!(norman_cookie_name(false, "abcdefghijklmnop"), "nm_norman_abcdefghij");
    }

    #[test]
    fn cookies_are_found_by_exact_name_and_value() {
        let header = "other=1; nm_login_abc=xyz; nm_login_abcd=no";
        assert_eq!(cookie(header, "nm_login_abc"), Some("xyz"));
        assert_eq!(cookie(header, "nm_login_ab"), None);
        let nonce = "abcdefghijklmnop";
        assert!(cookie_matches(Some("a=b; nm_login_abcdefghij=abcdefghijklmnop"), false, nonce));
        assert!(!cookie_matches(Some("nm_login_abcdefghij=abcdefghijklmnoq"), false, nonce), "another value");
        assert!(!cookie_matches(Some("nm_login_abcdefghij=abcdefghijklmnop"), true, nonce), "no prefix");
        assert!(!cookie_matches(None, false, nonce));
        assert!(norman_cookie_matches(Some("nm_norman_abcdefghij=abcdefghijklmnop"), false, nonce));
        assert!(
            !norman_cookie_matches(Some("nm_login_abcdefghij=abcdefghijklmnop"), false, nonce),
            "a login form's cookie is not a Norman sign-in's"
        );
    }

    #[test]
    fn a_spent_cookie_is_cleared_with_the_attributes_it_was_set_with() {
        assert_eq!(
            clearing_cookie("__Host-nm_login_abc", true),
            "__Host-nm_login_abc=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(
            clearing_cookie("nm_login_abc", false),
            "nm_login_abc=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
        );
    }
}
