//! Who is calling (docs/architecture.md, "Request flows" and "Local use over stdio"). Over
//! HTTP the bearer middleware verified an access token and put the principal into the
//! request's extensions; over stdio one person signed in when the process started
//! ([`LocalSession`]). The handler asks [`Callers`] for the caller of each request, the same
//! way for tools and anything else that acts on Norman as the caller.

use std::sync::Arc;

use rmcp::RoleServer;
use rmcp::model::ErrorData;
use rmcp::service::RequestContext;

use crate::mcp::bearer::UpstreamSession;
use crate::mcp::catalogue::Caller;
use crate::mcp::stdio::{Credentials, LocalSession};
use crate::scope::Scopes;
use crate::tokens::access::Principal;

/// Where the callers of a handler come from. Cloned per HTTP request: a tag or one `Arc`.
#[derive(Clone)]
pub enum Callers {
    /// Each HTTP request's extensions, filled by the bearer middleware.
    Bearer,
    /// The one person this process signed in at start-up.
    Local(Arc<LocalSession>),
}

/// The caller of one request, held while it runs.
pub enum CallerOf<'a> {
    Bearer { principal: &'a Principal, upstream: &'a UpstreamSession },
    Local { session: &'a Arc<LocalSession>, credentials: Arc<Credentials> },
}

/// What a caller's Norman session expiring means for the client.
const EXPIRED: &str = "the Norman session has expired";
const LOCAL_EXPIRED: &str =
    "the Norman session has expired and could not be renewed; restart norman-mcp stdio to sign in again";

impl Callers {
    /// The caller of the request `context` belongs to.
    pub fn of<'a>(&'a self, context: &'a RequestContext<RoleServer>) -> Result<CallerOf<'a>, ErrorData> {
        match self {
            Callers::Bearer => {
                let parts = context.extensions.get::<axum::http::request::Parts>();
                let principal = parts.and_then(|p| p.extensions.get::<Arc<Principal>>());
                let upstream = parts.and_then(|p| p.extensions.get::<UpstreamSession>());
                // The bearer middleware always puts both there; without them nobody is calling.
                match (principal, upstream) {
                    (Some(principal), Some(upstream)) => Ok(CallerOf::Bearer { principal, upstream }),
                    _ => Err(ErrorData::internal_error("the request carries no verified caller", None)),
                }
            }
            Callers::Local(session) => Ok(CallerOf::Local { session, credentials: session.current() }),
        }
    }
}

impl CallerOf<'_> {
    pub fn scopes(&self) -> Scopes {
        match self {
            CallerOf::Bearer { principal, .. } => principal.scopes,
            // The person runs this process with their own Norman login: all of it is theirs.
            CallerOf::Local { .. } => Scopes::ALL,
        }
    }

    /// The Norman token and company calls run with.
    pub fn caller(&self) -> Caller<'_> {
        match self {
            // A login without a company may still found one: the catalogue refuses only the
            // tools that act on a company.
            CallerOf::Bearer { principal, .. } => Caller {
                norman_access: &principal.norman_access,
                company_id: principal.company_id.as_deref().unwrap_or_default(),
                grant: Some(principal),
            },
            CallerOf::Local { session, credentials } => {
                Caller { norman_access: credentials.access(), company_id: session.company_id(), grant: None }
            }
        }
    }

    /// Whether this caller renews its Norman token itself, so a refused call may run again.
    /// Over HTTP the client refreshes its access token and calls again.
    pub fn renews(&self) -> bool {
        matches!(self, CallerOf::Local { .. })
    }

    /// Norman refused the caller's token: renew it (once for every call that saw the same
    /// token, however many race here). `true` when the call may run again.
    pub async fn renew(&mut self) -> bool {
        match self {
            CallerOf::Bearer { .. } => false,
            CallerOf::Local { session, credentials } => match LocalSession::renew(session, credentials).await
            {
                Some(renewed) => {
                    *credentials = renewed;
                    true
                }
                None => false,
            },
        }
    }

    /// Norman refused the caller's token for good: the error for the client. Over HTTP the
    /// middleware then answers 401 `invalid_token`, so the client refreshes.
    pub fn expired(&self) -> ErrorData {
        match self {
            CallerOf::Bearer { upstream, .. } => {
                upstream.expire();
                ErrorData::internal_error(EXPIRED, None)
            }
            CallerOf::Local { .. } => ErrorData::internal_error(LOCAL_EXPIRED, None),
        }
    }
}
