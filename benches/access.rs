//! Access tokens: mint, cold verify (no cache), cached verify, and both with one attenuation
//! block; the refusal of a hostile appended block; the deny-list lookups `/mcp` adds after a
//! verification (one per block and one for the grant, in the per-replica store). Targets on
//! the 2-core reference machine: cached verify ≤ 2 µs, cold verify ≤ 100 µs.

use std::hint::black_box;

use base64::Engine as _;
use biscuit_auth::{BlockBuilder, UnverifiedBiscuit};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use futures_util::FutureExt as _;
use norman_mcp::guard::{GuardSpace, MemoryGuard, ReplayGuard as _};
use norman_mcp::keyring::{KeyFile, Keyring};
use norman_mcp::mcp::bearer;
use norman_mcp::scope::Scopes;
use norman_mcp::tokens::NormanToken;
use norman_mcp::tokens::access::{self, AccessGrant, Verifier};
use time::OffsetDateTime;

const AUDIENCE: &str = "https://mcp.norman.example/mcp";

/// A realistic Norman access JWT (about 400 characters).
fn norman_jwt(exp: OffsetDateTime) -> NormanToken {
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    let payload = format!(
        r#"{{"token_type":"access","exp":{},"iat":{},"jti":"5f0c6d2a9b8e4c1fa3d7e6b2c9f1a0e4","user_id":4242,"email":"person@example.com"}}"#,
        exp.unix_timestamp(),
        exp.unix_timestamp() - 3600
    );
    NormanToken::new(format!(
        "{}.{}.{}",
        b64(r#"{"alg":"HS256","typ":"JWT"}"#),
        b64(&payload),
        "s".repeat(43)
    ))
}

fn access_tokens(c: &mut Criterion) {
    let now = OffsetDateTime::now_utc();
    let ring = Keyring::from_file(&KeyFile::generate(now).unwrap());
    let grant = AccessGrant {
        client_id: "nmi_".to_owned() + &"c".repeat(200),
        scopes: Scopes::ALL,
        audience: AUDIENCE.into(),
        norman_access: norman_jwt(now + time::Duration::hours(2)),
        company_id: Some("cmp_7QxKp2Lm9RzT".into()),
        family_id: None,
        lifetime: norman_mcp::tokens::access::DEFAULT_ACCESS_LIFETIME,
    };
    let token = access::mint(&ring, &grant, now).unwrap().token;
    let attenuated = access::attenuate(&token, true, Some(time::Duration::minutes(30)), now).unwrap();
    eprintln!("token: {} characters; attenuated: {}", token.len(), attenuated.len());

    let mut group = c.benchmark_group("access");
    group.bench_function("mint", |b| b.iter(|| access::mint(&ring, black_box(&grant), now).unwrap()));

    for (name, t) in [("plain", &token), ("attenuated", &attenuated)] {
        // A fresh verifier per iteration, made outside the timed part: every call is a miss.
        group.bench_function(format!("verify_cold/{name}"), |b| {
            b.iter_batched_ref(
                || Verifier::new(4),
                |v| v.verify(&ring, black_box(t), AUDIENCE, now).unwrap(),
                BatchSize::SmallInput,
            )
        });
        let warm = Verifier::new(1024);
        warm.verify(&ring, t, AUDIENCE, now).unwrap();
        group.bench_function(format!("verify_cached/{name}"), |b| {
            b.iter(|| warm.verify(&ring, black_box(t), AUDIENCE, now).unwrap())
        });
    }
    group.bench_function("attenuate", |b| {
        b.iter(|| access::attenuate(black_box(&token), true, Some(time::Duration::minutes(30)), now).unwrap())
    });

    // A check joining 40 variables, which a Datalog engine would run for months.
    let variables: Vec<String> = (0..40).map(|i| format!("right($v{i})")).collect();
    let block =
        BlockBuilder::new().code(format!(r#"check if {}, $v0 == "none";"#, variables.join(", "))).unwrap();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&token[access::ACCESS_PREFIX.len()..])
        .unwrap();
    let hostile = UnverifiedBiscuit::from(&raw).unwrap().append(block).unwrap().to_vec().unwrap();
    let hostile = format!(
        "{}{}",
        access::ACCESS_PREFIX,
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hostile)
    );
    group.bench_function("verify_cold/refused_hostile", |b| {
        b.iter_batched_ref(
            || Verifier::new(4),
            |v| v.verify(&ring, black_box(&hostile), AUDIENCE, now).unwrap_err(),
            BatchSize::SmallInput,
        )
    });

    // A store holding other revocations; tokens of a grant, as the token endpoint issues them.
    let guard = MemoryGuard::new();
    for i in 0..1000 {
        let id = format!("revoked-{i}");
        guard.first_use(GuardSpace::DeniedAccess, &id, std::time::Duration::from_secs(3600)).now_or_never();
    }
    let granted = AccessGrant { family_id: Some("family-of-the-grant".into()), ..grant.clone() };
    let granted = access::mint(&ring, &granted, now).unwrap().token;
    let attenuated = access::attenuate(&granted, true, Some(time::Duration::minutes(30)), now).unwrap();
    for (name, t) in [("plain", &granted), ("attenuated", &attenuated)] {
        let principal = Verifier::new(4).verify(&ring, t, AUDIENCE, now).unwrap();
        group.bench_function(format!("revocation/{name}"), |b| {
            b.iter(|| bearer::revocation(&guard, black_box(&principal)).now_or_never().unwrap().unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, access_tokens);
criterion_main!(benches);
