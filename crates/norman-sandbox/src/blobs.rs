//! The files behind presigned download links, by download token.
//!
//! Tokens are derived from the signing secret and the object they name, so they look random,
//! are unguessable, and asking for the same object twice does not grow the store.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use axum::body::Bytes;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

use crate::token::Keys;

/// A one-page PDF that every generated document (invoice, tax report) downloads as.
pub(crate) const DUMMY_PDF: &[u8] = include_bytes!("../assets/dummy.pdf");
/// A 16×16 PNG used for previews and seeded image receipts.
pub(crate) const PREVIEW_PNG: &[u8] = include_bytes!("../assets/preview.png");
/// The page a bill payment's `webformUrl` opens, where a real bank would ask for approval.
pub(crate) const PAYMENT_WEBFORM: &[u8] = include_bytes!("../assets/payment-webform.html");

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

    /// The stand-in content of a seeded document: the PNG for `.png` names, else the PDF.
    pub(crate) fn sample(filename: String) -> FileBlob {
        if filename.ends_with(".png") { FileBlob::png(filename) } else { FileBlob::pdf(filename) }
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

    pub(crate) fn get(&self, token: &str) -> Option<Arc<FileBlob>> {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.get(token).cloned()
    }

    pub(crate) fn contains(&self, token: &str) -> bool {
        let map = self.map.read().unwrap_or_else(|e| e.into_inner());
        map.contains_key(token)
    }
}

/// The download token of one object (`kind` + `id`) of one company.
pub(crate) fn token_for(keys: &Keys, company_id: &str, kind: &str, id: &str) -> String {
    let digest = keys.derive(&[b"file", company_id.as_bytes(), kind.as_bytes(), id.as_bytes()]);
    B64.encode(&digest[..18])
}
