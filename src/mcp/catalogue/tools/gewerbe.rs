//! Registering a trade with the trade office (Gewerbeanmeldung, form GewA 1): the person's
//! draft in three sections (basic, business, owner), the pre-filled form as a PDF, and the
//! responsible trade office. The draft belongs to the person, not to a company.

use super::super::spec::*;

const LEGAL_FORMS: &[&str] = &[
    "sole_proprietorship",
    "sole_proprietor_ek",
    "gbr",
    "ug",
    "gmbh",
    "ggmbh",
    "ag",
    "kg",
    "ohg",
    "gmbh_co_kg",
    "ug_co_kg",
    "other",
];
const LEGAL_FORM_LABELS: &[&str] = &[
    "Sole proprietorship (Einzelunternehmen)",
    "Registered merchant (e. K.)",
    "GbR",
    "UG (haftungsbeschränkt)",
    "GmbH",
    "gGmbH",
    "AG",
    "KG",
    "OHG",
    "GmbH & Co. KG",
    "UG (haftungsbeschränkt) & Co. KG",
    "Other",
];
const ESTABLISHMENT_TYPES: &[&str] = &["head_office", "branch"];
const ESTABLISHMENT_LABELS: &[&str] = &["Head office (Hauptniederlassung)", "Branch (Zweigniederlassung)"];
const BUSINESS_TYPES: &[&str] = &["industry", "trade", "craft", "other"];
const BUSINESS_LABELS: &[&str] = &["Industry", "Trade (Handel)", "Craft (Handwerk)", "Other"];
const ACTIVITY_TYPES: &[&str] = &["main", "secondary"];
const ACTIVITY_LABELS: &[&str] = &["Main occupation", "Secondary occupation"];
const RESIDENCE_TYPES: &[&str] = &["inland", "ausland"];
const RESIDENCE_LABELS: &[&str] = &["Residence in Germany", "Residence abroad"];
const GENDERS: &[&str] = &["male", "female", "diverse"];
const GENDER_LABELS: &[&str] = &["Male", "Female", "Diverse"];

/// The form's choices, as `get_gewerbe_registration_choices` answers them.
static CHOICES: &[ChoiceField] = &[
    ChoiceField { field: "legalForm", values: LEGAL_FORMS, labels: LEGAL_FORM_LABELS },
    ChoiceField { field: "establishmentType", values: ESTABLISHMENT_TYPES, labels: ESTABLISHMENT_LABELS },
    ChoiceField { field: "businessType", values: BUSINESS_TYPES, labels: BUSINESS_LABELS },
    ChoiceField { field: "activityType", values: ACTIVITY_TYPES, labels: ACTIVITY_LABELS },
    ChoiceField { field: "residenceType", values: RESIDENCE_TYPES, labels: RESIDENCE_LABELS },
    ChoiceField { field: "gender", values: GENDERS, labels: GENDER_LABELS },
];

const PUBLIC_ID: Param =
    req("public_id", Ty::Id, "The trade registration's id (publicId), as get_gewerbe_registration shows it.")
        .path();

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "get_gewerbe_registration",
        title: "Get my trade registration",
        set: Toolset::Founding,
        doc: "Show the person's trade registration (Gewerbeanmeldung) draft: status (data_collection, data_complete, documents_generated), the sections basic, business and owner each with complete and the missing fields, and the generated form in documents. Answers {exists: false} when there is none yet.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/gewerbe-registrations/my/",
        hook: Hook::Mine { what: "trade registration", start: "create_gewerbe_registration" },
        ..BASE
    },
    Spec {
        name: "get_gewerbe_registration_choices",
        title: "Get trade registration choices",
        set: Toolset::Founding,
        doc: "List the allowed values of the trade registration's fields (legalForm, establishmentType, businessType, activityType, residenceType, gender), each as [{value, label}].",
        hints: READ,
        hook: Hook::Choices(CHOICES),
        ..BASE
    },
    Spec {
        name: "create_gewerbe_registration",
        title: "Start a trade registration",
        set: Toolset::Founding,
        doc: "Start the person's trade registration draft, prefilled from their incorporation when its id is given (the company as the business, its managing director as the owner). A person has one at a time: Norman refuses a second (check get_gewerbe_registration first). Nothing leaves Norman.",
        hints: CREATE,
        verb: Verb::Post,
        path: "api/v1/gewerbe-registrations/",
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
        name: "update_gewerbe_basic",
        title: "Update trade registration basics",
        set: Toolset::Founding,
        doc: "Set when the activity starts (at most 14 days from today) and whether this is the head office or a branch; only the fields given change.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/gewerbe-registrations/{public_id}/",
        params: &[
            PUBLIC_ID,
            opt("activity_start_date", Ty::Date, "Start of the activity, YYYY-MM-DD, at most 14 days ahead.")
                .body("activityStartDate"),
            opt("establishment_type", Ty::Choice(ESTABLISHMENT_TYPES), "head_office or branch.")
                .body("establishmentType"),
        ],
        ..BASE
    },
    Spec {
        name: "update_gewerbe_business",
        title: "Update trade registration business",
        set: Toolset::Founding,
        doc: "Set the business: legal form, registered name and register number, kind of business, address and contact, the activity, a licence when one is required, public-sector participation and employees; only the fields given change.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/gewerbe-registrations/{public_id}/",
        params: &[
            PUBLIC_ID,
            opt("legal_form", Ty::Choice(LEGAL_FORMS), "Legal form of the business.").body("legalForm"),
            opt(
                "registered_name",
                Ty::Str,
                "Name in the commercial register (not for a sole proprietorship or GbR).",
            )
            .body("registeredName"),
            opt("commercial_register_number", Ty::Str, "Commercial register number, e.g. HRB 123456 B.")
                .body("commercialRegisterNumber"),
            opt(
                "business_type",
                Ty::ChoiceList(BUSINESS_TYPES),
                "Kinds of business: industry, trade, craft, other.",
            )
            .body("businessType"),
            opt("business_street", Ty::Str, "Street of the business address.").body("businessStreet"),
            opt("business_house_number", Ty::Str, "House number of the business address.")
                .body("businessHouseNumber"),
            opt(
                "business_postal_code",
                Ty::Str,
                "Five-digit postcode of the business; decides the trade office.",
            )
            .body("businessPostalCode"),
            opt("business_city", Ty::Str, "City of the business.").body("businessCity"),
            opt("business_email", Ty::Str, "Business e-mail address.").body("businessEmail"),
            opt("business_phone", Ty::Str, "Business phone number.").body("businessPhone"),
            opt("activity_description", Ty::Str, "The activity as the trade office should read it.")
                .body("activityDescription"),
            opt("license_required", Ty::Bool, "true if the activity needs a permit or licence.")
                .body("licenseRequired"),
            opt("license_authority", Ty::Str, "Authority that issued the licence.").body("licenseAuthority"),
            opt("license_issue_date", Ty::Date, "Issue date of the licence, YYYY-MM-DD.")
                .body("licenseIssueDate"),
            opt("public_sector_participation", Ty::Bool, "true if the public sector holds a share.")
                .body("publicSectorParticipation"),
            opt("has_employees", Ty::Bool, "true if people are employed.").body("hasEmployees"),
            opt("employees_full_time", Ty::Int, "Number of full-time employees.").body("employeesFullTime"),
            opt("employees_part_time", Ty::Int, "Number of part-time employees.").body("employeesPartTime"),
        ],
        ..BASE
    },
    Spec {
        name: "update_gewerbe_owner",
        title: "Update trade registration owner",
        set: Toolset::Founding,
        doc: "Set the owner's (or managing director's) personal data, whether this is the main or a secondary occupation, and the residence when it is not the business address; only the fields given change.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/gewerbe-registrations/{public_id}/",
        params: &[
            PUBLIC_ID,
            opt("owner_first_names", Ty::Str, "All first names.").body("ownerFirstNames"),
            opt("owner_last_name", Ty::Str, "Last name.").body("ownerLastName"),
            opt("owner_birth_name", Ty::Str, "Birth name, if different.").body("ownerBirthName"),
            opt("owner_dob", Ty::Date, "Date of birth, YYYY-MM-DD.").body("ownerDob"),
            opt("owner_place_of_birth", Ty::Str, "Place of birth.").body("ownerPlaceOfBirth"),
            opt("owner_country_of_birth", Ty::Str, "Country of birth as an ISO 3166 two-letter code.")
                .body("ownerCountryOfBirth"),
            opt("owner_nationality", Ty::Str, "Nationality as an ISO 3166 two-letter code.")
                .body("ownerNationality"),
            opt("owner_gender", Ty::Choice(GENDERS), "male, female or diverse.").body("ownerGender"),
            opt("owner_email", Ty::Str, "E-mail address.").body("ownerEmail"),
            opt("owner_phone", Ty::Str, "Phone number.").body("ownerPhone"),
            opt("activity_type", Ty::Choice(ACTIVITY_TYPES), "main or secondary occupation.")
                .body("activityType"),
            opt(
                "owner_address_same_as_business",
                Ty::Bool,
                "true if the owner lives at the business address.",
            )
            .body("ownerAddressSameAsBusiness"),
            opt("owner_residence_type", Ty::Choice(RESIDENCE_TYPES), "inland (Germany) or ausland (abroad).")
                .body("ownerResidenceType"),
            opt("owner_residence_street", Ty::Str, "Street of the residence.").body("ownerResidenceStreet"),
            opt("owner_residence_house_number", Ty::Str, "House number of the residence.")
                .body("ownerResidenceHouseNumber"),
            opt("owner_residence_postal_code", Ty::Str, "Postcode of the residence.")
                .body("ownerResidencePostalCode"),
            opt("owner_residence_city", Ty::Str, "City of the residence.").body("ownerResidenceCity"),
        ],
        ..BASE
    },
    Spec {
        name: "suggest_gewerbe_activity",
        title: "Suggest trade activity wording",
        set: Toolset::Founding,
        doc: "Rewrite an activity described in the person's words into wording for the trade office. Changes nothing: save the accepted text with update_gewerbe_business. Answers {suggestion}.",
        hints: READ,
        verb: Verb::Post,
        path: "api/v1/gewerbe-registrations/{public_id}/suggest-activity/",
        params: &[PUBLIC_ID, req("draft", Ty::Str, "The activity in the person's words.")],
        ..BASE
    },
    Spec {
        name: "generate_gewerbe_document",
        title: "Generate trade registration form",
        set: Toolset::Founding,
        doc: "Generate the pre-filled form GewA 1 as a PDF for the trade office; again after a change. Norman refuses while a section misses something, and names it. Answers the document with its download link; the person submits it to the trade office.",
        hints: GENERATE,
        verb: Verb::Post,
        path: "api/v1/gewerbe-registrations/{public_id}/documents/",
        params: &[PUBLIC_ID],
        hook: Hook::GenerateDocuments,
        ..BASE
    },
    Spec {
        name: "get_gewerbe_document_preview",
        title: "Preview trade registration form",
        set: Toolset::Founding,
        doc: "Show the first page of the generated GewA 1 as an image, with its download link.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/gewerbe-registrations/{public_id}/documents/",
        params: &[PUBLIC_ID],
        hook: Hook::DocumentPreview { generate: "generate_gewerbe_document" },
        ..BASE
    },
    Spec {
        name: "get_gewerbe_trade_office",
        title: "Find trade office",
        set: Toolset::Founding,
        doc: "Find the trade office (Gewerbeamt) responsible for the business postcode, with its address and contact. Answers {office: {...}} or {office: null} when the postcode is unknown or not set.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/gewerbe-registrations/{public_id}/trade-office/",
        params: &[PUBLIC_ID],
        ..BASE
    },
];
