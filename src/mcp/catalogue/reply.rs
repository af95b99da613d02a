//! Tool results: Norman's answer passed on as JSON text and as `structuredContent`, and every
//! failure on the way as an `isError` result the model can read, except the two the MCP layer
//! must handle itself.

use http::StatusCode;
use rmcp::model::{CallToolResult, ContentBlock};
use serde_json::{Value, json};

use super::ToolError;
use crate::norman::NormanError;
use crate::norman::api::ApiResponse;

/// Longest piece of a non-JSON error body quoted back (HTML error pages can be large).
const MAX_QUOTED_CHARS: usize = 2000;
/// Larger JSON error bodies are quoted as shortened text: Norman's validation errors are a
/// few hundred bytes, and the model's context is no place for megabytes.
const MAX_JSON_DETAIL_BYTES: usize = 16 * 1024;

/// Why a call did not produce Norman's answer.
#[derive(Debug)]
pub(super) enum Fail {
    /// The arguments cannot work: the model should correct its call.
    Arguments(String),
    /// A file for an upload could not be had (too large, refused URL, bad base64, ...).
    File(String),
    /// Norman answered with an error status.
    Norman { status: u16, detail: Value },
    /// Norman answered 2xx but not in the shape this tool needs.
    Unexpected(&'static str),
    /// Norman could not be asked (timeout, unreachable, unreadable answer).
    Unavailable(NormanError),
    /// Norman refused the user's token: the MCP client must refresh.
    Unauthorized,
}

impl From<NormanError> for Fail {
    fn from(error: NormanError) -> Fail {
        match error {
            NormanError::Unauthorized => Fail::Unauthorized,
            other => Fail::Unavailable(other),
        }
    }
}

/// The result the MCP layer gets: only an expired upstream token is not a tool result.
pub(super) fn finish(outcome: Result<CallToolResult, Fail>) -> Result<CallToolResult, ToolError> {
    let fail = match outcome {
        Ok(result) => return Ok(result),
        Err(Fail::Unauthorized) => return Err(ToolError::UpstreamUnauthorized),
        Err(fail) => fail,
    };
    let body = match fail {
        Fail::Arguments(message) | Fail::File(message) => json!({ "error": message }),
        Fail::Norman { status, detail } => {
            let reason =
                StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("error");
            let mut body = json!({
                "error": format!("Norman refused the request: HTTP {status} {reason}"),
                "status": status,
            });
            if !detail.is_null() {
                body["detail"] = detail;
            }
            body
        }
        Fail::Unexpected(what) => json!({ "error": format!("Norman's answer was not as expected: {what}") }),
        Fail::Unavailable(error) => json!({ "error": error.to_string() }),
        Fail::Unauthorized => json!({ "error": "the Norman session has expired" }),
    };
    Ok(CallToolResult::error(vec![ContentBlock::text(body.to_string())]))
}

/// A non-2xx answer: its status and Norman's own words (parsed JSON if small, else the text,
/// shortened).
pub(super) fn norman_error(response: &ApiResponse) -> Fail {
    let small = response.body.len() <= MAX_JSON_DETAIL_BYTES;
    let detail = match response.json().filter(|_| small) {
        Some(value) => value,
        None if response.body.is_empty() => Value::Null,
        None => {
            Value::String(String::from_utf8_lossy(&response.body).chars().take(MAX_QUOTED_CHARS).collect())
        }
    };
    Fail::Norman { status: response.status, detail }
}

/// Norman's 2xx answer as the tool's text, unchanged when it is JSON already (the hot path: most
/// tools pass Norman's JSON on), and parsed once for `structuredContent`.
pub(super) fn passthrough(response: ApiResponse) -> CallToolResult {
    let status = response.status;
    if response.body.is_empty() {
        return json_result(json!({ "success": true, "status": status }));
    }
    let looks_json = response.is_json() || matches!(first_byte(&response.body), Some(b'{' | b'['));
    let is_text = response.content_type.as_deref().is_some_and(|t| t.trim_start().starts_with("text/"));
    if !looks_json && !is_text {
        let kind = response.content_type.as_deref().unwrap_or("unknown type");
        let message = format!("Norman answered with {} bytes of {kind}", response.body.len());
        return json_result(json!({ "success": true, "status": status, "message": message }));
    }
    let text = match String::from_utf8(Vec::from(response.body)) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    };
    if !looks_json {
        return json_result(json!({ "content": text }));
    }
    // Parsed once, for `structuredContent`; the text stays Norman's bytes as they came.
    match serde_json::from_str::<Value>(&text) {
        Ok(value) => with_structure(CallToolResult::success(vec![ContentBlock::text(text)]), value),
        Err(_) => json_result(json!({ "content": text })),
    }
}

pub(super) fn json_result(value: Value) -> CallToolResult {
    let text = value.to_string();
    with_structure(CallToolResult::success(vec![ContentBlock::text(text)]), value)
}

/// Adds `value` as the result's `structuredContent`, which MCP requires to be an object: an
/// array goes under `results` (as in Norman's pages), any other value under `value`.
pub(super) fn with_structure(mut result: CallToolResult, value: Value) -> CallToolResult {
    result.structured_content = Some(match value {
        Value::Object(_) => value,
        Value::Array(_) => json!({ "results": value }),
        other => json!({ "value": other }),
    });
    result
}

fn first_byte(body: &[u8]) -> Option<u8> {
    body.iter().copied().find(|b| !b.is_ascii_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn structured_of(value: Value) -> Value {
        json_result(value).structured_content.expect("structured content")
    }

    #[test]
    fn structured_content_is_always_an_object() {
        assert_eq!(structured_of(json!({"a": 1})), json!({"a": 1}));
        assert_eq!(structured_of(json!([1, 2])), json!({"results": [1, 2]}));
        assert_eq!(structured_of(json!("x")), json!({"value": "x"}));
    }

    #[test]
    fn passthrough_keeps_the_text_and_parses_once_for_the_structure() {
        let body = "[ {\"publicId\": \"c1\"} ]";
        let response = ApiResponse {
            status: 200,
            content_type: Some("application/json".into()),
            body: bytes::Bytes::from_static(body.as_bytes()),
        };
        let result = passthrough(response);
        assert_eq!(result.content[0].as_text().map(|t| t.text.as_str()), Some(body));
        assert_eq!(result.structured_content, Some(json!({"results": [{"publicId": "c1"}]})));
    }
}
