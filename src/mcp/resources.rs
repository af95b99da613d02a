//! MCP resources: the earlier server's nine URIs (four fixed, five templates), each read from
//! Norman with the caller's own token and given back as Markdown (summaries for a person) or
//! as Norman's JSON (lists for a program). Each belongs to the tool set whose tools read the
//! same data, and a deployment serves only the resources of the sets it serves (`--toolsets`).

use http::Method;
use percent_encoding::percent_decode_str;
use rmcp::model::{ReadResourceResult, Resource, ResourceContents, ResourceTemplate};
use serde_json::Value;

use crate::mcp::catalogue::{Caller, Toolset, Toolsets};
use crate::norman::api::{ApiBody, ApiRequest, ApiResponse};
use crate::norman::{NormanClient, NormanError};

const MARKDOWN: &str = "text/markdown";
const JSON: &str = "application/json";
/// Norman's own cap on a page is larger; more than this is no page a model should read.
const MAX_PAGE_SIZE: u32 = 500;

/// A read that cannot be answered with contents.
#[derive(Debug, thiserror::Error)]
pub enum ResourceError {
    /// No resource or template has this URI (MCP "Resources", error handling).
    #[error("Resource not found")]
    NotFound,
    /// The URI matches a template but a part of it is not valid, e.g. `page` is not a number.
    #[error("{0}")]
    BadUri(String),
    /// Norman answered with an error status; its own words in `detail`.
    #[error("Norman refused the request: HTTP {status}")]
    Norman { status: u16, detail: Value },
    #[error("{0}")]
    Unavailable(NormanError),
    /// Norman refused the user's token: the MCP client must refresh.
    #[error("the Norman session has expired")]
    Unauthorized,
}

impl From<NormanError> for ResourceError {
    fn from(error: NormanError) -> ResourceError {
        match error {
            NormanError::Unauthorized => ResourceError::Unauthorized,
            other => ResourceError::Unavailable(other),
        }
    }
}

/// The paginated lists, `<name>://list/{page}/{page_size}`: name, Norman path (`{cid}`: the
/// caller's company), title, tool set.
const LISTS: [(&str, &str, &str, Toolset); 4] = [
    ("transactions", "api/v1/companies/{cid}/accounting/transactions/", "Transactions", Toolset::Core),
    ("invoices", "api/v1/companies/{cid}/invoices/", "Invoices", Toolset::Core),
    ("clients", "api/v1/companies/{cid}/clients/", "Clients", Toolset::Core),
    ("taxes", "api/v1/taxes/reports/", "Tax reports", Toolset::Taxes),
];

/// The fixed resources: URI, name, title, description, MIME type, tool set. Freelancers'
/// categories go with the transactions that take them (core); the company's own categories
/// and the SKR search with the bookkeeping tools that read the same.
const FIXED: [(&str, &str, &str, &str, &str, Toolset); 4] = [
    (
        "company://current",
        "company",
        "Company",
        "The signed-in company's profile: legal form, tax numbers, chart of accounts, DATEV numbers, address.",
        MARKDOWN,
        Toolset::Core,
    ),
    (
        "categories://list",
        "categories",
        "Bookkeeping categories",
        "Norman's bookkeeping categories for freelancers (non-SME companies).",
        JSON,
        Toolset::Core,
    ),
    (
        "company-categories://list",
        "company-categories",
        "Company categories",
        "The company's own categories (SME companies with an SKR03/SKR04 chart).",
        JSON,
        Toolset::Bookkeeping,
    ),
    (
        "tax-advisor-clients://list",
        "tax-advisor-clients",
        "Tax advisor's clients",
        "For a tax advisor: the client companies with their transaction and missing-receipt counts.",
        MARKDOWN,
        Toolset::TaxAdvisor,
    ),
];

const SKR_SEARCH: &str = "skr-catalog://search/";

/// The tool set of the resource at `uri`; `None` when no resource or template has it.
fn set_of(uri: &str) -> Option<Toolset> {
    if let Some((.., set)) = FIXED.iter().find(|(fixed, ..)| *fixed == uri) {
        return Some(*set);
    }
    if uri.starts_with(SKR_SEARCH) {
        return Some(Toolset::Bookkeeping);
    }
    let (name, _) = uri.split_once("://list/")?;
    LISTS.iter().find(|(list, ..)| *list == name).map(|(.., set)| *set)
}

pub fn list(toolsets: Toolsets) -> Vec<Resource> {
    FIXED
        .iter()
        .filter(|(.., set)| toolsets.contains(*set))
        .map(|(uri, name, title, description, mime, _)| {
            Resource::new(*uri, *name).with_title(*title).with_description(*description).with_mime_type(*mime)
        })
        .collect()
}

pub fn templates(toolsets: Toolsets) -> Vec<ResourceTemplate> {
    let mut templates: Vec<ResourceTemplate> = LISTS
        .iter()
        .filter(|(.., set)| toolsets.contains(*set))
        .map(|(name, _, title, _)| {
            ResourceTemplate::new(format!("{name}://list/{{page}}/{{page_size}}"), *name)
                .with_title(*title)
                .with_description(format!(
                    "{title}, one page as Norman answers it ({{count, next, previous, results}}); page from 1, page_size up to {MAX_PAGE_SIZE}."
                ))
                .with_mime_type(JSON)
        })
        .collect();
    if toolsets.contains(Toolset::Bookkeeping) {
        templates.push(
            ResourceTemplate::new(format!("{SKR_SEARCH}{{query}}"), "skr-catalog")
                .with_title("SKR account search")
                .with_description(
                    "Accounts of the company's SKR03/SKR04 chart matching a word or number (SME companies).",
                )
                .with_mime_type(MARKDOWN),
        );
    }
    templates
}

/// Reads `uri` for `caller`; a resource of a tool set this deployment does not serve is not
/// found, as a tool of one is unknown.
pub async fn read(
    norman: &NormanClient,
    caller: &Caller<'_>,
    toolsets: Toolsets,
    uri: &str,
) -> Result<ReadResourceResult, ResourceError> {
    if set_of(uri).is_some_and(|set| !toolsets.contains(set)) {
        return Err(ResourceError::NotFound);
    }
    let reader = Reader { norman, caller };
    let (text, mime) = match uri {
        "company://current" => (company_markdown(&reader.json(company_path(caller), &[]).await?), MARKDOWN),
        "categories://list" => {
            let query = [("page", "1".to_owned()), ("pageSize", "200".to_owned())];
            (results(reader.json("api/v1/accounting/categories/".into(), &query).await?), JSON)
        }
        "company-categories://list" => {
            let query = [("pageSize", "200".to_owned())];
            (results(reader.json("api/v1/accounting/company-categories/".into(), &query).await?), JSON)
        }
        "tax-advisor-clients://list" => (
            advisor_clients_markdown(&reader.json("api/v1/tax-advisor/clients/".into(), &[]).await?),
            MARKDOWN,
        ),
        _ => match uri.strip_prefix(SKR_SEARCH) {
            Some(query) => (skr_search(&reader, query).await?, MARKDOWN),
            None => (page(&reader, uri).await?, JSON),
        },
    };
    let contents = ResourceContents::text(text, uri).with_mime_type(mime);
    Ok(ReadResourceResult::new(vec![contents]))
}

struct Reader<'a> {
    norman: &'a NormanClient,
    caller: &'a Caller<'a>,
}

impl Reader<'_> {
    async fn get(
        &self,
        path: String,
        query: &[(&'static str, String)],
    ) -> Result<ApiResponse, ResourceError> {
        let request = ApiRequest {
            method: Method::GET,
            path: path.replace("{cid}", self.caller.company_id),
            query: query.to_vec(),
            body: ApiBody::Empty,
            token: self.caller.norman_access,
        };
        let response = self.norman.call(request).await?;
        if !response.is_success() {
            let detail = response.json().unwrap_or(Value::Null);
            return Err(ResourceError::Norman { status: response.status, detail });
        }
        Ok(response)
    }

    async fn json(&self, path: String, query: &[(&'static str, String)]) -> Result<Value, ResourceError> {
        let response = self.get(path, query).await?;
        response.json().ok_or(ResourceError::Unavailable(NormanError::BadResponse))
    }
}

fn company_path(caller: &Caller<'_>) -> String {
    format!("api/v1/companies/{}/", caller.company_id)
}

/// `<name>://list/{page}/{page_size}`: Norman's page, passed on as it came.
async fn page(reader: &Reader<'_>, uri: &str) -> Result<String, ResourceError> {
    let (name, rest) = uri.split_once("://list/").ok_or(ResourceError::NotFound)?;
    let (_, path, ..) = LISTS.iter().find(|(n, ..)| *n == name).ok_or(ResourceError::NotFound)?;
    let (page, size) = rest.split_once('/').ok_or(ResourceError::NotFound)?;
    let number = |what: &str, text: &str, max: u32| {
        text.parse::<u32>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
            ResourceError::BadUri(format!("{what} must be a whole number from 1 to {max}, not `{text}`"))
        })
    };
    let page = number("page", page, u32::MAX)?;
    let size = number("page_size", size, MAX_PAGE_SIZE)?;
    let query = [("page", page.to_string()), ("pageSize", size.to_string())];
    let response = reader.get((*path).to_owned(), &query).await?;
    Ok(String::from_utf8_lossy(&response.body).into_owned())
}

/// `results` of a page (or the answer itself when it is a bare list), as JSON text.
fn results(mut answer: Value) -> String {
    match answer.get_mut("results") {
        Some(results) => results.take().to_string(),
        None => answer.to_string(),
    }
}

fn text_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

fn items(answer: &Value) -> &[Value] {
    match answer {
        Value::Array(items) => items,
        other => other.get("results").and_then(Value::as_array).map_or(&[], Vec::as_slice),
    }
}

fn company_markdown(company: &Value) -> String {
    let mut out = format!("# {}\n\n", text_of(company, "name").unwrap_or("Company"));
    let chart = company.get("chartOfAccounts").filter(|c| c.is_object()).map(|chart| {
        let code = text_of(chart, "code").unwrap_or_default().to_uppercase();
        match text_of(chart, "name") {
            Some(name) => format!("{code} ({name})"),
            None => code,
        }
    });
    let address = [
        text_of(company, "address"),
        text_of(company, "zipCode"),
        text_of(company, "city"),
        text_of(company, "countryName"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let sme = company.get("isSme").and_then(Value::as_bool).map(|sme| if sme { "yes" } else { "no" });
    let rows: [(&str, Option<String>); 12] = [
        ("Account type", text_of(company, "accountType").map(str::to_owned)),
        ("SME (GmbH/UG bookkeeping)", sme.map(str::to_owned)),
        ("Chart of accounts", chart),
        ("Activity start", text_of(company, "activityStart").map(str::to_owned)),
        ("VAT number", text_of(company, "vatNumber").map(str::to_owned)),
        ("Tax number", text_of(company, "taxNumber").map(str::to_owned)),
        ("Tax state", text_of(company, "taxState").map(str::to_owned)),
        ("Profession", text_of(company, "profession").map(str::to_owned)),
        ("DATEV advisor number", text_of(company, "datevAdvisorNumber").map(str::to_owned)),
        ("DATEV client number", text_of(company, "datevClientNumber").map(str::to_owned)),
        ("Address", Some(address).filter(|a| !a.is_empty())),
        ("Company id", text_of(company, "publicId").map(str::to_owned)),
    ];
    for (label, value) in rows {
        out.push_str(&format!("- **{label}:** {}\n", value.as_deref().unwrap_or("not set")));
    }
    out
}

fn advisor_clients_markdown(answer: &Value) -> String {
    let clients = items(answer);
    if clients.is_empty() {
        return "# Client companies\n\nNo client companies are linked to this tax advisor account.\n"
            .to_owned();
    }
    let mut out = String::from(
        "# Client companies\n\n| Company | Id | Account type | Transactions | Missing receipts |\n|---|---|---|---|---|\n",
    );
    for client in clients {
        let count = |key: &str| client.get(key).map_or_else(|| "?".to_owned(), Value::to_string);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(text_of(client, "name").unwrap_or("?")),
            cell(text_of(client, "public_id").unwrap_or("?")),
            cell(text_of(client, "account_type").unwrap_or("?")),
            count("transaction_count"),
            count("missing_docs_count"),
        ));
    }
    out
}

/// A table cell: a `|` or a line break in Norman's data must not break the table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The SKR lookup exists only for SME companies (which keep an SKR03/SKR04 chart); others get
/// a sentence saying so instead of Norman's error.
async fn skr_search(reader: &Reader<'_>, raw_query: &str) -> Result<String, ResourceError> {
    let query = percent_decode_str(raw_query).decode_utf8_lossy().trim().to_owned();
    if query.is_empty() {
        return Err(ResourceError::BadUri("the search needs a word or an account number".into()));
    }
    let company = reader.json(company_path(reader.caller), &[]).await?;
    if company.get("isSme").and_then(Value::as_bool) != Some(true) {
        return Ok(format!(
            "# SKR accounts matching \"{query}\"\n\nThis company is not an SME company, so it has no SKR03/SKR04 chart in Norman; see categories://list for its bookkeeping categories.\n"
        ));
    }
    let answer = reader
        .json("api/v1/accounting/company-categories/skr-lookup/".into(), &[("q", query.clone())])
        .await?;
    let accounts = items(&answer);
    let mut out = format!("# SKR accounts matching \"{query}\"\n\n");
    if accounts.is_empty() {
        out.push_str("No account matches; try a shorter word or an account number.\n");
        return Ok(out);
    }
    out.push_str("| Account | Name (German) | Name (English) |\n|---|---|---|\n");
    for account in accounts {
        let number = account.get("accountNumber").map_or_else(String::new, |n| match n {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            cell(&number),
            cell(text_of(account, "nameDe").unwrap_or_default()),
            cell(text_of(account, "nameEn").unwrap_or_default()),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_resource_and_template_has_the_set_it_is_served_with() {
        for (uri, set) in [
            ("company://current", Toolset::Core),
            ("categories://list", Toolset::Core),
            ("company-categories://list", Toolset::Bookkeeping),
            ("tax-advisor-clients://list", Toolset::TaxAdvisor),
            ("transactions://list/1/10", Toolset::Core),
            ("invoices://list/2/50", Toolset::Core),
            ("clients://list/1/10", Toolset::Core),
            ("taxes://list/1/10", Toolset::Taxes),
            ("skr-catalog://search/4400", Toolset::Bookkeeping),
        ] {
            assert_eq!(set_of(uri), Some(set), "{uri}");
        }
        assert_eq!(set_of("bills://list/1/10"), None);
        assert_eq!(set_of("company://other"), None);
        assert_eq!(list(Toolsets::ALL).len(), 4);
        assert_eq!(templates(Toolsets::ALL).len(), 5);
        let founding: Toolsets = "founding".parse().unwrap();
        assert!(list(founding).is_empty() && templates(founding).is_empty());
    }

    #[test]
    fn the_company_summary_names_every_field_it_knows() {
        let company = json!({
            "name": "Müller | Design", "accountType": "freelancer", "isSme": false,
            "chartOfAccounts": {"name": "Standard", "code": "skr04"}, "vatNumber": "DE123",
            "address": "Hauptstr. 1", "zipCode": "10115", "city": "Berlin", "countryName": "Germany",
        });
        let text = company_markdown(&company);
        assert!(text.starts_with("# Müller | Design\n"));
        assert!(text.contains("- **Chart of accounts:** SKR04 (Standard)\n"));
        assert!(text.contains("- **SME (GmbH/UG bookkeeping):** no\n"));
        assert!(text.contains("- **Address:** Hauptstr. 1, 10115, Berlin, Germany\n"));
        assert!(text.contains("- **Tax number:** not set\n"));
    }

    #[test]
    fn advisor_clients_come_as_a_list_or_a_page() {
        let client = json!({"public_id": "c1", "name": "A|B", "account_type": "gmbh", "transaction_count": 3, "missing_docs_count": 1});
        let from_list = advisor_clients_markdown(&json!([client]));
        assert_eq!(from_list, advisor_clients_markdown(&json!({"results": [client]})));
        assert!(from_list.contains("| A\\|B | c1 | gmbh | 3 | 1 |\n"), "{from_list}");
        assert!(advisor_clients_markdown(&json!([])).contains("No client companies"));
    }

    #[test]
    fn results_are_taken_out_of_a_page() {
        assert_eq!(results(json!({"count": 1, "results": [{"a": 1}]})), r#"[{"a":1}]"#);
        assert_eq!(results(json!([1])), "[1]");
    }

    #[test]
    fn the_lists_and_templates_are_the_earlier_servers_nine() {
        let mut uris: Vec<String> = list(Toolsets::ALL).into_iter().map(|r| r.uri).collect();
        uris.extend(templates(Toolsets::ALL).into_iter().map(|t| t.uri_template));
        uris.sort();
        assert_eq!(
            uris,
            [
                "categories://list",
                "clients://list/{page}/{page_size}",
                "company-categories://list",
                "company://current",
                "invoices://list/{page}/{page_size}",
                "skr-catalog://search/{query}",
                "tax-advisor-clients://list",
                "taxes://list/{page}/{page_size}",
                "transactions://list/{page}/{page_size}",
            ]
        );
    }
}
