//! `POST /revoke` (RFC 7009): refresh and access tokens, and whose token it is.

use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::{Value, json};

use super::{basic, error_of, register_confidential};
use crate::support::*;

#[tokio::test]
async fn revocation() {
    let server = TestServer::start().await;
    let (client_id, tokens) = full_flow(&server, "", 0).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let revoke = async |form: &[(&str, &str)]| {
        server.http.post(server.url("/revoke")).form(form).send().await.unwrap()
    };

    assert_eq!(revoke(&[("token", "garbage")]).await.status(), 200);
    assert_eq!(revoke(&[("token", "nmr_AAAA"), ("token_type_hint", "refresh_token")]).await.status(), 200);
    assert_eq!(error_of(revoke(&[("token_type_hint", "refresh_token")]).await).await.1, "invalid_request");

    // A rotation of the refresh token, then revoking the original ends the whole family.
    let rotated: Value = refresh_with(&server, refresh).await.json().await.unwrap();
    assert_eq!(revoke(&[("token", refresh), ("client_id", &client_id)]).await.status(), 200);
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rotated["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(error_of(response).await.1, "invalid_grant");

    // Revoking the access token puts its id on the deny list.
    assert_eq!(revoke(&[("token", access)]).await.status(), 200);
    let principal = server
        .server
        .as_ref()
        .unwrap()
        .shared
        .verifier
        .verify(&server.keyring.current(), access, &server.mcp_url(), time::OffsetDateTime::now_utc())
        .unwrap();
    let denied = server
        .server
        .as_ref()
        .unwrap()
        .shared
        .guard
        .contains(norman_mcp::guard::GuardSpace::DeniedAccess, &principal.token_id)
        .await
        .unwrap();
    assert!(denied);
    server.stop().await;
}

#[tokio::test]
async fn revocation_checks_whose_token_it_is() {
    let server = TestServer::start().await;
    let (confidential, secret) = register_confidential(&server).await;
    let credentials = basic(&confidential, &secret);
    let pkce = pkce();
    let code = login_for_code(&server, &confidential, &pkce, "", 1).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let post = |path: &str, form: &[(&str, &str)], auth: Option<&str>| {
        let mut request = server.http.post(server.url(path)).form(form);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    let tokens: Value = post("/token", &form, Some(&credentials)).await.unwrap().json().await.unwrap();
    let confidential_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (public, public_tokens) = full_flow(&server, "", 0).await;
    let public_access = public_tokens["access_token"].as_str().unwrap().to_owned();
    let refreshes = async |refresh: &str| {
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        post("/token", &form, Some(&credentials)).await.unwrap().status() == 200
    };
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});

    // A confidential client's refresh token, without that client's credentials: refused.
    let response = post("/revoke", &[("token", &confidential_refresh)], None).await.unwrap();
    let (status, error, headers) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "invalid_client"));
    assert!(headers[WWW_AUTHENTICATE].to_str().unwrap().starts_with("Basic"));
    // Presented by another client: left alone, and the answer says nothing about it.
    let response =
        post("/revoke", &[("token", &confidential_refresh), ("client_id", &public)], None).await.unwrap();
    assert_eq!(response.status(), 200);
    let response = post("/revoke", &[("token", &public_access)], Some(&credentials)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(refreshes(&confidential_refresh).await, "the confidential grant was revoked by others");
    assert_eq!(
        mcp_post(&server, Some(&public_access), &list).await.status(),
        200,
        "revoked by another client"
    );

    // Each by its own client: revoked.
    let response = post("/revoke", &[("token", &confidential_refresh)], Some(&credentials)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(!refreshes(&confidential_refresh).await);
    let response = post("/revoke", &[("token", &public_access), ("client_id", &public)], None).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(mcp_post(&server, Some(&public_access), &list).await.status(), 401);
    assert_not_logged(&[&secret, &confidential_refresh, &public_access]);
    server.stop().await;
}
