//! The MCP resource server: `/mcp` over Streamable HTTP (rmcp, stateless), behind the origin
//! check and the bearer middleware, with the tool catalogue calling Norman as the caller; and
//! the same handler over stdio for one person (`stdio`).

pub mod bearer;
pub mod budget;
pub mod caller;
pub mod catalogue;
pub mod handler;
pub mod origin;
pub mod prompts;
pub mod resources;
pub mod stdio;
pub mod upload;
pub mod upload_link;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use rmcp::transport::streamable_http_server::session::never::NeverSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use tower::ServiceBuilder;
use tower_http::cors::AllowOrigin;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::mcp::bearer::BearerCheck;
use crate::mcp::budget::BodyBudget;
use crate::mcp::catalogue::Catalogue;
use crate::mcp::handler::NormanTools;
use crate::mcp::origin::OriginPolicy;
use crate::mcp::prompts::Prompts;
use crate::mcp::upload_link::UploadLinks;
use crate::norman::NormanClient;

/// `/mcp` bodies may carry base64 uploads: larger than the OAuth endpoints' limit.
pub const MAX_MCP_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Large bodies (over 1 MiB) in flight at once on a replica: four of the largest.
pub const LARGE_BODIES_IN_FLIGHT_BYTES: usize = 4 * MAX_MCP_BODY_BYTES;
/// How long a large body waits for room before it is turned away (503).
const BODY_BUDGET_WAIT: Duration = Duration::from_secs(2);
/// Time for the request body and the answer beyond the tool's own work.
const TRANSFER_MARGIN: Duration = Duration::from_secs(5);

/// What the `/mcp` middleware and handler share.
pub struct McpState {
    pub bearer: BearerCheck,
    /// Norman, called by the tools as the caller.
    pub norman: NormanClient,
    pub catalogue: Arc<Catalogue>,
    pub origins: OriginPolicy,
    /// `<issuer>/.well-known/oauth-protected-resource/mcp`, named in every challenge.
    pub resource_metadata: String,
    pub max_body_bytes: usize,
    /// A last resort (504): longer than any tool call can take, so that a tool which has
    /// already changed data at Norman is never cut off before it can say so.
    pub request_timeout: Duration,
    pub body_budget: BodyBudget,
    /// Upload links' pages (`/upload/{link}`), served when set.
    pub upload_links: Option<Arc<UploadLinks>>,
}

impl McpState {
    /// `issuer` names the protected resource metadata (RFC 9728 section 3.1);
    /// `request_timeout` replaces the default, the longest a tool call can take plus a margin.
    pub fn new(
        bearer: BearerCheck,
        norman: NormanClient,
        catalogue: Arc<Catalogue>,
        origins: OriginPolicy,
        issuer: &str,
        request_timeout: Option<Duration>,
    ) -> McpState {
        let resource_metadata = format!("{issuer}/.well-known/oauth-protected-resource/mcp");
        let request_timeout =
            request_timeout.unwrap_or_else(|| catalogue.longest_call(norman.timeout()) + TRANSFER_MARGIN);
        McpState {
            bearer,
            norman,
            catalogue,
            origins,
            resource_metadata,
            max_body_bytes: MAX_MCP_BODY_BYTES,
            request_timeout,
            body_budget: BodyBudget::new(LARGE_BODIES_IN_FLIGHT_BYTES, MAX_MCP_BODY_BYTES, BODY_BUDGET_WAIT),
            upload_links: None,
        }
    }

    /// Serves the pages of the links `links` seals (the catalogue's `request_file_upload`).
    pub fn with_upload_links(mut self, links: Arc<UploadLinks>) -> McpState {
        self.upload_links = Some(links);
        self
    }
}

/// The `/mcp` route. Layers run outside in: origin check, CORS (preflights end there), the
/// request timeout, body limit, bearer, then rmcp. The timeout wraps everything that reads
/// the body (the bearer layer reads it for the scope check, rmcp for the call), so a client
/// that trickles its body is cut off like a slow tool.
pub fn routes(state: Arc<McpState>) -> Router {
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_allowed_hosts(state.origins.allowed_hosts())
        .with_max_request_body_bytes(state.max_body_bytes);
    let prompts = Arc::new(Prompts::serving(state.catalogue.toolsets()));
    let tools = NormanTools::new(Arc::clone(&state.catalogue), prompts, state.norman.clone());
    // Called through `handle` on one shared instance: as a tower service, rmcp clones itself,
    // its configuration and its cancellation token for every request.
    let service = Arc::new(StreamableHttpService::new(
        move || Ok(tools.clone()),
        Arc::new(NeverSessionManager::default()),
        config,
    ));
    let upload_pages = state
        .upload_links
        .as_ref()
        .map(|links| upload_link::routes(Arc::clone(links), state.norman.clone(), state.request_timeout));
    let origins = state.origins.clone();
    let cors = crate::web::cors()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _| origins.origin_allowed(origin)));
    let mcp = Router::new()
        .route(
            "/mcp",
            any(move |request: Request| {
                let service = Arc::clone(&service);
                async move { service.handle(request).await }
            }),
        )
        // Route layers: with `layer` they would also wrap the fallback, and once merged into
        // the application every unknown path would answer 401 with a bearer challenge. Few
        // route layers rather than one per middleware: axum boxes each into a route of its
        // own, and each middleware clones the whole boxed stack beneath it per request. The
        // bearer middleware needs one of its own, since it takes the plain body the route
        // makes of the limited one.
        .route_layer(middleware::from_fn_with_state(Arc::clone(&state), bearer::require_bearer))
        .route_layer(
            ServiceBuilder::new()
                .layer(middleware::from_fn_with_state(Arc::clone(&state), check_origin))
                .layer(cors)
                .layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, state.request_timeout))
                .layer(RequestBodyLimitLayer::new(state.max_body_bytes)),
        );
    match upload_pages {
        Some(pages) => mcp.merge(pages),
        None => mcp,
    }
}

async fn check_origin(State(state): State<Arc<McpState>>, request: Request, next: Next) -> Response {
    match state.origins.check(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(error) => {
            tracing::info!(%error, "mcp request refused");
            let body = serde_json::json!({
                "jsonrpc": "2.0",
                "id": null,
                "error": { "code": -32600, "message": error.to_string() },
            });
            let mut response = (StatusCode::FORBIDDEN, axum::Json(body)).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
    }
}
