//! `companies/{cid}/clients/`: the company's customers.

use axum::http::Uri;
use serde_json::{Value, json};

use super::auth::{Ctx, Id, Params, RawBody};
use super::error::{ApiResult, created, no_content, ok};
use super::fields::{Fields, Kind, Spec, f};
use super::store::{find, find_mut, icontains, new_id, now_rfc3339, obj, paginate, position, str_of};

pub(crate) const CLIENT_TYPES: &[&str] = &["business", "private"];

const SPECS: &[Spec] = &[
    f("name", Kind::NonBlank, true),
    f("clientType", Kind::Choice(CLIENT_TYPES), false),
    f("email", Kind::Email, false),
    f("phone", Kind::Text, false),
    f("vatNumber", Kind::Text, false),
    f("address", Kind::Text, false),
    f("zipCode", Kind::Text, false),
    f("city", Kind::Text, false),
    f("country", Kind::Country, false),
];

/// `GET`: all clients, optionally filtered by `?name=` or `?search=` (substring).
pub(crate) async fn list(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let data = ctx.company().read();
    let needle = params.get("name").or_else(|| params.get("search"));
    let items =
        data.clients.iter().filter(|c| needle.is_none_or(|n| icontains(str_of(c, "name"), n))).collect();
    Ok(ok(&paginate(&ctx, &uri, &params, items)?))
}

pub(crate) async fn detail(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(find(&data.clients, &id)?))
}

pub(crate) async fn create(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let now = now_rfc3339();
    let mut record = obj(json!({
        "publicId": new_id("cli"),
        "company": ctx.company_id(),
        "clientType": "business",
        "email": "",
        "phone": "",
        "vatNumber": "",
        "address": "",
        "zipCode": "",
        "city": "",
        "country": "DE",
        "createdAt": now,
        "updatedAt": now,
    }));
    let mut fields = Fields::new(&body);
    fields.apply(SPECS, &mut record, false);
    fields.finish()?;
    let response = created(&record);
    ctx.company().write().clients.push(record);
    Ok(response)
}

pub(crate) async fn update(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut changes = serde_json::Map::new();
    let mut fields = Fields::new(&body);
    fields.apply(SPECS, &mut changes, true);
    let mut data = ctx.company().write();
    // 404 for an unknown id wins over validation errors, as in DRF's get_object().
    let client = find_mut(&mut data.clients, &id)?;
    fields.finish()?;
    if !changes.is_empty() {
        changes.insert("updatedAt".into(), Value::String(now_rfc3339()));
    }
    client.extend(changes);
    Ok(ok(client))
}

pub(crate) async fn delete(ctx: Ctx, Id(id): Id) -> ApiResult {
    let mut data = ctx.company().write();
    let index = position(&data.clients, &id).ok_or(super::error::ApiError::NotFound)?;
    data.clients.remove(index);
    Ok(no_content())
}
