//! Sending the files of an upload link to Norman as the person who asked for the link, by the
//! same paths and form fields as `upload_bulk_attachments` and `create_attachment`.

use http::Method;
use serde_json::Value;

use super::form::ReceivedFile;
use crate::norman::api::{ApiBody, ApiRequest, ApiResponse};
use crate::norman::multipart::Form;
use crate::norman::{NormanClient, NormanError};
use crate::tokens::upload_link::{UploadLink, UploadTarget};

const MATCHING_PATH: &str = "api/v1/accounting/transactions/upload-documents/";
/// Characters of Norman's refusal shown beside a file that was not stored.
const MAX_REASON_CHARS: usize = 200;

/// A file Norman has now; `id` is its document's `publicId`, when Norman names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub name: String,
    pub id: Option<String>,
}

/// A file Norman refused, with its reason in Norman's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotStored {
    pub name: String,
    pub reason: String,
}

/// What became of the files: some may be stored while others are refused (one document per
/// file when linking to a transaction).
#[derive(Debug, Default)]
pub struct Outcome {
    pub stored: Vec<Stored>,
    pub not_stored: Vec<NotStored>,
    /// Norman matches the files to transactions itself.
    pub matching: bool,
}

/// Nothing was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// Norman refused the credential the link carries (its session ended).
    SessionExpired,
    /// Norman could not be reached, or refused the files.
    Norman,
}

pub async fn send(
    norman: &NormanClient,
    link: &UploadLink,
    files: Vec<ReceivedFile>,
) -> Result<Outcome, SendError> {
    match &link.target {
        UploadTarget::Matching { cashflow_type } => {
            let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
            let form = files
                .into_iter()
                .fold(Form::new().text("cashflow_type", cashflow_type.as_str()), |form, file| {
                    form.file("files", file.name, file.data)
                });
            let response = call(norman, link, MATCHING_PATH.to_owned(), form).await?;
            if !response.is_success() {
                tracing::info!(status = response.status, "norman refused an upload link's files");
                return Err(SendError::Norman);
            }
            Ok(Outcome { stored: matched(response.json(), names), not_stored: Vec::new(), matching: true })
        }
        UploadTarget::Transaction { transaction_id, attachment_type } => {
            linked(norman, link, transaction_id, attachment_type, files).await
        }
    }
}

/// One document per file, each linked to the transaction. Files Norman refuses are listed
/// with its reason; when its session ends midway, the files not yet sent are listed too.
async fn linked(
    norman: &NormanClient,
    link: &UploadLink,
    transaction_id: &str,
    attachment_type: &str,
    files: Vec<ReceivedFile>,
) -> Result<Outcome, SendError> {
    let path = format!("api/v1/companies/{}/attachments/", link.company_id);
    let mut outcome = Outcome::default();
    let mut ended = None;
    for file in files {
        if let Some(reason) = ended {
            outcome.not_stored.push(NotStored { name: file.name, reason: String::from(reason) });
            continue;
        }
        let form = Form::new()
            .text("transactions", transaction_id)
            .text("attachment_type", attachment_type)
            .file("file", file.name.clone(), file.data);
        match call(norman, link, path.clone(), form).await {
            Ok(response) if response.is_success() => {
                let id = response.json().as_ref().and_then(public_id);
                outcome.stored.push(Stored { name: file.name, id });
            }
            Ok(response) => outcome.not_stored.push(NotStored { name: file.name, reason: reason(&response) }),
            Err(error) => {
                let why = if error == SendError::SessionExpired { SESSION_ENDED } else { NO_ANSWER };
                ended = Some(why);
                outcome.not_stored.push(NotStored { name: file.name, reason: why.into() });
            }
        }
    }
    match (outcome.stored.is_empty(), ended) {
        (true, Some(SESSION_ENDED)) => Err(SendError::SessionExpired),
        (true, _) => Err(SendError::Norman),
        (false, _) => Ok(outcome),
    }
}

const SESSION_ENDED: &str = "the Norman session has ended";
const NO_ANSWER: &str = "Norman did not answer";

async fn call(
    norman: &NormanClient,
    link: &UploadLink,
    path: String,
    form: Form,
) -> Result<ApiResponse, SendError> {
    let request = ApiRequest {
        method: Method::POST,
        path,
        query: vec![("companyId", link.company_id.clone())],
        body: ApiBody::Multipart(form),
        token: &link.norman_access,
    };
    match norman.call(request).await {
        Ok(response) => Ok(response),
        Err(NormanError::Unauthorized) => Err(SendError::SessionExpired),
        Err(error) => {
            tracing::warn!(%error, "an upload link's files could not be sent to norman");
            Err(SendError::Norman)
        }
    }
}

/// The stored documents of a bulk upload, by name and id, when Norman lists them (`results`);
/// else the names sent, without ids.
fn matched(body: Option<Value>, names: Vec<String>) -> Vec<Stored> {
    let listed: Vec<Stored> = body
        .as_ref()
        .and_then(|body| body.get("results"))
        .and_then(Value::as_array)
        .map(|results| {
            results
                .iter()
                .zip(&names)
                .map(|(item, sent)| Stored {
                    name: item.get("fileName").and_then(Value::as_str).unwrap_or(sent).to_owned(),
                    id: public_id(item),
                })
                .collect()
        })
        .unwrap_or_default();
    if listed.len() == names.len() {
        listed
    } else {
        names.into_iter().map(|name| Stored { name, id: None }).collect()
    }
}

fn public_id(document: &Value) -> Option<String> {
    ["publicId", "public_id", "id"].iter().find_map(|key| match document.get(*key)? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    })
}

/// Norman's refusal of one file in a line: its `detail`, or its field errors.
fn reason(response: &ApiResponse) -> String {
    let text = match response.json() {
        Some(Value::Object(map)) => {
            let detail = map.get("detail").and_then(Value::as_str).map(str::to_owned);
            detail.unwrap_or_else(|| Value::Object(map).to_string())
        }
        _ => format!("HTTP {}", response.status),
    };
    text.chars().take(MAX_REASON_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn bulk_results_name_the_stored_documents_or_only_the_files_sent() {
        let names = vec!["a.pdf".to_owned(), "b.png".to_owned()];
        let body =
            json!({ "results": [{ "publicId": "att_1", "fileName": "a.pdf" }, { "publicId": "att_2" }] });
        assert_eq!(
            matched(Some(body), names.clone()),
            vec![
                Stored { name: "a.pdf".into(), id: Some("att_1".into()) },
                Stored { name: "b.png".into(), id: Some("att_2".into()) },
            ]
        );
        let opaque = matched(Some(json!({ "detail": "ok" })), names);
        assert!(opaque.iter().all(|s| s.id.is_none()) && opaque.len() == 2);
    }
}
