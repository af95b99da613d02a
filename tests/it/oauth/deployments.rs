//! Deployments sharing a key file: everything is sealed for one issuer.

use norman_mcp::scope::Scopes;
use norman_sandbox::DEMO_USERS;
use reqwest::StatusCode;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::{Value, json};

use super::{error_of, sealed_refresh};
use crate::support::*;

/// Two deployments that share a key file (staging and production, two brands) never accept
/// each other's sealed values: everything is sealed for the issuer. Replicas of one
/// deployment (the same public URL) still accept each other's.
#[tokio::test]
async fn deployments_sharing_a_keyring_refuse_each_others_sealed_values() {
    use norman_mcp::keyring::KeyFile;
    use norman_mcp::tokens::NormanToken;
    use norman_mcp::tokens::access::{self, AccessGrant};
    use url::Url;

    let keys = KeyFile::generate(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).unwrap();
    let staging = TestServer::start_with(Options { keys: Some(keys.clone()), ..Options::default() }).await;
    let norman = staging.sandbox.as_ref().unwrap().url.clone();
    let sharing = |public_url: Option<Url>| Options {
        keys: Some(keys.clone()),
        norman_api_url: Some(norman.clone()),
        public_url,
        ..Options::default()
    };
    let production = TestServer::start_with(sharing(None)).await;
    let replica = TestServer::start_with(sharing(Some(Url::parse(&staging.issuer).unwrap()))).await;
    assert_ne!(production.issuer, staging.issuer);
    // One browser: the CSRF cookie of 127.0.0.1 goes to every server, whatever its port.
    let browser = &staging.http;

    // A client id registered at staging.
    let client_id = staging.register_public(REDIRECT).await;
    let pkce = pkce();
    let params = authorize_params(&client_id, &pkce);
    let page = browser.get(production.url("/authorize")).query(&params).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(page.text().await.unwrap().contains("no longer valid"));
    let response = browser
        .post(production.url("/revoke"))
        .form(&[("token", "nmr_anything"), ("client_id", client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await.1, "invalid_client");
    let refresh_naming_it = sealed_refresh(&production.keyring.current(), &client_id);
    let response = refresh_with(&production, &refresh_naming_it).await;
    assert_eq!(error_of(response).await.1, "invalid_client");

    // A login form shown by staging: production shows the expired-form page; the replica takes it.
    let page = browser.get(staging.url("/authorize")).query(&params).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let form = login_request_of(&page.text().await.unwrap());
    let user = &DEMO_USERS[0];
    let login = [
        ("login_request", form.as_str()),
        ("email", user.email),
        ("password", user.password),
        ("action", "login"),
    ];
    let refused = browser.post(production.url("/authorize")).form(&login).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("This sign-in page has expired"));
    let accepted = browser.post(replica.url("/authorize")).form(&login).send().await.unwrap();
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let (_, redirect) = location_params(accepted.headers());
    assert_eq!(redirect.get("iss"), Some(&staging.issuer));
    let code = redirect["code"].clone();

    // Its code: invalid_grant at production, redeemed by staging.
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("client_id", client_id.as_str()),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let (status, error, _) = error_of(production.token(&exchange).await).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let response = staging.token(&exchange).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();

    // Its refresh token: invalid_grant at production, rotated by the replica.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let rotate = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let (status, error, _) = error_of(production.token(&rotate).await).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert_eq!(replica.token(&rotate).await.status(), StatusCode::OK);

    // The `nmu_` envelope inside an access token: a token for production's resource whose
    // Norman credentials staging sealed is refused there.
    let grant = AccessGrant {
        client_id: client_id.clone(),
        scopes: Scopes::ALL,
        audience: production.resource(),
        norman_access: NormanToken::new("norman-access-token-for-production".to_owned()),
        company_id: None,
        family_id: None,
        lifetime: access::DEFAULT_ACCESS_LIFETIME,
    };
    let now = time::OffsetDateTime::now_utc();
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let foreign = access::mint(&staging.keyring.current(), &grant, now).unwrap().token;
    let response = mcp_post(&production, Some(&foreign), &list).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers()[WWW_AUTHENTICATE].to_str().unwrap().contains("invalid_token"));
    let own = access::mint(&production.keyring.current(), &grant, now).unwrap().token;
    assert_eq!(mcp_post(&production, Some(&own), &list).await.status(), StatusCode::OK);

    assert_not_logged(&[&code, refresh, &form, &foreign, &own]);
    replica.stop().await;
    production.stop().await;
    staging.stop().await;
}

/// A keyring bound to another deployment (or to none) would seal what this server's clients
/// cannot use: the server does not start with it.
#[tokio::test]
async fn a_server_does_not_start_with_a_keyring_bound_to_another_issuer() {
    use std::sync::Arc;

    use norman_mcp::config::Config;
    use norman_mcp::guard::MemoryGuard;
    use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
    use norman_mcp::server::{self, StartError};

    let mut config =
        Config::local("127.0.0.1:0".parse().unwrap(), url::Url::parse("http://127.0.0.1:9/").unwrap());
    config.public_url = url::Url::parse("https://mcp.example.com/").unwrap();
    config.norman_api_timeout = std::time::Duration::from_secs(1);
    let keys = KeyFile::generate(time::OffsetDateTime::now_utc()).unwrap();
    for bound in ["https://staging.example.com", "https://mcp.example.com/", ""] {
        let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(bound)));
        let refused = server::Shared::new(&config, keyring, Arc::new(MemoryGuard::new()));
        assert!(matches!(refused, Err(StartError::KeyringIssuer { .. })), "bound to {bound:?}");
    }
    let keyring =
        Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to("https://mcp.example.com")));
    assert!(server::Shared::new(&config, keyring, Arc::new(MemoryGuard::new())).is_ok());
}
