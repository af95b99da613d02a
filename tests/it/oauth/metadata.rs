//! The metadata documents (RFC 8414, RFC 9728) and CORS for browser clients.

use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn metadata_documents_agree_on_the_issuer() {
    let server = TestServer::start().await;
    let asm: Value = json_of(server.http.get(server.url("/.well-known/oauth-authorization-server"))).await;
    assert_eq!(asm["issuer"], server.base.as_str());
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(asm["client_id_metadata_document_supported"], json!(true));
    assert_eq!(asm["authorization_response_iss_parameter_supported"], json!(true));
    assert_eq!(asm["scopes_supported"], json!(["norman.read", "norman.write"]));
    assert_eq!(asm["grant_types_supported"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(asm["registration_endpoint"], format!("{}/register", server.base));
    assert_eq!(asm["revocation_endpoint"], format!("{}/revoke", server.base));
    assert_eq!(asm["token_endpoint"], format!("{}/token", server.base));
    for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
        let prm: Value = server.http.get(server.url(path)).send().await.unwrap().json().await.unwrap();
        assert_eq!(prm["resource"], server.mcp_url());
        assert_eq!(prm["authorization_servers"], json!([server.base]), "byte-identical issuer");
        assert_eq!(prm["scopes_supported"], json!(["norman.read", "norman.write"]));
    }
    let health = server.http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn cors_for_browser_clients() {
    let server = TestServer::start().await;
    for path in ["/token", "/register", "/revoke", "/.well-known/oauth-authorization-server"] {
        let response = server
            .http
            .request(reqwest::Method::OPTIONS, server.url(path))
            .header("origin", "https://inspector.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type, mcp-protocol-version")
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], "https://inspector.example");
        let allowed = headers["access-control-allow-headers"].to_str().unwrap().to_lowercase();
        assert!(allowed.contains("mcp-protocol-version") && allowed.contains("authorization"), "{allowed}");
    }
    let response = server
        .http
        .post(server.url("/token"))
        .header("origin", "https://inspector.example")
        .form(&[("grant_type", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "https://inspector.example");
    assert!(
        response.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("www-authenticate")
    );
    server.stop().await;
}
