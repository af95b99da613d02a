//! Load run: `tools/call get_company_details` at `POST /mcp` with a valid (cached) access
//! token, through the whole stack (origin check, bearer middleware, rmcp, the catalogue, one
//! pooled upstream call to the sandbox Norman API over loopback HTTP), driven by `wrk`.
//!
//! `cargo bench --bench mcp_calls` starts the sandbox Norman API as its own process
//! (`norman-mcp sandbox`, as Norman is another service in production) and the server in this
//! process, mints a token for a demo user, then runs `wrk` (Debian package `wrk`) at 8 and 32
//! connections and prints wrk's figures and the CPU time per call of each of the three
//! processes, which share the machine's cores. `DURATION` (seconds, default 15) and
//! `CONNECTIONS` (comma-separated) change the run. Every answer is checked: the Lua script
//! counts non-200 responses and bodies that are not the caller's company, and the run fails if
//! there is any. `PROBE=ping` sends `ping` instead: the same stack without the tool and its
//! upstream call, for comparison. `PROBE=tools-list` sends `tools/list` (on every client's
//! connect path) and prints the answer's size first.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

use norman_mcp::norman::NormanClient;
use norman_mcp::scope::Scopes;
use norman_mcp::tokens::access::{self, AccessGrant};
use norman_sandbox::DEMO_USERS;

#[path = "support/server.rs"]
mod server;
mod support;
use support::cpu_time;

/// The same allocator as the `norman-mcp` binary, so the run measures what ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SCRIPT: &str = r#"
wrk.method = "POST"
wrk.body = os.getenv("MCP_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["MCP-Protocol-Version"] = "2025-11-25"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("MCP_TOKEN")
local expected = os.getenv("EXPECTED")
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  bad = 0
end
function response(status, headers, body)
  if status ~= 200 or not string.find(body, expected, 1, true) then
    bad = bad + 1
  end
end
function done(summary, latency, requests)
  local total_bad = 0
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
  end
  io.write(string.format("BAD %d\n", total_bad))
  io.write(string.format("P50_US %d\nP99_US %d\n", latency:percentile(50), latency:percentile(99)))
end
"#;

/// `norman-mcp sandbox` on a free port, stopped when dropped.
struct SandboxProcess {
    child: Child,
    url: url::Url,
    /// Kept open: the sandbox would fail writing to a closed pipe.
    _stdout: BufReader<ChildStdout>,
}

impl SandboxProcess {
    fn start() -> SandboxProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_norman-mcp"))
            .args(["sandbox", "--bind", "127.0.0.1:0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("norman-mcp sandbox starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("the sandbox prints its address");
        let url = line.trim().strip_prefix("sandbox Norman API on ").expect("the sandbox's address line");
        SandboxProcess { url: url::Url::parse(url).expect("a URL"), child, _stdout: stdout }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let duration: u64 = std::env::var("DURATION").ok().and_then(|v| v.parse().ok()).unwrap_or(15);
    let connections: Vec<u32> = std::env::var("CONNECTIONS")
        .unwrap_or_else(|_| "8,32".to_owned())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("wrk is not installed: apt-get install wrk");
        std::process::exit(1);
    }

    let sandbox = SandboxProcess::start();
    let sandbox_pid = sandbox.child.id().to_string();
    let (config, keyring, server) = server::start(sandbox.url.clone()).await;
    let now = time::OffsetDateTime::now_utc();

    let user = DEMO_USERS[0];
    let norman = NormanClient::new(sandbox.url.clone(), Duration::from_secs(10)).unwrap();
    let upstream = norman.login(user.email, user.password).await.unwrap();
    let grant = AccessGrant {
        client_id: "bench".to_owned(),
        scopes: Scopes::ALL,
        audience: config.mcp_url(),
        norman_access: upstream.access,
        company_id: Some(user.company_id.to_owned()),
        family_id: None,
        lifetime: norman_mcp::tokens::access::DEFAULT_ACCESS_LIFETIME,
    };
    let token = access::mint(&keyring.current(), &grant, now).unwrap().token;

    let probe = std::env::var("PROBE").unwrap_or_default();
    let (body, expected, what) = match probe.as_str() {
        "ping" => (r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, r#""result""#.to_owned(), "ping"),
        "tools-list" => (
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
            r#""get_company_details""#.to_owned(),
            "tools/list",
        ),
        _ => (
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_company_details","arguments":{}}}"#,
            user.company_id.to_owned(),
            "tools/call get_company_details",
        ),
    };
    let answer = reqwest::Client::new()
        .post(config.mcp_url())
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .body(body)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    println!("{what}: the answer is {} bytes", answer.len());
    let mut script = tempfile::NamedTempFile::new().unwrap();
    script.write_all(SCRIPT.as_bytes()).unwrap();
    let url = config.mcp_url();
    println!("{what}, {duration} s per run, wrk 2 threads");
    println!(
        "connections  calls/s  p50  p99  (wrk --latency)  checked answers  \
         CPU per call (middle half of the run): server, sandbox, wrk"
    );
    let mut failed = false;
    for c in connections {
        // wrk blocks; run it off the runtime so the server keeps serving.
        let (script_path, url, token, expected, sandbox_pid) =
            (script.path().to_owned(), url.clone(), token.clone(), expected.clone(), sandbox_pid.clone());
        let (output, cpu) = tokio::task::spawn_blocking(move || {
            let wrk = Command::new("wrk")
                .args(["-t2", &format!("-c{c}"), &format!("-d{duration}s"), "--latency", "-s"])
                .arg(&script_path)
                .arg(&url)
                .env("MCP_TOKEN", token)
                .env("EXPECTED", expected)
                .env("MCP_BODY", body)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("wrk runs");
            let pids = ["self".to_owned(), sandbox_pid, wrk.id().to_string()];
            // The middle half of the run: no connection set-up or wind-down in the figures.
            std::thread::sleep(Duration::from_millis(duration * 250));
            let before = pids.each_ref().map(|pid| cpu_time(pid));
            std::thread::sleep(Duration::from_millis(duration * 500));
            let after = pids.each_ref().map(|pid| cpu_time(pid));
            let cpu: [Duration; 3] = std::array::from_fn(|i| after[i].saturating_sub(before[i]));
            (wrk.wait_with_output().expect("wrk finishes"), cpu)
        })
        .await
        .unwrap();
        let text = String::from_utf8_lossy(&output.stdout);
        let field = |prefix: &str| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(prefix))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let bad: u64 = field("BAD").parse().unwrap_or(u64::MAX);
        let p50: f64 = field("P50_US").parse().unwrap_or(f64::NAN);
        let p99: f64 = field("P99_US").parse().unwrap_or(f64::NAN);
        let rate: f64 = field("Requests/sec:").parse().unwrap_or(f64::NAN);
        // CPU seconds in the window over the calls in it (the run's mean rate times the window).
        let per_call = |cpu: Duration| cpu.as_secs_f64() * 1e6 / (rate * duration as f64 * 0.5);
        println!(
            "{c:>11}  {rate:>7.0}  {:.2} ms  {:.2} ms  bad answers: {bad}  {:.0} µs, {:.0} µs, {:.0} µs",
            p50 / 1000.0,
            p99 / 1000.0,
            per_call(cpu[0]),
            per_call(cpu[1]),
            per_call(cpu[2]),
        );
        if bad != 0 || !output.status.success() {
            eprintln!("{text}\n{}", String::from_utf8_lossy(&output.stderr));
            failed = true;
            break;
        }
    }
    server.stop().await;
    drop(sandbox);
    if failed {
        std::process::exit(1);
    }
}
