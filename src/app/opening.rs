//! The two-person opening of the quotes (§55 VgV): after both deadlines one staff member
//! asks, a different one confirms, and only then are the quotes readable.

use super::{operation_error, record, Actor, Ctx, Denied, StoreError};
use crate::db::procurement as store;
use crate::db::{self, lots, DbConnection};
use crate::domain::account::Role;
use crate::domain::audit::AuditAction;
use crate::domain::ids::LotId;
use crate::domain::lot::LotStatus;
use crate::domain::rules::{OpeningRefusal, OpeningStep};

/// How far the opening came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opened {
    /// This person asked; a second person must confirm.
    Requested,
    /// A second person confirmed: the quotes are open and the lot is in evaluation.
    Opened,
}

#[derive(Debug, thiserror::Error)]
pub enum OpeningError {
    #[error("the opening is not possible now")]
    Refused(OpeningRefusal),
    #[error("another staff member opened the quotes at the same time")]
    AlreadyOpened,
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(OpeningError);

/// Takes this staff member's step of the opening.
pub fn open_quotes(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    lot_id: LotId,
) -> Result<Opened, OpeningError> {
    actor.require(Role::Staff)?;
    let now = ctx.now.naive_utc();
    db::transaction(conn, |conn| {
        // Two staff pressing at the same instant take their steps one after the other.
        if !lots::lock(conn, lot_id)? {
            return Err(Denied::NotFound.into());
        }
        let lot = lots::find(conn, lot_id)?.ok_or(Denied::NotFound)?;
        let procedure = store::procedure(conn, lot_id)?;
        let step = lot
            .state()
            .opening_step(procedure.opening_requested(), actor.id, ctx.now)
            .map_err(OpeningError::Refused)?;
        if lot.status == LotStatus::Open {
            lots::transition(conn, lot_id, LotStatus::Open, LotStatus::Closed, now)?;
        }
        match step {
            OpeningStep::Request => {
                store::request_opening(conn, lot_id, actor.id, now)?;
                record(
                    conn,
                    ctx,
                    Some(actor.id),
                    AuditAction::QuotesOpeningRequested,
                    Some(lot_id),
                    ("lot", lot_id),
                    "",
                )?;
                Ok(Opened::Requested)
            }
            OpeningStep::Confirm { requested_by } => {
                if store::confirm_opening(conn, lot_id, actor.id, now)? == 0
                    || !lots::transition(
                        conn,
                        lot_id,
                        LotStatus::Closed,
                        LotStatus::Evaluated,
                        now,
                    )?
                {
                    return Err(OpeningError::AlreadyOpened);
                }
                record(
                    conn,
                    ctx,
                    Some(actor.id),
                    AuditAction::QuotesOpened,
                    Some(lot_id),
                    ("lot", lot_id),
                    &format!("requested_by={requested_by} confirmed_by={}", actor.id),
                )?;
                Ok(Opened::Opened)
            }
        }
    })
}
