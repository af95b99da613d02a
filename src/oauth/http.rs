//! The authorization server's HTTP surface: thin handlers that parse, call the protocol logic
//! in the sibling modules and render its answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use time::OffsetDateTime;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::oauth::AuthServer;
use crate::oauth::authorize::{self, AuthorizeFailure, AuthorizeParams};
use crate::oauth::client::Requester;
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::login::{LoginForm, LoginOutcome, csrf_cookie_name, retry_after_seconds};
use crate::oauth::metadata;
use crate::oauth::pages::{self, LoginPage, PageError};
use crate::oauth::register::{self, RegistrationRequest};
use crate::oauth::token::FormParams;
use crate::seal;
use crate::tokens::login::{LOGIN_LIFETIME, LoginRequest};
use crate::tokens::random_id;

/// CORS for browser-based clients: any origin (the endpoints use no cookies), the MCP
/// headers allowed, `WWW-Authenticate` readable, preflights answered before anything else.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_methods([Method::GET, Method::POST, Method::DELETE, Method::OPTIONS])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("mcp-protocol-version"),
            header::HeaderName::from_static("mcp-session-id"),
            header::HeaderName::from_static("last-event-id"),
        ])
        .expose_headers([
            header::WWW_AUTHENTICATE,
            header::HeaderName::from_static("mcp-session-id"),
            header::HeaderName::from_static("mcp-protocol-version"),
        ])
        .max_age(Duration::from_secs(3600))
}

/// The routes of the authorization server. The JSON endpoints get CORS; the pages do not.
pub fn routes(server: Arc<AuthServer>) -> Router {
    let api = Router::new()
        .route("/.well-known/oauth-authorization-server", get(authorization_server_metadata))
        .route("/.well-known/oauth-protected-resource", get(protected_resource_metadata))
        .route("/.well-known/oauth-protected-resource/mcp", get(protected_resource_metadata))
        .route("/register", post(register_client))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .layer(cors());
    let pages = Router::new()
        .route("/authorize", get(authorize_page).post(submit_login))
        .route("/assets/norman.css", get(stylesheet));
    api.merge(pages).with_state(server)
}

async fn authorization_server_metadata(State(server): State<Arc<AuthServer>>) -> Response {
    public_json(metadata::authorization_server(&server.issuer))
}

async fn protected_resource_metadata(State(server): State<Arc<AuthServer>>) -> Response {
    public_json(metadata::protected_resource(&server.issuer, &server.resource))
}

fn public_json(value: serde_json::Value) -> Response {
    let mut response = axum::Json(value).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}

async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        pages::STYLESHEET,
    )
        .into_response()
}

fn content_type_is(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
}

async fn register_client(State(server): State<Arc<AuthServer>>, headers: HeaderMap, body: Bytes) -> Response {
    if !content_type_is(&headers, "application/json") {
        return OAuthError::invalid_request("send the registration as application/json").into_response();
    }
    let request: RegistrationRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => {
            return OAuthError::new(
                ErrorCode::InvalidClientMetadata,
                "the body is not a JSON client metadata object",
            )
            .into_response();
        }
    };
    match register::register(&server.keyring.current(), request, OffsetDateTime::now_utc()) {
        Ok(registered) => {
            tracing::info!(client_name = ?registered.client_name, method = registered.token_endpoint_auth_method, "client registered");
            let mut response = (StatusCode::CREATED, axum::Json(registered)).into_response();
            response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

fn form_params(headers: &HeaderMap, body: &[u8]) -> Result<FormParams, OAuthError> {
    if !content_type_is(headers, "application/x-www-form-urlencoded") {
        return Err(OAuthError::invalid_request("send the request as application/x-www-form-urlencoded"));
    }
    FormParams::parse(body)
}

async fn token(State(server): State<Arc<AuthServer>>, headers: HeaderMap, body: Bytes) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let result = match form_params(&headers, &body) {
        Ok(params) => server.token(&params, authorization, OffsetDateTime::now_utc()).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(tokens) => {
            let mut response = axum::Json(tokens).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(error) => {
            // Debug, not Display: a description may quote a parameter name, which may hold a
            // line break meant to forge a log line.
            tracing::info!(error = error.code.as_str(), description = ?error.description, "token request refused");
            error.into_response()
        }
    }
}

async fn revoke(
    State(server): State<Arc<AuthServer>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let requester = server.trusted_proxies.client_address(peer.ip(), &headers);
    let result = match form_params(&headers, &body) {
        Ok(params) => server.revoke(&params, authorization, requester, OffsetDateTime::now_utc()).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => (StatusCode::OK, [(header::CACHE_CONTROL, "no-store")]).into_response(),
        Err(error) => error.into_response(),
    }
}

async fn authorize_page(
    State(server): State<Arc<AuthServer>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    params: Result<Query<AuthorizeParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(params)) = params else {
        return PageError::new(
            StatusCode::BAD_REQUEST,
            "This app cannot connect",
            "The authorization request is malformed (a parameter is repeated or not valid).",
        )
        .into_response();
    };
    let now = OffsetDateTime::now_utc();
    let keyring = server.keyring.current();
    let client_id = params.client_id.as_deref().unwrap_or("");
    let requester = Requester::Address(server.trusted_proxies.client_address(peer.ip(), &headers));
    let client = match server.clients.resolve(&keyring, client_id, requester, now).await {
        Ok(client) => client,
        Err(error) => {
            tracing::info!(?error, "authorization request from an unknown client");
            return authorize::client_page(&error).into_response();
        }
    };
    let valid = match authorize::validate(&params, client, &server.resource) {
        Ok(valid) => valid,
        Err(AuthorizeFailure::Page(page)) => return page.into_response(),
        Err(AuthorizeFailure::Redirect(redirect)) => {
            tracing::info!(error = redirect.code.as_str(), "authorization request refused");
            return Redirect::to(&redirect.location(&server.issuer)).into_response();
        }
    };
    let Ok(csrf_nonce) = random_id() else {
        return PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again.",
        )
        .into_response();
    };
    let request = LoginRequest {
        client_id: valid.client.id.clone(),
        client_name: valid.client.display_name().to_owned(),
        redirect_uri: valid.redirect_uri.clone(),
        redirect_uri_given: valid.redirect_uri_given,
        state: valid.state.clone(),
        code_challenge: valid.code_challenge.clone(),
        scope: valid.scopes,
        resource: valid.resource.clone(),
        csrf_nonce,
        expires_at: now + LOGIN_LIFETIME,
    };
    let envelope = match seal::seal(&keyring, &request, now) {
        Ok(envelope) => envelope,
        Err(error) => {
            tracing::error!(%error, "could not seal a login request");
            return PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "Please try again.",
            )
            .into_response();
        }
    };
    let mut response = login_form(&request, &envelope, "", None, StatusCode::OK);
    let cookie = format!(
        "{}={}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{}",
        csrf_cookie_name(server.secure_cookies, &request.csrf_nonce),
        request.csrf_nonce,
        LOGIN_LIFETIME.whole_seconds(),
        if server.secure_cookies { "; Secure" } else { "" }
    );
    if let Ok(cookie) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn login_form(
    request: &LoginRequest,
    envelope: &str,
    email: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let redirect_host = crate::oauth::redirect::RedirectUri::parse(&request.redirect_uri)
        .map(|r| (r.host_for_display(), r.is_loopback()))
        .unwrap_or_else(|_| (String::from("your app"), false));
    let page = LoginPage {
        client_name: &request.client_name,
        redirect_host: &redirect_host.0,
        redirect_is_loopback: redirect_host.1,
        can_write: authorize::wants_write(request.scope),
        login_request: envelope,
        email,
        error,
    };
    pages::html(status, &page, authorize::form_action_source(&request.redirect_uri).as_deref())
}

async fn submit_login(
    State(server): State<Arc<AuthServer>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form: LoginForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(_) => {
            return PageError::new(
                StatusCode::BAD_REQUEST,
                "This sign-in could not be read",
                "Please start the connection again from your app.",
            )
            .into_response();
        }
    };
    let cookie_header = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let client_address = server.trusted_proxies.client_address(peer.ip(), &headers);
    match server.login(form, cookie_header, client_address, OffsetDateTime::now_utc()).await {
        LoginOutcome::Redirect { location, spent_cookie } => {
            let secure = if server.secure_cookies { "; Secure" } else { "" };
            let clear = format!("{spent_cookie}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax{secure}");
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, location),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                    (header::SET_COOKIE, clear),
                ],
            )
                .into_response()
        }
        LoginOutcome::Retry { status, request, envelope, email, message, retry_after } => {
            let mut response = login_form(&request, &envelope, &email, Some(&message), status);
            if let Some(retry_after) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds(retry_after)));
            }
            response
        }
        LoginOutcome::Page(page) => page.into_response(),
    }
}
