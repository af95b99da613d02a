//! The real binary's `stdio` command against the sandbox: JSON-RPC on its stdin and stdout,
//! sign-in from the environment, Norman tokens renewed when Norman refuses them, and the end
//! when stdin closes.

use std::process::Stdio;
use std::time::Duration;

use norman_mcp::mcp::catalogue::Catalogue;
use norman_sandbox::{DEMO_USERS, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use crate::support::{binary, json_of};

/// `norman-mcp stdio` with pipes for stdin and stdout and its stderr in a file.
struct StdioServer {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    /// Every line read from stdout, to check that each was JSON-RPC.
    seen: Vec<String>,
    stderr: tempfile::NamedTempFile,
}

/// The command with `env` as its only Norman settings besides the sandbox's URL.
fn command(sandbox: &SandboxHandle, env: &[(&str, &str)]) -> tokio::process::Command {
    let mut command = binary::command();
    command.args(["stdio", "--norman-api-url", sandbox.url.as_str()]);
    command.envs(env.iter().copied());
    let mut command = tokio::process::Command::from(command);
    command.kill_on_drop(true);
    command
}

impl StdioServer {
    fn spawn(sandbox: &SandboxHandle, env: &[(&str, &str)]) -> StdioServer {
        let stderr = tempfile::NamedTempFile::new().unwrap();
        let mut child = command(sandbox, env)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr.reopen().unwrap())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        StdioServer { child, stdin, stdout, seen: Vec::new(), stderr }
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.stderr.path()).unwrap()
    }

    async fn send(&mut self, message: Value) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        let mut line = serde_json::to_vec(&message).unwrap();
        line.push(b'\n');
        stdin.write_all(&line).await.unwrap();
        stdin.flush().await.unwrap();
    }

    /// The next message on stdout; fails the test after 20 s.
    async fn receive(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(20), self.stdout.next_line())
            .await
            .unwrap_or_else(|_| panic!("no answer on stdout; stderr:\n{}", self.stderr()))
            .unwrap()
            .unwrap_or_else(|| panic!("stdout closed; stderr:\n{}", self.stderr()));
        self.seen.push(line.clone());
        serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON on stdout: {line}"))
    }

    /// A request's result (the request must succeed).
    async fn request(&mut self, id: u64, method: &str, params: Value) -> Value {
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        let answer = self.receive().await;
        assert_eq!(answer["id"], id, "{answer}");
        assert!(answer.get("error").is_none(), "{method} failed: {answer}");
        answer["result"].clone()
    }

    async fn initialize(&mut self) -> Value {
        let params = json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": { "name": "stdio-test", "version": "1" },
        });
        let result = self.request(1, "initialize", params).await;
        self.send(json!({ "jsonrpc": "2.0", "method": "notifications/initialized" })).await;
        result
    }

    /// Closes stdin; the process must end on its own with success, having written nothing but
    /// JSON-RPC messages to stdout. Returns its stderr.
    async fn close(mut self) -> String {
        drop(self.stdin.take());
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("still running after stdin closed; stderr:\n{}", self.stderr()))
            .unwrap();
        while let Some(line) = self.stdout.next_line().await.unwrap() {
            self.seen.push(line);
        }
        assert!(status.success(), "exit {status}; stderr:\n{}", self.stderr());
        for line in &self.seen {
            let message: Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
            assert_eq!(message["jsonrpc"], "2.0", "{line}");
        }
        self.stderr()
    }
}

/// A tool's result parsed from its one text block; fails the test on `isError`.
fn tool_json(result: &Value) -> Value {
    assert_ne!(result["isError"], true, "{result}");
    serde_json::from_str(result["content"][0]["text"].as_str().unwrap()).unwrap()
}

fn call(name: &str, arguments: Value) -> Value {
    json!({ "name": name, "arguments": arguments })
}

fn demo_login() -> [(&'static str, &'static str); 2] {
    [("NORMAN_EMAIL", DEMO_USERS[0].email), ("NORMAN_PASSWORD", DEMO_USERS[0].password)]
}

/// Tokens as Norman's login gives them, for the token sign-in.
async fn norman_tokens(sandbox: &SandboxHandle) -> (String, String) {
    let user = &DEMO_USERS[0];
    let body = json!({ "username": "demo", "email": user.email, "password": user.password });
    let answer: Value =
        json_of(reqwest::Client::new().post(sandbox.url.join("api/v1/auth/token/").unwrap()).json(&body))
            .await;
    (answer["access"].as_str().unwrap().to_owned(), answer["refresh"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn stdio_serves_the_catalogue_as_the_signed_in_person_until_stdin_closes() {
    let sandbox = Sandbox::spawn(SandboxConfig::default()).await.unwrap();
    let mut server = StdioServer::spawn(&sandbox, &demo_login());
    let info = server.initialize().await;
    assert_eq!(info["serverInfo"]["name"], "norman-mcp", "{info}");
    assert!(info["capabilities"]["tools"].is_object(), "{info}");

    let listed = server.request(2, "tools/list", json!({})).await;
    let names: Vec<&str> =
        listed["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    let catalogue: Vec<String> =
        Catalogue::default().tools().into_iter().map(|tool| tool.name.into_owned()).collect();
    assert_eq!(names, catalogue, "the same catalogue as /mcp");

    let company = tool_json(&server.request(3, "tools/call", call("get_company_details", json!({}))).await);
    assert_eq!(company["name"], DEMO_USERS[0].company_name);
    assert_eq!(company["publicId"], DEMO_USERS[0].company_id);

    let created = tool_json(
        &server.request(4, "tools/call", call("create_client", json!({ "name": "Café Stdio" }))).await,
    );
    let id = created["publicId"].as_str().unwrap().to_owned();
    let clients = tool_json(&server.request(5, "tools/call", call("list_clients", json!({}))).await);
    assert!(clients["results"].as_array().unwrap().iter().any(|c| c["publicId"] == id.as_str()), "{clients}");

    let stderr = server.close().await;
    assert!(stderr.contains("signed in to Norman"), "{stderr}");
    assert!(!stderr.contains(DEMO_USERS[0].password), "the password reached stderr");
    assert_eq!(sandbox.sandbox.stats().logins_ok, 1);
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_refused_sign_in_ends_stdio_with_a_message_before_serving() {
    let sandbox = Sandbox::spawn(SandboxConfig::default()).await.unwrap();
    let wrong_password = "not-the-demo-password";
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("NORMAN_EMAIL", DEMO_USERS[0].email), ("NORMAN_PASSWORD", wrong_password)],
            "refused the email and password",
        ),
        (&[("NORMAN_EMAIL", DEMO_USERS[0].email)], "NORMAN_PASSWORD is not"),
        (&[("NORMAN_ACCESS_TOKEN", "not-a-norman-token-at-all")], "refused the token"),
        (&[], "NORMAN_EMAIL and NORMAN_PASSWORD"),
    ];
    for (env, message) in cases {
        let out = command(&sandbox, env).stdin(Stdio::null()).output().await.unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{env:?}: {stderr}");
        assert!(stderr.contains("error:") && stderr.contains(message), "{env:?}: {stderr}");
        assert!(!stderr.contains(wrong_password) && !stderr.contains("not-a-norman-token"), "{stderr}");
        assert!(out.stdout.is_empty(), "nothing is served: {}", String::from_utf8_lossy(&out.stdout));
    }
    assert_eq!(sandbox.sandbox.stats().logins_failed, 1);
    assert_eq!(sandbox.sandbox.stats().api_calls, 0);
    sandbox.shutdown().await;
}

/// Norman refuses the access token mid-session: calls that race share one renewal (Norman
/// spends a refresh token when it renews), and every call still succeeds.
#[tokio::test]
async fn an_expired_norman_token_is_renewed_once_for_racing_calls_which_all_succeed() {
    let sandbox = Sandbox::spawn(SandboxConfig::default()).await.unwrap();
    let mut server = StdioServer::spawn(&sandbox, &demo_login());
    server.initialize().await;
    tool_json(&server.request(2, "tools/call", call("get_company_details", json!({}))).await);

    sandbox.sandbox.expire_access_tokens_of(DEMO_USERS[0].email);
    let ids = 10..14;
    for id in ids.clone() {
        let request = json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": call("list_clients", json!({})) });
        server.send(request).await;
    }
    let mut answered = Vec::new();
    for _ in ids.clone() {
        let answer = server.receive().await;
        tool_json(&answer["result"]);
        answered.push(answer["id"].as_u64().unwrap());
    }
    answered.sort_unstable();
    assert_eq!(answered, ids.collect::<Vec<_>>());
    let stats = sandbox.sandbox.stats();
    assert_eq!((stats.refreshes_ok, stats.refreshes_rejected), (1, 0), "{stats:?}");
    assert!(stats.unauthorized >= 1, "Norman refused the old token: {stats:?}");

    server.close().await;
    sandbox.shutdown().await;
}

/// A short Norman access token lifetime: it runs out between calls and is renewed. The
/// sandbox rounds a token's expiry up to the next second, so a one-second token lives at most
/// two.
#[tokio::test]
async fn stdio_signs_in_with_norman_tokens_and_renews_them_when_they_run_out() {
    let config = SandboxConfig { access_ttl: Duration::from_secs(1), ..SandboxConfig::default() };
    let sandbox = Sandbox::spawn(config).await.unwrap();
    let (access, refresh) = norman_tokens(&sandbox).await;
    let mut server =
        StdioServer::spawn(&sandbox, &[("NORMAN_ACCESS_TOKEN", &access), ("NORMAN_REFRESH_TOKEN", &refresh)]);
    server.initialize().await;
    let company = tool_json(&server.request(2, "tools/call", call("get_company_details", json!({}))).await);
    assert_eq!(company["publicId"], DEMO_USERS[0].company_id);
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let company = tool_json(&server.request(3, "tools/call", call("get_company_details", json!({}))).await);
    assert_eq!(company["publicId"], DEMO_USERS[0].company_id);
    assert!(sandbox.sandbox.stats().refreshes_ok >= 1);

    let stderr = server.close().await;
    assert!(!stderr.contains(&access) && !stderr.contains(&refresh), "a token reached stderr");
    sandbox.shutdown().await;
}

#[test]
fn stdio_help_names_every_setting() {
    let out = binary::command().args(["stdio", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for setting in [
        "NORMAN_EMAIL",
        "NORMAN_PASSWORD",
        "NORMAN_ACCESS_TOKEN",
        "NORMAN_REFRESH_TOKEN",
        "NORMAN_API_URL",
        "NORMAN_ENVIRONMENT",
        "--norman-api-url",
        "stderr",
    ] {
        assert!(help.contains(setting), "{setting} is not in the help:\n{help}");
    }
}
