//! The tax-advisor tools: an advisor's (Steuerberater's) view of the client companies they look
//! after. `company_id` names the client; the advisor's own login decides whether they may.

use super::super::spec::*;
use super::params::*;

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "list_tax_advisor_clients",
        title: "List tax advisor clients",
        set: Toolset::TaxAdvisor,
        doc: "For a tax advisor login: list the client companies this advisor looks after, each with public_id (the company_id of the other tax-advisor tools, and of any company tool acting on that client), name, legal form, chart of accounts and counts of transactions, unverified transactions and missing documents. Returns {count, clients, activeCompanyId}. Other logins are refused by Norman.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/tax-advisor/clients/",
        params: &[],
        hook: Hook::AdvisorClients,
        ..BASE
    },
    Spec {
        name: "get_client_overview",
        title: "Get client overview",
        set: Toolset::TaxAdvisor,
        doc: "For a tax advisor: one client company at a glance. Returns company (name, legal form, chart of accounts, tax state, tax and VAT numbers), balance, transactionStats (verified, unverified, missing documents, open invoices and bills), taxStatistics, taxReports (total, pending, submitted, up to 10 pending ones) and outstandingInvoices (sent or overdue: count and gross total in euros).",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{company_id}/",
        params: &[CLIENT_COMPANY],
        hook: Hook::ClientOverview,
        ..BASE
    },
    Spec {
        name: "get_missing_documents_summary",
        title: "Get missing documents summary",
        set: Toolset::TaxAdvisor,
        doc: "For a tax advisor: a client's transactions that still lack their receipt or invoice, optionally within a period. Returns {companyId, totalMissing, totalTransactions, byMonth: [{month, count, totalAmount, transactions}], topMissingByAmount: up to 20 with {id, description, amount, date, category}}; the ids go into ping_client_for_documents. Looks at up to 200 transactions; truncated says when there were more.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/tax-advisor/clients/{company_id}/transactions/",
        params: &[
            CLIENT_COMPANY,
            opt("date_from", Ty::Date, "First value date, YYYY-MM-DD.").query("date_from").truthy(),
            opt("date_to", Ty::Date, "Last value date, YYYY-MM-DD.").query("date_to").truthy(),
        ],
        hook: Hook::MissingDocuments,
        ..BASE
    },
    Spec {
        name: "get_tax_compliance_status",
        title: "Get tax compliance status",
        set: Toolset::TaxAdvisor,
        doc: "For a tax advisor: a client's tax filing and registration status. Returns reports (total, filed, unfiled with type, period, due date and amount), the tax settings, registration (tax number, VAT ID, tax state) and actionItems: what is missing or due, overdue filings first.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{company_id}/",
        params: &[CLIENT_COMPANY],
        hook: Hook::ComplianceStatus,
        ..BASE
    },
    Spec {
        name: "ping_client_for_documents",
        title: "Ping client for documents",
        set: Toolset::TaxAdvisor,
        doc: "For a tax advisor: ask a client company by e-mail to upload the missing receipts or invoices of up to 50 transactions (ids from get_missing_documents_summary), one request per transaction. Every call e-mails the client again. Returns {companyId, totalRequested, succeeded, failed, details: {succeeded, failed}}; a transaction Norman refuses (unknown, or already documented) is listed under failed with Norman's reason.",
        hints: SEND,
        verb: Verb::Post,
        path: "api/v1/tax-advisor/clients/{company_id}/ping/",
        params: &[
            CLIENT_COMPANY,
            req(
                "transaction_ids",
                Ty::StrList,
                "Ids (public_id) of the client's transactions that lack a document.",
            )
            .hook(),
        ],
        hook: Hook::PingClient,
        ..BASE
    },
];
