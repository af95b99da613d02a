//! `POST /token` with the refresh token grant: scopes, Norman shedding load, concurrent
//! refreshes and the reuse of a rotated refresh token.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::{error_of, sealed_refresh};
use crate::support::*;

#[tokio::test]
async fn a_refresh_may_ask_only_for_granted_scopes() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read", 0).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    for scope in ["norman.read norman.write", "norman.write", "norman.write offline_access"] {
        let response = server
            .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", scope)])
            .await;
        let (status, error, _) = error_of(response).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_scope"), "{scope}");
    }
    // None of those spent the token. Names the server does not define are ignored, as at
    // /authorize: a client may send its original `norman.read offline_access` again.
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", " norman.read offline_access "),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["scope"], "norman.read");
    server.stop().await;
}

#[tokio::test]
async fn norman_shedding_load_is_an_outage_not_a_refusal() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU16, Ordering};

    use axum::extract::State;
    use axum::routing::post;

    let upstream_status = Arc::new(AtomicU16::new(0));
    let answer = async |State(status): State<Arc<AtomicU16>>| {
        axum::http::StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap()
    };
    let app = axum::Router::new()
        .route("/api/v1/auth/token/", post(answer))
        .route("/api/v1/auth/token/refresh/", post(answer))
        .with_state(Arc::clone(&upstream_status));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let upstream = tokio::spawn(async move { axum::serve(listener, app).await });
    let server = TestServer::start_with(Options { norman_api_url: Some(url), ..Options::default() }).await;
    let client_id = server.register_public(REDIRECT).await;
    let refresh = sealed_refresh(&server.keyring.current(), &client_id);
    let pkce = pkce();

    for status in [429, 408] {
        upstream_status.store(status, Ordering::SeqCst);
        let envelope = login_page(&server, &client_id, &pkce).await;
        let response =
            post_login(&server, &server.http, &envelope, "demo@norman.finance", "pw-pw-pw-pw", "login").await;
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{status}");
        let page = response.text().await.unwrap();
        assert!(page.contains("Norman is not reachable"), "{status}: {page}");
        assert!(!page.contains("The email or password is not correct."), "{status}");

        let response = refresh_with(&server, &refresh).await;
        let (got, error, headers) = error_of(response).await;
        assert_eq!(
            (got, error.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
            "{status}"
        );
        assert!(headers.contains_key("retry-after"), "{status}");
    }
    // A refusal is still one: the grant has ended.
    upstream_status.store(401, Ordering::SeqCst);
    let response = refresh_with(&server, &refresh).await;
    let (got, error, _) = error_of(response).await;
    assert_eq!((got, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert_not_logged(&[&refresh]);
    server.stop().await;
    upstream.abort();
}

#[tokio::test]
async fn concurrent_refreshes_share_one_rotation_and_never_fork_the_grant() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "", 0).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let sandbox = server.sandbox.as_ref().unwrap().sandbox.clone();
    let before = sandbox.stats();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let http = server.http.clone();
            let url = server.url("/token");
            let refresh = refresh.clone();
            tokio::spawn(async move {
                let response = http
                    .post(url)
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())])
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut answered = 0;
    let mut access_tokens = std::collections::HashSet::new();
    let mut refresh_tokens = std::collections::HashSet::new();
    for call in calls {
        // Callers that joined the rotation while it ran get its answer; one that came after it
        // finished is a concurrent duplicate: refused, the grant left alone.
        match call.await.unwrap() {
            (StatusCode::OK, body) => {
                answered += 1;
                access_tokens.insert(body["access_token"].as_str().unwrap().to_owned());
                refresh_tokens.insert(body["refresh_token"].as_str().unwrap().to_owned());
            }
            (status, body) => {
                assert_eq!(
                    (status, body["error"].as_str()),
                    (StatusCode::BAD_REQUEST, Some("invalid_grant"))
                );
                assert!(body["error_description"].as_str().unwrap().contains("concurrent"), "{body}");
            }
        }
    }
    let after = sandbox.stats();
    assert_eq!(after.refreshes_ok - before.refreshes_ok, 1, "one upstream refresh for eight callers");
    assert_eq!(after.refreshes_rejected, before.refreshes_rejected, "no spent Norman refresh token reused");
    assert!(answered > 0);
    assert_eq!(refresh_tokens.len(), 1, "one rotation, one successor: the grant does not fork");
    assert_eq!(access_tokens.len(), answered, "each caller that got tokens got its own access token");
    let successor = refresh_tokens.into_iter().next().unwrap();
    assert_eq!(refresh_with(&server, &successor).await.status(), StatusCode::OK, "the grant lives on");
    server.stop().await;
}

#[tokio::test]
async fn a_refresh_token_presented_after_its_rotation_is_refused_then_revoked_after_the_grace() {
    let grace = Duration::from_secs(2);
    let replay = norman_mcp::config::ReplayConfig { refresh_grace: grace, ..Default::default() };
    let server = TestServer::start_with(Options { replay, ..Options::default() }).await;
    let (_, tokens) = full_flow(&server, "", 0).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let response = refresh_with(&server, &first).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second = response.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();

    // The rotation has finished: its answer is not handed out again. Within the grace window
    // the grant is left alone, so the successor keeps working.
    let response = refresh_with(&server, &first).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("concurrent"), "{body}");
    let response = refresh_with(&server, &second).await;
    assert_eq!(response.status(), StatusCode::OK);
    let third = response.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();

    // After the grace window the old token is a copy: the whole grant ends.
    tokio::time::sleep(grace + Duration::from_millis(300)).await;
    let (status, error, _) = error_of(refresh_with(&server, &first).await).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let (_, error, _) = error_of(refresh_with(&server, &third).await).await;
    assert_eq!(error, "invalid_grant", "the family is revoked");
    assert_not_logged(&[&first, &second, &third]);
    server.stop().await;
}
