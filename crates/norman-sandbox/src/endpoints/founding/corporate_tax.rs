//! `corporate-tax-registrations/`: the tax office's questionnaire for a new GmbH or UG
//! (Fragebogen zur steuerlichen Erfassung). Six sections; `data_complete` once all are
//! complete. The e-filing itself happens in Norman's web app, not through the tools; the
//! sandbox stands in for it with `POST …/{id}/submit/`, which files a complete questionnaire
//! (`submitted`) and puts the transmission protocol behind `reportUrl`.

use serde_json::{Map, Value, json};

use super::documents::transmission_protocol;
use super::drafts::{Prefilled, Workflow, blank_draft, generate, touch};
use super::incorporation::{capital_problem, shareholders};
use super::rules::{
    FieldRule, Rule, Sections, apply, euros_of, flag, incomplete, is_set, missing_from, r, refused,
    whole_euros,
};
use crate::caller::Founder;
use crate::drf::error::{ApiError, ApiResult, ok};
use crate::drf::fields::{Fields, Kind, to_f64};
use crate::drf::request::{Id, RawBody};
use crate::founders::DraftKind;
use crate::founding_reference::ChoiceList;
use crate::store::{Record, now_rfc3339, obj, str_of};
use crate::token::{hex, random_bytes};

pub(crate) struct CorporateTax;

impl Workflow for CorporateTax {
    const KIND: DraftKind = DraftKind::CorporateTax;
    const ONE: &'static str = "A corporate tax registration";

    fn refresh(record: &mut Record) {
        refresh(record);
    }
}

impl Prefilled for CorporateTax {
    fn new_record(source: Option<Value>, incorporation: Option<&Record>) -> Record {
        new_record(source, incorporation)
    }
}

const KIND: DraftKind = DraftKind::CorporateTax;

/// § 19 (1) UStG: a small business (Kleinunternehmer) has at most this much revenue in the
/// year before, so a new company may expect at most this much in its founding year.
const KLEINUNTERNEHMER_LIMIT: u64 = 25_000;
const MAX_REPRESENTATIVES: usize = 9;
const MAX_SHAREHOLDERS: usize = 99;

const FIELDS: &[FieldRule] = &[
    // company
    r("legalForm", Rule::Choice(ChoiceList::CorporateLegalForms)),
    r("companyName", Rule::Kind(Kind::Text)),
    r("seatCity", Rule::Kind(Kind::Text)),
    r("businessStreet", Rule::Kind(Kind::Text)),
    r("businessHouseNumber", Rule::Kind(Kind::Text)),
    r("businessAdditional", Rule::Kind(Kind::Text)),
    r("businessPostalCode", Rule::PostalCode),
    r("businessCity", Rule::Kind(Kind::Text)),
    r("managementAddressSame", Rule::Kind(Kind::Bool)),
    r("managementStreet", Rule::Kind(Kind::Text)),
    r("managementHouseNumber", Rule::Kind(Kind::Text)),
    r("managementAdditional", Rule::Kind(Kind::Text)),
    r("managementPostalCode", Rule::PostalCode),
    r("managementCity", Rule::Kind(Kind::Text)),
    r("phone", Rule::Kind(Kind::Text)),
    r("email", Rule::Kind(Kind::Email)),
    r("website", Rule::Kind(Kind::Text)),
    r("activityDescription", Rule::Kind(Kind::LongText)),
    r("taxOffice", Rule::Digits(4)),
    // registration
    r("notaryContractDate", Rule::PastDate),
    r("hrApplicationFiled", Rule::Kind(Kind::Bool)),
    r("hrApplicationDate", Rule::PastDate),
    r("hrRegistered", Rule::Kind(Kind::Bool)),
    r("hrRegistrationDate", Rule::PastDate),
    r("registerCourt", Rule::Kind(Kind::Text)),
    r("registerType", Rule::Kind(Kind::Text)),
    r("registerNumber", Rule::Kind(Kind::Text)),
    // financials
    r("shareCapital", Rule::Euros),
    r("businessStartDate", Rule::Kind(Kind::Date)),
    r("divergentFiscalYear", Rule::Kind(Kind::Bool)),
    r("fiscalYearStart", Rule::Kind(Kind::Date)),
    r("expectedProfitFoundingYear", Rule::Kind(Kind::Int)),
    r("expectedProfitFollowingYear", Rule::Kind(Kind::Int)),
    // VAT and bank
    r("expectedRevenueFoundingYear", Rule::Count),
    r("expectedRevenueFollowingYear", Rule::Count),
    r("isKleinunternehmer", Rule::Kind(Kind::Bool)),
    r("kleinunternehmerChargeVat", Rule::Kind(Kind::Bool)),
    r("estimatedVatAmountFoundingYear", Rule::Kind(Kind::Int)),
    r("taxationMethod", Rule::Choice(ChoiceList::TaxationMethods)),
    r("requestVatId", Rule::Kind(Kind::Bool)),
    r("bankIban", Rule::Iban),
    r("bankAccountHolderRole", Rule::NumericChoice(ChoiceList::BankAccountHolderRoles)),
    r("bankAccountHolderName", Rule::Kind(Kind::Text)),
];

const PERSON_FIELDS: &[FieldRule] = &[
    r("salutation", Rule::Choice(ChoiceList::Salutations)),
    r("firstName", Rule::Kind(Kind::Text)),
    r("lastName", Rule::Kind(Kind::Text)),
    r("dob", Rule::PastDate),
    r("taxId", Rule::Digits(11)),
    r("street", Rule::Kind(Kind::Text)),
    r("houseNumber", Rule::Kind(Kind::Text)),
    r("additional", Rule::Kind(Kind::Text)),
    r("postalCode", Rule::Kind(Kind::Text)),
    r("city", Rule::Kind(Kind::Text)),
    r("country", Rule::Kind(Kind::Country)),
];

const REPRESENTATIVE_FIELDS: &[FieldRule] =
    &[r("phone", Rule::Kind(Kind::Text)), r("email", Rule::Kind(Kind::Email))];

const SHAREHOLDER_FIELDS: &[FieldRule] = &[
    r("shareholderType", Rule::Choice(ChoiceList::CorporateShareholderTypes)),
    r("entityName", Rule::Kind(Kind::Text)),
    r("shareNominalAmount", Rule::Euros),
    r("sharePercent", Rule::Percent),
];

const ADDRESS: &[&str] = &["street", "houseNumber", "postalCode", "city", "country"];
const NAME: &[&str] = &["salutation", "firstName", "lastName", "dob"];

/// A replace-all list of person objects: each item checked like a nested serializer, with
/// DRF's per-item error list (`[{}, {"dob": [...]}]`) when any item is wrong.
fn people(
    fields: &mut Fields<'_>,
    body: &Map<String, Value>,
    key: &str,
    rules: &[&[FieldRule]],
    max: usize,
    changes: &mut Record,
) {
    let Some(raw) = body.get(key) else {
        return;
    };
    let Value::Array(items) = raw else {
        fields.error(key, "Expected a list of items.");
        return;
    };
    if items.len() > max {
        fields.error(key, format!("Ensure this field has no more than {max} elements."));
        return;
    }
    let mut people = Vec::with_capacity(items.len());
    let mut errors = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(item) = item else {
            errors.push(json!({ "non_field_errors": ["Invalid data. Expected a dictionary."] }));
            continue;
        };
        let mut item_fields = Fields::new(item);
        let mut person = Map::new();
        for rules in rules {
            apply(&mut item_fields, item, rules, &mut person);
        }
        match item_fields.finish() {
            Ok(()) => errors.push(json!({})),
            Err(ApiError::Invalid(problems)) => errors.push(Value::Object(problems)),
            Err(_) => errors.push(json!({ "non_field_errors": ["Invalid data."] })),
        }
        people.push(Value::Object(person));
    }
    if errors.iter().any(|e| e.as_object().is_some_and(|e| !e.is_empty())) {
        fields.error_value(key, Value::Array(errors));
    } else {
        changes.insert(key.to_owned(), Value::Array(people));
    }
}

fn list<'a>(record: &'a Record, key: &str) -> Vec<&'a Record> {
    record
        .get(key)
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

pub(crate) fn sections(record: &Record) -> Sections {
    let mut sections = Sections::default();

    let mut company = Vec::new();
    let required = [
        "legalForm",
        "companyName",
        "seatCity",
        "businessStreet",
        "businessHouseNumber",
        "businessPostalCode",
        "businessCity",
        "managementAddressSame",
    ];
    missing_from(record, &required, "", &mut company);
    if flag(record, "managementAddressSame") == Some(false) {
        let management =
            ["managementStreet", "managementHouseNumber", "managementPostalCode", "managementCity"];
        missing_from(record, &management, "", &mut company);
    }
    missing_from(record, &["activityDescription", "taxOffice"], "", &mut company);
    sections.add("company", company);

    let mut registration = Vec::new();
    missing_from(record, &["notaryContractDate", "hrApplicationFiled"], "", &mut registration);
    if flag(record, "hrApplicationFiled") == Some(true) {
        missing_from(record, &["hrApplicationDate"], "", &mut registration);
    }
    missing_from(record, &["hrRegistered"], "", &mut registration);
    if flag(record, "hrRegistered") == Some(true) {
        let register = ["hrRegistrationDate", "registerCourt", "registerType", "registerNumber"];
        missing_from(record, &register, "", &mut registration);
    }
    sections.add("registration", registration);

    let mut representatives = Vec::new();
    let people = list(record, "representatives");
    if people.is_empty() {
        representatives.push("representatives".to_owned());
    }
    for (n, person) in people.iter().enumerate() {
        let prefix = format!("representatives[{n}].");
        missing_from(person, NAME, &prefix, &mut representatives);
        missing_from(person, ADDRESS, &prefix, &mut representatives);
    }
    sections.add("representatives", representatives);

    let mut holders = Vec::new();
    let entries = list(record, "shareholderEntries");
    if entries.is_empty() {
        holders.push("shareholderEntries".to_owned());
    }
    for (n, entry) in entries.iter().enumerate() {
        let prefix = format!("shareholderEntries[{n}].");
        missing_from(
            entry,
            &["shareholderType", "shareNominalAmount", "sharePercent"],
            &prefix,
            &mut holders,
        );
        if str_of(entry, "shareholderType") == "legal" {
            missing_from(entry, &["entityName"], &prefix, &mut holders);
        } else {
            missing_from(entry, NAME, &prefix, &mut holders);
        }
        missing_from(entry, ADDRESS, &prefix, &mut holders);
    }
    if let Some(capital) = euros_of(record, "shareCapital") {
        let sum: i64 = entries.iter().filter_map(|e| euros_of(e, "shareNominalAmount")).sum();
        if !entries.is_empty() && sum != capital {
            holders.push("shareNominalSum".to_owned());
        }
    }
    sections.add("shareholders", holders);

    let mut financials = Vec::new();
    match euros_of(record, "shareCapital") {
        Some(euros) if capital_problem(str_of(record, "legalForm"), euros).is_none() => {}
        _ => financials.push("shareCapital".to_owned()),
    }
    missing_from(record, &["businessStartDate", "divergentFiscalYear"], "", &mut financials);
    if flag(record, "divergentFiscalYear") == Some(true) {
        missing_from(record, &["fiscalYearStart"], "", &mut financials);
    }
    missing_from(record, &["expectedProfitFoundingYear", "expectedProfitFollowingYear"], "", &mut financials);
    sections.add("financials", financials);

    let mut vat = Vec::new();
    let required = ["expectedRevenueFoundingYear", "expectedRevenueFollowingYear", "isKleinunternehmer"];
    missing_from(record, &required, "", &mut vat);
    let small = flag(record, "isKleinunternehmer") == Some(true);
    if small {
        missing_from(record, &["kleinunternehmerChargeVat"], "", &mut vat);
    }
    if !small || flag(record, "kleinunternehmerChargeVat") == Some(true) {
        missing_from(record, &["taxationMethod", "estimatedVatAmountFoundingYear"], "", &mut vat);
    }
    missing_from(record, &["requestVatId", "bankIban", "bankAccountHolderRole"], "", &mut vat);
    if record.get("bankAccountHolderRole").and_then(Value::as_u64) == Some(99) {
        missing_from(record, &["bankAccountHolderName"], "", &mut vat);
    }
    sections.add("vatAndBank", vat);
    sections
}

/// Recomputes `sections` and `status`: `submitted` once filed, else `data_complete` when
/// every section is complete, else `data_collection`.
pub(crate) fn refresh(record: &mut Record) {
    let sections = sections(record);
    let status = if is_set(record, "submittedAt") {
        "submitted"
    } else if sections.all_complete() {
        "data_complete"
    } else {
        "data_collection"
    };
    record.insert("sections".into(), sections.to_value());
    record.insert("status".into(), json!(status));
}

/// Cross-field checks of a PATCH against the record it changes.
fn check_update(record: &Record, changes: &Record, fields: &mut Fields<'_>) {
    let merged = |key: &str| changes.get(key).or_else(|| record.get(key));
    if let Some(euros) = changes.get("shareCapital").and_then(whole_euros)
        && let Some(problem) =
            capital_problem(merged("legalForm").and_then(Value::as_str).unwrap_or_default(), euros)
    {
        fields.error("shareCapital", problem);
    }
    let small = merged("isKleinunternehmer").and_then(Value::as_bool) == Some(true);
    let revenue = merged("expectedRevenueFoundingYear").and_then(Value::as_u64).unwrap_or(0);
    if (changes.contains_key("isKleinunternehmer") || changes.contains_key("expectedRevenueFoundingYear"))
        && small
        && revenue > KLEINUNTERNEHMER_LIMIT
    {
        fields.error(
            "isKleinunternehmer",
            format!(
                "The small-business rule (§ 19 UStG) needs an expected revenue of at most {KLEINUNTERNEHMER_LIMIT} € in the founding year, not {revenue} €."
            ),
        );
    }
    if let Some(Value::Array(entries)) = changes.get("shareholderEntries") {
        let shares: Option<Vec<f64>> =
            entries.iter().map(|e| e.get("sharePercent").and_then(to_f64)).collect();
        if let Some(shares) = shares.filter(|s| !s.is_empty()) {
            let sum: f64 = shares.iter().sum();
            if (sum - 100.0).abs() > 0.005 {
                fields.error(
                    "shareholderEntries",
                    format!("The shares (sharePercent) must add up to 100 %, not {:.2} %.", sum),
                );
            }
        }
    }
}

/// A new questionnaire, prefilled from an incorporation: the company's data, its managing
/// director as the representative, its shareholders with their shares, and what the
/// roadmap knows of the notarisation and the registration.
fn new_record(source: Option<Value>, incorporation: Option<&Record>) -> Record {
    let mut record = blank_draft("ctr", source, FIELDS);
    record.extend(obj(json!({
        "incorporation": null,
        "representatives": [],
        "shareholderEntries": [],
        "reportUrl": null,
        "transferTicket": null,
        "submittedAt": null,
    })));
    if let Some(inc) = incorporation {
        prefill(&mut record, inc);
    }
    record
}

fn prefill(record: &mut Record, inc: &Record) {
    let copy = |key: &str| inc.get(key).cloned().unwrap_or(Value::Null);
    record.extend(obj(json!({
        "incorporation": copy("publicId"),
        "legalForm": copy("legalForm"),
        "companyName": copy("companyName"),
        "seatCity": copy("registeredOfficeCity"),
        "businessStreet": copy("registeredOfficeStreet"),
        "businessHouseNumber": copy("registeredOfficeHouseNumber"),
        "businessAdditional": copy("registeredOfficeAdditional"),
        "businessPostalCode": copy("registeredOfficePostalCode"),
        "businessCity": copy("registeredOfficeCity"),
        "activityDescription": copy("businessPurpose"),
        "shareCapital": copy("shareCapital"),
    })));
    let holders: Vec<&Record> = shareholders(inc).iter().filter_map(Value::as_object).collect();
    let person = |h: &Record| {
        let copy = |key: &str| h.get(key).cloned().unwrap_or(Value::Null);
        obj(json!({
            "salutation": null, "firstName": copy("firstName"), "lastName": copy("lastName"),
            "dob": copy("dob"), "street": copy("street"), "houseNumber": copy("houseNumber"),
            "additional": copy("additional"), "postalCode": copy("postalCode"), "city": copy("city"),
            "country": copy("country"),
        }))
    };
    let representatives: Vec<Value> = holders
        .iter()
        .filter(|h| h.get("isManagingDirector").and_then(Value::as_bool) == Some(true))
        .map(|h| {
            let mut rep = person(h);
            rep.insert("email".into(), h.get("email").cloned().unwrap_or(Value::Null));
            rep.insert("phone".into(), h.get("phone").cloned().unwrap_or(Value::Null));
            Value::Object(rep)
        })
        .collect();
    let capital = euros_of(inc, "shareCapital").filter(|c| *c > 0);
    let mut entries: Vec<Record> = holders
        .iter()
        .map(|h| {
            let legal = str_of(h, "shareholderType") == "legal_entity";
            let mut entry = person(h);
            entry.insert("shareholderType".into(), json!(if legal { "legal" } else { "natural" }));
            entry.insert("entityName".into(), h.get("entityName").cloned().unwrap_or(Value::Null));
            entry.insert(
                "shareNominalAmount".into(),
                h.get("shareNominalAmount").cloned().unwrap_or(Value::Null),
            );
            let percent = capital
                .zip(euros_of(h, "shareNominalAmount"))
                .map(|(c, a)| (a as f64 * 10_000.0 / c as f64).round() / 100.0);
            entry.insert("sharePercent".into(), json!(percent));
            entry
        })
        .collect();
    // Rounded shares may miss 100 by a cent; the last shareholder takes the difference.
    let shares: Option<Vec<f64>> =
        entries.iter().map(|e| e.get("sharePercent").and_then(Value::as_f64)).collect();
    if let (Some(shares), Some(last)) = (shares, entries.last_mut()) {
        let others: f64 = shares[..shares.len() - 1].iter().sum();
        last.insert("sharePercent".into(), json!(((100.0 - others) * 100.0).round() / 100.0));
    }
    record.insert("representatives".into(), json!(representatives));
    record.insert("shareholderEntries".into(), json!(entries));

    let done_at = |step: &str| {
        inc.get("roadmap")
            .and_then(Value::as_array)
            .and_then(|steps| steps.iter().find(|s| s["step"] == step && s["done"] == true))
            .and_then(|s| s["doneAt"].as_str())
            .map(|at| at.get(..10).unwrap_or(at).to_owned())
    };
    if let Some(date) = done_at("notary") {
        record.insert("notaryContractDate".into(), json!(date));
    }
    if let Some(date) = done_at("hrb") {
        record.extend(obj(json!({
            "hrApplicationFiled": true, "hrApplicationDate": date,
            "hrRegistered": true, "hrRegistrationDate": date, "registerType": "HRB",
            "registerCourt": copy("registerCourt"), "registerNumber": copy("registerNumber"),
        })));
    }
}

/// `PATCH corporate-tax-registrations/{id}/`: any section's fields; `representatives` and
/// `shareholderEntries` replace the whole list.
pub(crate) async fn update(founder: Founder, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let mut changes = Map::new();
    apply(&mut fields, &body, FIELDS, &mut changes);
    let representative: &[&[FieldRule]] = &[PERSON_FIELDS, REPRESENTATIVE_FIELDS];
    people(&mut fields, &body, "representatives", representative, MAX_REPRESENTATIVES, &mut changes);
    let shareholder: &[&[FieldRule]] = &[PERSON_FIELDS, SHAREHOLDER_FIELDS];
    people(&mut fields, &body, "shareholderEntries", shareholder, MAX_SHAREHOLDERS, &mut changes);
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    if is_set(record, "submittedAt") {
        return Err(refused("The questionnaire has been submitted and can no longer be changed."));
    }
    check_update(record, &changes, &mut fields);
    fields.finish()?;
    if !changes.is_empty() {
        record.extend(changes);
        touch(record);
    }
    refresh(record);
    Ok(ok(record))
}

/// `POST corporate-tax-registrations/{id}/submit/`: what Norman's web app does when the
/// person files the questionnaire with ELSTER. Not a tool's call; here so the workflow has
/// its last step in the sandbox too.
pub(crate) async fn submit(founder: Founder, Id(id): Id) -> ApiResult {
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    if is_set(record, "submittedAt") {
        return Err(refused("The questionnaire has already been submitted."));
    }
    let sections = sections(record);
    if !sections.all_complete() {
        let all = ["company", "registration", "representatives", "shareholders", "financials", "vatAndBank"];
        return Err(incomplete("Complete every section before submitting.", sections.missing_in(&all)));
    }
    let now = now_rfc3339();
    let ticket = format!("et{}", hex(&random_bytes::<8>()));
    let protocol = generate(&founder, &id, vec![transmission_protocol(record, &ticket, &now)]);
    let url = protocol.first().and_then(|d| d.get("downloadUrl")).cloned().unwrap_or(Value::Null);
    record.insert("submittedAt".into(), json!(now));
    record.insert("transferTicket".into(), json!(ticket));
    record.insert("reportUrl".into(), url);
    record.insert("updatedAt".into(), json!(now));
    refresh(record);
    Ok(ok(record))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_questionnaire_misses_every_section() {
        let mut record = new_record(None, None);
        refresh(&mut record);
        assert_eq!(record["status"], "data_collection");
        let sections = record["sections"].as_object().map(|s| s.keys().cloned().collect::<Vec<_>>());
        assert_eq!(
            sections.map(|mut s| {
                s.sort();
                s
            }),
            Some(
                ["company", "financials", "registration", "representatives", "shareholders", "vatAndBank"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(record["sections"]["representatives"]["missing"], json!(["representatives"]));
        assert_eq!(record["reportUrl"], Value::Null);
    }

    #[test]
    fn a_small_business_charging_no_vat_needs_no_taxation_method() {
        let mut record = new_record(None, None);
        record.extend(obj(json!({
            "expectedRevenueFoundingYear": 10000, "expectedRevenueFollowingYear": 20000,
            "isKleinunternehmer": true, "kleinunternehmerChargeVat": false, "requestVatId": false,
            "bankIban": "DE89370400440532013000", "bankAccountHolderRole": 1,
        })));
        refresh(&mut record);
        assert_eq!(record["sections"]["vatAndBank"], json!({ "complete": true, "missing": [] }));
        record.insert("bankAccountHolderRole".into(), json!(99));
        record.insert("isKleinunternehmer".into(), json!(false));
        refresh(&mut record);
        assert_eq!(
            record["sections"]["vatAndBank"]["missing"],
            json!(["taxationMethod", "estimatedVatAmountFoundingYear", "bankAccountHolderName"])
        );
    }
}
