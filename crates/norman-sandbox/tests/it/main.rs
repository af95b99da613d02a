//! The sandbox's black-box tests over real HTTP: one test binary, a module per area, one
//! support module with the logged-in caller they all use.

mod api;
mod catalogue;
mod founding;
mod oauth;
mod quotes;
mod support;
