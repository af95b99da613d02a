//! Founding a GmbH or UG: the person's incorporation draft (company, shareholders, capital,
//! founding agreement), the generated documents, the notary hand-off and the steps up to the
//! commercial register. The draft belongs to the person, not to a company, so the paths name
//! no company.

use super::super::spec::*;

const LEGAL_FORMS: &[&str] = &["gmbh", "ug"];
const LOCALES: &[&str] = &["de", "en"];
const SHAREHOLDER_TYPES: &[&str] = &["natural_person", "legal_entity"];
const AGREEMENT_TYPES: &[&str] = &["musterprotokoll", "individual"];
const NOTARIZATION_TYPES: &[&str] = &["online", "in_person"];
const NOTARIZATION_TIMEFRAMES: &[&str] = &["within_7_days", "within_2_weeks", "flexible"];
const DOCUMENT_TYPES: &[&str] = &["musterprotokoll", "gesellschafterliste"];
const FORMATION_STEPS: &[&str] =
    &["notary", "bank_account", "deposit", "hrb", "finanzamt", "gewerbeamt", "transparency"];
/// The lists `GET choices/{type}/` serves.
const CHOICE_TYPES: &[&str] =
    &["legal-forms", "shareholder-types", "agreement-types", "notarization-types", "notarization-timeframes"];

const PUBLIC_ID: Param =
    req("public_id", Ty::Id, "The incorporation's id (publicId), as get_incorporation shows it.").path();
const SHAREHOLDER_ID: Param = req(
    "shareholder_public_id",
    Ty::Id,
    "The shareholder's id (publicId), from the incorporation's shareholders list.",
)
.path();

const FIRST_NAME: Param = opt("first_name", Ty::Str, "First names of a natural person.").body("firstName");
const LAST_NAME: Param = opt("last_name", Ty::Str, "Last name of a natural person.").body("lastName");
const DOB: Param = opt("dob", Ty::Date, "Date of birth, YYYY-MM-DD.");
const NATIONALITY: Param =
    opt("nationality", Ty::Str, "Nationality as an ISO 3166 two-letter code, e.g. DE.");
const STREET: Param = opt("street", Ty::Str, "Street of the home (or, for a company, the business) address.");
const HOUSE_NUMBER: Param = opt("house_number", Ty::Str, "House number.").body("houseNumber");
const POSTAL_CODE: Param = opt("postal_code", Ty::Str, "Postcode.").body("postalCode");
const CITY: Param = opt("city", Ty::Str, "City.");
const COUNTRY: Param = opt("country", Ty::Str, "Country as an ISO 3166 two-letter code, e.g. DE.");
const SHARE_NOMINAL: Param = opt(
    "share_nominal_amount",
    Ty::Str,
    "Nominal amount of this shareholder's share in whole euros, e.g. \"12500\"; all shares add up to the share capital.",
)
.body("shareNominalAmount");

pub(in super::super) static TOOLS: &[Spec] = &[
    Spec {
        name: "get_incorporation",
        title: "Get my incorporation",
        set: Toolset::Founding,
        doc: "Show the person's GmbH/UG incorporation draft: status (data_collection, data_complete, documents_generated, notary_requested, handed_off, notarized, capital_deposited, registered, completed), the sections (company, shareholders, capital, agreement, notary) each with complete and the missing fields, the shareholders, whether the Musterprotokoll is possible (musterprotokoll.eligible with reasons), documentsStale and the roadmap after the notary. Answers {exists: false} when there is none yet.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/incorporations/my/",
        hook: Hook::Mine { what: "incorporation", start: "create_incorporation" },
        ..BASE
    },
    Spec {
        name: "get_incorporation_choices",
        title: "Get incorporation choices",
        set: Toolset::Founding,
        doc: "List the allowed values with German labels for one of the incorporation's fields: legal-forms, shareholder-types, agreement-types, notarization-types or notarization-timeframes. Answers {choices: [{value, label}]}.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/choices/{choice_type}/",
        params: &[req("choice_type", Ty::Choice(CHOICE_TYPES), "Which list.").path()],
        hook: Hook::WrapList("choices"),
        ..BASE
    },
    Spec {
        name: "create_incorporation",
        title: "Start an incorporation",
        set: Toolset::Founding,
        doc: "Start the person's incorporation draft for a GmbH (share capital from 25,000 €) or a UG (haftungsbeschränkt) (1 to 24,999 €). A person has one incorporation at a time: Norman refuses a second (check get_incorporation first). Nothing leaves Norman.",
        hints: CREATE,
        verb: Verb::Post,
        path: "api/v1/incorporations/",
        params: &[
            opt("legal_form", Ty::Choice(LEGAL_FORMS), "gmbh or ug; can be set later.").body("legalForm"),
            opt("locale", Ty::Choice(LOCALES), "Language of the generated documents.").fill(Fill::Str("de")),
        ],
        hook: Hook::StartDraft,
        ..BASE
    },
    Spec {
        name: "update_incorporation_company",
        title: "Update incorporation company data",
        set: Toolset::Founding,
        doc: "Set the company's legal form, name (without the legal suffix, which Norman appends), business purpose and registered seat; only the fields given change. Changing what generated documents say makes them stale (generate them again). Locked once a notary is requested.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/incorporations/{public_id}/",
        params: &[
            PUBLIC_ID,
            opt("legal_form", Ty::Choice(LEGAL_FORMS), "gmbh or ug.").body("legalForm"),
            opt("company_name", Ty::Str, "Company name without GmbH/UG; Norman appends the suffix.")
                .body("companyName"),
            opt("business_purpose", Ty::Str, "Business purpose (Unternehmensgegenstand) in register wording.")
                .body("businessPurpose"),
            opt("registered_office_city", Ty::Str, "City of the registered seat (Sitz).")
                .body("registeredOfficeCity"),
            opt("registered_office_street", Ty::Str, "Street of the seat's address.")
                .body("registeredOfficeStreet"),
            opt("registered_office_house_number", Ty::Str, "House number of the seat's address.")
                .body("registeredOfficeHouseNumber"),
            opt("registered_office_additional", Ty::Str, "Address addition (c/o, floor).")
                .body("registeredOfficeAdditional"),
            opt("registered_office_postal_code", Ty::Str, "Five-digit postcode of the seat.")
                .body("registeredOfficePostalCode"),
            opt("business_address_city", Ty::Str, "City of the business address, when not the seat.")
                .body("businessAddressCity"),
            opt(
                "registered_address_skipped",
                Ty::Bool,
                "true when there is no seat address yet (add it later); the street is then not required.",
            )
            .body("registeredAddressSkipped"),
        ],
        ..BASE
    },
    Spec {
        name: "update_incorporation_capital",
        title: "Set incorporation share capital",
        set: Toolset::Founding,
        doc: "Set the share capital (Stammkapital) in whole euros: a GmbH at least 25,000, a UG 1 to 24,999. The shareholders' nominal amounts must add up to it (sections.capital.missing shows shareNominalSum otherwise). Norman refuses a capital that does not suit the legal form.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/incorporations/{public_id}/",
        params: &[
            PUBLIC_ID,
            req("share_capital", Ty::Str, "Share capital in whole euros, e.g. \"25000\".").body("shareCapital"),
        ],
        ..BASE
    },
    Spec {
        name: "add_incorporation_shareholder",
        title: "Add incorporation shareholder",
        set: Toolset::Founding,
        doc: "Add a founder: a natural person (name, date of birth, nationality, address) or a company (legal_entity: name, seat, register court and number, address), with the nominal amount of the share. The Musterprotokoll allows at most three shareholders. Making one the managing director unsets the others; a managing director is a natural person. Returns the whole incorporation.",
        hints: CREATE,
        verb: Verb::Post,
        path: "api/v1/incorporations/{public_id}/shareholders/",
        params: &[
            PUBLIC_ID,
            opt("shareholder_type", Ty::Choice(SHAREHOLDER_TYPES), "natural_person or legal_entity.")
                .body("shareholderType")
                .fill(Fill::Str("natural_person")),
            FIRST_NAME,
            LAST_NAME,
            DOB,
            NATIONALITY,
            STREET,
            HOUSE_NUMBER,
            opt("additional", Ty::Str, "Address addition (c/o, floor)."),
            POSTAL_CODE,
            CITY,
            COUNTRY,
            opt("email", Ty::Str, "E-mail address (needed to invite them)."),
            opt("phone", Ty::Str, "Phone number."),
            opt("entity_name", Ty::Str, "Company name of a legal_entity shareholder.").body("entityName"),
            opt("entity_seat", Ty::Str, "Seat of a legal_entity shareholder.").body("entitySeat"),
            opt("entity_register_court", Ty::Str, "Register court of a legal_entity shareholder.")
                .body("entityRegisterCourt"),
            opt("entity_register_number", Ty::Str, "Register number of a legal_entity shareholder, e.g. HRB 12345.")
                .body("entityRegisterNumber"),
            SHARE_NOMINAL,
            opt("is_managing_director", Ty::Bool, "true if this person will be the managing director (Geschäftsführer).")
                .body("isManagingDirector")
                .fill(Fill::Bool(false)),
        ],
        ..BASE
    },
    Spec {
        name: "update_incorporation_shareholder",
        title: "Update incorporation shareholder",
        set: Toolset::Founding,
        doc: "Change a shareholder's data, share or managing-director role; only the fields given change (making one managing director unsets the others). Returns the whole incorporation.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/incorporations/{public_id}/shareholders/{shareholder_public_id}/",
        params: &[
            PUBLIC_ID,
            SHAREHOLDER_ID,
            SHARE_NOMINAL,
            opt("is_managing_director", Ty::Bool, "true to make this person the managing director.")
                .body("isManagingDirector"),
            FIRST_NAME,
            LAST_NAME,
            DOB,
            NATIONALITY,
            STREET,
            HOUSE_NUMBER,
            POSTAL_CODE,
            CITY,
            COUNTRY,
        ],
        ..BASE
    },
    Spec {
        name: "invite_incorporation_shareholder",
        title: "Invite incorporation shareholder",
        set: Toolset::Founding,
        doc: "E-mail a co-founder (a natural person) a link, valid for 30 days, to fill in their own data. Sends an e-mail outside Norman every time it is called: confirm the address first.",
        hints: SEND,
        verb: Verb::Post,
        path: "api/v1/incorporations/{public_id}/shareholders/{shareholder_public_id}/invite/",
        params: &[
            PUBLIC_ID,
            SHAREHOLDER_ID,
            opt("email", Ty::Str, "Where to send the link; the shareholder's stored e-mail if omitted."),
        ],
        ..BASE
    },
    Spec {
        name: "remove_incorporation_shareholder",
        title: "Remove incorporation shareholder",
        set: Toolset::Founding,
        doc: "Remove a shareholder from the incorporation; the others are renumbered. Their data are gone. Returns the whole incorporation.",
        hints: DELETE,
        verb: Verb::Delete,
        path: "api/v1/incorporations/{public_id}/shareholders/{shareholder_public_id}/",
        params: &[PUBLIC_ID, SHAREHOLDER_ID],
        ..BASE
    },
    Spec {
        name: "set_incorporation_agreement",
        title: "Choose founding agreement",
        set: Toolset::Founding,
        doc: "Choose the founding agreement: musterprotokoll (the statutory model protocol, only when musterprotokoll.eligible: 1 to 3 shareholders and one managing director) or individual articles of association drafted with the notary.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/incorporations/{public_id}/",
        params: &[
            PUBLIC_ID,
            req("agreement_type", Ty::Choice(AGREEMENT_TYPES), "musterprotokoll or individual.")
                .body("agreementType"),
        ],
        ..BASE
    },
    Spec {
        name: "update_incorporation_notary_preferences",
        title: "Set notary preferences",
        set: Toolset::Founding,
        doc: "Set how and when the founding is notarised: online (video) or in_person (then in which city), and the timeframe. Norman matches notaries by these; changeable until the hand-off.",
        hints: UPDATE,
        verb: Verb::Patch,
        path: "api/v1/incorporations/{public_id}/",
        params: &[
            PUBLIC_ID,
            opt("notary_city", Ty::Str, "City for an appointment in person.").body("notaryCity"),
            opt("notarization_type", Ty::Choice(NOTARIZATION_TYPES), "online or in_person.")
                .body("notarizationType"),
            opt(
                "notarization_timeframe",
                Ty::Choice(NOTARIZATION_TIMEFRAMES),
                "within_7_days, within_2_weeks or flexible.",
            )
            .body("notarizationTimeframe"),
        ],
        ..BASE
    },
    Spec {
        name: "generate_incorporation_documents",
        title: "Generate founding documents",
        set: Toolset::Founding,
        doc: "Generate the founding documents as PDFs (the Musterprotokoll when chosen, and the list of shareholders) from the data entered; again after a change (documentsStale). Norman refuses while the company, shareholders, capital or agreement section misses something, and names it. Answers the documents with their download links.",
        hints: GENERATE,
        verb: Verb::Post,
        path: "api/v1/incorporations/{public_id}/documents/",
        params: &[PUBLIC_ID],
        hook: Hook::GenerateDocuments,
        ..BASE
    },
    Spec {
        name: "get_incorporation_document_preview",
        title: "Preview founding document",
        set: Toolset::Founding,
        doc: "Show the first page of a generated founding document as an image, with its title and download link.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/incorporations/{public_id}/documents/",
        params: &[
            PUBLIC_ID,
            opt(
                "document_type",
                Ty::Choice(DOCUMENT_TYPES),
                "musterprotokoll or gesellschafterliste; the first document (the Musterprotokoll when there is one) if omitted.",
            )
            .hook(),
        ],
        hook: Hook::DocumentPreview { generate: "generate_incorporation_documents" },
        ..BASE
    },
    Spec {
        name: "match_incorporation_notaries",
        title: "Match notaries",
        set: Toolset::Founding,
        doc: "Suggest up to three notaries for the founding, by the notary preferences and the seat: each with publicId, name, address, online notarisation and earliest appointment. Answers {notaries: [...]}.",
        hints: READ,
        verb: Verb::Get,
        path: "api/v1/incorporations/{public_id}/notary-matches/",
        params: &[PUBLIC_ID],
        hook: Hook::WrapList("notaries"),
        ..BASE
    },
    Spec {
        name: "request_incorporation_notary",
        title: "Request notary",
        set: Toolset::Founding,
        doc: "Hand the founding to a notary: sends the generated documents and the founders' personal data to the notary named (status handed_off) or, without one, asks Norman to find one by the preferences (notary_requested). Needs current documents. Afterwards company, shareholders, capital and agreement can no longer be changed: confirm with the person first.",
        hints: HAND_OVER,
        verb: Verb::Post,
        path: "api/v1/incorporations/{public_id}/request-notary/",
        params: &[
            PUBLIC_ID,
            opt("notary_public_id", Ty::Id, "The notary's publicId from match_incorporation_notaries.")
                .body("notaryPublicId"),
            opt("message", Ty::Str, "A message to the notary.").truthy().fill(Fill::Str("")),
        ],
        ..BASE
    },
    Spec {
        name: "suggest_incorporation_purpose",
        title: "Suggest business purpose",
        set: Toolset::Founding,
        doc: "Rewrite a business purpose described in the person's words into wording fit for the commercial register. Changes nothing: save the accepted text with update_incorporation_company. Answers {suggestion}.",
        hints: READ,
        verb: Verb::Post,
        path: "api/v1/incorporations/{public_id}/suggest-purpose/",
        params: &[PUBLIC_ID, req("draft", Ty::Str, "What the company will do, in the person's words.")],
        ..BASE
    },
    Spec {
        name: "check_incorporation_name",
        title: "Check company name",
        set: Toolset::Founding,
        doc: "Search the commercial register for companies with the same or a similar name. Answers {status: ok or unavailable, searched, matches: [{name, seat, register}]}.",
        hints: LOOK_UP_OUTSIDE,
        verb: Verb::Post,
        path: "api/v1/incorporations/{public_id}/check-name/",
        params: &[PUBLIC_ID, opt("name", Ty::Str, "The name to check; the draft's company name if omitted.")],
        ..BASE
    },
    Spec {
        name: "complete_incorporation_step",
        title: "Complete formation step",
        set: Toolset::Founding,
        doc: "Mark a step after the notary hand-off done (or, with done=false, undone): notary, bank_account, deposit, hrb (with register_number and register_court from the court's notice), then finanzamt, gewerbeamt and transparency in any order. Steps go in the roadmap's order. Returns the whole incorporation.",
        hints: UPDATE,
        verb: Verb::Post,
        path: "api/v1/incorporations/{public_id}/formation-step/",
        params: &[
            PUBLIC_ID,
            req("step", Ty::Choice(FORMATION_STEPS), "The roadmap step."),
            opt("done", Ty::Bool, "true marks the step done, false undone.").fill(Fill::Bool(true)),
            opt("register_number", Ty::Str, "With step hrb: the register number, e.g. HRB 123456 B.")
                .body("registerNumber")
                .truthy()
                .fill(Fill::Str("")),
            opt("register_court", Ty::Str, "With step hrb: the register court, e.g. Amtsgericht Charlottenburg.")
                .body("registerCourt")
                .truthy()
                .fill(Fill::Str("")),
        ],
        ..BASE
    },
];
