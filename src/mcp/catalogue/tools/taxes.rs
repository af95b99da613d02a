//! The taxes tools.

use super::super::spec::*;
use super::params::*;

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "list_tax_reports",
        title: "List tax reports",
        set: Toolset::Taxes,
        doc: "List the company's tax reports (VAT returns, trade and corporate/income tax returns) with type, period, status (draft, pending, submitted, filed), due date and amount in euros.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/taxes/reports/",
        params: &[],
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "get_tax_report",
        title: "Get tax report",
        set: Toolset::Taxes,
        doc: "Show one tax report, with a temporary download link (downloadUrl) to the filed PDF when there is one.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/taxes/reports/{report_id}/",
        params: &[
            req("report_id", Ty::Id, "The report's id (publicId), as list_tax_reports shows it.").path()
        ],
        hook: Hook::ReportFile,
        ..BASE
    },
    Spec {
        name: "validate_tax_number",
        title: "Validate tax number",
        set: Toolset::Taxes,
        doc: "Check whether a German tax number (Steuernummer) has the right format for a federal state. Nothing is stored.",
        hints: READ,
        verb: Verb::Post,
        path: "api/v1/taxes/check-tax-number/",
        params: &[
            req("tax_number", Ty::Str, "The tax number, e.g. 37/123/45678."),
            req(
                "region_code",
                Ty::Str,
                "Two-letter federal state code, e.g. BE, BY, NW (see list_tax_states).",
            ),
        ],
        ..BASE
    },
    Spec {
        name: "generate_finanzamt_preview",
        title: "Generate Finanzamt preview",
        set: Toolset::Taxes,
        doc: "Render a preview of a tax report as the tax office (Finanzamt) would receive it, before submitting: returns the first page as an image and a temporary PDF link (downloadUrl). Nothing is filed.",
        hints: READ,
        verb: Verb::Post,
        path: "api/v1/taxes/reports/{report_id}/generate-preview-url/",
        params: &[
            req("report_id", Ty::Id, "The report's id (publicId), as list_tax_reports shows it.").path()
        ],
        hook: Hook::PreviewImage,
        ..BASE
    },
    Spec {
        name: "submit_tax_report",
        title: "Submit tax report",
        set: Toolset::Taxes,
        doc: "File a tax report with the tax office (Finanzamt) via ELSTER. This is a legal filing and cannot be undone: confirm with the user and check generate_finanzamt_preview first. Needs a paid Norman plan (HTTP 403 otherwise).",
        hints: FILE_WITH_AUTHORITY,
        verb: Verb::Post,
        path: "api/v1/taxes/reports/{report_id}/submit-report/",
        params: &[
            req("report_id", Ty::Id, "The report's id (publicId), as list_tax_reports shows it.").path()
        ],
        hook: Hook::ReportFile,
        ..BASE
    },
    Spec {
        name: "list_tax_states",
        title: "List tax states",
        set: Toolset::Taxes,
        doc: "List the German federal states with the codes the tax tools use (e.g. BE for Berlin).",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/taxes/states/",
        params: &[],
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "list_tax_settings",
        title: "List tax settings",
        set: Toolset::Taxes,
        doc: "List the company's tax settings (one per tax type) with VAT regime, VAT percent, reporting frequency and start date. Use the ids with update_tax_setting.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/taxes/tax-settings/",
        params: &[],
        output: Output::List,
        ..BASE
    },
    Spec {
        name: "update_tax_setting",
        title: "Update tax setting",
        set: Toolset::Taxes,
        doc: "Change a tax setting; only the fields given are changed, the previous values are overwritten. With no field given it shows the setting unchanged.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/taxes/tax-settings/{setting_id}/",
        params: &[
            req("setting_id", Ty::Id, "The setting's id (publicId), as list_tax_settings shows it.").path(),
            opt("tax_type", Ty::Choice(TAX_TYPES), "sales (VAT), trade, income or profit_loss.")
                .body("taxType")
                .truthy(),
            opt(
                "vat_type",
                Ty::Choice(VAT_TYPES),
                "vat_subject, kleinunternehmer (small business, no VAT) or vat_exempt.",
            )
            .body("vatType")
            .truthy(),
            opt("vat_percent", Ty::Num, "Standard VAT percent: 0, 7 or 19.").body("vatPercent"),
            opt("start_tax_report_date", Ty::Date, "From when reports are made, YYYY-MM-DD.")
                .body("startTaxReportDate")
                .truthy(),
            opt("reporting_frequency", Ty::Choice(REPORTING_FREQUENCIES), "monthly, quarterly or yearly.")
                .body("reportingFrequency")
                .truthy(),
        ],
        hook: Hook::UpdateOrShow,
        ..BASE
    },
    Spec {
        name: "get_company_tax_statistics",
        title: "Get company tax statistics",
        set: Toolset::Taxes,
        doc: "Show the company's tax figures so far: revenue, expenses, profit, VAT collected and paid, estimated tax, open invoices (amounts in euros).",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/company-tax-statistic/",
        params: &[],
        ..BASE
    },
    Spec {
        name: "get_vat_next_report",
        title: "Get VAT next report",
        set: Toolset::Taxes,
        doc: "Show the VAT amount (in euros) due with the next VAT return, its period and due date.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/companies/{cid}/vat-next-report-amount/",
        params: &[],
        ..BASE
    },
];
