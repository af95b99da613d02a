//! Load run: authorization_code exchanges per second at `POST /token`, over real HTTP on
//! loopback, against the sandbox Norman API. Codes are sealed ahead of time with the server's
//! keyring (each code is single-use), so the run measures the token endpoint alone: open the
//! code, resolve the client, PKCE, the replay guard, mint the Biscuit, seal the refresh token.
//!
//! `cargo bench --bench token_exchange` prints throughput and latency percentiles; set
//! `EXCHANGES` and `CONNECTIONS` to change the run.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use norman_mcp::norman::NormanClient;
use norman_mcp::oauth::register::{self, RegistrationRequest};
use norman_mcp::scope::Scopes;
use norman_mcp::seal;
use norman_mcp::tokens::code::{AuthorizationCode, CODE_LIFETIME};
use norman_mcp::tokens::random_id;
use norman_sandbox::{DEMO_USERS, Sandbox, SandboxConfig};
use sha2::{Digest, Sha256};

#[path = "support/server.rs"]
mod server;

const REDIRECT: &str = "http://127.0.0.1:6276/oauth/callback";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    // criterion-style flags (`--bench`) are ignored.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let exchanges = env_or("EXCHANGES", 40_000);
    let sandbox = Sandbox::spawn(SandboxConfig::default()).await.unwrap();
    let (config, keyring, server) = server::start(sandbox.url.clone()).await;
    let now = time::OffsetDateTime::now_utc();

    let ring = keyring.current();
    let client_id = register::register(
        &ring,
        RegistrationRequest {
            redirect_uris: Some(vec![REDIRECT.to_owned()]),
            token_endpoint_auth_method: Some("none".into()),
            client_name: Some("bench".into()),
            ..Default::default()
        },
        now,
    )
    .unwrap()
    .client_id;
    let norman = NormanClient::new(sandbox.url.clone(), Duration::from_secs(10)).unwrap();
    let upstream = norman.login(DEMO_USERS[0].email, DEMO_USERS[0].password).await.unwrap();
    let verifier = "bench-verifier-".to_owned() + &"v".repeat(40);
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let token_url = format!("{}/token", config.issuer());

    for connections in [env_or("CONNECTIONS", 8), 32] {
        // Codes live 60 s: seal a fresh batch for each run.
        let sealed_at = time::OffsetDateTime::now_utc();
        let codes: Vec<String> = (0..exchanges)
            .map(|_| {
                let code = AuthorizationCode {
                    code_id: random_id().unwrap(),
                    client_id: client_id.clone(),
                    redirect_uri: REDIRECT.to_owned(),
                    redirect_uri_given: true,
                    code_challenge: challenge.clone(),
                    scope: Scopes::ALL,
                    resource: Some(config.mcp_url()),
                    norman_access: upstream.access.clone(),
                    norman_refresh: upstream.refresh.clone().unwrap(),
                    company_id: Some(DEMO_USERS[0].company_id.to_owned()),
                    method: Default::default(),
                    expires_at: sealed_at + CODE_LIFETIME,
                };
                seal::seal(&ring, &code, sealed_at).unwrap()
            })
            .collect();
        let codes = Arc::new(std::sync::Mutex::new(codes));
        let http = reqwest::Client::builder().pool_max_idle_per_host(connections).build().unwrap();
        let started = Instant::now();
        let workers: Vec<_> = (0..connections)
            .map(|_| {
                let (codes, http, url, client_id, verifier) = (
                    Arc::clone(&codes),
                    http.clone(),
                    token_url.clone(),
                    client_id.clone(),
                    verifier.clone(),
                );
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    let mut failures = 0usize;
                    loop {
                        let Some(code) = codes.lock().unwrap().pop() else { break };
                        let t = Instant::now();
                        let response = http
                            .post(&url)
                            .form(&[
                                ("grant_type", "authorization_code"),
                                ("code", code.as_str()),
                                ("redirect_uri", REDIRECT),
                                ("client_id", client_id.as_str()),
                                ("code_verifier", verifier.as_str()),
                            ])
                            .send()
                            .await;
                        match response {
                            Ok(r) if r.status() == 200 => {
                                let _ = r.bytes().await;
                                latencies.push(t.elapsed());
                            }
                            _ => failures += 1,
                        }
                    }
                    (latencies, failures)
                })
            })
            .collect();
        let mut latencies = Vec::new();
        let mut failures = 0;
        for worker in workers {
            let (l, f) = worker.await.unwrap();
            latencies.extend(l);
            failures += f;
        }
        let elapsed = started.elapsed();
        latencies.sort();
        let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
        println!(
            "token_exchange connections={connections} exchanges={} failures={failures} elapsed={:.2}s \
             rate={:.0}/s p50={:.2}ms p99={:.2}ms",
            latencies.len(),
            elapsed.as_secs_f64(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            pct(0.50).as_secs_f64() * 1e3,
            pct(0.99).as_secs_f64() * 1e3,
        );
    }
    server.stop().await;
    sandbox.shutdown().await;
}
