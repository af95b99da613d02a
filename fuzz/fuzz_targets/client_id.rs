//! A client id, then optionally a newline and the redirect URI a request asks for.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.split_once('\n') {
        Some((client_id, redirect)) => norman_mcp::fuzzing::resolve_client_id(client_id, Some(redirect)),
        None => norman_mcp::fuzzing::resolve_client_id(text, None),
    }
});
