//! The caller of a data endpoint: who they are and which company the request acts on.
//!
//! Every data handler starts by extracting a [`Ctx`], so the two checks the real API makes on
//! every request are made here once: the bearer token (401) and ownership (404 for a company
//! the caller may not act on, see [`crate::tenants`]). A handler only ever sees the records
//! of the company it was given.

use std::sync::Arc;

use axum::extract::rejection::RawPathParamsRejection;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::HeaderValue;
use axum::http::header::{AUTHORIZATION, HOST};
use axum::http::request::Parts;

use crate::drf::error::ApiError;
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
        let Some(user) = state.sessions.authenticate(parts.headers.get(AUTHORIZATION)) else {
            bump(&state.counters.unauthorized);
            return Err(ApiError::TokenInvalid);
        };
        bump(&state.counters.api_calls);
        let path_company = match RawPathParams::from_request_parts(parts, state).await {
            Ok(params) => params
                .iter()
                .find(|(key, _)| matches!(*key, "cid" | "client"))
                .map(|(key, value)| (key == "client", value.to_owned())),
            Err(RawPathParamsRejection::InvalidUtf8InPathParam(_)) => return Err(ApiError::NotFound),
            // A route without parameters.
            Err(_) => None,
        };
        let query = parts.uri.query().unwrap_or_default();
        let named = url::form_urlencoded::parse(query.as_bytes())
            .filter(|(key, _)| key == "companyId")
            .map(|(_, value)| value);
        let path = path_company
            .as_ref()
            .map(|(client, id)| if *client { Named::Client(id) } else { Named::Company(id) });
        let company = state.tenants.resolve(user, path, named).ok_or(ApiError::NotFound)?;
        Ok(Ctx { sb: Arc::clone(state), user, company, host: parts.headers.get(HOST).cloned() })
    }
}
