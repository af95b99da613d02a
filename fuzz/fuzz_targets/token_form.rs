//! A `/token` request: the Authorization header (empty: none), a newline, the form body.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(newline) = data.iter().position(|&b| b == b'\n') else {
        return norman_mcp::fuzzing::token_request(None, data);
    };
    let (header, body) = (&data[..newline], &data[newline + 1..]);
    let header = std::str::from_utf8(header).ok().filter(|h| !h.is_empty());
    norman_mcp::fuzzing::token_request(header, body);
});
