//! Structured tool results over `/mcp`: every tool declares an `outputSchema`, a call answers
//! with `structuredContent` that conforms (an object; lists under `results`) beside the same JSON
//! as text, and a client on a revision before 2025-06-18 gets neither.

use crate::support::*;
use serde_json::{Value, json};

async fn post(server: &TestServer, token: &str, version: &str, body: Value) -> Value {
    let response = server
        .http
        .post(server.mcp_url())
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", version)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn list(server: &TestServer, token: &str, version: &str) -> Vec<Value> {
    let list = post(server, token, version, json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    list["result"]["tools"].as_array().expect("a tool list").clone()
}

async fn call(server: &TestServer, token: &str, version: &str, name: &str) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": name, "arguments": {}}});
    let response = post(server, token, version, body).await;
    assert_eq!(response["result"]["isError"], false, "{response}");
    response["result"].clone()
}

fn text_json(result: &Value) -> Value {
    serde_json::from_str(result["content"][0]["text"].as_str().expect("a text block")).expect("JSON text")
}

#[tokio::test]
async fn results_are_structured_from_2025_06_18_on_and_text_only_before() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = tokens["access_token"].as_str().unwrap();

    for version in ["2025-06-18", "2025-11-25"] {
        let tools = list(&server, token, version).await;
        for tool in &tools {
            assert_eq!(tool["outputSchema"]["type"], "object", "{version}: {tool}");
        }
        let schema_of = |name: &str| {
            tools.iter().find(|t| t["name"] == name).map(|t| t["outputSchema"].clone()).expect(name)
        };
        assert_eq!(schema_of("list_clients")["properties"]["results"]["type"], "array");
        assert!(schema_of("get_company_details")["properties"].is_null());

        let company = call(&server, token, version, "get_company_details").await;
        assert_eq!(company["structuredContent"], text_json(&company), "{version}");
        assert!(company["structuredContent"]["publicId"].is_string());

        let clients = call(&server, token, version, "list_clients").await;
        let structured = &clients["structuredContent"];
        let items = structured["results"].as_array().expect("the clients under results");
        assert!(!items.is_empty());
        // The text is Norman's JSON as it came: a page stays a page, a bare array stays bare.
        let text = text_json(&clients);
        match &text {
            Value::Array(bare) => assert_eq!(bare, items),
            page => assert_eq!(page, structured),
        }
    }

    for tool in list(&server, token, "2025-03-26").await {
        assert!(tool.get("outputSchema").is_none(), "{tool}");
    }
    let company = call(&server, token, "2025-03-26", "get_company_details").await;
    assert!(company.get("structuredContent").is_none(), "{company}");
    assert!(text_json(&company)["publicId"].is_string());

    server.stop().await;
}

#[tokio::test]
async fn errors_carry_no_structured_content() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = tokens["access_token"].as_str().unwrap();
    let body = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
        "params": {"name": "get_client", "arguments": {"client_id": "no-such-client"}}});
    let response = post(&server, token, PROTOCOL, body).await;
    assert_eq!(response["result"]["isError"], true, "{response}");
    assert!(response["result"].get("structuredContent").is_none());
    server.stop().await;
}
