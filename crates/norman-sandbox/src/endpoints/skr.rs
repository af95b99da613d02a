//! `accounting/company-categories/skr-lookup/` and `skr-ai-suggest/`: the standard account
//! table (SKR 03 or SKR 04, whichever chart the company keeps; SKR 04 when none is set) looked
//! up by number or name, and a suggestion from a description. Both answer a bare list of
//! `{accountNumber, nameDe, nameEn}`, as the real API does.

use serde_json::json;

use crate::caller::Ctx;
use crate::drf::error::{ApiError, ApiResult, ok};
use crate::drf::request::Params;
use crate::reference::{SkrAccount, skr_accounts, skr_lookup};
use crate::store::{Record, icontains, str_of};

/// The suggestion's answer is short, as the Python tool documents.
const MAX_SUGGESTIONS: usize = 5;

/// The required `?q=`, trimmed.
fn query(params: &Params) -> Result<&str, ApiError> {
    match params.get("q").map(str::trim) {
        Some(q) if !q.is_empty() => Ok(q),
        _ => Err(ApiError::field("q", "This field is required.")),
    }
}

/// `GET …/skr-lookup/?q=`: accounts whose number starts with `q` (digits) or whose German or
/// English name contains it, by number.
pub(crate) async fn lookup(ctx: Ctx, params: Params) -> ApiResult {
    let q = query(&params)?;
    let chart = ctx.company().read().chart_code().to_owned();
    let by_number = q.bytes().all(|b| b.is_ascii_digit());
    let hits: Vec<&Record> = skr_lookup(&chart)
        .iter()
        .filter(|a| {
            if by_number {
                str_of(a, "accountNumber").starts_with(q)
            } else {
                icontains(str_of(a, "nameDe"), q) || icontains(str_of(a, "nameEn"), q)
            }
        })
        .collect();
    Ok(ok(&hits))
}

/// Whether `needle` starts a word of `text` ("bahn" in "db bahn ticket", not in "autobahn").
fn starts_a_word(text: &str, needle: &str) -> bool {
    text.match_indices(needle)
        .any(|(i, _)| text[..i].chars().next_back().is_none_or(|c| !c.is_alphanumeric()))
}

/// How well an account fits a lower-cased description: its keywords found at word starts,
/// plus its German name found whole.
fn score(account: &SkrAccount, text: &str) -> usize {
    let keywords = account.keywords.iter().filter(|k| starts_a_word(text, k)).count();
    keywords + usize::from(text.contains(&account.name_de.to_lowercase()))
}

/// `GET …/skr-ai-suggest/?q=`: the "AI" is keyword matching, deterministic: up to five
/// accounts, best first (ties by number), with a `confidence` that grows with the matches.
pub(crate) async fn suggest(ctx: Ctx, params: Params) -> ApiResult {
    let text = query(&params)?.to_lowercase();
    let chart = ctx.company().read().chart_code().to_owned();
    let mut scored: Vec<(usize, &SkrAccount)> =
        skr_accounts().iter().map(|a| (score(a, &text), a)).filter(|(s, _)| *s > 0).collect();
    scored.sort_by(|(sa, a), (sb, b)| sb.cmp(sa).then_with(|| a.number(&chart).cmp(b.number(&chart))));
    let suggestions: Vec<_> = scored
        .iter()
        .take(MAX_SUGGESTIONS)
        .map(|(s, a)| {
            json!({
                "accountNumber": a.number(&chart),
                "nameDe": a.name_de,
                "nameEn": a.name_en,
                "confidence": (0.5 + 0.15 * *s as f64).min(0.95),
            })
        })
        .collect();
    Ok(ok(&suggestions))
}
