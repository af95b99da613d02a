//! The integration tests: one test binary, a module per area, one support module. Each area
//! starts what it needs on 127.0.0.1 (the sandbox Norman API, the server, a TLS server, the
//! real binary, `redis-server`) and stops it again.

mod access;
mod catalogue_output;
mod catalogue_snapshot;
mod catalogue_toolsets;
mod cimd;
mod cli_keys;
mod cli_serve;
mod companies;
mod founding_tools;
mod keyring;
mod keyring_watch;
mod mcp;
mod metrics;
mod norman_oauth;
mod oauth;
mod pages;
mod prompts;
mod replay;
mod resources;
mod seal;
mod stdio;
mod support;
mod tools;
mod tools_catalogue;
mod upload_link;
