//! `POST /token`: the authorization_code and refresh_token grants (OAuth 2.1 §4.1.3, §4.3).

mod flight;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::guard::{GuardSpace, RefreshClaim};
use crate::metrics::GuardHit;
use crate::norman::oauth::{NormanOAuthClient, SignInMethod};
use crate::norman::{NormanClient, NormanError, NormanTokens};
use crate::oauth::AuthServer;
use crate::oauth::client::{Client, Requester};
use crate::oauth::client_auth::{self, PresentedClient};
use crate::oauth::error::{ErrorCode, OAuthError};
use crate::oauth::pkce;
use crate::oauth::resource::names_resource;
use crate::scope::{Scope, Scopes};
use crate::seal::{self, OpenError};
use crate::tokens::access::{self, AccessGrant, MintError};
use crate::tokens::code::AuthorizationCode;
use crate::tokens::refresh::{REFRESH_LIFETIME, RefreshToken};
use crate::tokens::{NormanToken, random_id};

use self::flight::Flights;

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

#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub scope: String,
}

/// Refresh work in flight on this replica (single flight, `flight`): rotations by refresh
/// token, and upstream Norman refreshes by Norman refresh token. Callers presenting one refresh
/// token while it is being rotated share that rotation: one claim in the replay guard, one
/// upstream call, one new refresh token. Once the rotation has finished nothing of it is kept:
/// a later presentation is judged by the replay guard (within `grace` refused, after it a
/// reuse that revokes the grant), so a grant never forks into two live refresh tokens.
pub struct RefreshFlights {
    grace: Duration,
    rotations: Flights<Result<Arc<Rotation>, RefreshFailure>>,
    upstream: Flights<Result<Arc<NormanTokens>, RefreshFailure>>,
}

/// What one rotation yields for everyone who shared it.
struct Rotation {
    norman_access: NormanToken,
    /// The sealed successor of the presented refresh token.
    refresh_token: String,
}

/// Why a rotation or an upstream refresh did not happen.
#[derive(Clone)]
enum RefreshFailure {
    /// The replay guard could not answer.
    Guard,
    Upstream(Arc<NormanError>),
    /// Rotated moments ago: a concurrent duplicate that came after the rotation finished.
    InGrace,
    /// Rotated before the grace window: a copied token.
    Reused,
    /// Sealing or randomness failed, or the work panicked.
    Internal,
}

impl RefreshFlights {
    /// `grace`: how long a rotated refresh token presented again is refused without revoking
    /// its grant (at most `config::MAX_REFRESH_REUSE_GRACE`, checked at start).
    pub fn new(grace: Duration) -> RefreshFlights {
        RefreshFlights { grace, rotations: Flights::new(), upstream: Flights::new() }
    }
}

/// Refreshes a Norman refresh token upstream, once at a time per token on this replica: Norman
/// rotates its refresh tokens, and one sent twice would end the session. Where depends on how
/// the tokens were obtained: the password login's refresh endpoint, or Norman's OAuth token
/// endpoint as the client that obtained them.
#[derive(Clone)]
struct UpstreamRefresh {
    norman: NormanClient,
    norman_oauth: Option<NormanOAuthClient>,
    flights: Flights<Result<Arc<NormanTokens>, RefreshFailure>>,
}

impl UpstreamRefresh {
    async fn refresh(
        &self,
        norman_refresh: &NormanToken,
        method: SignInMethod,
    ) -> Result<Arc<NormanTokens>, RefreshFailure> {
        let mut hasher = Sha256::new();
        hasher.update(b"norman refresh\0");
        hasher.update(norman_refresh.expose().as_bytes());
        let client = match method {
            SignInMethod::Password => None,
            SignInMethod::NormanOauth => match &self.norman_oauth {
                Some(client) => Some(client.clone()),
                None => {
                    tracing::warn!(
                        "a grant from Sign in with Norman cannot be refreshed: no Norman OAuth client is configured"
                    );
                    return Err(RefreshFailure::Upstream(Arc::new(NormanError::Unauthorized)));
                }
            },
        };
        let (norman, token) = (self.norman.clone(), norman_refresh.clone());
        let work = async move {
            let refreshed = match &client {
                None => norman.refresh(&token).await,
                Some(client) => norman.oauth_refresh(client, &token).await,
            };
            refreshed.map(Arc::new).map_err(|error| RefreshFailure::Upstream(Arc::new(error)))
        };
        self.flights
            .join_or_run(hasher.finalize().into(), work)
            .await
            .unwrap_or(Err(RefreshFailure::Internal))
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

fn upstream_error(error: &NormanError) -> OAuthError {
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
        client_auth::authenticate(
            &self.clients,
            &keyring,
            presented,
            grant_client_id,
            Requester::SealedGrant,
            now,
        )
        .await
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
        // A Norman token about to end is replaced first (the code may have waited, or Norman
        // issues short-lived tokens); the fresh pair goes into what is issued.
        let (norman_access, norman_refresh) = if access::needs_upstream_refresh(&code.norman_access, now) {
            let tokens = self
                .upstream_refresh()
                .refresh(&code.norman_refresh, code.method)
                .await
                .map_err(|f| self.refresh_error(f, &client))?;
            tracing::info!("the Norman token of a code was about to expire; refreshed it upstream");
            (tokens.access.clone(), tokens.refresh.clone().unwrap_or_else(|| code.norman_refresh.clone()))
        } else {
            (code.norman_access.clone(), code.norman_refresh.clone())
        };
        let refresh = RefreshToken {
            token_id: random_id().map_err(|_| server_error())?,
            family_id: code.code_id.clone(),
            client_id: client.id.clone(),
            scope: code.scope,
            resource: code.resource.clone(),
            norman_refresh,
            company_id: code.company_id.clone(),
            method: code.method,
            expires_at: now + REFRESH_LIFETIME,
        };
        let refresh_token = seal::seal(&self.keyring.current(), &refresh, now).map_err(|_| server_error())?;
        self.answer(&client, &refresh, norman_access, refresh_token, code.scope, now)
    }

    fn upstream_refresh(&self) -> UpstreamRefresh {
        UpstreamRefresh {
            norman: self.norman.clone(),
            norman_oauth: self.norman_oauth.clone(),
            flights: self.refresh_flights.upstream.clone(),
        }
    }

    /// The OAuth error for a rotation or upstream refresh that did not happen.
    fn refresh_error(&self, failure: RefreshFailure, client: &Client) -> OAuthError {
        match failure {
            RefreshFailure::Guard => {
                OAuthError::unavailable("the server cannot check tokens right now; try again shortly", 5)
            }
            RefreshFailure::Upstream(error) => upstream_error(&error),
            RefreshFailure::InGrace => {
                self.metrics.guard_hit(GuardHit::RefreshInGrace);
                tracing::info!(client = %access::client_fingerprint(&client.id), "rotated refresh token presented again within the grace window; refused without revoking");
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
            RefreshFailure::Internal => {
                tracing::error!("a refresh failed on our side");
                server_error()
            }
        }
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

        let rotation =
            self.rotate(token.clone(), now).await.map_err(|failure| self.refresh_error(failure, &client))?;
        self.answer(
            &client,
            &token,
            rotation.norman_access.clone(),
            rotation.refresh_token.clone(),
            scope,
            now,
        )
    }

    /// Rotates `token` once, whichever replica and however many callers present it: claims it
    /// in the replay guard, refreshes upstream and seals the successor, which keeps the whole
    /// grant (a narrowed refresh narrows only its access token, RFC 6749 §6). A presentation
    /// after the grace window revokes the whole family (OAuth 2.1 §4.3.1, RFC 9700 §4.14.2).
    async fn rotate(
        &self,
        token: RefreshToken,
        now: OffsetDateTime,
    ) -> Result<Arc<Rotation>, RefreshFailure> {
        let guard = Arc::clone(&self.guard);
        let keyring = Arc::clone(&self.keyring);
        let upstream = self.upstream_refresh();
        let grace = self.refresh_flights.grace;
        // The spent mark outlives the token itself, so the token can never come back unseen.
        let life = (token.expires_at - now).max(time::Duration::ZERO).unsigned_abs() + Duration::from_secs(5);
        let key: [u8; 32] = Sha256::digest(token.token_id.as_bytes()).into();
        let work = async move {
            match guard
                .claim_refresh(&token.token_id, grace, life)
                .await
                .map_err(|_| RefreshFailure::Guard)?
            {
                RefreshClaim::First => {}
                RefreshClaim::InGrace => return Err(RefreshFailure::InGrace),
                RefreshClaim::Reused => {
                    if guard
                        .first_use(
                            GuardSpace::DeniedFamily,
                            &token.family_id,
                            REFRESH_LIFETIME.unsigned_abs(),
                        )
                        .await
                        .is_err()
                    {
                        tracing::error!(
                            "a reused refresh token's grant could not be revoked: the replay guard is unavailable"
                        );
                    }
                    return Err(RefreshFailure::Reused);
                }
            }
            let tokens = match upstream.refresh(&token.norman_refresh, token.method).await {
                Ok(tokens) => tokens,
                Err(failure) => {
                    // Nothing was issued, so the token is not spent: the client may retry.
                    if guard.release_refresh(&token.token_id).await.is_err() {
                        tracing::warn!("could not release a failed refresh in the replay guard");
                    }
                    return Err(failure);
                }
            };
            let successor = RefreshToken {
                token_id: random_id().map_err(|_| RefreshFailure::Internal)?,
                norman_refresh: tokens.refresh.clone().unwrap_or_else(|| token.norman_refresh.clone()),
                expires_at: now + REFRESH_LIFETIME,
                ..token
            };
            let refresh_token =
                seal::seal(&keyring.current(), &successor, now).map_err(|_| RefreshFailure::Internal)?;
            Ok(Arc::new(Rotation { norman_access: tokens.access.clone(), refresh_token }))
        };
        self.refresh_flights.rotations.join_or_run(key, work).await.unwrap_or(Err(RefreshFailure::Internal))
    }

    /// Mints an access token for `grant`'s company and family with `scope` (at most the
    /// grant's) and answers with it and the sealed `refresh_token`. `expires_in` is what the
    /// token really lives: the configured lifetime, or less when the Norman token ends sooner.
    fn answer(
        &self,
        client: &Client,
        grant: &RefreshToken,
        norman_access: NormanToken,
        refresh_token: String,
        scope: Scopes,
        now: OffsetDateTime,
    ) -> Result<TokenResponse, OAuthError> {
        let access_grant = AccessGrant {
            client_id: client.id.clone(),
            scopes: scope,
            audience: self.resource.clone(),
            norman_access,
            company_id: grant.company_id.clone(),
            family_id: Some(grant.family_id.clone()),
            lifetime: self.access_lifetime,
        };
        let minted = access::mint(&self.keyring.current(), &access_grant, now).map_err(mint_error)?;
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
    fn a_refresh_keeps_or_narrows_the_granted_scopes_never_widens_them() {
        assert_eq!(refresh_scope(None, Scopes::ALL), Ok(Scopes::ALL), "nothing asked: all of it");
        assert_eq!(refresh_scope(Some("norman.read"), Scopes::ALL), Ok(Scopes::READ));
        assert_eq!(refresh_scope(Some("offline_access norman.read"), Scopes::ALL), Ok(Scopes::READ));
        assert_eq!(
            refresh_scope(Some("offline_access"), Scopes::READ),
            Ok(Scopes::READ),
            "unknown names ignored"
        );
        let widened = refresh_scope(Some("norman.read norman.write"), Scopes::READ).unwrap_err();
        assert_eq!(widened.code, ErrorCode::InvalidScope);
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
