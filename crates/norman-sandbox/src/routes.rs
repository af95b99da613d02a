//! Every path the sandbox serves, in one table. A route whose path names `{cid}` acts on that
//! company, one that names `{client}` on that client company of a tax advisor; the others act
//! on the `companyId` query parameter's company or the caller's own (see [`crate::caller`]).

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, patch, post};

use crate::endpoints::clients::Clients;
use crate::endpoints::founding::corporate_tax::{self, CorporateTax};
use crate::endpoints::founding::gewerbe::{self, Gewerbe};
use crate::endpoints::founding::incorporation::{self, Incorporation};
use crate::endpoints::founding::{self, drafts};
use crate::endpoints::vendors::{self, Vendors};
use crate::endpoints::{
    attachments, auth, company, crud, files, invoices, method_not_allowed, not_found, oauth, taxes,
    transactions,
};
use crate::endpoints::{bills, company_categories, datev, skr, tax_advisor};
use crate::state::Sandbox;

/// The whole API under `/api/v1/...`, plus the unauthenticated `/files/{token}` presigned
/// downloads.
pub(crate) fn router(sandbox: &Arc<Sandbox>) -> Router {
    Router::new()
        // authentication
        .route("/api/v1/auth/token/", post(auth::login))
        .route("/api/v1/auth/token/refresh/", post(auth::refresh))
        .route("/api/v1/oauth/authorize/", get(oauth::authorize_page).post(oauth::authorize_answer))
        .route("/api/v1/oauth/token/", post(oauth::token))
        // companies
        .route("/api/v1/companies/", get(company::list))
        .route("/api/v1/companies/{cid}/", get(company::detail).patch(company::update))
        .route("/api/v1/companies/{cid}/balance/", get(company::balance))
        .route("/api/v1/companies/{cid}/company-tax-statistic/", get(company::tax_statistic))
        .route("/api/v1/companies/{cid}/vat-next-report-amount/", get(company::vat_next_report))
        // clients
        .route("/api/v1/companies/{cid}/clients/", get(crud::list::<Clients>).post(crud::create::<Clients>))
        .route(
            "/api/v1/companies/{cid}/clients/{id}/",
            get(crud::detail::<Clients>).patch(crud::update::<Clients>).delete(crud::delete::<Clients>),
        )
        // invoices and quotes
        .route("/api/v1/companies/{cid}/invoices/", get(invoices::list).post(invoices::create))
        .route("/api/v1/companies/{cid}/invoices/next-invoice-number/", get(invoices::next_invoice_number))
        .route("/api/v1/companies/{cid}/invoices/{id}/", get(invoices::detail))
        .route("/api/v1/companies/{cid}/invoices/{id}/pdf/", get(invoices::pdf))
        .route("/api/v1/companies/{cid}/invoices/{id}/preview/", get(invoices::preview))
        .route("/api/v1/companies/{cid}/invoices/{id}/xml/", get(invoices::xml))
        .route("/api/v1/companies/{cid}/invoices/{id}/send/", post(invoices::send))
        .route("/api/v1/companies/{cid}/invoices/{id}/send-on-overdue/", post(invoices::send_on_overdue))
        .route("/api/v1/companies/{cid}/invoices/{id}/link-transaction/", post(invoices::link_transaction))
        .route(
            "/api/v1/companies/{cid}/invoices/{id}/convert-to-invoice/",
            post(invoices::convert_to_invoice),
        )
        .route("/api/v1/companies/{cid}/recurring-invoices/", post(invoices::create_recurring))
        // transactions
        .route(
            "/api/v1/companies/{cid}/accounting/transactions/",
            get(transactions::list).post(transactions::create),
        )
        .route(
            "/api/v1/companies/{cid}/accounting/transactions/{id}/",
            get(transactions::detail).patch(transactions::update),
        )
        .route("/api/v1/companies/{cid}/accounting/transactions/{id}/verify/", post(transactions::verify))
        .route("/api/v1/companies/{cid}/accounting/transactions/{id}/unverify/", post(transactions::unverify))
        .route("/api/v1/accounting/transactions/upload-documents/", post(attachments::upload_documents))
        .route("/api/v1/accounting/categories/", get(transactions::list_categories))
        .route("/api/v1/assistant/detect-category/", post(transactions::detect_category))
        // attachments
        .route("/api/v1/companies/{cid}/attachments/", get(attachments::list).post(attachments::create))
        .route(
            "/api/v1/companies/{cid}/attachments/{id}/",
            get(attachments::detail).delete(attachments::delete),
        )
        .route("/api/v1/companies/{cid}/attachments/{id}/download/", get(attachments::download))
        .route(
            "/api/v1/companies/{cid}/attachments/{id}/link-transaction/",
            post(attachments::link_transaction),
        )
        // taxes
        .route("/api/v1/taxes/reports/", get(taxes::list_reports))
        .route("/api/v1/taxes/reports/{id}/", get(taxes::report_detail))
        .route("/api/v1/taxes/reports/{id}/download/", get(taxes::report_download))
        .route("/api/v1/taxes/reports/{id}/generate-preview-url/", post(taxes::generate_preview_url))
        .route("/api/v1/taxes/reports/{id}/generate-preview/", post(taxes::generate_preview))
        .route("/api/v1/taxes/reports/{id}/submit-report/", post(taxes::submit_report))
        .route("/api/v1/taxes/check-tax-number/", post(taxes::check_tax_number))
        .route("/api/v1/taxes/states/", get(taxes::list_states))
        .route("/api/v1/taxes/tax-settings/", get(taxes::list_settings))
        .route("/api/v1/taxes/tax-settings/{id}/", get(taxes::setting_detail).patch(taxes::update_setting))
        // vendors and bills
        .route("/api/v1/accounting/vendors/", get(crud::list::<Vendors>).post(crud::create::<Vendors>))
        .route(
            "/api/v1/accounting/vendors/{id}/",
            get(crud::detail::<Vendors>).patch(crud::update::<Vendors>).delete(vendors::delete),
        )
        .route("/api/v1/accounting/bills/", get(bills::list))
        .route(
            "/api/v1/accounting/bills/{id}/",
            get(bills::detail).patch(bills::update).delete(bills::delete),
        )
        .route("/api/v1/accounting/bills/{id}/pay/", post(bills::pay))
        // company categories and the SKR account table
        .route(
            "/api/v1/accounting/company-categories/",
            get(company_categories::list).post(company_categories::create),
        )
        .route("/api/v1/accounting/company-categories/templates/", get(company_categories::templates))
        .route("/api/v1/accounting/company-categories/skr-lookup/", get(skr::lookup))
        .route("/api/v1/accounting/company-categories/skr-ai-suggest/", get(skr::suggest))
        // DATEV
        .route("/api/v1/companies/{cid}/accounting/datev-export/", post(datev::export))
        // tax advisor: `{client}` must be one of the caller's clients
        .route("/api/v1/tax-advisor/clients/", get(tax_advisor::clients))
        .route("/api/v1/tax-advisor/clients/{client}/stats/", get(tax_advisor::stats))
        .route("/api/v1/tax-advisor/clients/{client}/transactions/", get(tax_advisor::transactions))
        .route("/api/v1/tax-advisor/clients/{client}/ping/{id}/", post(tax_advisor::ping))
        // founding: the caller's own drafts, whatever company `companyId` names
        .route("/api/v1/choices/{id}/", get(founding::choices::list))
        .route("/api/v1/incorporations/", post(incorporation::create))
        .route("/api/v1/incorporations/my/", get(drafts::my::<Incorporation>))
        .route(
            "/api/v1/incorporations/{id}/",
            get(drafts::detail::<Incorporation>).patch(incorporation::update),
        )
        .route("/api/v1/incorporations/{id}/shareholders/", post(incorporation::add_shareholder))
        .route(
            "/api/v1/incorporations/{id}/shareholders/{sid}/",
            patch(incorporation::update_shareholder).delete(incorporation::remove_shareholder),
        )
        .route(
            "/api/v1/incorporations/{id}/shareholders/{sid}/invite/",
            post(incorporation::invite_shareholder),
        )
        .route(
            "/api/v1/incorporations/{id}/documents/",
            get(drafts::documents::<Incorporation>).post(incorporation::generate_documents),
        )
        .route("/api/v1/incorporations/{id}/notary-matches/", get(incorporation::notary_match_list))
        .route("/api/v1/incorporations/{id}/request-notary/", post(incorporation::request_notary))
        .route("/api/v1/incorporations/{id}/suggest-purpose/", post(incorporation::suggest_purpose))
        .route("/api/v1/incorporations/{id}/check-name/", post(incorporation::check_name))
        .route("/api/v1/incorporations/{id}/formation-step/", post(incorporation::formation_step))
        .route("/api/v1/gewerbe-registrations/", post(drafts::create::<Gewerbe>))
        .route("/api/v1/gewerbe-registrations/my/", get(drafts::my::<Gewerbe>))
        .route("/api/v1/gewerbe-registrations/{id}/", get(drafts::detail::<Gewerbe>).patch(gewerbe::update))
        .route("/api/v1/gewerbe-registrations/{id}/suggest-activity/", post(gewerbe::suggest_activity))
        .route(
            "/api/v1/gewerbe-registrations/{id}/documents/",
            get(drafts::documents::<Gewerbe>).post(gewerbe::generate_documents),
        )
        .route("/api/v1/gewerbe-registrations/{id}/trade-office/", get(gewerbe::trade_office_lookup))
        .route("/api/v1/corporate-tax-registrations/", post(drafts::create::<CorporateTax>))
        .route("/api/v1/corporate-tax-registrations/my/", get(drafts::my::<CorporateTax>))
        .route(
            "/api/v1/corporate-tax-registrations/{id}/",
            get(drafts::detail::<CorporateTax>).patch(corporate_tax::update),
        )
        .route("/api/v1/corporate-tax-registrations/{id}/submit/", post(corporate_tax::submit))
        // presigned downloads
        .route("/files/{token}", get(files::serve))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Uploads are the only large bodies; 10 MiB is plenty for a fake.
        .layer(DefaultBodyLimit::max(10 * 1024 * 1024))
        .with_state(Arc::clone(sandbox))
}
