//! The OAuth flow as an MCP client and its user's browser run it (OAuth 2.1 §4.1 with PKCE,
//! RFC 7636): register, open the login page, sign in as a demo user, exchange the code.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use norman_sandbox::DEMO_USERS;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

use super::TestServer;

/// The redirect URI every test client registers (the MCP Inspector's).
pub const REDIRECT: &str = "http://127.0.0.1:6276/oauth/callback";

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

pub fn pkce() -> Pkce {
    let verifier = format!("verifier-{}-{}", norman_mcp::tokens::random_id().unwrap(), "x".repeat(20));
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    Pkce { verifier, challenge }
}

/// The parameters of an authorization request to [`REDIRECT`] with state `st-1`.
pub fn authorize_params<'a>(client_id: &'a str, pkce: &'a Pkce) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("state", "st-1"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]
}

/// `params` with `name` set to `value`, or without it for `None`.
pub fn with<'a>(
    mut params: Vec<(&'a str, &'a str)>,
    name: &'a str,
    value: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    params.retain(|(n, _)| *n != name);
    if let Some(value) = value {
        params.push((name, value));
    }
    params
}

/// The hidden `login_request` field of a login page.
pub fn login_request_of(page: &str) -> String {
    let marker = "name=\"login_request\" value=\"";
    let start = page.find(marker).expect("the page has a login form") + marker.len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_owned()
}

/// The query parameters of a redirect's Location.
pub fn location_params(headers: &HeaderMap) -> (Url, HashMap<String, String>) {
    let location = headers.get(LOCATION).expect("a Location header").to_str().unwrap();
    let url = Url::parse(location).unwrap();
    let params = url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    (url, params)
}

/// Opens the login page for `client_id`; returns its `login_request` (the browser keeps the
/// CSRF cookie).
pub async fn login_page(server: &TestServer, client_id: &str, pkce: &Pkce) -> String {
    let response = server.authorize(&authorize_params(client_id, pkce)).await;
    assert_eq!(response.status(), 200);
    login_request_of(&response.text().await.unwrap())
}

/// Submits the login form with `action` (`login` or `deny`) from the browser `client`.
pub async fn post_login(
    server: &TestServer,
    client: &reqwest::Client,
    envelope: &str,
    email: &str,
    password: &str,
    action: &str,
) -> reqwest::Response {
    client
        .post(server.url("/authorize"))
        .form(&[("login_request", envelope), ("email", email), ("password", password), ("action", action)])
        .send()
        .await
        .unwrap()
}

/// The whole browser part: authorize, read the form, log in as demo user `user`. Returns the code.
pub async fn login_for_code(
    server: &TestServer,
    client_id: &str,
    pkce: &Pkce,
    scope: &str,
    user: usize,
) -> String {
    let resource = server.mcp_url();
    let params = with(authorize_params(client_id, pkce), "scope", Some(scope));
    let page = server.authorize(&with(params, "resource", Some(&resource))).await;
    assert_eq!(page.status(), 200);
    let envelope = login_request_of(&page.text().await.unwrap());
    let user = &DEMO_USERS[user];
    let response = post_login(server, &server.http, &envelope, user.email, user.password, "login").await;
    assert_eq!(response.status(), 303, "{:?}", response.text().await);
    let cleared = response.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("nm_login_") && cleared.contains("Max-Age=0"),
        "the spent CSRF cookie is cleared: {cleared}"
    );
    let (_, params) = location_params(response.headers());
    assert_eq!(params.get("state").map(String::as_str), Some("st-1"));
    assert_eq!(params.get("iss"), Some(&server.base));
    params["code"].clone()
}

/// The refresh token grant (OAuth 2.1 §4.3) as a public client sends it: the token alone.
pub async fn refresh_with(server: &TestServer, refresh_token: &str) -> reqwest::Response {
    server.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
}

/// A public client registered for [`REDIRECT`], signed in: what it needs to redeem the code.
pub struct SignedIn {
    pub client_id: String,
    pub pkce: Pkce,
    pub code: String,
}

impl SignedIn {
    /// The authorization code grant's form (OAuth 2.1 §4.1.3), without a `resource`.
    pub fn exchange(&self) -> [(&str, &str); 5] {
        [
            ("grant_type", "authorization_code"),
            ("code", &self.code),
            ("redirect_uri", REDIRECT),
            ("client_id", &self.client_id),
            ("code_verifier", &self.pkce.verifier),
        ]
    }
}

/// Registration and login: a code waiting to be redeemed.
pub async fn sign_in(server: &TestServer, scope: &str, user: usize) -> SignedIn {
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let code = login_for_code(server, &client_id, &pkce, scope, user).await;
    SignedIn { client_id, pkce, code }
}

/// Registration, login and code exchange: the client id and the token response.
pub async fn full_flow(server: &TestServer, scope: &str, user: usize) -> (String, Value) {
    let signed_in = sign_in(server, scope, user).await;
    let resource = server.mcp_url();
    let mut form = signed_in.exchange().to_vec();
    form.push(("resource", &resource));
    let response = server.token(&form).await;
    assert_eq!(response.status(), 200);
    (signed_in.client_id, response.json().await.unwrap())
}

/// The hidden `company_choice` field of a company choice page.
pub fn company_choice_of(page: &str) -> String {
    let marker = "name=\"company_choice\" value=\"";
    let start = page.find(marker).expect("the page has a company choice form") + marker.len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_owned()
}

/// A public client registered for [`REDIRECT`] that opened the login page.
pub struct Started {
    pub client_id: String,
    pub pkce: Pkce,
}

impl Started {
    /// Redeems the code of `redirect` (a login's or a company choice's 303): the token response.
    pub async fn exchange(&self, server: &TestServer, redirect: &reqwest::Response) -> Value {
        assert_eq!(redirect.status(), 303);
        let (_, params) = location_params(redirect.headers());
        let resource = server.mcp_url();
        let response = server
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &params["code"]),
                ("redirect_uri", REDIRECT),
                ("client_id", &self.client_id),
                ("code_verifier", &self.pkce.verifier),
                ("resource", &resource),
            ])
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }
}

/// Registers a client, opens the login page asking for `scope`, and posts `user`'s credentials
/// from the test's browser with the `extra` fields (`company_id`, the consent fields): Norman's
/// answer is a redirect with the code, or the company choice page.
pub async fn login_as(
    server: &TestServer,
    scope: &str,
    user: &norman_sandbox::DemoUser,
    extra: &[(&str, &str)],
) -> (Started, reqwest::Response) {
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let resource = server.mcp_url();
    let params = with(authorize_params(&client_id, &pkce), "scope", Some(scope));
    let page = server.authorize(&with(params, "resource", Some(&resource))).await;
    assert_eq!(page.status(), 200);
    let envelope = login_request_of(&page.text().await.unwrap());
    let mut form = vec![
        ("login_request", envelope.as_str()),
        ("email", user.email),
        ("password", user.password),
        ("action", "login"),
    ];
    form.extend_from_slice(extra);
    let response = server.http.post(server.url("/authorize")).form(&form).send().await.unwrap();
    (Started { client_id, pkce }, response)
}

/// Answers a company choice page from the browser `client`: `company_id` and `action`.
pub async fn post_company_choice(
    server: &TestServer,
    client: &reqwest::Client,
    envelope: &str,
    company_id: &str,
    action: &str,
) -> reqwest::Response {
    client
        .post(server.url("/authorize/company"))
        .form(&[("company_choice", envelope), ("company_id", company_id), ("action", action)])
        .send()
        .await
        .unwrap()
}
