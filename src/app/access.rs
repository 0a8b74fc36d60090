//! Who may see which lot: the one check every operation on a lot starts with. A lot the
//! user may not see is "not found", so that nobody learns which lots exist beyond their own.

use super::{Actor, Denied, ReadError};
use crate::db::lots::{self, Lot};
use crate::db::procurement::{self as store, Procedure};
use crate::db::quotes::{self, QuoteRow};
use crate::db::DbConnection;
use crate::domain::account::Role;
use crate::domain::ids::{LotId, SupplierId};

/// Loads a lot if this user may see it; otherwise "not found", so that nobody learns which
/// lots exist beyond their own.
pub fn visible(conn: &mut DbConnection, actor: &Actor, id: LotId) -> Result<Lot, ReadError> {
    let lot = lots::find(conn, id)?.ok_or(Denied::NotFound)?;
    shown_to(conn, actor, lot)
}

/// The lot, if this user may see it.
pub(crate) fn shown_to(conn: &mut DbConnection, actor: &Actor, lot: Lot) -> Result<Lot, ReadError> {
    let invited = match actor.role {
        Role::Supplier => lots::is_invited(conn, lot.id, actor.supplier()?)?,
        _ => false,
    };
    if lot.state().visible_to(actor.role, invited) {
        Ok(lot)
    } else {
        Err(Denied::NotFound.into())
    }
}

/// A lot only staff handle (every lot exists for staff).
pub fn for_staff(conn: &mut DbConnection, actor: &Actor, id: LotId) -> Result<Lot, ReadError> {
    actor.require(Role::Staff)?;
    visible(conn, actor, id)
}

/// The winning quote of a lot that has stored results (awarded or confirmed).
pub(super) fn awarded_quote(
    conn: &mut DbConnection,
    lot: &Lot,
    procedure: &Procedure,
) -> Result<Option<QuoteRow>, ReadError> {
    match procedure.awarded_quote_id {
        Some(q) if lot.state().has_results() => Ok(quotes::find_quote(conn, q)?),
        _ => Ok(None),
    }
}

/// Is this supplier the winner of a confirmed lot?
pub fn is_confirmed_winner(
    conn: &mut DbConnection,
    lot: &Lot,
    supplier: SupplierId,
) -> Result<bool, ReadError> {
    if !lot.state().is_confirmed() {
        return Ok(false);
    }
    let procedure = store::find_procedure(conn, lot.id)?.unwrap_or_default();
    Ok(awarded_quote(conn, lot, &procedure)?.is_some_and(|q| q.supplier_id == supplier))
}
