//! Dynamic client registration (RFC 7591), stateless: the metadata is sealed into the client
//! id. Used by `POST /register` and by `norman-mcp clients register`.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::keyring::Keyring;
use crate::oauth::client::client_secret;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::redirect::RedirectUri;
use crate::seal;
use crate::tokens::client::{ClientAuthMethod, RegisteredClient};

const MAX_REDIRECT_URIS: usize = 10;
const MAX_CLIENT_NAME: usize = 200;
/// Client ids travel in query strings; keep them well inside what every proxy accepts.
const MAX_CLIENT_ID_LEN: usize = 4096;

/// The RFC 7591 request fields we act on; any other field is accepted and ignored.
#[derive(Debug, Default, Deserialize)]
pub struct RegistrationRequest {
    #[serde(default)]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    pub client_name: Option<String>,
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    #[serde(default)]
    pub grant_types: Option<Vec<String>>,
    #[serde(default)]
    pub response_types: Option<Vec<String>>,
    #[serde(default)]
    pub application_type: Option<String>,
    /// Accepted in any form (absent, empty, unknown names): scopes are chosen at /authorize.
    #[serde(default)]
    pub scope: Option<serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct RegistrationResponse {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    pub client_id_issued_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<&'static str>,
    pub response_types: Vec<&'static str>,
    pub token_endpoint_auth_method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_type: Option<String>,
    pub scope: String,
}

fn metadata_error(description: impl Into<std::borrow::Cow<'static, str>>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, description)
}

/// Validates a registration and seals it into a client id.
pub fn register(
    keyring: &Keyring,
    request: RegistrationRequest,
    now: OffsetDateTime,
) -> Result<RegistrationResponse, OAuthError> {
    let raw_uris = request.redirect_uris.unwrap_or_default();
    if raw_uris.is_empty() {
        return Err(OAuthError::new(
            ErrorCode::InvalidRedirectUri,
            "redirect_uris must list at least one URI",
        ));
    }
    if raw_uris.len() > MAX_REDIRECT_URIS {
        return Err(OAuthError::new(
            ErrorCode::InvalidRedirectUri,
            format!("at most {MAX_REDIRECT_URIS} redirect_uris may be registered"),
        ));
    }
    let redirect_uris = raw_uris
        .iter()
        .map(|uri| RedirectUri::parse(uri))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| OAuthError::new(ErrorCode::InvalidRedirectUri, e.to_string()))?;

    // RFC 7591 §2: the default method is client_secret_basic.
    let auth_method = match request.token_endpoint_auth_method.as_deref() {
        None => ClientAuthMethod::ClientSecretBasic,
        Some(method) => ClientAuthMethod::parse(method).ok_or_else(|| {
            metadata_error(
                "token_endpoint_auth_method must be none, client_secret_post or client_secret_basic",
            )
        })?,
    };
    if let Some(grants) = &request.grant_types
        && let Some(other) =
            grants.iter().find(|g| !matches!(g.as_str(), "authorization_code" | "refresh_token"))
    {
        return Err(metadata_error(format!(
            "grant type {other:?} is not supported; use authorization_code and refresh_token"
        )));
    }
    if let Some(types) = &request.response_types
        && types.iter().any(|t| t != "code")
    {
        return Err(metadata_error("only the response type \"code\" is supported"));
    }
    let client_name = request.client_name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if client_name.as_ref().is_some_and(|n| n.chars().count() > MAX_CLIENT_NAME) {
        return Err(metadata_error(format!("client_name is longer than {MAX_CLIENT_NAME} characters")));
    }
    let application_type = match request.application_type.as_deref() {
        None => None,
        Some(t @ ("web" | "native")) => Some(t.to_owned()),
        Some(_) => return Err(metadata_error("application_type must be web or native")),
    };

    let registered = RegisteredClient {
        client_name: client_name.clone(),
        redirect_uris,
        token_endpoint_auth_method: auth_method,
        application_type: application_type.clone(),
        issued_at: now,
    };
    let client_id = seal::seal(keyring, &registered, now)
        .map_err(|e| OAuthError::new(ErrorCode::ServerError, e.to_string()))?;
    if client_id.len() > MAX_CLIENT_ID_LEN {
        return Err(metadata_error("the registration is too large; register fewer or shorter redirect URIs"));
    }
    let client_secret = match auth_method {
        ClientAuthMethod::None => None,
        _ => {
            let key = keyring.sealing_key(now).map(|k| k.id());
            Some(
                key.and_then(|id| client_secret(keyring, id, &client_id))
                    .ok_or_else(|| OAuthError::new(ErrorCode::ServerError, "no key to derive a secret"))?,
            )
        }
    };
    Ok(RegistrationResponse {
        client_secret_expires_at: client_secret.as_ref().map(|_| 0),
        client_secret,
        client_id,
        client_id_issued_at: now.unix_timestamp(),
        client_name,
        redirect_uris: registered.redirect_uris.iter().map(|u| u.as_str().to_owned()).collect(),
        grant_types: vec!["authorization_code", "refresh_token"],
        response_types: vec!["code"],
        token_endpoint_auth_method: auth_method.as_str(),
        application_type,
        scope: crate::scope::Scopes::ALL.to_string(),
    })
}
