//! Who is asking: a client id is either an `nmi_` envelope of our own registration or an https
//! URL of a Client ID Metadata Document. Either way the result is one `Client` value.

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;
use time::OffsetDateTime;

use crate::keyring::{KeyId, Keyring};
use crate::oauth::cimd::{CimdError, CimdFetcher};
use crate::redirect::RedirectUri;
use crate::seal::{self, OpenError, Purpose};
use crate::tokens::client::{ClientAuthMethod, RegisteredClient};

/// Longest client id we look at: an `nmi_` envelope or a metadata document URL.
const MAX_CLIENT_ID_LEN: usize = seal::MAX_ENVELOPE_LEN;

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub name: Option<String>,
    pub redirect_uris: Vec<RedirectUri>,
    pub auth_method: ClientAuthMethod,
    /// The key that sealed a registered client id; its secret derives from that key.
    sealed_by: Option<KeyId>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientLookupError {
    #[error("The request names no client (client_id is missing).")]
    Missing,
    #[error(
        "This app's registration is not known here. It may be from an older installation: \
         remove the connection in your app and add it again."
    )]
    Unknown,
    #[error(
        "This app's registration is no longer valid. Remove the connection in your app and add \
         it again."
    )]
    Invalid(OpenError),
    #[error("This app's client metadata document could not be used: {0}")]
    Metadata(CimdError),
}

/// Why a requested redirect URI was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RedirectMismatch {
    #[error("The request has no redirect_uri and the app registered more than one.")]
    Missing,
    #[error("The redirect_uri of the request is not one this app registered.")]
    NotRegistered,
}

impl Client {
    /// A public client described by its metadata document: no secret, nothing sealed.
    pub fn public(id: &str, name: Option<String>, redirect_uris: Vec<RedirectUri>) -> Client {
        Client {
            id: id.to_owned(),
            name,
            redirect_uris,
            auth_method: ClientAuthMethod::None,
            sealed_by: None,
        }
    }

    pub fn display_name(&self) -> &str {
        self.name.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or("An unnamed app")
    }

    pub fn is_confidential(&self) -> bool {
        self.auth_method != ClientAuthMethod::None
    }

    /// The redirect URI to use for a request: the requested one when registered (loopback
    /// with any port), or the only registered one when none was requested.
    pub fn redirect_for(&self, requested: Option<&str>) -> Result<String, RedirectMismatch> {
        match requested {
            Some(requested) => self
                .redirect_uris
                .iter()
                .any(|registered| registered.matches(requested))
                .then(|| requested.to_owned())
                .ok_or(RedirectMismatch::NotRegistered),
            None => match self.redirect_uris.as_slice() {
                [only] => Ok(only.as_str().to_owned()),
                _ => Err(RedirectMismatch::Missing),
            },
        }
    }

    /// The secret of a confidential client, derived from its id with the key that sealed it.
    pub fn secret(&self, keyring: &Keyring) -> Option<String> {
        client_secret(keyring, self.sealed_by?, &self.id)
    }

    /// Constant-time check of a presented secret.
    pub fn secret_matches(&self, keyring: &Keyring, presented: &str) -> bool {
        self.secret(keyring).is_some_and(|expected| expected.as_bytes().ct_eq(presented.as_bytes()).into())
    }
}

/// HMAC-SHA256 of the client id under the key's client-secret key: never stored anywhere,
/// recomputed by any replica that holds the key.
pub fn client_secret(keyring: &Keyring, key_id: KeyId, client_id: &str) -> Option<String> {
    let key = keyring.key(key_id)?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.client_secret_key()).ok()?;
    mac.update(b"norman-mcp client secret\0");
    mac.update(client_id.as_bytes());
    Some(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// Who makes the server resolve a client id, for the per-address limit on metadata document
/// fetches (`CimdFetcher::fetch_for`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    /// A request from this address that names the client id itself (`/authorize`, `/revoke`):
    /// the fetches it causes count against the address.
    Address(IpAddr),
    /// A client id out of a grant this server sealed (`/token`): it went through `/authorize`
    /// and a sign-in, so a fetch is not counted again.
    SealedGrant,
}

/// Resolves client ids; holds the metadata document fetcher and its cache.
pub struct Clients {
    cimd: CimdFetcher,
}

impl Clients {
    pub fn new(cimd: CimdFetcher) -> Clients {
        Clients { cimd }
    }

    pub async fn resolve(
        &self,
        keyring: &Keyring,
        client_id: &str,
        requester: Requester,
        now: OffsetDateTime,
    ) -> Result<Client, ClientLookupError> {
        if client_id.is_empty() {
            return Err(ClientLookupError::Missing);
        }
        if client_id.len() > MAX_CLIENT_ID_LEN {
            return Err(ClientLookupError::Unknown);
        }
        if client_id.starts_with(Purpose::Client.prefix()) {
            let (registered, key_id) = seal::open_keyed::<RegisteredClient>(keyring, client_id, now)
                .map_err(|e| match e {
                    OpenError::WrongPurpose | OpenError::Malformed => ClientLookupError::Unknown,
                    other => ClientLookupError::Invalid(other),
                })?;
            return Ok(Client {
                id: client_id.to_owned(),
                name: registered.client_name,
                redirect_uris: registered.redirect_uris,
                auth_method: registered.token_endpoint_auth_method,
                sealed_by: Some(key_id),
            });
        }
        if CimdFetcher::is_cimd_client_id(client_id) {
            let fetched = match requester {
                Requester::Address(address) => self.cimd.fetch_for(client_id, address).await,
                Requester::SealedGrant => self.cimd.fetch(client_id).await,
            };
            let document = fetched.map_err(ClientLookupError::Metadata)?;
            return Ok(Client::public(
                client_id,
                document.client_name.clone(),
                document.redirect_uris.clone(),
            ));
        }
        Err(ClientLookupError::Unknown)
    }
}
