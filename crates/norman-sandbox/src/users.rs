//! The people who can log in to the sandbox.

/// A login the sandbox accepts, with the company it starts on: the first company the seed
/// data name it the owner of (`"owner"` in `data/companies/*.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoUser {
    pub email: &'static str,
    pub password: &'static str,
    /// The company's `publicId`, as `GET /api/v1/companies/` reports it.
    pub company_id: &'static str,
    pub company_name: &'static str,
}

/// A demo company by its `publicId` and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoCompany {
    pub company_id: &'static str,
    pub company_name: &'static str,
}

/// The two demo logins with one company each. Two, so that tests can prove one user never sees
/// the other's data.
pub const DEMO_USERS: [DemoUser; 2] = [
    DemoUser {
        email: "demo@norman.finance",
        password: "demo-password-1",
        company_id: "cmp_7QxK2mVd9RtL4nPw",
        company_name: "Muster Design GmbH",
    },
    DemoUser {
        email: "second@norman.finance",
        password: "demo-password-2",
        company_id: "cmp_3HbZ8sNf6JgY1cUe",
        company_name: "Zweite Werkstatt UG",
    },
];

/// A freelancer with two companies: `GET companies/` lists [`MULTI_COMPANY_USER_COMPANIES`],
/// the first (the one this constant names) is the default.
pub const MULTI_COMPANY_USER: DemoUser = DemoUser {
    email: "zwei@norman.finance",
    password: "demo-password-3",
    company_id: MULTI_COMPANY_USER_COMPANIES[0].company_id,
    company_name: MULTI_COMPANY_USER_COMPANIES[0].company_name,
};

/// The companies of [`MULTI_COMPANY_USER`], their default first.
pub const MULTI_COMPANY_USER_COMPANIES: [DemoCompany; 2] = [
    DemoCompany { company_id: "cmp_5LnD8wKq2TzR7hBv", company_name: "Studio Lindner" },
    DemoCompany { company_id: "cmp_9GbR4xPm6NcW1sLj", company_name: "Lindner Immobilien GbR" },
];

/// A tax advisor: their own company is their firm; `GET tax-advisor/clients/` lists
/// [`TAX_ADVISOR_CLIENTS`], on which they may act like the owners (see `tenants.rs`).
pub const TAX_ADVISOR: DemoUser = DemoUser {
    email: "berater@norman.finance",
    password: "demo-password-4",
    company_id: "cmp_2KbT7vHs5QyM8dFx",
    company_name: "Kanzlei Becker Steuerberatung",
};

/// The client companies of [`TAX_ADVISOR`]. Their owners have no login in the sandbox.
pub const TAX_ADVISOR_CLIENTS: [DemoCompany; 2] = [
    DemoCompany { company_id: "cmp_6CfM3rZn9WkP4tGa", company_name: "Café Morgenrot GmbH" },
    DemoCompany { company_id: "cmp_8JrF1qLx4BvN6sDe", company_name: "Jonas Richter Fotografie" },
];

/// Every login the sandbox accepts: [`DEMO_USERS`] first (so their indexes and token
/// `user_id`s stay 1 and 2), then [`MULTI_COMPANY_USER`] and [`TAX_ADVISOR`].
pub const ALL_DEMO_USERS: [DemoUser; 4] = [DEMO_USERS[0], DEMO_USERS[1], MULTI_COMPANY_USER, TAX_ADVISOR];

impl DemoUser {
    /// The companies this login owns, its default first, as `GET companies/` lists them.
    pub fn companies(&self) -> Vec<DemoCompany> {
        if self.email == MULTI_COMPANY_USER.email {
            return MULTI_COMPANY_USER_COMPANIES.to_vec();
        }
        vec![DemoCompany { company_id: self.company_id, company_name: self.company_name }]
    }

    /// The client companies of a tax advisor; empty for everyone else.
    pub fn clients(&self) -> &'static [DemoCompany] {
        if self.email == TAX_ADVISOR.email { &TAX_ADVISOR_CLIENTS } else { &[] }
    }

    /// What a banner says about the login: its companies, and a tax advisor's clients.
    pub fn summary(&self) -> String {
        let names = |list: &[DemoCompany]| list.iter().map(|c| c.company_name).collect::<Vec<_>>().join(", ");
        let own = names(&self.companies());
        match self.clients() {
            [] => own,
            clients => format!("{own}; tax advisor of {}", names(clients)),
        }
    }
}

/// The index in [`ALL_DEMO_USERS`] of the user with this email (case-insensitive, trimmed).
pub(crate) fn user_index(email: &str) -> Option<usize> {
    ALL_DEMO_USERS.iter().position(|u| u.email.eq_ignore_ascii_case(email.trim()))
}
