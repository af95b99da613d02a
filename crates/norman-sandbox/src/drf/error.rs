//! Error answers in the shapes Django REST Framework (and SimpleJWT) give, so that the client
//! code under test sees what it would see from the real API.

use axum::body::Body;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

/// Every non-2xx answer of the sandbox.
#[derive(Debug)]
pub(crate) enum ApiError {
    /// 401 for a missing, forged, expired or revoked access token.
    TokenInvalid,
    /// 401 for a refresh token that is spent, unknown, forged or expired.
    RefreshInvalid,
    /// 401 for a login with wrong credentials.
    BadCredentials,
    /// 404, also for another company's objects: existence must not leak.
    NotFound,
    /// 405 with DRF's wording.
    MethodNotAllowed(Method),
    /// 400 with `{field: ["message"]}`.
    Invalid(Map<String, Value>),
    /// Any status with `{"detail": "..."}`.
    Detail(StatusCode, String),
    /// Any status with a prepared JSON body.
    Body(StatusCode, Value),
}

impl ApiError {
    /// 400 for a single field.
    pub(crate) fn field(name: &str, message: impl Into<String>) -> ApiError {
        let mut map = Map::new();
        map.insert(name.to_owned(), Value::Array(vec![Value::String(message.into())]));
        ApiError::Invalid(map)
    }

    pub(crate) fn bad_request(detail: impl Into<String>) -> ApiError {
        ApiError::Detail(StatusCode::BAD_REQUEST, detail.into())
    }
}

const TOKEN_INVALID: &[u8] =
    br#"{"detail":"Given token not valid for any token type","code":"token_not_valid"}"#;
const REFRESH_INVALID: &[u8] = br#"{"detail":"Token is invalid or expired","code":"token_not_valid"}"#;
const BAD_CREDENTIALS: &[u8] = br#"{"detail":"No active account found with the given credentials"}"#;
const NOT_FOUND: &[u8] = br#"{"detail":"Not found."}"#;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::TokenInvalid => {
                let mut response = bytes_response(StatusCode::UNAUTHORIZED, TOKEN_INVALID);
                // SimpleJWT's authenticator announces the scheme like this.
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"api\""));
                response
            }
            ApiError::RefreshInvalid => bytes_response(StatusCode::UNAUTHORIZED, REFRESH_INVALID),
            ApiError::BadCredentials => bytes_response(StatusCode::UNAUTHORIZED, BAD_CREDENTIALS),
            ApiError::NotFound => bytes_response(StatusCode::NOT_FOUND, NOT_FOUND),
            ApiError::MethodNotAllowed(method) => json(
                StatusCode::METHOD_NOT_ALLOWED,
                &serde_json::json!({ "detail": format!("Method \"{method}\" not allowed.") }),
            ),
            ApiError::Invalid(map) => json(StatusCode::BAD_REQUEST, &map),
            ApiError::Detail(status, detail) => json(status, &serde_json::json!({ "detail": detail })),
            ApiError::Body(status, body) => json(status, &body),
        }
    }
}

fn bytes_response(status: StatusCode, body: &'static [u8]) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// Serialises `value` as the response body. Serialising a `serde_json` value cannot fail;
/// should it anyway, the client gets a 500 rather than the sandbox panicking.
pub(crate) fn json<T: Serialize + ?Sized>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(bytes) => {
            let mut response = Response::new(Body::from(bytes));
            *response.status_mut() = status;
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// 200 with a JSON body.
pub(crate) fn ok<T: Serialize + ?Sized>(value: &T) -> Response {
    json(StatusCode::OK, value)
}

/// 201 with a JSON body.
pub(crate) fn created<T: Serialize + ?Sized>(value: &T) -> Response {
    json(StatusCode::CREATED, value)
}

/// 204 without a body.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub(crate) type ApiResult = Result<Response, ApiError>;
