//! One company's in-memory state and the helpers the handlers share.
//!
//! Records are kept as JSON objects in the camelCase shape the API returns, so reads serialise
//! them straight from under the read lock and PATCH is a field-wise merge. Collections are
//! small vectors searched linearly: a seeded company has a few dozen objects, and even after a
//! benchmark's writes a scan is cheaper than keeping indexes in sync.

use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use axum::http::Uri;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use super::auth::{Ctx, Params};
use super::error::ApiError;
use super::token::random_bytes;

pub(crate) type Record = Map<String, Value>;

pub(crate) struct CompanyData {
    pub company: Record,
    pub clients: Vec<Record>,
    pub invoices: Vec<Record>,
    pub transactions: Vec<Record>,
    pub attachments: Vec<Record>,
    pub tax_reports: Vec<Record>,
    pub tax_settings: Vec<Record>,
    /// Without a paid plan the real API refuses to file reports (403).
    pub has_subscription: bool,
    /// Bank balance before the first seeded transaction.
    pub opening_balance: f64,
    pub invoice_prefix: String,
    pub quote_prefix: String,
}

/// A company's state behind its own lock, so the two demo users never contend.
pub(crate) struct CompanyState {
    data: RwLock<CompanyData>,
}

impl CompanyState {
    pub(crate) fn new(data: CompanyData) -> Self {
        CompanyState { data: RwLock::new(data) }
    }

    /// A poisoned lock only means an earlier handler panicked mid-write; the data is still
    /// usable for a fake, and refusing every later request would hide the real failure.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, CompanyData> {
        self.data.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, CompanyData> {
        self.data.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The position of the record with `publicId == id`.
pub(crate) fn position(list: &[Record], id: &str) -> Option<usize> {
    list.iter().position(|r| str_of(r, "publicId") == id)
}

pub(crate) fn find<'a>(list: &'a [Record], id: &str) -> Result<&'a Record, ApiError> {
    position(list, id).map(|i| &list[i]).ok_or(ApiError::NotFound)
}

pub(crate) fn find_mut<'a>(list: &'a mut [Record], id: &str) -> Result<&'a mut Record, ApiError> {
    position(list, id).map(move |i| &mut list[i]).ok_or(ApiError::NotFound)
}

/// A string field, or `""`.
pub(crate) fn str_of<'a>(record: &'a Record, key: &str) -> &'a str {
    record.get(key).and_then(Value::as_str).unwrap_or_default()
}

pub(crate) fn f64_of(record: &Record, key: &str) -> f64 {
    record.get(key).and_then(super::fields::to_f64).unwrap_or(0.0)
}

/// Turns a `json!({...})` literal into a record.
pub(crate) fn obj(value: Value) -> Record {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62(bytes: &[u8]) -> String {
    bytes.iter().map(|b| BASE62[usize::from(*b) % 62] as char).collect()
}

/// A fresh `publicId` such as `cli_4fQ9...`.
pub(crate) fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", base62(&random_bytes::<16>()))
}

/// A `publicId` for seeded data: looks random, is the same in every run.
pub(crate) fn seeded_id(prefix: &str, company_id: &str, n: usize) -> String {
    let digest = Sha256::digest(format!("norman-sandbox-seed/{company_id}/{prefix}/{n}"));
    format!("{prefix}_{}", base62(&digest[..16]))
}

pub(crate) fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc())
        .format(&Rfc3339)
        .unwrap_or_default()
}

pub(crate) fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

/// `YYYY-MM-DD`.
pub(crate) fn date_str(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// Case-insensitive substring test, for DRF `icontains` filters.
pub(crate) fn icontains(haystack: &str, needle: &str) -> bool {
    needle.is_empty() || haystack.to_lowercase().contains(&needle.to_lowercase())
}

/// DRF's page envelope, serialised straight from borrowed records.
#[derive(Serialize)]
pub(crate) struct Page<'a> {
    count: usize,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<&'a Record>,
}

const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;

/// Cuts `items` into the page asked for by `page` and `pageSize` (also `page_size` and
/// `limit`, which the Python client sends on some lists). A page past the end is DRF's
/// 404 "Invalid page."; an unparsable page size falls back to the default, as in DRF.
pub(crate) fn paginate<'a>(
    ctx: &Ctx,
    uri: &Uri,
    params: &Params,
    items: Vec<&'a Record>,
) -> Result<Page<'a>, ApiError> {
    let size = ["pageSize", "page_size", "limit"]
        .iter()
        .find_map(|k| params.get(k).and_then(|v| v.trim().parse::<usize>().ok()))
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .min(MAX_PAGE_SIZE);
    let page = match params.get("page") {
        None => 1,
        Some("last") => items.len().div_ceil(size).max(1),
        Some(v) => v.trim().parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(invalid_page)?,
    };
    let count = items.len();
    let start = (page - 1).saturating_mul(size);
    if page > 1 && start >= count {
        return Err(invalid_page());
    }
    let end = start.saturating_add(size).min(count);
    let link = |target: usize| page_link(ctx, uri, target);
    let next = (end < count).then(|| link(page + 1));
    let previous = (page > 1).then(|| link(page - 1));
    let results = items.into_iter().skip(start).take(end - start).collect();
    Ok(Page { count, next, previous, results })
}

fn invalid_page() -> ApiError {
    ApiError::Detail(axum::http::StatusCode::NOT_FOUND, "Invalid page.".into())
}

fn page_link(ctx: &Ctx, uri: &Uri, page: usize) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(q) = uri.query() {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            if k != "page" {
                query.append_pair(&k, &v);
            }
        }
    }
    query.append_pair("page", &page.to_string());
    let path = uri.path().trim_start_matches('/');
    format!("{}{path}?{}", ctx.base_url(), query.finish())
}

/// Reads an optional date filter from the query; a malformed one is a 400 on that parameter.
pub(crate) fn date_param(params: &Params, key: &str) -> Result<Option<Date>, ApiError> {
    match params.get(key) {
        None | Some("") => Ok(None),
        Some(v) => {
            super::fields::parse_date(v).map(Some).ok_or_else(|| ApiError::field(key, "Enter a valid date."))
        }
    }
}

/// Reads an optional boolean filter (`True`/`False` as python-requests sends them).
pub(crate) fn bool_param(params: &Params, key: &str) -> Result<Option<bool>, ApiError> {
    match params.get(key) {
        None | Some("") => Ok(None),
        Some(v) => super::fields::parse_bool(v)
            .map(Some)
            .ok_or_else(|| ApiError::field(key, "Must be a valid boolean.")),
    }
}

/// Reads an optional number filter.
pub(crate) fn number_param(params: &Params, key: &str) -> Result<Option<f64>, ApiError> {
    match params.get(key) {
        None | Some("") => Ok(None),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Some)
            .ok_or_else(|| ApiError::field(key, "Enter a number.")),
    }
}

/// Whether a record's date field lies within the optional bounds (inclusive).
pub(crate) fn in_range(record: &Record, key: &str, from: Option<Date>, to: Option<Date>) -> bool {
    if from.is_none() && to.is_none() {
        return true;
    }
    let Some(date) = super::fields::parse_date(str_of(record, key)) else {
        return false;
    };
    from.is_none_or(|f| date >= f) && to.is_none_or(|t| date <= t)
}
