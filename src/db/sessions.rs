//! Server-side sessions: the cookie holds a secret, the server keeps its hash with the
//! account and the times that make it expire.

use super::schema::{sessions, users};
use super::users::User;
use super::{typed_one, DbConnection, Error};
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub fn insert(conn: &mut DbConnection, id: &str, user: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(user),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The active account of a session that was created after `created_after` and used after
/// `seen_after`, with the time it was last used.
pub fn find_user(
    conn: &mut DbConnection,
    id: &str,
    created_after: NaiveDateTime,
    seen_after: NaiveDateTime,
) -> Result<Option<(User, NaiveDateTime)>, Error> {
    let found = crate::native!(conn, |c| sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(id))
        .filter(sessions::created_at.gt(created_after))
        .filter(sessions::last_seen_at.gt(seen_after))
        .filter(users::active.eq(true))
        .select((super::users::UserRow::as_select(), sessions::last_seen_at))
        .first::<(super::users::UserRow, NaiveDateTime)>(c)
        .optional())?;
    match found {
        Some((row, seen)) => Ok(typed_one(Some(row))?.map(|user| (user, seen))),
        None => Ok(None),
    }
}

/// Notes that the session was used now (its idle time starts again).
pub fn touch(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
}

pub fn delete(conn: &mut DbConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(id)).execute(conn)
}

/// Ends every session of an account.
pub fn delete_all_of(conn: &mut DbConnection, user: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user))).execute(conn)
}

/// Removes sessions that can no longer be used.
pub fn delete_expired(
    conn: &mut DbConnection,
    created_before: NaiveDateTime,
    seen_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::created_at
                .le(created_before)
                .or(sessions::last_seen_at.le(seen_before)),
        ),
    )
    .execute(conn)
}
