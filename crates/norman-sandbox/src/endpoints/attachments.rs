//! `companies/{cid}/attachments/` (receipts, invoices, contracts) and the bulk receipt upload
//! `accounting/transactions/upload-documents/`.
//!
//! Uploads are `multipart/form-data` as the real API takes them (a `file` part, or repeated
//! `files` parts for the bulk upload; metadata as snake_case form fields). Because neither
//! axum's nor reqwest's multipart support is enabled in this crate, the sandbox also accepts
//! JSON with the same snake_case fields plus `file_name` and base64 `content` (a data-URI
//! prefix is stripped); for the bulk upload JSON carries `files: [{file_name, content}]`.

use axum::body::Bytes;
use axum::http::Uri;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64_STD;
use serde_json::{Map, Value, json};

use super::files::presign;
use super::transactions::{CASHFLOW, SALE_TYPES, SUPPLIER_COUNTRIES};
use crate::blobs::{FileBlob, FileStore, token_for};
use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult, created, no_content, ok};
use crate::drf::fields::{Fields, Kind, Spec, parse_date, push_repeated};
use crate::drf::multipart;
use crate::drf::page::paginate;
use crate::drf::request::{Id, Params, RawBody, bool_param};
use crate::store::{
    Collection::{Attachments, Transactions},
    CompanyData, Record, date_str, f64_of, find, find_mut, icontains, new_id, now_rfc3339, obj, position,
    str_of, today,
};
use crate::token::Keys;

pub(crate) const ATTACHMENT_TYPES: &[&str] = &["invoice", "receipt", "contract", "other"];

const fn s(key: &'static str, out: &'static str, kind: Kind) -> Spec {
    Spec { key, out, kind, required: false }
}

/// Form fields (snake_case, as `create_attachment` sends them) → stored camelCase.
const SPECS: &[Spec] = &[
    s("attachment_type", "attachmentType", Kind::Choice(ATTACHMENT_TYPES)),
    s("amount", "amount", Kind::Money),
    s("amount_exchanged", "amountExchanged", Kind::Money),
    s("attachment_number", "attachmentNumber", Kind::Text),
    s("brand_name", "brandName", Kind::Text),
    s("currency", "currency", Kind::Text),
    s("currency_exchanged", "currencyExchanged", Kind::Text),
    s("description", "description", Kind::LongText),
    s("supplier_country", "supplierCountry", Kind::Choice(SUPPLIER_COUNTRIES)),
    s("value_date", "valueDate", Kind::Date),
    s("vat_sum_amount", "vatSumAmount", Kind::Money),
    s("vat_sum_amount_exchanged", "vatSumAmountExchanged", Kind::Money),
    s("vat_rate", "vatRate", Kind::IntChoice(&[0, 7, 19])),
    s("sale_type", "saleType", Kind::Choice(SALE_TYPES)),
    s("additional_metadata", "additionalMetadata", Kind::Any),
    s("transactions", "transactions", Kind::IdList),
];

/// One uploaded file.
pub(crate) struct Upload {
    pub filename: String,
    pub content_type: String,
    pub data: Bytes,
}

/// The file's base name; browsers and some clients send full paths.
fn base_name(name: &str) -> String {
    name.rsplit(['/', '\\']).next().unwrap_or_default().trim().to_owned()
}

pub(crate) fn guess_type(filename: &str) -> &'static str {
    let ext = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "tif" | "tiff" => "image/tiff",
        "xml" => "application/xml",
        "txt" => "text/plain",
        "csv" => "text/csv",
        _ => "application/octet-stream",
    }
}

fn decode_content(raw: &str) -> Option<Vec<u8>> {
    let data = match raw.split_once(";base64,") {
        Some((prefix, data)) if prefix.starts_with("data:") => data,
        _ => raw,
    };
    let cleaned: String = data.chars().filter(|c| !c.is_whitespace()).collect();
    B64_STD.decode(cleaned.trim_end_matches('=')).ok().or_else(|| {
        base64::engine::general_purpose::STANDARD_NO_PAD.decode(cleaned.trim_end_matches('=')).ok()
    })
}

/// A JSON `{file_name, content}` object as an upload.
fn json_upload(map: &Map<String, Value>, fields: &mut Fields<'_>, key: &str) -> Option<Upload> {
    let name = ["file_name", "fileName"]
        .iter()
        .find_map(|k| map.get(*k).and_then(Value::as_str))
        .map(base_name)
        .unwrap_or_default();
    let content = ["content", "file_content_base64"].iter().find_map(|k| map.get(*k).and_then(Value::as_str));
    let Some(content) = content else {
        fields.error(key, "No file was submitted.");
        return None;
    };
    let Some(data) = decode_content(content) else {
        fields.error(key, "The submitted data was not valid base64.");
        return None;
    };
    if name.is_empty() {
        fields.error(key, "No filename could be determined.");
        return None;
    }
    Some(Upload { content_type: guess_type(&name).into(), filename: name, data: Bytes::from(data) })
}

/// Form fields and files (part name, upload) of one request.
type FormAndFiles = (Map<String, Value>, Vec<(String, Upload)>);

/// Splits a request into its form fields and its files.
fn read_request(body: &RawBody) -> Result<FormAndFiles, ApiError> {
    let mime = body.content_type.as_deref().unwrap_or_default().to_ascii_lowercase();
    if !mime.starts_with("multipart/form-data") {
        return Ok((body.object()?, Vec::new()));
    }
    let parts = multipart::parse(body.content_type.as_deref().unwrap_or_default(), &body.bytes)?;
    let mut map = Map::new();
    let mut files = Vec::new();
    for part in parts {
        match part.filename {
            Some(filename) => {
                let filename = base_name(&filename);
                let content_type = part
                    .content_type
                    .filter(|t| !t.is_empty() && t != "application/octet-stream")
                    .unwrap_or_else(|| guess_type(&filename).to_owned());
                files.push((
                    part.name,
                    Upload { filename, content_type, data: body.bytes.slice_ref(part.data) },
                ));
            }
            None => {
                let text = String::from_utf8_lossy(part.data).into_owned();
                push_repeated(&mut map, &part.name, Value::String(text));
            }
        }
    }
    Ok((map, files))
}

fn check_upload(upload: &Upload, fields: &mut Fields<'_>, key: &str) -> bool {
    if upload.filename.is_empty() {
        fields.error(key, "No filename could be determined.");
        false
    } else if upload.data.is_empty() {
        fields.error(key, "The submitted file is empty.");
        false
    } else {
        true
    }
}

/// Keeps each transaction's `attachments` list and `hasAttachment` flag in step.
fn link(data: &mut CompanyData, attachment_id: &str, tx_id: &str) {
    if let Some(i) = position(&data[Transactions], tx_id) {
        let tx = &mut data[Transactions][i];
        let list = tx.entry("attachments").or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = list
            && !list.iter().any(|v| v.as_str() == Some(attachment_id))
        {
            list.push(Value::String(attachment_id.to_owned()));
        }
        tx.insert("hasAttachment".into(), Value::Bool(true));
    }
}

fn unlink(data: &mut CompanyData, attachment_id: &str) {
    for tx in &mut data[Transactions] {
        if let Some(Value::Array(list)) = tx.get_mut("attachments") {
            list.retain(|v| v.as_str() != Some(attachment_id));
            let has = !list.is_empty();
            tx.insert("hasAttachment".into(), Value::Bool(has));
        }
    }
}

/// The stored record of a new attachment; the file is registered for download.
pub(crate) fn new_record(ctx_company: &str, id: &str, upload: &Upload, attachment_type: &str) -> Record {
    let now = now_rfc3339();
    obj(json!({
        "publicId": id,
        "company": ctx_company,
        "file": format!("attachments/{ctx_company}/{id}/{}", upload.filename),
        "fileName": upload.filename,
        "fileSize": upload.data.len(),
        "contentType": upload.content_type,
        "attachmentType": attachment_type,
        "amount": null,
        "amountExchanged": null,
        "currency": "EUR",
        "currencyExchanged": "EUR",
        "attachmentNumber": "",
        "brandName": "",
        "description": "",
        "supplierCountry": null,
        "valueDate": null,
        "vatSumAmount": null,
        "vatSumAmountExchanged": null,
        "vatRate": null,
        "saleType": "",
        "additionalMetadata": null,
        "transactions": [],
        "linked": false,
        "createdAt": now,
        "updatedAt": now,
    }))
}

/// The seed rule. `transactionIndex` names the transaction the document belongs to by its
/// position in the company file; the file is the sample PDF (or PNG, for `.png` names),
/// uploaded at noon on its `valueDate`.
pub(crate) fn seed(data: &mut CompanyData, mut record: Record) -> Result<Record, String> {
    let tx_index = record.remove("transactionIndex").map(|v| v.as_u64());
    let id = str_of(&record, "publicId").to_owned();
    let company_id = str_of(&record, "company").to_owned();
    let file_name = str_of(&record, "fileName").to_owned();
    if file_name.is_empty() {
        return Err("fileName is missing".into());
    }
    let date = str_of(&record, "valueDate").to_owned();
    if parse_date(&date).is_none() {
        return Err(format!("valueDate \"{date}\" is not YYYY-MM-DD"));
    }
    let amount = f64_of(&record, "amount");
    let rate = record.get("vatRate").and_then(Value::as_i64).ok_or("vatRate is not a whole number")? as f64;
    let vat_sum = (amount * rate / (100.0 + rate) * 100.0).round() / 100.0;
    let linked: Vec<String> = match tx_index {
        None => Vec::new(),
        Some(index) => {
            let tx = index
                .and_then(|i| data[Transactions].get(usize::try_from(i).ok()?))
                .ok_or("transactionIndex is not the position of a transaction")?;
            let tx_id = str_of(tx, "publicId").to_owned();
            link(data, &id, &tx_id);
            vec![tx_id]
        }
    };
    let blob = FileBlob::sample(file_name.clone());
    let stamp = format!("{date}T12:00:00Z");
    record.extend(obj(json!({
        "file": format!("attachments/{company_id}/{id}/{file_name}"),
        "fileSize": blob.data.len(),
        "contentType": blob.content_type,
        "amountExchanged": amount,
        "currency": "EUR",
        "currencyExchanged": "EUR",
        "vatSumAmount": vat_sum,
        "vatSumAmountExchanged": vat_sum,
        "saleType": "",
        "additionalMetadata": null,
        "linked": !linked.is_empty(),
        "transactions": linked,
        "createdAt": stamp,
        "updatedAt": stamp,
    })));
    Ok(record)
}

/// Makes the seeded documents of a company downloadable under this sandbox's signing key.
pub(crate) fn store_seeded_files(files: &FileStore, keys: &Keys, company_id: &str, data: &CompanyData) {
    for attachment in &data[Attachments] {
        let token = token_for(keys, company_id, "attachment", str_of(attachment, "publicId"));
        files.put(token, FileBlob::sample(str_of(attachment, "fileName").to_owned()));
    }
}

/// `GET`: newest first; filters `file_name`, `linked`, `has_type`, `description`, `brand_name`.
pub(crate) async fn list(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let linked = bool_param(&params, "linked")?;
    let name = params.get("file_name").filter(|s| !s.is_empty());
    let kind = params.get("has_type").filter(|s| !s.is_empty());
    let description = params.get("description").filter(|s| !s.is_empty());
    let brand = params.get("brand_name").filter(|s| !s.is_empty());
    let data = ctx.company().read();
    let items = data[Attachments]
        .iter()
        .rev()
        .filter(|a| name.is_none_or(|n| icontains(str_of(a, "fileName"), n)))
        .filter(|a| linked.is_none_or(|l| a.get("linked") == Some(&Value::Bool(l))))
        .filter(|a| kind.is_none_or(|k| str_of(a, "attachmentType").eq_ignore_ascii_case(k)))
        .filter(|a| description.is_none_or(|d| icontains(str_of(a, "description"), d)))
        .filter(|a| brand.is_none_or(|b| icontains(str_of(a, "brandName"), b)))
        .collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}

pub(crate) async fn detail(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(find(&data[Attachments], &id)?))
}

/// `POST`: one file (`file` part) with bookkeeping metadata.
pub(crate) async fn create(ctx: Ctx, body: RawBody) -> ApiResult {
    let (map, files) = read_request(&body)?;
    let mut fields = Fields::new(&map);
    let mut meta = Map::new();
    fields.apply(SPECS, &mut meta, false);
    let upload = match files.into_iter().find(|(name, _)| name == "file") {
        Some((_, upload)) => check_upload(&upload, &mut fields, "file").then_some(upload),
        None if map.contains_key("content") || map.contains_key("file_content_base64") => {
            json_upload(&map, &mut fields, "file")
        }
        None => {
            fields.error("file", "No file was submitted.");
            None
        }
    };
    let tx_ids: Vec<String> = match meta.get("transactions") {
        Some(Value::Array(list)) => {
            list.iter().filter_map(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned).collect()
        }
        _ => Vec::new(),
    };
    let mut data = ctx.company().write();
    for tx in &tx_ids {
        if position(&data[Transactions], tx).is_none() {
            fields.error("transactions", format!("Invalid pk \"{tx}\" - object does not exist."));
        }
    }
    fields.finish()?;
    let Some(upload) = upload else {
        return Err(ApiError::field("file", "No file was submitted."));
    };
    let id = new_id(Attachments.id_prefix());
    let attachment_type = meta.get("attachmentType").and_then(Value::as_str).unwrap_or("other").to_owned();
    let mut record = new_record(ctx.company_id(), &id, &upload, &attachment_type);
    meta.remove("transactions");
    record.extend(meta);
    record.insert("linked".into(), Value::Bool(!tx_ids.is_empty()));
    record.insert("transactions".into(), Value::Array(tx_ids.iter().cloned().map(Value::String).collect()));
    for tx in &tx_ids {
        link(&mut data, &id, tx);
    }
    let response = created(&record);
    data[Attachments].push(record);
    drop(data);
    register(&ctx, &id, upload);
    Ok(response)
}

fn register(ctx: &Ctx, id: &str, upload: Upload) {
    let token = token_for(&ctx.sb.sessions.keys, ctx.company_id(), "attachment", id);
    ctx.sb.files.put(
        token,
        FileBlob { content_type: upload.content_type, filename: upload.filename, data: upload.data },
    );
}

/// `GET …/download/`: a presigned link to the stored file.
pub(crate) async fn download(ctx: Ctx, Id(id): Id) -> ApiResult {
    let (name, content_type) = {
        let data = ctx.company().read();
        let a = find(&data[Attachments], &id)?;
        (str_of(a, "fileName").to_owned(), str_of(a, "contentType").to_owned())
    };
    let blob_name = name.clone();
    let url = presign(&ctx, "attachment", &id, move || FileBlob::pdf(blob_name));
    Ok(ok(&json!({
        "url": url,
        "fileName": name,
        "contentType": content_type,
        "expiresIn": 3600,
        "attachmentId": id,
        "companyId": ctx.company_id(),
    })))
}

/// `DELETE`: documents of booked (verified) transactions are under the ten-year German
/// retention duty and need `?confirmed=true`; otherwise 409 with `requiresConfirmation`.
pub(crate) async fn delete(ctx: Ctx, Id(id): Id, params: Params) -> ApiResult {
    let confirmed = bool_param(&params, "confirmed")?.unwrap_or(false);
    let mut data = ctx.company().write();
    let index = position(&data[Attachments], &id).ok_or(ApiError::NotFound)?;
    let attachment = &data[Attachments][index];
    let booked_year = match attachment.get("transactions") {
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|tx| find(&data[Transactions], tx).ok())
            .filter(|tx| str_of(tx, "status") == "VERIFIED")
            .filter_map(|tx| parse_date(str_of(tx, "valueDate")))
            .map(|d| d.year())
            .max(),
        _ => None,
    };
    if let Some(year) = booked_year
        && !confirmed
    {
        let until = format!("{}-12-31", year + 10);
        return Err(ApiError::Body(
            axum::http::StatusCode::CONFLICT,
            json!({
                "detail": "This document belongs to a booked transaction and is under the statutory retention period. Repeat with confirmed=true to delete it anyway.",
                "requiresConfirmation": true,
                "retentionUntil": until,
            }),
        ));
    }
    data[Attachments].remove(index);
    unlink(&mut data, &id);
    Ok(no_content())
}

/// `POST …/link-transaction/` `{transaction}`.
pub(crate) async fn link_transaction(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let tx = fields.get("transaction", Kind::NonBlank, true);
    let mut data = ctx.company().write();
    find(&data[Attachments], &id)?;
    fields.finish()?;
    let Some(Value::String(tx)) = tx else {
        return Err(ApiError::field("transaction", "This field is required."));
    };
    if position(&data[Transactions], &tx).is_none() {
        return Err(ApiError::field("transaction", format!("Invalid pk \"{tx}\" - object does not exist.")));
    }
    link(&mut data, &id, &tx);
    let attachment = find_mut(&mut data[Attachments], &id)?;
    let list = attachment.entry("transactions").or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = list
        && !list.iter().any(|v| v.as_str() == Some(tx.as_str()))
    {
        list.push(Value::String(tx.clone()));
    }
    attachment.insert("linked".into(), Value::Bool(true));
    attachment.insert("updatedAt".into(), Value::String(now_rfc3339()));
    Ok(ok(attachment))
}

/// `POST accounting/transactions/upload-documents/`: repeated `files` parts (and an optional
/// `cashflow_type`); each file becomes an unlinked attachment waiting to be matched.
pub(crate) async fn upload_documents(ctx: Ctx, body: RawBody) -> ApiResult {
    let (map, files) = read_request(&body)?;
    let mut fields = Fields::new(&map);
    let cashflow = fields.get("cashflow_type", Kind::Choice(CASHFLOW), false);
    let mut uploads = Vec::new();
    for (name, upload) in files {
        if (name == "files" || name == "file") && check_upload(&upload, &mut fields, "files") {
            uploads.push(upload);
        }
    }
    if let Some(Value::Array(list)) = map.get("files") {
        for item in list {
            match item {
                Value::Object(obj) => {
                    if let Some(upload) = json_upload(obj, &mut fields, "files") {
                        uploads.push(upload);
                    }
                }
                _ => fields.error("files", "Expected objects with file_name and content."),
            }
        }
    }
    if uploads.is_empty() && !fields.has_error("files") {
        fields.error("files", "No file was submitted.");
    }
    fields.finish()?;
    let kind = match cashflow.as_ref().and_then(Value::as_str) {
        Some("INCOME") => "invoice",
        _ => "receipt",
    };
    let mut records = Vec::with_capacity(uploads.len());
    let mut ids = Vec::with_capacity(uploads.len());
    for upload in &uploads {
        let id = new_id(Attachments.id_prefix());
        let mut record = new_record(ctx.company_id(), &id, upload, kind);
        record.insert("valueDate".into(), Value::Null);
        record.insert("description".into(), Value::String(format!("Uploaded {}", date_str(today()))));
        records.push(record);
        ids.push(id);
    }
    let response = created(&json!({
        "detail": format!("{} document(s) uploaded; matching runs in the background.", records.len()),
        "count": records.len(),
        "matched": 0,
        "cashflowType": cashflow,
        "companyId": ctx.company_id(),
        "results": records,
    }));
    ctx.company().write()[Attachments].extend(records);
    for (id, upload) in ids.iter().zip(uploads) {
        register(&ctx, id, upload);
    }
    Ok(response)
}
