//! Whether anything was committed to the database between two moments, by this process or
//! any other: a [`Token`] read at each. Equal tokens mean that nothing was committed in
//! between, so what was read after the first still holds at the second.

use super::Backend;
use crate::locked;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;
use tokio::sync::oneshot;

/// What the database had committed at one moment, as one [`Watch`] read it: the watch
/// counts each value it reads that differs from the one before, so tokens of one watch are
/// ordered, and of two tokens the later one also holds everything the earlier one does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token(u64);

impl Token {
    /// The token of the watch's `generation`th value, for tests of what keeps pages by token.
    #[cfg(test)]
    pub(crate) fn at_version(generation: u64) -> Token {
        Token(generation)
    }

    /// Whether what was read under this token holds everything committed by `other`: it is
    /// the same token or a later one of the same watch.
    pub fn covers(&self, other: &Token) -> bool {
        self.0 >= other.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Committed {
    /// SQLite's `data_version` on a connection that never writes: it moves with every commit
    /// of any other connection, in this process or another.
    Sqlite(i64),
    /// PostgreSQL's snapshot (`xmin:xmax:in-progress`): two equal snapshots see the same
    /// committed transactions, and what became visible between them is visible to both. Its
    /// `xmax` follows the latest completed transaction, so a write that has begun but not
    /// committed does not move it.
    Postgres(String),
}

/// Why no token could be read (the database did not answer); whoever asked reads afresh.
#[derive(Debug, Clone, thiserror::Error)]
#[error("what the database has committed is not known: {0}")]
pub struct Unknown(String);

/// How long a request waits for a token before it reads afresh without one.
const PATIENCE: Duration = Duration::from_secs(2);

/// Reads tokens on a thread of its own, with a connection of its own apart from the pool,
/// by one query that answers every request waiting when it is sent: on SQLite the
/// connection's `data_version` (it never writes, and a connection's `data_version` does not
/// move with its own commits), on PostgreSQL the current snapshot.
pub struct Watch(Arc<Waiting>);

/// Requests for a token that the next query answers.
struct Waiting {
    requests: Mutex<Vec<oneshot::Sender<Result<Token, Unknown>>>>,
    came: Condvar,
}

impl Watch {
    /// Starts the watch's thread; its connection is opened when first needed.
    pub fn open(backend: &Backend) -> std::io::Result<Self> {
        let waiting = Arc::new(Waiting {
            requests: Mutex::new(Vec::new()),
            came: Condvar::new(),
        });
        let (weak, backend) = (Arc::downgrade(&waiting), backend.clone());
        std::thread::Builder::new()
            .name("sammelkauf-watch".into())
            .spawn(move || answer_requests(&weak, &backend))?;
        Ok(Watch(waiting))
    }

    /// What the database has committed by now: never read before this call began, so a
    /// write that was done before it is always in it.
    pub async fn now(&self) -> Result<Token, Unknown> {
        let (answer, answered) = oneshot::channel();
        let first = {
            let mut requests = locked(&self.0.requests);
            requests.push(answer);
            requests.len() == 1
        };
        // The thread sleeps only while no request waits.
        if first {
            self.0.came.notify_one();
        }
        match tokio::time::timeout(PATIENCE, answered).await {
            Ok(Ok(token)) => token,
            Ok(Err(_)) => Err(Unknown("the watch has stopped".into())),
            Err(_) => Err(Unknown("no answer in time".into())),
        }
    }
}

/// The watch's thread: takes every request waiting, reads the token once for all of them
/// (the query is sent after each of them came), and answers; ends once the watch is gone.
fn answer_requests(waiting: &Weak<Waiting>, backend: &Backend) {
    let mut conn = None;
    // The value read last, and how many values that differed from the one before were read.
    let (mut latest, mut generation): (Option<Committed>, u64) = (None, 0);
    loop {
        let Some(shared) = waiting.upgrade() else {
            return;
        };
        let requests = {
            let mut requests = locked(&shared.requests);
            if requests.is_empty() {
                // Wakes now and then to notice that the watch is gone.
                requests = shared
                    .came
                    .wait_timeout(requests, Duration::from_secs(1))
                    .map_or_else(|poisoned| poisoned.into_inner().0, |(guard, _)| guard);
            }
            std::mem::take(&mut *requests)
        };
        drop(shared);
        if requests.is_empty() {
            continue;
        }
        let token = read(&mut conn, backend).map(|committed| {
            if latest.as_ref() != Some(&committed) {
                generation += 1;
                latest = Some(committed);
            }
            Token(generation)
        });
        if token.is_err() {
            // Opened afresh for the next requests; what it reads first is a new generation
            // (a new connection's SQLite `data_version` starts again).
            conn = None;
            latest = None;
        }
        for request in requests {
            // A request that gave up waiting no longer listens.
            let _ = request.send(token.clone());
        }
    }
}

/// The watch's own connection.
enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

fn read(conn: &mut Option<Conn>, backend: &Backend) -> Result<Committed, Unknown> {
    let conn = match conn {
        Some(conn) => conn,
        None => conn.insert(connect(backend).map_err(|e| Unknown(e.to_string()))?),
    };
    let read = match conn {
        Conn::Sqlite(c) => diesel::select(diesel::dsl::sql::<BigInt>(
            "data_version FROM pragma_data_version()",
        ))
        .get_result(c)
        .map(Committed::Sqlite),
        Conn::Postgres(c) => {
            diesel::select(diesel::dsl::sql::<Text>("pg_current_snapshot()::text"))
                .get_result(c)
                .map(Committed::Postgres)
        }
    };
    read.map_err(|e| Unknown(e.to_string()))
}

fn connect(backend: &Backend) -> Result<Conn, diesel::ConnectionError> {
    Ok(match backend {
        Backend::Postgres(url) => Conn::Postgres(PgConnection::establish(url)?),
        Backend::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(path)?;
            conn.batch_execute("PRAGMA busy_timeout = 15000; PRAGMA query_only = ON;")
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Conn::Sqlite(conn)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{connect, Pool};

    fn database() -> (Backend, Pool, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("watch.db").to_string_lossy().into_owned();
        let backend = Backend::Sqlite(path);
        let pool = connect(&backend, 2).expect("pool");
        (backend, pool, dir)
    }

    fn commit(pool: &Pool, n: usize) {
        let mut conn = pool.get().expect("conn");
        conn.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS t (n INTEGER); INSERT INTO t VALUES ({n});"
        ))
        .expect("commit");
    }

    #[tokio::test]
    async fn the_token_moves_with_every_commit_and_only_then() {
        let (backend, pool, _dir) = database();
        let watch = Watch::open(&backend).expect("watch");
        let first = watch.now().await.expect("token");
        assert_eq!(
            watch.now().await.expect("token"),
            first,
            "nothing committed"
        );
        commit(&pool, 1);
        let second = watch.now().await.expect("token");
        assert_ne!(second, first, "a commit of another connection");
        assert!(
            second.covers(&first) && !first.covers(&second),
            "the later holds more"
        );
        assert!(first.covers(&first));
        assert_eq!(watch.now().await.expect("token"), second);
        // Another process's commit moves it too.
        let Backend::Sqlite(path) = &backend else {
            unreachable!()
        };
        let mut other = SqliteConnection::establish(path).expect("another connection");
        other
            .batch_execute("INSERT INTO t VALUES (2);")
            .expect("commit");
        assert_ne!(watch.now().await.expect("token"), second);
    }

    /// Requests that come at the same instant share a query, but none gets a token read
    /// before it came: a commit finished before they came is in every answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_at_the_same_instant_never_get_a_token_older_than_themselves() {
        let (backend, pool, _dir) = database();
        let watch = Arc::new(Watch::open(&backend).expect("watch"));
        let mut before = watch.now().await.expect("token");
        for round in 0..20 {
            commit(&pool, round);
            let start = Arc::new(tokio::sync::Barrier::new(16));
            let asking: Vec<_> = (0..16)
                .map(|_| {
                    let (watch, start) = (watch.clone(), start.clone());
                    tokio::spawn(async move {
                        start.wait().await;
                        watch.now().await.expect("token")
                    })
                })
                .collect();
            let mut answers = Vec::new();
            for asked in asking {
                answers.push(asked.await.expect("request"));
            }
            assert!(
                answers.iter().all(|token| *token != before),
                "round {round}: a token from before the commit"
            );
            before = answers.pop().expect("answer");
        }
    }

    /// On PostgreSQL (`TEST_DATABASE_URL`): a write transaction that has begun writing does
    /// not move the token, its commit does.
    #[tokio::test]
    async fn on_postgresql_the_token_moves_with_commits_not_with_open_writes() {
        let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
            eprintln!(
                "*** SKIPPED on_postgresql_the_token_moves_with_commits_not_with_open_writes: \
                 TEST_DATABASE_URL is not set"
            );
            return;
        };
        let url = if admin.contains('?') {
            admin
        } else {
            format!("{admin}?sslmode=disable")
        };
        let backend = Backend::Postgres(url.clone());
        let watch = Watch::open(&backend).expect("watch");
        let mut writer = PgConnection::establish(&url).expect("connect");
        writer
            .batch_execute("CREATE TEMPORARY TABLE watched (n INTEGER)")
            .expect("table");
        let before = watch.now().await.expect("token");
        writer
            .batch_execute("BEGIN; INSERT INTO watched VALUES (1)")
            .expect("open write");
        let id: String = diesel::select(diesel::dsl::sql::<Text>("pg_current_xact_id()::text"))
            .get_result(&mut writer)
            .expect("the transaction has an id");
        assert!(!id.is_empty());
        assert_eq!(
            watch.now().await.expect("token"),
            before,
            "an open write changes nothing that can be read"
        );
        writer.batch_execute("COMMIT").expect("commit");
        assert_ne!(watch.now().await.expect("token"), before, "a commit");
    }

    #[tokio::test]
    async fn a_watch_that_cannot_read_says_so() {
        let watch =
            Watch::open(&Backend::Sqlite("/nonexistent/folder/watch.db".into())).expect("watch");
        assert!(watch.now().await.is_err());
    }
}
