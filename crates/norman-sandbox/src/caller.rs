//! The caller of a data endpoint: who they are and which company the request acts on.
//!
//! Every data handler starts by extracting a [`Ctx`], so the two checks the real API makes on
//! every request are made here once: the bearer token (401) and ownership (404 for a company
//! the caller may not act on, see [`crate::tenants`]). A handler only ever sees the records
//! of the company it was given. The founding drafts belong to a person instead: their
//! handlers extract a [`Founder`], which makes the same two checks and gives the caller's
//! own drafts only ([`crate::founders`]).

use std::sync::{Arc, RwLockReadGuard, RwLockWriteGuard};

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, HOST};
use axum::http::request::Parts;

use crate::drf::error::ApiError;
use crate::founders::Drafts;
use crate::state::{Sandbox, bump};
use crate::store::CompanyState;
use crate::tenants::{Company, Named};

/// The authenticated caller of a data endpoint and the company the request acts on: the
/// route's `{cid}` (or a tax advisor's `{client}`), else the `companyId` query parameter, else
/// the caller's own.
pub(crate) struct Ctx {
    pub sb: Arc<Sandbox>,
    user: usize,
    company: usize,
    host: Option<HeaderValue>,
}

impl Ctx {
    /// The records of the company the request acts on.
    pub(crate) fn company(&self) -> &CompanyState {
        &self.sb.tenants.company(self.company).state
    }

    /// Its `publicId`.
    pub(crate) fn company_id(&self) -> &str {
        &self.sb.tenants.company(self.company).id
    }

    /// Every company the caller owns, their default first.
    pub(crate) fn companies(&self) -> impl Iterator<Item = &CompanyState> {
        self.sb.tenants.of(self.user).map(|company| &company.state)
    }

    /// The companies the caller looks after as a tax advisor, with their ids.
    pub(crate) fn clients(&self) -> impl Iterator<Item = &Company> {
        self.sb.tenants.clients_of(self.user)
    }

    /// Whether the caller is a tax advisor.
    pub(crate) fn is_advisor(&self) -> bool {
        self.sb.tenants.is_advisor(self.user)
    }

    /// `http://host:port/`, for presigned links and pagination.
    pub(crate) fn base_url(&self) -> String {
        base_url(&self.sb, self.host.as_ref())
    }
}

/// The sandbox's configured base URL, else one built from the request's `Host`.
fn base_url(sb: &Sandbox, host: Option<&HeaderValue>) -> String {
    let configured = sb.base_url.read().unwrap_or_else(|e| e.into_inner());
    if let Some(url) = configured.as_ref() {
        return url.as_str().to_owned();
    }
    drop(configured);
    match host.and_then(|h| h.to_str().ok()) {
        Some(host) if !host.is_empty() && !host.contains(['/', '@', ' ']) => format!("http://{host}/"),
        _ => "http://localhost/".to_owned(),
    }
}

/// The user a bearer token names, counted as an API call; 401 without a valid one.
fn authenticate(parts: &Parts, state: &Sandbox) -> Result<usize, ApiError> {
    let Some(user) = state.sessions.authenticate(parts.headers.get(AUTHORIZATION)) else {
        bump(&state.counters.unauthorized);
        return Err(ApiError::TokenInvalid);
    };
    bump(&state.counters.api_calls);
    Ok(user)
}

/// The `companyId` query parameters of a request.
fn named_companies(parts: &Parts) -> impl Iterator<Item = std::borrow::Cow<'_, str>> {
    let query = parts.uri.query().unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == "companyId")
        .map(|(_, value)| value)
}

impl FromRequestParts<Arc<Sandbox>> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<Sandbox>) -> Result<Self, Self::Rejection> {
        let user = authenticate(parts, state)?;
        let path_company = match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => params
                .iter()
                .find(|(key, _)| matches!(*key, "cid" | "client"))
                .map(|(key, value)| (key == "client", value.to_owned())),
            Err(RawPathParamsRejection::InvalidUtf8InPathParam(_)) => return Err(ApiError::NotFound),
            // A route without parameters.
            Err(_) => None,
        };
        let path = path_company
            .as_ref()
            .map(|(client, id)| if *client { Named::Client(id) } else { Named::Company(id) });
        let company = state.tenants.resolve(user, path, named_companies(parts)).ok_or(ApiError::NotFound)?;
        Ok(Ctx { sb: Arc::clone(state), user, company, host: parts.headers.get(HOST).cloned() })
    }
}

/// The authenticated caller of an endpoint that acts on the caller's own records rather than
/// a company's: the founding drafts ([`crate::founders`]), which a person owns before their
/// company exists, so a caller without a company is served too.
pub(crate) struct Founder {
    pub sb: Arc<Sandbox>,
    user: usize,
    host: Option<HeaderValue>,
}

impl Founder {
    /// The caller's drafts, read-locked.
    pub(crate) fn drafts(&self) -> Result<RwLockReadGuard<'_, Drafts>, ApiError> {
        self.sb.founders.read(self.user)
    }

    /// The caller's drafts, write-locked.
    pub(crate) fn drafts_mut(&self) -> Result<RwLockWriteGuard<'_, Drafts>, ApiError> {
        self.sb.founders.write(self.user)
    }

    /// `http://host:port/`, for presigned links.
    pub(crate) fn base_url(&self) -> String {
        base_url(&self.sb, self.host.as_ref())
    }
}

impl FromRequestParts<Arc<Sandbox>> for Founder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<Sandbox>) -> Result<Self, Self::Rejection> {
        let user = authenticate(parts, state)?;
        // The client sends `companyId` on every call: like everywhere else it must name a
        // company the caller may act on, but without one the caller's drafts are still theirs.
        let mut named = named_companies(parts).peekable();
        if named.peek().is_some() && state.tenants.resolve(user, None, named).is_none() {
            return Err(ApiError::NotFound);
        }
        Ok(Founder { sb: Arc::clone(state), user, host: parts.headers.get(HOST).cloned() })
    }
}
