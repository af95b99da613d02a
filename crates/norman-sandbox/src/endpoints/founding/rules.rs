//! The field rules the founding drafts share: how a PATCH body's values are checked and
//! normalised (beyond the plain kinds of [`crate::drf::fields`]: choices from the data
//! files, postcodes, whole euros, IBANs), and how a draft's `sections` report what is
//! still missing.

use serde_json::{Map, Number, Value, json};
use time::Duration;

use crate::drf::error::ApiError;
use crate::drf::fields::{Fields, Kind, parse_date, to_f64};
use crate::founding_reference::{ChoiceList, is_choice, is_postal_code};
use crate::store::{Record, today};

/// How one field of a body is checked and stored.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rule {
    /// One of the plain kinds.
    Kind(Kind),
    /// A value of a choice list.
    Choice(ChoiceList),
    /// A non-empty list of values of a choice list.
    Choices(ChoiceList),
    /// A choice list whose values are numbers written as strings (`"1"`, `"99"`): either
    /// form is accepted and the number is stored.
    NumericChoice(ChoiceList),
    /// A German postcode, five digits.
    PostalCode,
    /// Whole euros of at least 1, as a number or a string of digits; stored as the string
    /// (`"25000"`), as the API takes share capital.
    Euros,
    /// A whole number of at least 0 (head counts).
    Count,
    /// A date that is not in the future (birth, notarisation).
    PastDate,
    /// An IBAN with valid check digits (ISO 13616), stored without spaces.
    Iban,
    /// Exactly this many digits (the tax office number, the personal tax id).
    Digits(usize),
    /// A share in percent, above 0 and at most 100, with at most two decimals.
    Percent,
}

/// A writable field and its rule.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FieldRule {
    pub key: &'static str,
    pub rule: Rule,
}

pub(crate) const fn r(key: &'static str, rule: Rule) -> FieldRule {
    FieldRule { key, rule }
}

/// Checks the fields of `rules` that `body` has and puts their normalised values into
/// `changes`; problems are recorded in `fields`. An explicit `null` clears a field.
pub(crate) fn apply(
    fields: &mut Fields<'_>,
    body: &Map<String, Value>,
    rules: &[FieldRule],
    changes: &mut Record,
) {
    for field in rules {
        let Some(raw) = body.get(field.key) else {
            continue;
        };
        let value = match field.rule {
            Rule::Kind(kind) => match fields.get(field.key, kind, false) {
                Some(value) => value,
                None => continue,
            },
            _ if raw.is_null() => Value::Null,
            rule => match check(raw, rule) {
                Ok(value) => value,
                Err(message) => {
                    fields.error(field.key, message);
                    continue;
                }
            },
        };
        changes.insert(field.key.to_owned(), value);
    }
}

/// Checks one non-null value against a rule other than [`Rule::Kind`].
fn check(raw: &Value, rule: Rule) -> Result<Value, String> {
    let text = || raw.as_str().map(str::trim).ok_or_else(|| "Not a valid string.".to_owned());
    match rule {
        Rule::Kind(_) => Ok(raw.clone()),
        Rule::Choice(list) => {
            let value = raw.as_str().ok_or_else(|| format!("\"{raw}\" is not a valid choice."))?;
            if is_choice(list, value) {
                Ok(Value::String(value.to_owned()))
            } else {
                Err(format!("\"{value}\" is not a valid choice."))
            }
        }
        Rule::Choices(list) => {
            let Value::Array(items) = raw else {
                return Err("Expected a list of items but got a single value.".into());
            };
            if items.is_empty() {
                return Err("This list may not be empty.".into());
            }
            for item in items {
                match item.as_str() {
                    Some(value) if is_choice(list, value) => {}
                    _ => return Err(format!("\"{}\" is not a valid choice.", item.as_str().unwrap_or("?"))),
                }
            }
            Ok(raw.clone())
        }
        Rule::NumericChoice(list) => {
            let value = match raw {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.trim().to_owned(),
                _ => String::new(),
            };
            match value.parse::<u64>() {
                Ok(number) if is_choice(list, &value) => Ok(Value::from(number)),
                _ => Err(format!("\"{value}\" is not a valid choice.")),
            }
        }
        Rule::PostalCode => {
            let value = text()?;
            if is_postal_code(value) {
                Ok(Value::String(value.to_owned()))
            } else {
                Err("Enter a valid German postcode (five digits).".into())
            }
        }
        Rule::Euros => match whole_euros(raw) {
            Some(euros) if euros >= 1 => Ok(Value::String(euros.to_string())),
            Some(_) => Err("Ensure this value is greater than or equal to 1.".into()),
            None => Err("Enter whole euros, such as \"25000\".".into()),
        },
        Rule::Count => match raw.as_u64().or_else(|| raw.as_str().and_then(|s| s.trim().parse().ok())) {
            Some(count) => Ok(Value::from(count)),
            None => Err("Ensure this value is a whole number greater than or equal to 0.".into()),
        },
        Rule::PastDate => {
            let value = text()?;
            match parse_date(value) {
                Some(date) if date <= today() => Ok(Value::String(value.to_owned())),
                Some(_) => Err("This date may not be in the future.".into()),
                None => Err("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.".into()),
            }
        }
        Rule::Iban => {
            let iban: String =
                text()?.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
            if is_iban(&iban) { Ok(Value::String(iban)) } else { Err("Enter a valid IBAN.".into()) }
        }
        Rule::Digits(n) => {
            let value = text()?;
            if value.len() == n && value.bytes().all(|b| b.is_ascii_digit()) {
                Ok(Value::String(value.to_owned()))
            } else {
                Err(format!("Enter exactly {n} digits."))
            }
        }
        Rule::Percent => match to_f64(raw) {
            Some(p) if p > 0.0 && p <= 100.0 && ((p * 100.0).round() - p * 100.0).abs() < 1e-6 => {
                Ok(Number::from_f64((p * 100.0).round() / 100.0).map_or(Value::Null, Value::Number))
            }
            Some(_) => Err("Enter a share above 0 and at most 100, with at most two decimals.".into()),
            None => Err("A valid number is required.".into()),
        },
    }
}

/// Whole euros from `25000`, `"25000"` or `"25000.00"`; `None` for anything else.
pub(crate) fn whole_euros(raw: &Value) -> Option<i64> {
    let value = match raw {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e12).map(|f| f as i64))
        }
        Value::String(s) => {
            let s = s.trim();
            let whole = s.strip_suffix(".00").or_else(|| s.strip_suffix(",00")).unwrap_or(s);
            if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 12 {
                None
            } else {
                whole.parse().ok()
            }
        }
        _ => None,
    };
    value.filter(|v| *v >= 0)
}

/// The stored whole euros of a field, if set.
pub(crate) fn euros_of(record: &Record, key: &str) -> Option<i64> {
    record.get(key).and_then(whole_euros)
}

/// ISO 13616: two letters, two check digits, at most 30 more letters or digits (22 in all
/// for a German IBAN), and the number mod 97 is 1.
pub(crate) fn is_iban(iban: &str) -> bool {
    let bytes = iban.as_bytes();
    if !(15..=34).contains(&bytes.len())
        || !bytes[..2].iter().all(u8::is_ascii_uppercase)
        || !bytes[2..4].iter().all(u8::is_ascii_digit)
        || !bytes.iter().all(u8::is_ascii_alphanumeric)
        || (iban.starts_with("DE") && bytes.len() != 22)
    {
        return false;
    }
    let rearranged = bytes[4..].iter().chain(&bytes[..4]);
    let remainder = rearranged.fold(0u32, |acc, &b| {
        let digits = if b.is_ascii_digit() { u32::from(b - b'0') } else { u32::from(b - b'A') + 10 };
        if digits >= 10 { (acc * 100 + digits) % 97 } else { (acc * 10 + digits) % 97 }
    });
    remainder == 1
}

/// Whether a field holds something: not absent, null, blank or an empty list.
pub(crate) fn is_set(record: &Record, key: &str) -> bool {
    match record.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(_) => true,
    }
}

/// A boolean field's answer; `None` while unanswered.
pub(crate) fn flag(record: &Record, key: &str) -> Option<bool> {
    record.get(key).and_then(Value::as_bool)
}

/// Appends `prefix` + each of `keys` that `record` does not have set.
pub(crate) fn missing_from(record: &Record, keys: &[&str], prefix: &str, missing: &mut Vec<String>) {
    missing.extend(keys.iter().filter(|key| !is_set(record, key)).map(|key| format!("{prefix}{key}")));
}

/// A draft's sections in order, each with the camelCase names of what it still misses.
#[derive(Default)]
pub(crate) struct Sections(Vec<(&'static str, Vec<String>)>);

impl Sections {
    pub(crate) fn add(&mut self, name: &'static str, missing: Vec<String>) {
        self.0.push((name, missing));
    }

    pub(crate) fn is_complete(&self, name: &str) -> bool {
        self.0.iter().any(|(n, missing)| *n == name && missing.is_empty())
    }

    /// Whether every section is complete.
    pub(crate) fn all_complete(&self) -> bool {
        self.0.iter().all(|(_, missing)| missing.is_empty())
    }

    /// What the named sections miss, flattened.
    pub(crate) fn missing_in(&self, names: &[&str]) -> Vec<String> {
        self.0.iter().filter(|(n, _)| names.contains(n)).flat_map(|(_, m)| m.iter().cloned()).collect()
    }

    /// `{name: {complete, missing}}`.
    pub(crate) fn to_value(&self) -> Value {
        let map = self
            .0
            .iter()
            .map(|(name, missing)| {
                ((*name).to_owned(), json!({ "complete": missing.is_empty(), "missing": missing }))
            })
            .collect::<Map<_, _>>();
        Value::Object(map)
    }
}

/// 400 for an action that needs complete sections: `{detail, missing}`.
pub(crate) fn incomplete(detail: &str, missing: Vec<String>) -> ApiError {
    ApiError::Body(axum::http::StatusCode::BAD_REQUEST, json!({ "detail": detail, "missing": missing }))
}

/// 400 `{"non_field_errors": [message]}`, DRF's answer to a rule about the whole record.
pub(crate) fn refused(message: impl Into<String>) -> ApiError {
    ApiError::field("non_field_errors", message)
}

/// A date `days` from today, `YYYY-MM-DD`.
pub(crate) fn days_from_today(days: i64) -> String {
    crate::store::date_str(today() + Duration::days(days))
}

/// Whole euros as German documents write them: `25.000 €`.
pub(crate) fn euro_text(euros: i64) -> String {
    let digits = euros.unsigned_abs().to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if euros < 0 { "-" } else { "" };
    format!("{sign}{grouped} €")
}

/// `YYYY-MM-DD` as German documents write it (`17.05.1990`); anything else as it is.
pub(crate) fn german_date(date: &str) -> String {
    match parse_date(date) {
        Some(d) => format!("{:02}.{:02}.{:04}", d.day(), u8::from(d.month()), d.year()),
        None => date.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_write_euros_and_dates_the_german_way() {
        assert_eq!(euro_text(25_000), "25.000 €");
        assert_eq!(euro_text(1), "1 €");
        assert_eq!(euro_text(1_234_567), "1.234.567 €");
        assert_eq!(euro_text(-5_000), "-5.000 €");
        assert_eq!(german_date("1990-05-17"), "17.05.1990");
        assert_eq!(german_date("bald"), "bald");
    }

    #[test]
    fn ibans_are_checked_by_their_check_digits() {
        assert!(is_iban("DE89370400440532013000"));
        assert!(is_iban("DE02700202700010108669"));
        assert!(!is_iban("DE89370400440532013001"), "wrong check digits");
        assert!(!is_iban("DE8937040044053201300"), "a German IBAN has 22 characters");
        assert!(is_iban("GB82WEST12345698765432"));
        assert!(!is_iban("de89370400440532013000"), "stored upper-case, checked after normalising");
    }

    #[test]
    fn whole_euros_accept_numbers_and_digit_strings_only() {
        assert_eq!(whole_euros(&json!("25000")), Some(25_000));
        assert_eq!(whole_euros(&json!(25000)), Some(25_000));
        assert_eq!(whole_euros(&json!("25000.00")), Some(25_000));
        assert_eq!(whole_euros(&json!(1.5)), None);
        assert_eq!(whole_euros(&json!("25.000")), None, "no thousands separators");
        assert_eq!(whole_euros(&json!("-5")), None);
        assert_eq!(whole_euros(&json!("")), None);
    }

    #[test]
    fn rules_normalise_or_explain() {
        let check = |raw: Value, rule| check(&raw, rule);
        assert_eq!(check(json!("gmbh"), Rule::Choice(ChoiceList::LegalForms)), Ok(json!("gmbh")));
        assert!(check(json!("ag"), Rule::Choice(ChoiceList::LegalForms)).is_err());
        assert_eq!(check(json!(99), Rule::NumericChoice(ChoiceList::BankAccountHolderRoles)), Ok(json!(99)));
        assert_eq!(check(json!("1"), Rule::NumericChoice(ChoiceList::BankAccountHolderRoles)), Ok(json!(1)));
        assert!(check(json!(2), Rule::NumericChoice(ChoiceList::BankAccountHolderRoles)).is_err());
        assert!(check(json!(["trade", "craft"]), Rule::Choices(ChoiceList::BusinessTypes)).is_ok());
        assert!(check(json!(["trade", "farming"]), Rule::Choices(ChoiceList::BusinessTypes)).is_err());
        assert!(check(json!([]), Rule::Choices(ChoiceList::BusinessTypes)).is_err());
        assert!(check(json!("1011"), Rule::PostalCode).is_err());
        assert_eq!(check(json!(" 10115 "), Rule::PostalCode), Ok(json!("10115")));
        assert_eq!(
            check(json!("DE89 3704 0044 0532 0130 00"), Rule::Iban),
            Ok(json!("DE89370400440532013000"))
        );
        assert!(check(json!(days_from_today(1)), Rule::PastDate).is_err());
        assert!(check(json!("1990-02-30"), Rule::PastDate).is_err());
        assert_eq!(check(json!(33.33), Rule::Percent), Ok(json!(33.33)));
        assert!(check(json!(33.333), Rule::Percent).is_err());
        assert!(check(json!(0), Rule::Percent).is_err());
        assert!(check(json!("12a4"), Rule::Digits(4)).is_err());
    }
}
