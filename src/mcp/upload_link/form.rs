//! Reading the files a person sends from the upload page: `multipart/form-data` (RFC 7578)
//! read part by part as it arrives, every limit enforced on the bytes actually read (never on
//! `Content-Length`), and each file's type known by its first bytes, not by its name or the
//! type the browser claims. All or nothing: any refusal means nothing goes to Norman.

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;

use crate::mcp::upload::clean_name;

/// The part name the page's file input sends.
pub const FILES_FIELD: &str = "files";

/// What one upload may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_file_bytes: usize,
    pub max_files: usize,
    /// All files together, which one upload holds in memory before Norman has them.
    pub max_total_bytes: usize,
}

/// The kinds of file the page takes: what receipts are, as scans and phone photos.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Pdf,
    Png,
    Jpeg,
    Heic,
}

impl FileKind {
    /// The kind the content starts as, if it is one of ours.
    pub fn sniff(data: &[u8]) -> Option<FileKind> {
        // PDF readers accept the header anywhere in the first KiB (ISO 32000-1, annex H.3).
        if data.len() >= 5 && data[..data.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
            Some(FileKind::Pdf)
        } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileKind::Png)
        } else if data.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if data.len() >= 12 && &data[4..8] == b"ftyp" && HEIF_BRANDS.contains(&&data[8..12]) {
            // ISO/IEC 23008-12: an ISO base media file whose major brand is a HEIF one.
            Some(FileKind::Heic)
        } else {
            None
        }
    }

    /// File name extensions of the kind; the first is the one added to a name without one.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileKind::Pdf => &["pdf"],
            FileKind::Png => &["png"],
            FileKind::Jpeg => &["jpg", "jpeg"],
            FileKind::Heic => &["heic", "heif"],
        }
    }
}

const HEIF_BRANDS: &[&[u8]] = &[b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"];

/// One file read completely and checked.
#[derive(Debug)]
pub struct ReceivedFile {
    /// A base name that ends in its kind's extension (Norman knows a file's type by its name).
    pub name: String,
    pub data: Vec<u8>,
}

/// Why an upload was refused; nothing was sent to Norman.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormError {
    /// Not `multipart/form-data`, or a body that does not parse as one.
    Unreadable,
    NoFiles,
    TooMany {
        max: usize,
    },
    TooLarge {
        name: String,
        max: usize,
    },
    TotalTooLarge {
        max: usize,
    },
    WrongType {
        name: String,
    },
    Empty {
        name: String,
    },
}

impl FormError {
    /// RFC 9110: 413 for what is too large, 415 for a kind we do not take, 400 otherwise.
    pub fn status(&self) -> StatusCode {
        match self {
            FormError::TooLarge { .. } | FormError::TotalTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            FormError::WrongType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            FormError::Unreadable
            | FormError::NoFiles
            | FormError::TooMany { .. }
            | FormError::Empty { .. } => StatusCode::BAD_REQUEST,
        }
    }

    /// A short label for the log line (never a file name: those are the person's).
    pub fn reason(&self) -> &'static str {
        match self {
            FormError::Unreadable => "unreadable",
            FormError::NoFiles => "no_files",
            FormError::TooMany { .. } => "too_many",
            FormError::TooLarge { .. } => "too_large",
            FormError::TotalTooLarge { .. } => "total_too_large",
            FormError::WrongType { .. } => "wrong_type",
            FormError::Empty { .. } => "empty",
        }
    }
}

/// Reads every part. File parts of the page's field are kept (a part without a file name and
/// content is the browser's "nothing chosen"); other parts are read and dropped, bounded by the
/// same total.
pub async fn read_files(multipart: &mut Multipart, limits: Limits) -> Result<Vec<ReceivedFile>, FormError> {
    let mut files: Vec<ReceivedFile> = Vec::new();
    let mut total = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(|e| read_error(&e, limits))? {
        let is_file = field.name() == Some(FILES_FIELD) && field.file_name().is_some();
        let given_name = field.file_name().unwrap_or_default().to_owned();
        if is_file && !given_name.is_empty() && files.len() == limits.max_files {
            return Err(FormError::TooMany { max: limits.max_files });
        }
        let mut data = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(|e| read_error(&e, limits))? {
            total += chunk.len();
            if total > limits.max_total_bytes {
                return Err(FormError::TotalTooLarge { max: limits.max_total_bytes });
            }
            if !is_file {
                continue;
            }
            if data.len() + chunk.len() > limits.max_file_bytes {
                return Err(FormError::TooLarge {
                    name: clean_name(&given_name),
                    max: limits.max_file_bytes,
                });
            }
            data.extend_from_slice(&chunk);
        }
        if !is_file || (given_name.is_empty() && data.is_empty()) {
            continue;
        }
        let name = clean_name(&given_name);
        if data.is_empty() {
            return Err(FormError::Empty { name });
        }
        let Some(kind) = FileKind::sniff(&data) else {
            return Err(FormError::WrongType { name });
        };
        files.push(ReceivedFile { name: named_as(name, kind), data });
    }
    if files.is_empty() { Err(FormError::NoFiles) } else { Ok(files) }
}

/// The body limit of the route ends the stream with 413; anything else is a broken form.
fn read_error(error: &MultipartError, limits: Limits) -> FormError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        FormError::TotalTooLarge { max: limits.max_total_bytes }
    } else {
        FormError::Unreadable
    }
}

/// `name` with its kind's extension, added when the name has another or none.
fn named_as(name: String, kind: FileKind) -> String {
    let extension = name.rsplit_once('.').map(|(_, ext)| ext.to_ascii_lowercase());
    match extension {
        Some(ext) if kind.extensions().contains(&ext.as_str()) => name,
        _ => format!("{name}.{}", kind.extensions()[0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_known_by_content() {
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n..."), Some(FileKind::Pdf));
        assert_eq!(FileKind::sniff(b"\xEF\xBB\xBF%PDF-1.4"), Some(FileKind::Pdf), "after a BOM");
        assert_eq!(FileKind::sniff(b"\x89PNG\r\n\x1a\n...."), Some(FileKind::Png));
        assert_eq!(FileKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(FileKind::Jpeg));
        assert_eq!(FileKind::sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Some(FileKind::Heic));
        assert_eq!(FileKind::sniff(b"\0\0\0\x18ftypmp42\0\0\0\0"), None, "a video is no photo");
        assert_eq!(FileKind::sniff(b"<html><body>receipt.pdf"), None);
        assert_eq!(FileKind::sniff(b"GIF89a"), None);
        assert_eq!(FileKind::sniff(b""), None);
    }

    #[test]
    fn names_end_in_their_kinds_extension() {
        assert_eq!(named_as("Beleg.PDF".into(), FileKind::Pdf), "Beleg.PDF");
        assert_eq!(named_as("IMG_0001.jpeg".into(), FileKind::Jpeg), "IMG_0001.jpeg");
        assert_eq!(named_as("scan".into(), FileKind::Pdf), "scan.pdf");
        assert_eq!(named_as("photo.txt".into(), FileKind::Heic), "photo.txt.heic");
    }

    #[test]
    fn statuses_follow_rfc_9110() {
        assert_eq!(FormError::TooLarge { name: "a".into(), max: 1 }.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(FormError::TotalTooLarge { max: 1 }.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(FormError::WrongType { name: "a".into() }.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(FormError::TooMany { max: 10 }.status(), StatusCode::BAD_REQUEST);
    }
}
