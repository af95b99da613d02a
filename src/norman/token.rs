//! The Norman API's own credentials, as this server holds them.

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
