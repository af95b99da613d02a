//! The login form (`POST /authorize`): refusals, deny, the failed sign-in limits per
//! address and per email, and Norman being unreachable or failing.

use norman_sandbox::DEMO_USERS;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};

use crate::support::*;

#[tokio::test]
async fn login_refusals_and_deny() {
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

    // Deny: back to the app with access_denied (RFC 6749 §4.1.2.1).
    let response = post_login(&server, &server.http, &envelope, "", "", "deny").await;
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
    let behind = TestServer::start_with(behind_a_proxy()).await;
    let client_id = behind.register_public(REDIRECT).await;
    // An attacker behind the balancer exhausts their own address's attempts...
    for n in 0..12 {
        let victim = format!("victim{n}@example.com");
        sign_in_from(&behind, &client_id, &victim, "guess-guess", "203.0.113.66").await;
    }
    let blocked = sign_in_from(&behind, &client_id, "other@example.com", "guess-guess", "203.0.113.66").await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    // ... while a real user behind the same balancer signs in.
    let user = DEMO_USERS[0];
    let ok = sign_in_from(&behind, &client_id, user.email, user.password, "198.51.100.23").await;
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    behind.stop().await;

    // Without a trusted proxy the header is ignored: rotating it does not escape the limit.
    let direct = TestServer::start().await;
    let client_id = direct.register_public(REDIRECT).await;
    let mut statuses = Vec::new();
    for (n, from) in ["192.0.2.1", "192.0.2.2", "192.0.2.3"].iter().cycle().take(12).enumerate() {
        let victim = format!("victim{n}@example.com");
        statuses.push(sign_in_from(&direct, &client_id, &victim, "guess-guess", from).await.status());
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
    let url = url::Url::parse(&format!("http://127.0.0.1:{}/", free_port())).unwrap();
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
