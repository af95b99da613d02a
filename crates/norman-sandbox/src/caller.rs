//! Login, refresh rotation and the extractors every data handler starts with.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use serde_json::{Map, Value, json};

use super::error::{ApiError, ApiResult, ok};
use super::fields::{Fields, Kind, parse_object};
use super::store::CompanyState;
use super::token::{RefreshEntry, TokenType, now_secs};
use super::{DEMO_USERS, Sandbox, bump, user_index};

/// Live refresh tokens by `jti`. Spending one removes it; expired ones are swept out once the
/// map grows, so a long benchmark that logs in repeatedly does not grow memory without end.
#[derive(Default)]
pub(crate) struct RefreshStore {
    live: HashMap<String, RefreshEntry>,
    sweep_at: usize,
}

impl RefreshStore {
    fn insert(&mut self, jti: String, entry: RefreshEntry) {
        if self.live.len() >= self.sweep_at.max(4096) {
            let now = now_secs();
            self.live.retain(|_, e| e.exp > now);
            self.sweep_at = self.live.len() * 2;
        }
        self.live.insert(jti, entry);
    }

    fn take(&mut self, jti: &str) -> Option<RefreshEntry> {
        self.live.remove(jti)
    }
}

impl Sandbox {
    /// Issues an access + refresh pair and remembers the refresh token as unspent.
    fn issue_pair(&self, user: usize) -> Value {
        let serial = self.next_serial.fetch_add(2, Ordering::SeqCst);
        let (access, _) = self.keys.mint(TokenType::Access, user, serial, self.config.access_ttl);
        let (refresh, claims) = self.keys.mint(TokenType::Refresh, user, serial + 1, self.config.refresh_ttl);
        let mut store = self.refresh_tokens.lock().unwrap_or_else(|e| e.into_inner());
        store.insert(claims.jti, RefreshEntry { exp: claims.exp });
        drop(store);
        json!({ "access": access, "refresh": refresh })
    }

    /// The user index behind a valid, unrevoked access token.
    fn authenticate(&self, header: Option<&HeaderValue>) -> Option<usize> {
        let value = header?.to_str().ok()?;
        let (scheme, token) = value.trim().split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("bearer") {
            return None;
        }
        let claims = self.keys.verify(token.trim(), TokenType::Access)?;
        let user = claims.user_index().filter(|&u| u < DEMO_USERS.len())?;
        if claims.serial < self.min_serial[user].load(Ordering::SeqCst) {
            return None;
        }
        Some(user)
    }
}

/// `POST api/v1/auth/token/` with `{username, email, password}`.
pub(crate) async fn login(State(sb): State<Arc<Sandbox>>, body: RawBody) -> ApiResult {
    let result = check_login(&body);
    match result {
        Ok(user) => {
            bump(&sb.counters.logins_ok);
            Ok(ok(&sb.issue_pair(user)))
        }
        Err(error) => {
            bump(&sb.counters.logins_failed);
            Err(error)
        }
    }
}

fn check_login(body: &RawBody) -> Result<usize, ApiError> {
    let map = body.object()?;
    let mut fields = Fields::new(&map);
    let email = fields.get("email", Kind::NonBlank, true);
    let password = fields.get("password", Kind::NonBlank, true);
    let username = fields.get("username", Kind::Text, false);
    fields.finish()?;
    let (Some(Value::String(email)), Some(Value::String(password))) = (email, password) else {
        return Err(ApiError::BadCredentials);
    };
    let user = user_index(&email).ok_or(ApiError::BadCredentials)?;
    let demo = &DEMO_USERS[user];
    if demo.password != password {
        return Err(ApiError::BadCredentials);
    }
    // The Python client sends the email's local part; if a username is given it must fit.
    if let Some(Value::String(username)) = username {
        let local = demo.email.split('@').next().unwrap_or_default();
        if !username.is_empty() && !username.eq_ignore_ascii_case(local) {
            return Err(ApiError::BadCredentials);
        }
    }
    Ok(user)
}

/// `POST api/v1/auth/token/refresh/` with `{refresh}`: rotates, the old token is spent.
pub(crate) async fn refresh(State(sb): State<Arc<Sandbox>>, body: RawBody) -> ApiResult {
    let result = check_refresh(&sb, &body);
    match result {
        Ok(user) => {
            bump(&sb.counters.refreshes_ok);
            Ok(ok(&sb.issue_pair(user)))
        }
        Err(error) => {
            bump(&sb.counters.refreshes_rejected);
            Err(error)
        }
    }
}

fn check_refresh(sb: &Sandbox, body: &RawBody) -> Result<usize, ApiError> {
    let map = body.object()?;
    let mut fields = Fields::new(&map);
    let token = fields.get("refresh", Kind::NonBlank, true);
    fields.finish()?;
    let Some(Value::String(token)) = token else {
        return Err(ApiError::RefreshInvalid);
    };
    let claims = sb.keys.verify(&token, TokenType::Refresh).ok_or(ApiError::RefreshInvalid)?;
    let user = claims.user_index().filter(|&u| u < DEMO_USERS.len()).ok_or(ApiError::RefreshInvalid)?;
    let mut store = sb.refresh_tokens.lock().unwrap_or_else(|e| e.into_inner());
    store.take(&claims.jti).ok_or(ApiError::RefreshInvalid)?;
    Ok(user)
}

/// The authenticated caller of a data endpoint. Extracting it checks the bearer token
/// (401), then that a `companies/{cid}/` path segment and any `?companyId=` name the caller's
/// own company (404 otherwise, as the real API answers for objects one cannot see).
pub(crate) struct Ctx {
    pub sb: Arc<Sandbox>,
    pub user: usize,
    host: Option<HeaderValue>,
}

impl Ctx {
    pub(crate) fn company(&self) -> &CompanyState {
        self.sb.company(self.user)
    }

    pub(crate) fn company_id(&self) -> &'static str {
        DEMO_USERS[self.user].company_id
    }

    /// `http://host:port/`, for presigned links and pagination.
    pub(crate) fn base_url(&self) -> String {
        let configured = self.sb.base_url.read().unwrap_or_else(|e| e.into_inner());
        if let Some(url) = configured.as_ref() {
            return url.as_str().to_owned();
        }
        drop(configured);
        match self.host.as_ref().and_then(|h| h.to_str().ok()) {
            Some(host) if !host.is_empty() && !host.contains(['/', '@', ' ']) => {
                format!("http://{host}/")
            }
            _ => "http://localhost/".to_owned(),
        }
    }
}

impl FromRequestParts<Arc<Sandbox>> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<Sandbox>) -> Result<Self, Self::Rejection> {
        let Some(user) = state.authenticate(parts.headers.get(AUTHORIZATION)) else {
            bump(&state.counters.unauthorized);
            return Err(ApiError::TokenInvalid);
        };
        bump(&state.counters.api_calls);
        let own = DEMO_USERS[user].company_id;
        if let Some(rest) = parts.uri.path().strip_prefix("/api/v1/companies/")
            && let Some((cid, _)) = rest.split_once('/')
            && cid != own
        {
            return Err(ApiError::NotFound);
        }
        if let Some(query) = parts.uri.query() {
            let foreign =
                url::form_urlencoded::parse(query.as_bytes()).any(|(k, v)| k == "companyId" && v != own);
            if foreign {
                return Err(ApiError::NotFound);
            }
        }
        Ok(Ctx { sb: Arc::clone(state), user, host: parts.headers.get(HOST).cloned() })
    }
}

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
