//! Load run: the Norman client alone against the sandbox, `GET api/v1/companies/{cid}/` as
//! `get_company_details` sends it, from 32 concurrent tasks, client and sandbox in this
//! process. Prints calls per second and the process's CPU time per call (client, sandbox and
//! the kernel's loopback TCP together), which is what the client's own cost shows up in on a
//! machine whose two cores are shared: throughput alone moves with scheduling noise.
//!
//! `cargo bench --bench upstream_calls`; `DURATION` (seconds, default 6) and `TASKS` (default 32).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use norman_mcp::norman::NormanClient;
use norman_mcp::norman::api::{ApiBody, ApiRequest};
use norman_sandbox::{DEMO_USERS, Sandbox, SandboxConfig};

mod support;
use support::cpu_time;

/// The same allocator as the `norman-mcp` binary, so the run measures what ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let duration =
        Duration::from_secs(std::env::var("DURATION").ok().and_then(|v| v.parse().ok()).unwrap_or(6));
    let tasks: usize = std::env::var("TASKS").ok().and_then(|v| v.parse().ok()).unwrap_or(32);
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let sandbox = Sandbox::spawn(SandboxConfig::default()).await.unwrap();
        let norman = Arc::new(NormanClient::new(sandbox.url.clone(), Duration::from_secs(10)).unwrap());
        let user = DEMO_USERS[0];
        let token = Arc::new(norman.login(user.email, user.password).await.unwrap().access);
        let calls = Arc::new(AtomicU64::new(0));
        let (started, cpu_before) = (Instant::now(), cpu_time("self"));
        let workers: Vec<_> = (0..tasks)
            .map(|_| {
                let (norman, token, calls) = (Arc::clone(&norman), Arc::clone(&token), Arc::clone(&calls));
                tokio::spawn(async move {
                    while started.elapsed() < duration {
                        let request = ApiRequest {
                            method: http::Method::GET,
                            path: format!("api/v1/companies/{}/", user.company_id),
                            query: vec![("companyId", user.company_id.to_owned())],
                            body: ApiBody::Empty,
                            token: &token,
                        };
                        let response = norman.call(request).await.expect("the sandbox answers");
                        assert_eq!(response.status, 200);
                        assert!(response.json().is_some_and(|v| v["publicId"] == user.company_id));
                        calls.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap();
        }
        let (elapsed, cpu) = (started.elapsed(), cpu_time("self") - cpu_before);
        let calls = calls.load(Ordering::Relaxed);
        println!(
            "{tasks} tasks, {:.1} s: {:.0} calls/s, {:.1} µs CPU per call",
            elapsed.as_secs_f64(),
            calls as f64 / elapsed.as_secs_f64(),
            cpu.as_secs_f64() * 1e6 / calls as f64
        );
        sandbox.shutdown().await;
    });
}
