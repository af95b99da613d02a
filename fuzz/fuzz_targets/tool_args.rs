//! A tool call's arguments: byte 0 picks the tool (in catalogue order), the rest is the JSON
//! `arguments` object (or null).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((&tool, arguments)) = data.split_first() {
        norman_mcp::fuzzing::tool_arguments(tool, arguments);
    }
});
