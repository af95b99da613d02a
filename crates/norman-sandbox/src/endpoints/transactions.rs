//! `companies/{cid}/accounting/transactions/`, the global booking categories and the
//! category assistant.

use axum::http::Uri;
use serde_json::{Map, Value, json};

use crate::caller::Ctx;
use crate::drf::error::{ApiResult, created, ok};
use crate::drf::fields::{Fields, Kind, Spec, f, parse_date, to_f64};
use crate::drf::page::paginate;
use crate::drf::request::{Id, Params, RawBody, bool_param, date_param, number_param};
use crate::reference::{Category, categories, category, category_named, category_records};
use crate::store::{
    Collection::Transactions, Record, date_str, f64_of, find, find_mut, icontains, in_range, new_id,
    now_rfc3339, obj, str_of, today,
};

pub(crate) const CASHFLOW: &[&str] = &["INCOME", "EXPENSE"];
pub(crate) const SUPPLIER_COUNTRIES: &[&str] = &["DE", "INSIDE_EU", "OUTSIDE_EU"];
pub(crate) const SALE_TYPES: &[&str] = &["", "GOODS", "SERVICES"];
const PAYMENT_TYPES: &[&str] =
    &["BANK", "CASH", "NOT_PAID", "BANK_TRANSFER", "CREDIT_CARD", "PAYPAL", "DIRECT_DEBIT", "OTHER"];

/// The writable fields; a PATCH requires none of them.
const SPECS: &[Spec] = &[
    f("amount", Kind::Money, true),
    f("description", Kind::NonBlank, true),
    f("cashflowType", Kind::Choice(CASHFLOW), true),
    f("supplierCountry", Kind::Choice(SUPPLIER_COUNTRIES), false),
    f("companyCategory", Kind::Text, false),
    f("vatRate", Kind::IntChoice(&[0, 7, 19]), false),
    f("saleType", Kind::Choice(SALE_TYPES), false),
    f("valueDate", Kind::Date, false),
    f("paymentDate", Kind::Date, false),
    f("paymentType", Kind::Choice(PAYMENT_TYPES), false),
    f("counterpartyName", Kind::Text, false),
];

/// Reads the category reference (`category`, or the create tool's snake_case `category_id`)
/// and writes `category` + `categoryName`.
fn apply_category(fields: &mut Fields<'_>, body: &Map<String, Value>, record: &mut Record) {
    for key in ["category_id", "category"] {
        if !body.contains_key(key) {
            continue;
        }
        match fields.get(key, Kind::Text, false) {
            Some(Value::String(id)) if !id.is_empty() => match category(&id) {
                Some(c) => {
                    record.insert("category".into(), Value::String(c.id.clone()));
                    record.insert("categoryName".into(), Value::String(c.name_de.clone()));
                }
                None => fields.error(key, format!("Invalid pk \"{id}\" - object does not exist.")),
            },
            Some(_) => {
                record.insert("category".into(), Value::Null);
                record.insert("categoryName".into(), Value::String(String::new()));
            }
            None => {}
        }
        // `category_id` wins when both are sent, as in the Python update tool.
        return;
    }
}

/// The seed rule: a transaction as booked from the bank (or, paid in cash, entered by hand)
/// on its `valueDate`, in the category its `categoryName` names.
pub(crate) fn seed(mut record: Record) -> Result<Record, String> {
    let date = str_of(&record, "valueDate").to_owned();
    if parse_date(&date).is_none() {
        return Err(format!("valueDate \"{date}\" is not YYYY-MM-DD"));
    }
    let name = str_of(&record, "categoryName");
    let category = category_named(name).ok_or_else(|| format!("no category is named \"{name}\""))?;
    let cash = str_of(&record, "paymentType") == "CASH";
    let stamp = format!("{date}T07:00:00Z");
    record.extend(obj(json!({
        "currency": "EUR",
        "cashflowType": if f64_of(&record, "amount") >= 0.0 { "INCOME" } else { "EXPENSE" },
        "category": category.id,
        "categoryName": category.name_de,
        "companyCategory": null,
        "paymentDate": date,
        "source": if cash { "MANUAL" } else { "BANK" },
        "hasAttachment": false,
        "attachments": [],
        "invoice": null,
        "createdAt": stamp,
        "updatedAt": stamp,
    })));
    Ok(record)
}

/// `GET`: newest first; filters as the Python `search_transactions` sends them.
pub(crate) async fn list(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let from = date_param(&params, "dateFrom")?;
    let to = date_param(&params, "dateTo")?;
    let min = number_param(&params, "minAmount")?;
    let max = number_param(&params, "maxAmount")?;
    let no_invoice = bool_param(&params, "noInvoice")?.unwrap_or(false);
    let no_attachment = bool_param(&params, "noAttachment")?.unwrap_or(false);
    let description = params.get("description").filter(|s| !s.is_empty());
    let category_name = params.get("category_name").filter(|s| !s.is_empty());
    let status = params.get("status").filter(|s| !s.is_empty());
    let cashflow = params.get("cashflowType").filter(|s| !s.is_empty());
    let data = ctx.company().read();
    let items = data[Transactions]
        .iter()
        .rev()
        .filter(|t| description.is_none_or(|d| icontains(str_of(t, "description"), d)))
        .filter(|t| in_range(t, "valueDate", from, to))
        .filter(|t| {
            // Amount bounds compare magnitudes: "expenses over 100 €" means amount ≤ -100.
            let amount = f64_of(t, "amount").abs();
            min.is_none_or(|m| amount >= m) && max.is_none_or(|m| amount <= m)
        })
        .filter(|t| category_name.is_none_or(|c| icontains(str_of(t, "categoryName"), c)))
        .filter(|t| !no_invoice || t.get("invoice").is_none_or(Value::is_null))
        .filter(|t| !no_attachment || t.get("hasAttachment") != Some(&Value::Bool(true)))
        .filter(|t| status.is_none_or(|s| str_of(t, "status").eq_ignore_ascii_case(s)))
        .filter(|t| cashflow.is_none_or(|c| str_of(t, "cashflowType").eq_ignore_ascii_case(c)))
        .collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}

pub(crate) async fn detail(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(find(&data[Transactions], &id)?))
}

/// `POST`: a manual transaction, unverified until someone verifies it.
pub(crate) async fn create(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let now = now_rfc3339();
    let mut record = obj(json!({
        "publicId": new_id(Transactions.id_prefix()),
        "company": ctx.company_id(),
        "currency": "EUR",
        "supplierCountry": "DE",
        "vatRate": null,
        "saleType": "",
        "valueDate": date_str(today()),
        "category": null,
        "categoryName": "",
        "companyCategory": null,
        "paymentDate": null,
        "paymentType": null,
        "status": "UNVERIFIED",
        "source": "MANUAL",
        "counterpartyName": "",
        "hasAttachment": false,
        "attachments": [],
        "invoice": null,
        "createdAt": now,
        "updatedAt": now,
    }));
    let mut fields = Fields::new(&body);
    fields.apply(SPECS, &mut record, false);
    apply_category(&mut fields, &body, &mut record);
    if let Some(Value::String(company)) = body.get("company")
        && company != ctx.company_id()
    {
        fields.error("company", "Does not match the company of this request.");
    }
    fields.finish()?;
    let response = created(&record);
    ctx.company().write()[Transactions].push(record);
    Ok(response)
}

/// `PATCH`: partial update; an empty body changes nothing and returns the transaction.
pub(crate) async fn update(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut changes = Map::new();
    let mut fields = Fields::new(&body);
    fields.apply(SPECS, &mut changes, true);
    apply_category(&mut fields, &body, &mut changes);
    let mut data = ctx.company().write();
    let tx = find_mut(&mut data[Transactions], &id)?;
    fields.finish()?;
    if !changes.is_empty() {
        changes.insert("updatedAt".into(), Value::String(now_rfc3339()));
    }
    tx.extend(changes);
    Ok(ok(tx))
}

fn set_status(ctx: &Ctx, id: &str, status: &str) -> ApiResult {
    let mut data = ctx.company().write();
    let tx = find_mut(&mut data[Transactions], id)?;
    tx.insert("status".into(), Value::String(status.into()));
    tx.insert("updatedAt".into(), Value::String(now_rfc3339()));
    Ok(ok(tx))
}

pub(crate) async fn verify(ctx: Ctx, Id(id): Id) -> ApiResult {
    set_status(&ctx, &id, "VERIFIED")
}

pub(crate) async fn unverify(ctx: Ctx, Id(id): Id) -> ApiResult {
    set_status(&ctx, &id, "UNVERIFIED")
}

/// `GET accounting/categories/` (optionally `?cashflowType=`).
pub(crate) async fn list_categories(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let cashflow = params.get("cashflowType").filter(|s| !s.is_empty());
    let items = category_records()
        .iter()
        .filter(|c| cashflow.is_none_or(|f| str_of(c, "cashflowType").eq_ignore_ascii_case(f)))
        .collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}

/// `POST assistant/detect-category/` with the snake_case body of `categorize_transaction`:
/// a keyword match over the categories of the right cash-flow direction.
pub(crate) async fn detect_category(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let amount = fields.get("transaction_amount", Kind::Money, true);
    let description = fields.get("transaction_description", Kind::NonBlank, true);
    let kind =
        fields.get("transaction_type", Kind::Choice(&["income", "expense", "INCOME", "EXPENSE"]), true);
    fields.finish()?;
    let description = description.as_ref().and_then(Value::as_str).unwrap_or_default().to_lowercase();
    let cashflow = kind.as_ref().and_then(Value::as_str).unwrap_or("expense").to_ascii_uppercase();
    let chart = ctx.company().read().chart_code().to_owned();
    let mut scored: Vec<(usize, &Category)> = categories()
        .iter()
        .filter(|c| c.cashflow == cashflow)
        .map(|c| {
            let hits = c.keywords.iter().filter(|k| description.contains(k.as_str())).count();
            (hits, c)
        })
        .collect();
    scored.sort_by_key(|s| std::cmp::Reverse(s.0));
    let fallback = if cashflow == "INCOME" { "cat_P9rXw3Zm4aEj" } else { "cat_K2hVn7Gc5sBd" };
    let best = scored.first().filter(|(hits, _)| *hits > 0).map(|(_, c)| *c).or_else(|| category(fallback));
    let render = |c: &Category| {
        json!({
            "id": c.id,
            "name": c.name,
            "nameDe": c.name_de,
            "accountNumber": if chart == "skr03" { &c.skr03 } else { &c.skr04 },
        })
    };
    let confidence = match scored.first() {
        Some((hits, _)) if *hits > 1 => 0.93,
        Some((1, _)) => 0.81,
        _ => 0.35,
    };
    let alternatives: Vec<Value> = scored
        .iter()
        .filter(|(hits, c)| *hits > 0 && best.is_none_or(|b| b.id != c.id))
        .take(3)
        .map(|(_, c)| render(c))
        .collect();
    Ok(ok(&json!({
        "category": best.map(render),
        "confidence": confidence,
        "alternatives": alternatives,
        "transactionAmount": amount.as_ref().and_then(to_f64),
        "chartOfAccounts": chart,
        "companyId": ctx.company_id(),
    })))
}
