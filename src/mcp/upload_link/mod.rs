//! Upload links (docs/architecture.md, "Uploading receipts through a link"): the tool
//! `request_file_upload` seals the caller's Norman credential, company and what the files are
//! for into a path, `/upload/nmf_…`, valid for 15 minutes. The page at that path (GET) lets a
//! person choose or drop files; its form (POST, same path) sends them straight to Norman as
//! that person and shows what Norman stored. Nothing is kept on our side: no file, no table.
//!
//! - **Capability.** The sealed path is the whole authority, so no cookie and no CSRF token:
//!   a page elsewhere cannot learn the path. Still, a POST that a browser marks as coming from
//!   another site (`Sec-Fetch-Site`), or whose `Origin` is another deployment's, is refused, so
//!   a link that leaked cannot be driven from another site in the person's browser.
//! - **Never logged.** The path carries a Norman credential: the access log writes
//!   `/upload/…` ([`crate::web::loggable_path`]), and nothing here logs the path or a file name.
//! - **Safe page.** No script at all (`default-src 'none'`), no framing, no referrer, no cache.
//! - **Revocable.** A link carries the grant and block ids of the access token that asked for
//!   it and is refused, like that token, once either is revoked.

pub mod form;
mod send;

use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use time::OffsetDateTime;
use tower_http::timeout::TimeoutLayer;

use self::form::{FormError, Limits, read_files};
use self::send::{NotStored, SendError, Stored, send};
use crate::guard::ReplayGuard;
use crate::i18n::{Lang, Texts};
use crate::keyring::SharedKeyring;
use crate::mcp::bearer::revocation_of;
use crate::mcp::upload::UploadPolicy;
use crate::norman::NormanClient;
use crate::page::{PageError, html};
use crate::seal::{self, OpenError, SealError};
use crate::tokens::NormanToken;
use crate::tokens::upload_link::{GrantRef, UPLOAD_LINK_LIFETIME, UploadLink, UploadTarget};

/// The route; `{link}` is the sealed `nmf_…` envelope.
pub const ROUTE: &str = "/upload/{link}";
/// The path prefix, which the access log shortens.
pub const PATH_PREFIX: &str = crate::web::UPLOAD_PREFIX;
/// Room for the multipart framing and the empty parts a browser adds, beyond the files.
const FORM_OVERHEAD_BYTES: usize = 1024 * 1024;

/// Seals and opens upload links for one deployment.
pub struct UploadLinks {
    keyring: Arc<SharedKeyring>,
    /// The deny lists `/mcp` reads: a revoked grant or token ends its links too.
    guard: Arc<dyn ReplayGuard>,
    issuer: String,
    /// The deployment's origin (RFC 6454), which every upload's `Origin` must be.
    origin: String,
    limits: Limits,
}

/// A link as the tool hands it out.
#[derive(Debug)]
pub struct IssuedLink {
    pub url: String,
    pub expires_at: OffsetDateTime,
}

impl UploadLinks {
    /// `issuer` is the deployment's public URL, which the links start with.
    pub fn new(
        keyring: Arc<SharedKeyring>,
        guard: Arc<dyn ReplayGuard>,
        issuer: &str,
        policy: &UploadPolicy,
    ) -> UploadLinks {
        let issuer = issuer.trim_end_matches('/').to_owned();
        let origin = url::Url::parse(&issuer)
            .map_or_else(|_| issuer.clone(), |url| url.origin().ascii_serialization());
        let limits = Limits {
            max_file_bytes: policy.max_file_bytes,
            max_files: policy.max_files,
            max_total_bytes: policy.max_total_bytes,
        };
        UploadLinks { keyring, guard, issuer, origin, limits }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// A link for `norman_access` and `company_id`, valid for [`UPLOAD_LINK_LIFETIME`] unless
    /// `grant` is revoked first.
    pub fn issue(
        &self,
        norman_access: &NormanToken,
        grant: Option<GrantRef>,
        company_id: &str,
        target: UploadTarget,
        note: Option<String>,
        now: OffsetDateTime,
    ) -> Result<IssuedLink, SealError> {
        let expires_at = now + UPLOAD_LINK_LIFETIME;
        let link = UploadLink {
            norman_access: norman_access.clone(),
            grant: grant.unwrap_or_default(),
            company_id: company_id.to_owned(),
            target,
            note,
            expires_at,
        };
        let sealed = seal::seal(&self.keyring.current(), &link, now)?;
        Ok(IssuedLink { url: format!("{}{PATH_PREFIX}{sealed}", self.issuer), expires_at })
    }

    fn open(&self, sealed: &str, now: OffsetDateTime) -> Result<UploadLink, OpenError> {
        seal::open(&self.keyring.current(), sealed, now)
    }

    /// Whether the grant or token the link was asked for with has been revoked. A deny list
    /// that cannot be read lets the link through, as it lets the token through at `/mcp`.
    async fn revoked(&self, link: &UploadLink) -> bool {
        let grant = &link.grant;
        match revocation_of(self.guard.as_ref(), &grant.revocation_ids, grant.family_id.as_deref()).await {
            Ok(revoked) => revoked.is_some(),
            Err(error) => {
                tracing::warn!(%error, "revocation list unavailable; upload link served without it");
                false
            }
        }
    }

    /// The link at `sealed`, when it opens and was not revoked; else the page saying why.
    async fn usable(&self, sealed: &str, lang: Lang) -> Result<UploadLink, Response> {
        let link = self.open(sealed, OffsetDateTime::now_utc()).map_err(|error| link_refused(lang, error))?;
        if self.revoked(&link).await {
            tracing::info!("upload link refused: its grant or token was revoked");
            let t = &lang.texts().upload;
            return Err(PageError::new(StatusCode::GONE, lang, t.revoked_title.as_str(), t.revoked.as_str())
                .with_hint(t.close.as_str())
                .into_response());
        }
        Ok(link)
    }

    /// Whether a POST comes from a page of this deployment. A browser that names the relation
    /// of the sites (`Sec-Fetch-Site`, Fetch Metadata) must call it the same origin (or a
    /// navigation the person started), and its `Origin`, when it names one, must be ours. The
    /// page itself sends `Referrer-Policy: no-referrer`, under which browsers send `Origin:
    /// null` even for the page's own form (Fetch, "serializing a request origin"); so `null`
    /// passes only where Fetch Metadata vouches for the request. Without Fetch Metadata, the
    /// `Origin` must be ours or absent (a client that is no browser).
    fn same_origin(&self, headers: &HeaderMap) -> bool {
        let origin = headers.get(header::ORIGIN).map(|origin| origin.as_bytes());
        let ours = |origin: &[u8]| origin == self.origin.as_bytes();
        match headers.get("sec-fetch-site").map(|site| site.as_bytes()) {
            Some(b"same-origin" | b"none") => origin.is_none_or(|origin| origin == b"null" || ours(origin)),
            Some(_) => false,
            None => origin.is_none_or(ours),
        }
    }
}

struct Pages {
    links: Arc<UploadLinks>,
    norman: NormanClient,
}

/// `GET` and `POST /upload/{link}`, bounded in body size (the files' limits plus framing,
/// counted as the body streams in) and in time.
pub fn routes(links: Arc<UploadLinks>, norman: NormanClient, timeout: Duration) -> Router {
    let body_limit = links.limits.max_total_bytes + FORM_OVERHEAD_BYTES;
    let pages = Arc::new(Pages { links, norman });
    Router::new()
        .route(ROUTE, get(show).post(upload))
        .route_layer(DefaultBodyLimit::max(body_limit))
        .route_layer(TimeoutLayer::with_status_code(StatusCode::GATEWAY_TIMEOUT, timeout))
        .with_state(pages)
}

#[derive(Template)]
#[template(path = "upload.html")]
struct UploadPage<'a> {
    lang: Lang,
    t: &'static Texts,
    transaction: Option<&'a str>,
    note: Option<&'a str>,
    limits: String,
    expires: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "upload_done.html")]
struct DonePage {
    lang: Lang,
    t: &'static Texts,
    stored: Vec<Stored>,
    not_stored: Vec<NotStored>,
    matching: bool,
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::negotiate(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
}

async fn show(State(pages): State<Arc<Pages>>, Path(sealed): Path<String>, headers: HeaderMap) -> Response {
    let lang = lang_of(&headers);
    match pages.links.usable(&sealed, lang).await {
        Ok(link) => upload_page(lang, &link, pages.links.limits, None, StatusCode::OK),
        Err(refused) => refused,
    }
}

async fn upload(
    State(pages): State<Arc<Pages>>,
    Path(sealed): Path<String>,
    headers: HeaderMap,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let lang = lang_of(&headers);
    let t = &lang.texts().upload;
    let link = match pages.links.usable(&sealed, lang).await {
        Ok(link) => link,
        Err(refused) => return refused,
    };
    if !pages.links.same_origin(&headers) {
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned();
        let (origin, site) = (header(header::ORIGIN.as_str()), header("sec-fetch-site"));
        tracing::info!(%origin, %site, "upload refused: the form was not sent from its own page");
        return PageError::new(
            StatusCode::FORBIDDEN,
            lang,
            t.cross_site_title.as_str(),
            t.cross_site.as_str(),
        )
        .with_hint(t.close.as_str())
        .into_response();
    }
    let limits = pages.links.limits;
    let files = match multipart {
        Ok(mut multipart) => match read_files(&mut multipart, limits).await {
            Ok(files) => Ok(files),
            Err(error) => {
                drain(&mut multipart).await;
                Err(error)
            }
        },
        Err(_) => Err(FormError::Unreadable),
    };
    let files = match files {
        Ok(files) => files,
        Err(error) => {
            tracing::info!(reason = error.reason(), "upload refused");
            let message = form_message(lang.texts(), &error);
            return upload_page(lang, &link, limits, Some(message), error.status());
        }
    };
    let count = files.len();
    match send(&pages.norman, &link, files).await {
        Ok(outcome) => {
            tracing::info!(files = count, stored = outcome.stored.len(), "upload link used");
            let page = DonePage {
                lang,
                t: lang.texts(),
                stored: outcome.stored,
                not_stored: outcome.not_stored,
                matching: outcome.matching,
            };
            html(StatusCode::OK, &page, None)
        }
        Err(SendError::SessionExpired) => {
            tracing::info!("upload refused: norman ended the session the link carries");
            PageError::new(StatusCode::FORBIDDEN, lang, t.norman_title.as_str(), t.session_expired.as_str())
                .with_hint(t.close.as_str())
                .into_response()
        }
        Err(SendError::Norman) => {
            PageError::new(StatusCode::BAD_GATEWAY, lang, t.norman_title.as_str(), t.norman.as_str())
                .with_hint(t.close.as_str())
                .into_response()
        }
    }
}

/// Reads what is left of a refused form (bounded by the route's body limit), so the browser,
/// still sending, gets the page rather than a reset connection.
async fn drain(multipart: &mut Multipart) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

fn upload_page(
    lang: Lang,
    link: &UploadLink,
    limits: Limits,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let t = &lang.texts().upload;
    let transaction = match &link.target {
        UploadTarget::Transaction { transaction_id, .. } => Some(transaction_id.as_str()),
        UploadTarget::Matching { .. } => None,
    };
    let expires = link.expires_at;
    let page = UploadPage {
        lang,
        t: lang.texts(),
        transaction,
        note: link.note.as_deref(),
        limits: t
            .limits
            .fill("files", &limits.max_files.to_string())
            .replace("{mib}", &mib(limits.max_file_bytes)),
        expires: t.expires.fill("time", &format!("{:02}:{:02}", expires.hour(), expires.minute())),
        error,
    };
    html(status, &page, None)
}

fn form_message(texts: &Texts, error: &FormError) -> String {
    let t = &texts.upload;
    match error {
        FormError::Unreadable => t.unreadable.to_string(),
        FormError::NoFiles => t.no_files.to_string(),
        FormError::TooMany { max } => t.too_many.fill("max", &max.to_string()),
        FormError::TooLarge { name, max } => t.too_large.fill("name", name).replace("{mib}", &mib(*max)),
        FormError::TotalTooLarge { max } => t.total_too_large.fill("mib", &mib(*max)),
        FormError::WrongType { name } => t.wrong_type.fill("name", name),
        FormError::Empty { name } => t.empty.fill("name", name),
    }
}

/// Bytes as MiB for people: whole numbers as such, else one decimal.
fn mib(bytes: usize) -> String {
    let tenths = (bytes as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0;
    format!("{tenths}")
}

/// An expired link is 410 Gone; anything else that does not open (changed, cut short, sealed
/// by another deployment or under a retired key) is 404: there is no such link.
fn link_refused(lang: Lang, error: OpenError) -> Response {
    tracing::info!(reason = error.reason(), "upload link refused");
    let t = &lang.texts().upload;
    let page = match error {
        OpenError::Expired => {
            PageError::new(StatusCode::GONE, lang, t.expired_title.as_str(), t.expired.as_str())
        }
        _ => PageError::new(StatusCode::NOT_FOUND, lang, t.invalid_title.as_str(), t.invalid.as_str()),
    };
    page.with_hint(t.close.as_str()).into_response()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use crate::guard::MemoryGuard;
    use crate::keyring::{KeyFile, Keyring};

    fn links(issuer: &str) -> UploadLinks {
        let keys = KeyFile::generate(OffsetDateTime::now_utc() - time::Duration::minutes(1)).unwrap();
        let keyring = SharedKeyring::fixed(Keyring::from_file(&keys).bound_to(issuer));
        UploadLinks::new(Arc::new(keyring), Arc::new(MemoryGuard::new()), issuer, &UploadPolicy::default())
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn only_this_deployments_pages_may_post() {
        let links = links("https://mcp.example.com/");
        assert!(links.same_origin(&headers(&[])), "no Origin: a client that is no browser");
        assert!(links.same_origin(&headers(&[("origin", "https://mcp.example.com")])));
        assert!(links.same_origin(&headers(&[
            ("origin", "https://mcp.example.com"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(
            links.same_origin(&headers(&[("origin", "null"), ("sec-fetch-site", "same-origin")])),
            "the page's own form under its no-referrer policy"
        );
        for refused in [
            &[("origin", "https://evil.example")][..],
            &[("origin", "null")],
            &[("origin", "http://mcp.example.com")],
            &[("origin", "https://mcp.example.com:8443")],
            &[("sec-fetch-site", "cross-site")],
            &[("sec-fetch-site", "same-site")],
            &[("origin", "null"), ("sec-fetch-site", "cross-site")],
            &[("origin", "https://evil.example"), ("sec-fetch-site", "same-origin")],
        ] {
            assert!(!links.same_origin(&headers(refused)), "{refused:?}");
        }
    }

    #[test]
    fn a_link_opens_only_for_its_lifetime() {
        let links = links("https://mcp.example.com");
        let now = OffsetDateTime::now_utc();
        let target = UploadTarget::Matching { cashflow_type: "EXPENSE".into() };
        let issued =
            links.issue(&NormanToken::new("n".repeat(40)), None, "cmp_1", target, None, now).unwrap();
        let sealed = issued.url.strip_prefix("https://mcp.example.com/upload/").unwrap();
        assert!(sealed.starts_with("nmf_") && !issued.url.contains(&"n".repeat(40)));
        assert_eq!(links.open(sealed, now).unwrap().company_id, "cmp_1");
        let later = now + UPLOAD_LINK_LIFETIME;
        assert_eq!(links.open(sealed, later).unwrap_err(), OpenError::Expired);
    }

    #[test]
    fn sizes_read_as_people_say_them() {
        assert_eq!(mib(10 * 1024 * 1024), "10");
        assert_eq!(mib(25 * 1024 * 1024), "25");
        assert_eq!(mib(1536 * 1024), "1.5");
    }
}
