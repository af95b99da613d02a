//! `nmi_`: a registered client id. Dynamic client registration seals the metadata into the id
//! itself, so no client table exists; the id lives until the key that sealed it is retired.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::redirect::RedirectUri;
use crate::seal::{Expiry, Purpose, Sealed};

/// How a client authenticates at the token endpoint (RFC 7591 `token_endpoint_auth_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuthMethod {
    /// A public client: PKCE is its only proof.
    None,
    ClientSecretPost,
    ClientSecretBasic,
}

impl ClientAuthMethod {
    pub fn parse(text: &str) -> Option<ClientAuthMethod> {
        match text {
            "none" => Some(ClientAuthMethod::None),
            "client_secret_post" => Some(ClientAuthMethod::ClientSecretPost),
            "client_secret_basic" => Some(ClientAuthMethod::ClientSecretBasic),
            _ => None,
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            ClientAuthMethod::None => "none",
            ClientAuthMethod::ClientSecretPost => "client_secret_post",
            ClientAuthMethod::ClientSecretBasic => "client_secret_basic",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredClient {
    pub client_name: Option<String>,
    pub redirect_uris: Vec<RedirectUri>,
    pub token_endpoint_auth_method: ClientAuthMethod,
    pub application_type: Option<String>,
    #[serde(with = "time::serde::timestamp")]
    pub issued_at: OffsetDateTime,
}

impl Sealed for RegisteredClient {
    const PURPOSE: Purpose = Purpose::Client;
    fn expiry(&self) -> Expiry {
        Expiry::Never
    }
}
