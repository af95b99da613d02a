//! `gewerbe-registrations/`: the trade-office registration (Gewerbeanmeldung, form GewA 1).
//! Three sections (`basic`, `business`, `owner`); the form is generated once they are
//! complete, and the responsible trade office is looked up by the business postcode.

use serde_json::{Map, Value, json};
use time::Duration;

use super::documents::gewerbe_document;
use super::drafts::{Prefilled, Workflow, blank_draft, generate, keep_documents, mark_stale, suggest, touch};
use super::incorporation::shareholders;
use super::rules::{FieldRule, Rule, Sections, apply, flag, incomplete, is_set, missing_from, r};
use super::suggest::activity_suggestion;
use crate::caller::Founder;
use crate::drf::error::{ApiResult, ok};
use crate::drf::fields::{Fields, Kind, parse_date};
use crate::drf::request::{Id, RawBody};
use crate::founders::DraftKind;
use crate::founding_reference::{ChoiceList, is_postal_code, trade_office};
use crate::store::{Record, obj, str_of, today};

pub(crate) struct Gewerbe;

impl Workflow for Gewerbe {
    const KIND: DraftKind = DraftKind::Gewerbe;
    const ONE: &'static str = "A trade registration";

    fn refresh(record: &mut Record) {
        refresh(record);
    }
}

impl Prefilled for Gewerbe {
    fn new_record(source: Option<Value>, incorporation: Option<&Record>) -> Record {
        new_record(source, incorporation)
    }
}

const KIND: DraftKind = DraftKind::Gewerbe;

/// § 14 GewO wants the registration when the activity starts; Norman takes it at most this
/// many days ahead.
const MAX_DAYS_AHEAD: i64 = 14;

const FIELDS: &[FieldRule] = &[
    // basic
    r("activityStartDate", Rule::Kind(Kind::Date)),
    r("establishmentType", Rule::Choice(ChoiceList::EstablishmentTypes)),
    // business
    r("legalForm", Rule::Choice(ChoiceList::GewerbeLegalForms)),
    r("registeredName", Rule::Kind(Kind::Text)),
    r("commercialRegisterNumber", Rule::Kind(Kind::Text)),
    r("businessType", Rule::Choices(ChoiceList::BusinessTypes)),
    r("businessStreet", Rule::Kind(Kind::Text)),
    r("businessHouseNumber", Rule::Kind(Kind::Text)),
    r("businessPostalCode", Rule::PostalCode),
    r("businessCity", Rule::Kind(Kind::Text)),
    r("businessEmail", Rule::Kind(Kind::Email)),
    r("businessPhone", Rule::Kind(Kind::Text)),
    r("activityDescription", Rule::Kind(Kind::LongText)),
    r("licenseRequired", Rule::Kind(Kind::Bool)),
    r("licenseAuthority", Rule::Kind(Kind::Text)),
    r("licenseIssueDate", Rule::PastDate),
    r("publicSectorParticipation", Rule::Kind(Kind::Bool)),
    r("hasEmployees", Rule::Kind(Kind::Bool)),
    r("employeesFullTime", Rule::Count),
    r("employeesPartTime", Rule::Count),
    // owner
    r("ownerFirstNames", Rule::Kind(Kind::Text)),
    r("ownerLastName", Rule::Kind(Kind::Text)),
    r("ownerBirthName", Rule::Kind(Kind::Text)),
    r("ownerDob", Rule::PastDate),
    r("ownerPlaceOfBirth", Rule::Kind(Kind::Text)),
    r("ownerCountryOfBirth", Rule::Kind(Kind::Country)),
    r("ownerNationality", Rule::Kind(Kind::Country)),
    r("ownerGender", Rule::Choice(ChoiceList::Genders)),
    r("ownerEmail", Rule::Kind(Kind::Email)),
    r("ownerPhone", Rule::Kind(Kind::Text)),
    r("activityType", Rule::Choice(ChoiceList::ActivityTypes)),
    r("ownerAddressSameAsBusiness", Rule::Kind(Kind::Bool)),
    r("ownerResidenceType", Rule::Choice(ChoiceList::ResidenceTypes)),
    r("ownerResidenceStreet", Rule::Kind(Kind::Text)),
    r("ownerResidenceHouseNumber", Rule::Kind(Kind::Text)),
    r("ownerResidencePostalCode", Rule::Kind(Kind::Text)),
    r("ownerResidenceCity", Rule::Kind(Kind::Text)),
];

/// Legal forms that trade under a registered name; a sole proprietor or a GbR trades under
/// the owners' names.
fn has_registered_name(form: &str) -> bool {
    !matches!(form, "sole_proprietorship" | "gbr")
}

pub(crate) fn sections(record: &Record) -> Sections {
    let mut sections = Sections::default();
    let mut basic = Vec::new();
    missing_from(record, &["activityStartDate", "establishmentType"], "", &mut basic);
    sections.add("basic", basic);

    let mut business = Vec::new();
    missing_from(record, &["legalForm"], "", &mut business);
    if has_registered_name(str_of(record, "legalForm")) {
        missing_from(record, &["registeredName"], "", &mut business);
    }
    let required = [
        "businessType",
        "businessStreet",
        "businessHouseNumber",
        "businessPostalCode",
        "businessCity",
        "activityDescription",
    ];
    missing_from(record, &required, "", &mut business);
    missing_from(record, &["licenseRequired", "hasEmployees"], "", &mut business);
    if flag(record, "licenseRequired") == Some(true) {
        missing_from(record, &["licenseAuthority", "licenseIssueDate"], "", &mut business);
    }
    let staff = |key| record.get(key).and_then(Value::as_u64).unwrap_or(0);
    if flag(record, "hasEmployees") == Some(true)
        && staff("employeesFullTime") + staff("employeesPartTime") == 0
    {
        business.push("employeesFullTime".to_owned());
    }
    sections.add("business", business);

    let mut owner = Vec::new();
    let required = [
        "ownerFirstNames",
        "ownerLastName",
        "ownerDob",
        "ownerPlaceOfBirth",
        "ownerNationality",
        "ownerGender",
        "activityType",
        "ownerAddressSameAsBusiness",
    ];
    missing_from(record, &required, "", &mut owner);
    if flag(record, "ownerAddressSameAsBusiness") == Some(false) {
        let residence = [
            "ownerResidenceType",
            "ownerResidenceStreet",
            "ownerResidenceHouseNumber",
            "ownerResidencePostalCode",
            "ownerResidenceCity",
        ];
        missing_from(record, &residence, "", &mut owner);
    }
    sections.add("owner", owner);
    sections
}

/// Recomputes `sections` and `status`: `data_collection` until every section is complete,
/// then `data_complete`, and `documents_generated` while the generated form is current.
pub(crate) fn refresh(record: &mut Record) {
    let sections = sections(record);
    let status = if !sections.all_complete() {
        "data_collection"
    } else if is_set(record, "documents") && flag(record, "documentsStale") != Some(true) {
        "documents_generated"
    } else {
        "data_complete"
    };
    record.insert("sections".into(), sections.to_value());
    record.insert("status".into(), json!(status));
}

/// Cross-field checks of a PATCH against the record it changes.
fn check_update(record: &Record, changes: &Record, fields: &mut Fields<'_>) {
    if let Some(start) = changes.get("activityStartDate").and_then(Value::as_str).and_then(parse_date)
        && start > today() + Duration::days(MAX_DAYS_AHEAD)
    {
        fields.error(
            "activityStartDate",
            format!("The activity may start at most {MAX_DAYS_AHEAD} days from today."),
        );
    }
    let merged =
        |key: &str| changes.get(key).or_else(|| record.get(key)).and_then(Value::as_str).unwrap_or_default();
    if changes.contains_key("ownerResidencePostalCode") || changes.contains_key("ownerResidenceType") {
        let code = merged("ownerResidencePostalCode");
        if merged("ownerResidenceType") == "inland" && !code.is_empty() && !is_postal_code(code) {
            fields.error("ownerResidencePostalCode", "Enter a valid German postcode (five digits).");
        }
    }
}

/// The draft a new registration starts from, prefilled from an incorporation: the company
/// becomes the business and its managing director the owner.
fn new_record(source: Option<Value>, incorporation: Option<&Record>) -> Record {
    let mut record = blank_draft("gew", source, FIELDS);
    record.extend(obj(json!({
        "incorporation": null,
        "publicSectorParticipation": false,
        "documents": [],
        "documentsStale": false,
    })));
    let Some(inc) = incorporation else {
        return record;
    };
    let copy = |key: &str| inc.get(key).cloned().unwrap_or(Value::Null);
    record.extend(obj(json!({
        "incorporation": copy("publicId"),
        "establishmentType": "head_office",
        "legalForm": copy("legalForm"),
        "registeredName": copy("companyName"),
        "businessStreet": copy("registeredOfficeStreet"),
        "businessHouseNumber": copy("registeredOfficeHouseNumber"),
        "businessPostalCode": copy("registeredOfficePostalCode"),
        "businessCity": copy("registeredOfficeCity"),
        "activityDescription": copy("businessPurpose"),
    })));
    let director = shareholders(inc)
        .iter()
        .filter_map(Value::as_object)
        .find(|h| h.get("isManagingDirector").and_then(Value::as_bool) == Some(true));
    if let Some(director) = director {
        let copy = |key: &str| director.get(key).cloned().unwrap_or(Value::Null);
        let inland = matches!(str_of(director, "country"), "DE" | "");
        record.extend(obj(json!({
            "ownerFirstNames": copy("firstName"),
            "ownerLastName": copy("lastName"),
            "ownerDob": copy("dob"),
            "ownerNationality": copy("nationality"),
            "ownerEmail": copy("email"),
            "ownerPhone": copy("phone"),
            "ownerAddressSameAsBusiness": false,
            "ownerResidenceType": if inland { "inland" } else { "ausland" },
            "ownerResidenceStreet": copy("street"),
            "ownerResidenceHouseNumber": copy("houseNumber"),
            "ownerResidencePostalCode": copy("postalCode"),
            "ownerResidenceCity": copy("city"),
        })));
    }
    record
}

/// `PATCH gewerbe-registrations/{id}/`: any of the three sections' fields.
pub(crate) async fn update(founder: Founder, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let mut changes = Map::new();
    apply(&mut fields, &body, FIELDS, &mut changes);
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    check_update(record, &changes, &mut fields);
    fields.finish()?;
    let changed = changes.iter().any(|(key, value)| record.get(key) != Some(value));
    if changed {
        mark_stale(record);
        record.extend(changes);
        touch(record);
    }
    refresh(record);
    Ok(ok(record))
}

/// `POST …/suggest-activity/`: `{suggestion}`; the draft is not changed.
pub(crate) async fn suggest_activity(founder: Founder, Id(id): Id, body: RawBody) -> ApiResult {
    suggest::<Gewerbe>(&founder, &id, body, activity_suggestion)
}

/// `POST …/documents/`: the filled-in GewA 1; 400 with `missing` while a section is
/// incomplete.
pub(crate) async fn generate_documents(founder: Founder, Id(id): Id) -> ApiResult {
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    let sections = sections(record);
    if !sections.all_complete() {
        return Err(incomplete(
            "Complete the basic, business and owner sections before generating the form.",
            sections.missing_in(&["basic", "business", "owner"]),
        ));
    }
    let office = trade_office(str_of(record, "businessPostalCode"));
    let entries = generate(&founder, &id, vec![gewerbe_document(record, office)]);
    keep_documents::<Gewerbe>(record, entries)
}

/// `GET …/trade-office/`: `{office}` for the business postcode, `{office: null}` when the
/// postcode is unknown or not set.
pub(crate) async fn trade_office_lookup(founder: Founder, Id(id): Id) -> ApiResult {
    let drafts = founder.drafts()?;
    let record = drafts.owned(KIND, &id)?;
    Ok(ok(&json!({ "office": trade_office(str_of(record, "businessPostalCode")) })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::founding::rules::days_from_today;

    fn complete() -> Record {
        let mut record = new_record(None, None);
        record.extend(obj(json!({
            "activityStartDate": days_from_today(3), "establishmentType": "head_office",
            "legalForm": "sole_proprietorship", "businessType": ["trade"],
            "businessStreet": "Torstraße", "businessHouseNumber": "1", "businessPostalCode": "10119",
            "businessCity": "Berlin", "activityDescription": "Handel mit Kaffee",
            "licenseRequired": false, "hasEmployees": false,
            "ownerFirstNames": "Anna", "ownerLastName": "Muster", "ownerDob": "1990-05-17",
            "ownerPlaceOfBirth": "Berlin", "ownerNationality": "DE", "ownerGender": "female",
            "activityType": "main", "ownerAddressSameAsBusiness": true,
        })));
        refresh(&mut record);
        record
    }

    #[test]
    fn sections_follow_the_answers() {
        let mut record = complete();
        assert_eq!(record["status"], "data_complete", "{}", record["sections"]);
        record.insert("legalForm".into(), json!("gmbh"));
        record.insert("hasEmployees".into(), json!(true));
        record.insert("licenseRequired".into(), json!(true));
        record.insert("ownerAddressSameAsBusiness".into(), json!(false));
        refresh(&mut record);
        assert_eq!(
            record["sections"]["business"]["missing"],
            json!(["registeredName", "licenseAuthority", "licenseIssueDate", "employeesFullTime"])
        );
        assert_eq!(record["sections"]["owner"]["missing"].as_array().map(Vec::len), Some(5));
        assert_eq!(record["status"], "data_collection");
    }

    #[test]
    fn a_new_draft_misses_every_section() {
        let mut record = new_record(None, None);
        refresh(&mut record);
        for section in ["basic", "business", "owner"] {
            assert_eq!(record["sections"][section]["complete"], false, "{section}");
        }
    }
}
