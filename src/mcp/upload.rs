//! Files for the upload tools: base64 content sent by the model, or an https URL we fetch.
//!
//! Fetching a URL that a model (or a prompt injected into it) chose is a server-side request
//! forgery risk: the download goes through the guarded client of `net` (https only, every
//! address checked before connecting, no proxy, redirects only to https and checked again, one
//! overall timeout), and the size cap is enforced while streaming, not trusted from
//! `Content-Length`.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT};
use reqwest::StatusCode;
use reqwest::header::CONTENT_DISPOSITION;
use url::Url;

use crate::net::{self, DnsConfig, FetchError, GuardedClientConfig, Redirects};

/// Per-file limit unless configured otherwise.
pub const DEFAULT_MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// Files per bulk upload unless configured otherwise.
pub const DEFAULT_MAX_FILES: usize = 10;
/// All files of one bulk upload together unless configured otherwise: without it, one call
/// could hold `max_files` times the per-file limit in memory (twice, once encoded for Norman).
pub const DEFAULT_MAX_TOTAL_BYTES: usize = 25 * 1024 * 1024;
const MAX_REDIRECTS: usize = 5;
const MAX_URL_LEN: usize = 4096;
const MAX_NAME_CHARS: usize = 200;
const FALLBACK_NAME: &str = "downloaded_file";

#[derive(Clone, Debug)]
pub struct UploadPolicy {
    /// Largest file accepted, decoded (base64) or downloaded (URL).
    pub max_file_bytes: usize,
    /// Most files in one bulk upload.
    pub max_files: usize,
    /// Most bytes in one bulk upload, all files together (decoded or downloaded).
    pub max_total_bytes: usize,
    /// Fetch from loopback and private networks too. For development and tests only.
    pub allow_private_addresses: bool,
    /// For a whole download: resolution, connection, TLS, headers and body.
    pub timeout: Duration,
    /// Extra trusted roots (DER) on top of the system's; for tests with a self-signed server.
    pub extra_root_certificates: Vec<Vec<u8>>,
    pub dns: DnsConfig,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        UploadPolicy {
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_files: DEFAULT_MAX_FILES,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
            allow_private_addresses: false,
            timeout: Duration::from_secs(30),
            extra_root_certificates: Vec::new(),
            dns: DnsConfig::default(),
        }
    }
}

/// One file ready for Norman.
pub struct FileData {
    pub name: String,
    pub data: Vec<u8>,
}

/// Why a file could not be had. `Display` is a sentence the model can act on.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("file URLs must be https:// URLs")]
    NotHttps,
    #[error("the file URL is not a valid URL")]
    InvalidUrl,
    #[error(
        "the file URL points to a private or reserved network address, which this server does not fetch from"
    )]
    PrivateAddress,
    #[error("the file URL could not be fetched: its server could not be reached")]
    Unreachable,
    #[error("the file URL could not be fetched: its server did not answer in time")]
    Timeout,
    #[error("the file URL could not be fetched: its server answered with HTTP status {0}{note}", note = redirect_note(*.0))]
    HttpStatus(u16),
    #[error("the file is larger than the limit of {max} bytes")]
    TooLarge { max: usize },
    #[error("the file is empty")]
    Empty,
    #[error("the file content is not valid base64")]
    BadBase64,
    #[error("at most {max} files can be uploaded at once")]
    TooManyFiles { max: usize },
    #[error(
        "the files together are larger than the limit of {max} bytes for one upload; upload them in several calls"
    )]
    TotalTooLarge { max: usize },
}

fn redirect_note(status: u16) -> &'static str {
    if (300..400).contains(&status) { " (too many redirects, or a redirect to a non-https URL)" } else { "" }
}

/// The HTTP client could not be built (an extra root certificate is not valid DER, or the
/// system's DNS configuration cannot be read).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for file uploads: {0}")]
pub struct UploadSetupError(#[source] net::SetupError);

/// Decodes and fetches files under one [`UploadPolicy`]. Cheap to share behind the catalogue.
pub struct Uploads {
    policy: UploadPolicy,
    /// `None` only when `new` could not build a client; every URL fetch then fails.
    client: Option<reqwest::Client>,
}

impl Uploads {
    /// Never fails: if the HTTP client cannot be built, the error is logged and every URL fetch
    /// answers `Unreachable` (base64 uploads still work). [`Uploads::try_new`] refuses instead.
    pub fn new(policy: UploadPolicy) -> Uploads {
        let client = match build_client(&policy) {
            Ok(client) => Some(client),
            Err(error) => {
                tracing::error!(?error, "file URLs cannot be fetched");
                None
            }
        };
        Uploads { policy, client }
    }

    pub fn try_new(policy: UploadPolicy) -> Result<Uploads, UploadSetupError> {
        let client = build_client(&policy)?;
        Ok(Uploads { policy, client: Some(client) })
    }

    pub fn policy(&self) -> &UploadPolicy {
        &self.policy
    }

    /// Base64 content (a `data:...;base64,` prefix and whitespace are ignored) as a file.
    pub fn decode(&self, name: &str, content: &str) -> Result<FileData, UploadError> {
        let encoded = match content.split_once(";base64,") {
            Some((prefix, data)) if prefix.trim_start().starts_with("data:") => data,
            _ => content,
        };
        // Refuse before decoding (and before copying): 4 characters carry 3 bytes.
        let max = self.policy.max_file_bytes;
        if encoded.len() / 4 > max / 3 + 1 {
            return Err(UploadError::TooLarge { max });
        }
        let cleaned: Vec<u8> = encoded.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        let data = STANDARD_PAD_INDIFFERENT
            .decode(&cleaned)
            .or_else(|_| URL_SAFE_PAD_INDIFFERENT.decode(&cleaned))
            .map_err(|_| UploadError::BadBase64)?;
        check_size(&data, max)?;
        Ok(FileData { name: clean_name(name), data })
    }

    /// Downloads `url` under the policy. The file name comes from `Content-Disposition`, else
    /// from the URL's last path segment.
    pub async fn fetch(&self, url: &str) -> Result<FileData, UploadError> {
        let url = self.check_url(url)?;
        let client = self.client.as_ref().ok_or(UploadError::Unreachable)?;
        tokio::time::timeout(self.policy.timeout, self.download(client, url))
            .await
            .unwrap_or(Err(UploadError::Timeout))
    }

    fn check_url(&self, text: &str) -> Result<Url, UploadError> {
        let text = text.trim();
        if text.len() > MAX_URL_LEN {
            return Err(UploadError::InvalidUrl);
        }
        let url = Url::parse(text).map_err(|_| UploadError::InvalidUrl)?;
        if url.scheme() != "https" {
            return Err(UploadError::NotHttps);
        }
        if url.host().is_none() || !url.username().is_empty() || url.password().is_some() {
            return Err(UploadError::InvalidUrl);
        }
        if net::refused_literal(&url, self.policy.allow_private_addresses) {
            return Err(UploadError::PrivateAddress);
        }
        Ok(url)
    }

    async fn download(&self, client: &reqwest::Client, url: Url) -> Result<FileData, UploadError> {
        let mut response = client.get(url.clone()).send().await.map_err(request_error)?;
        if response.status() != StatusCode::OK {
            return Err(UploadError::HttpStatus(response.status().as_u16()));
        }
        let max = self.policy.max_file_bytes;
        // Content-Length only lets us refuse early; the streamed count below is what holds.
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(UploadError::TooLarge { max });
        }
        let name = response
            .headers()
            .get(CONTENT_DISPOSITION)
            .and_then(|v| v.to_str().ok())
            .and_then(disposition_filename)
            .or_else(|| url_filename(response.url()))
            .unwrap_or_default();
        let mut data = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(request_error)? {
            if data.len() + chunk.len() > max {
                return Err(UploadError::TooLarge { max });
            }
            data.extend_from_slice(&chunk);
        }
        check_size(&data, max)?;
        Ok(FileData { name: clean_name(&name), data })
    }
}

fn check_size(data: &[u8], max: usize) -> Result<(), UploadError> {
    if data.is_empty() {
        Err(UploadError::Empty)
    } else if data.len() > max {
        Err(UploadError::TooLarge { max })
    } else {
        Ok(())
    }
}

fn build_client(policy: &UploadPolicy) -> Result<reqwest::Client, UploadSetupError> {
    net::client::build(&GuardedClientConfig {
        allow_private_addresses: policy.allow_private_addresses,
        timeout: policy.timeout,
        dns: &policy.dns,
        extra_root_certificates: &policy.extra_root_certificates,
        user_agent: concat!("norman-mcp/", env!("CARGO_PKG_VERSION"), " (file upload)"),
        redirects: Redirects::Https { max: MAX_REDIRECTS },
    })
    .map_err(UploadSetupError)
}

fn request_error(error: reqwest::Error) -> UploadError {
    match FetchError::of(error) {
        FetchError::PrivateAddress => UploadError::PrivateAddress,
        FetchError::Timeout => UploadError::Timeout,
        FetchError::Unreachable => UploadError::Unreachable,
    }
}

/// `filename*=UTF-8''...` (RFC 6266, preferred) or `filename="..."`.
fn disposition_filename(header: &str) -> Option<String> {
    let mut plain = None;
    for part in header.split(';').map(str::trim) {
        let Some((key, value)) = part.split_once('=') else { continue };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        if key == "filename*" {
            let encoded = value.split_once("''").map_or(value, |(_, rest)| rest);
            let decoded = percent_decode(encoded);
            if !decoded.is_empty() {
                return Some(decoded);
            }
        } else if key == "filename" {
            plain = Some(value.trim_matches('"').to_owned());
        }
    }
    plain.filter(|n| !n.is_empty())
}

fn url_filename(url: &Url) -> Option<String> {
    let last = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    Some(percent_decode(last))
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A base name without path, quotes or control characters, of bounded length; it ends up in a
/// multipart header and in Norman's records.
pub(crate) fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String =
        base.chars().filter(|c| !c.is_control() && *c != '"').take(MAX_NAME_CHARS).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        FALLBACK_NAME.to_owned()
    } else {
        cleaned.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uploads(max: usize) -> Uploads {
        Uploads::new(UploadPolicy { max_file_bytes: max, ..UploadPolicy::default() })
    }

    #[test]
    fn base64_with_data_uri_prefix_padding_and_whitespace() {
        let u = uploads(1024);
        let file = u.decode("a/b/receipt.pdf", "data:application/pdf;base64,JVBE\nRi0x").unwrap();
        assert_eq!(file.data, b"%PDF-1");
        assert_eq!(file.name, "receipt.pdf");
        assert_eq!(u.decode("x", "aGk").unwrap().data, b"hi");
        assert_eq!(u.decode("x", "_-8=").unwrap().data, [0xff, 0xef]);
        assert!(matches!(u.decode("x", "not base64!"), Err(UploadError::BadBase64)));
        assert!(matches!(u.decode("x", ""), Err(UploadError::Empty)));
    }

    #[test]
    fn oversized_base64_is_refused() {
        let u = uploads(3);
        assert!(u.decode("x", "YWJj").is_ok());
        assert!(matches!(u.decode("x", "YWJjZA=="), Err(UploadError::TooLarge { max: 3 })));
        assert!(matches!(u.decode("x", &"A".repeat(4096)), Err(UploadError::TooLarge { .. })));
    }

    #[test]
    fn urls_are_checked_before_any_connection() {
        let u = uploads(1024);
        assert!(matches!(u.check_url("http://example.com/a.pdf"), Err(UploadError::NotHttps)));
        assert!(matches!(u.check_url("file:///etc/passwd"), Err(UploadError::NotHttps)));
        assert!(matches!(u.check_url("https://127.0.0.1/a"), Err(UploadError::PrivateAddress)));
        assert!(matches!(u.check_url("https://[::1]/a"), Err(UploadError::PrivateAddress)));
        assert!(matches!(u.check_url("https://169.254.169.254/latest"), Err(UploadError::PrivateAddress)));
        assert!(matches!(u.check_url("https://user:pw@example.com/a"), Err(UploadError::InvalidUrl)));
        assert!(u.check_url("https://example.com/a.pdf").is_ok());
    }

    #[test]
    fn file_names() {
        assert_eq!(disposition_filename("attachment; filename=\"r.pdf\"").as_deref(), Some("r.pdf"));
        assert_eq!(
            disposition_filename("attachment; filename=\"a.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf")
                .as_deref(),
            Some("Rechnung März.pdf")
        );
        let url = Url::parse("https://example.com/files/scan%201.png?x=1").unwrap();
        assert_eq!(url_filename(&url).as_deref(), Some("scan 1.png"));
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\r\nb\".pdf"), "ab.pdf");
        assert_eq!(clean_name(".."), FALLBACK_NAME);
        assert_eq!(clean_name(""), FALLBACK_NAME);
    }
}
