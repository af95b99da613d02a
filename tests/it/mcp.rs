//! `/mcp` over real HTTP with tokens from the real OAuth flow: the protocol revisions, the
//! bearer challenges, scopes, the origin check, the upstream-expiry path and user isolation.

use std::sync::Arc;
use std::time::Duration;

use crate::support::tool_examples;
use crate::support::*;
use norman_mcp::norman::NormanClient;
use norman_mcp::scope::Scopes;
use norman_mcp::tokens::access::{self, AccessGrant};
use norman_sandbox::DEMO_USERS;
use serde_json::{Value, json};

fn token_of(response: &Value) -> String {
    response["access_token"].as_str().unwrap().to_owned()
}

fn challenge(response: &reqwest::Response) -> String {
    response.headers()["www-authenticate"].to_str().unwrap().to_owned()
}

fn resource_metadata(server: &TestServer) -> String {
    format!("{}/.well-known/oauth-protected-resource/mcp", server.base)
}

fn company_name_of(response: &Value) -> String {
    tool_json(response)["name"].as_str().expect("the company has a name").to_owned()
}

#[tokio::test]
async fn initialize_list_and_call_on_every_protocol_revision() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = token_of(&tokens);
    let tool_count = norman_mcp::mcp::catalogue::Catalogue::default().tools().len();

    for version in ["2025-06-18", "2025-11-25"] {
        let post = |body: Value| {
            server
                .http
                .post(server.mcp_url())
                .bearer_auth(&token)
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", version)
                .json(&body)
                .send()
        };
        let init = post(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}))
        .await
        .unwrap();
        assert_eq!(init.status(), 200);
        assert!(init.headers().get("mcp-session-id").is_none(), "no server sessions");
        assert!(init.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let init: Value = init.json().await.unwrap();
        assert_eq!(init["result"]["protocolVersion"], version);
        assert_eq!(init["result"]["serverInfo"]["name"], "norman-mcp");
        assert!(init["result"]["capabilities"]["tools"].is_object());

        let initialized =
            post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await.unwrap();
        assert_eq!(initialized.status(), 202);

        let list: Value = post(json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let tools = list["result"]["tools"].as_array().expect("a tool list");
        assert_eq!(tools.len(), tool_count, "{version}");
        assert!(tools.iter().any(|t| t["name"] == "get_company_details"));

        let call: Value = post(json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
            "params": {"name": "get_company_details", "arguments": {}}}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(call["result"]["isError"], false, "{call}");
        assert_eq!(company_name_of(&call), DEMO_USERS[0].company_name);
    }

    // 2026-07-28 has no initialize: every request carries its protocol metadata.
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "1"},
    });
    let send = |method: &'static str, name: Option<&'static str>, params: Value| {
        let mut request = server
            .http
            .post(server.mcp_url())
            .bearer_auth(&token)
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", method)
            .json(&json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}));
        if let Some(name) = name {
            request = request.header("mcp-name", name);
        }
        request.send()
    };
    let list = send("tools/list", None, json!({"_meta": meta})).await.unwrap();
    assert_eq!(list.status(), 200);
    let list: Value = list.json().await.unwrap();
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(tool_count), "{list}");
    let call = send(
        "tools/call",
        Some("get_company_details"),
        json!({"_meta": meta, "name": "get_company_details", "arguments": {}}),
    )
    .await
    .unwrap();
    assert_eq!(call.status(), 200);
    let call: Value = call.json().await.unwrap();
    assert_eq!(company_name_of(&call), DEMO_USERS[0].company_name, "{call}");

    assert_not_logged(&[&token]);
    server.stop().await;
}

#[tokio::test]
async fn a_request_without_a_token_gets_the_challenge() {
    let server = TestServer::start().await;
    let response = mcp_post(&server, None, &json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})).await;
    assert_eq!(response.status(), 401);
    assert_eq!(
        challenge(&response),
        format!(
            r#"Bearer resource_metadata="{}", scope="norman.read norman.write""#,
            resource_metadata(&server)
        )
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    // The challenge points at metadata that exists and names this resource.
    let metadata: Value =
        server.http.get(resource_metadata(&server)).send().await.unwrap().json().await.unwrap();
    assert_eq!(metadata["resource"], server.mcp_url());
    server.stop().await;
}

#[tokio::test]
async fn only_mcp_asks_for_a_token_and_unknown_paths_are_not_found() {
    let server = TestServer::start().await;
    // Clients probe discovery documents this server does not have; a bearer challenge there
    // would send them round in circles.
    for path in ["/.well-known/openid-configuration", "/mcp/extra", "/nothing-here"] {
        let response = server.http.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert!(response.headers().get("www-authenticate").is_none(), "{path}");
    }
    server.stop().await;
}

#[tokio::test]
async fn bad_tokens_get_invalid_token() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let good = token_of(&tokens);

    let sandbox_url = server.sandbox.as_ref().unwrap().url.clone();
    let norman = NormanClient::new(sandbox_url, Duration::from_secs(5)).unwrap();
    let user = DEMO_USERS[0];
    let upstream = norman.login(user.email, user.password).await.unwrap().access;
    let keyring = server.keyring.current();
    let grant = |audience: &str| AccessGrant {
        client_id: "client".to_owned(),
        scopes: Scopes::ALL,
        audience: audience.to_owned(),
        norman_access: upstream.clone(),
        company_id: Some(user.company_id.to_owned()),
        family_id: None,
        lifetime: norman_mcp::tokens::access::DEFAULT_ACCESS_LIFETIME,
    };
    let now = time::OffsetDateTime::now_utc();
    // Expired through an attenuation block's own deadline, one second from now.
    let expired = access::attenuate(&good, false, Some(time::Duration::seconds(1)), now).unwrap();
    let elsewhere = access::mint(&keyring, &grant("https://other.example/mcp"), now).unwrap().token;
    let mut forged = good.clone().into_bytes();
    let middle = forged.len() / 2;
    forged[middle] = if forged[middle] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();

    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    tokio::time::sleep(Duration::from_millis(2100)).await;
    for (case, authorization) in [
        ("malformed", "Bearer not-a-token".to_owned()),
        ("forged", format!("Bearer {forged}")),
        ("expired", format!("Bearer {expired}")),
        ("wrong audience", format!("Bearer {elsewhere}")),
        ("wrong scheme", format!("Basic {good}")),
        ("empty", "Bearer ".to_owned()),
    ] {
        let response = server
            .http
            .post(server.mcp_url())
            .header("authorization", authorization)
            .header("accept", "application/json, text/event-stream")
            .json(&list)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{case}");
        let challenge = challenge(&response);
        assert!(challenge.starts_with(r#"Bearer error="invalid_token""#), "{case}: {challenge}");
        assert!(challenge.contains(r#"scope="norman.read norman.write""#), "{case}: {challenge}");
        assert!(
            challenge.contains(&format!(r#"resource_metadata="{}""#, resource_metadata(&server))),
            "{case}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_token", "{case}");
    }

    // Never from the query string, not even a valid token.
    let response = server
        .http
        .post(format!("{}?access_token={good}", server.mcp_url()))
        .header("accept", "application/json, text/event-stream")
        .json(&list)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(challenge(&response).starts_with(r#"Bearer error="invalid_request""#));

    // The good token still works, and the refusals logged no token.
    let ok = mcp_post(&server, Some(&good), &list).await;
    assert_eq!(ok.status(), 200);
    assert_not_logged(&[&good, &forged, &expired, &elsewhere, upstream.expose()]);
    server.stop().await;
}

#[tokio::test]
async fn a_revoked_access_token_is_refused() {
    let server = TestServer::start().await;
    let (client_id, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = token_of(&tokens);
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    assert_eq!(mcp_post(&server, Some(&token), &list).await.status(), 200);
    let revoked = server
        .http
        .post(server.url("/revoke"))
        .form(&[("token", token.as_str()), ("client_id", client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let response = mcp_post(&server, Some(&token), &list).await;
    assert_eq!(response.status(), 401);
    assert!(challenge(&response).contains("revoked"));
    server.stop().await;
}

#[tokio::test]
async fn foreign_hosts_and_origins_are_forbidden_before_any_token_check() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = token_of(&tokens);
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let post = |origin: Option<&'static str>, host: Option<&'static str>, token: Option<&str>| {
        let mut request = server
            .http
            .post(server.mcp_url())
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", PROTOCOL)
            .json(&list);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(host) = host {
            request = request.header("host", host);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    for (origin, host) in [
        (Some("https://evil.example"), None),
        (Some("null"), None),
        (Some("http://127.0.0.1.evil.example:1"), None),
        (None, Some("evil.example")),
        (None, Some("evil.example:80")),
    ] {
        for token in [None, Some(token.as_str())] {
            let response = post(origin, host, token).await.unwrap();
            assert_eq!(response.status(), 403, "{origin:?} {host:?}");
            assert!(response.headers().get("access-control-allow-origin").is_none());
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], -32600);
        }
    }
    // Local tools such as MCP Inspector run on loopback origins; this server's own origin too.
    for origin in ["http://localhost:6274", "http://127.0.0.1:6276"] {
        let response = post(Some(origin), None, Some(&token)).await.unwrap();
        assert_eq!(response.status(), 200, "{origin}");
        assert_eq!(response.headers()["access-control-allow-origin"], origin);
        assert!(
            response.headers()["access-control-expose-headers"]
                .to_str()
                .unwrap()
                .contains("www-authenticate"),
            "{origin}"
        );
    }

    // Preflights are answered before authentication, and only for allowed origins.
    let preflight = |origin: &'static str| {
        server
            .http
            .request(reqwest::Method::OPTIONS, server.mcp_url())
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type, mcp-protocol-version")
            .send()
    };
    let allowed = preflight("http://localhost:6274").await.unwrap();
    assert_eq!(allowed.status(), 200);
    assert_eq!(allowed.headers()["access-control-allow-origin"], "http://localhost:6274");
    let allowed_headers = allowed.headers()["access-control-allow-headers"].to_str().unwrap().to_owned();
    for header in ["authorization", "content-type", "mcp-protocol-version"] {
        assert!(allowed_headers.contains(header), "{allowed_headers}");
    }
    let refused = preflight("https://evil.example").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().get("access-control-allow-origin").is_none());
    server.stop().await;
}

#[tokio::test]
async fn an_expired_norman_session_asks_the_client_to_refresh() {
    let server = TestServer::start().await;
    let (client_id, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = token_of(&tokens);
    let owned = server;
    let server = &owned;
    let call = |token: String| async move {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "get_company_details", "arguments": {}}});
        mcp_post(server, Some(&token), &body).await
    };
    assert_eq!(call(token.clone()).await.status(), 200);

    server.sandbox.as_ref().unwrap().sandbox.expire_access_tokens_of(DEMO_USERS[0].email);
    let response = call(token.clone()).await;
    assert_eq!(response.status(), 401);
    let challenge = challenge(&response);
    assert!(challenge.starts_with(r#"Bearer error="invalid_token""#), "{challenge}");
    assert!(challenge.contains("refresh"), "{challenge}");

    let refreshed = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
        ])
        .await;
    assert_eq!(refreshed.status(), 200);
    let refreshed: Value = refreshed.json().await.unwrap();
    let response = call(token_of(&refreshed)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(company_name_of(&body), DEMO_USERS[0].company_name);
    assert_not_logged(&[&token, &token_of(&refreshed), tokens["refresh_token"].as_str().unwrap()]);
    owned.stop().await;
}

/// Two users, eight concurrent workers each, hundreds of interleaved calls: every answer is
/// the caller's own company. The earlier Python server mixed users through a global variable.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_users_never_see_each_others_data() {
    let server = Arc::new(TestServer::start().await);
    let mut tokens = Vec::new();
    for user in 0..2 {
        let (_, response) = full_flow(&server, "norman.read norman.write", user).await;
        tokens.push(token_of(&response));
    }
    const WORKERS_PER_USER: usize = 8;
    const CALLS_PER_WORKER: usize = 40;
    let mut workers = Vec::new();
    for worker in 0..WORKERS_PER_USER * 2 {
        let user = worker % 2;
        let token = tokens[user].clone();
        let server = Arc::clone(&server);
        workers.push(tokio::spawn(async move {
            let mut mixups = 0;
            for _ in 0..CALLS_PER_WORKER {
                let response = mcp_call(&server, &token, "get_company_details", json!({})).await;
                let company = tool_json(&response);
                if company["publicId"] != DEMO_USERS[user].company_id
                    || company["name"] != DEMO_USERS[user].company_name
                {
                    mixups += 1;
                }
            }
            mixups
        }));
    }
    let mut mixups = 0;
    for worker in workers {
        mixups += worker.await.unwrap();
    }
    assert_eq!(mixups, 0, "answers for the wrong user");
    let stats = server.sandbox.as_ref().unwrap().sandbox.stats();
    assert!(stats.api_calls >= (WORKERS_PER_USER * 2 * CALLS_PER_WORKER) as u64, "{stats:?}");
    Arc::into_inner(server).expect("workers are done").stop().await;
}

#[tokio::test]
async fn every_tool_answers_over_mcp_with_a_token_from_the_real_flow() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = token_of(&tokens);
    let sandbox_before = server.sandbox.as_ref().unwrap().sandbox.stats().api_calls;
    let examples = tool_examples::examples();
    for (name, arguments) in &examples {
        let response = mcp_call(&server, &token, name, arguments.clone()).await;
        assert_eq!(response["result"]["isError"], false, "{name}: {response}");
        let content = response["result"]["content"].as_array().expect("content");
        assert!(!content.is_empty(), "{name}");
        assert!(!response.to_string().contains(&token), "{name} echoes the access token");
    }
    let calls = server.sandbox.as_ref().unwrap().sandbox.stats().api_calls - sandbox_before;
    assert!(calls >= examples.len() as u64, "every tool reached Norman: {calls} calls");
    // An unknown tool is a protocol error, not a tool result.
    let unknown = mcp_call(&server, &token, "no_such_tool", json!({})).await;
    assert_eq!(unknown["error"]["code"], -32602, "{unknown}");
    // Bad arguments are a tool result the model can read and correct.
    let bad = mcp_call(&server, &token, "get_client", json!({})).await;
    assert_eq!(bad["result"]["isError"], true, "{bad}");
    assert!(bad["result"]["content"][0]["text"].as_str().unwrap().contains("client_id"), "{bad}");
    assert_not_logged(&[&token, tokens["refresh_token"].as_str().unwrap()]);
    server.stop().await;
}

#[tokio::test]
async fn write_tools_need_the_write_scope() {
    let server = TestServer::start().await;
    let (_, read_only) = full_flow(&server, "norman.read", 0).await;
    assert_eq!(read_only["scope"], "norman.read");
    let (_, full) = full_flow(&server, "norman.read norman.write", 0).await;
    let attenuated =
        access::attenuate(&token_of(&full), true, None, time::OffsetDateTime::now_utc()).expect("attenuates");
    let create = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "create_client", "arguments": {"name": "Nicht erlaubt GmbH"}}});
    let read = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "get_company_details", "arguments": {}}});
    let clients_before = {
        let response = mcp_call(&server, &token_of(&full), "list_clients", json!({})).await;
        tool_json(&response)["results"].as_array().map(Vec::len)
    };
    for (case, token) in
        [("granted read only", token_of(&read_only)), ("attenuated to read only", attenuated)]
    {
        let refused = mcp_post(&server, Some(&token), &create).await;
        assert_eq!(refused.status(), 403, "{case}");
        assert_eq!(
            challenge(&refused),
            format!(
                r#"Bearer error="insufficient_scope", error_description="the access token lacks the scope this tool needs", scope="norman.read norman.write", resource_metadata="{}""#,
                resource_metadata(&server)
            ),
            "{case}"
        );
        let allowed = mcp_post(&server, Some(&token), &read).await;
        assert_eq!(allowed.status(), 200, "{case}");
        let allowed: Value = allowed.json().await.unwrap();
        assert_eq!(company_name_of(&allowed), DEMO_USERS[0].company_name, "{case}");
        let list =
            mcp_post(&server, Some(&token), &json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}))
                .await;
        assert_eq!(list.status(), 200, "{case}");
    }
    // Nothing was created by the refused calls; the full token may write.
    let clients_after = {
        let response = mcp_call(&server, &token_of(&full), "list_clients", json!({})).await;
        tool_json(&response)["results"].as_array().map(Vec::len)
    };
    assert_eq!(clients_before, clients_after);
    let created = mcp_post(&server, Some(&token_of(&full)), &create).await;
    assert_eq!(created.status(), 200);
    server.stop().await;
}

/// RFC 7009 section 2.1: revoking a refresh token should also stop the access tokens of the
/// same grant; so must a replayed code (OAuth 2.1 section 4.1.3).
#[tokio::test]
async fn revoking_the_grant_stops_its_access_tokens() {
    let server = TestServer::start().await;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});

    let (client_id, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let access = token_of(&tokens);
    let (_, other) = full_flow(&server, "norman.read norman.write", 0).await;
    assert_eq!(mcp_post(&server, Some(&access), &list).await.status(), 200);
    let revoked = server
        .http
        .post(server.url("/revoke"))
        .form(&[("token", tokens["refresh_token"].as_str().unwrap()), ("client_id", client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let refused = mcp_post(&server, Some(&access), &list).await;
    assert_eq!(refused.status(), 401);
    assert!(
        challenge(&refused).contains("grant of this access token has been revoked"),
        "{}",
        challenge(&refused)
    );
    // Another grant of the same user and client kind is untouched.
    assert_eq!(mcp_post(&server, Some(&token_of(&other)), &list).await.status(), 200);

    // A replayed code revokes the grant its first exchange created, access token included.
    let signed_in = sign_in(&server, "norman.read", 0).await;
    let exchange = signed_in.exchange();
    let first: Value = server.token(&exchange).await.json().await.unwrap();
    let access = token_of(&first);
    assert_eq!(mcp_post(&server, Some(&access), &list).await.status(), 200);
    assert_eq!(server.token(&exchange).await.status(), 400);
    assert_eq!(mcp_post(&server, Some(&access), &list).await.status(), 401);
    server.stop().await;
}

/// Forwards every request to `upstream`, holding those whose path contains `slow_part` for
/// `delay` first: a Norman that is slow, but within the deadline of each call.
async fn slow_norman(
    upstream: url::Url,
    slow_part: &'static str,
    delay: Duration,
) -> (url::Url, tokio::task::JoinHandle<()>) {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, Uri};
    let http = reqwest::Client::new();
    let handle = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (http, upstream) = (http.clone(), upstream.clone());
        async move {
            if uri.path().contains(slow_part) {
                tokio::time::sleep(delay).await;
            }
            forward(&http, &upstream, method, &uri, &headers, body).await
        }
    };
    serve_local(axum::Router::new().fallback(handle)).await
}

#[tokio::test]
async fn a_tool_making_several_slow_norman_calls_still_answers() {
    // Each Norman call takes most of its deadline; creating an invoice makes three in a row
    // (next number, the invoice, its PDF link), longer than one deadline plus a margin.
    let norman_timeout = Duration::from_secs(4);
    let sandbox = norman_sandbox::Sandbox::spawn(norman_sandbox::SandboxConfig::default()).await.unwrap();
    let (slow_url, proxy) = slow_norman(sandbox.url.clone(), "/invoices", Duration::from_millis(3500)).await;
    let server = TestServer::start_with(Options {
        norman_api_url: Some(slow_url),
        norman_api_timeout: norman_timeout,
        ..Options::default()
    })
    .await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let example = tool_examples::examples().into_iter().find(|(name, _)| *name == "create_invoice").unwrap();

    let started = std::time::Instant::now();
    let answer = mcp_call(&server, &token_of(&tokens), "create_invoice", example.1).await;
    assert!(started.elapsed() > norman_timeout + Duration::from_secs(5), "the calls were not slow enough");
    let invoice = tool_json(&answer);
    assert!(invoice["publicId"].is_string(), "{answer}");
    assert!(invoice["downloadUrl"].is_string(), "the PDF link, the third call: {answer}");

    server.stop().await;
    proxy.abort();
    sandbox.shutdown().await;
}

/// A caller that announces a body of `length` bytes, sends its first byte and stalls.
async fn stalled_upload(server: &TestServer, token: &str, length: usize) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
         MCP-Protocol-Version: {PROTOCOL}\r\nContent-Length: {length}\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

#[tokio::test]
async fn large_bodies_share_a_budget_and_the_overflow_is_turned_away() {
    use norman_mcp::mcp::{LARGE_BODIES_IN_FLIGHT_BYTES, MAX_MCP_BODY_BYTES};
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = token_of(&tokens);
    let large_call = || {
        let padding = "x".repeat(2 * 1024 * 1024);
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "get_company_details", "arguments": {}, "_meta": {"padding": padding}}})
    };

    // Callers announcing the largest bodies and sending them slowly hold the whole budget.
    let mut stalled = Vec::new();
    for _ in 0..LARGE_BODIES_IN_FLIGHT_BYTES / MAX_MCP_BODY_BYTES {
        stalled.push(stalled_upload(&server, &token, MAX_MCP_BODY_BYTES).await);
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let started = std::time::Instant::now();
    let turned_away = mcp_post(&server, Some(&token), &large_call()).await;
    assert_eq!(turned_away.status(), 503);
    assert!(started.elapsed() >= Duration::from_secs(2), "it waited for room first");
    assert_eq!(turned_away.headers()["retry-after"], "5");
    let body: Value = turned_away.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    // Small bodies, nearly every call, never wait for the budget.
    let small = mcp_call(&server, &token, "get_company_details", json!({})).await;
    assert!(small.get("result").is_some(), "{small}");

    // A caller that goes away gives its share back.
    drop(stalled.pop());
    let admitted = mcp_post(&server, Some(&token), &large_call()).await;
    assert_eq!(admitted.status(), 200);

    drop(stalled);
    server.stop().await;
}

/// A caller that sends its headers, then its body a byte at a time, gets the request timeout's
/// answer and its connection closed: reading the body (by the scope check of a read-only token,
/// or by rmcp) is inside the timeout.
#[tokio::test]
async fn a_body_that_trickles_in_is_cut_off_by_the_request_timeout() {
    use std::net::SocketAddr;

    use norman_mcp::config::Config;
    use norman_mcp::guard::MemoryGuard;
    use norman_mcp::keyring::{KeyFile, Keyring, SharedKeyring};
    use norman_mcp::server;
    use norman_mcp::tokens::NormanToken;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    // Never reached: no body arrives whole.
    let mut config = Config::local(address, url::Url::parse("http://127.0.0.1:9/").unwrap());
    config.norman_api_timeout = Duration::from_secs(1);
    config.mcp_request_timeout = Some(Duration::from_secs(1));
    let now = time::OffsetDateTime::now_utc();
    let keys = KeyFile::generate(now - time::Duration::minutes(1)).unwrap();
    let keyring = Arc::new(SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(&config.issuer())));
    let shared = server::Shared::new(&config, Arc::clone(&keyring), Arc::new(MemoryGuard::new())).unwrap();
    let app = shared.app(false);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await;
    });

    for scopes in [Scopes::READ, Scopes::ALL] {
        let grant = AccessGrant {
            client_id: "nmi_trickle".to_owned(),
            scopes,
            audience: config.mcp_url(),
            norman_access: NormanToken::new("norman-access-never-used".to_owned()),
            company_id: None,
            family_id: None,
            lifetime: access::DEFAULT_ACCESS_LIFETIME,
        };
        let token = access::mint(&keyring.current(), &grant, now).unwrap().token;
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        let head = format!(
            "POST /mcp HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n\
             MCP-Protocol-Version: {PROTOCOL}\r\nContent-Length: 1000\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let trickle = tokio::spawn(async move {
            while writer.write_all(b" ").await.is_ok() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let started = std::time::Instant::now();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), async {
            let mut buffer = [0u8; 1024];
            while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
                match reader.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => answer.extend_from_slice(&buffer[..n]),
                }
            }
        })
        .await;
        assert!(read.is_ok(), "{scopes}: no answer within 5 s while the body trickles in");
        let answer = String::from_utf8_lossy(&answer).into_owned();
        assert!(answer.starts_with("HTTP/1.1 504"), "{scopes}: {answer}");
        assert!(started.elapsed() < Duration::from_secs(3), "{scopes}: {:?}", started.elapsed());
        // The server hangs up although the caller keeps sending.
        let closed = tokio::time::timeout(Duration::from_secs(3), async {
            let mut buffer = [0u8; 1024];
            loop {
                match reader.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "{scopes}: the connection is still open");
        trickle.abort();
    }
    task.abort();
}

/// Tool results carry presigned download links (a credential in the URL); no log line does,
/// even at debug level, where rmcp would log every result.
#[tokio::test]
async fn presigned_download_links_never_reach_the_logs() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = token_of(&tokens);
    let example = tool_examples::examples().into_iter().find(|(name, _)| *name == "create_invoice").unwrap();
    let created = tool_json(&mcp_call(&server, &token, "create_invoice", example.1).await);
    let id = created["publicId"].as_str().expect("an invoice").to_owned();
    let fetched = tool_json(&mcp_call(&server, &token, "get_invoice", json!({ "invoice_id": id })).await);
    let mut secrets = Vec::new();
    for invoice in [&created, &fetched] {
        let link = invoice["downloadUrl"].as_str().expect("a presigned link").to_owned();
        let signature = link.rsplit('/').next().unwrap().to_owned();
        secrets.extend([link, signature]);
    }
    assert_not_logged(&secrets.iter().map(String::as_str).collect::<Vec<_>>());
    server.stop().await;
}
