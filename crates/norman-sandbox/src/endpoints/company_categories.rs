//! `accounting/company-categories/`: an SME company's own chart-of-accounts categories (global
//! paths; the company is the `companyId` query parameter's, or the caller's own), and the
//! templates a chart starts from.

use axum::http::{StatusCode, Uri};
use serde_json::{Value, json};

use super::transactions::CASHFLOW;
use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult, created, ok};
use crate::drf::fields::{Fields, Kind, Spec, f};
use crate::drf::page::paginate;
use crate::drf::request::{Params, RawBody, choice_param};
use crate::reference::coa_templates;
use crate::store::{Collection::CompanyCategories, CompanyData, Record, new_id, now_rfc3339, obj, str_of};

const SPECS: &[Spec] = &[
    f("code", Kind::NonBlank, true),
    f("name", Kind::NonBlank, true),
    f("cashflowType", Kind::Choice(CASHFLOW), true),
    f("nameDe", Kind::Text, false),
    f("description", Kind::LongText, false),
];

/// SKR account numbers have four digits; custom accounts may use up to eight.
fn is_account_number(code: &str) -> bool {
    (4..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit())
}

/// The seed rule: the category belongs to the company's chart; it is one of the chart's own
/// accounts unless marked `isCustom`, and exists since the company does.
pub(crate) fn seed(data: &CompanyData, mut record: Record) -> Result<Record, String> {
    let code = str_of(&record, "code");
    if !is_account_number(code) {
        return Err(format!("code \"{code}\" is not an account number"));
    }
    let cashflow = str_of(&record, "cashflowType");
    if !CASHFLOW.contains(&cashflow) {
        return Err(format!("cashflowType \"{cashflow}\" is neither INCOME nor EXPENSE"));
    }
    let custom = record.get("isCustom").and_then(Value::as_bool).unwrap_or(false);
    let stamp = data.company.get("createdAt").cloned().unwrap_or(Value::Null);
    record.extend(obj(json!({
        "isCustom": custom,
        "chartOfAccounts": data.chart_code(),
        "createdAt": stamp,
        "updatedAt": stamp,
    })));
    Ok(record)
}

/// `GET`: by account number as seeded, custom ones last; `?cashflowType=` `INCOME` or `EXPENSE`.
pub(crate) async fn list(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let cashflow = choice_param(&params, "cashflowType", CASHFLOW)?;
    let data = ctx.company().read();
    let items = data[CompanyCategories]
        .iter()
        .filter(|c| cashflow.is_none_or(|f| str_of(c, "cashflowType") == f))
        .collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}

/// `POST` `{code, name, cashflowType, nameDe?, description?}`: a custom category. Only SME
/// companies keep their own chart (403 otherwise); a code is unique within the company.
pub(crate) async fn create(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut data = ctx.company().write();
    if !data.is_sme() {
        return Err(ApiError::Detail(
            StatusCode::FORBIDDEN,
            "Company categories are available for SME companies only.".into(),
        ));
    }
    let now = now_rfc3339();
    let mut record = obj(json!({
        "publicId": new_id(CompanyCategories.id_prefix()),
        "company": ctx.company_id(),
        "description": "",
        "isCustom": true,
        "chartOfAccounts": data.chart_code(),
        "createdAt": now,
        "updatedAt": now,
    }));
    let mut fields = Fields::new(&body);
    fields.apply(SPECS, &mut record, false);
    if let Some(code) = record.get("code").and_then(Value::as_str) {
        if !is_account_number(code) {
            fields.error("code", "Enter an account number of 4 to 8 digits.");
        } else if data[CompanyCategories].iter().any(|c| str_of(c, "code") == code) {
            fields.error("code", "A category with this code already exists.");
        }
    }
    fields.finish()?;
    if str_of(&record, "nameDe").is_empty() {
        let name = record.get("name").cloned().unwrap_or(Value::Null);
        record.insert("nameDe".into(), name);
    }
    let response = created(&record);
    data[CompanyCategories].push(record);
    Ok(response)
}

/// `GET …/templates/`: SKR 03 and SKR 04 with the categories each starts a company with.
pub(crate) async fn templates(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let items = coa_templates().iter().collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}
