//! `companies/{cid}/clients/`: the company's customers, a plain collection.

use serde_json::json;

use super::crud::Resource;
use crate::drf::fields::{Kind, Spec, f};
use crate::drf::request::Params;
use crate::store::{Collection, Record, icontains, obj, str_of};

pub(crate) struct Clients;

impl Resource for Clients {
    const COLLECTION: Collection = Collection::Clients;
    const FIELDS: &'static [Spec] = &[
        f("name", Kind::NonBlank, true),
        f("clientType", Kind::Choice(&["business", "private"]), false),
        f("email", Kind::Email, false),
        f("phone", Kind::Text, false),
        f("vatNumber", Kind::Text, false),
        f("address", Kind::Text, false),
        f("zipCode", Kind::Text, false),
        f("city", Kind::Text, false),
        f("country", Kind::Country, false),
    ];

    fn defaults() -> Record {
        obj(json!({
            "clientType": "business",
            "email": "",
            "phone": "",
            "vatNumber": "",
            "address": "",
            "zipCode": "",
            "city": "",
            "country": "DE",
        }))
    }

    /// `?name=` or `?search=`: a substring of the name.
    fn listed(record: &Record, params: &Params) -> bool {
        let needle = params.get("name").or_else(|| params.get("search"));
        needle.is_none_or(|n| icontains(str_of(record, "name"), n))
    }
}
