//! `norman-mcp keys …` run as the real binary on temporary files.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Output;

use norman_mcp::keyring::KeyFile;

use crate::support::binary;

fn norman_mcp(args: &[&str]) -> Output {
    binary::command().args(args).output().expect("the binary runs")
}

fn keys(args: &[&str], path: &Path) -> Output {
    let mut all = vec!["keys"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--keys", path.to_str().unwrap()]);
    norman_mcp(&all)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every secret of the file, base64url as written.
fn secrets(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("secret = \""))
        .map(|s| s.trim_end_matches('"').to_owned())
        .collect()
}

fn assert_one_line_error(o: &Output, needle: &str) {
    assert!(!o.status.success(), "expected failure, got {:?}", o.status);
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one clear line: {err:?}");
    assert!(err.starts_with("error: "), "{err:?}");
    assert!(err.contains(needle), "{err:?} should contain {needle:?}");
}

#[test]
fn init_creates_a_private_file_with_one_key_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    let out = keys(&["init"], &path);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let file = KeyFile::read(&path).unwrap();
    assert_eq!(file.keys().len(), 1);
    assert_eq!(file.keys()[0].id, 1);
    let before = std::fs::read(&path).unwrap();

    let again = keys(&["init"], &path);
    assert_one_line_error(&again, "already exists");
    assert_eq!(std::fs::read(&path).unwrap(), before, "file untouched");
}

#[test]
fn rotate_appends_a_pending_key_and_list_shows_roles_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    assert!(keys(&["init"], &path).status.success());
    let out = keys(&["rotate"], &path);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("added key 2"), "{}", stdout(&out));
    let file = KeyFile::read(&path).unwrap();
    assert_eq!(file.keys().len(), 2);
    let delay = file.keys()[1].active_from - file.keys()[1].created_at;
    assert_eq!(delay, time::Duration::minutes(10), "default activation delay");

    let list = keys(&["list"], &path);
    assert!(list.status.success());
    let text = stdout(&list);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("1\t") && lines[0].contains("sealing now"), "{text}");
    assert!(lines[1].starts_with("2\t") && lines[1].contains("pending: takes over sealing at"), "{text}");
    for secret in secrets(&path) {
        assert!(!text.contains(&secret) && !stderr(&list).contains(&secret), "list printed a secret");
    }

    assert!(keys(&["rotate", "--activate-in", "0s"], &path).status.success());
    let text = stdout(&keys(&["list"], &path));
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].contains("retained"), "{text}");
    assert!(lines[1].contains("pending"), "{text}");
    assert!(lines[2].starts_with("3\t") && lines[2].contains("sealing now"), "{text}");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temp files left");
}

#[test]
fn retire_refuses_the_last_and_the_sealing_key_and_says_what_dies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    assert!(keys(&["init"], &path).status.success());
    assert_one_line_error(&keys(&["retire", "1"], &path), "only key");
    assert_one_line_error(&keys(&["retire", "1", "--force"], &path), "only key");

    assert!(keys(&["rotate", "--activate-in", "0s"], &path).status.success());
    assert_one_line_error(&keys(&["retire", "2"], &path), "--force");
    assert_one_line_error(&keys(&["retire", "7"], &path), "no key 7");
    assert_eq!(KeyFile::read(&path).unwrap().keys().len(), 2, "refusals change nothing");

    let out = keys(&["retire", "1"], &path);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("retired key 1"), "{text}");
    assert!(text.contains("refresh tokens") && text.contains("client ids"), "{text}");
    assert!(text.contains("key 2 seals now"), "{text}");
    let ids: Vec<u32> = KeyFile::read(&path).unwrap().keys().iter().map(|k| k.id).collect();
    assert_eq!(ids, vec![2]);

    assert!(keys(&["rotate", "--activate-in", "0s"], &path).status.success());
    let out = keys(&["retire", "3", "--force"], &path);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("key 2 seals now"), "{}", stdout(&out));
}

#[test]
fn the_key_file_comes_from_the_environment_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("from-env.toml");
    let out = binary::command().args(["keys", "init"]).env("NORMAN_MCP_KEYS", &path).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(path.exists());
}

#[test]
fn errors_are_one_line_and_never_quote_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    assert_one_line_error(&keys(&["list"], &missing), "cannot read key file");
    assert_one_line_error(&keys(&["rotate"], &missing), "cannot read key file");

    let broken = dir.path().join("broken.toml");
    let secret = "yXqzfsaY-SlIRUYqHd3BTN11JQL3eyfshd8PZpsiDQU";
    std::fs::write(&broken, format!("[[key]]\nid = 1\nsecret = \"{secret}\"\n")).unwrap();
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = keys(&["list"], &broken);
    assert_one_line_error(&out, "not valid");
    assert!(!stderr(&out).contains(secret));

    let good = dir.path().join("keys.toml");
    assert!(keys(&["init"], &good).status.success());
    let bad_duration = keys(&["rotate", "--activate-in", "soon"], &good);
    assert!(!bad_duration.status.success());
    assert!(stderr(&bad_duration).contains("10m"), "{}", stderr(&bad_duration));
}

#[test]
fn a_key_file_readable_by_others_is_used_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    assert!(keys(&["init"], &path).status.success());
    let quiet = keys(&["list"], &path);
    assert!(!stderr(&quiet).contains("readable"), "{}", stderr(&quiet));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = keys(&["list"], &path);
    assert!(out.status.success());
    assert!(stderr(&out).contains("readable by group or others"), "{}", stderr(&out));
}
