//! Prompts over `/mcp`: every prompt file is listed with its arguments and fetched with them
//! filled in; a missing required argument or an unknown prompt is invalid params; a prompt
//! whose tool sets are not all served is neither listed nor fetched.

use crate::support::*;
use norman_mcp::mcp::catalogue::Toolsets;
use serde_json::{Value, json};

async fn rpc(server: &TestServer, token: &str, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let response = mcp_post(server, Some(token), &body).await;
    assert_eq!(response.status(), 200, "{method}");
    response.json().await.unwrap()
}

async fn token(server: &TestServer) -> String {
    let (_, tokens) = full_flow(server, "norman.read norman.write", 0).await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

fn prompt_files() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/mcp/prompts");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.unwrap().file_name().into_string().ok())
        .filter_map(|name| name.strip_suffix(".toml").map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn every_prompt_is_listed_and_fetched_with_its_arguments_filled_in() {
    let server = TestServer::start().await;
    let token = token(&server).await;
    let init = rpc(
        &server,
        &token,
        "initialize",
        json!({"protocolVersion": PROTOCOL, "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"}}),
    )
    .await;
    assert!(init["result"]["capabilities"]["prompts"].is_object(), "{init}");

    let list = rpc(&server, &token, "prompts/list", json!({})).await;
    let prompts = list["result"]["prompts"].as_array().expect("a prompt list");
    let mut names: Vec<String> = prompts.iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, prompt_files(), "every file, the three founding prompts included");
    assert_eq!(names.len(), 26);

    for prompt in prompts {
        let name = prompt["name"].as_str().unwrap();
        assert!(prompt["title"].as_str().is_some_and(|t| !t.is_empty()), "{prompt}");
        assert!(prompt["description"].as_str().is_some_and(|d| !d.is_empty()), "{prompt}");
        let arguments = prompt["arguments"].as_array().cloned().unwrap_or_default();
        // Every argument gets a value that names it, so the text must show each one.
        let values: serde_json::Map<String, Value> = arguments
            .iter()
            .map(|a| {
                let argument = a["name"].as_str().unwrap();
                (argument.to_owned(), json!(format!("VALUE-OF-{argument}")))
            })
            .collect();
        let got = rpc(&server, &token, "prompts/get", json!({"name": name, "arguments": values})).await;
        let messages = got["result"]["messages"].as_array().unwrap_or_else(|| panic!("{name}: {got}"));
        assert!(!messages.is_empty(), "{name}");
        let text: String = messages.iter().map(|m| m["content"]["text"].as_str().unwrap()).collect();
        assert!(text.len() > 400, "{name}: a real text");
        for argument in &arguments {
            let argument = argument["name"].as_str().unwrap();
            assert!(text.contains(&format!("VALUE-OF-{argument}")), "{name}: {argument} is filled in");
            assert!(!text.contains(&format!("{{{argument}}}")), "{name}: no placeholder is left");
        }
        for argument in arguments.iter().filter(|a| a["required"] == true) {
            let argument = argument["name"].as_str().unwrap();
            let mut without = values.clone();
            without.remove(argument);
            let refused =
                rpc(&server, &token, "prompts/get", json!({"name": name, "arguments": without})).await;
            assert_eq!(refused["error"]["code"], -32602, "{name} without {argument}: {refused}");
            let message = refused["error"]["message"].as_str().unwrap();
            assert!(message.contains(&format!("`{argument}`")), "{message}");
        }
    }
    server.stop().await;
}

#[tokio::test]
async fn an_empty_optional_argument_drops_its_line() {
    let server = TestServer::start().await;
    let token = token(&server).await;
    let with = rpc(
        &server,
        &token,
        "prompts/get",
        json!({"name": "create_invoice", "arguments": {"user_input": "Rechnung an Müller über 3 Stunden"}}),
    )
    .await;
    let without = rpc(&server, &token, "prompts/get", json!({"name": "create_invoice"})).await;
    let text = |v: &Value| v["result"]["messages"][0]["content"]["text"].as_str().unwrap().to_owned();
    let (with, without) = (text(&with), text(&without));
    assert!(with.contains("\nRechnung an Müller über 3 Stunden\n"), "{with}");
    assert_eq!(with.replace("Rechnung an Müller über 3 Stunden\n", ""), without);
    assert!(!without.contains("{user_input}"));
    server.stop().await;
}

#[tokio::test]
async fn unknown_prompts_and_prompts_of_unserved_sets_are_invalid_params() {
    let toolsets: Toolsets = "core".parse().unwrap();
    let server = TestServer::start_with(Options { toolsets, ..Options::default() }).await;
    let token = token(&server).await;
    let list = rpc(&server, &token, "prompts/list", json!({})).await;
    let names: Vec<&str> =
        list["result"]["prompts"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"create_invoice") && names.contains(&"search_transactions_prompt"));
    // Relies on core and bookkeeping, documents, or founding tools.
    for absent in
        ["categorize_transactions", "upload_documents_prompt", "company_incorporation", "ta_company_review"]
    {
        assert!(!names.contains(&absent), "{absent}");
        let got = rpc(&server, &token, "prompts/get", json!({"name": absent})).await;
        assert_eq!(got["error"]["code"], -32602, "{got}");
        assert_eq!(got["error"]["message"], format!("unknown prompt: {absent}"));
    }
    let got = rpc(&server, &token, "prompts/get", json!({"name": "no_such_prompt"})).await;
    assert_eq!(got["error"]["message"], "unknown prompt: no_such_prompt");
    server.stop().await;
}
