//! Failed logins per account and per address, and the lock-out that follows.

use super::schema::login_throttle;
use super::DbConnection;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// Failures in a row before a key is locked.
pub const MAX_FAILURES: i64 = 5;
/// How long a lock-out lasts.
pub const LOCKOUT_MINUTES: i64 = 15;

/// When the key is locked until, if it is locked now.
pub fn locked_until(
    conn: &mut DbConnection,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let until: Option<Option<NaiveDateTime>> = login_throttle::table
        .find(key)
        .select(login_throttle::locked_until)
        .first(conn)
        .optional()?;
    Ok(until.flatten().filter(|u| *u > now))
}

/// Counts one failure; the fifth in a row locks the key.
pub fn record_failure(conn: &mut DbConnection, key: &str, now: NaiveDateTime) -> QueryResult<()> {
    let failures: Option<i64> = login_throttle::table
        .find(key)
        .select(login_throttle::failures)
        .first(conn)
        .optional()?;
    let failures = failures.unwrap_or(0) + 1;
    let (failures, locked_until) = if failures >= MAX_FAILURES {
        (0, Some(now + Duration::minutes(LOCKOUT_MINUTES)))
    } else {
        (failures, None)
    };
    let row = (
        login_throttle::key.eq(key),
        login_throttle::failures.eq(failures),
        login_throttle::locked_until.eq(locked_until),
        login_throttle::updated_at.eq(now),
    );
    let updated = diesel::update(login_throttle::table.find(key))
        .set((
            login_throttle::failures.eq(failures),
            login_throttle::locked_until.eq(locked_until),
            login_throttle::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(login_throttle::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

pub fn reset(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_throttle::table.find(key))
        .execute(conn)
        .map(|_| ())
}
