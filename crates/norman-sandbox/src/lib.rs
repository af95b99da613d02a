//! An in-process fake of the Norman Finance REST API.
//!
//! `norman-mcp demo`, every integration test and the benchmarks talk to this instead of the
//! real API, over real HTTP. It is meant to be strict where a real server would be strict
//! (signed, expiring, rotating JWT-shaped tokens; per-company scoping; DRF-style validation
//! errors), so that a test passing against it proves something, and cheap enough to serve
//! well over 10k requests per second: every request does one HMAC check and then works on
//! one company's state under a `std` lock that is never held across an `.await`.
//!
//! Layout: `token` (JWT mint/verify), `auth` (login, refresh, the bearer extractor),
//! `store` + `seed` (per-company state and its deterministic demo data), `fields`
//! (body validation), one module per endpoint group, `files` (presigned downloads) and
//! `multipart` (a minimal `multipart/form-data` parser, since axum's is not enabled).

mod attachments;
mod auth;
mod clients;
mod company;
mod error;
mod fields;
mod files;
mod invoices;
mod multipart;
mod seed;
mod store;
mod taxes;
mod token;
mod transactions;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Method;
use axum::routing::{get, post};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

use self::error::ApiError;
use self::store::CompanyState;

/// Token lifetimes of a sandbox. Tests shorten them to exercise expiry paths.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Lifetime of an access token (the real API's is in the order of an hour).
    pub access_ttl: Duration,
    /// Lifetime of a refresh token.
    pub refresh_ttl: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            access_ttl: Duration::from_secs(3600),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// A login the sandbox accepts. Each user owns exactly one company.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoUser {
    pub email: &'static str,
    pub password: &'static str,
    /// The company's `publicId`, as `GET /api/v1/companies/` reports it.
    pub company_id: &'static str,
    pub company_name: &'static str,
}

/// The two demo logins. Two, so that tests can prove one user never sees the other's data.
pub const DEMO_USERS: [DemoUser; 2] = [
    DemoUser {
        email: "demo@norman.finance",
        password: "demo-password-1",
        company_id: "cmp_7QxK2mVd9RtL4nPw",
        company_name: "Muster Design GmbH",
    },
    DemoUser {
        email: "second@norman.finance",
        password: "demo-password-2",
        company_id: "cmp_3HbZ8sNf6JgY1cUe",
        company_name: "Zweite Werkstatt UG",
    },
];

/// A snapshot of the sandbox's counters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SandboxStats {
    /// `POST auth/token/` answered with tokens.
    pub logins_ok: u64,
    /// `POST auth/token/` refused (bad credentials or malformed body).
    pub logins_failed: u64,
    /// `POST auth/token/refresh/` answered with a new pair.
    pub refreshes_ok: u64,
    /// `POST auth/token/refresh/` refused (spent, unknown, expired, forged or malformed).
    pub refreshes_rejected: u64,
    /// Requests to data endpoints that passed the bearer check, whatever their outcome.
    pub api_calls: u64,
    /// Requests to data endpoints refused with 401 for a missing or bad access token.
    pub unauthorized: u64,
}

#[derive(Default)]
struct Counters {
    logins_ok: AtomicU64,
    logins_failed: AtomicU64,
    refreshes_ok: AtomicU64,
    refreshes_rejected: AtomicU64,
    api_calls: AtomicU64,
    unauthorized: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The fake Norman API: two users, their companies, the live refresh tokens and the
/// presigned files. Share it as `Arc<Sandbox>`; all methods take `&self`.
pub struct Sandbox {
    config: SandboxConfig,
    keys: token::Keys,
    /// Index = user index in [`DEMO_USERS`].
    companies: Vec<CompanyState>,
    /// Per user: access tokens with a serial number below this are revoked.
    min_serial: [AtomicU64; 2],
    /// Serial number for the next token; makes revocation exact to the token, not the second.
    next_serial: AtomicU64,
    /// Refresh tokens that may still be spent, by `jti`. Rotation removes the entry.
    refresh_tokens: Mutex<auth::RefreshStore>,
    files: files::FileStore,
    /// Where the sandbox is reachable; presigned URLs are built from it. Falls back to the
    /// request's `Host` header when unset (when the router is served by someone else).
    base_url: RwLock<Option<Url>>,
    counters: Counters,
}

impl Sandbox {
    /// A fresh sandbox with the seeded demo data and a new random signing secret.
    pub fn new(config: SandboxConfig) -> Sandbox {
        let files = files::FileStore::default();
        let keys = token::Keys::random();
        let companies = DEMO_USERS
            .iter()
            .enumerate()
            .map(|(index, user)| CompanyState::new(seed::company(index, user, &keys, &files)))
            .collect();
        Sandbox {
            config,
            keys,
            companies,
            min_serial: [AtomicU64::new(0), AtomicU64::new(0)],
            next_serial: AtomicU64::new(1),
            refresh_tokens: Mutex::new(auth::RefreshStore::default()),
            files,
            base_url: RwLock::new(None),
            counters: Counters::default(),
        }
    }

    /// Tells the sandbox its public base URL (with trailing slash), used for presigned links.
    /// [`Sandbox::spawn`] does this itself; call it when you serve [`Sandbox::router`] yourself
    /// behind a host name the client cannot see in `Host`.
    pub fn set_base_url(&self, url: Url) {
        let mut guard = self.base_url.write().unwrap_or_else(|e| e.into_inner());
        *guard = Some(url);
    }

    /// The whole API under `/api/v1/...`, plus the unauthenticated `/files/{token}`
    /// presigned downloads.
    pub fn router(self: &Arc<Self>) -> Router {
        let api = Router::new()
            // authentication
            .route("/api/v1/auth/token/", post(auth::login))
            .route("/api/v1/auth/token/refresh/", post(auth::refresh))
            // companies
            .route("/api/v1/companies/", get(company::list))
            .route("/api/v1/companies/{cid}/", get(company::detail).patch(company::update))
            .route("/api/v1/companies/{cid}/balance/", get(company::balance))
            .route("/api/v1/companies/{cid}/company-tax-statistic/", get(company::tax_statistic))
            .route("/api/v1/companies/{cid}/vat-next-report-amount/", get(company::vat_next_report))
            // clients
            .route("/api/v1/companies/{cid}/clients/", get(clients::list).post(clients::create))
            .route(
                "/api/v1/companies/{cid}/clients/{id}/",
                get(clients::detail).patch(clients::update).delete(clients::delete),
            )
            // invoices and quotes
            .route("/api/v1/companies/{cid}/invoices/", get(invoices::list).post(invoices::create))
            .route(
                "/api/v1/companies/{cid}/invoices/next-invoice-number/",
                get(invoices::next_invoice_number),
            )
            .route("/api/v1/companies/{cid}/invoices/{id}/", get(invoices::detail))
            .route("/api/v1/companies/{cid}/invoices/{id}/pdf/", get(invoices::pdf))
            .route("/api/v1/companies/{cid}/invoices/{id}/preview/", get(invoices::preview))
            .route("/api/v1/companies/{cid}/invoices/{id}/xml/", get(invoices::xml))
            .route("/api/v1/companies/{cid}/invoices/{id}/send/", post(invoices::send))
            .route("/api/v1/companies/{cid}/invoices/{id}/send-on-overdue/", post(invoices::send_on_overdue))
            .route(
                "/api/v1/companies/{cid}/invoices/{id}/link-transaction/",
                post(invoices::link_transaction),
            )
            .route(
                "/api/v1/companies/{cid}/invoices/{id}/convert-to-invoice/",
                post(invoices::convert_to_invoice),
            )
            .route("/api/v1/companies/{cid}/recurring-invoices/", post(invoices::create_recurring))
            // transactions
            .route(
                "/api/v1/companies/{cid}/accounting/transactions/",
                get(transactions::list).post(transactions::create),
            )
            .route(
                "/api/v1/companies/{cid}/accounting/transactions/{id}/",
                get(transactions::detail).patch(transactions::update),
            )
            .route("/api/v1/companies/{cid}/accounting/transactions/{id}/verify/", post(transactions::verify))
            .route(
                "/api/v1/companies/{cid}/accounting/transactions/{id}/unverify/",
                post(transactions::unverify),
            )
            .route("/api/v1/accounting/transactions/upload-documents/", post(attachments::upload_documents))
            .route("/api/v1/accounting/categories/", get(transactions::categories))
            .route("/api/v1/assistant/detect-category/", post(transactions::detect_category))
            // attachments
            .route("/api/v1/companies/{cid}/attachments/", get(attachments::list).post(attachments::create))
            .route(
                "/api/v1/companies/{cid}/attachments/{id}/",
                get(attachments::detail).delete(attachments::delete),
            )
            .route("/api/v1/companies/{cid}/attachments/{id}/download/", get(attachments::download))
            .route(
                "/api/v1/companies/{cid}/attachments/{id}/link-transaction/",
                post(attachments::link_transaction),
            )
            // taxes
            .route("/api/v1/taxes/reports/", get(taxes::list_reports))
            .route("/api/v1/taxes/reports/{id}/", get(taxes::report_detail))
            .route("/api/v1/taxes/reports/{id}/download/", get(taxes::report_download))
            .route("/api/v1/taxes/reports/{id}/generate-preview-url/", post(taxes::generate_preview_url))
            .route("/api/v1/taxes/reports/{id}/generate-preview/", post(taxes::generate_preview))
            .route("/api/v1/taxes/reports/{id}/submit-report/", post(taxes::submit_report))
            .route("/api/v1/taxes/check-tax-number/", post(taxes::check_tax_number))
            .route("/api/v1/taxes/states/", get(taxes::states))
            .route("/api/v1/taxes/tax-settings/", get(taxes::list_settings))
            .route(
                "/api/v1/taxes/tax-settings/{id}/",
                get(taxes::setting_detail).patch(taxes::update_setting),
            )
            // presigned downloads
            .route("/files/{token}", get(files::serve))
            .fallback(not_found)
            .method_not_allowed_fallback(method_not_allowed)
            // Uploads are the only large bodies; 10 MiB is plenty for a fake.
            .layer(DefaultBodyLimit::max(10 * 1024 * 1024));
        api.with_state(Arc::clone(self))
    }

    /// Starts a sandbox on `127.0.0.1:0` in a tokio task.
    pub async fn spawn(config: SandboxConfig) -> std::io::Result<SandboxHandle> {
        let listener = tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
        Sandbox::spawn_on(listener, config).await
    }

    /// Starts a sandbox on an already bound listener (`norman-mcp sandbox`).
    pub async fn spawn_on(
        listener: tokio::net::TcpListener,
        config: SandboxConfig,
    ) -> std::io::Result<SandboxHandle> {
        let sandbox = Arc::new(Sandbox::new(config));
        let addr = listener.local_addr()?;
        let url = Url::parse(&format!("http://{addr}/")).map_err(std::io::Error::other)?;
        sandbox.set_base_url(url.clone());
        let app = sandbox.router();
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await;
            if let Err(error) = served {
                tracing::warn!(%error, "sandbox server stopped with an error");
            }
        });
        Ok(SandboxHandle { url, sandbox, stop: Some(stop_tx), task: Some(task) })
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> SandboxStats {
        let c = &self.counters;
        SandboxStats {
            logins_ok: c.logins_ok.load(Ordering::Relaxed),
            logins_failed: c.logins_failed.load(Ordering::Relaxed),
            refreshes_ok: c.refreshes_ok.load(Ordering::Relaxed),
            refreshes_rejected: c.refreshes_rejected.load(Ordering::Relaxed),
            api_calls: c.api_calls.load(Ordering::Relaxed),
            unauthorized: c.unauthorized.load(Ordering::Relaxed),
        }
    }

    /// Revokes every access token issued so far to `email` (refresh tokens stay valid), so
    /// tests can drive the "upstream token expired mid-session" path without waiting.
    /// Unknown emails are ignored.
    pub fn expire_access_tokens_of(&self, email: &str) {
        if let Some(user) = user_index(email) {
            let cutoff = self.next_serial.load(Ordering::SeqCst);
            self.min_serial[user].fetch_max(cutoff, Ordering::SeqCst);
        }
    }

    fn company(&self, user: usize) -> &CompanyState {
        // `user` only ever comes from a verified token whose index was range-checked.
        &self.companies[user.min(self.companies.len() - 1)]
    }
}

/// The `publicId` of the `n`-th seeded object of a kind (`cli` clients, `inv`/`quo` invoices
/// and quotes, numbered together in seed order, `trx` transactions, `att` attachments, `txr`
/// tax reports, `tset` tax settings) in a demo company. The seed is deterministic, so tests
/// and examples can name demo objects without listing them first.
pub fn seeded_id(prefix: &str, company_id: &str, n: usize) -> String {
    store::seeded_id(prefix, company_id, n)
}

fn user_index(email: &str) -> Option<usize> {
    DEMO_USERS.iter().position(|u| u.email.eq_ignore_ascii_case(email.trim()))
}

/// A running sandbox. Dropping it aborts the server task; [`SandboxHandle::shutdown`] stops
/// it gracefully.
pub struct SandboxHandle {
    /// `http://127.0.0.1:PORT/`, with a trailing slash, ready for `Url::join("api/v1/...")`.
    pub url: Url,
    pub sandbox: Arc<Sandbox>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SandboxHandle {
    /// Stops accepting connections, lets in-flight requests finish (at most 5 s), then
    /// returns once the listener is closed.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err()
        {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method)
}
