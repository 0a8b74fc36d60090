//! Whether anything was committed to the database between two moments, by this process or
//! any other: a [`Token`] read at each. Equal tokens mean that nothing was committed in
//! between, so what was read after the first still holds at the second.

use super::{Backend, DbConnection};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::result::Error;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;
use std::sync::Mutex;

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

/// Reads tokens. On SQLite it holds a connection of its own that never writes (a
/// connection's `data_version` does not move with its own commits, and pooled connections
/// write); on PostgreSQL a token is one query on the connection at hand.
pub struct Watch(Option<Mutex<SqliteConnection>>);

impl Watch {
    pub fn open(backend: &Backend) -> Result<Self, diesel::ConnectionError> {
        match backend {
            Backend::Postgres(_) => Ok(Watch(None)),
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute("PRAGMA busy_timeout = 15000; PRAGMA query_only = ON;")
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(Watch(Some(Mutex::new(conn))))
            }
        }
    }

    /// What the database has committed now, if that is known without a connection of the
    /// pool (SQLite).
    pub fn token_here(&self) -> Option<Result<Token, Error>> {
        let watch = self.0.as_ref()?;
        // A panic elsewhere while holding the lock leaves the connection as it was.
        let mut watch = watch.lock().unwrap_or_else(|p| p.into_inner());
        let version = diesel::select(diesel::dsl::sql::<BigInt>(
            "data_version FROM pragma_data_version()",
        ))
        .get_result(&mut *watch);
        Some(version.map(|v| Token(Committed::Sqlite(v))))
    }

    /// What the database has committed now; `conn` is used on PostgreSQL.
    pub fn token(&self, conn: &mut DbConnection) -> Result<Token, Error> {
        if let Some(token) = self.token_here() {
            return token;
        }
        match conn {
            DbConnection::Pg(pg) => {
                let snapshot =
                    diesel::select(diesel::dsl::sql::<Text>("pg_current_snapshot()::text"))
                        .get_result(pg)?;
                Ok(Token(Committed::Postgres(snapshot)))
            }
            DbConnection::Sqlite(_) => Err(Error::QueryBuilderError(
                "an SQLite database is watched by a connection of its own".into(),
            )),
        }
    }
}
