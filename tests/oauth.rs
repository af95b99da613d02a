//! The authorization server over real HTTP: the whole flow against the sandbox Norman API and
//! every refusal, each asserting the status and the OAuth error code.

mod support;

use std::time::Duration;

use norman_mcp::scope::Scopes;
use norman_mcp::seal;
use norman_mcp::tokens::code::AuthorizationCode;
use norman_sandbox::DEMO_USERS;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use serde_json::{Value, json};
use support::*;

async fn error_of(response: reqwest::Response) -> (StatusCode, String, reqwest::header::HeaderMap) {
    let status = response.status();
    let headers = response.headers().clone();
    let body: Value = response.json().await.expect("an OAuth error is JSON");
    (status, body["error"].as_str().unwrap_or_default().to_owned(), headers)
}

fn authorize_params<'a>(client_id: &'a str, pkce: &'a Pkce) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", REDIRECT),
        ("state", "st-1"),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]
}

fn with<'a>(
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

#[tokio::test]
async fn metadata_documents_agree_on_the_issuer() {
    let server = TestServer::start().await;
    let asm: Value = server
        .http
        .get(server.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(asm["issuer"], server.base.as_str());
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(asm["client_id_metadata_document_supported"], json!(true));
    assert_eq!(asm["authorization_response_iss_parameter_supported"], json!(true));
    assert_eq!(asm["scopes_supported"], json!(["norman.read", "norman.write"]));
    assert_eq!(asm["grant_types_supported"], json!(["authorization_code", "refresh_token"]));
    assert_eq!(asm["registration_endpoint"], format!("{}/register", server.base));
    assert_eq!(asm["revocation_endpoint"], format!("{}/revoke", server.base));
    assert_eq!(asm["token_endpoint"], format!("{}/token", server.base));
    for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
        let prm: Value = server.http.get(server.url(path)).send().await.unwrap().json().await.unwrap();
        assert_eq!(prm["resource"], server.mcp_url());
        assert_eq!(prm["authorization_servers"], json!([server.base]), "byte-identical issuer");
        assert_eq!(prm["scopes_supported"], json!(["norman.read", "norman.write"]));
    }
    let health = server.http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn registration_accepts_what_real_clients_send() {
    let server = TestServer::start().await;
    let response = server
        .register(json!({
            "client_name": "Cursor",
            "redirect_uris": [
                "cursor://anysphere.cursor-retrieval/oauth/user-norman/callback",
                "https://claude.ai/api/mcp/auth_callback",
                "http://localhost:6274/oauth/callback",
                "http://127.0.0.1/callback",
                "http://[::1]:33418/cb"
            ],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
            "application_type": "native",
            "scope": "",
            "software_id": "ignored",
            "contacts": ["someone@example.com"]
        }))
        .await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let body: Value = response.json().await.unwrap();
    assert!(body["client_id"].as_str().unwrap().starts_with("nmi_"));
    assert!(body.get("client_secret").is_none());
    assert_eq!(body["token_endpoint_auth_method"], "none");
    assert_eq!(body["redirect_uris"].as_array().unwrap().len(), 5);

    // Missing scope and auth method: RFC 7591 defaults to client_secret_basic, with a secret.
    let response = server.register(json!({"redirect_uris": ["https://app.example/cb"]})).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["client_secret_expires_at"], 0);
    assert!(body["client_secret"].as_str().unwrap().len() >= 40);
    server.stop().await;
}

#[tokio::test]
async fn registration_refusals() {
    let server = TestServer::start().await;
    for bad in [
        "javascript:alert(1)",
        "data:text/html,hi",
        "file:///etc/passwd",
        "https://app.example/cb#fragment",
        "http://app.example/cb",
        "not a uri",
    ] {
        let response =
            server.register(json!({"redirect_uris": [bad], "token_endpoint_auth_method": "none"})).await;
        let (status, error, _) = error_of(response).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_redirect_uri"), "{bad}");
    }
    let (status, error, _) = error_of(server.register(json!({"client_name": "x"})).await).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_redirect_uri"));
    let (_, error, _) = error_of(
        server.register(json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "private_key_jwt"})).await,
    )
    .await;
    assert_eq!(error, "invalid_client_metadata");
    let (_, error, _) = error_of(
        server
            .register(
                json!({"redirect_uris": ["https://a.example/cb"], "grant_types": ["client_credentials"]}),
            )
            .await,
    )
    .await;
    assert_eq!(error, "invalid_client_metadata");
    let response = server
        .http
        .post(server.url("/register"))
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_client_metadata"));
    let huge = "x".repeat(100 * 1024);
    let response = server
        .http
        .post(server.url("/register"))
        .header(CONTENT_TYPE, "application/json")
        .body(format!("{{\"client_name\": \"{huge}\"}}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    server.stop().await;
}

#[tokio::test]
async fn authorize_shows_an_error_page_and_never_redirects_for_unknown_clients_or_redirects() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let forged = format!("{}A", &client_id[..client_id.len() - 1]);
    let other_keyring_client = {
        let keys = norman_mcp::keyring::KeyFile::generate(time::OffsetDateTime::now_utc()).unwrap();
        let keyring = norman_mcp::keyring::Keyring::from_file(&keys);
        norman_mcp::oauth::register::register(
            &keyring,
            norman_mcp::oauth::register::RegistrationRequest {
                redirect_uris: Some(vec![REDIRECT.to_owned()]),
                token_endpoint_auth_method: Some("none".into()),
                ..Default::default()
            },
            time::OffsetDateTime::now_utc(),
        )
        .unwrap()
        .client_id
    };
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (with(authorize_params(&client_id, &pkce), "client_id", None), "client_id is missing"),
        (with(authorize_params(&client_id, &pkce), "client_id", Some("unknown-client")), "not known"),
        (with(authorize_params(&client_id, &pkce), "client_id", Some(&forged)), "the connection in your app"),
        (
            with(authorize_params(&client_id, &pkce), "client_id", Some(&other_keyring_client)),
            "no longer valid",
        ),
        (
            with(
                authorize_params(&client_id, &pkce),
                "redirect_uri",
                Some("http://127.0.0.1:6276/elsewhere"),
            ),
            "not one this app registered",
        ),
        (
            with(authorize_params(&client_id, &pkce), "redirect_uri", Some("https://attacker.example/cb")),
            "not one this app registered",
        ),
    ];
    for (params, message) in cases {
        let response = server.authorize(&params).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{message}");
        assert!(response.headers().get(LOCATION).is_none(), "never a redirect: {message}");
        assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        let page = response.text().await.unwrap();
        assert!(page.contains(message), "{message}: {page}");
    }
    server.stop().await;
}

#[tokio::test]
async fn authorize_errors_after_the_redirect_is_known_go_back_with_state_and_iss() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let base = authorize_params(&client_id, &pkce);
    let cases = vec![
        (with(base.clone(), "response_type", Some("token")), "unsupported_response_type"),
        (with(base.clone(), "response_type", None), "invalid_request"),
        (with(base.clone(), "code_challenge_method", Some("plain")), "invalid_request"),
        (with(base.clone(), "code_challenge_method", None), "invalid_request"),
        (with(base.clone(), "code_challenge", None), "invalid_request"),
        (with(base.clone(), "code_challenge", Some("too-short")), "invalid_request"),
        (with(base.clone(), "resource", Some("https://evil.example/mcp")), "invalid_target"),
        (with(base.clone(), "resource", Some("http://127.0.0.1:1/mcp")), "invalid_target"),
    ];
    for (params, expected) in cases {
        let response = server.authorize(&params).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{expected}");
        let (url, query) = location_params(response.headers());
        assert_eq!(format!("{}://{}{}", url.scheme(), url.authority(), url.path()), REDIRECT);
        assert_eq!(query["error"], expected);
        assert_eq!(query["state"], "st-1");
        assert_eq!(query["iss"], server.base);
    }
    // Loopback redirect URIs match with any port (RFC 8252 §7.3).
    let other_port = "http://127.0.0.1:49152/oauth/callback";
    let response = server.authorize(&with(base.clone(), "redirect_uri", Some(other_port))).await;
    assert_eq!(response.status(), 200);
    server.stop().await;
}

#[tokio::test]
async fn the_login_page_is_safe_and_says_what_is_asked() {
    let server = TestServer::start().await;
    let response = server
        .register(json!({
            "client_name": "<script>alert('x')</script> Tool",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "none"
        }))
        .await;
    let client_id = response.json::<Value>().await.unwrap()["client_id"].as_str().unwrap().to_owned();
    let pkce = pkce();
    let canonical_with_slash = format!("{}/", server.mcp_url().to_uppercase().replace("/MCP", "/mcp"));
    let params = with(authorize_params(&client_id, &pkce), "resource", Some(&canonical_with_slash));
    let params = with(params, "scope", Some("  norman.read  offline_access "));
    let response = server.authorize(&params).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("form-action 'self' http://127.0.0.1:6276"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers[CACHE_CONTROL], "no-store");
    let cookie = headers[SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let page = response.text().await.unwrap();
    assert!(!page.contains("<script>alert"), "client name escaped");
    assert!(page.contains("&#60;script&#62;") || page.contains("&lt;script&gt;"), "{page}");
    assert!(page.contains("127.0.0.1"), "redirect host shown");
    assert!(page.contains("runs on this computer"), "localhost warning");
    assert!(page.contains("read your company"));
    assert!(!page.contains("create and change"), "read-only request asks no write access");
    assert!(page.contains("<label for=\"email\">") && page.contains("<label for=\"password\">"));
    assert!(page.contains("name=\"viewport\""));

    // Empty scope means every scope.
    let response = server.authorize(&with(authorize_params(&client_id, &pkce), "scope", Some(""))).await;
    assert!(response.text().await.unwrap().contains("create and change"));
    let css = server.http.get(server.url("/assets/norman.css")).send().await.unwrap();
    assert_eq!(css.status(), 200);
    assert!(css.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    server.stop().await;
}

async fn login_page(server: &TestServer, client_id: &str, pkce: &Pkce) -> String {
    let response = server.authorize(&authorize_params(client_id, pkce)).await;
    assert_eq!(response.status(), 200);
    login_request_of(&response.text().await.unwrap())
}

async fn post_login(
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

#[tokio::test]
async fn login_refusals_and_cancel() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let envelope = login_page(&server, &client_id, &pkce).await;
    let user = &DEMO_USERS[0];

    // Wrong password: the form again, one generic message, the password never echoed.
    let wrong_password = "definitely-wrong-password-42";
    let response = post_login(&server, &server.http, &envelope, user.email, wrong_password, "login").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let page = response.text().await.unwrap();
    assert!(page.contains("The email or password is not correct."));
    assert!(!page.contains(wrong_password));
    assert!(page.contains(user.email), "email kept for the retry");
    let response =
        post_login(&server, &server.http, &envelope, "nobody@example.com", wrong_password, "login").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(
        response.text().await.unwrap().contains("The email or password is not correct."),
        "no account enumeration"
    );

    // Without the CSRF cookie (another browser): refused.
    let stranger = http_client();
    let response = post_login(&server, &stranger, &envelope, user.email, user.password, "login").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get(LOCATION).is_none());

    // A tampered or missing envelope: a page, no redirect.
    let tampered = format!("{}x", &envelope[..envelope.len() - 1]);
    let response = post_login(&server, &server.http, &tampered, user.email, user.password, "login").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("expired"));
    let response = post_login(&server, &server.http, "", user.email, user.password, "login").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // Cancel: back to the app with access_denied.
    let response = post_login(&server, &server.http, &envelope, "", "", "cancel").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, query) = location_params(response.headers());
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "st-1");
    assert_eq!(query["iss"], server.base);
    assert_not_logged(&[wrong_password, user.password, &envelope]);
    server.stop().await;
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let envelope = login_page(&server, &client_id, &pkce).await;
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let response =
            post_login(&server, &server.http, &envelope, "target@example.com", "guess-guess", "login").await;
        statuses.push(response.status());
    }
    assert!(statuses[..5].iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    assert_eq!(*statuses.last().unwrap(), StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    server.stop().await;
}

/// Behind a balancer every login arrives from the balancer's address: with it trusted, each
/// client keeps its own limit (and X-Forwarded-For from anyone else changes nothing).
#[tokio::test]
async fn the_login_limit_is_per_client_behind_a_trusted_proxy() {
    let attempt =
        |server: &TestServer, envelope: String, email: String, password: &'static str, from: &'static str| {
            let http = server.http.clone();
            let url = server.url("/authorize");
            async move {
                http.post(url)
                    .header("x-forwarded-for", from)
                    .form(&[
                        ("login_request", envelope.as_str()),
                        ("email", &email),
                        ("password", password),
                        ("action", "login"),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
            }
        };
    let trusted = Options { trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()], ..Options::default() };
    let behind = TestServer::start_with(trusted).await;
    let client_id = behind.register_public(REDIRECT).await;
    let pkce = pkce();
    // An attacker behind the balancer exhausts their own address's attempts...
    for n in 0..12 {
        let envelope = login_page(&behind, &client_id, &pkce).await;
        attempt(&behind, envelope, format!("victim{n}@example.com"), "guess-guess", "203.0.113.66").await;
    }
    let envelope = login_page(&behind, &client_id, &pkce).await;
    let blocked = attempt(&behind, envelope, "other@example.com".into(), "guess-guess", "203.0.113.66").await;
    assert_eq!(blocked, StatusCode::TOO_MANY_REQUESTS);
    // ... while a real user behind the same balancer signs in.
    let envelope = login_page(&behind, &client_id, &pkce).await;
    let user = norman_sandbox::DEMO_USERS[0];
    let ok = attempt(&behind, envelope, user.email.into(), user.password, "198.51.100.23").await;
    assert_eq!(ok, StatusCode::SEE_OTHER);
    behind.stop().await;

    // Without a trusted proxy the header is ignored: rotating it does not escape the limit.
    let direct = TestServer::start().await;
    let client_id = direct.register_public(REDIRECT).await;
    let mut statuses = Vec::new();
    for (n, from) in ["192.0.2.1", "192.0.2.2", "192.0.2.3"].iter().cycle().take(12).enumerate() {
        let envelope = login_page(&direct, &client_id, &pkce).await;
        statuses
            .push(attempt(&direct, envelope, format!("victim{n}@example.com"), "guess-guess", from).await);
    }
    assert_eq!(*statuses.last().unwrap(), StatusCode::TOO_MANY_REQUESTS, "{statuses:?}");
    direct.stop().await;
}

/// One sign-in from `from` (through a trusted proxy's X-Forwarded-For) on a fresh login page.
async fn sign_in_from(
    server: &TestServer,
    client_id: &str,
    email: &str,
    password: &str,
    from: &str,
) -> reqwest::Response {
    let envelope = login_page(server, client_id, &pkce()).await;
    server
        .http
        .post(server.url("/authorize"))
        .header("x-forwarded-for", from)
        .form(&[
            ("login_request", envelope.as_str()),
            ("email", email),
            ("password", password),
            ("action", "login"),
        ])
        .send()
        .await
        .unwrap()
}

fn behind_a_proxy() -> Options {
    Options { trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()], ..Options::default() }
}

#[tokio::test]
async fn successful_sign_ins_never_use_up_the_login_limits() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let user = &DEMO_USERS[0];
    // Several clients of one person, an automated suite: far more sign-ins than the limits.
    for n in 0..15 {
        let response = sign_in_from(&server, &client_id, user.email, user.password, "192.0.2.10").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in {n}");
    }
    // Failures still count, and a success in between gives none of them back.
    for n in 0..5 {
        let response = sign_in_from(&server, &client_id, user.email, "wrong-password", "192.0.2.10").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "failure {n}");
    }
    let response = sign_in_from(&server, &client_id, user.email, "wrong-password", "192.0.2.10").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    server.stop().await;
}

#[tokio::test]
async fn a_limited_sign_in_gets_the_form_again_with_retry_after_and_norman_is_not_asked() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let user = &DEMO_USERS[0];
    for _ in 0..5 {
        let response = sign_in_from(&server, &client_id, user.email, "guess-guess", "192.0.2.20").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let sandbox = server.sandbox.as_ref().unwrap().sandbox.clone();
    let before = sandbox.stats();
    // The email's five failures are spent: even the right password waits, from any address.
    let response = sign_in_from(&server, &client_id, user.email, user.password, "192.0.2.21").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=12).contains(&retry_after), "Retry-After: {retry_after}");
    assert!(response.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let page = response.text().await.unwrap();
    assert!(page.contains("name=\"login_request\""), "the login form again: {page}");
    assert!(page.contains("Too many failed sign-ins"), "{page}");
    assert!(page.contains(&format!("wait {retry_after} second")), "{page}");
    assert!(page.contains(user.email), "the email is kept for the retry");
    let after = sandbox.stats();
    assert_eq!(
        (after.logins_ok, after.logins_failed),
        (before.logins_ok, before.logins_failed),
        "Norman not asked"
    );
    assert_not_logged(&[user.password]);
    server.stop().await;
}

#[tokio::test]
async fn ipv6_clients_share_one_limit_per_64() {
    let server = TestServer::start_with(behind_a_proxy()).await;
    let client_id = server.register_public(REDIRECT).await;
    // Ten failures, each from another address of one /64 and for another email.
    for n in 1..=10 {
        let from = format!("2001:db8:1:2::{n:x}");
        let response =
            sign_in_from(&server, &client_id, &format!("victim{n}@example.com"), "guess", &from).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{from}");
    }
    let response =
        sign_in_from(&server, &client_id, "victim11@example.com", "guess", "2001:db8:1:2:ffff:1:2:3").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // The next /64 is someone else.
    let user = &DEMO_USERS[0];
    let response = sign_in_from(&server, &client_id, user.email, user.password, "2001:db8:1:3::1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    server.stop().await;
}

#[tokio::test]
async fn overlong_emails_are_refused_before_norman_and_the_limits() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let sandbox = server.sandbox.as_ref().unwrap().sandbox.clone();
    let before = sandbox.stats();
    let overlong = format!("{}@example.com", "a".repeat(243));
    assert_eq!(overlong.len(), 255);
    for _ in 0..12 {
        let response = sign_in_from(&server, &client_id, &overlong, "guess-guess", "192.0.2.30").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "refused, never limited");
        let page = response.text().await.unwrap();
        assert!(page.contains("That email address is too long."), "{page}");
        assert!(!page.contains(&overlong), "not echoed");
    }
    let after = sandbox.stats();
    assert_eq!(after.logins_failed, before.logins_failed, "Norman never saw them");
    // 254 bytes is a possible address: Norman is asked.
    let longest = format!("{}@example.com", "a".repeat(242));
    let response = sign_in_from(&server, &client_id, &longest, "guess-guess", "192.0.2.30").await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(sandbox.stats().logins_failed, before.logins_failed + 1);
    server.stop().await;
}

#[tokio::test]
async fn zero_login_failures_per_minute_turns_the_limits_off() {
    let server = TestServer::start_with(Options { login_failures_per_minute: 0, ..Options::default() }).await;
    let client_id = server.register_public(REDIRECT).await;
    for n in 0..15 {
        let response =
            sign_in_from(&server, &client_id, "target@example.com", "guess-guess", "192.0.2.40").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    server.stop().await;
}

#[tokio::test]
async fn norman_unreachable_gives_a_502_page() {
    // A port that nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = url::Url::parse(&format!("http://{}/", closed.local_addr().unwrap())).unwrap();
    drop(closed);
    let server = TestServer::start_with(Options { norman_api_url: Some(url), ..Options::default() }).await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let envelope = login_page(&server, &client_id, &pkce).await;
    let response =
        post_login(&server, &server.http, &envelope, "demo@norman.finance", "pw-pw-pw-pw", "login").await;
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Norman is not reachable"), "{page}");
    assert!(!page.to_lowercase().contains("panicked") && !page.contains("reqwest"));
    server.stop().await;
}

#[tokio::test]
async fn norman_5xx_and_slowness_give_a_502_page() {
    use axum::routing::post;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route(
            "/api/v1/auth/token/",
            post(|| async {
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "Traceback (most recent call last)")
            }),
        )
        .route(
            "/slow/api/v1/auth/token/",
            post(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                "{}"
            }),
        );
    let upstream = tokio::spawn(async move { axum::serve(listener, app).await });
    for (base, timeout) in [(format!("http://{addr}/"), 10), (format!("http://{addr}/slow/"), 1)] {
        let server = TestServer::start_with(Options {
            norman_api_url: Some(url::Url::parse(&base).unwrap()),
            norman_api_timeout: std::time::Duration::from_secs(timeout),
            ..Options::default()
        })
        .await;
        let client_id = server.register_public(REDIRECT).await;
        let pkce = pkce();
        let envelope = login_page(&server, &client_id, &pkce).await;
        let response =
            post_login(&server, &server.http, &envelope, "demo@norman.finance", "pw-pw-pw-pw", "login").await;
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{base}");
        assert!(!response.text().await.unwrap().contains("Traceback"));
        server.stop().await;
    }
    upstream.abort();
}

#[tokio::test]
async fn the_whole_flow_issues_tokens_and_refreshes_them() {
    let server = TestServer::start().await;
    let (client_id, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert!(access.starts_with("nma_"), "{access}");
    assert!(refresh.starts_with("nmr_"));
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "norman.read norman.write");
    let expires_in = tokens["expires_in"].as_i64().unwrap();
    assert!((3000..=3600).contains(&expires_in), "{expires_in}");

    // The access token verifies for our MCP URL and carries the user's company.
    let now = time::OffsetDateTime::now_utc();
    let principal = server
        .server
        .as_ref()
        .unwrap()
        .auth
        .verifier
        .verify(&server.keyring.current(), access, &server.mcp_url(), now)
        .unwrap();
    assert_eq!(principal.company_id.as_deref(), Some(DEMO_USERS[0].company_id));

    // Refresh: new tokens; a narrowed scope narrows the access token only (RFC 6749 §6).
    let scopes_of = |access: &str| {
        let keyring = server.keyring.current();
        let now = time::OffsetDateTime::now_utc();
        let auth = &server.server.as_ref().unwrap().auth;
        auth.verifier.verify(&keyring, access, &server.mcp_url(), now).unwrap().scopes
    };
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &client_id),
            ("scope", "norman.read"),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
    let refreshed: Value = response.json().await.unwrap();
    assert_eq!(refreshed["scope"], "norman.read");
    assert_eq!(scopes_of(refreshed["access_token"].as_str().unwrap()), Scopes::READ);
    let narrowed_refresh = refreshed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(narrowed_refresh, refresh);
    // The rotated refresh token still holds the whole grant; no client_id needed.
    let response =
        server.token(&[("grant_type", "refresh_token"), ("refresh_token", &narrowed_refresh)]).await;
    assert_eq!(response.status(), 200);
    let again: Value = response.json().await.unwrap();
    assert_eq!(again["scope"], "norman.read norman.write");
    assert_eq!(scopes_of(again["access_token"].as_str().unwrap()), Scopes::ALL);

    assert_not_logged(&[
        access,
        refresh,
        &narrowed_refresh,
        again["access_token"].as_str().unwrap(),
        DEMO_USERS[0].password,
    ]);
    server.stop().await;
}

#[tokio::test]
async fn a_refresh_may_ask_only_for_granted_scopes() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read", 0).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    for scope in ["norman.read norman.write", "norman.write", "norman.write offline_access"] {
        let response = server
            .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh), ("scope", scope)])
            .await;
        let (status, error, _) = error_of(response).await;
        assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_scope"), "{scope}");
    }
    // None of those spent the token. Names the server does not define are ignored, as at
    // /authorize: a client may send its original `norman.read offline_access` again.
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("scope", " norman.read offline_access "),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["scope"], "norman.read");
    server.stop().await;
}

/// A refresh token for `client_id` as the token endpoint issues it, for a Norman refresh token
/// the test's upstream never checks.
fn sealed_refresh(keyring: &norman_mcp::keyring::Keyring, client_id: &str) -> String {
    use norman_mcp::tokens::refresh::{REFRESH_LIFETIME, RefreshToken};
    use norman_mcp::tokens::{NormanToken, random_id};
    let now = time::OffsetDateTime::now_utc();
    let refresh = RefreshToken {
        token_id: random_id().unwrap(),
        family_id: random_id().unwrap(),
        client_id: client_id.to_owned(),
        scope: Scopes::ALL,
        resource: None,
        norman_refresh: NormanToken::new("norman-refresh-never-checked".to_owned()),
        company_id: None,
        expires_at: now + REFRESH_LIFETIME,
    };
    seal::seal(keyring, &refresh, now).unwrap()
}

#[tokio::test]
async fn norman_shedding_load_is_an_outage_not_a_refusal() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU16, Ordering};

    use axum::extract::State;
    use axum::routing::post;

    let upstream_status = Arc::new(AtomicU16::new(0));
    let answer = async |State(status): State<Arc<AtomicU16>>| {
        axum::http::StatusCode::from_u16(status.load(Ordering::SeqCst)).unwrap()
    };
    let app = axum::Router::new()
        .route("/api/v1/auth/token/", post(answer))
        .route("/api/v1/auth/token/refresh/", post(answer))
        .with_state(Arc::clone(&upstream_status));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let upstream = tokio::spawn(async move { axum::serve(listener, app).await });
    let server = TestServer::start_with(Options { norman_api_url: Some(url), ..Options::default() }).await;
    let client_id = server.register_public(REDIRECT).await;
    let refresh = sealed_refresh(&server.keyring.current(), &client_id);
    let pkce = pkce();

    for status in [429, 408] {
        upstream_status.store(status, Ordering::SeqCst);
        let envelope = login_page(&server, &client_id, &pkce).await;
        let response =
            post_login(&server, &server.http, &envelope, "demo@norman.finance", "pw-pw-pw-pw", "login").await;
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY, "{status}");
        let page = response.text().await.unwrap();
        assert!(page.contains("Norman is not reachable"), "{status}: {page}");
        assert!(!page.contains(norman_mcp::oauth::login::BAD_CREDENTIALS), "{status}");

        let response = server.token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
        let (got, error, headers) = error_of(response).await;
        assert_eq!(
            (got, error.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
            "{status}"
        );
        assert!(headers.contains_key("retry-after"), "{status}");
    }
    // A refusal is still one: the grant has ended.
    upstream_status.store(401, Ordering::SeqCst);
    let response = server.token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)]).await;
    let (got, error, _) = error_of(response).await;
    assert_eq!((got, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert_not_logged(&[&refresh]);
    server.stop().await;
    upstream.abort();
}

/// An HTTPS server for client metadata documents, self-signed for `localhost`: each path
/// answers `reply(base, path)` as (status, body, delay). Returns its base URL and certificate.
async fn document_server(
    reply: fn(&str, &str) -> (u16, String, std::time::Duration),
) -> (String, Vec<u8>, tokio::task::JoinHandle<()>) {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let certificate = certified.cert.der().to_vec();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.signing_key.serialize_der()));
    let config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(certificate.clone())], key)
            .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://localhost:{}", listener.local_addr().unwrap().port());
    let task = {
        let base = base.clone();
        tokio::spawn(async move {
            // Dropped with the task: aborting it ends the open connections too.
            let mut open = tokio::task::JoinSet::new();
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, base) = (acceptor.clone(), base.clone());
                open.spawn(async move {
                    let mut tls = acceptor.accept(tcp).await?;
                    let mut head = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        let n = tls.read(&mut buffer).await?;
                        if n == 0 {
                            return Ok(());
                        }
                        head.extend_from_slice(&buffer[..n]);
                    }
                    let path = String::from_utf8_lossy(&head).split_whitespace().nth(1).unwrap_or("").to_owned();
                    let (status, body, delay) = reply(&base, &path);
                    tokio::time::sleep(delay).await;
                    let head = format!(
                        "HTTP/1.1 {status} Test\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    );
                    tls.write_all(head.as_bytes()).await?;
                    tls.write_all(body.as_bytes()).await?;
                    tls.shutdown().await
                });
                while open.try_join_next().is_some() {}
            }
        })
    };
    (base, certificate, task)
}

/// The authorization server's routes, its metadata fetcher trusting `certificate` on
/// loopback (the test server's fetcher trusts only public CAs and addresses), changed by
/// `adjust`. 127.0.0.1 is a trusted proxy: `X-Forwarded-For` names the client.
async fn auth_server_trusting(
    certificate: Vec<u8>,
    adjust: impl FnOnce(norman_mcp::oauth::cimd::CimdConfig) -> norman_mcp::oauth::cimd::CimdConfig,
) -> (String, std::sync::Arc<norman_mcp::keyring::SharedKeyring>, tokio::task::JoinHandle<()>) {
    use std::sync::Arc;

    use norman_mcp::config::{Config, ReplayConfig};
    use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
    use norman_mcp::oauth::cimd::{CimdConfig, CimdFetcher};
    use norman_mcp::oauth::client::Clients;
    use norman_mcp::oauth::guard::MemoryGuard;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let base = format!("http://{addr}");
    let keys = KeyFile::generate(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).unwrap();
    let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(&base)));
    let config = Config {
        bind: addr,
        public_url: url::Url::parse(&base).unwrap(),
        // Never reached: every request here stops at the client lookup.
        norman_api_url: url::Url::parse("http://127.0.0.1:9/").unwrap(),
        norman_api_timeout: Duration::from_secs(1),
        allow_private_metadata_fetch: true,
        allowed_origins: Vec::new(),
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        replay: ReplayConfig::default(),
        keys_poll_interval: None,
        metrics_bind: None,
        login_failures_per_minute: norman_mcp::config::DEFAULT_LOGIN_FAILURES_PER_MINUTE,
        access_token_ttl: Config::default_access_token_ttl(),
        toolsets: norman_mcp::mcp::catalogue::Toolsets::ALL,
    };
    let mut auth =
        norman_mcp::server::auth_server(&config, Arc::clone(&keyring), Arc::new(MemoryGuard::new())).unwrap();
    auth.clients = Clients::new(
        CimdFetcher::try_new(adjust(CimdConfig {
            allow_private_addresses: true,
            timeout: Duration::from_millis(500),
            extra_root_certificates: vec![certificate],
            ..CimdConfig::default()
        }))
        .unwrap(),
    );
    let app = norman_mcp::oauth::http::routes(Arc::new(auth))
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, keyring, task)
}

/// MCP clients delete their registration and tokens on invalid_client: a metadata document
/// that cannot be fetched right now must not cause that.
#[tokio::test]
async fn a_metadata_document_that_cannot_be_fetched_now_is_an_outage_not_an_unknown_client() {
    let (documents, certificate, documents_task) = document_server(|base, path| {
        let instant = std::time::Duration::ZERO;
        match path {
            "/down.json" => (500, "{}".to_owned(), instant),
            "/busy.json" => (429, "{}".to_owned(), instant),
            "/slow.json" => (200, "{}".to_owned(), std::time::Duration::from_secs(3)),
            "/gone.json" => (404, "{}".to_owned(), instant),
            _ => {
                let other = json!({"client_id": format!("{base}/other.json"), "redirect_uris": [REDIRECT]});
                (200, other.to_string(), instant)
            }
        }
    })
    .await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let unreachable = format!("https://localhost:{}/client.json", closed.local_addr().unwrap().port());
    drop(closed);
    // Each case on its own: a host that did not answer is otherwise not asked again for a while.
    let (base, keyring, server_task) = auth_server_trusting(certificate, |config| {
        norman_mcp::oauth::cimd::CimdConfig { negative_cache_ttl: std::time::Duration::ZERO, ..config }
    })
    .await;
    let http = http_client();
    let cases = [
        (format!("{documents}/down.json"), StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (format!("{documents}/busy.json"), StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (format!("{documents}/slow.json"), StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (unreachable, StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
        (format!("{documents}/gone.json"), StatusCode::UNAUTHORIZED, "invalid_client"),
        (format!("{documents}/mismatch.json"), StatusCode::UNAUTHORIZED, "invalid_client"),
    ];
    for (client_id, status, expected) in cases {
        let refresh = sealed_refresh(&keyring.current(), &client_id);
        let response = http
            .post(format!("{base}/token"))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
            .send()
            .await
            .unwrap();
        let (got, error, headers) = error_of(response).await;
        assert_eq!((got, error.as_str()), (status, expected), "/token {client_id}");
        assert_eq!(headers.contains_key("retry-after"), status == StatusCode::SERVICE_UNAVAILABLE);
        let response = http
            .post(format!("{base}/revoke"))
            .form(&[("token", refresh.as_str()), ("client_id", &client_id)])
            .send()
            .await
            .unwrap();
        let (got, error, _) = error_of(response).await;
        assert_eq!((got, error.as_str()), (status, expected), "/revoke {client_id}");
        assert_not_logged(&[&refresh]);
    }
    server_task.abort();
    documents_task.abort();
}

/// What a client sees of the bounds on metadata document fetches: an address that caused too
/// many new fetches gets a 429 page at /authorize (and 503 at /revoke) while another address
/// does not; while every fetch slot is taken, a fetch waits briefly, then /token answers 503
/// `temporarily_unavailable` and /authorize a 503 page.
#[tokio::test]
async fn metadata_document_fetches_are_bounded_on_the_wire() {
    use std::num::NonZeroU32;
    use std::time::{Duration, Instant};

    use norman_mcp::oauth::cimd::CimdConfig;

    let (documents, certificate, documents_task) = document_server(|base, path| {
        if path.starts_with("/stall") {
            return (200, "{}".to_owned(), Duration::from_secs(30));
        }
        let document = json!({"client_id": format!("{base}{path}"), "redirect_uris": [REDIRECT]});
        (200, document.to_string(), Duration::ZERO)
    })
    .await;
    let (base, keyring, server_task) = auth_server_trusting(certificate, |config| CimdConfig {
        max_concurrent_fetches: 2,
        queue_wait: Duration::from_millis(300),
        timeout: Duration::from_secs(20),
        fetches_per_address_per_minute: NonZeroU32::new(3),
        ..config
    })
    .await;
    let http = http_client();
    let pkce = pkce();
    let authorize = |client: &str, from: &str| {
        let client_id = format!("{documents}/{client}.json");
        let request = http
            .get(format!("{base}/authorize"))
            .query(&authorize_params(&client_id, &pkce))
            .header("x-forwarded-for", from)
            .send();
        async move {
            let response = request.await.unwrap();
            (response.status(), response.text().await.unwrap())
        }
    };

    // Three new fetches from one address, then a fourth.
    for client in ["a1", "a2", "a3"] {
        assert_eq!(authorize(client, "192.0.2.1").await.0, StatusCode::OK, "{client}");
    }
    let (status, page) = authorize("a4", "192.0.2.1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("too many new apps were connected from your network"), "{page}");
    assert_eq!(authorize("a1", "192.0.2.1").await.0, StatusCode::OK, "a cached document costs nothing");
    let response = http
        .post(format!("{base}/revoke"))
        .header("x-forwarded-for", "192.0.2.1")
        .form(&[("token", "nmr_anything"), ("client_id", &format!("{documents}/a5.json"))])
        .send()
        .await
        .unwrap();
    let (status, error, headers) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"));
    assert!(headers.contains_key("retry-after"));
    assert_eq!(authorize("a4", "192.0.2.2").await.0, StatusCode::OK, "another address has its own limit");

    // Two documents that never come take both fetch slots.
    let stalled =
        [tokio::spawn(authorize("stall1", "192.0.2.3")), tokio::spawn(authorize("stall2", "192.0.2.3"))];
    tokio::time::sleep(Duration::from_millis(500)).await;
    let refresh = sealed_refresh(&keyring.current(), &format!("{documents}/b1.json"));
    let started = Instant::now();
    let response = http
        .post(format!("{base}/token"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", &refresh)])
        .send()
        .await
        .unwrap();
    let (status, error, headers) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"));
    assert!(headers.contains_key("retry-after"));
    assert!(started.elapsed() >= Duration::from_millis(300), "it waited for a slot first");
    let (status, page) = authorize("b2", "192.0.2.4").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.contains("this server is fetching too many documents right now"), "{page}");

    for task in stalled {
        task.abort();
    }
    server_task.abort();
    documents_task.abort();
}

#[tokio::test]
async fn code_exchange_refusals() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let other_client = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let code = login_for_code(&server, &client_id, &pkce, "", 0).await;
    let good = |extra: &[(&'static str, &str)]| {
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT.into()),
            ("client_id", client_id.clone()),
            ("code_verifier", pkce.verifier.clone()),
        ];
        for (name, value) in extra {
            form.retain(|(n, _)| n != name);
            if !value.is_empty() {
                form.push((name, value.to_string()));
            }
        }
        form
    };
    let wrong_verifier = "x".repeat(50);
    type Form<'a> = Vec<(&'a str, String)>;
    let cases: Vec<(Form, StatusCode, &str)> = vec![
        (good(&[("code_verifier", &wrong_verifier)]), StatusCode::BAD_REQUEST, "invalid_grant"),
        (good(&[("code_verifier", "")]), StatusCode::BAD_REQUEST, "invalid_request"),
        (good(&[("redirect_uri", "http://127.0.0.1:6276/other")]), StatusCode::BAD_REQUEST, "invalid_grant"),
        (good(&[("redirect_uri", "")]), StatusCode::BAD_REQUEST, "invalid_request"),
        (good(&[("client_id", &other_client)]), StatusCode::BAD_REQUEST, "invalid_grant"),
        (good(&[("resource", "https://evil.example/mcp")]), StatusCode::BAD_REQUEST, "invalid_target"),
        (good(&[("code", "nmc_garbage")]), StatusCode::BAD_REQUEST, "invalid_grant"),
        (good(&[("code", "")]), StatusCode::BAD_REQUEST, "invalid_request"),
        (good(&[("grant_type", "password")]), StatusCode::BAD_REQUEST, "unsupported_grant_type"),
        (good(&[("grant_type", "")]), StatusCode::BAD_REQUEST, "invalid_request"),
    ];
    for (form, status, expected) in cases {
        let response = server.http.post(server.url("/token")).form(&form).send().await.unwrap();
        assert_eq!(response.headers()[CACHE_CONTROL], "no-store");
        let (got_status, error, _) = error_of(response).await;
        assert_eq!((got_status, error.as_str()), (status, expected), "{form:?}");
    }
    // A client id that no longer opens: invalid_client, so the client registers again.
    let response = server
        .http
        .post(server.url("/token"))
        .form(&good(&[("client_id", "nmi_AAAA")]))
        .send()
        .await
        .unwrap();
    let (status, error, _) = error_of(response).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_grant"),
        "the code names another client"
    );
    // Duplicate parameters and the wrong content type.
    let body = format!("grant_type=authorization_code&code={code}&code={code}");
    let response = server
        .http
        .post(server.url("/token"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await.1, "invalid_request");
    let response = server
        .http
        .post(server.url("/token"))
        .json(&json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await.1, "invalid_request");

    // After all those refusals the code still works once (none of them spent it)…
    let response = server.http.post(server.url("/token")).form(&good(&[])).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    // …and never twice; the replay also revokes what the code issued.
    let response = server.http.post(server.url("/token")).form(&good(&[])).send().await.unwrap();
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await;
    let (_, error, _) = error_of(response).await;
    assert_eq!(error, "invalid_grant", "the family of a replayed code is revoked");
    assert_not_logged(&[&code, &pkce.verifier]);
    server.stop().await;
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let code = login_for_code(&server, &client_id, &pkce, "", 0).await;
    // Open the real code and reseal it with an expiry in the past.
    let keyring = server.keyring.current();
    let now = time::OffsetDateTime::now_utc();
    let mut opened: AuthorizationCode = seal::open(&keyring, &code, now).unwrap();
    opened.expires_at = now - time::Duration::seconds(60);
    let expired = seal::seal(&keyring, &opened, now).unwrap();
    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &expired),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &pkce.verifier),
        ])
        .await;
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    server.stop().await;
}

/// A client_secret_basic registration: its client id and secret.
async fn register_confidential(server: &TestServer) -> (String, String) {
    let registered: Value = server
        .register(json!({"client_name": "Server app", "redirect_uris": [REDIRECT], "token_endpoint_auth_method": "client_secret_basic"}))
        .await
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"].as_str().unwrap().to_owned();
    (client_id, registered["client_secret"].as_str().unwrap().to_owned())
}

fn basic(id: &str, secret: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
}

#[tokio::test]
async fn confidential_clients_authenticate_with_basic_or_post() {
    let server = TestServer::start().await;
    let (client_id, secret) = register_confidential(&server).await;

    let exchange = async |auth: Option<String>, extra: Vec<(&str, String)>| {
        let pkce = pkce();
        let code = login_for_code(&server, &client_id, &pkce, "", 1).await;
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", pkce.verifier.clone()),
        ];
        form.extend(extra);
        let mut request = server.http.post(server.url("/token")).form(&form);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send().await.unwrap()
    };

    // The client id only in Basic.
    let response = exchange(Some(basic(&client_id, &secret)), vec![]).await;
    assert_eq!(response.status(), 200);
    // client_secret_post.
    let response =
        exchange(None, vec![("client_id", client_id.clone()), ("client_secret", secret.clone())]).await;
    assert_eq!(response.status(), 200);
    // A wrong secret over Basic: 401 with a Basic challenge.
    let response = exchange(Some(basic(&client_id, "wrong-secret")), vec![]).await;
    let (status, error, headers) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "invalid_client"));
    assert!(headers[WWW_AUTHENTICATE].to_str().unwrap().starts_with("Basic"));
    // No secret at all.
    let response = exchange(None, vec![]).await;
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "invalid_client"));
    // Two methods at once.
    let response = exchange(Some(basic(&client_id, &secret)), vec![("client_secret", secret.clone())]).await;
    assert_eq!(error_of(response).await.1, "invalid_request");

    // A public client's id may come only inside the code.
    let public = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let code = login_for_code(&server, &public, &pkce, "", 0).await;
    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &pkce.verifier),
        ])
        .await;
    assert_eq!(response.status(), 200);
    assert_not_logged(&[&secret]);
    server.stop().await;
}

async fn refresh_with(server: &TestServer, refresh_token: &str) -> reqwest::Response {
    server.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
}

#[tokio::test]
async fn concurrent_refreshes_share_one_rotation_and_never_fork_the_grant() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "", 0).await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let sandbox = server.sandbox.as_ref().unwrap().sandbox.clone();
    let before = sandbox.stats();
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let http = server.http.clone();
            let url = server.url("/token");
            let refresh = refresh.clone();
            tokio::spawn(async move {
                let response = http
                    .post(url)
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())])
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut answered = 0;
    let mut access_tokens = std::collections::HashSet::new();
    let mut refresh_tokens = std::collections::HashSet::new();
    for call in calls {
        // Callers that joined the rotation while it ran get its answer; one that came after it
        // finished is a concurrent duplicate: refused, the grant left alone.
        match call.await.unwrap() {
            (StatusCode::OK, body) => {
                answered += 1;
                access_tokens.insert(body["access_token"].as_str().unwrap().to_owned());
                refresh_tokens.insert(body["refresh_token"].as_str().unwrap().to_owned());
            }
            (status, body) => {
                assert_eq!(
                    (status, body["error"].as_str()),
                    (StatusCode::BAD_REQUEST, Some("invalid_grant"))
                );
                assert!(body["error_description"].as_str().unwrap().contains("concurrent"), "{body}");
            }
        }
    }
    let after = sandbox.stats();
    assert_eq!(after.refreshes_ok - before.refreshes_ok, 1, "one upstream refresh for eight callers");
    assert_eq!(after.refreshes_rejected, before.refreshes_rejected, "no spent Norman refresh token reused");
    assert!(answered > 0);
    assert_eq!(refresh_tokens.len(), 1, "one rotation, one successor: the grant does not fork");
    assert_eq!(access_tokens.len(), answered, "each caller that got tokens got its own access token");
    let successor = refresh_tokens.into_iter().next().unwrap();
    assert_eq!(refresh_with(&server, &successor).await.status(), StatusCode::OK, "the grant lives on");
    server.stop().await;
}

#[tokio::test]
async fn a_refresh_token_presented_after_its_rotation_is_refused_then_revoked_after_the_grace() {
    let grace = Duration::from_secs(2);
    let replay = norman_mcp::config::ReplayConfig { refresh_grace: grace, ..Default::default() };
    let server = TestServer::start_with(Options { replay, ..Options::default() }).await;
    let (_, tokens) = full_flow(&server, "", 0).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let response = refresh_with(&server, &first).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second = response.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();

    // The rotation has finished: its answer is not handed out again. Within the grace window
    // the grant is left alone, so the successor keeps working.
    let response = refresh_with(&server, &first).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("concurrent"), "{body}");
    let response = refresh_with(&server, &second).await;
    assert_eq!(response.status(), StatusCode::OK);
    let third = response.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_owned();

    // After the grace window the old token is a copy: the whole grant ends.
    tokio::time::sleep(grace + Duration::from_millis(300)).await;
    let (status, error, _) = error_of(refresh_with(&server, &first).await).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    let (_, error, _) = error_of(refresh_with(&server, &third).await).await;
    assert_eq!(error, "invalid_grant", "the family is revoked");
    assert_not_logged(&[&first, &second, &third]);
    server.stop().await;
}

/// A JWT-shaped Norman access token with only an `exp`, never sent to Norman in these tests.
fn norman_access_expiring(exp: time::OffsetDateTime) -> norman_mcp::tokens::NormanToken {
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let payload = format!(r#"{{"token_type":"access","exp":{}}}"#, exp.unix_timestamp());
    norman_mcp::tokens::NormanToken::new(format!(
        "{}.{}.c2lnbmF0dXJl",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(payload.as_bytes())
    ))
}

#[tokio::test]
async fn a_code_whose_norman_token_is_about_to_end_is_exchanged_after_an_upstream_refresh() {
    use norman_mcp::norman::NormanClient;
    let server = TestServer::start().await;
    let sandbox = server.sandbox.as_ref().unwrap();
    let user = &DEMO_USERS[0];
    let norman = NormanClient::new(sandbox.url.clone(), Duration::from_secs(10)).unwrap();
    let upstream = norman.login(user.email, user.password).await.unwrap();
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let now = time::OffsetDateTime::now_utc();
    // Signed in a while ago: the Norman access token has 10 s left, less than the margin.
    let code = AuthorizationCode {
        code_id: norman_mcp::tokens::random_id().unwrap(),
        client_id: client_id.clone(),
        redirect_uri: REDIRECT.to_owned(),
        redirect_uri_given: true,
        code_challenge: pkce.challenge.clone(),
        scope: Scopes::ALL,
        resource: None,
        norman_access: norman_access_expiring(now + time::Duration::seconds(10)),
        norman_refresh: upstream.refresh.clone().unwrap(),
        company_id: Some(user.company_id.to_owned()),
        expires_at: now + time::Duration::seconds(60),
    };
    let code = seal::seal(&server.keyring.current(), &code, now).unwrap();
    let before = sandbox.sandbox.stats();
    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &pkce.verifier),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(sandbox.sandbox.stats().refreshes_ok, before.refreshes_ok + 1, "refreshed upstream once");
    let expires_in = tokens["expires_in"].as_i64().unwrap();
    assert!((3000..=3600).contains(&expires_in), "a fresh Norman token's lifetime: {expires_in}");
    // The access token carries the fresh Norman token (the sandbox refuses the made-up one)...
    let access = tokens["access_token"].as_str().unwrap();
    let company = tool_json(&mcp_call(&server, access, "get_company_details", json!({})).await);
    assert_eq!(company["publicId"], user.company_id);
    // ... and the refresh token the fresh Norman refresh token (the old one is spent).
    let response = refresh_with(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let after = sandbox.sandbox.stats();
    assert_eq!(after.refreshes_rejected, before.refreshes_rejected);
    assert_not_logged(&[upstream.refresh.as_ref().unwrap().expose(), access, &code]);
    server.stop().await;
}

#[tokio::test]
async fn a_sign_in_whose_norman_token_lives_seconds_still_works() {
    let sandbox = norman_sandbox::SandboxConfig { access_ttl: Duration::from_secs(20), ..Default::default() };
    let server = TestServer::start_with(Options { sandbox, ..Options::default() }).await;
    let (_, tokens) = full_flow(&server, "", 0).await;
    // A quarter of the Norman token's 20 s is kept as the margin.
    let expires_in = tokens["expires_in"].as_i64().unwrap();
    assert!((1..=16).contains(&expires_in), "{expires_in}");
    let access = tokens["access_token"].as_str().unwrap();
    let company = tool_json(&mcp_call(&server, access, "get_company_details", json!({})).await);
    assert_eq!(company["publicId"], DEMO_USERS[0].company_id);
    let response = refresh_with(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let refreshed: Value = response.json().await.unwrap();
    assert!((1..=16).contains(&refreshed["expires_in"].as_i64().unwrap()), "{refreshed}");
    server.stop().await;
}

#[tokio::test]
async fn the_access_token_lifetime_is_configurable_and_never_outlives_the_norman_token() {
    let short =
        TestServer::start_with(Options { access_token_ttl: Duration::from_secs(600), ..Options::default() })
            .await;
    let (_, tokens) = full_flow(&short, "", 0).await;
    let expires_in = tokens["expires_in"].as_i64().unwrap();
    assert!((590..=600).contains(&expires_in), "{expires_in}");
    let principal = short
        .server
        .as_ref()
        .unwrap()
        .auth
        .verifier
        .verify(
            &short.keyring.current(),
            tokens["access_token"].as_str().unwrap(),
            &short.mcp_url(),
            time::OffsetDateTime::now_utc(),
        )
        .unwrap();
    let lives = principal.expires_at - time::OffsetDateTime::now_utc();
    assert!(lives <= time::Duration::seconds(600), "{lives}");
    short.stop().await;

    // A day asked, but the sandbox's Norman tokens live an hour: the hour (less the margin).
    let long = TestServer::start_with(Options {
        access_token_ttl: Duration::from_secs(24 * 3600),
        ..Options::default()
    })
    .await;
    let (_, tokens) = full_flow(&long, "", 0).await;
    let expires_in = tokens["expires_in"].as_i64().unwrap();
    assert!((3500..=3570).contains(&expires_in), "{expires_in}");
    long.stop().await;
}

#[tokio::test]
async fn revocation() {
    let server = TestServer::start().await;
    let (client_id, tokens) = full_flow(&server, "", 0).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let revoke = async |form: &[(&str, &str)]| {
        server.http.post(server.url("/revoke")).form(form).send().await.unwrap()
    };

    assert_eq!(revoke(&[("token", "garbage")]).await.status(), 200);
    assert_eq!(revoke(&[("token", "nmr_AAAA"), ("token_type_hint", "refresh_token")]).await.status(), 200);
    assert_eq!(error_of(revoke(&[("token_type_hint", "refresh_token")]).await).await.1, "invalid_request");

    // A rotation of the refresh token, then revoking the original ends the whole family.
    let rotated: Value = server
        .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(revoke(&[("token", refresh), ("client_id", &client_id)]).await.status(), 200);
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", rotated["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(error_of(response).await.1, "invalid_grant");

    // Revoking the access token puts its id on the deny list.
    assert_eq!(revoke(&[("token", access)]).await.status(), 200);
    let principal = server
        .server
        .as_ref()
        .unwrap()
        .auth
        .verifier
        .verify(&server.keyring.current(), access, &server.mcp_url(), time::OffsetDateTime::now_utc())
        .unwrap();
    let denied = server
        .server
        .as_ref()
        .unwrap()
        .auth
        .guard
        .contains(norman_mcp::oauth::guard::GuardSpace::DeniedAccess, &principal.token_id)
        .await
        .unwrap();
    assert!(denied);
    server.stop().await;
}

#[tokio::test]
async fn cors_for_browser_clients() {
    let server = TestServer::start().await;
    for path in ["/token", "/register", "/revoke", "/.well-known/oauth-authorization-server"] {
        let response = server
            .http
            .request(reqwest::Method::OPTIONS, server.url(path))
            .header("origin", "https://inspector.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type, mcp-protocol-version")
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        let headers = response.headers();
        assert_eq!(headers["access-control-allow-origin"], "https://inspector.example");
        let allowed = headers["access-control-allow-headers"].to_str().unwrap().to_lowercase();
        assert!(allowed.contains("mcp-protocol-version") && allowed.contains("authorization"), "{allowed}");
    }
    let response = server
        .http
        .post(server.url("/token"))
        .header("origin", "https://inspector.example")
        .form(&[("grant_type", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "https://inspector.example");
    assert!(
        response.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_lowercase()
            .contains("www-authenticate")
    );
    server.stop().await;
}

#[tokio::test]
async fn revocation_checks_whose_token_it_is() {
    let server = TestServer::start().await;
    let (confidential, secret) = register_confidential(&server).await;
    let credentials = basic(&confidential, &secret);
    let pkce = pkce();
    let code = login_for_code(&server, &confidential, &pkce, "", 1).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let post = |path: &str, form: &[(&str, &str)], auth: Option<&str>| {
        let mut request = server.http.post(server.url(path)).form(form);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        request.send()
    };
    let tokens: Value = post("/token", &form, Some(&credentials)).await.unwrap().json().await.unwrap();
    let confidential_refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (public, public_tokens) = full_flow(&server, "", 0).await;
    let public_access = public_tokens["access_token"].as_str().unwrap().to_owned();
    let refreshes = async |refresh: &str| {
        let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
        post("/token", &form, Some(&credentials)).await.unwrap().status() == 200
    };
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});

    // A confidential client's refresh token, without that client's credentials: refused.
    let response = post("/revoke", &[("token", &confidential_refresh)], None).await.unwrap();
    let (status, error, headers) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::UNAUTHORIZED, "invalid_client"));
    assert!(headers[WWW_AUTHENTICATE].to_str().unwrap().starts_with("Basic"));
    // Presented by another client: left alone, and the answer says nothing about it.
    let response =
        post("/revoke", &[("token", &confidential_refresh), ("client_id", &public)], None).await.unwrap();
    assert_eq!(response.status(), 200);
    let response = post("/revoke", &[("token", &public_access)], Some(&credentials)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(refreshes(&confidential_refresh).await, "the confidential grant was revoked by others");
    assert_eq!(
        mcp_post(&server, Some(&public_access), &list).await.status(),
        200,
        "revoked by another client"
    );

    // Each by its own client: revoked.
    let response = post("/revoke", &[("token", &confidential_refresh)], Some(&credentials)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(!refreshes(&confidential_refresh).await);
    let response = post("/revoke", &[("token", &public_access), ("client_id", &public)], None).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(mcp_post(&server, Some(&public_access), &list).await.status(), 401);
    assert_not_logged(&[&secret, &confidential_refresh, &public_access]);
    server.stop().await;
}

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
    let response =
        production.token(&[("grant_type", "refresh_token"), ("refresh_token", &refresh_naming_it)]).await;
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

/// A parameter name or value that holds a line break cannot forge a log line: values from
/// requests are logged with `Debug`, which escapes it.
#[tokio::test]
async fn a_line_break_in_a_parameter_does_not_start_a_log_line() {
    let server = TestServer::start().await;
    let marker = format!("FORGED-{}", norman_mcp::tokens::random_id().unwrap());
    let forged = format!("x\n2026-01-01T00:00:00.000000Z  INFO {marker} admin signed in");
    let body = serde_urlencoded::to_string([(forged.as_str(), "1"), (forged.as_str(), "2")]).unwrap();
    let response = server
        .http
        .post(server.url("/token"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, error, _) = error_of(response).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_request"));
    let logs = logs();
    let lines: Vec<&str> = logs.lines().filter(|line| line.contains(&marker)).collect();
    assert!(!lines.is_empty(), "the refusal is logged");
    for line in lines {
        assert!(line.contains("token request refused"), "a forged log line: {line}");
    }
    server.stop().await;
}

/// A keyring bound to another deployment (or to none) would seal what this server's clients
/// cannot use: the server does not start with it.
#[tokio::test]
async fn a_server_does_not_start_with_a_keyring_bound_to_another_issuer() {
    use std::sync::Arc;

    use norman_mcp::config::{Config, ReplayConfig};
    use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
    use norman_mcp::oauth::guard::MemoryGuard;
    use norman_mcp::server::{self, StartError};

    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        public_url: url::Url::parse("https://mcp.example.com/").unwrap(),
        norman_api_url: url::Url::parse("http://127.0.0.1:9/").unwrap(),
        norman_api_timeout: std::time::Duration::from_secs(1),
        allow_private_metadata_fetch: false,
        allowed_origins: Vec::new(),
        trusted_proxies: Vec::new(),
        replay: ReplayConfig::default(),
        keys_poll_interval: None,
        metrics_bind: None,
        login_failures_per_minute: 10,
        access_token_ttl: Config::default_access_token_ttl(),
        toolsets: norman_mcp::mcp::catalogue::Toolsets::ALL,
    };
    let keys = KeyFile::generate(time::OffsetDateTime::now_utc()).unwrap();
    for bound in ["https://staging.example.com", "https://mcp.example.com/", ""] {
        let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(bound)));
        let refused = server::auth_server(&config, keyring, Arc::new(MemoryGuard::new()));
        assert!(matches!(refused, Err(StartError::KeyringIssuer { .. })), "bound to {bound:?}");
    }
    let keyring =
        Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to("https://mcp.example.com")));
    assert!(server::auth_server(&config, keyring, Arc::new(MemoryGuard::new())).is_ok());
}
