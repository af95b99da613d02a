//! `GET /authorize`: the rules of an authorization request, in the order that keeps a bad
//! request from ever redirecting somewhere unverified. First the client and its redirect URI
//! (failures are a page for the person), then everything else (failures go back to the app).

use serde::Deserialize;
use url::Url;

use crate::oauth::client::{Client, RedirectMismatch};
use crate::oauth::error::ErrorCode;
use crate::oauth::pkce;
use crate::oauth::resource::names_resource;
use crate::scope::{Scope, Scopes};

/// OAuth `state` is opaque to us, but it travels in a sealed form and a URL: bound it.
const MAX_STATE_LEN: usize = 1024;

#[derive(Debug, Default, Clone, Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub scope: Option<String>,
    pub resource: Option<String>,
}

/// An authorization request that passed every rule.
#[derive(Debug, Clone)]
pub struct ValidAuthorization {
    pub client: Client,
    pub redirect_uri: String,
    pub redirect_uri_given: bool,
    pub state: Option<String>,
    pub code_challenge: String,
    pub scopes: Scopes,
    pub resource: Option<String>,
}

/// An error sent back to the app's redirect URI (RFC 6749 §4.1.2.1, with `iss` of RFC 9207).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    pub code: ErrorCode,
    pub description: String,
    pub state: Option<String>,
}

impl ErrorRedirect {
    pub fn location(&self, issuer: &str) -> String {
        let params = [
            ("error", Some(self.code.as_str())),
            ("error_description", Some(self.description.as_str())),
            ("state", self.state.as_deref()),
            ("iss", Some(issuer)),
        ];
        with_query(&self.redirect_uri, &params)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeFailure {
    /// The redirect URI is not one the client registered: nothing may be sent there, so the
    /// person is told instead (RFC 6749 §4.1.2.1).
    RedirectMismatch(RedirectMismatch),
    /// Any other rule: the app is told, at its verified redirect URI.
    Redirect(ErrorRedirect),
}

/// Applies every rule that needs no I/O once the client is known.
pub fn validate(
    params: &AuthorizeParams,
    client: Client,
    canonical_resource: &str,
) -> Result<ValidAuthorization, AuthorizeFailure> {
    let redirect_uri =
        client.redirect_for(params.redirect_uri.as_deref()).map_err(AuthorizeFailure::RedirectMismatch)?;
    let state = params.state.clone();
    let redirect_error = |code: ErrorCode, description: &str| {
        AuthorizeFailure::Redirect(ErrorRedirect {
            redirect_uri: redirect_uri.clone(),
            code,
            description: description.to_owned(),
            state: state.clone(),
        })
    };

    if state.as_ref().is_some_and(|s| s.len() > MAX_STATE_LEN) {
        // The state is too long to send back safely: say so without echoing it.
        return Err(AuthorizeFailure::Redirect(ErrorRedirect {
            redirect_uri: redirect_uri.clone(),
            code: ErrorCode::InvalidRequest,
            description: format!("state is longer than {MAX_STATE_LEN} characters"),
            state: None,
        }));
    }
    match params.response_type.as_deref() {
        Some("code") => {}
        None => return Err(redirect_error(ErrorCode::InvalidRequest, "response_type is required")),
        Some(_) => {
            return Err(redirect_error(
                ErrorCode::UnsupportedResponseType,
                "only response_type=code is supported",
            ));
        }
    }
    let code_challenge =
        pkce::check_challenge(params.code_challenge.as_deref(), params.code_challenge_method.as_deref())
            .map_err(|description| redirect_error(ErrorCode::InvalidRequest, description))?;
    let requested = Scopes::parse_lenient(params.scope.as_deref().unwrap_or(""));
    let scopes = if requested.is_empty() { Scopes::ALL } else { requested };
    let resource = match params.resource.as_deref() {
        None => None,
        Some(resource) if names_resource(resource, canonical_resource) => Some(canonical_resource.to_owned()),
        Some(_) => {
            return Err(redirect_error(
                ErrorCode::InvalidTarget,
                "resource must be this server's MCP endpoint, as published in its protected resource metadata",
            ));
        }
    };
    Ok(ValidAuthorization {
        client,
        redirect_uri_given: params.redirect_uri.is_some(),
        redirect_uri,
        state,
        code_challenge,
        scopes,
        resource,
    })
}

/// Where the browser goes after a successful login (RFC 6749 §4.1.2, RFC 9207 `iss`).
pub fn success_location(redirect_uri: &str, code: &str, state: Option<&str>, issuer: &str) -> String {
    with_query(redirect_uri, &[("code", Some(code)), ("state", state), ("iss", Some(issuer))])
}

/// What goes into the CSP `form-action` so the browser follows the login's redirect: the
/// origin of a web redirect, the scheme of a private-use one.
pub fn form_action_source(redirect_uri: &str) -> Option<String> {
    let url = Url::parse(redirect_uri).ok()?;
    match url.scheme() {
        "http" | "https" => Some(url.origin().ascii_serialization()),
        scheme => Some(format!("{scheme}:")),
    }
}

/// Whether the person is asked for write access as well as read access.
pub fn wants_write(scopes: Scopes) -> bool {
    scopes.contains(Scope::Write)
}

fn with_query(base: &str, params: &[(&str, Option<&str>)]) -> String {
    match Url::parse(base) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (name, value) in params {
                    if let Some(value) = value {
                        query.append_pair(name, value);
                    }
                }
            }
            url.to_string()
        }
        // Registered redirect URIs always parse; this keeps the function total.
        Err(_) => base.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redirect::RedirectUri;

    const RESOURCE: &str = "https://mcp.example/mcp";
    const CALLBACK: &str = "https://app.example/cb";

    fn client(redirects: &[&str]) -> Client {
        let uris = redirects.iter().map(|uri| RedirectUri::parse(uri).unwrap()).collect();
        Client::public("https://app.example/client.json", Some("App".into()), uris)
    }

    fn params(adjust: impl FnOnce(&mut AuthorizeParams)) -> AuthorizeParams {
        let mut params = AuthorizeParams {
            response_type: Some("code".into()),
            client_id: Some("https://app.example/client.json".into()),
            redirect_uri: Some(CALLBACK.into()),
            state: Some("xyz".into()),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            code_challenge_method: Some("S256".into()),
            scope: None,
            resource: None,
        };
        adjust(&mut params);
        params
    }

    fn redirected(failure: AuthorizeFailure) -> ErrorRedirect {
        match failure {
            AuthorizeFailure::Redirect(redirect) => redirect,
            other => panic!("expected a redirect, got {other:?}"),
        }
    }

    #[test]
    fn an_unregistered_redirect_uri_is_never_redirected_to_even_with_other_errors() {
        let bad = params(|p| {
            p.redirect_uri = Some("https://evil.example/cb".into());
            p.response_type = Some("token".into());
        });
        let failure = validate(&bad, client(&[CALLBACK]), RESOURCE).unwrap_err();
        assert_eq!(failure, AuthorizeFailure::RedirectMismatch(RedirectMismatch::NotRegistered));
        let unnamed = params(|p| p.redirect_uri = None);
        let failure =
            validate(&unnamed, client(&[CALLBACK, "https://app.example/other"]), RESOURCE).unwrap_err();
        assert_eq!(failure, AuthorizeFailure::RedirectMismatch(RedirectMismatch::Missing));
    }

    #[test]
    fn once_the_redirect_uri_is_known_errors_go_back_to_the_app_with_the_state() {
        type Adjust = fn(&mut AuthorizeParams);
        let cases: [(Adjust, ErrorCode); 4] = [
            (|p| p.response_type = Some("token".into()), ErrorCode::UnsupportedResponseType),
            (|p| p.code_challenge = None, ErrorCode::InvalidRequest),
            (|p| p.code_challenge_method = Some("plain".into()), ErrorCode::InvalidRequest),
            (|p| p.resource = Some("https://other.example/mcp".into()), ErrorCode::InvalidTarget),
        ];
        for (adjust, code) in cases {
            let redirect = redirected(validate(&params(adjust), client(&[CALLBACK]), RESOURCE).unwrap_err());
            assert_eq!((redirect.redirect_uri.as_str(), redirect.code), (CALLBACK, code));
            assert_eq!(redirect.state.as_deref(), Some("xyz"));
        }
        let long_state = params(|p| p.state = Some("s".repeat(MAX_STATE_LEN + 1)));
        let redirect = redirected(validate(&long_state, client(&[CALLBACK]), RESOURCE).unwrap_err());
        assert_eq!((redirect.code, redirect.state), (ErrorCode::InvalidRequest, None), "never echoed");
    }

    #[test]
    fn a_valid_request_gets_every_scope_unless_it_names_some() {
        let valid = validate(&params(|_| {}), client(&[CALLBACK]), RESOURCE).unwrap();
        assert_eq!((valid.scopes, valid.redirect_uri_given, valid.resource), (Scopes::ALL, true, None));
        let read = params(|p| {
            p.scope = Some("norman.read offline_access".into());
            p.redirect_uri = None;
            p.resource = Some(RESOURCE.into());
        });
        let valid = validate(&read, client(&[CALLBACK]), RESOURCE).unwrap();
        assert_eq!((valid.scopes, valid.redirect_uri.as_str()), (Scopes::READ, CALLBACK));
        assert_eq!((valid.redirect_uri_given, valid.resource.as_deref()), (false, Some(RESOURCE)));
    }

    #[test]
    fn query_is_appended_to_an_existing_one() {
        let location =
            success_location("https://app.example/cb?x=1", "nmc_abc", Some("s t"), "http://localhost:3001");
        assert_eq!(
            location,
            "https://app.example/cb?x=1&code=nmc_abc&state=s+t&iss=http%3A%2F%2Flocalhost%3A3001"
        );
        let location = success_location("cursor://anysphere.cursor-retrieval/oauth/callback", "c", None, "i");
        assert_eq!(location, "cursor://anysphere.cursor-retrieval/oauth/callback?code=c&iss=i");
    }

    #[test]
    fn form_action_sources() {
        assert_eq!(form_action_source("http://127.0.0.1:6276/cb").as_deref(), Some("http://127.0.0.1:6276"));
        assert_eq!(form_action_source("cursor://x/cb").as_deref(), Some("cursor:"));
    }
}
