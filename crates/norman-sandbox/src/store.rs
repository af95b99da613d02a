//! The records of one company and the helpers every handler uses on them.
//!
//! Records are kept as JSON objects in the camelCase shape the API returns, so reads serialise
//! them straight from under the read lock and PATCH is a field-wise merge. Each kind of record
//! is a [`Collection`]: a small vector searched linearly. A seeded company has a few dozen
//! objects, and even after a benchmark's writes a scan is cheaper than keeping indexes in sync.

use std::ops::{Index, IndexMut};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::drf::error::ApiError;
use crate::drf::fields::{parse_date, to_f64};
use crate::token::random_bytes;

pub(crate) type Record = Map<String, Value>;

/// The kinds of records a company holds. The seed data name them in camelCase (`taxReports`).
/// Declared in seed order: a record's seed may refer only to collections declared before its
/// own (an invoice to its client and the transaction that paid it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum Collection {
    Clients,
    Transactions,
    Invoices,
    Attachments,
    TaxReports,
    TaxSettings,
    Vendors,
    Bills,
    CompanyCategories,
}

impl Collection {
    pub(crate) const ALL: [Collection; 9] = [
        Collection::Clients,
        Collection::Transactions,
        Collection::Invoices,
        Collection::Attachments,
        Collection::TaxReports,
        Collection::TaxSettings,
        Collection::Vendors,
        Collection::Bills,
        Collection::CompanyCategories,
    ];

    /// The prefix of its records' `publicId`s (quotes, kept with the invoices, use `quo`).
    pub(crate) fn id_prefix(self) -> &'static str {
        match self {
            Collection::Clients => "cli",
            Collection::Transactions => "trx",
            Collection::Invoices => "inv",
            Collection::Attachments => "att",
            Collection::TaxReports => "txr",
            Collection::TaxSettings => "tset",
            Collection::Vendors => "ven",
            Collection::Bills => "bill",
            Collection::CompanyCategories => "ccat",
        }
    }
}

/// A company: its own record (`GET companies/{cid}/`), a few settings and its collections.
#[derive(Clone, Debug)]
pub(crate) struct CompanyData {
    pub company: Record,
    /// Bank balance before the first seeded transaction.
    pub opening_balance: f64,
    pub invoice_prefix: String,
    pub quote_prefix: String,
    /// The `publicId` of the company's bank account (the one `balance/` reports), which
    /// payments are made from.
    pub bank_account_id: String,
    collections: [Vec<Record>; Collection::ALL.len()],
}

impl CompanyData {
    /// A company without records.
    pub(crate) fn new(
        company: Record,
        opening_balance: f64,
        invoice_prefix: String,
        quote_prefix: String,
    ) -> CompanyData {
        let bank_account_id = seeded_id("bacc", str_of(&company, "publicId"), 0);
        CompanyData {
            company,
            opening_balance,
            invoice_prefix,
            quote_prefix,
            bank_account_id,
            collections: Default::default(),
        }
    }

    /// The code of the company's chart of accounts; SKR 04 when none is set, as the
    /// category assistant assumes.
    pub(crate) fn chart_code(&self) -> &str {
        self.company
            .get("chartOfAccounts")
            .and_then(|c| c.get("code"))
            .and_then(Value::as_str)
            .unwrap_or("skr04")
    }

    /// Whether the company keeps its books on an SME chart of accounts (company categories).
    pub(crate) fn is_sme(&self) -> bool {
        self.company.get("isSme").and_then(Value::as_bool).unwrap_or(false)
    }

    /// Without an active paid plan the real API refuses to file reports (403).
    pub(crate) fn has_subscription(&self) -> bool {
        self.company
            .get("subscription")
            .and_then(|s| s.get("active"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

impl Index<Collection> for CompanyData {
    type Output = Vec<Record>;

    fn index(&self, collection: Collection) -> &Vec<Record> {
        &self.collections[collection as usize]
    }
}

impl IndexMut<Collection> for CompanyData {
    fn index_mut(&mut self, collection: Collection) -> &mut Vec<Record> {
        &mut self.collections[collection as usize]
    }
}

/// A company's data behind its own lock, so different companies never contend.
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
    record.get(key).and_then(to_f64).unwrap_or(0.0)
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

/// Whether a record's date field lies within the optional bounds (inclusive).
pub(crate) fn in_range(record: &Record, key: &str, from: Option<Date>, to: Option<Date>) -> bool {
    if from.is_none() && to.is_none() {
        return true;
    }
    let Some(date) = parse_date(str_of(record, key)) else {
        return false;
    };
    from.is_none_or(|f| date >= f) && to.is_none_or(|t| date <= t)
}
