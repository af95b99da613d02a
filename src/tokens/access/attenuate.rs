//! Attenuation: appending a block that only restricts (no key needed), and reading the blocks
//! appended to a token, which must be of the shapes `attenuate` writes (module docs of
//! `tokens::access`).

use biscuit_auth::UnverifiedBiscuit;
use biscuit_auth::builder::BlockBuilder;
use biscuit_auth::datalog::SymbolTable;
use biscuit_auth::format::schema;
use biscuit_auth::macros::check;
use time::OffsetDateTime;

use super::{
    AttenuateError, MAX_ACCESS_TOKEN_LEN, MAX_APPENDED_BLOCKS, VerifyError, date, decode, encode, from_date,
    whole_seconds,
};
use crate::scope::Scopes;

/// Appends a block that only restricts, without any key. `read_only`: the token no longer
/// grants `norman.write`. `ttl`: it stops at `now + ttl` (or earlier if it already did).
pub fn attenuate(
    token: &str,
    read_only: bool,
    ttl: Option<time::Duration>,
    now: OffsetDateTime,
) -> Result<String, AttenuateError> {
    if !read_only && ttl.is_none() {
        return Err(AttenuateError::NothingToRestrict);
    }
    if token.len() > MAX_ACCESS_TOKEN_LEN {
        return Err(AttenuateError::Oversized);
    }
    let raw = decode(token).ok_or(AttenuateError::Malformed)?;
    let unverified = UnverifiedBiscuit::from(&raw).map_err(|_| AttenuateError::Malformed)?;
    if unverified.block_count() > MAX_APPENDED_BLOCKS {
        return Err(AttenuateError::TooManyBlocks);
    }

    let mut block = BlockBuilder::new();
    if read_only {
        block = block.check(check!(r#"check if operation("read")"#)).map_err(|_| AttenuateError::Append)?;
    }
    if let Some(ttl) = ttl {
        if !ttl.is_positive() {
            return Err(AttenuateError::InvalidTtl);
        }
        let until = whole_seconds(now.checked_add(ttl).ok_or(AttenuateError::InvalidTtl)?);
        block = block
            .check(check!(r#"check if time($t), $t < {until}"#, until = date(until)))
            .map_err(|_| AttenuateError::Append)?;
    }
    let attenuated = unverified.append(block).map_err(|_| AttenuateError::Append)?;
    let out = encode(&attenuated.to_vec().map_err(|_| AttenuateError::Append)?);
    if out.len() > MAX_ACCESS_TOKEN_LEN {
        return Err(AttenuateError::Oversized);
    }
    Ok(out)
}

/// What the appended blocks' checks leave of a token (module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Restriction {
    /// Some block says `check if operation("read")`: writing never passes.
    pub(super) read_only: bool,
    /// The earliest `{date}` of a `check if time($t), $t < {date}`: from then on nothing passes.
    pub(super) until: Option<OffsetDateTime>,
}

impl Restriction {
    pub(super) fn scopes(self, granted: Scopes) -> Scopes {
        if self.read_only { granted.intersection(Scopes::READ) } else { granted }
    }

    pub(super) fn expiry(self, expires_at: OffsetDateTime) -> OffsetDateTime {
        self.until.map_or(expires_at, |until| until.min(expires_at))
    }
}

/// What the appended blocks leave of a token, if every one of them is of a shape `attenuate`
/// writes (module docs); `Unsupported` otherwise. It reads, it does not verify.
pub(super) fn appended_restriction(blocks: &[schema::SignedBlock]) -> Result<Restriction, VerifyError> {
    use prost::Message as _;

    if blocks.len() > MAX_APPENDED_BLOCKS {
        return Err(VerifyError::Unsupported);
    }
    let mut restriction = Restriction::default();
    for signed in blocks {
        if signed.external_signature.is_some() {
            return Err(VerifyError::Unsupported);
        }
        let block = schema::Block::decode(signed.block.as_slice()).map_err(|_| VerifyError::Unsupported)?;
        let only_checks = block.facts.is_empty()
            && block.rules.is_empty()
            && block.scope.is_empty()
            && block.public_keys.is_empty()
            && block.context.is_none()
            // A variable's name at most: `$t` is usually the authority's own symbol already.
            && block.symbols.len() <= 1
            && block.version.is_some_and(|v| (MIN_BLOCK_VERSION..=MAX_BLOCK_VERSION).contains(&v))
            && (1..=2).contains(&block.checks.len());
        if !only_checks {
            return Err(VerifyError::Unsupported);
        }
        let (mut read_only, mut until) = (false, None);
        for check in &block.checks {
            match check_shape(check) {
                Some(CheckShape::ReadOnly) if !read_only => read_only = true,
                Some(CheckShape::Before(date)) if until.is_none() => until = Some(date),
                _ => return Err(VerifyError::Unsupported),
            }
        }
        restriction.read_only |= read_only;
        // A date past what `OffsetDateTime` holds never cuts anything short.
        if let Some(until) = until.and_then(from_date) {
            restriction.until = Some(restriction.until.map_or(until, |u| u.min(until)));
        }
    }
    Ok(restriction)
}

/// The Datalog versions of the blocks biscuit-auth 6 reads (3.0 to 3.3); the two checks mean
/// the same in every one.
pub(super) const MIN_BLOCK_VERSION: u32 = 3;
pub(super) const MAX_BLOCK_VERSION: u32 = 6;

/// The two checks a block may hold, each exactly as Biscuit encodes its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CheckShape {
    /// `check if operation("read")`
    ReadOnly,
    /// `check if time($t), $t < {date}`, the date in seconds
    Before(u64),
}

pub(super) fn check_shape(check: &schema::Check) -> Option<CheckShape> {
    use schema::{op, term::Content};

    let query = single_query(check)?;
    let [body] = query.body.as_slice() else { return None };
    let [schema::Term { content: Some(term) }] = body.terms.as_slice() else { return None };
    match (term, query.expressions.as_slice()) {
        (Content::String(read), []) if is_default(body.name, "operation") && is_default(*read, "read") => {
            Some(CheckShape::ReadOnly)
        }
        (Content::Variable(var), [expression]) if is_default(body.name, "time") => {
            let [lhs, rhs, compare] = expression.ops.as_slice() else { return None };
            let less_than = schema::op_binary::Kind::LessThan as i32;
            let variable_first = matches!(
                &lhs.content,
                Some(op::Content::Value(schema::Term { content: Some(Content::Variable(v)) })) if v == var
            );
            let compared = matches!(
                &compare.content,
                Some(op::Content::Binary(b)) if b.kind == less_than && b.ffi_name.is_none()
            );
            match &rhs.content {
                Some(op::Content::Value(schema::Term { content: Some(Content::Date(date)) }))
                    if variable_first && compared =>
                {
                    Some(CheckShape::Before(*date))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The one query of a plain `check if` (not `check all`, `reject if`, nor `or`), with no
/// trusted-origin annotation.
pub(super) fn single_query(check: &schema::Check) -> Option<&schema::Rule> {
    match (check.kind, check.queries.as_slice()) {
        (None, [query]) if query.scope.is_empty() && query.head.terms.is_empty() => Some(query),
        _ => None,
    }
}

/// Whether `id` is Biscuit's default symbol `name` (`read`, `operation`, `time`, ...): Biscuit
/// always encodes those by their fixed ids below 1024 and refuses a block that declares them.
pub(super) fn is_default(id: u64, name: &str) -> bool {
    SymbolTable::new().get_symbol(id) == Some(name)
}
