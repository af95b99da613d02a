//! `nma_`: the access token, a Biscuit signed by the keyring's root key.
//!
//! Wire form: `nma_` base64url_nopad(biscuit bytes), with the signing key's id as the Biscuit
//! `root_key_id`. The authority block (only the server can write it) holds:
//!
//! ```text
//! access({token id}, {client fingerprint}, {audience}, {expiry date}, {nmu_ envelope});
//! right("norman.read"); right("norman.write");        // one fact per granted scope
//! check if time($t), $t < {expiry date};
//! check if resource({audience});
//! ```
//!
//! The claims share one fact so that reading them is one match. The Norman access token travels
//! only inside the `nmu_` envelope, so reading a Biscuit (which anyone can) never shows it.
//!
//! Any holder may append blocks (attenuation). A Datalog block costs what its author wants: a
//! check joining dozens of variables, or a rule multiplying facts, runs for minutes inside one
//! evaluation step, where Biscuit's authorizer limits never look. So no Datalog runs here:
//! tokens are read structurally (the protobuf of `biscuit_auth::format::schema`), and only the
//! shapes this server writes are accepted. The authority block is the one above; after it come
//! at most [`MAX_APPENDED_BLOCKS`] appended blocks, each holding one or both of the checks
//! `attenuate` writes and nothing else (no facts, rules, scopes, public keys, context or
//! third-party signature):
//!
//! ```text
//! check if operation("read");          // the token no longer grants norman.write
//! check if time($t), $t < {date};      // the token ends at {date}, if not before
//! ```
//!
//! Those checks are evaluated in Rust, with the meaning Biscuit's authorizer gives them when a
//! request supplies `time({now})`, `resource({audience})`, `operation("read" | "write")` and
//! the policy `allow if right({scope})`. Anything else is refused (`VerifyError::Unsupported`).
//! Verification runs cheapest first: the length, the protobuf, the key id, the number and shape
//! of the blocks, the audience, expiry and scopes, all read from the bytes; only then the
//! signatures (one Ed25519 verification per block, through biscuit-auth) and the envelope.
//!
//! The token's proof (the secret key that signs a next block, which Biscuit draws at random) is
//! instead HMAC-SHA256 of the token id under the key's access-proof key. Holders see no
//! difference; a cold verification of a token exactly as `mint` writes it then recomputes that
//! secret and compares it, where Biscuit would derive its public key (a curve multiplication)
//! and compare that with the signed `next_key`. The signature covers the token id and the next
//! key, and `mint` always signs the public key of the derived secret, so the two tests agree.
//! Attenuated tokens carry `attenuate`'s random proof and are checked by biscuit-auth.
//!
//! Revocation follows Biscuit's model: every block has a revocation id, a token is refused once
//! any of its blocks' ids is denied, and revoking a token denies its last block's id. Revoking a
//! delegated copy (its parent plus one block) therefore ends that copy and every token derived
//! from it, never the parent. The authority block's id is the token id (signed, and drawn afresh
//! by every `mint`); an appended block's is its signature, as Biscuit's
//! `revocation_identifiers` gives it, in base64url.
//!
//! The files: `types` (grants, principals and errors), `mint` (issuing, and the Norman token's
//! expiry), `reader` (the authority block `mint` writes, read from its bytes), `attenuate`
//! (appending blocks, and reading the ones appended), `verify` (signatures, and the verifier
//! with its cache), `inspect` (what `norman-mcp token inspect` prints).

mod attenuate;
mod inspect;
mod mint;
mod reader;
#[cfg(test)]
mod tests;
mod types;
mod verify;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use biscuit_auth::builder::Term;
use time::OffsetDateTime;

pub use self::attenuate::attenuate;
pub use self::inspect::{TokenReport, inspect};
pub use self::mint::{client_fingerprint, mint, needs_upstream_refresh, norman_token_expiry};
pub use self::types::{AccessGrant, AttenuateError, MintError, MintedAccess, Principal, VerifyError};
pub use self::verify::Verifier;

pub const ACCESS_PREFIX: &str = "nma_";

/// How long an access token lives unless the operator chose otherwise (`AccessGrant::lifetime`).
pub const DEFAULT_ACCESS_LIFETIME: time::Duration = time::Duration::hours(1);

/// The longest an access token may live, whatever the grant asks: a leaked token works until
/// then unless revoked. The Norman token's own expiry may cut it shorter.
pub const MAX_ACCESS_LIFETIME: time::Duration = time::Duration::hours(24);

/// Longest token `verify`, `inspect` and `attenuate` look at, checked before any decoding.
/// Ours are about 1 KiB; each attenuation block adds about 200 characters.
pub const MAX_ACCESS_TOKEN_LEN: usize = 8 * 1024;

/// The most blocks a holder may append to a token; `attenuate` writes one per call.
pub const MAX_APPENDED_BLOCKS: usize = 4;

fn encode(raw: &[u8]) -> String {
    let mut out = String::with_capacity(ACCESS_PREFIX.len() + raw.len().div_ceil(3) * 4);
    out.push_str(ACCESS_PREFIX);
    URL_SAFE_NO_PAD.encode_string(raw, &mut out);
    out
}

fn decode(token: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(token.strip_prefix(ACCESS_PREFIX)?).ok()
}

/// A Biscuit date. Built by hand: `From<SystemTime>` panics before 1970.
fn date(at: OffsetDateTime) -> Term {
    Term::Date(u64::try_from(at.unix_timestamp()).unwrap_or(0))
}

fn from_date(secs: u64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()
}

fn whole_seconds(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}
