//! Outbound fetches of URLs that strangers choose: client metadata documents (`oauth::cimd`,
//! a `client_id` sent by anyone) and the files the upload tools download (`mcp::upload`, a URL
//! a model or a prompt injected into it chose). Both are server-side request forgery risks,
//! so both go through one guarded client: https only; the host resolved by us, asynchronously
//! and under a deadline, and every address checked before any connection (in the client's
//! resolver, so nothing can be rebound between check and use); address literals checked
//! before the request; no proxy; redirects refused or checked again; one overall timeout.

pub mod address;
pub mod client;
pub mod resolve;

pub use address::{is_public_address, literal_ip, refused_literal};
pub use client::{FetchError, GuardedClientConfig, Redirects, SetupError};
pub use resolve::{DnsConfig, Nameservers};
