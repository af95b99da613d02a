//! The company tools.

use super::super::spec::*;
use super::params::*;

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "list_companies",
        title: "List companies",
        set: Toolset::Core,
        doc: "List the companies this login may act on: its own companies and, for a tax advisor, the client companies. Returns {signedInCompanyId, count, companies: [{id, name, access (own or tax_advisor_client), signedIn}]}. Every company tool acts on the company chosen at sign-in (signedIn: true) unless its company_id argument names another of these.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/",
        params: &[],
        hook: Hook::ListCompanies,
        ..BASE
    },
    Spec {
        name: "switch_company",
        title: "Switch company",
        set: Toolset::Core,
        doc: "Check that this login may act on a company (an id from list_companies) and show it: {previousCompanyId, activeCompanyId, signedInCompanyId, access, company{name, accountType, isSme}, instruction}. This server remembers nothing between calls, so nothing is switched for later calls: pass the same company_id to every later tool call that should act on this company; calls without company_id act on the company chosen at sign-in.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{company_id}/",
        params: &[req("company_id", Ty::Id, "The company's id, as list_companies shows it.").path()],
        hook: Hook::SwitchCompany,
        ..BASE
    },
    Spec {
        name: "get_company_details",
        title: "Get company details",
        set: Toolset::Core,
        doc: "Show the profile of the company (the one chosen at sign-in, or the one company_id names): name, legal form, address, tax and VAT numbers, tax state (federal state code), chart of accounts (SKR03/SKR04), DATEV numbers, bank details.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/",
        params: &[],
        ..BASE
    },
    Spec {
        name: "get_company_balance",
        title: "Get company balance",
        set: Toolset::Core,
        doc: "Show the company's current account balance in euros, with total income and expenses.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/balance/",
        params: &[],
        ..BASE
    },
    Spec {
        name: "update_company_details",
        title: "Update company details",
        set: Toolset::Core,
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
        ..BASE
    },
    Spec {
        name: "trigger_datev_export",
        title: "Trigger DATEV export",
        set: Toolset::Bookkeeping,
        doc: "Export the bookings of a period (within one fiscal year) for the tax advisor in DATEV format (EXTF booking batch, with the documents when include_documents is true). Needs the DATEV advisor and client numbers in the company profile (update_company_details). Returns the export with a temporary download link; the books are not changed.",
        hints: READ,
        verb: Verb::Post,
        path: "api/v1/companies/{cid}/accounting/datev-export/",
        params: &[
            req("date_from", Ty::Date, "First day of the period, YYYY-MM-DD.").body("dateFrom"),
            req("date_to", Ty::Date, "Last day of the period, YYYY-MM-DD.").body("dateTo"),
            opt("include_documents", Ty::Bool, "Include the receipts and invoices as files.")
                .body("includeDocuments")
                .fill(Fill::Bool(true)),
        ],
        ..BASE
    },
];
