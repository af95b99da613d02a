//! The tax office's questionnaire for a new GmbH or UG (Fragebogen zur steuerlichen
//! Erfassung): the person's draft in six sections. There is no tool that files it: the person
//! files it with ELSTER in Norman's web app, which `get_corporate_submission_link` points to.

use super::super::spec::*;

const LEGAL_FORMS: &[&str] = &["gmbh", "ug"];
const LEGAL_FORM_LABELS: &[&str] = &["GmbH", "UG (haftungsbeschränkt)"];
const TAXATION_METHODS: &[&str] = &["soll", "ist"];
const TAXATION_LABELS: &[&str] =
    &["Sollversteuerung (VAT on invoices issued)", "Istversteuerung (VAT on payments received)"];
/// `bankAccountHolderRole` as Norman stores it: a number, although its choice keys are text.
const HOLDER_ROLES: &[i64] = &[1, 99];
const HOLDER_ROLE_KEYS: &[&str] = &["1", "99"];
const HOLDER_ROLE_LABELS: &[&str] = &["The company itself", "Someone else"];
const SALUTATIONS: &[&str] = &["1", "2"];
const SALUTATION_LABELS: &[&str] = &["Herr", "Frau"];
const SHAREHOLDER_TYPES: &[&str] = &["natural", "legal"];
const SHAREHOLDER_TYPE_LABELS: &[&str] = &["Natural person", "Company"];

/// The questionnaire's choices, as `get_corporate_tax_registration_choices` answers them.
static CHOICES: &[ChoiceField] = &[
    ChoiceField { field: "legalForm", values: LEGAL_FORMS, labels: LEGAL_FORM_LABELS },
    ChoiceField { field: "taxationMethod", values: TAXATION_METHODS, labels: TAXATION_LABELS },
    ChoiceField { field: "bankAccountHolderRole", values: HOLDER_ROLE_KEYS, labels: HOLDER_ROLE_LABELS },
    ChoiceField { field: "salutation", values: SALUTATIONS, labels: SALUTATION_LABELS },
    ChoiceField { field: "shareholderType", values: SHAREHOLDER_TYPES, labels: SHAREHOLDER_TYPE_LABELS },
];

const PUBLIC_ID: Param = req(
    "public_id",
    Ty::Id,
    "The questionnaire's id (publicId), as get_corporate_tax_registration shows it.",
)
.path();

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "get_corporate_tax_registration",
        title: "Get my corporate tax questionnaire",
        set: Toolset::Founding,
        doc: "Show the person's corporate tax questionnaire for their new GmbH/UG: status (data_collection, data_complete, submitted), the sections company, registration, representatives, shareholders, financials and vatAndBank each with complete and the missing fields, and once filed the transmission protocol (reportUrl). Answers {exists: false} when there is none yet.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/corporate-tax-registrations/my/",
        hook: Hook::Mine { what: "corporate tax questionnaire", start: "create_corporate_tax_registration" },
        ..BASE
    },
    Spec {
        name: "get_corporate_tax_registration_choices",
        title: "Get corporate tax questionnaire choices",
        set: Toolset::Founding,
        doc: "List the allowed values of the questionnaire's fields (legalForm, taxationMethod, bankAccountHolderRole, salutation, shareholderType), each as [{value, label}].",
        hints: READ,
        hook: Hook::Choices(CHOICES),
        ..BASE
    },
    Spec {
        name: "create_corporate_tax_registration",
        title: "Start the corporate tax questionnaire",
        set: Toolset::Founding,
        doc: "Start the person's corporate tax questionnaire, prefilled from their incorporation when its id is given (company, seat, purpose, capital, managing director, shareholders and the dates the roadmap knows). One at a time: Norman refuses a second (check get_corporate_tax_registration first). Nothing leaves Norman.",
        hints: CREATE,
        verb: Verb::Post,
        path: "api/v1/corporate-tax-registrations/",
        params: &[opt(
            "incorporation_public_id",
            Ty::Id,
            "The person's incorporation (publicId from get_incorporation) to prefill from.",
        )
        .body("incorporation")],
        hook: Hook::StartDraft,
        ..BASE
    },
    Spec {
        name: "update_corporate_company",
        title: "Update questionnaire company data",
        set: Toolset::Founding,
        doc: "Set the company's identity, business and management addresses, contact, activity and the responsible tax office (4-digit number); only the fields given change.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/corporate-tax-registrations/{public_id}/",
        params: &[
            PUBLIC_ID,
            opt("legal_form", Ty::Choice(LEGAL_FORMS), "gmbh or ug.").body("legalForm"),
            opt("company_name", Ty::Str, "Company name with its legal form.").body("companyName"),
            opt("seat_city", Ty::Str, "City of the registered seat.").body("seatCity"),
            opt("business_street", Ty::Str, "Street of the business address.").body("businessStreet"),
            opt("business_house_number", Ty::Str, "House number of the business address.")
                .body("businessHouseNumber"),
            opt("business_additional", Ty::Str, "Address addition (c/o, floor).").body("businessAdditional"),
            opt("business_postal_code", Ty::Str, "Five-digit postcode of the business.")
                .body("businessPostalCode"),
            opt("business_city", Ty::Str, "City of the business.").body("businessCity"),
            opt(
                "management_address_same",
                Ty::Bool,
                "true if the company is managed from the business address.",
            )
            .body("managementAddressSame"),
            opt("management_street", Ty::Str, "Street of the management address.").body("managementStreet"),
            opt("management_house_number", Ty::Str, "House number of the management address.")
                .body("managementHouseNumber"),
            opt("management_additional", Ty::Str, "Addition to the management address.")
                .body("managementAdditional"),
            opt("management_postal_code", Ty::Str, "Postcode of the management address.")
                .body("managementPostalCode"),
            opt("management_city", Ty::Str, "City of the management address.").body("managementCity"),
            opt("phone", Ty::Str, "Company phone number."),
            opt("email", Ty::Str, "Company e-mail address."),
            opt("website", Ty::Str, "Company website."),
            opt("activity_description", Ty::Str, "What the company does.").body("activityDescription"),
            opt("tax_office", Ty::Str, "The responsible tax office's 4-digit number (BuFa-Nr.), e.g. 1127.")
                .body("taxOffice"),
        ],
        ..BASE
    },
    Spec {
        name: "update_corporate_registration_details",
        title: "Update questionnaire registration details",
        set: Toolset::Founding,
        doc: "Set the date of the notarial contract and where the commercial register entry stands (applied for, registered, court, type and number); only the fields given change.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/corporate-tax-registrations/{public_id}/",
        params: &[
            PUBLIC_ID,
            opt("notary_contract_date", Ty::Date, "Date of the notarial founding contract, YYYY-MM-DD.")
                .body("notaryContractDate"),
            opt("hr_application_filed", Ty::Bool, "true once the register entry has been applied for.")
                .body("hrApplicationFiled"),
            opt("hr_application_date", Ty::Date, "Date of the application, YYYY-MM-DD.")
                .body("hrApplicationDate"),
            opt("hr_registered", Ty::Bool, "true once the company is registered.").body("hrRegistered"),
            opt("hr_registration_date", Ty::Date, "Date of the registration, YYYY-MM-DD.")
                .body("hrRegistrationDate"),
            opt("register_court", Ty::Str, "Register court, e.g. Amtsgericht Charlottenburg.")
                .body("registerCourt"),
            opt("register_type", Ty::Str, "Register type, e.g. HRB.").body("registerType"),
            opt("register_number", Ty::Str, "Register number.").body("registerNumber"),
        ],
        ..BASE
    },
    Spec {
        name: "set_corporate_people",
        title: "Set managing directors and shareholders",
        set: Toolset::Founding,
        doc: "Replace the list of managing directors (representatives, at most 9) and/or of shareholders (shareholder_entries, at most 99; sharePercent adding up to 100). A list given replaces the whole stored list: include everyone.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/corporate-tax-registrations/{public_id}/",
        params: &[
            PUBLIC_ID,
            opt("representatives", Ty::People(People::Representatives), "All managing directors.")
                .body("representatives"),
            opt(
                "shareholder_entries",
                Ty::People(People::Shareholders),
                "All shareholders with their shares.",
            )
            .body("shareholderEntries"),
        ],
        ..BASE
    },
    Spec {
        name: "update_corporate_financials",
        title: "Update questionnaire financials",
        set: Toolset::Founding,
        doc: "Set the share capital (whole euros: a GmbH at least 25,000, a UG 1 to 24,999), the business start, a fiscal year differing from the calendar year, and the expected profits in euros; only the fields given change.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/corporate-tax-registrations/{public_id}/",
        params: &[
            PUBLIC_ID,
            opt("share_capital", Ty::Str, "Share capital in whole euros, e.g. \"25000\".")
                .body("shareCapital"),
            opt("business_start_date", Ty::Date, "Start of business, YYYY-MM-DD.").body("businessStartDate"),
            opt("divergent_fiscal_year", Ty::Bool, "true if the fiscal year is not the calendar year.")
                .body("divergentFiscalYear"),
            opt("fiscal_year_start", Ty::Date, "Start of the divergent fiscal year, YYYY-MM-DD.")
                .body("fiscalYearStart"),
            opt("expected_profit_founding_year", Ty::Int, "Expected profit in the founding year, euros.")
                .body("expectedProfitFoundingYear"),
            opt("expected_profit_following_year", Ty::Int, "Expected profit in the following year, euros.")
                .body("expectedProfitFollowingYear"),
        ],
        ..BASE
    },
    Spec {
        name: "update_corporate_vat_and_bank",
        title: "Update questionnaire VAT and bank",
        set: Toolset::Founding,
        doc: "Set the expected revenue, the small-business rule (Kleinunternehmer: at most 25,000 € revenue in the founding year), VAT method and estimate, whether to request a VAT id, and the bank account for refunds; only the fields given change.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/corporate-tax-registrations/{public_id}/",
        params: &[
            PUBLIC_ID,
            opt("expected_revenue_founding_year", Ty::Int, "Expected revenue in the founding year, euros.")
                .body("expectedRevenueFoundingYear"),
            opt("expected_revenue_following_year", Ty::Int, "Expected revenue in the following year, euros.")
                .body("expectedRevenueFollowingYear"),
            opt("is_kleinunternehmer", Ty::Bool, "true to use the small-business rule (§ 19 UStG).")
                .body("isKleinunternehmer"),
            opt("kleinunternehmer_charge_vat", Ty::Bool, "As a small business, true to charge VAT anyway.")
                .body("kleinunternehmerChargeVat"),
            opt(
                "estimated_vat_amount_founding_year",
                Ty::Int,
                "Estimated VAT payable in the founding year, euros.",
            )
            .body("estimatedVatAmountFoundingYear"),
            opt(
                "taxation_method",
                Ty::Choice(TAXATION_METHODS),
                "soll (on invoices issued) or ist (on payments received).",
            )
            .body("taxationMethod"),
            opt("request_vat_id", Ty::Bool, "true to request a VAT id (USt-IdNr.).").body("requestVatId"),
            opt("bank_iban", Ty::Str, "IBAN of the account for tax refunds.").body("bankIban"),
            opt(
                "bank_account_holder_role",
                Ty::IntChoice(HOLDER_ROLES),
                "1 if the company holds the account, 99 if someone else does.",
            )
            .body("bankAccountHolderRole"),
            opt("bank_account_holder_name", Ty::Str, "The holder's name when it is someone else (99).")
                .body("bankAccountHolderName"),
        ],
        ..BASE
    },
    Spec {
        name: "get_corporate_submission_link",
        title: "Get corporate tax submission link",
        set: Toolset::Founding,
        doc: "Where the person files the questionnaire with ELSTER: the link to Norman's web app, whether it is ready (readyToSubmit), what is still missing (section.field), its status and, once filed, the transmission protocol (reportUrl). The filing itself happens in the web app.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/corporate-tax-registrations/my/",
        hook: Hook::SubmissionLink,
        ..BASE
    },
];
