//! Redirect URIs: a [`RedirectUri`] can only be built valid, so code holding one never re-checks.
//!
//! Allowed: `https` on any host; `http` only on a loopback host (RFC 8252 §7.3); private-use
//! schemes of native apps (`cursor://…`, `vscode://…`, `com.example.app:/cb`, RFC 8252 §7.1).
//! Refused: schemes a browser would execute or that cannot carry a code back, fragments
//! (RFC 6749 §3.1.2), user info, and anything that is not plain printable ASCII.
//!
//! The text is kept exactly as given: OAuth compares redirect URIs as strings, and the
//! normalised form of a URL parser may differ from what the client registered.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use url::{Host, Url};

/// Longest redirect URI accepted; real ones are well under 300 characters.
pub const MAX_REDIRECT_URI_LEN: usize = 2000;

/// Schemes never accepted: they run script, read local data, or are no way back to a client.
const FORBIDDEN_SCHEMES: &[&str] = &[
    "javascript",
    "data",
    "file",
    "vbscript",
    "about",
    "blob",
    "filesystem",
    "ws",
    "wss",
    "ftp",
    "view-source",
];

/// Why a redirect URI was refused. The messages fit an OAuth `error_description` (printable
/// ASCII without `"` or `\`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRedirectUri {
    #[error("the redirect URI is longer than {MAX_REDIRECT_URI_LEN} characters")]
    TooLong,
    #[error(
        "the redirect URI contains characters not allowed in a URI (spaces, control characters, backslashes or non-ASCII)"
    )]
    Malformed,
    #[error("the redirect URI must be an absolute URI")]
    NotAbsolute,
    #[error("the redirect URI must not contain a fragment")]
    Fragment,
    #[error("redirect URIs with the {0}: scheme are not allowed")]
    ForbiddenScheme(String),
    #[error("http redirect URIs are only allowed on localhost, 127.0.0.1 or [::1]; use https")]
    HttpNotLoopback,
    #[error("the redirect URI must not contain a user name or password")]
    UserInfo,
    #[error("the redirect URI has no host")]
    MissingHost,
}

/// A validated redirect URI, holding the exact text it was built from.
#[derive(Clone, PartialEq, Eq)]
pub struct RedirectUri {
    text: String,
    url: Url,
}

impl RedirectUri {
    pub fn parse(text: &str) -> Result<RedirectUri, InvalidRedirectUri> {
        if text.len() > MAX_REDIRECT_URI_LEN {
            return Err(InvalidRedirectUri::TooLong);
        }
        // The URL parser silently strips whitespace and tabs and accepts `\` as `/`; refusing
        // such text keeps what we store, what we compare and what a browser follows the same.
        if !text.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') {
            return Err(InvalidRedirectUri::Malformed);
        }
        let url = Url::parse(text).map_err(|e| match e {
            url::ParseError::RelativeUrlWithoutBase => InvalidRedirectUri::NotAbsolute,
            _ => InvalidRedirectUri::Malformed,
        })?;
        let scheme = url.scheme();
        if FORBIDDEN_SCHEMES.contains(&scheme) {
            return Err(InvalidRedirectUri::ForbiddenScheme(scheme.to_owned()));
        }
        if text.contains('#') {
            return Err(InvalidRedirectUri::Fragment);
        }
        // The parser drops an empty user info (`https://@host/`), so look at the raw authority.
        if !url.username().is_empty()
            || url.password().is_some()
            || raw_authority(text).is_some_and(|a| a.contains('@'))
        {
            return Err(InvalidRedirectUri::UserInfo);
        }
        if scheme == "http" || scheme == "https" {
            // `https:/host` and `https:host` parse as `https://host`; insist on the usual form
            // so the raw text means what the parsed URL means.
            if !text.get(..scheme.len() + 3).is_some_and(|p| p.eq_ignore_ascii_case(&format!("{scheme}://")))
            {
                return Err(InvalidRedirectUri::Malformed);
            }
            if url.host().is_none() {
                return Err(InvalidRedirectUri::MissingHost);
            }
            if scheme == "http" && !is_loopback_host(&url) {
                return Err(InvalidRedirectUri::HttpNotLoopback);
            }
        }
        Ok(RedirectUri { text: text.to_owned(), url })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// An `http` URI on `localhost`, `127.0.0.1` or `[::1]` (RFC 8252 §7.3).
    pub fn is_loopback(&self) -> bool {
        self.url.scheme() == "http" && is_loopback_host(&self.url)
    }

    /// What to show a person as "where you will be sent": the host for web URIs, the scheme
    /// and host for private-use schemes (`cursor://anysphere.cursor-retrieval`), the bare
    /// scheme when there is no host (`com.example.app`).
    pub fn host_for_display(&self) -> String {
        let scheme = self.url.scheme();
        match (scheme, self.url.host_str()) {
            ("http" | "https", Some(host)) => host.to_owned(),
            (_, Some(host)) if !host.is_empty() => format!("{scheme}://{host}"),
            _ => scheme.to_owned(),
        }
    }

    /// Does a `redirect_uri` sent in a request match this registered one? Exact string
    /// equality, except that loopback URIs match with any port (RFC 8252 §7.3): native apps
    /// bind an ephemeral port per login.
    pub fn matches(&self, requested: &str) -> bool {
        if self.text == requested {
            return true;
        }
        if !self.is_loopback() {
            return false;
        }
        let Ok(requested) = RedirectUri::parse(requested) else {
            return false;
        };
        requested.is_loopback()
            && without_port(&self.text).is_some_and(|a| without_port(&requested.text) == Some(a))
    }
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d == "localhost",
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        None => false,
    }
}

/// The authority of `scheme://authority/...`, if the text has one.
fn raw_authority(text: &str) -> Option<&str> {
    let (_, rest) = text.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The text with the `:port` of its authority removed, so two loopback URIs can be compared
/// as strings apart from the port. Only called on validated `http://` URIs.
fn without_port(text: &str) -> Option<String> {
    let (scheme, rest) = text.split_once("://")?;
    let authority = raw_authority(text)?;
    let host_end = if authority.starts_with('[') {
        authority.find(']')? + 1
    } else {
        authority.find(':').unwrap_or(authority.len())
    };
    let host = &authority[..host_end];
    let after = &rest[authority.len()..];
    Some(format!("{scheme}://{host}{after}"))
}

impl fmt::Debug for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("RedirectUri").field(&self.text).finish()
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for RedirectUri {
    type Err = InvalidRedirectUri;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        RedirectUri::parse(text)
    }
}

impl AsRef<str> for RedirectUri {
    fn as_ref(&self) -> &str {
        &self.text
    }
}

impl Serialize for RedirectUri {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for RedirectUri {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        RedirectUri::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> RedirectUri {
        match RedirectUri::parse(text) {
            Ok(uri) => uri,
            Err(e) => panic!("{text} should be accepted, got {e:?}"),
        }
    }

    fn err(text: &str) -> InvalidRedirectUri {
        match RedirectUri::parse(text) {
            Ok(uri) => panic!("{text} should be refused, got {uri:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn accepts_https_loopback_http_and_private_use_schemes() {
        for text in [
            "https://claude.ai/api/mcp/auth_callback",
            "https://chatgpt.com/connector_platform_oauth_redirect",
            "https://example.com:8443/cb?x=1",
            "https://203.0.113.7/cb",
            "http://localhost:6274/oauth/callback",
            "http://localhost/cb",
            "http://127.0.0.1:6276/oauth/callback",
            "http://[::1]:33418/",
            "cursor://anysphere.cursor-retrieval/oauth/callback",
            "vscode://vscode.github-authentication/did-authenticate",
            "com.example.app:/cb",
            "com.example.app:cb",
        ] {
            assert_eq!(ok(text).as_str(), text);
        }
    }

    #[test]
    fn keeps_the_exact_text() {
        // The parser would add a trailing slash and lower-case the host; we must not.
        let uri = ok("https://Example.com");
        assert_eq!(uri.as_str(), "https://Example.com");
        assert!(uri.matches("https://Example.com"));
        assert!(!uri.matches("https://example.com/"));
    }

    #[test]
    fn refuses_dangerous_and_useless_schemes() {
        for (text, scheme) in [
            ("javascript:alert(1)", "javascript"),
            ("JavaScript:alert(1)", "javascript"),
            ("data:text/html,<script>alert(1)</script>", "data"),
            ("file:///etc/passwd", "file"),
            ("vbscript:msgbox(1)", "vbscript"),
            ("about:blank", "about"),
            ("blob:https://example.com/1234", "blob"),
            ("filesystem:https://example.com/temporary/x", "filesystem"),
            ("ws://localhost/cb", "ws"),
            ("wss://example.com/cb", "wss"),
            ("ftp://example.com/cb", "ftp"),
            ("view-source:https://example.com/", "view-source"),
        ] {
            assert_eq!(err(text), InvalidRedirectUri::ForbiddenScheme(scheme.to_owned()), "{text}");
        }
    }

    #[test]
    fn refuses_fragments() {
        assert_eq!(err("https://example.com/cb#frag"), InvalidRedirectUri::Fragment);
        assert_eq!(err("https://example.com/cb#"), InvalidRedirectUri::Fragment);
        assert_eq!(err("http://localhost:3000/cb#x"), InvalidRedirectUri::Fragment);
        assert_eq!(err("cursor://x/cb#x"), InvalidRedirectUri::Fragment);
    }

    #[test]
    fn refuses_http_on_other_hosts() {
        for text in [
            "http://example.com/cb",
            "http://127.0.0.2/cb",
            "http://10.0.0.1/cb",
            "http://localhost.example.com/cb",
            "http://localhost./cb",
            "http://[::2]/cb",
        ] {
            assert_eq!(err(text), InvalidRedirectUri::HttpNotLoopback, "{text}");
        }
    }

    #[test]
    fn refuses_user_info() {
        for text in [
            "https://user@example.com/cb",
            "https://user:pw@example.com/cb",
            "https://@example.com/cb",
            "http://evil.com@localhost/cb",
            "cursor://user@host/cb",
        ] {
            assert_eq!(err(text), InvalidRedirectUri::UserInfo, "{text}");
        }
    }

    #[test]
    fn refuses_overlong_uris() {
        let long = format!("https://example.com/{}", "a".repeat(MAX_REDIRECT_URI_LEN));
        assert_eq!(err(&long), InvalidRedirectUri::TooLong);
        let just_fits = format!("https://example.com/{}", "a".repeat(MAX_REDIRECT_URI_LEN - 20));
        assert_eq!(just_fits.len(), MAX_REDIRECT_URI_LEN);
        ok(&just_fits);
    }

    #[test]
    fn refuses_relative_and_malformed_text() {
        assert_eq!(err("/callback"), InvalidRedirectUri::NotAbsolute);
        assert_eq!(err("callback"), InvalidRedirectUri::NotAbsolute);
        assert_eq!(err(""), InvalidRedirectUri::NotAbsolute);
        for text in [
            " https://example.com/cb",
            "https://example.com/cb ",
            "https://exa\tmple.com/cb",
            "https://example.com/c\nb",
            "https://bücher.de/cb",
            "https://evil.com\\@good.com/",
            "https:/example.com/cb",
            "https:example.com/cb",
            "https://",
            "http://[::1/cb",
            "https://exa mple.com/",
        ] {
            assert_eq!(err(text), InvalidRedirectUri::Malformed, "{text:?}");
        }
    }

    #[test]
    fn loopback_detection() {
        assert!(ok("http://localhost:1/").is_loopback());
        assert!(ok("http://127.0.0.1/").is_loopback());
        assert!(ok("http://[::1]:8080/cb").is_loopback());
        assert!(!ok("https://localhost/cb").is_loopback());
        assert!(!ok("https://example.com/cb").is_loopback());
        assert!(!ok("cursor://localhost/cb").is_loopback());
    }

    #[test]
    fn hosts_for_display() {
        assert_eq!(ok("http://localhost:6274/oauth/callback").host_for_display(), "localhost");
        assert_eq!(ok("https://claude.ai/api/mcp/auth_callback").host_for_display(), "claude.ai");
        assert_eq!(ok("http://[::1]:9/cb").host_for_display(), "[::1]");
        assert_eq!(
            ok("cursor://anysphere.cursor-retrieval/oauth/callback").host_for_display(),
            "cursor://anysphere.cursor-retrieval"
        );
        assert_eq!(ok("com.example.app:/cb").host_for_display(), "com.example.app");
    }

    #[test]
    fn non_loopback_uris_match_exactly() {
        let uri = ok("https://claude.ai/api/mcp/auth_callback");
        assert!(uri.matches("https://claude.ai/api/mcp/auth_callback"));
        assert!(!uri.matches("https://claude.ai/api/mcp/auth_callback/"));
        assert!(!uri.matches("https://claude.ai:443/api/mcp/auth_callback"));
        assert!(!uri.matches("https://claude.ai:8443/api/mcp/auth_callback"));
        assert!(!uri.matches("https://CLAUDE.ai/api/mcp/auth_callback"));
        assert!(!uri.matches("https://claude.ai/api/mcp/auth_callback?x=1"));
        let app = ok("cursor://anysphere.cursor-retrieval/oauth/callback");
        assert!(app.matches("cursor://anysphere.cursor-retrieval/oauth/callback"));
        assert!(!app.matches("cursor://anysphere.cursor-retrieval:1/oauth/callback"));
    }

    #[test]
    fn loopback_uris_match_with_any_port() {
        let uri = ok("http://127.0.0.1:6276/oauth/callback");
        assert!(uri.matches("http://127.0.0.1:6276/oauth/callback"));
        assert!(uri.matches("http://127.0.0.1:51234/oauth/callback"));
        assert!(uri.matches("http://127.0.0.1/oauth/callback"));
        assert!(!uri.matches("http://localhost:6276/oauth/callback"));
        assert!(!uri.matches("http://127.0.0.1:6276/oauth/callback/"));
        assert!(!uri.matches("http://127.0.0.1:6276/oauth/callback?x=1"));
        assert!(!uri.matches("https://127.0.0.1:6276/oauth/callback"));
        assert!(!uri.matches("http://127.0.0.1:6276/oauth/../oauth/callback"));
        assert!(!uri.matches("http://127.0.0.1:6276/oauth/callback#x"));
        assert!(!uri.matches("http://user@127.0.0.1:6276/oauth/callback"));

        let v6 = ok("http://[::1]/cb?a=b");
        assert!(v6.matches("http://[::1]:9999/cb?a=b"));
        assert!(!v6.matches("http://[::1]:9999/cb?a=c"));
        let no_port = ok("http://localhost/cb");
        assert!(no_port.matches("http://localhost:3000/cb"));
        assert!(!no_port.matches("garbage"));
        assert!(!no_port.matches(""));
    }

    #[test]
    fn serde_round_trip_validates() {
        let uri = ok("http://localhost:3000/cb");
        let json = serde_json::to_string(&uri).unwrap();
        assert_eq!(json, "\"http://localhost:3000/cb\"");
        assert_eq!(serde_json::from_str::<RedirectUri>(&json).unwrap(), uri);
        assert!(serde_json::from_str::<RedirectUri>("\"javascript:alert(1)\"").is_err());
        assert!(serde_json::from_str::<RedirectUri>("42").is_err());
        // Escaped JSON strings arrive as owned text; they must work too.
        assert_eq!(
            serde_json::from_str::<RedirectUri>("\"http:\\/\\/localhost\\/cb\"").unwrap().as_str(),
            "http://localhost/cb"
        );
    }

    #[test]
    fn error_messages_fit_an_error_description() {
        let errors = [
            InvalidRedirectUri::TooLong,
            InvalidRedirectUri::Malformed,
            InvalidRedirectUri::NotAbsolute,
            InvalidRedirectUri::Fragment,
            InvalidRedirectUri::ForbiddenScheme("javascript".into()),
            InvalidRedirectUri::HttpNotLoopback,
            InvalidRedirectUri::UserInfo,
            InvalidRedirectUri::MissingHost,
        ];
        for e in errors {
            let text = e.to_string();
            assert!(text.bytes().all(|b| (0x20..=0x7e).contains(&b) && b != b'"' && b != b'\\'), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(text in "\\PC{0,80}", other in "[a-z:/\\[\\]@#?.0-9]{0,40}") {
            if let Ok(uri) = RedirectUri::parse(&text) {
                let _ = (uri.is_loopback(), uri.host_for_display(), uri.matches(&other));
            }
            let _ = RedirectUri::parse(&format!("http://{other}"))
                .map(|uri| (uri.host_for_display(), uri.matches(&text), uri.matches(&format!("http://{other}"))));
        }
    }
}
