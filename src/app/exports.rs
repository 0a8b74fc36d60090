//! The CSV downloads of a lot, each for whom it is meant: the allocation for staff, a
//! member's own confirmed lines, the winner's purchase order, the audit log for staff.

use super::{Actor, Denied, ReadError};
use crate::db::procurement as store;
use crate::db::{audit, users, DbConnection};
use crate::domain::account::Role;
use std::collections::HashMap;

/// Staff: every line's result, from the award on.
pub fn allocation(conn: &mut DbConnection, actor: &Actor, lot: i64) -> Result<String, ReadError> {
    if !super::lots::for_staff(conn, actor, lot)?
        .state()
        .has_results()
    {
        return Err(Denied::NotFound.into());
    }
    Ok(crate::export::result_lines(&store::result_lines(
        conn,
        lot,
        store::ResultFilter::default(),
    )?))
}

/// A buyer: the own organisation's confirmed lines.
pub fn member_lines(conn: &mut DbConnection, actor: &Actor, lot: i64) -> Result<String, ReadError> {
    let member = actor.member()?;
    if !super::lots::visible(conn, actor, lot)?
        .state()
        .is_confirmed()
    {
        return Err(Denied::NotFound.into());
    }
    Ok(crate::export::result_lines(&store::result_lines(
        conn,
        lot,
        store::ResultFilter {
            member: Some(member),
            ..Default::default()
        },
    )?))
}

/// The winning supplier: the purchase order with the delivery breakdown.
pub fn purchase_order(
    conn: &mut DbConnection,
    actor: &Actor,
    lot: i64,
) -> Result<String, ReadError> {
    let supplier = actor.supplier()?;
    let found = super::lots::visible(conn, actor, lot)?;
    if !super::lots::is_confirmed_winner(conn, &found, supplier)? {
        return Err(Denied::NotFound.into());
    }
    Ok(crate::export::result_lines(&super::lots::accepted_lines(
        conn, lot,
    )?))
}

/// Staff: the audit log of a lot (the procurement record).
pub fn audit_log(conn: &mut DbConnection, actor: &Actor, lot: i64) -> Result<String, ReadError> {
    actor.require(Role::Staff)?;
    super::lots::for_staff(conn, actor, lot)?;
    let entries = audit::list(conn, Some(lot), 100_000)?;
    let names: HashMap<i64, String> = users::list(conn)?
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

/// Writes the chosen download for this user.
pub fn export(
    conn: &mut DbConnection,
    actor: &Actor,
    lot: i64,
    which: Export,
) -> Result<String, ReadError> {
    match which {
        Export::Allocation => allocation(conn, actor, lot),
        Export::MemberLines => member_lines(conn, actor, lot),
        Export::PurchaseOrder => purchase_order(conn, actor, lot),
        Export::AuditLog => audit_log(conn, actor, lot),
    }
}
