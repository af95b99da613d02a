//! `incorporations/`: founding a GmbH or UG, from the draft through the notary hand-off to
//! the roadmap after it. The rules (sections, Musterprotokoll eligibility, status, roadmap)
//! are functions of the record; the handlers below them only parse, lock and store. The
//! state machine is described in the crate documentation.

use serde_json::{Map, Value, json};

use super::documents::incorporation_documents;
use super::drafts::{
    Workflow, ensure_first, generate, keep_documents, mark_stale, new_draft, suggest, touch,
};
use super::rules::{
    FieldRule, Rule, Sections, apply, euros_of, flag, incomplete, is_set, missing_from, r, refused,
    whole_euros,
};
use super::suggest::purpose_suggestion;
use crate::caller::Founder;
use crate::drf::error::{ApiError, ApiResult, created, ok};
use crate::drf::fields::{Fields, Kind};
use crate::drf::request::{Id, RawBody};
use crate::founders::DraftKind;
use crate::founding_reference::{ChoiceList, Notary, all_suffixes, choices, legal_form, notaries, register};
use crate::store::{Record, new_id, now_rfc3339, obj, str_of};

pub(crate) struct Incorporation;

impl Workflow for Incorporation {
    const KIND: DraftKind = DraftKind::Incorporation;
    const ONE: &'static str = "An incorporation";

    fn refresh(record: &mut Record) {
        refresh(record);
    }
}

const KIND: DraftKind = DraftKind::Incorporation;

/// Where a founding stands. Derived from the record's facts on every change, never set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    DataCollection,
    DataComplete,
    DocumentsGenerated,
    NotaryRequested,
    HandedOff,
    Notarized,
    CapitalDeposited,
    Registered,
    Completed,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::DataCollection => "data_collection",
            Status::DataComplete => "data_complete",
            Status::DocumentsGenerated => "documents_generated",
            Status::NotaryRequested => "notary_requested",
            Status::HandedOff => "handed_off",
            Status::Notarized => "notarized",
            Status::CapitalDeposited => "capital_deposited",
            Status::Registered => "registered",
            Status::Completed => "completed",
        }
    }
}

/// What the documents say: locked once the notary has been requested.
const DATA_FIELDS: &[FieldRule] = &[
    r("legalForm", Rule::Choice(ChoiceList::LegalForms)),
    r("companyName", Rule::Kind(Kind::Text)),
    r("businessPurpose", Rule::Kind(Kind::LongText)),
    r("registeredOfficeCity", Rule::Kind(Kind::Text)),
    r("registeredOfficeStreet", Rule::Kind(Kind::Text)),
    r("registeredOfficeHouseNumber", Rule::Kind(Kind::Text)),
    r("registeredOfficeAdditional", Rule::Kind(Kind::Text)),
    r("registeredOfficePostalCode", Rule::PostalCode),
    r("businessAddressCity", Rule::Kind(Kind::Text)),
    r("registeredAddressSkipped", Rule::Kind(Kind::Bool)),
    r("shareCapital", Rule::Euros),
    r("agreementType", Rule::Choice(ChoiceList::AgreementTypes)),
];

/// The notary preferences: changeable until the founding is handed off.
const NOTARY_FIELDS: &[FieldRule] = &[
    r("notaryCity", Rule::Kind(Kind::Text)),
    r("notarizationType", Rule::Choice(ChoiceList::NotarizationTypes)),
    r("notarizationTimeframe", Rule::Choice(ChoiceList::NotarizationTimeframes)),
];

const SHAREHOLDER_FIELDS: &[FieldRule] = &[
    r("shareholderType", Rule::Choice(ChoiceList::ShareholderTypes)),
    r("firstName", Rule::Kind(Kind::Text)),
    r("lastName", Rule::Kind(Kind::Text)),
    r("dob", Rule::PastDate),
    r("nationality", Rule::Kind(Kind::Country)),
    r("street", Rule::Kind(Kind::Text)),
    r("houseNumber", Rule::Kind(Kind::Text)),
    r("additional", Rule::Kind(Kind::Text)),
    r("postalCode", Rule::Kind(Kind::Text)),
    r("city", Rule::Kind(Kind::Text)),
    r("country", Rule::Kind(Kind::Country)),
    r("email", Rule::Kind(Kind::Email)),
    r("phone", Rule::Kind(Kind::Text)),
    r("entityName", Rule::Kind(Kind::Text)),
    r("entitySeat", Rule::Kind(Kind::Text)),
    r("entityRegisterCourt", Rule::Kind(Kind::Text)),
    r("entityRegisterNumber", Rule::Kind(Kind::Text)),
    r("shareNominalAmount", Rule::Euros),
    r("isManagingDirector", Rule::Kind(Kind::Bool)),
];

const NATURAL_PERSON_REQUIRED: &[&str] = &[
    "firstName",
    "lastName",
    "dob",
    "nationality",
    "street",
    "houseNumber",
    "postalCode",
    "city",
    "country",
    "shareNominalAmount",
];

const LEGAL_ENTITY_REQUIRED: &[&str] = &[
    "entityName",
    "entitySeat",
    "entityRegisterCourt",
    "entityRegisterNumber",
    "street",
    "houseNumber",
    "postalCode",
    "city",
    "country",
    "shareNominalAmount",
];

/// The sections the documents need; the notary section is needed only to request a notary
/// without naming one.
const DATA_SECTIONS: &[&str] = &["company", "shareholders", "capital", "agreement"];

/// § 2 (1a) GmbHG: the Musterprotokoll serves at most three shareholders and one managing
/// director.
const MUSTERPROTOKOLL_MAX_SHAREHOLDERS: usize = 3;

/// A shareholder invitation link is valid this long.
const INVITATION_DAYS: i64 = 30;

/// The step a formation step waits for: the roadmap is a chain up to the registration,
/// after which the tax office, trade office and transparency register can go in any order.
fn prerequisite(step: &str) -> Option<&'static str> {
    match step {
        "bank_account" => Some("notary"),
        "deposit" => Some("bank_account"),
        "hrb" => Some("deposit"),
        "finanzamt" | "gewerbeamt" | "transparency" => Some("hrb"),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// The rules
// ---------------------------------------------------------------------------------------

pub(crate) fn shareholders(record: &Record) -> &[Value] {
    record.get("shareholders").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// Runs `edit` on the shareholder list (made empty if there is none).
fn edit_shareholders<T>(record: &mut Record, edit: impl FnOnce(&mut Vec<Value>) -> T) -> T {
    let slot = record.entry("shareholders").or_insert(Value::Null);
    let mut list = match std::mem::take(slot) {
        Value::Array(list) => list,
        _ => Vec::new(),
    };
    let result = edit(&mut list);
    *slot = Value::Array(list);
    result
}

fn as_record(value: &Value) -> Option<&Record> {
    value.as_object()
}

fn directs(shareholder: &Record) -> bool {
    shareholder.get("isManagingDirector").and_then(Value::as_bool).unwrap_or(false)
}

fn is_managing_director(shareholder: &Value) -> bool {
    as_record(shareholder).is_some_and(directs)
}

/// What one shareholder still misses, by type.
fn shareholder_missing(shareholder: &Record) -> Vec<String> {
    let required = if str_of(shareholder, "shareholderType") == "legal_entity" {
        LEGAL_ENTITY_REQUIRED
    } else {
        NATURAL_PERSON_REQUIRED
    };
    let mut missing = Vec::new();
    missing_from(shareholder, required, "", &mut missing);
    missing
}

/// Why the share capital does not suit the legal form, if it does not.
pub(crate) fn capital_problem(form: &str, euros: i64) -> Option<String> {
    let rules = legal_form(form)?;
    let min = i64::try_from(rules.min_capital).unwrap_or(i64::MAX);
    if euros < min {
        return Some(format!("The share capital of a {} must be at least {min} €.", rules.name));
    }
    let max = rules.max_capital.and_then(|m| i64::try_from(m).ok())?;
    (euros > max).then(|| {
        format!("The share capital of a {} must not exceed {max} €; with more, found a GmbH.", rules.name)
    })
}

/// `{eligible, reasons}` for the Musterprotokoll.
fn musterprotokoll(record: &Record) -> (bool, Vec<&'static str>) {
    let holders = shareholders(record);
    let mut reasons = Vec::new();
    if holders.is_empty() {
        reasons.push("no_shareholders");
    }
    if holders.len() > MUSTERPROTOKOLL_MAX_SHAREHOLDERS {
        reasons.push("too_many_shareholders");
    }
    if !holders.iter().any(is_managing_director) {
        reasons.push("no_managing_director");
    }
    (reasons.is_empty(), reasons)
}

pub(crate) fn sections(record: &Record) -> Sections {
    let mut sections = Sections::default();

    let mut company = Vec::new();
    missing_from(
        record,
        &["legalForm", "companyName", "businessPurpose", "registeredOfficeCity"],
        "",
        &mut company,
    );
    if flag(record, "registeredAddressSkipped") != Some(true) {
        let address = ["registeredOfficeStreet", "registeredOfficeHouseNumber", "registeredOfficePostalCode"];
        missing_from(record, &address, "", &mut company);
    }
    sections.add("company", company);

    let holders = shareholders(record);
    let mut people = Vec::new();
    if holders.is_empty() {
        people.push("shareholders".to_owned());
    }
    for (n, holder) in holders.iter().enumerate() {
        if let Some(holder) = as_record(holder) {
            people.extend(
                shareholder_missing(holder).into_iter().map(|key| format!("shareholders[{n}].{key}")),
            );
        }
    }
    if !holders.is_empty() && !holders.iter().any(is_managing_director) {
        people.push("isManagingDirector".to_owned());
    }
    sections.add("shareholders", people);

    let mut capital = Vec::new();
    match euros_of(record, "shareCapital") {
        None => capital.push("shareCapital".to_owned()),
        Some(euros) => {
            if capital_problem(str_of(record, "legalForm"), euros).is_some() {
                capital.push("shareCapital".to_owned());
            }
            let sum: i64 =
                holders.iter().filter_map(as_record).filter_map(|h| euros_of(h, "shareNominalAmount")).sum();
            if !holders.is_empty() && sum != euros {
                capital.push("shareNominalSum".to_owned());
            }
        }
    }
    sections.add("capital", capital);

    let mut agreement = Vec::new();
    let eligible = musterprotokoll(record).0;
    if !is_set(record, "agreementType") || (str_of(record, "agreementType") == "musterprotokoll" && !eligible)
    {
        agreement.push("agreementType".to_owned());
    }
    sections.add("agreement", agreement);

    let mut notary = Vec::new();
    missing_from(record, &["notarizationType", "notarizationTimeframe"], "", &mut notary);
    if str_of(record, "notarizationType") != "online" {
        missing_from(record, &["notaryCity"], "", &mut notary);
    }
    sections.add("notary", notary);
    sections
}

fn step_done(record: &Record, step: &str) -> bool {
    roadmap(record).iter().any(|item| item["step"] == step && item["done"] == true)
}

fn roadmap(record: &Record) -> &[Value] {
    record.get("roadmap").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

fn requested(record: &Record) -> bool {
    is_set(record, "notaryRequestedAt")
}

fn handed_off(record: &Record) -> bool {
    is_set(record, "handedOffAt")
}

pub(crate) fn status(record: &Record, sections: &Sections) -> Status {
    let steps = roadmap(record);
    if !steps.is_empty() && steps.iter().all(|item| item["done"] == true) {
        Status::Completed
    } else if step_done(record, "hrb") {
        Status::Registered
    } else if step_done(record, "deposit") {
        Status::CapitalDeposited
    } else if step_done(record, "notary") {
        Status::Notarized
    } else if handed_off(record) {
        Status::HandedOff
    } else if requested(record) {
        Status::NotaryRequested
    } else if !DATA_SECTIONS.iter().all(|name| sections.is_complete(name)) {
        Status::DataCollection
    } else if is_set(record, "documents") && flag(record, "documentsStale") != Some(true) {
        Status::DocumentsGenerated
    } else {
        Status::DataComplete
    }
}

/// Recomputes everything derived: each shareholder's `complete`/`missing` and `number`,
/// `sections`, `musterprotokoll`, `status` and which roadmap steps are `active`.
pub(crate) fn refresh(record: &mut Record) {
    edit_shareholders(record, |list| {
        for (n, holder) in list.iter_mut().enumerate() {
            if let Some(holder) = holder.as_object_mut() {
                let missing = shareholder_missing(holder);
                holder.insert("number".into(), json!(n + 1));
                holder.insert("complete".into(), json!(missing.is_empty()));
                holder.insert("missing".into(), json!(missing));
            }
        }
    });
    let sections = sections(record);
    let (eligible, reasons) = musterprotokoll(record);
    let status = status(record, &sections);
    let started = handed_off(record);
    let done: Vec<String> = roadmap(record)
        .iter()
        .filter(|item| item["done"] == true)
        .filter_map(|item| item["step"].as_str().map(str::to_owned))
        .collect();
    if let Some(Value::Array(items)) = record.get_mut("roadmap") {
        for item in items.iter_mut() {
            let step = item["step"].as_str().unwrap_or_default().to_owned();
            let ready = prerequisite(&step).is_none_or(|before| done.iter().any(|d| d == before));
            let active = started && ready && !done.contains(&step);
            if let Some(item) = item.as_object_mut() {
                item.insert("active".into(), json!(active));
            }
        }
    }
    record.insert("sections".into(), sections.to_value());
    record.insert("musterprotokoll".into(), json!({ "eligible": eligible, "reasons": reasons }));
    record.insert("status".into(), json!(status.as_str()));
}

/// The company name with the legal form's suffix, whatever suffix it was given with.
fn with_suffix(name: &str, form: &str) -> String {
    let Some(rules) = legal_form(form) else {
        return name.trim().to_owned();
    };
    let mut core = name.trim().to_owned();
    for suffix in all_suffixes() {
        let lower = core.to_lowercase();
        let wanted = format!(" {}", suffix.to_lowercase());
        if lower.ends_with(&wanted) {
            let keep = core.chars().count().saturating_sub(wanted.chars().count());
            core = core.chars().take(keep).collect::<String>().trim_end().to_owned();
            break;
        }
    }
    match rules.suffixes.first() {
        Some(suffix) if !core.is_empty() => format!("{core} {suffix}"),
        _ => core,
    }
}

/// A name as the register compares it: lower case, without the legal form, punctuation
/// folded to single spaces.
fn name_core(name: &str) -> String {
    let mut lower = name.trim().to_lowercase();
    for suffix in all_suffixes() {
        let wanted = format!(" {}", suffix.to_lowercase());
        if let Some(stripped) = lower.strip_suffix(&wanted) {
            lower = stripped.to_owned();
            break;
        }
    }
    lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// `check-name/`: the register entries that are the same name or close to it (one contains
/// the other, or they share the first word, which is usually the distinctive one). The name
/// is `unavailable` when an entry is the same name, whatever its legal form.
pub(crate) fn name_check(name: &str) -> Value {
    let wanted = name_core(name);
    let first = wanted.split(' ').next().unwrap_or_default();
    let mut taken = false;
    let matches: Vec<Value> = register()
        .iter()
        .filter(|company| {
            let core = name_core(&company.name);
            taken |= core == wanted;
            core == wanted
                || core.contains(&wanted)
                || wanted.contains(&core)
                || core.split(' ').next() == Some(first)
        })
        .take(5)
        .map(|company| json!(company))
        .collect();
    json!({
        "status": if taken { "unavailable" } else { "ok" },
        "searched": name,
        "matches": matches,
    })
}

/// `notary-matches/`: at most three notaries. Online notarisation takes any notary who
/// offers it; in person, notaries in the chosen city (else the seat's) come first, then
/// those in the seat's postcode region. Within the timeframe only; sooner appointments
/// first.
pub(crate) fn notary_matches(record: &Record) -> Vec<&'static Notary> {
    let online = str_of(record, "notarizationType") == "online";
    let city = [str_of(record, "notaryCity"), str_of(record, "registeredOfficeCity")]
        .into_iter()
        .map(str::trim)
        .find(|c| !c.is_empty())
        .unwrap_or_default()
        .to_lowercase();
    let region = str_of(record, "registeredOfficePostalCode").get(..2).unwrap_or("--").to_owned();
    let within = match str_of(record, "notarizationTimeframe") {
        "within_7_days" => 7,
        "within_2_weeks" => 14,
        _ => u32::MAX,
    };
    let score = |notary: &Notary| {
        if !city.is_empty() && notary.city.to_lowercase() == city {
            2
        } else if notary.postal_code.starts_with(&region) {
            1
        } else {
            0
        }
    };
    let mut found: Vec<(u8, &Notary)> = notaries()
        .iter()
        .filter(|n| n.earliest_appointment_days <= within)
        .filter(|n| if online { n.online_notarization } else { score(n) > 0 })
        .map(|n| (score(n), n))
        .collect();
    found.sort_by_key(|(score, n)| (std::cmp::Reverse(*score), n.earliest_appointment_days));
    found.into_iter().take(3).map(|(_, n)| n).collect()
}

fn new_record(source: Option<Value>) -> Record {
    let mut record = new_draft("inc", source);
    let steps: Vec<Value> = choices(ChoiceList::FormationSteps)
        .iter()
        .map(|step| json!({ "step": step.value, "label": step.label, "done": false, "active": false, "doneAt": null }))
        .collect();
    record.extend(obj(json!({
        "locale": "de",
        "legalForm": null,
        "companyName": null,
        "businessPurpose": null,
        "registeredOfficeCity": null,
        "registeredOfficeStreet": null,
        "registeredOfficeHouseNumber": null,
        "registeredOfficeAdditional": null,
        "registeredOfficePostalCode": null,
        "businessAddressCity": null,
        "registeredAddressSkipped": false,
        "shareCapital": null,
        "agreementType": null,
        "notaryCity": null,
        "notarizationType": null,
        "notarizationTimeframe": null,
        "shareholders": [],
        "documents": [],
        "documentsStale": false,
        "notary": null,
        "notaryMessage": null,
        "notaryRequestedAt": null,
        "handedOffAt": null,
        "registerCourt": null,
        "registerNumber": null,
        "roadmap": steps,
    })));
    record
}

fn new_shareholder() -> Record {
    let mut shareholder = obj(json!({
        "publicId": new_id("shh"),
        "shareholderType": "natural_person",
        "isManagingDirector": false,
        "invitation": null,
    }));
    for field in SHAREHOLDER_FIELDS {
        shareholder.entry(field.key).or_insert(Value::Null);
    }
    shareholder
}

/// The error for any change to what the documents say once the notary has them.
fn data_locked() -> ApiError {
    refused("The founding data can no longer be changed once a notary has been requested.")
}

/// Checks a PATCH against the record: the locks, the capital for the legal form, the
/// Musterprotokoll's eligibility.
fn check_update(record: &Record, changes: &Record, fields: &mut Fields<'_>) -> Result<(), ApiError> {
    if requested(record) && DATA_FIELDS.iter().any(|f| changes.contains_key(f.key)) {
        return Err(data_locked());
    }
    if handed_off(record) && NOTARY_FIELDS.iter().any(|f| changes.contains_key(f.key)) {
        return Err(refused(
            "The notary preferences can no longer be changed once the founding is handed off.",
        ));
    }
    let form = changes.get("legalForm").and_then(Value::as_str).unwrap_or(str_of(record, "legalForm"));
    if let Some(euros) = changes.get("shareCapital").and_then(whole_euros)
        && let Some(problem) = capital_problem(form, euros)
    {
        fields.error("shareCapital", problem);
    }
    if changes.get("agreementType").and_then(Value::as_str) == Some("musterprotokoll") {
        let (eligible, reasons) = musterprotokoll(record);
        if !eligible {
            fields.error(
                "agreementType",
                format!(
                    "The Musterprotokoll is only available for 1 to {MUSTERPROTOKOLL_MAX_SHAREHOLDERS} shareholders and one managing director ({}).",
                    reasons.join(", ")
                ),
            );
        }
    }
    Ok(())
}

/// Applies checked changes: the name gets the legal form's suffix, documents turn stale
/// when what they say changes.
fn merge(record: &mut Record, mut changes: Record) {
    if changes.contains_key("companyName") || changes.contains_key("legalForm") {
        let form = changes
            .get("legalForm")
            .and_then(Value::as_str)
            .unwrap_or(str_of(record, "legalForm"))
            .to_owned();
        let name = changes
            .get("companyName")
            .and_then(Value::as_str)
            .unwrap_or(str_of(record, "companyName"))
            .to_owned();
        if !name.is_empty() {
            changes.insert("companyName".into(), json!(with_suffix(&name, &form)));
        }
    }
    let documents_change =
        DATA_FIELDS.iter().any(|f| changes.get(f.key).is_some_and(|v| record.get(f.key) != Some(v)));
    if documents_change {
        mark_stale(record);
    }
    if !changes.is_empty() {
        record.extend(changes);
        touch(record);
    }
    refresh(record);
}

/// Checks a shareholder's values as a whole: a managing director is a natural person
/// (§ 6 (2) GmbHG).
fn check_shareholder(shareholder: &Record, fields: &mut Fields<'_>) {
    if str_of(shareholder, "shareholderType") == "legal_entity" && directs(shareholder) {
        fields.error("isManagingDirector", "A managing director must be a natural person (§ 6 (2) GmbHG).");
    }
}

/// Makes the shareholder at `index` the only managing director.
fn sole_director(list: &mut [Value], index: usize) {
    for (n, holder) in list.iter_mut().enumerate() {
        if n != index
            && let Some(holder) = holder.as_object_mut()
        {
            holder.insert("isManagingDirector".into(), json!(false));
        }
    }
}

fn position(list: &[Value], id: &str) -> Result<usize, ApiError> {
    list.iter().position(|h| h["publicId"] == id).ok_or(ApiError::NotFound)
}

// ---------------------------------------------------------------------------------------
// The handlers
// ---------------------------------------------------------------------------------------

/// The `{sid}` path parameter: a shareholder's `publicId`.
pub(crate) struct ShareholderId(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ShareholderId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound)?;
        params
            .iter()
            .find(|(k, _)| *k == "sid")
            .map(|(_, v)| ShareholderId(v.to_owned()))
            .ok_or(ApiError::NotFound)
    }
}

/// `POST incorporations/`: 201 with the new draft; 400 when the caller has one.
pub(crate) async fn create(founder: Founder, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let mut changes = Map::new();
    apply(&mut fields, &body, &[r("legalForm", Rule::Choice(ChoiceList::LegalForms))], &mut changes);
    if let Some(locale) = fields.get("locale", Kind::Choice(&["de", "en"]), false) {
        changes.insert("locale".into(), locale);
    }
    let source = fields.get("source", Kind::Text, false);
    let mut drafts = founder.drafts_mut()?;
    ensure_first::<Incorporation>(&drafts)?;
    fields.finish()?;
    let mut record = new_record(source);
    record.extend(changes);
    refresh(&mut record);
    let response = created(&record);
    drafts[KIND] = Some(record);
    Ok(response)
}

/// `PATCH incorporations/{id}/`: company, capital, agreement and notary preferences.
pub(crate) async fn update(founder: Founder, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let mut changes = Map::new();
    apply(&mut fields, &body, DATA_FIELDS, &mut changes);
    apply(&mut fields, &body, NOTARY_FIELDS, &mut changes);
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    check_update(record, &changes, &mut fields)?;
    fields.finish()?;
    merge(record, changes);
    Ok(ok(record))
}

/// `POST …/shareholders/`: 201 with the whole incorporation.
pub(crate) async fn add_shareholder(founder: Founder, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let mut values = Map::new();
    apply(&mut fields, &body, SHAREHOLDER_FIELDS, &mut values);
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    if requested(record) {
        return Err(data_locked());
    }
    let mut shareholder = new_shareholder();
    shareholder.extend(values);
    check_shareholder(&shareholder, &mut fields);
    fields.finish()?;
    let director = directs(&shareholder);
    edit_shareholders(record, |list| {
        list.push(Value::Object(shareholder));
        if director {
            let last = list.len() - 1;
            sole_director(list, last);
        }
    });
    mark_stale(record);
    touch(record);
    refresh(record);
    Ok(created(record))
}

/// `PATCH …/shareholders/{sid}/`: the whole incorporation.
pub(crate) async fn update_shareholder(
    founder: Founder,
    Id(id): Id,
    ShareholderId(sid): ShareholderId,
    body: RawBody,
) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let mut values = Map::new();
    apply(&mut fields, &body, SHAREHOLDER_FIELDS, &mut values);
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    let index = position(shareholders(record), &sid)?;
    if requested(record) {
        return Err(data_locked());
    }
    let mut shareholder =
        shareholders(record).get(index).and_then(Value::as_object).cloned().unwrap_or_default();
    shareholder.extend(values);
    check_shareholder(&shareholder, &mut fields);
    fields.finish()?;
    let director = directs(&shareholder);
    edit_shareholders(record, |list| {
        if let Some(slot) = list.get_mut(index) {
            *slot = Value::Object(shareholder);
        }
        if director {
            sole_director(list, index);
        }
    });
    mark_stale(record);
    touch(record);
    refresh(record);
    Ok(ok(record))
}

/// `DELETE …/shareholders/{sid}/`: 200 with the whole incorporation, the remaining
/// shareholders renumbered.
pub(crate) async fn remove_shareholder(
    founder: Founder,
    Id(id): Id,
    ShareholderId(sid): ShareholderId,
) -> ApiResult {
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    let index = position(shareholders(record), &sid)?;
    if requested(record) {
        return Err(data_locked());
    }
    edit_shareholders(record, |list| {
        if index < list.len() {
            list.remove(index);
        }
    });
    mark_stale(record);
    touch(record);
    refresh(record);
    Ok(ok(record))
}

/// `POST …/shareholders/{sid}/invite/`: e-mails a natural person a link, valid for 30 days,
/// to fill in their own data.
pub(crate) async fn invite_shareholder(
    founder: Founder,
    Id(id): Id,
    ShareholderId(sid): ShareholderId,
    body: RawBody,
) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let email = fields.get("email", Kind::Email, false).and_then(|v| v.as_str().map(str::to_owned));
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    let index = position(shareholders(record), &sid)?;
    if requested(record) {
        return Err(data_locked());
    }
    let shareholder = shareholders(record).get(index).and_then(Value::as_object).cloned().unwrap_or_default();
    if str_of(&shareholder, "shareholderType") != "natural_person" {
        fields.error("shareholderType", "Only natural persons can be invited to fill in their data.");
    }
    let email = email.filter(|e| !e.is_empty()).unwrap_or_else(|| str_of(&shareholder, "email").to_owned());
    if email.is_empty() && !fields.has_error("email") {
        fields.error("email", "This field is required.");
    }
    fields.finish()?;
    let now = now_rfc3339();
    let expires = super::rules::days_from_today(INVITATION_DAYS);
    edit_shareholders(record, |list| {
        if let Some(holder) = list.get_mut(index).and_then(Value::as_object_mut) {
            holder.insert("email".into(), json!(email));
            holder
                .insert("invitation".into(), json!({ "email": email, "sentAt": now, "expiresOn": expires }));
        }
    });
    touch(record);
    refresh(record);
    Ok(ok(record))
}

/// `POST …/documents/`: generates the Musterprotokoll (when chosen) and the
/// Gesellschafterliste; 400 with `missing` until company, shareholders, capital and
/// agreement are complete.
pub(crate) async fn generate_documents(founder: Founder, Id(id): Id) -> ApiResult {
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    if requested(record) {
        return Err(data_locked());
    }
    let missing = sections(record).missing_in(DATA_SECTIONS);
    if !missing.is_empty() {
        return Err(incomplete(
            "Complete the company, shareholders, capital and agreement sections before generating the documents.",
            missing,
        ));
    }
    let entries = generate(&founder, &id, incorporation_documents(record));
    keep_documents::<Incorporation>(record, entries)
}

/// `GET …/notary-matches/`: a bare list of at most three notaries.
pub(crate) async fn notary_match_list(founder: Founder, Id(id): Id) -> ApiResult {
    let drafts = founder.drafts()?;
    let record = drafts.owned(KIND, &id)?;
    Ok(ok(&notary_matches(record)))
}

/// `POST …/request-notary/`: hands the founding to the notary named (`handed_off`), or,
/// without one, asks Norman to find one by the notary preferences (`notary_requested`).
/// Needs current documents; without a notary and without preferences it is refused.
pub(crate) async fn request_notary(founder: Founder, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let notary_id =
        fields.get("notaryPublicId", Kind::Text, false).and_then(|v| v.as_str().map(str::to_owned));
    let message = fields.get("message", Kind::LongText, false);
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    if handed_off(record) {
        return Err(refused("The founding has already been handed off to a notary."));
    }
    if !requested(record) {
        if !is_set(record, "documents") {
            return Err(refused("Generate the founding documents before requesting a notary."));
        }
        if flag(record, "documentsStale") == Some(true) {
            return Err(refused("The founding documents are out of date: generate them again first."));
        }
    }
    let notary = match notary_id.filter(|n| !n.is_empty()) {
        Some(wanted) => {
            let found = notaries().iter().find(|n| n.public_id == wanted);
            if found.is_none() {
                fields.error("notaryPublicId", format!("Invalid pk \"{wanted}\" - object does not exist."));
            }
            found
        }
        None if requested(record) => {
            fields.error("notaryPublicId", "Norman is already looking for a notary; name one from notary-matches/ to choose it yourself.");
            None
        }
        None => {
            if !sections(record).is_complete("notary") {
                fields.error(
                    "notaryPublicId",
                    "No notary chosen: name one from notary-matches/, or set notaryCity, notarizationType and notarizationTimeframe so that Norman finds one.",
                );
            }
            None
        }
    };
    fields.finish()?;
    let now = now_rfc3339();
    if !requested(record) {
        record.insert("notaryRequestedAt".into(), json!(now));
    }
    if let Some(message) = message.filter(|m| m.as_str().is_some_and(|m| !m.is_empty())) {
        record.insert("notaryMessage".into(), message);
    }
    if let Some(notary) = notary {
        record.insert("notary".into(), json!(notary));
        record.insert("handedOffAt".into(), json!(now));
    }
    touch(record);
    refresh(record);
    Ok(ok(record))
}

/// `POST …/suggest-purpose/`: `{suggestion}`; the draft is not changed.
pub(crate) async fn suggest_purpose(founder: Founder, Id(id): Id, body: RawBody) -> ApiResult {
    suggest::<Incorporation>(&founder, &id, body, purpose_suggestion)
}

/// `POST …/check-name/`: searches the register for `name`, by default the draft's.
pub(crate) async fn check_name(founder: Founder, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let given = fields.get("name", Kind::Text, false).and_then(|v| v.as_str().map(str::to_owned));
    let name = {
        let drafts = founder.drafts()?;
        let record = drafts.owned(KIND, &id)?;
        given.filter(|n| !n.is_empty()).unwrap_or_else(|| str_of(record, "companyName").to_owned())
    };
    if !fields.has_error("name") && name_core(&name).is_empty() {
        fields.error("name", "This field is required: the draft has no company name yet.");
    }
    fields.finish()?;
    Ok(ok(&name_check(&name)))
}

/// `POST …/formation-step/`: marks a roadmap step done (or undone) after the hand-off.
pub(crate) async fn formation_step(founder: Founder, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut fields = Fields::new(&body);
    let mut values = Map::new();
    apply(&mut fields, &body, &[r("step", Rule::Choice(ChoiceList::FormationSteps))], &mut values);
    if !body.contains_key("step") {
        fields.error("step", "This field is required.");
    }
    let done = fields.get("done", Kind::Bool, false).and_then(|v| v.as_bool()).unwrap_or(true);
    let text = |fields: &mut Fields<'_>, key: &str| {
        fields
            .get(key, Kind::Text, false)
            .and_then(|v| v.as_str().map(str::to_owned))
            .filter(|s| !s.is_empty())
    };
    let register_number = text(&mut fields, "registerNumber");
    let register_court = text(&mut fields, "registerCourt");
    let step = values.get("step").and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut drafts = founder.drafts_mut()?;
    let record = drafts.owned_mut(KIND, &id)?;
    if !step.is_empty() {
        check_step(record, &step, done, [&register_number, &register_court], &mut fields);
    }
    fields.finish()?;
    let now = now_rfc3339();
    if let Some(Value::Array(items)) = record.get_mut("roadmap")
        && let Some(item) =
            items.iter_mut().find(|item| item["step"] == step.as_str()).and_then(Value::as_object_mut)
    {
        item.insert("done".into(), json!(done));
        item.insert("doneAt".into(), if done { json!(now) } else { Value::Null });
    }
    if step == "hrb" {
        record.insert("registerNumber".into(), if done { json!(register_number) } else { Value::Null });
        record.insert("registerCourt".into(), if done { json!(register_court) } else { Value::Null });
    }
    touch(record);
    refresh(record);
    Ok(ok(record))
}

/// The rules of a formation step: only after the hand-off, in the roadmap's order, the
/// register number and court with `hrb` and only there.
fn check_step(
    record: &Record,
    step: &str,
    done: bool,
    register: [&Option<String>; 2],
    fields: &mut Fields<'_>,
) {
    if !handed_off(record) {
        fields.error(
            "step",
            "The formation steps begin once the founding is handed off to the notary (status handed_off).",
        );
        return;
    }
    if done {
        if let Some(before) = prerequisite(step)
            && !step_done(record, before)
        {
            fields.error("step", format!("\"{step}\" can only be completed after \"{before}\"."));
        }
    } else if let Some(after) = roadmap(record)
        .iter()
        .filter(|item| item["done"] == true)
        .filter_map(|item| item["step"].as_str())
        .find(|later| prerequisite(later) == Some(step))
    {
        fields.error("step", format!("\"{step}\" cannot be undone while \"{after}\" is done."));
    }
    let [number, court] = register;
    if step == "hrb" && done {
        if number.is_none() {
            fields.error("registerNumber", "This field is required for the step hrb.");
        }
        if court.is_none() {
            fields.error("registerCourt", "This field is required for the step hrb.");
        }
    } else {
        if number.is_some() {
            fields.error("registerNumber", "Only the completed step hrb takes a register number.");
        }
        if court.is_some() {
            fields.error("registerCourt", "Only the completed step hrb takes a register court.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Record {
        let mut record = new_record(None);
        refresh(&mut record);
        record
    }

    fn person(first: &str, amount: &str, director: bool) -> Value {
        let mut holder = new_shareholder();
        holder.extend(obj(json!({
            "firstName": first, "lastName": "Muster", "dob": "1990-05-17", "nationality": "DE",
            "street": "Torstraße", "houseNumber": "1", "postalCode": "10119", "city": "Berlin",
            "country": "DE", "shareNominalAmount": amount, "isManagingDirector": director,
        })));
        Value::Object(holder)
    }

    fn complete() -> Record {
        let mut record = draft();
        record.extend(obj(json!({
            "legalForm": "ug", "companyName": "Kiezbäckerei UG (haftungsbeschränkt)",
            "businessPurpose": "Backwaren", "registeredOfficeCity": "Berlin",
            "registeredOfficeStreet": "Torstraße", "registeredOfficeHouseNumber": "1",
            "registeredOfficePostalCode": "10119", "shareCapital": "1000", "agreementType": "musterprotokoll",
        })));
        edit_shareholders(&mut record, |list| list.push(person("Anna", "1000", true)));
        refresh(&mut record);
        record
    }

    #[test]
    fn a_new_draft_misses_everything_and_collects_data() {
        let record = draft();
        assert_eq!(record["status"], "data_collection");
        assert_eq!(record["sections"]["shareholders"]["missing"], json!(["shareholders"]));
        assert_eq!(record["sections"]["capital"]["missing"], json!(["shareCapital"]));
        assert_eq!(record["musterprotokoll"]["eligible"], false);
        assert_eq!(roadmap(&record).len(), 7);
        assert!(roadmap(&record).iter().all(|s| s["active"] == false));
    }

    #[test]
    fn a_complete_draft_is_data_complete_and_the_nominal_sum_must_match() {
        let mut record = complete();
        assert_eq!(record["status"], "data_complete", "{}", record["sections"]);
        edit_shareholders(&mut record, |list| list.push(person("Ben", "500", false)));
        refresh(&mut record);
        assert_eq!(record["sections"]["capital"]["missing"], json!(["shareNominalSum"]));
        assert_eq!(record["status"], "data_collection");
    }

    #[test]
    fn capital_must_suit_the_legal_form() {
        assert!(capital_problem("gmbh", 24_999).is_some());
        assert!(capital_problem("gmbh", 25_000).is_none());
        assert!(capital_problem("ug", 1).is_none());
        assert!(capital_problem("ug", 25_000).is_some());
        assert!(capital_problem("", 5).is_none(), "no legal form yet: nothing to compare");
    }

    #[test]
    fn the_musterprotokoll_needs_at_most_three_shareholders_and_a_director() {
        let mut record = complete();
        for name in ["B", "C", "D"] {
            edit_shareholders(&mut record, |list| list.push(person(name, "0", false)));
        }
        refresh(&mut record);
        assert_eq!(
            record["musterprotokoll"],
            json!({ "eligible": false, "reasons": ["too_many_shareholders"] })
        );
        assert!(record["sections"]["agreement"]["missing"] == json!(["agreementType"]));
        edit_shareholders(&mut record, |list| sole_director(list, 99));
        refresh(&mut record);
        assert_eq!(
            record["musterprotokoll"]["reasons"],
            json!(["too_many_shareholders", "no_managing_director"])
        );
    }

    #[test]
    fn names_get_the_legal_forms_suffix_once() {
        assert_eq!(with_suffix("Acme", "gmbh"), "Acme GmbH");
        assert_eq!(with_suffix("Acme GmbH", "gmbh"), "Acme GmbH");
        assert_eq!(with_suffix("Acme gmbh", "ug"), "Acme UG (haftungsbeschränkt)");
        assert_eq!(with_suffix("Acme UG (haftungsbeschränkt)", "gmbh"), "Acme GmbH");
        assert_eq!(with_suffix("Acme UG", "ug"), "Acme UG (haftungsbeschränkt)");
        assert_eq!(with_suffix("Acme", ""), "Acme");
    }

    #[test]
    fn the_register_check_finds_taken_and_similar_names() {
        let taken = name_check("Nordlicht Software GmbH");
        assert_eq!(taken["status"], "unavailable");
        let similar = name_check("Nordlicht Design UG");
        assert_eq!(similar["status"], "ok");
        let names: Vec<&str> =
            similar["matches"].as_array().into_iter().flatten().filter_map(|m| m["name"].as_str()).collect();
        assert!(
            names.contains(&"Nordlicht Software GmbH")
                && names.contains(&"Nordlicht Media UG (haftungsbeschränkt)")
        );
        assert_eq!(
            name_check("Muster Design UG")["status"],
            "unavailable",
            "the legal form does not make a name new"
        );
        assert_eq!(
            name_check("Gänzlich Neu GmbH"),
            json!({ "status": "ok", "searched": "Gänzlich Neu GmbH", "matches": [] })
        );
    }

    #[test]
    fn notaries_match_by_city_region_mode_and_timeframe() {
        let mut record = complete();
        record.insert("notarizationType".into(), json!("in_person"));
        let cities =
            |record: &Record| notary_matches(record).iter().map(|n| n.city.clone()).collect::<Vec<_>>();
        assert_eq!(cities(&record), ["Berlin", "Berlin", "Berlin"]);
        record.insert("notaryCity".into(), json!("München"));
        assert_eq!(cities(&record)[..2], ["München", "München"]);
        record.insert("notarizationTimeframe".into(), json!("within_7_days"));
        assert!(notary_matches(&record).iter().all(|n| n.earliest_appointment_days <= 7));
        record.insert("notarizationType".into(), json!("online"));
        assert!(notary_matches(&record).iter().all(|n| n.online_notarization));
        record.insert("notaryCity".into(), json!("Flensburg"));
        record.insert("registeredOfficePostalCode".into(), json!("24937"));
        record.insert("notarizationType".into(), json!("in_person"));
        assert!(notary_matches(&record).is_empty(), "nobody near");
    }

    #[test]
    fn the_roadmap_drives_the_status_after_the_hand_off() {
        let mut record = complete();
        record.insert("documents".into(), json!([{ "type": "musterprotokoll" }]));
        refresh(&mut record);
        assert_eq!(record["status"], "documents_generated");
        record.insert("documentsStale".into(), json!(true));
        refresh(&mut record);
        assert_eq!(record["status"], "data_complete", "stale documents must be generated again");
        record.insert("notaryRequestedAt".into(), json!("2026-01-01T00:00:00Z"));
        refresh(&mut record);
        assert_eq!(record["status"], "notary_requested");
        record.insert("handedOffAt".into(), json!("2026-01-01T00:00:00Z"));
        refresh(&mut record);
        assert_eq!(record["status"], "handed_off");
        let active = |record: &Record| {
            roadmap(record)
                .iter()
                .filter(|s| s["active"] == true)
                .map(|s| s["step"].as_str().unwrap_or_default().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(active(&record), ["notary"]);
        let expected = [
            "notarized",
            "notarized",
            "capital_deposited",
            "registered",
            "registered",
            "registered",
            "completed",
        ];
        for (n, status) in expected.iter().enumerate() {
            if let Some(Value::Array(items)) = record.get_mut("roadmap") {
                items[n]["done"] = json!(true);
            }
            refresh(&mut record);
            assert_eq!(record["status"], *status, "after step {n}");
        }
        assert!(active(&record).is_empty());
    }
}
