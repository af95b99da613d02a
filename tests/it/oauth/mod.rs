//! The authorization server over real HTTP: the whole flow against the sandbox Norman API and
//! every refusal, each asserting the status and the OAuth error code.

mod authorize;
mod client_documents;
mod deployments;
mod login;
mod metadata;
mod refresh;
mod register;
mod revoke;
mod token;

use norman_mcp::scope::Scopes;
use norman_mcp::seal;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

/// An OAuth error response (RFC 6749 §5.2): its status, `error` code and headers.
async fn error_of(response: reqwest::Response) -> (StatusCode, String, reqwest::header::HeaderMap) {
    let status = response.status();
    let headers = response.headers().clone();
    let body: Value = response.json().await.expect("an OAuth error is JSON");
    (status, body["error"].as_str().unwrap_or_default().to_owned(), headers)
}

/// A refresh token for `client_id` as the token endpoint issues it, for a Norman refresh token
/// the test's upstream never checks.
fn sealed_refresh(keyring: &norman_mcp::keyring::Keyring, client_id: &str) -> String {
    use norman_mcp::tokens::refresh::{REFRESH_LIFETIME, RefreshToken};
    use norman_mcp::tokens::{NormanToken, random_id};
    let now = time::OffsetDateTime::now_utc();
    let refresh = RefreshToken {
        token_id: random_id().unwrap(),
        family_id: random_id().unwrap(),
        client_id: client_id.to_owned(),
        scope: Scopes::ALL,
        resource: None,
        norman_refresh: NormanToken::new("norman-refresh-never-checked".to_owned()),
        company_id: None,
        method: Default::default(),
        expires_at: now + REFRESH_LIFETIME,
    };
    seal::seal(keyring, &refresh, now).unwrap()
}

/// A client_secret_basic registration: its client id and secret.
async fn register_confidential(server: &TestServer) -> (String, String) {
    let registered: Value = server
        .register(json!({"client_name": "Server app", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"}))
        .await
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    (client_id, registered["client_secret"].as_str().unwrap().to_owned())
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
}
