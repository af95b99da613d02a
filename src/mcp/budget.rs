//! Memory for large `/mcp` bodies. A tool call holds its body several times over (the bytes,
//! the parsed JSON, decoded files), so a replica admits only so many large bodies at once;
//! the rest wait briefly, then get 503 with `Retry-After`. Small bodies, nearly every call,
//! pass without touching the budget.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The budget's unit: bodies up to one unit are small.
const UNIT_BYTES: usize = 1024 * 1024;

pub struct BodyBudget {
    units: Arc<Semaphore>,
    max_body_units: u32,
    wait: Duration,
}

/// Held while the request runs; returns its share of the budget when dropped.
pub struct Admission {
    _permit: Option<OwnedSemaphorePermit>,
}

/// The budget stayed exhausted for the whole wait.
#[derive(Debug)]
pub struct Busy;

impl BodyBudget {
    /// `total_bytes` of large bodies in flight at once (at least one body of `max_body_bytes`),
    /// waiting up to `wait` for room.
    pub fn new(total_bytes: usize, max_body_bytes: usize, wait: Duration) -> BodyBudget {
        let max_body_units = units(max_body_bytes);
        let total = units(total_bytes).max(max_body_units);
        BodyBudget { units: Arc::new(Semaphore::new(total as usize)), max_body_units, wait }
    }

    /// Room for the body these headers announce; a body of unknown length counts as the
    /// largest allowed.
    pub async fn admit(&self, headers: &HeaderMap) -> Result<Admission, Busy> {
        let length = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<usize>().ok());
        let needed = match length {
            Some(length) if length <= UNIT_BYTES => return Ok(Admission { _permit: None }),
            Some(length) => units(length).min(self.max_body_units),
            None => self.max_body_units,
        };
        let acquire = Arc::clone(&self.units).acquire_many_owned(needed);
        match tokio::time::timeout(self.wait, acquire).await {
            Ok(Ok(permit)) => Ok(Admission { _permit: Some(permit) }),
            Ok(Err(_)) | Err(_) => Err(Busy),
        }
    }
}

fn units(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(UNIT_BYTES)).unwrap_or(u32::MAX)
}

impl IntoResponse for Busy {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": "temporarily_unavailable",
            "error_description": "the server is receiving other large requests; try again shortly",
        });
        let mut response = (StatusCode::SERVICE_UNAVAILABLE, axum::Json(body)).into_response();
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        response
    }
}
