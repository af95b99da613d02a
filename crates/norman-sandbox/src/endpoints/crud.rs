//! The five endpoints of a plain collection: list, create, detail, partial update and delete,
//! for kinds of records that have no rules beyond their fields. A kind implements
//! [`Resource`] and is routed with `crud::list::<Kind>`, `crud::create::<Kind>` and so on;
//! the caller's company ([`Ctx`]) scopes every one of them.

use axum::http::Uri;
use serde_json::{Map, Value};

use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult, created, no_content, ok};
use crate::drf::fields::{Fields, Spec};
use crate::drf::page::paginate;
use crate::drf::request::{Id, Params, RawBody};
use crate::store::{Collection, Record, find, find_mut, new_id, now_rfc3339, position};

/// A kind of record served by the generic handlers.
pub(crate) trait Resource: Send + Sync + 'static {
    const COLLECTION: Collection;
    /// The writable fields: creation validates them all (enforcing `required`), a PATCH
    /// those it sends.
    const FIELDS: &'static [Spec];

    /// A new record's values before the request's fields are applied; `publicId`,
    /// `company`, `createdAt` and `updatedAt` are added.
    fn defaults() -> Record;

    /// Whether a record passes the list's query filters.
    fn listed(record: &Record, params: &Params) -> bool;
}

/// `GET`: the records that pass [`Resource::listed`], in creation order, paginated.
pub(crate) async fn list<R: Resource>(ctx: Ctx, uri: Uri, params: Params) -> ApiResult {
    let data = ctx.company().read();
    let items = data[R::COLLECTION].iter().filter(|r| R::listed(r, &params)).collect();
    Ok(ok(&paginate(&ctx.base_url(), &uri, &params, items)?))
}

pub(crate) async fn detail<R: Resource>(ctx: Ctx, Id(id): Id) -> ApiResult {
    let data = ctx.company().read();
    Ok(ok(find(&data[R::COLLECTION], &id)?))
}

/// `POST`: 201 with the new record, or 400 with every field's problems.
pub(crate) async fn create<R: Resource>(ctx: Ctx, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let now = now_rfc3339();
    let mut record = R::defaults();
    record.insert("publicId".into(), Value::String(new_id(R::COLLECTION.id_prefix())));
    record.insert("company".into(), Value::String(ctx.company_id().to_owned()));
    record.insert("createdAt".into(), Value::String(now.clone()));
    record.insert("updatedAt".into(), Value::String(now));
    let mut fields = Fields::new(&body);
    fields.apply(R::FIELDS, &mut record, false);
    fields.finish()?;
    let response = created(&record);
    ctx.company().write()[R::COLLECTION].push(record);
    Ok(response)
}

/// `PATCH`: merges the fields sent; an empty body changes nothing and returns the record.
pub(crate) async fn update<R: Resource>(ctx: Ctx, Id(id): Id, body: RawBody) -> ApiResult {
    let body = body.object()?;
    let mut changes = Map::new();
    let mut fields = Fields::new(&body);
    fields.apply(R::FIELDS, &mut changes, true);
    let mut data = ctx.company().write();
    // 404 for an unknown id wins over validation errors, as in DRF's get_object().
    let record = find_mut(&mut data[R::COLLECTION], &id)?;
    fields.finish()?;
    if !changes.is_empty() {
        changes.insert("updatedAt".into(), Value::String(now_rfc3339()));
    }
    record.extend(changes);
    Ok(ok(record))
}

/// `DELETE`: 204.
pub(crate) async fn delete<R: Resource>(ctx: Ctx, Id(id): Id) -> ApiResult {
    let mut data = ctx.company().write();
    let index = position(&data[R::COLLECTION], &id).ok_or(ApiError::NotFound)?;
    data[R::COLLECTION].remove(index);
    Ok(no_content())
}
