//! PKCE (RFC 7636), S256 only: OAuth 2.1 requires it, and `plain` protects nothing.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

/// Checks the challenge of an authorization request; the error is an `error_description`.
pub fn check_challenge(challenge: Option<&str>, method: Option<&str>) -> Result<String, &'static str> {
    let challenge =
        challenge.filter(|c| !c.is_empty()).ok_or("code_challenge is required (PKCE with S256)")?;
    match method {
        Some("S256") => {}
        Some("plain") => return Err("code_challenge_method plain is not allowed; use S256"),
        Some(_) => return Err("code_challenge_method must be S256"),
        None => return Err("code_challenge_method is required and must be S256"),
    }
    // A base64url SHA-256 is exactly 43 characters.
    if challenge.len() != 43 || !challenge.bytes().all(is_base64url) {
        return Err("code_challenge must be the base64url SHA-256 of the code verifier (43 characters)");
    }
    Ok(challenge.to_owned())
}

/// Does `verifier` hash to `challenge`? Verifiers outside RFC 7636's shape never match.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len()) && verifier.bytes().all(is_unreserved);
    if !well_formed {
        return false;
    }
    let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    computed.as_bytes().ct_eq(challenge.as_bytes()).into()
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(check_challenge(Some(challenge), Some("S256")), Ok(challenge.to_owned()));
        assert!(verifier_matches(verifier, challenge));
        assert!(!verifier_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", challenge));
        assert!(!verifier_matches("short", challenge));
    }

    #[test]
    fn plain_and_missing_are_refused() {
        let c = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(check_challenge(Some(c), Some("plain")).is_err());
        assert!(check_challenge(Some(c), None).is_err());
        assert!(check_challenge(None, Some("S256")).is_err());
        assert!(check_challenge(Some("abc"), Some("S256")).is_err());
    }
}
