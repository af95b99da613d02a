//! Access tokens: mint, cold verify (no cache), cached verify, and both with one attenuation
//! block. Targets on the 2-core reference machine: cached verify ≤ 2 µs, cold verify ≤ 100 µs.

use std::hint::black_box;

use base64::Engine as _;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use norman_mcp::keyring::{KeyFile, Keyring};
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
    group.finish();
}

criterion_group!(benches, access_tokens);
criterion_main!(benches);
