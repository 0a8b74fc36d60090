//! The audit log: appended to, never changed.

use super::schema::audit_log;
use super::{DbConnection, Prepared};
use crate::domain::ids::{LotId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: i64,
    pub at: NaiveDateTime,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub lot_id: Option<LotId>,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub details: String,
}

/// One state change to record (a missing actor, lot or entity is written as NULL, so every
/// entry has the same columns and many can be appended in one statement).
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
#[diesel(treat_none_as_default_value = false)]
pub struct NewAuditEntry<'a> {
    pub at: NaiveDateTime,
    pub actor_id: Option<UserId>,
    pub action: &'a str,
    pub lot_id: Option<LotId>,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub details: &'a str,
}

pub fn append(conn: &mut DbConnection, entry: &NewAuditEntry<'_>) -> QueryResult<()> {
    let insert = Prepared(
        diesel::insert_into(audit_log::table)
            .values(entry)
            .returning(audit_log::id),
    );
    crate::native!(conn, |c| insert.get_result::<i64>(c)).map(|_| ())
}

/// The newest entries first; for one lot, or all.
pub fn list(
    conn: &mut DbConnection,
    lot: Option<LotId>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    page(conn, lot, None, limit)
}

/// One page of entries, newest first: those older than `before` (an entry id), if given.
pub fn page(
    conn: &mut DbConnection,
    lot: Option<LotId>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let mut query = audit_log::table
        .select(AuditEntry::as_select())
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(lot) = lot {
        query = query.filter(audit_log::lot_id.eq(lot));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    query.load(conn)
}

pub fn count_actions(conn: &mut DbConnection, action: &str) -> QueryResult<i64> {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .count()
        .get_result(conn)
}

/// Appends several entries in one statement.
pub fn append_all(conn: &mut DbConnection, entries: &[NewAuditEntry<'_>]) -> QueryResult<()> {
    crate::native!(conn, |c| diesel::insert_into(audit_log::table)
        .values(entries)
        .execute(c))
    .map(|_| ())
}
