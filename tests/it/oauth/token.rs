//! `POST /token` with the authorization code grant: the whole flow, the refusals, client
//! authentication, the access token's lifetime and Norman tokens near their end.

use std::time::Duration;

use norman_mcp::scope::Scopes;
use norman_mcp::seal;
use norman_mcp::tokens::code::AuthorizationCode;
use norman_sandbox::DEMO_USERS;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use super::{basic, error_of, register_confidential};
use crate::support::*;

#[tokio::test]
async fn the_whole_flow_issues_tokens_and_refreshes_them() {
    let server = TestServer::start().await;
    let (client_id, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert!(access.starts_with("nma_"), "{access}");
    assert!(refresh.starts_with("nmr_"));
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "norman.read norman.write");
    let expires_in = tokens["expires_in"].as_i64().unwrap();
    assert!((3000..=3600).contains(&expires_in), "{expires_in}");

    // The access token verifies for our MCP URL and carries the user's company.
    let now = time::OffsetDateTime::now_utc();
    let principal = server
        .server
        .as_ref()
        .unwrap()
        .shared
        .verifier
        .verify(&server.keyring.current(), access, &server.mcp_url(), now)
        .unwrap();
    assert_eq!(principal.company_id.as_deref(), Some(DEMO_USERS[0].company_id));

    // Refresh: new tokens; a narrowed scope narrows the access token only (RFC 6749 §6).
    let scopes_of = |access: &str| {
        let keyring = server.keyring.current();
        let now = time::OffsetDateTime::now_utc();
        let shared = &server.server.as_ref().unwrap().shared;
        shared.verifier.verify(&keyring, access, &server.mcp_url(), now).unwrap().scopes
    };
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &client_id),
            ("scope", "norman.read"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let refreshed: Value = response.json().await.unwrap();
    assert_eq!(refreshed["scope"], "norman.read");
    assert_eq!(scopes_of(refreshed["access_token"].as_str().unwrap()), Scopes::READ);
    let narrowed_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(narrowed_refresh, refresh);
    // The rotated refresh token still holds the whole grant; no client_id needed.
    let response = refresh_with(&server, &narrowed_refresh).await;
    assert_eq!(response.status(), 200);
    let again: Value = response.json().await.unwrap();
    assert_eq!(again["scope"], "norman.read norman.write");
    assert_eq!(scopes_of(again["access_token"].as_str().unwrap()), Scopes::ALL);

    assert_not_logged(&[
        access,
        refresh,
        &narrowed_refresh,
        again["access_token"].as_str().unwrap(),
        DEMO_USERS[0].password,
    ]);
    server.stop().await;
}

#[tokio::test]
async fn code_exchange_refusals() {
    let server = TestServer::start().await;
    let SignedIn { client_id, pkce, code } = sign_in(&server, "", 0).await;
    let other_client = server.register_public(REDIRECT).await;
    let good = |extra: &[(&'static str, &str)]| {
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT.into()),
            ("client_id", client_id.clone()),
            ("code_verifier", pkce.verifier.clone()),
        ];
        for (name, value) in extra {
            form.retain(|(n, _)| n != name);
            if !value.is_empty() {
                form.push((name, value.to_string()));
            }
        }
        form
    };
    let wrong_verifier = "x".repeat(50);
    type Form<'a> = Vec<(&'a str, String)>;
    let cases: Vec<(Form, StatusCode, &str)> = vec![
        (good(&[("code_verifier", &wrong_verifier)]), StatusCode::BAD_REQUEST, "invalid_grant"),
        (good(&[("code_verifier", "")]), StatusCode::BAD_REQUEST, "invalid_request"),
        (good(&[("redirect_uri", "http://127.0.0.1:6276/other")]), StatusCode::BAD_REQUEST, "invalid_grant"),
        (good(&[("redirect_uri", "")]), StatusCode::BAD_REQUEST, "invalid_request"),
        (good(&[("client_id", &other_client)]), StatusCode::BAD_REQUEST, "invalid_grant"),
        (good(&[("resource", "https://evil.example/mcp")]), StatusCode::BAD_REQUEST, "invalid_target"),
        (good(&[("code", "nmc_garbage")]), StatusCode::BAD_REQUEST, "invalid_grant"),
        (good(&[("code", "")]), StatusCode::BAD_REQUEST, "invalid_request"),
        (good(&[("grant_type", "password")]), StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        (good(&[("grant_type", "")]), StatusCode::BAD_REQUEST, "invalid_request"),
    ];
    for (form, status, expected) in cases {
        let response = server.http.post(server.url("/token")).form(&form).send().await.unwrap();
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
        let (got_status, error, _) = error_of(response).await;
        assert_eq!((got_status, error.as_str()), (status, expected), "{form:?}");
    }
    // A client id that no longer opens: invalid_client, so the client registers again.
    let response = server
        .http
        .post(server.url("/token"))
        .form(&good(&[("client_id", "nmi_AAAA")]))
        .send()
        .await
        .unwrap();
    let (status, error, _) = error_of(response).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant"),
        "the code names another client"
    );
    // Duplicate parameters and the wrong content type.
    let body = format!("grant_type=authorization_code&code={code}&code={code}");
    let response = post_form(&server, body).await;
    assert_eq!(error_of(response).await.1, "invalid_request");
    let response = server
        .http
        .post(server.url("/token"))
        .json(&json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await.1, "invalid_request");

    // After all those refusals the code still works once (none of them spent it)…
    let response = server.http.post(server.url("/token")).form(&good(&[])).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    // …and never twice; the replay also revokes what the code issued.
    let response = server.http.post(server.url("/token")).form(&good(&[])).send().await.unwrap();
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await;
    let (_, error, _) = error_of(response).await;
    assert_eq!(error, "invalid_grant", "the family of a replayed code is revoked");
    assert_not_logged(&[&code, &pkce.verifier]);
    server.stop().await;
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let server = TestServer::start().await;
    let SignedIn { pkce, code, .. } = sign_in(&server, "", 0).await;
    // Open the real code and reseal it with an expiry in the past.
    let keyring = server.keyring.current();
    let now = time::OffsetDateTime::now_utc();
    let mut opened: AuthorizationCode = seal::open(&keyring, &code, now).unwrap();
    opened.expires_at = now - time::Duration::seconds(60);
    let expired = seal::seal(&keyring, &opened, now).unwrap();
    let response = redeem(&server, &expired, &pkce.verifier).await;
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    server.stop().await;
}

#[tokio::test]
async fn confidential_clients_authenticate_with_basic_or_post() {
    let server = TestServer::start().await;
    let (client_id, secret) = register_confidential(&server).await;

    let exchange = async |auth: Option<String>, extra: Vec<(&str, String)>| {
        let pkce = pkce();
        let code = login_for_code(&server, &client_id, &pkce, "", 1).await;
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", pkce.verifier.clone()),
        ];
        form.extend(extra);
        let mut request = server.http.post(server.url("/token")).form(&form);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send().await.unwrap()
    };

    // The client id only in Basic.
    let response = exchange(Some(basic(&client_id, &secret)), vec![]).await;
    assert_eq!(response.status(), 200);
    // client_secret_post.
    let response =
        exchange(None, vec![("client_id", client_id.clone()), ("client_secret", secret.clone())]).await;
    assert_eq!(response.status(), 200);
    // A wrong secret over Basic: 401 with a Basic challenge.
    let response = exchange(Some(basic(&client_id, "wrong-secret")), vec![]).await;
    let (status, error, headers) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "invalid_client"));
    assert!(headers[WWW_AUTHENTICATE].to_str().unwrap().starts_with("Basic"));
    // No secret at all.
    let response = exchange(None, vec![]).await;
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "invalid_client"));
    // Two methods at once.
    let response = exchange(Some(basic(&client_id, &secret)), vec![("client_secret", secret.clone())]).await;
    assert_eq!(error_of(response).await.1, "invalid_request");

    // A public client's id may come only inside the code.
    let public = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let code = login_for_code(&server, &public, &pkce, "", 0).await;
    let response = redeem(&server, &code, &pkce.verifier).await;
    assert_eq!(response.status(), 200);
    assert_not_logged(&[&secret]);
    server.stop().await;
}

/// A JWT-shaped Norman access token with only an `exp`, never sent to Norman in these tests.
fn norman_access_expiring(exp: time::OffsetDateTime) -> norman_mcp::tokens::NormanToken {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let payload = format!(r#"{{"token_type":"access","exp":{}}}"#, exp.unix_timestamp());
    norman_mcp::tokens::NormanToken::new(format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(payload.as_bytes())
    ))
}

#[tokio::test]
async fn a_code_whose_norman_token_is_about_to_end_is_exchanged_after_an_upstream_refresh() {
    use norman_mcp::norman::NormanClient;
    let server = TestServer::start().await;
    let sandbox = server.sandbox.as_ref().unwrap();
    let user = &DEMO_USERS[0];
    let norman = NormanClient::new(sandbox.url.clone(), Duration::from_secs(10)).unwrap();
    let upstream = norman.login(user.email, user.password).await.unwrap();
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let now = time::OffsetDateTime::now_utc();
    // Signed in a while ago: the Norman access token has 10 s left, less than the margin.
    let code = AuthorizationCode {
        code_id: norman_mcp::tokens::random_id().unwrap(),
        client_id: client_id.clone(),
        redirect_uri: REDIRECT.to_owned(),
        redirect_uri_given: true,
        code_challenge: pkce.challenge.clone(),
        scope: Scopes::ALL,
        resource: None,
        norman_access: norman_access_expiring(now + time::Duration::seconds(10)),
        norman_refresh: upstream.refresh.clone().unwrap(),
        company_id: Some(user.company_id.to_owned()),
        method: Default::default(),
        expires_at: now + time::Duration::seconds(60),
    };
    let code = seal::seal(&server.keyring.current(), &code, now).unwrap();
    let before = sandbox.sandbox.stats();
    let response = redeem(&server, &code, &pkce.verifier).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(sandbox.sandbox.stats().refreshes_ok, before.refreshes_ok + 1, "refreshed upstream once");
    let expires_in = tokens["expires_in"].as_i64().unwrap();
    assert!((3000..=3600).contains(&expires_in), "a fresh Norman token's lifetime: {expires_in}");
    // The access token carries the fresh Norman token (the sandbox refuses the made-up one)...
    let access = tokens["access_token"].as_str().unwrap();
    let company = tool_json(&mcp_call(&server, access, "get_company_details", json!({})).await);
    assert_eq!(company["publicId"], user.company_id);
    // ... and the refresh token the fresh Norman refresh token (the old one is spent).
    let response = refresh_with(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let after = sandbox.sandbox.stats();
    assert_eq!(after.refreshes_rejected, before.refreshes_rejected);
    assert_not_logged(&[upstream.refresh.as_ref().unwrap().expose(), access, &code]);
    server.stop().await;
}

#[tokio::test]
async fn a_sign_in_whose_norman_token_lives_seconds_still_works() {
    let sandbox = norman_sandbox::SandboxConfig { access_ttl: Duration::from_secs(20), ..Default::default() };
    let server = TestServer::start_with(Options { sandbox, ..Options::default() }).await;
    let (_, tokens) = full_flow(&server, "", 0).await;
    // A quarter of the Norman token's 20 s is kept as the margin.
    let expires_in = tokens["expires_in"].as_i64().unwrap();
    assert!((1..=16).contains(&expires_in), "{expires_in}");
    let access = tokens["access_token"].as_str().unwrap();
    let company = tool_json(&mcp_call(&server, access, "get_company_details", json!({})).await);
    assert_eq!(company["publicId"], DEMO_USERS[0].company_id);
    let response = refresh_with(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let refreshed: Value = response.json().await.unwrap();
    assert!((1..=16).contains(&refreshed["expires_in"].as_i64().unwrap()), "{refreshed}");
    server.stop().await;
}

#[tokio::test]
async fn the_access_token_lifetime_is_configurable_and_never_outlives_the_norman_token() {
    let short =
        TestServer::start_with(Options { access_token_ttl: Duration::from_secs(600), ..Options::default() })
            .await;
    let (_, tokens) = full_flow(&short, "", 0).await;
    let expires_in = tokens["expires_in"].as_i64().unwrap();
    assert!((590..=600).contains(&expires_in), "{expires_in}");
    let principal = short
        .server
        .as_ref()
        .unwrap()
        .shared
        .verifier
        .verify(
            &short.keyring.current(),
            tokens["access_token"].as_str().unwrap(),
            &short.mcp_url(),
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    let lives = principal.expires_at - time::OffsetDateTime::now_utc();
    assert!(lives <= time::Duration::seconds(600), "{lives}");
    short.stop().await;

    // A day asked, but the sandbox's Norman tokens live an hour: the hour (less the margin).
    let long = TestServer::start_with(Options {
        access_token_ttl: Duration::from_secs(24 * 3600),
        ..Options::default()
    })
    .await;
    let (_, tokens) = full_flow(&long, "", 0).await;
    let expires_in = tokens["expires_in"].as_i64().unwrap();
    assert!((3500..=3570).contains(&expires_in), "{expires_in}");
    long.stop().await;
}

/// A parameter name or value that holds a line break cannot forge a log line: values from
/// requests are logged with `Debug`, which escapes it.
#[tokio::test]
async fn a_line_break_in_a_parameter_does_not_start_a_log_line() {
    let server = TestServer::start().await;
    let marker = format!("FORGED-{}", norman_mcp::tokens::random_id().unwrap());
    let forged = format!("x\n2026-01-01T00:00:00.000000Z  INFO {marker} admin signed in");
    let body = serde_urlencoded::to_string([(forged.as_str(), "1"), (forged.as_str(), "2")]).unwrap();
    let response = post_form(&server, body).await;
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_request"));
    let logs = logs();
    let lines: Vec<&str> = logs.lines().filter(|line| line.contains(&marker)).collect();
    assert!(!lines.is_empty(), "the refusal is logged");
    for line in lines {
        assert!(line.contains("token request refused"), "a forged log line: {line}");
    }
    server.stop().await;
}

/// Posts `body` to `/token` as it stands, as an `application/x-www-form-urlencoded` form.
async fn post_form(server: &TestServer, body: String) -> reqwest::Response {
    server
        .http
        .post(server.url("/token"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Redeems `code` with its PKCE verifier (OAuth 2.1 §4.1.3), naming no client.
async fn redeem(server: &TestServer, code: &str, verifier: &str) -> reqwest::Response {
    server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .await
}
