//! The log filter. Operators pick levels with `NORMAN_MCP_LOG`; whatever they pick, the two
//! places where rmcp logs message payloads stay quiet: `rmcp::service` logs every JSON-RPC
//! request and result at debug level, and the Streamable HTTP transport every message at trace
//! level, which would put tool arguments (file URLs, base64 files) and tool results (presigned
//! download links, the user's bookkeeping) into the logs. `rmcp::service`'s info lines (three
//! per request in stateless mode, one of them the client's whole `initialize` parameters) go
//! too: they say nothing an operator needs and cost a measurable share of a tool call.
//!
//! rmcp's ERRORs for a client that went away are not errors: [`ClientGone`].

use std::fmt::Debug;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::{Context, Layer};

/// The filter when `NORMAN_MCP_LOG` is not set. rmcp's stateless mode starts and ends a
/// service per MCP request and logs each step at info: three lines per call, with no news.
pub const DEFAULT_FILTER: &str = "info,rmcp=warn";

/// Added after the operator's directives: a directive for the same target replaces the
/// operator's, and a broader one (`debug`, `rmcp=trace`) is less specific, so these win. Being
/// more specific than `rmcp=warn` too, they must not be more verbose than it.
const PAYLOADS_OFF: [&str; 2] =
    ["rmcp::service=warn", "rmcp::transport::streamable_http_server::tower=debug"];

/// `directives` (the `RUST_LOG` syntax), or [`DEFAULT_FILTER`] when they are missing or do not
/// parse, with message payload logging always off.
pub fn filter(directives: Option<&str>) -> EnvFilter {
    let filter = directives
        .and_then(|directives| EnvFilter::try_new(directives).ok())
        .unwrap_or_else(|| EnvFilter::new(DEFAULT_FILTER));
    PAYLOADS_OFF.iter().filter_map(|directive| directive.parse().ok()).fold(filter, EnvFilter::add_directive)
}

/// Drops rmcp's ERRORs whose error is its transport's closed channel ("fail to response
/// message", "failed to send pending response during drain", "fail to close sink", with
/// `error=channel closed`). In stateless Streamable HTTP each request has a service of its own,
/// whose channel closes when the HTTP client goes away; a call still in flight then has its
/// answer sent to nobody.
/// Clients go away routinely (a timeout, a cancelled request, a proxy giving up); nothing is
/// lost that anybody was waiting for, and the access line records the request. As ERRORs they
/// would page an operator for every impatient client. Every other rmcp error still reaches the
/// log.
pub struct ClientGone;

const CLOSED_CHANNEL: &str = "channel closed";

impl<S: Subscriber> Layer<S> for ClientGone {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        if event.metadata().target() != "rmcp::service" || *event.metadata().level() != tracing::Level::ERROR
        {
            return true;
        }
        let mut error = ErrorField::default();
        event.record(&mut error);
        error.0 != CLOSED_CHANNEL
    }
}

/// The error field of an event (rmcp names it `error` or `e`), as it would be logged.
#[derive(Default)]
struct ErrorField(String);

impl Visit for ErrorField {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if matches!(field.name(), "error" | "e") {
            self.0 = format!("{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::layer::SubscriberExt as _;

    use super::{ClientGone, filter};

    /// The lines that reach the log under `directives`, of one event per target and level.
    fn logged_under(directives: Option<&str>) -> String {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = {
            let buffer = Arc::clone(&buffer);
            move || Writer(Arc::clone(&buffer))
        };
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter(directives))
            .with_writer(writer)
            .finish()
            .with(ClientGone);
        tracing::subscriber::with_default(subscriber, || {
            let closed = "channel closed";
            tracing::error!(target: "rmcp::service", error = %closed, "failed to send pending response during drain");
            tracing::error!(target: "rmcp::service", error = %closed, "fail to response message");
            tracing::error!(target: "rmcp::service", e = %closed, "fail to close sink");
            let broken = "broken pipe";
            tracing::error!(target: "rmcp::service", error = %broken, "fail to response message");
            let joined = "task 7 panicked";
            tracing::error!(target: "rmcp::service", error = %joined, "response send task failed");
            tracing::info!(target: "rmcp::service", "service started");
            tracing::debug!(target: "rmcp::service", "request payload");
            tracing::warn!(target: "rmcp::service", "service warning");
            tracing::trace!(target: "rmcp::transport::streamable_http_server::tower", "message payload");
            tracing::info!(target: "norman_mcp::server", "our own line");
        });
        String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
    }

    struct Writer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Writer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn rmcp_logs_neither_payloads_nor_per_request_news_whatever_the_operator_asks() {
        for directives in [None, Some("info"), Some("debug"), Some("trace"), Some("rmcp=trace")] {
            let logged = logged_under(directives);
            assert!(logged.contains("service warning"), "{directives:?}: {logged}");
            for quiet in ["service started", "request payload", "message payload"] {
                assert!(!logged.contains(quiet), "{directives:?} let {quiet:?} through: {logged}");
            }
        }
        assert!(logged_under(None).contains("our own line"));
    }

    #[test]
    fn an_answer_to_a_client_that_went_away_is_not_an_error_but_every_other_rmcp_error_is() {
        for directives in [None, Some("debug")] {
            let logged = logged_under(directives);
            assert!(!logged.contains("channel closed"), "{logged}");
            assert!(logged.contains("fail to response message"), "another error of the same send: {logged}");
            assert!(logged.contains("broken pipe"), "{logged}");
            assert!(logged.contains("response send task failed"), "{logged}");
        }
        assert!(!logged_under(Some("warn")).contains("our own line"));
    }
}
