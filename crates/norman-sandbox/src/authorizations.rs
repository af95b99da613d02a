//! Norman's OAuth 2 authorization server as the sandbox plays it ("Sign in with Norman"): the
//! registered OAuth clients and the authorization codes waiting to be redeemed, each once,
//! within a minute.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::token::{hex, random_bytes};

/// How long an authorization code may wait to be redeemed (RFC 6749 §4.1.2: short).
const CODE_LIFETIME: Duration = Duration::from_secs(60);

/// An OAuth client registered at the sandbox's authorization server.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    pub id: String,
    /// `None`: a public client, which authenticates by its id alone.
    pub secret: Option<String>,
    /// The one redirect URI the client registered; requests must name it exactly.
    pub redirect_uri: String,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("id", &self.id)
            .field("secret", &self.secret.as_ref().map(|_| ".."))
            .field("redirect_uri", &self.redirect_uri)
            .finish()
    }
}

impl OAuthClient {
    /// `id:secret:redirect_uri`; an empty secret makes a public client.
    pub fn parse(spec: &str) -> Result<OAuthClient, String> {
        let mut parts = spec.splitn(3, ':');
        let (Some(id), Some(secret), Some(redirect_uri)) = (parts.next(), parts.next(), parts.next()) else {
            return Err("expected id:secret:redirect_uri (the secret may be empty)".to_owned());
        };
        if id.is_empty() || url::Url::parse(redirect_uri).is_err() {
            return Err("expected a client id and an absolute redirect URI".to_owned());
        }
        Ok(OAuthClient {
            id: id.to_owned(),
            secret: Some(secret.to_owned()).filter(|s| !s.is_empty()),
            redirect_uri: redirect_uri.to_owned(),
        })
    }

    /// Whether `secret` is this client's (none for a public client).
    pub(crate) fn authenticates(&self, secret: Option<&str>) -> bool {
        match (&self.secret, secret) {
            (None, _) => true,
            (Some(own), Some(given)) => own.as_bytes() == given.as_bytes(),
            (Some(_), None) => false,
        }
    }
}

/// A code issued to a client for a user's approval.
struct PendingCode {
    user: usize,
    client_id: String,
    redirect_uri: String,
    expires: Instant,
}

#[derive(Default)]
pub(crate) struct Authorizations {
    clients: RwLock<Vec<OAuthClient>>,
    codes: Mutex<HashMap<String, PendingCode>>,
}

impl Authorizations {
    pub(crate) fn new(clients: Vec<OAuthClient>) -> Authorizations {
        Authorizations { clients: RwLock::new(clients), codes: Mutex::default() }
    }

    /// Registers `client`, replacing one with the same id.
    pub(crate) fn register(&self, client: OAuthClient) {
        let mut clients = self.clients.write().unwrap_or_else(|e| e.into_inner());
        clients.retain(|c| c.id != client.id);
        clients.push(client);
    }

    pub(crate) fn client(&self, id: &str) -> Option<OAuthClient> {
        self.clients.read().unwrap_or_else(|e| e.into_inner()).iter().find(|c| c.id == id).cloned()
    }

    /// A new code for `user`'s approval of `client_id` at `redirect_uri`.
    pub(crate) fn issue_code(&self, user: usize, client_id: &str, redirect_uri: &str) -> String {
        let code = hex(&random_bytes::<20>());
        let now = Instant::now();
        let mut codes = self.codes.lock().unwrap_or_else(|e| e.into_inner());
        codes.retain(|_, pending| pending.expires > now);
        codes.insert(
            code.clone(),
            PendingCode {
                user,
                client_id: client_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                expires: now + CODE_LIFETIME,
            },
        );
        code
    }

    /// Redeems `code` once: the user, if the code is live and was issued to `client_id` for
    /// `redirect_uri` (RFC 6749 §4.1.3). A code presented by another client or with another
    /// redirect URI is spent all the same.
    pub(crate) fn redeem(&self, code: &str, client_id: &str, redirect_uri: &str) -> Option<usize> {
        let pending = self.codes.lock().unwrap_or_else(|e| e.into_inner()).remove(code)?;
        let fits = pending.expires > Instant::now()
            && pending.client_id == client_id
            && pending.redirect_uri == redirect_uri;
        fits.then_some(pending.user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_parse_from_id_secret_and_redirect_uri() {
        let client = OAuthClient::parse("norman-mcp:s3cret:http://127.0.0.1:3001/oauth/callback").unwrap();
        assert_eq!(client.id, "norman-mcp");
        assert_eq!(client.secret.as_deref(), Some("s3cret"));
        assert_eq!(client.redirect_uri, "http://127.0.0.1:3001/oauth/callback");
        assert!(client.authenticates(Some("s3cret")) && !client.authenticates(Some("other")));
        assert!(!client.authenticates(None));
        let public = OAuthClient::parse("app::https://app.example/cb").unwrap();
        assert!(public.secret.is_none() && public.authenticates(None));
        assert!(OAuthClient::parse("app:secret").is_err());
        assert!(OAuthClient::parse(":x:https://app.example/cb").is_err());
        assert!(!format!("{client:?}").contains("s3cret"));
    }

    #[test]
    fn a_code_is_redeemed_once_by_its_client_at_its_redirect_uri() {
        let authorizations = Authorizations::default();
        let code = authorizations.issue_code(1, "app", "https://app.example/cb");
        assert_eq!(authorizations.redeem(&code, "app", "https://app.example/cb"), Some(1));
        assert_eq!(authorizations.redeem(&code, "app", "https://app.example/cb"), None, "single use");
        let code = authorizations.issue_code(0, "app", "https://app.example/cb");
        assert_eq!(authorizations.redeem(&code, "other", "https://app.example/cb"), None);
        assert_eq!(
            authorizations.redeem(&code, "app", "https://app.example/cb"),
            None,
            "spent by the attempt"
        );
        let code = authorizations.issue_code(0, "app", "https://app.example/cb");
        assert_eq!(authorizations.redeem(&code, "app", "https://app.example/other"), None);
    }
}
