//! `GET /authorize`: error pages for unknown clients and redirect URIs, errors sent back
//! to the app once the redirect URI is known, and the login page itself.

use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn authorize_shows_an_error_page_and_never_redirects_for_unknown_clients_or_redirects() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    // A character in the middle, changed for certain: the last base64url character carries
    // only some bits, and replacing it with itself would change nothing.
    let forged = {
        let mut bytes = client_id.clone().into_bytes();
        let middle = bytes.len() / 2;
        bytes[middle] = if bytes[middle] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    let other_keyring_client = {
        let keys = norman_mcp::keyring::KeyFile::generate(time::OffsetDateTime::now_utc()).unwrap();
        let keyring = norman_mcp::keyring::Keyring::from_file(&keys);
        norman_mcp::oauth::register::register(
            &keyring,
            norman_mcp::oauth::register::RegistrationRequest {
                redirect_uris: Some(vec![REDIRECT.to_owned()]),
                token_endpoint_auth_method: Some("none".into()),
                ..Default::default()
            },
            time::OffsetDateTime::now_utc(),
        )
        .unwrap()
        .client_id
    };
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (with(authorize_params(&client_id, &pkce), "client_id", None), "client_id is missing"),
        (with(authorize_params(&client_id, &pkce), "client_id", Some("unknown-client")), "not known"),
        (with(authorize_params(&client_id, &pkce), "client_id", Some(&forged)), "the connection in your app"),
        (
            with(authorize_params(&client_id, &pkce), "client_id", Some(&other_keyring_client)),
            "no longer valid",
        ),
        (
            with(
                authorize_params(&client_id, &pkce),
                "redirect_uri",
                Some("http://127.0.0.1:6276/elsewhere"),
            ),
            "not one this app registered",
        ),
        (
            with(authorize_params(&client_id, &pkce), "redirect_uri", Some("https://attacker.example/cb")),
            "not one this app registered",
        ),
    ];
    for (params, message) in cases {
        let response = server.authorize(&params).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{message}");
        assert!(response.headers().get(LOCATION).is_none(), "never a redirect: {message}");
        assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{message}: {page}");
    }
    server.stop().await;
}

#[tokio::test]
async fn authorize_errors_after_the_redirect_is_known_go_back_with_state_and_iss() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let base = authorize_params(&client_id, &pkce);
    let cases = vec![
        (with(base.clone(), "response_type", Some("token")), "unsupported_response_type"),
        (with(base.clone(), "response_type", None), "invalid_request"),
        (with(base.clone(), "code_challenge_method", Some("plain")), "invalid_request"),
        (with(base.clone(), "code_challenge_method", None), "invalid_request"),
        (with(base.clone(), "code_challenge", None), "invalid_request"),
        (with(base.clone(), "code_challenge", Some("too-short")), "invalid_request"),
        (with(base.clone(), "resource", Some("https://evil.example/mcp")), "invalid_target"),
        (with(base.clone(), "resource", Some("http://127.0.0.1:1/mcp")), "invalid_target"),
    ];
    for (params, expected) in cases {
        let response = server.authorize(&params).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{expected}");
        let (url, query) = location_params(response.headers());
        assert_eq!(format!("{}://{}{}", url.scheme(), url.authority(), url.path()), REDIRECT);
        assert_eq!(query["error"], expected);
        assert_eq!(query["state"], "st-1");
        assert_eq!(query["iss"], server.base);
    }
    // Loopback redirect URIs match with any port (RFC 8252 §7.3).
    let other_port = "http://127.0.0.1:49152/oauth/callback";
    let response = server.authorize(&with(base.clone(), "redirect_uri", Some(other_port))).await;
    assert_eq!(response.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn the_login_page_is_safe_and_says_what_is_asked() {
    let server = TestServer::start().await;
    let response = server
        .register(json!({
            "client_name": "<script>alert('x')</script> Tool",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none"
        }))
        .await;
    let client_id = response.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
    let pkce = pkce();
    let canonical_with_slash = format!("{}/", server.mcp_url().to_uppercase().replace("/MCP", "/mcp"));
    let params = with(authorize_params(&client_id, &pkce), "resource", Some(&canonical_with_slash));
    let params = with(params, "scope", Some("  norman.read  offline_access "));
    let response = server.authorize(&params).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("form-action 'self' http://127.0.0.1:6276"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers[CACHE_CONTROL], "no-store");
    let cookie = headers[SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let page = response.text().await.unwrap();
    assert!(!page.contains("<script>alert"), "client name escaped");
    assert!(page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"), "{page}");
    assert!(page.contains("127.0.0.1"), "redirect host shown");
    assert!(page.contains("runs on this computer"), "localhost warning");
    assert!(page.contains("read your company"));
    assert!(!page.contains("create and change"), "read-only request asks no write access");
    assert!(page.contains("<label for=\"email\">") && page.contains("<label for=\"password\">"));
    assert!(page.contains("name=\"viewport\""));

    // Empty scope means every scope.
    let response = server.authorize(&with(authorize_params(&client_id, &pkce), "scope", Some(""))).await;
    assert!(response.text().await.unwrap().contains("create and change"));
    let css = server.http.get(server.url("/assets/norman.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    server.stop().await;
}
