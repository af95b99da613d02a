//! An in-process fake of the Norman Finance REST API.
//!
//! `norman-mcp demo`, every integration test and the benchmarks talk to this instead of the
//! real API, over real HTTP. It is meant to be strict where a real server would be strict
//! (signed, expiring, rotating JWT-shaped tokens; per-company ownership; DRF-style validation
//! errors), so that a test passing against it proves something, and cheap enough to serve
//! well over 10k requests per second: every request does one HMAC check and then works on
//! one company's records under a `std` lock that is never held across an `.await`.
//!
//! # Layout
//!
//! Each module imports only from modules listed before it (the endpoint modules also share a
//! few helpers among themselves):
//!
//! - `users` (the demo logins), `token` (JWT mint and verify), `blobs` (the files behind
//!   presigned links), `drf` (how the API speaks: errors, field validation, bodies, query
//!   filters, pages) and `pdf` (small generated PDFs);
//! - `data` (the embedded data files), `store` (a company's records and the helpers on them),
//!   `reference` (categories and federal states), `founding_reference` (the founding
//!   workflows' choices, legal forms, trade offices, notaries and register), `sessions`
//!   (logins, refresh rotation, bearer checks) and `authorizations` (the OAuth clients and
//!   waiting codes of "Sign in with Norman", `endpoints::oauth`);
//! - `tenants` (which companies exist and who may act on which), `founders` (each person's
//!   founding drafts) and `state` (the [`Sandbox`]);
//! - `caller` (`Ctx`: the authenticated caller and the company a request acts
//!   on, the one place ownership is decided; `Founder`: the caller of the founding drafts);
//! - `endpoints` (the handlers, one module per group, each with the seed rule of its records;
//!   `endpoints::crud` serves plain collections generically);
//! - `seed` (the demo companies, from `data/companies/*.json`) and `routes` (every path).
//!
//! # The data files
//!
//! `data/` holds the demo data as JSON, embedded at build time (`src/data.rs` lists the files)
//! and parsed once per process. `categories.json` and `states.json` are reference data. Each
//! file in `data/companies/` is one company:
//!
//! ```text
//! {
//!   "owner": "demo@norman.finance",      // the user whose company it is
//!   "advisor": "berater@norman.finance", // optional: the tax advisor who looks after it
//!   "openingBalance": 12500.0, "invoicePrefix": "RE", "quotePrefix": "AN",
//!   "company": { "publicId": "cmp_…", "name": "…", … },   // served as is
//!   "clients": [ { "name": "…", … } ],                     // one list per collection
//!   …
//! }
//! ```
//!
//! A collection's key is its `store::Collection` variant in camelCase, and its
//! records are written in the shape the API serves them. The seed gives the `n`-th record its
//! `publicId` ([`seeded_id`]) and its `company`, then the collection's seed rule (a `seed` fn
//! in its endpoint module, if any) adds what the real API would derive and resolves seed-only
//! keys that refer to earlier records by position (`clientIndex`, `paidByTransaction`,
//! `transactionIndex`, `vendorIndex`). A seed that does not parse or refers to nothing fails
//! the crate's unit tests, naming the file and the record.
//!
//! `skr-accounts.json` is the SKR 03 / SKR 04 account table (each account with its number in
//! both charts, German and English names, and the keywords the suggestion matches);
//! `coa-templates.json` describes the two charts a company can start from.
//!
//! # The users
//!
//! [`DEMO_USERS`] are `demo@norman.finance` (Muster Design GmbH, SKR 04, paid plan) and
//! `second@norman.finance` (Zweite Werkstatt UG, SKR 03, free plan), one company each.
//! [`MULTI_COMPANY_USER`] (`zwei@norman.finance`) owns two companies, a freelancer's studio
//! without a chart of accounts and a small GbR; [`TAX_ADVISOR`] (`berater@norman.finance`)
//! owns their firm and looks after two client companies whose owners have no login.
//! [`ALL_DEMO_USERS`] lists all four in that order.
//!
//! # Endpoint groups
//!
//! Besides authentication, companies, clients, invoices and quotes, transactions, attachments
//! and taxes:
//!
//! - **Vendors** (`accounting/vendors/`, a plain collection; IBAN and BIC are validated) and
//!   **bills** (`accounting/bills/`: list by exact `status`, detail, `PATCH` of status, due
//!   date, description and number, `DELETE`, and `pay/`, which starts a transfer from the
//!   company's bank account, the `publicId` that `balance/` now reports for its account).
//! - **Company categories** (`accounting/company-categories/`: list by `cashflowType`, create
//!   for SME companies only, `templates/`) and the **SKR table** (`skr-lookup/?q=` by number
//!   prefix or name, `skr-ai-suggest/?q=` by keywords, at most five; both bare lists).
//! - **DATEV export** (`companies/{cid}/accounting/datev-export/`): a finished job with a
//!   presigned link to an EXTF booking batch (CSV) of one fiscal year.
//! - **Tax advisor** (`tax-advisor/clients/`, and per client `stats/`, `transactions/` with
//!   `page_size`, `date_from`, `date_to`, and `ping/{id}/`), in snake_case.
//!
//! # Choices where the real API is unknown
//!
//! The Python client's code leaves these open (they are marked UNCERTAIN in the API notes);
//! the sandbox picks the plausible behaviour and tests hold it:
//!
//! - `GET invoices/` without `type` lists invoices only; quotes need `?type=quote`.
//! - Lists are DRF pages `{count, next, previous, results}`, except `skr-lookup/`,
//!   `skr-ai-suggest/` and `tax-advisor/clients/`, which are bare lists. The templates and the
//!   tax advisor's transactions are pages too.
//! - Bill statuses are `OPEN`, `PENDING` and `PAID`, matched exactly; any other value is a 400
//!   naming `status`, in a filter as in a body. `pay/` answers 201 with `paymentOrderId` and a
//!   `webformUrl` (a sandbox page standing in for the bank's approval) and leaves the bill
//!   `PENDING`; only an `OPEN` bill can be paid.
//! - The DATEV export is done at once: 201 with `status: "completed"` and `downloadUrl`; the
//!   file is the booking batch alone, not a ZIP with the documents (`documentCount` says how
//!   many would be included). A company without DATEV advisor and client numbers is a 400.
//! - The tax advisor's part of the API speaks snake_case throughout (list, `stats/`,
//!   transactions); a transaction's missing document means no attachment, whatever its
//!   direction. `tax-advisor/clients/` is 403 for anyone who looks after no company. Pinging a
//!   transaction that already has its document is a 400, an unknown one a 404.
//! - A tax advisor acts on a client's company through every company path (`companies/{cid}/…`
//!   and `companyId`) with the owner's rights; `GET companies/` still lists only their firm.
//! - The SKR table used is the company's chart, SKR 04 when it has none. Company categories
//!   can be created only by SME companies (403), with a code of 4 to 8 digits, unique.
//! - Deleting a vendor keeps its bills and clears their `vendor` link.
//! - Whether the backend uses `companyId` on global paths: it does here, and a `companyId`
//!   the caller may not act on is a 404.
//!
//! # Adding an endpoint
//!
//! 1. **A new kind of record** (vendors, bills, company categories): add a variant to
//!    `store::Collection` with its `publicId` prefix, and its records to the
//!    company files under the variant's camelCase name. A plain collection is then one small
//!    module: a type implementing `endpoints::crud::Resource` (fields, defaults,
//!    list filter), routed in `routes.rs` with `crud::list::<Kind>`, `crud::create::<Kind>`,
//!    `crud::detail::<Kind>`, `crud::update::<Kind>` and `crud::delete::<Kind>`. Records with
//!    rules (totals, state machines, links to other records) get their own handlers next to
//!    those, like `endpoints::invoices`, and a seed rule registered in `seed::seed`.
//! 2. **Read-only reference data** shared by every company (SKR account tables, choices):
//!    a JSON file in `data/`, listed in `src/data.rs` and parsed in `reference.rs`.
//! 3. **Routing and ownership:** a path under `companies/{cid}/` names its company; a global
//!    path (`accounting/vendors/`, `taxes/…`) acts on the `companyId` query parameter's
//!    company or the caller's own. Either way the handler takes a `Ctx` and works on
//!    `ctx.company()` only: a company the caller may not act on, and so every record in it,
//!    is a 404 before the handler runs. Name a company in a path `{cid}` so this check applies
//!    to it. Who may act on which company comes from the company files (`owner`, `advisor`);
//!    a user who may act on more companies (a tax advisor's clients) is a wider access list in
//!    `tenants.rs`, not a check in a handler; a path that must name one of the caller's
//!    clients calls its company `{client}`. Records a person owns rather than a company
//!    (the founding drafts) live in `founders`, one partition per demo user beside the
//!    companies, and a handler reaches the caller's through a `Founder`.
//! 4. **Tests:** over HTTP in `tests/it/api.rs`, `tests/it/catalogue.rs` or
//!    `tests/it/founding.rs` (happy path, validation errors, another user's company or
//!    record is 404, and the same request served to its owner); seed rules and ownership rules as unit tests beside them.
//!
//! # The founding workflows
//!
//! `incorporations/` (founding a GmbH or UG), `gewerbe-registrations/` (the trade office's
//! form GewA 1) and `corporate-tax-registrations/` (the tax office's questionnaire) are
//! drafts a person owns, served by `endpoints::founding`. A person has at most one of each:
//! `…/my/` is 404 until the first `POST`, a second `POST` is 400 (`non_field_errors`), and
//! every path with another person's draft id is 404. A caller without a company is served;
//! a `companyId` they send must still name one of theirs. The data are in `data/founding/`:
//! the choice lists, the legal forms' capital limits and name suffixes, real trade offices
//! (Berlin-Mitte, München, Hamburg-Mitte) by postcode, and made-up notaries and register
//! entries. `sections`, `status`, `musterprotokoll` and the roadmap's `active` flags are
//! recomputed from the record after every change, so they cannot drift from the data.
//!
//! **Incorporation** `status`:
//!
//! ```text
//! data_collection <-> data_complete <-> documents_generated   (from the sections and documents)
//!   -- request-notary without a notary  --> notary_requested  (Norman looks for one)
//!   -- request-notary with notaryPublicId --> handed_off      (also from notary_requested)
//!   -- formation-step notary --> notarized -- deposit --> capital_deposited
//!   -- hrb --> registered -- all seven steps --> completed
//! ```
//!
//! `data_complete` needs the `company`, `shareholders`, `capital` and `agreement` sections;
//! the `notary` section is needed only to request a notary without naming one. A change to
//! what generated documents say sets `documentsStale` and the status falls back to
//! `data_complete` until they are generated again; request-notary needs current documents.
//! From the notary request on, company, capital, agreement and shareholders are locked, from
//! the hand-off the notary preferences too (400 `non_field_errors`). The roadmap (`notary`,
//! `bank_account`, `deposit`, `hrb`, then `finanzamt`, `gewerbeamt` and `transparency` in
//! any order) opens at the hand-off: a step is done only after the one it follows and undone
//! only while no later step is done (else 400 on `step`); `hrb` takes `registerNumber` and
//! `registerCourt`, and only it does.
//!
//! **Gewerbe:** `data_collection`, `data_complete` once `basic`, `business` and `owner` are
//! complete, `documents_generated` while the GewA 1 is current (stale as above).
//! **Corporate tax:** `data_collection`, `data_complete` once all six sections are complete,
//! `submitted` after `POST …/{id}/submit/`: the sandbox's stand-in for the web app's ELSTER
//! filing (no tool calls it), which puts the transmission protocol behind `reportUrl` and
//! locks the questionnaire.
//!
//! **Validation** (400 `{field: [message]}`; person lists as DRF's per-item error list):
//! choice fields take their list's values only; share capital is whole euros, a GmbH's at
//! least 25,000 €, a UG's 1 to 24,999 € (a legal form changed later shows as
//! `capital.missing: ["shareCapital"]`); the shareholders' `shareNominalAmount`s must add up
//! to the capital (`missing: ["shareNominalSum"]`) and `sharePercent`s to 100; no
//! shareholder is `shareholders.missing: ["shareholders"]`, a shareholder's gaps are
//! `shareholders[n].field`; the Musterprotokoll needs 1 to 3 shareholders and a managing
//! director (reasons `no_shareholders`, `too_many_shareholders`, `no_managing_director`),
//! and choosing it otherwise is 400 on `agreementType`; there is one managing director (one
//! set unsets the others) and it is a natural person; request-notary without a notary and
//! without complete preferences is 400 on `notaryPublicId`; documents and the submission
//! with incomplete sections are 400 `{detail, missing}`; a Gewerbe starts at most 14 days
//! ahead; a Kleinunternehmer expects at most 25,000 € revenue in the founding year; IBANs
//! have valid check digits, postcodes five digits, tax office numbers four, tax ids eleven;
//! dates of birth are not in the future.
//!
//! **Where `norman-api.md` is uncertain**, the sandbox answers: the incorporation's
//! shareholders under `shareholders`, each with `publicId`, `number`, `complete`, `missing`
//! and `invitation` (`{email, sentAt, expiresOn}`); roadmap items `{step, label, done,
//! active, doneAt}` in roadmap order, `active` meaning "can be done now"; a fifth section
//! `notary`; documents `{publicId, type, title, fileName, contentType, size, downloadUrl,
//! createdAt}` (types `musterprotokoll`, `gesellschafterliste`, `gewa1`), with
//! `previewImage` (base64 JPEG) and `previewMimeType` only in the `documents/` answers
//! `{documents, documentsStale}`; choices `{value, label}`; shareholder operations answer
//! with the whole incorporation (201 on add, else 200, DELETE included). GET on a draft's
//! detail path is served too; `taxes/check-tax-number/` belongs to the bookkeeping part.

mod authorizations;
mod blobs;
mod caller;
mod data;
mod drf;
mod endpoints;
mod founders;
mod founding_reference;
mod pdf;
mod reference;
mod routes;
mod seed;
mod sessions;
mod state;
mod store;
mod tenants;
mod token;
mod users;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use url::Url;

use self::authorizations::Authorizations;
pub use self::authorizations::OAuthClient;
use self::blobs::FileStore;
use self::endpoints::attachments;
use self::founders::Founders;
use self::sessions::Sessions;
use self::state::Counters;
pub use self::state::Sandbox;
use self::tenants::Tenants;
pub use self::users::{
    ALL_DEMO_USERS, DEMO_USERS, DemoCompany, DemoUser, MULTI_COMPANY_USER, MULTI_COMPANY_USER_COMPANIES,
    TAX_ADVISOR, TAX_ADVISOR_CLIENTS,
};

/// Token lifetimes of a sandbox. Tests shorten them to exercise expiry paths.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Lifetime of an access token (the real API's is in the order of an hour).
    pub access_ttl: Duration,
    /// Lifetime of a refresh token.
    pub refresh_ttl: Duration,
    /// The OAuth clients registered at the sandbox's authorization server ("Sign in with
    /// Norman"); more can be added while it runs ([`Sandbox::register_oauth_client`]).
    pub oauth_clients: Vec<OAuthClient>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            access_ttl: Duration::from_secs(3600),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            oauth_clients: Vec::new(),
        }
    }
}

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
    /// `POST oauth/token/` redeemed an authorization code.
    pub oauth_codes_ok: u64,
    /// `POST oauth/token/` rotated a refresh token.
    pub oauth_refreshes_ok: u64,
    /// Approval pages answered "Deny".
    pub oauth_denied: u64,
    /// `POST oauth/token/` refused (client, grant, or grant type).
    pub oauth_rejected: u64,
}

impl Sandbox {
    /// A fresh sandbox with the seeded demo data and a new random signing secret.
    pub fn new(config: SandboxConfig) -> Sandbox {
        let sessions = Sessions::new(config.access_ttl, config.refresh_ttl);
        let files = FileStore::default();
        let companies = seed::companies();
        for (_, data) in &companies {
            let company_id = store::str_of(&data.company, "publicId");
            attachments::store_seeded_files(&files, &sessions.keys, company_id, data);
        }
        Sandbox {
            sessions,
            authorizations: Authorizations::new(config.oauth_clients),
            tenants: Tenants::new(companies),
            files,
            founders: Founders::new(),
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
        routes::router(self)
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
            oauth_codes_ok: c.oauth_codes_ok.load(Ordering::Relaxed),
            oauth_refreshes_ok: c.oauth_refreshes_ok.load(Ordering::Relaxed),
            oauth_denied: c.oauth_denied.load(Ordering::Relaxed),
            oauth_rejected: c.oauth_rejected.load(Ordering::Relaxed),
        }
    }

    /// Registers an OAuth client at the sandbox's authorization server (replacing one with
    /// the same id): a server whose redirect URI is known only once it listens.
    pub fn register_oauth_client(&self, client: OAuthClient) {
        self.authorizations.register(client);
    }

    /// Revokes every access token issued so far to `email` (refresh tokens stay valid), so
    /// tests can drive the "upstream token expired mid-session" path without waiting.
    /// Unknown emails are ignored.
    pub fn expire_access_tokens_of(&self, email: &str) {
        if let Some(user) = users::user_index(email) {
            self.sessions.expire_access_tokens_of(user);
        }
    }
}

/// The `publicId` of the `n`-th seeded object of a kind (`cli` clients, `inv`/`quo` invoices
/// and quotes, numbered together in seed order, `trx` transactions, `att` attachments, `txr`
/// tax reports, `tset` tax settings, `ven` vendors, `bill` bills, `ccat` company categories;
/// `bacc` with `n = 0` is the company's bank account) in a demo company. The seed is
/// deterministic, so tests and examples can name demo objects without listing them first.
pub fn seeded_id(prefix: &str, company_id: &str, n: usize) -> String {
    store::seeded_id(prefix, company_id, n)
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
