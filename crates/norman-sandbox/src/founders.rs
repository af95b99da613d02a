//! Records a person owns rather than a company: the drafts of the founding workflows. A
//! person founds a company before it exists, so these live beside the companies, one
//! partition per demo user, and a request reaches only its caller's partition
//! ([`crate::caller::Founder`]). Another person's draft is therefore simply not found (404),
//! as another company's records are.

use std::ops::{Index, IndexMut};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::drf::error::ApiError;
use crate::store::{Record, str_of};
use crate::users::ALL_DEMO_USERS;

/// The three founding workflows; a person has at most one draft of each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DraftKind {
    /// `incorporations/`: founding a GmbH or UG.
    Incorporation,
    /// `gewerbe-registrations/`: the trade-office registration (GewA 1).
    Gewerbe,
    /// `corporate-tax-registrations/`: the tax office's questionnaire for the new company.
    CorporateTax,
}

/// One person's drafts.
#[derive(Default)]
pub(crate) struct Drafts {
    slots: [Option<Record>; 3],
}

impl Drafts {
    /// The draft of `kind` whose `publicId` is `id`; anything else, including a draft of
    /// another person (which is not in this partition), is 404.
    pub(crate) fn owned(&self, kind: DraftKind, id: &str) -> Result<&Record, ApiError> {
        self[kind].as_ref().filter(|r| str_of(r, "publicId") == id).ok_or(ApiError::NotFound)
    }

    pub(crate) fn owned_mut(&mut self, kind: DraftKind, id: &str) -> Result<&mut Record, ApiError> {
        self[kind].as_mut().filter(|r| str_of(r, "publicId") == id).ok_or(ApiError::NotFound)
    }
}

impl Index<DraftKind> for Drafts {
    type Output = Option<Record>;

    fn index(&self, kind: DraftKind) -> &Option<Record> {
        &self.slots[kind as usize]
    }
}

impl IndexMut<DraftKind> for Drafts {
    fn index_mut(&mut self, kind: DraftKind) -> &mut Option<Record> {
        &mut self.slots[kind as usize]
    }
}

/// Every demo user's drafts, by user index, each behind its own lock.
pub(crate) struct Founders {
    partitions: Vec<RwLock<Drafts>>,
}

impl Founders {
    pub(crate) fn new() -> Founders {
        Founders { partitions: ALL_DEMO_USERS.iter().map(|_| RwLock::default()).collect() }
    }

    /// The partition of `user`. Callers come from a verified token, so the index exists.
    fn partition(&self, user: usize) -> Result<&RwLock<Drafts>, ApiError> {
        self.partitions.get(user).ok_or(ApiError::NotFound)
    }

    /// A poisoned lock only means an earlier handler panicked mid-write; see
    /// [`crate::store::CompanyState::read`].
    pub(crate) fn read(&self, user: usize) -> Result<RwLockReadGuard<'_, Drafts>, ApiError> {
        Ok(self.partition(user)?.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn write(&self, user: usize) -> Result<RwLockWriteGuard<'_, Drafts>, ApiError> {
        Ok(self.partition(user)?.write().unwrap_or_else(|e| e.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::obj;

    #[test]
    fn a_draft_is_found_by_its_own_kind_and_id_only() {
        let founders = Founders::new();
        founders.write(0).map(|mut d| d[DraftKind::Gewerbe] = Some(obj(json!({ "publicId": "gew_a" })))).ok();
        let mine = founders.read(0).ok();
        let mine = mine.as_deref().map(|d| d.owned(DraftKind::Gewerbe, "gew_a").is_ok());
        assert_eq!(mine, Some(true));
        let read = |user, kind, id| founders.read(user).map(|d| d.owned(kind, id).is_ok()).ok();
        assert_eq!(read(0, DraftKind::Incorporation, "gew_a"), Some(false), "another kind");
        assert_eq!(read(0, DraftKind::Gewerbe, "gew_b"), Some(false), "another id");
        assert_eq!(read(1, DraftKind::Gewerbe, "gew_a"), Some(false), "another person");
        assert_eq!(read(ALL_DEMO_USERS.len(), DraftKind::Gewerbe, "gew_a"), None, "no such person");
    }
}
