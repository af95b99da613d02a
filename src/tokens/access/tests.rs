//! The token format's rules, checked against Biscuit's own authorizer where it can run.

use biscuit_auth::builder::{
    self as bb, Binary, BlockBuilder, Check, CheckKind, Expression, Op, Predicate, Rule, Unary,
};
use biscuit_auth::format::{SerializedBiscuit, schema};
use biscuit_auth::macros::{authorizer, biscuit, block};
use biscuit_auth::{AuthorizerLimits, Biscuit, KeyPair, UnverifiedBiscuit};
use time::macros::datetime;

use super::attenuate::*;
use super::mint::*;
use super::reader::*;
use super::verify::*;
use super::*;
use crate::keyring::{KeyFile, Keyring};
use crate::scope::{Scope, Scopes};
use crate::seal;
use crate::tokens::NormanToken;
use crate::tokens::upstream::UpstreamCredentials;

const T0: OffsetDateTime = datetime!(2026-11-27 12:00:00 UTC);
const AUDIENCE: &str = "https://mcp.norman.example/mcp";

fn ring() -> Keyring {
    Keyring::from_file(&KeyFile::generate(T0).unwrap())
}

fn grant(scopes: Scopes) -> AccessGrant {
    AccessGrant {
        client_id: "nmi_some-registered-client".into(),
        scopes,
        audience: AUDIENCE.into(),
        norman_access: NormanToken::new("not-a-jwt".to_owned()),
        company_id: Some("cmp_7QxKp2Lm9RzT".into()),
        family_id: None,
        lifetime: DEFAULT_ACCESS_LIFETIME,
    }
}

fn raw(token: &str) -> Vec<u8> {
    decode(token).unwrap()
}

fn parsed(token: &str) -> schema::Biscuit {
    use prost::Message as _;
    schema::Biscuit::decode(raw(token).as_slice()).unwrap()
}

/// Appends `block` as any holder can.
fn append(token: &str, block: BlockBuilder) -> String {
    encode(&UnverifiedBiscuit::from(raw(token)).unwrap().append(block).unwrap().to_vec().unwrap())
}

fn verdict(ring: &Keyring, token: &str, audience: &str, now: OffsetDateTime) -> Result<Scopes, VerifyError> {
    verify_raw(ring, &raw(token), audience, now).map(|(p, _)| p.scopes)
}

/// What Biscuit's Datalog authorizer allows, one run per scope, with the facts a request
/// supplies (module docs). Only for tokens whose evaluation is known to be cheap.
fn datalog_verdict(ring: &Keyring, token: &str, audience: &str, now: OffsetDateTime) -> Scopes {
    let key = ring.sealing_key(T0).unwrap();
    let biscuit = Biscuit::from(raw(token), key.biscuit_root().public()).unwrap();
    Scope::ALL
        .into_iter()
        .filter(|scope| {
            let operation = match scope {
                Scope::Read => "read",
                Scope::Write => "write",
            };
            authorizer!(
                r#"time({now}); resource({audience}); operation({operation}); allow if right({right});"#,
                now = date(now),
                right = scope.as_str(),
            )
            // Biscuit's default budget is 1 ms of wall-clock time, which a preempted thread
            // on a busy machine overruns: a timeout would read as a denial.
            .set_limits(AuthorizerLimits {
                max_time: std::time::Duration::from_secs(10),
                ..Default::default()
            })
            .build(&biscuit)
            .unwrap()
            .authorize()
            .is_ok()
        })
        .collect()
}

#[test]
fn minted_tokens_are_read_from_their_bytes() {
    let ring = ring();
    for scopes in [Scopes::ALL, Scopes::READ, Scopes::EMPTY.with(Scope::Write)] {
        let minted = mint(&ring, &grant(scopes), T0).unwrap();
        let token = parsed(&minted.token);
        let claims = minted_claims(&token.authority.block).expect("recognised");
        assert_eq!(claims.granted, scopes);
        assert_eq!(claims.audience, AUDIENCE);
        assert_eq!(claims.expires_at, minted.expires_at);
        assert_eq!(claims.token_id, minted.token_id);
        assert_eq!(appended_restriction(&token.blocks), Ok(Restriction::default()));
        let (principal, key) = verify_raw(&ring, &raw(&minted.token), AUDIENCE, T0).unwrap();
        assert_eq!(key.id(), ring.sealing_key(T0).unwrap().id());
        assert_eq!(principal.revocation_ids, std::slice::from_ref(&minted.token_id));
        assert_eq!(principal.revocation_id(), minted.token_id);
        // biscuit-auth agrees with the fast path's signature check.
        assert!(SerializedBiscuit::from_slice(&raw(&minted.token), key.biscuit_root().public()).is_ok());
    }
}

/// The Rust evaluation of every accepted shape against Biscuit's own, at times around
/// each deadline, for either audience.
#[test]
fn the_checks_mean_what_biscuits_authorizer_says() {
    let ring = ring();
    let minutes = |m: i64| time::Duration::minutes(m);
    for scopes in [Scopes::ALL, Scopes::READ, Scopes::EMPTY.with(Scope::Write)] {
        let token = mint(&ring, &grant(scopes), T0).unwrap().token;
        let read_only = attenuate(&token, true, None, T0).unwrap();
        let short = attenuate(&token, false, Some(minutes(10)), T0).unwrap();
        let both = attenuate(&token, true, Some(minutes(20)), T0).unwrap();
        let nested = attenuate(&both, false, Some(minutes(5)), T0).unwrap();
        let longer = attenuate(&short, false, Some(minutes(90)), T0).unwrap();
        let reversed = append(
            &token,
            block!(
                r#"check if time($t), $t < {until}; check if operation("read");"#,
                until = date(T0 + minutes(15))
            ),
        );
        for t in [&token, &read_only, &short, &both, &nested, &longer, &reversed] {
            for now in [
                T0,
                T0 + minutes(5) - time::Duration::seconds(1),
                T0 + minutes(5),
                T0 + minutes(10),
                T0 + minutes(15),
                T0 + minutes(20),
                T0 + minutes(59),
                T0 + minutes(60),
                T0 + minutes(61),
            ] {
                for audience in [AUDIENCE, "https://other.example/mcp"] {
                    let ours = verdict(&ring, t, audience, now).unwrap_or(Scopes::EMPTY);
                    assert_eq!(ours, datalog_verdict(&ring, t, audience, now), "{scopes} {now} {audience}");
                }
            }
        }
    }
}

/// Every single-bit change anywhere in a minted token is refused, whichever path sees it.
#[test]
fn any_changed_bit_of_a_minted_token_is_refused() {
    let ring = ring();
    let raw = raw(&mint(&ring, &grant(Scopes::ALL), T0).unwrap().token);
    let verifier = Verifier::new(4);
    for i in 0..raw.len() {
        for bit in [0x01u8, 0x80] {
            let mut changed = raw.clone();
            changed[i] ^= bit;
            let token = encode(&changed);
            assert!(verifier.verify(&ring, &token, AUDIENCE, T0).is_err(), "byte {i} bit {bit:#x} accepted");
        }
    }
    assert_eq!(verifier.cache_len(), 0);
}

/// The fast path's own refusals: a changed block with the right proof is a forgery; a
/// wrong proof goes to biscuit-auth, which refuses it.
#[test]
fn the_fast_path_checks_the_signature_and_the_proof() {
    use prost::Message as _;

    let ring = ring();
    let minted = mint(&ring, &grant(Scopes::READ), T0).unwrap();
    let token = parsed(&minted.token);

    // Re-signed content: the write right added, proof and signature kept.
    let mut block = schema::Block::decode(token.authority.block.as_slice()).unwrap();
    let write = block.facts.iter().find(|f| f.predicate.terms.len() == 1).unwrap().clone();
    block.symbols.push("norman.write".into());
    let mut extra = write;
    let symbol = 1024 + block.symbols.len() as u64 - 1;
    extra.predicate.terms[0].content = Some(schema::term::Content::String(symbol));
    block.facts.push(extra);
    let mut widened = token.clone();
    widened.authority.block = block.encode_to_vec();
    assert!(minted_claims(&widened.authority.block).is_some_and(|c| c.granted == Scopes::ALL));
    assert_eq!(
        Verifier::new(4).verify(&ring, &encode(&widened.encode_to_vec()), AUDIENCE, T0).err(),
        Some(VerifyError::Forged)
    );

    // Another proof: biscuit-auth decides, and the next key does not match it.
    let mut other_proof = token.clone();
    other_proof.proof.content = Some(schema::proof::Content::NextSecret(vec![7; 32]));
    assert_eq!(
        Verifier::new(4).verify(&ring, &encode(&other_proof.encode_to_vec()), AUDIENCE, T0).err(),
        Some(VerifyError::Forged)
    );

    // The same token under another keyring that reuses the key id.
    let other_ring = Keyring::from_file(&KeyFile::generate(T0).unwrap());
    assert_eq!(
        Verifier::new(4).verify(&other_ring, &minted.token, AUDIENCE, T0).err(),
        Some(VerifyError::Forged)
    );
}

/// Tokens minted with a random next key (before the derived proof) still verify.
#[test]
fn tokens_with_a_random_proof_are_verified_by_biscuit() {
    let ring = ring();
    let key = ring.sealing_key(T0).unwrap();
    let minted = mint(&ring, &grant(Scopes::ALL), T0).unwrap();
    let claims = minted_claims(&parsed(&minted.token).authority.block).unwrap();
    let (a, u, e) = (AUDIENCE, claims.envelope.as_str(), date(claims.expires_at));
    let old = biscuit!(
        r#"access({id}, {c}, {a}, {e}, {u}); right("norman.read"); right("norman.write");
        check if time($t), $t < {e}; check if resource({a});"#,
        id = claims.token_id.as_str(),
        c = claims.client_fingerprint.as_str(),
        e = e.clone(),
    );
    let old = encode(&old.root_key_id(key.id()).build(key.biscuit_root()).unwrap().to_vec().unwrap());
    let p = Verifier::new(4).verify(&ring, &old, AUDIENCE, T0).unwrap();
    assert_eq!((p.scopes, p.token_id.as_str()), (Scopes::ALL, minted.token_id.as_str()));
}

/// Authority blocks our key signed but `mint` would not write: refused, whatever Datalog
/// would have made of them.
#[test]
fn any_other_authority_block_is_refused() {
    let ring = ring();
    let key = ring.sealing_key(T0).unwrap();
    let upstream = UpstreamCredentials {
        norman_access: NormanToken::new("not-a-jwt".to_owned()),
        company_id: None,
        family_id: None,
        expires_at: T0 + time::Duration::hours(1),
    };
    let envelope = seal::seal(&ring, &upstream, T0).unwrap();
    let expires = date(T0 + time::Duration::hours(1));
    let later = date(T0 + time::Duration::hours(2));
    let sign = |builder: biscuit_auth::builder::BiscuitBuilder| {
        encode(&builder.root_key_id(key.id()).build(key.biscuit_root()).unwrap().to_vec().unwrap())
    };
    let (a, u) = (AUDIENCE, envelope.as_str());
    let unsupported = Err(VerifyError::Unsupported);
    let cases = [
        // The shape `mint` writes, built by hand: accepted (the control).
        (
            biscuit!(
                r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                check if time($t), $t < {e}; check if resource({a});"#,
                e = expires.clone(),
            ),
            Ok(Scopes::ALL),
        ),
        // One more check.
        (
            biscuit!(
                r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                check if time($t), $t < {e}; check if resource({a}); check if operation("read");"#,
                e = expires.clone(),
            ),
            unsupported,
        ),
        // A time check whose date is not the claimed expiry.
        (
            biscuit!(
                r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                check if time($t), $t < {later}; check if resource({a});"#,
                e = expires.clone(),
                later = later.clone(),
            ),
            unsupported,
        ),
        // `<=` instead of `<`.
        (
            biscuit!(
                r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.write");
                check if time($t), $t <= {e}; check if resource({a});"#,
                e = expires.clone(),
            ),
            unsupported,
        ),
        // A rule.
        (
            biscuit!(
                r#"access("id", "client", {a}, {e}, {u}); right("norman.write");
                right("norman.read") <- right("norman.write");
                check if time($t), $t < {e}; check if resource({a});"#,
                e = expires.clone(),
            ),
            unsupported,
        ),
        // A right that names no scope of ours.
        (
            biscuit!(
                r#"access("id", "client", {a}, {e}, {u}); right("norman.read"); right("norman.admin");
                check if time($t), $t < {e}; check if resource({a});"#,
                e = expires.clone(),
            ),
            unsupported,
        ),
    ];
    for (i, (builder, expected)) in cases.into_iter().enumerate() {
        let verdict = Verifier::new(4).verify(&ring, &sign(builder), AUDIENCE, T0).map(|p| p.scopes);
        assert_eq!(verdict, expected, "case {i}");
    }
}

/// `check if time($t), {expression}` built without the parser, so that any nesting depth
/// can be written.
fn time_check(ops: Vec<Op>) -> Check {
    Check {
        queries: vec![Rule::new(
            Predicate::new("query".into(), Vec::<bb::Term>::new()),
            vec![Predicate::new("time".into(), vec![bb::variable("t")])],
            vec![Expression { ops }],
            vec![],
        )],
        kind: CheckKind::One,
    }
}

/// Blocks that `attenuate` never writes, each refused by the reader alone.
fn foreign_blocks() -> Vec<(&'static str, BlockBuilder)> {
    let until = date(T0 + time::Duration::minutes(5));
    let variables: Vec<String> = (0..40).map(|i| format!("right($v{i})")).collect();
    let mut nested =
        vec![Op::Value(bb::variable("t")), Op::Value(until.clone()), Op::Binary(Binary::LessThan)];
    nested.extend(std::iter::repeat_n(Op::Unary(Unary::Parens), 200));
    let code = |source: &str| BlockBuilder::new().code(source).unwrap();
    vec![
        ("empty", BlockBuilder::new()),
        ("a fact", code(r#"right("norman.write");"#)),
        ("a rule", code(r#"many($a, $b) <- right($a), right($b);"#)),
        ("a 40-variable check", code(&format!("check if {};", variables.join(", ")))),
        ("check if true", code("check if true;")),
        ("another operation", code(r#"check if operation("write");"#)),
        ("two queries", code(r#"check if operation("read") or operation("write");"#)),
        ("check all", code(r#"check all operation("read");"#)),
        ("reject if", code(r#"reject if operation("write");"#)),
        ("the read check twice", code(r#"check if operation("read"); check if operation("read");"#)),
        ("less or equal", code("check if time($t), $t <= 2026-11-27T12:05:00Z;")),
        ("mirrored", code("check if time($t), 2026-11-27T12:05:00Z > $t;")),
        ("two bounds", code("check if time($t), $t < 2026-11-27T12:05:00Z, $t > 2026-01-01T00:00:00Z;")),
        ("another variable", code("check if time($t), $u < 2026-11-27T12:05:00Z;")),
        ("a trusted origin", code(r#"check if operation("read") trusting previous;"#)),
        ("a context", code(r#"check if operation("read");"#).context("ctx".into())),
        ("deep nesting", BlockBuilder::new().check(time_check(nested)).unwrap()),
    ]
}

#[test]
fn only_the_blocks_attenuate_writes_are_read() {
    let ring = ring();
    let token = mint(&ring, &grant(Scopes::ALL), T0).unwrap().token;
    let until = T0 + time::Duration::minutes(5);
    let accepted = [
        (attenuate(&token, true, None, T0).unwrap(), Restriction { read_only: true, until: None }),
        (
            attenuate(&token, false, Some(time::Duration::minutes(5)), T0).unwrap(),
            Restriction { read_only: false, until: Some(until) },
        ),
        (
            attenuate(&token, true, Some(time::Duration::minutes(5)), T0).unwrap(),
            Restriction { read_only: true, until: Some(until) },
        ),
        (
            append(
                &token,
                block!(r#"check if time($t), $t < {u}; check if operation("read");"#, u = date(until)),
            ),
            Restriction { read_only: true, until: Some(until) },
        ),
        (
            append(
                &token,
                BlockBuilder::new()
                    .check(time_check(vec![
                        Op::Value(bb::variable("t")),
                        Op::Value(date(until)),
                        Op::Binary(Binary::LessThan),
                    ]))
                    .unwrap(),
            ),
            Restriction { read_only: false, until: Some(until) },
        ),
    ];
    for (token, expected) in &accepted {
        assert_eq!(appended_restriction(&parsed(token).blocks), Ok(*expected));
        assert!(verify_raw(&ring, &raw(token), AUDIENCE, T0).is_ok());
    }
    for (case, block) in foreign_blocks() {
        let hostile = append(&token, block);
        assert_eq!(appended_restriction(&parsed(&hostile).blocks), Err(VerifyError::Unsupported), "{case}");
        assert_eq!(verdict(&ring, &hostile, AUDIENCE, T0), Err(VerifyError::Unsupported), "{case}");
    }
}

/// A third-party block (signed by another key) is refused even when its check is one
/// `attenuate` writes.
#[test]
fn a_block_with_an_external_signature_is_refused() {
    let ring = ring();
    let token = mint(&ring, &grant(Scopes::ALL), T0).unwrap().token;
    let unverified = UnverifiedBiscuit::from(raw(&token)).unwrap();
    let external = KeyPair::new();
    let request = unverified.third_party_request().unwrap();
    let block = request.create_block(&external.private(), block!(r#"check if operation("read");"#)).unwrap();
    let third_party = unverified.append_third_party(&block.serialize().unwrap()).unwrap();
    let third_party = encode(&third_party.to_vec().unwrap());
    assert!(parsed(&third_party).blocks[0].external_signature.is_some());
    assert_eq!(verdict(&ring, &third_party, AUDIENCE, T0), Err(VerifyError::Unsupported));
}

/// What the reader refuses, it refuses before any signature is checked: the hostile
/// tokens with every appended block's signature destroyed get the same answer, never
/// `Forged`. So no hostile block costs more than decoding its few hundred bytes.
#[test]
fn refusals_come_before_any_signature_check() {
    use prost::Message as _;

    let ring = ring();
    let token = mint(&ring, &grant(Scopes::ALL), T0).unwrap().token;
    let read_only = attenuate(&token, true, None, T0).unwrap();
    let mut five = read_only.clone();
    for _ in 0..4 {
        five = append(&five, block!(r#"check if operation("read");"#));
    }
    assert_eq!(parsed(&five).blocks.len(), 5);
    let hostile = foreign_blocks().into_iter().map(|(case, block)| (case, append(&token, block)));
    for (case, token) in hostile.chain([("five blocks", five)]) {
        let mut forged = parsed(&token);
        for block in &mut forged.blocks {
            block.signature = vec![0; 64];
        }
        let forged = encode(&forged.encode_to_vec());
        assert_eq!(verdict(&ring, &token, AUDIENCE, T0), Err(VerifyError::Unsupported), "{case}");
        assert_eq!(verdict(&ring, &forged, AUDIENCE, T0), Err(VerifyError::Unsupported), "{case}");
    }
    // The control: an accepted shape with a destroyed signature is a forgery.
    let mut forged = parsed(&read_only);
    forged.blocks[0].signature = vec![0; 64];
    assert_eq!(verdict(&ring, &encode(&forged.encode_to_vec()), AUDIENCE, T0), Err(VerifyError::Forged));
}

/// Expiry, audience and key come before the blocks are read and before any signature.
#[test]
fn expiry_audience_and_key_come_first() {
    use prost::Message as _;

    let ring = ring();
    let token = mint(&ring, &grant(Scopes::ALL), T0).unwrap().token;
    let hostile = append(&token, foreign_blocks().remove(3).1);
    let mut forged = parsed(&hostile);
    forged.authority.signature = vec![0; 64];
    let forged = encode(&forged.encode_to_vec());
    for t in [&hostile, &forged] {
        assert_eq!(verdict(&ring, t, AUDIENCE, T0 + time::Duration::hours(2)), Err(VerifyError::Expired));
        assert_eq!(verdict(&ring, t, "https://other.example/mcp", T0), Err(VerifyError::WrongAudience));
        let mut unknown = parsed(t);
        unknown.root_key_id = Some(99);
        assert_eq!(
            verdict(&ring, &encode(&unknown.encode_to_vec()), AUDIENCE, T0),
            Err(VerifyError::UnknownKey)
        );
    }
}

#[test]
fn revocation_ids_are_the_token_id_then_biscuits() {
    let ring = ring();
    let minted = mint(&ring, &grant(Scopes::ALL), T0).unwrap();
    let once = attenuate(&minted.token, true, None, T0).unwrap();
    let twice = attenuate(&once, false, Some(time::Duration::minutes(5)), T0).unwrap();
    let biscuits = UnverifiedBiscuit::from(raw(&twice)).unwrap().revocation_identifiers();
    let (p, _) = verify_raw(&ring, &raw(&twice), AUDIENCE, T0).unwrap();
    assert_eq!(p.revocation_ids.len(), 3);
    assert_eq!(p.revocation_ids[0], minted.token_id);
    let appended: Vec<String> = biscuits[1..].iter().map(|id| URL_SAFE_NO_PAD.encode(id)).collect();
    assert_eq!(p.revocation_ids[1..], appended[..], "Biscuit's own, in base64url");
    assert_eq!(p.revocation_id(), p.revocation_ids[2]);
    let (parent, _) = verify_raw(&ring, &raw(&once), AUDIENCE, T0).unwrap();
    assert_eq!(parent.revocation_ids[..], p.revocation_ids[..2], "a derived token carries its parent's ids");
}
