//! `taxes/...`: the caller's tax reports and settings (global paths that act on the caller's
//! company), the federal states and the tax-number check.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64_STD;
use serde_json::{Map, Value, json};

use super::files::presign;
use crate::blobs::{DUMMY_PDF, FileBlob, PREVIEW_PNG};
use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult, ok};
use crate::drf::fields::{Fields, Kind, Spec, f, parse_date, to_f64};
use crate::drf::page::paginate;
use crate::drf::request::{Id, Params, RawBody};
use crate::reference::states;
use crate::store::{
    Collection::{TaxReports, TaxSettings},
    Record, find, find_mut, now_rfc3339, obj, str_of,
};
use crate::token::{hex, random_bytes};

const SETTING_SPECS: &[Spec] = &[
    f("taxType", Kind::Choice(&["sales", "trade", "income", "profit_loss"]), false),
    f("vatType", Kind::Choice(&["vat_subject", "kleinunternehmer", "vat_exempt"]), false),
    f("vatPercent", Kind::Money, false),
    f("startTaxReportDate", Kind::Date, false),
    f("reportingFrequency", Kind::Choice(&["monthly", "quarterly", "yearly"]), false),
];

/// The storage key of a filed report's PDF.
pub(crate) fn report_file_key(company_id: &str, id: &str) -> String {
    format!("tax-reports/{company_id}/{id}.pdf")
}

/// The seed rule: a report is created when its period ends; a filed one (`submitted` or
/// `filed`) was filed on its due date and has its PDF and ELSTER transfer ticket.
pub(crate) fn seed(mut record: Record) -> Result<Record, String> {
    for key in ["periodStart", "periodEnd", "dueDate"] {
        let date = str_of(&record, key);
        if parse_date(date).is_none() {
            return Err(format!("{key} \"{date}\" is not YYYY-MM-DD"));
        }
    }
    let due = str_of(&record, "dueDate").to_owned();
    let end = str_of(&record, "periodEnd").to_owned();
    let id = str_of(&record, "publicId").to_owned();
    let company_id = str_of(&record, "company").to_owned();
    let filed = matches!(str_of(&record, "status"), "submitted" | "filed");
    let ticket = format!("et{}", id.get(4..14).unwrap_or_default());
    let when_filed = |value: String| if filed { Value::String(value) } else { Value::Null };
    record.extend(obj(json!({
        "currency": "EUR",
        "reportFile": when_filed(report_file_key(&company_id, &id)),
        "submittedAt": when_filed(format!("{due}T16:20:00Z")),
        "transferTicket": when_filed(ticket),
        "createdAt": format!("{end}T06:00:00Z"),
        "updatedAt": format!("{end}T06:00:00Z"),
    })));
    Ok(record)
}

/// `GET taxes/reports/` (filters `status`, `type`), newest first.
pub(crate) async fn list_reports(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let status = params.get("status").filter(|s| !s.is_empty());
    let kind = params.get("type").filter(|s| !s.is_empty());
    let data = ctx.company().read();
    let items = data[TaxReports]
        .iter()
        .rev()
        .filter(|r| status.is_none_or(|s| str_of(r, "status").eq_ignore_ascii_case(s)))
        .filter(|r| kind.is_none_or(|k| str_of(r, "type").eq_ignore_ascii_case(k)))
        .collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}

pub(crate) async fn report_detail(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(find(&data[TaxReports], &id)?))
}

/// `GET …/download/`: only filed reports have a file.
pub(crate) async fn report_download(ctx: Ctx, Id(id): Id) -> ApiResult {
    let name = {
        let data = ctx.company().read();
        let report = find(&data[TaxReports], &id)?;
        if report.get("reportFile").is_none_or(|v| v.is_null() || v == "") {
            return Err(ApiError::Detail(
                StatusCode::NOT_FOUND,
                "No report file is available for this report yet.".into(),
            ));
        }
        format!("{}-{}.pdf", str_of(report, "type"), str_of(report, "period"))
    };
    let url = presign(&ctx, "tax-report", &id, || FileBlob::pdf(name));
    Ok(ok(&json!({
        "url": url,
        "expiresIn": 3600,
        "reportId": id,
        "companyId": ctx.company_id(),
    })))
}

/// `POST …/generate-preview-url/`: the ELSTER preview as a link plus a first-page image.
pub(crate) async fn generate_preview_url(ctx: Ctx, Id(id): Id) -> ApiResult {
    let (period, kind) = {
        let data = ctx.company().read();
        let report = find(&data[TaxReports], &id)?;
        (str_of(report, "period").to_owned(), str_of(report, "type").to_owned())
    };
    let name = format!("vorschau-{kind}-{period}.pdf");
    let url = presign(&ctx, "tax-report-preview", &id, || FileBlob::pdf(name));
    Ok(ok(&json!({
        "downloadUrl": url,
        "previewImage": B64_STD.encode(PREVIEW_PNG),
        "mimeType": "image/png",
        "reportId": id,
        "period": period,
        "type": kind,
        "expiresIn": 3600,
        "companyId": ctx.company_id(),
    })))
}

/// `POST …/generate-preview/` (the older API): the preview PDF itself.
pub(crate) async fn generate_preview(ctx: Ctx, Id(id): Id) -> ApiResult {
    {
        let data = ctx.company().read();
        find(&data[TaxReports], &id)?;
    }
    let mut response = Response::new(Body::from(DUMMY_PDF));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    Ok(response)
}

/// `POST …/submit-report/`: files the report. Needs a paid plan (403 otherwise), and a
/// report can be filed once.
pub(crate) async fn submit_report(ctx: Ctx, Id(id): Id) -> ApiResult {
    let company_id = ctx.company_id();
    let mut guard = ctx.company().write();
    let data = &mut *guard;
    let subscribed = data.has_subscription();
    let report = find_mut(&mut data[TaxReports], &id)?;
    if !subscribed {
        return Err(ApiError::Detail(
            StatusCode::FORBIDDEN,
            "An active Norman subscription is required to submit tax reports.".into(),
        ));
    }
    if matches!(str_of(report, "status"), "submitted" | "filed") {
        return Err(ApiError::bad_request("This report has already been submitted."));
    }
    let now = now_rfc3339();
    report.insert("status".into(), Value::String("submitted".into()));
    report.insert("submittedAt".into(), Value::String(now.clone()));
    report.insert("transferTicket".into(), Value::String(format!("et{}", hex(&random_bytes::<8>()))));
    report.insert("reportFile".into(), Value::String(report_file_key(company_id, &id)));
    report.insert("updatedAt".into(), Value::String(now));
    Ok(ok(report))
}

/// `POST taxes/check-tax-number/` with snake_case `{tax_number, region_code}`.
pub(crate) async fn check_tax_number(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let number = fields.get("tax_number", Kind::NonBlank, true);
    let region = fields.get("region_code", Kind::NonBlank, true);
    let state = match &region {
        Some(Value::String(code)) => {
            let state = states().iter().find(|s| str_of(s, "code").eq_ignore_ascii_case(code));
            if state.is_none() {
                fields.error("region_code", format!("\"{code}\" is not a valid choice."));
            }
            state
        }
        _ => None,
    };
    fields.finish()?;
    let number = number.as_ref().and_then(Value::as_str).unwrap_or_default();
    let Some(state) = state else {
        return Err(ApiError::field("region_code", "This field is required."));
    };
    let (code, name) = (str_of(state, "code"), str_of(state, "name"));
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let only_allowed = number.chars().all(|c| c.is_ascii_digit() || c == '/' || c == ' ');
    // Länder formats have 10 or 11 digits; the unified ELSTER format has 13.
    let format = match digits.len() {
        10 | 11 if only_allowed => Some("standard"),
        13 if only_allowed => Some("elster"),
        _ => None,
    };
    Ok(ok(&json!({
        "isValid": format.is_some(),
        "taxNumber": number,
        "normalized": digits,
        "format": format,
        "regionCode": code,
        "stateName": name,
        "message": if format.is_some() {
            "The tax number is formally valid."
        } else {
            "The tax number does not match the format of this federal state."
        },
        "companyId": ctx.company_id(),
    })))
}

/// `GET taxes/states/`.
pub(crate) async fn list_states(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let items = states().iter().collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}

pub(crate) async fn list_settings(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let data = ctx.company().read();
    let items = data[TaxSettings].iter().collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}

pub(crate) async fn setting_detail(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(find(&data[TaxSettings], &id)?))
}

/// `PATCH taxes/tax-settings/{id}/`.
pub(crate) async fn update_setting(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut changes = Map::new();
    let mut fields = Fields::new(&body);
    fields.apply(SETTING_SPECS, &mut changes, true);
    if let Some(rate) = changes.get("vatPercent").and_then(to_f64)
        && ![0.0, 7.0, 19.0].contains(&rate)
    {
        fields.error("vatPercent", format!("\"{rate}\" is not a valid choice."));
    }
    let mut data = ctx.company().write();
    let setting = find_mut(&mut data[TaxSettings], &id)?;
    let vat_type = changes.get("vatType").and_then(Value::as_str).unwrap_or(str_of(setting, "vatType"));
    if vat_type == "kleinunternehmer" && changes.get("vatPercent").and_then(to_f64).is_some_and(|r| r != 0.0)
    {
        fields.error("vatPercent", "Kleinunternehmer do not charge VAT (§ 19 UStG).");
    }
    fields.finish()?;
    if matches!(changes.get("vatType").and_then(Value::as_str), Some("kleinunternehmer" | "vat_exempt")) {
        changes.insert("vatPercent".into(), json!(0.0));
    }
    if !changes.is_empty() {
        changes.insert("updatedAt".into(), Value::String(now_rfc3339()));
    }
    setting.extend(changes);
    Ok(ok(setting))
}
