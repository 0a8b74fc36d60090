//! What a server keeps of what it read: the indicative tiers of lots whose terms are fixed,
//! and buyers' lot pages while nothing is committed. Each store has the rule under which a
//! kept value equals a fresh read.

use super::Actor;
use crate::db::changes::Token;
use crate::db::{lots, DbConnection};
use crate::domain::lot::IndicativeTier;
use crate::domain::rules::LotState;
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The indicative tiers of lots whose terms are fixed ([`LotState::terms_fixed`]), kept by
/// the server once read: they cannot change (and lots are never deleted), so every server
/// may keep its own copy without asking the database again — a lot's page read them on every
/// view. At most [`FIXED_TIERS_KEPT`] lots are kept; past that the store starts afresh.
#[derive(Debug, Default)]
pub struct FixedTiers(Mutex<HashMap<i64, Arc<[IndicativeTier]>>>);

/// How many lots' tiers a server keeps at most (a lot has a few; a thousand at most).
pub const FIXED_TIERS_KEPT: usize = 4096;

impl FixedTiers {
    /// The indicative tiers of `lot` in `state`: kept ones once its terms are fixed, read
    /// otherwise.
    pub(super) fn of(
        &self,
        conn: &mut DbConnection,
        lot: i64,
        state: &LotState,
    ) -> Result<Vec<IndicativeTier>, crate::db::Error> {
        if !state.terms_fixed() {
            return lots::indicative_tiers(conn, lot);
        }
        if let Some(tiers) = self.kept().get(&lot) {
            return Ok(tiers.to_vec());
        }
        let tiers = lots::indicative_tiers(conn, lot)?;
        let mut kept = self.kept();
        if kept.len() >= FIXED_TIERS_KEPT {
            kept.clear();
        }
        kept.insert(lot, tiers.as_slice().into());
        Ok(tiers)
    }

    fn kept(&self) -> MutexGuard<'_, HashMap<i64, Arc<[IndicativeTier]>>> {
        crate::locked(&self.0)
    }
}

/// Lot pages as read for buyers, kept by the server while nothing is committed to the
/// database (by this process or another: a [`Token`] is read before every view and compared)
/// and until the next moment at which the page would read differently without a write —
/// a deadline of the lot, its framework's start or end, the session's idle or longest time,
/// or the minute after which the session's use is to be noted. A kept page is then what a
/// fresh read would give, and a view of it costs the token alone. Staff and suppliers read
/// afresh on every view. At most [`PAGES_KEPT`] pages are kept, all of the latest token.
pub struct KeptPages<P>(Mutex<Kept<P>>);

/// How many pages a server keeps at most.
pub const PAGES_KEPT: usize = 512;

struct Kept<P> {
    token: Option<Token>,
    pages: HashMap<PageKey, KeptPage<P>>,
}

impl<P> Default for Kept<P> {
    fn default() -> Self {
        Kept {
            token: None,
            pages: HashMap::new(),
        }
    }
}

impl<P> Default for KeptPages<P> {
    fn default() -> Self {
        KeptPages(Mutex::default())
    }
}

/// A page as one session views it: the session's secret, the lot, where its own lines
/// start.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    secret: String,
    pub(super) lot: i64,
    lines_after: Option<i64>,
}

impl PageKey {
    pub fn new(secret: &str, lot: i64, lines_after: Option<i64>) -> Self {
        PageKey {
            secret: secret.to_string(),
            lot,
            lines_after,
        }
    }
}

pub(super) struct KeptPage<P> {
    pub(super) actor: Actor,
    pub(super) data: Arc<P>,
    pub(super) until: NaiveDateTime,
}

impl<P> KeptPages<P> {
    fn kept(&self) -> MutexGuard<'_, Kept<P>> {
        crate::locked(&self.0)
    }

    /// The page `key` with its session's user, if it is kept under `token` as of `now`.
    pub fn page(
        &self,
        key: &PageKey,
        token: &Token,
        now: NaiveDateTime,
    ) -> Option<(Actor, Arc<P>)> {
        let kept = self.kept();
        if kept.token.as_ref() != Some(token) {
            return None;
        }
        kept.pages
            .get(key)
            .filter(|page| now < page.until)
            .map(|page| (page.actor.clone(), page.data.clone()))
    }

    pub(super) fn keep(&self, key: PageKey, token: Token, page: KeptPage<P>) {
        let mut kept = self.kept();
        if kept.token.as_ref() != Some(&token) {
            kept.token = Some(token);
            kept.pages.clear();
        } else if kept.pages.len() >= PAGES_KEPT {
            kept.pages.clear();
        }
        kept.pages.insert(key, page);
    }
}
