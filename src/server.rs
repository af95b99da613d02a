//! Assembles the HTTP application from a `Config` and runs it until told to stop.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, State};
use axum::http::header;
use axum::http::{Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::config::Config;
use crate::guard::{MemoryGuard, RedisGuard, ReplayGuard};
use crate::keyring::{KeyringWatcher, SharedKeyring};
use crate::mcp::McpState;
use crate::mcp::bearer::BearerCheck;
use crate::mcp::catalogue::Catalogue;
use crate::mcp::origin::OriginPolicy;
use crate::mcp::upload_link::UploadLinks;
use crate::metrics::Metrics;
use crate::norman::NormanClient;
use crate::oauth::AuthServer;
use crate::oauth::cimd::CimdFetcher;
use crate::oauth::client::Clients;
use crate::oauth::login::{LoginLimits, TRACKED_KEYS};
use crate::oauth::proxy::TrustedProxies;
use crate::oauth::token::RefreshFlights;
use crate::tokens::access::Verifier;

/// Bodies beyond this are refused with 413 before any handler runs: the largest legitimate
/// body is a registration or a token request of a few KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Why the server could not be assembled from its configuration.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Norman(#[from] crate::norman::SetupError),
    #[error(transparent)]
    ReplayStore(#[from] crate::guard::RedisGuardError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("the keyring is bound to the issuer {keyring:?}, but this server's issuer is {server:?}")]
    KeyringIssuer { keyring: String, server: String },
}

/// The replay guard the configuration asks for: Redis shared by every replica, or memory.
pub async fn replay_guard(config: &Config) -> Result<Arc<dyn ReplayGuard>, StartError> {
    match &config.replay.store {
        Some(url) => {
            let guard = RedisGuard::new(url, config.replay.timeout)?;
            guard.check().await;
            Ok(Arc::new(guard))
        }
        None => {
            tracing::info!("replay guard in memory: single use and revocation hold per replica only");
            Ok(Arc::new(MemoryGuard::new()))
        }
    }
}

/// Access tokens whose verification is cached, per replica.
const VERIFIED_TOKENS_CACHED: usize = 100_000;

/// What the authorization server and the resource server share, built once from the
/// configuration: each side then receives the parts it uses ([`Shared::auth_server`],
/// [`Shared::mcp_state`]), so neither depends on the other.
#[derive(Clone)]
pub struct Shared {
    pub config: Arc<Config>,
    pub keyring: Arc<SharedKeyring>,
    /// Access token verification and its cache: the token endpoint's revocation and `/mcp`
    /// share one.
    pub verifier: Arc<Verifier>,
    pub guard: Arc<dyn ReplayGuard>,
    pub metrics: Arc<Metrics>,
    pub norman: NormanClient,
}

impl Shared {
    /// Checks the configuration and that the keyring belongs to this server's issuer.
    pub fn new(
        config: &Config,
        keyring: Arc<SharedKeyring>,
        guard: Arc<dyn ReplayGuard>,
    ) -> Result<Shared, StartError> {
        config.check()?;
        // Everything the server seals and opens is bound to its issuer: a keyring bound to
        // another (or to none) would seal what this server's clients cannot use.
        let issuer = config.issuer();
        let bound = keyring.current().issuer().to_owned();
        if bound != issuer {
            return Err(StartError::KeyringIssuer { keyring: bound, server: issuer });
        }
        let metrics = Arc::new(Metrics::new());
        let norman = NormanClient::new(config.norman_api_url.clone(), config.norman_api_timeout)?
            .observed_by(Arc::clone(&metrics));
        Ok(Shared {
            config: Arc::new(config.clone()),
            keyring,
            verifier: Arc::new(Verifier::new(VERIFIED_TOKENS_CACHED)),
            guard,
            metrics,
            norman,
        })
    }

    /// The authorization server's state: the shared parts it uses and its own.
    pub fn auth_server(&self) -> AuthServer {
        let config = &self.config;
        AuthServer {
            keyring: Arc::clone(&self.keyring),
            issuer: config.issuer(),
            resource: config.mcp_url(),
            secure_cookies: config.secure_cookies(),
            clients: Clients::new(CimdFetcher::new(config.metadata_fetch.clone())),
            norman: self.norman.clone(),
            guard: Arc::clone(&self.guard),
            verifier: Arc::clone(&self.verifier),
            login_limits: LoginLimits::new(config.login_failures_per_minute, TRACKED_KEYS),
            refresh_flights: RefreshFlights::new(config.replay.refresh_grace),
            access_lifetime: config.access_lifetime(),
            metrics: Arc::clone(&self.metrics),
            trusted_proxies: TrustedProxies::new(config.trusted_proxies.clone()),
            login_mode: config.login,
            norman_oauth: config.norman_oauth.clone(),
            norman_callback: config.norman_callback_url(),
        }
    }

    /// `/mcp`'s state: the token check, the Norman client, the catalogue and the origin policy.
    pub fn mcp_state(&self) -> McpState {
        let config = &self.config;
        let links = Arc::new(UploadLinks::new(
            Arc::clone(&self.keyring),
            Arc::clone(&self.guard),
            &config.issuer(),
            &config.uploads,
        ));
        let bearer = BearerCheck {
            keyring: Arc::clone(&self.keyring),
            verifier: Arc::clone(&self.verifier),
            guard: Arc::clone(&self.guard),
            metrics: Arc::clone(&self.metrics),
            audience: config.mcp_url(),
        };
        McpState::new(
            bearer,
            self.norman.clone(),
            Arc::new(
                Catalogue::new(config.uploads.clone())
                    .with_upload_links(Arc::clone(&links))
                    .serving(config.toolsets),
            ),
            OriginPolicy::new(&config.public_url, &config.allowed_origins),
            &config.issuer(),
            config.mcp_request_timeout,
        )
        .with_upload_links(links)
    }

    /// The whole public application: every route with its limits (the configuration's
    /// request timeout for all but `/mcp`, which has its own), and `/metrics` when
    /// `metrics_on_public` (otherwise it has its own listener, see [`Shared::metrics_app`]).
    pub fn app(&self, metrics_on_public: bool) -> Router {
        let auth = Arc::new(self.auth_server());
        let mcp = Arc::new(self.mcp_state());
        let routes = crate::oauth::http::routes(auth).route("/healthz", get(|| async { "ok" }));
        let routes = if metrics_on_public { routes.merge(self.metrics_app()) } else { routes };
        routes
            .layer(
                ServiceBuilder::new()
                    .layer(TimeoutLayer::with_status_code(
                        StatusCode::GATEWAY_TIMEOUT,
                        self.config.request_timeout(),
                    ))
                    .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES)),
            )
            .merge(crate::mcp::routes(mcp))
            // One layer for both (outermost first): axum boxes each layer into every route, and
            // a middleware clones the boxed stack beneath it per request.
            .layer(
                ServiceBuilder::new()
                    .layer(
                        // Method and path only: query strings carry client ids and states, and
                        // Location headers carry codes, so neither is ever logged; an upload
                        // link's path carries a Norman credential and is shortened.
                        TraceLayer::new_for_http()
                            .make_span_with(|request: &Request<_>| {
                                let path = crate::web::loggable_path(request.uri().path());
                                tracing::info_span!("http", method = %request.method(), path = %path)
                            })
                            .on_request(())
                            .on_response(DefaultOnResponse::new().level(Level::INFO)),
                    )
                    .layer(middleware::from_fn_with_state(Arc::clone(&self.metrics), count_request)),
            )
    }

    /// `GET /metrics` alone: the operators' listener, or part of the public one.
    pub fn metrics_app(&self) -> Router {
        let (metrics, keyring) = (Arc::clone(&self.metrics), Arc::clone(&self.keyring));
        Router::new().route("/metrics", get(move || async move { scrape_metrics(&metrics, &keyring) }))
    }
}

/// Counts every request by route template (never the raw path: ids would explode the label
/// set) and final status, timeouts included.
async fn count_request(State(metrics): State<Arc<Metrics>>, request: Request<Body>, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().cloned();
    let response = next.run(request).await;
    metrics.request(route.as_ref().map_or("unmatched", MatchedPath::as_str), response.status().as_u16());
    response
}

fn scrape_metrics(metrics: &Metrics, keyring: &SharedKeyring) -> Response {
    let text = metrics.render(&keyring.current(), time::OffsetDateTime::now_utc());
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-store")], text).into_response()
}

/// A server running in a task, stopped by `stop` (tests and `serve` alike).
pub struct RunningServer {
    pub local_addr: SocketAddr,
    /// Where `/metrics` is served when it has a listener of its own.
    pub metrics_addr: Option<SocketAddr>,
    pub shared: Shared,
    shutdown: Option<watch::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
    metrics_task: Option<JoinHandle<std::io::Result<()>>>,
    /// Polls the key file while the server runs; dropping it stops the polling.
    watcher: Option<KeyringWatcher>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish, and waits for the server task.
    pub async fn stop(mut self) {
        self.watcher.take();
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        let _ = (&mut self.task).await;
        if let Some(metrics_task) = &mut self.metrics_task {
            let _ = metrics_task.await;
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if self.shutdown.is_some() {
            self.task.abort();
            if let Some(metrics_task) = &self.metrics_task {
                metrics_task.abort();
            }
        }
    }
}

/// Serves `config` on an already bound listener (and `/metrics` on `config.metrics_bind`
/// when set), and watches the key file when it has one and `config.keys_poll_interval` is set.
pub async fn start(
    listener: TcpListener,
    config: &Config,
    keyring: Arc<SharedKeyring>,
) -> std::io::Result<RunningServer> {
    let local_addr = listener.local_addr()?;
    let metrics_listener = match config.metrics_bind {
        Some(addr) => Some(TcpListener::bind(addr).await.map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot listen on {addr} for /metrics: {e}"))
        })?),
        None => None,
    };
    let metrics_addr = metrics_listener.as_ref().map(TcpListener::local_addr).transpose()?;
    let guard = replay_guard(config).await.map_err(std::io::Error::other)?;
    let watcher = match config.keys_poll_interval {
        Some(interval) if !keyring.path().as_os_str().is_empty() => {
            Some(KeyringWatcher::spawn(Arc::clone(&keyring), interval))
        }
        _ => None,
    };
    let shared = Shared::new(config, keyring, guard).map_err(std::io::Error::other)?;
    let router = shared.app(metrics_listener.is_none());
    let (shutdown_tx, shutdown_rx) = watch::channel(());
    let metrics_task = metrics_listener.map(|listener| {
        let stopped = stopped(shutdown_rx.clone());
        let router = shared.metrics_app();
        tokio::spawn(async move { axum::serve(listener, router).with_graceful_shutdown(stopped).await })
    });
    let stopped = stopped(shutdown_rx);
    let task = tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(stopped)
            .await
    });
    Ok(RunningServer {
        local_addr,
        metrics_addr,
        shared,
        shutdown: Some(shutdown_tx),
        task,
        metrics_task,
        watcher,
    })
}

/// Resolves when `RunningServer::stop` sends, or drops, the shutdown signal.
async fn stopped(mut shutdown: watch::Receiver<()>) {
    let _ = shutdown.changed().await;
}
