//! `accounting/vendors/`: the company's suppliers, a plain collection on a global path (the
//! company is the `companyId` query parameter's, or the caller's own).

use serde_json::{Value, json};

use super::crud::Resource;
use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult, no_content};
use crate::drf::fields::{Kind, Spec, f};
use crate::drf::request::{Id, Params};
use crate::store::{
    Collection::{self, Bills},
    Record, icontains, obj, position, str_of,
};

pub(crate) struct Vendors;

impl Resource for Vendors {
    const COLLECTION: Collection = Collection::Vendors;
    const FIELDS: &'static [Spec] = &[
        f("name", Kind::NonBlank, true),
        f("iban", Kind::Iban, false),
        f("bic", Kind::Bic, false),
        f("email", Kind::Email, false),
        f("phone", Kind::Text, false),
        f("address", Kind::Text, false),
        f("zipCode", Kind::Text, false),
        f("city", Kind::Text, false),
        f("country", Kind::Country, false),
        f("vatNumber", Kind::Text, false),
    ];

    fn defaults() -> Record {
        obj(json!({
            "iban": "",
            "bic": "",
            "email": "",
            "phone": "",
            "address": "",
            "zipCode": "",
            "city": "",
            "country": "DE",
            "vatNumber": "",
        }))
    }

    /// `?name=` or `?search=`: a substring of the name.
    fn listed(record: &Record, params: &Params) -> bool {
        let needle = params.get("name").or_else(|| params.get("search"));
        needle.is_none_or(|n| icontains(str_of(record, "name"), n))
    }
}

/// `DELETE`: 204. The vendor's bills stay, keep its name and lose the link (`vendor: null`),
/// as a nullable foreign key with `SET_NULL` leaves them.
pub(crate) async fn delete(ctx: Ctx, Id(id): Id) -> ApiResult {
    let mut data = ctx.company().write();
    let index = position(&data[Collection::Vendors], &id).ok_or(ApiError::NotFound)?;
    data[Collection::Vendors].remove(index);
    for bill in &mut data[Bills] {
        if str_of(bill, "vendor") == id {
            bill.insert("vendor".into(), Value::Null);
        }
    }
    Ok(no_content())
}
