//! The request extractors every handler uses besides the caller: the `{id}` path parameter,
//! the query string and the raw body, and DRF's readings of query filters.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde_json::{Map, Value};
use time::Date;

use super::error::ApiError;
use super::fields::{parse_bool, parse_date, parse_object};

/// The `{id}` path parameter; anything undecodable is simply not found.
pub(crate) struct Id(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let params = RawPathParams::from_request_parts(parts, state).await.map_err(|_| ApiError::NotFound)?;
        params
            .iter()
            .find(|(k, _)| *k == "id" || *k == "token")
            .map(|(_, v)| Id(v.to_owned()))
            .ok_or(ApiError::NotFound)
    }
}

/// Decoded query parameters; never rejects (bad percent-encoding decodes lossily).
pub(crate) struct Params(Vec<(String, String)>);

impl Params {
    /// The last value of `key`, as DRF's `QueryDict.get` reads it.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let pairs = parts
            .uri
            .query()
            .map(|q| url::form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        Ok(Params(pairs))
    }
}

/// Reads an optional date filter from the query; a malformed one is a 400 on that parameter.
pub(crate) fn date_param(params: &Params, key: &str) -> Result<Option<Date>, ApiError> {
    match params.get(key) {
        None | Some("") => Ok(None),
        Some(v) => parse_date(v).map(Some).ok_or_else(|| ApiError::field(key, "Enter a valid date.")),
    }
}

/// Reads an optional boolean filter (`True`/`False` as python-requests sends them).
pub(crate) fn bool_param(params: &Params, key: &str) -> Result<Option<bool>, ApiError> {
    match params.get(key) {
        None | Some("") => Ok(None),
        Some(v) => parse_bool(v).map(Some).ok_or_else(|| ApiError::field(key, "Must be a valid boolean.")),
    }
}

/// Reads an optional number filter.
pub(crate) fn number_param(params: &Params, key: &str) -> Result<Option<f64>, ApiError> {
    match params.get(key) {
        None | Some("") => Ok(None),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| ApiError::field(key, "Enter a number.")),
    }
}

/// The request body with its content type; a body over the limit is a JSON 413.
pub(crate) struct RawBody {
    pub content_type: Option<String>,
    pub bytes: Bytes,
}

impl RawBody {
    /// The body as a JSON-ish object (JSON, form or multipart fields); see `parse_object`.
    pub(crate) fn object(&self) -> Result<Map<String, Value>, ApiError> {
        parse_object(self.content_type.as_deref(), &self.bytes)
    }
}

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let content_type = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::Detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large.".into()))?;
        Ok(RawBody { content_type, bytes })
    }
}

/// Reads an optional choice filter; a value that is not one of `choices` is a 400 on that
/// parameter, as django-filter's `ChoiceFilter` answers.
pub(crate) fn choice_param<'a>(
    params: &'a Params,
    key: &str,
    choices: &[&str],
) -> Result<Option<&'a str>, ApiError> {
    match params.get(key) {
        None | Some("") => Ok(None),
        Some(v) if choices.contains(&v) => Ok(Some(v)),
        Some(v) => Err(ApiError::field(
            key,
            format!("Select a valid choice. {v} is not one of the available choices."),
        )),
    }
}
