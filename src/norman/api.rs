//! Calls of the Norman REST API on behalf of one user: the tools' upstream.

use reqwest::Method;
use serde_json::Value;

use super::{NormanClient, NormanError};
use crate::tokens::NormanToken;

/// One call: a path under the base URL, query pairs and an optional JSON body.
pub struct ApiRequest<'a> {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub json: Option<Value>,
    pub token: &'a NormanToken,
}

/// What Norman answered with a 2xx status.
pub struct ApiResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: bytes::Bytes,
}

impl NormanClient {
    /// Sends `request` with the user's own Norman token. A 401 is `Unauthorized` (the token
    /// expired or was revoked); any other status of 400 or more is `Status` with Norman's message.
    pub async fn call(&self, request: ApiRequest<'_>) -> Result<ApiResponse, NormanError> {
        let mut builder = self
            .http()
            .request(request.method, self.url(&request.path))
            .bearer_auth(request.token.expose())
            .header("X-Requested-With", "XMLHttpRequest");
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if let Some(json) = &request.json {
            builder = builder.json(json);
        }
        let response = builder.send().await.map_err(NormanError::from_reqwest)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(NormanError::from_reqwest)?;
        match status {
            200..=299 => Ok(ApiResponse { status, content_type, body }),
            401 => Err(NormanError::Unauthorized),
            status => Err(NormanError::Status { status, message: error_message(&body) }),
        }
    }
}

/// Norman's own words from an error body (`detail`, `message`, `error`, or the whole JSON).
fn error_message(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    for key in ["detail", "message", "error"] {
        if let Some(text) = value.get(key).and_then(Value::as_str) {
            return Some(text.to_owned());
        }
    }
    Some(value.to_string())
}
