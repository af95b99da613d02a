//! `tax-advisor/clients/…`: a tax advisor's view of the companies they look after. Who is
//! whose client is decided in [`crate::tenants`]: `{client}` in a path must be one of the
//! caller's clients, else 404.
//!
//! This part of the API speaks snake_case (`public_id`, `page_size`, `date_from`), unlike the
//! rest; the Python client reads both spellings of transaction fields, and the sandbox answers
//! with the snake_case ones so that a client relying on camelCase here fails in tests.

use axum::http::{StatusCode, Uri};
use serde_json::{Map, Value, json};

use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult, ok};
use crate::drf::page::paginate;
use crate::drf::request::{Id, Params, bool_param, date_param};
use crate::store::{
    Collection::{Bills, Invoices, Transactions},
    CompanyData, Record, f64_of, find_mut, in_range, now_rfc3339, str_of,
};

/// A transaction still needs its document (receipt, invoice) while none is attached.
fn missing_document(t: &Record) -> bool {
    t.get("hasAttachment").and_then(Value::as_bool) != Some(true)
}

/// Rounded to cents, as a JSON number.
fn euros(v: f64) -> Value {
    json!((v * 100.0).round() / 100.0)
}

/// `GET tax-advisor/clients/`: a bare list of the client companies. Anyone who looks after no
/// company is not a tax advisor: 403, as a DRF permission class answers.
pub(crate) async fn clients(ctx: Ctx) -> ApiResult {
    if !ctx.is_advisor() {
        return Err(ApiError::Detail(
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action.".into(),
        ));
    }
    let clients: Vec<Value> = ctx
        .clients()
        .map(|client| {
            let data = client.state.read();
            let c = &data.company;
            let transactions = &data[Transactions];
            json!({
                "public_id": client.id,
                "name": str_of(c, "name"),
                "account_type": str_of(c, "accountType"),
                "legal_form": str_of(c, "legalForm"),
                "city": str_of(c, "city"),
                "chart_of_accounts": c.get("chartOfAccounts").and_then(|v| v.get("code")).cloned(),
                "transaction_count": transactions.len(),
                "missing_docs_count": transactions.iter().filter(|t| missing_document(t)).count(),
                "unverified_count": transactions.iter().filter(|t| str_of(t, "status") != "VERIFIED").count(),
                "last_transaction_date": transactions.iter().map(|t| str_of(t, "valueDate")).max(),
            })
        })
        .collect();
    Ok(ok(&clients))
}

/// The figures of `stats/`, computed from the client's records.
fn stats_of(company_id: &str, data: &CompanyData) -> Value {
    let transactions = &data[Transactions];
    let (income, expenses) = transactions
        .iter()
        .map(|t| f64_of(t, "amount"))
        .fold((0.0, 0.0), |(i, e), a| if a >= 0.0 { (i + a, e) } else { (i, e - a) });
    let missing: Vec<&Record> = transactions.iter().filter(|t| missing_document(t)).collect();
    let open_invoices: Vec<&Record> = data[Invoices]
        .iter()
        .filter(|i| str_of(i, "type") == "invoice" && matches!(str_of(i, "status"), "sent" | "overdue"))
        .collect();
    let open_bills: Vec<&Record> = data[Bills].iter().filter(|b| str_of(b, "status") != "PAID").collect();
    json!({
        "company_id": company_id,
        "name": str_of(&data.company, "name"),
        "transaction_count": transactions.len(),
        "verified_count": transactions.iter().filter(|t| str_of(t, "status") == "VERIFIED").count(),
        "unverified_count": transactions.iter().filter(|t| str_of(t, "status") != "VERIFIED").count(),
        "missing_docs_count": missing.len(),
        "missing_docs_amount": euros(missing.iter().map(|t| f64_of(t, "amount").abs()).sum()),
        "income_total": euros(income),
        "expense_total": euros(expenses),
        "open_invoices_count": open_invoices.len(),
        "open_invoices_amount": euros(open_invoices.iter().map(|i| f64_of(i, "totalGross")).sum()),
        "open_bills_count": open_bills.len(),
        "open_bills_amount": euros(open_bills.iter().map(|b| f64_of(b, "totalGross")).sum()),
        "first_transaction_date": transactions.iter().map(|t| str_of(t, "valueDate")).min(),
        "last_transaction_date": transactions.iter().map(|t| str_of(t, "valueDate")).max(),
        "currency": "EUR",
    })
}

/// `GET tax-advisor/clients/{client}/stats/`.
pub(crate) async fn stats(ctx: Ctx) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(&stats_of(ctx.company_id(), &data)))
}

/// A transaction as this part of the API lists it.
fn snake_case(t: &Record) -> Record {
    let mut out = Map::new();
    for (from, to) in [
        ("publicId", "public_id"),
        ("description", "description"),
        ("amount", "amount"),
        ("currency", "currency"),
        ("valueDate", "value_date"),
        ("cashflowType", "cashflow_type"),
        ("categoryName", "category_name"),
        ("counterpartyName", "counterparty_name"),
        ("status", "status"),
        ("hasAttachment", "has_attachment"),
        ("documentRequestedAt", "document_requested_at"),
    ] {
        out.insert(to.to_owned(), t.get(from).cloned().unwrap_or(Value::Null));
    }
    out
}

/// `GET tax-advisor/clients/{client}/transactions/`: newest first; `date_from`, `date_to`
/// (value date, inclusive), `has_attachment`, paginated by `page` and `page_size`.
pub(crate) async fn transactions(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let from = date_param(&params, "date_from")?;
    let to = date_param(&params, "date_to")?;
    let has_attachment = bool_param(&params, "has_attachment")?;
    let items: Vec<Record> = {
        let data = ctx.company().read();
        data[Transactions]
            .iter()
            .rev()
            .filter(|t| in_range(t, "valueDate", from, to))
            .filter(|t| has_attachment.is_none_or(|h| missing_document(t) != h))
            .map(snake_case)
            .collect()
    };
    let page = paginate(&ctx.base_url(), &uri, &params, items.iter().collect())?;
    Ok(ok(&page))
}

/// `POST tax-advisor/clients/{client}/ping/{id}/`: asks the client to upload the document of
/// one of their transactions. 404 for a transaction the client does not have, 400 when it
/// already has its document; the request is stamped on the transaction
/// (`documentRequestedAt`).
pub(crate) async fn ping(ctx: Ctx, Id(id): Id) -> ApiResult {
    let mut data = ctx.company().write();
    let tx = find_mut(&mut data[Transactions], &id)?;
    if !missing_document(tx) {
        return Err(ApiError::bad_request("This transaction already has a document."));
    }
    let now = now_rfc3339();
    tx.insert("documentRequestedAt".into(), Value::String(now.clone()));
    let description = str_of(tx, "description").to_owned();
    let name = str_of(&data.company, "name").to_owned();
    Ok(ok(&json!({
        "detail": format!("{name} was asked to upload the document for \"{description}\"."),
        "transaction_id": id,
        "company_id": ctx.company_id(),
        "requested_at": now,
    })))
}
