//! The documents tools.

use super::super::spec::*;
use super::params::*;

/// A file reference is the Norman id of a document the person already sent through an upload
/// link's page (docs/architecture.md, "Uploading receipts through a link"): nothing is stored on
/// our side, so the tools use the stored document instead of uploading it again.
const FILE_REF_DOC: &str = "Norman id (publicId) of a document the user already uploaded through a request_file_upload link, as the page showed it (list_attachments shows it too). The stored document is used as it is, not uploaded again: it is linked to the given transactions; its other data cannot be changed.";
const FILE_REFS_DOC: &str = "Norman ids (publicId) of documents the user already uploaded through a request_file_upload link, as the page showed them. They are stored and matched already: they are checked and listed, not uploaded again.";

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "request_file_upload",
        title: "Request file upload",
        set: Toolset::Documents,
        doc: "Make a link to a page where the user uploads receipts or invoices from their own device (PDF, PNG, JPEG or HEIC; up to {max_files} files of at most {max_mib} MiB each); the files go straight to Norman as this user. Use it when the user has files you cannot read or send yourself. Give upload_url to the user exactly as it is, say it works for 15 minutes, and wait until they say they are done: the page shows them each stored file's Norman id, which list_attachments shows too and create_attachment (file_ref) and upload_bulk_attachments (file_refs) accept. Without transaction_id Norman matches the files to bank transactions itself; with it, each file is linked to that transaction. The link lets anyone holding it upload as this user: give it to the user only.",
        hints: CREATE_OUTSIDE,
        verb: Verb::Post,
        params: &[
            opt(
                "transaction_id",
                Ty::Id,
                "Link each uploaded file to this transaction (publicId, as search_transactions shows it). Leave out for automatic matching.",
            )
            .hook(),
            opt(
                "document_type",
                Ty::Choice(UPLOAD_DOCUMENT_TYPES),
                "receipt (default): receipts and other proof of expenses; bill: a supplier's invoice to the company; invoice: a sales invoice the company wrote.",
            )
            .hook(),
            opt("description", Ty::Str, "What the user is asked to upload, shown on the page, e.g. the hotel bill from March.")
                .hook(),
        ],
        hook: Hook::UploadLink,
        ..BASE
    },
    Spec {
        name: "upload_bulk_attachments",
        title: "Upload bulk attachments",
        set: Toolset::Documents,
        doc: "Upload several receipts or invoices at once; Norman stores them and matches them to bank transactions automatically. Give the files as base64 (files_base64) and/or as https URLs that this server downloads (file_urls); files the user uploaded through a request_file_upload link are stored already (file_refs). Up to {max_files} files of at most {max_mib} MiB each and {max_total_mib} MiB together; private or local network addresses are refused.",
        hints: CREATE_OUTSIDE,
        verb: Verb::Post,
        path: "api/v1/accounting/transactions/upload-documents/",
        params: &[
            opt("file_urls", Ty::StrList, "https URLs of the files to download and upload.").hook(),
            opt("files_base64", Ty::Files, "Files as base64: [{file_name, content}].").hook(),
            opt("file_refs", Ty::StrList, FILE_REFS_DOC).hook(),
            opt(
                "file_paths",
                Ty::StrList,
                "Deprecated: https URLs, like file_urls. Local paths cannot be read by this server.",
            )
            .hook(),
            opt(
                "cashflow_type",
                Ty::Choice(CASHFLOW),
                "INCOME for sales invoices, EXPENSE for receipts and bills.",
            )
            .form(),
        ],
        hook: Hook::UploadMany,
        ..BASE
    },
    Spec {
        name: "list_attachments",
        title: "List attachments",
        set: Toolset::Documents,
        doc: "List the company's stored documents (receipts, invoices, contracts) with their metadata and a temporary download link (downloadUrl) each. All filters are optional.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/attachments/",
        params: &[
            opt("file_name", Ty::Str, "Part of the file name.").query("file_name").truthy(),
            opt(
                "linked",
                Ty::Bool,
                "true: only documents linked to a transaction; false: only unlinked ones.",
            )
            .query("linked"),
            opt("attachment_type", Ty::Choice(ATTACHMENT_TYPES), "Kind of document.")
                .query("has_type")
                .truthy(),
            opt("description", Ty::Str, "Part of the description.").query("description").truthy(),
            opt("brand_name", Ty::Str, "Part of the supplier or brand name.").query("brand_name").truthy(),
        ],
        hook: Hook::AttachmentLinks,
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "create_attachment",
        title: "Create attachment",
        set: Toolset::Documents,
        doc: "Upload one document (receipt, invoice, contract) with its bookkeeping data, optionally linked to transactions. Give the file either as base64 (file_content_base64 with file_name) or as an https URL this server downloads (file_url), or name a document the user uploaded through a request_file_upload link (file_ref); at most {max_mib} MiB, private or local network addresses are refused. Amounts are in the document's currency (euros by default). Returns the stored document with a temporary downloadUrl.",
        hints: CREATE_OUTSIDE,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/attachments/",
        params: &[
            opt("file_url", Ty::Str, "https URL of the file to download.").hook(),
            opt("file_content_base64", Ty::Str, "The file as base64 (a data: URI prefix is fine).").hook(),
            opt("file_ref", Ty::Str, FILE_REF_DOC).hook(),
            opt(
                "file_name",
                Ty::Str,
                "File name with extension, e.g. receipt.pdf; required with file_content_base64.",
            )
            .hook(),
            opt("transactions", Ty::StrList, "Ids of transactions to link the document to.").form().truthy(),
            opt("attachment_type", Ty::Choice(ATTACHMENT_TYPES), "Kind of document.").form().truthy(),
            opt("amount", Ty::Num, "Gross amount on the document.").form(),
            opt("amount_exchanged", Ty::Num, "Gross amount converted to currency_exchanged.").form(),
            opt("attachment_number", Ty::Str, "Document number, e.g. the supplier's invoice number.")
                .form()
                .truthy(),
            opt("brand_name", Ty::Str, "Supplier or brand name.").form().truthy(),
            opt("currency", Ty::Str, "Currency of amount, e.g. EUR.").form().fill(Fill::Str("EUR")),
            opt("currency_exchanged", Ty::Str, "Currency of amount_exchanged.").form().fill(Fill::Str("EUR")),
            opt("description", Ty::Str, "What the document is about.").form().truthy(),
            opt(
                "supplier_country",
                Ty::Choice(SUPPLIER_COUNTRIES),
                "Where the supplier sits: DE, INSIDE_EU or OUTSIDE_EU.",
            )
            .form()
            .truthy(),
            opt("value_date", Ty::Date, "Document date, YYYY-MM-DD.").form().truthy(),
            opt("vat_sum_amount", Ty::Num, "VAT contained in amount.").form(),
            opt("vat_sum_amount_exchanged", Ty::Num, "VAT contained in amount_exchanged.").form(),
            opt("vat_rate", Ty::IntChoice(VAT_RATES), "VAT percent: 0, 7 or 19.").form(),
            opt("sale_type", Ty::Choice(SALE_TYPES), "GOODS or SERVICES.").form().truthy(),
            opt("additional_metadata", Ty::Object, "Any further key/value data to store with the document.")
                .form()
                .truthy(),
        ],
        hook: Hook::UploadOne,
        ..BASE
    },
    Spec {
        name: "link_attachment_transaction",
        title: "Link attachment transaction",
        set: Toolset::Documents,
        doc: "Link a stored document (attachment) to a bank transaction, e.g. a receipt to the payment. Linking again changes nothing.",
        hints: LINK,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/attachments/{attachment_id}/link-transaction/",
        params: &[
            req("attachment_id", Ty::Id, "The document's id (publicId), as list_attachments shows it.")
                .path(),
            TRANSACTION_ID,
        ],
        ..BASE
    },
    Spec {
        name: "delete_attachment",
        title: "Delete attachment",
        set: Toolset::Documents,
        doc: "Delete a stored document (attachment). A document of a booked transaction is under the statutory retention period (usually ten years in Germany): Norman then refuses with retentionUntil, and only confirm=true, after the user has explicitly agreed, deletes it anyway.",
        hints: DELETE,
        verb: Verb::Delete,
        path: "api/v1/companies/{cid}/attachments/{attachment_id}/",
        params: &[
            req("attachment_id", Ty::Id, "The document's id (publicId), as list_attachments shows it.")
                .path(),
            opt(
                "confirm",
                Ty::Bool,
                "true deletes even a document under the retention period; only on the user's explicit word.",
            )
            .hook()
            .fill(Fill::Bool(false)),
        ],
        hook: Hook::DeleteDocument,
        ..BASE
    },
    Spec {
        name: "get_attachment_preview",
        title: "Get attachment preview",
        set: Toolset::Documents,
        doc: "Show a stored document: an image receipt (PNG, JPEG, GIF, WebP) comes back as an image to look at; any document comes with its file name and a temporary download link (downloadUrl).",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/attachments/{attachment_id}/",
        params: &[req(
            "attachment_id",
            Ty::Id,
            "The document's id (publicId), as list_attachments shows it.",
        )
        .path()],
        hook: Hook::AttachmentPreview,
        ..BASE
    },
];
