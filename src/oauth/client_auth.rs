//! Client authentication, one set of rules for `/token` and `/revoke` (RFC 6749 §2.3): the
//! credentials as presented (HTTP Basic or form fields, never both), the client they name, and
//! for a confidential client the secret derived from the key that sealed its registration.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;

use crate::keyring::Keyring;
use crate::oauth::client::{Client, ClientLookupError, Clients, Requester};
use crate::oauth::error::OAuthError;
use crate::oauth::token::FormParams;

/// Client credentials as presented: HTTP Basic, form fields, or only a client id.
#[derive(Default)]
pub struct PresentedClient {
    pub id: Option<String>,
    pub secret: Option<zeroize::Zeroizing<String>>,
    pub via_basic: bool,
}

impl PresentedClient {
    /// Reads `Authorization: Basic` (RFC 6749 §2.3.1: both parts form-urlencoded) and the
    /// `client_id` / `client_secret` fields.
    pub fn from_request(
        authorization: Option<&str>,
        params: &FormParams,
    ) -> Result<PresentedClient, OAuthError> {
        let mut presented = PresentedClient::default();
        if let Some(header) = authorization {
            let encoded =
                header.strip_prefix("Basic ").or_else(|| header.strip_prefix("basic ")).ok_or_else(|| {
                    OAuthError::invalid_client("only HTTP Basic client authentication is accepted here")
                })?;
            let decoded = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .map(zeroize::Zeroizing::new)
                .ok_or_else(|| {
                    OAuthError::invalid_client("malformed Basic credentials").with_basic_challenge(true)
                })?;
            let (id, secret) = decoded.split_once(':').ok_or_else(|| {
                OAuthError::invalid_client("malformed Basic credentials").with_basic_challenge(true)
            })?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned())
            };
            presented.id = decode(id).filter(|s| !s.is_empty());
            presented.secret = decode(secret).filter(|s| !s.is_empty()).map(zeroize::Zeroizing::new);
            presented.via_basic = true;
        }
        if let Some(id) = params.get("client_id") {
            match &presented.id {
                Some(basic_id) if basic_id != id => {
                    return Err(OAuthError::invalid_client("client_id differs from the Basic credentials")
                        .with_basic_challenge(true));
                }
                _ => presented.id = Some(id.to_owned()),
            }
        }
        if let Some(secret) = params.get("client_secret") {
            if presented.via_basic {
                return Err(OAuthError::invalid_request("use one client authentication method, not two"));
            }
            presented.secret = Some(zeroize::Zeroizing::new(secret.to_owned()));
        }
        Ok(presented)
    }
}

/// Resolves `client_id` and, when the client is confidential, checks the presented secret.
pub async fn authenticate(
    clients: &Clients,
    keyring: &Keyring,
    presented: &PresentedClient,
    client_id: &str,
    requester: Requester,
    now: OffsetDateTime,
) -> Result<Client, OAuthError> {
    let client = clients
        .resolve(keyring, client_id, requester, now)
        .await
        .map_err(|error| lookup_error(error, presented.via_basic))?;
    if client.is_confidential()
        && !presented.secret.as_ref().is_some_and(|secret| client.secret_matches(keyring, secret))
    {
        return Err(OAuthError::invalid_client("client authentication failed")
            .with_basic_challenge(presented.via_basic));
    }
    Ok(client)
}

/// A client id that does not resolve. A metadata document that cannot be fetched right now is
/// an outage, not a verdict: clients delete their registration and tokens on invalid_client.
pub fn lookup_error(error: ClientLookupError, via_basic: bool) -> OAuthError {
    match error {
        ClientLookupError::Metadata(error) if error.is_unavailable() => {
            tracing::warn!(?error, "client metadata document unavailable");
            OAuthError::unavailable(
                "the client's metadata document cannot be fetched right now; try again shortly",
                5,
            )
        }
        error => {
            tracing::info!(?error, "request from a client that does not resolve");
            OAuthError::invalid_client("the client is not known; register again")
                .with_basic_challenge(via_basic)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::error::ErrorCode;

    fn presented(authorization: Option<&str>, form: &str) -> Result<PresentedClient, OAuthError> {
        PresentedClient::from_request(authorization, &FormParams::parse(form.as_bytes()).unwrap())
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_credentials_are_form_urlencoded_inside() {
        let client = presented(Some(&basic("nmi_a%2Bb", "s%3Acret")), "").unwrap();
        assert_eq!(client.id.as_deref(), Some("nmi_a+b"));
        assert_eq!(client.secret.as_deref().map(String::as_str), Some("s:cret"));
        assert!(client.via_basic);
        let public = presented(None, "client_id=nmi_x").unwrap();
        assert_eq!(
            (public.id.as_deref(), public.secret.is_none(), public.via_basic),
            (Some("nmi_x"), true, false)
        );
    }

    #[test]
    fn credentials_that_disagree_or_come_twice_are_refused() {
        let refused = presented(Some(&basic("nmi_a", "s")), "client_id=nmi_b").err().unwrap();
        assert_eq!((refused.code, refused.basic_challenge), (ErrorCode::InvalidClient, true));
        let twice = presented(Some(&basic("nmi_a", "s")), "client_secret=s").err().unwrap();
        assert_eq!(twice.code, ErrorCode::InvalidRequest);
        for header in ["Bearer abc", "Basic not-base64!", &format!("Basic {}", STANDARD.encode("no-colon"))] {
            assert_eq!(presented(Some(header), "").err().unwrap().code, ErrorCode::InvalidClient, "{header}");
        }
        assert!(presented(Some(&basic("nmi_a", "s")), "client_id=nmi_a").is_ok(), "the same id twice");
    }
}
