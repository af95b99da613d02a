//! Presigned downloads. The real API hands out short-lived S3 links; here they are
//! `<sandbox>/files/<token>` links, served without authentication like a presigned URL.
//!
//! Tokens are derived from the signing secret and the object they name, so they look random,
//! are unguessable, and asking for the same object twice does not grow the store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use super::Sandbox;
use super::auth::{Ctx, Id};
use super::error::{ApiError, ApiResult};
use super::token::Keys;

/// A one-page PDF that every generated document (invoice, tax report) downloads as.
pub(crate) const DUMMY_PDF: &[u8] = include_bytes!("assets/dummy.pdf");
/// A 16×16 PNG used for previews and seeded image receipts.
pub(crate) const PREVIEW_PNG: &[u8] = include_bytes!("assets/preview.png");

#[derive(Clone)]
pub(crate) struct FileBlob {
    pub content_type: String,
    pub filename: String,
    pub data: Bytes,
}

impl FileBlob {
    pub(crate) fn pdf(filename: String) -> FileBlob {
        FileBlob { content_type: "application/pdf".into(), filename, data: Bytes::from_static(DUMMY_PDF) }
    }

    pub(crate) fn png(filename: String) -> FileBlob {
        FileBlob { content_type: "image/png".into(), filename, data: Bytes::from_static(PREVIEW_PNG) }
    }
}

#[derive(Default)]
pub(crate) struct FileStore {
    map: RwLock<HashMap<String, Arc<FileBlob>>>,
}

impl FileStore {
    pub(crate) fn put(&self, token: String, blob: FileBlob) {
        let mut map = self.map.write().unwrap_or_else(|e| e.into_inner());
        map.insert(token, Arc::new(blob));
    }

    fn get(&self, token: &str) -> Option<Arc<FileBlob>> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(token).cloned()
    }

    fn contains(&self, token: &str) -> bool {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.contains_key(token)
    }
}

/// The download token of one object (`kind` + `id`) of one company.
pub(crate) fn token_for(keys: &Keys, company_id: &str, kind: &str, id: &str) -> String {
    let digest = keys.derive(&[b"file", company_id.as_bytes(), kind.as_bytes(), id.as_bytes()]);
    B64.encode(&digest[..18])
}

/// A presigned URL for an object, registering `blob` under it on first use.
pub(crate) fn presign(ctx: &Ctx, kind: &str, id: &str, blob: impl FnOnce() -> FileBlob) -> String {
    let token = token_for(&ctx.sb.keys, ctx.company_id(), kind, id);
    if !ctx.sb.files.contains(&token) {
        ctx.sb.files.put(token.clone(), blob());
    }
    format!("{}files/{token}", ctx.base_url())
}

/// `GET files/{token}`: no authentication, like S3 with a presigned query.
pub(crate) async fn serve(State(sb): State<Arc<Sandbox>>, Id(token): Id) -> ApiResult {
    let blob = sb.files.get(&token).ok_or(ApiError::NotFound)?;
    let mut response = Response::new(Body::from(blob.data.clone()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&blob.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    let safe: String = blob
        .filename
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("inline; filename=\"{safe}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}
