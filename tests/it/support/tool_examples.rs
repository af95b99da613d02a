//! One realistic call of every tool, for the first demo user (Muster Design GmbH) of a fresh
//! sandbox, in an order that works when run top to bottom: reads first, then writes, the
//! irreversible ones (filing a tax report, paying a bill, deleting) last. Used by `tools` through
//! the catalogue and by `mcp` over MCP. The tax-advisor tools have theirs in
//! [`advisor_examples`], for the tax advisor's login.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use norman_sandbox::{DEMO_USERS, TAX_ADVISOR_CLIENTS, seeded_id};
use serde_json::{Value, json};

/// A tiny but well-formed PDF, as uploads carry.
pub const SMALL_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// The id of the `n`-th seeded object of a kind in the first demo company.
pub fn id(prefix: &str, n: usize) -> String {
    seeded_id(prefix, DEMO_USERS[0].company_id, n)
}

pub fn examples() -> Vec<(&'static str, Value)> {
    let pdf = STANDARD.encode(SMALL_PDF);
    vec![
        // company
        ("list_companies", json!({})),
        ("switch_company", json!({ "company_id": DEMO_USERS[0].company_id })),
        ("get_company_details", json!({})),
        ("get_company_balance", json!({})),
        // clients
        ("list_clients", json!({})),
        ("get_client", json!({ "client_id": id("cli", 0) })),
        (
            "create_client",
            json!({
                "name": "Fahrradladen Kettenblatt GmbH",
                "client_type": "business",
                "email": "rechnung@kettenblatt.de",
                "address": "Oranienstraße 40",
                "zip_code": "10999",
                "city": "Berlin",
                "country": "DE",
                "vat_number": "DE301234567",
                "phone": "+49 30 6123456",
            }),
        ),
        ("update_client", json!({ "client_id": id("cli", 1), "phone": "+49 221 4455667", "city": "Köln" })),
        // invoices
        ("list_invoices", json!({ "status": "overdue" })),
        ("get_invoice", json!({ "invoice_id": id("inv", 1) })),
        (
            "create_invoice",
            json!({
                "client_id": id("cli", 0),
                "items": [
                    { "name": "Webdesign Landingpage", "quantity": 12, "rate": 9500, "vatRate": 19 },
                    { "name": "Hosting Einrichtung", "quantity": 1, "rate": 15000 },
                ],
                "language": "de",
                "payment_terms": "Zahlbar innerhalb von 30 Tagen ohne Abzug.",
            }),
        ),
        (
            "create_recurring_invoice",
            json!({
                "client_id": id("cli", 1),
                "items": [{ "name": "Website-Wartung (Monatspauschale)", "quantity": 1, "rate": 45000, "vatRate": 19 }],
                "frequency_type": "monthly",
                "frequency_unit": 1,
                "starts_from_date": "2026-08-01",
                "ends_on_invoice_count": 6,
                "language": "de",
            }),
        ),
        (
            "send_invoice",
            json!({
                "invoice_id": id("inv", 2),
                "subject": "Invoice for the illustration package",
                "body": "Dear team, please find our invoice attached. Kind regards, Muster Design",
            }),
        ),
        (
            "send_invoice_overdue_reminder",
            json!({
                "invoice_id": id("inv", 1),
                "subject": "Zahlungserinnerung",
                "body": "Sehr geehrte Damen und Herren, unsere Rechnung ist seit einiger Zeit fällig.",
                "additional_emails": ["buchhaltung@weber-partner.de"],
            }),
        ),
        ("link_transaction", json!({ "invoice_id": id("inv", 2), "transaction_id": id("trx", 9) })),
        ("get_einvoice_xml", json!({ "invoice_id": id("inv", 0) })),
        ("get_invoice_preview", json!({ "invoice_id": id("inv", 3) })),
        // offers
        ("list_offers", json!({ "status": "sent" })),
        ("get_offer", json!({ "offer_id": id("quo", 4) })),
        (
            "create_offer",
            json!({
                "client_id": id("cli", 1),
                "items": [
                    { "name": "Konzeption Corporate Design", "quantity": 1, "rate": 180000, "vatRate": 19 },
                    { "name": "Reinzeichnung Geschäftsausstattung", "quantity": 6, "rate": 8500 },
                ],
                "valid_until": "2026-12-31",
                "language": "de",
                "notes": "Wir freuen uns auf die Zusammenarbeit.",
            }),
        ),
        (
            "send_offer",
            json!({
                "offer_id": id("quo", 6),
                "subject": "Ihr Angebot von Muster Design",
                "body": "Guten Tag, anbei unser Angebot. Es gilt 30 Tage. Viele Grüße, Muster Design",
            }),
        ),
        // transactions
        (
            "search_transactions",
            json!({ "cashflow_type": "EXPENSE", "from_date": "2026-01-01", "to_date": "2026-12-31", "limit": 20 }),
        ),
        (
            "create_transaction",
            json!({
                "amount": 23.5,
                "description": "Druckerpapier und Toner",
                "cashflow_type": "EXPENSE",
                "supplier_country": "DE",
                "vat_rate": 19,
                "sale_type": "GOODS",
                "date": "2026-06-20",
                "payment_type": "CASH",
            }),
        ),
        (
            "update_transaction",
            json!({ "transaction_id": id("trx", 4), "category_id": "cat_H4cMa7Pq3rGn", "vat_rate": 7 }),
        ),
        (
            "categorize_transaction",
            json!({
                "transaction_amount": 89.9,
                "transaction_description": "Deutsche Bahn Ticket Berlin-Hamburg",
                "transaction_type": "expense",
            }),
        ),
        ("change_transaction_verification", json!({ "transaction_id": id("trx", 8), "verify": true })),
        // vendors and bills
        ("list_vendors", json!({})),
        ("get_vendor", json!({ "vendor_id": id("ven", 1) })),
        (
            "create_vendor",
            json!({
                "name": "Papierwerk Hansen OHG",
                "iban": "DE89370400440532013000",
                "bic": "COBADEFFXXX",
                "email": "rechnung@papierwerk-hansen.de",
                "address": "Alsterdorfer Straße 12",
                "zip_code": "22299",
                "city": "Hamburg",
                "country": "DE",
                "vat_number": "DE276543210",
            }),
        ),
        (
            "update_vendor",
            json!({ "vendor_id": id("ven", 2), "email": "buchhaltung@druckerei-lindemann.de" }),
        ),
        ("list_bills", json!({ "status": "OPEN" })),
        ("get_bill", json!({ "bill_id": id("bill", 0) })),
        ("update_bill", json!({ "bill_id": id("bill", 1), "status": "OPEN" })),
        ("mark_bill_paid", json!({ "bill_id": id("bill", 4) })),
        // categories, SKR accounts and DATEV
        ("list_company_categories", json!({ "cashflow_type": "EXPENSE" })),
        ("list_coa_templates", json!({})),
        ("search_skr_by_code", json!({ "code": "68" })),
        ("suggest_skr_category", json!({ "query": "Bahnticket Dienstreise Hamburg" })),
        (
            "create_company_category",
            json!({
                "code": "6816",
                "name": "Printer supplies",
                "name_de": "Druckerzubehör",
                "cashflow_type": "EXPENSE",
                "description": "Toner, Patronen und Druckerpapier",
            }),
        ),
        ("trigger_datev_export", json!({ "date_from": "2026-01-01", "date_to": "2026-06-30" })),
        // documents
        ("list_attachments", json!({ "attachment_type": "invoice" })),
        ("get_attachment_preview", json!({ "attachment_id": id("att", 2) })),
        (
            "create_attachment",
            json!({
                "file_content_base64": format!("data:application/pdf;base64,{pdf}"),
                "file_name": "bahn-ticket-2026-02-12.pdf",
                "attachment_type": "receipt",
                "amount": 89.9,
                "vat_rate": 7,
                "vat_sum_amount": 5.88,
                "brand_name": "Deutsche Bahn",
                "value_date": "2026-02-12",
                "supplier_country": "DE",
                "transactions": [id("trx", 4)],
            }),
        ),
        (
            "request_file_upload",
            json!({ "transaction_id": id("trx", 4), "document_type": "receipt", "description": "Tankquittung vom 3. März" }),
        ),
        (
            "upload_bulk_attachments",
            json!({
                "files_base64": [
                    { "file_name": "quittung-tankstelle.pdf", "content": pdf },
                    { "file_name": "quittung-baumarkt.pdf", "content": pdf },
                ],
                "cashflow_type": "EXPENSE",
            }),
        ),
        (
            "link_attachment_transaction",
            json!({ "attachment_id": id("att", 3), "transaction_id": id("trx", 0) }),
        ),
        // taxes
        ("list_tax_reports", json!({})),
        ("get_tax_report", json!({ "report_id": id("txr", 0) })),
        ("validate_tax_number", json!({ "tax_number": "37/123/45678", "region_code": "BE" })),
        ("generate_finanzamt_preview", json!({ "report_id": id("txr", 1) })),
        ("list_tax_states", json!({})),
        ("list_tax_settings", json!({})),
        ("update_tax_setting", json!({ "setting_id": id("tset", 0), "reporting_frequency": "monthly" })),
        ("get_company_tax_statistics", json!({})),
        ("get_vat_next_report", json!({})),
        ("update_company_details", json!({ "phone": "+49 30 87654321", "datev_client_number": "10002" })),
        ("submit_tax_report", json!({ "report_id": id("txr", 1) })),
        ("convert_offer_to_invoice", json!({ "offer_id": id("quo", 5) })),
        (
            "pay_bill",
            json!({
                "bill_id": id("bill", 3),
                "account_id": id("bacc", 0),
                "purpose": "M-2026-07 Büromiete Juli 2026",
            }),
        ),
        ("delete_bill", json!({ "bill_id": id("bill", 2) })),
        ("delete_vendor", json!({ "vendor_id": id("ven", 3) })),
        ("delete_attachment", json!({ "attachment_id": id("att", 2) })),
        ("delete_client", json!({ "client_id": id("cli", 2) })),
    ]
}

/// The first client company of the tax advisor (Café Morgenrot GmbH).
pub const ADVISOR_CLIENT: &str = TAX_ADVISOR_CLIENTS[0].company_id;

/// One realistic call of every tax-advisor tool, for the tax advisor's login
/// (`norman_sandbox::TAX_ADVISOR`) of a fresh sandbox.
pub fn advisor_examples() -> Vec<(&'static str, Value)> {
    vec![
        ("list_tax_advisor_clients", json!({})),
        ("get_client_overview", json!({ "company_id": ADVISOR_CLIENT })),
        (
            "get_missing_documents_summary",
            json!({ "company_id": ADVISOR_CLIENT, "date_from": "2026-01-01", "date_to": "2026-06-30" }),
        ),
        ("get_tax_compliance_status", json!({ "company_id": TAX_ADVISOR_CLIENTS[1].company_id })),
        (
            "ping_client_for_documents",
            json!({
                "company_id": ADVISOR_CLIENT,
                "transaction_ids": [
                    seeded_id("trx", ADVISOR_CLIENT, 1),
                    seeded_id("trx", ADVISOR_CLIENT, 5),
                ],
            }),
        ),
    ]
}
