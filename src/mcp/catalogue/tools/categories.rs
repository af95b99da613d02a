//! The categories tools: the company's own chart-of-accounts categories (SME companies) and the
//! standard SKR 03 / SKR 04 account tables.

use super::super::spec::*;
use super::params::*;

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "list_company_categories",
        title: "List company categories",
        set: Toolset::Bookkeeping,
        doc: "List the company's own bookkeeping categories (SME companies with their own chart of accounts): account code, name, German name and whether they are for income or expenses. Their ids go into company_category_id of create_transaction and update_transaction.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/accounting/company-categories/",
        params: &[opt("cashflow_type", Ty::Choice(CASHFLOW), "Only INCOME or only EXPENSE categories.")
            .query("cashflowType")
            .truthy()],
        hook: Hook::FixedQuery("pageSize", "200"),
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "list_coa_templates",
        title: "List chart-of-accounts templates",
        set: Toolset::Bookkeeping,
        doc: "List the chart-of-accounts templates a company can start from (SKR 03, SKR 04) with what each is meant for.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/accounting/company-categories/templates/",
        params: &[],
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "search_skr_by_code",
        title: "Search SKR by code",
        set: Toolset::Bookkeeping,
        doc: "Look up accounts of the company's standard chart (SKR 03 or SKR 04) by account number prefix (e.g. 68 for all accounts 68xx) or by a word of the account name. Returns [{accountNumber, nameDe, nameEn}]. For SME companies only.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/accounting/company-categories/skr-lookup/",
        params: &[req("code", Ty::Str, "Account number or its beginning, e.g. 6805; or a word of the name.")
            .query("q")],
        hook: Hook::SmeOnly,
        ..BASE
    },
    Spec {
        name: "suggest_skr_category",
        title: "Suggest SKR category",
        set: Toolset::Bookkeeping,
        doc: "Suggest up to five accounts of the company's standard chart (SKR 03 or SKR 04) for a plain-language description of a transaction, e.g. 'Bahnticket Dienstreise Hamburg'. Returns [{accountNumber, nameDe, nameEn}], best first. For SME companies only.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/accounting/company-categories/skr-ai-suggest/",
        params: &[req("query", Ty::Str, "What the transaction was for, in German or English.").query("q")],
        hook: Hook::SmeOnly,
        ..BASE
    },
    Spec {
        name: "create_company_category",
        title: "Create company category",
        set: Toolset::Bookkeeping,
        doc: "Add a custom bookkeeping category (account) to the company's own chart of accounts (SME companies only), e.g. a sub-account for a project. The code is an account number of 4 to 8 digits, unique in the company; search_skr_by_code shows the standard accounts around it. Returns the new category with its id.",
        hints: CREATE,
        verb: Verb::Post,
        path: "api/v1/accounting/company-categories/",
        params: &[
            req("code", Ty::Str, "Account number, 4 to 8 digits, e.g. 6816."),
            req("name", Ty::Str, "Name of the category."),
            req("cashflow_type", Ty::Choice(CASHFLOW), "INCOME or EXPENSE.").body("cashflowType"),
            opt("name_de", Ty::Str, "German name, when name is in another language.").body("nameDe").truthy(),
            opt("description", Ty::Str, "What belongs in this category.").truthy(),
        ],
        hook: Hook::SmeOnly,
        ..BASE
    },
];
