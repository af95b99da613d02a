//! The offers tools: quotes (Angebote), stored by Norman beside the invoices with `type=quote`.

use super::super::spec::*;
use super::params::*;

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "create_offer",
        title: "Create offer",
        set: Toolset::Core,
        doc: "Create a quote (offer, Angebot) for a customer. Item rates are in cents. Without offer_number the next free quote number is used; dates default to today (issue) and 30 days later (valid until). With is_to_send=true Norman e-mails it to the customer at once (mailing_data sets subject and text). Returns the quote with a temporary PDF link (downloadUrl); convert_offer_to_invoice turns an accepted quote into an invoice.",
        hints: CREATE_OUTSIDE,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/invoices/",
        params: &[
            INVOICE_CLIENT,
            ITEMS,
            opt("offer_number", Ty::Str, "Quote number; the next free one if omitted.").body("invoiceNumber"),
            ISSUED,
            opt(
                "valid_until",
                Ty::Date,
                "Until when the quote stands, YYYY-MM-DD; 30 days after the issue date if omitted.",
            )
            .body("dueTo"),
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
            opt(
                "is_to_send",
                Ty::Bool,
                "true to e-mail the quote to the customer right away; false keeps it as a draft.",
            )
            .body("isToSend")
            .fill(Fill::Bool(false)),
            opt("mailing_data", Ty::Object, "With is_to_send: {emailSubject, emailBody, customClientEmail}.")
                .body("mailingData")
                .truthy(),
            SERVICE_START,
            SERVICE_END,
            DELIVERY_DATE,
        ],
        hook: Hook::Offer,
        ..BASE
    },
    Spec {
        name: "list_offers",
        title: "List offers",
        set: Toolset::Core,
        doc: "List the company's quotes (offers), newest first, with status, customer and totals (in euros). All filters are optional; get_offer adds the PDF link of one quote.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/invoices/",
        params: &[
            opt("status", Ty::Choice(OFFER_STATUSES), "Only quotes with this status.")
                .query("status")
                .truthy(),
            opt("name", Ty::Str, "Part of the customer name or quote number.").query("name").truthy(),
            opt("from_date", Ty::Date, "Issued on or after, YYYY-MM-DD.").query("dateFrom").truthy(),
            opt("to_date", Ty::Date, "Issued on or before, YYYY-MM-DD.").query("dateTo").truthy(),
            opt("limit", Ty::Int, "Most quotes to return.").query("limit").truthy().fill(Fill::Int(100)),
        ],
        hook: Hook::FixedQuery("type", "quote"),
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "get_offer",
        title: "Get offer",
        set: Toolset::Core,
        doc: "Show one quote (offer) with its items, totals (in euros), status, validity and customer, plus a temporary PDF link (downloadUrl) when a PDF exists.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/invoices/{offer_id}/",
        params: &[OFFER_ID],
        hook: Hook::InvoicePdf,
        ..BASE
    },
    Spec {
        name: "send_offer",
        title: "Send offer",
        set: Toolset::Core,
        doc: "E-mail a quote (offer) to the customer (and any additional recipients). Every call sends another e-mail.",
        hints: SEND,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/invoices/{offer_id}/send/",
        params: &[OFFER_ID, SUBJECT, MAIL_BODY, ADDITIONAL_EMAILS, IS_SEND_TO_COMPANY, CUSTOM_CLIENT_EMAIL],
        ..BASE
    },
    Spec {
        name: "convert_offer_to_invoice",
        title: "Convert offer to invoice",
        set: Toolset::Core,
        doc: "Turn an accepted quote (offer) into a draft invoice with the same customer and items. The quote itself is removed. Returns the new invoice with its temporary PDF link.",
        hints: CONVERT,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/invoices/{offer_id}/convert-to-invoice/",
        params: &[OFFER_ID],
        hook: Hook::InvoicePdf,
        ..BASE
    },
];
