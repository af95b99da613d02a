//! The table: every tool, with the names and parameter names of the earlier Python server's
//! core set, so prompts written for it keep working. `{max_mib}`, `{max_total_mib}` and `{max_files}` in a
//! description are filled in from the upload policy when the catalogue is built.

use super::spec::{
    CREATE, CREATE_OUTSIDE, DELETE, FILE_WITH_AUTHORITY, Fill, Hook, LINK, Param, READ, SEND, Spec, Ty,
    UPDATE, Verb, opt, req,
};

const CLIENT_TYPES: &[&str] = &["business", "private"];
const CASHFLOW: &[&str] = &["INCOME", "EXPENSE"];
const SUPPLIER_COUNTRIES: &[&str] = &["DE", "INSIDE_EU", "OUTSIDE_EU"];
const SALE_TYPES: &[&str] = &["GOODS", "SERVICES"];
const VAT_RATES: &[i64] = &[0, 7, 19];
const ATTACHMENT_TYPES: &[&str] = &["invoice", "receipt", "contract", "other"];
const INVOICE_STATUSES: &[&str] = &["draft", "pending", "sent", "paid", "overdue", "uncollectible"];
const CURRENCIES: &[&str] = &["EUR", "USD"];
const LANGUAGES: &[&str] = &["en", "de"];
const INVOICE_TYPES: &[&str] = &["SERVICES", "GOODS"];
const FREQUENCIES: &[&str] = &["weekly", "monthly"];
const TRANSACTION_STATUSES: &[&str] = &["UNVERIFIED", "VERIFIED"];
const TAX_TYPES: &[&str] = &["sales", "trade", "income", "profit_loss"];
const VAT_TYPES: &[&str] = &["vat_subject", "kleinunternehmer", "vat_exempt"];
const REPORTING_FREQUENCIES: &[&str] = &["monthly", "quarterly", "yearly"];
const CHARTS: &[&str] = &["skr03", "skr04"];
const DIRECTIONS: &[&str] = &["income", "expense"];

// ---- clients ----

const CLIENT_ID: Param =
    req("client_id", Ty::Id, "The client's id (publicId), as list_clients shows it.").path();
const CLIENT_NAME_OPT: Param = opt("name", Ty::Str, "Company or person name.").truthy();
const CLIENT_TYPE_OPT: Param =
    opt("client_type", Ty::Choice(CLIENT_TYPES), "business (a company) or private (a person).")
        .body("clientType")
        .truthy();
const ADDRESS: Param = opt("address", Ty::Str, "Street and house number.").truthy();
const ZIP_CODE: Param = opt("zip_code", Ty::Str, "Postal code.").body("zipCode").truthy();
const EMAIL: Param = opt("email", Ty::Str, "E-mail address invoices are sent to.").truthy();
const COUNTRY: Param = opt("country", Ty::Str, "ISO 3166 two-letter country code, e.g. DE, AT, FR.").truthy();
const VAT_NUMBER: Param =
    opt("vat_number", Ty::Str, "VAT identification number, e.g. DE123456789.").body("vatNumber").truthy();
const CITY: Param = opt("city", Ty::Str, "City.").truthy();
const PHONE: Param = opt("phone", Ty::Str, "Phone number.").truthy();

// ---- invoices ----

const INVOICE_ID: Param =
    req("invoice_id", Ty::Id, "The invoice's id (publicId), as list_invoices shows it.").path();
const INVOICE_CLIENT: Param =
    req("client_id", Ty::Id, "The customer's id (publicId) from list_clients or create_client.")
        .body("client");
const ITEMS: Param = req(
    "items",
    Ty::Items,
    "Line items: [{name, quantity, rate, vatRate}]. rate is the unit price in cents (1250 = 12.50), vatRate 0, 7 or 19 (default 19).",
)
.body("invoicedItems");
const ISSUED: Param = opt("issued", Ty::Date, "Issue date, YYYY-MM-DD; today if omitted.").body("issued");
const DUE_TO: Param =
    opt("due_to", Ty::Date, "Due date, YYYY-MM-DD; 30 days after the issue date if omitted.").body("dueTo");
const CURRENCY: Param = opt("currency", Ty::Choice(CURRENCIES), "Currency.").fill(Fill::Str("EUR"));
const PAYMENT_TERMS: Param = opt("payment_terms", Ty::Str, "Payment terms printed on the invoice.")
    .body("paymentTerms")
    .fill(Fill::Str(""));
const NOTES: Param = opt("notes", Ty::Str, "Notes printed on the invoice.").fill(Fill::Str(""));
const LANGUAGE: Param =
    opt("language", Ty::Choice(LANGUAGES), "Language of the document.").fill(Fill::Str("en"));
const INVOICE_TYPE: Param = opt(
    "invoice_type",
    Ty::Choice(INVOICE_TYPES),
    "SERVICES (uses the service period) or GOODS (uses the delivery date).",
)
.body("invoiceType")
.fill(Fill::Str("SERVICES"));
const IS_VAT_INCLUDED: Param =
    opt("is_vat_included", Ty::Bool, "true if the item rates already include VAT (gross prices).")
        .body("isVatIncluded")
        .fill(Fill::Bool(false));
const BANK_NAME: Param =
    opt("bank_name", Ty::Str, "Bank name printed for payment.").body("bankName").fill(Fill::Str(""));
const IBAN: Param = opt("iban", Ty::Str, "IBAN printed for payment.").fill(Fill::Str(""));
const BIC: Param = opt("bic", Ty::Str, "BIC printed for payment.").fill(Fill::Str(""));
const CREATE_QR: Param = opt("create_qr", Ty::Bool, "Print a payment QR code (GiroCode).")
    .body("createQr")
    .fill(Fill::Bool(false));
const COLOR_SCHEMA: Param = opt("color_schema", Ty::Str, "Accent colour as hex, e.g. #FFFFFF.")
    .body("colorSchema")
    .fill(Fill::Str("#FFFFFF"));
const FONT: Param = opt("font", Ty::Str, "Font of the document.").fill(Fill::Str("Plus Jakarta Sans"));
const IS_TO_SEND: Param = opt(
    "is_to_send",
    Ty::Bool,
    "true to e-mail the invoice to the customer right away; false keeps it as a draft.",
)
.body("isToSend")
.fill(Fill::Bool(false));
const SETTINGS_ON_OVERDUE: Param = opt(
    "settings_on_overdue",
    Ty::Object,
    "Automatic reminders: {isToAutosendNotification, notifyAfterDays: [int], notifyInParticularDays: [YYYY-MM-DD], customEmailSubject, customEmailBody}. Off if omitted.",
)
.body("settingsOnOverdue");
const SERVICE_START: Param = opt(
    "service_start_date",
    Ty::Date,
    "Start of the service period (SERVICES only), YYYY-MM-DD; defaults to the issue date.",
)
.body("serviceStartDate");
const SERVICE_END: Param = opt(
    "service_end_date",
    Ty::Date,
    "End of the service period (SERVICES only), YYYY-MM-DD; defaults to 30 days after the start.",
)
.body("serviceEndDate");
const DELIVERY_DATE: Param =
    opt("delivery_date", Ty::Date, "Delivery date (GOODS only), YYYY-MM-DD; defaults to the issue date.")
        .body("deliveryDate");
const SUBJECT: Param = req("subject", Ty::Str, "E-mail subject.");
const MAIL_BODY: Param = req("body", Ty::Str, "E-mail text.");
const ADDITIONAL_EMAILS: Param =
    opt("additional_emails", Ty::StrList, "Further recipients (e-mail addresses).")
        .body("additionalEmails")
        .truthy();
const IS_SEND_TO_COMPANY: Param =
    opt("is_send_to_company", Ty::Bool, "Also send a copy to the company's own address.")
        .body("isSendToCompany")
        .fill(Fill::Bool(false));
const CUSTOM_CLIENT_EMAIL: Param =
    opt("custom_client_email", Ty::Str, "Send to this address instead of the customer's stored one.")
        .body("customClientEmail")
        .truthy();

// ---- transactions and attachments ----

const TRANSACTION_ID: Param =
    req("transaction_id", Ty::Id, "The transaction's id (publicId), as search_transactions shows it.")
        .body("transaction");
const VAT_RATE: Param = opt("vat_rate", Ty::IntChoice(VAT_RATES), "VAT percent: 0, 7 or 19.").body("vatRate");
const SALE_TYPE: Param = opt("sale_type", Ty::Choice(SALE_TYPES), "GOODS or SERVICES.").body("saleType");
const SUPPLIER_COUNTRY: Param = opt(
    "supplier_country",
    Ty::Choice(SUPPLIER_COUNTRIES),
    "Where the other party sits: DE (Germany), INSIDE_EU or OUTSIDE_EU; decides the VAT treatment.",
)
.body("supplierCountry");
const PAYMENT_DATE: Param =
    opt("payment_date", Ty::Date, "When it was paid, YYYY-MM-DD.").body("paymentDate");
const PAYMENT_TYPE: Param =
    opt("payment_type", Ty::Str, "How it was paid, e.g. BANK, CASH or NOT_PAID.").body("paymentType");
const COMPANY_CATEGORY: Param = opt(
    "company_category_id",
    Ty::Str,
    "The company's own chart-of-accounts category (SME companies), by id.",
)
.body("companyCategory");

pub(super) static TOOLS: &[Spec] = &[
    // ======== clients ========
    Spec {
        name: "list_clients",
        doc: "List the company's customers (clients) with their ids, names, type, contact and address data. Use the ids with get_client, update_client or create_invoice.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/clients/",
        params: &[],
        hook: Hook::None,
    },
    Spec {
        name: "get_client",
        doc: "Show one customer (client) of the company with all stored details.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/clients/{client_id}/",
        params: &[CLIENT_ID],
        hook: Hook::None,
    },
    Spec {
        name: "create_client",
        doc: "Create a customer (client) record that invoices can be addressed to. Returns the new client with its id. Calling twice creates two clients.",
        hints: CREATE,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/clients/",
        params: &[
            req("name", Ty::Str, "Company or person name."),
            opt("client_type", Ty::Choice(CLIENT_TYPES), "business (a company) or private (a person).")
                .body("clientType")
                .fill(Fill::Str("business")),
            ADDRESS,
            ZIP_CODE,
            EMAIL,
            COUNTRY,
            VAT_NUMBER,
            CITY,
            PHONE,
        ],
        hook: Hook::None,
    },
    Spec {
        name: "update_client",
        doc: "Change fields of an existing customer (client); only the fields given are changed, the previous values are overwritten. With no field given it shows the client unchanged.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/companies/{cid}/clients/{client_id}/",
        params: &[
            CLIENT_ID,
            CLIENT_NAME_OPT,
            CLIENT_TYPE_OPT,
            ADDRESS,
            ZIP_CODE,
            EMAIL,
            COUNTRY,
            VAT_NUMBER,
            CITY,
            PHONE,
        ],
        hook: Hook::UpdateOrShow,
    },
    Spec {
        name: "delete_client",
        doc: "Delete a customer (client) record for good.",
        hints: DELETE,
        verb: Verb::Delete,
        path: "api/v1/companies/{cid}/clients/{client_id}/",
        params: &[CLIENT_ID],
        hook: Hook::None,
    },
    // ======== company ========
    Spec {
        name: "get_company_details",
        doc: "Show the profile of the company this login belongs to: name, legal form, address, tax and VAT numbers, tax state (federal state code), chart of accounts (SKR03/SKR04), DATEV numbers, bank details.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/",
        params: &[],
        hook: Hook::None,
    },
    Spec {
        name: "get_company_balance",
        doc: "Show the company's current account balance in euros, with total income and expenses.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/balance/",
        params: &[],
        hook: Hook::None,
    },
    Spec {
        name: "update_company_details",
        doc: "Change fields of the company profile; only the fields given are changed, the previous values are overwritten. With no field given it shows the profile unchanged.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/companies/{cid}/",
        params: &[
            opt("name", Ty::Str, "Company name.").truthy(),
            opt("profession", Ty::Str, "Profession or line of business.").truthy(),
            ADDRESS,
            ZIP_CODE,
            CITY,
            COUNTRY,
            opt("vat_id", Ty::Str, "VAT identification number (USt-IdNr.), e.g. DE123456789.")
                .body("vatNumber")
                .truthy(),
            opt("tax_id", Ty::Str, "Tax number (Steuernummer) from the tax office, e.g. 37/123/45678.")
                .body("taxNumber")
                .truthy(),
            opt("phone", Ty::Str, "Phone number.").body("phoneNumber").truthy(),
            opt(
                "tax_state",
                Ty::Str,
                "Federal state of the tax office as a code, e.g. BE or BY (see list_tax_states).",
            )
            .body("taxState")
            .truthy(),
            opt("activity_start", Ty::Date, "Start of business activity, YYYY-MM-DD.")
                .body("activityStart")
                .truthy(),
            opt("chart_of_accounts", Ty::Choice(CHARTS), "Chart of accounts: skr03 or skr04.")
                .body("chartOfAccounts")
                .truthy(),
            opt("datev_advisor_number", Ty::Str, "DATEV consultant number of the tax advisor.")
                .body("datevAdvisorNumber"),
            opt("datev_client_number", Ty::Str, "DATEV client number of the company.")
                .body("datevClientNumber"),
        ],
        hook: Hook::UpdateOrShow,
    },
    // ======== documents ========
    Spec {
        name: "upload_bulk_attachments",
        doc: "Upload several receipts or invoices at once; Norman stores them and matches them to bank transactions automatically. Give the files as base64 (files_base64) and/or as https URLs that this server downloads (file_urls). Up to {max_files} files of at most {max_mib} MiB each and {max_total_mib} MiB together; private or local network addresses are refused.",
        hints: CREATE_OUTSIDE,
        verb: Verb::Post,
        path: "api/v1/accounting/transactions/upload-documents/",
        params: &[
            opt("file_urls", Ty::StrList, "https URLs of the files to download and upload.").hook(),
            opt("files_base64", Ty::Files, "Files as base64: [{file_name, content}].").hook(),
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
    },
    Spec {
        name: "list_attachments",
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
    },
    Spec {
        name: "create_attachment",
        doc: "Upload one document (receipt, invoice, contract) with its bookkeeping data, optionally linked to transactions. Give the file either as base64 (file_content_base64 with file_name) or as an https URL this server downloads (file_url); at most {max_mib} MiB, private or local network addresses are refused. Amounts are in the document's currency (euros by default). Returns the stored document with a temporary downloadUrl.",
        hints: CREATE_OUTSIDE,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/attachments/",
        params: &[
            opt("file_url", Ty::Str, "https URL of the file to download.").hook(),
            opt("file_content_base64", Ty::Str, "The file as base64 (a data: URI prefix is fine).").hook(),
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
    },
    Spec {
        name: "link_attachment_transaction",
        doc: "Link a stored document (attachment) to a bank transaction, e.g. a receipt to the payment. Linking again changes nothing.",
        hints: LINK,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/attachments/{attachment_id}/link-transaction/",
        params: &[
            req("attachment_id", Ty::Id, "The document's id (publicId), as list_attachments shows it.")
                .path(),
            TRANSACTION_ID,
        ],
        hook: Hook::None,
    },
    // ======== invoices ========
    Spec {
        name: "create_invoice",
        doc: "Create an invoice for a customer. Item rates are in cents. Without invoice_number the next free number is used; dates default to today (issue) and 30 days later (due). With is_to_send=true Norman e-mails it to the customer at once (mailing_data sets subject and text). Returns the invoice with a temporary PDF link (downloadUrl).",
        hints: CREATE_OUTSIDE,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/invoices/",
        params: &[
            INVOICE_CLIENT,
            ITEMS,
            opt("invoice_number", Ty::Str, "Invoice number; the next free one if omitted.")
                .body("invoiceNumber"),
            ISSUED,
            DUE_TO,
            CURRENCY,
            PAYMENT_TERMS,
            NOTES,
            LANGUAGE,
            INVOICE_TYPE,
            IS_VAT_INCLUDED,
            BANK_NAME,
            IBAN,
            BIC,
            CREATE_QR,
            COLOR_SCHEMA,
            FONT,
            IS_TO_SEND,
            opt("mailing_data", Ty::Object, "With is_to_send: {emailSubject, emailBody, customClientEmail}.")
                .body("mailingData")
                .truthy(),
            SETTINGS_ON_OVERDUE,
            SERVICE_START,
            SERVICE_END,
            DELIVERY_DATE,
        ],
        hook: Hook::Invoice { recurring: false },
    },
    Spec {
        name: "create_recurring_invoice",
        doc: "Set up a recurring invoice that Norman issues on a schedule (every frequency_unit weeks or months from starts_from_date). It ends on ends_on_date or after ends_on_invoice_count invoices (3 if neither is given). Item rates are in cents. Returns the first invoice with a temporary PDF link.",
        hints: CREATE_OUTSIDE,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/recurring-invoices/",
        params: &[
            INVOICE_CLIENT,
            ITEMS,
            req("frequency_type", Ty::Choice(FREQUENCIES), "weekly or monthly.").body("frequencyType"),
            req("frequency_unit", Ty::Int, "Every how many weeks or months, e.g. 1.").body("frequencyUnit"),
            req("starts_from_date", Ty::Date, "First issue date, YYYY-MM-DD.").body("startsFromDate"),
            opt("ends_on_date", Ty::Date, "Last possible issue date, YYYY-MM-DD.")
                .body("endsOnDate")
                .truthy(),
            opt("ends_on_invoice_count", Ty::Int, "Stop after this many invoices.")
                .body("endsOnInvoiceCount")
                .truthy(),
            opt("invoice_number", Ty::Str, "Number of the first invoice; the next free one if omitted.")
                .body("invoiceNumber"),
            opt(
                "issued",
                Ty::Date,
                "Issue date of the first invoice, YYYY-MM-DD; starts_from_date if omitted.",
            )
            .body("issued"),
            DUE_TO,
            CURRENCY,
            PAYMENT_TERMS,
            NOTES,
            LANGUAGE,
            INVOICE_TYPE,
            IS_VAT_INCLUDED,
            BANK_NAME,
            IBAN,
            BIC,
            CREATE_QR,
            COLOR_SCHEMA,
            FONT,
            IS_TO_SEND,
            SETTINGS_ON_OVERDUE,
            SERVICE_START,
            SERVICE_END,
            DELIVERY_DATE,
        ],
        hook: Hook::Invoice { recurring: true },
    },
    Spec {
        name: "get_invoice",
        doc: "Show one invoice with its items, totals (in euros), status and customer, plus a temporary PDF link (downloadUrl) when a PDF exists.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/",
        params: &[INVOICE_ID],
        hook: Hook::InvoicePdf,
    },
    Spec {
        name: "send_invoice",
        doc: "E-mail an invoice to the customer (and any additional recipients). Every call sends another e-mail.",
        hints: SEND,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/send/",
        params: &[INVOICE_ID, SUBJECT, MAIL_BODY, ADDITIONAL_EMAILS, IS_SEND_TO_COMPANY, CUSTOM_CLIENT_EMAIL],
        hook: Hook::None,
    },
    Spec {
        name: "send_invoice_overdue_reminder",
        doc: "E-mail a payment reminder for an overdue invoice to the customer. Every call sends another e-mail.",
        hints: SEND,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/send-on-overdue/",
        params: &[INVOICE_ID, SUBJECT, MAIL_BODY, ADDITIONAL_EMAILS, IS_SEND_TO_COMPANY, CUSTOM_CLIENT_EMAIL],
        hook: Hook::None,
    },
    Spec {
        name: "link_transaction",
        doc: "Link a bank transaction (the payment) to an invoice. Linking again changes nothing.",
        hints: LINK,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/link-transaction/",
        params: &[INVOICE_ID, TRANSACTION_ID],
        hook: Hook::None,
    },
    Spec {
        name: "get_einvoice_xml",
        doc: "Get the e-invoice XML (XRechnung / ZUGFeRD) of an invoice, returned as {\"xml_content\": \"...\"}.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/xml/",
        params: &[INVOICE_ID],
        hook: Hook::XmlText,
    },
    Spec {
        name: "list_invoices",
        doc: "List the company's invoices, newest first, with status, customer and totals (in euros). All filters are optional.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/invoices/",
        params: &[
            opt("status", Ty::Choice(INVOICE_STATUSES), "Only invoices with this status.")
                .query("status")
                .truthy(),
            opt("name", Ty::Str, "Part of the customer name or invoice number.").query("name").truthy(),
            opt("from_date", Ty::Date, "Issued on or after, YYYY-MM-DD.").query("dateFrom").truthy(),
            opt("to_date", Ty::Date, "Issued on or before, YYYY-MM-DD.").query("dateTo").truthy(),
            opt("limit", Ty::Int, "Most invoices to return.").query("limit").truthy().fill(Fill::Int(100)),
        ],
        hook: Hook::None,
    },
    // ======== taxes ========
    Spec {
        name: "list_tax_reports",
        doc: "List the company's tax reports (VAT returns, trade and corporate/income tax returns) with type, period, status (draft, pending, submitted, filed), due date and amount in euros.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/taxes/reports/",
        params: &[],
        hook: Hook::None,
    },
    Spec {
        name: "get_tax_report",
        doc: "Show one tax report, with a temporary download link (downloadUrl) to the filed PDF when there is one.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/taxes/reports/{report_id}/",
        params: &[
            req("report_id", Ty::Id, "The report's id (publicId), as list_tax_reports shows it.").path()
        ],
        hook: Hook::ReportFile,
    },
    Spec {
        name: "validate_tax_number",
        doc: "Check whether a German tax number (Steuernummer) has the right format for a federal state. Nothing is stored.",
        hints: READ,
        verb: Verb::Post,
        path: "api/v1/taxes/check-tax-number/",
        params: &[
            req("tax_number", Ty::Str, "The tax number, e.g. 37/123/45678."),
            req(
                "region_code",
                Ty::Str,
                "Two-letter federal state code, e.g. BE, BY, NW (see list_tax_states).",
            ),
        ],
        hook: Hook::None,
    },
    Spec {
        name: "generate_finanzamt_preview",
        doc: "Render a preview of a tax report as the tax office (Finanzamt) would receive it, before submitting: returns the first page as an image and a temporary PDF link (downloadUrl). Nothing is filed.",
        hints: READ,
        verb: Verb::Post,
        path: "api/v1/taxes/reports/{report_id}/generate-preview-url/",
        params: &[
            req("report_id", Ty::Id, "The report's id (publicId), as list_tax_reports shows it.").path()
        ],
        hook: Hook::PreviewImage,
    },
    Spec {
        name: "submit_tax_report",
        doc: "File a tax report with the tax office (Finanzamt) via ELSTER. This is a legal filing and cannot be undone: confirm with the user and check generate_finanzamt_preview first. Needs a paid Norman plan (HTTP 403 otherwise).",
        hints: FILE_WITH_AUTHORITY,
        verb: Verb::Post,
        path: "api/v1/taxes/reports/{report_id}/submit-report/",
        params: &[
            req("report_id", Ty::Id, "The report's id (publicId), as list_tax_reports shows it.").path()
        ],
        hook: Hook::ReportFile,
    },
    Spec {
        name: "list_tax_states",
        doc: "List the German federal states with the codes the tax tools use (e.g. BE for Berlin).",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/taxes/states/",
        params: &[],
        hook: Hook::None,
    },
    Spec {
        name: "list_tax_settings",
        doc: "List the company's tax settings (one per tax type) with VAT regime, VAT percent, reporting frequency and start date. Use the ids with update_tax_setting.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/taxes/tax-settings/",
        params: &[],
        hook: Hook::None,
    },
    Spec {
        name: "update_tax_setting",
        doc: "Change a tax setting; only the fields given are changed, the previous values are overwritten. With no field given it shows the setting unchanged.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/taxes/tax-settings/{setting_id}/",
        params: &[
            req("setting_id", Ty::Id, "The setting's id (publicId), as list_tax_settings shows it.").path(),
            opt("tax_type", Ty::Choice(TAX_TYPES), "sales (VAT), trade, income or profit_loss.")
                .body("taxType")
                .truthy(),
            opt(
                "vat_type",
                Ty::Choice(VAT_TYPES),
                "vat_subject, kleinunternehmer (small business, no VAT) or vat_exempt.",
            )
            .body("vatType")
            .truthy(),
            opt("vat_percent", Ty::Num, "Standard VAT percent: 0, 7 or 19.").body("vatPercent"),
            opt("start_tax_report_date", Ty::Date, "From when reports are made, YYYY-MM-DD.")
                .body("startTaxReportDate")
                .truthy(),
            opt("reporting_frequency", Ty::Choice(REPORTING_FREQUENCIES), "monthly, quarterly or yearly.")
                .body("reportingFrequency")
                .truthy(),
        ],
        hook: Hook::UpdateOrShow,
    },
    Spec {
        name: "get_company_tax_statistics",
        doc: "Show the company's tax figures so far: revenue, expenses, profit, VAT collected and paid, estimated tax, open invoices (amounts in euros).",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/company-tax-statistic/",
        params: &[],
        hook: Hook::None,
    },
    Spec {
        name: "get_vat_next_report",
        doc: "Show the VAT amount (in euros) due with the next VAT return, its period and due date.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/vat-next-report-amount/",
        params: &[],
        hook: Hook::None,
    },
    // ======== transactions ========
    Spec {
        name: "search_transactions",
        doc: "Search the company's bank and manual transactions, newest first. Amounts are in euros, income positive and expenses negative; the amount filters compare the absolute amount. All filters are optional.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/accounting/transactions/",
        params: &[
            opt("description", Ty::Str, "Part of the description.").query("description").truthy(),
            opt("from_date", Ty::Date, "On or after, YYYY-MM-DD.").query("dateFrom").truthy(),
            opt("to_date", Ty::Date, "On or before, YYYY-MM-DD.").query("dateTo").truthy(),
            opt("min_amount", Ty::Num, "Smallest amount in euros.").query("minAmount").truthy(),
            opt("max_amount", Ty::Num, "Largest amount in euros.").query("maxAmount").truthy(),
            opt("category", Ty::Str, "Part of the category name.").query("category_name").truthy(),
            opt("no_invoice", Ty::Bool, "true: only transactions without a linked invoice.")
                .query("noInvoice")
                .truthy(),
            opt("no_receipt", Ty::Bool, "true: only transactions without a receipt or other document.")
                .query("noAttachment")
                .truthy(),
            opt("status", Ty::Choice(TRANSACTION_STATUSES), "UNVERIFIED (open) or VERIFIED (booked).")
                .query("status")
                .truthy(),
            opt("cashflow_type", Ty::Choice(CASHFLOW), "INCOME or EXPENSE.").query("cashflowType").truthy(),
            opt("limit", Ty::Int, "Most transactions to return.").query("limit").truthy(),
        ],
        hook: Hook::None,
    },
    Spec {
        name: "create_transaction",
        doc: "Record a manual transaction (e.g. a cash payment). amount is in euros; its sign is set from cashflow_type (income positive, expense negative). The date defaults to today.",
        hints: CREATE,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/accounting/transactions/",
        params: &[
            req("amount", Ty::Num, "Amount in euros, e.g. 59.99."),
            req("description", Ty::Str, "What it was for."),
            req("cashflow_type", Ty::Choice(CASHFLOW), "INCOME or EXPENSE.").body("cashflowType"),
            req(
                "supplier_country",
                Ty::Choice(SUPPLIER_COUNTRIES),
                "Where the other party sits: DE, INSIDE_EU or OUTSIDE_EU.",
            )
            .body("supplierCountry"),
            opt("category_id", Ty::Str, "Bookkeeping category id (from categorize_transaction).")
                .body("category_id")
                .truthy(),
            COMPANY_CATEGORY.truthy(),
            VAT_RATE,
            SALE_TYPE,
            opt("date", Ty::Date, "Value date, YYYY-MM-DD; today if omitted.").body("valueDate"),
            PAYMENT_DATE.truthy(),
            PAYMENT_TYPE.truthy(),
        ],
        hook: Hook::SignedAmount,
    },
    Spec {
        name: "update_transaction",
        doc: "Change fields of a transaction (category, VAT, date, amount, ...); only the fields given are changed, the previous values are overwritten. amount is in euros; its sign follows cashflow_type (or the transaction's current direction).",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/companies/{cid}/accounting/transactions/{transaction_id}/",
        params: &[
            req(
                "transaction_id",
                Ty::Id,
                "The transaction's id (publicId), as search_transactions shows it.",
            )
            .path(),
            opt("amount", Ty::Num, "Amount in euros."),
            opt("description", Ty::Str, "New description."),
            opt("category", Ty::Str, "Bookkeeping category id."),
            opt("date", Ty::Date, "Value date, YYYY-MM-DD.").body("valueDate"),
            VAT_RATE,
            SALE_TYPE,
            SUPPLIER_COUNTRY,
            opt("cashflow_type", Ty::Choice(CASHFLOW), "INCOME or EXPENSE.").body("cashflowType"),
            opt("category_id", Ty::Str, "Bookkeeping category id; wins over category.").body("category"),
            COMPANY_CATEGORY,
            PAYMENT_DATE,
            PAYMENT_TYPE,
        ],
        hook: Hook::SignedAmountUpdate,
    },
    Spec {
        name: "categorize_transaction",
        doc: "Ask Norman's assistant which bookkeeping category fits a transaction; returns a suggestion with confidence and alternatives. Nothing is changed: apply it with update_transaction.",
        hints: READ,
        verb: Verb::Post,
        path: "api/v1/assistant/detect-category/",
        params: &[
            req("transaction_amount", Ty::Num, "Amount in euros."),
            req("transaction_description", Ty::Str, "The transaction's description or counterparty."),
            req("transaction_type", Ty::Choice(DIRECTIONS), "income or expense."),
        ],
        hook: Hook::None,
    },
];
