//! What the three founding workflows share: `my/` and the detail of a draft, the one-draft
//! rule on creation, the link to an incorporation a later draft is prefilled from, and the
//! generated documents behind presigned links.

use axum::body::Bytes;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::rules::{FieldRule, is_set, refused};
use crate::blobs::{FileBlob, token_for};
use crate::caller::Founder;
use crate::drf::error::{ApiError, ApiResult, created, ok};
use crate::drf::fields::{Fields, Kind};
use crate::drf::request::{Id, RawBody};
use crate::founders::{DraftKind, Drafts};
use crate::pdf::{Line, render};
use crate::store::{Record, new_id, now_rfc3339};

/// The stand-in first-page image of every generated document.
pub(crate) const DOCUMENT_PREVIEW_JPEG: &[u8] = include_bytes!("../../../assets/document-preview.jpg");

/// A founding workflow served by the shared handlers.
pub(crate) trait Workflow: Send + Sync + 'static {
    const KIND: DraftKind;
    /// What a person has one of, for the one-draft error (`"An incorporation"`).
    const ONE: &'static str;
    /// Recomputes what is derived from the record's facts (`sections`, `status`).
    fn refresh(record: &mut Record);
}

/// A workflow whose draft may start from the caller's incorporation.
pub(crate) trait Prefilled: Workflow {
    /// The new draft, prefilled from `incorporation` when one is named.
    fn new_record(source: Option<Value>, incorporation: Option<&Record>) -> Record;
}

/// `GET …/my/`: the caller's draft; 404 while they have none.
pub(crate) async fn my<W: Workflow>(founder: Founder) -> ApiResult {
    let drafts = founder.drafts()?;
    drafts[W::KIND].as_ref().map(ok).ok_or(ApiError::NotFound)
}

/// `GET …/{id}/`: the caller's draft by id; anyone else's is 404.
pub(crate) async fn detail<W: Workflow>(founder: Founder, Id(id): Id) -> ApiResult {
    let drafts = founder.drafts()?;
    Ok(ok(drafts.owned(W::KIND, &id)?))
}

/// `POST …/`: 201 with the new draft, optionally prefilled from the caller's
/// `incorporation`; 400 when the caller has one.
pub(crate) async fn create<W: Prefilled>(founder: Founder, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let source = fields.get("source", Kind::Text, false);
    let mut drafts = founder.drafts_mut()?;
    ensure_first::<W>(&drafts)?;
    let mut record = W::new_record(source, linked_incorporation(&mut fields, &drafts));
    fields.finish()?;
    W::refresh(&mut record);
    let response = created(&record);
    drafts[W::KIND] = Some(record);
    Ok(response)
}

/// `GET …/documents/`: the generated documents with their previews.
pub(crate) async fn documents<W: Workflow>(founder: Founder, Id(id): Id) -> ApiResult {
    let drafts = founder.drafts()?;
    Ok(ok(&documents_response(drafts.owned(W::KIND, &id)?)))
}

/// A suggestion endpoint (`suggest-purpose/`, `suggest-activity/`): `{suggestion}` for the
/// required `draft`; the caller's draft is looked up (404 for anyone else's) but not changed.
pub(crate) fn suggest<W: Workflow>(
    founder: &Founder,
    id: &str,
    body: RawBody,
    suggestion: fn(&str) -> String,
) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let draft = draft_text(&mut fields);
    founder.drafts()?.owned(W::KIND, id)?;
    fields.finish()?;
    Ok(ok(&json!({ "suggestion": suggestion(&draft) })))
}

/// Keeps freshly generated documents as the current ones: 201 with the documents.
pub(crate) fn keep_documents<W: Workflow>(record: &mut Record, entries: Vec<Value>) -> ApiResult {
    record.insert("documents".into(), Value::Array(entries));
    record.insert("documentsStale".into(), json!(false));
    touch(record);
    W::refresh(record);
    Ok(created(&documents_response(record)))
}

/// Marks generated documents as out of date once what they say has changed.
pub(crate) fn mark_stale(record: &mut Record) {
    if is_set(record, "documents") {
        record.insert("documentsStale".into(), json!(true));
    }
}

pub(crate) fn touch(record: &mut Record) {
    record.insert("updatedAt".into(), json!(now_rfc3339()));
}

/// 400 when the caller already has a draft of this kind: a person founds one company at a
/// time, and the API answers a second create with a validation error.
pub(crate) fn ensure_first<W: Workflow>(drafts: &Drafts) -> Result<(), ApiError> {
    match drafts[W::KIND] {
        Some(_) => Err(refused(format!("{} already exists for this account.", W::ONE))),
        None => Ok(()),
    }
}

/// The fields every draft starts with.
pub(crate) fn new_draft(prefix: &str, source: Option<Value>) -> Record {
    let now = now_rfc3339();
    let source = source.filter(|s| s.as_str().is_some_and(|s| !s.is_empty())).unwrap_or(json!("api"));
    crate::store::obj(json!({
        "publicId": new_id(prefix),
        "source": source,
        "createdAt": now,
        "updatedAt": now,
    }))
}

/// A new draft with every field of `rules` present and `null`.
pub(crate) fn blank_draft(prefix: &str, source: Option<Value>, rules: &[FieldRule]) -> Record {
    let mut record = new_draft(prefix, source);
    for field in rules {
        record.insert(field.key.to_owned(), Value::Null);
    }
    record
}

/// The `incorporation` a Gewerbe or corporate tax draft is created from: the caller's own
/// incorporation, or a 400 naming the field (an unknown id and someone else's look the same,
/// as for any related object in DRF).
pub(crate) fn linked_incorporation<'a>(fields: &mut Fields<'_>, drafts: &'a Drafts) -> Option<&'a Record> {
    let id = fields.get("incorporation", Kind::Text, false)?;
    let id = id.as_str().filter(|id| !id.is_empty())?;
    match drafts.owned(DraftKind::Incorporation, id) {
        Ok(incorporation) => Some(incorporation),
        Err(_) => {
            fields.error("incorporation", format!("Invalid pk \"{id}\" - object does not exist."));
            None
        }
    }
}

/// A document to generate: its type, title, file name and text.
pub(crate) struct DocumentSpec {
    pub kind: &'static str,
    pub title: String,
    pub file_name: String,
    pub lines: Vec<Line>,
}

/// Renders each document as a PDF behind its own presigned link and returns the entries a
/// draft keeps in `documents`. Every generation gets new ids, so an earlier link keeps
/// serving the earlier version, as an object store would.
pub(crate) fn generate(founder: &Founder, draft_id: &str, specs: Vec<DocumentSpec>) -> Vec<Value> {
    let now = now_rfc3339();
    specs
        .into_iter()
        .map(|spec| {
            let id = new_id("doc");
            let pdf = render(&spec.title, &spec.lines);
            let size = pdf.len();
            let blob = FileBlob {
                content_type: "application/pdf".into(),
                filename: spec.file_name.clone(),
                data: Bytes::from(pdf),
            };
            let url = presign(founder, draft_id, &id, blob);
            json!({
                "publicId": id,
                "type": spec.kind,
                "title": spec.title,
                "fileName": spec.file_name,
                "contentType": "application/pdf",
                "size": size,
                "downloadUrl": url,
                "createdAt": now,
            })
        })
        .collect()
}

/// A presigned link to a file of a draft: `<sandbox>/files/<token>`, unauthenticated like
/// the other downloads; the token is derived from the draft and the document id.
pub(crate) fn presign(founder: &Founder, draft_id: &str, document_id: &str, blob: FileBlob) -> String {
    let token = token_for(&founder.sb.sessions.keys, draft_id, "founding-document", document_id);
    founder.sb.files.put(token.clone(), blob);
    format!("{}files/{token}", founder.base_url())
}

/// `{documents: [...]}` with each document's first page as a base64 JPEG, as the
/// `documents/` endpoints answer.
pub(crate) fn documents_response(record: &Record) -> Value {
    let preview = B64.encode(DOCUMENT_PREVIEW_JPEG);
    let documents: Vec<Value> = record
        .get("documents")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|document| {
                    let mut document = document.clone();
                    if let Some(map) = document.as_object_mut() {
                        map.insert("previewImage".into(), Value::String(preview.clone()));
                        map.insert("previewMimeType".into(), json!("image/jpeg"));
                    }
                    document
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "documents": documents,
        "documentsStale": record.get("documentsStale").cloned().unwrap_or(Value::Bool(false)),
    })
}

/// The `draft` of a suggestion request: required, not blank.
pub(crate) fn draft_text(fields: &mut Fields<'_>) -> String {
    fields.get("draft", Kind::NonBlank, true).and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_preview_is_a_jpeg() {
        assert!(DOCUMENT_PREVIEW_JPEG.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(DOCUMENT_PREVIEW_JPEG.ends_with(&[0xFF, 0xD9]));
    }
}
