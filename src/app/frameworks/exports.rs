//! A framework's call-offs and credits for the CSV, and the framework as a `sammelkauf
//! calloffs` scenario for staff.
use super::{agreement, member_key};
use crate::app::{Actor, Denied, ReadError};
use crate::db::frameworks::{self, CreditRow};
use crate::db::DbConnection;
use crate::domain::account::Role;
use crate::domain::framework::CallOff;
use crate::domain::ids::LotId;

/// Every call-off and credit of a framework, for the CSV and the scenario export: staff and
/// the framework's supplier see all, a member only its own.
pub struct Record {
    pub calloffs: Vec<frameworks::NamedCallOff>,
    pub credits: Vec<CreditRow>,
}

pub fn record_for(
    conn: &mut DbConnection,
    actor: &Actor,
    lot_id: LotId,
) -> Result<Record, ReadError> {
    let lot = crate::app::access::visible(conn, actor, lot_id)?;
    let agreement = agreement(conn, &lot)?.ok_or(Denied::NotFound)?;
    let member = match actor.role {
        Role::Staff => None,
        Role::Supplier if actor.supplier_id == Some(agreement.supplier_id) => None,
        Role::Buyer => Some(actor.member()?),
        Role::Supplier => return Err(Denied::NotFound.into()),
    };
    let mut calloffs = frameworks::of_member(conn, lot_id, member, None)?;
    calloffs.reverse();
    Ok(Record {
        calloffs,
        credits: frameworks::credits(conn, lot_id, member)?,
    })
}

/// The framework as a `sammelkauf calloffs` scenario (staff): the contract and the stored
/// call-offs, so anyone can re-price them with the CLI.
pub fn scenario(
    conn: &mut DbConnection,
    actor: &Actor,
    lot_id: LotId,
) -> Result<String, ReadError> {
    let lot = crate::app::access::for_staff(conn, actor, lot_id)?;
    let agreement = agreement(conn, &lot)?.ok_or(Denied::NotFound)?;
    let rows = frameworks::all_of(conn, lot_id)?;
    let calloffs: Vec<CallOff> = rows
        .iter()
        .map(|r| CallOff {
            id: r.contract_id(),
            member: member_key(r.member_id),
            quantity: r.quantity.max(0) as u64,
            at: r.at.and_utc(),
        })
        .collect();
    Ok(crate::calloff_scenario::render_scenario(
        &agreement.contract,
        &calloffs,
    ))
}
