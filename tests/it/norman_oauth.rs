//! "Sign in with Norman": our login page sends the person to Norman's authorization server
//! (the sandbox plays it), Norman sends them back to `/oauth/callback`, and the sign-in ends
//! like a password sign-in. The state is sealed and bound to the browser by a cookie; tokens
//! obtained this way are refreshed at Norman's OAuth token endpoint.

use std::collections::HashMap;

use norman_mcp::oauth::login::LoginMode;
use norman_mcp::seal;
use norman_mcp::tokens::norman_state::NormanState;
use norman_sandbox::{DEMO_USERS, DemoUser};
use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use url::Url;

use crate::support::binary;
use crate::support::{
    Options, Pkce, REDIRECT, TestServer, assert_not_logged, authorize_params, http_client, location_params,
    login_request_of, mcp_call, pkce, refresh_with, tool_json, with,
};

const CLIENT_ID: &str = "norman-mcp-test";
const SECRET: &str = "sandbox-client-secret-7f3a9c";

async fn start(login: Option<LoginMode>) -> TestServer {
    TestServer::start_with(Options {
        norman_oauth: Some((CLIENT_ID, Some(SECRET))),
        login,
        ..Options::default()
    })
    .await
}

/// An MCP client's authorization request, opened in `browser`: the login page.
async fn login_page(server: &TestServer, browser: &reqwest::Client, client_id: &str, pkce: &Pkce) -> String {
    let resource = server.mcp_url();
    let params = with(authorize_params(client_id, pkce), "scope", Some("norman.read norman.write"));
    let params = with(params, "resource", Some(&resource));
    let page = browser.get(server.url("/authorize")).query(&params).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

/// A sign-in that has left our page for Norman's authorization endpoint.
struct AtNorman {
    client_id: String,
    pkce: Pkce,
    /// Norman's authorization URL, with our sealed state.
    url: Url,
    /// The `name=value` of the cookie that binds the state to the browser.
    cookie: String,
}

/// Registers a client, opens the login page in `browser` and clicks "Sign in with Norman"
/// (with the "allow changes" box as `allow_write` says).
async fn leave_for_norman(server: &TestServer, browser: &reqwest::Client, allow_write: bool) -> AtNorman {
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let envelope = login_request_of(&login_page(server, browser, &client_id, &pkce).await);
    let mut form = vec![("login_request", envelope.as_str()), ("consent", "1"), ("action", "norman")];
    if allow_write {
        form.push(("allow_write", "1"));
    }
    let response = browser.post(server.url("/authorize")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 303, "{:?}", response.text().await);
    let set_cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        set_cookie.starts_with("nm_norman_") && set_cookie.contains("HttpOnly; SameSite=Lax"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let url = Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap();
    AtNorman { client_id, pkce, url, cookie }
}

/// The person at Norman: the approval page, then `action` (`approve` or `deny`) as `user`.
/// Returns Norman's redirect to our callback.
async fn answer_at_norman(browser: &reqwest::Client, at: &AtNorman, user: DemoUser, action: &str) -> Url {
    let page = browser.get(at.url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Sign in and approve"));
    let query: HashMap<String, String> = at.url.query_pairs().into_owned().collect();
    let mut form: Vec<(&str, &str)> = ["client_id", "redirect_uri", "state", "scope"]
        .iter()
        .map(|name| (*name, query[*name].as_str()))
        .collect();
    form.extend([("email", user.email), ("password", user.password), ("action", action)]);
    let answer =
        browser.post(at.url.join("/api/v1/oauth/authorize/").unwrap()).form(&form).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    Url::parse(answer.headers()[LOCATION].to_str().unwrap()).unwrap()
}

/// The code exchange at our /token.
async fn redeem(server: &TestServer, at: &AtNorman, code: &str) -> Value {
    let resource = server.mcp_url();
    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", &at.client_id),
            ("code_verifier", &at.pkce.verifier),
            ("resource", &resource),
        ])
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn is_page(response: &reqwest::Response, status: u16) {
    assert_eq!(response.status(), status);
    assert!(response.headers().get(LOCATION).is_none(), "a page, never a redirect");
}

#[tokio::test]
async fn signing_in_with_norman_ends_like_a_password_sign_in() {
    let server = start(None).await;
    let user = DEMO_USERS[1];
    let at = leave_for_norman(&server, &server.http, true).await;

    // Norman's authorization request, as norman-api.md §2.3 gives it.
    let sandbox = server.sandbox.as_ref().unwrap();
    assert!(at.url.as_str().starts_with(sandbox.url.join("api/v1/oauth/authorize/?").unwrap().as_str()));
    let query: HashMap<String, String> = at.url.query_pairs().into_owned().collect();
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["client_id"], CLIENT_ID);
    assert_eq!(query["redirect_uri"], format!("{}/oauth/callback", server.issuer));
    assert_eq!(query["scope"], "read write");
    assert!(at.url.query().unwrap().ends_with("&scope=read+write"));
    let state = query["state"].clone();
    assert!(state.starts_with("nmo_"), "a sealed state");

    let callback = answer_at_norman(&server.http, &at, user, "approve").await;
    assert!(callback.as_str().starts_with(&format!("{}/oauth/callback?code=", server.issuer)));
    let norman_code = callback.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let back = server.http.get(callback).send().await.unwrap();
    assert_eq!(back.status(), 303);
    let cleared = back.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("nm_norman_") && cleared.contains("Max-Age=0"), "{cleared}");
    let (location, params) = location_params(back.headers());
    assert!(location.as_str().starts_with(REDIRECT));
    assert_eq!(params.get("state").map(String::as_str), Some("st-1"));
    assert_eq!(params.get("iss"), Some(&server.issuer));
    let code = params["code"].clone();

    let tokens = redeem(&server, &at, &code).await;
    assert_eq!(tokens["scope"], "norman.read norman.write");
    let access = tokens["access_token"].as_str().unwrap();
    let company = tool_json(&mcp_call(&server, access, "get_company_details", json!({})).await);
    assert_eq!(company["name"], user.company_name, "that person's data");

    let stats = sandbox.sandbox.stats();
    assert_eq!((stats.logins_ok, stats.oauth_codes_ok), (0, 1), "no password login, one code redeemed");
    assert_not_logged(&[
        SECRET,
        &norman_code,
        &state,
        &code,
        access,
        tokens["refresh_token"].as_str().unwrap(),
    ]);
    server.stop().await;
}

#[tokio::test]
async fn tokens_from_norman_are_refreshed_at_norman_s_oauth_token_endpoint() {
    let server = start(Some(LoginMode::NormanOAuth)).await;
    let at = leave_for_norman(&server, &server.http, false).await;
    let callback = answer_at_norman(&server.http, &at, DEMO_USERS[0], "approve").await;
    let back = server.http.get(callback).send().await.unwrap();
    let code = location_params(back.headers()).1["code"].clone();
    let tokens = redeem(&server, &at, &code).await;
    assert_eq!(
        tokens["scope"], "norman.read",
        "unticking \"allow changes\" before leaving grants reading only"
    );

    let mut refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    for round in 1..=2 {
        let response = refresh_with(&server, &refresh).await;
        assert_eq!(response.status(), 200, "refresh {round}");
        let renewed: Value = response.json().await.unwrap();
        assert_eq!(renewed["scope"], "norman.read");
        refresh = renewed["refresh_token"].as_str().unwrap().to_owned();
        let company = tool_json(
            &mcp_call(&server, renewed["access_token"].as_str().unwrap(), "get_company_details", json!({}))
                .await,
        );
        assert_eq!(company["name"], DEMO_USERS[0].company_name);
    }
    let stats = server.sandbox.as_ref().unwrap().sandbox.stats();
    assert_eq!(stats.oauth_refreshes_ok, 2, "Norman's OAuth token endpoint renewed the Norman tokens");
    assert_eq!(
        (stats.refreshes_ok, stats.refreshes_rejected),
        (0, 0),
        "the password login's refresh was never asked"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_denial_at_norman_goes_back_to_the_app_as_access_denied() {
    let server = start(None).await;
    let at = leave_for_norman(&server, &server.http, true).await;
    let callback = answer_at_norman(&server.http, &at, DEMO_USERS[0], "deny").await;
    let query: HashMap<String, String> = callback.query_pairs().into_owned().collect();
    assert_eq!(query["error"], "access_denied");
    let back = server.http.get(callback).send().await.unwrap();
    assert_eq!(back.status(), 303);
    let (location, params) = location_params(back.headers());
    assert!(location.as_str().starts_with(REDIRECT));
    assert_eq!(params["error"], "access_denied");
    assert_eq!(params.get("state").map(String::as_str), Some("st-1"));
    assert_eq!(params.get("iss"), Some(&server.issuer));
    assert!(!params.contains_key("code"));
    server.stop().await;
}

#[tokio::test]
async fn a_callback_whose_state_or_cookie_does_not_hold_is_a_page() {
    let server = start(None).await;
    let at = leave_for_norman(&server, &server.http, true).await;
    let callback = answer_at_norman(&server.http, &at, DEMO_USERS[0], "approve").await;
    let query: HashMap<String, String> = callback.query_pairs().into_owned().collect();
    let (norman_code, state) = (query["code"].as_str(), query["state"].as_str());
    let url = |state: &str, extra: &[(&str, &str)]| {
        let mut url = Url::parse(&server.url("/oauth/callback")).unwrap();
        url.query_pairs_mut().append_pair("state", state).extend_pairs(extra);
        url
    };
    let stranger = http_client();
    let get = |browser: &reqwest::Client, url: Url, cookie: Option<&str>| {
        let mut request = browser.get(url).header("accept-language", "de");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request.send()
    };

    // A changed character: the state does not open.
    let mut tampered = state.to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let response =
        get(&stranger, url(&tampered, &[("code", norman_code)]), Some(at.cookie.as_str())).await.unwrap();
    is_page(&response, 400);
    assert!(response.text().await.unwrap().contains("lang=\"de\""), "German, as asked");
    // Expired: the same state, sealed again with its time up.
    let keyring = server.keyring.current();
    let now = time::OffsetDateTime::now_utc();
    let mut opened: NormanState = seal::open(&keyring, state, now).unwrap();
    opened.expires_at = now - time::Duration::seconds(1);
    let expired = seal::seal(&keyring, &opened, now).unwrap();
    is_page(
        &get(&stranger, url(&expired, &[("code", norman_code)]), Some(at.cookie.as_str())).await.unwrap(),
        400,
    );
    // No cookie, or another browser's: the state was carried away from the browser that left.
    is_page(&get(&stranger, url(state, &[("code", norman_code)]), None).await.unwrap(), 403);
    let (name, _) = at.cookie.split_once('=').unwrap();
    let other = format!("{name}=another-browsers-nonce");
    is_page(&get(&stranger, url(state, &[("code", norman_code)]), Some(other.as_str())).await.unwrap(), 403);
    // Norman's error with a state that does not open, or none: nothing says where to redirect.
    is_page(
        &get(&stranger, url(&tampered, &[("error", "access_denied")]), Some(at.cookie.as_str()))
            .await
            .unwrap(),
        400,
    );
    let bare = Url::parse(&server.url("/oauth/callback?error=access_denied")).unwrap();
    is_page(&get(&stranger, bare, Some(at.cookie.as_str())).await.unwrap(), 400);

    // None of that used the sign-in up: the browser that left completes it.
    let back = server.http.get(callback).send().await.unwrap();
    assert_eq!(back.status(), 303);
    assert!(location_params(back.headers()).1.contains_key("code"));
    assert_not_logged(&[SECRET, norman_code, state]);
    server.stop().await;
}

#[tokio::test]
async fn a_callback_presented_again_is_refused() {
    let server = start(None).await;
    let at = leave_for_norman(&server, &server.http, true).await;
    let callback = answer_at_norman(&server.http, &at, DEMO_USERS[0], "approve").await;
    let first = server.http.get(callback.clone()).send().await.unwrap();
    assert_eq!(first.status(), 303);
    // The browser dropped the cookie when told to; a replay with it kept is refused all the same.
    let again = http_client().get(callback).header("cookie", &at.cookie).send().await.unwrap();
    is_page(&again, 400);
    assert!(again.text().await.unwrap().contains("Norman did not confirm this sign-in"));
    assert_eq!(server.sandbox.as_ref().unwrap().sandbox.stats().oauth_codes_ok, 1);
    server.stop().await;
}

#[tokio::test]
async fn the_page_offers_the_sign_ins_login_names() {
    // Both: the password form and the button; the form may send the browser on to Norman.
    let both = start(None).await;
    let client_id = both.register_public(REDIRECT).await;
    let pkce = pkce();
    let resource = both.mcp_url();
    let params = with(
        with(authorize_params(&client_id, &pkce), "resource", Some(&resource)),
        "scope",
        Some("norman.read norman.write"),
    );
    let response = both.http.get(both.url("/authorize")).query(&params).send().await.unwrap();
    let csp = response.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    let sandbox_origin = both.sandbox.as_ref().unwrap().url.origin().ascii_serialization();
    assert!(csp.contains(&format!("form-action 'self' http://127.0.0.1:6276 {sandbox_origin};")), "{csp}");
    let page = response.text().await.unwrap();
    assert!(
        page.contains("name=\"password\"")
            && page.contains("value=\"norman\"")
            && page.contains("Sign in with Norman")
    );
    both.stop().await;

    // Password only: no button, no callback, and a form asking for Norman is refused.
    let password = start(Some(LoginMode::Password)).await;
    let client_id = password.register_public(REDIRECT).await;
    let page = login_page(&password, &password.http, &client_id, &pkce).await;
    assert!(page.contains("name=\"password\"") && !page.contains("value=\"norman\""));
    let envelope = login_request_of(&page);
    let form = [("login_request", envelope.as_str()), ("consent", "1"), ("action", "norman")];
    let refused = password.http.post(password.url("/authorize")).form(&form).send().await.unwrap();
    is_page(&refused, 403);
    let callback =
        password.http.get(password.url("/oauth/callback?code=x&state=nmo_x")).send().await.unwrap();
    assert_eq!(callback.status(), 404);
    password.stop().await;

    // Norman only: the button and the consent box, no password field; posted passwords are
    // refused before Norman is asked.
    let norman = start(Some(LoginMode::NormanOAuth)).await;
    let client_id = norman.register_public(REDIRECT).await;
    let page = login_page(&norman, &norman.http, &client_id, &pkce).await;
    assert!(
        !page.contains("name=\"password\"")
            && page.contains("value=\"norman\"")
            && page.contains("id=\"allow_write\"")
    );
    let envelope = login_request_of(&page);
    let user = DEMO_USERS[0];
    let form = [
        ("login_request", envelope.as_str()),
        ("email", user.email),
        ("password", user.password),
        ("action", "login"),
    ];
    let refused = norman.http.post(norman.url("/authorize")).form(&form).send().await.unwrap();
    is_page(&refused, 403);
    assert_eq!(norman.sandbox.as_ref().unwrap().sandbox.stats().logins_ok, 0);
    assert_not_logged(&[user.password]);
    norman.stop().await;
}

#[test]
fn sign_in_with_norman_without_a_client_id_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    norman_mcp::keyring::KeyFile::generate(time::OffsetDateTime::now_utc()).unwrap().create(&keys).unwrap();
    let keys = keys.to_str().unwrap();
    for mode in ["norman-oauth", "both"] {
        let out = binary::command().args(["serve", "--keys", keys, "--login", mode]).output().unwrap();
        assert!(!out.status.success(), "--login {mode} started");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("--login {mode} needs --norman-oauth-client-id")), "{err}");
    }
    let out = binary::command()
        .args(["serve", "--keys", keys])
        .env("NORMAN_OAUTH_CLIENT_SECRET", "lonely-secret")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("without --norman-oauth-client-id"), "{err}");
    assert!(!err.contains("lonely-secret"));
}
