//! A client id URL, a newline, and the metadata document fetched from it; with an empty first
//! line, a dynamic client registration body instead.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(newline) = data.iter().position(|&b| b == b'\n') else {
        return;
    };
    let (first, body) = (&data[..newline], &data[newline + 1..]);
    match std::str::from_utf8(first) {
        Ok("") => norman_mcp::fuzzing::register_client(body),
        Ok(client_id) => norman_mcp::fuzzing::parse_metadata_document(client_id, body),
        Err(_) => {}
    }
});
