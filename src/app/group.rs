//! Group commit: writes that arrive while one is being stored wait and are stored together,
//! so a busy server runs one transaction for many of them instead of one each.

use super::StoreError;
use crate::db::{DbConnection, Pool};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::oneshot;

/// The writes waiting to be stored and whether a writer is storing.
pub struct GroupCommit<T, R> {
    queue: Mutex<Queue<T, R>>,
    most: usize,
}

struct Queue<T, R> {
    waiting: Vec<(T, oneshot::Sender<R>)>,
    writing: bool,
}

/// Stores a group of writes; answers each, in the order given.
pub type WriteAll<T, R> = fn(&mut DbConnection, &[T]) -> Vec<R>;

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    /// At most `most` writes are stored together.
    pub fn new(most: usize) -> Arc<Self> {
        Arc::new(GroupCommit {
            queue: Mutex::new(Queue {
                waiting: Vec::new(),
                writing: false,
            }),
            most: most.max(1),
        })
    }

    fn queue(&self) -> MutexGuard<'_, Queue<T, R>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `item` over and waits for its answer. The first write to find no writer
    /// starts one on a pooled connection, which stores what is waiting, group after group,
    /// until nothing is. `None` if the writer stopped before answering (no connection could
    /// be had, or storing panicked): the write may or may not be stored, as when a
    /// connection breaks during a commit.
    pub async fn submit(
        self: &Arc<Self>,
        pool: &Pool,
        item: T,
        write: WriteAll<T, R>,
    ) -> Option<R> {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut queue = self.queue();
            queue.waiting.push((item, answer));
            !std::mem::replace(&mut queue.writing, true)
        };
        if start {
            let writer = Writer {
                group: self.clone(),
                done: false,
            };
            let pool = pool.clone();
            // The writer runs on its own: this write's answer may come long before the
            // writer runs out of work.
            tokio::spawn(async move {
                let stored = super::run(&pool, move |conn| {
                    let mut writer = writer;
                    writer.store_all(conn, write);
                    Ok::<_, StoreError>(())
                })
                .await;
                if let Err(error) = stored {
                    tracing::error!(%error, "the group writer stopped");
                }
            });
        }
        answered.await.ok()
    }
}

/// The one writer of a group: it leaves `writing` set only while it runs. Should it stop
/// before the queue is empty (a panic while storing, or no connection to run on), it clears
/// the queue, so that no write waits for a writer that will never come.
struct Writer<T, R> {
    group: Arc<GroupCommit<T, R>>,
    done: bool,
}

impl<T, R> Writer<T, R> {
    fn store_all(&mut self, conn: &mut DbConnection, write: WriteAll<T, R>) {
        loop {
            let group: Vec<_> = {
                let mut queue = self
                    .group
                    .queue
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if queue.waiting.is_empty() {
                    // Under the same lock a new write looks for a writer: it starts one.
                    queue.writing = false;
                    self.done = true;
                    return;
                }
                let take = queue.waiting.len().min(self.group.most);
                queue.waiting.drain(..take).collect()
            };
            let (items, answers): (Vec<T>, Vec<_>) = group.into_iter().unzip();
            let results = write(conn, &items);
            for (answer, result) in answers.into_iter().zip(results) {
                // A client that went away no longer waits for its answer.
                let _ = answer.send(result);
            }
        }
    }
}

impl<T, R> Drop for Writer<T, R> {
    fn drop(&mut self) {
        if !self.done {
            let mut queue = self
                .group
                .queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            queue.writing = false;
            // Their senders dropped: each waiting write is told its writer stopped.
            queue.waiting.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn pool() -> (Pool, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("group.db").to_string_lossy().into_owned();
        let pool = crate::db::connect(&crate::db::Backend::Sqlite(path), 2).expect("pool");
        (pool, dir)
    }

    static GROUPS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

    /// Answers each number doubled, slowly, noting the size of each group.
    fn double(_: &mut DbConnection, items: &[u64]) -> Vec<u64> {
        GROUPS.lock().unwrap().push(items.len());
        std::thread::sleep(std::time::Duration::from_millis(30));
        items.iter().map(|n| n * 2).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_that_arrive_together_are_written_together_and_each_gets_its_answer() {
        let (pool, _dir) = pool();
        let group = GroupCommit::new(8);
        let start = Arc::new(tokio::sync::Barrier::new(40));
        let writes: Vec<_> = (0..40u64)
            .map(|n| {
                let (group, pool, start) = (group.clone(), pool.clone(), start.clone());
                tokio::spawn(async move {
                    start.wait().await;
                    group.submit(&pool, n, double).await
                })
            })
            .collect();
        for (n, write) in writes.into_iter().enumerate() {
            assert_eq!(write.await.expect("task"), Some(n as u64 * 2));
        }
        let groups = GROUPS.lock().unwrap().clone();
        assert_eq!(
            groups.iter().sum::<usize>(),
            40,
            "each write once: {groups:?}"
        );
        assert!(
            groups.iter().all(|&n| n <= 8),
            "at most 8 together: {groups:?}"
        );
        assert!(groups.len() < 40, "some written together: {groups:?}");
        // Nothing waits any more, and the next write finds a writer.
        assert_eq!(group.submit(&pool, 21, double).await, Some(42));
    }

    static CALLS: AtomicUsize = AtomicUsize::new(0);

    /// Fails (panics) on its first group, answers later ones.
    fn fail_first(_: &mut DbConnection, items: &[u64]) -> Vec<u64> {
        if CALLS.fetch_add(1, Ordering::SeqCst) == 0 {
            std::thread::sleep(std::time::Duration::from_millis(200));
            panic!("storing failed");
        }
        items.to_vec()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_that_fails_leaves_no_write_waiting_and_the_next_write_gets_a_new_one() {
        let (pool, _dir) = pool();
        let group = GroupCommit::new(64);
        let first = {
            let (group, pool) = (group.clone(), pool.clone());
            tokio::spawn(async move { group.submit(&pool, 1, fail_first).await })
        };
        // Wait until the first write is being stored, then queue more behind it.
        while CALLS.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let behind: Vec<_> = (2..6u64)
            .map(|n| {
                let (group, pool) = (group.clone(), pool.clone());
                tokio::spawn(async move { group.submit(&pool, n, fail_first).await })
            })
            .collect();
        assert_eq!(first.await.expect("task"), None, "its writer stopped");
        for write in behind {
            // Queued behind a writer that stopped: told so, never left waiting.
            assert_eq!(write.await.expect("task"), None);
        }
        assert_eq!(group.submit(&pool, 7, fail_first).await, Some(7));
    }
}
