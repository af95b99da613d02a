//! Norman's OAuth authorization server as the sandbox plays it: the approval page, codes that
//! are redeemed once by their client at their redirect URI, refresh tokens that rotate and
//! belong to the client, and tokens that work on the API like a password login's.

use std::collections::HashMap;
use std::time::Duration;

use norman_sandbox::{OAuthClient, Sandbox, SandboxConfig, SandboxHandle};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};
use url::Url;

use crate::support::{USER1, USER2};

const CALLBACK: &str = "https://mcp.example/oauth/callback";

async fn start(access_ttl: Duration) -> SandboxHandle {
    let client = OAuthClient::parse(&format!("norman-mcp:s3cret:{CALLBACK}")).unwrap();
    let config = SandboxConfig { access_ttl, oauth_clients: vec![client], ..SandboxConfig::default() };
    Sandbox::spawn(config).await.expect("sandbox starts")
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn query(location: &str) -> HashMap<String, String> {
    Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

/// The approval form's answer: the response (a redirect, or the page again).
async fn answer(handle: &SandboxHandle, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("client_id", "norman-mcp"),
        ("redirect_uri", CALLBACK),
        ("state", "st-9"),
        ("scope", "read write"),
    ];
    form.extend_from_slice(fields);
    browser().post(handle.url.join("api/v1/oauth/authorize/").unwrap()).form(&form).send().await.unwrap()
}

/// Approves as `email`/`password`; the code.
async fn approve(handle: &SandboxHandle, email: &str, password: &str) -> String {
    let response = answer(handle, &[("email", email), ("password", password), ("action", "approve")]).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let params = query(response.headers()[LOCATION].to_str().unwrap());
    assert_eq!(params["state"], "st-9");
    params["code"].clone()
}

async fn token(handle: &SandboxHandle, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response =
        browser().post(handle.url.join("api/v1/oauth/token/").unwrap()).form(form).send().await.unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn exchange(handle: &SandboxHandle, code: &str) -> (StatusCode, Value) {
    token(
        handle,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("client_id", "norman-mcp"),
            ("client_secret", "s3cret"),
        ],
    )
    .await
}

async fn companies(handle: &SandboxHandle, access: &str) -> (StatusCode, Value) {
    let response = browser()
        .get(handle.url.join("api/v1/companies/").unwrap())
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

#[tokio::test]
async fn the_approval_page_checks_the_client_and_its_redirect_uri_before_anything() {
    let handle = start(Duration::from_secs(3600)).await;
    let page = |params: &[(&str, &str)]| {
        let url =
            Url::parse_with_params(handle.url.join("api/v1/oauth/authorize/").unwrap().as_str(), params)
                .unwrap();
        browser().get(url).send()
    };
    let ok = page(&[
        ("response_type", "code"),
        ("client_id", "norman-mcp"),
        ("redirect_uri", CALLBACK),
        ("state", "s<1>"),
        ("scope", "read write"),
    ])
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    let html = ok.text().await.unwrap();
    assert!(html.contains("name=\"password\"") && html.contains("value=\"s&lt;1&gt;\""), "{html}");
    for (client, uri) in
        [("unknown", CALLBACK), ("norman-mcp", "https://evil.example/cb"), ("norman-mcp", "")]
    {
        let refused =
            page(&[("response_type", "code"), ("client_id", client), ("redirect_uri", uri)]).await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{client} {uri}");
        assert!(refused.headers().get(LOCATION).is_none(), "a page, never a redirect");
    }
    let wrong_type = page(&[
        ("response_type", "token"),
        ("client_id", "norman-mcp"),
        ("redirect_uri", CALLBACK),
        ("state", "x"),
    ])
    .await
    .unwrap();
    assert_eq!(wrong_type.status(), StatusCode::FOUND);
    assert_eq!(query(wrong_type.headers()[LOCATION].to_str().unwrap())["error"], "unsupported_response_type");

    // Deny: back to the client with access_denied and the state.
    let denied = answer(&handle, &[("action", "deny")]).await;
    assert_eq!(denied.status(), StatusCode::FOUND);
    let params = query(denied.headers()[LOCATION].to_str().unwrap());
    assert_eq!((params["error"].as_str(), params["state"].as_str()), ("access_denied", "st-9"));
    assert!(!params.contains_key("code"));
    // A wrong password shows the page again.
    let wrong = answer(&handle, &[("email", USER1.email), ("password", "nope"), ("action", "approve")]).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await.unwrap().contains("not correct"));
    assert_eq!(handle.sandbox.stats().oauth_denied, 1);
    handle.shutdown().await;
}

#[tokio::test]
async fn a_code_buys_tokens_that_work_like_a_password_login_s_once() {
    let handle = start(Duration::from_secs(120)).await;
    let code = approve(&handle, USER2.email, USER2.password).await;
    let (status, tokens) = exchange(&handle, &code).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 120, "the sandbox's --access-ttl");
    let (status, list) = companies(&handle, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["results"][0]["publicId"], USER2.company_id, "the approving person's company");
    assert_eq!(
        exchange(&handle, &code).await,
        (StatusCode::BAD_REQUEST, json!({ "error": "invalid_grant" })),
        "single use"
    );

    // The redirect URI must be the one the code was issued for, the client must authenticate.
    let code = approve(&handle, USER1.email, USER1.password).await;
    let other_uri = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://mcp.example/other"),
        ("client_id", "norman-mcp"),
        ("client_secret", "s3cret"),
    ];
    assert_eq!(token(&handle, &other_uri).await.0, StatusCode::BAD_REQUEST);
    let code = approve(&handle, USER1.email, USER1.password).await;
    for secret in ["wrong", ""] {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("client_id", "norman-mcp"),
            ("client_secret", secret),
        ];
        assert_eq!(
            token(&handle, &form).await,
            (StatusCode::UNAUTHORIZED, json!({ "error": "invalid_client" }))
        );
    }
    // HTTP Basic authenticates too (RFC 6749 §2.3.1).
    let response = browser()
        .post(handle.url.join("api/v1/oauth/token/").unwrap())
        .basic_auth("norman-mcp", Some("s3cret"))
        .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    handle.shutdown().await;
}

#[tokio::test]
async fn refresh_tokens_rotate_and_belong_to_the_client() {
    let handle = start(Duration::from_secs(3600)).await;
    let code = approve(&handle, USER1.email, USER1.password).await;
    let (_, tokens) = exchange(&handle, &code).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |refresh: String| {
        let handle = &handle;
        async move {
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
                ("client_id", "norman-mcp"),
                ("client_secret", "s3cret"),
            ];
            token(handle, &form).await
        }
    };
    // The password login's refresh endpoint does not take it.
    let response = browser()
        .post(handle.url.join("api/v1/auth/token/refresh/").unwrap())
        .json(&json!({ "refresh": first }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let (status, renewed) = refresh(first.clone()).await;
    assert_eq!(status, StatusCode::OK, "{renewed}");
    assert_eq!(companies(&handle, renewed["access_token"].as_str().unwrap()).await.0, StatusCode::OK);
    assert_eq!(refresh(first).await.0, StatusCode::BAD_REQUEST, "rotated: spent");
    let next = renewed["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(refresh(next).await.0, StatusCode::OK);
    let stats = handle.sandbox.stats();
    assert_eq!((stats.oauth_codes_ok, stats.oauth_refreshes_ok, stats.refreshes_ok), (1, 2, 0));
    handle.shutdown().await;
}
