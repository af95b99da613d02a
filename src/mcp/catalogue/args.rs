//! A call's arguments: checked against the tool's parameters (names, types, required, choices)
//! and turned into the path, query, JSON body or form fields of the Norman request.
//!
//! Every problem is collected into one message, so the model can fix its call in one go.

use rmcp::model::JsonObject;
use serde_json::{Map, Value};
use time::Date;
use time::macros::format_description;

use super::spec::{Param, People, Spec, To, Ty, When, type_schema};

const MAX_ID_LEN: usize = 128;
const MAX_SHOWN_NAME: usize = 64;

/// The checked arguments of one call, one slot per parameter of the tool.
pub(super) struct Args {
    spec: &'static Spec,
    values: Vec<Option<Value>>,
    /// The company the call names to act on instead of the signed-in one (`Spec::company_choice`).
    company: Option<String>,
}

impl Args {
    /// Checks `arguments` against `spec`, applies defaults, and explains every problem at once.
    /// `null` counts as not given.
    pub(super) fn parse(spec: &'static Spec, arguments: Option<JsonObject>) -> Result<Args, String> {
        let mut values: Vec<Option<Value>> = vec![None; spec.params.len()];
        let mut problems = Vec::new();
        let mut company = None;
        for (key, value) in arguments.into_iter().flatten() {
            if let Some(choice) = spec.company_choice().filter(|choice| choice.name == key) {
                match value {
                    Value::Null => {}
                    value => match check(choice, value) {
                        Ok(Value::String(id)) => company = Some(id),
                        Ok(_) => {}
                        Err(problem) => problems.push(format!("`{}` {problem}", choice.name)),
                    },
                }
                continue;
            }
            let Some(i) = spec.param(&key) else {
                let shown: String = key.chars().take(MAX_SHOWN_NAME).collect();
                problems.push(format!("unknown argument `{shown}`"));
                continue;
            };
            if value.is_null() {
                continue;
            }
            let param = &spec.params[i];
            match check(param, value) {
                Ok(value) => values[i] = Some(value),
                Err(problem) => problems.push(format!("`{}` {problem}", param.name)),
            }
        }
        for (slot, param) in values.iter_mut().zip(spec.params) {
            if slot.is_none() {
                if param.required {
                    problems.push(format!("`{}` is required ({})", param.name, param.doc));
                } else {
                    *slot = param.fill.value();
                }
            }
        }
        if problems.is_empty() {
            return Ok(Args { spec, values, company });
        }
        let names: Vec<&str> = spec.params.iter().chain(spec.company_choice()).map(|p| p.name).collect();
        let accepted = if names.is_empty() { "none".to_owned() } else { names.join(", ") };
        Err(format!(
            "Invalid arguments for {}: {}. Accepted arguments: {accepted}.",
            spec.name,
            problems.join("; ")
        ))
    }

    /// The company the call names with `company_id`, when the tool takes one besides its own
    /// parameters.
    pub(super) fn company(&self) -> Option<&str> {
        self.company.as_deref()
    }

    pub(super) fn get(&self, name: &str) -> Option<&Value> {
        self.spec.param(name).and_then(|i| self.values[i].as_ref())
    }

    pub(super) fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub(super) fn take(&mut self, name: &str) -> Option<Value> {
        self.spec.param(name).and_then(|i| self.values[i].take())
    }

    /// Replaces a value (hooks computing defaults); unknown names are ignored.
    pub(super) fn set(&mut self, name: &str, value: Value) {
        if let Some(i) = self.spec.param(name) {
            self.values[i] = Some(value);
        }
    }

    /// The path with `{cid}` and the id parameters filled in. Ids were checked to be URL-safe,
    /// so nothing can add a segment or climb out of the endpoint.
    pub(super) fn path(&self, company_id: &str) -> Result<String, String> {
        fill_path(self.spec.path, company_id, |name| self.str(name))
    }

    /// `companyId` first (Norman scopes every call but the company list by it; a founder
    /// without a company sends none), then the query parameters that are to be sent.
    pub(super) fn query(&self, company_id: &str) -> Vec<(&'static str, String)> {
        let mut query = Vec::with_capacity(2);
        if !company_id.is_empty() {
            query.push(("companyId", company_id.to_owned()));
        }
        for (param, value) in self.spec.params.iter().zip(&self.values) {
            if let (To::Query(key), Some(value)) = (param.to, value)
                && sendable(param, value)
            {
                query.push((key, query_text(value)));
            }
        }
        query
    }

    /// The JSON body, or `None` when the endpoint takes no body. Moves the values out.
    pub(super) fn take_body(&mut self) -> Option<Map<String, Value>> {
        let mut body = Map::new();
        let mut has_body = false;
        for (param, slot) in self.spec.params.iter().zip(&mut self.values) {
            if let To::Body(key) = param.to {
                has_body = true;
                if let Some(value) = slot.take().filter(|v| sendable(param, v)) {
                    body.insert(key.to_owned(), value);
                }
            }
        }
        has_body.then_some(body)
    }

    /// Multipart form fields: lists repeat the field, objects go as JSON text.
    pub(super) fn form_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = Vec::new();
        for (param, value) in self.spec.params.iter().zip(&self.values) {
            let (To::Form(key), Some(value)) = (param.to, value) else { continue };
            if !sendable(param, value) {
                continue;
            }
            match value {
                Value::Array(items) => fields.extend(items.iter().map(|item| (key, form_text(item)))),
                other => fields.push((key, form_text(other))),
            }
        }
        fields
    }
}

/// Fills `{cid}` and `{param}` placeholders of a path template.
pub(super) fn fill_path<'a>(
    template: &str,
    company_id: &str,
    value_of: impl Fn(&str) -> Option<&'a str>,
) -> Result<String, String> {
    let mut path = String::with_capacity(template.len() + 48);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        path.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else { break };
        let name = &rest[start + 1..start + end];
        let value = if name == "cid" { Some(company_id) } else { value_of(name) };
        match value.filter(|v| is_id(v)) {
            Some(v) => path.push_str(v),
            None => return Err(format!("`{name}` must be an id made of letters, digits and - _ . ~")),
        }
        rest = &rest[start + end + 1..];
    }
    path.push_str(rest);
    Ok(path)
}

/// URL-safe and never a dot segment.
pub(super) fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= MAX_ID_LEN
        && text != "."
        && text != ".."
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

fn sendable(param: &Param, value: &Value) -> bool {
    !value.is_null() && (param.when == When::Given || truthy(value))
}

/// Python's truthiness, which decided what the earlier server sent.
pub(super) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Query text as the earlier (Python) server sent it: booleans as `True`/`False`.
fn query_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        other => other.to_string(),
    }
}

fn form_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(super) fn parse_date(text: &str) -> Option<Date> {
    Date::parse(text, format_description!("[year]-[month]-[day]")).ok()
}

/// Checks one value and returns it normalised (choices in their canonical spelling, whole
/// floats as integers, numbers given for text as text).
fn check(param: &Param, value: Value) -> Result<Value, String> {
    match param.ty {
        Ty::Str => match value {
            Value::String(s) if param.required && s.trim().is_empty() => Err("must not be empty".into()),
            Value::String(_) => Ok(value),
            Value::Number(n) => Ok(Value::String(n.to_string())),
            _ => Err("must be a string".into()),
        },
        Ty::Id => match value {
            Value::String(s) if is_id(s.trim()) => Ok(Value::String(s.trim().to_owned())),
            Value::Number(n) if n.is_u64() => Ok(Value::String(n.to_string())),
            _ => Err("must be an id (letters, digits and - _ . ~), as the list tools show it".into()),
        },
        Ty::Date => match &value {
            Value::String(s) if parse_date(s.trim()).is_some() => Ok(Value::String(s.trim().to_owned())),
            _ => Err("must be a date written YYYY-MM-DD".into()),
        },
        Ty::Int => integer(&value).map(Value::from).ok_or_else(|| "must be a whole number".into()),
        Ty::Num => match value {
            Value::Number(_) => Ok(value),
            _ => Err("must be a number".into()),
        },
        Ty::Bool => match value {
            Value::Bool(_) => Ok(value),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err("must be true or false".into()),
        },
        Ty::Choice(choices) => {
            let found =
                value.as_str().and_then(|s| choices.iter().find(|c| c.eq_ignore_ascii_case(s.trim())));
            found
                .map(|c| Value::String((*c).to_owned()))
                .ok_or_else(|| format!("must be one of {}", choices.join(", ")))
        }
        Ty::IntChoice(choices) => match integer(&value) {
            Some(n) if choices.contains(&n) => Ok(Value::from(n)),
            _ => {
                let list: Vec<String> = choices.iter().map(i64::to_string).collect();
                Err(format!("must be one of {}", list.join(", ")))
            }
        },
        Ty::StrList => match value {
            Value::String(s) => Ok(Value::Array(vec![Value::String(s)])),
            Value::Array(items) if items.iter().all(Value::is_string) => Ok(Value::Array(items)),
            _ => Err("must be a list of strings".into()),
        },
        Ty::ChoiceList(choices) => check_choice_list(choices, value),
        Ty::People(people) => check_people(people, &value).map(|()| value),
        Ty::Object => match value {
            Value::Object(_) => Ok(value),
            _ => Err("must be an object".into()),
        },
        Ty::Items => check_items(&value).map(|()| value),
        Ty::Files => check_files(&value).map(|()| value),
    }
}

fn integer(value: &Value) -> Option<i64> {
    let n = value.as_number()?;
    n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15).map(|f| f as i64))
}

fn check_items(value: &Value) -> Result<(), String> {
    let Some(items) = value.as_array().filter(|a| !a.is_empty()) else {
        return Err("must be a non-empty list of items [{name, quantity, rate, vatRate}]".into());
    };
    for (n, item) in items.iter().enumerate() {
        let Some(item) = item.as_object() else {
            return Err(format!("[{n}] must be an object {{name, quantity, rate, vatRate}}"));
        };
        if item.get("name").and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
            return Err(format!("[{n}].name must be a non-empty string"));
        }
        if !item.get("quantity").and_then(Value::as_f64).is_some_and(|q| q > 0.0) {
            return Err(format!("[{n}].quantity must be a number greater than 0"));
        }
        if item.get("rate").and_then(integer).is_none() {
            return Err(format!("[{n}].rate must be a whole number of cents (12.50 EUR = 1250)"));
        }
        if let Some(rate) = item.get("vatRate").filter(|v| !v.is_null())
            && !integer(rate).is_some_and(|r| [0, 7, 19].contains(&r))
        {
            return Err(format!("[{n}].vatRate must be 0, 7 or 19"));
        }
    }
    Ok(())
}

/// A list of choices (a single choice counts as a list of one), each normalised, none twice.
fn check_choice_list(choices: &[&str], value: Value) -> Result<Value, String> {
    let items = match value {
        Value::Array(items) => items,
        single @ Value::String(_) => vec![single],
        _ => return Err(format!("must be a list of: {}", choices.join(", "))),
    };
    let mut picked: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        let found = item.as_str().and_then(|s| choices.iter().find(|c| c.eq_ignore_ascii_case(s.trim())));
        let Some(choice) = found else {
            return Err(format!("may only contain {}", choices.join(", ")));
        };
        if picked.iter().any(|p| p == *choice) {
            return Err(format!("names {choice} twice"));
        }
        picked.push(Value::String((*choice).to_owned()));
    }
    Ok(Value::Array(picked))
}

/// People as the schema describes them: objects with the known keys, the required ones
/// present, at most as many as the questionnaire takes. Norman checks the values.
fn check_people(people: People, value: &Value) -> Result<(), String> {
    let schema = type_schema(Ty::People(people));
    let item = &schema["items"];
    let Some(list) = value.as_array() else {
        return Err("must be a list of person objects".into());
    };
    if list.len() > people.max() {
        return Err(format!("may hold at most {} people", people.max()));
    }
    for (n, person) in list.iter().enumerate() {
        let Some(person) = person.as_object() else {
            return Err(format!("[{n}] must be an object"));
        };
        if let Some(unknown) = person.keys().find(|k| item["properties"].get(k.as_str()).is_none()) {
            let known: Vec<&str> = item["properties"]
                .as_object()
                .into_iter()
                .flat_map(|p| p.keys())
                .map(String::as_str)
                .collect();
            let shown: String = unknown.chars().take(MAX_SHOWN_NAME).collect();
            return Err(format!("[{n}] has an unknown key `{shown}` (known: {})", known.join(", ")));
        }
        for required in item["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if person.get(required).is_none_or(Value::is_null) {
                return Err(format!("[{n}].{required} is required"));
            }
        }
    }
    Ok(())
}

fn check_files(value: &Value) -> Result<(), String> {
    let Some(files) = value.as_array().filter(|a| !a.is_empty()) else {
        return Err("must be a non-empty list of {file_name, content}".into());
    };
    for (n, file) in files.iter().enumerate() {
        let ok = file.as_object().is_some_and(|f| {
            f.get("content").is_some_and(Value::is_string)
                && f.get("file_name").is_none_or(|v| v.is_string() || v.is_null())
        });
        if !ok {
            return Err(format!("[{n}] must be {{\"file_name\": string, \"content\": base64 string}}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_never_change_the_path() {
        for good in ["cli_7QxK2mVd9RtL4nPw", "123", "a.b", "a~b-c_d"] {
            assert!(is_id(good), "{good}");
        }
        for bad in ["", ".", "..", "../x", "a/b", "a%2Fb", "a?b", "a#b", "a b", "ä", &"a".repeat(129)] {
            assert!(!is_id(bad), "{bad}");
        }
        let path = fill_path("api/{cid}/x/{id}/", "c1", |_| Some("i1")).unwrap();
        assert_eq!(path, "api/c1/x/i1/");
        assert!(fill_path("api/{cid}/x/{id}/", "c1", |_| Some("..")).is_err());
        assert!(fill_path("api/{cid}/", "c/1", |_| None).is_err());
    }

    #[test]
    fn choice_lists_are_normalised_and_hold_each_choice_once() {
        let kinds = &["industry", "trade", "craft", "other"];
        let list = check_choice_list(kinds, serde_json::json!([" Trade", "CRAFT"])).unwrap();
        assert_eq!(list, serde_json::json!(["trade", "craft"]));
        assert_eq!(check_choice_list(kinds, "other".into()).unwrap(), serde_json::json!(["other"]));
        assert!(check_choice_list(kinds, serde_json::json!(["trade", "retail"])).is_err());
        assert!(check_choice_list(kinds, serde_json::json!(["trade", "Trade"])).is_err());
        assert!(check_choice_list(kinds, serde_json::json!({"trade": true})).is_err());
    }

    #[test]
    fn people_have_known_keys_their_required_ones_and_a_limit() {
        let anna = serde_json::json!({"firstName": "Anna", "lastName": "Muster", "dob": "1990-05-17"});
        assert!(check_people(People::Representatives, &serde_json::json!([anna])).is_ok());
        assert!(check_people(People::Representatives, &serde_json::json!([])).is_ok());
        let ten = Value::Array(vec![anna.clone(); 10]);
        assert!(check_people(People::Representatives, &ten).unwrap_err().contains("at most 9"));
        let unknown = serde_json::json!([{"firstName": "A", "lastName": "B", "shoeSize": 38}]);
        assert!(check_people(People::Representatives, &unknown).unwrap_err().contains("shoeSize"));
        let no_share = serde_json::json!([{"shareholderType": "legal", "entityName": "Holding GmbH"}]);
        let error = check_people(People::Shareholders, &no_share).unwrap_err();
        assert!(error.contains("[0].shareNominalAmount is required"), "{error}");
        assert!(check_people(People::Shareholders, &serde_json::json!(["Anna"])).is_err());
        assert!(check_people(People::Shareholders, &anna).is_err(), "an object is not a list");
    }

    #[test]
    fn truthiness_matches_python() {
        for falsy in [Value::Null, Value::Bool(false), 0.into(), 0.0.into(), "".into(), Value::Array(vec![])]
        {
            assert!(!truthy(&falsy));
        }
        for true_ in [Value::Bool(true), 1.into(), 0.5.into(), "x".into()] {
            assert!(truthy(&true_));
        }
    }
}
