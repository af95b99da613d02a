//! Calls of the Norman REST API on behalf of one user: the tools' upstream.

use http::Method;
use serde_json::{Map, Value};
use url::Url;

use super::NormanToken;
use super::multipart::Form;
use super::{Body, NormanClient, NormanError};

/// One call: a path under the base URL, query pairs and a body.
pub struct ApiRequest<'a> {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: ApiBody,
    pub token: &'a NormanToken,
}

/// What goes in the request body.
pub enum ApiBody {
    /// No body and no `Content-Type` (Norman's action endpoints such as `submit-report/`).
    Empty,
    /// `application/json`.
    Json(Map<String, Value>),
    /// `multipart/form-data` (uploads).
    Multipart(Form),
}

/// What Norman answered, whatever the status except 401.
pub struct ApiResponse {
    pub status: u16,
    pub content_type: Option<String>,
    pub body: bytes::Bytes,
}

impl ApiResponse {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// Declared as JSON (`application/json`, `application/problem+json`, ...).
    pub fn is_json(&self) -> bool {
        self.content_type.as_deref().is_some_and(|t| {
            let mime = t.split(';').next().unwrap_or_default().trim();
            mime.eq_ignore_ascii_case("application/json") || mime.to_ascii_lowercase().ends_with("+json")
        })
    }

    /// The body parsed as JSON; `None` when it is empty or not JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

impl NormanClient {
    /// Sends `request` with the user's own Norman token and returns Norman's answer, error
    /// statuses included, so the caller can show Norman's own message. Only a 401 is an error
    /// here (`Unauthorized`: the token expired or was revoked), besides transport failures.
    pub async fn call(&self, request: ApiRequest<'_>) -> Result<ApiResponse, NormanError> {
        let _timer = self.timer("api");
        let mut url = self.url(&request.path);
        if !request.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&request.query);
        }
        let body = match request.body {
            ApiBody::Empty => Body::empty(),
            ApiBody::Json(map) => Body::json(&map),
            ApiBody::Multipart(form) => Body::multipart(form),
        };
        let answer = self.send(request.method, &url, Some(request.token), body).await?;
        if answer.status == 401 {
            return Err(NormanError::Unauthorized);
        }
        Ok(ApiResponse { status: answer.status, content_type: answer.content_type, body: answer.body })
    }
}

impl NormanClient {
    /// `GET` of a presigned download link that Norman handed out under its own origin, without
    /// credentials: the link itself is the permission, and the user's token must not travel
    /// with it. Links to other hosts (object storage) are not fetched here.
    pub async fn download(&self, url: &Url) -> Result<ApiResponse, NormanError> {
        if url.origin() != self.base().origin() {
            return Err(NormanError::Unreachable);
        }
        let _timer = self.timer("download");
        let answer = self.send(Method::GET, url, None, Body::empty()).await?;
        Ok(ApiResponse { status: answer.status, content_type: answer.content_type, body: answer.body })
    }
}
