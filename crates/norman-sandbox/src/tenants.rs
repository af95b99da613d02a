//! Which companies exist and who may act on which: the one place the sandbox decides
//! ownership. Like the real API it answers 404, not 403, for a company the caller may not see,
//! so that existence does not leak; records live inside their company, so another company's
//! record is simply not found.
//!
//! The rule: a user may act on the companies they own and, as a tax advisor, on their clients'
//! companies, with the same rights as the owner (an advisor books, verifies and files for a
//! client). `GET companies/` lists only the companies a user owns; the
//! `tax-advisor/clients/{client}/…` paths accept only a client's company.

use crate::store::{CompanyData, CompanyState, str_of};
use crate::users::ALL_DEMO_USERS;

/// A company and its records.
pub(crate) struct Company {
    /// Its `publicId`, fixed for the sandbox's life.
    pub id: String,
    pub state: CompanyState,
}

/// Who may act on a company, by email, as its company file says.
#[derive(Clone, Debug)]
pub(crate) struct Access {
    pub owner: String,
    /// The tax advisor who looks after the company, if any.
    pub advisor: Option<String>,
}

/// How a request's path names its company.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Named<'a> {
    /// `companies/{cid}/…`: any company the caller may act on.
    Company(&'a str),
    /// `tax-advisor/clients/{client}/…`: one of the caller's clients only.
    Client(&'a str),
}

/// Every company, and per demo user the companies that user owns and looks after.
pub(crate) struct Tenants {
    companies: Vec<Company>,
    /// Index = user index in [`ALL_DEMO_USERS`]; the values index `companies`, the user's
    /// default company first.
    own: Vec<Vec<usize>>,
    /// Index = user index; the client companies of a tax advisor, empty for everyone else.
    clients: Vec<Vec<usize>>,
}

impl Tenants {
    /// Companies with who may act on each. A user owns the companies whose owner they are, in
    /// the given order; a company whose owner and advisor are no demo users is unreachable.
    pub(crate) fn new(companies: Vec<(Access, CompanyData)>) -> Tenants {
        let matching = |pick: &dyn Fn(&Access) -> Option<&str>| -> Vec<Vec<usize>> {
            ALL_DEMO_USERS
                .iter()
                .map(|user| {
                    let listed = companies.iter().enumerate();
                    listed
                        .filter(|(_, (access, _))| {
                            pick(access).is_some_and(|e| e.eq_ignore_ascii_case(user.email))
                        })
                        .map(|(i, _)| i)
                        .collect()
                })
                .collect()
        };
        let own = matching(&|a| Some(a.owner.as_str()));
        let clients = matching(&|a| a.advisor.as_deref());
        let companies = companies
            .into_iter()
            .map(|(_, data)| Company {
                id: str_of(&data.company, "publicId").to_owned(),
                state: CompanyState::new(data),
            })
            .collect();
        Tenants { companies, own, clients }
    }

    pub(crate) fn company(&self, index: usize) -> &Company {
        &self.companies[index]
    }

    /// The companies `user` owns, their default first.
    pub(crate) fn of(&self, user: usize) -> impl Iterator<Item = &Company> {
        self.own.get(user).into_iter().flatten().map(|&i| &self.companies[i])
    }

    /// The companies `user` looks after as a tax advisor.
    pub(crate) fn clients_of(&self, user: usize) -> impl Iterator<Item = &Company> {
        self.clients.get(user).into_iter().flatten().map(|&i| &self.companies[i])
    }

    /// Whether `user` is a tax advisor, that is, looks after at least one client.
    pub(crate) fn is_advisor(&self, user: usize) -> bool {
        self.clients.get(user).is_some_and(|c| !c.is_empty())
    }

    /// The company a request of `user` acts on: the one its path names, else the one its
    /// `companyId` query parameter names, else the user's default. `None` (404) when the path
    /// or any `companyId` names a company the user may not act on (for [`Named::Client`]: one
    /// that is not their client), or the user has none.
    pub(crate) fn resolve(
        &self,
        user: usize,
        path: Option<Named<'_>>,
        query: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Option<usize> {
        let own = self.own.get(user)?;
        let clients = self.clients.get(user)?;
        let find = |list: &mut dyn Iterator<Item = &usize>, id: &str| {
            list.copied().find(|&i| self.companies[i].id == id)
        };
        let may_act_on = |id: &str| find(&mut own.iter().chain(clients), id);
        let from_path = match path {
            Some(Named::Company(id)) => Some(may_act_on(id)?),
            Some(Named::Client(id)) => Some(find(&mut clients.iter(), id)?),
            None => None,
        };
        // The last `companyId` counts, as DRF's `query_params.get` reads it.
        let mut from_query = None;
        for id in query {
            from_query = Some(may_act_on(id.as_ref())?);
        }
        from_path.or(from_query).or_else(|| own.first().or(clients.first()).copied())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::obj;

    fn company(id: &str) -> CompanyData {
        CompanyData::new(obj(json!({ "publicId": id })), 0.0, "RE".into(), "AN".into())
    }

    fn owned(owner: &str) -> Access {
        Access { owner: owner.to_owned(), advisor: None }
    }

    const ADVISOR: usize = 3;

    fn tenants() -> Tenants {
        let advised = Access {
            owner: "client@example.com".into(),
            advisor: Some(ALL_DEMO_USERS[ADVISOR].email.into()),
        };
        Tenants::new(vec![
            (owned(ALL_DEMO_USERS[0].email), company("cmp_a")),
            (owned(ALL_DEMO_USERS[1].email), company("cmp_b")),
            (owned(&ALL_DEMO_USERS[0].email.to_uppercase()), company("cmp_c")),
            (owned("nobody@example.com"), company("cmp_d")),
            (owned(ALL_DEMO_USERS[ADVISOR].email), company("cmp_firm")),
            (advised, company("cmp_client")),
        ])
    }

    #[test]
    fn a_user_acts_on_their_own_companies_only() {
        let t = tenants();
        let ids = |user| t.of(user).map(|c| c.id.as_str()).collect::<Vec<_>>();
        assert_eq!(ids(0), ["cmp_a", "cmp_c"]);
        assert_eq!(ids(1), ["cmp_b"]);
        assert_eq!(ids(2), Vec::<&str>::new());
        let c = Named::Company;

        let none: [&str; 0] = [];
        assert_eq!(t.resolve(0, None, none), Some(0), "the default company");
        assert_eq!(t.resolve(0, Some(c("cmp_c")), none), Some(2));
        assert_eq!(t.resolve(0, None, ["cmp_c"]), Some(2));
        assert_eq!(t.resolve(0, Some(c("cmp_a")), ["cmp_a"]), Some(0));
        assert_eq!(t.resolve(0, Some(c("cmp_a")), ["cmp_c"]), Some(0), "the path wins");

        assert_eq!(t.resolve(0, Some(c("cmp_b")), none), None, "another user's company");
        assert_eq!(t.resolve(0, None, ["cmp_b"]), None);
        assert_eq!(t.resolve(0, Some(c("cmp_a")), ["cmp_b"]), None, "any foreign companyId");
        assert_eq!(t.resolve(0, None, ["cmp_a", "cmp_d"]), None, "a company nobody may act on");
        assert_eq!(t.resolve(0, Some(c("unknown")), none), None);
        assert_eq!(t.resolve(2, None, none), None, "a user without companies");
        assert_eq!(t.resolve(ALL_DEMO_USERS.len(), None, none), None, "no such user");
        assert_eq!(t.resolve(0, Some(Named::Client("cmp_a")), none), None, "one's own company is no client");
        assert!(!t.is_advisor(0));
    }

    #[test]
    fn a_tax_advisor_acts_on_their_clients_too() {
        let t = tenants();
        let none: [&str; 0] = [];
        let own: Vec<&str> = t.of(ADVISOR).map(|c| c.id.as_str()).collect();
        assert_eq!(own, ["cmp_firm"], "companies/ lists only the firm");
        let clients: Vec<&str> = t.clients_of(ADVISOR).map(|c| c.id.as_str()).collect();
        assert_eq!(clients, ["cmp_client"]);
        assert!(t.is_advisor(ADVISOR));
        assert_eq!(t.resolve(ADVISOR, None, none), Some(4), "the firm is the default");
        assert_eq!(t.resolve(ADVISOR, Some(Named::Company("cmp_client")), none), Some(5));
        assert_eq!(t.resolve(ADVISOR, None, ["cmp_client"]), Some(5));
        assert_eq!(t.resolve(ADVISOR, Some(Named::Client("cmp_client")), ["cmp_firm"]), Some(5));
        assert_eq!(t.resolve(ADVISOR, Some(Named::Client("cmp_firm")), none), None, "the firm is no client");
        assert_eq!(t.resolve(ADVISOR, Some(Named::Client("cmp_a")), none), None);
        assert_eq!(t.resolve(ADVISOR, Some(Named::Company("cmp_a")), none), None);
        assert_eq!(t.resolve(0, Some(Named::Company("cmp_client")), none), None, "not for others");
        assert_eq!(t.resolve(0, None, ["cmp_client"]), None);
    }
}
