//! DNS-rebinding protection for `/mcp`: the `Host` must name this server and a browser's
//! `Origin`, when sent, must be this server's public origin, a loopback origin (local tools
//! such as MCP Inspector) or one configured by hand. Anything else gets 403 before any token
//! is looked at.

use axum::http::{HeaderMap, HeaderValue, header};
use url::Url;

/// A scheme, host and port triple (RFC 6454), ports made explicit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    fn of_url(url: &Url) -> Option<Origin> {
        let scheme = url.scheme().to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let host = url.host_str()?.trim_matches(['[', ']']).to_ascii_lowercase();
        Some(Origin { port: url.port_or_known_default()?, scheme, host })
    }

    fn parse(text: &str) -> Option<Origin> {
        let url = Url::parse(text).ok()?;
        // An Origin header is exactly scheme://host[:port], nothing after it.
        if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
            return None;
        }
        if !url.username().is_empty() || url.password().is_some() || text.ends_with('/') {
            return None;
        }
        Origin::of_url(&url)
    }
}

fn is_loopback_host(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

/// Which `Host` and `Origin` values `/mcp` accepts.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    public: Option<Origin>,
    extra: Vec<Origin>,
}

/// Why a request was refused; the wire form is a short sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("the Host header does not name this server")]
    ForeignHost,
    #[error("requests from this Origin are not allowed")]
    ForeignOrigin,
}

impl OriginPolicy {
    /// `public_url` is the server's own; `extra` are browser origins allowed besides it.
    pub fn new(public_url: &Url, extra: &[Url]) -> OriginPolicy {
        OriginPolicy {
            public: Origin::of_url(public_url),
            extra: extra.iter().filter_map(Origin::of_url).collect(),
        }
    }

    /// The host names rmcp's own `Host` check is given: the public host and loopback.
    pub fn allowed_hosts(&self) -> Vec<String> {
        let mut hosts = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
        if let Some(public) = &self.public
            && !is_loopback_host(&public.host)
        {
            hosts.push(public.host.clone());
        }
        hosts
    }

    pub fn check(&self, headers: &HeaderMap) -> Result<(), OriginError> {
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).ok_or(OriginError::ForeignHost)?;
        if !self.host_allowed(host) {
            return Err(OriginError::ForeignHost);
        }
        match headers.get(header::ORIGIN) {
            None => Ok(()),
            Some(origin) if self.origin_allowed(origin) => Ok(()),
            Some(_) => Err(OriginError::ForeignOrigin),
        }
    }

    /// For the CORS layer: the same rule, so a preflight never promises what the POST refuses.
    pub fn origin_allowed(&self, value: &HeaderValue) -> bool {
        let Some(origin) = value.to_str().ok().and_then(Origin::parse) else {
            return false;
        };
        is_loopback_host(&origin.host)
            || self.public.as_ref() == Some(&origin)
            || self.extra.contains(&origin)
    }

    fn host_allowed(&self, host: &str) -> bool {
        let Ok(authority) = host.parse::<axum::http::uri::Authority>() else {
            return false;
        };
        let name = authority.host().trim_matches(['[', ']']).to_ascii_lowercase();
        if is_loopback_host(&name) {
            return true;
        }
        self.public.as_ref().is_some_and(|public| {
            public.host == name && authority.port_u16().is_none_or(|port| port == public.port)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> OriginPolicy {
        let extra = [Url::parse("https://app.example.com").unwrap()];
        OriginPolicy::new(&Url::parse("https://mcp.norman.finance").unwrap(), &extra)
    }

    fn headers(host: &str, origin: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_str(host).unwrap());
        if let Some(origin) = origin {
            headers.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
        }
        headers
    }

    #[test]
    fn hosts() {
        let policy = policy();
        for host in
            ["mcp.norman.finance", "MCP.norman.finance:443", "localhost:3001", "127.0.0.1", "[::1]:8080"]
        {
            assert_eq!(policy.check(&headers(host, None)), Ok(()), "{host}");
        }
        for host in ["evil.example", "mcp.norman.finance:8443", "mcp.norman.finance.evil.example", "", "a b"]
        {
            assert_eq!(policy.check(&headers(host, None)), Err(OriginError::ForeignHost), "{host:?}");
        }
        assert_eq!(policy.check(&HeaderMap::new()), Err(OriginError::ForeignHost));
    }

    #[test]
    fn origins() {
        let policy = policy();
        for origin in [
            "https://mcp.norman.finance",
            "https://mcp.norman.finance:443",
            "https://app.example.com",
            "http://localhost:6274",
            "http://127.0.0.1:6276",
            "http://[::1]:9",
        ] {
            assert_eq!(policy.check(&headers("mcp.norman.finance", Some(origin))), Ok(()), "{origin}");
        }
        for origin in [
            "https://evil.example",
            "http://mcp.norman.finance",
            "https://mcp.norman.finance:8443",
            "https://app.example.com.evil.example",
            "null",
            "https://mcp.norman.finance/",
            "https://user@mcp.norman.finance",
            "file://",
            "",
        ] {
            assert_eq!(
                policy.check(&headers("mcp.norman.finance", Some(origin))),
                Err(OriginError::ForeignOrigin),
                "{origin:?}"
            );
        }
    }

    #[test]
    fn rmcp_hosts_include_the_public_host() {
        assert_eq!(policy().allowed_hosts(), ["localhost", "127.0.0.1", "::1", "mcp.norman.finance"]);
    }
}
