//! The Norman API client: one pooled reqwest client for every upstream call. This module knows
//! Norman's paths and shapes; nothing else does.

pub mod api;

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use crate::metrics::{Metrics, UpstreamTimer};
use crate::tokens::NormanToken;

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
    fn from_reqwest(error: reqwest::Error) -> NormanError {
        if error.is_timeout() {
            NormanError::Timeout
        } else if error.is_decode() {
            NormanError::BadResponse
        } else {
            NormanError::Unreachable
        }
    }

    /// Norman itself is down or slow, as opposed to refusing this user.
    pub fn is_unavailable(&self) -> bool {
        match self {
            NormanError::Timeout | NormanError::Unreachable | NormanError::BadResponse => true,
            NormanError::Status { status, .. } => *status >= 500,
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

#[derive(Deserialize)]
struct CompanyList {
    #[serde(default)]
    results: Vec<CompanyRef>,
}

#[derive(Deserialize)]
struct CompanyRef {
    #[serde(rename = "publicId")]
    public_id: Option<String>,
}

#[derive(Clone)]
pub struct NormanClient {
    http: reqwest::Client,
    base: Url,
    metrics: Option<Arc<Metrics>>,
}

impl NormanClient {
    pub fn new(base: Url, timeout: Duration) -> Result<NormanClient, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(256)
            .build()?;
        Ok(NormanClient { http, base, metrics: None })
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

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn url(&self, path: &str) -> Url {
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }

    /// `POST api/v1/auth/token/` with `{username, email, password}`; the username is the part
    /// of the email before `@`, as Norman expects.
    pub async fn login(&self, email: &str, password: &str) -> Result<NormanTokens, NormanError> {
        let _timer = self.timer("login");
        let username = email.split('@').next().unwrap_or(email);
        let body = serde_json::json!({ "username": username, "email": email, "password": password });
        let response = self
            .http
            .post(self.url("api/v1/auth/token/"))
            .json(&body)
            .send()
            .await
            .map_err(NormanError::from_reqwest)?;
        match response.status().as_u16() {
            200..=299 => {
                let pair: TokenPair = response.json().await.map_err(|_| NormanError::BadResponse)?;
                Ok(NormanTokens { access: pair.access, refresh: pair.refresh })
            }
            // Norman answers bad credentials with 400 or 401 depending on the field at fault.
            400 | 401 | 403 => Err(NormanError::Unauthorized),
            status => Err(NormanError::Status { status, message: None }),
        }
    }

    /// `POST api/v1/auth/token/refresh/` with `{refresh}`.
    pub async fn refresh(&self, refresh: &NormanToken) -> Result<NormanTokens, NormanError> {
        let _timer = self.timer("refresh");
        let body = serde_json::json!({ "refresh": refresh.expose() });
        let response = self
            .http
            .post(self.url("api/v1/auth/token/refresh/"))
            .json(&body)
            .send()
            .await
            .map_err(NormanError::from_reqwest)?;
        match response.status().as_u16() {
            200..=299 => {
                let pair: TokenPair = response.json().await.map_err(|_| NormanError::BadResponse)?;
                Ok(NormanTokens { access: pair.access, refresh: pair.refresh })
            }
            400 | 401 | 403 => Err(NormanError::Unauthorized),
            status => Err(NormanError::Status { status, message: None }),
        }
    }

    /// The first company of the user (`results[0].publicId` of `GET api/v1/companies/`), or
    /// `None` when the user has none.
    pub async fn first_company(&self, access: &NormanToken) -> Result<Option<String>, NormanError> {
        let _timer = self.timer("companies");
        let response = self
            .http
            .get(self.url("api/v1/companies/"))
            .bearer_auth(access.expose())
            .header("X-Requested-With", "XMLHttpRequest")
            .send()
            .await
            .map_err(NormanError::from_reqwest)?;
        match response.status().as_u16() {
            200..=299 => {
                let list: CompanyList = response.json().await.map_err(|_| NormanError::BadResponse)?;
                Ok(list.results.into_iter().next().and_then(|c| c.public_id))
            }
            401 | 403 => Err(NormanError::Unauthorized),
            status => Err(NormanError::Status { status, message: None }),
        }
    }
}
