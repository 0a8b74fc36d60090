//! Server-side sessions: the cookie holds a secret, the server keeps its hash with the
//! account and the times that make it expire.

use super::schema::{sessions, users};
use super::time::DbTime;
use super::{typed_one, Corrupt, DbConnection, Error, Prepared, RowReader};
use crate::domain::account::{Language, Role};
use crate::domain::ids::{MemberId, SupplierId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What a request needs to know of the account behind its session: who it is, its role and
/// organisation, its language. Read on every request, so no more than that (no password
/// hash, none of the account's bookkeeping times).
#[derive(Debug, Clone)]
pub struct SessionAccount {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub member_id: Option<MemberId>,
    pub supplier_id: Option<SupplierId>,
    pub language: Language,
    /// When the account joined its organisation.
    pub joined_at: NaiveDateTime,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = users)]
pub(super) struct SessionAccountRow {
    id: UserId,
    email: String,
    name: String,
    role: String,
    member_id: Option<MemberId>,
    supplier_id: Option<SupplierId>,
    language: String,
    #[diesel(deserialize_as = DbTime)]
    joined_at: NaiveDateTime,
}

impl TryFrom<SessionAccountRow> for SessionAccount {
    type Error = Corrupt;

    fn try_from(row: SessionAccountRow) -> Result<Self, Corrupt> {
        let read = RowReader::new("users", row.id);
        Ok(SessionAccount {
            role: read.named("role", &row.role, Role::parse)?,
            language: read.named("language", &row.language, Language::parse)?,
            id: row.id,
            email: row.email,
            name: row.name,
            member_id: row.member_id,
            supplier_id: row.supplier_id,
            joined_at: row.joined_at,
        })
    }
}

pub fn insert(
    conn: &mut DbConnection,
    id: &str,
    user: UserId,
    now: NaiveDateTime,
) -> QueryResult<()> {
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

/// A session that was created after `created_after` and used after `seen_after`, of an
/// active account: the one condition of every lookup of a request's session.
#[diesel::dsl::auto_type]
pub(super) fn live<'a>(id: &'a str, created_after: NaiveDateTime, seen_after: NaiveDateTime) -> _ {
    let created: DbTime = DbTime(created_after);
    let seen: DbTime = DbTime(seen_after);
    sessions::id
        .eq(id)
        .and(sessions::created_at.gt(created))
        .and(sessions::last_seen_at.gt(seen))
        .and(users::active.eq(true))
}

/// The active account of a session that was created after `created_after` and used after
/// `seen_after`, with the time it was last used.
pub fn find_user(
    conn: &mut DbConnection,
    id: &str,
    created_after: NaiveDateTime,
    seen_after: NaiveDateTime,
) -> Result<Option<(SessionAccount, NaiveDateTime)>, Error> {
    // Read on every request: kept prepared without diesel walking the query each time to
    // prove it may be (one shape; see `Prepared`).
    let found = crate::native!(conn, |c| Prepared(
        sessions::table
            .inner_join(users::table)
            .filter(live(id, created_after, seen_after))
            .select((SessionAccountRow::as_select(), sessions::last_seen_at))
            .limit(1)
    )
    .get_result::<(SessionAccountRow, DbTime)>(c)
    .optional())?;
    match found {
        Some((row, seen)) => Ok(typed_one(Some(row))?.map(|user| (user, seen.0))),
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
pub fn delete_all_of(conn: &mut DbConnection, user: UserId) -> QueryResult<usize> {
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
