//! The envelope: round trips, purpose binding, tamper evidence, expiry, size and fuzzed input.

use norman_mcp::keyring::{KeyFile, Keyring};
use norman_mcp::norman::oauth::SignInMethod;
use norman_mcp::redirect::RedirectUri;
use norman_mcp::scope::Scopes;
use norman_mcp::seal::{self, MAX_ENVELOPE_LEN, OpenError, Purpose, Sealed};
use norman_mcp::tokens::client::{ClientAuthMethod, RegisteredClient};
use norman_mcp::tokens::code::AuthorizationCode;
use norman_mcp::tokens::company_choice::CompanyChoice;
use norman_mcp::tokens::login::LoginRequest;
use norman_mcp::tokens::norman_state::NormanState;
use norman_mcp::tokens::refresh::RefreshToken;
use norman_mcp::tokens::upload_link::{GrantRef, UploadLink, UploadTarget};
use norman_mcp::tokens::upstream::UpstreamCredentials;
use norman_mcp::tokens::{NormanToken, random_id};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime, macros::datetime};

const T0: OffsetDateTime = datetime!(2026-11-27 12:00:00 UTC);

fn keyring() -> Keyring {
    Keyring::from_file(&KeyFile::generate(T0).unwrap())
}

fn login() -> LoginRequest {
    LoginRequest {
        client_id: "nmi_client".into(),
        client_name: "MCP Inspector".into(),
        redirect_uri: "http://127.0.0.1:6276/oauth/callback".into(),
        redirect_uri_given: true,
        state: Some("xyz".into()),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        scope: Scopes::ALL,
        resource: Some("http://localhost:3001/mcp".into()),
        csrf_nonce: random_id().unwrap(),
        expires_at: T0 + Duration::minutes(10),
    }
}

fn code() -> AuthorizationCode {
    AuthorizationCode {
        code_id: random_id().unwrap(),
        client_id: "nmi_client".into(),
        redirect_uri: "cursor://anysphere.cursor-retrieval/oauth/callback".into(),
        redirect_uri_given: false,
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        scope: Scopes::READ,
        resource: None,
        norman_access: NormanToken::new("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln".into()),
        norman_refresh: NormanToken::new("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjJ9.c2ln".into()),
        company_id: Some("cmp_1".into()),
        method: Default::default(),
        expires_at: T0 + Duration::seconds(60),
    }
}

fn refresh() -> RefreshToken {
    RefreshToken {
        token_id: random_id().unwrap(),
        family_id: random_id().unwrap(),
        client_id: "nmi_client".into(),
        scope: Scopes::ALL,
        resource: Some("http://localhost:3001/mcp".into()),
        norman_refresh: NormanToken::new("refresh-secret".into()),
        company_id: Some("cmp_2".into()),
        method: Default::default(),
        expires_at: T0 + Duration::days(30),
    }
}

fn client() -> RegisteredClient {
    RegisteredClient {
        client_name: Some("MCP Inspector".into()),
        redirect_uris: vec![
            RedirectUri::parse("http://localhost:6274/oauth/callback").unwrap(),
            RedirectUri::parse("https://claude.ai/api/mcp/auth_callback").unwrap(),
        ],
        token_endpoint_auth_method: ClientAuthMethod::None,
        application_type: Some("native".into()),
        issued_at: T0,
    }
}

fn upstream() -> UpstreamCredentials {
    UpstreamCredentials {
        norman_access: NormanToken::new("norman-access".into()),
        company_id: Some("cmp_1".into()),
        family_id: None,
        expires_at: T0 + Duration::hours(1),
    }
}

fn company_choice() -> CompanyChoice {
    CompanyChoice {
        client_id: "nmi_client".into(),
        client_name: "MCP Inspector".into(),
        redirect_uri: "http://127.0.0.1:6276/oauth/callback".into(),
        redirect_uri_given: true,
        state: Some("xyz".into()),
        code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
        scope: Scopes::READ,
        resource: Some("http://localhost:3001/mcp".into()),
        csrf_nonce: random_id().unwrap(),
        norman_access: NormanToken::new("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln".into()),
        norman_refresh: NormanToken::new("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjJ9.c2ln".into()),
        method: SignInMethod::Password,
        expires_at: T0 + Duration::minutes(10),
    }
}

fn norman_state() -> NormanState {
    NormanState {
        request: login(),
        scope: Scopes::READ,
        nonce: "n0nce".into(),
        expires_at: T0 + Duration::minutes(10),
    }
}

fn upload_link() -> UploadLink {
    UploadLink {
        norman_access: NormanToken::new("norman-access".into()),
        grant: GrantRef {
            family_id: Some("fam_1".into()),
            revocation_ids: vec!["blk_1".into(), "blk_2".into()],
        },
        company_id: "cmp_1".into(),
        target: UploadTarget::Transaction {
            transaction_id: "trx_1".into(),
            attachment_type: "receipt".into(),
        },
        note: Some("Tankquittung".into()),
        expires_at: T0 + Duration::minutes(15),
    }
}

fn round_trip<T: Sealed + PartialEq + std::fmt::Debug>(value: T) {
    let ring = keyring();
    let envelope = seal::seal(&ring, &value, T0).unwrap();
    assert!(envelope.starts_with(&format!("{}_", T::PURPOSE.prefix())), "{envelope}");
    assert!(envelope.len() <= MAX_ENVELOPE_LEN);
    let opened: T = seal::open(&ring, &envelope, T0 + Duration::seconds(1)).unwrap();
    assert_eq!(opened, value);
}

#[test]
fn every_purpose_round_trips() {
    round_trip(login());
    round_trip(code());
    round_trip(refresh());
    round_trip(client());
    round_trip(upstream());
    round_trip(company_choice());
    round_trip(norman_state());
    round_trip(upload_link());
}

#[test]
fn two_seals_of_one_value_differ() {
    let ring = keyring();
    let a = seal::seal(&ring, &code(), T0).unwrap();
    let b = seal::seal(&ring, &code(), T0).unwrap();
    assert_ne!(a, b, "a fresh nonce per seal");
}

#[test]
fn sealed_values_do_not_show_their_content() {
    let ring = keyring();
    let envelope = seal::seal(&ring, &code(), T0).unwrap();
    assert!(!envelope.contains("eyJ"), "no Norman token in clear");
    assert!(!envelope.contains("cursor"));
}

/// Opens `envelope` as every payload type and returns the errors for the types it is not.
fn open_as_all(ring: &Keyring, envelope: &str) -> Vec<(Purpose, Result<(), OpenError>)> {
    let now = T0 + Duration::seconds(1);
    vec![
        (Purpose::Login, seal::open::<LoginRequest>(ring, envelope, now).map(drop)),
        (Purpose::Code, seal::open::<AuthorizationCode>(ring, envelope, now).map(drop)),
        (Purpose::Refresh, seal::open::<RefreshToken>(ring, envelope, now).map(drop)),
        (Purpose::Client, seal::open::<RegisteredClient>(ring, envelope, now).map(drop)),
        (Purpose::Upstream, seal::open::<UpstreamCredentials>(ring, envelope, now).map(drop)),
        (Purpose::CompanyChoice, seal::open::<CompanyChoice>(ring, envelope, now).map(drop)),
        (Purpose::NormanState, seal::open::<NormanState>(ring, envelope, now).map(drop)),
        (Purpose::UploadLink, seal::open::<UploadLink>(ring, envelope, now).map(drop)),
    ]
}

#[test]
fn an_envelope_never_opens_as_another_purpose() {
    let ring = keyring();
    let envelopes = [
        (Purpose::Login, seal::seal(&ring, &login(), T0).unwrap()),
        (Purpose::Code, seal::seal(&ring, &code(), T0).unwrap()),
        (Purpose::Refresh, seal::seal(&ring, &refresh(), T0).unwrap()),
        (Purpose::Client, seal::seal(&ring, &client(), T0).unwrap()),
        (Purpose::Upstream, seal::seal(&ring, &upstream(), T0).unwrap()),
        (Purpose::CompanyChoice, seal::seal(&ring, &company_choice(), T0).unwrap()),
        (Purpose::NormanState, seal::seal(&ring, &norman_state(), T0).unwrap()),
        (Purpose::UploadLink, seal::seal(&ring, &upload_link(), T0).unwrap()),
    ];
    for (sealed_as, envelope) in &envelopes {
        for (opened_as, result) in open_as_all(&ring, envelope) {
            if opened_as == *sealed_as {
                assert_eq!(result, Ok(()));
            } else {
                assert_eq!(result, Err(OpenError::WrongPurpose), "{sealed_as:?} as {opened_as:?}");
            }
        }
        // Rewriting the prefix does not help: the purpose is in the associated data.
        let body = envelope.split_once('_').unwrap().1;
        for other in Purpose::ALL.into_iter().filter(|p| p != sealed_as) {
            let relabelled = format!("{}_{body}", other.prefix());
            let (_, result) = open_as_all(&ring, &relabelled).into_iter().find(|(p, _)| *p == other).unwrap();
            assert_eq!(result, Err(OpenError::Forged), "{sealed_as:?} relabelled as {other:?}");
        }
    }
}

/// Seals `value` at one deployment and opens it at each of the others sharing its key file.
fn opens_only_where_sealed<T: Sealed + PartialEq + std::fmt::Debug>(value: T) {
    let file = KeyFile::generate(T0).unwrap();
    let ring = |issuer: &str| Keyring::from_file(&file).bound_to(issuer);
    let envelope = seal::seal(&ring("https://staging.example"), &value, T0).unwrap();
    let replica = seal::open::<T>(&ring("https://staging.example"), &envelope, T0).unwrap();
    assert_eq!(replica, value, "a replica of the same deployment opens it");
    for other in ["https://mcp.example", "https://staging.example/", "https://staging.exampl", ""] {
        let elsewhere = seal::open::<T>(&ring(other), &envelope, T0);
        assert_eq!(elsewhere, Err(OpenError::Forged), "{} opened at {other:?}", T::PURPOSE.prefix());
    }
    assert_eq!(seal::open::<T>(&Keyring::from_file(&file), &envelope, T0), Err(OpenError::Forged));
}

#[test]
fn an_envelope_opens_only_at_the_deployment_that_sealed_it() {
    opens_only_where_sealed(login());
    opens_only_where_sealed(code());
    opens_only_where_sealed(refresh());
    opens_only_where_sealed(client());
    opens_only_where_sealed(upstream());
    opens_only_where_sealed(company_choice());
    opens_only_where_sealed(upload_link());
}

#[test]
fn version_1_envelopes_no_longer_open() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let ring = keyring();
    let envelope = seal::seal(&ring, &code(), T0).unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(&envelope[4..]).unwrap();
    assert_eq!(raw[0], seal::ENVELOPE_VERSION);
    raw[0] = 1;
    let old = format!("nmc_{}", URL_SAFE_NO_PAD.encode(&raw));
    assert_eq!(seal::open::<AuthorizationCode>(&ring, &old, T0), Err(OpenError::Malformed));
}

#[test]
fn changing_any_single_character_is_refused() {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.";
    let ring = keyring();
    let now = T0 + Duration::seconds(1);
    let envelope = seal::seal(&ring, &code(), T0).unwrap();
    let mut tried = 0;
    for (position, original) in envelope.char_indices() {
        for replacement in ALPHABET.chars().filter(|&c| c != original) {
            let mut tampered = envelope.clone();
            tampered.replace_range(position..position + 1, replacement.encode_utf8(&mut [0; 4]));
            let result = seal::open::<AuthorizationCode>(&ring, &tampered, now);
            assert!(result.is_err(), "position {position}: {original} -> {replacement} opened");
            tried += 1;
        }
    }
    assert!(tried > envelope.len() * 60);
}

#[test]
fn dropping_or_adding_characters_is_refused() {
    let ring = keyring();
    let now = T0 + Duration::seconds(1);
    let envelope = seal::seal(&ring, &refresh(), T0).unwrap();
    for cut in 0..envelope.len() {
        assert!(seal::open::<RefreshToken>(&ring, &envelope[..cut], now).is_err(), "prefix of {cut}");
    }
    for extra in ["A", "AA", "AAA", "AAAA", "=", " "] {
        assert!(seal::open::<RefreshToken>(&ring, &format!("{envelope}{extra}"), now).is_err());
    }
}

#[test]
fn unknown_key_is_named() {
    let ring = keyring();
    let other = keyring();
    let mut file = KeyFile::generate(T0).unwrap();
    file.rotate(T0, Duration::ZERO).unwrap();
    let ring_with_key_2 = Keyring::from_file(&file);
    let envelope = seal::seal(&ring_with_key_2, &upstream(), T0).unwrap();
    assert_eq!(seal::open::<UpstreamCredentials>(&ring, &envelope, T0), Err(OpenError::UnknownKey(2)));
    // Same id, other secret: not unknown, but forged.
    let envelope = seal::seal(&other, &upstream(), T0).unwrap();
    assert_eq!(seal::open::<UpstreamCredentials>(&ring, &envelope, T0), Err(OpenError::Forged));
}

#[test]
fn expiry_is_enforced_to_the_second() {
    let ring = keyring();
    let value = code();
    let envelope = seal::seal(&ring, &value, T0).unwrap();
    let last_valid = value.expires_at - Duration::seconds(1);
    assert!(seal::open::<AuthorizationCode>(&ring, &envelope, last_valid).is_ok());
    assert_eq!(seal::open::<AuthorizationCode>(&ring, &envelope, value.expires_at), Err(OpenError::Expired));
    // A client id never expires.
    let envelope = seal::seal(&ring, &client(), T0).unwrap();
    let far = T0 + Duration::days(365 * 50);
    assert!(seal::open::<RegisteredClient>(&ring, &envelope, far).is_ok());
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let ring = keyring();
    let huge = format!("nmc_{}", "A".repeat(MAX_ENVELOPE_LEN));
    assert_eq!(seal::open::<AuthorizationCode>(&ring, &huge, T0), Err(OpenError::Oversized));
    let just_fits = format!("nmc_{}", "A".repeat(MAX_ENVELOPE_LEN - 4));
    assert_ne!(seal::open::<AuthorizationCode>(&ring, &just_fits, T0), Err(OpenError::Oversized));
}

#[test]
fn malformed_shapes_are_named() {
    let ring = keyring();
    for input in ["", "nmc", "nmc_", "nmc_!!!!", "xyz_AAAA", "_AAAA", "nmc_AAAA", "nmc_AAECAwQ"] {
        assert_eq!(seal::open::<AuthorizationCode>(&ring, input, T0), Err(OpenError::Malformed), "{input}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_open(input in ".{0,600}") {
        let ring = keyring();
        prop_assert!(seal::open::<AuthorizationCode>(&ring, &input, T0).is_err());
        prop_assert!(seal::open::<RegisteredClient>(&ring, &input, T0).is_err());
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_prefix_never_open(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
        use base64::Engine as _;
        let ring = keyring();
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&bytes);
        let envelope = format!("nmr_{body}");
        prop_assert!(seal::open::<RefreshToken>(&ring, &envelope, T0).is_err());
        // Even with the right version and key id the tag cannot be guessed.
        let mut framed = vec![seal::ENVELOPE_VERSION, 0, 0, 0, 1];
        framed.extend_from_slice(&bytes);
        let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&framed);
        let envelope = format!("nmr_{body}");
        prop_assert!(seal::open::<RefreshToken>(&ring, &envelope, T0).is_err());
    }

    #[test]
    fn any_payload_round_trips(state in proptest::option::of(".{0,200}"), scope in "[a-z. ]{0,40}".prop_map(|s| Scopes::parse_lenient(&s))) {
        let ring = keyring();
        let value = LoginRequest { state, scope, ..login() };
        let envelope = seal::seal(&ring, &value, T0).unwrap();
        prop_assert_eq!(seal::open::<LoginRequest>(&ring, &envelope, T0).unwrap(), value);
    }
}

/// Found by the `envelope_payload` fuzz target: `open_bytes` refused what `seal_bytes` sealed
/// when the plaintext was shorter than the payload layer's expiry. The typed layer still
/// refuses such a plaintext as malformed.
#[test]
fn plaintexts_shorter_than_an_expiry_open_at_the_bytes_layer() {
    let ring = keyring();
    for plaintext in [&b""[..], b"\xff\x00\xff\x00\x00\x00\x00"] {
        for purpose in Purpose::ALL {
            let sealed = seal::seal_bytes(&ring, purpose, plaintext, T0).unwrap();
            assert_eq!(seal::open_bytes(&ring, purpose, &sealed).unwrap().as_slice(), plaintext);
        }
        let sealed = seal::seal_bytes(&ring, Purpose::Client, plaintext, T0).unwrap();
        assert_eq!(seal::open::<RegisteredClient>(&ring, &sealed, T0), Err(OpenError::Malformed));
    }
}
