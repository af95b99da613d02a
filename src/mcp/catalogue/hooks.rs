//! Running a call: the plain path (one Norman request, its JSON back) and the named hooks for
//! the tools that need a little more. Each hook is small and says why it exists.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::StreamExt as _;
use http::Method;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};
use time::{Date, Duration, OffsetDateTime};

use super::Caller;
use super::args::{Args, is_id, parse_date, truthy};
use super::reply::{Fail, json_result, norman_error, passthrough, with_structure};
use super::spec::{Hook, Spec};
use crate::mcp::upload::{FileData, UploadError, Uploads};
use crate::norman::NormanClient;
use crate::norman::api::{ApiBody, ApiRequest, ApiResponse};
use crate::norman::multipart::Form;

/// How many follow-up requests (download links, URL fetches) run at once for one call.
pub(super) const CONCURRENCY: usize = 4;
/// The most Norman calls a tool makes one after another: `create_invoice` asks for the next
/// number, creates the invoice, then its PDF link. Link lookups for a whole list share one
/// call's deadline (`add_attachment_links`), so they count once.
pub(super) const NORMAN_CALLS_IN_SEQUENCE: u32 = 3;
/// Days from issue to due date, and the default length of a service period.
const PAYMENT_DAYS: i64 = 30;

/// One call in progress: who calls, through which clients, which tool.
pub(super) struct Call<'a> {
    pub norman: &'a NormanClient,
    pub caller: &'a Caller<'a>,
    pub uploads: &'a Uploads,
    pub spec: &'static Spec,
}

impl Call<'_> {
    fn company(&self) -> &str {
        self.caller.company_id
    }

    /// One request as the caller; a non-2xx answer is a `Fail::Norman`.
    async fn send(
        &self,
        method: Method,
        path: String,
        query: Vec<(&'static str, String)>,
        body: ApiBody,
    ) -> Result<ApiResponse, Fail> {
        let request = ApiRequest { method, path, query, body, token: self.caller.norman_access };
        let response = self.norman.call(request).await?;
        if response.is_success() { Ok(response) } else { Err(norman_error(&response)) }
    }

    /// `GET path?companyId=…` parsed as JSON.
    async fn get_json(&self, path: String) -> Result<Value, Fail> {
        let query = vec![("companyId", self.company().to_owned())];
        let response = self.send(Method::GET, path, query, ApiBody::Empty).await?;
        response.json().ok_or(Fail::Unexpected("the answer was not JSON"))
    }

    /// The tool's own request, built from the arguments.
    async fn main(&self, args: &mut Args, path: String, body: ApiBody) -> Result<ApiResponse, Fail> {
        let query = args.query(self.company());
        self.send(self.spec.verb.method(), path, query, body).await
    }

    async fn main_json(&self, args: &mut Args, path: String) -> Result<ApiResponse, Fail> {
        let body = args.take_body().map_or(ApiBody::Empty, ApiBody::Json);
        self.main(args, path, body).await
    }

    /// `url` of a GET answer, when there is one; failures only cost the link.
    async fn link(&self, path: String) -> Option<Value> {
        self.get_json(path).await.ok()?.get_mut("url").map(Value::take).filter(|v| !v.is_null())
    }
}

pub(super) async fn run(call: Call<'_>, mut args: Args) -> Result<CallToolResult, Fail> {
    let path = args.path(call.company()).map_err(Fail::Arguments)?;
    match call.spec.hook {
        Hook::None => Ok(passthrough(call.main_json(&mut args, path).await?)),
        Hook::UpdateOrShow => update_or_show(&call, &mut args, path).await,
        Hook::Invoice { recurring } => create_invoice(&call, &mut args, path, recurring).await,
        Hook::InvoicePdf => {
            let mut invoice = parsed(call.main_json(&mut args, path).await?)?;
            add_invoice_pdf(&call, &mut invoice).await;
            Ok(json_result(invoice))
        }
        Hook::ReportFile => {
            let mut report = parsed(call.main_json(&mut args, path).await?)?;
            let id = args.str("report_id").unwrap_or_default();
            if report.get("reportFile").is_some_and(truthy) {
                let link = call.link(format!("api/v1/taxes/reports/{id}/download/")).await;
                if let (Some(url), Some(map)) = (link, report.as_object_mut()) {
                    map.insert("downloadUrl".into(), url);
                }
            }
            Ok(json_result(report))
        }
        Hook::AttachmentLinks => {
            let mut list = parsed(call.main_json(&mut args, path).await?)?;
            let items = match &mut list {
                Value::Array(items) => Some(items),
                Value::Object(map) => map.get_mut("results").and_then(Value::as_array_mut),
                _ => None,
            };
            if let Some(items) = items {
                add_attachment_links(&call, items).await;
            }
            Ok(json_result(list))
        }
        Hook::XmlText => {
            // E-invoice XML is text, not JSON: hand it over as a string the model can read.
            let response = call.main_json(&mut args, path).await?;
            let xml = String::from_utf8_lossy(&response.body);
            Ok(json_result(json!({ "xml_content": xml })))
        }
        Hook::PreviewImage => preview_image(&call, &mut args, path).await,
        Hook::SignedAmount => create_transaction(&call, &mut args, path).await,
        Hook::SignedAmountUpdate => update_transaction(&call, &mut args, path).await,
        Hook::UploadOne => upload_one(&call, &mut args, path).await,
        Hook::UploadMany => upload_many(&call, &mut args, path).await,
    }
}

fn parsed(response: ApiResponse) -> Result<Value, Fail> {
    response.json().ok_or(Fail::Unexpected("the answer was not JSON"))
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

fn date_value(date: Date) -> Value {
    Value::String(format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day()))
}

fn plus_days(date: Date, days: i64) -> Date {
    date.checked_add(Duration::days(days)).unwrap_or(date)
}

/// PATCH with only the given fields; with none, show the record instead of sending an empty
/// PATCH (which some endpoints treat as "touch" and others refuse).
async fn update_or_show(call: &Call<'_>, args: &mut Args, path: String) -> Result<CallToolResult, Fail> {
    let body = args.take_body().unwrap_or_default();
    if body.is_empty() {
        let current = call.get_json(path).await?;
        return Ok(json_result(json!({
            "message": "No field to change was given, so nothing was changed. This is the current record.",
            "current": current,
        })));
    }
    Ok(passthrough(call.main(args, path, ApiBody::Json(body)).await?))
}

/// Defaults the earlier server applied (dates, next number, reminder settings), then the POST
/// and the PDF link.
async fn create_invoice(
    call: &Call<'_>,
    args: &mut Args,
    path: String,
    recurring: bool,
) -> Result<CallToolResult, Fail> {
    let start = args.str("starts_from_date").and_then(parse_date);
    let issued = args.str("issued").and_then(parse_date).or(start).unwrap_or_else(today);
    let base = start.unwrap_or(issued);
    args.set("issued", date_value(issued));
    if args.get("due_to").is_none() {
        args.set("due_to", date_value(plus_days(issued, PAYMENT_DAYS)));
    }
    if args.str("invoice_type") == Some("GOODS") {
        args.take("service_start_date");
        args.take("service_end_date");
        if args.get("delivery_date").is_none() {
            args.set("delivery_date", date_value(base));
        }
    } else {
        args.take("delivery_date");
        let service_start = args.str("service_start_date").and_then(parse_date).unwrap_or(base);
        args.set("service_start_date", date_value(service_start));
        if args.get("service_end_date").is_none() {
            args.set("service_end_date", date_value(plus_days(service_start, PAYMENT_DAYS)));
        }
    }
    if args.get("settings_on_overdue").is_none() {
        args.set("settings_on_overdue", json!({ "isToAutosendNotification": false }));
    }
    if args.get("is_to_send") != Some(&Value::Bool(true)) {
        args.take("mailing_data");
    }
    let ends_given =
        ["ends_on_date", "ends_on_invoice_count"].iter().any(|k| args.get(k).is_some_and(truthy));
    if recurring && !ends_given {
        args.set("ends_on_invoice_count", Value::from(3));
    }
    if args.str("invoice_number").is_none_or(|n| n.trim().is_empty()) {
        let next = call
            .get_json(format!("api/v1/companies/{}/invoices/next-invoice-number/", call.company()))
            .await?;
        let number = next.get("nextInvoiceNumber").or_else(|| next.get("next_invoice_number")).cloned();
        match number.filter(truthy) {
            Some(number) => args.set("invoice_number", number),
            None => {
                args.take("invoice_number");
            }
        }
    }
    let mut body = args.take_body().unwrap_or_default();
    body.insert("type".into(), json!("invoice"));
    body.insert("companyId".into(), json!(call.company()));
    if recurring {
        body.insert("isRecurring".into(), Value::Bool(true));
        if let Some(number) = body.get("invoiceNumber").cloned() {
            body.insert("recurringNumber".into(), number);
        }
    }
    let mut invoice = parsed(call.main(args, path, ApiBody::Json(body)).await?)?;
    add_invoice_pdf(call, &mut invoice).await;
    Ok(json_result(invoice))
}

/// An invoice with a PDF (`reportUrl`) gets a fresh presigned `downloadUrl`.
async fn add_invoice_pdf(call: &Call<'_>, invoice: &mut Value) {
    let Some(id) = invoice.get("publicId").and_then(Value::as_str).filter(|id| is_id(id)) else { return };
    if !invoice.get("reportUrl").is_some_and(truthy) {
        return;
    }
    let path = format!("api/v1/companies/{}/invoices/{id}/pdf/", call.company());
    if let (Some(url), Some(map)) = (call.link(path).await, invoice.as_object_mut()) {
        map.insert("downloadUrl".into(), url);
    }
}

fn attachment_id(item: &Value) -> Option<String> {
    let id = item.get("publicId").or_else(|| item.get("pk"))?;
    let id = match id {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    is_id(&id).then_some(id)
}

/// Each attachment with a stored file gets a presigned `downloadUrl` (a few at a time), as
/// many as one Norman call's deadline allows: a long list must not hold the answer.
async fn add_attachment_links(call: &Call<'_>, items: &mut [Value]) {
    let wanted: Vec<(usize, String)> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.get("file").is_some_and(truthy))
        .filter_map(|(i, item)| attachment_id(item).map(|id| (i, id)))
        .collect();
    let company = call.company();
    let links: Vec<(usize, Option<Value>)> = futures_util::stream::iter(wanted)
        .map(|(i, id)| async move {
            (i, call.link(format!("api/v1/companies/{company}/attachments/{id}/download/")).await)
        })
        .buffered(CONCURRENCY)
        .take_until(tokio::time::sleep(call.norman.timeout()))
        .collect()
        .await;
    for (i, link) in links {
        if let (Some(url), Some(map)) = (link, items.get_mut(i).and_then(Value::as_object_mut)) {
            map.insert("downloadUrl".into(), url);
        }
    }
}

/// The preview as an image the client can show, plus the remaining fields (with the PDF link).
async fn preview_image(call: &Call<'_>, args: &mut Args, path: String) -> Result<CallToolResult, Fail> {
    let mut preview = parsed(call.main_json(args, path).await?)?;
    let Some(fields) = preview.as_object_mut() else {
        return Err(Fail::Unexpected("the preview was not a JSON object"));
    };
    if !fields.get("downloadUrl").is_some_and(truthy) {
        return Err(Fail::Unexpected("the preview had no downloadUrl"));
    }
    let image = fields.remove("previewImage").and_then(|v| v.as_str().map(str::to_owned));
    let mime = fields.remove("mimeType").and_then(|v| v.as_str().map(str::to_owned));
    let mut content = Vec::with_capacity(2);
    // Only pass on what really is base64, so the client never gets a broken image.
    if let Some(image) = image.filter(|data| B64.decode(data).is_ok()) {
        content.push(ContentBlock::image(image, mime.unwrap_or_else(|| "image/png".to_owned())));
    }
    if let Some(id) = args.str("report_id") {
        fields.insert("reportId".into(), json!(id));
    }
    content.push(ContentBlock::text(preview.to_string()));
    Ok(with_structure(CallToolResult::success(content), preview))
}

fn signed(amount: f64, cashflow: &str) -> Value {
    let magnitude = amount.abs();
    json!(if cashflow.eq_ignore_ascii_case("EXPENSE") { -magnitude } else { magnitude })
}

/// Norman stores expenses as negative amounts; models often give them positive.
async fn create_transaction(call: &Call<'_>, args: &mut Args, path: String) -> Result<CallToolResult, Fail> {
    let mut body = args.take_body().unwrap_or_default();
    let cashflow = body.get("cashflowType").and_then(Value::as_str).unwrap_or("EXPENSE").to_owned();
    if let Some(amount) = body.get("amount").and_then(Value::as_f64) {
        body.insert("amount".into(), signed(amount, &cashflow));
    }
    body.entry("valueDate").or_insert_with(|| date_value(today()));
    // The earlier server always sent these two; keep the API's view of a create the same.
    body.entry("vatRate").or_insert(Value::Null);
    body.entry("saleType").or_insert_with(|| json!(""));
    body.insert("company".into(), json!(call.company()));
    Ok(passthrough(call.main(args, path, ApiBody::Json(body)).await?))
}

/// Signs a changed amount by the direction given, else by the transaction's current one.
async fn update_transaction(call: &Call<'_>, args: &mut Args, path: String) -> Result<CallToolResult, Fail> {
    let mut body = args.take_body().unwrap_or_default();
    if let Some(amount) = body.get("amount").and_then(Value::as_f64) {
        let cashflow = match body.get("cashflowType").and_then(Value::as_str) {
            Some(given) => Some(given.to_owned()),
            None => {
                let current = call.get_json(path.clone()).await?;
                current.get("cashflowType").and_then(Value::as_str).map(str::to_owned)
            }
        };
        if let Some(cashflow) = cashflow {
            body.insert("amount".into(), signed(amount, &cashflow));
        }
    }
    Ok(passthrough(call.main(args, path, ApiBody::Json(body)).await?))
}

fn upload_fail(what: &str, error: UploadError) -> Fail {
    Fail::File(format!("{what}: {error}"))
}

/// One document: exactly one file source, the metadata as form fields, then its link.
async fn upload_one(call: &Call<'_>, args: &mut Args, path: String) -> Result<CallToolResult, Fail> {
    let file = match (args.str("file_url"), args.str("file_content_base64")) {
        (Some(url), None) => call.uploads.fetch(url).await.map_err(|e| upload_fail("file_url", e))?,
        (None, Some(content)) => {
            let Some(name) = args.str("file_name").filter(|n| !n.trim().is_empty()) else {
                return Err(Fail::Arguments("`file_name` is required with `file_content_base64`".into()));
            };
            call.uploads.decode(name, content).map_err(|e| upload_fail("file_content_base64", e))?
        }
        (Some(_), Some(_)) => {
            return Err(Fail::Arguments("give either `file_url` or `file_content_base64`, not both".into()));
        }
        (None, None) => {
            return Err(Fail::Arguments(
                "a file is required: `file_url` (https) or `file_content_base64` with `file_name`".into(),
            ));
        }
    };
    let form = args.form_fields().into_iter().fold(Form::new(), |form, (key, value)| form.text(key, value));
    let form = form.file("file", file.name, file.data);
    let mut attachment = parsed(call.main(args, path, ApiBody::Multipart(form)).await?)?;
    if let Some(id) = attachment_id(&attachment) {
        let link = call.link(format!("api/v1/companies/{}/attachments/{id}/download/", call.company())).await;
        if let (Some(url), Some(map)) = (link, attachment.as_object_mut()) {
            map.insert("downloadUrl".into(), url);
        }
    }
    Ok(json_result(attachment))
}

/// Several receipts as repeated `files` parts. Base64 files are decoded first (cheap
/// failures first), then URLs are fetched a few at a time; any failure stops the upload.
async fn upload_many(call: &Call<'_>, args: &mut Args, path: String) -> Result<CallToolResult, Fail> {
    let mut urls: Vec<(String, String)> = Vec::new();
    for key in ["file_urls", "file_paths"] {
        let Some(Value::Array(list)) = args.get(key) else { continue };
        for (n, url) in list.iter().filter_map(Value::as_str).enumerate() {
            if key == "file_paths" && !url.trim_start().to_ascii_lowercase().starts_with("https://") {
                return Err(Fail::Arguments(format!(
                    "file_paths[{n}] is not an https URL; this server cannot read local files: send them in files_base64"
                )));
            }
            urls.push((format!("{key}[{n}]"), url.to_owned()));
        }
    }
    let encoded = match args.get("files_base64") {
        Some(Value::Array(list)) => list.as_slice(),
        _ => &[],
    };
    let count = urls.len() + encoded.len();
    let max = call.uploads.policy().max_files;
    if count == 0 {
        return Err(Fail::Arguments("give at least one file in `files_base64` or `file_urls`".into()));
    }
    if count > max {
        return Err(upload_fail("files", UploadError::TooManyFiles { max }));
    }
    let max_total = call.uploads.policy().max_total_bytes;
    let mut files = Vec::with_capacity(count);
    for (n, file) in encoded.iter().enumerate() {
        let name = file.get("file_name").and_then(Value::as_str).unwrap_or("upload");
        let content = file.get("content").and_then(Value::as_str).unwrap_or_default();
        let file =
            call.uploads.decode(name, content).map_err(|e| upload_fail(&format!("files_base64[{n}]"), e))?;
        push_within(&mut files, file, max_total)?;
    }
    // Taken as they arrive, so an upload over the total stops with the fetches still running.
    let mut fetched = std::pin::pin!(
        futures_util::stream::iter(urls)
            .map(
                |(what, url)| async move { call.uploads.fetch(&url).await.map_err(|e| upload_fail(&what, e)) }
            )
            .buffered(CONCURRENCY)
    );
    while let Some(file) = fetched.next().await {
        push_within(&mut files, file?, max_total)?;
    }
    let form = args.form_fields().into_iter().fold(Form::new(), |form, (key, value)| form.text(key, value));
    let form = files.into_iter().fold(form, |form, file| form.file("files", file.name, file.data));
    Ok(passthrough(call.main(args, path, ApiBody::Multipart(form)).await?))
}

/// Adds a file to a bulk upload, refused as soon as the files together pass `max_total` bytes.
fn push_within(files: &mut Vec<FileData>, file: FileData, max_total: usize) -> Result<(), Fail> {
    let total = files.iter().map(|f| f.data.len()).sum::<usize>() + file.data.len();
    if total > max_total {
        return Err(upload_fail("files", UploadError::TotalTooLarge { max: max_total }));
    }
    files.push(file);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_signed_by_direction() {
        assert_eq!(signed(12.5, "EXPENSE"), json!(-12.5));
        assert_eq!(signed(-12.5, "EXPENSE"), json!(-12.5));
        assert_eq!(signed(-12.5, "INCOME"), json!(12.5));
        assert_eq!(signed(12.5, "income"), json!(12.5));
    }

    #[test]
    fn dates_are_iso() {
        let date = Date::from_calendar_date(2026, time::Month::March, 5).unwrap();
        assert_eq!(date_value(date), json!("2026-03-05"));
        assert_eq!(date_value(plus_days(date, 30)), json!("2026-04-04"));
    }
}
