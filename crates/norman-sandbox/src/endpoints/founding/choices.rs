//! `GET choices/{type}/`: the allowed values of the incorporation's enums, a bare list of
//! `{value, label}` with German labels.

use crate::caller::Founder;
use crate::drf::error::{ApiError, ApiResult, ok};
use crate::drf::request::Id;
use crate::founding_reference::{ChoiceList, choices};

pub(crate) async fn list(_founder: Founder, Id(kind): Id) -> ApiResult {
    let list = ChoiceList::served(&kind).ok_or(ApiError::NotFound)?;
    Ok(ok(choices(list)))
}
