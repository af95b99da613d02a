//! The one HTTP client builder for URLs chosen by strangers, and what its errors mean.

use std::time::Duration;

use super::address::refused_literal;
use super::resolve::{DnsConfig, DnsSetupError, GuardedResolver, ResolveError};

/// How far a fetch follows redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    /// None: a redirect is the answer (client metadata documents must live at their URL).
    Refuse,
    /// Up to this many, each to an https URL whose address is checked again.
    Https { max: usize },
}

/// Everything a guarded client is built from.
#[derive(Debug, Clone)]
pub struct GuardedClientConfig<'a> {
    /// Fetch from loopback and private networks too. For development and tests only.
    pub allow_private_addresses: bool,
    /// For a whole request: resolution, connection, TLS, headers and body.
    pub timeout: Duration,
    pub dns: &'a DnsConfig,
    /// Extra trusted roots (DER), on top of the system's; for tests with a self-signed server.
    pub extra_root_certificates: &'a [Vec<u8>],
    pub user_agent: &'static str,
    pub redirects: Redirects,
}

/// The client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("an extra root certificate is not valid: {0}")]
    Certificate(#[source] reqwest::Error),
    #[error(transparent)]
    Dns(#[from] DnsSetupError),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

/// An https-only client whose every connection goes to addresses the guarded resolver checked
/// (so nothing can be rebound between the check and the connection); no proxy, which would
/// resolve the host itself, out of reach of the check; no referer; one overall timeout.
/// Address literals never reach a resolver: callers check them with [`refused_literal`] first.
pub fn build(config: &GuardedClientConfig<'_>) -> Result<reqwest::Client, SetupError> {
    let certificates = config
        .extra_root_certificates
        .iter()
        .map(|der| reqwest::Certificate::from_der(der))
        .collect::<Result<Vec<_>, _>>()
        .map_err(SetupError::Certificate)?;
    let resolver = GuardedResolver::new(config.dns, config.allow_private_addresses)?;
    let allow_private = config.allow_private_addresses;
    let redirects = match config.redirects {
        Redirects::Refuse => reqwest::redirect::Policy::none(),
        Redirects::Https { max } => reqwest::redirect::Policy::custom(move |attempt| {
            let url = attempt.url();
            if attempt.previous().len() >= max || url.scheme() != "https" {
                attempt.stop()
            } else if refused_literal(url, allow_private) {
                attempt.error(RedirectRefused)
            } else {
                attempt.follow()
            }
        }),
    };
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .redirect(redirects)
        .no_proxy()
        .referer(false)
        .user_agent(config.user_agent)
        .timeout(config.timeout)
        .dns_resolver(resolver);
    if !certificates.is_empty() {
        builder = builder.tls_certs_merge(certificates);
    }
    builder.build().map_err(SetupError::Client)
}

/// A redirect to an address literal that is not public; found again in the error's source chain.
#[derive(Debug, thiserror::Error)]
#[error("redirect to a non-public address")]
struct RedirectRefused;

/// What a failed request means to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    /// The host resolves to (or a redirect names) an address that is not public.
    PrivateAddress,
    /// The lookup or the request took too long.
    Timeout,
    /// No answer: the name does not resolve, the connection or TLS failed, the body broke off.
    Unreachable,
}

impl FetchError {
    /// Classifies a request error and logs it at debug level, without its URL (a presigned
    /// download link carries a credential in its query).
    pub fn of(error: reqwest::Error) -> FetchError {
        let error = error.without_url();
        let kind = match find_source::<ResolveError>(&error) {
            Some(ResolveError::Refused { .. }) => FetchError::PrivateAddress,
            Some(ResolveError::Timeout { .. }) => FetchError::Timeout,
            Some(_) => FetchError::Unreachable,
            None if find_source::<RedirectRefused>(&error).is_some() => FetchError::PrivateAddress,
            None if error.is_timeout() => FetchError::Timeout,
            None => FetchError::Unreachable,
        };
        tracing::debug!(?error, ?kind, "outbound request failed");
        kind
    }
}

/// Finds an error of type `T` in the source chain (bounded, in case of a cycle).
fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    for _ in 0..32 {
        let e = current?;
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        current = e.source();
    }
    None
}
