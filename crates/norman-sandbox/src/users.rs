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

/// The two demo logins. Two, so that tests can prove one user never sees the other's data.
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

/// The index in [`DEMO_USERS`] of the user with this email (case-insensitive, trimmed).
pub(crate) fn user_index(email: &str) -> Option<usize> {
    DEMO_USERS.iter().position(|u| u.email.eq_ignore_ascii_case(email.trim()))
}
