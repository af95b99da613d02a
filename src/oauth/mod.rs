//! The OAuth 2.1 authorization server: discovery, registration, authorization with the Norman
//! login, the token endpoint and revocation. Stateless but for the replay guard.

pub mod authorize;
pub mod cimd;
pub mod client;
pub mod client_auth;
pub mod error;
pub mod http;
pub mod login;
pub mod metadata;
pub mod pages;
pub mod pkce;
pub mod proxy;
pub mod register;
pub mod resource;
pub mod revoke;
pub mod token;

use std::sync::Arc;

use crate::guard::ReplayGuard;
use crate::keyring::SharedKeyring;
use crate::metrics::Metrics;
use crate::norman::NormanClient;
use crate::norman::oauth::NormanOAuthClient;
use crate::oauth::client::Clients;
use crate::oauth::login::{LoginLimits, LoginMode};
use crate::oauth::proxy::TrustedProxies;
use crate::oauth::token::RefreshFlights;
use crate::tokens::access::Verifier;

/// Everything the authorization server's endpoints share: its parts of `server::Shared`
/// (built by `Shared::auth_server`) and its own.
pub struct AuthServer {
    pub keyring: Arc<SharedKeyring>,
    /// The issuer identifier, byte-identical in metadata and in `iss` parameters.
    pub issuer: String,
    /// The canonical MCP URL: the audience of every access token.
    pub resource: String,
    pub secure_cookies: bool,
    pub clients: Clients,
    pub norman: NormanClient,
    pub guard: Arc<dyn ReplayGuard>,
    pub verifier: Arc<Verifier>,
    pub login_limits: LoginLimits,
    pub refresh_flights: RefreshFlights,
    /// How long access tokens live at most (`--access-token-ttl`).
    pub access_lifetime: time::Duration,
    pub metrics: Arc<Metrics>,
    /// Load balancers whose `X-Forwarded-For` names the client (for the login rate limit).
    pub trusted_proxies: TrustedProxies,
    /// Which sign-ins the login page offers.
    pub login_mode: LoginMode,
    /// Our registration at Norman's authorization server: "Sign in with Norman", and the
    /// refreshes of the tokens obtained that way (also after `--login password` turned the
    /// button off).
    pub norman_oauth: Option<NormanOAuthClient>,
    /// Our redirect URI at Norman: `{issuer}/oauth/callback`.
    pub norman_callback: String,
}
