//! `tools/list` against the committed snapshot `tests/snapshots/tools_list.json`, so that every
//! change to a tool's name, description, schemas or annotations is a reviewed diff.
//!
//! After an intended change, regenerate the snapshot and review `git diff`:
//!
//! ```sh
//! UPDATE_SNAPSHOTS=1 cargo test --test it catalogue_snapshot
//! ```
//!
//! Also here: the MCP 2026-07-28 caching hints on the list results.

use std::path::PathBuf;

use crate::support::*;
use serde_json::{Value, json};

fn snapshot_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/tools_list.json")
}

#[tokio::test]
async fn tools_list_matches_the_committed_snapshot() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = tokens["access_token"].as_str().unwrap();
    let list =
        mcp_post(&server, Some(token), &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    let list: Value = list.json().await.unwrap();
    let tools = &list["result"]["tools"];
    assert!(tools.as_array().is_some_and(|t| !t.is_empty()), "{list}");
    let current = serde_json::to_string_pretty(tools).unwrap() + "\n";
    server.stop().await;

    let path = snapshot_path();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &current).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != current {
        let changed: Vec<String> = names_changed(&committed, &current);
        panic!(
            "tools/list differs from {} (tools changed: {changed:?}); if the change is intended, run \
             `UPDATE_SNAPSHOTS=1 cargo test --test it catalogue_snapshot` and review the diff",
            path.display()
        );
    }
}

/// The tools that were added, removed or changed, to say more than "it differs".
fn names_changed(committed: &str, current: &str) -> Vec<String> {
    let by_name = |text: &str| -> Vec<(String, Value)> {
        let tools: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        tools
            .as_array()
            .map(|tools| {
                tools.iter().map(|t| (t["name"].as_str().unwrap_or("?").to_owned(), t.clone())).collect()
            })
            .unwrap_or_default()
    };
    let (old, new) = (by_name(committed), by_name(current));
    let mut changed: Vec<String> =
        new.iter().filter(|tool| !old.contains(tool)).map(|(n, _)| n.clone()).collect();
    changed
        .extend(old.iter().filter(|(n, _)| !new.iter().any(|(m, _)| m == n)).map(|(n, _)| format!("-{n}")));
    changed
}

#[tokio::test]
async fn list_results_carry_caching_hints() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = tokens["access_token"].as_str().unwrap();
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
    });
    for (method, scope) in [
        ("tools/list", "public"),
        ("prompts/list", "public"),
        ("resources/list", "public"),
        ("resources/templates/list", "public"),
        ("resources/read", "private"),
    ] {
        let mut params = json!({"_meta": meta});
        let mut request = server
            .http
            .post(server.mcp_url())
            .bearer_auth(token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", method);
        if method == "resources/read" {
            params["uri"] = json!("company://current");
            request = request.header("mcp-name", "company://current");
        }
        let response =
            request.json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})).send();
        let response: Value = response.await.unwrap().json().await.unwrap();
        let result = &response["result"];
        assert_eq!(result["cacheScope"], scope, "{method}: {response}");
        let ttl = result["ttlMs"].as_u64().unwrap_or_else(|| panic!("{method}: {response}"));
        assert_eq!(ttl == 0, scope == "private", "{method}: a user's own data is not kept");
    }
    server.stop().await;
}
