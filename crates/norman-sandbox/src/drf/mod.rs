//! How the real API speaks, as Django REST Framework and SimpleJWT do: error bodies
//! ([`error`]), field validation ([`fields`]), request bodies and query parameters
//! ([`request`], [`multipart`]) and the page envelope ([`page`]). Nothing here knows the
//! sandbox's users or records.

pub(crate) mod error;
pub(crate) mod fields;
pub(crate) mod multipart;
pub(crate) mod page;
pub(crate) mod request;
