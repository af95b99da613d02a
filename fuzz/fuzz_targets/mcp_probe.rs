//! An `/mcp` body as the bearer layer probes it: byte 0 picks the token's scopes (bit 0
//! norman.read, bit 1 norman.write), the rest is the body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&scopes, body)) = data.split_first() {
        norman_mcp::fuzzing::probe_mcp_body(scopes, body);
    }
});
