//! The data files under `data/`, embedded at build time; [`crate::reference`] and
//! [`crate::seed`] parse them once per process.

use serde::de::DeserializeOwned;

/// One embedded JSON file.
pub(crate) struct DataFile {
    /// Its path in the crate, for error messages.
    pub path: &'static str,
    pub text: &'static str,
}

macro_rules! data_file {
    ($path:literal) => {
        DataFile { path: $path, text: include_str!(concat!("../", $path)) }
    };
}

/// The booking categories of the standard charts of accounts (SKR 03 / SKR 04).
pub(crate) const CATEGORIES: DataFile = data_file!("data/categories.json");
/// The German federal states.
pub(crate) const STATES: DataFile = data_file!("data/states.json");
/// One file per company, with its records; see the crate documentation for the format.
pub(crate) const COMPANIES: &[DataFile] = &[
    data_file!("data/companies/muster-design.json"),
    data_file!("data/companies/zweite-werkstatt.json"),
    data_file!("data/companies/studio-lindner.json"),
    data_file!("data/companies/lindner-immobilien.json"),
    data_file!("data/companies/kanzlei-becker.json"),
    data_file!("data/companies/cafe-morgenrot.json"),
    data_file!("data/companies/richter-fotografie.json"),
];
/// The SKR 03 / SKR 04 account table behind the account lookup and suggestion.
pub(crate) const SKR_ACCOUNTS: DataFile = data_file!("data/skr-accounts.json");
/// The chart-of-accounts templates a company can start from.
pub(crate) const COA_TEMPLATES: DataFile = data_file!("data/coa-templates.json");

/// The founding workflows' reference data; see [`crate::founding_reference`].
pub(crate) const FOUNDING_CHOICES: DataFile = data_file!("data/founding/choices.json");
pub(crate) const LEGAL_FORMS: DataFile = data_file!("data/founding/legal-forms.json");
pub(crate) const TRADE_OFFICES: DataFile = data_file!("data/founding/trade-offices.json");
pub(crate) const NOTARIES: DataFile = data_file!("data/founding/notaries.json");
pub(crate) const COMMERCIAL_REGISTER: DataFile = data_file!("data/founding/commercial-register.json");

impl DataFile {
    pub(crate) fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_str(self.text).map_err(|error| format!("{}: {error}", self.path))
    }
}
