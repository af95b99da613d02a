//! The authorization server's HTTP surface: thin handlers that parse, call the protocol logic
//! in the sibling modules and render its answer. Only here do outcomes and errors become
//! status codes, JSON, pages, redirects and cookies.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use time::OffsetDateTime;

use crate::i18n::{Lang, Texts};
use crate::norman::CompanyAccess;
use crate::oauth::AuthServer;
use crate::oauth::authorize::{self, AuthorizeFailure, AuthorizeParams};
use crate::oauth::cimd::CimdError;
use crate::oauth::client::{ClientLookupError, RedirectMismatch, Requester};
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::login::norman::CallbackParams;
use crate::oauth::login::{
    ChoiceProblem, CompanyChoiceForm, CompanyChoicePage, LoginForm, LoginOutcome, LoginRefusal, RetryProblem,
    form, retry_after_seconds, wait_message,
};
use crate::oauth::metadata;
use crate::oauth::pages::{self, CompanyOption, CompanyPage, LoginPage, PageError};
use crate::oauth::register::{self, RegistrationRequest};
use crate::oauth::token::FormParams;
use crate::redirect::RedirectUri;
use crate::tokens::login::LoginRequest;
use crate::web;

/// The routes of the authorization server. The JSON endpoints get CORS; the pages do not.
pub fn routes(server: Arc<AuthServer>) -> Router {
    let api = Router::new()
        .route("/.well-known/oauth-authorization-server", get(authorization_server_metadata))
        .route("/.well-known/oauth-protected-resource", get(protected_resource_metadata))
        .route("/.well-known/oauth-protected-resource/mcp", get(protected_resource_metadata))
        .route("/register", post(register_client))
        .route("/token", post(token))
        .route("/revoke", post(revoke))
        .layer(web::cors());
    let pages = Router::new()
        .route("/authorize", get(authorize_page).post(submit_login))
        .route("/authorize/company", post(submit_company))
        .route("/assets/norman.css", get(stylesheet))
        .route("/assets/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon));
    // Norman's redirect back exists only where "Sign in with Norman" is offered.
    let pages = if server.login_mode.offers_norman() {
        pages.route("/oauth/callback", get(norman_callback))
    } else {
        pages
    };
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

async fn favicon() -> Response {
    (
        [(header::CONTENT_TYPE, "image/svg+xml"), (header::CACHE_CONTROL, "public, max-age=86400")],
        pages::FAVICON,
    )
        .into_response()
}

/// The language of the pages for this request (`Accept-Language`).
fn page_lang(headers: &HeaderMap) -> Lang {
    Lang::negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

async fn register_client(State(server): State<Arc<AuthServer>>, headers: HeaderMap, body: Bytes) -> Response {
    if !web::content_type_is(&headers, "application/json") {
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
    if !web::content_type_is(headers, "application/x-www-form-urlencoded") {
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
    let lang = page_lang(&headers);
    let t = lang.texts();
    let Ok(Query(params)) = params else {
        return PageError::new(
            StatusCode::BAD_REQUEST,
            lang,
            t.error.cannot_connect.as_str(),
            t.error.malformed.as_str(),
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
            return client_page(&error, lang).into_response();
        }
    };
    let valid = match authorize::validate(&params, client, &server.resource) {
        Ok(valid) => valid,
        Err(AuthorizeFailure::RedirectMismatch(mismatch)) => {
            let message = match mismatch {
                RedirectMismatch::Missing => &t.error.redirect_missing,
                RedirectMismatch::NotRegistered => &t.error.redirect_not_registered,
            };
            return PageError::new(
                StatusCode::BAD_REQUEST,
                lang,
                t.error.cannot_connect.as_str(),
                message.as_str(),
            )
            .into_response();
        }
        Err(AuthorizeFailure::Redirect(redirect)) => {
            tracing::info!(error = redirect.code.as_str(), "authorization request refused");
            return Redirect::to(&redirect.location(&server.issuer)).into_response();
        }
    };
    let issued = match form::issue(&keyring, &valid, server.secure_cookies, now) {
        Ok(issued) => issued,
        Err(error) => {
            tracing::error!(%error, "could not issue a login form");
            return PageError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                lang,
                t.error.went_wrong_title.as_str(),
                t.error.went_wrong.as_str(),
            )
            .into_response();
        }
    };
    let form = FormState { envelope: &issued.envelope, email: "", allow_write: true, error: None };
    let mut response = login_form(&server, lang, &issued.request, &form, StatusCode::OK);
    if let Ok(cookie) = HeaderValue::from_str(&issued.set_cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The page for a client that could not be identified: 400, or 503 (429 when this address
/// caused too many fetches) while its metadata document cannot be had right now. What a
/// metadata document got wrong is a technical detail for the app's developer, in English.
fn client_page(error: &ClientLookupError, lang: Lang) -> PageError {
    let t = &lang.texts().error;
    let (status, message) = match error {
        ClientLookupError::Missing => (StatusCode::BAD_REQUEST, &t.client_missing),
        ClientLookupError::Unknown => (StatusCode::BAD_REQUEST, &t.client_unknown),
        ClientLookupError::Invalid(_) => (StatusCode::BAD_REQUEST, &t.client_invalid),
        ClientLookupError::Metadata(CimdError::RateLimited) => {
            (StatusCode::TOO_MANY_REQUESTS, &t.metadata_rate_limited)
        }
        ClientLookupError::Metadata(CimdError::Busy) => (StatusCode::SERVICE_UNAVAILABLE, &t.metadata_busy),
        ClientLookupError::Metadata(e) if e.is_unavailable() => {
            (StatusCode::SERVICE_UNAVAILABLE, &t.metadata_unavailable)
        }
        ClientLookupError::Metadata(_) => (StatusCode::BAD_REQUEST, &t.metadata),
    };
    let page = PageError::new(status, lang, t.cannot_connect.as_str(), message.as_str());
    match error {
        ClientLookupError::Metadata(CimdError::RateLimited | CimdError::Busy) => page,
        ClientLookupError::Metadata(detail) => page.with_detail(detail.to_string()),
        _ => page,
    }
}

/// What the login form shows besides the sealed request: its hidden field, what the person
/// typed or chose before, and what to fix.
struct FormState<'a> {
    envelope: &'a str,
    email: &'a str,
    allow_write: bool,
    error: Option<&'a str>,
}

fn login_form(
    server: &AuthServer,
    lang: Lang,
    request: &LoginRequest,
    form: &FormState<'_>,
    status: StatusCode,
) -> Response {
    let t: &'static Texts = lang.texts();
    let redirect_host = RedirectUri::parse(&request.redirect_uri)
        .map(|r| (r.host_for_display(), r.is_loopback()))
        .unwrap_or_else(|_| (t.login.your_app.to_string(), false));
    let page = LoginPage {
        lang,
        t,
        client_name: &request.client_name,
        redirect_host: &redirect_host.0,
        redirect_is_loopback: redirect_host.1,
        can_write: authorize::wants_write(request.scope),
        allow_write: form.allow_write,
        login_request: form.envelope,
        email: form.email,
        error: form.error,
        offer_password: server.login_mode.offers_password(),
        offer_norman: server.login_mode.offers_norman(),
    };
    // The form's answer redirects to the app, or to Norman's authorization server; browsers
    // apply `form-action` to both.
    let mut targets: Vec<String> = authorize::form_action_source(&request.redirect_uri).into_iter().collect();
    if page.offer_norman {
        targets.push(server.norman.oauth_origin());
    }
    pages::html(status, &page, Some(targets.join(" ")).filter(|t| !t.is_empty()).as_deref())
}

async fn submit_login(
    State(server): State<Arc<AuthServer>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let t = lang.texts();
    let form: LoginForm = match serde_urlencoded::from_bytes(&body) {
        Ok(form) => form,
        Err(_) => {
            return PageError::new(
                StatusCode::BAD_REQUEST,
                lang,
                t.error.unreadable_title.as_str(),
                t.error.unreadable.as_str(),
            )
            .into_response();
        }
    };
    let cookie_header = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let client_address = server.trusted_proxies.client_address(peer.ip(), &headers);
    let outcome = server.login(form, cookie_header, client_address, OffsetDateTime::now_utc()).await;
    login_outcome(&server, outcome, lang)
}

/// The company choice page's answer (docs/architecture.md, "Choosing the company").
async fn submit_company(
    State(server): State<Arc<AuthServer>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let lang = page_lang(&headers);
    let t = lang.texts();
    let Ok(form) = serde_urlencoded::from_bytes::<CompanyChoiceForm>(&body) else {
        return PageError::new(
            StatusCode::BAD_REQUEST,
            lang,
            t.error.unreadable_title.as_str(),
            t.error.unreadable.as_str(),
        )
        .into_response();
    };
    let cookie_header = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let client_address = server.trusted_proxies.client_address(peer.ip(), &headers);
    let outcome = server.choose_company(form, cookie_header, client_address, OffsetDateTime::now_utc()).await;
    login_outcome(&server, outcome, lang)
}

/// Renders what a login form or the company choice led to.
fn login_outcome(server: &AuthServer, outcome: LoginOutcome, lang: Lang) -> Response {
    let t = lang.texts();
    match outcome {
        LoginOutcome::Redirect { location, spent_cookie } => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, "no-store".to_owned()),
                (header::SET_COOKIE, form::clearing_cookie(&spent_cookie, server.secure_cookies)),
            ],
        )
            .into_response(),
        LoginOutcome::ToNorman { location, set_cookie } => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, location),
                (header::CACHE_CONTROL, "no-store".to_owned()),
                (header::SET_COOKIE, set_cookie),
            ],
        )
            .into_response(),
        LoginOutcome::Retry { problem, request, envelope, email, allow_write } => {
            let status = match problem {
                RetryProblem::EmailTooLong | RetryProblem::MissingCredentials => StatusCode::BAD_REQUEST,
                RetryProblem::BadCredentials => StatusCode::UNAUTHORIZED,
                RetryProblem::TooManyFailures { .. } => StatusCode::TOO_MANY_REQUESTS,
            };
            let message = problem.message(t);
            let form = FormState { envelope: &envelope, email: &email, allow_write, error: Some(&message) };
            let mut response = login_form(server, lang, &request, &form, status);
            if let RetryProblem::TooManyFailures { retry_after } = problem {
                set_retry_after(&mut response, retry_after);
            }
            response
        }
        LoginOutcome::ChooseCompany(page) => company_page(lang, &page),
        LoginOutcome::Refused(refusal) => {
            let mut response = refusal_page(refusal, lang).into_response();
            if let LoginRefusal::TooManyAnswers { retry_after } = refusal {
                set_retry_after(&mut response, retry_after);
            }
            response
        }
    }
}

/// `Retry-After` on a page refused by a limit (RFC 6585 §4).
fn set_retry_after(response: &mut Response, retry_after: Duration) {
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds(retry_after)));
}

/// The company choice page: 200, or 400 when the answer named no company or another one.
fn company_page(lang: Lang, page: &CompanyChoicePage) -> Response {
    let t: &'static Texts = lang.texts();
    let message = page.problem.map(|problem| problem.message(t));
    let companies = page
        .companies
        .iter()
        .map(|company| CompanyOption {
            id: &company.id,
            name: &company.name,
            is_client: company.access == CompanyAccess::AdvisorClient,
        })
        .collect();
    let rendered = CompanyPage {
        lang,
        t,
        client_name: &page.client_name,
        company_choice: &page.envelope,
        companies,
        selected: &page.selected,
        error: message.as_deref(),
    };
    let status = match page.problem {
        None => StatusCode::OK,
        Some(ChoiceProblem::NoneChosen | ChoiceProblem::NotYours) => StatusCode::BAD_REQUEST,
    };
    let mut response =
        pages::html(status, &rendered, authorize::form_action_source(&page.redirect_uri).as_deref());
    if let Ok(cookie) = HeaderValue::from_str(&page.set_cookie) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// `GET /oauth/callback`: Norman's redirect back after "Sign in with Norman". Renders like the
/// login form's answer: a redirect to the app, the company choice, or a page.
async fn norman_callback(
    State(server): State<Arc<AuthServer>>,
    headers: HeaderMap,
    params: Result<Query<CallbackParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let lang = page_lang(&headers);
    let Ok(Query(params)) = params else {
        return refusal_page(LoginRefusal::Expired, lang).into_response();
    };
    let cookie_header = headers.get(header::COOKIE).and_then(|v| v.to_str().ok());
    let outcome = server.norman_callback(params, cookie_header, OffsetDateTime::now_utc()).await;
    login_outcome(&server, outcome, lang)
}

fn refusal_page(refusal: LoginRefusal, lang: Lang) -> PageError {
    let texts = lang.texts();
    let (t, n) = (&texts.error, &texts.norman_oauth);
    let c = &texts.company;
    let (status, title, message) = match refusal {
        LoginRefusal::Expired => (StatusCode::BAD_REQUEST, &t.expired_title, t.expired.to_string()),
        LoginRefusal::CookieMissing => (StatusCode::FORBIDDEN, &t.cookie_title, t.cookie.to_string()),
        LoginRefusal::NormanUnavailable => (StatusCode::BAD_GATEWAY, &t.norman_title, t.norman.to_string()),
        LoginRefusal::Internal => {
            (StatusCode::INTERNAL_SERVER_ERROR, &t.went_wrong_title, t.went_wrong.to_string())
        }
        LoginRefusal::NotOffered => (StatusCode::FORBIDDEN, &n.not_offered_title, n.not_offered.to_string()),
        LoginRefusal::NormanRefused => (StatusCode::BAD_REQUEST, &n.refused_title, n.refused.to_string()),
        LoginRefusal::TooManyAnswers { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            &c.too_many_title,
            wait_message(&c.too_many_one, &c.too_many, retry_after),
        ),
    };
    PageError::new(status, lang, title.as_str(), message)
}

/// The HTTP status of each error code (RFC 6749 §5.2: 400 unless said otherwise).
fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// RFC 6749 §5.2 JSON, never cached; a Basic challenge when the client tried Basic (§5.2
/// `invalid_client`), `Retry-After` when the answer is a temporary outage.
impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": self.code.as_str(),
            "error_description": self.description,
        });
        let mut response = (status_of(self.code), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.code == ErrorCode::InvalidClient && self.basic_challenge {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"norman-mcp\""));
        }
        if let Some(secs) = self.retry_after_secs {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
