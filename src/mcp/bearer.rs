//! The bearer middleware of `/mcp` (RFC 6750, MCP authorization): verifies the access token,
//! refuses revoked ones, enforces each tool's scope, and hands the caller's principal to the
//! tool through the request's extensions. Nothing about the caller is stored anywhere else.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::guard::{GuardError, GuardSpace, ReplayGuard};
use crate::keyring::SharedKeyring;
use crate::mcp::McpState;
use crate::mcp::catalogue::Catalogue;
use crate::metrics::{GuardHit, Metrics};
use crate::scope::{Scope, Scopes};
use crate::tokens::access::{Principal, Verifier, VerifyError};

/// What the bearer middleware checks an access token against: the keys, the verifier and its
/// cache, the deny lists, and the audience. The resource server's share of the server state.
pub struct BearerCheck {
    pub keyring: Arc<SharedKeyring>,
    pub verifier: Arc<Verifier>,
    pub guard: Arc<dyn ReplayGuard>,
    pub metrics: Arc<Metrics>,
    /// The canonical MCP URL, which every access token must name as its audience (RFC 8707).
    pub audience: String,
}

/// Set by a tool when Norman refused the caller's Norman token; the middleware then answers
/// 401 `invalid_token` instead of the tool's result, so the client refreshes.
#[derive(Clone, Default)]
pub struct UpstreamSession(Arc<AtomicBool>);

impl UpstreamSession {
    pub fn expire(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    fn expired(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why a request was refused, in RFC 6750 section 3.1 terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BearerError {
    /// No credentials at all: the challenge carries no `error` (RFC 6750 section 3.1).
    Missing,
    InvalidRequest(&'static str),
    InvalidToken(&'static str),
    InsufficientScope,
}

impl BearerError {
    pub const fn code(self) -> Option<&'static str> {
        match self {
            BearerError::Missing => None,
            BearerError::InvalidRequest(_) => Some("invalid_request"),
            BearerError::InvalidToken(_) => Some("invalid_token"),
            BearerError::InsufficientScope => Some("insufficient_scope"),
        }
    }

    const fn status(self) -> StatusCode {
        match self {
            BearerError::Missing | BearerError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            BearerError::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            BearerError::InsufficientScope => StatusCode::FORBIDDEN,
        }
    }

    const fn description(self) -> &'static str {
        match self {
            BearerError::Missing => "an access token is required",
            BearerError::InvalidRequest(why) | BearerError::InvalidToken(why) => why,
            BearerError::InsufficientScope => "the access token lacks the scope this tool needs",
        }
    }

    /// The response, with the challenge that points the client at the protected resource
    /// metadata (RFC 9728 section 5.1).
    pub fn into_response(self, resource_metadata: &str) -> Response {
        let all = Scopes::ALL;
        let challenge = match self.code() {
            None => format!("Bearer resource_metadata=\"{resource_metadata}\", scope=\"{all}\""),
            Some(code) => format!(
                "Bearer error=\"{code}\", error_description=\"{}\", scope=\"{all}\", resource_metadata=\"{resource_metadata}\"",
                self.description()
            ),
        };
        let body = serde_json::json!({
            "error": self.code().unwrap_or("invalid_token"),
            "error_description": self.description(),
        });
        let mut response = (self.status(), axum::Json(body)).into_response();
        let headers = response.headers_mut();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

fn verify_reason(error: VerifyError) -> &'static str {
    match error {
        VerifyError::Expired => "the access token has expired",
        VerifyError::WrongAudience => "the access token is for another resource",
        VerifyError::Malformed | VerifyError::Forged => "the access token is not valid",
        VerifyError::UnknownKey => "the access token was signed by a key no longer in force",
        VerifyError::Denied => "the access token does not allow this",
        VerifyError::Unsupported => "the access token carries blocks this server does not accept",
        VerifyError::Upstream(_) => "the access token's Norman credentials cannot be opened",
    }
}

/// Runs in front of rmcp for every `/mcp` request except CORS preflights.
pub async fn require_bearer(State(state): State<Arc<McpState>>, request: Request, next: Next) -> Response {
    let principal = match authenticate(&state, request.headers(), request.uri()).await {
        Ok(principal) => {
            state.bearer.metrics.verification("ok");
            principal
        }
        Err((outcome, error)) => {
            state.bearer.metrics.verification(outcome);
            return refuse(&state, error);
        }
    };
    // After authentication, so that only callers with a valid token can take up the budget;
    // before the scope check, which reads the body.
    let _admission = match state.body_budget.admit(request.headers()).await {
        Ok(admission) => admission,
        Err(busy) => {
            tracing::info!("large mcp request turned away: other large requests fill the body budget");
            return busy.into_response();
        }
    };
    let mut request = if principal.scopes == Scopes::ALL {
        request
    } else {
        match within_scope(&state, &principal, request).await {
            Ok(request) => request,
            Err(error) => return refuse(&state, error),
        }
    };
    let upstream = UpstreamSession::default();
    request.extensions_mut().insert(principal);
    request.extensions_mut().insert(upstream.clone());
    let response = next.run(request).await;
    if upstream.expired() {
        tracing::info!("norman refused the caller's token; asking the client to refresh");
        return BearerError::InvalidToken("the Norman session has expired; refresh the access token")
            .into_response(&state.resource_metadata);
    }
    response
}

fn refuse(state: &McpState, error: BearerError) -> Response {
    tracing::info!(
        error = error.code().unwrap_or("missing"),
        reason = error.description(),
        "mcp request refused"
    );
    error.into_response(&state.resource_metadata)
}

/// On refusal: the outcome label for the metrics, and the error.
async fn authenticate(
    state: &McpState,
    headers: &HeaderMap,
    uri: &Uri,
) -> Result<Arc<Principal>, (&'static str, BearerError)> {
    // RFC 6750 section 2.3 is optional and leaks tokens into logs and histories: never accept it.
    if let Some(query) = uri.query()
        && url::form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "access_token")
    {
        return Err((
            "token_in_query",
            BearerError::InvalidRequest("access tokens are accepted only in the Authorization header"),
        ));
    }
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Err(("missing", BearerError::Missing));
    };
    if values.next().is_some() {
        return Err(("malformed", BearerError::InvalidRequest("more than one Authorization header")));
    }
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
        .ok_or((
            "malformed",
            BearerError::InvalidToken("the Authorization header must be `Bearer <token>`"),
        ))?;
    let check = &state.bearer;
    let keyring = check.keyring.current();
    let principal = check
        .verifier
        .verify(&keyring, token, &check.audience, OffsetDateTime::now_utc())
        .map_err(|error| (error.reason(), BearerError::InvalidToken(verify_reason(error))))?;
    match revocation(check.guard.as_ref(), &principal).await {
        Ok(None) => Ok(principal),
        Ok(Some(Revoked::Token)) => {
            check.metrics.guard_hit(GuardHit::AccessRevoked);
            Err(("revoked", BearerError::InvalidToken("the access token has been revoked")))
        }
        Ok(Some(Revoked::Grant)) => {
            check.metrics.guard_hit(GuardHit::FamilyRevoked);
            Err(("revoked", BearerError::InvalidToken("the grant of this access token has been revoked")))
        }
        Err(error) => {
            // Fail open here only: revocation is a best effort across replicas, while a
            // replay-store outage must not take every user's tools down with it.
            tracing::warn!(%error, "revocation list unavailable; serving without it");
            Ok(principal)
        }
    }
}

/// What `revocation` found on the deny lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The token, or one it was attenuated from.
    Token,
    /// The grant the token belongs to.
    Grant,
}

/// Whether the token is revoked: any of its blocks (revoking a token ends every token derived
/// from it, `Principal::revocation_ids`), or the grant it came from (a revoked refresh token, a
/// replayed code or a reused refresh token stops the grant's access tokens too: RFC 7009
/// section 2.1). The lookups run concurrently; with Redis they share one connection's pipeline.
/// A definite "revoked" wins over a store error.
pub async fn revocation(
    guard: &dyn ReplayGuard,
    principal: &Principal,
) -> Result<Option<Revoked>, GuardError> {
    revocation_of(guard, &principal.revocation_ids, principal.family_id.as_deref()).await
}

/// [`revocation`] of a token's block ids and grant, wherever they were written down (an
/// upload link carries those of the token that asked for it).
pub async fn revocation_of(
    guard: &dyn ReplayGuard,
    revocation_ids: &[String],
    family_id: Option<&str>,
) -> Result<Option<Revoked>, GuardError> {
    let blocks = revocation_ids.iter().map(|id| guard.contains(GuardSpace::DeniedAccess, id));
    let (blocks, family) = futures_util::join!(futures_util::future::join_all(blocks), async {
        match family_id {
            Some(family) => guard.contains(GuardSpace::DeniedFamily, family).await,
            None => Ok(false),
        }
    });
    if blocks.iter().any(|denied| matches!(denied, Ok(true))) {
        return Ok(Some(Revoked::Token));
    }
    match family {
        Ok(true) => Ok(Some(Revoked::Grant)),
        Ok(false) => blocks.into_iter().find_map(Result::err).map_or(Ok(None), Err),
        Err(error) => Err(error),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Messages {
    One(Probe),
    Batch(Vec<Probe>),
}

/// The part of a JSON-RPC message the scope check needs.
#[derive(Deserialize)]
struct Probe {
    method: Option<String>,
    params: Option<ProbeParams>,
}

#[derive(Deserialize)]
struct ProbeParams {
    name: Option<String>,
}

/// A `tools/call` of a tool whose scope the token lacks is refused with 403 at the HTTP
/// level (MCP authorization, "Scope challenge handling"), so the client can step up.
async fn within_scope(
    state: &McpState,
    principal: &Principal,
    request: Request,
) -> Result<Request, BearerError> {
    let (parts, body) = request.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, state.max_body_bytes)
        .await
        .map_err(|_| BearerError::InvalidRequest("the request body is too large or unreadable"))?;
    if lacks_scope(&state.catalogue, principal.scopes, &bytes) {
        return Err(BearerError::InsufficientScope);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Whether `body` holds a `tools/call` (alone or in a batch) of a tool that needs a scope
/// outside `scopes`.
pub(crate) fn lacks_scope(catalogue: &Catalogue, scopes: Scopes, body: &[u8]) -> bool {
    let messages = match serde_json::from_slice::<Messages>(body) {
        Ok(Messages::One(probe)) => vec![probe],
        Ok(Messages::Batch(probes)) => probes,
        // Not ours to judge: rmcp answers malformed JSON-RPC with its own error.
        Err(_) => Vec::new(),
    };
    messages.into_iter().any(|probe| {
        probe.method.as_deref() == Some("tools/call")
            && probe
                .params
                .and_then(|p| p.name)
                .and_then(|name| catalogue.scope(&name))
                .is_some_and(|scope: Scope| !scopes.contains(scope))
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::guard::MemoryGuard;
    use crate::tokens::NormanToken;

    fn principal(blocks: usize, family: Option<&str>) -> Principal {
        Principal {
            token_id: "token".into(),
            client_fingerprint: "client".into(),
            scopes: Scopes::ALL,
            audience: "https://mcp.norman.example/mcp".into(),
            expires_at: OffsetDateTime::now_utc() + time::Duration::hours(1),
            key_id: 1,
            norman_access: NormanToken::new("norman".into()),
            company_id: None,
            family_id: family.map(str::to_owned),
            revocation_ids: std::iter::once("token".to_owned())
                .chain((1..blocks).map(|i| format!("block-{i}")))
                .collect(),
        }
    }

    #[tokio::test]
    async fn any_denied_block_or_the_grant_revokes() {
        let guard = MemoryGuard::new();
        let deny =
            async |space, id| assert!(guard.first_use(space, id, Duration::from_secs(60)).await.unwrap());
        let three = principal(3, Some("family"));
        assert_eq!(revocation(&guard, &three).await.unwrap(), None);
        deny(GuardSpace::DeniedAccess, "block-2").await;
        assert_eq!(revocation(&guard, &three).await.unwrap(), Some(Revoked::Token));
        assert_eq!(revocation(&guard, &principal(2, Some("family"))).await.unwrap(), None, "its parent");
        deny(GuardSpace::DeniedFamily, "family").await;
        assert_eq!(revocation(&guard, &principal(2, Some("family"))).await.unwrap(), Some(Revoked::Grant));
        assert_eq!(revocation(&guard, &three).await.unwrap(), Some(Revoked::Token), "the token's own wins");
        assert_eq!(revocation(&guard, &principal(1, None)).await.unwrap(), None);
        deny(GuardSpace::DeniedAccess, "token").await;
        assert_eq!(revocation(&guard, &principal(1, None)).await.unwrap(), Some(Revoked::Token));
    }

    #[test]
    fn the_scope_probe_reads_single_and_batched_calls() {
        let catalogue = Catalogue::default();
        let call = |name: &str| {
            format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"{name}"}}}}"#)
        };
        let write = call("create_invoice");
        let read = call("list_invoices");
        let batch = format!(r#"[{read},{{"jsonrpc":"2.0","id":2,"method":"tools/list"}},{write}]"#);
        for body in [&write, &batch] {
            assert!(lacks_scope(&catalogue, Scopes::READ, body.as_bytes()), "{body}");
            assert!(!lacks_scope(&catalogue, Scopes::ALL, body.as_bytes()), "{body}");
        }
        assert!(!lacks_scope(&catalogue, Scopes::READ, read.as_bytes()));
        assert!(lacks_scope(&catalogue, Scopes::EMPTY, read.as_bytes()));
        // Unknown tools and bodies that are not JSON-RPC are rmcp's to answer.
        for body in [call("no_such_tool").as_str(), "", "{", "[1,2]", r#"{"method":"tools/call","params":7}"#]
        {
            assert!(!lacks_scope(&catalogue, Scopes::EMPTY, body.as_bytes()), "{body}");
        }
    }
}
