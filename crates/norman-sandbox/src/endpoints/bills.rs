//! `accounting/bills/`: incoming supplier invoices (global paths; the company is the
//! `companyId` query parameter's, or the caller's own), their status and their payment.
//!
//! A bill is `OPEN` until paid; `pay/` starts a SEPA transfer from the company's bank account
//! and leaves it `PENDING` until someone marks it `PAID`. Totals are decimal strings in euros,
//! as on invoices.

use axum::body::Bytes;
use axum::http::Uri;
use serde_json::{Map, Value, json};

use super::files::presign;
use super::invoices::cents_str;
use crate::blobs::{FileBlob, PAYMENT_WEBFORM};
use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult, created, no_content, ok};
use crate::drf::fields::{Fields, Kind, Spec, f, parse_date};
use crate::drf::page::paginate;
use crate::drf::request::{Id, Params, RawBody, choice_param};
use crate::store::{
    Collection::{Bills, Transactions, Vendors},
    CompanyData, Record, date_str, f64_of, find, find_mut, new_id, now_rfc3339, obj, position, str_of, today,
};

/// The statuses of a bill. The Python client names these three; the real enum may be longer.
pub(crate) const BILL_STATUSES: &[&str] = &["OPEN", "PENDING", "PAID"];

/// What `PATCH` may change.
const SPECS: &[Spec] = &[
    f("status", Kind::Choice(BILL_STATUSES), false),
    f("dueDate", Kind::Date, false),
    f("description", Kind::LongText, false),
    f("billNumber", Kind::Text, false),
];

/// The body of `pay/`.
const PAY_SPECS: &[Spec] = &[
    f("accountId", Kind::NonBlank, true),
    f("executionDate", Kind::Date, false),
    f("purpose", Kind::Text, false),
];

/// A SEPA remittance text holds at most 140 characters.
const MAX_PURPOSE: usize = 140;

/// The seed rule. `vendorIndex` names the vendor and `paidByTransaction` the bank transaction
/// that paid it, by position in the company file; `totalGross` and `vatRate` give the net and
/// VAT split. A paid bill has its `paidAt`.
pub(crate) fn seed(data: &mut CompanyData, mut record: Record) -> Result<Record, String> {
    let vendor_index = record.remove("vendorIndex").and_then(|v| v.as_u64());
    let paid_by = record.remove("paidByTransaction").map(|v| v.as_u64());
    let vendor = vendor_index
        .and_then(|i| data[Vendors].get(usize::try_from(i).ok()?))
        .ok_or("vendorIndex is not the position of a vendor")?;
    for key in ["issued", "dueDate"] {
        if parse_date(str_of(&record, key)).is_none() {
            return Err(format!("{key} is not YYYY-MM-DD"));
        }
    }
    let status = str_of(&record, "status");
    if !BILL_STATUSES.contains(&status) {
        return Err(format!("status \"{status}\" is not one of {BILL_STATUSES:?}"));
    }
    let paid = status == "PAID";
    if paid != record.get("paidAt").is_some() {
        return Err("paidAt is given exactly when the bill is PAID".into());
    }
    let rate = record.get("vatRate").and_then(Value::as_i64).ok_or("vatRate is not a whole number")?;
    let gross = (f64_of(&record, "totalGross") * 100.0).round() as i64;
    let net = (gross as f64 * 100.0 / (100.0 + rate as f64)).round() as i64;
    let transaction = match paid_by {
        None => Value::Null,
        Some(index) => {
            let tx = index
                .and_then(|i| data[Transactions].get(usize::try_from(i).ok()?))
                .ok_or("paidByTransaction is not the position of a transaction")?;
            Value::String(str_of(tx, "publicId").to_owned())
        }
    };
    let stamp = format!("{}T08:00:00Z", str_of(&record, "issued"));
    record.extend(obj(json!({
        "vendor": str_of(vendor, "publicId"),
        "vendorName": str_of(vendor, "name"),
        "iban": str_of(vendor, "iban"),
        "bic": str_of(vendor, "bic"),
        "currency": "EUR",
        "totalNet": cents_str(net),
        "totalVat": cents_str(gross - net),
        "totalGross": cents_str(gross),
        "paidAt": record.get("paidAt").cloned().unwrap_or(Value::Null),
        "transaction": transaction,
        "paymentOrderId": null,
        "createdAt": stamp,
        "updatedAt": stamp,
    })));
    Ok(record)
}

/// `GET`: newest first; `?status=` one of [`BILL_STATUSES`], exactly.
pub(crate) async fn list(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let status = choice_param(&params, "status", BILL_STATUSES)?;
    let data = ctx.company().read();
    let items =
        data[Bills].iter().rev().filter(|b| status.is_none_or(|s| str_of(b, "status") == s)).collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}

pub(crate) async fn detail(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(find(&data[Bills], &id)?))
}

/// `PATCH`: status, due date, description or number. Becoming `PAID` stamps `paidAt` (today);
/// leaving `PAID` clears it.
pub(crate) async fn update(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut changes = Map::new();
    let mut fields = Fields::new(&body);
    fields.apply(SPECS, &mut changes, true);
    let mut data = ctx.company().write();
    let bill = find_mut(&mut data[Bills], &id)?;
    fields.finish()?;
    if let Some(status) = changes.get("status").and_then(Value::as_str) {
        let was_paid = str_of(bill, "status") == "PAID";
        match (status == "PAID", was_paid) {
            (true, false) => {
                changes.insert("paidAt".into(), Value::String(date_str(today())));
            }
            (false, true) => {
                changes.insert("paidAt".into(), Value::Null);
            }
            _ => {}
        }
    }
    if !changes.is_empty() {
        changes.insert("updatedAt".into(), Value::String(now_rfc3339()));
    }
    bill.extend(changes);
    Ok(ok(bill))
}

/// `DELETE`: 204.
pub(crate) async fn delete(ctx: Ctx, Id(id): Id) -> ApiResult {
    let mut data = ctx.company().write();
    let index = position(&data[Bills], &id).ok_or(ApiError::NotFound)?;
    data[Bills].remove(index);
    Ok(no_content())
}

/// `POST …/pay/` `{accountId, executionDate?, purpose?}`: a SEPA transfer of an `OPEN` bill
/// from the company's bank account (the `publicId` that `companies/{cid}/balance/` reports).
/// The bill becomes `PENDING`; the answer carries the payment order and the bank's approval
/// page (`webformUrl`).
pub(crate) async fn pay(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut values = Map::new();
    let mut fields = Fields::new(&body);
    fields.apply(PAY_SPECS, &mut values, false);
    let mut data = ctx.company().write();
    let own_account = data.bank_account_id.clone();
    let bill = find_mut(&mut data[Bills], &id)?;
    if let Some(account) = values.get("accountId").and_then(Value::as_str)
        && account != own_account
    {
        fields.error("accountId", format!("Invalid pk \"{account}\" - object does not exist."));
    }
    let execution = values.get("executionDate").and_then(Value::as_str).and_then(parse_date);
    if execution.is_some_and(|d| d < today()) {
        fields.error("executionDate", "The execution date must not be in the past.");
    }
    let purpose = values.get("purpose").and_then(Value::as_str).unwrap_or_default();
    if purpose.chars().count() > MAX_PURPOSE {
        fields.error("purpose", format!("Ensure this field has no more than {MAX_PURPOSE} characters."));
    }
    fields.finish()?;
    let status = str_of(bill, "status");
    if status != "OPEN" {
        return Err(ApiError::bad_request(format!("Only open bills can be paid; this bill is {status}.")));
    }
    let order = new_id("pay");
    let execution = date_str(execution.unwrap_or_else(today));
    let purpose = if purpose.is_empty() {
        format!("{} {}", str_of(bill, "billNumber"), str_of(bill, "vendorName"))
    } else {
        purpose.to_owned()
    };
    let now = now_rfc3339();
    bill.insert("status".into(), Value::String("PENDING".into()));
    bill.insert("paymentOrderId".into(), Value::String(order.clone()));
    bill.insert("updatedAt".into(), Value::String(now.clone()));
    let mut answer = json!({
        "paymentOrderId": order,
        "status": "PENDING",
        "billId": id,
        "amount": bill.get("totalGross").cloned().unwrap_or(Value::Null),
        "currency": "EUR",
        "recipientName": str_of(bill, "vendorName"),
        "recipientIban": str_of(bill, "iban"),
        "executionDate": execution,
        "purpose": purpose,
        "accountId": own_account,
        "createdAt": now,
        "companyId": ctx.company_id(),
    });
    drop(data);
    let webform = presign(&ctx, "payment-webform", &order, || FileBlob {
        content_type: "text/html; charset=utf-8".into(),
        filename: "zahlung-freigeben.html".into(),
        data: Bytes::from_static(PAYMENT_WEBFORM),
    });
    answer["webformUrl"] = Value::String(webform);
    Ok(created(&answer))
}
