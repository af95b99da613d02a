//! The login form's state, kept by the browser instead of a server-side session: the validated
//! authorization request sealed into the form's hidden field, and its CSRF nonce both inside
//! that envelope and in a cookie of the form's own (double submit). Every cookie rule is here.

use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use crate::keyring::Keyring;
use crate::oauth::authorize::ValidAuthorization;
use crate::seal::{self, SealError};
use crate::tokens::login::{LOGIN_LIFETIME, LoginRequest};
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
    format!(
        "{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        cookie_name(secure, nonce),
        nonce,
        lifetime.whole_seconds(),
        secure_attribute(secure)
    )
}

/// The CSRF cookie's name for one login form: each form has its own, so two tabs never clash.
pub fn cookie_name(secure: bool, nonce: &str) -> String {
    let prefix = if secure { "__Host-" } else { "" };
    let tag: String = nonce.chars().take(10).collect();
    format!("{prefix}nm_login_{tag}")
}

/// Whether the request's `Cookie` header carries the form's cookie with its nonce.
pub fn cookie_matches(cookie_header: Option<&str>, secure: bool, nonce: &str) -> bool {
    let name = cookie_name(secure, nonce);
    cookie_header
        .and_then(|header| cookie(header, &name))
        .is_some_and(|value| bool::from(value.as_bytes().ct_eq(nonce.as_bytes())))
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
