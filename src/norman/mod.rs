//! The Norman API client: one pooled HTTP client (`transport`) for every upstream call. This
//! module knows Norman's paths and shapes; nothing else does.

pub mod api;
mod companies;
pub mod multipart;
pub mod oauth;
mod token;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderValue, USER_AGENT as USER_AGENT_HEADER};
use http_body_util::Full;
use rustls::pki_types::CertificateDer;
use serde::Deserialize;
use url::Url;

pub use companies::{AccessibleCompany, Companies, CompanyAccess};
pub use token::NormanToken;
pub use transport::SetupError;
use transport::{Answer, Transport};

use crate::metrics::{Metrics, UpstreamTimer};

/// Production and sandbox bases, chosen by `NORMAN_ENVIRONMENT` like the earlier Python server.
pub const PRODUCTION_URL: &str = "https://api.norman.finance/";
pub const SANDBOX_URL: &str = "https://sandbox.norman.finance/";

const USER_AGENT: &str = concat!("norman-mcp/", env!("CARGO_PKG_VERSION"));

/// Why an upstream call failed. Never carries a token, a password or a response body.
#[derive(Debug, thiserror::Error)]
pub enum NormanError {
    /// Norman refused the credentials (login) or the token (401/403 on an API call).
    #[error("Norman refused the credentials")]
    Unauthorized,
    #[error("Norman did not answer in time")]
    Timeout,
    #[error("Norman could not be reached")]
    Unreachable,
    #[error("Norman answered with HTTP {status}")]
    Status { status: u16, message: Option<String> },
    #[error("Norman's answer was not understood")]
    BadResponse,
}

impl NormanError {
    /// Norman itself is down, slow or shedding load (408, 429), as opposed to refusing this
    /// user.
    pub fn is_unavailable(&self) -> bool {
        match self {
            NormanError::Timeout | NormanError::Unreachable | NormanError::BadResponse => true,
            NormanError::Status { status, .. } => *status >= 500 || matches!(status, 408 | 429),
            NormanError::Unauthorized => false,
        }
    }
}

/// A fresh pair from login or refresh. Norman may omit a new refresh token on refresh.
#[derive(Debug)]
pub struct NormanTokens {
    pub access: NormanToken,
    pub refresh: Option<NormanToken>,
}

#[derive(Deserialize)]
struct TokenPair {
    access: NormanToken,
    refresh: Option<NormanToken>,
}

#[derive(Clone)]
pub struct NormanClient {
    transport: Transport,
    base: Url,
    metrics: Option<Arc<Metrics>>,
}

/// A request body and its `Content-Type`.
pub(crate) struct Body {
    content_type: Option<HeaderValue>,
    bytes: Bytes,
}

impl Body {
    pub(crate) fn empty() -> Body {
        Body { content_type: None, bytes: Bytes::new() }
    }
    pub(crate) fn json(value: &impl serde::Serialize) -> Body {
        let bytes = serde_json::to_vec(value).map(Bytes::from).unwrap_or_default();
        Body { content_type: Some(HeaderValue::from_static("application/json")), bytes }
    }
    /// `application/x-www-form-urlencoded`, as OAuth token endpoints take it (RFC 6749 §4.1.3).
    pub(crate) fn form(pairs: &[(&str, &str)]) -> Body {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        serializer.extend_pairs(pairs);
        Body {
            content_type: Some(HeaderValue::from_static("application/x-www-form-urlencoded")),
            bytes: Bytes::from(serializer.finish()),
        }
    }
    pub(crate) fn multipart(form: multipart::Form) -> Body {
        let (content_type, bytes) = form.encode();
        Body { content_type: HeaderValue::try_from(content_type).ok(), bytes }
    }
}

impl NormanClient {
    /// The deadline of one call to Norman (connect, TLS, request and the whole answer).
    pub fn timeout(&self) -> Duration {
        self.transport.timeout()
    }

    pub fn new(base: Url, timeout: Duration) -> Result<NormanClient, SetupError> {
        NormanClient::with_root_certificates(base, timeout, Vec::new())
    }

    /// `new`, trusting `roots` besides the platform's (a Norman API behind a private CA).
    pub fn with_root_certificates(
        base: Url,
        timeout: Duration,
        roots: Vec<CertificateDer<'static>>,
    ) -> Result<NormanClient, SetupError> {
        Ok(NormanClient { transport: Transport::new(timeout, roots)?, base, metrics: None })
    }

    /// Records the latency of every call in `metrics`.
    pub fn observed_by(mut self, metrics: Arc<Metrics>) -> NormanClient {
        self.metrics = Some(metrics);
        self
    }

    fn timer(&self, operation: &'static str) -> Option<UpstreamTimer<'_>> {
        self.metrics.as_deref().map(|metrics| metrics.upstream_timer(operation))
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }

    /// One request to Norman, with the user's token when there is one.
    async fn send(
        &self,
        method: http::Method,
        url: &Url,
        token: Option<&NormanToken>,
        body: Body,
    ) -> Result<Answer, NormanError> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(url.as_str())
            .header(USER_AGENT_HEADER, HeaderValue::from_static(USER_AGENT))
            .header(ACCEPT, HeaderValue::from_static("*/*"));
        if let Some(token) = token {
            let value = transport::bearer(token.expose()).ok_or(NormanError::Unauthorized)?;
            request = request
                .header(http::header::AUTHORIZATION, value)
                .header("X-Requested-With", "XMLHttpRequest");
        }
        if let Some(content_type) = body.content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let request = request.body(Full::new(body.bytes)).map_err(|_| NormanError::Unreachable)?;
        self.transport.send(request).await
    }

    /// `POST api/v1/auth/token/` with `{username, email, password}`; the username is the part
    /// of the email before `@`, as Norman expects.
    pub async fn login(&self, email: &str, password: &str) -> Result<NormanTokens, NormanError> {
        let _timer = self.timer("login");
        let username = email.split('@').next().unwrap_or(email);
        let body = serde_json::json!({ "username": username, "email": email, "password": password });
        let answer =
            self.send(http::Method::POST, &self.url("api/v1/auth/token/"), None, Body::json(&body)).await?;
        match answer.status {
            200..=299 => token_pair(&answer),
            // Norman answers bad credentials with 400 or 401 depending on the field at fault.
            400 | 401 | 403 => Err(NormanError::Unauthorized),
            status => Err(NormanError::Status { status, message: None }),
        }
    }

    /// `POST api/v1/auth/token/refresh/` with `{refresh}`.
    pub async fn refresh(&self, refresh: &NormanToken) -> Result<NormanTokens, NormanError> {
        let _timer = self.timer("refresh");
        let body = serde_json::json!({ "refresh": refresh.expose() });
        let answer = self
            .send(http::Method::POST, &self.url("api/v1/auth/token/refresh/"), None, Body::json(&body))
            .await?;
        match answer.status {
            200..=299 => token_pair(&answer),
            400 | 401 | 403 => Err(NormanError::Unauthorized),
            status => Err(NormanError::Status { status, message: None }),
        }
    }

    /// The first company of the user (`results[0].publicId` of `GET api/v1/companies/`), or
    /// `None` when the user has none.
    pub async fn first_company(&self, access: &NormanToken) -> Result<Option<String>, NormanError> {
        Ok(self.own_companies_page(access, 1).await?.0.into_iter().next().map(|company| company.id))
    }
}

fn token_pair(answer: &Answer) -> Result<NormanTokens, NormanError> {
    let pair: TokenPair = serde_json::from_slice(&answer.body).map_err(|_| NormanError::BadResponse)?;
    Ok(NormanTokens { access: pair.access, refresh: pair.refresh })
}
