//! Resource indicators (RFC 8707): the one resource we serve is the MCP endpoint.

use url::Url;

/// Whether `requested` names `canonical`, tolerating what clients really send: a trailing
/// slash and upper-case scheme or host (the URL parser lower-cases both).
pub fn names_resource(requested: &str, canonical: &str) -> bool {
    let (Ok(requested), Ok(canonical)) = (Url::parse(requested), Url::parse(canonical)) else {
        return false;
    };
    requested.fragment().is_none()
        && requested.query().is_none()
        && requested.scheme() == canonical.scheme()
        && requested.host_str() == canonical.host_str()
        && requested.port_or_known_default() == canonical.port_or_known_default()
        && requested.path().trim_end_matches('/') == canonical.path().trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::names_resource;

    #[test]
    fn tolerated_and_refused_spellings() {
        let ours = "http://localhost:3001/mcp";
        assert!(names_resource("http://localhost:3001/mcp", ours));
        assert!(names_resource("http://localhost:3001/mcp/", ours));
        assert!(names_resource("HTTP://LOCALHOST:3001/mcp", ours));
        assert!(!names_resource("http://localhost:3001/MCP", ours));
        assert!(!names_resource("http://localhost:3002/mcp", ours));
        assert!(!names_resource("https://localhost:3001/mcp", ours));
        assert!(!names_resource("http://evil.example/mcp", ours));
        assert!(!names_resource("http://localhost:3001/mcp#x", ours));
        assert!(!names_resource("mcp", ours));
        assert!(names_resource("https://mcp.norman.finance:443/mcp", "https://mcp.norman.finance/mcp"));
    }
}
