//! A minimal `multipart/form-data` reader (RFC 7578), because axum's `multipart` feature is
//! not enabled in this crate. It reads the whole (size-limited) body at once and borrows part
//! contents from it. It understands what python-requests and reqwest send: a boundary
//! parameter, CRLF line breaks, `Content-Disposition: form-data; name=...; filename=...` and an
//! optional per-part `Content-Type`.

use super::error::ApiError;

/// Refuse absurd inputs early; real uploads have a handful of parts.
const MAX_PARTS: usize = 256;

pub(crate) struct Part<'a> {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: &'a [u8],
}

fn malformed(why: &str) -> ApiError {
    ApiError::bad_request(format!("Multipart form parse error - {why}"))
}

pub(crate) fn parse<'a>(content_type: &str, body: &'a [u8]) -> Result<Vec<Part<'a>>, ApiError> {
    let boundary = boundary(content_type).ok_or_else(|| malformed("Invalid boundary in multipart: None"))?;
    let mut delimiter = Vec::with_capacity(boundary.len() + 4);
    delimiter.extend_from_slice(b"--");
    delimiter.extend_from_slice(boundary.as_bytes());
    let mut next_delimiter = Vec::with_capacity(delimiter.len() + 2);
    next_delimiter.extend_from_slice(b"\r\n");
    next_delimiter.extend_from_slice(&delimiter);

    let mut pos = find(body, &delimiter, 0).ok_or_else(|| malformed("no boundary found"))?;
    let mut parts = Vec::new();
    loop {
        pos += delimiter.len();
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        if rest.starts_with(b"\r\n") {
            pos += 2;
        } else {
            return Err(malformed("boundary not followed by a line break"));
        }
        if parts.len() >= MAX_PARTS {
            return Err(malformed("too many parts"));
        }
        let header_end =
            find(body, b"\r\n\r\n", pos).ok_or_else(|| malformed("unterminated part headers"))?;
        let headers = std::str::from_utf8(&body[pos..header_end])
            .map_err(|_| malformed("part headers are not UTF-8"))?;
        let data_start = header_end + 4;
        let data_end =
            find(body, &next_delimiter, data_start).ok_or_else(|| malformed("unterminated part"))?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            data: &body[data_start..data_end],
        };
        let mut has_disposition = false;
        for line in headers.split("\r\n") {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            if name.trim().eq_ignore_ascii_case("content-disposition") {
                has_disposition = true;
                read_disposition(value, &mut part);
            } else if name.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(value.trim().to_owned());
            }
        }
        if !has_disposition || part.name.is_empty() {
            return Err(malformed("part without a form-data name"));
        }
        parts.push(part);
        pos = data_end + 2;
    }
}

fn boundary(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim().trim_matches('"');
        (!value.is_empty() && value.len() <= 200).then(|| value.to_owned())
    })
}

fn read_disposition(value: &str, part: &mut Part<'_>) {
    for param in split_params(value) {
        let Some((key, raw)) = param.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let raw = raw.trim();
        match key.as_str() {
            "name" => part.name = unquote(raw),
            "filename" if part.filename.is_none() => part.filename = Some(unquote(raw)),
            "filename*" => {
                // RFC 5987: charset'lang'percent-encoded; wins over a plain filename.
                if let Some(encoded) = raw.splitn(3, '\'').nth(2) {
                    let decoded: String = url::form_urlencoded::parse(format!("x={encoded}").as_bytes())
                        .map(|(_, v)| v.into_owned())
                        .next()
                        .unwrap_or_default();
                    part.filename = Some(decoded);
                }
            }
            _ => {}
        }
    }
}

/// Splits on `;` outside double quotes.
fn split_params(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&value[start..]);
    out
}

fn unquote(raw: &str) -> String {
    let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return raw.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, _) = needle.split_first()?;
    let mut i = from;
    while i + needle.len() <= haystack.len() {
        let offset = haystack[i..=haystack.len() - needle.len()].iter().position(|&b| b == first)?;
        i += offset;
        if &haystack[i..i + needle.len()] == needle {
            return Some(i);
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_files() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nBahn; ticket\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n\r\n--XyZ--\r\n";
        let parts = parse("multipart/form-data; boundary=XyZ", body).unwrap_or_default();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "description");
        assert_eq!(parts[0].data, b"Bahn; ticket");
        assert_eq!(parts[1].filename.as_deref(), Some("a;b.pdf"));
        assert_eq!(parts[1].data, b"%PDF-1.4\r\n");
    }

    #[test]
    fn refuses_garbage() {
        for (ct, body) in [
            ("multipart/form-data", &b"--x\r\n"[..]),
            ("multipart/form-data; boundary=x", b"no boundary here"),
            (
                "multipart/form-data; boundary=x",
                b"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nunterminated",
            ),
            ("multipart/form-data; boundary=x", b"--x\r\n\r\n\r\nbody\r\n--x--"),
            ("multipart/form-data; boundary=x", b"--x"),
        ] {
            assert!(parse(ct, body).is_err(), "{body:?}");
        }
    }
}
