//! The bills tools: incoming supplier invoices, their status and their payment.

use super::super::spec::*;
use super::params::*;

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "list_bills",
        title: "List bills",
        set: Toolset::Bookkeeping,
        doc: "List the company's incoming bills (supplier invoices), newest first, with supplier, number, due date, gross total in euros and status: OPEN (to be paid), PENDING (payment started) or PAID.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/accounting/bills/",
        params: &[opt("status", Ty::Choice(BILL_STATUSES), "Only bills with this status.")
            .query("status")
            .truthy()],
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "get_bill",
        title: "Get bill",
        set: Toolset::Bookkeeping,
        doc: "Show one incoming bill (supplier invoice) with supplier, bank details, amounts, due date and status.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/accounting/bills/{bill_id}/",
        params: &[BILL_ID],
        ..BASE
    },
    Spec {
        name: "update_bill",
        title: "Update bill",
        set: Toolset::Bookkeeping,
        doc: "Set the status of an incoming bill (OPEN, PENDING or PAID). This only changes the record; no money moves. With no status given it shows the bill unchanged.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/accounting/bills/{bill_id}/",
        params: &[BILL_ID, opt("status", Ty::Choice(BILL_STATUSES), "The new status.").truthy()],
        hook: Hook::UpdateOrShow,
        ..BASE
    },
    Spec {
        name: "mark_bill_paid",
        title: "Mark bill paid",
        set: Toolset::Bookkeeping,
        doc: "Record an incoming bill as PAID, e.g. when it was paid outside Norman. No money moves; to pay it from the company's account use pay_bill.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/accounting/bills/{bill_id}/",
        params: &[BILL_ID],
        hook: Hook::FixedBody("status", "PAID"),
        ..BASE
    },
    Spec {
        name: "pay_bill",
        title: "Pay bill",
        set: Toolset::Bookkeeping,
        doc: "Start a SEPA bank transfer that pays an OPEN bill from the company's bank account: real money leaves the account once the user approves it at their bank. Returns paymentOrderId and webformUrl, the page where the user approves the transfer; the bill is PENDING until then. Every call starts another transfer, so confirm amount and recipient with the user first. account_id is the bank account's id from get_company_balance.",
        hints: PAY,
        verb: Verb::Post,
        path: "api/v1/accounting/bills/{bill_id}/pay/",
        params: &[
            BILL_ID,
            req(
                "account_id",
                Ty::Id,
                "The company bank account to pay from (its id, from get_company_balance).",
            )
            .body("accountId"),
            opt(
                "execution_date",
                Ty::Date,
                "When the bank should execute the transfer, YYYY-MM-DD; as soon as possible if omitted.",
            )
            .body("executionDate"),
            opt(
                "purpose",
                Ty::Str,
                "Remittance text (Verwendungszweck); the bill number and supplier if omitted.",
            )
            .body("purpose"),
        ],
        ..BASE
    },
    Spec {
        name: "delete_bill",
        title: "Delete bill",
        set: Toolset::Bookkeeping,
        doc: "Delete an incoming bill (supplier invoice), e.g. one captured twice. This cannot be undone, and it does not stop a transfer already started with pay_bill.",
        hints: DELETE,
        verb: Verb::Delete,
        path: "api/v1/accounting/bills/{bill_id}/",
        params: &[BILL_ID],
        ..BASE
    },
];
