//! The two document hooks that need more than one plain call: deleting under the retention
//! duty, and showing an image receipt.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use http::Method;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};
use url::Url;

use super::{Call, parsed, refused_json};
use crate::mcp::catalogue::args::Args;
use crate::mcp::catalogue::reply::{Fail, json_result, with_structure};
use crate::norman::api::ApiBody;

/// Formats shown inline, by file extension. Model APIs take these four; PDF, TIFF and BMP
/// documents come with their link only.
const IMAGE_TYPES: &[(&str, &str)] = &[
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
];

/// Larger images come with their link only: model APIs refuse images over about 5 MB of
/// base64, which this many bytes become.
const MAX_INLINE_IMAGE_BYTES: usize = 3840 * 1024;

/// `DELETE`, with `?confirmed=true` only when the user said so. Norman keeps documents of
/// booked transactions for the statutory retention period (§ 147 AO) and answers 409 with
/// `requiresConfirmation`; that answer is turned into what the model must do next.
pub(super) async fn delete_document(
    call: &Call<'_>,
    args: &mut Args,
    path: String,
) -> Result<CallToolResult, Fail> {
    let id = args.str("attachment_id").unwrap_or_default().to_owned();
    let mut query = args.query(call.company());
    if args.get("confirm") == Some(&Value::Bool(true)) {
        // Lower case, as the earlier server sent it (its other booleans went as `True`).
        query.push(("confirmed", "true".to_owned()));
    }
    match call.send(Method::DELETE, path, query, ApiBody::Empty).await {
        Ok(_) => Ok(json_result(json!({
            "success": true,
            "attachmentId": id,
            "message": "The document was deleted.",
        }))),
        Err(Fail::Norman { status: 409, detail })
            if detail.get("requiresConfirmation") == Some(&Value::Bool(true)) =>
        {
            let until = detail
                .get("retentionUntil")
                .and_then(Value::as_str)
                .map(|date| format!(" until {date}"))
                .unwrap_or_default();
            Ok(refused_json(json!({
                "error": format!(
                    "Not deleted: the document belongs to a booked transaction and must be kept for the statutory retention period{until}. Delete it only if the user explicitly confirms, by calling again with confirm=true."
                ),
                "status": 409,
                "detail": detail,
            })))
        }
        Err(fail) => Err(fail),
    }
}

/// The document's details with a fresh `downloadUrl`, and the image itself when it is one a
/// model can look at.
pub(super) async fn attachment_preview(
    call: &Call<'_>,
    args: &mut Args,
    path: String,
) -> Result<CallToolResult, Fail> {
    let mut detail = parsed(call.main_json(args, path.clone()).await?)?;
    let link = call.get_json(format!("{path}download/")).await?;
    let url = link.get("url").and_then(Value::as_str).filter(|url| !url.is_empty()).map(str::to_owned);
    let Some(fields) = detail.as_object_mut() else {
        return Err(Fail::Unexpected("the document was not a JSON object"));
    };
    let stored = ["file", "fileName"].iter().find_map(|key| fields.get(*key).and_then(Value::as_str));
    let mime = stored.and_then(image_type);
    let mut content = Vec::with_capacity(2);
    match (mime, &url) {
        (Some(mime), Some(url)) => match fetch_image(call, url, mime).await {
            Ok(data) => content.push(ContentBlock::image(B64.encode(data), mime)),
            Err(note) => {
                fields.insert(
                    "note".into(),
                    json!(format!("The image is not shown: {note}. Open downloadUrl.")),
                );
            }
        },
        (None, Some(_)) => {
            fields.insert("note".into(), json!("Not an image: open downloadUrl to see the document."));
        }
        (_, None) => {}
    }
    if let Some(id) = args.str("attachment_id") {
        fields.insert("attachmentId".into(), json!(id));
    }
    fields.insert("downloadUrl".into(), url.map_or(Value::Null, Value::String));
    content.push(ContentBlock::text(detail.to_string()));
    Ok(with_structure(CallToolResult::success(content), detail))
}

/// The MIME type of an image file name a model can be shown, by its extension.
fn image_type(name: &str) -> Option<&'static str> {
    let (_, extension) = name.rsplit_once('.')?;
    IMAGE_TYPES.iter().find(|(ext, _)| ext.eq_ignore_ascii_case(extension)).map(|(_, mime)| *mime)
}

/// The file behind a presigned link: through the Norman client when Norman serves it itself,
/// else through the guarded fetcher of file URLs (https only, public addresses only, capped).
/// The error is a phrase for the note beside the link.
async fn fetch_image(call: &Call<'_>, url: &str, mime: &str) -> Result<Vec<u8>, String> {
    let parsed = Url::parse(url).map_err(|_| "the download link is not a URL".to_owned())?;
    let data = if parsed.origin() == call.norman.base().origin() {
        let response = call.norman.download(&parsed).await.map_err(|e| e.to_string())?;
        if !response.is_success() {
            return Err(format!("the download answered HTTP {}", response.status));
        }
        response.body.to_vec()
    } else {
        call.uploads.fetch(url).await.map_err(|e| e.to_string())?.data
    };
    if data.len() > MAX_INLINE_IMAGE_BYTES {
        return Err("the image is too large to show here".to_owned());
    }
    if !has_signature(mime, &data) {
        return Err(format!("the file is not a readable {mime}"));
    }
    Ok(data)
}

/// The file starts as its type says, so a client never gets an error page as an image.
fn has_signature(mime: &str, data: &[u8]) -> bool {
    match mime {
        "image/png" => data.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => data.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/gif" => data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a"),
        "image/webp" => data.len() >= 12 && data.starts_with(b"RIFF") && &data[8..12] == b"WEBP",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_extension_and_checked_by_content() {
        assert_eq!(image_type("attachments/c/a/Foto.JPG"), Some("image/jpeg"));
        assert_eq!(image_type("beleg.png"), Some("image/png"));
        for other in ["scan.pdf", "scan.tiff", "noextension", "archive.png.zip"] {
            assert_eq!(image_type(other), None, "{other}");
        }
        assert!(has_signature("image/png", b"\x89PNG\r\n\x1a\nrest"));
        assert!(has_signature("image/webp", b"RIFF\0\0\0\0WEBPVP8 "));
        assert!(!has_signature("image/png", b"<html>error</html>"));
        assert!(!has_signature("image/jpeg", b"\x89PNG\r\n\x1a\n"));
    }
}
