//! An access token's Biscuit bytes, verified cold (the minted shape and biscuit-auth's path),
//! warm, inspected and attenuated.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    norman_mcp::fuzzing::verify_access(data);
});
