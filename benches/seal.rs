//! Envelope cost against the bare AEAD it wraps: seal and open at 64, 512 and 2048 bytes.
//! Target: opening 512 bytes costs at most twice a raw XChaCha20-Poly1305 decrypt.

use std::hint::black_box;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use norman_mcp::keyring::{KeyFile, Keyring};
use norman_mcp::seal::{self, Purpose};
use norman_mcp::tokens::NormanToken;
use norman_mcp::tokens::upstream::UpstreamCredentials;
use time::OffsetDateTime;

const SIZES: [usize; 3] = [64, 512, 2048];

fn envelope(c: &mut Criterion) {
    let now = OffsetDateTime::now_utc();
    let ring = Keyring::from_file(&KeyFile::generate(now).unwrap());
    let raw = XChaCha20Poly1305::new(&[7u8; 32].into());
    let nonce = XNonce::from([9u8; 24]);
    let aad = [0u8; 8];

    let mut group = c.benchmark_group("envelope");
    for size in SIZES {
        let plaintext = vec![0x5au8; size];
        group.throughput(Throughput::Bytes(size as u64));

        group.bench_with_input(BenchmarkId::new("raw_encrypt", size), &plaintext, |b, p| {
            b.iter(|| raw.encrypt(&nonce, Payload { msg: black_box(p), aad: &aad }).unwrap())
        });
        let ciphertext = raw.encrypt(&nonce, Payload { msg: &plaintext, aad: &aad }).unwrap();
        group.bench_with_input(BenchmarkId::new("raw_decrypt", size), &ciphertext, |b, c| {
            b.iter(|| raw.decrypt(&nonce, Payload { msg: black_box(c), aad: &aad }).unwrap())
        });

        group.bench_with_input(BenchmarkId::new("seal", size), &plaintext, |b, p| {
            b.iter(|| seal::seal_bytes(&ring, Purpose::Code, black_box(p), now).unwrap())
        });
        let sealed = seal::seal_bytes(&ring, Purpose::Code, &plaintext, now).unwrap();
        group.bench_with_input(BenchmarkId::new("open", size), &sealed, |b, s| {
            b.iter(|| seal::open_bytes(&ring, Purpose::Code, black_box(s)).unwrap())
        });
    }
    group.finish();

    // The typed layer on a realistic payload: a Norman JWT and a company id (JSON ≈ 420 bytes).
    let value = UpstreamCredentials {
        norman_access: NormanToken::new("eyJhbGciOiJIUzI1NiJ9.".to_owned() + &"x".repeat(360)),
        company_id: Some("cmp_7QxKp2Lm9RzT".into()),
        family_id: None,
        expires_at: now + time::Duration::hours(1),
    };
    let sealed = seal::seal(&ring, &value, now).unwrap();
    c.bench_function("typed/seal_upstream", |b| {
        b.iter(|| seal::seal(&ring, black_box(&value), now).unwrap())
    });
    c.bench_function("typed/open_upstream", |b| {
        b.iter(|| seal::open::<UpstreamCredentials>(&ring, black_box(&sealed), now).unwrap())
    });
}

criterion_group!(benches, envelope);
criterion_main!(benches);
