//! `companies/`, `companies/{cid}/` and the company's computed figures. The figures are
//! computed from the current transactions and reports, so writes show up in them.

use serde_json::{Map, Value, json};

use crate::caller::Ctx;
use crate::drf::error::{ApiResult, ok};
use crate::drf::fields::{Fields, Kind, Spec, f, money};
use crate::drf::request::RawBody;
use crate::store::{
    Collection::{Invoices, TaxReports, Transactions},
    CompanyData, CompanyState, date_str, f64_of, now_rfc3339, str_of, today,
};

const SPECS: &[Spec] = &[
    f("name", Kind::NonBlank, false),
    f("profession", Kind::Text, false),
    f("address", Kind::Text, false),
    f("zipCode", Kind::Text, false),
    f("city", Kind::Text, false),
    f("country", Kind::Country, false),
    f("vatNumber", Kind::Text, false),
    f("taxNumber", Kind::Text, false),
    f("phoneNumber", Kind::Text, false),
    f("taxState", Kind::Text, false),
    f("activityStart", Kind::DateOrDateTime, false),
    f("chartOfAccounts", Kind::Choice(&["skr03", "skr04"]), false),
    f("datevAdvisorNumber", Kind::Text, false),
    f("datevClientNumber", Kind::Text, false),
    f("email", Kind::Email, false),
];

/// `GET companies/`: the companies the caller may act on, their own first.
pub(crate) async fn list(ctx: Ctx) -> ApiResult {
    // Several read locks at once cannot deadlock: no handler holds two companies' locks
    // while it writes.
    let companies: Vec<_> = ctx.companies().map(CompanyState::read).collect();
    let results: Vec<_> = companies.iter().map(|data| &data.company).collect();
    Ok(ok(&json!({
        "count": results.len(),
        "next": null,
        "previous": null,
        "results": results,
    })))
}

pub(crate) async fn detail(ctx: Ctx) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(&data.company))
}

/// `PATCH companies/{cid}/`. Writes name the chart of accounts by code, reads return an
/// object; `vatNumber`/`taxNumber` are mirrored into `vatId`/`taxId`, which other tools read.
pub(crate) async fn update(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut changes = Map::new();
    let mut fields = Fields::new(&body);
    fields.apply(SPECS, &mut changes, true);
    fields.finish()?;
    if let Some(code) = changes.get("chartOfAccounts").and_then(Value::as_str) {
        let name = if code == "skr03" { "SKR 03" } else { "SKR 04" };
        let object = json!({ "code": code, "name": name });
        changes.insert("chartOfAccounts".into(), object);
    }
    if let Some(v) = changes.get("vatNumber").cloned() {
        changes.insert("vatId".into(), v);
    }
    if let Some(v) = changes.get("taxNumber").cloned() {
        changes.insert("taxId".into(), v);
    }
    if let Some(code) = changes.get("country").and_then(Value::as_str) {
        let name = country_name(code);
        changes.insert("countryName".into(), Value::String(name.into()));
    }
    let mut data = ctx.company().write();
    if !changes.is_empty() {
        changes.insert("updatedAt".into(), Value::String(now_rfc3339()));
    }
    data.company.extend(changes);
    Ok(ok(&data.company))
}

fn country_name(code: &str) -> &str {
    match code {
        "DE" => "Germany",
        "AT" => "Austria",
        "CH" => "Switzerland",
        "FR" => "France",
        "NL" => "Netherlands",
        "BE" => "Belgium",
        "SE" => "Sweden",
        "DK" => "Denmark",
        "IT" => "Italy",
        "ES" => "Spain",
        "PL" => "Poland",
        "GB" => "United Kingdom",
        "US" => "United States",
        other => other,
    }
}

/// `GET companies/{cid}/balance/`: opening balance plus every transaction.
pub(crate) async fn balance(ctx: Ctx) -> ApiResult {
    let data = ctx.company().read();
    let (income, expenses) = data[Transactions].iter().fold((0.0, 0.0), |(i, e), t| {
        let amount = f64_of(t, "amount");
        if amount >= 0.0 { (i + amount, e) } else { (i, e + amount) }
    });
    let balance = data.opening_balance + income + expenses;
    Ok(ok(&json!({
        "companyId": ctx.company_id(),
        "balance": money(balance),
        "currency": "EUR",
        "openingBalance": money(data.opening_balance),
        "totalIncome": money(income),
        "totalExpenses": money(expenses),
        "asOf": date_str(today()),
        "accounts": [{
            "publicId": data.bank_account_id,
            "name": "Geschäftskonto",
            "iban": str_of(&data.company, "iban"),
            "bankName": str_of(&data.company, "bankName"),
            "balance": money(balance),
        }],
    })))
}

/// Net amount and VAT contained in a gross transaction amount.
fn split_vat(t: &Map<String, Value>) -> (f64, f64) {
    let gross = f64_of(t, "amount");
    let rate = t.get("vatRate").and_then(Value::as_f64).unwrap_or(0.0);
    let vat = gross * rate / (100.0 + rate);
    (gross - vat, vat)
}

fn open_invoices(data: &CompanyData) -> (usize, f64) {
    data[Invoices]
        .iter()
        .filter(|i| str_of(i, "type") == "invoice" && matches!(str_of(i, "status"), "sent" | "overdue"))
        .fold((0, 0.0), |(n, sum), i| (n + 1, sum + f64_of(i, "totalGross")))
}

/// `GET companies/{cid}/company-tax-statistic/`.
pub(crate) async fn tax_statistic(ctx: Ctx) -> ApiResult {
    let data = ctx.company().read();
    let mut revenue = 0.0;
    let mut costs = 0.0;
    let mut vat_collected = 0.0;
    let mut input_vat = 0.0;
    let mut unverified = 0;
    let mut missing_receipts = 0;
    for t in &data[Transactions] {
        let (net, vat) = split_vat(t);
        if f64_of(t, "amount") >= 0.0 {
            revenue += net;
            vat_collected += vat;
        } else {
            costs -= net;
            input_vat -= vat;
            if !t.get("hasAttachment").and_then(Value::as_bool).unwrap_or(false) {
                missing_receipts += 1;
            }
        }
        if str_of(t, "status") != "VERIFIED" {
            unverified += 1;
        }
    }
    let (open_count, open_amount) = open_invoices(&data);
    let profit = revenue - costs;
    Ok(ok(&json!({
        "companyId": ctx.company_id(),
        "currency": "EUR",
        "revenue": money(revenue),
        "expenses": money(costs),
        "profit": money(profit),
        "vatCollected": money(vat_collected),
        "inputVat": money(input_vat),
        "vatPayable": money(vat_collected - input_vat),
        // Rough German estimate for a GmbH/UG: 15.825 % corporate tax + ~14 % trade tax.
        "estimatedIncomeTax": money((profit * 0.29825).max(0.0)),
        "transactionCount": data[Transactions].len(),
        "unverifiedTransactions": unverified,
        "expensesWithoutReceipt": missing_receipts,
        "openInvoices": { "count": open_count, "totalGross": money(open_amount) },
    })))
}

/// `GET companies/{cid}/vat-next-report-amount/`: the earliest VAT return not yet filed.
pub(crate) async fn vat_next_report(ctx: Ctx) -> ApiResult {
    let data = ctx.company().read();
    let next = data[TaxReports]
        .iter()
        .filter(|r| str_of(r, "type") == "sales" && !matches!(str_of(r, "status"), "submitted" | "filed"))
        .min_by(|a, b| str_of(a, "dueDate").cmp(str_of(b, "dueDate")));
    let body = match next {
        Some(r) => json!({
            "companyId": ctx.company_id(),
            "amount": r.get("amount").cloned().unwrap_or(Value::Null),
            "currency": "EUR",
            "reportId": str_of(r, "publicId"),
            "period": str_of(r, "period"),
            "dueDate": str_of(r, "dueDate"),
            "status": str_of(r, "status"),
        }),
        None => json!({
            "companyId": ctx.company_id(),
            "amount": 0.0,
            "currency": "EUR",
            "reportId": null,
            "period": null,
            "dueDate": null,
            "status": null,
        }),
    };
    Ok(ok(&body))
}
