//! The handlers, one module per group of endpoints. A module that seeds a collection also
//! holds its seed rule (`seed`): what the real API derives when such a record is created.

pub(crate) mod attachments;
pub(crate) mod auth;
pub(crate) mod bills;
pub(crate) mod clients;
pub(crate) mod company;
pub(crate) mod company_categories;
pub(crate) mod crud;
pub(crate) mod datev;
pub(crate) mod files;
pub(crate) mod founding;
pub(crate) mod invoices;
pub(crate) mod oauth;
pub(crate) mod skr;
pub(crate) mod tax_advisor;
pub(crate) mod taxes;
pub(crate) mod transactions;
pub(crate) mod vendors;

use axum::http::Method;

use crate::drf::error::ApiError;

/// Any path the sandbox does not serve.
pub(crate) async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// A served path with a method it does not take.
pub(crate) async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method)
}
