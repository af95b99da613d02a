//! Read-only data every company shares: the booking categories, the federal states, the
//! SKR 03 / SKR 04 account table and the chart-of-accounts templates, parsed once per process
//! from `data/categories.json`, `data/states.json`, `data/skr-accounts.json` and
//! `data/coa-templates.json`.

use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::json;

use crate::data;
use crate::store::{Record, obj};

/// A booking category of the standard charts of accounts (SKR 03 / SKR 04).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Category {
    #[serde(rename = "publicId")]
    pub id: String,
    pub name: String,
    pub name_de: String,
    #[serde(rename = "cashflowType")]
    pub cashflow: String,
    pub skr03: String,
    pub skr04: String,
    /// Lower-case words the category assistant matches descriptions against.
    pub keywords: Vec<String>,
}

/// An account of the standard charts, with its number in each.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SkrAccount {
    pub skr03: String,
    pub skr04: String,
    pub name_de: String,
    pub name_en: String,
    /// `INCOME` or `EXPENSE` for accounts a company books income or expenses on (the ones a
    /// template makes categories of); `None` for balance-sheet and tax accounts.
    pub cashflow_type: Option<String>,
    /// Lower-case words and phrases the account suggestion matches descriptions against.
    pub keywords: Vec<String>,
}

impl SkrAccount {
    /// Its number in the chart `skr03` or (anything else) `skr04`.
    pub(crate) fn number(&self, chart: &str) -> &str {
        if chart == "skr03" { &self.skr03 } else { &self.skr04 }
    }
}

struct Reference {
    categories: Vec<Category>,
    /// The categories as `GET accounting/categories/` lists them.
    category_records: Vec<Record>,
    /// `{code, name}` of each federal state, as `GET taxes/states/` lists them.
    states: Vec<Record>,
    skr_accounts: Vec<SkrAccount>,
    /// `{accountNumber, nameDe, nameEn}` per chart, by account number, as `skr-lookup/` lists them.
    skr03_lookup: Vec<Record>,
    skr04_lookup: Vec<Record>,
    /// The templates as `company-categories/templates/` lists them, with their categories.
    coa_templates: Vec<Record>,
}

/// The files are part of the build and a unit test parses them, so a failure here is a
/// broken build, not bad input.
static REFERENCE: LazyLock<Reference> = LazyLock::new(|| {
    load().unwrap_or_else(|error| panic!("the sandbox's embedded data do not parse: {error}"))
});

fn load() -> Result<Reference, String> {
    let categories: Vec<Category> = data::CATEGORIES.parse()?;
    let category_records = categories
        .iter()
        .map(|c| {
            obj(json!({
                "publicId": c.id,
                "name": c.name,
                "nameDe": c.name_de,
                "cashflowType": c.cashflow,
                "skr03": c.skr03,
                "skr04": c.skr04,
            }))
        })
        .collect();
    let states = data::STATES.parse()?;
    let skr_accounts: Vec<SkrAccount> = data::SKR_ACCOUNTS.parse()?;
    let lookup = |chart: &str| {
        let mut accounts: Vec<&SkrAccount> = skr_accounts.iter().collect();
        accounts.sort_by(|a, b| a.number(chart).cmp(b.number(chart)));
        accounts
            .iter()
            .map(|a| {
                obj(json!({ "accountNumber": a.number(chart), "nameDe": a.name_de, "nameEn": a.name_en }))
            })
            .collect::<Vec<_>>()
    };
    let (skr03_lookup, skr04_lookup) = (lookup("skr03"), lookup("skr04"));
    let templates: Vec<Record> = data::COA_TEMPLATES.parse()?;
    let coa_templates = templates
        .into_iter()
        .map(|mut template| {
            let chart = template.get("code").and_then(|c| c.as_str()).unwrap_or_default().to_owned();
            let mut accounts: Vec<&SkrAccount> =
                skr_accounts.iter().filter(|a| a.cashflow_type.is_some()).collect();
            accounts.sort_by(|a, b| a.number(&chart).cmp(b.number(&chart)));
            let categories: Vec<_> = accounts
                .iter()
                .map(|a| {
                    json!({
                        "code": a.number(&chart),
                        "name": a.name_en,
                        "nameDe": a.name_de,
                        "cashflowType": a.cashflow_type,
                    })
                })
                .collect();
            template.insert("categoryCount".into(), json!(categories.len()));
            template.insert("categories".into(), json!(categories));
            template
        })
        .collect();
    Ok(Reference {
        categories,
        category_records,
        states,
        skr_accounts,
        skr03_lookup,
        skr04_lookup,
        coa_templates,
    })
}

pub(crate) fn categories() -> &'static [Category] {
    &REFERENCE.categories
}

pub(crate) fn category(id: &str) -> Option<&'static Category> {
    categories().iter().find(|c| c.id == id)
}

/// Looks a category up by its English or German name.
pub(crate) fn category_named(name: &str) -> Option<&'static Category> {
    categories().iter().find(|c| c.name_de == name || c.name == name)
}

pub(crate) fn category_records() -> &'static [Record] {
    &REFERENCE.category_records
}

pub(crate) fn states() -> &'static [Record] {
    &REFERENCE.states
}

pub(crate) fn skr_accounts() -> &'static [SkrAccount] {
    &REFERENCE.skr_accounts
}

/// The account table of the chart `skr03` or (anything else) `skr04`, by account number.
pub(crate) fn skr_lookup(chart: &str) -> &'static [Record] {
    if chart == "skr03" { &REFERENCE.skr03_lookup } else { &REFERENCE.skr04_lookup }
}

pub(crate) fn coa_templates() -> &'static [Record] {
    &REFERENCE.coa_templates
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::str_of;

    #[test]
    fn the_reference_data_parse() {
        let reference = load().unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(reference.categories.len(), 16);
        assert_eq!(reference.states.len(), 16);
        assert!(
            reference.states.iter().all(|s| str_of(s, "code").len() == 2 && !str_of(s, "name").is_empty())
        );
        for c in &reference.categories {
            assert!(matches!(c.cashflow.as_str(), "INCOME" | "EXPENSE"), "{}", c.id);
        }
    }

    #[test]
    fn the_skr_table_is_consistent() {
        let reference = load().unwrap_or_else(|error| panic!("{error}"));
        for chart in ["skr03", "skr04"] {
            let mut numbers: Vec<&str> = reference.skr_accounts.iter().map(|a| a.number(chart)).collect();
            assert!(numbers.iter().all(|n| n.len() == 4 && n.bytes().all(|b| b.is_ascii_digit())), "{chart}");
            numbers.sort_unstable();
            numbers.dedup();
            assert_eq!(numbers.len(), reference.skr_accounts.len(), "{chart}: numbers are unique");
        }
        for a in &reference.skr_accounts {
            assert!(
                a.cashflow_type.as_deref().is_none_or(|c| c == "INCOME" || c == "EXPENSE"),
                "{}",
                a.name_de
            );
            assert!(
                !a.keywords.is_empty() && a.keywords.iter().all(|k| *k == k.to_lowercase()),
                "{}",
                a.name_de
            );
        }
        let named = |chart: &str, number: &str| {
            let a = reference.skr_accounts.iter().find(|a| a.number(chart) == number);
            a.map(|a| a.name_de.as_str()).unwrap_or_default()
        };
        assert_eq!(named("skr04", "4400"), "Erlöse 19 % USt");
        assert_eq!(named("skr04", "6815"), "Bürobedarf");
        assert_eq!(named("skr03", "8400"), "Erlöse 19 % USt");
        assert_eq!(named("skr03", "4930"), "Bürobedarf");
        // The booking categories point at accounts of the table, in both charts.
        for c in &reference.categories {
            assert!(
                reference.skr_accounts.iter().any(|a| a.skr03 == c.skr03 && a.skr04 == c.skr04),
                "{}",
                c.name_de
            );
        }
        assert_eq!(reference.skr04_lookup.first().map(|r| str_of(r, "accountNumber")), Some("0135"));
        let codes: Vec<&str> = reference.coa_templates.iter().map(|t| str_of(t, "code")).collect();
        assert_eq!(codes, ["skr03", "skr04"]);
    }
}
