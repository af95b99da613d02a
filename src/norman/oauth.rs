//! Norman's own OAuth 2 authorization server ("Sign in with Norman"): this server is one of
//! its clients. Only the wire shapes live here (authorization URL, code exchange, refresh at
//! `api/v1/oauth/token/`); the flow around them is `oauth::login::norman`.

use serde::{Deserialize, Serialize};
use url::Url;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::{Body, NormanClient, NormanError, NormanToken, NormanTokens};

/// The scopes asked of Norman: the person's whole account, as with a password sign-in. Which
/// of it an MCP client may use is our own grant (`norman.read`, `norman.write`).
const NORMAN_SCOPE: &str = "read write";

/// How the Norman tokens of a grant were obtained, and so how they are refreshed. Sealed into
/// codes and refresh tokens; a grant sealed before delegated sign-in existed says nothing and
/// is a password sign-in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    /// Email and password on our page: refreshed at `api/v1/auth/token/refresh/`.
    #[default]
    Password,
    /// Norman's OAuth authorization endpoint: refreshed at `api/v1/oauth/token/`.
    NormanOauth,
}

/// This server's registration at Norman's authorization server.
#[derive(Clone)]
pub struct NormanOAuthClient {
    pub client_id: String,
    secret: Option<ClientSecret>,
}

/// The client secret: zeroed on drop, never shown by `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct ClientSecret(String);

impl std::fmt::Debug for NormanOAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NormanOAuthClient")
            .field("client_id", &self.client_id)
            .field("secret", &self.secret.as_ref().map(|_| ".."))
            .finish()
    }
}

impl NormanOAuthClient {
    /// A public client when `secret` is `None` or empty.
    pub fn new(client_id: String, secret: Option<String>) -> NormanOAuthClient {
        NormanOAuthClient { client_id, secret: secret.filter(|s| !s.is_empty()).map(ClientSecret) }
    }

    pub fn has_secret(&self) -> bool {
        self.secret.is_some()
    }

    /// `client_id`, and `client_secret` when there is one (client_secret_post, RFC 6749 §2.3.1).
    fn credentials(&self) -> Vec<(&'static str, &str)> {
        let mut pairs = vec![("client_id", self.client_id.as_str())];
        if let Some(secret) = &self.secret {
            pairs.push(("client_secret", secret.0.as_str()));
        }
        pairs
    }
}

/// Norman's token answer (RFC 6749 §5.1); other fields are not read.
#[derive(Deserialize)]
struct OAuthTokenAnswer {
    access_token: NormanToken,
    refresh_token: Option<NormanToken>,
}

impl NormanClient {
    /// Where the person's browser goes to sign in at Norman (RFC 6749 §4.1.1). No PKCE: the
    /// code is redeemed by this confidential server, not by a browser.
    pub fn oauth_authorize_url(&self, client: &NormanOAuthClient, redirect_uri: &str, state: &str) -> Url {
        let mut url = self.url("api/v1/oauth/authorize/");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("state", state)
            .append_pair("scope", NORMAN_SCOPE);
        url
    }

    /// The origin of Norman's authorization endpoint, for the login page's CSP `form-action`.
    pub fn oauth_origin(&self) -> String {
        self.base().origin().ascii_serialization()
    }

    /// Redeems the code Norman sent to `redirect_uri` (RFC 6749 §4.1.3).
    pub async fn oauth_exchange(
        &self,
        client: &NormanOAuthClient,
        code: &str,
        redirect_uri: &str,
    ) -> Result<NormanTokens, NormanError> {
        let _timer = self.timer("oauth_code");
        let mut form =
            vec![("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri)];
        form.extend(client.credentials());
        self.oauth_token(form).await
    }

    /// Renews tokens that came from Norman's authorization server (RFC 6749 §6).
    pub async fn oauth_refresh(
        &self,
        client: &NormanOAuthClient,
        refresh: &NormanToken,
    ) -> Result<NormanTokens, NormanError> {
        let _timer = self.timer("oauth_refresh");
        let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", refresh.expose())];
        form.extend(client.credentials());
        self.oauth_token(form).await
    }

    async fn oauth_token(&self, form: Vec<(&str, &str)>) -> Result<NormanTokens, NormanError> {
        let answer =
            self.send(http::Method::POST, &self.url("api/v1/oauth/token/"), None, Body::form(&form)).await?;
        match answer.status {
            200 => {
                let tokens: OAuthTokenAnswer =
                    serde_json::from_slice(&answer.body).map_err(|_| NormanError::BadResponse)?;
                Ok(NormanTokens { access: tokens.access_token, refresh: tokens.refresh_token })
            }
            // RFC 6749 §5.2: invalid_grant, invalid_client and the like.
            400 | 401 | 403 => Err(NormanError::Unauthorized),
            status => Err(NormanError::Status { status, message: None }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_authorization_url_has_norman_s_wire_shape() {
        let norman =
            NormanClient::new(Url::parse("https://api.norman.finance/").unwrap(), Duration::from_secs(1))
                .unwrap();
        let client = NormanOAuthClient::new("mcp-client".into(), Some("s3cret-value".into()));
        let url = norman.oauth_authorize_url(&client, "https://mcp.example/oauth/callback", "nmo_x");
        assert_eq!(
            url.as_str(),
            "https://api.norman.finance/api/v1/oauth/authorize/?response_type=code&client_id=mcp-client\
             &redirect_uri=https%3A%2F%2Fmcp.example%2Foauth%2Fcallback&state=nmo_x&scope=read+write"
        );
        assert_eq!(norman.oauth_origin(), "https://api.norman.finance");
        assert!(!format!("{client:?}").contains("s3cret"), "the secret never shows");
        assert!(!NormanOAuthClient::new("id".into(), Some(String::new())).has_secret());
    }

    #[test]
    fn grants_sealed_before_delegated_sign_in_are_password_sign_ins() {
        #[derive(Deserialize)]
        struct Grant {
            #[serde(default)]
            method: SignInMethod,
        }
        let old: Grant = serde_json::from_str("{}").unwrap();
        assert_eq!(old.method, SignInMethod::Password);
        assert_eq!(serde_json::to_string(&SignInMethod::NormanOauth).unwrap(), r#""norman_oauth""#);
    }
}
