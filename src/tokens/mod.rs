//! One file per sealed thing. Each payload type names its purpose and expiry; `seal` does
//! the cryptography.

pub mod access;
pub mod client;
pub mod code;
pub mod login;
pub mod refresh;
pub mod upstream;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A credential of the Norman API (access or refresh token). Zeroed on drop; its `Debug` never
/// shows the value, so it cannot reach a log line by accident.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(transparent)]
pub struct NormanToken(String);

impl NormanToken {
    pub fn new(value: String) -> NormanToken {
        NormanToken(value)
    }

    /// The raw value, for the one place that sends it: the Norman API's Authorization header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NormanToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NormanToken(..)")
    }
}

/// A random identifier (code id, token id, refresh family, CSRF nonce): 16 bytes, base64url.
pub fn random_id() -> Result<String, getrandom::Error> {
    use base64::Engine as _;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}
