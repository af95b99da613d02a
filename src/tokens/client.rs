//! `nmi_`: a registered client id. Dynamic client registration seals the metadata into the id
//! itself, so no client table exists; the id lives until the key that sealed it is retired.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::seal::{Expiry, Purpose, Sealed};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredClient {
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: String,
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
