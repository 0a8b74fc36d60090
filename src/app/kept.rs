//! What a server keeps of what it read: the indicative tiers of lots whose terms are fixed,
//! and buyers' lot pages while nothing is committed. Each store has the rule under which a
//! kept value equals a fresh read.

use super::Actor;
use crate::db::changes::Token;
use crate::db::{lots, DbConnection};
use crate::domain::ids::LotId;
use crate::domain::lot::IndicativeTier;
use crate::domain::rules::LotState;
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// The indicative tiers of lots whose terms are fixed ([`LotState::terms_fixed`]), kept by
/// the server once read: they cannot change (and lots are never deleted), so every server
/// may keep its own copy without asking the database again — a lot's page read them on every
/// view. At most [`FIXED_TIERS_KEPT`] lots are kept; past that the store starts afresh.
#[derive(Debug, Default)]
pub struct FixedTiers(Mutex<HashMap<LotId, Arc<[IndicativeTier]>>>);

/// How many lots' tiers a server keeps at most (a lot has a few; a thousand at most).
pub const FIXED_TIERS_KEPT: usize = 4096;

impl FixedTiers {
    /// The indicative tiers of `lot` in `state`: kept ones once its terms are fixed, read
    /// otherwise.
    pub(super) fn of(
        &self,
        conn: &mut DbConnection,
        lot: LotId,
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

    fn kept(&self) -> MutexGuard<'_, HashMap<LotId, Arc<[IndicativeTier]>>> {
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
    /// Pages being read afresh now, each under the token read before: requests for the same
    /// page under the same token wait for that read instead of reading it again.
    reading: HashMap<PageKey, Reading>,
    next_reading: u64,
}

struct Reading {
    token: Token,
    id: u64,
    /// Dropped when the read ends, which wakes every request waiting for it.
    done: watch::Sender<()>,
}

impl<P> Default for Kept<P> {
    fn default() -> Self {
        Kept {
            token: None,
            pages: HashMap::new(),
            reading: HashMap::new(),
            next_reading: 0,
        }
    }
}

/// Whose turn it is to read a page that is not kept.
pub enum Turn<P> {
    /// This request reads it; the others wait until the guard is dropped.
    Read(ReadingPage<P>),
    /// Another request is reading the same page under the same token: wait for it, then
    /// look for the page again ([`KeptPages::page`]).
    Wait(watch::Receiver<()>),
}

/// A request's read of a page that others may be waiting for; dropping it (the page read
/// and kept, or not) lets them go on.
pub struct ReadingPage<P> {
    pages: Arc<KeptPages<P>>,
    key: PageKey,
    id: u64,
}

impl<P> Drop for ReadingPage<P> {
    fn drop(&mut self) {
        let mut kept = self.pages.kept();
        if kept.reading.get(&self.key).is_some_and(|r| r.id == self.id) {
            kept.reading.remove(&self.key);
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
    pub(super) lot: LotId,
    lines_after: Option<i64>,
}

impl PageKey {
    pub fn new(secret: &str, lot: LotId, lines_after: Option<i64>) -> Self {
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

    /// Who reads page `key`, not kept under `token`: this request, or one reading it already
    /// under the same token. Under a steady stream of commits every view after a commit
    /// misses; without turns each of the views that come while the first read runs would
    /// read the same page again.
    pub fn turn(pages: &Arc<Self>, key: &PageKey, token: &Token) -> Turn<P> {
        let mut kept = pages.kept();
        if let Some(reading) = kept.reading.get(key) {
            if reading.token == *token {
                return Turn::Wait(reading.done.subscribe());
            }
        }
        kept.next_reading += 1;
        let id = kept.next_reading;
        let (done, _) = watch::channel(());
        let reading = Reading {
            token: token.clone(),
            id,
            done,
        };
        kept.reading.insert(key.clone(), reading);
        Turn::Read(ReadingPage {
            pages: pages.clone(),
            key: key.clone(),
            id,
        })
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn turn(pages: &Arc<KeptPages<()>>, key: &PageKey, version: i64) -> Turn<()> {
        KeptPages::turn(pages, key, &Token::at_version(version))
    }

    #[tokio::test]
    async fn views_of_a_page_being_read_wait_for_that_read_and_only_for_it() {
        let pages = Arc::new(KeptPages::<()>::default());
        let key = PageKey::new("secret-a", LotId(7), None);
        let Turn::Read(first) = turn(&pages, &key, 1) else {
            panic!("the first view reads");
        };
        let Turn::Wait(mut waiting) = turn(&pages, &key, 1) else {
            panic!("a view of the same page under the same token waits");
        };
        assert!(
            matches!(
                turn(&pages, &PageKey::new("secret-b", LotId(7), None), 1),
                Turn::Read(_)
            ),
            "another session's page is read on its own"
        );
        assert!(
            tokio::time::timeout(Duration::from_millis(20), waiting.changed())
                .await
                .is_err(),
            "still reading"
        );
        drop(first);
        tokio::time::timeout(Duration::from_secs(1), waiting.changed())
            .await
            .expect("the end of the read wakes the view")
            .expect_err("the read is over");
        assert!(
            matches!(turn(&pages, &key, 1), Turn::Read(_)),
            "after the read nobody waits for it"
        );
    }

    #[tokio::test]
    async fn a_read_under_an_older_token_neither_holds_up_nor_ends_a_newer_one() {
        let pages = Arc::new(KeptPages::<()>::default());
        let key = PageKey::new("secret-a", LotId(7), None);
        let Turn::Read(old) = turn(&pages, &key, 1) else {
            panic!("reads");
        };
        let Turn::Read(new) = turn(&pages, &key, 2) else {
            panic!("a view after a commit reads for itself");
        };
        drop(old);
        assert!(
            matches!(turn(&pages, &key, 2), Turn::Wait(_)),
            "the newer read still runs"
        );
        drop(new);
        assert!(matches!(turn(&pages, &key, 2), Turn::Read(_)));
    }
}
