//! The pages people see, whichever side serves them (the login form, the error pages, the
//! upload page): askama templates in `templates/`, texts in the person's language from
//! `crate::i18n`, always sent with headers that keep them out of frames, caches and referrers
//! and with a Content Security Policy that allows no script at all.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::i18n::{Lang, Texts};

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub lang: Lang,
    pub t: &'static Texts,
    pub title: &'a str,
    pub message: &'a str,
    pub detail: Option<&'a str>,
    /// What the person can do now, instead of the sign-in's "start the connection again".
    pub hint: Option<&'a str>,
}

/// A page a person sees instead of being sent back to an app: used whenever redirecting would
/// be unsafe (unknown client, unregistered redirect URI) or impossible (upstream down). Title
/// and message come from the texts of `lang`; `detail` is an English technical line for the
/// app's developer (what a client metadata document got wrong), shown apart from them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageError {
    pub status: StatusCode,
    pub lang: Lang,
    pub title: String,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl PageError {
    pub fn new(
        status: StatusCode,
        lang: Lang,
        title: impl Into<String>,
        message: impl Into<String>,
    ) -> PageError {
        PageError { status, lang, title: title.into(), message: message.into(), detail: None, hint: None }
    }

    pub fn with_detail(mut self, detail: String) -> PageError {
        self.detail = Some(detail);
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> PageError {
        self.hint = Some(hint.into());
        self
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            lang: self.lang,
            t: self.lang.texts(),
            title: &self.title,
            message: &self.message,
            detail: self.detail.as_deref(),
            hint: self.hint.as_deref(),
        };
        html(self.status, &page, None)
    }
}

/// Renders a page with the security headers. `form_target` widens `form-action` to where the
/// login form's answer redirects, since browsers apply `form-action` to that redirect too.
pub fn html(status: StatusCode, page: &impl Template, form_target: Option<&str>) -> Response {
    let body = match page.render() {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "page template failed to render");
            return (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response();
        }
    };
    let form_action = match form_target {
        Some(target) => format!("'self' {target}"),
        None => "'self'".to_owned(),
    };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action {form_action}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    let mut response = (status, axum::response::Html(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// The stylesheet of the pages, served from the binary.
pub const STYLESHEET: &str = include_str!("../assets/norman.css");

/// The pages' icon (the Norman mark), served from the binary as `/assets/favicon.svg` and as
/// `/favicon.ico`, which browsers ask for whatever the page declares.
pub const FAVICON: &str = include_str!("../assets/favicon.svg");
