//! Shared by every area: a sandbox Norman API and a norman-mcp server on loopback, an HTTP
//! client that acts as a browser, MCP requests, and a capture of every log line; the OAuth
//! flow (`sign_in`), the one local HTTPS server (`tls`), the real binary (`binary`) and one
//! call of every tool (`tool_examples`).

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use norman_mcp::config::{Config, ReplayConfig};
use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
use norman_mcp::mcp::catalogue::Toolsets;
use norman_mcp::norman::oauth::NormanOAuthClient;
use norman_mcp::oauth::login::LoginMode;
use norman_mcp::server::{self, RunningServer};
use norman_sandbox::{OAuthClient, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;
use url::Url;

pub mod binary;
mod sign_in;
pub mod tls;
pub mod tool_examples;
pub mod tool_names;

pub use sign_in::*;

/// A loopback port nothing listens on (bound, then released): for a server to start on, or
/// for a peer that is down.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Every log line of this test binary, for the assertions that nothing secret is logged.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOG_BUFFER.get_or_init(Default::default).lock().unwrap()).into_owned()
}

static LOG_BUFFER: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl Write for BufferWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends this test binary's log lines to the buffer [`logs`] reads; every test that starts a
/// server calls it first (the first call wins, the others do nothing).
pub fn capture_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        let buffer = Arc::clone(LOG_BUFFER.get_or_init(Default::default));
        use tracing_subscriber::layer::SubscriberExt as _;
        use tracing_subscriber::util::SubscriberInitExt as _;
        let _ = tracing_subscriber::fmt()
            // The server's own filter, as `serve` builds it, at debug level.
            .with_env_filter(norman_mcp::logging::filter(Some(
                "debug,hyper=info,reqwest=info,h2=info,rustls=info",
            )))
            .with_ansi(false)
            .with_writer(move || BufferWriter(Arc::clone(&buffer)))
            .finish()
            .with(norman_mcp::logging::ClientGone)
            .try_init();
    });
}

/// Asserts that no log line contains any of `secrets`.
pub fn assert_not_logged(secrets: &[&str]) {
    let logs = logs();
    assert!(!logs.is_empty(), "logs were captured");
    for secret in secrets.iter().filter(|s| s.len() >= 8) {
        assert!(!logs.contains(secret), "a secret reached the logs: {}…", &secret[..8]);
    }
}

pub struct TestServer {
    /// Where this server listens: the base of the URLs the tests call.
    pub base: String,
    /// The issuer; the same as `base` unless `Options::public_url` made a replica of another.
    pub issuer: String,
    pub keys: KeyFile,
    pub keyring: Arc<SharedKeyring>,
    pub server: Option<RunningServer>,
    pub sandbox: Option<SandboxHandle>,
    pub http: reqwest::Client,
}

pub struct Options {
    pub norman_api_url: Option<Url>,
    pub sandbox: SandboxConfig,
    pub norman_api_timeout: Duration,
    /// These keys instead of fresh ones (replicas of one fleet share them).
    pub keys: Option<KeyFile>,
    /// A keyring backed by this file (read at start, reloaded by the watcher).
    pub keys_path: Option<std::path::PathBuf>,
    pub keys_poll_interval: Option<Duration>,
    pub replay: ReplayConfig,
    /// The public URL (issuer) instead of the listener's: a replica of another server.
    pub public_url: Option<Url>,
    /// Load balancers whose X-Forwarded-For is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `/metrics` on a listener of its own (`TestServer::metrics_addr`).
    pub metrics_bind: Option<SocketAddr>,
    /// Failed sign-ins a minute per address (half per email); 0: no limits.
    pub login_failures_per_minute: u32,
    pub access_token_ttl: Duration,
    pub toolsets: Toolsets,
    /// "Sign in with Norman": the server's client id and secret at Norman; the sandbox
    /// registers it with the server's callback as its redirect URI.
    pub norman_oauth: Option<(&'static str, Option<&'static str>)>,
    /// The sign-ins offered; `None`: as `serve` picks them (both with a Norman OAuth client).
    pub login: Option<LoginMode>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            norman_api_url: None,
            sandbox: SandboxConfig::default(),
            norman_api_timeout: Duration::from_secs(10),
            keys: None,
            keys_path: None,
            keys_poll_interval: None,
            trusted_proxies: Vec::new(),
            replay: ReplayConfig::default(),
            public_url: None,
            metrics_bind: None,
            login_failures_per_minute: norman_mcp::config::DEFAULT_LOGIN_FAILURES_PER_MINUTE,
            access_token_ttl: Config::default_access_token_ttl(),
            toolsets: Toolsets::ALL,
            norman_oauth: None,
            login: None,
        }
    }
}

impl TestServer {
    pub async fn start() -> TestServer {
        TestServer::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> TestServer {
        capture_logs();
        let (sandbox, norman_api_url) = match options.norman_api_url {
            Some(url) => (None, url),
            None => {
                let sandbox = Sandbox::spawn(options.sandbox).await.expect("sandbox starts");
                let url = sandbox.url.clone();
                (Some(sandbox), url)
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let listening = Url::parse(&format!("http://127.0.0.1:{}", addr.port())).unwrap();
        let mut config = Config::local(addr, norman_api_url);
        config.public_url = options.public_url.unwrap_or_else(|| listening.clone());
        config.norman_api_timeout = options.norman_api_timeout;
        config.trusted_proxies = options.trusted_proxies;
        config.replay = options.replay;
        config.keys_poll_interval = options.keys_poll_interval;
        config.metrics_bind = options.metrics_bind;
        config.login_failures_per_minute = options.login_failures_per_minute;
        config.access_token_ttl = options.access_token_ttl;
        config.toolsets = options.toolsets;
        if let Some((id, secret)) = options.norman_oauth {
            config.norman_oauth = Some(NormanOAuthClient::new(id.to_owned(), secret.map(str::to_owned)));
            config.login = LoginMode::Both;
            if let Some(sandbox) = &sandbox {
                sandbox.sandbox.register_oauth_client(OAuthClient {
                    id: id.to_owned(),
                    secret: secret.map(str::to_owned),
                    redirect_uri: config.norman_callback_url(),
                });
            }
        }
        if let Some(login) = options.login {
            config.login = login;
        }
        let issuer = config.issuer();
        let (keys, keyring) = match (options.keys_path, options.keys) {
            (Some(path), _) => {
                (KeyFile::read(&path).unwrap(), Arc::new(SharedKeyring::load(&path, &issuer).unwrap()))
            }
            (None, keys) => {
                let keys = keys.unwrap_or_else(|| {
                    KeyFile::generate(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).unwrap()
                });
                let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(&issuer)));
                (keys, keyring)
            }
        };
        let server = server::start(listener, &config, Arc::clone(&keyring)).await.unwrap();
        TestServer {
            base: listening.as_str().trim_end_matches('/').to_owned(),
            issuer,
            keys,
            keyring,
            server: Some(server),
            sandbox,
            http: http_client(),
        }
    }

    /// Where `/metrics` listens when `Options::metrics_bind` gave it a listener of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.server.as_ref().and_then(|server| server.metrics_addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn mcp_url(&self) -> String {
        self.url("/mcp")
    }

    /// The canonical MCP URL tokens are issued for (RFC 8707 resource): under the issuer,
    /// which for a replica is not where it listens.
    pub fn resource(&self) -> String {
        format!("{}/mcp", self.issuer)
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
        if let Some(sandbox) = self.sandbox.take() {
            sandbox.shutdown().await;
        }
    }

    pub async fn register(&self, body: Value) -> reqwest::Response {
        self.http.post(self.url("/register")).json(&body).send().await.unwrap()
    }

    /// Registers a public client with one loopback redirect URI; returns its client id.
    pub async fn register_public(&self, redirect_uri: &str) -> String {
        let response = self
            .register(serde_json::json!({
                "client_name": "Test Client",
                "redirect_uris": [redirect_uri],
                "token_endpoint_auth_method": "none",
            }))
            .await;
        assert_eq!(response.status(), 201);
        response.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned()
    }

    /// GET /authorize with `params`: the response (a page or a redirect).
    pub async fn authorize(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.http.get(self.url("/authorize")).query(params).send().await.unwrap()
    }

    pub async fn token(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http.post(self.url("/token")).form(form).send().await.unwrap()
    }
}

pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The protocol revision the MCP helpers speak unless a test picks another.
pub const PROTOCOL: &str = "2025-11-25";

/// POSTs one JSON-RPC message to `/mcp` as an MCP client does (both media types accepted).
pub async fn mcp_post(server: &TestServer, token: Option<&str>, body: &Value) -> reqwest::Response {
    let mut request = server
        .http
        .post(server.mcp_url())
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", PROTOCOL)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// `tools/call` over `/mcp`; returns the JSON-RPC response (with `result` or `error`).
pub async fn mcp_call(server: &TestServer, token: &str, name: &str, arguments: Value) -> Value {
    let body = serde_json::json!({
        "jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": { "name": name, "arguments": arguments },
    });
    let response = mcp_post(server, Some(token), &body).await;
    assert_eq!(response.status(), 200, "tools/call {name}");
    response.json().await.unwrap()
}

/// The JSON a tool answered with: its first text content, parsed.
pub fn tool_json(response: &Value) -> Value {
    let text = response["result"]["content"][0]["text"].as_str().expect("a text result");
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// A date `days` from today, as Norman writes dates.
pub fn in_days(days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Today, as Norman writes dates.
pub fn today() -> String {
    in_days(0)
}

/// Forwards a request to `upstream` as Norman would get it (its path and query, its
/// authorization and content type, its body) and answers with Norman's status, content type
/// and body: the pass-through of a test's stand-in in front of the sandbox.
pub async fn forward(
    http: &reqwest::Client,
    upstream: &Url,
    method: axum::http::Method,
    uri: &axum::http::Uri,
    headers: &axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = http.request(method, upstream.join(path_and_query.trim_start_matches('/')).unwrap());
    for name in ["authorization", "content-type"] {
        if let Some(value) = headers.get(name) {
            request = request.header(name, value);
        }
    }
    let answer = request.body(body).send().await.unwrap();
    let status = answer.status();
    let content_type = answer.headers().get("content-type").cloned();
    let mut response = axum::response::Response::new(axum::body::Body::from(answer.bytes().await.unwrap()));
    *response.status_mut() = status;
    if let Some(content_type) = content_type {
        response.headers_mut().insert("content-type", content_type);
    }
    response
}

/// Serves `app` on a free port of 127.0.0.1: its URL and the task serving it.
pub async fn serve_local(app: axum::Router) -> (Url, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let task = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, task)
}

/// Sends `request`, which must answer with JSON; the JSON.
pub async fn json_of(request: reqwest::RequestBuilder) -> Value {
    request.send().await.unwrap().json().await.unwrap()
}
