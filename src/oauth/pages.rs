//! The authorization server's pages: the login form and the company choice here; the error
//! page, the rendering with its security headers and the assets come from `crate::page`, which
//! the upload page shares.

use askama::Template;

use crate::i18n::{Lang, Texts};
pub use crate::page::{ErrorPage, FAVICON, PageError, STYLESHEET, html};

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage<'a> {
    pub lang: Lang,
    pub t: &'static Texts,
    pub client_name: &'a str,
    pub redirect_host: &'a str,
    pub redirect_is_loopback: bool,
    /// The client asked for write access: the person sees an "allow changes" box.
    pub can_write: bool,
    /// Whether that box is ticked (it is, until the person unticks it).
    pub allow_write: bool,
    pub login_request: &'a str,
    pub email: &'a str,
    pub error: Option<&'a str>,
    /// The email and password fields (`--login password` or `both`).
    pub offer_password: bool,
    /// The "Sign in with Norman" button (`--login norman-oauth` or `both`).
    pub offer_norman: bool,
}

/// One company on the choice page.
pub struct CompanyOption<'a> {
    pub id: &'a str,
    pub name: &'a str,
    /// A tax advisor's client, as opposed to the person's own company.
    pub is_client: bool,
}

#[derive(Template)]
#[template(path = "company.html")]
pub struct CompanyPage<'a> {
    pub lang: Lang,
    pub t: &'static Texts,
    pub client_name: &'a str,
    pub company_choice: &'a str,
    pub companies: Vec<CompanyOption<'a>>,
    pub selected: &'a str,
    pub error: Option<&'a str>,
}
