//! The server's settings, from flags and the environment (see `main.rs` for the names).

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    /// Where clients reach this server; the issuer and the MCP URL derive from it.
    pub public_url: Url,
    pub norman_api_url: Url,
    pub norman_api_timeout: Duration,
    /// Development only: fetch client metadata documents from private and loopback addresses.
    pub allow_private_metadata_fetch: bool,
    /// Browser origins allowed to call `/mcp` besides the public URL's own and loopback ones.
    pub allowed_origins: Vec<Url>,
}

impl Config {
    /// The issuer identifier: the public URL without a trailing slash, byte-identical in every
    /// metadata document and every `iss` parameter.
    pub fn issuer(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_owned()
    }

    /// The canonical URL of the MCP endpoint, the audience of every access token (RFC 8707).
    pub fn mcp_url(&self) -> String {
        format!("{}/mcp", self.issuer())
    }

    /// Cookies get `Secure` and the `__Host-` prefix when the public URL is https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The default public URL for a bind address: `http://localhost:PORT`.
    pub fn default_public_url(bind: SocketAddr) -> Url {
        Url::parse(&format!("http://localhost:{}", bind.port())).expect("a valid URL")
    }
}
