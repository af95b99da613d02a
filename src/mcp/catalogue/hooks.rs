//! Running a call: the plain path (one Norman request, its JSON back) and the named hooks for
//! the tools that need a little more. Each hook is small and says why it exists; the document
//! and tax-advisor hooks, which take a few calls each, have a file of their own.

mod advisor;
mod companies;
mod documents;
mod links;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use futures_util::StreamExt as _;
use http::Method;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Map, Value, json};
use time::{Date, Duration, OffsetDateTime};

use self::documents::{attachment_preview, delete_document};
use super::Caller;
use super::args::{Args, is_id, parse_date, truthy};
use super::companies::CompanyLists;
use super::reply::{Fail, json_result, norman_error, passthrough, with_structure};
use super::spec::{ChoiceField, Hook, Spec};
use crate::mcp::upload::{FileData, UploadError, Uploads};
use crate::mcp::upload_link::UploadLinks;
use crate::norman::NormanClient;
use crate::norman::api::{ApiBody, ApiRequest, ApiResponse};
use crate::norman::multipart::Form;

/// How many follow-up requests (download links, URL fetches) run at once for one call.
pub(super) const CONCURRENCY: usize = 4;
/// The most Norman calls a tool makes one after another: `create_invoice` asks for the next
/// number, creates the invoice, then its PDF link. Link lookups for a whole list share one
/// call's deadline (`add_attachment_links`), so they count once; client pings start within one
/// deadline, so they count twice at most, and the advisor summaries ask all at once.
pub(super) const NORMAN_CALLS_IN_SEQUENCE: u32 = 3;
/// Days from issue to due date, and the default length of a service period.
const PAYMENT_DAYS: i64 = 30;
/// How a founding draft's `source` names its origin: the value the earlier server sent, which
/// Norman already knows.
const DRAFT_SOURCE: &str = "norman_agent";
/// Where a person files the corporate tax questionnaire: Norman's web app, which the earlier
/// server linked on `app.` for the production API and on `dev.` for any other.
const PRODUCTION_API_HOST: &str = "api.norman.finance";
const WEB_APP_SUBMISSION: &str = "https://app.norman.finance/corporate-tax-registration";
const DEV_APP_SUBMISSION: &str = "https://dev.norman.finance/corporate-tax-registration";

/// One call in progress: who calls, through which clients, which tool.
pub(super) struct Call<'a> {
    pub norman: &'a NormanClient,
    pub caller: &'a Caller<'a>,
    pub uploads: &'a Uploads,
    /// Where upload links are sealed; `None` over stdio.
    pub upload_links: Option<&'a UploadLinks>,
    pub spec: &'static Spec,
    /// The companies the caller may act on, as `list_companies` and `switch_company` show them.
    pub companies: &'a CompanyLists,
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
        self.get_json_with(path, Vec::new()).await
    }

    /// `GET path?companyId=…&extra…` parsed as JSON.
    async fn get_json_with(&self, path: String, extra: Vec<(&'static str, String)>) -> Result<Value, Fail> {
        let mut query = vec![("companyId", self.company().to_owned())];
        query.extend(extra);
        let response = self.send(Method::GET, path, query, ApiBody::Empty).await?;
        parsed(response)
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
        Hook::Invoice { recurring } => {
            let kind = if recurring { Document::Recurring } else { Document::Invoice };
            create_invoice(&call, &mut args, path, kind).await
        }
        Hook::Offer => create_invoice(&call, &mut args, path, Document::Quote).await,
        Hook::FixedQuery(key, value) => {
            let mut query = args.query(call.company());
            query.push((key, value.to_owned()));
            let body = args.take_body().map_or(ApiBody::Empty, ApiBody::Json);
            Ok(passthrough(call.send(call.spec.verb.method(), path, query, body).await?))
        }
        Hook::FixedBody(key, value) => {
            let mut body = args.take_body().unwrap_or_default();
            body.insert(key.to_owned(), json!(value));
            Ok(passthrough(call.main(&mut args, path, ApiBody::Json(body)).await?))
        }
        Hook::InvoicePreview => {
            let preview = parsed(call.main_json(&mut args, path).await?)?;
            let id = args.str("invoice_id").map(|id| ("invoiceId", id));
            image_and_fields(preview, "image/jpeg", id)
        }
        Hook::Verification => {
            // The argument picks the endpoint; neither takes a body.
            let action = if args.get("verify") == Some(&Value::Bool(true)) { "verify" } else { "unverify" };
            Ok(passthrough(call.main(&mut args, format!("{path}{action}/"), ApiBody::Empty).await?))
        }
        Hook::DeleteDocument => delete_document(&call, &mut args, path).await,
        Hook::AttachmentPreview => attachment_preview(&call, &mut args, path).await,
        Hook::SmeOnly => sme_only(&call, &mut args, path).await,
        Hook::ListCompanies => companies::list(&call).await,
        Hook::SwitchCompany => companies::switch(&call, &args, path).await,
        Hook::AdvisorClients => advisor::clients(&call, &mut args, path).await,
        Hook::ClientOverview => advisor::overview(&call, &args).await,
        Hook::MissingDocuments => advisor::missing_documents(&call, &mut args, path).await,
        Hook::ComplianceStatus => advisor::compliance(&call, &args).await,
        Hook::PingClient => advisor::ping(&call, &args, path).await,
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
        Hook::UploadLink => links::request_upload(&call, &args).await,
        Hook::Mine { what, start } => match call.main_json(&mut args, path).await {
            Err(Fail::Norman { status: 404, .. }) => Ok(json_result(json!({
                "exists": false,
                "message": format!("You have no {what} yet; {start} starts one."),
            }))),
            answer => answer.map(passthrough),
        },
        Hook::StartDraft => {
            let mut body = args.take_body().unwrap_or_default();
            body.insert("source".into(), json!(DRAFT_SOURCE));
            Ok(passthrough(call.main(&mut args, path, ApiBody::Json(body)).await?))
        }
        Hook::WrapList(key) => match parsed(call.main_json(&mut args, path).await?)? {
            list @ Value::Array(_) => Ok(json_result(json!({ key: list }))),
            other => Ok(json_result(other)),
        },
        Hook::GenerateDocuments => {
            let mut answer = parsed(call.main(&mut args, path, ApiBody::Json(Map::new())).await?)?;
            let documents = answer.get_mut("documents").and_then(Value::as_array_mut);
            for document in documents.into_iter().flatten().filter_map(Value::as_object_mut) {
                document.remove("previewImage");
                document.remove("previewMimeType");
            }
            Ok(json_result(answer))
        }
        Hook::DocumentPreview { generate } => document_preview(&call, &mut args, path, generate).await,
        Hook::Choices(fields) => Ok(json_result(choices(fields))),
        Hook::SubmissionLink => submission_link(&call, &mut args, path).await,
    }
}

fn parsed(response: ApiResponse) -> Result<Value, Fail> {
    response.json().ok_or(Fail::Unexpected("the answer was not JSON"))
}

/// A refusal decided here rather than by Norman, as a tool error like every other: the JSON
/// says why (`error`) and may carry what Norman answered.
fn refused_json(body: Value) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(body.to_string())])
}

/// Company categories and the SKR tables belong to an SME company's own chart of accounts.
/// Asking the company first (as the earlier server did) lets the refusal say why.
async fn sme_only(call: &Call<'_>, args: &mut Args, path: String) -> Result<CallToolResult, Fail> {
    let company = call.get_json(format!("api/v1/companies/{}/", call.company())).await?;
    if !company.get("isSme").is_some_and(truthy) {
        return Ok(refused_json(json!({
            "error": "Own categories and SKR accounts are kept for SME companies only, and this company is not one (isSme is false). Its transactions use Norman's standard categories: see categorize_transaction.",
        })));
    }
    let response = call.main_json(args, path).await?;
    if response.json().is_some_and(|found| found.as_array().is_some_and(Vec::is_empty)) {
        return Ok(json_result(json!({ "message": "No account matches.", "results": [] })));
    }
    Ok(passthrough(response))
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

/// What `create_invoice` makes: quotes share the invoices' endpoint with their own numbers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Document {
    Invoice,
    Recurring,
    Quote,
}

impl Document {
    fn number_param(self) -> &'static str {
        if self == Document::Quote { "offer_number" } else { "invoice_number" }
    }

    /// The date Norman keeps as `dueTo`: payment due, or how long a quote stands.
    fn due_param(self) -> &'static str {
        if self == Document::Quote { "valid_until" } else { "due_to" }
    }

    fn wire_type(self) -> &'static str {
        if self == Document::Quote { "quote" } else { "invoice" }
    }
}

/// Defaults the earlier server applied (dates, next number, reminder settings), then the POST
/// and the PDF link.
async fn create_invoice(
    call: &Call<'_>,
    args: &mut Args,
    path: String,
    kind: Document,
) -> Result<CallToolResult, Fail> {
    let recurring = kind == Document::Recurring;
    let start = args.str("starts_from_date").and_then(parse_date);
    let issued = args.str("issued").and_then(parse_date).or(start).unwrap_or_else(today);
    let base = start.unwrap_or(issued);
    args.set("issued", date_value(issued));
    if args.get(kind.due_param()).is_none() {
        args.set(kind.due_param(), date_value(plus_days(issued, PAYMENT_DAYS)));
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
    if kind != Document::Quote && args.get("settings_on_overdue").is_none() {
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
    let number_param = kind.number_param();
    if args.str(number_param).is_none_or(|n| n.trim().is_empty()) {
        let path = format!("api/v1/companies/{}/invoices/next-invoice-number/", call.company());
        let extra = if kind == Document::Quote { vec![("type", "quote".to_owned())] } else { Vec::new() };
        let next = call.get_json_with(path, extra).await?;
        let number = next.get("nextInvoiceNumber").or_else(|| next.get("next_invoice_number")).cloned();
        match number.filter(truthy) {
            Some(number) => args.set(number_param, number),
            None => {
                args.take(number_param);
            }
        }
    }
    let mut body = args.take_body().unwrap_or_default();
    body.insert("type".into(), json!(kind.wire_type()));
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

/// The tax report preview: it is only of use with its PDF link (`downloadUrl`).
async fn preview_image(call: &Call<'_>, args: &mut Args, path: String) -> Result<CallToolResult, Fail> {
    let preview = parsed(call.main_json(args, path).await?)?;
    if !preview.get("downloadUrl").is_some_and(truthy) {
        return Err(Fail::Unexpected("the preview had no downloadUrl"));
    }
    image_and_fields(preview, "image/png", args.str("report_id").map(|id| ("reportId", id)))
}

/// A preview answer (`previewImage` in base64, `mimeType`) as an image the client can show,
/// plus the remaining fields and the id it is of as JSON text.
fn image_and_fields(
    mut preview: Value,
    default_mime: &str,
    id: Option<(&str, &str)>,
) -> Result<CallToolResult, Fail> {
    let Some(fields) = preview.as_object_mut() else {
        return Err(Fail::Unexpected("the preview was not a JSON object"));
    };
    let image = fields.remove("previewImage").and_then(|v| v.as_str().map(str::to_owned));
    let mime = fields.remove("mimeType").and_then(|v| v.as_str().map(str::to_owned));
    let mut content = Vec::with_capacity(2);
    // Only pass on what really is base64, so the client never gets a broken image.
    if let Some(image) = image.filter(|data| B64.decode(data).is_ok()) {
        content.push(ContentBlock::image(image, mime.unwrap_or_else(|| default_mime.to_owned())));
    }
    if let Some((key, id)) = id {
        fields.insert(key.into(), json!(id));
    }
    content.push(ContentBlock::text(preview.to_string()));
    Ok(with_structure(CallToolResult::success(content), preview))
}

/// A generated founding document's first page as an image, with its other fields (title,
/// `downloadUrl`) as JSON text.
async fn document_preview(
    call: &Call<'_>,
    args: &mut Args,
    path: String,
    generate: &str,
) -> Result<CallToolResult, Fail> {
    let answer = parsed(call.main_json(args, path).await?)?;
    let wanted = args.str("document_type");
    let documents = answer.get("documents").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let found = documents
        .iter()
        .filter_map(Value::as_object)
        .find(|d| wanted.is_none_or(|w| d.get("type").and_then(Value::as_str) == Some(w)));
    let Some(document) = found else {
        let which = wanted.map_or_else(|| "document".to_owned(), |w| format!("{w} document"));
        return Err(Fail::Arguments(format!(
            "There is no generated {which}; {generate} generates the documents from the data entered."
        )));
    };
    let mut fields = document.clone();
    let image = fields.remove("previewImage").and_then(|v| v.as_str().map(str::to_owned));
    let mime = fields.remove("previewMimeType").and_then(|v| v.as_str().map(str::to_owned));
    if let Some(stale) = answer.get("documentsStale") {
        fields.insert("documentsStale".into(), stale.clone());
    }
    let mut content = Vec::with_capacity(2);
    // Only pass on what really is base64, so the client never gets a broken image.
    if let Some(image) = image.filter(|data| B64.decode(data).is_ok()) {
        content.push(ContentBlock::image(image, mime.unwrap_or_else(|| "image/jpeg".to_owned())));
    }
    let fields = Value::Object(fields);
    content.push(ContentBlock::text(fields.to_string()));
    Ok(with_structure(CallToolResult::success(content), fields))
}

/// `{field: [{value, label}]}` for each field of a choices table.
fn choices(fields: &[ChoiceField]) -> Value {
    let mut answer = Map::new();
    for field in fields {
        let list: Vec<Value> = field
            .values
            .iter()
            .zip(field.labels)
            .map(|(value, label)| json!({ "value": value, "label": label }))
            .collect();
        answer.insert(field.field.to_owned(), Value::Array(list));
    }
    Value::Object(answer)
}

/// The web-app link for filing the questionnaire, whether it is ready (no section misses
/// anything), what is still missing, and its status.
async fn submission_link(call: &Call<'_>, args: &mut Args, path: String) -> Result<CallToolResult, Fail> {
    let record = parsed(call.main_json(args, path).await?)?;
    let mut missing = Vec::new();
    let sections = record.get("sections").and_then(Value::as_object);
    for (name, section) in sections.into_iter().flatten() {
        for field in section.get("missing").and_then(Value::as_array).into_iter().flatten() {
            if let Some(field) = field.as_str() {
                missing.push(json!(format!("{name}.{field}")));
            }
        }
    }
    let status = record.get("status").cloned().unwrap_or(Value::Null);
    let ready = sections.is_some_and(|s| !s.is_empty()) && missing.is_empty();
    let note = if status == "submitted" {
        "The questionnaire has been filed; reportUrl holds the transmission protocol."
    } else if ready {
        "Everything is filled in: the person files the questionnaire with ELSTER in Norman's web app at this link, after checking it there."
    } else {
        "Fill in what is missing first; the web app files only a complete questionnaire."
    };
    Ok(json_result(json!({
        "url": submission_url(call.norman.base()),
        "readyToSubmit": ready && status != "submitted",
        "missing": missing,
        "status": status,
        "reportUrl": record.get("reportUrl").cloned().unwrap_or(Value::Null),
        "note": note,
    })))
}

/// The web app of the Norman API in use: production's for the production API, else dev's.
fn submission_url(norman_base: &url::Url) -> &'static str {
    if norman_base.host_str() == Some(PRODUCTION_API_HOST) { WEB_APP_SUBMISSION } else { DEV_APP_SUBMISSION }
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
    if let Some(reference) = args.str("file_ref").filter(|r| !r.trim().is_empty()) {
        let reference = reference.trim().to_owned();
        return links::use_stored(call, args, &reference).await;
    }
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
                "a file is required: `file_url` (https), `file_content_base64` with `file_name`, or `file_ref` (a document uploaded through a request_file_upload link)".into(),
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
    let references: Vec<String> = match args.get("file_refs") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
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
    if count == 0 && references.is_empty() {
        return Err(Fail::Arguments(
            "give at least one file in `files_base64`, `file_urls` or `file_refs`".into(),
        ));
    }
    if count > max || references.len() > max {
        return Err(upload_fail("files", UploadError::TooManyFiles { max }));
    }
    // Checked before anything is uploaded, so a wrong reference costs no upload.
    let stored = links::check_stored(call, &references).await?;
    if count == 0 {
        return Ok(json_result(json!({
            "alreadyStored": stored,
            "count": stored.len(),
            "message": "These documents were stored through the upload link already and Norman matches them; nothing was uploaded again.",
        })));
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
    let response = call.main(args, path, ApiBody::Multipart(form)).await?;
    if stored.is_empty() {
        return Ok(passthrough(response));
    }
    Ok(json_result(json!({ "uploaded": parsed(response)?, "alreadyStored": stored })))
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
    fn the_submission_link_follows_the_norman_api_in_use() {
        let url = |base: &str| submission_url(&url::Url::parse(base).unwrap());
        assert_eq!(
            url(crate::norman::PRODUCTION_URL),
            "https://app.norman.finance/corporate-tax-registration"
        );
        assert_eq!(url(crate::norman::SANDBOX_URL), "https://dev.norman.finance/corporate-tax-registration");
        assert_eq!(url("http://127.0.0.1:8080/"), "https://dev.norman.finance/corporate-tax-registration");
    }

    #[test]
    fn dates_are_iso() {
        let date = Date::from_calendar_date(2026, time::Month::March, 5).unwrap();
        assert_eq!(date_value(date), json!("2026-03-05"));
        assert_eq!(date_value(plus_days(date, 30)), json!("2026-04-04"));
    }
}
