//! The founding workflows: incorporating a GmbH or UG, registering the trade with the trade
//! office, and the corporate tax questionnaire. Their drafts belong to a person, not a
//! company ([`crate::founders`]); the state machines are described in the crate
//! documentation.

pub(crate) mod choices;
pub(crate) mod corporate_tax;
mod documents;
pub(crate) mod drafts;
pub(crate) mod gewerbe;
pub(crate) mod incorporation;
mod rules;
mod suggest;
