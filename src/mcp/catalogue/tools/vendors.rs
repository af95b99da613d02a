//! The vendors tools: the company's suppliers, whose bills are paid from its account.

use super::super::spec::*;
use super::params::*;

/// The optional supplier fields, shared by create and update.
const IBAN_OPT: Param = opt("iban", Ty::Str, "The supplier's IBAN, for paying their bills.").truthy();
const BIC_OPT: Param = opt("bic", Ty::Str, "The supplier's BIC.").truthy();
const VENDOR_EMAIL: Param = opt("email", Ty::Str, "The supplier's e-mail address.").truthy();

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "list_vendors",
        title: "List vendors",
        set: Toolset::Bookkeeping,
        doc: "List the company's suppliers (vendors) with their bank details (IBAN, BIC), address and VAT number.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/accounting/vendors/",
        params: &[],
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "get_vendor",
        title: "Get vendor",
        set: Toolset::Bookkeeping,
        doc: "Show one supplier (vendor) with bank details, address, contact and VAT number.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/accounting/vendors/{vendor_id}/",
        params: &[VENDOR_ID],
        ..BASE
    },
    Spec {
        name: "create_vendor",
        title: "Create vendor",
        set: Toolset::Bookkeeping,
        doc: "Add a supplier (vendor) the company receives bills from. Only name is required; an IBAN lets its bills be paid with pay_bill. Returns the new supplier with its id.",
        hints: CREATE,
        verb: Verb::Post,
        path: "api/v1/accounting/vendors/",
        params: &[
            req("name", Ty::Str, "The supplier's company or person name."),
            IBAN_OPT,
            BIC_OPT,
            VENDOR_EMAIL,
            PHONE,
            ADDRESS,
            ZIP_CODE,
            CITY,
            COUNTRY,
            VAT_NUMBER,
        ],
        ..BASE
    },
    Spec {
        name: "update_vendor",
        title: "Update vendor",
        set: Toolset::Bookkeeping,
        doc: "Change fields of a supplier (vendor); only the fields given are changed, the previous values are overwritten. With no field given it shows the supplier unchanged.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/accounting/vendors/{vendor_id}/",
        params: &[
            VENDOR_ID,
            opt("name", Ty::Str, "The supplier's company or person name.").truthy(),
            IBAN_OPT,
            BIC_OPT,
            VENDOR_EMAIL,
            PHONE,
            ADDRESS,
            ZIP_CODE,
            CITY,
            COUNTRY,
            VAT_NUMBER,
        ],
        hook: Hook::UpdateOrShow,
        ..BASE
    },
    Spec {
        name: "delete_vendor",
        title: "Delete vendor",
        set: Toolset::Bookkeeping,
        doc: "Delete a supplier (vendor). Their bills stay, without the link to the supplier.",
        hints: DELETE,
        verb: Verb::Delete,
        path: "api/v1/accounting/vendors/{vendor_id}/",
        params: &[VENDOR_ID],
        ..BASE
    },
];
