//! `multipart/form-data` bodies (RFC 7578) for Norman's upload endpoints: text fields and
//! files, built in memory (a file is at most the upload limit, already in memory). Like the
//! earlier Python server (python-requests), file parts carry a file name and no Content-Type.

use bytes::Bytes;

/// A form under construction; `encode` gives the body and its `Content-Type`.
#[derive(Debug, Default)]
pub struct Form {
    parts: Vec<Part>,
}

#[derive(Debug)]
struct Part {
    name: String,
    file_name: Option<String>,
    data: Bytes,
}

impl Form {
    pub fn new() -> Form {
        Form::default()
    }

    pub fn text(mut self, name: impl Into<String>, value: impl Into<String>) -> Form {
        let value: String = value.into();
        self.parts.push(Part { name: name.into(), file_name: None, data: Bytes::from(value) });
        self
    }

    pub fn file(
        mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        data: impl Into<Bytes>,
    ) -> Form {
        self.parts.push(Part { name: name.into(), file_name: Some(file_name.into()), data: data.into() });
        self
    }

    /// The body and its `Content-Type` (with a random boundary no part contains).
    pub fn encode(self) -> (String, Bytes) {
        let boundary = loop {
            let candidate = format!("norman-mcp-{:032x}", rand_u128());
            let needle = candidate.as_bytes();
            if !self.parts.iter().any(|p| p.data.windows(needle.len()).any(|w| w == needle)) {
                break candidate;
            }
        };
        let mut body = Vec::with_capacity(self.parts.iter().map(|p| p.data.len() + 128).sum::<usize>() + 64);
        for part in &self.parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            body.extend_from_slice(b"Content-Disposition: form-data; name=\"");
            body.extend_from_slice(quoted(&part.name).as_bytes());
            body.push(b'"');
            if let Some(file_name) = &part.file_name {
                body.extend_from_slice(b"; filename=\"");
                body.extend_from_slice(quoted(file_name).as_bytes());
                body.push(b'"');
            }
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(&part.data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), Bytes::from(body))
    }
}

/// A name inside `"…"`, escaped as browsers do (WHATWG HTML, "multipart/form-data encoding"):
/// quote and line breaks percent-encoded, so a name cannot end the header early.
fn quoted(value: &str) -> String {
    value.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

fn rand_u128() -> u128 {
    let mut bytes = [0u8; 16];
    // A boundary only has to be absent from the parts, which `encode` checks; a clock-based
    // fallback is good enough when the OS has no randomness to give.
    if getrandom::fill(&mut bytes).is_err() {
        return std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
    }
    u128::from_le_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_files_are_framed_by_the_boundary() {
        let (content_type, body) = Form::new()
            .text("description", "Taxi \"airport\"\r\nX-Injected: 1")
            .file("file", "receipt \"1\".pdf", &b"%PDF-1.4 data"[..])
            .encode();
        let boundary = content_type.strip_prefix("multipart/form-data; boundary=").unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(
            text,
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n\
                 Taxi \"airport\"\r\nX-Injected: 1\r\n\
                 --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"receipt %221%22.pdf\"\r\n\
                 \r\n%PDF-1.4 data\r\n--{boundary}--\r\n"
            )
        );
    }

    #[test]
    fn the_boundary_never_occurs_in_a_part() {
        let (content_type, body) = Form::new().file("file", "a.bin", vec![b'-'; 4096]).encode();
        let boundary = content_type.split("boundary=").nth(1).unwrap();
        assert_eq!(String::from_utf8_lossy(&body).matches(boundary).count(), 2);
    }
}
