//! `POST /token`: the authorization_code and refresh_token grants (OAuth 2.1 §4.1.3, §4.3).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::metrics::GuardHit;
use crate::norman::NormanError;
use crate::oauth::AuthServer;
use crate::oauth::client::{Client, ClientLookupError, Requester};
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::guard::{GuardSpace, RefreshClaim};
use crate::oauth::pkce;
use crate::oauth::resource::names_resource;
use crate::scope::{Scope, Scopes};
use crate::seal::{self, OpenError};
use crate::tokens::access::{self, AccessGrant, MintError};
use crate::tokens::code::AuthorizationCode;
use crate::tokens::refresh::{REFRESH_LIFETIME, RefreshToken};
use crate::tokens::{NormanToken, random_id};

/// The form parameters of a token or revocation request, each at most once (RFC 6749 §3.2).
#[derive(Default)]
pub struct FormParams(HashMap<String, String>);

/// Names only: the values are codes, verifiers, refresh tokens and client secrets.
impl std::fmt::Debug for FormParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<&str> = self.0.keys().map(String::as_str).collect();
        names.sort_unstable();
        f.debug_tuple("FormParams").field(&names).finish()
    }
}

impl FormParams {
    pub fn parse(body: &[u8]) -> Result<FormParams, OAuthError> {
        let mut params = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if params.insert(name.to_string(), value.into_owned()).is_some() {
                return Err(OAuthError::invalid_request(format!("parameter {name} appears more than once")));
            }
        }
        Ok(FormParams(params))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// Client credentials as presented: HTTP Basic, form fields, or only a client id.
#[derive(Default)]
pub struct PresentedClient {
    pub id: Option<String>,
    pub secret: Option<zeroize::Zeroizing<String>>,
    pub via_basic: bool,
}

impl PresentedClient {
    /// Reads `Authorization: Basic` (RFC 6749 §2.3.1: both parts form-urlencoded) and the
    /// `client_id` / `client_secret` fields.
    pub fn from_request(
        authorization: Option<&str>,
        params: &FormParams,
    ) -> Result<PresentedClient, OAuthError> {
        let mut presented = PresentedClient::default();
        if let Some(header) = authorization {
            let encoded =
                header.strip_prefix("Basic ").or_else(|| header.strip_prefix("basic ")).ok_or_else(|| {
                    OAuthError::invalid_client("only HTTP Basic client authentication is accepted here")
                })?;
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map(zeroize::Zeroizing::new)
                .ok_or_else(|| {
                    OAuthError::invalid_client("malformed Basic credentials").with_basic_challenge(true)
                })?;
            let (id, secret) = decoded.split_once(':').ok_or_else(|| {
                OAuthError::invalid_client("malformed Basic credentials").with_basic_challenge(true)
            })?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned())
            };
            presented.id = decode(id).filter(|s| !s.is_empty());
            presented.secret = decode(secret).filter(|s| !s.is_empty()).map(zeroize::Zeroizing::new);
            presented.via_basic = true;
        }
        if let Some(id) = params.get("client_id") {
            match &presented.id {
                Some(basic_id) if basic_id != id => {
                    return Err(OAuthError::invalid_client("client_id differs from the Basic credentials")
                        .with_basic_challenge(true));
                }
                _ => presented.id = Some(id.to_owned()),
            }
        }
        if let Some(secret) = params.get("client_secret") {
            if presented.via_basic {
                return Err(OAuthError::invalid_request("use one client authentication method, not two"));
            }
            presented.secret = Some(zeroize::Zeroizing::new(secret.to_owned()));
        }
        Ok(presented)
    }
}

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub scope: String,
}

/// Refreshes in flight or just done on this replica, keyed by a hash of the refresh token's
/// id: concurrent callers presenting one refresh token share one rotation (one claim in the
/// replay guard, one upstream Norman call), so a rotating Norman refresh token is never spent
/// twice and each caller still gets its own tokens.
pub struct RefreshFlights {
    grace: Duration,
    cache: quick_cache::sync::Cache<[u8; 32], Arc<SharedRefresh>>,
}

pub struct SharedRefresh {
    /// When the rotation was claimed: the grace window runs from here, as in the guard.
    at: Instant,
    access: NormanToken,
    refresh: Option<NormanToken>,
}

/// Why a rotation did not happen.
enum RefreshFailure {
    /// The replay guard could not answer.
    Guard,
    Upstream(NormanError),
    /// Rotated moments ago by a caller this replica cannot share the answer with.
    InGrace,
    /// Rotated before the grace window: a copied token.
    Reused,
}

impl RefreshFlights {
    /// `grace`: how long a rotation's answer is shared with callers presenting the same token.
    pub fn new(grace: Duration) -> RefreshFlights {
        RefreshFlights { grace, cache: quick_cache::sync::Cache::new(10_000) }
    }

    pub fn grace(&self) -> Duration {
        self.grace
    }

    async fn refresh(
        &self,
        token_id: &str,
        rotate: impl AsyncFnOnce() -> Result<SharedRefresh, RefreshFailure>,
    ) -> Result<Arc<SharedRefresh>, RefreshFailure> {
        let key: [u8; 32] = Sha256::digest(token_id.as_bytes()).into();
        loop {
            match self.cache.get_value_or_guard_async(&key).await {
                Ok(shared) if shared.at.elapsed() < self.grace => return Ok(shared),
                // Past the grace window the cached answer no longer stands in for a rotation:
                // the next attempt asks the guard, which calls it a reuse.
                Ok(_) => {
                    self.cache.remove(&key);
                }
                Err(guard) => {
                    // Failures are not cached: the guard drops and the next waiter tries itself.
                    let shared = Arc::new(rotate().await?);
                    let _ = guard.insert(Arc::clone(&shared));
                    return Ok(shared);
                }
            }
        }
    }
}

fn grant_error(error: OpenError) -> OAuthError {
    match error {
        OpenError::Expired => OAuthError::invalid_grant("the grant has expired"),
        OpenError::WrongPurpose => {
            OAuthError::invalid_grant("the grant is not of the kind this grant_type takes")
        }
        _ => OAuthError::invalid_grant("the grant is not valid"),
    }
}

/// A client id that does not resolve. A metadata document that cannot be fetched right now is
/// an outage, not a verdict: clients delete their registration and tokens on invalid_client.
pub(crate) fn client_error(error: ClientLookupError, via_basic: bool) -> OAuthError {
    match error {
        ClientLookupError::Metadata(error) if error.is_unavailable() => {
            tracing::warn!(?error, "client metadata document unavailable");
            OAuthError::unavailable(
                "the client's metadata document cannot be fetched right now; try again shortly",
                5,
            )
        }
        error => {
            tracing::info!(?error, "request from a client that does not resolve");
            OAuthError::invalid_client("the client is not known; register again")
                .with_basic_challenge(via_basic)
        }
    }
}

/// The scope a refresh asks for: at most what the grant holds (RFC 6749 §6); none means all
/// of it. Names this server does not define (`offline_access`, which clients add) are ignored,
/// as at /authorize, so a client may send its original scope string again.
fn refresh_scope(requested: Option<&str>, granted: Scopes) -> Result<Scopes, OAuthError> {
    let mut scopes = Scopes::EMPTY;
    for name in requested.unwrap_or_default().split_ascii_whitespace() {
        match Scope::parse(name) {
            Some(scope) if granted.contains(scope) => scopes = scopes.with(scope),
            None => {}
            Some(_) => {
                return Err(OAuthError::new(
                    ErrorCode::InvalidScope,
                    "a refresh may only ask for scopes the grant holds",
                ));
            }
        }
    }
    Ok(if scopes.is_empty() { granted } else { scopes })
}

fn mint_error(error: MintError) -> OAuthError {
    match error {
        MintError::UpstreamExpired | MintError::NoScopes => {
            tracing::info!(%error, "no access token for this grant");
            OAuthError::invalid_grant("Norman's session has ended; sign in again")
        }
        error => {
            tracing::error!(%error, "could not mint an access token");
            server_error()
        }
    }
}

fn upstream_error(error: NormanError) -> OAuthError {
    if error.is_unavailable() {
        tracing::warn!(%error, "Norman unavailable during a token request");
        OAuthError::unavailable("Norman is not reachable right now; try again shortly", 5)
    } else {
        OAuthError::invalid_grant("Norman no longer accepts this sign-in; sign in again")
    }
}

impl AuthServer {
    pub async fn token(
        &self,
        params: &FormParams,
        authorization: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let presented = PresentedClient::from_request(authorization, params)?;
        match params.get("grant_type") {
            Some("authorization_code") => {
                let response = self.exchange_code(params, presented, now).await?;
                self.metrics.token_issued("authorization_code");
                Ok(response)
            }
            Some("refresh_token") => {
                let response = self.refresh(params, presented, now).await?;
                self.metrics.token_issued("refresh_token");
                Ok(response)
            }
            Some(_) => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant_type must be authorization_code or refresh_token",
            )),
            None => Err(OAuthError::invalid_request("grant_type is required")),
        }
    }

    /// Identifies and authenticates the client. The client id may come from Basic, the form,
    /// or only from the grant itself; when given it must be the grant's.
    async fn authenticate(
        &self,
        presented: &PresentedClient,
        grant_client_id: &str,
        now: OffsetDateTime,
    ) -> Result<Client, OAuthError> {
        if presented.id.as_deref().is_some_and(|id| id != grant_client_id) {
            return Err(OAuthError::invalid_grant("the grant was issued to another client"));
        }
        let keyring = self.keyring.current();
        let client = self
            .clients
            .resolve(&keyring, grant_client_id, Requester::SealedGrant, now)
            .await
            .map_err(|error| client_error(error, presented.via_basic))?;
        if client.is_confidential() {
            let ok = presented.secret.as_ref().is_some_and(|secret| client.secret_matches(&keyring, secret));
            if !ok {
                return Err(OAuthError::invalid_client("client authentication failed")
                    .with_basic_challenge(presented.via_basic));
            }
        }
        Ok(client)
    }

    fn check_resource(&self, params: &FormParams, granted: Option<&str>) -> Result<(), OAuthError> {
        if let Some(requested) = params.get("resource") {
            let ours = names_resource(requested, &self.resource);
            let same_as_granted = granted.is_none_or(|g| names_resource(requested, g));
            if !ours || !same_as_granted {
                return Err(OAuthError::new(
                    ErrorCode::InvalidTarget,
                    "resource must be this server's MCP endpoint",
                ));
            }
        }
        Ok(())
    }

    async fn exchange_code(
        &self,
        params: &FormParams,
        presented: PresentedClient,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let sealed = params.get("code").ok_or_else(|| OAuthError::invalid_request("code is required"))?;
        let code: AuthorizationCode =
            seal::open(&self.keyring.current(), sealed, now).map_err(grant_error)?;
        let client = self.authenticate(&presented, &code.client_id, now).await?;
        match (params.get("redirect_uri"), code.redirect_uri_given) {
            (Some(uri), _) if uri == code.redirect_uri => {}
            (None, false) => {}
            (None, true) => return Err(OAuthError::invalid_request("redirect_uri is required")),
            (Some(_), _) => {
                return Err(OAuthError::invalid_grant("redirect_uri differs from the authorization request"));
            }
        }
        self.check_resource(params, code.resource.as_deref())?;
        let verifier = params
            .get("code_verifier")
            .ok_or_else(|| OAuthError::invalid_request("code_verifier is required"))?;
        if !pkce::verifier_matches(verifier, &code.code_challenge) {
            return Err(OAuthError::invalid_grant("code_verifier does not match the code_challenge"));
        }
        let remaining = (code.expires_at - now).unsigned_abs() + Duration::from_secs(5);
        let first =
            // Fail closed: without the guard a code could be exchanged twice. The guard logs
            // the outage once; each refusal is logged as a refused token request.
            self.guard.first_use(GuardSpace::SpentCode, &code.code_id, remaining).await.map_err(|_| {
                OAuthError::unavailable("the server cannot check codes right now; try again shortly", 5)
            })?;
        if !first {
            self.metrics.guard_hit(GuardHit::CodeReplayed);
            // A code used twice may be stolen: cut off everything issued from it (OAuth 2.1 §4.1.3).
            tracing::warn!(client = %access::client_fingerprint(&client.id), "authorization code replayed; grant revoked");
            let _ = self
                .guard
                .first_use(GuardSpace::DeniedFamily, &code.code_id, REFRESH_LIFETIME.unsigned_abs())
                .await;
            return Err(OAuthError::invalid_grant("the code was already used"));
        }
        let refresh = RefreshToken {
            token_id: random_id().map_err(|_| server_error())?,
            family_id: code.code_id.clone(),
            client_id: client.id.clone(),
            scope: code.scope,
            resource: code.resource.clone(),
            norman_refresh: code.norman_refresh.clone(),
            company_id: code.company_id.clone(),
            expires_at: now + REFRESH_LIFETIME,
        };
        self.issue(&client, code.norman_access.clone(), refresh, code.scope, now)
    }

    async fn refresh(
        &self,
        params: &FormParams,
        presented: PresentedClient,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let sealed = params
            .get("refresh_token")
            .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
        let token: RefreshToken = seal::open(&self.keyring.current(), sealed, now).map_err(grant_error)?;
        let client = self.authenticate(&presented, &token.client_id, now).await?;
        let denied = self.guard.contains(GuardSpace::DeniedFamily, &token.family_id).await.map_err(|_| {
            OAuthError::unavailable("the server cannot check tokens right now; try again shortly", 5)
        })?;
        if denied {
            self.metrics.guard_hit(GuardHit::FamilyRevoked);
            return Err(OAuthError::invalid_grant("the grant was revoked"));
        }
        let scope = refresh_scope(params.get("scope"), token.scope)?;
        self.check_resource(params, token.resource.as_deref())?;

        let shared = self.rotate(&token, now).await.map_err(|failure| match failure {
            RefreshFailure::Guard => {
                OAuthError::unavailable("the server cannot check tokens right now; try again shortly", 5)
            }
            RefreshFailure::Upstream(error) => upstream_error(error),
            RefreshFailure::InGrace => {
                self.metrics.guard_hit(GuardHit::RefreshInGrace);
                tracing::info!(client = %access::client_fingerprint(&client.id), "concurrent refresh answered elsewhere; refused without revoking");
                OAuthError::invalid_grant(
                    "this refresh token was rotated moments ago by a concurrent request; use the tokens \
                     that request received",
                )
            }
            RefreshFailure::Reused => {
                self.metrics.guard_hit(GuardHit::RefreshReused);
                tracing::warn!(client = %access::client_fingerprint(&client.id), "rotated refresh token presented again; grant revoked");
                OAuthError::invalid_grant("the refresh token was already used; the grant is revoked")
            }
        })?;
        // The new refresh token keeps the whole grant; only this access token is narrowed
        // (RFC 6749 §6, OAuth 2.1 §4.3.3).
        let refresh = RefreshToken {
            token_id: random_id().map_err(|_| server_error())?,
            norman_refresh: shared.refresh.clone().unwrap_or_else(|| token.norman_refresh.clone()),
            expires_at: now + REFRESH_LIFETIME,
            ..token
        };
        self.issue(&client, shared.access.clone(), refresh, scope, now)
    }

    /// Rotates `token` once, whichever replica and however many callers present it: claims it
    /// in the replay guard, then refreshes upstream. A reuse past the grace window revokes the
    /// whole family (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2).
    async fn rotate(
        &self,
        token: &RefreshToken,
        now: OffsetDateTime,
    ) -> Result<Arc<SharedRefresh>, RefreshFailure> {
        let guard = Arc::clone(&self.guard);
        let norman = self.norman.clone();
        let grace = self.refresh_flights.grace();
        // The spent mark outlives the token itself, so the token can never come back unseen.
        let life = (token.expires_at - now).max(time::Duration::ZERO).unsigned_abs() + Duration::from_secs(5);
        self.refresh_flights
            .refresh(&token.token_id, async move || {
                let at = Instant::now();
                match guard.claim_refresh(&token.token_id, grace, life).await.map_err(|_| RefreshFailure::Guard)? {
                    RefreshClaim::First => {}
                    RefreshClaim::InGrace => return Err(RefreshFailure::InGrace),
                    RefreshClaim::Reused => {
                        if guard
                            .first_use(GuardSpace::DeniedFamily, &token.family_id, REFRESH_LIFETIME.unsigned_abs())
                            .await
                            .is_err()
                        {
                            tracing::error!("a reused refresh token's grant could not be revoked: the replay guard is unavailable");
                        }
                        return Err(RefreshFailure::Reused);
                    }
                }
                match norman.refresh(&token.norman_refresh).await {
                    Ok(tokens) => Ok(SharedRefresh { at, access: tokens.access, refresh: tokens.refresh }),
                    Err(error) => {
                        // Nothing was issued, so the token is not spent: the client may retry.
                        if guard.release_refresh(&token.token_id).await.is_err() {
                            tracing::warn!("could not release a failed refresh in the replay guard");
                        }
                        Err(RefreshFailure::Upstream(error))
                    }
                }
            })
            .await
    }

    /// `scope`: the access token's, at most the refresh token's.
    fn issue(
        &self,
        client: &Client,
        norman_access: NormanToken,
        refresh: RefreshToken,
        scope: Scopes,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let keyring = self.keyring.current();
        let grant = AccessGrant {
            client_id: client.id.clone(),
            scopes: scope,
            audience: self.resource.clone(),
            norman_access,
            company_id: refresh.company_id.clone(),
            family_id: Some(refresh.family_id.clone()),
        };
        let minted = access::mint(&keyring, &grant, now).map_err(mint_error)?;
        let refresh_token = seal::seal(&keyring, &refresh, now).map_err(|_| server_error())?;
        Ok(TokenResponse {
            access_token: minted.token,
            token_type: "Bearer",
            expires_in: (minted.expires_at - now).whole_seconds().max(0),
            refresh_token,
            scope: scope.to_string(),
        })
    }
}

fn server_error() -> OAuthError {
    OAuthError::new(ErrorCode::ServerError, "the server could not complete the request")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::SealError;

    #[test]
    fn form_params_show_their_names_never_their_values() {
        let params =
            FormParams::parse(b"grant_type=refresh_token&refresh_token=nmr_secret&client_secret=s3cr3t")
                .unwrap();
        let shown = format!("{params:?}");
        assert_eq!(shown, r#"FormParams(["client_secret", "grant_type", "refresh_token"])"#);
    }

    #[test]
    fn only_an_ended_session_is_invalid_grant_other_mint_failures_are_ours() {
        for error in [MintError::UpstreamExpired, MintError::NoScopes] {
            assert_eq!(mint_error(error).code, ErrorCode::InvalidGrant, "{error}");
        }
        for error in [
            MintError::NoActiveKey,
            MintError::Seal(SealError::Encode),
            MintError::Random,
            MintError::Build,
            MintError::Oversized,
        ] {
            assert_eq!(mint_error(error).code, ErrorCode::ServerError, "{error}");
        }
    }
}
