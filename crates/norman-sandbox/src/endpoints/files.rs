//! Presigned downloads. The real API hands out short-lived S3 links; here they are
//! `<sandbox>/files/<token>` links, served without authentication like a presigned URL.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::blobs::{FileBlob, token_for};
use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult};
use crate::drf::request::Id;
use crate::state::Sandbox;

/// A presigned URL for an object of the caller's company, registering `blob` under it on
/// first use.
pub(crate) fn presign(ctx: &Ctx, kind: &str, id: &str, blob: impl FnOnce() -> FileBlob) -> String {
    let token = token_for(&ctx.sb.sessions.keys, ctx.company_id(), kind, id);
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
