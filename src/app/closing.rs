//! How a lot's procedure ends or steps back: staff revoke an award during the standstill or
//! cancel a lot; the server closes lots at their demand deadline and confirms them when the
//! standstill is over. Each moves a lot, and is logged, exactly once, even with several
//! server processes.

use super::{operation_error, record, Actor, Ctx, Denied, StoreError};
use crate::db::procurement as store;
use crate::db::{self, lots, DbConnection};
use crate::domain::account::Role;
use crate::domain::audit::AuditAction;
use crate::domain::ids::LotId;
use crate::domain::lot::LotStatus;
use crate::mail::notify;

/// Why a revocation or cancellation was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClosingError {
    #[error("a reason is required (at most 2,000 characters)")]
    Reason,
    #[error("the award can no longer be revoked")]
    NotRevocable,
    #[error("the lot can no longer be cancelled")]
    NotCancellable,
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(ClosingError);

/// A staff step on a lot that needs a written reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithReason {
    /// Revoke an award during its standstill; the lot returns to evaluation.
    Revoke,
    /// Cancel a lot before it is confirmed; everyone concerned is told why.
    Cancel,
}

/// Takes a staff step with its reason in one transaction; the lot's rules decide whether it
/// may happen now, and only the process whose state change took effect writes the log.
pub fn with_reason(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
    step: WithReason,
    reason: &str,
) -> Result<(), ClosingError> {
    actor.require(Role::Staff)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ClosingError::Reason);
    }
    let now = ctx.now.naive_utc();
    db::transaction(conn, |conn| {
        let lot = lots::find(conn, lot_id)?.ok_or(Denied::NotFound)?;
        let state = lot.state();
        match step {
            WithReason::Revoke => {
                let procedure = store::procedure(conn, lot_id)?;
                if !state.can_revoke(procedure.standstill_end(), ctx.now)
                    || !lots::transition(
                        conn,
                        lot_id,
                        LotStatus::Awarded,
                        LotStatus::Evaluated,
                        now,
                    )?
                {
                    return Err(ClosingError::NotRevocable);
                }
                store::clear_award(conn, lot_id)?;
                let details = format!("quote={:?} reason={reason:?}", procedure.awarded_quote_id);
                record(
                    conn,
                    ctx,
                    Some(actor.id),
                    AuditAction::AwardRevoked,
                    Some(lot_id),
                    ("lot", lot_id),
                    &details,
                )?;
            }
            WithReason::Cancel => {
                if !state.can_cancel()
                    || !lots::transition(conn, lot_id, lot.status, LotStatus::Cancelled, now)?
                {
                    return Err(ClosingError::NotCancellable);
                }
                store::set_outcome_reason(conn, lot_id, reason)?;
                record(
                    conn,
                    ctx,
                    Some(actor.id),
                    AuditAction::LotCancelled,
                    Some(lot_id),
                    ("lot", lot_id),
                    reason,
                )?;
                let email = notify::LotEndedEmail {
                    lot: &lot,
                    ending: notify::Ending::Cancelled,
                    reason,
                };
                notify::lot_ended(conn, &ctx.mail, &email, now)?;
            }
        }
        Ok(())
    })
}

/// Closes every open lot whose demand deadline has passed; returns how many this call
/// closed.
pub fn close_due_lots(
    conn: &mut DbConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<usize, StoreError> {
    let now = now.naive_utc();
    let mut closed = 0;
    for id in lots::due_for_closing(conn, now)? {
        let moved = db::transaction(conn, |conn| {
            // Only the process whose update moved the lot writes the log entry.
            if !lots::transition(conn, id, LotStatus::Open, LotStatus::Closed, now)? {
                return Ok::<_, StoreError>(false);
            }
            db::audit::append(
                conn,
                &db::audit::NewAuditEntry {
                    at: now,
                    actor_id: None,
                    action: AuditAction::LotClosed.as_str(),
                    lot_id: Some(id),
                    entity: "lot",
                    entity_id: Some(id.get()),
                    details: "demand deadline reached",
                },
            )?;
            Ok(true)
        })?;
        if moved {
            closed += 1;
            tracing::info!(lot = id.get(), "lot closed at its demand deadline");
        }
    }
    Ok(closed)
}

/// Confirms every awarded lot whose standstill has ended and sends the confirmations and
/// the purchase order; returns how many this call confirmed.
pub fn confirm_due_lots(conn: &mut DbConnection, ctx: &Ctx) -> Result<usize, StoreError> {
    let now = ctx.now.naive_utc();
    let mut confirmed = 0;
    for id in store::due_for_confirmation(conn, now)? {
        let moved = db::transaction(conn, |conn| {
            if !lots::transition(conn, id, LotStatus::Awarded, LotStatus::Confirmed, now)? {
                return Ok::<_, StoreError>(false);
            }
            let lot = lots::find(conn, id)?.ok_or(db::Corrupt {
                table: "lots",
                id: id.get(),
                column: "id",
            })?;
            store::set_confirmed(conn, id, now)?;
            notify::confirmation(conn, &ctx.mail, &lot, now)?;
            record(
                conn,
                ctx,
                None,
                AuditAction::LotConfirmed,
                Some(id),
                ("lot", id),
                "standstill period ended",
            )?;
            Ok(true)
        })?;
        if moved {
            confirmed += 1;
        }
    }
    Ok(confirmed)
}

/// Reminders to members that have not ordered, two days before a demand deadline.
pub fn send_reminders(conn: &mut DbConnection, ctx: &Ctx) -> Result<usize, StoreError> {
    db::transaction(conn, |conn| {
        Ok(notify::reminders(conn, &ctx.mail, ctx.now.naive_utc())?)
    })
}
