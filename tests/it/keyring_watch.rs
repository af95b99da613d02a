//! Hot reload of the key file by polling its modification time: a rotated file is picked up,
//! a broken one is logged and ignored, the watcher stops with the server; and the real
//! binary's `--keys-poll-interval`.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::binary::{Running, serve_command};
use crate::support::*;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use norman_mcp::keyring::{KeyFile, KeyId, SharedKeyring};

fn new_key_file(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("keys.toml");
    KeyFile::generate(time::OffsetDateTime::now_utc() - time::Duration::minutes(1))
        .unwrap()
        .create(&path)
        .unwrap();
    path
}

/// Appends a key that seals from now on; returns its id.
fn rotate_now(path: &Path) -> KeyId {
    let mut file = KeyFile::read(path).unwrap();
    let id = file.rotate(time::OffsetDateTime::now_utc(), time::Duration::ZERO).unwrap();
    file.save(path).unwrap();
    id
}

/// The `secret = "..."` values of a key file, to prove they never reach the logs.
fn secrets_in(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|line| line.trim().strip_prefix("secret = \""))
        .map(|rest| rest.trim_end_matches('"').to_owned())
        .collect()
}

async fn wait_for_ids(keyring: &SharedKeyring, ids: &[KeyId]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while keyring.current().ids() != ids {
        assert!(Instant::now() < deadline, "keys {:?}, expected {ids:?}", keyring.current().ids());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The key id a registered client id was sealed under (the envelope's header).
async fn sealing_key_of_a_registration(server: &TestServer) -> KeyId {
    let client_id = server.register_public(REDIRECT).await;
    let raw = URL_SAFE_NO_PAD.decode(client_id.strip_prefix("nmi_").unwrap()).unwrap();
    KeyId::from_be_bytes([raw[1], raw[2], raw[3], raw[4]])
}

async fn login_page_status(server: &TestServer, client_id: &str) -> u16 {
    server.authorize(&authorize_params(client_id, &pkce())).await.status().as_u16()
}

#[tokio::test]
async fn a_rotated_key_file_is_picked_up_and_a_broken_one_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_key_file(dir.path());
    let server = TestServer::start_with(Options {
        keys_path: Some(path.clone()),
        keys_poll_interval: Some(Duration::from_millis(100)),
        ..Options::default()
    })
    .await;
    let old_client = server.register_public(REDIRECT).await;
    assert_eq!(sealing_key_of_a_registration(&server).await, 1);

    assert_eq!(rotate_now(&path), 2);
    wait_for_ids(&server.keyring, &[1, 2]).await;
    assert_eq!(sealing_key_of_a_registration(&server).await, 2, "the new key seals");
    assert_eq!(login_page_status(&server, &old_client).await, 200, "what the old key sealed still opens");
    let mut secrets = secrets_in(&path);

    std::fs::write(&path, "[[key]]\nid = \"not a number\"\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !logs().contains("keyring reload failed; keeping the keys in force") {
        assert!(Instant::now() < deadline, "the broken file was not noticed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(server.keyring.current().ids(), [1, 2], "the keys in force stay");
    assert_eq!(sealing_key_of_a_registration(&server).await, 2);

    // A good file after the broken one is picked up again: here a whole new keyring.
    let mut file = KeyFile::generate(time::OffsetDateTime::now_utc() - time::Duration::minutes(1)).unwrap();
    file.rotate(time::OffsetDateTime::now_utc(), time::Duration::ZERO).unwrap();
    file.rotate(time::OffsetDateTime::now_utc(), time::Duration::ZERO).unwrap();
    file.save(&path).unwrap();
    secrets.extend(secrets_in(&path));
    wait_for_ids(&server.keyring, &[1, 2, 3]).await;
    assert_eq!(sealing_key_of_a_registration(&server).await, 3);
    assert_ne!(login_page_status(&server, &old_client).await, 200, "the replaced keys no longer open it");

    let logs = logs();
    assert!(logs.contains("keyring reloaded keys=[1, 2] sealing=2 cause=\"file changed\""), "{logs}");
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert!(secrets.len() >= 4);
    assert_not_logged(&secrets);
    server.stop().await;
}

#[tokio::test]
async fn the_watcher_stops_with_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_key_file(dir.path());
    let server = TestServer::start_with(Options {
        keys_path: Some(path.clone()),
        keys_poll_interval: Some(Duration::from_millis(50)),
        ..Options::default()
    })
    .await;
    let keyring = std::sync::Arc::clone(&server.keyring);
    server.stop().await;
    rotate_now(&path);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(keyring.current().ids(), [1], "no reload after the server stopped");
}

#[tokio::test]
async fn serve_polls_the_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = new_key_file(dir.path());
    let served = Running::spawn(
        serve_command(&path, free_port(), "http://127.0.0.1:9/")
            .env("NORMAN_MCP_KEYS_POLL_INTERVAL", "100ms"),
    );
    served.wait_for_log("listening");
    rotate_now(&path);
    let text = served.wait_for_log("keyring reloaded keys=[1, 2] sealing=2 cause=\"file changed\"");
    drop(served);
    for secret in secrets_in(&path) {
        assert!(!text.contains(&secret), "a key secret reached the log");
    }
}
