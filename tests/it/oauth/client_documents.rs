//! Client ID Metadata Documents as the endpoints see them: a document that cannot be
//! fetched now is an outage, not an unknown client; the bounds on fetches on the wire.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{authorize_params, error_of, sealed_refresh};
use crate::support::*;

/// An HTTPS server for client metadata documents, self-signed for `localhost`: each path
/// answers `reply(base, path)` as (status, body, delay). Returns its base URL and certificate.
async fn document_server(
    reply: fn(&str, &str) -> (u16, String, std::time::Duration),
) -> (String, Vec<u8>, tokio::task::JoinHandle<()>) {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let certificate = certified.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(certificate.clone())], key)
            .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let task = {
        let base = base.clone();
        tokio::spawn(async move {
            // Dropped with the task: aborting it ends the open connections too.
            let mut open = tokio::task::JoinSet::new();
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, base) = (acceptor.clone(), base.clone());
                open.spawn(async move {
                    let mut tls = acceptor.accept(tcp).await?;
                    let mut head = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        let n = tls.read(&mut buffer).await?;
                        if n == 0 {
                            return Ok(());
                        }
                        head.extend_from_slice(&buffer[..n]);
                    }
                    let path = String::from_utf8_lossy(&head).split_whitespace().nth(1).unwrap_or("").to_owned();
                    let (status, body, delay) = reply(&base, &path);
                    tokio::time::sleep(delay).await;
                    let head = format!(
                        "HTTP/1.1 {status} Test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    tls.write_all(head.as_bytes()).await?;
                    tls.write_all(body.as_bytes()).await?;
                    tls.shutdown().await
                });
                while open.try_join_next().is_some() {}
            }
        })
    };
    (base, certificate, task)
}

/// The authorization server's routes, its metadata fetcher trusting `certificate` on
/// loopback (the test server's fetcher trusts only public CAs and addresses), changed by
/// `adjust`. 127.0.0.1 is a trusted proxy: `X-Forwarded-For` names the client.
async fn auth_server_trusting(
    certificate: Vec<u8>,
    adjust: impl FnOnce(norman_mcp::oauth::cimd::CimdConfig) -> norman_mcp::oauth::cimd::CimdConfig,
) -> (String, std::sync::Arc<norman_mcp::keyring::SharedKeyring>, tokio::task::JoinHandle<()>) {
    use std::sync::Arc;

    use norman_mcp::config::{Config, ReplayConfig};
    use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
    use norman_mcp::oauth::cimd::{CimdConfig, CimdFetcher};
    use norman_mcp::oauth::client::Clients;
    use norman_mcp::oauth::guard::MemoryGuard;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let keys = KeyFile::generate(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).unwrap();
    let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(&base)));
    let config = Config {
        bind: addr,
        public_url: url::Url::parse(&base).unwrap(),
        // Never reached: every request here stops at the client lookup.
        norman_api_url: url::Url::parse("http://127.0.0.1:9/").unwrap(),
        norman_api_timeout: Duration::from_secs(1),
        allow_private_metadata_fetch: true,
        allowed_origins: Vec::new(),
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        replay: ReplayConfig::default(),
        keys_poll_interval: None,
        metrics_bind: None,
        login_failures_per_minute: norman_mcp::config::DEFAULT_LOGIN_FAILURES_PER_MINUTE,
        access_token_ttl: Config::default_access_token_ttl(),
    };
    let mut auth =
        norman_mcp::server::auth_server(&config, Arc::clone(&keyring), Arc::new(MemoryGuard::new())).unwrap();
    auth.clients = Clients::new(
        CimdFetcher::try_new(adjust(CimdConfig {
            allow_private_addresses: true,
            timeout: Duration::from_millis(500),
            extra_root_certificates: vec![certificate],
            ..CimdConfig::default()
        }))
        .unwrap(),
    );
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
    let (documents, certificate, documents_task) = document_server(|base, path| {
        let instant = std::time::Duration::ZERO;
        match path {
            "/down.json" => (500, "{}".to_owned(), instant),
            "/busy.json" => (429, "{}".to_owned(), instant),
            "/slow.json" => (200, "{}".to_owned(), std::time::Duration::from_secs(3)),
            "/gone.json" => (404, "{}".to_owned(), instant),
            _ => {
                let other = json!({"client_id": format!("{base}/other.json"), "redirect_uris": [REDIRECT]});
                (200, other.to_string(), instant)
            }
        }
    })
    .await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let unreachable = format!("https://localhost:{}/client.json", closed.local_addr().unwrap().port());
    drop(closed);
    // Each case on its own: a host that did not answer is otherwise not asked again for a while.
    let (base, keyring, server_task) = auth_server_trusting(certificate, |config| {
        norman_mcp::oauth::cimd::CimdConfig { negative_cache_ttl: std::time::Duration::ZERO, ..config }
    })
    .await;
    let http = http_client();
    let cases = [
        (format!("{documents}/down.json"), StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (format!("{documents}/busy.json"), StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (format!("{documents}/slow.json"), StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (unreachable, StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (format!("{documents}/gone.json"), StatusCode::UNAUTHORIZED, "invalid_client"),
        (format!("{documents}/mismatch.json"), StatusCode::UNAUTHORIZED, "invalid_client"),
    ];
    for (client_id, status, expected) in cases {
        let refresh = sealed_refresh(&keyring.current(), &client_id);
        let response = http
            .post(format!("{base}/token"))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
            .send()
            .await
            .unwrap();
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
    documents_task.abort();
}

/// What a client sees of the bounds on metadata document fetches: an address that caused too
/// many new fetches gets a 429 page at /authorize (and 503 at /revoke) while another address
/// does not; while every fetch slot is taken, a fetch waits briefly, then /token answers 503
/// `temporarily_unavailable` and /authorize a 503 page.
#[tokio::test]
async fn metadata_document_fetches_are_bounded_on_the_wire() {
    use std::num::NonZeroU32;
    use std::time::{Duration, Instant};

    use norman_mcp::oauth::cimd::CimdConfig;

    let (documents, certificate, documents_task) = document_server(|base, path| {
        if path.starts_with("/stall") {
            return (200, "{}".to_owned(), Duration::from_secs(30));
        }
        let document = json!({"client_id": format!("{base}{path}"), "redirect_uris": [REDIRECT]});
        (200, document.to_string(), Duration::ZERO)
    })
    .await;
    let (base, keyring, server_task) = auth_server_trusting(certificate, |config| CimdConfig {
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
        let client_id = format!("{documents}/{client}.json");
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
        .form(&[("token", "nmr_anything"), ("client_id", &format!("{documents}/a5.json"))])
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
    let refresh = sealed_refresh(&keyring.current(), &format!("{documents}/b1.json"));
    let started = Instant::now();
    let response = http
        .post(format!("{base}/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .unwrap();
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
    documents_task.abort();
}
