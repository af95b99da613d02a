//! The demo companies: `data/companies/*.json`, parsed once per process; every sandbox starts
//! from its own copy. Ids are derived from fixed strings ([`seeded_id`]), so they are the same
//! in every run; only tokens and presigned links are random.
//!
//! Muster Design GmbH (Berlin, SKR 04, paid plan): a design studio with a Swedish customer
//! (reverse charge), quarterly VAT returns, one overdue invoice, three quotes (sent, approved,
//! draft), suppliers (Telekom, a coworking space, a print shop, the landlord) and their bills.
//! Zweite Werkstatt UG (München, SKR 03, free plan: filing a report is 403): a joinery with an
//! Austrian customer, monthly VAT returns as a young company, timber and tool suppliers.
//! Studio Lindner (Köln, a freelancer without a chart of accounts and without DATEV numbers)
//! and Lindner Immobilien GbR (Köln, SKR 04, renting out a flat) belong to the same person.
//! Kanzlei Becker Steuerberatung (Hannover) is a tax advisor's firm; its clients Café Morgenrot
//! GmbH (Leipzig, SKR 04) and Jonas Richter Fotografie (Hamburg, SKR 03, small business under
//! § 19 UStG) have many transactions without receipts. The clients' owners have no login.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::Value;

use crate::data::{self, DataFile};
use crate::endpoints::{attachments, bills, company_categories, invoices, taxes, transactions};
use crate::store::{Collection, CompanyData, Record, seeded_id, str_of};
use crate::tenants::Access;

/// A company file as written: who owns the company, its settings, its own record and its
/// collections of seeds.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompanyFile {
    /// The email of the user whose company it is.
    owner: String,
    /// The email of the tax advisor who looks after the company, if any.
    #[serde(default)]
    advisor: Option<String>,
    opening_balance: f64,
    invoice_prefix: String,
    quote_prefix: String,
    company: Record,
    #[serde(flatten)]
    collections: HashMap<Collection, Vec<Record>>,
}

/// The files are part of the build and a unit test parses them, so a failure here is a
/// broken build, not bad input.
static COMPANIES: LazyLock<Vec<(Access, CompanyData)>> = LazyLock::new(|| {
    data::COMPANIES
        .iter()
        .map(load)
        .collect::<Result<_, _>>()
        .unwrap_or_else(|error| panic!("the sandbox's embedded data do not parse: {error}"))
});

/// A fresh copy of every demo company, with who may act on it.
pub(crate) fn companies() -> Vec<(Access, CompanyData)> {
    COMPANIES.clone()
}

fn load(file: &DataFile) -> Result<(Access, CompanyData), String> {
    let parsed: CompanyFile = file.parse()?;
    let company_id = str_of(&parsed.company, "publicId").to_owned();
    if company_id.is_empty() {
        return Err(format!("{}: company.publicId is missing", file.path));
    }
    let mut collections = parsed.collections;
    let mut data =
        CompanyData::new(parsed.company, parsed.opening_balance, parsed.invoice_prefix, parsed.quote_prefix);
    for collection in Collection::ALL {
        for (n, mut record) in collections.remove(&collection).unwrap_or_default().into_iter().enumerate() {
            let id = seeded_id(collection.id_prefix(), &company_id, n);
            record.insert("publicId".into(), Value::String(id));
            record.insert("company".into(), Value::String(company_id.clone()));
            let record = seed(&mut data, collection, n, record)
                .map_err(|error| format!("{}: {collection:?}[{n}]: {error}", file.path))?;
            data[collection].push(record);
        }
    }
    Ok((Access { owner: parsed.owner, advisor: parsed.advisor }, data))
}

/// What the real API would have derived when the record was created; see each `seed` rule.
fn seed(data: &mut CompanyData, collection: Collection, n: usize, record: Record) -> Result<Record, String> {
    match collection {
        Collection::Transactions => transactions::seed(record),
        Collection::Invoices => invoices::seed(data, n, record),
        Collection::Attachments => attachments::seed(data, record),
        Collection::TaxReports => taxes::seed(record),
        Collection::Bills => bills::seed(data, record),
        Collection::CompanyCategories => company_categories::seed(data, record),
        Collection::Clients | Collection::TaxSettings | Collection::Vendors => Ok(record),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Collection::{
        Attachments, Bills, Clients, CompanyCategories, Invoices, TaxReports, TaxSettings, Transactions,
        Vendors,
    };
    use crate::users::{ALL_DEMO_USERS, DEMO_USERS};

    fn companies() -> Vec<(Access, CompanyData)> {
        data::COMPANIES.iter().map(load).collect::<Result<_, _>>().unwrap_or_else(|error| panic!("{error}"))
    }

    #[test]
    fn every_demo_user_has_the_companies_the_data_give_them() {
        let companies = companies();
        let named = |pick: &dyn Fn(&Access) -> bool| {
            let listed = companies.iter().filter(|(access, _)| pick(access));
            listed
                .map(|(_, d)| (str_of(&d.company, "publicId"), str_of(&d.company, "name")))
                .collect::<Vec<_>>()
        };
        for user in ALL_DEMO_USERS {
            let own = named(&|a| a.owner == user.email);
            let expected: Vec<_> = user.companies().iter().map(|c| (c.company_id, c.company_name)).collect();
            assert_eq!(own, expected, "{}", user.email);
            assert_eq!(own[0], (user.company_id, user.company_name), "{}: the default company", user.email);
            let clients = named(&|a| a.advisor.as_deref() == Some(user.email));
            let expected: Vec<_> = user.clients().iter().map(|c| (c.company_id, c.company_name)).collect();
            assert_eq!(clients, expected, "{}", user.email);
        }
    }

    #[test]
    fn the_seed_is_what_the_tests_name() {
        let companies = companies();
        let (_, muster) = &companies[0];
        let counts = |data: &CompanyData| {
            [
                Clients,
                Transactions,
                Invoices,
                Attachments,
                TaxReports,
                TaxSettings,
                Vendors,
                Bills,
                CompanyCategories,
            ]
            .map(|c| data[c].len())
        };
        assert_eq!(counts(muster), [4, 10, 7, 4, 4, 3, 4, 5, 17]);
        assert_eq!(counts(&companies[1].1), [3, 8, 5, 3, 4, 2, 4, 5, 17]);
        assert_eq!(str_of(&muster[Clients][0], "publicId"), seeded_id("cli", DEMO_USERS[0].company_id, 0));
        let quote = &muster[Invoices][4];
        assert_eq!(str_of(quote, "publicId"), seeded_id("quo", DEMO_USERS[0].company_id, 4));
        assert_eq!(str_of(quote, "invoiceNumber"), "AN-2026-0001");
        assert_eq!(str_of(&muster[Invoices][3], "invoiceNumber"), "RE-2026-0004");
        let paid = &muster[Invoices][0];
        assert_eq!(str_of(paid, "totalGross"), "2856.00");
        assert_eq!(str_of(paid, "paidAt"), "2026-02-10");
        assert_eq!(muster[Transactions][3]["invoice"], paid["publicId"]);
        assert_eq!(
            muster[Transactions][1]["attachments"],
            serde_json::json!([muster[Attachments][0]["publicId"]])
        );
        assert!(muster.has_subscription());
        assert!(!companies[1].1.has_subscription());
        let paid_bill = &companies[1].1[Bills][0];
        assert_eq!(str_of(paid_bill, "vendorName"), "Holzhandel Bayern GmbH");
        assert_eq!((str_of(paid_bill, "totalNet"), str_of(paid_bill, "totalVat")), ("1966.39", "373.61"));
        assert_eq!(paid_bill["transaction"], companies[1].1[Transactions][1]["publicId"]);
        assert_eq!(str_of(&muster[CompanyCategories][7], "code"), "6815");
        assert_eq!(str_of(&muster[CompanyCategories][7], "chartOfAccounts"), "skr04");
    }

    #[test]
    fn a_broken_seed_names_the_file_and_the_record() {
        let broken = DataFile {
            path: "data/companies/broken.json",
            text: r#"{"owner": "x@example.com", "openingBalance": 0, "invoicePrefix": "RE", "quotePrefix": "AN",
                     "company": {"publicId": "cmp_x"},
                     "transactions": [{"valueDate": "2026-01-01", "amount": 1, "categoryName": "Nope"}]}"#,
        };
        let error = load(&broken).err().unwrap_or_default();
        assert!(error.starts_with("data/companies/broken.json: Transactions[0]: no category"), "{error}");
        let unknown = DataFile {
            path: "x.json",
            text: r#"{"owner": "", "openingBalance": 0, "invoicePrefix": "",
            "quotePrefix": "", "company": {"publicId": "c"}, "vendorz": []}"#,
        };
        assert!(load(&unknown).is_err(), "an unknown collection is an error, not ignored");
    }
}
