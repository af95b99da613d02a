//! The minted-token reader: the authority block `mint` writes, read from its protobuf without
//! evaluating any Datalog. It reads, it does not verify.

use biscuit_auth::datalog::SymbolTable;
use biscuit_auth::format::schema;
use time::OffsetDateTime;

use super::attenuate::{CheckShape, check_shape, single_query};
use super::from_date;
use crate::scope::{Scope, Scopes};

/// The authority block's facts.
pub(super) struct Claims {
    pub(super) token_id: String,
    pub(super) client_fingerprint: String,
    pub(super) audience: String,
    pub(super) expires_at: OffsetDateTime,
    pub(super) envelope: String,
    pub(super) granted: Scopes,
}

/// The claims of an authority block that is exactly what `mint` writes: one `access` fact,
/// `right` facts naming known scopes, and the two checks `time($t), $t < {expiry}` and
/// `resource({audience})`, nothing else (no rules, scopes or keys). Any other shape gives
/// `None`. It reads, it does not verify.
pub(super) fn minted_claims(authority_block: &[u8]) -> Option<Claims> {
    use prost::Message as _;
    use schema::term::Content;

    let block = schema::Block::decode(authority_block).ok()?;
    if !block.rules.is_empty() || !block.scope.is_empty() || !block.public_keys.is_empty() {
        return None;
    }
    // Biscuit's numbering: below 1024 the default symbols, from 1024 on the block's own.
    let defaults = SymbolTable::new();
    let symbol = |id: u64| match id.checked_sub(1024) {
        Some(own) => block.symbols.get(usize::try_from(own).ok()?).map(String::as_str),
        None => defaults.get_symbol(id),
    };
    let string = |term: &schema::Term| match term.content {
        Some(Content::String(id)) => symbol(id),
        _ => None,
    };

    let mut access: Option<(Claims, u64, &schema::Term)> = None;
    let mut granted = Scopes::EMPTY;
    for fact in &block.facts {
        match (symbol(fact.predicate.name)?, fact.predicate.terms.as_slice()) {
            ("access", [id, client, audience, expires, envelope]) if access.is_none() => {
                let Some(Content::Date(expires_date)) = expires.content else { return None };
                let claims = Claims {
                    token_id: string(id)?.to_owned(),
                    client_fingerprint: string(client)?.to_owned(),
                    audience: string(audience)?.to_owned(),
                    expires_at: from_date(expires_date)?,
                    envelope: string(envelope)?.to_owned(),
                    granted: Scopes::EMPTY,
                };
                access = Some((claims, expires_date, audience));
            }
            ("right", [right]) => granted = granted.with(Scope::parse(string(right)?)?),
            _ => return None,
        }
    }
    let (mut claims, expires, audience) = access?;
    claims.granted = granted;

    // `check if time($t), $t < {expires}` then `check if resource({audience})`, kind "if".
    let [time_check, resource_check] = block.checks.as_slice() else {
        return None;
    };
    let time_ok = matches!(check_shape(time_check), Some(CheckShape::Before(date)) if date == expires);
    let query = single_query(resource_check)?;
    let [body] = query.body.as_slice() else { return None };
    let resource_ok = symbol(body.name) == Some("resource")
        && query.expressions.is_empty()
        && matches!(body.terms.as_slice(), [term] if term == audience);
    (time_ok && resource_ok).then_some(claims)
}
