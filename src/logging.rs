//! The log filter. Operators pick levels with `NORMAN_MCP_LOG`; whatever they pick, the two
//! places where rmcp logs message payloads stay quiet: `rmcp::service` logs every JSON-RPC
//! request and result at debug level, and the Streamable HTTP transport every message at trace
//! level, which would put tool arguments (file URLs, base64 files) and tool results (presigned
//! download links, the user's bookkeeping) into the logs.

use tracing_subscriber::EnvFilter;

/// The filter when `NORMAN_MCP_LOG` is not set. rmcp's stateless mode starts and ends a
/// service per MCP request and logs each step at info: three lines per call, with no news.
pub const DEFAULT_FILTER: &str = "info,rmcp=warn";

/// Added after the operator's directives: a directive for the same target replaces the
/// operator's, and a broader one (`debug`, `rmcp=trace`) is less specific, so these win.
const PAYLOADS_OFF: [&str; 2] =
    ["rmcp::service=info", "rmcp::transport::streamable_http_server::tower=debug"];

/// `directives` (the `RUST_LOG` syntax), or [`DEFAULT_FILTER`] when they are missing or do not
/// parse, with message payload logging always off.
pub fn filter(directives: Option<&str>) -> EnvFilter {
    let filter = directives
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    PAYLOADS_OFF.iter().filter_map(|directive| directive.parse().ok()).fold(filter, EnvFilter::add_directive)
}
