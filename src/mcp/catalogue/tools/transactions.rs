//! The transactions tools.

use super::super::spec::*;
use super::params::*;

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "search_transactions",
        title: "Search transactions",
        set: Toolset::Core,
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
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "create_transaction",
        title: "Create transaction",
        set: Toolset::Core,
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
        ..BASE
    },
    Spec {
        name: "update_transaction",
        title: "Update transaction",
        set: Toolset::Core,
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
        ..BASE
    },
    Spec {
        name: "categorize_transaction",
        title: "Categorize transaction",
        set: Toolset::Core,
        doc: "Ask Norman's assistant which bookkeeping category fits a transaction; returns a suggestion with confidence and alternatives. Nothing is changed: apply it with update_transaction.",
        hints: READ,
        verb: Verb::Post,
        path: "api/v1/assistant/detect-category/",
        params: &[
            req("transaction_amount", Ty::Num, "Amount in euros."),
            req("transaction_description", Ty::Str, "The transaction's description or counterparty."),
            req("transaction_type", Ty::Choice(DIRECTIONS), "income or expense."),
        ],
        ..BASE
    },
    Spec {
        name: "change_transaction_verification",
        title: "Change transaction verification",
        set: Toolset::Core,
        doc: "Finalise (verify=true) a transaction once its category, VAT and documents are right, so it counts as booked (VERIFIED); or reopen it (verify=false, UNVERIFIED) to change it again. Setting the same state again changes nothing.",
        hints: SWITCH,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/accounting/transactions/{transaction_id}/",
        params: &[
            req(
                "transaction_id",
                Ty::Id,
                "The transaction's id (publicId), as search_transactions shows it.",
            )
            .path(),
            req("verify", Ty::Bool, "true: mark as verified (booked); false: back to unverified.").hook(),
        ],
        hook: Hook::Verification,
        ..BASE
    },
];
