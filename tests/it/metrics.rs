//! `GET /metrics` over real HTTP after real traffic: every family the operators need, with the
//! counts the traffic must have produced, and nothing secret in it.

use crate::support::*;
use serde_json::{Value, json};

fn value_of(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or_else(|| panic!("{series} is missing from:\n{text}"))
}

#[tokio::test]
async fn metrics_count_what_happened_and_hold_no_secret() {
    let server = TestServer::start().await;
    let signed_in = sign_in(&server, "norman.read norman.write", 0).await;
    let (client_id, code) = (signed_in.client_id.as_str(), signed_in.code.as_str());
    let exchange = signed_in.exchange();
    let tokens: Value = server.token(&exchange).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    assert_eq!(mcp_post(&server, None, &list).await.status(), 401);
    assert_eq!(mcp_post(&server, Some("not-a-token"), &list).await.status(), 401);
    for _ in 0..3 {
        mcp_call(&server, &access, "get_company_details", json!({})).await;
    }
    let refreshed = server
        .token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh), ("client_id", client_id)])
        .await;
    assert_eq!(refreshed.status(), 200);
    // Replayed last: a replay revokes the grant, so the refresh above would be refused after it.
    let replay = server.token(&exchange).await;
    assert_eq!(replay.status(), 400);

    let response = server.http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");

    assert_eq!(value_of(&text, r#"norman_mcp_tokens_issued_total{grant_type="authorization_code"}"#), 1.0);
    assert_eq!(value_of(&text, r#"norman_mcp_tokens_issued_total{grant_type="refresh_token"}"#), 1.0);
    assert_eq!(value_of(&text, r#"norman_mcp_replay_guard_hits_total{event="code_replayed"}"#), 1.0);
    assert_eq!(value_of(&text, r#"norman_mcp_access_token_verifications_total{outcome="ok"}"#), 3.0);
    assert_eq!(value_of(&text, r#"norman_mcp_access_token_verifications_total{outcome="missing"}"#), 1.0);
    assert_eq!(value_of(&text, r#"norman_mcp_access_token_verifications_total{outcome="malformed"}"#), 1.0);
    assert_eq!(value_of(&text, r#"norman_mcp_http_requests_total{route="/token",status="200"}"#), 2.0);
    assert_eq!(value_of(&text, r#"norman_mcp_http_requests_total{route="/token",status="400"}"#), 1.0);
    assert_eq!(value_of(&text, r#"norman_mcp_http_requests_total{route="/mcp",status="200"}"#), 3.0);
    assert_eq!(value_of(&text, r#"norman_mcp_http_requests_total{route="/mcp",status="401"}"#), 2.0);
    assert_eq!(
        value_of(&text, r#"norman_mcp_upstream_request_duration_seconds_count{operation="login"}"#),
        1.0
    );
    assert_eq!(
        value_of(&text, r#"norman_mcp_upstream_request_duration_seconds_count{operation="companies"}"#),
        1.0
    );
    assert_eq!(
        value_of(&text, r#"norman_mcp_upstream_request_duration_seconds_count{operation="refresh"}"#),
        1.0
    );
    assert_eq!(
        value_of(&text, r#"norman_mcp_upstream_request_duration_seconds_count{operation="api"}"#),
        3.0
    );
    assert!(value_of(&text, r#"norman_mcp_upstream_request_duration_seconds_sum{operation="api"}"#) > 0.0);
    assert_eq!(value_of(&text, "norman_mcp_keys_in_force"), 1.0);
    assert!(value_of(&text, "norman_mcp_sealing_key_id") >= 1.0);

    for secret in [access.as_str(), refresh.as_str(), code, client_id, "demo-password-1"] {
        assert!(!text.contains(secret), "a secret in /metrics");
    }
    server.stop().await;
}

#[tokio::test]
async fn metrics_on_their_own_listener_are_gone_from_the_public_one() {
    let server = TestServer::start_with(Options {
        metrics_bind: Some("127.0.0.1:0".parse().unwrap()),
        ..Options::default()
    })
    .await;
    let metrics_addr = server.metrics_addr().expect("a metrics listener");
    assert_ne!(metrics_addr.port(), 0);

    let public = server.http.get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404);
    assert!(public.headers().get("www-authenticate").is_none(), "an unknown path is not a bearer challenge");
    assert_eq!(server.http.get(server.url("/healthz")).send().await.unwrap().status(), 200);

    let private = |path: &str| format!("http://{metrics_addr}{path}");
    let response = server.http.get(private("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = response.text().await.unwrap();
    // The public listener still counts its own traffic, the refused scrape included.
    assert_eq!(value_of(&text, r#"norman_mcp_http_requests_total{route="/healthz",status="200"}"#), 1.0);
    assert_eq!(value_of(&text, r#"norman_mcp_http_requests_total{route="unmatched",status="404"}"#), 1.0);
    assert!(text.ends_with("# EOF\n"), "{text}");

    // The operators' listener serves the metrics and nothing else.
    for path in ["/mcp", "/token", "/healthz", "/.well-known/oauth-authorization-server"] {
        let response = server.http.get(private(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path} on the metrics listener");
    }

    server.stop().await;
    assert!(
        tokio::net::TcpStream::connect(metrics_addr).await.is_err(),
        "the metrics listener outlived the server"
    );
}
