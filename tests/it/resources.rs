//! Resources over `/mcp`: the nine URIs and templates are listed, each is read with the
//! caller's own Norman token (Markdown or JSON), an unknown URI is the MCP resource-not-found
//! error (-32002 up to 2025-11-25, -32602 from 2026-07-28 on), with the URI in `data`.

use std::time::Duration;

use crate::support::*;
use norman_mcp::norman::NormanClient;
use norman_mcp::scope::Scopes;
use norman_mcp::tokens::access::{self, AccessGrant};
use norman_sandbox::{ALL_DEMO_USERS, DEMO_USERS, DemoUser, TAX_ADVISOR};
use serde_json::{Value, json};

/// An access token for any demo login (the OAuth flow of the support module knows two).
async fn token_for(server: &TestServer, user: &DemoUser) -> String {
    let sandbox = server.sandbox.as_ref().unwrap().url.clone();
    let norman = NormanClient::new(sandbox, Duration::from_secs(5)).unwrap();
    let upstream = norman.login(user.email, user.password).await.unwrap().access;
    let grant = AccessGrant {
        client_id: "client".to_owned(),
        scopes: Scopes::ALL,
        audience: server.resource(),
        norman_access: upstream,
        company_id: Some(user.company_id.to_owned()),
        family_id: None,
        lifetime: access::DEFAULT_ACCESS_LIFETIME,
    };
    access::mint(&server.keyring.current(), &grant, time::OffsetDateTime::now_utc()).unwrap().token
}

async fn rpc(server: &TestServer, token: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = mcp_post(server, Some(token), &body).await;
    assert_eq!(response.status(), 200, "{method}");
    response.json().await.unwrap()
}

/// The one text content of a read, with its MIME type.
async fn read(server: &TestServer, token: &str, uri: &str) -> (String, String) {
    let read = rpc(server, token, "resources/read", json!({"uri": uri})).await;
    let contents = read["result"]["contents"].as_array().unwrap_or_else(|| panic!("{uri}: {read}"));
    assert_eq!(contents.len(), 1, "{uri}");
    assert_eq!(contents[0]["uri"], uri);
    let mime = contents[0]["mimeType"].as_str().unwrap().to_owned();
    (mime, contents[0]["text"].as_str().unwrap().to_owned())
}

async fn read_json(server: &TestServer, token: &str, uri: &str) -> Value {
    let (mime, text) = read(server, token, uri).await;
    assert_eq!(mime, "application/json", "{uri}");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn the_nine_resources_are_listed_and_read_as_the_caller() {
    let server = TestServer::start().await;
    let token = token_for(&server, &DEMO_USERS[0]).await;

    let list = rpc(&server, &token, "resources/list", json!({})).await;
    let mut uris: Vec<&str> =
        list["result"]["resources"].as_array().unwrap().iter().map(|r| r["uri"].as_str().unwrap()).collect();
    uris.sort();
    assert_eq!(
        uris,
        ["categories://list", "company-categories://list", "company://current", "tax-advisor-clients://list"]
    );
    let templates = rpc(&server, &token, "resources/templates/list", json!({})).await;
    let mut templates: Vec<&str> = templates["result"]["resourceTemplates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["uriTemplate"].as_str().unwrap())
        .collect();
    templates.sort();
    assert_eq!(
        templates,
        [
            "clients://list/{page}/{page_size}",
            "invoices://list/{page}/{page_size}",
            "skr-catalog://search/{query}",
            "taxes://list/{page}/{page_size}",
            "transactions://list/{page}/{page_size}",
        ]
    );

    let (mime, company) = read(&server, &token, "company://current").await;
    assert_eq!(mime, "text/markdown");
    assert!(company.starts_with(&format!("# {}\n", DEMO_USERS[0].company_name)), "{company}");
    assert!(company.contains("- **Chart of accounts:** SKR"), "{company}");

    for name in ["transactions", "invoices", "clients", "taxes"] {
        let first = read_json(&server, &token, &format!("{name}://list/1/2")).await;
        let results = first["results"].as_array().unwrap_or_else(|| panic!("{name}: {first}"));
        assert!(!results.is_empty() && results.len() <= 2, "{name}: {first}");
        let count = first["count"].as_u64().unwrap();
        if count > 2 {
            let second = read_json(&server, &token, &format!("{name}://list/2/2")).await;
            assert_ne!(second["results"], first["results"], "{name}: page 2 is another page");
        }
    }
    // The owner of the other company sees their own clients, never these.
    let other = token_for(&server, &DEMO_USERS[1]).await;
    let mine = read_json(&server, &token, "clients://list/1/100").await;
    let theirs = read_json(&server, &other, "clients://list/1/100").await;
    let ids = |page: &Value| -> Vec<String> {
        page["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["publicId"].as_str().unwrap().to_owned())
            .collect()
    };
    assert!(ids(&mine).iter().all(|id| !ids(&theirs).contains(id)));
    let (_, their_company) = read(&server, &other, "company://current").await;
    assert!(their_company.starts_with(&format!("# {}\n", DEMO_USERS[1].company_name)));

    let categories = read_json(&server, &token, "categories://list").await;
    assert!(categories.as_array().is_some_and(|c| !c.is_empty()), "{categories}");
    let company_categories = read_json(&server, &token, "company-categories://list").await;
    assert!(company_categories.as_array().is_some_and(|c| !c.is_empty()), "{company_categories}");

    // Muster Design is an SME company with an SKR chart: the lookup answers a table.
    let (mime, skr) = read(&server, &token, "skr-catalog://search/B%C3%BCro").await;
    assert_eq!(mime, "text/markdown");
    assert!(skr.starts_with("# SKR accounts matching \"Büro\"\n"), "{skr}");
    assert!(skr.contains("| Account | Name (German) | Name (English) |\n"), "{skr}");
    assert!(skr.lines().count() > 4, "at least one account: {skr}");

    server.stop().await;
}

#[tokio::test]
async fn tax_advisor_and_freelancer_resources() {
    let server = TestServer::start().await;
    let advisor = token_for(&server, &TAX_ADVISOR).await;
    let (mime, clients) = read(&server, &advisor, "tax-advisor-clients://list").await;
    assert_eq!(mime, "text/markdown");
    for client in norman_sandbox::TAX_ADVISOR_CLIENTS {
        assert!(
            clients.contains(&format!("| {} | {} |", client.company_name, client.company_id)),
            "{clients}"
        );
    }
    // Not an advisor: Norman's 403 comes back as an error with its status, not as contents.
    let owner = token_for(&server, &DEMO_USERS[0]).await;
    let refused = rpc(&server, &owner, "resources/read", json!({"uri": "tax-advisor-clients://list"})).await;
    assert_eq!(refused["error"]["data"]["status"], 403, "{refused}");
    assert!(refused["result"].is_null());

    // Studio Lindner is a freelancer without an SKR chart: a sentence instead of a table.
    let freelancer = token_for(&server, &ALL_DEMO_USERS[2]).await;
    let (_, skr) = read(&server, &freelancer, "skr-catalog://search/4400").await;
    assert!(skr.contains("is not an SME company"), "{skr}");
    server.stop().await;
}

#[tokio::test]
async fn unknown_uris_and_bad_pages_are_errors_naming_the_uri() {
    let server = TestServer::start().await;
    let token = token_for(&server, &DEMO_USERS[0]).await;
    for uri in ["test://nonexistent-resource", "company://other", "clients://list/1", "bills://list/1/10"] {
        let read = rpc(&server, &token, "resources/read", json!({"uri": uri})).await;
        assert_eq!(read["error"]["code"], -32002, "{uri}: {read}");
        assert_eq!(read["error"]["data"]["uri"], uri);
    }
    // A page past the end is not there either.
    let read = rpc(&server, &token, "resources/read", json!({"uri": "clients://list/999/100"})).await;
    assert_eq!(read["error"]["code"], -32002, "{read}");
    for (uri, named) in [
        ("clients://list/0/10", "page"),
        ("clients://list/1/x", "page_size"),
        ("clients://list/1/501", "page_size"),
    ] {
        let read = rpc(&server, &token, "resources/read", json!({"uri": uri})).await;
        assert_eq!(read["error"]["code"], -32602, "{uri}: {read}");
        assert!(read["error"]["message"].as_str().unwrap().starts_with(named), "{read}");
    }

    // 2026-07-28 (SEP-2164): invalid params, still with the URI.
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
    });
    let uri = "test://nonexistent-resource";
    let response = server
        .http
        .post(server.mcp_url())
        .bearer_auth(&token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "resources/read")
        .header("mcp-name", uri)
        .json(&json!({"jsonrpc": "2.0", "id": 9, "method": "resources/read", "params": {"_meta": meta, "uri": uri}}))
        .send()
        .await
        .unwrap();
    let read: Value = response.json().await.unwrap();
    assert_eq!(read["error"]["code"], -32602, "{read}");
    assert_eq!(read["error"]["data"]["uri"], uri);
    server.stop().await;
}

/// `--toolsets`: a resource goes with the tool set whose tools read the same data, so a
/// deployment lists and reads only the resources of the sets it serves; the others are not
/// found, as their tools are unknown.
#[tokio::test]
async fn only_the_resources_of_the_served_tool_sets_are_listed_and_read() {
    let toolsets: norman_mcp::mcp::catalogue::Toolsets = "taxes,tax-advisor".parse().unwrap();
    let server = TestServer::start_with(Options { toolsets, ..Options::default() }).await;
    let token = token_for(&server, &TAX_ADVISOR).await;

    let list = rpc(&server, &token, "resources/list", json!({})).await;
    let uris: Vec<&str> =
        list["result"]["resources"].as_array().unwrap().iter().map(|r| r["uri"].as_str().unwrap()).collect();
    assert_eq!(uris, ["tax-advisor-clients://list"], "{list}");
    let templates = rpc(&server, &token, "resources/templates/list", json!({})).await;
    let templates: Vec<&str> = templates["result"]["resourceTemplates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["uriTemplate"].as_str().unwrap())
        .collect();
    assert_eq!(templates, ["taxes://list/{page}/{page_size}"]);

    read_json(&server, &token, "taxes://list/1/10").await;
    let (_, clients) = read(&server, &token, "tax-advisor-clients://list").await;
    assert!(!clients.is_empty());
    let before = server.sandbox.as_ref().unwrap().sandbox.stats().api_calls;
    for uri in [
        "company://current",
        "categories://list",
        "company-categories://list",
        "clients://list/1/10",
        "skr-catalog://search/4400",
    ] {
        let read = rpc(&server, &token, "resources/read", json!({"uri": uri})).await;
        assert_eq!(read["error"]["code"], -32002, "{uri}: {read}");
        assert_eq!(read["error"]["data"]["uri"], uri);
    }
    assert_eq!(server.sandbox.as_ref().unwrap().sandbox.stats().api_calls, before, "Norman was not asked");
    server.stop().await;
}
