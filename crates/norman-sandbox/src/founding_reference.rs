//! Read-only data of the founding workflows, parsed once per process from `data/founding/`:
//! the choice lists (`choices.json`), the capital rules and name suffixes of the legal forms
//! (`legal-forms.json`), the trade offices by postcode (`trade-offices.json`), the notaries
//! (`notaries.json`) and the commercial register's taken names (`commercial-register.json`).
//! The trade offices are real; the notaries and register entries are made up.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::data;

/// The choice lists. The first five are served at `GET choices/{type}/` under their
/// kebab-case names; the others are the enums the Gewerbe and corporate tax tools hold
/// themselves, which the sandbox enforces all the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum ChoiceList {
    LegalForms,
    ShareholderTypes,
    AgreementTypes,
    NotarizationTypes,
    NotarizationTimeframes,
    /// The roadmap after the notary hand-off, in order.
    FormationSteps,
    GewerbeLegalForms,
    EstablishmentTypes,
    BusinessTypes,
    ActivityTypes,
    ResidenceTypes,
    Genders,
    CorporateLegalForms,
    TaxationMethods,
    BankAccountHolderRoles,
    Salutations,
    CorporateShareholderTypes,
}

impl ChoiceList {
    const ALL: [ChoiceList; 17] = [
        ChoiceList::LegalForms,
        ChoiceList::ShareholderTypes,
        ChoiceList::AgreementTypes,
        ChoiceList::NotarizationTypes,
        ChoiceList::NotarizationTimeframes,
        ChoiceList::FormationSteps,
        ChoiceList::GewerbeLegalForms,
        ChoiceList::EstablishmentTypes,
        ChoiceList::BusinessTypes,
        ChoiceList::ActivityTypes,
        ChoiceList::ResidenceTypes,
        ChoiceList::Genders,
        ChoiceList::CorporateLegalForms,
        ChoiceList::TaxationMethods,
        ChoiceList::BankAccountHolderRoles,
        ChoiceList::Salutations,
        ChoiceList::CorporateShareholderTypes,
    ];

    /// The list `GET choices/{name}/` serves, if it serves one under that name.
    pub(crate) fn served(name: &str) -> Option<ChoiceList> {
        match name {
            "legal-forms" => Some(ChoiceList::LegalForms),
            "shareholder-types" => Some(ChoiceList::ShareholderTypes),
            "agreement-types" => Some(ChoiceList::AgreementTypes),
            "notarization-types" => Some(ChoiceList::NotarizationTypes),
            "notarization-timeframes" => Some(ChoiceList::NotarizationTimeframes),
            _ => None,
        }
    }
}

/// One allowed value with its German label, served as `{value, label}`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
}

/// The rules of a legal form a company can be founded in.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LegalForm {
    /// Its short name in messages (`GmbH`).
    pub name: String,
    /// The suffixes a company name may already carry; the first is the one appended.
    pub suffixes: Vec<String>,
    /// The least share capital in whole euros (§ 5 (1) GmbHG; § 5a (1) GmbHG for the UG).
    pub min_capital: u64,
    /// The most, for the UG: from 25,000 € on it is a GmbH.
    pub max_capital: Option<u64>,
    /// How much of each contribution is paid in before the registration (§ 7 (2), § 5a (2)).
    pub paid_in_percent: u64,
}

/// A trade office (Gewerbeamt) and the postcodes it serves.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TradeOffice {
    pub name: String,
    pub department: String,
    pub street: String,
    pub house_number: String,
    pub postal_code: String,
    pub city: String,
    pub phone: Option<String>,
    pub website: String,
    pub online_registration: bool,
    #[serde(skip_serializing)]
    served_postal_codes: Vec<String>,
    #[serde(skip_serializing)]
    served_postal_code_ranges: Vec<PostalCodeRange>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PostalCodeRange {
    from: String,
    to: String,
}

impl TradeOffice {
    fn serves(&self, postal_code: &str) -> bool {
        // Postcodes are five digits, so comparing the strings compares the numbers.
        self.served_postal_codes.iter().any(|code| code == postal_code)
            || self
                .served_postal_code_ranges
                .iter()
                .any(|range| range.from.as_str() <= postal_code && postal_code <= range.to.as_str())
    }
}

/// A notary Norman can hand a founding to, served as is by `notary-matches/`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Notary {
    pub public_id: String,
    pub name: String,
    pub street: String,
    pub house_number: String,
    pub postal_code: String,
    pub city: String,
    pub email: String,
    pub online_notarization: bool,
    pub languages: Vec<String>,
    /// How many days ahead the notary's first free appointment is.
    pub earliest_appointment_days: u32,
}

/// A company in the commercial register, as `check-name/` reports a match.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisteredCompany {
    pub name: String,
    pub seat: String,
    pub register: String,
}

struct FoundingReference {
    choices: HashMap<ChoiceList, Vec<Choice>>,
    legal_forms: HashMap<String, LegalForm>,
    trade_offices: Vec<TradeOffice>,
    notaries: Vec<Notary>,
    register: Vec<RegisteredCompany>,
}

/// The files are part of the build and a unit test parses them, so a failure here is a
/// broken build, not bad input.
static REFERENCE: LazyLock<FoundingReference> = LazyLock::new(|| {
    load().unwrap_or_else(|error| panic!("the sandbox's embedded founding data do not parse: {error}"))
});

fn load() -> Result<FoundingReference, String> {
    let choices: HashMap<ChoiceList, Vec<Choice>> = data::FOUNDING_CHOICES.parse()?;
    let path = data::FOUNDING_CHOICES.path;
    for list in ChoiceList::ALL {
        if choices.get(&list).is_none_or(Vec::is_empty) {
            return Err(format!("{path}: the list {list:?} is missing or empty"));
        }
    }
    let legal_forms: HashMap<String, LegalForm> = data::LEGAL_FORMS.parse()?;
    for choice in &choices[&ChoiceList::LegalForms] {
        let form = legal_forms
            .get(&choice.value)
            .ok_or_else(|| format!("{}: no rules for \"{}\"", data::LEGAL_FORMS.path, choice.value))?;
        if form.suffixes.is_empty() || form.min_capital == 0 {
            return Err(format!(
                "{}: \"{}\" needs a suffix and a minimum",
                data::LEGAL_FORMS.path,
                choice.value
            ));
        }
    }
    let trade_offices: Vec<TradeOffice> = data::TRADE_OFFICES.parse()?;
    for office in &trade_offices {
        let codes =
            office.served_postal_codes.iter().map(String::as_str).chain(
                office.served_postal_code_ranges.iter().flat_map(|r| [r.from.as_str(), r.to.as_str()]),
            );
        if let Some(bad) = codes.chain([office.postal_code.as_str()]).find(|c| !is_postal_code(c)) {
            return Err(format!(
                "{}: {}: \"{bad}\" is not a postcode",
                data::TRADE_OFFICES.path,
                office.name
            ));
        }
    }
    let notaries: Vec<Notary> = data::NOTARIES.parse()?;
    for (n, notary) in notaries.iter().enumerate() {
        if notaries[..n].iter().any(|other| other.public_id == notary.public_id) {
            return Err(format!("{}: {} twice", data::NOTARIES.path, notary.public_id));
        }
    }
    let register = data::COMMERCIAL_REGISTER.parse()?;
    Ok(FoundingReference { choices, legal_forms, trade_offices, notaries, register })
}

/// A German postcode: five digits.
pub(crate) fn is_postal_code(s: &str) -> bool {
    s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn choices(list: ChoiceList) -> &'static [Choice] {
    REFERENCE.choices.get(&list).map(Vec::as_slice).unwrap_or_default()
}

pub(crate) fn is_choice(list: ChoiceList, value: &str) -> bool {
    choices(list).iter().any(|c| c.value == value)
}

/// The German label of a value, or the value itself when it has none.
pub(crate) fn label(list: ChoiceList, value: &str) -> String {
    choices(list).iter().find(|c| c.value == value).map_or_else(|| value.to_owned(), |c| c.label.clone())
}

pub(crate) fn legal_form(value: &str) -> Option<&'static LegalForm> {
    REFERENCE.legal_forms.get(value)
}

/// Every suffix any legal form knows, longest first, so `UG (haftungsbeschränkt)` is
/// stripped before `UG`.
pub(crate) fn all_suffixes() -> Vec<&'static str> {
    let mut all: Vec<&str> =
        REFERENCE.legal_forms.values().flat_map(|f| f.suffixes.iter().map(String::as_str)).collect();
    all.sort_by_key(|s| std::cmp::Reverse(s.chars().count()));
    all
}

/// The trade office responsible for a postcode, if the data know one.
pub(crate) fn trade_office(postal_code: &str) -> Option<&'static TradeOffice> {
    REFERENCE.trade_offices.iter().find(|office| office.serves(postal_code))
}

pub(crate) fn notaries() -> &'static [Notary] {
    &REFERENCE.notaries
}

pub(crate) fn register() -> &'static [RegisteredCompany] {
    &REFERENCE.register
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reference() -> FoundingReference {
        load().unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn the_founding_data_parse() {
        let reference = reference();
        assert_eq!(reference.choices[&ChoiceList::LegalForms].len(), 2);
        let steps: Vec<&str> =
            reference.choices[&ChoiceList::FormationSteps].iter().map(|c| c.value.as_str()).collect();
        assert_eq!(
            steps,
            ["notary", "bank_account", "deposit", "hrb", "finanzamt", "gewerbeamt", "transparency"]
        );
        assert_eq!(reference.legal_forms["gmbh"].min_capital, 25_000);
        assert_eq!(reference.legal_forms["ug"].max_capital, Some(24_999));
        assert!(reference.notaries.len() >= 3);
        assert!(!reference.register.is_empty());
    }

    #[test]
    fn trade_offices_are_found_by_postcode() {
        assert_eq!(trade_office("10115").map(|o| o.city.as_str()), Some("Berlin"));
        assert_eq!(trade_office("80331").map(|o| o.city.as_str()), Some("München"));
        assert_eq!(trade_office("81999").map(|o| o.city.as_str()), Some("München"));
        assert_eq!(trade_office("20095").map(|o| o.city.as_str()), Some("Hamburg"));
        assert!(trade_office("82000").is_none(), "outside the range");
        assert!(trade_office("01067").is_none());
    }

    #[test]
    fn only_the_incorporation_lists_are_served() {
        assert_eq!(ChoiceList::served("legal-forms"), Some(ChoiceList::LegalForms));
        assert_eq!(ChoiceList::served("formation-steps"), None);
        assert_eq!(ChoiceList::served("genders"), None);
        assert_eq!(label(ChoiceList::Genders, "female"), "Weiblich");
        let suffixes = all_suffixes();
        let at = |s: &str| suffixes.iter().position(|x| *x == s);
        assert!(at("UG") > at("UG (haftungsbeschränkt)") && at("UG (haftungsbeschränkt)").is_some());
    }
}
