//! `nmf_`: an upload link (docs/architecture.md, "Uploading receipts through a link"). The
//! path `/upload/nmf_…` is the capability: whoever opens it may send files to Norman as the
//! person who asked for it, for its company and purpose, until it expires. Nothing about the
//! link is stored on our side; what the page needs travels in the path.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::NormanToken;
use super::access::Principal;
use crate::seal::{Expiry, Purpose, Sealed};

/// Long enough to find the files and drop them, short enough that a link forwarded by
/// mistake or left in a chat history soon stops carrying a Norman credential.
pub const UPLOAD_LINK_LIFETIME: time::Duration = time::Duration::minutes(15);

/// Longest description of the files shown on the page; the model writes it.
pub const MAX_NOTE_CHARS: usize = 300;

/// What the files dropped on the page are for, fixed when the link is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UploadTarget {
    /// Receipts, bills or invoices for Norman to match with bank transactions on its own
    /// (`accounting/transactions/upload-documents/`); `cashflow_type` is `INCOME` for sales
    /// invoices and `EXPENSE` for receipts and bills.
    Matching { cashflow_type: String },
    /// Each file becomes a document linked to this transaction (`companies/{cid}/attachments/`).
    Transaction { transaction_id: String, attachment_type: String },
}

/// What revoking ends a link with: the grant of the access token that asked for it and that
/// token's blocks, checked as `/mcp` checks the token itself (RFC 7009 section 2.1: revoking a
/// grant ends what was issued under it). Empty for links asked for without an access token.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revocation_ids: Vec<String>,
}

impl GrantRef {
    pub fn of(principal: &Principal) -> GrantRef {
        GrantRef { family_id: principal.family_id.clone(), revocation_ids: principal.revocation_ids.clone() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadLink {
    pub norman_access: NormanToken,
    #[serde(default)]
    pub grant: GrantRef,
    pub company_id: String,
    pub target: UploadTarget,
    /// What the files are, in the model's words, shown on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(with = "time::serde::timestamp")]
    pub expires_at: OffsetDateTime,
}

impl Sealed for UploadLink {
    const PURPOSE: Purpose = Purpose::UploadLink;
    fn expiry(&self) -> Expiry {
        Expiry::At(self.expires_at)
    }
}
