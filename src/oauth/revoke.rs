//! `POST /revoke` (RFC 7009): revoking a refresh token ends its whole grant (every rotation of
//! it); revoking an access token ends that token and every token attenuated from it, never the
//! token it was attenuated from (`Principal::revocation_id`). Invalid tokens are not an error, nor are
//! tokens issued to another client than the one presented (they are left alone, §2.1).
//! A public client's token may be revoked by whoever holds it; a confidential client's refresh
//! token only by that client, authenticated.

use std::net::IpAddr;

use time::OffsetDateTime;

use crate::guard::GuardSpace;
use crate::oauth::AuthServer;
use crate::oauth::client::Requester;
use crate::oauth::client_auth::{self, PresentedClient};
use crate::oauth::error::OAuthError;
use crate::oauth::token::FormParams;
use crate::seal::{self, Purpose};
use crate::tokens::access::{ACCESS_PREFIX, client_fingerprint};
use crate::tokens::refresh::{REFRESH_LIFETIME, RefreshToken};

impl AuthServer {
    pub async fn revoke(
        &self,
        params: &FormParams,
        authorization: Option<&str>,
        requester: IpAddr,
        now: OffsetDateTime,
    ) -> Result<(), OAuthError> {
        let presented = PresentedClient::from_request(authorization, params)?;
        let token = params.get("token").ok_or_else(|| OAuthError::invalid_request("token is required"))?;
        let keyring = self.keyring.current();

        // A confidential client must prove itself before it may revoke anything.
        if let Some(id) = presented.id.as_deref() {
            let requester = Requester::Address(requester);
            client_auth::authenticate(&self.clients, &keyring, &presented, id, requester, now).await?;
        }
        let issued_to_presenter =
            |client_id: &str| presented.id.as_deref().is_none_or(|presenter| presenter == client_id);
        let fingerprint_of_presenter = presented.id.as_deref().map(client_fingerprint);

        let unavailable =
            |_| OAuthError::unavailable("the server cannot revoke right now; try again shortly", 5);
        if token.starts_with(Purpose::Refresh.prefix()) {
            if let Ok(refresh) = seal::open::<RefreshToken>(&keyring, token, now)
                && issued_to_presenter(&refresh.client_id)
            {
                // Only registrations sealed here can be confidential (metadata-document
                // clients are public), so this never fetches anything.
                let confidential_owner = presented.id.is_none()
                    && refresh.client_id.starts_with(Purpose::Client.prefix())
                    && self
                        .clients
                        .resolve(&keyring, &refresh.client_id, Requester::SealedGrant, now)
                        .await
                        .is_ok_and(|owner| owner.is_confidential());
                if confidential_owner {
                    return Err(OAuthError::invalid_client(
                        "this token belongs to a confidential client, which must authenticate to revoke it",
                    )
                    .with_basic_challenge(true));
                }
                self.guard
                    .first_use(GuardSpace::DeniedFamily, &refresh.family_id, REFRESH_LIFETIME.unsigned_abs())
                    .await
                    .map_err(unavailable)?;
                tracing::info!("refresh token revoked");
            }
        } else if token.starts_with(ACCESS_PREFIX)
            && let Ok(principal) = self.verifier.verify(&keyring, token, &self.resource, now)
            && fingerprint_of_presenter
                .as_ref()
                .is_none_or(|presenter| *presenter == principal.client_fingerprint)
        {
            // Its last block: this token and every token derived from it, never its parent.
            let remaining = (principal.expires_at - now).unsigned_abs();
            self.guard
                .first_use(GuardSpace::DeniedAccess, principal.revocation_id(), remaining)
                .await
                .map_err(unavailable)?;
            tracing::info!(blocks = principal.revocation_ids.len(), "access token revoked");
        }
        Ok(())
    }
}
