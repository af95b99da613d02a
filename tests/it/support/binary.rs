//! The real binary (`CARGO_BIN_EXE_norman-mcp`): run to its end, or started in the background
//! with its log in a file and stopped when the test ends, also when it fails half-way.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary, logging at info, with none of the `NORMAN_*` settings of the environment the
/// tests run in: each test passes the flags and variables it means.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_norman-mcp"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("NORMAN_") {
            command.env_remove(name);
        }
    }
    command.env("NORMAN_MCP_LOG", "info");
    command
}

/// `serve` with a key file, a port and a Norman API; more flags or variables go on top.
pub fn serve_command(keys: &Path, port: u16, norman_api_url: &str) -> Command {
    let mut command = command();
    command.args(["serve", "--keys", keys.to_str().unwrap(), "--port", &port.to_string()]);
    command.args(["--norman-api-url", norman_api_url]);
    command
}

/// A background run of the binary with its log (stderr) in a file; killed on drop.
pub struct Running {
    pub child: Child,
    log: tempfile::NamedTempFile,
}

impl Running {
    pub fn spawn(command: &mut Command) -> Running {
        let log = tempfile::NamedTempFile::new().unwrap();
        let child = command.stdout(Stdio::null()).stderr(log.reopen().unwrap()).spawn().unwrap();
        Running { child, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap()
    }

    /// The log once it holds `needle`; fails the test after 20 s.
    pub fn wait_for_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            assert!(Instant::now() < deadline, "no {needle:?} in the log:\n{log}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn signal(&self, name: &str) {
        let status =
            Command::new("kill").args([format!("-{name}"), self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `serve` as [`serve_command`] with `extra` flags, once `/healthz` answers.
pub async fn serve(keys: &Path, port: u16, norman_api_url: &str, extra: &[&str]) -> Running {
    let served = Running::spawn(serve_command(keys, port, norman_api_url).args(extra));
    let deadline = Instant::now() + Duration::from_secs(20);
    while reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.is_err() {
        assert!(Instant::now() < deadline, "server did not come up:\n{}", served.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    served
}
