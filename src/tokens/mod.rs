//! One file per sealed thing. Each payload type names its purpose and expiry; `seal` does
//! the cryptography. Nothing here knows HTTP or the OAuth endpoints: they build on these
//! rules, never the other way round.

pub mod access;
pub mod client;
pub mod code;
pub mod company_choice;
pub mod login;
pub mod norman_state;
pub mod refresh;
pub mod upload_link;
pub mod upstream;

/// Every grant carries a Norman credential; the type is the Norman client's.
pub use crate::norman::NormanToken;

/// A random identifier (code id, token id, refresh family, CSRF nonce): 16 bytes, base64url.
pub fn random_id() -> Result<String, getrandom::Error> {
    use base64::Engine as _;
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}
