//! The server closes every framework whose term is over, once, and sends the statements.
use super::statements::statements;
use super::{agreement, term_end};
use crate::app::{record, Ctx, StoreError};
use crate::db::frameworks;
use crate::db::lots;
use crate::db::procurement as store;
use crate::db::{self, DbConnection};
use crate::domain::audit::AuditAction;
use crate::domain::lot::LotStatus;

/// Closes every framework whose term is over (once each), and sends the statements.
pub fn close_expired(conn: &mut DbConnection, ctx: &Ctx) -> Result<usize, StoreError> {
    let mut closed = 0;
    for lot_id in frameworks::running(conn)? {
        let Some(lot) = lots::find(conn, lot_id)? else {
            continue;
        };
        // Cheap first: only a confirmed framework past the end of its term is closed.
        let (Some(row), Some(procedure)) = (
            frameworks::find(conn, lot_id)?,
            store::find_procedure(conn, lot_id)?,
        ) else {
            continue;
        };
        let due = lot.status == LotStatus::Confirmed
            && procedure
                .confirmed_at
                .is_some_and(|at| term_end(at.and_utc(), row.terms.term_months) <= ctx.now);
        if !due {
            continue;
        }
        let done = db::transaction(conn, |conn| -> Result<bool, StoreError> {
            lots::lock(conn, lot_id)?;
            let Some(agreement) = agreement(conn, &lot)? else {
                return Ok(false);
            };
            if agreement.framework().end > ctx.now {
                return Ok(false);
            }
            if !frameworks::end(conn, lot_id, "term_over", None, ctx.now.naive_utc())? {
                return Ok(false);
            }
            record(
                conn,
                ctx,
                None,
                AuditAction::FrameworkClosed,
                Some(lot_id),
                ("lot", lot_id),
                "term_over",
            )?;
            statements(conn, ctx, &lot, &agreement, None)?;
            Ok(true)
        })?;
        closed += usize::from(done);
    }
    Ok(closed)
}
