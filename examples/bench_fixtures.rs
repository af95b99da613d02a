//! Credentials for `scripts/bench`, made offline with the keyring the server under test loads,
//! so the pinned runs need no Norman and no sign-in:
//!
//! - `bench_fixtures token KEYS PUBLIC_URL COMPANY_ID` prints an access token for `/mcp`
//!   carrying a stand-in Norman token (JWT-shaped, a day to live: the canned upstream never
//!   checks it).
//! - `bench_fixtures codes KEYS PUBLIC_URL COUNT OUT` writes COUNT `/token` request bodies, one
//!   a line: a sealed authorization code (single-use, 60 s to live), its own PKCE verifier,
//!   the client id of a public client registered here and its redirect URI.

use std::io::Write;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use norman_mcp::config::Config;
use norman_mcp::keyring::Keyring;
use norman_mcp::oauth::register::{self, RegistrationRequest};
use norman_mcp::scope::Scopes;
use norman_mcp::seal;
use norman_mcp::tokens::NormanToken;
use norman_mcp::tokens::access::{self, AccessGrant, DEFAULT_ACCESS_LIFETIME};
use norman_mcp::tokens::code::{AuthorizationCode, CODE_LIFETIME};
use norman_mcp::tokens::random_id;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

const REDIRECT: &str = "http://127.0.0.1:6276/oauth/callback";

/// A token shaped and sized like Norman's (a simplejwt HS256 JWT): the server reads its `exp`
/// to bound the access token's life, and nothing else.
fn norman_token(kind: &str, now: OffsetDateTime) -> NormanToken {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = serde_json::json!({
        "token_type": kind,
        "exp": (now + time::Duration::days(1)).unix_timestamp(),
        "iat": now.unix_timestamp(),
        "jti": random_id().unwrap(),
        "user_id": 1,
    });
    let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
    let signature = URL_SAFE_NO_PAD.encode(Sha256::digest(random_id().unwrap().as_bytes()));
    NormanToken::new(format!("{header}.{payload}.{signature}"))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: bench_fixtures token KEYS PUBLIC_URL COMPANY_ID | codes KEYS PUBLIC_URL COUNT OUT";
    let (Some(command), Some(keys), Some(public_url)) = (args.first(), args.get(1), args.get(2)) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let public_url = url::Url::parse(public_url).expect("PUBLIC_URL is a URL");
    let issuer = Config::issuer_of(&public_url);
    let keyring = Keyring::load(Path::new(keys)).expect("the keyring loads").bound_to(&issuer);
    let now = OffsetDateTime::now_utc();
    let mcp_url = format!("{issuer}/mcp");
    let client_id = register::register(
        &keyring,
        RegistrationRequest {
            redirect_uris: Some(vec![REDIRECT.to_owned()]),
            token_endpoint_auth_method: Some("none".into()),
            client_name: Some("bench".into()),
            ..Default::default()
        },
        now,
    )
    .expect("registration")
    .client_id;
    match (command.as_str(), args.get(3), args.get(4)) {
        ("token", Some(company_id), None) => {
            let grant = AccessGrant {
                client_id,
                scopes: Scopes::ALL,
                audience: mcp_url,
                norman_access: norman_token("access", now),
                company_id: Some(company_id.clone()),
                family_id: None,
                lifetime: DEFAULT_ACCESS_LIFETIME,
            };
            println!("{}", access::mint(&keyring, &grant, now).expect("mint").token);
        }
        ("codes", Some(count), Some(out)) => {
            let count: usize = count.parse().expect("COUNT is a number");
            let mut out = std::io::BufWriter::new(std::fs::File::create(out).expect("OUT is writable"));
            let (access, refresh) = (norman_token("access", now), norman_token("refresh", now));
            for _ in 0..count {
                let verifier = random_id().unwrap() + &random_id().unwrap();
                let code = AuthorizationCode {
                    code_id: random_id().unwrap(),
                    client_id: client_id.clone(),
                    redirect_uri: REDIRECT.to_owned(),
                    redirect_uri_given: true,
                    code_challenge: URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
                    scope: Scopes::ALL,
                    resource: Some(mcp_url.clone()),
                    norman_access: access.clone(),
                    norman_refresh: refresh.clone(),
                    company_id: Some("bench-company".to_owned()),
                    method: Default::default(),
                    expires_at: now + CODE_LIFETIME,
                };
                let code = seal::seal(&keyring, &code, now).expect("seal");
                let body = serde_urlencoded::to_string([
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT),
                    ("client_id", client_id.as_str()),
                    ("code_verifier", verifier.as_str()),
                ])
                .unwrap();
                writeln!(out, "{body}").unwrap();
            }
            out.flush().unwrap();
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
