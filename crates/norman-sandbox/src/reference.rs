//! Read-only data every company shares: the booking categories and the federal states,
//! parsed once per process from `data/categories.json` and `data/states.json`.

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

struct Reference {
    categories: Vec<Category>,
    /// The categories as `GET accounting/categories/` lists them.
    category_records: Vec<Record>,
    /// `{code, name}` of each federal state, as `GET taxes/states/` lists them.
    states: Vec<Record>,
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
    Ok(Reference { categories, category_records, states })
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
}
