//! The table: every tool, with the names and parameter names of the earlier Python server, so
//! prompts written for it keep working. One file per area of Norman; `params` holds what several
//! areas share. `{max_mib}`, `{max_total_mib}` and `{max_files}` in a description are filled in
//! from the upload policy when the catalogue is built.

mod bills;
mod categories;
mod clients;
mod company;
mod corporate_tax;
mod documents;
mod gewerbe;
mod incorporation;
mod invoices;
mod offers;
mod params;
mod tax_advisor;
mod taxes;
mod transactions;
mod vendors;

use super::spec::Spec;

/// Every area's tools, in the order `tools/list` shows them.
pub(super) static TABLES: &[&[Spec]] = &[
    clients::TOOLS,
    company::TOOLS,
    documents::TOOLS,
    invoices::TOOLS,
    offers::TOOLS,
    taxes::TOOLS,
    transactions::TOOLS,
    vendors::TOOLS,
    bills::TOOLS,
    categories::TOOLS,
    tax_advisor::TOOLS,
    incorporation::TOOLS,
    gewerbe::TOOLS,
    corporate_tax::TOOLS,
];

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::TABLES;
    use crate::mcp::catalogue::spec::Hook;

    /// `..BASE` fills in what an entry leaves out, so an entry that forgets its name, title,
    /// description or path would otherwise compile. Only a tool that answers from its own
    /// table, or one that seals an upload link, calls no Norman path.
    #[test]
    fn every_entry_names_itself_once_and_says_what_it_does() {
        let mut names = HashSet::new();
        for spec in TABLES.iter().flat_map(|table| table.iter()) {
            assert!(!spec.name.is_empty() && !spec.title.is_empty(), "{spec:?}");
            let answers_itself = matches!(spec.hook, Hook::Choices(_) | Hook::UploadLink);
            assert!(!spec.doc.is_empty() && spec.path.is_empty() == answers_itself, "{}", spec.name);
            assert!(names.insert(spec.name), "{} twice", spec.name);
        }
    }

    /// A choices table answers a label for every value.
    #[test]
    fn every_choice_has_a_label() {
        for spec in TABLES.iter().flat_map(|table| table.iter()) {
            if let Hook::Choices(fields) = spec.hook {
                for field in fields {
                    assert_eq!(field.values.len(), field.labels.len(), "{}: {}", spec.name, field.field);
                }
            }
        }
    }
}
