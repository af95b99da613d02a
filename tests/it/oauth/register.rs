//! Dynamic client registration (RFC 7591): what real clients send, and the refusals.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE};
use serde_json::{Value, json};

use super::error_of;
use crate::support::*;

#[tokio::test]
async fn registration_accepts_what_real_clients_send() {
    let server = TestServer::start().await;
    let response = server
        .register(json!({
            "client_name": "Cursor",
            "redirect_uris": [
                "cursor://anysphere.cursor-retrieval/oauth/user-norman/callback",
                "https://claude.ai/api/mcp/auth_callback",
                "http://localhost:6274/oauth/callback",
                "http://127.0.0.1/callback",
                "http://[::1]:33418/cb"
            ],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "application_type": "native",
            "scope": "",
            "software_id": "ignored",
            "contacts": ["someone@example.com"]
        }))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let body: Value = response.json().await.unwrap();
    assert!(body["client_id"].as_str().unwrap().starts_with("nmi_"));
    assert!(body.get("client_secret").is_none());
    assert_eq!(body["token_endpoint_auth_method"], "none");
    assert_eq!(body["redirect_uris"].as_array().unwrap().len(), 5);

    // Missing scope and auth method: RFC 7591 defaults to client_secret_basic, with a secret.
    let response = server.register(json!({"redirect_uris": ["https://app.example/cb"]})).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["client_secret_expires_at"], 0);
    assert!(body["client_secret"].as_str().unwrap().len() >= 40);
    server.stop().await;
}

#[tokio::test]
async fn registration_refusals() {
    let server = TestServer::start().await;
    for bad in [
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "https://app.example/cb#fragment",
        "http://app.example/cb",
        "not a uri",
    ] {
        let response =
            server.register(json!({"redirect_uris": [bad], "token_endpoint_auth_method": "none"})).await;
        let (status, error, _) = error_of(response).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_redirect_uri"), "{bad}");
    }
    let (status, error, _) = error_of(server.register(json!({"client_name": "x"})).await).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_redirect_uri"));
    let (_, error, _) = error_of(
        server.register(json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"})).await,
    )
    .await;
    assert_eq!(error, "invalid_client_metadata");
    let (_, error, _) = error_of(
        server
            .register(
                json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["client_credentials"]}),
            )
            .await,
    )
    .await;
    assert_eq!(error, "invalid_client_metadata");
    let response = server
        .http
        .post(server.url("/register"))
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_client_metadata"));
    let huge = "x".repeat(100 * 1024);
    let response = server
        .http
        .post(server.url("/register"))
        .header(CONTENT_TYPE, "application/json")
        .body(format!("{{\"client_name\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    server.stop().await;
}
