//! MCP prompts: the TOML files beside this module (format and placeholder rules in
//! `prompts/README.md`), embedded at build time, parsed once, and offered when every tool set
//! their text relies on is served.

use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};
use serde::Deserialize;
use serde_json::Value;

use crate::mcp::catalogue::{Toolset, Toolsets};

macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("prompts/", $name, ".toml")))),*]
    };
}

/// Every prompt file, by name (a unit test checks that none in the folder is missing here).
static FILES: &[(&str, &str)] = embedded![
    "categorize_transactions",
    "company_incorporation",
    "corporate_tax_registration",
    "create_client_prompt",
    "create_invoice",
    "create_transaction_prompt",
    "expense_report",
    "financial_overview",
    "find_receipts",
    "gewerbe_registration",
    "manage_clients",
    "monthly_reconciliation",
    "overdue_reminder_prompt",
    "overdue_reminders",
    "search_transactions_prompt",
    "send_invoice_prompt",
    "sme_bookkeeping_prompt",
    "suggest_category",
    "ta_company_review",
    "ta_datev_preparation",
    "ta_missing_receipts",
    "ta_tax_compliance",
    "tax_deduction_finder",
    "tax_report",
    "tax_report_prompt",
    "upload_documents_prompt",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PromptFile {
    name: String,
    title: String,
    description: String,
    toolsets: Vec<String>,
    #[serde(default)]
    arguments: Vec<Argument>,
    messages: Vec<Message>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Argument {
    name: String,
    description: String,
    #[serde(default)]
    required: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Message {
    role: MessageRole,
    text: String,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum MessageRole {
    User,
    Assistant,
}

/// `prompts/get` cannot be answered: both are invalid params (MCP "Prompts", error handling).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PromptError {
    #[error("unknown prompt: {0}")]
    Unknown(String),
    #[error("the prompt's required argument `{0}` is missing or empty")]
    MissingArgument(String),
}

struct Entry {
    listed: Prompt,
    file: PromptFile,
}

/// The prompts a deployment offers.
pub struct Prompts {
    entries: Vec<Entry>,
}

impl Prompts {
    /// The prompts whose tool sets are all in `toolsets`. The files are checked by this
    /// module's tests and by `check.py`; one that does not parse is left out with an error log.
    pub fn serving(toolsets: Toolsets) -> Prompts {
        let entries = FILES
            .iter()
            .filter_map(|(name, text)| match parse(text) {
                Ok((file, sets)) => Some((file, sets)),
                Err(error) => {
                    tracing::error!(prompt = name, %error, "prompt file left out");
                    None
                }
            })
            .filter(|(_, sets)| toolsets.contains_all(sets))
            .map(|(file, _)| Entry { listed: listed(&file), file })
            .collect();
        Prompts { entries }
    }

    pub fn list(&self) -> Vec<Prompt> {
        self.entries.iter().map(|entry| entry.listed.clone()).collect()
    }

    pub fn get(&self, name: &str, arguments: Option<&JsonObject>) -> Result<GetPromptResult, PromptError> {
        let entry = self
            .entries
            .iter()
            .find(|entry| entry.file.name == name)
            .ok_or_else(|| PromptError::Unknown(name.to_owned()))?;
        let values = values(&entry.file.arguments, arguments)?;
        let messages = entry
            .file
            .messages
            .iter()
            .map(|message| {
                let role = match message.role {
                    MessageRole::User => Role::User,
                    MessageRole::Assistant => Role::Assistant,
                };
                PromptMessage::new_text(role, render(&message.text, &values))
            })
            .collect();
        Ok(GetPromptResult::new(messages).with_description(entry.file.description.clone()))
    }
}

fn parse(text: &str) -> Result<(PromptFile, Vec<Toolset>), String> {
    let file: PromptFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let sets = file
        .toolsets
        .iter()
        .map(|name| Toolset::from_name(name).ok_or_else(|| format!("unknown tool set {name}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((file, sets))
}

fn listed(file: &PromptFile) -> Prompt {
    let arguments: Vec<PromptArgument> = file
        .arguments
        .iter()
        .map(|a| PromptArgument::new(&a.name).with_description(&a.description).with_required(a.required))
        .collect();
    let arguments = (!arguments.is_empty()).then_some(arguments);
    Prompt::new(&file.name, Some(&file.description), arguments).with_title(&file.title)
}

/// Each argument's value as text (MCP sends strings; anything else is taken as its JSON), an
/// empty one for a missing optional argument; a missing or blank required one is an error.
fn values<'a>(
    arguments: &'a [Argument],
    given: Option<&JsonObject>,
) -> Result<Vec<(&'a str, String)>, PromptError> {
    arguments
        .iter()
        .map(|argument| {
            let value = match given.and_then(|given| given.get(&argument.name)) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(text)) => text.clone(),
                Some(other) => other.to_string(),
            };
            if argument.required && value.trim().is_empty() {
                return Err(PromptError::MissingArgument(argument.name.clone()));
            }
            Ok((argument.name.as_str(), value))
        })
        .collect()
}

/// The README's rules: a line holding only the placeholder of an empty argument is dropped;
/// elsewhere `{name}` of an argument becomes its value, in one pass, so a value is never
/// scanned for placeholders; other braces stay as they are.
fn render(text: &str, values: &[(&str, String)]) -> String {
    let value_of = |name: &str| values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str());
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let alone = line.trim().strip_prefix('{').and_then(|rest| rest.strip_suffix('}'));
        if alone.and_then(value_of).is_some_and(|value| value.trim().is_empty()) {
            continue;
        }
        let mut rest = line;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').and_then(|close| value_of(&after[..close]).map(|value| (close, value))) {
                Some((close, value)) => {
                    out.push_str(value);
                    rest = &after[close + 1..];
                }
                None => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        pairs.iter().map(|(n, v)| (*n, (*v).to_owned())).collect()
    }

    #[test]
    fn placeholders_are_replaced_once_and_other_braces_stay() {
        let text = "Send {invoice_id} now.\nItems: {name, quantity} and {unknown}.\n";
        let values = vals(&[("invoice_id", "{invoice_id}-{other}"), ("other", "X")]);
        assert_eq!(
            render(text, &values),
            "Send {invoice_id}-{other} now.\nItems: {name, quantity} and {unknown}.\n"
        );
        assert_eq!(render("a {x}{x} b", &vals(&[("x", "1")])), "a 11 b");
        assert_eq!(render("unclosed { brace {x", &vals(&[("x", "1")])), "unclosed { brace {x");
    }

    #[test]
    fn a_line_with_only_an_empty_placeholder_is_dropped() {
        let text = "Their request follows:\n  {user_input}  \nAnswer in their language.\n";
        assert_eq!(
            render(text, &vals(&[("user_input", "")])),
            "Their request follows:\nAnswer in their language.\n"
        );
        assert_eq!(
            render(text, &vals(&[("user_input", "  ")])),
            "Their request follows:\nAnswer in their language.\n"
        );
        assert_eq!(
            render(text, &vals(&[("user_input", "Rechnung an Müller")])),
            "Their request follows:\n  Rechnung an Müller  \nAnswer in their language.\n"
        );
        // Inside a sentence an empty value is just empty.
        assert_eq!(render("Period: {p}.\n", &vals(&[("p", "")])), "Period: .\n");
        // The last line without a newline is dropped too.
        assert_eq!(render("A\n{p}", &vals(&[("p", "")])), "A\n");
    }

    #[test]
    fn required_arguments_must_be_given_and_optional_ones_may_be_left_out() {
        let arguments = vec![
            Argument { name: "invoice_id".into(), description: String::new(), required: true },
            Argument { name: "note".into(), description: String::new(), required: false },
        ];
        let given = |v: Value| v.as_object().cloned();
        assert_eq!(values(&arguments, None).unwrap_err(), PromptError::MissingArgument("invoice_id".into()));
        assert!(values(&arguments, given(serde_json::json!({"invoice_id": " "})).as_ref()).is_err());
        let ok =
            values(&arguments, given(serde_json::json!({"invoice_id": 42, "extra": 1})).as_ref()).unwrap();
        assert_eq!(ok, vec![("invoice_id", "42".to_owned()), ("note", String::new())]);
    }

    #[test]
    fn every_file_in_the_folder_is_embedded_parses_and_is_named_after_its_file() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/mcp/prompts");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|entry| entry.unwrap().file_name().into_string().ok())
            .filter_map(|name| name.strip_suffix(".toml").map(str::to_owned))
            .collect();
        on_disk.sort();
        let embedded: Vec<String> = FILES.iter().map(|(name, _)| (*name).to_owned()).collect();
        assert_eq!(on_disk, embedded);
        for (name, text) in FILES {
            let (file, sets) = parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(file.name, *name);
            assert!(!sets.is_empty() && !file.messages.is_empty(), "{name}");
        }
        assert_eq!(Prompts::serving(Toolsets::ALL).list().len(), FILES.len());
    }

    #[test]
    fn a_prompt_is_offered_only_when_all_its_sets_are_served() {
        let core = Prompts::serving("core".parse().unwrap());
        let names: Vec<String> = core.list().into_iter().map(|p| p.name).collect();
        assert!(names.contains(&"create_invoice".to_owned()));
        // categorize_transactions relies on core and bookkeeping.
        assert!(!names.contains(&"categorize_transactions".to_owned()));
        assert_eq!(
            core.get("company_incorporation", None).unwrap_err(),
            PromptError::Unknown("company_incorporation".into())
        );
    }
}
