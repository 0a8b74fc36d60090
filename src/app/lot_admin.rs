//! Staff describe a lot in draft, change it while it is a draft, open it for orders, and
//! invite further suppliers while it takes quotes.

use super::{operation_error, record, Actor, Ctx, Denied, ReadError, StoreError};
use crate::db::lots::{self, Lot};
use crate::db::{self, orgs, DbConnection};
use crate::domain::account::Role;
use crate::domain::audit::AuditAction;
use crate::domain::ids::{LotId, Named, SupplierId};
use crate::domain::lot::{
    short_standstill_reason, FieldError, IndicativeTier, LotStatus, LotTermsInput,
};
use crate::mail::notify;

#[derive(Debug, thiserror::Error)]
pub enum LotAdminError {
    #[error("the lot is no longer a draft")]
    NotDraft,
    #[error("the demand deadline has passed")]
    DeadlinePassed,
    #[error("the quote deadline has passed")]
    QuotingOver,
    #[error("the lot's terms have mistakes")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Denied(Denied),
    #[error(transparent)]
    Store(StoreError),
}
operation_error!(LotAdminError);

/// Keeps only suppliers that exist.
fn known_suppliers(
    conn: &mut DbConnection,
    ids: &[SupplierId],
) -> Result<Vec<SupplierId>, LotAdminError> {
    let all = orgs::list_suppliers(conn)?;
    Ok(ids
        .iter()
        .copied()
        .filter(|id| all.iter().any(|s| s.id == *id))
        .collect())
}

/// Every supplier, for the lot form's invitation list.
pub fn suppliers(
    conn: &mut DbConnection,
    actor: &Actor,
) -> Result<Vec<Named<SupplierId>>, ReadError> {
    actor.require(Role::Staff)?;
    Ok(orgs::list_suppliers(conn)?
        .into_iter()
        .map(Named::from)
        .collect())
}

/// A draft with its indicative tiers and invited suppliers, for the edit form.
pub struct DraftData {
    pub lot: Lot,
    pub tiers: Vec<IndicativeTier>,
    pub invited: Vec<SupplierId>,
    pub editable: bool,
    pub framework: Option<crate::domain::lot::FrameworkTerms>,
}

pub fn draft(conn: &mut DbConnection, actor: &Actor, id: LotId) -> Result<DraftData, ReadError> {
    let lot = super::access::for_staff(conn, actor, id)?;
    Ok(DraftData {
        editable: lot.state().can_edit_terms(),
        framework: crate::db::frameworks::find(conn, id)?.map(|f| f.terms),
        tiers: lots::indicative_tiers(conn, id)?,
        invited: lots::invited_suppliers(conn, id)?
            .into_iter()
            .map(|s| s.id)
            .collect(),
        lot,
    })
}

/// Creates a lot in draft; answers its id.
pub fn create(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    terms: &LotTermsInput,
    invited: &[SupplierId],
    short_standstill: Option<&str>,
) -> Result<LotId, LotAdminError> {
    actor.require(Role::Staff)?;
    let now = ctx.now.naive_utc();
    db::transaction(conn, |conn| {
        let invited = known_suppliers(conn, invited)?;
        let id = lots::insert(conn, terms, &invited, actor.id, now)?;
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::LotCreated,
            Some(id),
            ("lot", id),
            &terms.title,
        )?;
        record_short_standstill(conn, ctx, actor, id, terms, short_standstill)?;
        Ok(id)
    })
}

/// Changes a draft's terms and invitations.
pub fn update(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: LotId,
    terms: &LotTermsInput,
    invited: &[SupplierId],
    short_standstill: Option<&str>,
) -> Result<(), LotAdminError> {
    actor.require(Role::Staff)?;
    let now = ctx.now.naive_utc();
    db::transaction(conn, |conn| {
        let lot = lots::find(conn, id)?.ok_or(Denied::NotFound)?;
        if !lot.state().can_edit_terms() {
            return Err(LotAdminError::NotDraft);
        }
        let invited = known_suppliers(conn, invited)?;
        if lots::update_draft(conn, id, terms, &invited, now)? == 0 {
            return Err(LotAdminError::NotDraft);
        }
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::LotEdited,
            Some(id),
            ("lot", id),
            &terms.title,
        )?;
        record_short_standstill(conn, ctx, actor, id, terms, short_standstill)
    })
}

/// A standstill below the statutory one goes on record with its reason; without a reason
/// it is refused (the form asks for one first).
fn record_short_standstill(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: LotId,
    terms: &LotTermsInput,
    reason: Option<&str>,
) -> Result<(), LotAdminError> {
    let Some(reason) = short_standstill_reason(terms.standstill_days, reason.unwrap_or_default())
        .map_err(|e| LotAdminError::Invalid(vec![e]))?
    else {
        return Ok(());
    };
    record(
        conn,
        ctx,
        Some(actor.id),
        AuditAction::LotShortStandstill,
        Some(id),
        ("lot", id),
        &format!("days={} reason={reason}", terms.standstill_days),
    )?;
    Ok(())
}

/// Opens a draft for orders and invites its suppliers to quote.
pub fn open(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: LotId,
) -> Result<(), LotAdminError> {
    actor.require(Role::Staff)?;
    let now = ctx.now.naive_utc();
    db::transaction(conn, |conn| {
        let lot = lots::find(conn, id)?.ok_or(Denied::NotFound)?;
        let state = lot.state();
        if !state.can_edit_terms() {
            return Err(LotAdminError::NotDraft);
        }
        if !state.can_open_for_orders(ctx.now) {
            return Err(LotAdminError::DeadlinePassed);
        }
        if !lots::transition(conn, id, LotStatus::Draft, LotStatus::Open, now)? {
            return Err(LotAdminError::NotDraft);
        }
        record(
            conn,
            ctx,
            Some(actor.id),
            AuditAction::LotOpened,
            Some(id),
            ("lot", id),
            "",
        )?;
        notify::invitations(conn, &ctx.mail, &lot, now)?;
        Ok(())
    })
}

/// Invites further suppliers while the lot takes quotes; each gets its invitation. Answers
/// how many were newly invited.
pub fn invite(
    conn: &mut DbConnection,
    ctx: &Ctx,
    actor: &Actor,
    id: LotId,
    chosen: &[SupplierId],
) -> Result<usize, LotAdminError> {
    actor.require(Role::Staff)?;
    let now = ctx.now.naive_utc();
    db::transaction(conn, |conn| {
        let lot = lots::find(conn, id)?.ok_or(Denied::NotFound)?;
        if !lot.state().takes_quotes_at(ctx.now) {
            return Err(LotAdminError::QuotingOver);
        }
        let mut added = 0;
        for supplier in known_suppliers(conn, chosen)? {
            if lots::invite(conn, id, supplier, now)? {
                added += 1;
                record(
                    conn,
                    ctx,
                    Some(actor.id),
                    AuditAction::LotSupplierInvited,
                    Some(id),
                    ("supplier", supplier),
                    "",
                )?;
            }
        }
        // Invitations are keyed per lot and user: those already sent are not repeated.
        notify::invitations(conn, &ctx.mail, &lot, now)?;
        Ok(added)
    })
}
