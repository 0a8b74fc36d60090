//! What a server keeps of what it read: buyers' lot pages while nothing is committed since
//! they were read, under the rule by which a kept page equals a fresh read.

use super::Actor;
use crate::db::changes::Token;
use crate::domain::ids::{LineId, LotId};
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::watch;

/// Lot pages as read for buyers, kept by the server while nothing is committed to the
/// database (by this process or another: a [`Token`] is read before every view and compared)
/// and until the next moment at which the page would read differently without a write —
/// a deadline of the lot, its framework's start or end, the session's idle or longest time,
/// or the minute after which the session's use is to be noted. A kept page is then what a
/// fresh read would give, and a view of it costs the token alone. Each page is kept with the
/// token it was read under and serves every view whose token it covers ([`Token::covers`]):
/// a commit makes a page stale only for views that come after it, and a page read under a
/// later token is never replaced by one read under an earlier. Staff and suppliers read
/// afresh on every view. At most [`PAGES_KEPT`] pages are kept.
pub struct KeptPages<P>(Mutex<Kept<P>>);

/// How many pages a server keeps at most.
pub const PAGES_KEPT: usize = 512;

struct Kept<P> {
    /// Each page with the token it was read under.
    pages: HashMap<PageKey, (Token, KeptPage<P>)>,
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
    lines_after: Option<LineId>,
}

impl PageKey {
    pub fn new(secret: &str, lot: LotId, lines_after: Option<LineId>) -> Self {
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
        // A page kept under a later token holds everything this request must see too.
        self.kept()
            .pages
            .get(key)
            .filter(|(read_under, page)| read_under.covers(token) && now < page.until)
            .map(|(_, page)| (page.actor.clone(), page.data.clone()))
    }

    /// Who reads page `key`, not kept under `token`: this request, or one reading it already
    /// under the same token. Under a steady stream of commits every view after a commit
    /// misses; without turns each of the views that come while the first read runs would
    /// read the same page again.
    pub fn turn(pages: &Arc<Self>, key: &PageKey, token: &Token) -> Turn<P> {
        let mut kept = pages.kept();
        if let Some(reading) = kept.reading.get(key) {
            if reading.token.covers(token) {
                return Turn::Wait(reading.done.subscribe());
            }
        }
        kept.next_reading += 1;
        let id = kept.next_reading;
        let (done, _) = watch::channel(());
        let reading = Reading {
            token: *token,
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
        if let Some((read_under, _)) = kept.pages.get(&key) {
            if !token.covers(read_under) {
                // Read under a later token already: this one, read before, may be older.
                return;
            }
        }
        if kept.pages.len() >= PAGES_KEPT {
            // Pages of earlier tokens serve only views that came before this one's token.
            kept.pages
                .retain(|_, (read_under, _)| read_under.covers(&token));
            if kept.pages.len() >= PAGES_KEPT {
                kept.pages.clear();
            }
        }
        kept.pages.insert(key, (token, page));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn turn(pages: &Arc<KeptPages<()>>, key: &PageKey, version: u64) -> Turn<()> {
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

    fn kept_page(data: u32) -> KeptPage<u32> {
        let actor = Actor {
            id: crate::domain::ids::UserId(1),
            name: "Käufer".into(),
            email: "einkauf@example.org".into(),
            role: crate::domain::account::Role::Buyer,
            member_id: Some(crate::domain::ids::MemberId(1)),
            supplier_id: None,
            language: crate::domain::account::Language::De,
            joined_at: chrono::DateTime::UNIX_EPOCH,
        };
        KeptPage {
            actor,
            data: Arc::new(data),
            until: NaiveDateTime::MAX,
        }
    }

    #[tokio::test]
    async fn a_view_under_an_earlier_token_takes_or_waits_for_a_later_page_never_the_reverse() {
        let pages = Arc::new(KeptPages::<u32>::default());
        let key = PageKey::new("secret-a", LotId(7), None);
        let at = |version| Token::at_version(version);
        let now = NaiveDateTime::MIN;
        let Turn::Read(later) = KeptPages::turn(&pages, &key, &at(2)) else {
            panic!("reads");
        };
        assert!(
            matches!(KeptPages::turn(&pages, &key, &at(1)), Turn::Wait(_)),
            "what the later read gives holds all an earlier view must see"
        );
        pages.keep(key.clone(), at(2), kept_page(2));
        drop(later);
        assert_eq!(pages.page(&key, &at(1), now).map(|(_, p)| *p), Some(2));
        assert_eq!(pages.page(&key, &at(2), now).map(|(_, p)| *p), Some(2));
        assert!(pages.page(&key, &at(3), now).is_none(), "a commit since");
        // A read under the earlier token that ends late does not replace it.
        pages.keep(key.clone(), at(1), kept_page(1));
        assert_eq!(pages.page(&key, &at(2), now).map(|(_, p)| *p), Some(2));
        // Another session's page kept under a later token leaves this one to the views it
        // covers; the other page serves its own views only from its token on.
        let other = PageKey::new("secret-b", LotId(7), None);
        pages.keep(other.clone(), at(3), kept_page(3));
        assert_eq!(pages.page(&key, &at(2), now).map(|(_, p)| *p), Some(2));
        assert!(pages.page(&key, &at(3), now).is_none());
        assert_eq!(pages.page(&other, &at(3), now).map(|(_, p)| *p), Some(3));
        pages.keep(key.clone(), at(4), kept_page(4));
        assert_eq!(pages.page(&key, &at(3), now).map(|(_, p)| *p), Some(4));
        assert!(pages.page(&other, &at(4), now).is_none());
    }
}
