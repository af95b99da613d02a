//! The HTTP/1.1 client every Norman call goes through: hyper's pooled client over rustls with
//! the platform's trust store, one deadline per call (connect, TLS, request and the whole
//! answer), and a cap on the answer's size. No redirects, cookies or decompression: Norman's
//! API needs none, and an upstream call costs about half the CPU it did through reqwest
//! (BENCHMARKS.md, "MCP tool calls").

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderValue};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;

use super::NormanError;

/// Largest answer read from Norman. Its biggest are lists and report metadata (files travel
/// as download links), far below this; the cap keeps a broken upstream from filling memory.
const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// Connections kept open per host: one per concurrent call under load, so calls do not wait
/// for a TCP and TLS handshake.
const MAX_IDLE_PER_HOST: usize = 256;

#[derive(Debug, thiserror::Error)]
#[error("cannot set up TLS for the Norman API: {0}")]
pub struct SetupError(#[from] rustls::Error);

/// What Norman answered: status, `Content-Type` and the whole body.
pub(super) struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: Bytes,
}

#[derive(Clone)]
pub(super) struct Transport {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    timeout: Duration,
}

impl Transport {
    /// `extra_roots` are trusted besides the platform's roots (tests with a local HTTPS server).
    pub fn new(
        timeout: Duration,
        extra_roots: Vec<CertificateDer<'static>>,
    ) -> Result<Transport, SetupError> {
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let verifier = if extra_roots.is_empty() {
            rustls_platform_verifier::Verifier::new(provider.clone())?
        } else {
            rustls_platform_verifier::Verifier::new_with_extra_roots(extra_roots, provider.clone())?
        };
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout.min(Duration::from_secs(10))));
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client =
            Client::builder(TokioExecutor::new()).pool_max_idle_per_host(MAX_IDLE_PER_HOST).build(https);
        Ok(Transport { client, timeout })
    }

    /// The deadline of one call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Sends `request` and reads the whole answer, all within the deadline.
    pub async fn send(&self, request: http::Request<Full<Bytes>>) -> Result<Answer, NormanError> {
        tokio::time::timeout(self.timeout, self.exchange(request)).await.map_err(|_| NormanError::Timeout)?
    }

    async fn exchange(&self, request: http::Request<Full<Bytes>>) -> Result<Answer, NormanError> {
        let response = self.client.request(request).await.map_err(|_| NormanError::Unreachable)?;
        let status = response.status().as_u16();
        let content_type =
            response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES).collect().await.map_err(|error| {
            if error.is::<http_body_util::LengthLimitError>() {
                NormanError::BadResponse
            } else {
                NormanError::Unreachable
            }
        })?;
        Ok(Answer { status, content_type, body: body.to_bytes() })
    }
}

/// `Bearer <token>`, marked sensitive so no HTTP layer prints it.
pub(super) fn bearer(token: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::try_from(format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}
