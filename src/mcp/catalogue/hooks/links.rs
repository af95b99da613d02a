//! Upload links and what their pages report (docs/architecture.md, "Uploading receipts through
//! a link"): `request_file_upload` seals a link instead of calling Norman, and the documents the
//! page stored are named by their Norman ids, which `create_attachment` (`file_ref`) and
//! `upload_bulk_attachments` (`file_refs`) take. Nothing is stored on our side, so a file
//! reference is the stored document itself: it is used, never uploaded again.

use http::Method;
use rmcp::model::CallToolResult;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Call, parsed};
use crate::mcp::catalogue::args::{Args, is_id};
use crate::mcp::catalogue::reply::{Fail, json_result};
use crate::norman::api::ApiBody;
use crate::tokens::upload_link::{GrantRef, MAX_NOTE_CHARS, UPLOAD_LINK_LIFETIME, UploadTarget};

/// What the model is told to do with a link.
const INSTRUCTIONS: &str = "Give upload_url to the user exactly as it is and ask them to upload their files there; it works for 15 minutes. Wait until they say they are done. The page shows each stored file's Norman id: use list_attachments to see the documents, create_attachment with file_ref to link one to transactions, or upload_bulk_attachments with file_refs. Never upload those files again.";

/// `create_attachment`'s data a stored document cannot take: Norman has no call that changes a
/// stored document, only one that links it to a transaction.
const DOCUMENT_DATA: &[&str] = &[
    "amount",
    "amount_exchanged",
    "attachment_number",
    "brand_name",
    "description",
    "supplier_country",
    "value_date",
    "vat_sum_amount",
    "vat_sum_amount_exchanged",
    "vat_rate",
    "sale_type",
    "additional_metadata",
];

/// `request_file_upload`: a link for the caller's Norman session and company. A transaction
/// to link to is checked first, since the person on the page could not correct a wrong one.
pub(super) async fn request_upload(call: &Call<'_>, args: &Args) -> Result<CallToolResult, Fail> {
    let Some(links) = call.upload_links else {
        return Err(Fail::Arguments(
            "upload links need this server's web pages, which norman-mcp stdio does not serve: send the files as base64 (files_base64 or file_content_base64) instead".into(),
        ));
    };
    let document_type = args.str("document_type").unwrap_or("receipt");
    let target = match args.str("transaction_id").filter(|id| !id.is_empty()) {
        Some(transaction_id) => {
            let path =
                format!("api/v1/companies/{}/accounting/transactions/{transaction_id}/", call.company());
            match call.get_json(path).await {
                Ok(_) => {}
                Err(Fail::Norman { status: 404, .. }) => {
                    return Err(Fail::Arguments(format!(
                        "there is no transaction {transaction_id} in this company; find its id with search_transactions, or leave transaction_id out for automatic matching"
                    )));
                }
                Err(fail) => return Err(fail),
            }
            let attachment_type = if document_type == "receipt" { "receipt" } else { "invoice" };
            UploadTarget::Transaction {
                transaction_id: transaction_id.to_owned(),
                attachment_type: attachment_type.to_owned(),
            }
        }
        None => {
            let cashflow_type = if document_type == "invoice" { "INCOME" } else { "EXPENSE" };
            UploadTarget::Matching { cashflow_type: cashflow_type.to_owned() }
        }
    };
    let note = args
        .str("description")
        .map(str::trim)
        .filter(|note| !note.is_empty())
        .map(|note| note.chars().filter(|c| !c.is_control()).take(MAX_NOTE_CHARS).collect());
    let now = OffsetDateTime::now_utc();
    let link = links
        .issue(
            call.caller.norman_access,
            call.caller.grant.map(GrantRef::of),
            call.company(),
            target,
            note,
            now,
        )
        .map_err(|_| Fail::Unexpected("the upload link could not be sealed"))?;
    let limits = links.limits();
    Ok(json_result(json!({
        "upload_url": link.url,
        "expires_in_seconds": UPLOAD_LINK_LIFETIME.whole_seconds(),
        "expires_at": link.expires_at.format(&Rfc3339).unwrap_or_default(),
        "max_files": limits.max_files,
        "max_file_bytes": limits.max_file_bytes,
        "accepted_types": ["PDF", "PNG", "JPEG", "HEIC"],
        "instructions": INSTRUCTIONS,
    })))
}

/// The stored document a reference names, or an argument error saying so.
async fn stored(call: &Call<'_>, what: &str, reference: &str) -> Result<Value, Fail> {
    if !is_id(reference) {
        return Err(Fail::Arguments(format!(
            "{what} \"{}\" is not a Norman document id; give the id the upload page showed (list_attachments shows it too)",
            reference.chars().take(60).collect::<String>()
        )));
    }
    let path = format!("api/v1/companies/{}/attachments/{reference}/", call.company());
    match call.get_json(path).await {
        Err(Fail::Norman { status: 404, .. }) => Err(Fail::Arguments(format!(
            "{what}: there is no document {reference} in this company; list_attachments shows the stored documents"
        ))),
        other => other,
    }
}

/// `create_attachment` with `file_ref`: the stored document, linked to `transactions`.
pub(super) async fn use_stored(
    call: &Call<'_>,
    args: &Args,
    reference: &str,
) -> Result<CallToolResult, Fail> {
    if args.str("file_url").is_some() || args.str("file_content_base64").is_some() {
        return Err(Fail::Arguments(
            "give one file: `file_ref` (a document already stored), or `file_url`, or `file_content_base64`"
                .into(),
        ));
    }
    let refused: Vec<&str> =
        DOCUMENT_DATA.iter().copied().filter(|name| args.get(name).is_some_and(given)).collect();
    if !refused.is_empty() {
        return Err(Fail::Arguments(format!(
            "`file_ref` names a document the user already stored in Norman, whose data cannot be changed afterwards: leave out {} (only `transactions` applies), or upload the file again with its data as file_content_base64 or file_url",
            refused.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
        )));
    }
    let mut document = stored(call, "file_ref", reference).await?;
    if let Some(kind) = args.str("attachment_type")
        && document
            .get("attachmentType")
            .and_then(Value::as_str)
            .is_some_and(|stored| !stored.eq_ignore_ascii_case(kind))
    {
        return Err(Fail::Arguments(format!(
            "the stored document {reference} is not of attachment_type {kind}, and a stored document's type cannot be changed: leave attachment_type out"
        )));
    }
    let path = format!("api/v1/companies/{}/attachments/{reference}/", call.company());
    let transactions: Vec<String> = match args.get("transactions") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => Vec::new(),
    };
    for transaction in &transactions {
        let query = vec![("companyId", call.company().to_owned())];
        let mut body = Map::new();
        body.insert("transaction".into(), json!(transaction));
        let body = ApiBody::Json(body);
        document = parsed(call.send(Method::POST, format!("{path}link-transaction/"), query, body).await?)?;
    }
    let link = call.link(format!("{path}download/")).await;
    if let Some(fields) = document.as_object_mut() {
        fields.insert("fileRef".into(), json!(reference));
        fields.insert("downloadUrl".into(), link.unwrap_or(Value::Null));
        fields.insert(
            "note".into(),
            json!("The document was already stored through the upload link; it was used as it is, not uploaded again."),
        );
    }
    Ok(json_result(document))
}

/// `upload_bulk_attachments`' `file_refs`: each must be a stored document of this company.
pub(super) async fn check_stored(call: &Call<'_>, references: &[String]) -> Result<Vec<Value>, Fail> {
    let mut documents = Vec::with_capacity(references.len());
    for (n, reference) in references.iter().enumerate() {
        documents.push(stored(call, &format!("file_refs[{n}]"), reference).await?);
    }
    Ok(documents)
}

/// A value the model actually gave: models often send every parameter, empty.
fn given(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(text) => !text.trim().is_empty(),
        Value::Array(list) => !list.is_empty(),
        Value::Object(map) => !map.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}
