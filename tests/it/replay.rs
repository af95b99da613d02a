//! The replay guard across replicas, over real HTTP: two servers on one keyring and one real
//! `redis-server` (started per test on a free loopback port), and the per-replica guarantees
//! without it. Needs `redis-server` on the PATH (Debian package `redis-server`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::binary::{self, Running, serve_command};
use crate::support::*;
use norman_mcp::config::{ReplayConfig, ReplayStoreUrl};
use norman_mcp::guard::GuardSpace;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::Value;
use url::Url;

/// A `redis-server` of this test alone: no persistence, loopback only, killed on drop (also
/// when the test panics).
struct Redis {
    child: Option<Child>,
    port: u16,
    dir: tempfile::TempDir,
}

impl Redis {
    fn start() -> Redis {
        let port = free_port();
        let mut redis = Redis { child: None, port, dir: tempfile::tempdir().unwrap() };
        redis.restart();
        redis
    }

    /// Starts (again) on the same port, empty.
    fn restart(&mut self) {
        let spawned = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
                "redis-server is not installed; these tests need it: `apt-get install -y redis-server` \
                 (.ci/run installs it)"
            ),
            Err(error) => panic!("cannot start redis-server: {error}"),
        };
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers_ping() {
            assert!(Instant::now() < deadline, "redis-server did not come up on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let mut reply = [0u8; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut reply).is_ok()
            && &reply == b"+PONG\r\n"
    }

    /// SIGSTOP or SIGCONT: a Redis that accepts but does not answer, then answers again.
    fn signal(&self, name: &str) {
        let pid = self.child.as_ref().expect("redis-server runs").id().to_string();
        assert!(Command::new("kill").args([&format!("-{name}"), &pid]).status().unwrap().success());
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A stopped process still dies of SIGKILL; CONT first only to be tidy.
            let _ = Command::new("kill").args(["-CONT", &child.id().to_string()]).status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A generous timeout: a busy test machine must not open the circuit by accident.
    fn replay(&self, refresh_grace: Duration) -> ReplayConfig {
        ReplayConfig {
            store: Some(ReplayStoreUrl::parse(&format!("redis://127.0.0.1:{}", self.port)).unwrap()),
            refresh_grace,
            timeout: Duration::from_secs(2),
        }
    }

    /// Every key in the store, through redis-cli's protocol by hand.
    fn keys(&self) -> Vec<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        stream.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
        stream.write_all(b"KEYS *\r\n").unwrap();
        let mut reply = Vec::new();
        let mut buffer = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buffer[..n]);
        }
        String::from_utf8_lossy(&reply)
            .lines()
            .filter(|line| !line.starts_with('*') && !line.starts_with('$'))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Two replicas of one fleet: one keyring, one issuer, one Norman, one replay config.
async fn fleet(replay: impl Fn() -> ReplayConfig) -> (TestServer, TestServer) {
    let a = TestServer::start_with(Options { replay: replay(), ..Options::default() }).await;
    let b = TestServer::start_with(Options {
        norman_api_url: Some(a.sandbox.as_ref().unwrap().url.clone()),
        keys: Some(a.keys.clone()),
        public_url: Some(Url::parse(&a.issuer).unwrap()),
        replay: replay(),
        ..Options::default()
    })
    .await;
    (a, b)
}

async fn stop(a: TestServer, b: TestServer) {
    b.stop().await;
    a.stop().await;
}

async fn error_of(response: reqwest::Response) -> (StatusCode, String, String) {
    let status = response.status();
    let body: Value = response.json().await.expect("an OAuth error is JSON");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
        body["error_description"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Redeems a code signed in elsewhere on `on`, for the resource of the whole fleet.
async fn exchange(on: &TestServer, signed_in: &SignedIn) -> reqwest::Response {
    let resource = on.resource();
    let mut form = signed_in.exchange().to_vec();
    form.push(("resource", &resource));
    on.token(&form).await
}

/// Exchanges the code once the store is back: 503 while it is away, for at most 15 s, then
/// 200.
async fn exchange_once_back(server: &TestServer, signed_in: &SignedIn) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = exchange(server, signed_in).await;
        if response.status() == StatusCode::OK {
            return;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(Instant::now() < deadline, "the store did not come back");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn tokens_of(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

fn refresh_token_of(tokens: &Value) -> String {
    tokens["refresh_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_code_redeemed_on_one_replica_is_refused_on_another() {
    let redis = Redis::start();
    let (a, b) = fleet(|| redis.replay(Duration::from_secs(30))).await;
    let signed_in = sign_in(&a, "", 0).await;

    let tokens = tokens_of(exchange(&a, &signed_in).await).await;
    let (status, error, _) = error_of(exchange(&b, &signed_in).await).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    // The replay revoked what the code issued, on every replica.
    let (_, error, _) = error_of(refresh_with(&a, &refresh_token_of(&tokens)).await).await;
    assert_eq!(error, "invalid_grant");

    // Redis holds only namespaced hashes, each with an expiry.
    let keys = redis.keys();
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(key.starts_with("norman-mcp:guard:") && key.len() == 17 + 43, "{key}");
    }
    assert_not_logged(&[&signed_in.code, &signed_in.pkce.verifier, &refresh_token_of(&tokens)]);
    stop(a, b).await;
}

#[tokio::test]
async fn a_rotated_refresh_token_reused_after_the_grace_window_revokes_its_family() {
    let redis = Redis::start();
    let grace = Duration::from_millis(1500);
    let (a, b) = fleet(|| redis.replay(grace)).await;
    let (_, tokens) = full_flow(&a, "", 0).await;
    let first = refresh_token_of(&tokens);

    let second = refresh_token_of(&tokens_of(refresh_with(&a, &first).await).await);
    // Within the grace window another replica cannot share A's answer: a plain refusal that
    // leaves the grant alone, so the tokens A handed out stay good.
    let (status, error, description) = error_of(refresh_with(&b, &first).await).await;
    assert_eq!((status, error.as_str()), (StatusCode::BAD_REQUEST, "invalid_grant"));
    assert!(description.contains("concurrent"), "{description}");
    let third = refresh_token_of(&tokens_of(refresh_with(&b, &second).await).await);

    // After the grace window the old token is a copy: refused, and its family with it.
    tokio::time::sleep(grace + Duration::from_millis(300)).await;
    let (_, error, description) = error_of(refresh_with(&b, &first).await).await;
    assert_eq!(error, "invalid_grant");
    assert!(description.contains("already used"), "{description}");
    let (_, error, description) = error_of(refresh_with(&a, &third).await).await;
    assert_eq!(error, "invalid_grant", "the newest token of the family is refused too");
    assert!(description.contains("revoked"), "{description}");
    assert!(logs().contains("rotated refresh token presented again; grant revoked"));
    assert_not_logged(&[&first, &second, &third]);
    stop(a, b).await;
}

#[tokio::test]
async fn concurrent_refreshes_on_two_replicas_rotate_once_and_keep_the_grant() {
    let redis = Redis::start();
    let (a, b) = fleet(|| redis.replay(Duration::from_secs(30))).await;
    let (_, tokens) = full_flow(&a, "", 0).await;
    let first = refresh_token_of(&tokens);
    let sandbox = a.sandbox.as_ref().unwrap().sandbox.clone();
    let before = sandbox.stats();

    let calls: Vec<_> = (0..8)
        .map(|i| {
            let server = if i % 2 == 0 { &a } else { &b };
            let (http, url, token) = (server.http.clone(), server.url("/token"), first.clone());
            tokio::spawn(async move {
                let response = http
                    .post(url)
                    .form(&[("grant_type", "refresh_token"), ("refresh_token", token.as_str())])
                    .send()
                    .await
                    .unwrap();
                (i % 2, response.status(), response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut winners = std::collections::HashSet::new();
    let mut issued = Vec::new();
    for call in calls {
        let (replica, status, body) = call.await.unwrap();
        match status {
            StatusCode::OK => {
                winners.insert(replica);
                issued.push(refresh_token_of(&body));
            }
            _ => assert_eq!(body["error"], "invalid_grant", "{body}"),
        }
    }
    let after = sandbox.stats();
    assert_eq!(after.refreshes_ok - before.refreshes_ok, 1, "one upstream refresh in the whole fleet");
    assert_eq!(after.refreshes_rejected, before.refreshes_rejected);
    assert_eq!(winners.len(), 1, "only the replica that rotated can answer with tokens");
    assert!(!issued.is_empty());
    // The grant lives on: a token from the winning answers refreshes on either replica.
    tokens_of(refresh_with(&b, &issued[0]).await).await;
    stop(a, b).await;
}

#[tokio::test]
async fn a_revocation_on_one_replica_holds_on_every_replica() {
    let redis = Redis::start();
    let (a, b) = fleet(|| redis.replay(Duration::from_secs(30))).await;
    let (client_id, tokens) = full_flow(&a, "", 0).await;
    let access = tokens["access_token"].as_str().unwrap();

    let revoke = async |on: &TestServer, token: &str| {
        on.http
            .post(on.url("/revoke"))
            .form(&[("token", token), ("client_id", &client_id)])
            .send()
            .await
            .unwrap()
    };
    assert_eq!(revoke(&a, &refresh_token_of(&tokens)).await.status(), StatusCode::OK);
    let (_, error, _) = error_of(refresh_with(&b, &refresh_token_of(&tokens)).await).await;
    assert_eq!(error, "invalid_grant");

    // An access token revoked on B is on A's deny list (what A's bearer check asks).
    assert_eq!(revoke(&b, access).await.status(), StatusCode::OK);
    let a_auth = &a.server.as_ref().unwrap().shared;
    let now = time::OffsetDateTime::now_utc();
    let principal = a_auth.verifier.verify(&a.keyring.current(), access, &a.resource(), now).unwrap();
    assert!(a_auth.guard.contains(GuardSpace::DeniedAccess, &principal.token_id).await.unwrap());
    stop(a, b).await;
}

#[tokio::test]
async fn an_unreachable_store_fails_token_closed_and_fast() {
    let mut redis = Redis::start();
    // The default timeout, as in production.
    let replay =
        ReplayConfig { timeout: ReplayConfig::default().timeout, ..redis.replay(Duration::from_secs(30)) };
    let server = TestServer::start_with(Options { replay, ..Options::default() }).await;
    let (_, tokens) = full_flow(&server, "", 0).await;
    let signed_in = sign_in(&server, "", 0).await;
    redis.kill();

    for _ in 0..3 {
        let started = Instant::now();
        let response = exchange(&server, &signed_in).await;
        assert!(started.elapsed() < Duration::from_secs(2), "answered in {:?}", started.elapsed());
        assert_eq!(response.headers()[RETRY_AFTER], "5");
        let (status, error, _) = error_of(response).await;
        assert_eq!((status, error.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"));
    }
    let (status, error, _) = error_of(refresh_with(&server, &refresh_token_of(&tokens)).await).await;
    assert_eq!((status, error.as_str()), (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"));
    let response = server
        .http
        .post(server.url("/revoke"))
        .form(&[("token", &refresh_token_of(&tokens))])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);

    // What the MCP bearer check asks: an error, within the store timeout, never a hang.
    let guard = &server.server.as_ref().unwrap().shared.guard;
    for _ in 0..3 {
        let started = Instant::now();
        assert!(guard.contains(GuardSpace::DeniedAccess, "some-token-id").await.is_err());
        assert!(started.elapsed() <= Duration::from_millis(400), "{:?}", started.elapsed());
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    assert_eq!(server.http.get(server.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    let address = format!("store=127.0.0.1:{}", redis.port);
    let outage_lines = |logs: &str| {
        logs.lines().filter(|l| l.contains("replay store unreachable") && l.contains(&address)).count()
    };
    assert_eq!(outage_lines(&logs()), 1, "one log line per outage");

    // Back again: the code, never spent by the refused attempts, now works once.
    redis.restart();
    exchange_once_back(&server, &signed_in).await;
    let logs = logs();
    assert!(logs.lines().any(|l| l.contains("replay store reachable again") && l.contains(&address)));
    assert_not_logged(&[&signed_in.code, &refresh_token_of(&tokens)]);
    server.stop().await;
}

#[tokio::test]
async fn a_frozen_store_costs_at_most_the_timeout_and_recovers() {
    let redis = Redis::start();
    let replay =
        ReplayConfig { timeout: ReplayConfig::default().timeout, ..redis.replay(Duration::from_secs(30)) };
    let server = TestServer::start_with(Options { replay, ..Options::default() }).await;
    let signed_in = sign_in(&server, "", 0).await;
    let guard = &server.server.as_ref().unwrap().shared.guard;
    assert!(!guard.contains(GuardSpace::DeniedAccess, "some-token-id").await.unwrap());

    redis.signal("STOP");
    let started = Instant::now();
    assert!(guard.contains(GuardSpace::DeniedAccess, "some-token-id").await.is_err());
    assert!(started.elapsed() <= Duration::from_millis(400), "{:?}", started.elapsed());
    let started = Instant::now();
    let response = exchange(&server, &signed_in).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());

    redis.signal("CONT");
    exchange_once_back(&server, &signed_in).await;
    assert_eq!(error_of(exchange(&server, &signed_in).await).await.1, "invalid_grant");
    server.stop().await;
}

#[tokio::test]
async fn without_a_store_each_replica_guards_on_its_own() {
    let grace = Duration::from_millis(500);
    let (a, b) = fleet(|| ReplayConfig { refresh_grace: grace, ..ReplayConfig::default() }).await;

    // A code is single-use per replica: twice on A is refused, but B does not know A spent it.
    let signed_in = sign_in(&a, "", 0).await;
    tokens_of(exchange(&a, &signed_in).await).await;
    assert_eq!(error_of(exchange(&a, &signed_in).await).await.1, "invalid_grant");
    let signed_in = sign_in(&a, "", 0).await;
    tokens_of(exchange(&a, &signed_in).await).await;
    tokens_of(exchange(&b, &signed_in).await).await;

    // Refresh reuse is detected on the replica that rotated the token.
    let (_, tokens) = full_flow(&a, "", 0).await;
    let first = refresh_token_of(&tokens);
    let second = refresh_token_of(&tokens_of(refresh_with(&a, &first).await).await);
    tokio::time::sleep(grace + Duration::from_millis(200)).await;
    assert_eq!(error_of(refresh_with(&a, &first).await).await.1, "invalid_grant");
    assert_eq!(
        error_of(refresh_with(&a, &second).await).await.1,
        "invalid_grant",
        "the family is revoked on A"
    );
    // B never saw the rotation nor the revocation: the rotated token still refreshes there.
    tokens_of(refresh_with(&b, &second).await).await;

    // A revocation on A is not seen by B either.
    let (client_id, tokens) = full_flow(&a, "", 0).await;
    let revoked = a
        .http
        .post(a.url("/revoke"))
        .form(&[("token", refresh_token_of(&tokens).as_str()), ("client_id", &client_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_eq!(error_of(refresh_with(&a, &refresh_token_of(&tokens)).await).await.1, "invalid_grant");
    tokens_of(refresh_with(&b, &refresh_token_of(&tokens)).await).await;
    stop(a, b).await;
}

#[test]
fn serve_with_an_unreachable_store_starts_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    norman_mcp::keyring::KeyFile::generate(time::OffsetDateTime::now_utc()).unwrap().create(&keys).unwrap();
    let out = binary::command()
        .args(["serve", "--keys", keys.to_str().unwrap(), "--replay-store", "rediss://cache:6380"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("redis://HOST:PORT"), "{err}");

    // A port nobody listens on, with a password in the URL that must never be logged.
    let closed = free_port();
    let served = Running::spawn(
        serve_command(&keys, free_port(), "http://127.0.0.1:9/")
            .env("NORMAN_MCP_REPLAY_STORE", format!("redis://:pw-not-for-logs@127.0.0.1:{closed}")),
    );
    let text = served.wait_for_log("listening");
    drop(served);
    assert!(
        text.contains("replay store unreachable") && text.contains(&format!("127.0.0.1:{closed}")),
        "{text}"
    );
    assert!(!text.contains("pw-not-for-logs"), "{text}");
}
