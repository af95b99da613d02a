//! norman-mcp: an MCP server for the Norman Finance API with a stateless OAuth 2.1
//! authorization server. The design, the module map and the allowed dependency directions are
//! in `docs/architecture.md`; `architecture` (a test) keeps the directions.

#[cfg(test)]
mod architecture;

pub mod config;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod guard;
pub mod i18n;
pub mod keyring;
pub mod limit;
pub mod logging;
pub mod mcp;
pub mod metrics;
pub mod net;
pub mod norman;
pub mod oauth;
pub mod page;
pub mod redirect;
pub mod scope;
pub mod seal;
pub mod server;
pub mod tokens;
pub mod web;
