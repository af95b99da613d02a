//! Every envelope prefix (codes, refresh tokens, client ids, login form state, the envelope
//! inside access tokens), as text from the wire.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        norman_mcp::fuzzing::open_envelope(text);
    }
});
