//! Parameters and choice lists that several tools of the table share.

use super::super::spec::{Fill, Param, Ty, opt, req};

pub(super) const CLIENT_TYPES: &[&str] = &["business", "private"];
pub(super) const CASHFLOW: &[&str] = &["INCOME", "EXPENSE"];
pub(super) const SUPPLIER_COUNTRIES: &[&str] = &["DE", "INSIDE_EU", "OUTSIDE_EU"];
pub(super) const SALE_TYPES: &[&str] = &["GOODS", "SERVICES"];
pub(super) const VAT_RATES: &[i64] = &[0, 7, 19];
pub(super) const ATTACHMENT_TYPES: &[&str] = &["invoice", "receipt", "contract", "other"];
/// What the files of an upload link are: `request_file_upload`'s `document_type`.
pub(super) const UPLOAD_DOCUMENT_TYPES: &[&str] = &["receipt", "bill", "invoice"];
pub(super) const INVOICE_STATUSES: &[&str] =
    &["draft", "pending", "sent", "paid", "overdue", "uncollectible"];
pub(super) const CURRENCIES: &[&str] = &["EUR", "USD"];
pub(super) const LANGUAGES: &[&str] = &["en", "de"];
pub(super) const INVOICE_TYPES: &[&str] = &["SERVICES", "GOODS"];
pub(super) const FREQUENCIES: &[&str] = &["weekly", "monthly"];
pub(super) const TRANSACTION_STATUSES: &[&str] = &["UNVERIFIED", "VERIFIED"];
pub(super) const TAX_TYPES: &[&str] = &["sales", "trade", "income", "profit_loss"];
pub(super) const VAT_TYPES: &[&str] = &["vat_subject", "kleinunternehmer", "vat_exempt"];
pub(super) const REPORTING_FREQUENCIES: &[&str] = &["monthly", "quarterly", "yearly"];
pub(super) const CHARTS: &[&str] = &["skr03", "skr04"];
pub(super) const DIRECTIONS: &[&str] = &["income", "expense"];

// ---- clients ----

pub(super) const CLIENT_ID: Param =
    req("client_id", Ty::Id, "The client's id (publicId), as list_clients shows it.").path();
pub(super) const CLIENT_NAME_OPT: Param = opt("name", Ty::Str, "Company or person name.").truthy();
pub(super) const CLIENT_TYPE_OPT: Param =
    opt("client_type", Ty::Choice(CLIENT_TYPES), "business (a company) or private (a person).")
        .body("clientType")
        .truthy();
pub(super) const ADDRESS: Param = opt("address", Ty::Str, "Street and house number.").truthy();
pub(super) const ZIP_CODE: Param = opt("zip_code", Ty::Str, "Postal code.").body("zipCode").truthy();
pub(super) const EMAIL: Param = opt("email", Ty::Str, "E-mail address invoices are sent to.").truthy();
pub(super) const COUNTRY: Param =
    opt("country", Ty::Str, "ISO 3166 two-letter country code, e.g. DE, AT, FR.").truthy();
pub(super) const VAT_NUMBER: Param =
    opt("vat_number", Ty::Str, "VAT identification number, e.g. DE123456789.").body("vatNumber").truthy();
pub(super) const CITY: Param = opt("city", Ty::Str, "City.").truthy();
pub(super) const PHONE: Param = opt("phone", Ty::Str, "Phone number.").truthy();

// ---- invoices ----

pub(super) const INVOICE_ID: Param =
    req("invoice_id", Ty::Id, "The invoice's id (publicId), as list_invoices shows it.").path();
pub(super) const INVOICE_CLIENT: Param =
    req("client_id", Ty::Id, "The customer's id (publicId) from list_clients or create_client.")
        .body("client");
pub(super) const ITEMS: Param = req(
    "items",
    Ty::Items,
    "Line items: [{name, quantity, rate, vatRate}]. rate is the unit price in cents (1250 = 12.50), vatRate 0, 7 or 19 (default 19).",
)
.body("invoicedItems");
pub(super) const ISSUED: Param =
    opt("issued", Ty::Date, "Issue date, YYYY-MM-DD; today if omitted.").body("issued");
pub(super) const DUE_TO: Param =
    opt("due_to", Ty::Date, "Due date, YYYY-MM-DD; 30 days after the issue date if omitted.").body("dueTo");
pub(super) const CURRENCY: Param =
    opt("currency", Ty::Choice(CURRENCIES), "Currency.").fill(Fill::Str("EUR"));
pub(super) const PAYMENT_TERMS: Param =
    opt("payment_terms", Ty::Str, "Payment terms printed on the invoice.")
        .body("paymentTerms")
        .fill(Fill::Str(""));
pub(super) const NOTES: Param = opt("notes", Ty::Str, "Notes printed on the invoice.").fill(Fill::Str(""));
pub(super) const LANGUAGE: Param =
    opt("language", Ty::Choice(LANGUAGES), "Language of the document.").fill(Fill::Str("en"));
pub(super) const INVOICE_TYPE: Param = opt(
    "invoice_type",
    Ty::Choice(INVOICE_TYPES),
    "SERVICES (uses the service period) or GOODS (uses the delivery date).",
)
.body("invoiceType")
.fill(Fill::Str("SERVICES"));
pub(super) const IS_VAT_INCLUDED: Param =
    opt("is_vat_included", Ty::Bool, "true if the item rates already include VAT (gross prices).")
        .body("isVatIncluded")
        .fill(Fill::Bool(false));
pub(super) const BANK_NAME: Param =
    opt("bank_name", Ty::Str, "Bank name printed for payment.").body("bankName").fill(Fill::Str(""));
pub(super) const IBAN: Param = opt("iban", Ty::Str, "IBAN printed for payment.").fill(Fill::Str(""));
pub(super) const BIC: Param = opt("bic", Ty::Str, "BIC printed for payment.").fill(Fill::Str(""));
pub(super) const CREATE_QR: Param = opt("create_qr", Ty::Bool, "Print a payment QR code (GiroCode).")
    .body("createQr")
    .fill(Fill::Bool(false));
pub(super) const COLOR_SCHEMA: Param = opt("color_schema", Ty::Str, "Accent colour as hex, e.g. #FFFFFF.")
    .body("colorSchema")
    .fill(Fill::Str("#FFFFFF"));
pub(super) const FONT: Param =
    opt("font", Ty::Str, "Font of the document.").fill(Fill::Str("Plus Jakarta Sans"));
pub(super) const IS_TO_SEND: Param = opt(
    "is_to_send",
    Ty::Bool,
    "true to e-mail the invoice to the customer right away; false keeps it as a draft.",
)
.body("isToSend")
.fill(Fill::Bool(false));
pub(super) const SETTINGS_ON_OVERDUE: Param = opt(
    "settings_on_overdue",
    Ty::Object,
    "Automatic reminders: {isToAutosendNotification, notifyAfterDays: [int], notifyInParticularDays: [YYYY-MM-DD], customEmailSubject, customEmailBody}. Off if omitted.",
)
.body("settingsOnOverdue");
pub(super) const SERVICE_START: Param = opt(
    "service_start_date",
    Ty::Date,
    "Start of the service period (SERVICES only), YYYY-MM-DD; defaults to the issue date.",
)
.body("serviceStartDate");
pub(super) const SERVICE_END: Param = opt(
    "service_end_date",
    Ty::Date,
    "End of the service period (SERVICES only), YYYY-MM-DD; defaults to 30 days after the start.",
)
.body("serviceEndDate");
pub(super) const DELIVERY_DATE: Param =
    opt("delivery_date", Ty::Date, "Delivery date (GOODS only), YYYY-MM-DD; defaults to the issue date.")
        .body("deliveryDate");
pub(super) const SUBJECT: Param = req("subject", Ty::Str, "E-mail subject.");
pub(super) const MAIL_BODY: Param = req("body", Ty::Str, "E-mail text.");
pub(super) const ADDITIONAL_EMAILS: Param =
    opt("additional_emails", Ty::StrList, "Further recipients (e-mail addresses).")
        .body("additionalEmails")
        .truthy();
pub(super) const IS_SEND_TO_COMPANY: Param =
    opt("is_send_to_company", Ty::Bool, "Also send a copy to the company's own address.")
        .body("isSendToCompany")
        .fill(Fill::Bool(false));
pub(super) const CUSTOM_CLIENT_EMAIL: Param =
    opt("custom_client_email", Ty::Str, "Send to this address instead of the customer's stored one.")
        .body("customClientEmail")
        .truthy();

// ---- transactions and attachments ----

pub(super) const TRANSACTION_ID: Param =
    req("transaction_id", Ty::Id, "The transaction's id (publicId), as search_transactions shows it.")
        .body("transaction");
pub(super) const VAT_RATE: Param =
    opt("vat_rate", Ty::IntChoice(VAT_RATES), "VAT percent: 0, 7 or 19.").body("vatRate");
pub(super) const SALE_TYPE: Param =
    opt("sale_type", Ty::Choice(SALE_TYPES), "GOODS or SERVICES.").body("saleType");
pub(super) const SUPPLIER_COUNTRY: Param = opt(
    "supplier_country",
    Ty::Choice(SUPPLIER_COUNTRIES),
    "Where the other party sits: DE (Germany), INSIDE_EU or OUTSIDE_EU; decides the VAT treatment.",
)
.body("supplierCountry");
pub(super) const PAYMENT_DATE: Param =
    opt("payment_date", Ty::Date, "When it was paid, YYYY-MM-DD.").body("paymentDate");
pub(super) const PAYMENT_TYPE: Param =
    opt("payment_type", Ty::Str, "How it was paid, e.g. BANK, CASH or NOT_PAID.").body("paymentType");
pub(super) const COMPANY_CATEGORY: Param = opt(
    "company_category_id",
    Ty::Str,
    "The company's own chart-of-accounts category (SME companies), by id.",
)
.body("companyCategory");

// ---- vendors and bills ----

pub(super) const BILL_STATUSES: &[&str] = &["OPEN", "PENDING", "PAID"];

pub(super) const VENDOR_ID: Param =
    req("vendor_id", Ty::Id, "The supplier's id (publicId), as list_vendors shows it.").path();
pub(super) const BILL_ID: Param =
    req("bill_id", Ty::Id, "The bill's id (publicId), as list_bills shows it.").path();

// ---- offers ----

pub(super) const OFFER_STATUSES: &[&str] = &["draft", "pending", "saved", "sent", "approved"];

pub(super) const OFFER_ID: Param =
    req("offer_id", Ty::Id, "The quote's id (publicId), as list_offers shows it.").path();

// ---- tax advisor ----

pub(super) const CLIENT_COMPANY: Param =
    req("company_id", Ty::Id, "The client company's id (public_id), as list_tax_advisor_clients shows it.")
        .path();
