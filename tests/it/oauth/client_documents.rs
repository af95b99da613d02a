//! Client ID Metadata Documents as the endpoints see them: a document that cannot be
//! fetched now is an outage, not an unknown client; the bounds on fetches on the wire.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{error_of, sealed_refresh};
use crate::support::tls::{Reply, TlsServer};
use crate::support::*;

/// The authorization server's routes, its metadata fetcher trusting `certificate` on
/// loopback (the test server's fetcher trusts only public CAs and addresses), changed by
/// `adjust`. 127.0.0.1 is a trusted proxy: `X-Forwarded-For` names the client.
async fn auth_server_trusting(
    certificate: Vec<u8>,
    adjust: impl FnOnce(norman_mcp::oauth::cimd::CimdConfig) -> norman_mcp::oauth::cimd::CimdConfig,
) -> (String, std::sync::Arc<norman_mcp::keyring::SharedKeyring>, tokio::task::JoinHandle<()>) {
    use std::sync::Arc;

    // The tests of this server read its logs, also when they run alone.
    crate::support::capture_logs();

    use norman_mcp::config::Config;
    use norman_mcp::guard::MemoryGuard;
    use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
    use norman_mcp::oauth::cimd::CimdConfig;
    use norman_mcp::server::Shared;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let keys = KeyFile::generate(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).unwrap();
    let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(&base)));
    // Never reached: every request here stops at the client lookup.
    let mut config = Config::local(addr, url::Url::parse("http://127.0.0.1:9/").unwrap());
    config.norman_api_timeout = Duration::from_secs(1);
    config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    config.metadata_fetch = adjust(CimdConfig {
        allow_private_addresses: true,
        timeout: Duration::from_millis(500),
        extra_root_certificates: vec![certificate],
        ..CimdConfig::default()
    });
    let auth =
        Shared::new(&config, Arc::clone(&keyring), Arc::new(MemoryGuard::new())).unwrap().auth_server();
    let app = norman_mcp::oauth::http::routes(Arc::new(auth))
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, keyring, task)
}

/// MCP clients delete their registration and tokens on invalid_client: a metadata document
/// that cannot be fetched right now must not cause that.
#[tokio::test]
async fn a_metadata_document_that_cannot_be_fetched_now_is_an_outage_not_an_unknown_client() {
    let documents = TlsServer::start(|base, path| match path {
        "/down.json" => Reply { status: 500, ..Reply::json(&json!({})) },
        "/busy.json" => Reply { status: 429, ..Reply::json(&json!({})) },
        "/slow.json" => Reply { delay: Duration::from_secs(3), ..Reply::json(&json!({})) },
        "/gone.json" => Reply { status: 404, ..Reply::json(&json!({})) },
        _ => Reply::json(&json!({"client_id": format!("{base}/other.json"), "redirect_uris": [REDIRECT]})),
    })
    .await;
    let unreachable = format!("https://localhost:{}/client.json", free_port());
    // Each case on its own: a host that did not answer is otherwise not asked again for a while.
    let (base, keyring, server_task) = auth_server_trusting(documents.certificate.clone(), |config| {
        norman_mcp::oauth::cimd::CimdConfig { negative_cache_ttl: std::time::Duration::ZERO, ..config }
    })
    .await;
    let http = http_client();
    let cases = [
        (documents.url("/down.json"), StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (documents.url("/busy.json"), StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (documents.url("/slow.json"), StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (unreachable, StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (documents.url("/gone.json"), StatusCode::UNAUTHORIZED, "invalid_client"),
        (documents.url("/mismatch.json"), StatusCode::UNAUTHORIZED, "invalid_client"),
    ];
    for (client_id, status, expected) in cases {
        let refresh = sealed_refresh(&keyring.current(), &client_id);
        let response = refresh_at(&http, &base, &refresh).await;
        let (got, error, headers) = error_of(response).await;
        assert_eq!((got, error.as_str()), (status, expected), "/token {client_id}");
        assert_eq!(headers.contains_key("retry-after"), status == StatusCode::SERVICE_UNAVAILABLE);
        let response = http
            .post(format!("{base}/revoke"))
            .form(&[("token", refresh.as_str()), ("client_id", &client_id)])
            .send()
            .await
            .unwrap();
        let (got, error, _) = error_of(response).await;
        assert_eq!((got, error.as_str()), (status, expected), "/revoke {client_id}");
        assert_not_logged(&[&refresh]);
    }
    server_task.abort();
    documents.stop().await;
}

/// What a client sees of the bounds on metadata document fetches: an address that caused too
/// many new fetches gets a 429 page at /authorize (and 503 at /revoke) while another address
/// does not; while every fetch slot is taken, a fetch waits briefly, then /token answers 503
/// `temporarily_unavailable` and /authorize a 503 page.
#[tokio::test]
async fn metadata_document_fetches_are_bounded_on_the_wire() {
    use std::num::NonZeroU32;
    use std::time::Instant;

    use norman_mcp::oauth::cimd::CimdConfig;

    let documents = TlsServer::start(|base, path| {
        if path.starts_with("/stall") {
            return Reply { delay: Duration::from_secs(30), ..Reply::json(&json!({})) };
        }
        Reply::json(&json!({"client_id": format!("{base}{path}"), "redirect_uris": [REDIRECT]}))
    })
    .await;
    let (base, keyring, server_task) =
        auth_server_trusting(documents.certificate.clone(), |config| CimdConfig {
            max_concurrent_fetches: 2,
            queue_wait: Duration::from_millis(300),
            timeout: Duration::from_secs(20),
            fetches_per_address_per_minute: NonZeroU32::new(3),
            ..config
        })
        .await;
    let http = http_client();
    let pkce = pkce();
    let authorize = |client: &str, from: &str| {
        let client_id = documents.url(&format!("/{client}.json"));
        let request = http
            .get(format!("{base}/authorize"))
            .query(&authorize_params(&client_id, &pkce))
            .header("x-forwarded-for", from)
            .send();
        async move {
            let response = request.await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };

    // Three new fetches from one address, then a fourth.
    for client in ["a1", "a2", "a3"] {
        assert_eq!(authorize(client, "192.0.2.1").await.0, StatusCode::OK, "{client}");
    }
    let (status, page) = authorize("a4", "192.0.2.1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("too many new apps were connected from your network"), "{page}");
    assert_eq!(authorize("a1", "192.0.2.1").await.0, StatusCode::OK, "a cached document costs nothing");
    let response = http
        .post(format!("{base}/revoke"))
        .header("x-forwarded-for", "192.0.2.1")
        .form(&[("token", "nmr_anything"), ("client_id", &documents.url("/a5.json"))])
        .send()
        .await
        .unwrap();
    let (status, error, headers) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"));
    assert!(headers.contains_key("retry-after"));
    assert_eq!(authorize("a4", "192.0.2.2").await.0, StatusCode::OK, "another address has its own limit");

    // Two documents that never come take both fetch slots.
    let stalled =
        [tokio::spawn(authorize("stall1", "192.0.2.3")), tokio::spawn(authorize("stall2", "192.0.2.3"))];
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refresh = sealed_refresh(&keyring.current(), &documents.url("/b1.json"));
    let started = Instant::now();
    let response = refresh_at(&http, &base, &refresh).await;
    let (status, error, headers) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"));
    assert!(headers.contains_key("retry-after"));
    assert!(started.elapsed() >= Duration::from_millis(300), "it waited for a slot first");
    let (status, page) = authorize("b2", "192.0.2.4").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("this server is fetching too many documents right now"), "{page}");

    for task in stalled {
        task.abort();
    }
    server_task.abort();
    documents.stop().await;
}

/// The refresh token grant at the authorization server at `base`, by a public client.
async fn refresh_at(http: &reqwest::Client, base: &str, refresh: &str) -> reqwest::Response {
    http.post(format!("{base}/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap()
}
