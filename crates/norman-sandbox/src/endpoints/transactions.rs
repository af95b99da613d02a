//! `companies/{cid}/accounting/transactions/`, the global booking categories and the
//! category assistant.

use std::sync::OnceLock;

use axum::http::Uri;
use serde_json::{Map, Value, json};

use super::auth::{Ctx, Id, Params, RawBody};
use super::error::{ApiResult, created, ok};
use super::fields::{Fields, Kind, Spec, f, to_f64};
use super::store::{
    Record, bool_param, date_param, date_str, f64_of, find, find_mut, icontains, in_range, new_id,
    now_rfc3339, number_param, obj, paginate, str_of, today,
};

/// A booking category of the standard charts of accounts (SKR 03 / SKR 04).
pub(crate) struct Category {
    pub id: &'static str,
    pub skr03: &'static str,
    pub skr04: &'static str,
    pub name: &'static str,
    pub name_de: &'static str,
    pub cashflow: &'static str,
    /// Lower-case words the assistant matches descriptions against.
    pub keywords: &'static [&'static str],
}

pub(crate) const CATEGORIES: &[Category] = &[
    Category {
        id: "cat_R7mXq2Lp9sVd",
        skr03: "8400",
        skr04: "4400",
        name: "Revenue 19% VAT",
        name_de: "Erlöse 19 % USt",
        cashflow: "INCOME",
        keywords: &["zahlung", "payment", "rechnung", "invoice", "honorar"],
    },
    Category {
        id: "cat_B3nHw8Kt1cZf",
        skr03: "8300",
        skr04: "4300",
        name: "Revenue 7% VAT",
        name_de: "Erlöse 7 % USt",
        cashflow: "INCOME",
        keywords: &["buch", "book", "lizenz"],
    },
    Category {
        id: "cat_J5pTy4Ga6eWm",
        skr03: "8338",
        skr04: "4338",
        name: "Revenue EU services (reverse charge)",
        name_de: "Erlöse sonstige Leistungen EU (Reverse Charge)",
        cashflow: "INCOME",
        keywords: &["ab", "ltd", "b.v.", "og", "sarl", "eu"],
    },
    Category {
        id: "cat_Q8vDc3Xs7nPk",
        skr03: "1710",
        skr04: "3272",
        name: "Customer prepayments",
        name_de: "Erhaltene Anzahlungen",
        cashflow: "INCOME",
        keywords: &["anzahlung", "prepayment", "deposit"],
    },
    Category {
        id: "cat_L2gFr9Mb5hTa",
        skr03: "6815",
        skr04: "6815",
        name: "Office supplies",
        name_de: "Bürobedarf",
        cashflow: "EXPENSE",
        keywords: &["büromaterial", "bürobedarf", "staples", "papier", "office"],
    },
    Category {
        id: "cat_W6kNz1Jd8qYe",
        skr03: "4964",
        skr04: "6837",
        name: "Software and licences",
        name_de: "Aufwendungen für Software",
        cashflow: "EXPENSE",
        keywords: &["adobe", "software", "abo", "subscription", "github", "figma", "lizenz"],
    },
    Category {
        id: "cat_T9sBx5Vh2mUc",
        skr03: "4210",
        skr04: "6310",
        name: "Rent",
        name_de: "Miete",
        cashflow: "EXPENSE",
        keywords: &["miete", "rent", "werkstattmiete"],
    },
    Category {
        id: "cat_H4cMa7Pq3rGn",
        skr03: "4670",
        skr04: "6670",
        name: "Travel expenses",
        name_de: "Reisekosten",
        cashflow: "EXPENSE",
        keywords: &["bahn", "ticket", "flug", "hotel", "reise", "travel", "taxi"],
    },
    Category {
        id: "cat_D1yKe6Ws9tFb",
        skr03: "0420",
        skr04: "0650",
        name: "Office equipment",
        name_de: "Büroeinrichtung",
        cashflow: "EXPENSE",
        keywords: &["macbook", "laptop", "monitor", "schreibtisch", "computer"],
    },
    Category {
        id: "cat_N8qRu2Ct4xJh",
        skr03: "4920",
        skr04: "6805",
        name: "Telecommunication",
        name_de: "Telefon und Internet",
        cashflow: "EXPENSE",
        keywords: &["telekom", "vodafone", "o2", "mobilfunk", "internet", "festnetz"],
    },
    Category {
        id: "cat_F5wGj8Yn1pLs",
        skr03: "3400",
        skr04: "5400",
        name: "Goods and materials 19%",
        name_de: "Wareneingang 19 % Vorsteuer",
        cashflow: "EXPENSE",
        keywords: &["holz", "material", "wareneingang", "schleifpapier", "festool", "zubehör"],
    },
    Category {
        id: "cat_C7zPd4Hr6vQm",
        skr03: "4360",
        skr04: "6400",
        name: "Insurance",
        name_de: "Versicherungen",
        cashflow: "EXPENSE",
        keywords: &["versicherung", "insurance", "haftpflicht"],
    },
    Category {
        id: "cat_V3mSb9Ke2wXt",
        skr03: "4530",
        skr04: "6530",
        name: "Vehicle running costs",
        name_de: "Laufende Kfz-Betriebskosten",
        cashflow: "EXPENSE",
        keywords: &["tank", "aral", "shell", "benzin", "diesel", "kfz", "werkstatt auto"],
    },
    Category {
        id: "cat_Y6tLf1Qa8cNr",
        skr03: "1780",
        skr04: "3820",
        name: "VAT prepayments",
        name_de: "Umsatzsteuer-Vorauszahlungen",
        cashflow: "EXPENSE",
        keywords: &["finanzamt", "umsatzsteuer", "ust", "vorauszahlung"],
    },
    Category {
        id: "cat_K2hVn7Gc5sBd",
        skr03: "4900",
        skr04: "6300",
        name: "Other operating expenses",
        name_de: "Sonstige betriebliche Aufwendungen",
        cashflow: "EXPENSE",
        keywords: &[],
    },
    Category {
        id: "cat_P9rXw3Zm4aEj",
        skr03: "8200",
        skr04: "4200",
        name: "Other revenue",
        name_de: "Sonstige Erlöse",
        cashflow: "INCOME",
        keywords: &[],
    },
];

pub(crate) fn category(id: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.id == id)
}

/// Looks a category up by its English or German name (seeding convenience).
pub(crate) fn category_named(name: &str) -> Option<&'static Category> {
    CATEGORIES.iter().find(|c| c.name_de == name || c.name == name)
}

fn category_records() -> &'static [Record] {
    static RECORDS: OnceLock<Vec<Record>> = OnceLock::new();
    RECORDS.get_or_init(|| {
        CATEGORIES
            .iter()
            .map(|c| {
                obj(json!({
                    "publicId": c.id,
                    "name": c.name,
                    "nameDe": c.name_de,
                    "cashflowType": c.cashflow,
                    "skr03": c.skr03,
                    "skr04": c.skr04,
                }))
            })
            .collect()
    })
}

pub(crate) const CASHFLOW: &[&str] = &["INCOME", "EXPENSE"];
pub(crate) const SUPPLIER_COUNTRIES: &[&str] = &["DE", "INSIDE_EU", "OUTSIDE_EU"];
pub(crate) const SALE_TYPES: &[&str] = &["", "GOODS", "SERVICES"];
const PAYMENT_TYPES: &[&str] =
    &["BANK", "CASH", "NOT_PAID", "BANK_TRANSFER", "CREDIT_CARD", "PAYPAL", "DIRECT_DEBIT", "OTHER"];

const CREATE_SPECS: &[Spec] = &[
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

const UPDATE_SPECS: &[Spec] = &[
    f("amount", Kind::Money, false),
    f("description", Kind::NonBlank, false),
    f("cashflowType", Kind::Choice(CASHFLOW), false),
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
                    record.insert("category".into(), Value::String(c.id.into()));
                    record.insert("categoryName".into(), Value::String(c.name_de.into()));
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
    let items = data
        .transactions
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
    Ok(ok(&paginate(&ctx, &uri, &params, items)?))
}

pub(crate) async fn detail(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(find(&data.transactions, &id)?))
}

/// `POST`: a manual transaction, unverified until someone verifies it.
pub(crate) async fn create(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let now = now_rfc3339();
    let mut record = obj(json!({
        "publicId": new_id("trx"),
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
    fields.apply(CREATE_SPECS, &mut record, false);
    apply_category(&mut fields, &body, &mut record);
    if let Some(Value::String(company)) = body.get("company")
        && company != ctx.company_id()
    {
        fields.error("company", "Does not match the company of this request.");
    }
    fields.finish()?;
    let response = created(&record);
    ctx.company().write().transactions.push(record);
    Ok(response)
}

/// `PATCH`: partial update; an empty body changes nothing and returns the transaction.
pub(crate) async fn update(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut changes = Map::new();
    let mut fields = Fields::new(&body);
    fields.apply(UPDATE_SPECS, &mut changes, true);
    apply_category(&mut fields, &body, &mut changes);
    let mut data = ctx.company().write();
    let tx = find_mut(&mut data.transactions, &id)?;
    fields.finish()?;
    if !changes.is_empty() {
        changes.insert("updatedAt".into(), Value::String(now_rfc3339()));
    }
    tx.extend(changes);
    Ok(ok(tx))
}

fn set_status(ctx: &Ctx, id: &str, status: &str) -> ApiResult {
    let mut data = ctx.company().write();
    let tx = find_mut(&mut data.transactions, id)?;
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
pub(crate) async fn categories(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let cashflow = params.get("cashflowType").filter(|s| !s.is_empty());
    let items = category_records()
        .iter()
        .filter(|c| cashflow.is_none_or(|f| str_of(c, "cashflowType").eq_ignore_ascii_case(f)))
        .collect();
    Ok(ok(&paginate(&ctx, &uri, &params, items)?))
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
    let chart = {
        let data = ctx.company().read();
        data.company
            .get("chartOfAccounts")
            .and_then(|c| c.get("code"))
            .and_then(Value::as_str)
            .unwrap_or("skr04")
            .to_owned()
    };
    let mut scored: Vec<(usize, &Category)> = CATEGORIES
        .iter()
        .filter(|c| c.cashflow == cashflow)
        .map(|c| {
            let hits = c.keywords.iter().filter(|k| description.contains(*k)).count();
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
            "accountNumber": if chart == "skr03" { c.skr03 } else { c.skr04 },
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
