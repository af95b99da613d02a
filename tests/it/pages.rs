//! The pages as a person meets them: the consent choice (read only, or deny), the language
//! chosen by `Accept-Language`, and the icon.

use norman_sandbox::DEMO_USERS;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use serde_json::{Value, json};

use crate::support::*;

/// GET /authorize for `client_id` asking for read and write, with `accept_language`.
async fn open_login(
    server: &TestServer,
    client_id: &str,
    pkce: &Pkce,
    accept_language: Option<&str>,
) -> String {
    let resource = server.mcp_url();
    let params = with(authorize_params(client_id, pkce), "scope", Some("norman.read norman.write"));
    let params = with(params, "resource", Some(&resource));
    let mut request = server.http.get(server.url("/authorize")).query(&params);
    if let Some(value) = accept_language {
        request = request.header(ACCEPT_LANGUAGE, value);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// Posts the login form as a browser does: the consent marker always, `allow_write` only
/// when the box is ticked.
async fn submit(
    server: &TestServer,
    envelope: &str,
    password: &str,
    allow_write: bool,
    action: &str,
) -> reqwest::Response {
    let user = &DEMO_USERS[0];
    let mut form = vec![
        ("login_request", envelope),
        ("consent", "1"),
        ("email", user.email),
        ("password", password),
        ("action", action),
    ];
    if allow_write {
        form.push(("allow_write", "1"));
    }
    server.http.post(server.url("/authorize")).form(&form).send().await.unwrap()
}

async fn redeem(server: &TestServer, client_id: &str, pkce: &Pkce, code: &str) -> Value {
    let resource = server.mcp_url();
    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", &pkce.verifier),
            ("resource", &resource),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn unticking_changes_grants_read_only_and_write_tools_are_refused() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let page = open_login(&server, &client_id, &pkce, None).await;
    assert!(page.contains(r#"name="allow_write" value="1" type="checkbox" form="login" checked"#), "{page}");
    let envelope = login_request_of(&page);

    // A wrong password keeps the unticked box unticked.
    let retry = submit(&server, &envelope, "not-the-password-1", false, "login").await;
    assert_eq!(retry.status(), StatusCode::UNAUTHORIZED);
    let retry = retry.text().await.unwrap();
    assert!(retry.contains(r#"type="checkbox" form="login">"#), "still unticked: {retry}");
    assert!(retry.contains("The email or password is not correct."), "{retry}");

    let response = submit(&server, &envelope, DEMO_USERS[0].password, false, "login").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, query) = location_params(response.headers());
    let tokens = redeem(&server, &client_id, &pkce, &query["code"]).await;
    // RFC 6749 §3.3: the scope differs from the request's, so the response names it.
    assert_eq!(tokens["scope"], "norman.read", "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();

    let create = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "create_client", "arguments": {"name": "Nicht erlaubt GmbH"}}});
    let refused = mcp_post(&server, Some(access), &create).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let challenge = refused.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.contains(r#"error="insufficient_scope""#), "{challenge}");
    let read = mcp_call(&server, access, "get_company_details", json!({})).await;
    assert!(read.get("result").is_some(), "reading works: {read}");

    // The refresh token carries the grant too: a refresh cannot win write access back.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let refreshed = refresh_with(&server, refresh).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed: Value = refreshed.json().await.unwrap();
    assert_eq!(refreshed["scope"], "norman.read", "{refreshed}");
    let widened = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refreshed["refresh_token"].as_str().unwrap()),
            ("scope", "norman.read norman.write"),
        ])
        .await;
    assert_eq!(widened.status(), StatusCode::BAD_REQUEST);
    assert_eq!(widened.json::<Value>().await.unwrap()["error"], "invalid_scope");

    // The box left ticked grants what was asked.
    let pkce = crate::support::pkce();
    let envelope = login_request_of(&open_login(&server, &client_id, &pkce, None).await);
    let response = submit(&server, &envelope, DEMO_USERS[0].password, true, "login").await;
    let (_, query) = location_params(response.headers());
    let tokens = redeem(&server, &client_id, &pkce, &query["code"]).await;
    assert_eq!(tokens["scope"], "norman.read norman.write");
    server.stop().await;
}

#[tokio::test]
async fn deny_sends_access_denied_with_the_state_and_needs_the_forms_cookie() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let envelope = login_request_of(&open_login(&server, &client_id, &pkce, Some("de")).await);

    // Another browser (no CSRF cookie) cannot deny on the person's behalf.
    let stranger = http_client();
    let forged = stranger
        .post(server.url("/authorize"))
        .header(ACCEPT_LANGUAGE, "de")
        .form(&[("login_request", envelope.as_str()), ("consent", "1"), ("action", "deny")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.headers().get(LOCATION).is_none());
    assert!(forged.text().await.unwrap().contains("Cookie dieser Anmeldeseite"), "a German page");

    let response = server
        .http
        .post(server.url("/authorize"))
        .form(&[("login_request", envelope.as_str()), ("consent", "1"), ("action", "deny")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (url, query) = location_params(response.headers());
    assert_eq!(format!("{}://{}{}", url.scheme(), url.authority(), url.path()), REDIRECT);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["state"], "st-1");
    assert_eq!(query["iss"], server.base);
    assert!(!query.contains_key("code"));
    server.stop().await;
}

#[tokio::test]
async fn pages_speak_german_or_english_by_accept_language() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let pkce = pkce();
    let german = open_login(&server, &client_id, &pkce, Some("de-DE,de;q=0.9,en;q=0.8")).await;
    assert!(german.contains(r#"<html lang="de">"#), "{german}");
    for text in ["mit Norman verbinden", "Passwort", "Anmelden und erlauben", "Ablehnen", "Buchhaltung"] {
        assert!(german.contains(text), "{text}: {german}");
    }
    assert!(!german.contains("Sign in"), "{german}");
    for accept_language in [Some("en-US"), None, Some("fr-FR, en;q=0.5, de;q=0.4")] {
        let english = open_login(&server, &client_id, &pkce, accept_language).await;
        assert!(english.contains(r#"<html lang="en">"#), "{accept_language:?}: {english}");
        for text in ["to Norman", "Password", "Sign in and allow", "Deny", "Accounting"] {
            assert!(english.contains(text), "{text} ({accept_language:?}): {english}");
        }
    }

    // A failed sign-in's message and the error pages follow the language too.
    let envelope = login_request_of(&german);
    let response = server
        .http
        .post(server.url("/authorize"))
        .header(ACCEPT_LANGUAGE, "de-DE")
        .form(&[
            ("login_request", envelope.as_str()),
            ("consent", "1"),
            ("email", DEMO_USERS[0].email),
            ("password", "nicht-das-passwort"),
            ("action", "login"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let page = response.text().await.unwrap();
    assert!(page.contains("Die E-Mail-Adresse oder das Passwort ist nicht korrekt."), "{page}");
    assert!(!page.contains(r#"checked"#), "the unticked box stays unticked: {page}");

    // The sign-in limit's 429 is the German form again, with the wait in German.
    let mut last = None;
    for _ in 0..12 {
        let response = server
            .http
            .post(server.url("/authorize"))
            .header(ACCEPT_LANGUAGE, "de")
            .form(&[
                ("login_request", envelope.as_str()),
                ("consent", "1"),
                ("email", "zu-oft@example.com"),
                ("password", "falsch-falsch"),
                ("action", "login"),
            ])
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            last = Some(response.text().await.unwrap());
            break;
        }
    }
    let limited = last.expect("the sign-in limit answers 429");
    assert!(limited.contains(r#"<html lang="de">"#), "{limited}");
    assert!(limited.contains("Zu viele fehlgeschlagene Anmeldungen. Bitte warten Sie"), "{limited}");

    let unknown = with(authorize_params("unknown-client", &pkce), "state", Some("s"));
    for (accept_language, lang, text) in [
        ("de", "de", "Die Registrierung dieser App ist hier nicht bekannt."),
        ("en-GB", "en", "registration is not known here."),
    ] {
        let response = server
            .http
            .get(server.url("/authorize"))
            .query(&unknown)
            .header(ACCEPT_LANGUAGE, accept_language)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let page = response.text().await.unwrap();
        assert!(page.contains(&format!(r#"<html lang="{lang}">"#)) && page.contains(text), "{page}");
    }
    server.stop().await;
}

#[tokio::test]
async fn the_pages_have_an_icon_and_favicon_ico_answers() {
    let server = TestServer::start().await;
    let client_id = server.register_public(REDIRECT).await;
    let page = open_login(&server, &client_id, &pkce(), None).await;
    assert!(page.contains(r#"<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">"#), "{page}");
    for path in ["/favicon.ico", "/assets/favicon.svg"] {
        let response = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(response.headers()[CONTENT_TYPE], "image/svg+xml", "{path}");
        assert!(response.headers()[CACHE_CONTROL].to_str().unwrap().contains("max-age="), "{path}");
        assert!(response.text().await.unwrap().starts_with("<svg"), "{path}");
    }
    server.stop().await;
}
