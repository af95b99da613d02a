//! DRF's page envelope (`{count, next, previous, results}`) and its page-number pagination.

use axum::http::{StatusCode, Uri};
use serde::Serialize;
use serde_json::{Map, Value};

use super::error::ApiError;
use super::request::Params;

/// DRF's page envelope, serialised straight from borrowed records.
#[derive(Serialize)]
pub(crate) struct Page<'a> {
    count: usize,
    next: Option<String>,
    previous: Option<String>,
    results: Vec<&'a Map<String, Value>>,
}

const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;

/// Cuts `items` into the page asked for by `page` and `pageSize` (also `page_size` and
/// `limit`, which the Python client sends on some lists). A page past the end is DRF's
/// 404 "Invalid page."; an unparsable page size falls back to the default, as in DRF.
/// `base_url` (`http://host:port/`) prefixes the `next` and `previous` links.
pub(crate) fn paginate<'a>(
    base_url: &str,
    uri: &Uri,
    params: &Params,
    items: Vec<&'a Map<String, Value>>,
) -> Result<Page<'a>, ApiError> {
    let size = ["pageSize", "page_size", "limit"]
        .iter()
        .find_map(|k| params.get(k).and_then(|v| v.trim().parse::<usize>().ok()))
        .filter(|&n| n > 0)
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .min(MAX_PAGE_SIZE);
    let page = match params.get("page") {
        None => 1,
        Some("last") => items.len().div_ceil(size).max(1),
        Some(v) => v.trim().parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(invalid_page)?,
    };
    let count = items.len();
    let start = (page - 1).saturating_mul(size);
    if page > 1 && start >= count {
        return Err(invalid_page());
    }
    let end = start.saturating_add(size).min(count);
    let link = |target: usize| page_link(base_url, uri, target);
    let next = (end < count).then(|| link(page + 1));
    let previous = (page > 1).then(|| link(page - 1));
    let results = items.into_iter().skip(start).take(end - start).collect();
    Ok(Page { count, next, previous, results })
}

fn invalid_page() -> ApiError {
    ApiError::Detail(StatusCode::NOT_FOUND, "Invalid page.".into())
}

fn page_link(base_url: &str, uri: &Uri, page: usize) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(q) = uri.query() {
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            if k != "page" {
                query.append_pair(&k, &v);
            }
        }
    }
    query.append_pair("page", &page.to_string());
    let path = uri.path().trim_start_matches('/');
    format!("{base_url}{path}?{}", query.finish())
}
