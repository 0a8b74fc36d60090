//! Staff end a running framework early, with a reason everyone concerned is told.
use super::statements::statements;
use super::{agreement, CallOffError};
use crate::app::{record, Actor, Ctx};
use crate::db::frameworks;
use crate::db::lots;
use crate::db::{self, DbConnection};
use crate::domain::account::Role;
use crate::domain::audit::AuditAction;
use crate::domain::ids::LotId;
use crate::domain::lot::FieldError;

/// Staff end a running framework early, with a reason everyone concerned is told.
pub fn end_early(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    reason: &str,
) -> Result<(), CallOffError> {
    actor.require(Role::Staff)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(CallOffError::Invalid(vec![FieldError::new(
            "reason",
            "error.reason",
        )]));
    }
    let lot = crate::app::access::for_staff(conn, actor, lot_id)?;
    db::transaction(conn, |conn| {
        lots::lock(conn, lot_id)?;
        let Some(agreement) = agreement(conn, &lot)? else {
            return Err(CallOffError::NotRunning);
        };
        if !frameworks::end(conn, lot_id, reason, Some(actor.id), ctx.now.naive_utc())? {
            return Err(CallOffError::NotRunning);
        }
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::FrameworkEnded,
            Some(lot_id),
            ("lot", lot_id),
            reason,
        )?;
        statements(conn, ctx, &lot, &agreement, Some(reason))?;
        Ok(())
    })
}
