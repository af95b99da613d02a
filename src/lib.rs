//! norman-mcp: an MCP server for the Norman Finance API with a stateless OAuth 2.1
//! authorization server. See `DESIGN.md` in the shared folder for the map.

pub mod config;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod keyring;
pub mod limit;
pub mod logging;
pub mod mcp;
pub mod metrics;
pub mod net;
pub mod norman;
pub mod oauth;
pub mod scope;
pub mod seal;
pub mod server;
pub mod tokens;
