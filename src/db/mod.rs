//! Database access: one diesel codebase for SQLite (embedded default) and PostgreSQL.

pub mod audit;
pub mod award;
pub mod bundles;
pub mod calendar;
pub mod changes;
pub mod frameworks;
pub mod ids;
pub mod lots;
pub mod orders;
pub mod orgs;
pub mod outbox;
pub mod overview;
pub mod procurement;
pub mod quotes;
pub mod schema;
pub mod sessions;
pub mod throttle;
pub mod time;
pub mod users;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which database a URL names, decided by its scheme alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Postgres(String),
    Sqlite(String),
}

impl Backend {
    /// `postgres://…` or `postgresql://…` is PostgreSQL; `sqlite://PATH`, `sqlite:PATH` or a
    /// plain path is an SQLite file.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let url = url.trim();
        if url.is_empty() {
            return Err("DATABASE_URL is empty".into());
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres(url.to_string()));
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err("DATABASE_URL names no SQLite file".into());
            }
            return Ok(Backend::Sqlite(path.to_string()));
        }
        if url.contains("://") {
            return Err(format!(
                "DATABASE_URL has an unsupported scheme (use postgres://… or sqlite://…): {}",
                url.split("://").next().unwrap_or_default()
            ));
        }
        Ok(Backend::Sqlite(url.to_string()))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, Backend::Sqlite(_))
    }
}

/// Opens connections of the configured backend; SQLite connections get their pragmas here,
/// on every pooled connection.
#[derive(Debug, Clone)]
pub struct Manager {
    backend: Backend,
}

impl Manager {
    fn connect_backend(&self) -> Result<DbConnection, ConnectionError> {
        match &self.backend {
            Backend::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                conn.set_instrumentation(FailedQuery::default());
                Ok(DbConnection::Pg(conn))
            }
            Backend::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(path)?;
                // The busy timeout first: switching to WAL waits for a writer (a demo being
                // seeded, another process) instead of failing the new connection.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 15000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.connect_backend().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// Checked when a connection goes back to the pool, without a query unless one failed:
    /// one that was found closed (the database restarted, the network dropped) or left
    /// inside a broken transaction is closed instead of reused.
    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        use diesel::r2d2::R2D2Connection;
        if std::thread::panicking() || conn.is_broken() {
            return true;
        }
        // diesel sees a PostgreSQL connection as broken only once the client library has
        // noticed the closed socket; the first query after the server ended the backend
        // fails with the server's message, the connection still looks fine and would fail
        // the next request too. After a failed query, one round trip tells.
        match conn {
            DbConnection::Pg(pg) => {
                let failed = pg
                    .instrumentation()
                    .downcast_mut::<FailedQuery>()
                    .is_some_and(|noted| std::mem::take(&mut noted.0));
                failed && pg.batch_execute("SELECT 1").is_err()
            }
            DbConnection::Sqlite(_) => false,
        }
    }
}

/// Notes on a PostgreSQL connection that a query failed since it was last checked.
#[derive(Default)]
struct FailedQuery(bool);

impl diesel::connection::Instrumentation for FailedQuery {
    fn on_connection_event(&mut self, event: diesel::connection::InstrumentationEvent<'_>) {
        if let diesel::connection::InstrumentationEvent::FinishQuery { error: Some(_), .. } = event
        {
            self.0 = true;
        }
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConnection = r2d2::PooledConnection<Manager>;

/// A connection for a short read on the calling thread, without handing it to a database
/// thread and back: only on SQLite, where a page's reads are a few dozen microseconds of
/// work in this process and readers do not wait for the writer (WAL), and only when one is
/// idle right now. A PostgreSQL query waits on the network, which the threads that serve
/// requests must not do.
pub fn idle_sqlite(pool: &Pool, backend: &Backend) -> Option<PooledConnection> {
    if backend.is_sqlite() {
        pool.try_get()
    } else {
        None
    }
}

/// Errors while preparing the database.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] ConnectionError),
    #[error("cannot prepare the database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migrating the database failed: {0}")]
    Migrate(String),
    #[error("cannot create the database pool: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("cannot create the folder for the SQLite database: {0}")]
    Folder(#[from] std::io::Error),
}

/// Runs pending migrations of the backend. On PostgreSQL an advisory lock keeps several
/// starting processes from migrating at once.
pub fn migrate(backend: &Backend) -> Result<usize, SetupError> {
    let manager = Manager {
        backend: backend.clone(),
    };
    if let Backend::Sqlite(path) = backend {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
    }
    match manager.connect_backend()? {
        DbConnection::Pg(mut conn) => {
            conn.batch_execute("SELECT pg_advisory_lock(727274)")?;
            let result = conn
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|done| done.len())
                .map_err(|e| SetupError::Migrate(e.to_string()));
            conn.batch_execute("SELECT pg_advisory_unlock(727274)")?;
            result
        }
        DbConnection::Sqlite(mut conn) => conn
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|done| done.len())
            .map_err(|e| SetupError::Migrate(e.to_string())),
    }
}

/// Connections a server keeps when `DATABASE_POOL_SIZE` does not say: for SQLite 8 (readers
/// work side by side, one writer at a time); for PostgreSQL twice the cores of this machine,
/// at least 4. More connections than that only make more backends wait for the same rows
/// and cores (the lot page on a 2-core machine: 5,400/s with 4, 5,800/s with 12; orders,
/// stored together by one writer that holds one of them while orders wait: 5,700–7,300/s
/// with 4, 5,800–5,900/s with 8; bench/load.sh).
pub fn default_pool_size(backend: &Backend) -> u32 {
    if backend.is_sqlite() {
        8
    } else {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        (2 * cores).max(4)
    }
}

/// Migrates, then builds a pool of at most `size` connections.
pub fn connect(backend: &Backend, size: u32) -> Result<Pool, SetupError> {
    migrate(backend)?;
    let pool = r2d2::Pool::builder()
        .max_size(size)
        .connection_timeout(Duration::from_secs(20))
        // No test query on every checkout (a round trip to PostgreSQL, twice a page): a
        // connection that turns out closed is dropped on its way back (`has_broken`).
        .test_on_check_out(false)
        .build(Manager {
            backend: backend.clone(),
        })?;
    Ok(pool)
}

/// Runs a query on the concrete connection of the backend. Through [`DbConnection`] diesel
/// writes a query's SQL text anew on every run (to hand it to the backend), which costs more
/// than running the prepared statement; on the concrete connection it finds the prepared
/// statement by the query's type and only binds the values. For the queries every page runs.
#[macro_export]
macro_rules! native {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

/// Runs reads that make up one page as one read transaction on SQLite: they see one state
/// of the database, and the file's shared lock is taken once instead of once per query (on a
/// busy server the lock is most of what a small query costs). On PostgreSQL each query runs
/// on its own, as a transaction there would cost two more round trips. `work` must not
/// write: on SQLite a read transaction cannot become a write once another write committed.
pub fn read_together<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    match conn {
        DbConnection::Sqlite(_) => conn.transaction(work),
        DbConnection::Pg(_) => work(conn),
    }
}

/// Runs a write whose SQL has one shape as a prepared statement. diesel prepares (and keeps)
/// only statements it can prove have one shape; an `UPDATE … SET` or an upsert's
/// `DO UPDATE` it never keeps, so PostgreSQL parses and plans them anew on every order. The
/// statement cache is keyed by the SQL text, so keeping such a statement is always correct;
/// use this only where the text has few shapes, so the cache stays small. Run it with
/// `get_result` or `load` (a `RETURNING` column for a write): `execute` hands the statement
/// on by reference, and diesel then asks the statement inside, which says no. diesel
/// documents `is_safe_to_cache_prepared` for backend implementors only; the test
/// `tests/api/statements.rs` notices if a newer diesel stops asking it.
#[derive(Debug, Clone, Copy, diesel::query_builder::QueryId)]
pub struct Prepared<Q>(pub Q);

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> diesel::query_builder::QueryFragment<DB> for Prepared<Q>
where
    DB: diesel::backend::Backend,
    Q: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, C> RunQueryDsl<C> for Prepared<Q> {}

/// Inserts a row and gives back its new id (RETURNING works on both backends, but only on
/// the concrete connection types).
#[macro_export]
macro_rules! insert_returning_id {
    ($conn:expr, $insert:expr, $id:expr) => {
        match $conn {
            $crate::db::DbConnection::Pg(c) => $insert.returning($id).get_result(c),
            $crate::db::DbConnection::Sqlite(c) => $insert.returning($id).get_result(c),
        }
    };
}

/// Is this error SQLite telling us another writer holds the lock?
fn is_busy(error: &diesel::result::Error) -> bool {
    match error {
        diesel::result::Error::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("database is locked") || message.contains("database is busy")
        }
        _ => false,
    }
}

/// SQLite lets one transaction write at a time. Writers of this process take turns here
/// instead of in SQLite's busy handler, which waits by sleeping (up to 100 ms a time) and
/// so wastes most of the time between one writer's commit and the next one's start.
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    /// Whether this thread holds [`SQLITE_WRITER`] (a transaction inside a transaction
    /// takes no second turn).
    static IN_SQLITE_WRITE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `work` in one transaction. Should SQLite report the database busy beyond its
/// timeout (another process writing), the whole transaction is tried again, so users never
/// see that error.
pub fn transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnMut(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error> + AsDbError,
{
    if !matches!(conn, DbConnection::Sqlite(_)) || IN_SQLITE_WRITE.with(|held| held.get()) {
        return transaction_retrying(conn, work);
    }
    /// Marks this thread as the writer while it holds its turn, even if `work` panics.
    struct Turn<'a>(#[allow(dead_code)] std::sync::MutexGuard<'a, ()>);
    impl Drop for Turn<'_> {
        fn drop(&mut self) {
            IN_SQLITE_WRITE.with(|held| held.set(false));
        }
    }
    // A writer that panicked left no transaction open (diesel rolled it back): go on.
    let _turn = Turn(
        SQLITE_WRITER
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    IN_SQLITE_WRITE.with(|held| held.set(true));
    transaction_retrying(conn, work)
}

fn transaction_retrying<T, E>(
    conn: &mut DbConnection,
    mut work: impl FnMut(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error> + AsDbError,
{
    let mut attempt = 0;
    loop {
        match one_transaction(conn, &mut work) {
            Err(e) if attempt < 5 && e.as_db_error().is_some_and(is_busy) => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(20 * (1 << attempt)));
            }
            other => return other,
        }
    }
}

/// Runs `work` in a transaction (a savepoint inside one). On SQLite the outermost
/// transaction takes the write lock with its first statement (`BEGIN IMMEDIATE`, waiting
/// within the busy timeout for a writer of another process), so it cannot fail later when
/// its first write finds that another process wrote since it began reading.
fn one_transaction<T, E>(
    conn: &mut DbConnection,
    work: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConnection as Connection>::TransactionManager;
    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(work);
    };
    if AnsiTransactionManager::transaction_manager_status_mut(sqlite)
        .transaction_depth()?
        .is_some()
    {
        return conn.transaction(work);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    match work(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(error) => match Manager::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(error),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Lets the retry in [`transaction`] look inside an error for a database error.
pub trait AsDbError {
    fn as_db_error(&self) -> Option<&diesel::result::Error>;
}

impl AsDbError for diesel::result::Error {
    fn as_db_error(&self) -> Option<&diesel::result::Error> {
        Some(self)
    }
}

/// Is this error, or the database error inside it, a violation of a unique constraint? A
/// request that raced another with the same key or name ends so; its operation answers with
/// what the other one stored, or with a form error.
pub fn is_unique_violation<E: AsDbError + ?Sized>(error: &E) -> bool {
    matches!(
        error.as_db_error(),
        Some(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _
        ))
    )
}

/// A stored value the product cannot read: which table, row and column. Bad data is an
/// error that names its place, never a silent default.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unreadable stored value in {table} row {id}, column {column}")]
pub struct Corrupt {
    pub table: &'static str,
    pub id: i64,
    pub column: &'static str,
}

/// What a query that returns typed rows can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Query(#[from] diesel::result::Error),
    #[error(transparent)]
    Corrupt(#[from] Corrupt),
}

impl AsDbError for Error {
    fn as_db_error(&self) -> Option<&diesel::result::Error> {
        match self {
            Error::Query(e) => Some(e),
            Error::Corrupt(_) => None,
        }
    }
}

/// Reads the raw columns of one stored row into typed values (the one conversion per row
/// type), naming the row and column of anything unreadable.
pub(crate) struct RowReader {
    table: &'static str,
    id: i64,
}

impl RowReader {
    pub(crate) fn new(table: &'static str, id: impl Into<i64>) -> Self {
        RowReader {
            table,
            id: id.into(),
        }
    }

    pub(crate) fn corrupt(&self, column: &'static str) -> Corrupt {
        Corrupt {
            table: self.table,
            id: self.id,
            column,
        }
    }

    /// A count of units: never negative.
    pub(crate) fn quantity(&self, column: &'static str, value: i64) -> Result<u64, Corrupt> {
        u64::try_from(value).map_err(|_| self.corrupt(column))
    }

    pub(crate) fn optional_quantity(
        &self,
        column: &'static str,
        value: Option<i64>,
    ) -> Result<Option<u64>, Corrupt> {
        value.map(|v| self.quantity(column, v)).transpose()
    }

    pub(crate) fn price(
        &self,
        column: &'static str,
        value: i64,
    ) -> Result<crate::domain::money::UnitPrice, Corrupt> {
        crate::domain::money::UnitPrice::from_ten_thousandths(value)
            .map_err(|_| self.corrupt(column))
    }

    pub(crate) fn optional_price(
        &self,
        column: &'static str,
        value: Option<i64>,
    ) -> Result<Option<crate::domain::money::UnitPrice>, Corrupt> {
        value.map(|v| self.price(column, v)).transpose()
    }

    pub(crate) fn vat(
        &self,
        column: &'static str,
        value: i64,
    ) -> Result<crate::domain::money::VatRate, Corrupt> {
        crate::domain::money::VatRate::from_ten_thousandths(value).map_err(|_| self.corrupt(column))
    }

    /// A value stored as its name (a status, role, language, mode).
    pub(crate) fn named<T>(
        &self,
        column: &'static str,
        text: &str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, Corrupt> {
        parse(text).ok_or_else(|| self.corrupt(column))
    }
}

/// Reads stored rows into their typed form, one [`RowReader`] conversion per row type.
pub(crate) fn typed<R, T: TryFrom<R, Error = Corrupt>>(rows: Vec<R>) -> Result<Vec<T>, Error> {
    rows.into_iter()
        .map(|row| T::try_from(row).map_err(Error::from))
        .collect()
}

/// Reads a stored row, if there is one, into its typed form.
pub(crate) fn typed_one<R, T: TryFrom<R, Error = Corrupt>>(
    row: Option<R>,
) -> Result<Option<T>, Error> {
    Ok(row.map(T::try_from).transpose()?)
}

/// Answers whether the database responds (for `/healthz`).
pub fn ping(conn: &mut DbConnection) -> bool {
    conn.batch_execute("SELECT 1").is_ok()
}
