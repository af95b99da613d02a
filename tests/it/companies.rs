//! Choosing the company (docs/architecture.md, "Choosing the company"): the second step of the
//! sign-in for a person who may act on more than one company, and the `company_id` every
//! company tool takes, checked against the companies the person's Norman login may act on.

use norman_sandbox::{
    DEMO_USERS, MULTI_COMPANY_USER, MULTI_COMPANY_USER_COMPANIES, TAX_ADVISOR, TAX_ADVISOR_CLIENTS,
};
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::support::*;

const BOTH: &str = "norman.read norman.write";
/// The second company of the person with two.
const SECOND: &str = MULTI_COMPANY_USER_COMPANIES[1].company_id;
/// A company of another user (the first demo user's), which nobody else may act on.
const STRANGERS: &str = DEMO_USERS[0].company_id;

/// A tool call's result: `(isError, the JSON it answered)`.
async fn call(server: &TestServer, token: &str, name: &str, arguments: Value) -> (bool, Value) {
    let response = mcp_call(server, token, name, arguments).await;
    assert!(response.get("error").is_none(), "{name}: {response}");
    (response["result"]["isError"] == true, tool_json(&response))
}

async fn ok(server: &TestServer, token: &str, name: &str, arguments: Value) -> Value {
    let (is_error, answer) = call(server, token, name, arguments).await;
    assert!(!is_error, "{name}: {answer}");
    answer
}

async fn refused(server: &TestServer, token: &str, name: &str, arguments: Value) -> String {
    let (is_error, answer) = call(server, token, name, arguments).await;
    assert!(is_error, "{name} should be refused: {answer}");
    answer["error"].as_str().unwrap_or_default().to_owned()
}

fn api_calls(server: &TestServer) -> u64 {
    server.sandbox.as_ref().unwrap().sandbox.stats().api_calls
}

/// An access token for `user`, the company chosen with the script shortcut.
async fn token_for(server: &TestServer, user: &norman_sandbox::DemoUser, company: &str) -> String {
    let (started, redirect) = login_as(server, BOTH, user, &[("company_id", company)]).await;
    assert_eq!(redirect.status(), 303, "{}", user.email);
    started.exchange(server, &redirect).await["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_person_with_two_companies_chooses_one_and_the_tokens_keep_it_after_a_refresh() {
    capture_logs();
    let server = TestServer::start().await;
    let (started, page) = login_as(&server, BOTH, &MULTI_COMPANY_USER, &[]).await;
    assert_eq!(page.status(), 200, "the choice page instead of the redirect");
    let cookie = page.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("nm_login_") && cookie.contains("Max-Age=600"), "{cookie}");
    let html = page.text().await.unwrap();
    for company in MULTI_COMPANY_USER_COMPANIES {
        assert!(html.contains(company.company_name) && html.contains(company.company_id), "{html}");
    }
    assert!(html.contains("action=\"/authorize/company\""));
    let choice = company_choice_of(&html);
    assert!(choice.starts_with("nms_"), "a sealed envelope of its own");
    assert!(!html.contains(MULTI_COMPANY_USER.password));

    // Another user's company, guessed: the page again with what to fix; no code.
    let guessed = post_company_choice(&server, &server.http, &choice, STRANGERS, "choose").await;
    assert_eq!(guessed.status(), 400);
    let again = guessed.text().await.unwrap();
    assert!(again.contains("not one of yours"), "{again}");
    assert!(!again.contains(DEMO_USERS[0].company_name));
    // Nothing chosen: the page again.
    let nothing = post_company_choice(&server, &server.http, &choice, "", "choose").await;
    assert_eq!(nothing.status(), 400);
    // Another browser, without the sign-in's cookie: refused.
    let stranger = post_company_choice(&server, &http_client(), &choice, SECOND, "choose").await;
    assert_eq!(stranger.status(), 403);
    // A login form's envelope is not a choice.
    let login_envelope = {
        let client_id = server.register_public(REDIRECT).await;
        let pkce = pkce();
        login_page(&server, &client_id, &pkce).await
    };
    let wrong = post_company_choice(&server, &server.http, &login_envelope, SECOND, "choose").await;
    assert_eq!(wrong.status(), 400);

    let chosen = post_company_choice(&server, &server.http, &choice, SECOND, "choose").await;
    assert_eq!(chosen.status(), 303);
    let cleared = chosen.headers()[SET_COOKIE].to_str().unwrap();
    assert!(cleared.starts_with("nm_login_") && cleared.contains("Max-Age=0"), "{cleared}");
    let (_, params) = location_params(chosen.headers());
    assert_eq!(params.get("state").map(String::as_str), Some("st-1"));
    // Answered once: a second answer, even with the cookie the browser just dropped (a second
    // tab, a script), would be a second grant over the same Norman tokens.
    let cookie_pair = cookie.split(';').next().unwrap().to_owned();
    let again = http_client()
        .post(server.url("/authorize/company"))
        .header(reqwest::header::COOKIE, cookie_pair)
        .form(&[("company_choice", choice.as_str()), ("company_id", SECOND), ("action", "choose")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 400, "a page, not a second code");
    assert!(again.headers().get(LOCATION).is_none());
    let tokens = started.exchange(&server, &chosen).await;
    assert_eq!(tokens["scope"], BOTH);
    let access = tokens["access_token"].as_str().unwrap();
    let details = ok(&server, access, "get_company_details", json!({})).await;
    assert_eq!(details["publicId"], SECOND, "the chosen company is the tokens' default");

    let refreshed = refresh_with(&server, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    let renewed = refreshed["access_token"].as_str().unwrap();
    let details = ok(&server, renewed, "get_company_details", json!({})).await;
    assert_eq!(details["publicId"], SECOND, "and stays it after a refresh");
    let listed = ok(&server, renewed, "list_companies", json!({})).await;
    assert_eq!(listed["signedInCompanyId"], SECOND);

    // The choice is spent with its code: answering the page again gives a new code, never the
    // tokens of the first (the code is what is single use).
    assert_not_logged(&[access, renewed, &choice, MULTI_COMPANY_USER.password]);
    server.stop().await;
}

#[tokio::test]
async fn answers_naming_no_company_of_the_persons_are_limited_per_address_before_norman_is_asked() {
    let options = Options {
        login_failures_per_minute: 3,
        trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
        ..Options::default()
    };
    let server = TestServer::start_with(options).await;
    let (started, page) = login_as(&server, BOTH, &MULTI_COMPANY_USER, &[]).await;
    assert_eq!(page.status(), 200);
    let choice = company_choice_of(&page.text().await.unwrap());
    let answer = |company: &'static str, from: &'static str, lang: &'static str| {
        server
            .http
            .post(server.url("/authorize/company"))
            .header("x-forwarded-for", from)
            .header("accept-language", lang)
            .form(&[("company_choice", choice.as_str()), ("company_id", company), ("action", "choose")])
            .send()
    };
    // The address's budget of failed sign-in steps: a stranger's company, then no company.
    for company in [STRANGERS, STRANGERS, ""] {
        let again = answer(company, "192.0.2.50", "en").await.unwrap();
        assert_eq!(again.status(), 400, "the page again");
    }
    let calls = api_calls(&server);
    let limited = answer(SECOND, "192.0.2.50", "en").await.unwrap();
    assert_eq!(limited.status(), 429, "even a right answer waits once the address is over");
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    let text = limited.text().await.unwrap();
    assert!(text.contains("answered too often"), "{text}");
    let german = answer(STRANGERS, "192.0.2.50", "de").await.unwrap();
    assert_eq!(german.status(), 429);
    assert!(german.text().await.unwrap().contains("Zu viele Antworten"));
    assert_eq!(api_calls(&server), calls, "Norman was not asked for the refused answers");
    // Another address has its own budget, and the page was never spent by the wrong answers.
    let chosen = answer(SECOND, "192.0.2.51", "en").await.unwrap();
    assert_eq!(chosen.status(), 303);
    let tokens = started.exchange(&server, &chosen).await;
    let details =
        ok(&server, tokens["access_token"].as_str().unwrap(), "get_company_details", json!({})).await;
    assert_eq!(details["publicId"], SECOND);
    server.stop().await;
}

#[tokio::test]
async fn the_consent_choice_of_the_login_page_survives_the_company_choice() {
    let server = TestServer::start().await;
    // Our page's form with "allow changes" unticked: the consent marker without allow_write.
    let (started, page) = login_as(&server, BOTH, &MULTI_COMPANY_USER, &[("consent", "1")]).await;
    assert_eq!(page.status(), 200);
    let choice = company_choice_of(&page.text().await.unwrap());
    let chosen = post_company_choice(&server, &server.http, &choice, SECOND, "choose").await;
    let tokens = started.exchange(&server, &chosen).await;
    assert_eq!(tokens["scope"], "norman.read", "the unticked box still counts");
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(ok(&server, token, "get_company_details", json!({})).await["publicId"], SECOND);
    server.stop().await;
}

#[tokio::test]
async fn cancelling_the_company_choice_sends_access_denied_with_the_state() {
    let server = TestServer::start().await;
    let (_, page) = login_as(&server, BOTH, &MULTI_COMPANY_USER, &[]).await;
    let choice = company_choice_of(&page.text().await.unwrap());
    let denied = post_company_choice(&server, &server.http, &choice, "", "deny").await;
    assert_eq!(denied.status(), 303);
    let (_, params) = location_params(denied.headers());
    assert_eq!(params.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(params.get("state").map(String::as_str), Some("st-1"));
    assert!(!params.contains_key("code"));
    server.stop().await;
}

#[tokio::test]
async fn scripts_name_the_company_with_the_credentials_and_one_company_needs_no_choice() {
    let server = TestServer::start().await;
    // Two companies, the second named: straight to the app.
    let (started, redirect) = login_as(&server, BOTH, &MULTI_COMPANY_USER, &[("company_id", SECOND)]).await;
    assert_eq!(redirect.status(), 303);
    let token = started.exchange(&server, &redirect).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(ok(&server, &token, "get_company_details", json!({})).await["publicId"], SECOND);
    // Another user's company named: the choice page with the error, no code.
    let (_, page) = login_as(&server, BOTH, &MULTI_COMPANY_USER, &[("company_id", STRANGERS)]).await;
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("name=\"company_choice\""));
    // One company: no choice, as before; naming it is fine, naming another is not.
    let (_, redirect) = login_as(&server, BOTH, &DEMO_USERS[0], &[]).await;
    assert_eq!(redirect.status(), 303);
    let (_, redirect) = login_as(&server, BOTH, &DEMO_USERS[0], &[("company_id", STRANGERS)]).await;
    assert_eq!(redirect.status(), 303);
    let (_, page) = login_as(&server, BOTH, &DEMO_USERS[0], &[("company_id", SECOND)]).await;
    assert_eq!(page.status(), 400);
    server.stop().await;
}

#[tokio::test]
async fn a_person_acts_on_their_other_company_by_company_id_and_never_on_a_strangers() {
    capture_logs();
    let server = TestServer::start().await;
    let first = MULTI_COMPANY_USER_COMPANIES[0].company_id;
    let token = token_for(&server, &MULTI_COMPANY_USER, first).await;

    let listed = ok(&server, &token, "list_companies", json!({})).await;
    assert_eq!(listed["signedInCompanyId"], first);
    assert_eq!(
        listed["companies"],
        json!([
            { "id": first, "name": MULTI_COMPANY_USER_COMPANIES[0].company_name, "access": "own", "signedIn": true },
            { "id": SECOND, "name": MULTI_COMPANY_USER_COMPANIES[1].company_name, "access": "own", "signedIn": false },
        ])
    );
    assert_eq!(ok(&server, &token, "get_company_details", json!({})).await["publicId"], first);
    let other = ok(&server, &token, "get_company_details", json!({ "company_id": SECOND })).await;
    assert_eq!(other["publicId"], SECOND);
    let created =
        ok(&server, &token, "create_client", json!({ "name": "Nur Zweite", "company_id": SECOND })).await;
    let clients = ok(&server, &token, "list_clients", json!({ "company_id": SECOND })).await;
    assert!(clients.to_string().contains("Nur Zweite"), "created in the second company: {created}");
    let own = ok(&server, &token, "list_clients", json!({})).await;
    assert!(!own.to_string().contains("Nur Zweite"), "not in the signed-in one");

    // Another user's company, guessed: a tool error, and Norman is not asked (the list is
    // known from the calls above).
    let before = api_calls(&server);
    for (name, arguments) in [
        ("get_company_details", json!({ "company_id": STRANGERS })),
        ("list_clients", json!({ "company_id": STRANGERS })),
        ("create_client", json!({ "name": "x", "company_id": STRANGERS })),
        ("switch_company", json!({ "company_id": STRANGERS })),
        ("get_client_overview", json!({ "company_id": STRANGERS })),
    ] {
        let error = refused(&server, &token, name, arguments).await;
        assert!(error.contains("not a company this login may act on"), "{name}: {error}");
    }
    assert_eq!(api_calls(&server), before, "Norman was not asked");
    // A malformed id is an argument error like any other.
    let malformed = refused(&server, &token, "get_company_details", json!({ "company_id": "../x" })).await;
    assert!(malformed.contains("`company_id` must be an id"), "{malformed}");

    let switched = ok(&server, &token, "switch_company", json!({ "company_id": SECOND })).await;
    assert_eq!(switched["previousCompanyId"], first);
    assert_eq!(switched["activeCompanyId"], SECOND);
    assert_eq!(switched["company"]["name"], MULTI_COMPANY_USER_COMPANIES[1].company_name);
    assert_eq!(switched["access"], "own");
    let instruction = switched["instruction"].as_str().unwrap();
    assert!(instruction.contains(&format!("\"company_id\": \"{SECOND}\"")), "{instruction}");
    // Nothing was switched: the next call without company_id acts on the signed-in company.
    assert_eq!(ok(&server, &token, "get_company_details", json!({})).await["publicId"], first);
    assert_not_logged(&[&token, MULTI_COMPANY_USER.password]);
    server.stop().await;
}

#[tokio::test]
async fn a_tax_advisor_chooses_and_acts_on_client_companies_but_not_on_a_strangers() {
    let server = TestServer::start().await;
    // The choice page names the clients as such.
    let (started, page) = login_as(&server, BOTH, &TAX_ADVISOR, &[]).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(TAX_ADVISOR.company_name) && html.contains("Tax advisor client"), "{html}");
    let client = TAX_ADVISOR_CLIENTS[0].company_id;
    let choice = company_choice_of(&html);
    let chosen = post_company_choice(&server, &server.http, &choice, client, "choose").await;
    let on_client = started.exchange(&server, &chosen).await["access_token"].as_str().unwrap().to_owned();
    assert_eq!(ok(&server, &on_client, "get_company_details", json!({})).await["publicId"], client);

    let token = token_for(&server, &TAX_ADVISOR, TAX_ADVISOR.company_id).await;
    let listed = ok(&server, &token, "list_companies", json!({})).await;
    let access: Vec<(&str, &str)> = listed["companies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["access"].as_str().unwrap()))
        .collect();
    assert_eq!(
        access,
        [
            (TAX_ADVISOR.company_id, "own"),
            (TAX_ADVISOR_CLIENTS[0].company_id, "tax_advisor_client"),
            (TAX_ADVISOR_CLIENTS[1].company_id, "tax_advisor_client"),
        ]
    );
    for client in TAX_ADVISOR_CLIENTS {
        let details =
            ok(&server, &token, "get_company_details", json!({ "company_id": client.company_id })).await;
        assert_eq!(details["publicId"], client.company_id);
        ok(&server, &token, "search_transactions", json!({ "company_id": client.company_id })).await;
        let switched =
            ok(&server, &token, "switch_company", json!({ "company_id": client.company_id })).await;
        assert_eq!(switched["access"], "tax_advisor_client");
    }
    // The tax-advisor tools keep their own company_id: the client.
    let overview = ok(&server, &token, "get_client_overview", json!({ "company_id": client })).await;
    assert_eq!(overview["company"]["name"], TAX_ADVISOR_CLIENTS[0].company_name, "{overview}");
    for (name, arguments) in [
        ("get_company_details", json!({ "company_id": STRANGERS })),
        ("search_transactions", json!({ "company_id": STRANGERS })),
        ("get_client_overview", json!({ "company_id": STRANGERS })),
        ("get_missing_documents_summary", json!({ "company_id": STRANGERS })),
    ] {
        let error = refused(&server, &token, name, arguments).await;
        assert!(error.contains("not a company this login may act on"), "{name}: {error}");
    }
    server.stop().await;
}

#[tokio::test]
async fn a_one_company_login_lists_its_company_and_may_not_name_another() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, BOTH, 0).await;
    let token = tokens["access_token"].as_str().unwrap();
    let listed = ok(&server, token, "list_companies", json!({})).await;
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["companies"][0]["id"], DEMO_USERS[0].company_id);
    let named =
        ok(&server, token, "get_company_details", json!({ "company_id": DEMO_USERS[0].company_id })).await;
    assert_eq!(named["publicId"], DEMO_USERS[0].company_id);
    let error =
        refused(&server, token, "get_company_balance", json!({ "company_id": DEMO_USERS[1].company_id }))
            .await;
    assert!(error.contains("list_companies"), "{error}");
    server.stop().await;
}

/// A stand-in for Norman's two company lists, paged as DRF pages them: `pages` pages of one
/// company each, whose `next` links name another host. Records every request's path and query.
async fn paged_norman(
    pages: u32,
) -> (url::Url, std::sync::Arc<std::sync::Mutex<Vec<String>>>, tokio::task::JoinHandle<()>) {
    use axum::extract::{OriginalUri, Query};
    use std::collections::HashMap;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let page = move |prefix: &'static str, seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>| {
        move |OriginalUri(uri): OriginalUri, Query(query): Query<HashMap<String, String>>| {
            let seen = std::sync::Arc::clone(&seen);
            async move {
                seen.lock().unwrap().push(uri.to_string());
                let n: u32 = query.get("page").map_or(1, |p| p.parse().unwrap());
                let next = (n < pages).then(|| format!("https://elsewhere.invalid/steal?page={}", n + 1));
                axum::Json(json!({
                    "count": pages,
                    "next": next,
                    "previous": null,
                    "results": [{ "publicId": format!("{prefix}{n}"), "public_id": format!("{prefix}{n}"), "name": format!("{prefix} {n}") }],
                }))
            }
        }
    };
    let app = axum::Router::new()
        .route("/api/v1/companies/", axum::routing::get(page("own", std::sync::Arc::clone(&seen))))
        .route(
            "/api/v1/tax-advisor/clients/",
            axum::routing::get(page("client", std::sync::Arc::clone(&seen))),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, seen, task)
}

#[tokio::test]
async fn every_page_of_both_company_lists_is_read_by_number_at_norman_only() {
    let (url, seen, task) = paged_norman(3).await;
    let norman = norman_mcp::norman::NormanClient::new(url, std::time::Duration::from_secs(5)).unwrap();
    let token = norman_mcp::tokens::NormanToken::new("a-norman-token".to_owned());
    let companies = norman.companies(&token).await.unwrap();
    let ids: Vec<&str> = companies.all().iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["own1", "own2", "own3", "client1", "client2", "client3"]);
    let mut requests = seen.lock().unwrap().clone();
    requests.sort();
    assert_eq!(
        requests,
        [
            "/api/v1/companies/",
            "/api/v1/companies/?page=2",
            "/api/v1/companies/?page=3",
            "/api/v1/tax-advisor/clients/",
            "/api/v1/tax-advisor/clients/?page=2",
            "/api/v1/tax-advisor/clients/?page=3",
        ]
    );
    // The default company is the first of the first page, asked for alone.
    seen.lock().unwrap().clear();
    assert_eq!(norman.first_company(&token).await.unwrap().as_deref(), Some("own1"));
    assert_eq!(*seen.lock().unwrap(), ["/api/v1/companies/"]);
    task.abort();
}

#[tokio::test]
async fn a_list_that_never_ends_is_read_to_a_bound() {
    let (url, seen, task) = paged_norman(u32::MAX).await;
    let norman = norman_mcp::norman::NormanClient::new(url, std::time::Duration::from_secs(5)).unwrap();
    let token = norman_mcp::tokens::NormanToken::new("a-norman-token".to_owned());
    let own = norman.own_companies(&token).await.unwrap();
    assert_eq!(own.len(), 50);
    assert_eq!(own.last().map(|c| c.id.as_str()), Some("own50"));
    assert_eq!(seen.lock().unwrap().len(), 50);
    task.abort();
}
