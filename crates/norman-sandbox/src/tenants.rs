//! Which companies exist and who may act on which: the one place the sandbox decides
//! ownership. Like the real API it answers 404, not 403, for a company the caller may not see,
//! so that existence does not leak; records live inside their company, so another company's
//! record is simply not found.

use crate::store::{CompanyData, CompanyState, str_of};
use crate::users::DEMO_USERS;

/// A company and its records.
pub(crate) struct Company {
    /// Its `publicId`, fixed for the sandbox's life.
    pub id: String,
    pub state: CompanyState,
}

/// Every company, and per demo user the companies that user may act on.
pub(crate) struct Tenants {
    companies: Vec<Company>,
    /// Index = user index in [`DEMO_USERS`]; the values index `companies`, the user's default
    /// company first.
    access: Vec<Vec<usize>>,
}

impl Tenants {
    /// Companies with the email of the user who owns each. A user may act on the companies
    /// they own, in the given order; a company whose owner is no demo user is unreachable.
    pub(crate) fn new(companies: Vec<(String, CompanyData)>) -> Tenants {
        let access = DEMO_USERS
            .iter()
            .map(|user| {
                let owned = companies.iter().enumerate();
                owned
                    .filter(|(_, (owner, _))| owner.eq_ignore_ascii_case(user.email))
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        let companies = companies
            .into_iter()
            .map(|(_, data)| Company {
                id: str_of(&data.company, "publicId").to_owned(),
                state: CompanyState::new(data),
            })
            .collect();
        Tenants { companies, access }
    }

    pub(crate) fn company(&self, index: usize) -> &Company {
        &self.companies[index]
    }

    /// The companies `user` may act on, their default first.
    pub(crate) fn of(&self, user: usize) -> impl Iterator<Item = &Company> {
        self.access.get(user).into_iter().flatten().map(|&i| &self.companies[i])
    }

    /// The company a request of `user` acts on: the one its path names (`{cid}`), else the
    /// one its `companyId` query parameter names, else the user's default. `None` (404) when
    /// the path or any `companyId` names a company the user may not act on, or the user has
    /// none.
    pub(crate) fn resolve(
        &self,
        user: usize,
        path: Option<&str>,
        query: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Option<usize> {
        let access = self.access.get(user)?;
        let find = |id: &str| access.iter().copied().find(|&i| self.companies[i].id == id);
        let from_path = match path {
            Some(id) => Some(find(id)?),
            None => None,
        };
        // The last `companyId` counts, as DRF's `query_params.get` reads it.
        let mut from_query = None;
        for id in query {
            from_query = Some(find(id.as_ref())?);
        }
        from_path.or(from_query).or_else(|| access.first().copied())
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

    fn tenants() -> Tenants {
        Tenants::new(vec![
            (DEMO_USERS[0].email.to_owned(), company("cmp_a")),
            (DEMO_USERS[1].email.to_owned(), company("cmp_b")),
            (DEMO_USERS[0].email.to_uppercase(), company("cmp_c")),
            ("nobody@example.com".to_owned(), company("cmp_d")),
        ])
    }

    #[test]
    fn a_user_acts_on_their_own_companies_only() {
        let t = tenants();
        let ids = |user| t.of(user).map(|c| c.id.as_str()).collect::<Vec<_>>();
        assert_eq!(ids(0), ["cmp_a", "cmp_c"]);
        assert_eq!(ids(1), ["cmp_b"]);
        assert_eq!(ids(2), Vec::<&str>::new());

        let none: [&str; 0] = [];
        assert_eq!(t.resolve(0, None, none), Some(0), "the default company");
        assert_eq!(t.resolve(0, Some("cmp_c"), none), Some(2));
        assert_eq!(t.resolve(0, None, ["cmp_c"]), Some(2));
        assert_eq!(t.resolve(0, Some("cmp_a"), ["cmp_a"]), Some(0));
        assert_eq!(t.resolve(0, Some("cmp_a"), ["cmp_c"]), Some(0), "the path wins");

        assert_eq!(t.resolve(0, Some("cmp_b"), none), None, "another user's company");
        assert_eq!(t.resolve(0, None, ["cmp_b"]), None);
        assert_eq!(t.resolve(0, Some("cmp_a"), ["cmp_b"]), None, "any foreign companyId");
        assert_eq!(t.resolve(0, None, ["cmp_a", "cmp_d"]), None, "a company nobody may act on");
        assert_eq!(t.resolve(0, Some("unknown"), none), None);
        assert_eq!(t.resolve(2, None, none), None, "no such user");
    }
}
