//! Parsers of flag values: each error says what a valid value looks like.

use std::time::Duration;

use norman_mcp::oauth::login::LoginMode;
use url::Url;

/// `--login`: the sign-ins the login page offers.
pub fn parse_login_mode(text: &str) -> Result<LoginMode, String> {
    LoginMode::parse(text.trim()).ok_or_else(|| "expected password, norman-oauth or both".to_owned())
}

/// An address is a network of one.
pub fn parse_net(text: &str) -> Result<ipnet::IpNet, String> {
    let text = text.trim();
    text.parse::<ipnet::IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("{text} is not an IP address or CIDR network (e.g. 10.0.0.0/8)"))
}

/// Norman receives passwords and tokens: https, or http to this machine only (a local
/// sandbox). The path is a base that API paths are joined to, so it ends with a slash.
pub fn parse_norman_api_url(text: &str) -> Result<Url, String> {
    let mut url = Url::parse(text.trim()).map_err(|e| format!("not a URL ({e})"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => return Err("Norman must be reached over https (http only on loopback)".to_owned()),
        _ => return Err("expected an https:// URL".to_owned()),
    }
    if url.host().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err("expected a base URL such as https://api.norman.finance/".to_owned());
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

pub fn parse_duration(text: &str) -> Result<time::Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 10m, 1h30m, 0s)"))?;
    time::Duration::try_from(duration).map_err(|_| "duration is too long".to_owned())
}

pub fn parse_std_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (examples: 250ms, 5s, 1m)"))
}

#[cfg(test)]
mod tests {
    use super::parse_norman_api_url;

    #[test]
    fn norman_api_urls_are_https_or_loopback_and_end_with_a_slash() {
        let parsed = |text: &str| parse_norman_api_url(text).map(|url| url.to_string());
        assert_eq!(parsed("https://api.norman.finance").unwrap(), "https://api.norman.finance/");
        assert_eq!(parsed("https://gw.example/norman/v2").unwrap(), "https://gw.example/norman/v2/");
        assert_eq!(parsed("http://127.0.0.1:3002/").unwrap(), "http://127.0.0.1:3002/");
        assert_eq!(parsed("http://localhost:3002").unwrap(), "http://localhost:3002/");
        assert_eq!(parsed("http://[::1]:3002/").unwrap(), "http://[::1]:3002/");
        for refused in [
            "http://api.norman.finance/",
            "http://10.0.0.5/",
            "ftp://api.norman.finance/",
            "https://user:pass@api.norman.finance/",
            "https://api.norman.finance/?x=1",
            "api.norman.finance",
        ] {
            assert!(parse_norman_api_url(refused).is_err(), "{refused}");
        }
    }
}
