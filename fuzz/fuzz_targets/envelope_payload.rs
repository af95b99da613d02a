//! The payload behind a valid tag: byte 0 picks the purpose, the rest is the plaintext
//! (`expires_at:i64 BE | JSON`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&purpose, plaintext)) = data.split_first() {
        norman_mcp::fuzzing::seal_and_open(purpose, plaintext);
    }
});
