//! The real binary: `serve` with its flags, signals and keyring reload; `clients register`;
//! `token attenuate` and `token inspect`.

use std::time::{Duration, Instant};

use norman_mcp::keyring::{KeyFile, Keyring};
use norman_mcp::scope::{Scope, Scopes};
use norman_mcp::tokens::NormanToken;
use norman_mcp::tokens::access::{self, AccessGrant, Verifier};
use norman_sandbox::{Sandbox, SandboxConfig};

use crate::support::binary::{self, serve};
use crate::support::free_port;

#[test]
fn serve_without_a_key_file_says_how_to_make_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = binary::command()
        .args(["serve", "--keys", dir.path().join("none.toml").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("norman-mcp keys init"), "{err}");
    assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "{err}");
}

#[test]
fn serve_refuses_a_norman_api_it_cannot_trust_with_passwords() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    KeyFile::generate(time::OffsetDateTime::now_utc()).unwrap().create(&keys).unwrap();
    let keys = keys.to_str().unwrap();
    let plain = binary::command()
        .args(["serve", "--keys", keys, "--norman-api-url", "http://norman.example/"])
        .output()
        .unwrap();
    assert!(!plain.status.success());
    let err = String::from_utf8_lossy(&plain.stderr);
    assert!(err.contains("https"), "{err}");

    let typo =
        binary::command().args(["serve", "--keys", keys]).env("NORMAN_ENVIRONMENT", "prod").output().unwrap();
    assert!(!typo.status.success());
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(err.contains("production") && err.contains("sandbox"), "{err}");
}

#[test]
fn serve_refuses_a_refresh_grace_over_a_minute_and_an_access_token_ttl_over_a_day() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    KeyFile::generate(time::OffsetDateTime::now_utc()).unwrap().create(&keys).unwrap();
    let keys = keys.to_str().unwrap();
    let refused = |flag: &str, value: &str| {
        let out = binary::command().args(["serve", "--keys", keys, flag, value]).output().unwrap();
        assert!(!out.status.success(), "{flag} {value} accepted");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused("--refresh-reuse-grace", "90s");
    assert!(err.contains("--refresh-reuse-grace 1m 30s is too long: at most 1m"), "{err}");
    let err = refused("--access-token-ttl", "25h");
    assert!(err.contains("--access-token-ttl 1day 1h is out of range: from 1m to 1day"), "{err}");
    // The environment says the same.
    let out = binary::command()
        .args(["serve", "--keys", keys])
        .env("NORMAN_MCP_REFRESH_REUSE_GRACE", "2m")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at most 1m"));
}

#[tokio::test]
async fn serve_publishes_its_issuer_serves_metrics_apart_reloads_keys_on_sighup_and_stops_on_sigterm() {
    let sandbox = Sandbox::spawn(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    KeyFile::generate(time::OffsetDateTime::now_utc()).unwrap().create(&keys).unwrap();
    let port = free_port();
    let metrics = format!("127.0.0.1:{}", free_port());
    let public = "https://mcp.example.test";
    let served =
        serve(&keys, port, sandbox.url.as_str(), &["--public-url", public, "--metrics-bind", &metrics]).await;
    served.wait_for_log(&format!("serving /metrics address={metrics}"));
    assert_eq!(reqwest::get(format!("http://127.0.0.1:{port}/metrics")).await.unwrap().status(), 404);
    let scrape = reqwest::get(format!("http://{metrics}/metrics")).await.unwrap();
    assert_eq!(scrape.status(), 200);
    assert!(scrape.text().await.unwrap().contains("norman_mcp_keys_in_force 1"));

    let metadata: serde_json::Value =
        reqwest::get(format!("http://127.0.0.1:{port}/.well-known/oauth-authorization-server"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(metadata["issuer"], public);
    let prm: serde_json::Value =
        reqwest::get(format!("http://127.0.0.1:{port}/.well-known/oauth-protected-resource/mcp"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(prm["resource"], format!("{public}/mcp"));

    // A rotated file is picked up on SIGHUP; a broken one is refused and the keys stay.
    let mut file = KeyFile::read(&keys).unwrap();
    file.rotate(time::OffsetDateTime::now_utc(), time::Duration::ZERO).unwrap();
    file.save(&keys).unwrap();
    served.signal("HUP");
    served.wait_for_log("keyring reloaded keys=[1, 2]");
    std::fs::write(&keys, "not a key file").unwrap();
    served.signal("HUP");
    let log = served.wait_for_log("keyring reload failed");
    assert!(log.contains("keys=[1, 2]"), "{log}");
    assert_eq!(reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.unwrap().status(), 200);

    served.signal("TERM");
    let mut served = served;
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(served.log().contains("shutting down"));
    assert!(reqwest::get(format!("http://{metrics}/metrics")).await.is_err(), "metrics outlived the server");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn clients_registered_offline_work_on_the_server() {
    let sandbox = Sandbox::spawn(SandboxConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    KeyFile::generate(time::OffsetDateTime::now_utc()).unwrap().create(&keys).unwrap();
    let port = free_port();
    let public_url = format!("http://localhost:{port}");
    let register_command = |name: &str, redirect_uris: &[&str]| {
        let mut command = binary::command();
        command.args(["clients", "register", "--keys", keys.to_str().unwrap(), "--name", name]);
        for uri in redirect_uris {
            command.args(["--redirect-uri", uri]);
        }
        command
    };
    let register = |name: &str, public_url: &str| {
        let out = register_command(name, &["https://app.example/cb"])
            .env("NORMAN_MCP_PUBLIC_URL", public_url)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        text.lines().find_map(|l| l.strip_prefix("client_id: ")).unwrap().to_owned()
    };
    // Registered for the staging deployment, which shares the key file.
    let staging_client_id = register("Staging", "https://staging.example");
    let out = register_command("Hand-configured", &["https://app.example/cb", "http://localhost/cb"])
        .args(["--public-url", &public_url, "--secret"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let client_id = text.lines().find_map(|l| l.strip_prefix("client_id: ")).unwrap().to_owned();
    assert!(text.lines().any(|l| l.starts_with("client_secret: ")), "{text}");
    let out = register_command("Bad", &["javascript:alert(1)"])
        .args(["--public-url", &public_url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid_redirect_uri"));
    let out = binary::command()
        .args(["clients", "register", "--keys", keys.to_str().unwrap(), "--name", "Nowhere"])
        .args(["--redirect-uri", "https://app.example/cb"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a client id is sealed for one deployment: --public-url is required");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--public-url"));

    // The largest grace and lifetime are accepted, and limits may be off.
    let bounds =
        ["--refresh-reuse-grace", "60s", "--access-token-ttl", "24h", "--login-failures-per-minute", "0"];
    let served = serve(&keys, port, sandbox.url.as_str(), &bounds).await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let authorize = |client_id: String| {
        client
            .get(format!("http://127.0.0.1:{port}/authorize"))
            .query(&[
                ("response_type", "code"),
                ("client_id", client_id.as_str()),
                ("redirect_uri", "https://app.example/cb"),
                ("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"),
                ("code_challenge_method", "S256"),
            ])
            .send()
    };
    let page = authorize(client_id).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Hand-configured"));
    let page = authorize(staging_client_id).await.unwrap();
    assert_eq!(page.status(), 400, "a client id of another deployment does not open here");
    assert!(page.text().await.unwrap().contains("no longer valid"));
    drop(served);
    sandbox.shutdown().await;
}

#[test]
fn tokens_attenuate_offline_and_inspect_without_showing_the_norman_token() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.toml");
    let now = time::OffsetDateTime::now_utc();
    KeyFile::generate(now).unwrap().create(&keys).unwrap();
    let keyring = Keyring::load(&keys).unwrap().bound_to("http://localhost:3001");
    let norman_secret = "norman-upstream-secret-token-value";
    let minted = access::mint(
        &keyring,
        &AccessGrant {
            client_id: "nmi_test".into(),
            scopes: Scopes::ALL,
            audience: "http://localhost:3001/mcp".into(),
            norman_access: NormanToken::new(norman_secret.into()),
            company_id: Some("cmp_1".into()),
            family_id: None,
            lifetime: norman_mcp::tokens::access::DEFAULT_ACCESS_LIFETIME,
        },
        now,
    )
    .unwrap();

    let out = binary::command()
        .args(["token", "attenuate", &minted.token, "--read-only", "--ttl", "5m"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let narrowed = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(narrowed.starts_with("nma_") && narrowed != minted.token);
    let principal = Verifier::new(16).verify(&keyring, &narrowed, "http://localhost:3001/mcp", now).unwrap();
    assert!(principal.scopes.contains(Scope::Read) && !principal.scopes.contains(Scope::Write));
    assert!(principal.expires_at <= now + time::Duration::minutes(5) + time::Duration::seconds(1));

    let out = binary::command().args(["token", "attenuate", &minted.token]).output().unwrap();
    assert!(!out.status.success(), "nothing to narrow is an error");

    let inspect_at = |token: &str, public_url: &str| {
        binary::command()
            .args(["token", "inspect", token, "--keys", keys.to_str().unwrap()])
            .args(["--public-url", public_url])
            .output()
            .unwrap()
    };
    let inspect = |token: &str| inspect_at(token, "http://localhost:3001/");
    let out = inspect(&narrowed);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("norman.read"), "{report}");
    assert!(report.contains("status     valid"), "{report}");
    // The Norman credentials inside are sealed for the deployment that minted the token.
    let out = inspect_at(&narrowed, "https://staging.example");
    let report = String::from_utf8(out.stdout).unwrap();
    assert!(report.contains("status     not valid"), "{report}");
    assert!(!report.contains(norman_secret) && !String::from_utf8_lossy(&out.stderr).contains(norman_secret));
    let out = inspect("nma_garbage");
    assert!(!out.status.success());
}
