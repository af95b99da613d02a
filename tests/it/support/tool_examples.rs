//! One realistic call of every tool, for the first demo user (Muster Design GmbH) of a fresh
//! sandbox, in an order that works when run top to bottom: reads first, then writes, the
//! irreversible ones (filing a tax report, deleting a client) last. Used by `tools` through
//! the catalogue and by `mcp` over MCP.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use norman_sandbox::{DEMO_USERS, seeded_id};
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
        // documents
        ("list_attachments", json!({ "attachment_type": "invoice" })),
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
        ("delete_client", json!({ "client_id": id("cli", 2) })),
    ]
}
