//! Access tokens: mint and verify, lifetime, refusals, tamper evidence, attenuation, the
//! verification cache, inspection, and fuzzed input; over HTTP, hostile appended blocks and
//! the revocation of delegated copies.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::support::{TestServer, assert_not_logged, full_flow, mcp_call, mcp_post, tool_json};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use biscuit_auth::builder::{
    self as bb, Binary, BlockBuilder, Check, CheckKind, Expression, Op, Predicate, Rule, Unary,
};
use biscuit_auth::macros::block;
use biscuit_auth::{KeyPair, UnverifiedBiscuit};
use norman_mcp::keyring::{KeyFile, Keyring};
use norman_mcp::scope::Scopes;
use norman_mcp::tokens::NormanToken;
use norman_mcp::tokens::access::{
    self, ACCESS_PREFIX, AccessGrant, AttenuateError, MAX_ACCESS_LIFETIME, MintError, Verifier, VerifyError,
};
use norman_sandbox::DEMO_USERS;
use proptest::prelude::*;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime, macros::datetime};

const T0: OffsetDateTime = datetime!(2026-11-27 12:00:00 UTC);
const AUDIENCE: &str = "https://mcp.norman.example/mcp";
const NORMAN_SIGNATURE: &str = "c2lnbmF0dXJlLW9mLXRoZS1ub3JtYW4tdG9rZW4";

/// A JWT-shaped Norman token; `exp` None gives a payload without `exp`.
fn norman_jwt(exp: Option<OffsetDateTime>) -> NormanToken {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = match exp {
        Some(exp) => format!(r#"{{"token_type":"access","exp":{},"user_id":42}}"#, exp.unix_timestamp()),
        None => r#"{"token_type":"access","user_id":42}"#.to_owned(),
    };
    NormanToken::new(format!("{header}.{}.{NORMAN_SIGNATURE}", URL_SAFE_NO_PAD.encode(payload)))
}

fn keyring() -> Keyring {
    Keyring::from_file(&KeyFile::generate(T0).unwrap())
}

fn grant(scopes: Scopes, norman_exp: Option<OffsetDateTime>) -> AccessGrant {
    AccessGrant {
        client_id: "nmi_some-registered-client".into(),
        scopes,
        audience: AUDIENCE.into(),
        norman_access: norman_jwt(norman_exp),
        company_id: Some("cmp_7QxKp2Lm9RzT".into()),
        family_id: None,
        lifetime: norman_mcp::tokens::access::DEFAULT_ACCESS_LIFETIME,
    }
}

fn mint(ring: &Keyring, scopes: Scopes) -> String {
    access::mint(ring, &grant(scopes, Some(T0 + Duration::days(1))), T0).unwrap().token
}

fn verify(ring: &Keyring, token: &str, at: OffsetDateTime) -> Result<Arc<access::Principal>, VerifyError> {
    Verifier::new(16).verify(ring, token, AUDIENCE, at)
}

/// Appends a block by hand, as a hostile holder would.
fn append(token: &str, block: BlockBuilder) -> String {
    let raw = URL_SAFE_NO_PAD.decode(token.strip_prefix(ACCESS_PREFIX).unwrap()).unwrap();
    let appended = UnverifiedBiscuit::from(&raw).unwrap().append(block).unwrap();
    format!("{ACCESS_PREFIX}{}", URL_SAFE_NO_PAD.encode(appended.to_vec().unwrap()))
}

#[test]
fn mint_then_verify_round_trips() {
    let ring = keyring();
    let g = grant(Scopes::ALL, Some(T0 + Duration::days(1)));
    let minted = access::mint(&ring, &g, T0).unwrap();
    assert!(minted.token.starts_with(ACCESS_PREFIX));
    assert!(!minted.token.contains('='), "unpadded base64url");
    assert!(minted.token.len() < 2048, "{} characters", minted.token.len());
    assert_eq!(minted.expires_at, T0 + access::DEFAULT_ACCESS_LIFETIME);

    let p = verify(&ring, &minted.token, T0 + Duration::minutes(1)).unwrap();
    assert_eq!(p.token_id, minted.token_id);
    assert_eq!(p.client_fingerprint, access::client_fingerprint(&g.client_id));
    assert_eq!(p.client_fingerprint.len(), 16);
    assert_eq!(p.scopes, Scopes::ALL);
    assert_eq!(p.audience, AUDIENCE);
    assert_eq!(p.expires_at, minted.expires_at);
    assert_eq!(p.key_id, 1);
    assert_eq!(p.norman_access, g.norman_access);
    assert_eq!(p.company_id.as_deref(), Some("cmp_7QxKp2Lm9RzT"));

    let read = verify(&ring, &mint(&ring, Scopes::READ), T0).unwrap();
    assert_eq!(read.scopes, Scopes::READ);
    let write_only = Scopes::parse_lenient("norman.write");
    assert_eq!(verify(&ring, &mint(&ring, write_only), T0).unwrap().scopes, write_only);
}

#[test]
fn the_biscuit_never_shows_the_norman_token() {
    let ring = keyring();
    let g = grant(Scopes::ALL, Some(T0 + Duration::days(1)));
    let token = access::mint(&ring, &g, T0).unwrap().token;
    let raw = URL_SAFE_NO_PAD.decode(&token[ACCESS_PREFIX.len()..]).unwrap();
    let raw = String::from_utf8_lossy(&raw);
    assert!(!raw.contains(NORMAN_SIGNATURE));
    assert!(!raw.contains(g.norman_access.expose()));
    assert!(!raw.contains(&g.client_id), "only a fingerprint of the client id");
}

#[test]
fn lifetime_is_capped_by_the_norman_token_and_by_one_hour() {
    let ring = keyring();
    // Norman token lives 10 minutes: the access token stops 30 s before it.
    let g = grant(Scopes::ALL, Some(T0 + Duration::minutes(10)));
    let minted = access::mint(&ring, &g, T0).unwrap();
    assert_eq!(minted.expires_at, T0 + Duration::minutes(10) - Duration::seconds(30));
    assert!(verify(&ring, &minted.token, minted.expires_at - Duration::seconds(1)).is_ok());
    assert_eq!(verify(&ring, &minted.token, minted.expires_at).unwrap_err(), VerifyError::Expired);

    // Norman token lives a day, or has no readable `exp`: one hour.
    assert_eq!(
        access::mint(&ring, &grant(Scopes::ALL, None), T0).unwrap().expires_at,
        T0 + Duration::hours(1)
    );
    let opaque = AccessGrant { norman_access: NormanToken::new("opaque".into()), ..grant(Scopes::ALL, None) };
    assert_eq!(access::mint(&ring, &opaque, T0).unwrap().expires_at, T0 + Duration::hours(1));

    // Fractions of a second are dropped, never rounded up.
    let later = T0 + Duration::milliseconds(1500);
    let minted = access::mint(&ring, &grant(Scopes::ALL, None), later).unwrap();
    assert_eq!(minted.expires_at, T0 + Duration::hours(1) + Duration::seconds(1));

    // Expired, or within the margin: no token.
    for exp in [T0 - Duration::minutes(1), T0 + Duration::seconds(30), T0 + Duration::seconds(20)] {
        assert_eq!(
            access::mint(&ring, &grant(Scopes::ALL, Some(exp)), T0).unwrap_err(),
            MintError::UpstreamExpired
        );
    }
    assert_eq!(access::mint(&ring, &grant(Scopes::EMPTY, None), T0).unwrap_err(), MintError::NoScopes);
}

#[test]
fn lifetime_follows_the_grant_up_to_a_day_and_short_norman_tokens_keep_a_quarter_margin() {
    let ring = keyring();
    let far = Some(T0 + Duration::days(30));
    for (asked, got) in [
        (Duration::minutes(10), Duration::minutes(10)),
        (Duration::hours(12), Duration::hours(12)),
        (Duration::days(3), MAX_ACCESS_LIFETIME),
    ] {
        let g = AccessGrant { lifetime: asked, ..grant(Scopes::ALL, far) };
        assert_eq!(access::mint(&ring, &g, T0).unwrap().expires_at, T0 + got, "{asked}");
    }
    // A long lifetime never outlives the Norman token (minus the margin).
    let g =
        AccessGrant { lifetime: Duration::hours(12), ..grant(Scopes::ALL, Some(T0 + Duration::hours(1))) };
    assert_eq!(
        access::mint(&ring, &g, T0).unwrap().expires_at,
        T0 + Duration::hours(1) - Duration::seconds(30)
    );

    // A Norman token that lives 20 s in all (`iat` to `exp`) keeps a quarter of its life as
    // the margin, so it still carries an access token; one of an hour keeps 30 s.
    let with_iat = |iat: OffsetDateTime, exp: OffsetDateTime| {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = format!(r#"{{"exp":{},"iat":{}}}"#, exp.unix_timestamp(), iat.unix_timestamp());
        let token =
            NormanToken::new(format!("{header}.{}.{NORMAN_SIGNATURE}", URL_SAFE_NO_PAD.encode(payload)));
        AccessGrant { norman_access: token, ..grant(Scopes::ALL, None) }
    };
    let short = with_iat(T0 - Duration::seconds(2), T0 + Duration::seconds(18));
    assert_eq!(access::mint(&ring, &short, T0).unwrap().expires_at, T0 + Duration::seconds(13));
    assert!(!access::needs_upstream_refresh(&short.norman_access, T0));
    assert!(access::needs_upstream_refresh(&short.norman_access, T0 + Duration::seconds(13)));
    let hour = with_iat(T0 - Duration::minutes(59), T0 + Duration::minutes(1));
    assert_eq!(access::mint(&ring, &hour, T0).unwrap().expires_at, T0 + Duration::seconds(30));
    assert!(access::needs_upstream_refresh(&hour.norman_access, T0 + Duration::seconds(30)));
    // Without `iat`, within 30 s of its end: refresh first.
    let g = grant(Scopes::ALL, Some(T0 + Duration::seconds(29)));
    assert!(access::needs_upstream_refresh(&g.norman_access, T0));
    assert!(!access::needs_upstream_refresh(&grant(Scopes::ALL, None).norman_access, T0), "no exp: use it");
}

#[test]
fn norman_token_expiry_reads_the_jwt_payload_only() {
    let exp = T0 + Duration::minutes(5);
    assert_eq!(access::norman_token_expiry(&norman_jwt(Some(exp))), Some(exp));
    assert_eq!(access::norman_token_expiry(&norman_jwt(None)), None);
    let float =
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(format!(r#"{{"exp":{}.75}}"#, exp.unix_timestamp())));
    assert_eq!(access::norman_token_expiry(&NormanToken::new(float)), Some(exp));
    for junk in
        ["", "a.b", "a.b.c.d", "e30.!!!.sig", "e30.e30.sig", "e30.bnVsbA.sig", "e30.eyJleHAiOiJzb29uIn0.s"]
    {
        assert_eq!(access::norman_token_expiry(&NormanToken::new(junk.into())), None, "{junk}");
    }
    let huge = format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(r#"{"exp":1e300}"#));
    assert_eq!(access::norman_token_expiry(&NormanToken::new(huge)), None);
}

#[test]
fn expired_and_wrong_audience_are_refused() {
    let ring = keyring();
    let token = mint(&ring, Scopes::ALL);
    let v = Verifier::new(16);
    assert_eq!(
        v.verify(&ring, &token, "https://elsewhere.example/mcp", T0).unwrap_err(),
        VerifyError::WrongAudience
    );
    assert_eq!(
        v.verify(&ring, &token, &format!("{AUDIENCE}/"), T0).unwrap_err(),
        VerifyError::WrongAudience,
        "the audience is compared exactly; callers canonicalise"
    );
    assert_eq!(v.verify(&ring, &token, AUDIENCE, T0 + Duration::hours(1)).unwrap_err(), VerifyError::Expired);
    assert_eq!(v.verify(&ring, &token, AUDIENCE, T0 + Duration::days(2)).unwrap_err(), VerifyError::Expired);
    assert_eq!(v.cache_len(), 0, "failures are not cached");
}

#[test]
fn unknown_key_and_forged_signature_are_refused() {
    // Key 2 signs, then is retired: its tokens name a key the keyring no longer has.
    let mut file = KeyFile::generate(T0).unwrap();
    file.rotate(T0, Duration::ZERO).unwrap();
    let ring = Keyring::from_file(&file);
    let token = mint(&ring, Scopes::ALL);
    assert_eq!(verify(&ring, &token, T0).unwrap().key_id, 2);
    file.retire(2, true, T0).unwrap();
    assert_eq!(verify(&Keyring::from_file(&file), &token, T0).unwrap_err(), VerifyError::UnknownKey);

    // Another keyring with the same ids signs: the id matches, the signature does not.
    let stranger = keyring();
    let forged = mint(&stranger, Scopes::ALL);
    assert!(verify(&stranger, &forged, T0).is_ok());
    assert_eq!(verify(&keyring(), &forged, T0).unwrap_err(), VerifyError::Forged);
}

#[test]
fn changing_any_single_character_is_refused() {
    let ring = keyring();
    let plain = mint(&ring, Scopes::READ);
    let attenuated = access::attenuate(&plain, true, Some(Duration::minutes(5)), T0).unwrap();
    let v = Verifier::new(16);
    for token in [&plain, &attenuated] {
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            // Several replacements per position, each changing a different set of the 6 bits a
            // character carries (one such change is a protobuf rewrite the signature misses).
            for replacement in [b'A', b'g', b'-', b'_', b'f', b'V'] {
                if bytes[i] == replacement {
                    continue;
                }
                let mut tampered = bytes.to_vec();
                tampered[i] = replacement;
                let tampered = String::from_utf8(tampered).unwrap();
                assert!(
                    v.verify(&ring, &tampered, AUDIENCE, T0).is_err(),
                    "position {i} -> {}",
                    replacement as char
                );
            }
        }
        assert_eq!(v.cache_len(), 0);
        assert!(v.verify(&ring, token, AUDIENCE, T0).is_ok());
        v.clear();
    }
}

#[test]
fn oversized_and_foreign_tokens_are_malformed() {
    let ring = keyring();
    let v = Verifier::new(16);
    let long = format!("{ACCESS_PREFIX}{}", "A".repeat(access::MAX_ACCESS_TOKEN_LEN));
    for junk in ["", "nma_", "nma_!!!", "nmr_AAAA", &long, "Bearer nma_AAAA"] {
        assert_eq!(v.verify(&ring, junk, AUDIENCE, T0).unwrap_err(), VerifyError::Malformed, "{junk:.20}");
    }
    // A Biscuit without `root_key_id` is refused before any signature check.
    let other = biscuit_auth::KeyPair::new();
    let bare =
        biscuit_auth::Biscuit::builder().fact("right(\"norman.read\")").unwrap().build(&other).unwrap();
    let bare = format!("{ACCESS_PREFIX}{}", URL_SAFE_NO_PAD.encode(bare.to_vec().unwrap()));
    assert_eq!(v.verify(&ring, &bare, AUDIENCE, T0).unwrap_err(), VerifyError::UnknownKey);
}

#[test]
fn read_only_attenuation_narrows_the_effective_scopes() {
    let ring = keyring();
    let token = mint(&ring, Scopes::ALL);
    let read_only = access::attenuate(&token, true, None, T0).unwrap();
    let p = verify(&ring, &read_only, T0).unwrap();
    assert_eq!(p.scopes, Scopes::READ);
    assert_eq!(p.expires_at, T0 + Duration::hours(1));
    assert_eq!(verify(&ring, &token, T0).unwrap().scopes, Scopes::ALL, "the original is unchanged");

    // Read-only on a token that only had write leaves nothing.
    let write_only = mint(&ring, Scopes::parse_lenient("norman.write"));
    let nothing = access::attenuate(&write_only, true, None, T0).unwrap();
    assert_eq!(verify(&ring, &nothing, T0).unwrap_err(), VerifyError::Denied);
}

#[test]
fn ttl_attenuation_expires_earlier_but_never_later() {
    let ring = keyring();
    let token = mint(&ring, Scopes::ALL);
    let at = T0 + Duration::minutes(1);
    let short = access::attenuate(&token, false, Some(Duration::minutes(10)), at).unwrap();
    let p = verify(&ring, &short, at).unwrap();
    assert_eq!(p.expires_at, T0 + Duration::minutes(11));
    assert_eq!(p.scopes, Scopes::ALL);
    assert!(verify(&ring, &short, T0 + Duration::minutes(11) - Duration::seconds(1)).is_ok());
    assert_eq!(verify(&ring, &short, T0 + Duration::minutes(11)).unwrap_err(), VerifyError::Expired);

    let long = access::attenuate(&token, false, Some(Duration::days(3)), at).unwrap();
    assert_eq!(verify(&ring, &long, at).unwrap().expires_at, T0 + Duration::hours(1));
    assert_eq!(verify(&ring, &long, T0 + Duration::hours(2)).unwrap_err(), VerifyError::Expired);

    assert_eq!(
        access::attenuate(&token, false, Some(Duration::ZERO), at).unwrap_err(),
        AttenuateError::InvalidTtl
    );
    assert_eq!(access::attenuate(&token, false, None, at).unwrap_err(), AttenuateError::NothingToRestrict);
    assert_eq!(access::attenuate("nmr_xyz", true, None, at).unwrap_err(), AttenuateError::Malformed);
}

#[test]
fn attenuating_an_attenuated_token_keeps_every_restriction() {
    let ring = keyring();
    let token = mint(&ring, Scopes::ALL);
    let once = access::attenuate(&token, false, Some(Duration::minutes(20)), T0).unwrap();
    let twice = access::attenuate(&once, true, Some(Duration::minutes(50)), T0).unwrap();
    let p = verify(&ring, &twice, T0).unwrap();
    assert_eq!(p.scopes, Scopes::READ);
    assert_eq!(p.expires_at, T0 + Duration::minutes(20), "the later ttl does not extend the earlier one");
    let thrice = access::attenuate(&twice, false, Some(Duration::minutes(5)), T0).unwrap();
    assert_eq!(verify(&ring, &thrice, T0).unwrap().expires_at, T0 + Duration::minutes(5));
    assert_eq!(access::inspect(&ring, &thrice, T0).unwrap().blocks, 4);
    // Each carries its parents' revocation ids, and one of its own.
    let ids = |token: &str| verify(&ring, token, T0).unwrap().revocation_ids.clone();
    assert_eq!(ids(&thrice)[..3], ids(&twice)[..]);
    assert_eq!(ids(&twice)[..2], ids(&once)[..]);
    assert_eq!(ids(&once)[..1], ids(&token)[..]);
}

/// Only `check if operation("read")` and `check if time($t), $t < {date}` may be appended:
/// facts and rules (which Datalog would have ignored or run) and any other check are refused.
#[test]
fn an_appended_block_with_anything_but_the_two_checks_is_refused() {
    let ring = keyring();
    let read_only = access::attenuate(&mint(&ring, Scopes::ALL), true, None, T0).unwrap();
    let refused = [
        append(
            &read_only,
            block!(
                r#"
                right("norman.write");
                operation("read");
                right("norman.write") <- time($t);
                access("someone-else", "x", "https://mcp.norman.example/mcp", 2099-01-01T00:00:00Z, "nmu_x");
                check if true;
                "#
            ),
        ),
        append(&mint(&ring, Scopes::READ), block!(r#"right("norman.write");"#)),
        append(&read_only, block!(r#"check if operation("delete");"#)),
        append(&read_only, block!(r#"check if operation("read"); operation("read");"#)),
        append(&read_only, block!(r#"check if time($t), $t <= 2026-11-27T12:05:00Z;"#)),
        append(
            &read_only,
            block!(r#"fresh($t) <- time($t), $t < 2026-11-27T12:05:00Z; check if fresh($t);"#),
        ),
    ];
    let v = Verifier::new(16);
    for (i, token) in refused.iter().enumerate() {
        assert_eq!(v.verify(&ring, token, AUDIENCE, T0).unwrap_err(), VerifyError::Unsupported, "case {i}");
    }
    assert_eq!(v.cache_len(), 0);
    // The token they were appended to still works.
    assert_eq!(v.verify(&ring, &read_only, AUDIENCE, T0).unwrap().scopes, Scopes::READ);
}

#[test]
fn at_most_four_blocks_may_be_appended() {
    let ring = keyring();
    let mut token = mint(&ring, Scopes::ALL);
    for minutes in [50, 40, 30, 20] {
        token = access::attenuate(&token, false, Some(Duration::minutes(minutes)), T0).unwrap();
    }
    let p = verify(&ring, &token, T0).unwrap();
    assert_eq!((p.expires_at, p.revocation_ids.len()), (T0 + Duration::minutes(20), 5));
    assert_eq!(
        access::attenuate(&token, true, None, T0).unwrap_err(),
        AttenuateError::TooManyBlocks,
        "the command line will not write a token no server accepts"
    );
    let five = append(&token, block!(r#"check if operation("read");"#));
    assert_eq!(verify(&ring, &five, T0).unwrap_err(), VerifyError::Unsupported);
}

#[test]
fn second_verify_is_a_cache_hit_and_returns_the_same_principal() {
    let ring = keyring();
    let token = mint(&ring, Scopes::ALL);
    let v = Verifier::new(16);
    let first = v.verify(&ring, &token, AUDIENCE, T0).unwrap();
    assert_eq!((v.cache_len(), v.cache_hits()), (1, 0));
    let second = v.verify(&ring, &token, AUDIENCE, T0 + Duration::minutes(5)).unwrap();
    assert!(Arc::ptr_eq(&first, &second));
    assert_eq!(v.cache_hits(), 1);
    // A hit still checks the audience asked for.
    assert_eq!(
        v.verify(&ring, &token, "https://elsewhere.example/mcp", T0).unwrap_err(),
        VerifyError::WrongAudience
    );
    v.clear();
    assert_eq!(v.cache_len(), 0);
    assert!(!Arc::ptr_eq(&first, &v.verify(&ring, &token, AUDIENCE, T0).unwrap()));
}

#[test]
fn a_retired_key_stops_cached_tokens_at_once() {
    let mut file = KeyFile::generate(T0).unwrap();
    file.rotate(T0, Duration::ZERO).unwrap();
    let ring = Keyring::from_file(&file);
    let token = mint(&ring, Scopes::ALL);
    let v = Verifier::new(16);
    v.verify(&ring, &token, AUDIENCE, T0).unwrap();
    v.verify(&ring, &token, AUDIENCE, T0).unwrap();
    assert_eq!(v.cache_hits(), 1);

    file.retire(2, true, T0).unwrap();
    let retired = Keyring::from_file(&file);
    assert_eq!(v.verify(&retired, &token, AUDIENCE, T0).unwrap_err(), VerifyError::UnknownKey);

    // A retired id is never given out again, so no other secret ever answers to it.
    assert_eq!(file.rotate(T0, Duration::ZERO).unwrap(), 3);
    let rotated = Keyring::from_file(&file);
    assert_eq!(v.verify(&rotated, &token, AUDIENCE, T0).unwrap_err(), VerifyError::UnknownKey);

    // A hand-made file with another secret under the same id: refused, cached or not.
    v.verify(&ring, &token, AUDIENCE, T0).unwrap();
    let mut other = KeyFile::generate(T0).unwrap();
    other.rotate(T0, Duration::ZERO).unwrap();
    let reused = Keyring::from_file(&other);
    assert!(v.verify(&reused, &token, AUDIENCE, T0).is_err());
    assert!(verify(&reused, &token, T0).is_err());
}

#[test]
fn cached_tokens_still_expire() {
    let ring = keyring();
    let token = mint(&ring, Scopes::ALL);
    let v = Verifier::new(16);
    v.verify(&ring, &token, AUDIENCE, T0).unwrap();
    assert_eq!(v.verify(&ring, &token, AUDIENCE, T0 + Duration::hours(1)).unwrap_err(), VerifyError::Expired);

    // The attenuation ttl counts on the cached path as well.
    let short = access::attenuate(&token, false, Some(Duration::minutes(2)), T0).unwrap();
    v.verify(&ring, &short, AUDIENCE, T0).unwrap();
    let hits = v.cache_hits();
    assert!(v.verify(&ring, &short, AUDIENCE, T0 + Duration::minutes(1)).is_ok());
    assert_eq!(v.cache_hits(), hits + 1, "an attenuated token with a plain ttl is cached");
    assert_eq!(
        v.verify(&ring, &short, AUDIENCE, T0 + Duration::minutes(2)).unwrap_err(),
        VerifyError::Expired
    );
}

#[test]
fn inspect_reports_without_the_norman_token() {
    let ring = keyring();
    let g = grant(Scopes::ALL, Some(T0 + Duration::days(1)));
    let minted = access::mint(&ring, &g, T0).unwrap();
    let attenuated = access::attenuate(&minted.token, true, Some(Duration::minutes(10)), T0).unwrap();

    let report = access::inspect(&ring, &attenuated, T0).unwrap();
    assert_eq!(report.token_id, minted.token_id);
    assert_eq!(report.key_id, 1);
    assert_eq!(report.blocks, 2);
    assert_eq!(report.granted, Scopes::ALL);
    assert_eq!(report.effective, Scopes::READ);
    assert_eq!(report.expires_at, T0 + Duration::hours(1));
    assert_eq!(report.effective_expires_at, T0 + Duration::minutes(10));
    assert_eq!(report.company_id.as_deref(), Some("cmp_7QxKp2Lm9RzT"));
    assert_eq!(report.status, Ok(()));
    let revocation_ids = verify(&ring, &attenuated, T0).unwrap().revocation_ids.clone();
    assert_eq!(report.revocation_id, revocation_ids[1]);
    let text = report.to_string();
    let debug = format!("{report:?}");
    for shown in [&text, &debug] {
        assert!(!shown.contains(g.norman_access.expose()));
        assert!(!shown.contains(NORMAN_SIGNATURE));
        assert!(!shown.contains("nmu_"), "not even the sealed envelope");
    }
    for expected in [
        minted.token_id.as_str(),
        AUDIENCE,
        "norman.read",
        "key 1",
        "operation(\"read\")",
        "2026-11-27T12:10:00Z",
        &format!("revocation {}", report.revocation_id),
    ] {
        assert!(text.contains(expected), "{expected:?} missing from\n{text}");
    }

    // An expired token is still described, with the reason it no longer works.
    let later = access::inspect(&ring, &attenuated, T0 + Duration::minutes(30)).unwrap();
    assert_eq!(later.status, Err(VerifyError::Expired));
    assert_eq!(later.effective, Scopes::EMPTY);
    assert!(later.to_string().contains("expired"));

    assert_eq!(access::inspect(&keyring(), &minted.token, T0).unwrap_err(), VerifyError::Forged);

    // A token no server accepts is described, its blocks printed, never evaluated.
    let mut six = attenuated.clone();
    for _ in 0..5 {
        six = append(&six, block!(r#"check if operation("read");"#));
    }
    let report = access::inspect(&ring, &six, T0).unwrap();
    assert_eq!((report.blocks, report.status), (7, Err(VerifyError::Unsupported)));
    assert_eq!(report.attenuation.len(), 6);
    let hostile = &hostile_tokens(&minted.token)[0].1;
    let report = access::inspect(&ring, hostile, T0).unwrap();
    assert_eq!(report.status, Err(VerifyError::Unsupported));
    assert!(report.attenuation[0].contains("$v39"));
}

#[test]
fn principal_debug_and_errors_hide_secrets() {
    let ring = keyring();
    let g = grant(Scopes::ALL, Some(T0 + Duration::days(1)));
    let minted = access::mint(&ring, &g, T0).unwrap();
    let token = minted.token.clone();
    assert!(!format!("{minted:?}").contains(&token[4..40]), "the bearer token stays out of Debug");
    let p = verify(&ring, &token, T0).unwrap();
    let debug = format!("{p:?}");
    assert!(!debug.contains(g.norman_access.expose()));
    assert!(!debug.contains(NORMAN_SIGNATURE));
    assert!(debug.contains(&p.token_id));
    let errors = [
        VerifyError::Malformed,
        VerifyError::UnknownKey,
        VerifyError::Forged,
        VerifyError::Expired,
        VerifyError::WrongAudience,
        VerifyError::Denied,
        VerifyError::Unsupported,
        VerifyError::Upstream(norman_mcp::seal::OpenError::Forged),
    ];
    let mut reasons = std::collections::HashSet::new();
    for e in errors {
        assert!(!e.to_string().contains(&token[..12]));
        assert!(reasons.insert(e.reason()));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,300}") {
        let ring = keyring();
        let v = Verifier::new(4);
        prop_assert!(v.verify(&ring, &s, AUDIENCE, T0).is_err());
        let prefixed = format!("{ACCESS_PREFIX}{s}");
        prop_assert!(v.verify(&ring, &prefixed, AUDIENCE, T0).is_err());
        let _ = access::inspect(&ring, &prefixed, T0);
        let _ = access::attenuate(&prefixed, true, Some(Duration::minutes(1)), T0);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let ring = keyring();
        let token = format!("{ACCESS_PREFIX}{}", URL_SAFE_NO_PAD.encode(&bytes));
        prop_assert!(Verifier::new(4).verify(&ring, &token, AUDIENCE, T0).is_err());
        let _ = access::inspect(&ring, &token, T0);
    }

    #[test]
    fn mutated_tokens_are_refused(position in any::<prop::sample::Index>(), xor in 1u8..=255) {
        let ring = keyring();
        let token = mint(&ring, Scopes::READ);
        let mut raw = URL_SAFE_NO_PAD.decode(&token[ACCESS_PREFIX.len()..]).unwrap();
        let i = position.index(raw.len());
        raw[i] ^= xor;
        let mutated = format!("{ACCESS_PREFIX}{}", URL_SAFE_NO_PAD.encode(&raw));
        prop_assert!(Verifier::new(4).verify(&ring, &mutated, AUDIENCE, T0).is_err());
    }
}

/// Tokens a holder of `token` can make by appending blocks that cost the server seconds to
/// hours of CPU, or gigabytes, under a Datalog authorizer, each with what it would cost there.
fn hostile_tokens(token: &str) -> Vec<(&'static str, String)> {
    let code = |source: String| BlockBuilder::new().code(source).unwrap();
    // 2^40 combinations, none passing: 20 variables took 26 s.
    let variables: Vec<String> = (0..40).map(|i| format!("right($v{i})")).collect();
    let forty = code(format!(r#"check if {}, $v0 == "none";"#, variables.join(", ")));
    // 10^7 facts in one iteration: 6 variables took 13 s and 370 MB.
    let facts: String = (0..10).map(|i| format!("n({i});")).collect();
    let multiplying = code(format!(
        "{facts} m($a, $b, $c, $d, $e, $f, $g) <- n($a), n($b), n($c), n($d), n($e), n($f), n($g); \
         check if m(99, 99, 99, 99, 99, 99, 99);"
    ));
    // `time($t), $t < D` in 500 parentheses: printing and re-parsing it overflowed the stack.
    let until = bb::Term::Date(
        u64::try_from((OffsetDateTime::now_utc() + Duration::minutes(5)).unix_timestamp()).unwrap(),
    );
    let mut ops = vec![Op::Value(bb::variable("t")), Op::Value(until), Op::Binary(Binary::LessThan)];
    ops.extend(std::iter::repeat_n(Op::Unary(Unary::Parens), 500));
    let nested = BlockBuilder::new()
        .check(Check {
            queries: vec![Rule::new(
                Predicate::new("query".into(), Vec::<bb::Term>::new()),
                vec![Predicate::new("time".into(), vec![bb::variable("t")])],
                vec![Expression { ops }],
                vec![],
            )],
            kind: CheckKind::One,
        })
        .unwrap();
    let read_only = || block!(r#"check if operation("read");"#);
    let mut five = token.to_owned();
    for _ in 0..5 {
        five = append(&five, read_only());
    }
    let mut hundred = five.clone();
    for _ in 5..100 {
        hundred = append(&hundred, read_only());
    }
    // A third-party block: signed by a key of the holder's choosing, with a check that would
    // be accepted in a block of its own.
    let raw = URL_SAFE_NO_PAD.decode(token.strip_prefix(ACCESS_PREFIX).unwrap()).unwrap();
    let unverified = UnverifiedBiscuit::from(&raw).unwrap();
    let external = unverified
        .third_party_request()
        .unwrap()
        .create_block(&KeyPair::new().private(), read_only())
        .unwrap();
    let external = unverified.append_third_party(&external.serialize().unwrap()).unwrap();
    let external = format!("{ACCESS_PREFIX}{}", URL_SAFE_NO_PAD.encode(external.to_vec().unwrap()));
    vec![
        ("a 40-variable check", append(token, forty)),
        ("a fact-multiplying rule", append(token, multiplying)),
        ("500 nested parentheses", append(token, nested)),
        ("5 appended blocks", five),
        ("100 appended blocks", hundred),
        ("a third-party block", external),
    ]
}

/// Every hostile token is refused with 401 `invalid_token`, while tool calls with a normal
/// token keep succeeding: two senders repeat the hostile tokens for as long as the normal
/// calls run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_appended_blocks_are_refused_while_tool_calls_go_on() {
    let server = TestServer::start().await;
    let (_, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    let hostile = hostile_tokens(&token);
    for (case, t) in &hostile {
        if *case != "100 appended blocks" {
            assert!(t.len() <= access::MAX_ACCESS_TOKEN_LEN, "{case} is parsed, not refused for its length");
        }
    }
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let done = AtomicBool::new(false);
    let refused = AtomicUsize::new(0);
    let send_hostile = async || {
        while !done.load(Ordering::Relaxed) {
            for (case, t) in &hostile {
                let response = mcp_post(&server, Some(t), &list).await;
                assert_eq!(response.status(), 401, "{case}");
                let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
                assert!(challenge.starts_with(r#"Bearer error="invalid_token""#), "{case}: {challenge}");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"], "invalid_token", "{case}");
                refused.fetch_add(1, Ordering::Relaxed);
            }
        }
    };
    let normal_calls = async {
        for _ in 0..20 {
            let reply = mcp_call(&server, &token, "get_company_details", json!({})).await;
            assert_eq!(tool_json(&reply)["name"], DEMO_USERS[0].company_name);
        }
        done.store(true, Ordering::Relaxed);
    };
    tokio::join!(send_hostile(), send_hostile(), normal_calls);
    assert!(refused.load(Ordering::Relaxed) >= 2 * hostile.len());
    assert_not_logged(&[&token]);
    server.stop().await;
}

/// Biscuit's revocation model over `/revoke` (RFC 7009) and `/mcp`: revoking a delegated
/// read-only copy ends it and everything derived from it, never its parent nor a sibling; the
/// deny entry lives as long as the revoked copy would have; revoking the parent ends them all.
#[tokio::test]
async fn revoking_a_delegated_copy_ends_it_and_its_descendants_only() {
    use norman_mcp::guard::GuardSpace;

    let server = TestServer::start().await;
    let (client_id, tokens) = full_flow(&server, "norman.read norman.write", 0).await;
    let parent = tokens["access_token"].as_str().unwrap().to_owned();
    let now = OffsetDateTime::now_utc();
    let copy = access::attenuate(&parent, true, Some(Duration::seconds(3)), now).unwrap();
    let derived = access::attenuate(&copy, false, Some(Duration::seconds(2)), now).unwrap();
    let sibling = access::attenuate(&parent, true, None, now).unwrap();
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let status = async |token: &str| mcp_post(&server, Some(token), &list).await.status();
    for token in [&parent, &copy, &derived, &sibling] {
        assert_eq!(status(token).await, 200);
    }

    let revoke = async |token: &str| {
        let form = [("token", token), ("client_id", client_id.as_str())];
        let response = server.http.post(server.url("/revoke")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), 200);
    };
    revoke(&copy).await;
    for token in [&copy, &derived] {
        let response = mcp_post(&server, Some(token), &list).await;
        assert_eq!(response.status(), 401);
        let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
        assert!(challenge.contains("the access token has been revoked"), "{challenge}");
    }
    for token in [&parent, &sibling] {
        assert_eq!(status(token).await, 200, "the parent and a sibling are untouched");
    }

    // The deny entry names the copy's last block and ends when the copy would have.
    let running = server.server.as_ref().unwrap();
    let copy_id =
        running.shared.verifier.verify(&server.keyring.current(), &copy, &server.resource(), now).unwrap();
    let copy_id = copy_id.revocation_id().to_owned();
    let guard = &running.shared.guard;
    assert!(guard.contains(GuardSpace::DeniedAccess, &copy_id).await.unwrap());
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert!(!guard.contains(GuardSpace::DeniedAccess, &copy_id).await.unwrap());

    revoke(&parent).await;
    for token in [&parent, &sibling] {
        assert_eq!(status(token).await, 401, "revoking the parent ends every copy");
    }
    assert_not_logged(&[&parent, &copy, &derived, &sibling]);
    server.stop().await;
}
