//! The tax-advisor hooks. Each asks Norman several things about one client company (the
//! `company_id` argument, already checked to be an id) and summarises the answers, so the
//! advisor's model gets one compact result instead of six raw lists.
//!
//! The client's own data is asked with `companyId` set to the client: the earlier server sent
//! the advisor's own company there, and so summarised the advisor's tax reports under the
//! client's name.

use std::collections::BTreeMap;
use std::time::Instant;

use futures_util::StreamExt as _;
use http::Method;
use rmcp::model::CallToolResult;
use serde_json::{Map, Value, json};

use super::{CONCURRENCY, Call, date_value, parsed, refused_json, today};
use crate::mcp::catalogue::args::{Args, is_id, truthy};
use crate::mcp::catalogue::reply::{Fail, json_result};
use crate::norman::api::ApiBody;

/// Most transactions one ping call asks about: each is one request and one e-mail to the
/// client. The tool's description states the same number.
const MAX_PINGS: usize = 50;
/// Transactions the missing-documents summary reads: one page of Norman's list.
const SUMMARY_PAGE_SIZE: &str = "200";
const TOP_MISSING: usize = 20;
const PENDING_SHOWN: usize = 10;

fn client_of(args: &Args) -> &str {
    args.str("company_id").unwrap_or_default()
}

/// `GET path?companyId=<client>&query…` parsed as JSON.
async fn get_for(
    call: &Call<'_>,
    client: &str,
    path: String,
    mut query: Vec<(&'static str, String)>,
) -> Result<Value, Fail> {
    query.insert(0, ("companyId", client.to_owned()));
    parsed(call.send(Method::GET, path, query, ApiBody::Empty).await?)
}

/// Norman answers 403 or 404 for a company this login does not look after: the model is to
/// correct `company_id`, so the error names it.
fn as_client_error(fail: Fail, client: &str) -> Fail {
    match fail {
        Fail::Norman { status: status @ (403 | 404), .. } => Fail::Arguments(format!(
            "`company_id` {client} is not a client company of this login (Norman answered HTTP {status}); list_tax_advisor_clients shows the companies a tax advisor looks after"
        )),
        other => other,
    }
}

/// What a failed part of a summary says in place of its figures.
fn fail_json(fail: &Fail) -> Value {
    match fail {
        Fail::Norman { status, detail } => {
            let reason = detail.get("detail").filter(|d| d.is_string()).unwrap_or(detail);
            json!({ "error": format!("Norman answered HTTP {status}"), "status": status, "detail": reason })
        }
        Fail::Unavailable(error) => json!({ "error": error.to_string() }),
        Fail::Unexpected(what) => json!({ "error": format!("Norman's answer was not as expected: {what}") }),
        Fail::Unauthorized => json!({ "error": "the Norman session has expired" }),
        Fail::Arguments(message) | Fail::File(message) => json!({ "error": message }),
    }
}

/// The items of a list answer: a bare list or a page's `results`.
fn items(list: Value) -> Vec<Value> {
    match list {
        Value::Array(items) => items,
        Value::Object(mut page) => match page.remove("results") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A field in either spelling: this part of the API answers snake_case, the rest camelCase.
fn field<'a>(item: &'a Value, camel: &str, snake: &str) -> Option<&'a Value> {
    item.get(camel).or_else(|| item.get(snake)).filter(|v| !v.is_null())
}

fn text<'a>(item: &'a Value, key: &str) -> &'a str {
    item.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// Amounts come as numbers or as decimal strings ("2249.10").
fn amount(value: Option<&Value>) -> f64 {
    match value {
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn cents(value: f64) -> Value {
    json!((value * 100.0).round() / 100.0)
}

fn status_of(report: &Value) -> String {
    text(report, "status").to_ascii_lowercase()
}

fn is_unfiled(report: &Value) -> bool {
    matches!(status_of(report).as_str(), "draft" | "pending")
}

fn is_filed(report: &Value) -> bool {
    matches!(status_of(report).as_str(), "submitted" | "filed")
}

/// `list_tax_advisor_clients`: the list as `{count, clients, activeCompanyId}`. Norman refuses
/// the list to anyone who is not a tax advisor; that refusal says so.
pub(super) async fn clients(call: &Call<'_>, args: &mut Args, path: String) -> Result<CallToolResult, Fail> {
    let list = match call.main_json(args, path).await {
        Ok(response) => parsed(response)?,
        Err(Fail::Norman { status: 403, detail }) => {
            return Ok(refused_json(json!({
                "error": "This login is not a tax advisor's: Norman refused the list of client companies (HTTP 403). The tax-advisor tools need the login of a tax advisor who looks after client companies in Norman.",
                "status": 403,
                "detail": detail,
            })));
        }
        Err(fail) => return Err(fail),
    };
    let clients = items(list);
    Ok(json_result(json!({
        "count": clients.len(),
        "clients": clients,
        "activeCompanyId": call.company(),
    })))
}

/// `get_client_overview`. The company and the advisor's statistics of it must be had (they
/// are what shows the company is a client); any other part that fails is reported in its
/// place, so one slow figure does not hide the rest.
pub(super) async fn overview(call: &Call<'_>, args: &Args) -> Result<CallToolResult, Fail> {
    let client = client_of(args);
    let company_path = format!("api/v1/companies/{client}/");
    let invoices = format!("{company_path}invoices/");
    let (company, stats, balance, tax_statistics, reports, sent, overdue) = tokio::join!(
        get_for(call, client, company_path.clone(), Vec::new()),
        get_for(call, client, format!("api/v1/tax-advisor/clients/{client}/stats/"), Vec::new()),
        get_for(call, client, format!("{company_path}balance/"), Vec::new()),
        get_for(call, client, format!("{company_path}company-tax-statistic/"), Vec::new()),
        get_for(call, client, "api/v1/taxes/reports/".to_owned(), Vec::new()),
        get_for(call, client, invoices.clone(), vec![("status", "sent".to_owned())]),
        get_for(call, client, invoices, vec![("status", "overdue".to_owned())]),
    );
    let parts = [&company, &stats, &balance, &tax_statistics, &reports, &sent, &overdue];
    if parts.iter().any(|part| matches!(part, Err(Fail::Unauthorized))) {
        return Err(Fail::Unauthorized);
    }
    let company = company.map_err(|fail| as_client_error(fail, client))?;
    let stats = stats.map_err(|fail| as_client_error(fail, client))?;
    let or_error = |part: Result<Value, Fail>| part.unwrap_or_else(|fail| fail_json(&fail));

    let tax_reports = match reports {
        Ok(list) => {
            let reports = items(list);
            let pending: Vec<&Value> = reports.iter().filter(|r| is_unfiled(r)).collect();
            json!({
                "total": reports.len(),
                "pending": pending.len(),
                "submitted": reports.iter().filter(|r| is_filed(r)).count(),
                "pendingReports": pending.iter().take(PENDING_SHOWN).map(|r| json!({
                    "id": r.get("publicId"),
                    "type": r.get("type"),
                    "period": r.get("period"),
                    "status": r.get("status"),
                    "dueDate": r.get("dueDate"),
                })).collect::<Vec<_>>(),
            })
        }
        Err(fail) => fail_json(&fail),
    };
    // Outstanding means not yet paid: sent and overdue alike (the earlier server counted sent
    // invoices only, so the overdue ones, the most pressing, were missing).
    let outstanding = match (sent, overdue) {
        (Ok(sent), Ok(overdue)) => {
            let open: Vec<Value> = items(sent).into_iter().chain(items(overdue)).collect();
            let total: f64 = open.iter().map(|i| amount(i.get("totalGross"))).sum();
            json!({ "count": open.len(), "totalAmount": cents(total) })
        }
        (Err(fail), _) | (_, Err(fail)) => fail_json(&fail),
    };
    Ok(json_result(json!({
        "companyId": client,
        "company": {
            "name": company.get("name"),
            "legalForm": company.get("legalForm"),
            "accountType": company.get("accountType"),
            "isSme": company.get("isSme"),
            "chartOfAccounts": company.get("chartOfAccounts"),
            "taxState": company.get("taxState"),
            "vatId": field(&company, "vatId", "vatNumber"),
            "taxId": field(&company, "taxId", "taxNumber"),
        },
        "balance": or_error(balance),
        "transactionStats": stats,
        "taxStatistics": or_error(tax_statistics),
        "taxReports": tax_reports,
        "outstandingInvoices": outstanding,
    })))
}

/// `get_missing_documents_summary`: one page of the client's transactions, those without a
/// document grouped by month and ranked by amount.
pub(super) async fn missing_documents(
    call: &Call<'_>,
    args: &mut Args,
    path: String,
) -> Result<CallToolResult, Fail> {
    let client = client_of(args).to_owned();
    let mut query = args.query(&client);
    query.push(("page_size", SUMMARY_PAGE_SIZE.to_owned()));
    let response = call
        .send(Method::GET, path, query, ApiBody::Empty)
        .await
        .map_err(|fail| as_client_error(fail, &client))?;
    let page = parsed(response)?;
    let count = page.get("count").and_then(Value::as_u64);
    let transactions = items(page);

    let mut missing: Vec<(String, f64, Value)> = Vec::new();
    for t in &transactions {
        if field(t, "hasAttachment", "has_attachment").is_some_and(truthy) {
            continue;
        }
        let date = field(t, "valueDate", "value_date").and_then(Value::as_str).unwrap_or_default();
        let value = amount(t.get("amount"));
        let entry = json!({
            "id": field(t, "publicId", "public_id"),
            "description": t.get("description"),
            "amount": value,
            "date": date,
            "category": field(t, "categoryName", "category_name"),
        });
        missing.push((date.chars().take(7).collect(), value, entry));
    }
    let mut months: BTreeMap<&str, (f64, Vec<&Value>)> = BTreeMap::new();
    for (month, value, entry) in &missing {
        let slot = months.entry(month.as_str()).or_default();
        slot.0 += value;
        slot.1.push(entry);
    }
    let by_month: Vec<Value> = months
        .into_iter()
        .map(|(month, (total, entries))| {
            json!({ "month": month, "count": entries.len(), "totalAmount": cents(total), "transactions": entries })
        })
        .collect();
    let mut top: Vec<&(String, f64, Value)> = missing.iter().collect();
    top.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let top: Vec<&Value> = top.into_iter().take(TOP_MISSING).map(|(_, _, entry)| entry).collect();

    let mut summary = json!({
        "companyId": client,
        "totalMissing": missing.len(),
        "totalTransactions": transactions.len(),
        "byMonth": by_month,
        "topMissingByAmount": top,
    });
    if count.is_some_and(|n| n > transactions.len() as u64) {
        summary["truncated"] = json!(true);
        summary["note"] = json!(format!(
            "Only the newest {} of {} transactions were examined; narrow date_from and date_to to see the rest.",
            transactions.len(),
            count.unwrap_or_default()
        ));
    }
    Ok(json_result(summary))
}

/// `get_tax_compliance_status`: the client's reports, settings and registration numbers, and
/// the action items they imply, overdue filings first.
pub(super) async fn compliance(call: &Call<'_>, args: &Args) -> Result<CallToolResult, Fail> {
    let client = client_of(args);
    let (company, reports, settings) = tokio::join!(
        get_for(call, client, format!("api/v1/companies/{client}/"), Vec::new()),
        get_for(call, client, "api/v1/taxes/reports/".to_owned(), Vec::new()),
        get_for(call, client, "api/v1/taxes/tax-settings/".to_owned(), Vec::new()),
    );
    if [&company, &reports, &settings].iter().any(|part| matches!(part, Err(Fail::Unauthorized))) {
        return Err(Fail::Unauthorized);
    }
    let company = company.map_err(|fail| as_client_error(fail, client))?;
    let reports = items(reports?);
    let settings = items(settings?);

    let now = date_value(today());
    let now = now.as_str().unwrap_or_default();
    let mut overdue_items = Vec::new();
    let mut other_items = Vec::new();
    let unfiled: Vec<Value> = reports
        .iter()
        .filter(|r| is_unfiled(r))
        .map(|r| {
            let due = text(r, "dueDate");
            // ISO dates compare as text.
            let overdue = !due.is_empty() && due < now;
            let what = r.get("typeDisplay").and_then(Value::as_str).unwrap_or_else(|| text(r, "type"));
            let period = text(r, "period");
            if overdue {
                overdue_items.push(format!("Overdue: file the {what} for {period}, due {due}."));
            } else if due.is_empty() {
                other_items.push(format!("File the {what} for {period}."));
            } else {
                other_items.push(format!("File the {what} for {period} by {due}."));
            }
            json!({
                "id": r.get("publicId"),
                "type": r.get("type"),
                "period": r.get("period"),
                "status": r.get("status"),
                "dueDate": r.get("dueDate"),
                "amount": r.get("amount"),
                "overdue": overdue,
            })
        })
        .collect();
    let tax_id = field(&company, "taxId", "taxNumber").and_then(Value::as_str).unwrap_or_default();
    let vat_id = field(&company, "vatId", "vatNumber").and_then(Value::as_str).unwrap_or_default();
    let tax_state = text(&company, "taxState");
    if tax_id.is_empty() {
        other_items.push("No tax number (Steuernummer) on file: register with the tax office or add it to the company profile.".to_owned());
    }
    if vat_id.is_empty() {
        other_items
            .push("No VAT ID (USt-IdNr.) on file: needed for business with other EU countries.".to_owned());
    }
    if tax_state.is_empty() {
        other_items.push("The federal state of the tax office (tax state) is not set.".to_owned());
    }
    if settings.is_empty() {
        other_items.push("No tax settings (VAT regime, reporting frequency) are set up.".to_owned());
    }
    let mut action_items = overdue_items;
    action_items.append(&mut other_items);
    Ok(json_result(json!({
        "companyId": client,
        "companyName": company.get("name"),
        "reports": {
            "total": reports.len(),
            "unfiled": unfiled.len(),
            "filed": reports.iter().filter(|r| is_filed(r)).count(),
            "unfiledReports": unfiled,
        },
        "taxSettings": settings,
        "registration": {
            "taxId": tax_id,
            "vatId": vat_id,
            "taxState": tax_state,
            "hasTaxId": !tax_id.is_empty(),
            "hasVatId": !vat_id.is_empty(),
        },
        "actionItems": action_items,
    })))
}

/// The transaction ids of a ping call, checked and without repeats (each id is one e-mail).
fn ping_ids(args: &Args) -> Result<Vec<String>, Fail> {
    let list = match args.get("transaction_ids") {
        Some(Value::Array(list)) => list.as_slice(),
        _ => &[],
    };
    if list.is_empty() {
        return Err(Fail::Arguments("`transaction_ids` must name at least one transaction".into()));
    }
    let mut ids: Vec<String> = Vec::with_capacity(list.len());
    for (n, id) in list.iter().enumerate() {
        let id = id.as_str().unwrap_or_default().trim();
        if !is_id(id) {
            return Err(Fail::Arguments(format!(
                "`transaction_ids[{n}]` must be an id (letters, digits and - _ . ~), as get_missing_documents_summary shows it"
            )));
        }
        if !ids.iter().any(|seen| seen == id) {
            ids.push(id.to_owned());
        }
    }
    if ids.len() > MAX_PINGS {
        return Err(Fail::Arguments(format!(
            "`transaction_ids` names {} transactions; at most {MAX_PINGS} per call",
            ids.len()
        )));
    }
    Ok(ids)
}

/// `ping_client_for_documents`: one request per transaction, a few at a time. A request
/// Norman refuses counts as failed, with its reason (the earlier server counted every answer,
/// errors included, as sent). No request starts after one Norman deadline, so the call stays
/// within its own; those left are reported as not sent.
pub(super) async fn ping(call: &Call<'_>, args: &Args, path: String) -> Result<CallToolResult, Fail> {
    let client = client_of(args);
    let ids = ping_ids(args)?;
    let deadline = Instant::now() + call.norman.timeout();
    let outcomes: Vec<(String, Option<Result<Value, Fail>>)> = futures_util::stream::iter(ids)
        .map(|id| {
            let path = format!("{path}{id}/");
            async move {
                if Instant::now() >= deadline {
                    return (id, None);
                }
                let query = vec![("companyId", client.to_owned())];
                let sent = call.send(Method::POST, path, query, ApiBody::Empty).await;
                (id, Some(sent.map(|response| response.json().unwrap_or(Value::Null))))
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;

    let mut succeeded = Vec::new();
    let mut failed = Vec::new();
    let mut expired = false;
    for (id, outcome) in outcomes {
        match outcome {
            Some(Ok(answer)) => {
                let detail = answer.get("detail").cloned().unwrap_or(Value::Null);
                succeeded.push(json!({ "transactionId": id, "detail": detail }));
            }
            Some(Err(fail)) => {
                expired |= matches!(fail, Fail::Unauthorized);
                let mut entry = Map::new();
                entry.insert("transactionId".into(), json!(id));
                if let Value::Object(reason) = fail_json(&fail) {
                    entry.extend(reason);
                }
                failed.push(Value::Object(entry));
            }
            None => failed.push(json!({
                "transactionId": id,
                "error": "not sent: the call ran out of time; ask again for this one",
            })),
        }
    }
    // With nothing sent, an expired session is the MCP client's to refresh, and repeating the
    // whole call then sends no e-mail twice.
    if succeeded.is_empty() && expired {
        return Err(Fail::Unauthorized);
    }
    let mut result = json!({
        "companyId": client,
        "totalRequested": succeeded.len() + failed.len(),
        "succeeded": succeeded.len(),
        "failed": failed.len(),
        "details": { "succeeded": succeeded, "failed": failed },
    });
    if result["succeeded"] == 0 {
        result["error"] = json!("No request was sent: Norman refused every one (see details.failed).");
        return Ok(refused_json(result));
    }
    Ok(json_result(result))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp::catalogue::tools::TABLES;

    #[test]
    fn the_ping_limit_is_the_one_described() {
        let spec =
            TABLES.iter().flat_map(|table| table.iter()).find(|s| s.name == "ping_client_for_documents");
        let doc = spec.expect("the ping tool").doc;
        assert!(doc.contains(&format!("up to {MAX_PINGS} transactions")), "{doc}");
    }

    #[test]
    fn amounts_and_lists_come_in_either_shape() {
        assert_eq!(amount(Some(&json!("2249.10"))), 2249.1);
        assert_eq!(amount(Some(&json!(-12.5))), -12.5);
        assert_eq!(amount(Some(&json!("n/a"))), 0.0);
        assert_eq!(amount(None), 0.0);
        assert_eq!(items(json!([{ "a": 1 }])).len(), 1);
        assert_eq!(items(json!({ "count": 1, "results": [{ "a": 1 }] })).len(), 1);
        assert!(items(json!({ "detail": "x" })).is_empty());
        let t = json!({ "has_attachment": true, "valueDate": "2026-03-01" });
        assert_eq!(field(&t, "hasAttachment", "has_attachment"), Some(&json!(true)));
        assert_eq!(field(&t, "valueDate", "value_date"), Some(&json!("2026-03-01")));
    }
}
