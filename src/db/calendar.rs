//! Calendar subscriptions: one secret feed URL per user, stored as its SHA-256.

use super::schema::calendar_feeds;
use super::DbConnection;
use crate::domain::ids::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Replaces the user's feed (the old URL stops working).
pub fn set(
    conn: &mut DbConnection,
    user: UserId,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    revoke(conn, user)?;
    diesel::insert_into(calendar_feeds::table)
        .values((
            calendar_feeds::user_id.eq(user),
            calendar_feeds::token_hash.eq(token_hash),
            calendar_feeds::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Ends the user's feed; false when there was none.
pub fn revoke(conn: &mut DbConnection, user: UserId) -> QueryResult<bool> {
    diesel::delete(calendar_feeds::table.find(user))
        .execute(conn)
        .map(|n| n > 0)
}

/// Since when the user has a feed.
pub fn created_at(conn: &mut DbConnection, user: UserId) -> QueryResult<Option<NaiveDateTime>> {
    calendar_feeds::table
        .find(user)
        .select(calendar_feeds::created_at)
        .first(conn)
        .optional()
}

/// Whose feed this is.
pub fn user_of(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<UserId>> {
    calendar_feeds::table
        .filter(calendar_feeds::token_hash.eq(token_hash))
        .select(calendar_feeds::user_id)
        .first(conn)
        .optional()
}
