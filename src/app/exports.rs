//! The CSV downloads of a lot, each for whom it is meant: the allocation for staff (every
//! line's result, from the award on), a member's own confirmed lines, the confirmed
//! winner's purchase order, the audit log for staff.

use super::{Actor, Denied, ReadError};
use crate::db::award;
use crate::db::{audit, users, DbConnection};
use crate::domain::account::Role;
use crate::domain::ids::{LotId, UserId};
use std::collections::HashMap;

/// Staff: the audit log of a lot (the procurement record).
pub fn audit_log(conn: &mut DbConnection, actor: &Actor, lot: LotId) -> Result<String, ReadError> {
    actor.require(Role::Staff)?;
    super::access::for_staff(conn, actor, lot)?;
    let entries = audit::list(conn, Some(lot), 100_000)?;
    let names: HashMap<UserId, String> = users::list(conn)?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    Ok(crate::export::audit_log(&entries, |id| {
        id.and_then(|id| names.get(&id).cloned())
            .unwrap_or_else(|| "System".into())
    }))
}

/// Which download of a lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    Allocation,
    MemberLines,
    PurchaseOrder,
    AuditLog,
}

/// Bytes of CSV handed on at a time while a download is written.
const CHUNK: usize = 64 * 1024;

/// Which lines a download of line results holds, once the user may have it.
fn result_filter(
    conn: &mut DbConnection,
    actor: &Actor,
    lot: LotId,
    which: Export,
) -> Result<Option<award::ResultFilter>, ReadError> {
    let found = super::access::visible(conn, actor, lot)?;
    let state = found.state();
    Ok(match which {
        Export::Allocation => {
            actor.require(Role::Staff)?;
            if !state.has_results() {
                return Err(Denied::NotFound.into());
            }
            Some(award::ResultFilter::default())
        }
        Export::MemberLines => {
            let member = actor.member()?;
            if !state.is_confirmed() {
                return Err(Denied::NotFound.into());
            }
            Some(award::ResultFilter {
                member: Some(member),
                ..Default::default()
            })
        }
        Export::PurchaseOrder => {
            let supplier = actor.supplier()?;
            if !super::access::is_confirmed_winner(conn, &found, supplier)? {
                return Err(Denied::NotFound.into());
            }
            Some(award::ResultFilter {
                accepted_only: true,
                ..Default::default()
            })
        }
        Export::AuditLog => None,
    })
}

/// Writes the chosen download for this user and hands it to `send` in pieces as it is
/// written, so a download of 100,000 lines never sits in memory whole. Every check is made
/// before the first piece; `send` answers false when nobody takes the rest.
pub fn stream(
    conn: &mut DbConnection,
    actor: &Actor,
    lot: LotId,
    which: Export,
    mut send: impl FnMut(String) -> bool,
) -> Result<(), ReadError> {
    let Some(filter) = result_filter(conn, actor, lot, which)? else {
        send(audit_log(conn, actor, lot)?);
        return Ok(());
    };
    let mut csv = crate::export::result_header();
    let mut open = true;
    award::each_result_line(conn, lot, filter, |line| {
        if open {
            crate::export::result_row(&mut csv, &line);
            if csv.len() >= CHUNK {
                open = send(csv.take());
            }
        }
        Ok(())
    })?;
    if open && !csv.is_empty() {
        send(csv.take());
    }
    Ok(())
}
