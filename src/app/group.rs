//! Group commit: writes that arrive while one is being stored wait and are stored together,
//! so a busy server runs one transaction for many of them instead of one each.

use crate::db::{DbConnection, Pool};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::oneshot;

/// The writes waiting to be stored, and their writer.
pub struct GroupCommit<T, R> {
    queue: Mutex<Queue<T, R>>,
    arrived: Condvar,
    most: usize,
}

struct Queue<T, R> {
    waiting: Vec<(T, oneshot::Sender<R>)>,
    writer: bool,
}

/// Stores a group of writes; answers each, in the order given.
pub type WriteAll<T, R> = fn(&mut DbConnection, &[T]) -> Vec<R>;

/// How long the writer waits for more work before its thread ends.
const IDLE: Duration = Duration::from_millis(200);

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    /// At most `most` writes are stored together.
    pub fn new(most: usize) -> Arc<Self> {
        Arc::new(GroupCommit {
            queue: Mutex::new(Queue {
                waiting: Vec::new(),
                writer: false,
            }),
            arrived: Condvar::new(),
            most: most.max(1),
        })
    }

    fn queue(&self) -> MutexGuard<'_, Queue<T, R>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands `item` over and waits for its answer. The writer is one thread that stores
    /// what is waiting, group after group, each on a pooled connection, and ends when
    /// nothing has come for a while; the first write to find none starts it. One thread,
    /// so that what a group allocates is freed where it was allocated and reused by the
    /// next. `None` if its group could not be stored to the end (no connection could be
    /// had, or storing panicked): the write may or may not be stored, as when a connection
    /// breaks during a commit.
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
            !std::mem::replace(&mut queue.writer, true)
        };
        if start {
            let (group, pool) = (self.clone(), pool.clone());
            let spawned = std::thread::Builder::new()
                .name("group-writer".into())
                .spawn(move || group.write_while_busy(&pool, write));
            if let Err(error) = spawned {
                tracing::error!(%error, "no thread for the group writer");
                let mut queue = self.queue();
                queue.writer = false;
                // Their senders dropped: each waiting write is told it was not stored.
                queue.waiting.clear();
            }
        } else {
            self.arrived.notify_one();
        }
        answered.await.ok()
    }

    /// The writer's thread: stores groups until none comes within [`IDLE`]. It keeps one
    /// pooled connection while writes are waiting (taking one for each group would queue
    /// the writer behind the requests waiting for a connection, and every write with it)
    /// and gives it back whenever none is, so that the requests that check new writes can
    /// have it — with a pool of one connection, too.
    fn write_while_busy(&self, pool: &Pool, write: WriteAll<T, R>) {
        let mut conn = None;
        loop {
            let group: Vec<_> = {
                let mut queue = self.queue();
                while queue.waiting.is_empty() {
                    if conn.is_some() {
                        drop(queue);
                        conn = None;
                        queue = self.queue();
                        continue;
                    }
                    let (waited, timeout) = self
                        .arrived
                        .wait_timeout(queue, IDLE)
                        .unwrap_or_else(PoisonError::into_inner);
                    queue = waited;
                    if timeout.timed_out() && queue.waiting.is_empty() {
                        // Under the same lock a new write looks for a writer: it starts one.
                        queue.writer = false;
                        return;
                    }
                }
                let take = queue.waiting.len().min(self.most);
                queue.waiting.drain(..take).collect()
            };
            let (items, answers): (Vec<T>, Vec<_>) = group.into_iter().unzip();
            let db = match conn {
                Some(ref mut db) => db,
                None => match pool.get() {
                    Ok(got) => conn.insert(got),
                    Err(error) => {
                        tracing::error!(%error, "the group writer found no connection");
                        continue;
                    }
                },
            };
            match catch_unwind(AssertUnwindSafe(|| write(db, &items))) {
                Ok(results) => {
                    for (answer, result) in answers.into_iter().zip(results) {
                        // A client that went away no longer waits for its answer.
                        let _ = answer.send(result);
                    }
                }
                Err(_) => {
                    tracing::error!("storing a group of writes panicked");
                    // A connection left inside a transaction is not used again.
                    conn = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn pool() -> (Pool, tempfile::TempDir) {
        pool_of(2)
    }

    fn pool_of(size: u32) -> (Pool, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("group.db").to_string_lossy().into_owned();
        let pool = crate::db::connect(&crate::db::Backend::Sqlite(path), size).expect("pool");
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
    async fn a_group_that_fails_is_told_so_and_the_writes_behind_it_are_stored() {
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
        assert_eq!(first.await.expect("task"), None, "its group failed");
        for (write, n) in behind.into_iter().zip(2..) {
            assert_eq!(
                write.await.expect("task"),
                Some(n),
                "stored after the failure"
            );
        }
        assert_eq!(
            CALLS.load(Ordering::SeqCst),
            2,
            "the four behind as one group"
        );
        assert_eq!(group.submit(&pool, 7, fail_first).await, Some(7));
    }

    fn echo(_: &mut DbConnection, items: &[u64]) -> Vec<u64> {
        items.to_vec()
    }

    /// The writer gives its connection back as soon as nothing waits, not after it has
    /// idled: with a pool of one connection, the request that checks the next write needs
    /// it (the writer idles for 200 ms; this waits at most 150 ms).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_writer_gives_its_connection_back_when_nothing_waits() {
        let (pool, _dir) = pool_of(1);
        let group = GroupCommit::new(64);
        for n in 0..10u64 {
            assert_eq!(group.submit(&pool, n, echo).await, Some(n));
            let pool = pool.clone();
            let next = tokio::task::spawn_blocking(move || {
                pool.get_timeout(Duration::from_millis(150)).is_ok()
            });
            assert!(
                next.await.expect("task"),
                "write {n}: the connection is free again"
            );
        }
    }
}
