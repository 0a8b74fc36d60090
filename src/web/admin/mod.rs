//! Cooperative staff's pages: lots, members and sites, suppliers, accounts, the audit log.

pub mod audit;
pub mod lots;
pub mod orgs;
pub mod outbox;
pub mod users;

use crate::db::{audit as log, DbConnection};
use chrono::NaiveDateTime;

/// Appends one staff action to the audit log.
pub fn record(
    conn: &mut DbConnection,
    actor: i64,
    action: &str,
    lot: Option<i64>,
    entity: (&str, i64),
    details: &str,
    now: NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    log::append(
        conn,
        &log::NewAuditEntry {
            at: now,
            actor_id: Some(actor),
            action,
            lot_id: lot,
            entity: entity.0,
            entity_id: Some(entity.1),
            details,
        },
    )
}

/// Reads a form's fields given as a list of pairs (for repeated and numbered fields).
pub struct Fields(pub Vec<(String, String)>);

impl Fields {
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}
