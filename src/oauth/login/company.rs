//! The company choice: the second step of a sign-in for a person who may act on more than one
//! company (their own, and as a tax advisor their clients). Norman's tokens wait in the page's
//! sealed hidden field (`nms_`, `tokens::company_choice`), bound to the browser by the login
//! form's CSRF cookie; the answer is checked against Norman's list again, never trusted from
//! the page (docs/architecture.md, "Choosing the company").

use std::net::IpAddr;
use std::time::Instant;

use serde::Deserialize;
use time::OffsetDateTime;

use super::{LoginOutcome, LoginRefusal, form};
use crate::guard::GuardSpace;
use crate::i18n::Texts;
use crate::norman::AccessibleCompany;
use crate::oauth::AuthServer;
use crate::seal;
use crate::tokens::company_choice::{CHOICE_LIFETIME, CompanyChoice};

/// The choice page's answer.
#[derive(Deserialize)]
pub struct CompanyChoiceForm {
    pub company_choice: Option<String>,
    pub company_id: Option<String>,
    pub action: Option<String>,
}

impl std::fmt::Debug for CompanyChoiceForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompanyChoiceForm").field("action", &self.action).finish_non_exhaustive()
    }
}

/// Why the choice page is shown again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceProblem {
    /// The answer named no company.
    NoneChosen,
    /// The answer named a company that is not among the person's (a stale page, or a guess).
    NotYours,
}

impl ChoiceProblem {
    /// The one line the page shows, in the language of `texts`.
    pub fn message(self, texts: &Texts) -> String {
        match self {
            ChoiceProblem::NoneChosen => texts.company.none_chosen.to_string(),
            ChoiceProblem::NotYours => texts.company.not_yours.to_string(),
        }
    }
}

/// The choice page, ready to be shown.
pub struct CompanyChoicePage {
    pub client_name: String,
    pub redirect_uri: String,
    /// The sealed hidden field.
    pub envelope: String,
    pub companies: Vec<AccessibleCompany>,
    /// The company ticked when the page opens: the one asked for, else the default.
    pub selected: String,
    pub problem: Option<ChoiceProblem>,
    /// The login form's CSRF cookie again, with the choice's lifetime.
    pub set_cookie: String,
}

impl AuthServer {
    /// Signed in at Norman: the code for the company `wanted` (a script's `company_id`, or the
    /// page's answer when `from_page`), for the only company there is, or the choice page.
    pub(super) async fn signed_in(
        &self,
        signed_in: CompanyChoice,
        wanted: Option<&str>,
        from_page: bool,
        now: OffsetDateTime,
    ) -> LoginOutcome {
        let companies = match self.norman.companies(&signed_in.norman_access).await {
            Ok(companies) => companies,
            Err(error) => {
                tracing::warn!(%error, "company lookup failed after login");
                return LoginOutcome::Refused(LoginRefusal::NormanUnavailable);
            }
        };
        let problem = match wanted {
            Some(id) if companies.find(id).is_some() => {
                if from_page && !self.spend_choice(&signed_in, now).await {
                    return LoginOutcome::Refused(LoginRefusal::Expired);
                }
                return self.issue_code(signed_in, Some(id.to_owned()), now);
            }
            Some(_) => {
                tracing::info!("company choice refused: not one of the person's companies");
                Some(ChoiceProblem::NotYours)
            }
            None if companies.len() <= 1 => {
                let only = companies.first().map(|company| company.id.clone());
                return self.issue_code(signed_in, only, now);
            }
            None if from_page => Some(ChoiceProblem::NoneChosen),
            None => None,
        };
        let envelope = match seal::seal(&self.keyring.current(), &signed_in, now) {
            Ok(envelope) => envelope,
            Err(error) => {
                tracing::error!(%error, "could not seal a company choice");
                return LoginOutcome::Refused(LoginRefusal::Internal);
            }
        };
        let selected = companies.first().map(|company| company.id.clone()).unwrap_or_default();
        LoginOutcome::ChooseCompany(Box::new(CompanyChoicePage {
            set_cookie: form::set_cookie(self.secure_cookies, &signed_in.csrf_nonce, CHOICE_LIFETIME),
            client_name: signed_in.client_name,
            redirect_uri: signed_in.redirect_uri,
            envelope,
            companies: companies.all().to_vec(),
            selected,
            problem,
        }))
    }

    /// Spends an answered choice page once: a second answer (a reload, a second tab) would
    /// issue a second grant over the same Norman tokens, and Norman rotates its refresh token,
    /// so one of the two would break. False when it was answered before or the guard is down.
    async fn spend_choice(&self, signed_in: &CompanyChoice, now: OffsetDateTime) -> bool {
        let remaining = (signed_in.expires_at - now).unsigned_abs() + std::time::Duration::from_secs(5);
        match self.guard.first_use(GuardSpace::SpentCompanyChoice, &signed_in.csrf_nonce, remaining).await {
            Ok(true) => true,
            Ok(false) => {
                tracing::warn!("company choice answered again; refused");
                false
            }
            Err(_) => {
                tracing::warn!("company choice refused: the replay guard is unavailable");
                false
            }
        }
    }

    /// Handles the choice page's answer. `cookie_header` is the request's `Cookie` header;
    /// `client_address` counts answers that name no company of the person's (`limits`).
    pub async fn choose_company(
        &self,
        form: CompanyChoiceForm,
        cookie_header: Option<&str>,
        client_address: IpAddr,
        now: OffsetDateTime,
    ) -> LoginOutcome {
        let Some(envelope) = form.company_choice.filter(|e| !e.is_empty()) else {
            return LoginOutcome::Refused(LoginRefusal::Expired);
        };
        let signed_in: CompanyChoice = match seal::open(&self.keyring.current(), &envelope, now) {
            Ok(signed_in) => signed_in,
            Err(error) => {
                tracing::info!(reason = error.reason(), "company choice refused");
                return LoginOutcome::Refused(LoginRefusal::Expired);
            }
        };
        if !form::cookie_matches(cookie_header, self.secure_cookies, &signed_in.csrf_nonce) {
            tracing::info!("company choice refused: CSRF cookie missing or different");
            return LoginOutcome::Refused(LoginRefusal::CookieMissing);
        }
        if form.action.as_deref() == Some("deny") {
            let cookie_name = form::cookie_name(self.secure_cookies, &signed_in.csrf_nonce);
            return self.denied(&signed_in.redirect_uri, signed_in.state.as_deref(), cookie_name);
        }
        let attempt = match self.login_limits.begin_company_answer(client_address, Instant::now()) {
            Ok(attempt) => attempt,
            Err(limited) => {
                tracing::warn!(%client_address, "company choice refused: too many answers without a company");
                return LoginOutcome::Refused(LoginRefusal::TooManyAnswers {
                    retry_after: limited.retry_after,
                });
            }
        };
        let wanted = form.company_id.filter(|id| !id.is_empty());
        let outcome = self.signed_in(signed_in, wanted.as_deref(), true, now).await;
        match &outcome {
            LoginOutcome::ChooseCompany(page) if page.problem.is_some() => attempt.failed(),
            _ => attempt.release(),
        }
        outcome
    }
}
