//! The companies one Norman login may act on: its own (`GET api/v1/companies/`) and, for a tax
//! advisor, the client companies they look after (`GET api/v1/tax-advisor/clients/`, which
//! Norman refuses with 403 to anyone who is not an advisor). The sign-in offers this list as
//! the choice of company, and every tool call naming a `company_id` is checked against it
//! (docs/architecture.md, "Choosing the company").

use serde::Deserialize;

use super::{Body, NormanClient, NormanError, NormanToken};

/// How the login may act on a company.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompanyAccess {
    /// One of the person's own companies.
    Own,
    /// A client company the person looks after as a tax advisor.
    AdvisorClient,
}

impl CompanyAccess {
    /// The name tool results use.
    pub const fn as_str(self) -> &'static str {
        match self {
            CompanyAccess::Own => "own",
            CompanyAccess::AdvisorClient => "tax_advisor_client",
        }
    }
}

/// One company the login may act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessibleCompany {
    pub id: String,
    pub name: String,
    pub access: CompanyAccess,
}

/// Every company the login may act on: its own first, in Norman's order (the first is the
/// default, as the sign-in always took it), then a tax advisor's clients. No id twice.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Companies(Vec<AccessibleCompany>);

impl Companies {
    pub fn new(own: Vec<AccessibleCompany>, clients: Vec<AccessibleCompany>) -> Companies {
        let mut all: Vec<AccessibleCompany> = Vec::with_capacity(own.len() + clients.len());
        for company in own.into_iter().chain(clients) {
            if !company.id.is_empty() && !all.iter().any(|c| c.id == company.id) {
                all.push(company);
            }
        }
        Companies(all)
    }

    pub fn all(&self) -> &[AccessibleCompany] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The default company: the first of the login's own, else the first client.
    pub fn first(&self) -> Option<&AccessibleCompany> {
        self.0.first()
    }

    /// The company `id`, when the login may act on it.
    pub fn find(&self, id: &str) -> Option<&AccessibleCompany> {
        self.0.iter().find(|c| c.id == id)
    }
}

/// The most pages of one list read at sign-in and per company check: DRF pages hold 10 to 100
/// entries, so this covers thousands of companies while bounding what one login can cost.
const MAX_PAGES: u32 = 50;

#[derive(Deserialize)]
struct CompanyPage {
    #[serde(default)]
    results: Vec<OwnCompany>,
    /// DRF's link to the next page; only whether there is one is used.
    #[serde(default)]
    next: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
struct OwnCompany {
    #[serde(rename = "publicId")]
    public_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// This part of the API speaks snake_case.
#[derive(Deserialize)]
struct ClientCompany {
    public_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// `tax-advisor/clients/` answers a bare list or a page.
#[derive(Deserialize)]
#[serde(untagged)]
enum ClientList {
    Bare(Vec<ClientCompany>),
    Page {
        #[serde(default)]
        results: Vec<ClientCompany>,
        #[serde(default)]
        next: Option<serde::de::IgnoredAny>,
    },
}

impl NormanClient {
    /// Page `page` of a DRF list at `path`. Later pages are asked for by number at Norman's own
    /// address, never at the `next` link of an answer, so the token goes nowhere else.
    fn page_url(&self, path: &str, page: u32) -> url::Url {
        let mut url = self.url(path);
        if page > 1 {
            url.query_pairs_mut().append_pair("page", &page.to_string());
        }
        url
    }

    /// The login's own companies, in Norman's order (`GET api/v1/companies/`, no `companyId`),
    /// every page of them.
    pub async fn own_companies(&self, access: &NormanToken) -> Result<Vec<AccessibleCompany>, NormanError> {
        all_pages("company", |page| self.own_companies_page(access, page)).await
    }

    /// One page of the login's own companies, and whether another follows.
    pub(super) async fn own_companies_page(
        &self,
        access: &NormanToken,
        page: u32,
    ) -> Result<(Vec<AccessibleCompany>, bool), NormanError> {
        let _timer = self.timer("companies");
        let url = self.page_url("api/v1/companies/", page);
        let answer = self.send(http::Method::GET, &url, Some(access), Body::empty()).await?;
        match answer.status {
            200..=299 => {
                let page: CompanyPage =
                    serde_json::from_slice(&answer.body).map_err(|_| NormanError::BadResponse)?;
                let more = page.next.is_some() && !page.results.is_empty();
                let found = page
                    .results
                    .into_iter()
                    .filter_map(|c| accessible(c.public_id, c.name, CompanyAccess::Own))
                    .collect();
                Ok((found, more))
            }
            401 | 403 => Err(NormanError::Unauthorized),
            status => Err(NormanError::Status { status, message: None }),
        }
    }

    /// The client companies of a tax advisor, every page of them; none for anyone else
    /// (Norman answers them 403).
    pub async fn advisor_clients(&self, access: &NormanToken) -> Result<Vec<AccessibleCompany>, NormanError> {
        all_pages("client", |page| self.advisor_clients_page(access, page)).await
    }

    /// One page of a tax advisor's clients (a bare list is the whole list), and whether
    /// another follows.
    async fn advisor_clients_page(
        &self,
        access: &NormanToken,
        page: u32,
    ) -> Result<(Vec<AccessibleCompany>, bool), NormanError> {
        let _timer = self.timer("advisor_clients");
        let url = self.page_url("api/v1/tax-advisor/clients/", page);
        let answer = self.send(http::Method::GET, &url, Some(access), Body::empty()).await?;
        match answer.status {
            200..=299 => {
                let list: ClientList =
                    serde_json::from_slice(&answer.body).map_err(|_| NormanError::BadResponse)?;
                let (clients, more) = match list {
                    ClientList::Bare(clients) => (clients, false),
                    ClientList::Page { results, next } => {
                        let more = next.is_some() && !results.is_empty();
                        (results, more)
                    }
                };
                let found = clients
                    .into_iter()
                    .filter_map(|c| accessible(c.public_id, c.name, CompanyAccess::AdvisorClient))
                    .collect();
                Ok((found, more))
            }
            // Not a tax advisor (a DRF permission class answers 403).
            403 => Ok((Vec::new(), false)),
            401 => Err(NormanError::Unauthorized),
            status => Err(NormanError::Status { status, message: None }),
        }
    }

    /// Everything the login may act on: its own companies and its clients, asked at once.
    pub async fn companies(&self, access: &NormanToken) -> Result<Companies, NormanError> {
        let (own, clients) = tokio::join!(self.own_companies(access), self.advisor_clients(access));
        Ok(Companies::new(own?, clients?))
    }
}

/// Every page of a list, read in turn until one says no other follows, at most [`MAX_PAGES`].
async fn all_pages<Page>(
    what: &str,
    read_page: impl Fn(u32) -> Page,
) -> Result<Vec<AccessibleCompany>, NormanError>
where
    Page: Future<Output = Result<(Vec<AccessibleCompany>, bool), NormanError>>,
{
    let mut all = Vec::new();
    for page in 1..=MAX_PAGES {
        let (found, more) = read_page(page).await?;
        all.extend(found);
        if !more {
            return Ok(all);
        }
    }
    tracing::warn!(pages = MAX_PAGES, list = what, "list longer than the pages read; the rest is left out");
    Ok(all)
}

/// A listed company the login may act on; one without an id is none.
fn accessible(id: Option<String>, name: Option<String>, access: CompanyAccess) -> Option<AccessibleCompany> {
    Some(AccessibleCompany { id: id?, name: name.unwrap_or_default(), access })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn company(id: &str, access: CompanyAccess) -> AccessibleCompany {
        AccessibleCompany { id: id.into(), name: format!("name of {id}"), access }
    }

    #[test]
    fn own_companies_come_first_and_no_id_twice() {
        let companies = Companies::new(
            vec![company("a", CompanyAccess::Own), company("", CompanyAccess::Own)],
            vec![company("a", CompanyAccess::AdvisorClient), company("b", CompanyAccess::AdvisorClient)],
        );
        let ids: Vec<&str> = companies.all().iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(companies.find("a").map(|c| c.access), Some(CompanyAccess::Own));
        assert_eq!(companies.first().map(|c| c.id.as_str()), Some("a"));
        assert!(companies.find("c").is_none());
    }

    #[test]
    fn client_lists_come_bare_or_paged() {
        let bare: ClientList = serde_json::from_str(r#"[{"public_id":"x","name":"X"}]"#).unwrap();
        let paged: ClientList = serde_json::from_str(r#"{"results":[{"public_id":"x"}]}"#).unwrap();
        assert!(matches!(bare, ClientList::Bare(ref v) if v.len() == 1));
        assert!(matches!(paged, ClientList::Page { ref results, .. } if results.len() == 1));
    }
}
