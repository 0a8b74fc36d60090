//! Attempts per key (an account, an address) and the lock-out that follows: sign-ins and
//! requests for password links.

use super::schema::login_throttle;
use super::DbConnection;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// How many attempts a key may make before it is locked, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    pub attempts: i64,
    pub minutes: i64,
}

/// Wrong passwords per account (counted before the password is checked).
pub const ACCOUNT_LOGINS: Limit = Limit {
    attempts: 5,
    minutes: 15,
};
/// Sign-ins per address: well above one account's, as a whole organisation may sit behind
/// one proxy.
pub const ADDRESS_LOGINS: Limit = Limit {
    attempts: 100,
    minutes: 15,
};
/// Password links per account.
pub const ACCOUNT_RESETS: Limit = Limit {
    attempts: 3,
    minutes: 60,
};
/// Password links requested from one address.
pub const ADDRESS_RESETS: Limit = Limit {
    attempts: 20,
    minutes: 60,
};

/// Counts one attempt for the key, unless it is locked; answers whether it may go ahead.
/// The row is taken first (inside the caller's transaction), so attempts racing each other
/// are counted one after the other and no more than `limit.attempts` go ahead per lock
/// window. The attempt that reaches the limit still goes ahead and locks the key; counts
/// older than the window are forgotten.
pub fn take(
    conn: &mut DbConnection,
    key: &str,
    limit: Limit,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    take_row(conn, key, now)?;
    let (attempts, locked_until, last): (i64, Option<NaiveDateTime>, NaiveDateTime) =
        login_throttle::table
            .find(key)
            .select((
                login_throttle::failures,
                login_throttle::locked_until,
                login_throttle::updated_at,
            ))
            .first(conn)?;
    if locked_until.is_some_and(|until| until > now) {
        return Ok(false);
    }
    let window = Duration::minutes(limit.minutes);
    let attempts = if locked_until.is_some() || last + window <= now {
        1
    } else {
        attempts + 1
    };
    let locked_until = (attempts >= limit.attempts).then(|| now + window);
    diesel::update(login_throttle::table.find(key))
        .set((
            login_throttle::failures.eq(if locked_until.is_some() { 0 } else { attempts }),
            login_throttle::locked_until.eq(locked_until),
            login_throttle::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Makes sure the key has its row and takes it for this transaction. Simultaneous first
/// attempts do not fail on each other's insert; on PostgreSQL the row may come from
/// another transaction, so it is taken after the insert.
fn take_row(conn: &mut DbConnection, key: &str, now: NaiveDateTime) -> QueryResult<()> {
    let row = (
        login_throttle::key.eq(key),
        login_throttle::failures.eq(0),
        login_throttle::locked_until.eq(None::<NaiveDateTime>),
        login_throttle::updated_at.eq(now),
    );
    match conn {
        DbConnection::Pg(c) => diesel::insert_into(login_throttle::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(login_throttle::table)
            .values(row)
            .execute(c)?,
    };
    diesel::update(login_throttle::table.find(key))
        .set(login_throttle::failures.eq(login_throttle::failures))
        .execute(conn)
        .map(|_| ())
}

/// Gives one counted attempt back (a sign-in that succeeded from an address).
pub fn forgive(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::update(
        login_throttle::table
            .find(key)
            .filter(login_throttle::failures.gt(0)),
    )
    .set(login_throttle::failures.eq(login_throttle::failures - 1))
    .execute(conn)
    .map(|_| ())
}

/// Forgets every attempt and lock of the key (an account that signed in).
pub fn reset(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(key))
        .execute(conn)
        .map(|_| ())
}
