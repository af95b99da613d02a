//! `--toolsets`: a deployment that serves some tool sets lists only their tools, and a call of
//! any other tool is answered exactly like a call of a tool that does not exist; an unknown set
//! name stops the binary at startup with the valid names.

use std::process::Command;

use crate::support::*;
use norman_mcp::mcp::catalogue::Toolsets;
use serde_json::{Value, json};

async fn tool_names(server: &TestServer, token: &str) -> Vec<String> {
    let list =
        mcp_post(server, Some(token), &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    let list: Value = list.json().await.unwrap();
    let tools = list["result"]["tools"].as_array().expect("a tool list");
    tools.iter().map(|tool| tool["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn only_the_served_sets_are_listed_and_callable() {
    let all = TestServer::start().await;
    let (_, tokens) = full_flow(&all, "norman.read norman.write", 0).await;
    let every_tool = tool_names(&all, tokens["access_token"].as_str().unwrap()).await;
    all.stop().await;

    let toolsets: Toolsets = "core,taxes".parse().unwrap();
    let server = TestServer::start_with(Options { toolsets, ..Options::default() }).await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = tokens["access_token"].as_str().unwrap();
    let served = tool_names(&server, token).await;
    for name in ["list_clients", "create_invoice", "search_transactions", "list_tax_reports"] {
        assert!(served.iter().any(|n| n == name), "{name} is served: {served:?}");
    }
    for name in ["list_attachments", "create_attachment", "upload_bulk_attachments", "request_file_upload"] {
        assert!(every_tool.iter().any(|n| n == name), "{name} exists");
        assert!(!served.iter().any(|n| n == name), "{name} is a documents tool");
    }
    assert!(served.iter().all(|name| every_tool.contains(name)));

    let outside = mcp_call(&server, token, "list_attachments", json!({})).await;
    let unknown = mcp_call(&server, token, "no_such_tool", json!({})).await;
    assert_eq!(outside["error"]["code"], unknown["error"]["code"], "{outside}");
    assert_eq!(outside["error"]["message"], "unknown tool: list_attachments");
    assert_eq!(unknown["error"]["message"], "unknown tool: no_such_tool");
    let inside = mcp_call(&server, token, "list_clients", json!({})).await;
    assert_eq!(inside["result"]["isError"], false, "{inside}");
    server.stop().await;
}

#[test]
fn an_unknown_tool_set_stops_the_server_at_startup() {
    let keys = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_norman-mcp"))
        .args(["serve", "--keys"])
        .arg(keys.path().join("keys.toml"))
        .args(["--toolsets", "core,invoices"])
        .env_remove("NORMAN_MCP_TOOLSETS")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unknown tool set `invoices`"), "{stderr}");
    assert!(stderr.contains("core, bookkeeping, documents, taxes, tax-advisor, founding"), "{stderr}");

    let output = Command::new(env!("CARGO_BIN_EXE_norman-mcp"))
        .args(["demo", "--port", "0"])
        .env("NORMAN_MCP_TOOLSETS", "founding,nope")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown tool set `nope`"));
}
