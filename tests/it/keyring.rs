//! The keyring: derivation, the choice of sealing key over time, rotation, retirement, reload.

use norman_mcp::keyring::{KeyFile, KeyRole, Keyring, KeyringError, RetireError, SharedKeyring};
use norman_mcp::seal::{self, OpenError};
use norman_mcp::tokens::NormanToken;
use norman_mcp::tokens::upstream::UpstreamCredentials;
use time::{Duration, OffsetDateTime, macros::datetime};

const T0: OffsetDateTime = datetime!(2026-11-27 12:00:00 UTC);

fn upstream(expires_at: OffsetDateTime) -> UpstreamCredentials {
    UpstreamCredentials {
        norman_access: NormanToken::new("norman-access".into()),
        company_id: Some("cmp_1".into()),
        family_id: None,
        expires_at,
    }
}

fn key_id_of(envelope: &str) -> u32 {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&envelope[4..]).unwrap();
    u32::from_be_bytes(raw[1..5].try_into().unwrap())
}

#[test]
fn derived_keys_differ_per_purpose_and_per_key() {
    let mut file = KeyFile::generate(T0).unwrap();
    file.rotate(T0, Duration::ZERO).unwrap();
    let ring = Keyring::from_file(&file);
    let (k1, k2) = (ring.key(1).unwrap(), ring.key(2).unwrap());
    let secret = file.keys()[0].secret.expose();
    assert_ne!(k1.client_secret_key(), secret, "derived, not the raw secret");
    assert_ne!(k1.client_secret_key(), k2.client_secret_key());
    assert_ne!(k1.biscuit_root().public().to_bytes(), k2.biscuit_root().public().to_bytes());
    assert_ne!(&k1.biscuit_root().private().to_bytes()[..], &k1.client_secret_key()[..]);
    assert_ne!(k1.access_proof_key(), k1.client_secret_key());
    assert_ne!(k1.access_proof_key(), k2.access_proof_key());
    assert_ne!(&k1.biscuit_root().private().to_bytes()[..], &k1.access_proof_key()[..]);
    // The decompressed verifying key is the Biscuit root's public key.
    assert_eq!(&k1.biscuit_verifying_key().to_bytes()[..], &k1.biscuit_root().public().to_bytes()[..]);
    // Derivation is deterministic: every replica derives the same keys from the same file.
    let again = Keyring::from_file(&file);
    assert_eq!(again.key(1).unwrap().biscuit_root().public(), k1.biscuit_root().public());
    assert_eq!(again.key(1).unwrap().access_proof_key(), k1.access_proof_key());
    let envelope = seal::seal(&ring, &upstream(T0 + Duration::hours(1)), T0).unwrap();
    assert!(seal::open::<UpstreamCredentials>(&again, &envelope, T0).is_ok());
}

#[test]
fn a_pending_key_does_not_seal_until_its_time_and_old_keys_keep_opening() {
    let mut file = KeyFile::generate(T0).unwrap();
    let new_id = file.rotate(T0, Duration::minutes(10)).unwrap();
    assert_eq!(new_id, 2);
    let ring = Keyring::from_file(&file);
    let expires = T0 + Duration::days(1);

    let before = seal::seal(&ring, &upstream(expires), T0 + Duration::minutes(9)).unwrap();
    assert_eq!(key_id_of(&before), 1, "pending key must not seal yet");
    assert_eq!(ring.sealing_key(T0 + Duration::minutes(9)).unwrap().id(), 1);
    let status = file.status(T0 + Duration::minutes(9));
    assert_eq!(status[0].role, KeyRole::Sealing);
    assert_eq!(status[1].role, KeyRole::Pending);

    let switch = T0 + Duration::minutes(10);
    let after = seal::seal(&ring, &upstream(expires), switch).unwrap();
    assert_eq!(key_id_of(&after), 2, "the new key seals from its activation on");
    let status = file.status(switch);
    assert_eq!((status[0].role, status[1].role), (KeyRole::Retained, KeyRole::Sealing));

    // Both open, whichever key sealed them.
    assert!(seal::open::<UpstreamCredentials>(&ring, &before, switch).is_ok());
    assert!(seal::open::<UpstreamCredentials>(&ring, &after, switch).is_ok());
    // A pending key opens already: a replica that switched early is understood by all.
    let early_ring = Keyring::from_file(&file);
    assert!(seal::open::<UpstreamCredentials>(&early_ring, &after, T0).is_ok());
}

#[test]
fn a_retired_key_no_longer_opens() {
    let mut file = KeyFile::generate(T0).unwrap();
    file.rotate(T0, Duration::minutes(10)).unwrap();
    let old_ring = Keyring::from_file(&file);
    let expires = T0 + Duration::days(1);
    let under_1 = seal::seal(&old_ring, &upstream(expires), T0).unwrap();

    let later = T0 + Duration::minutes(11);
    let retired = file.retire(1, false, later).unwrap();
    assert!(!retired.was_sealing);
    assert_eq!(retired.sealing_now, Some(2));
    let ring = Keyring::from_file(&file);
    assert_eq!(seal::open::<UpstreamCredentials>(&ring, &under_1, later), Err(OpenError::UnknownKey(1)));
    let under_2 = seal::seal(&ring, &upstream(expires), later).unwrap();
    assert!(seal::open::<UpstreamCredentials>(&ring, &under_2, later).is_ok());
}

#[test]
fn retirement_refusals() {
    let mut file = KeyFile::generate(T0).unwrap();
    assert_eq!(file.retire(1, true, T0), Err(RetireError::LastKey(1)));
    assert_eq!(file.retire(9, true, T0), Err(RetireError::NotFound(9)));
    file.rotate(T0, Duration::ZERO).unwrap();
    let now = T0 + Duration::seconds(1);
    assert_eq!(file.retire(2, false, now), Err(RetireError::SealingKey(2)));
    assert_eq!(file.keys().len(), 2, "a refusal changes nothing");
    let retired = file.retire(2, true, now).unwrap();
    assert!(retired.was_sealing);
    assert_eq!(retired.sealing_now, Some(1));
}

#[test]
fn a_retired_id_is_never_given_out_again() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    let mut file = KeyFile::generate(T0).unwrap();
    assert_eq!(file.rotate(T0, Duration::ZERO).unwrap(), 2);
    file.retire(2, true, T0 + Duration::seconds(1)).unwrap();
    file.save(&path).unwrap();
    let mut file = KeyFile::read(&path).unwrap();
    assert_eq!(file.rotate(T0, Duration::ZERO).unwrap(), 3, "id 2 stays retired");
}

#[test]
fn no_active_key_means_nothing_seals() {
    let mut file = KeyFile::generate(T0 + Duration::hours(1)).unwrap();
    file.rotate(T0 + Duration::hours(1), Duration::ZERO).unwrap();
    let ring = Keyring::from_file(&file);
    assert!(ring.sealing_key(T0).is_none());
    assert_eq!(seal::seal(&ring, &upstream(T0 + Duration::days(1)), T0), Err(seal::SealError::NoActiveKey));
}

#[test]
fn parse_refuses_broken_files_without_quoting_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    let secret = "yXqzfsaY-SlIRUYqHd3BTN11JQL3eyfshd8PZpsiDQU";
    let cases = [
        ("", "no [[key]]"),
        ("[[key]]\nid = 1\n", "missing field"),
        (
            &format!(
                "[[key]]\nid = 1\nsecret = \"{secret}\"\ncreated_at = \"2026-11-27T00:00:00Z\"\nactive_from = \"soon\"\n"
            ),
            "",
        ),
        (
            &format!(
                "[[key]]\nid = 1\nsecret = \"{secret}\"\ncreated_at = \"2026-11-27T00:00:00Z\"\nactive_from = \"2026-11-27T00:00:00Z\"\n[[key]]\nid = 1\nsecret = \"{secret}\"\ncreated_at = \"2026-11-27T00:00:00Z\"\nactive_from = \"2026-11-27T00:00:00Z\"\n"
            ),
            "appears twice",
        ),
        (
            "[[key]]\nid = 1\nsecret = \"c2hvcnQ\"\ncreated_at = \"2026-11-27T00:00:00Z\"\nactive_from = \"2026-11-27T00:00:00Z\"\n",
            "32 bytes",
        ),
        (&format!("[[key]]\nid = 1\nsecret = \"{secret}\"\ncreated = 1\n"), ""),
    ];
    for (text, expected) in cases {
        let err = KeyFile::parse(text, &path).unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, KeyringError::Invalid { .. }), "{message}");
        assert!(message.contains(expected), "{message:?} should contain {expected:?}");
        assert!(!message.contains(secret), "error quotes the secret: {message}");
    }
}

#[test]
fn reload_swaps_in_a_good_file_and_keeps_the_old_keyring_on_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    let mut file = KeyFile::generate(T0).unwrap();
    file.create(&path).unwrap();
    let shared = SharedKeyring::load(&path, "https://mcp.example.com").unwrap();
    let envelope = seal::seal(&shared.current(), &upstream(T0 + Duration::days(1)), T0).unwrap();

    std::fs::write(&path, "this is not toml [").unwrap();
    assert!(shared.reload().is_err());
    assert_eq!(shared.current().ids(), vec![1], "previous keyring still in force");
    assert!(seal::open::<UpstreamCredentials>(&shared.current(), &envelope, T0).is_ok());

    file.rotate(T0, Duration::ZERO).unwrap();
    file.save(&path).unwrap();
    let reloaded = shared.reload().unwrap();
    assert_eq!(reloaded.ids(), vec![1, 2]);
    assert_eq!(shared.current().sealing_key(T0 + Duration::seconds(1)).unwrap().id(), 2);
    assert!(seal::open::<UpstreamCredentials>(&shared.current(), &envelope, T0).is_ok());

    std::fs::remove_file(&path).unwrap();
    assert!(matches!(shared.reload(), Err(KeyringError::Read { .. })));
    assert_eq!(shared.current().ids(), vec![1, 2]);
}

#[test]
fn files_are_written_0600_and_never_clobbered() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.toml");
    let mut file = KeyFile::generate(T0).unwrap();
    file.create(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(matches!(KeyFile::generate(T0).unwrap().create(&path), Err(KeyringError::Exists(_))));
    assert_eq!(KeyFile::read(&path).unwrap().keys()[0].secret.expose(), file.keys()[0].secret.expose());

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    file.rotate(T0, Duration::ZERO).unwrap();
    file.save(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("keys.toml")], "no temp file left behind");
}

#[test]
fn keys_example_is_a_valid_key_file() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("keys.example");
    let text = std::fs::read_to_string(&path).unwrap();
    let file = KeyFile::parse(&text, &path).unwrap();
    let ids: Vec<u32> = file.keys().iter().map(|k| k.id).collect();
    assert_eq!(ids, vec![1, 2]);
    assert_eq!(file.sealing_id(datetime!(2026-11-27 09:05:00 UTC)), Some(1));
    assert_eq!(file.sealing_id(datetime!(2026-11-27 09:10:00 UTC)), Some(2));
}
