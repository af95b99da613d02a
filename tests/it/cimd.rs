//! Client ID Metadata Documents over real HTTPS: the local TLS server of `support::tls` (it
//! can stall, trickle, omit Content-Length, redirect) and the fetcher trusting its certificate.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use norman_mcp::net::{DnsConfig, Nameservers};
use norman_mcp::oauth::cimd::{CimdConfig, CimdError, CimdFetcher};
use norman_mcp::redirect::InvalidRedirectUri;
use serde_json::{Value, json};
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

use crate::support::tls::{Reply, TlsServer};

fn config(server: &TlsServer) -> CimdConfig {
    CimdConfig {
        allow_private_addresses: true,
        extra_root_certificates: vec![server.certificate.clone()],
        ..CimdConfig::default()
    }
}

fn fetcher(server: &TlsServer) -> CimdFetcher {
    CimdFetcher::try_new(config(server)).unwrap()
}

fn document(client_id: &str) -> Value {
    json!({
        "client_id": client_id,
        "client_name": "Test Client",
        "client_uri": "https://app.example/",
        "logo_uri": "https://app.example/logo.png",
        "redirect_uris": [
            "http://127.0.0.1:3000/callback",
            "cursor://anysphere.cursor-retrieval/oauth/callback",
            "https://app.example/callback"
        ],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none"
    })
}

/// Serves a good document (naming its own URL) at every path.
fn good(base: &str, path: &str) -> Reply {
    Reply::json(&document(&format!("{base}{path}")))
}

#[tokio::test]
async fn fetches_and_validates_a_good_document() {
    let server = TlsServer::start(good).await;
    let url = server.url("/client.json");
    let doc = fetcher(&server).fetch(&url).await.unwrap();
    assert_eq!(doc.client_id, url);
    assert_eq!(doc.client_name.as_deref(), Some("Test Client"));
    assert_eq!(doc.token_endpoint_auth_method, "none");
    assert_eq!(doc.client_uri.as_deref(), Some("https://app.example/"));
    assert_eq!(doc.logo_uri.as_deref(), Some("https://app.example/logo.png"));
    let uris: Vec<&str> = doc.redirect_uris.iter().map(|u| u.as_str()).collect();
    assert_eq!(
        uris,
        [
            "http://127.0.0.1:3000/callback",
            "cursor://anysphere.cursor-retrieval/oauth/callback",
            "https://app.example/callback"
        ]
    );
    assert!(doc.redirect_uris[0].matches("http://127.0.0.1:49152/callback"));
    assert!(CimdFetcher::is_cimd_client_id(&url));
    assert_eq!(server.requests(), ["/client.json"]);
    server.stop().await;
}

#[tokio::test]
async fn a_second_fetch_is_served_from_the_cache() {
    let server = TlsServer::start(good).await;
    let fetcher = fetcher(&server);
    let url = server.url("/client.json");
    let first = fetcher.fetch(&url).await.unwrap();
    let second = fetcher.fetch(&url).await.unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    // A clone shares the cache.
    let third = fetcher.clone().fetch(&url).await.unwrap();
    assert!(Arc::ptr_eq(&first, &third));
    assert_eq!(server.hits("/client.json"), 1);
    server.stop().await;
}

#[tokio::test]
async fn max_age_zero_no_store_and_no_cache_are_not_cached() {
    let server = TlsServer::start(|base, path| {
        let reply = good(base, path);
        match path {
            "/zero.json" => reply.header("Cache-Control", "public, max-age=0"),
            "/no-store.json" => reply.header("Cache-Control", "no-store"),
            _ => reply.header("Cache-Control", "no-cache"),
        }
    })
    .await;
    let fetcher = fetcher(&server);
    for path in ["/zero.json", "/no-store.json", "/no-cache.json"] {
        fetcher.fetch(&server.url(path)).await.unwrap();
        fetcher.fetch(&server.url(path)).await.unwrap();
        assert_eq!(server.hits(path), 2, "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn max_age_is_honoured() {
    let server = TlsServer::start(|base, path| good(base, path).header("Cache-Control", "max-age=1")).await;
    let fetcher = fetcher(&server);
    let url = server.url("/client.json");
    fetcher.fetch(&url).await.unwrap();
    fetcher.fetch(&url).await.unwrap();
    assert_eq!(server.hits("/client.json"), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    fetcher.fetch(&url).await.unwrap();
    assert_eq!(server.hits("/client.json"), 2);
    server.stop().await;
}

#[tokio::test]
async fn failures_are_not_cached() {
    let calls = AtomicUsize::new(0);
    let server = TlsServer::start(move |base, path| {
        if calls.fetch_add(1, Ordering::SeqCst) == 0 { Reply::new(503, "busy") } else { good(base, path) }
    })
    .await;
    let fetcher = fetcher(&server);
    let url = server.url("/client.json");
    assert_eq!(fetcher.fetch(&url).await.unwrap_err(), CimdError::HttpStatus(503));
    fetcher.fetch(&url).await.unwrap();
    assert_eq!(server.hits("/client.json"), 2);
    server.stop().await;
}

#[tokio::test]
async fn concurrent_fetches_share_one_request() {
    let server = TlsServer::start(|base, path| {
        let mut reply = good(base, path);
        reply.delay = Duration::from_millis(300);
        reply
    })
    .await;
    let fetcher = fetcher(&server);
    let url = server.url("/client.json");
    let fetches = (0..8).map(|_| fetcher.fetch(&url));
    let results = futures_util::future::join_all(fetches).await;
    let first = results[0].as_ref().unwrap();
    for result in &results {
        assert!(Arc::ptr_eq(first, result.as_ref().unwrap()));
    }
    assert_eq!(server.hits("/client.json"), 1);
    server.stop().await;
}

#[tokio::test]
async fn concurrent_failures_share_one_request() {
    let server = TlsServer::start(|_, _| {
        let mut reply = Reply::new(500, "down");
        reply.delay = Duration::from_millis(300);
        reply
    })
    .await;
    let fetcher = fetcher(&server);
    let url = server.url("/client.json");
    let results = futures_util::future::join_all((0..4).map(|_| fetcher.fetch(&url))).await;
    assert!(results.iter().all(|r| *r == Err(CimdError::HttpStatus(500))));
    assert_eq!(server.hits("/client.json"), 1);
    assert_eq!(fetcher.fetch(&url).await, Err(CimdError::HttpStatus(500)));
    assert_eq!(server.hits("/client.json"), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_document_naming_another_client_id_is_refused() {
    let server = TlsServer::start(|base, _| Reply::json(&document(&format!("{base}/other.json")))).await;
    let result = fetcher(&server).fetch(&server.url("/client.json")).await;
    assert_eq!(result, Err(CimdError::ClientIdMismatch));
    server.stop().await;
}

/// A valid document padded to exactly `size` bytes.
fn padded_document(client_id: &str, size: usize) -> Vec<u8> {
    let mut value = document(client_id);
    let bare = value.to_string().len() + r#","padding":"""#.len();
    value["padding"] = Value::String("x".repeat(size - bare));
    let text = value.to_string();
    assert_eq!(text.len(), size);
    text.into_bytes()
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_with_or_without_content_length() {
    let server = TlsServer::start(|base, path| {
        let id = format!("{base}{path}");
        match path {
            "/exact.json" => Reply::new(200, padded_document(&id, 5 * 1024)),
            "/big.json" => Reply::new(200, padded_document(&id, 5 * 1024 + 1)),
            "/huge.json" => Reply::new(200, padded_document(&id, 64 * 1024)),
            _ => {
                // No Content-Length to go by: the streamed count has to catch it.
                let mut reply = Reply::new(200, padded_document(&id, 6 * 1024));
                reply.close_delimited = true;
                reply
            }
        }
    })
    .await;
    let fetcher = fetcher(&server);
    assert!(fetcher.fetch(&server.url("/exact.json")).await.is_ok());
    for path in ["/big.json", "/huge.json", "/streamed.json"] {
        assert_eq!(fetcher.fetch(&server.url(path)).await, Err(CimdError::TooLarge), "{path}");
    }
    assert_eq!(server.hits("/streamed.json"), 1);
    server.stop().await;
}

#[tokio::test]
async fn a_close_delimited_body_within_the_limit_is_read() {
    let server = TlsServer::start(|base, path| {
        let mut reply = good(base, path);
        reply.close_delimited = true;
        reply
    })
    .await;
    assert!(fetcher(&server).fetch(&server.url("/client.json")).await.is_ok());
    server.stop().await;
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let server = TlsServer::start(|base, path| {
        let mut reply = good(base, path);
        if path == "/slow-headers.json" {
            reply.delay = Duration::from_secs(3);
        } else {
            // Headers at once, then a body that dribbles in: the limit covers the whole fetch.
            reply.trickle = Some(Duration::from_millis(100));
        }
        reply
    })
    .await;
    // Both paths are on one host, which is otherwise not asked again after the first timeout.
    let fetcher = CimdFetcher::try_new(CimdConfig {
        timeout: Duration::from_millis(400),
        negative_cache_ttl: Duration::ZERO,
        ..config(&server)
    })
    .unwrap();
    for path in ["/slow-headers.json", "/slow-body.json"] {
        let started = Instant::now();
        assert_eq!(fetcher.fetch(&server.url(path)).await, Err(CimdError::Timeout), "{path}");
        assert!(started.elapsed() < Duration::from_secs(2), "{path} took {:?}", started.elapsed());
    }
    server.stop().await;
}

#[tokio::test]
async fn http_error_statuses_are_reported() {
    let server = TlsServer::start(|_, path| match path {
        "/gone.json" => Reply::new(410, "gone"),
        "/empty.json" => Reply::new(204, ""),
        _ => Reply::new(404, "not found"),
    })
    .await;
    let fetcher = fetcher(&server);
    assert_eq!(fetcher.fetch(&server.url("/client.json")).await, Err(CimdError::HttpStatus(404)));
    assert_eq!(fetcher.fetch(&server.url("/gone.json")).await, Err(CimdError::HttpStatus(410)));
    assert_eq!(fetcher.fetch(&server.url("/empty.json")).await, Err(CimdError::HttpStatus(204)));
    server.stop().await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_refused() {
    let server = TlsServer::start(|_, path| match path {
        "/array.json" => Reply::json(&json!(["not", "an", "object"])),
        _ => Reply::new(200, "<html><body>hello</body></html>").header("Content-Type", "text/html"),
    })
    .await;
    let fetcher = fetcher(&server);
    assert_eq!(fetcher.fetch(&server.url("/client.json")).await, Err(CimdError::NotJson));
    assert_eq!(fetcher.fetch(&server.url("/array.json")).await, Err(CimdError::NotJson));
    server.stop().await;
}

#[tokio::test]
async fn bad_redirect_uris_are_refused() {
    let server = TlsServer::start(|base, path| {
        let mut value = document(&format!("{base}{path}"));
        value["redirect_uris"] = match path {
            "/script.json" => json!(["https://app.example/cb", "javascript:alert(1)"]),
            "/http.json" => json!(["http://app.example/cb"]),
            "/fragment.json" => json!(["https://app.example/cb#x"]),
            _ => json!([]),
        };
        Reply::json(&value)
    })
    .await;
    let fetcher = fetcher(&server);
    let cases = [
        (
            "/script.json",
            CimdError::InvalidRedirectUri(InvalidRedirectUri::ForbiddenScheme("javascript".into())),
        ),
        ("/http.json", CimdError::InvalidRedirectUri(InvalidRedirectUri::HttpNotLoopback)),
        ("/fragment.json", CimdError::InvalidRedirectUri(InvalidRedirectUri::Fragment)),
        ("/none.json", CimdError::NoRedirectUris),
    ];
    for (path, expected) in cases {
        assert_eq!(fetcher.fetch(&server.url(path)).await, Err(expected), "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn only_public_clients_are_accepted() {
    let server = TlsServer::start(|base, path| {
        let mut value = document(&format!("{base}{path}"));
        match path {
            "/secret.json" => value["token_endpoint_auth_method"] = json!("client_secret_basic"),
            "/jwt.json" => value["token_endpoint_auth_method"] = json!("private_key_jwt"),
            _ => _ = value.as_object_mut().unwrap().remove("token_endpoint_auth_method"),
        }
        Reply::json(&value)
    })
    .await;
    let fetcher = fetcher(&server);
    assert_eq!(
        fetcher.fetch(&server.url("/secret.json")).await,
        Err(CimdError::UnsupportedAuthMethod("client_secret_basic".into()))
    );
    assert_eq!(
        fetcher.fetch(&server.url("/jwt.json")).await,
        Err(CimdError::UnsupportedAuthMethod("private_key_jwt".into()))
    );
    // Absent means a public client.
    let doc = fetcher.fetch(&server.url("/missing.json")).await.unwrap();
    assert_eq!(doc.token_endpoint_auth_method, "none");
    server.stop().await;
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = TlsServer::start(|base, path| match path {
        "/moved-301.json" => Reply::new(301, "").header("Location", format!("{base}/target.json")),
        "/moved-302.json" => Reply::new(302, "").header("Location", format!("{base}/target.json")),
        "/moved-307.json" => Reply::new(307, "").header("Location", format!("{base}/target.json")),
        "/moved-308.json" => Reply::new(308, "").header("Location", "/target.json"),
        _ => good(base, path),
    })
    .await;
    let fetcher = fetcher(&server);
    for status in [301, 302, 307, 308] {
        let url = server.url(&format!("/moved-{status}.json"));
        assert_eq!(fetcher.fetch(&url).await, Err(CimdError::HttpStatus(status)));
    }
    assert_eq!(server.hits("/target.json"), 0);
    assert_eq!(server.requests().len(), 4);
    server.stop().await;
}

#[tokio::test]
async fn private_addresses_are_refused_before_connecting() {
    let server = TlsServer::start(good).await;
    let fetcher =
        CimdFetcher::try_new(CimdConfig { allow_private_addresses: false, ..config(&server) }).unwrap();
    let port = server.port;
    for url in [
        server.url("/client.json"),
        format!("https://127.0.0.1:{port}/client.json"),
        format!("https://[::1]:{port}/client.json"),
        format!("https://[::ffff:7f00:1]:{port}/client.json"),
        format!("https://10.0.0.1:{port}/client.json"),
        format!("https://169.254.169.254:{port}/latest/meta-data"),
    ] {
        assert_eq!(fetcher.fetch(&url).await, Err(CimdError::PrivateAddress), "{url}");
    }
    assert_eq!(server.connections(), 0);
    assert!(server.requests().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn http_and_malformed_urls_are_refused_before_connecting() {
    let server = TlsServer::start(good).await;
    let fetcher = fetcher(&server);
    let port = server.port;
    assert_eq!(
        fetcher.fetch(&format!("http://localhost:{port}/client.json")).await,
        Err(CimdError::NotHttps)
    );
    for url in [
        format!("https://localhost:{port}/"),
        format!("https://localhost:{port}/client.json#x"),
        format!("https://user@localhost:{port}/client.json"),
        format!("https://localhost:{port}/a/../client.json"),
        "not a url".to_owned(),
        String::new(),
    ] {
        assert_eq!(fetcher.fetch(&url).await, Err(CimdError::InvalidUrl), "{url:?}");
    }
    assert_eq!(server.connections(), 0);
    server.stop().await;
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused() {
    let server = TlsServer::start(good).await;
    let fetcher =
        CimdFetcher::try_new(CimdConfig { allow_private_addresses: true, ..CimdConfig::default() }).unwrap();
    assert_eq!(fetcher.fetch(&server.url("/client.json")).await, Err(CimdError::Unreachable));
    assert!(server.requests().is_empty());
    server.stop().await;
}

#[tokio::test]
async fn a_closed_port_is_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let fetcher = CimdFetcher::new(CimdConfig { allow_private_addresses: true, ..CimdConfig::default() });
    let url = format!("https://127.0.0.1:{port}/client.json");
    assert_eq!(fetcher.fetch(&url).await, Err(CimdError::Unreachable));
}

#[tokio::test]
async fn an_invalid_extra_certificate_is_a_setup_error() {
    let config =
        CimdConfig { extra_root_certificates: vec![b"not a certificate".to_vec()], ..CimdConfig::default() };
    assert!(CimdFetcher::try_new(config.clone()).is_err());
    // `new` still builds a fetcher; it just cannot fetch.
    let fetcher = CimdFetcher::new(config);
    assert_eq!(fetcher.fetch("https://app.example/client.json").await, Err(CimdError::Unreachable));
}

/// A name server on 127.0.0.1 over UDP: answers every A query with `answer` (AAAA queries get
/// no records), or, with `None`, reads every query and never answers.
struct NameServer {
    address: SocketAddr,
    queries: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl NameServer {
    async fn start(answer: Option<std::net::Ipv4Addr>) -> NameServer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let address = socket.local_addr().unwrap();
        let queries = Arc::new(AtomicUsize::new(0));
        let task = {
            let queries = Arc::clone(&queries);
            tokio::spawn(async move {
                let mut buffer = [0u8; 512];
                loop {
                    let Ok((n, from)) = socket.recv_from(&mut buffer).await else { continue };
                    queries.fetch_add(1, Ordering::SeqCst);
                    if answer.is_some()
                        && let Some(reply) = dns_reply(&buffer[..n], answer)
                    {
                        let _ = socket.send_to(&reply, from).await;
                    }
                }
            })
        };
        NameServer { address, queries, task }
    }

    fn dns(&self) -> DnsConfig {
        DnsConfig { nameservers: Nameservers::Only(vec![self.address]), timeout: Duration::from_millis(500) }
    }

    fn queries(&self) -> usize {
        self.queries.load(Ordering::SeqCst)
    }
}

impl Drop for NameServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The answer to one query (RFC 1035 §4.1): its id and question, and for an A question one
/// record with `answer`.
fn dns_reply(query: &[u8], answer: Option<std::net::Ipv4Addr>) -> Option<Vec<u8>> {
    let mut end = 12;
    while *query.get(end)? != 0 {
        end += 1 + usize::from(query[end]);
    }
    let question = query.get(12..end + 5)?;
    let is_a = question[question.len() - 4..question.len() - 2] == [0, 1];
    let answers = u8::from(is_a && answer.is_some());
    let mut reply = vec![query[0], query[1], 0x81, 0x80, 0, 1, 0, answers, 0, 0, 0, 0];
    reply.extend_from_slice(question);
    if let (true, Some(ip)) = (answers == 1, answer) {
        // The name by pointer to the question, type A, class IN, TTL 60, four bytes.
        reply.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
        reply.extend_from_slice(&ip.octets());
    }
    Some(reply)
}

#[tokio::test]
async fn names_are_resolved_by_the_guarded_resolver_and_private_answers_refused() {
    let server = TlsServer::start(good).await;
    let name_server = NameServer::start(Some(std::net::Ipv4Addr::LOCALHOST)).await;
    let fetcher = CimdFetcher::try_new(CimdConfig {
        allow_private_addresses: false,
        dns: name_server.dns(),
        ..config(&server)
    })
    .unwrap();
    let url = format!("https://docs.example.test:{}/client.json", server.port);
    assert_eq!(fetcher.fetch(&url).await, Err(CimdError::PrivateAddress));
    assert!(name_server.queries() >= 1, "our name server was asked");
    assert_eq!(server.connections(), 0, "refused before connecting");
    server.stop().await;
}

/// getaddrinfo on tokio's blocking pool would hold one thread per lookup for the system
/// resolver's whole timeout; the guarded resolver holds none, and gives up at its own deadline.
#[test]
fn a_name_server_that_never_answers_neither_hangs_nor_holds_blocking_threads() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let silent = NameServer::start(None).await;
        let fetcher = CimdFetcher::try_new(CimdConfig {
            allow_private_addresses: false,
            dns: silent.dns(),
            timeout: Duration::from_secs(10),
            ..CimdConfig::default()
        })
        .unwrap();
        let started = Instant::now();
        let fetches: Vec<_> = (0..8)
            .map(|i| {
                let fetcher = fetcher.clone();
                tokio::spawn(async move {
                    fetcher.fetch(&format!("https://app{i}.example.test/client.json")).await
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(150)).await;
        let blocking =
            tokio::time::timeout(Duration::from_millis(300), tokio::task::spawn_blocking(|| 7)).await;
        assert_eq!(blocking.expect("the one blocking thread is free while lookups wait").unwrap(), 7);
        for fetch in fetches {
            assert_eq!(fetch.await.unwrap(), Err(CimdError::Timeout));
        }
        let took = started.elapsed();
        assert!(
            took < Duration::from_secs(3),
            "the lookups gave up at their deadline, not the fetch's: {took:?}"
        );
        assert!(silent.queries() >= 8, "every name was asked for: {}", silent.queries());
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_32_fetches_run_at_once_and_the_next_waits_briefly_then_is_busy() {
    let server = TlsServer::start(|base, path| {
        let mut reply = good(base, path);
        if path.starts_with("/stall") {
            reply.delay = Duration::from_secs(3);
        }
        reply
    })
    .await;
    let fetcher = CimdFetcher::try_new(CimdConfig {
        timeout: Duration::from_secs(10),
        queue_wait: Duration::from_millis(500),
        ..config(&server)
    })
    .unwrap();
    let stalled: Vec<_> = (0..32)
        .map(|i| {
            let (fetcher, url) = (fetcher.clone(), server.url(&format!("/stall-{i}.json")));
            tokio::spawn(async move { fetcher.fetch(&url).await })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.requests().len() < 32 {
        assert!(Instant::now() < deadline, "only {} fetches started", server.requests().len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let started = Instant::now();
    assert_eq!(fetcher.fetch(&server.url("/one-more.json")).await, Err(CimdError::Busy));
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(500) && waited < Duration::from_secs(2), "waited {waited:?}");
    assert_eq!(server.connections(), 32, "the 33rd never connected");
    assert!(CimdError::Busy.is_unavailable(), "/token answers it with 503 temporarily_unavailable");
    for fetch in stalled {
        assert!(fetch.await.unwrap().is_ok());
    }
    assert!(fetcher.fetch(&server.url("/one-more.json")).await.is_ok(), "slots are given back");
    server.stop().await;
}

#[tokio::test]
async fn new_fetches_are_limited_per_client_address() {
    let server = TlsServer::start(good).await;
    let fetcher = fetcher(&server);
    let ip = |text: &str| -> IpAddr { text.parse().unwrap() };
    let alice = ip("203.0.113.7");
    for i in 0..10 {
        fetcher.fetch_for(&server.url(&format!("/a{i}.json")), alice).await.unwrap();
    }
    assert_eq!(fetcher.fetch_for(&server.url("/a10.json"), alice).await, Err(CimdError::RateLimited));
    assert_eq!(server.hits("/a10.json"), 0, "refused before fetching");
    assert!(
        fetcher.fetch_for(&server.url("/a0.json"), alice).await.is_ok(),
        "a cached document costs nothing"
    );
    assert!(fetcher.fetch_for(&server.url("/a10.json"), ip("198.51.100.9")).await.is_ok(), "another address");
    // An IPv6 client has a whole /64 to pick addresses from: it is counted as one.
    for i in 0..10 {
        let from = if i % 2 == 0 { "2001:db8:1:2::1" } else { "2001:db8:1:2:ffff::9" };
        fetcher.fetch_for(&server.url(&format!("/v{i}.json")), ip(from)).await.unwrap();
    }
    let same_64 = ip("2001:db8:1:2:abcd::1");
    assert_eq!(fetcher.fetch_for(&server.url("/v10.json"), same_64).await, Err(CimdError::RateLimited));
    assert!(fetcher.fetch_for(&server.url("/v10.json"), ip("2001:db8:1:3::1")).await.is_ok());
    // A client id out of something the server sealed is fetched without counting.
    assert!(fetcher.fetch(&server.url("/a11.json")).await.is_ok());
    server.stop().await;
}

#[tokio::test]
async fn a_host_that_did_not_answer_is_not_asked_again_for_a_while() {
    let server = TlsServer::start(|base, path| {
        let mut reply = good(base, path);
        if path == "/slow.json" {
            reply.delay = Duration::from_secs(3);
        }
        reply
    })
    .await;
    let fetcher = CimdFetcher::try_new(CimdConfig {
        timeout: Duration::from_millis(300),
        negative_cache_ttl: Duration::from_secs(1),
        ..config(&server)
    })
    .unwrap();
    assert_eq!(fetcher.fetch(&server.url("/slow.json")).await, Err(CimdError::Timeout));
    assert_eq!(server.connections(), 1);
    let started = Instant::now();
    assert_eq!(fetcher.fetch(&server.url("/client.json")).await, Err(CimdError::Timeout), "same host");
    assert!(started.elapsed() < Duration::from_millis(100), "answered from memory: {:?}", started.elapsed());
    assert_eq!(server.connections(), 1, "the host was not asked again");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(fetcher.fetch(&server.url("/client.json")).await.is_ok());
    assert_eq!(server.connections(), 2);
    server.stop().await;
}
