//! HTTP glue both sides share: CORS for browser-based clients, request content types, and
//! what the access log may write of a path.

use std::time::Duration;

use axum::http::{HeaderMap, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// CORS for browser-based clients: any origin (the endpoints use no cookies), the MCP
/// headers allowed, `WWW-Authenticate` readable, preflights answered before anything else.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("mcp-protocol-version"),
            header::HeaderName::from_static("mcp-session-id"),
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::WWW_AUTHENTICATE,
            header::HeaderName::from_static("mcp-session-id"),
            header::HeaderName::from_static("mcp-protocol-version"),
        ])
        .max_age(Duration::from_secs(3600))
}

/// Whether the request's media type (parameters aside) is `expected`.
pub fn content_type_is(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
}

/// A request path as the access log writes it: an upload link's path carries a Norman
/// credential for as long as the link lives, so everything after `/upload/` is left out.
pub fn loggable_path(path: &str) -> &str {
    if path.starts_with(UPLOAD_PREFIX) { "/upload/…" } else { path }
}

/// The path prefix of upload links (`mcp::upload_link`); kept here so the log layer, which
/// serves both sides, does not depend on the resource server.
pub const UPLOAD_PREFIX: &str = "/upload/";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_link_paths_are_never_logged() {
        assert_eq!(loggable_path("/upload/nmf_AAAAsecret"), "/upload/…");
        assert_eq!(loggable_path("/upload/"), "/upload/…");
        assert_eq!(loggable_path("/mcp"), "/mcp");
        assert_eq!(loggable_path("/authorize"), "/authorize");
    }
}
