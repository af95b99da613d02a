//! Request body parsing and DRF-style field validation.
//!
//! Validation collects every field's problems before answering, as DRF serializers do, so a
//! client sees `{"name": ["This field is required."], "email": ["Enter a valid email address."]}`
//! in one 400 rather than one error at a time.

use axum::http::StatusCode;
use serde_json::{Map, Number, Value};
use time::Date;
use time::macros::format_description;

use super::error::ApiError;
use super::multipart;

/// The value kinds the sandbox validates. Numbers also arrive as strings (form fields, DRF's
/// decimal convention), so the numeric kinds accept both.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// A string, blank allowed, at most 255 characters.
    Text,
    /// A long free text (notes, e-mail bodies), blank allowed.
    LongText,
    /// A string that must not be blank.
    NonBlank,
    Email,
    /// One of the given strings, exactly.
    Choice(&'static [&'static str]),
    /// `YYYY-MM-DD`.
    Date,
    /// `YYYY-MM-DD` or an RFC 3339 date-time (only the date is kept).
    DateOrDateTime,
    /// A decimal amount, stored as a JSON number with two decimals.
    Money,
    Int,
    PositiveInt,
    IntChoice(&'static [i64]),
    Bool,
    /// An ISO 3166 alpha-2 code such as `DE`.
    Country,
    /// A string or a list of strings (repeated form fields), stored as a list.
    IdList,
    /// A list of strings.
    StrList,
    /// A JSON object.
    Object,
    /// Anything; passed through.
    Any,
    /// An IBAN (ISO 13616, checksum verified), stored compact and upper-case; blank allowed.
    Iban,
    /// A BIC (ISO 9362, 8 or 11 characters), stored upper-case; blank allowed.
    Bic,
}

/// One writable field: its name in the request, its name in the stored record, its kind and
/// whether creation requires it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    pub key: &'static str,
    pub out: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// A spec whose stored name equals its request name.
pub(crate) const fn f(key: &'static str, kind: Kind, required: bool) -> Spec {
    Spec { key, out: key, kind, required }
}

/// Validates fields of one body and gathers the errors.
pub(crate) struct Fields<'a> {
    body: &'a Map<String, Value>,
    errors: Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(body: &'a Map<String, Value>) -> Self {
        Fields { body, errors: Map::new() }
    }

    /// Records an error for `key` (used for cross-field and reference checks).
    pub(crate) fn error(&mut self, key: &str, message: impl Into<String>) {
        let entry = self.errors.entry(key.to_owned()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.push(Value::String(message.into()));
        }
    }

    /// Records a structured error, such as DRF's per-item list for nested serializers.
    pub(crate) fn error_value(&mut self, key: &str, value: Value) {
        self.errors.insert(key.to_owned(), value);
    }

    pub(crate) fn has_error(&self, key: &str) -> bool {
        self.errors.contains_key(key)
    }

    /// The normalised value of `key`: `None` when absent or invalid (the error is recorded),
    /// `Some(Value::Null)` when explicitly null on an optional field.
    pub(crate) fn get(&mut self, key: &str, kind: Kind, required: bool) -> Option<Value> {
        let raw = match self.body.get(key) {
            None => {
                if required {
                    self.error(key, "This field is required.");
                }
                return None;
            }
            Some(Value::Null) => {
                // Names and other non-blank fields are never nullable, not even in a PATCH.
                if required || matches!(kind, Kind::NonBlank) {
                    self.error(key, "This field may not be null.");
                    return None;
                }
                return Some(Value::Null);
            }
            Some(raw) => raw,
        };
        match normalise(raw, kind) {
            Ok(value) => Some(value),
            Err(message) => {
                self.error(key, message);
                None
            }
        }
    }

    /// Validates every spec present in the body and writes the normalised values into
    /// `record`. With `partial` (PATCH), nothing is required.
    pub(crate) fn apply(&mut self, specs: &[Spec], record: &mut Map<String, Value>, partial: bool) {
        for spec in specs {
            if let Some(value) = self.get(spec.key, spec.kind, spec.required && !partial) {
                record.insert(spec.out.to_owned(), value);
            }
        }
    }

    /// `Err(400)` with all recorded field errors, if there are any.
    pub(crate) fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::Invalid(self.errors)) }
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn normalise(raw: &Value, kind: Kind) -> Result<Value, String> {
    match kind {
        Kind::Text | Kind::LongText | Kind::NonBlank => {
            let Value::String(s) = raw else {
                return Err("Not a valid string.".into());
            };
            let limit = if matches!(kind, Kind::LongText) { 20_000 } else { 255 };
            if s.chars().count() > limit {
                return Err(format!("Ensure this field has no more than {limit} characters."));
            }
            if matches!(kind, Kind::NonBlank) && s.trim().is_empty() {
                return Err("This field may not be blank.".into());
            }
            Ok(Value::String(s.trim().to_owned()))
        }
        Kind::Email => {
            let Value::String(s) = raw else {
                return Err("Not a valid string.".into());
            };
            let s = s.trim();
            if s.is_empty() {
                return Ok(Value::String(String::new()));
            }
            if is_email(s) {
                Ok(Value::String(s.to_owned()))
            } else {
                Err("Enter a valid email address.".into())
            }
        }
        Kind::Choice(choices) => {
            let s = match raw {
                Value::String(s) => s.as_str(),
                other => return Err(format!("\"{other}\" is not a valid choice.")),
            };
            if choices.contains(&s) {
                Ok(Value::String(s.to_owned()))
            } else {
                Err(format!("\"{s}\" is not a valid choice."))
            }
        }
        Kind::Date => match raw {
            Value::String(s) if parse_date(s).is_some() => Ok(Value::String(s.clone())),
            _ => Err("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.".into()),
        },
        Kind::DateOrDateTime => match raw {
            Value::String(s) if s.len() >= 10 && s.is_char_boundary(10) => {
                let date = &s[..10];
                let rest = &s[10..];
                if parse_date(date).is_some() && (rest.is_empty() || rest.starts_with('T')) {
                    Ok(Value::String(date.to_owned()))
                } else {
                    Err("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.".into())
                }
            }
            _ => Err("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.".into()),
        },
        Kind::Money => match to_f64(raw) {
            Some(v) if v.abs() < 1e12 => Ok(money(v)),
            Some(_) => Err("Ensure that there are no more than 14 digits in total.".into()),
            None => Err("A valid number is required.".into()),
        },
        Kind::Int | Kind::PositiveInt | Kind::IntChoice(_) => {
            let Some(v) = to_i64(raw) else {
                return Err("A valid integer is required.".into());
            };
            match kind {
                Kind::PositiveInt if v < 1 => Err("Ensure this value is greater than or equal to 1.".into()),
                Kind::IntChoice(choices) if !choices.contains(&v) => {
                    Err(format!("\"{v}\" is not a valid choice."))
                }
                _ => Ok(Value::from(v)),
            }
        }
        Kind::Bool => match raw {
            Value::Bool(b) => Ok(Value::Bool(*b)),
            Value::String(s) => {
                parse_bool(s).map(Value::Bool).ok_or_else(|| "Must be a valid boolean.".into())
            }
            Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                Ok(Value::Bool(n.as_i64() == Some(1)))
            }
            _ => Err("Must be a valid boolean.".into()),
        },
        Kind::Country => match raw {
            Value::String(s) if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) => {
                Ok(Value::String(s.to_ascii_uppercase()))
            }
            Value::String(s) if s.is_empty() => Ok(Value::String(String::new())),
            other => Err(format!("\"{}\" is not a valid choice.", other.as_str().unwrap_or_default())),
        },
        Kind::IdList | Kind::StrList => match raw {
            Value::String(s) if matches!(kind, Kind::IdList) => {
                Ok(Value::Array(vec![Value::String(s.clone())]))
            }
            Value::Array(items) => {
                if items.iter().all(Value::is_string) {
                    Ok(Value::Array(items.clone()))
                } else {
                    Err("Not a valid string.".into())
                }
            }
            other => Err(format!("Expected a list of items but got type \"{}\".", type_name(other))),
        },
        Kind::Object => match raw {
            Value::Object(_) => Ok(raw.clone()),
            other => Err(format!("Expected a dictionary of items but got type \"{}\".", type_name(other))),
        },
        Kind::Any => Ok(raw.clone()),
        Kind::Iban | Kind::Bic => {
            let Value::String(s) = raw else {
                return Err("Not a valid string.".into());
            };
            let compact: String =
                s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase();
            let (valid, name) = match kind {
                Kind::Iban => (is_iban(&compact), "IBAN"),
                _ => (is_bic(&compact), "BIC"),
            };
            if compact.is_empty() || valid {
                Ok(Value::String(compact))
            } else {
                Err(format!("Enter a valid {name}."))
            }
        }
    }
}

/// Country code, check digits, 11 to 30 alphanumerics, and the ISO 7064 mod-97 checksum.
fn is_iban(s: &str) -> bool {
    let b = s.as_bytes();
    if !(15..=34).contains(&b.len())
        || !b[..2].iter().all(u8::is_ascii_uppercase)
        || !b[2..4].iter().all(u8::is_ascii_digit)
        || !b.iter().all(u8::is_ascii_alphanumeric)
    {
        return false;
    }
    let rotated = b[4..].iter().chain(&b[..4]);
    let remainder = rotated.fold(0u32, |acc, &c| {
        if c.is_ascii_digit() {
            (acc * 10 + u32::from(c - b'0')) % 97
        } else {
            (acc * 100 + u32::from(c - b'A' + 10)) % 97
        }
    });
    remainder == 1
}

/// Bank code and country (letters), location (two alphanumerics), optional branch (three).
fn is_bic(s: &str) -> bool {
    let b = s.as_bytes();
    matches!(b.len(), 8 | 11)
        && b[..6].iter().all(u8::is_ascii_uppercase)
        && b.iter().all(u8::is_ascii_alphanumeric)
}

fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.contains(char::is_whitespace)
}

/// `YYYY-MM-DD`, strictly.
pub(crate) fn parse_date(s: &str) -> Option<Date> {
    if s.len() != 10 {
        return None;
    }
    Date::parse(s, format_description!("[year]-[month]-[day]")).ok()
}

pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "True" | "TRUE" | "1" => Some(true),
        "false" | "False" | "FALSE" | "0" => Some(false),
        _ => None,
    }
}

/// A number or a numeric string, finite.
pub(crate) fn to_f64(raw: &Value) -> Option<f64> {
    let v = match raw {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    v.is_finite().then_some(v)
}

fn to_i64(raw: &Value) -> Option<i64> {
    match raw {
        Value::Number(n) => n.as_i64().or_else(|| {
            let f = n.as_f64()?;
            (f.fract() == 0.0 && f.abs() < 9e15).then_some(f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Rounds to cents and returns a JSON number.
pub(crate) fn money(v: f64) -> Value {
    let rounded = (v * 100.0).round() / 100.0;
    Number::from_f64(rounded).map(Value::Number).unwrap_or(Value::Null)
}

/// The body as an object. An empty body is an empty object (DRF treats it the same), JSON and
/// form bodies are read, multipart text fields are read (files are left to the upload handlers),
/// and any other content type is 415 like DRF.
pub(crate) fn parse_object(content_type: Option<&str>, bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let mime = content_type
        .map(|ct| ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_default();
    match mime.as_str() {
        "" | "application/json" => parse_json_object(bytes),
        m if m.ends_with("+json") => parse_json_object(bytes),
        "application/x-www-form-urlencoded" => {
            let mut map = Map::new();
            for (k, v) in url::form_urlencoded::parse(bytes) {
                push_repeated(&mut map, &k, Value::String(v.into_owned()));
            }
            Ok(map)
        }
        "multipart/form-data" => {
            let parts = multipart::parse(content_type.unwrap_or_default(), bytes)?;
            let mut map = Map::new();
            for part in parts.iter().filter(|p| p.filename.is_none()) {
                let text = String::from_utf8_lossy(part.data).into_owned();
                push_repeated(&mut map, &part.name, Value::String(text));
            }
            Ok(map)
        }
        _ => Err(ApiError::Detail(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("Unsupported media type \"{}\" in request.", content_type.unwrap_or_default()),
        )),
    }
}

/// Repeated form fields become a list, as a DRF `ListField` would read them.
pub(crate) fn push_repeated(map: &mut Map<String, Value>, key: &str, value: Value) {
    match map.get_mut(key) {
        None => {
            map.insert(key.to_owned(), value);
        }
        Some(Value::Array(list)) => list.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

fn parse_json_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::Body(
            StatusCode::BAD_REQUEST,
            serde_json::json!({
                "non_field_errors": [format!(
                    "Invalid data. Expected a dictionary, but got {}.",
                    type_name(&other)
                )]
            }),
        )),
        Err(e) => Err(ApiError::bad_request(format!("JSON parse error - {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collects_all_errors() {
        let body = json!({"email": "nope", "amount": "x", "vatRate": 8, "d": "2026-13-01"});
        let body = body.as_object().cloned().unwrap_or_default();
        let mut fields = Fields::new(&body);
        fields.get("name", Kind::NonBlank, true);
        fields.get("email", Kind::Email, false);
        fields.get("amount", Kind::Money, true);
        fields.get("vatRate", Kind::IntChoice(&[0, 7, 19]), false);
        fields.get("d", Kind::Date, false);
        let Err(ApiError::Invalid(errors)) = fields.finish() else {
            panic!("expected errors");
        };
        assert_eq!(errors.len(), 5);
    }

    #[test]
    fn numbers_from_strings() {
        assert_eq!(normalise(&json!("12.345"), Kind::Money).ok(), Some(json!(12.35)));
        assert_eq!(normalise(&json!("7"), Kind::Int).ok(), Some(json!(7)));
        assert_eq!(normalise(&json!("True"), Kind::Bool).ok(), Some(json!(true)));
    }

    #[test]
    fn bank_details() {
        assert_eq!(
            normalise(&json!("de89 3704 0044 0532 0130 00"), Kind::Iban).ok(),
            Some(json!("DE89370400440532013000"))
        );
        assert_eq!(normalise(&json!(""), Kind::Iban).ok(), Some(json!("")));
        for bad in [
            "DE89370400440532013001",
            "DE8937040044",
            "XX89370400440532013000",
            "DE89-3704-0044-0532-0130-00",
        ] {
            assert_eq!(normalise(&json!(bad), Kind::Iban), Err("Enter a valid IBAN.".to_owned()), "{bad}");
        }
        assert_eq!(normalise(&json!("belADEbexxx"), Kind::Bic).ok(), Some(json!("BELADEBEXXX")));
        assert_eq!(normalise(&json!("COBADEFF"), Kind::Bic).ok(), Some(json!("COBADEFF")));
        for bad in ["COBADEF", "C0BADEFFXXX", "COBADEFFXX"] {
            assert_eq!(normalise(&json!(bad), Kind::Bic), Err("Enter a valid BIC.".to_owned()), "{bad}");
        }
    }

    #[test]
    fn bodies() {
        assert!(parse_object(None, b"").is_ok_and(|m| m.is_empty()));
        assert!(parse_object(Some("application/json"), b"[1]").is_err());
        assert!(parse_object(Some("application/json"), b"{").is_err());
        assert!(parse_object(Some("text/plain"), b"x").is_err());
        let form =
            parse_object(Some("application/x-www-form-urlencoded"), b"a=1&a=2&b=x").unwrap_or_default();
        assert_eq!(form.get("a"), Some(&json!(["1", "2"])));
    }
}
