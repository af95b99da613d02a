//! The tool names the catalogue's tests expect, by tool set, written once for every area.

/// The first catalogue: clients, company, attachments, invoices, taxes, transactions.
pub const FIRST_TOOLS: [&str; 34] = [
    "list_clients",
    "get_client",
    "create_client",
    "update_client",
    "delete_client",
    "get_company_details",
    "get_company_balance",
    "update_company_details",
    "upload_bulk_attachments",
    "list_attachments",
    "create_attachment",
    "link_attachment_transaction",
    "create_invoice",
    "create_recurring_invoice",
    "get_invoice",
    "send_invoice",
    "send_invoice_overdue_reminder",
    "link_transaction",
    "get_einvoice_xml",
    "list_invoices",
    "list_tax_reports",
    "get_tax_report",
    "validate_tax_number",
    "generate_finanzamt_preview",
    "submit_tax_report",
    "list_tax_states",
    "list_tax_settings",
    "update_tax_setting",
    "get_company_tax_statistics",
    "get_vat_next_report",
    "search_transactions",
    "create_transaction",
    "update_transaction",
    "categorize_transaction",
];

/// The earlier server's tools §3.1–§3.11 of the API notes that the first catalogue did not
/// have (`list_companies` and `switch_company` are in `tests/it/companies.rs`).
pub const NEW_TOOLS: [&str; 32] = [
    "get_invoice_preview",
    "create_offer",
    "list_offers",
    "get_offer",
    "send_offer",
    "convert_offer_to_invoice",
    "change_transaction_verification",
    "delete_attachment",
    "get_attachment_preview",
    "trigger_datev_export",
    "list_vendors",
    "get_vendor",
    "create_vendor",
    "update_vendor",
    "delete_vendor",
    "list_bills",
    "get_bill",
    "update_bill",
    "mark_bill_paid",
    "pay_bill",
    "delete_bill",
    "list_company_categories",
    "list_coa_templates",
    "search_skr_by_code",
    "suggest_skr_category",
    "create_company_category",
    "list_tax_advisor_clients",
    "get_client_overview",
    "get_missing_documents_summary",
    "get_tax_compliance_status",
    "ping_client_for_documents",
    "request_file_upload",
];

/// The companies a login may act on (`tests/it/companies.rs`).
pub const COMPANY_TOOLS: [&str; 2] = ["list_companies", "switch_company"];

pub const INCORPORATION_TOOLS: [&str; 18] = [
    "get_incorporation",
    "get_incorporation_choices",
    "create_incorporation",
    "update_incorporation_company",
    "update_incorporation_capital",
    "add_incorporation_shareholder",
    "update_incorporation_shareholder",
    "invite_incorporation_shareholder",
    "remove_incorporation_shareholder",
    "set_incorporation_agreement",
    "update_incorporation_notary_preferences",
    "generate_incorporation_documents",
    "get_incorporation_document_preview",
    "match_incorporation_notaries",
    "request_incorporation_notary",
    "suggest_incorporation_purpose",
    "check_incorporation_name",
    "complete_incorporation_step",
];

pub const GEWERBE_TOOLS: [&str; 10] = [
    "get_gewerbe_registration",
    "get_gewerbe_registration_choices",
    "create_gewerbe_registration",
    "update_gewerbe_basic",
    "update_gewerbe_business",
    "update_gewerbe_owner",
    "suggest_gewerbe_activity",
    "generate_gewerbe_document",
    "get_gewerbe_document_preview",
    "get_gewerbe_trade_office",
];

pub const CORPORATE_TAX_TOOLS: [&str; 9] = [
    "get_corporate_tax_registration",
    "get_corporate_tax_registration_choices",
    "create_corporate_tax_registration",
    "update_corporate_company",
    "update_corporate_registration_details",
    "set_corporate_people",
    "update_corporate_financials",
    "update_corporate_vat_and_bank",
    "get_corporate_submission_link",
];

/// The founding tool set: incorporation, trade registration, corporate tax questionnaire.
pub fn founding_tools() -> impl Iterator<Item = &'static str> {
    INCORPORATION_TOOLS.into_iter().chain(GEWERBE_TOOLS).chain(CORPORATE_TAX_TOOLS)
}
