//! The invoices tools.

use super::super::spec::*;
use super::params::*;

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "create_invoice",
        title: "Create invoice",
        set: Toolset::Core,
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
        ..BASE
    },
    Spec {
        name: "create_recurring_invoice",
        title: "Create recurring invoice",
        set: Toolset::Core,
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
        ..BASE
    },
    Spec {
        name: "get_invoice",
        title: "Get invoice",
        set: Toolset::Core,
        doc: "Show one invoice with its items, totals (in euros), status and customer, plus a temporary PDF link (downloadUrl) when a PDF exists.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/",
        params: &[INVOICE_ID],
        hook: Hook::InvoicePdf,
        ..BASE
    },
    Spec {
        name: "send_invoice",
        title: "Send invoice",
        set: Toolset::Core,
        doc: "E-mail an invoice to the customer (and any additional recipients). Every call sends another e-mail.",
        hints: SEND,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/send/",
        params: &[INVOICE_ID, SUBJECT, MAIL_BODY, ADDITIONAL_EMAILS, IS_SEND_TO_COMPANY, CUSTOM_CLIENT_EMAIL],
        ..BASE
    },
    Spec {
        name: "send_invoice_overdue_reminder",
        title: "Send invoice overdue reminder",
        set: Toolset::Core,
        doc: "E-mail a payment reminder for an overdue invoice to the customer. Every call sends another e-mail.",
        hints: SEND,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/send-on-overdue/",
        params: &[INVOICE_ID, SUBJECT, MAIL_BODY, ADDITIONAL_EMAILS, IS_SEND_TO_COMPANY, CUSTOM_CLIENT_EMAIL],
        ..BASE
    },
    Spec {
        name: "link_transaction",
        title: "Link transaction",
        set: Toolset::Core,
        doc: "Link a bank transaction (the payment) to an invoice. Linking again changes nothing.",
        hints: LINK,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/link-transaction/",
        params: &[INVOICE_ID, TRANSACTION_ID],
        ..BASE
    },
    Spec {
        name: "get_einvoice_xml",
        title: "Get e-invoice XML",
        set: Toolset::Core,
        doc: "Get the e-invoice XML (XRechnung / ZUGFeRD) of an invoice, returned as {\"xml_content\": \"...\"}.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/xml/",
        params: &[INVOICE_ID],
        hook: Hook::XmlText,
        ..BASE
    },
    Spec {
        name: "list_invoices",
        title: "List invoices",
        set: Toolset::Core,
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
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "get_invoice_preview",
        title: "Get invoice preview",
        set: Toolset::Core,
        doc: "Show the first page of an invoice as an image, to check its layout before sending, plus the preview's other fields (page count, invoice number).",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/invoices/{invoice_id}/preview/",
        params: &[INVOICE_ID],
        hook: Hook::InvoicePreview,
        ..BASE
    },
];
