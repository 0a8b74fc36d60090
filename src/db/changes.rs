//! Whether anything was committed to the database between two moments, by this process or
//! any other: a [`Token`] read at each. Equal tokens mean that nothing was committed in
//! between, so what was read after the first still holds at the second.

use super::Backend;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::oneshot;

/// What the database had committed at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token(Committed);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Committed {
    /// SQLite's `data_version` on a connection that never writes: it moves with every commit
    /// of any other connection, in this process or another.
    Sqlite(i64),
    /// PostgreSQL's snapshot (`xmin:xmax:in-progress`): two equal snapshots see the same
    /// committed transactions, and what became visible between them is visible to both.
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

/// A lock that a panic elsewhere does not poison: what it guards stays whole.
fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The watch's thread: takes every request waiting, reads the token once for all of them
/// (the query is sent after each of them came), and answers; ends once the watch is gone.
fn answer_requests(waiting: &Weak<Waiting>, backend: &Backend) {
    let mut conn = None;
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
        let token = read(&mut conn, backend);
        if token.is_err() {
            // Opened afresh for the next requests.
            conn = None;
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

fn read(conn: &mut Option<Conn>, backend: &Backend) -> Result<Token, Unknown> {
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
    read.map(Token).map_err(|e| Unknown(e.to_string()))
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
