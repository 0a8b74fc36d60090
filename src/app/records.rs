//! What staff read of the record: the audit log and the outbox, a page at a time, and
//! sending an email again.

use super::{operation_error, record, Actor, Ctx, Denied, ReadError, StoreError};
use crate::db::audit::AuditEntry;
use crate::db::outbox::{self, OutboxRow};
use crate::db::{self, audit, users, DbConnection};
use crate::domain::account::Role;
use crate::domain::audit::AuditAction;
use crate::domain::ids::{LotId, UserId};
use std::collections::HashMap;

/// Entries or messages shown on one page.
pub const PAGE_SIZE: usize = 100;

/// One page, newest first, and where the next (older) one starts.
pub struct Page<T> {
    pub rows: Vec<T>,
    pub older: Option<i64>,
}

fn paged<T>(mut rows: Vec<T>, id: impl Fn(&T) -> i64) -> Page<T> {
    let older = (rows.len() > PAGE_SIZE).then(|| {
        rows.truncate(PAGE_SIZE);
        rows.last().map(&id)
    });
    Page {
        rows,
        older: older.flatten(),
    }
}

/// A page of the audit log (of one lot, or all) with the names of those who acted.
pub struct AuditPage {
    pub entries: Page<AuditEntry>,
    pub names: HashMap<UserId, String>,
}

pub fn audit_log(
    conn: &mut DbConnection,
    actor: &Actor,
    lot: Option<LotId>,
    before: Option<i64>,
) -> Result<AuditPage, ReadError> {
    actor.require(Role::Staff)?;
    let entries = paged(audit::page(conn, lot, before, PAGE_SIZE as i64 + 1)?, |e| {
        e.id
    });
    let names = users::list(conn)?
        .into_iter()
        .map(|u| (u.id, format!("{} <{}>", u.name, u.email)))
        .collect();
    Ok(AuditPage { entries, names })
}

/// The delivery states, in the order staff read them.
pub const STATES: [&str; 4] = [
    outbox::PENDING,
    outbox::SENDING,
    outbox::SENT,
    outbox::FAILED,
];

/// A page of the outbox (in one state, or all) and how many messages each state holds.
pub struct OutboxPage {
    pub messages: Page<OutboxRow>,
    pub counts: Vec<(&'static str, i64)>,
}

pub fn outbox(
    conn: &mut DbConnection,
    actor: &Actor,
    status: Option<&str>,
    before: Option<i64>,
) -> Result<OutboxPage, ReadError> {
    actor.require(Role::Staff)?;
    let status = status.filter(|s| STATES.contains(s));
    let messages = paged(
        outbox::page(conn, status, before, PAGE_SIZE as i64 + 1)?,
        |m| m.id,
    );
    let counts = STATES
        .iter()
        .map(|s| outbox::count_by_status(conn, s).map(|n| (*s, n)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(OutboxPage { messages, counts })
}

/// An email can be queued again unless it is being sent right now.
pub fn can_resend(message: &OutboxRow) -> bool {
    message.status != outbox::SENDING
}

/// Why an email was not queued again.
#[derive(Debug, thiserror::Error)]
pub enum ResendError {
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(ResendError);

/// Queues an email for delivery again (unless it is being sent right now).
pub fn resend(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: i64,
) -> Result<(), ResendError> {
    actor.require(Role::Staff)?;
    db::transaction(conn, |conn| {
        outbox::find(conn, id)?.ok_or(Denied::NotFound)?;
        if outbox::resend(conn, id, ctx.now.naive_utc())? == 1 {
            record(
                conn,
                ctx,
                Some(actor.id),
                AuditAction::EmailResent,
                None,
                ("email", id),
                "",
            )?;
        }
        Ok(())
    })
}
