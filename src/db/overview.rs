//! What a member organisation bought across lots: its part of each, its confirmed results,
//! its call-offs and credits — of one member across lots, or of every member in one lot.
//! Each query is one pass over the rows asked for.

use super::schema::{award_members, calloff_credits, calloffs, lot_member_totals, lot_procedure};
use super::DbConnection;
use crate::domain::ids::{LotId, MemberId};
use crate::domain::money::Money;
use crate::domain::spend::Entry;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What a member has ordered in one lot, all its active lines together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = lot_member_totals)]
pub struct Ordered {
    pub lot_id: LotId,
    #[diesel(column_name = ordered_quantity)]
    pub quantity: i64,
}

/// Every lot the member has ordered in, with the quantity ordered.
pub fn ordered(conn: &mut DbConnection, member: MemberId) -> QueryResult<Vec<Ordered>> {
    lot_member_totals::table
        .filter(lot_member_totals::member_id.eq(member))
        .filter(lot_member_totals::ordered_quantity.gt(0))
        .select(Ordered::as_select())
        .load(conn)
}

/// Whose purchases to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Of {
    /// One member's, in every lot.
    Member(MemberId),
    /// Every member's, in one lot.
    Lot(LotId),
}

/// A stored purchase or credit: what a confirmed award gave the member, a call-off, a credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurchaseRow {
    pub member_id: MemberId,
    pub lot_id: LotId,
    /// The confirmation, the call-off, or the call-off that caused the credit.
    pub at: NaiveDateTime,
    pub entry: Entry,
}

#[derive(Queryable)]
struct AwardedRow {
    member_id: MemberId,
    lot_id: LotId,
    quantity: i64,
    net: i64,
    gross: i64,
    saving_vs_alone: Option<i64>,
    confirmed_at: Option<NaiveDateTime>,
}

#[derive(Queryable)]
struct CalledOffRow {
    member_id: MemberId,
    lot_id: LotId,
    quantity: i64,
    net: i64,
    gross: i64,
    at: NaiveDateTime,
}

#[derive(Queryable)]
struct CreditedRow {
    member_id: MemberId,
    lot_id: LotId,
    net: i64,
    gross: i64,
    at: NaiveDateTime,
}

/// Every confirmed award result, call-off and credit of `of`.
pub fn purchases(conn: &mut DbConnection, of: Of) -> QueryResult<Vec<PurchaseRow>> {
    let mut awarded = award_members::table
        .inner_join(lot_procedure::table.on(lot_procedure::lot_id.eq(award_members::lot_id)))
        .filter(lot_procedure::confirmed_at.is_not_null())
        .select((
            award_members::member_id,
            award_members::lot_id,
            award_members::quantity,
            award_members::net,
            award_members::gross,
            award_members::saving_vs_alone,
            lot_procedure::confirmed_at,
        ))
        .into_boxed();
    let mut called = calloffs::table
        .select((
            calloffs::member_id,
            calloffs::lot_id,
            calloffs::quantity,
            calloffs::net,
            calloffs::gross,
            calloffs::at,
        ))
        .into_boxed();
    let mut credited = calloff_credits::table
        .inner_join(calloffs::table)
        .select((
            calloff_credits::member_id,
            calloffs::lot_id,
            calloff_credits::net,
            calloff_credits::gross,
            calloffs::at,
        ))
        .into_boxed();
    match of {
        Of::Member(m) => {
            awarded = awarded.filter(award_members::member_id.eq(m));
            called = called.filter(calloffs::member_id.eq(m));
            credited = credited.filter(calloff_credits::member_id.eq(m));
        }
        Of::Lot(l) => {
            awarded = awarded.filter(award_members::lot_id.eq(l));
            called = called.filter(calloffs::lot_id.eq(l));
            credited = credited.filter(calloffs::lot_id.eq(l));
        }
    }
    let awarded: Vec<AwardedRow> = awarded.load(conn)?;
    let called: Vec<CalledOffRow> = called.load(conn)?;
    let credited: Vec<CreditedRow> = credited.load(conn)?;
    let quantity = |q: i64| q.max(0).unsigned_abs();
    let mut rows = Vec::with_capacity(awarded.len() + called.len() + credited.len());
    rows.extend(awarded.into_iter().filter_map(|r| {
        Some(PurchaseRow {
            member_id: r.member_id,
            lot_id: r.lot_id,
            at: r.confirmed_at?,
            entry: Entry::Bought {
                quantity: quantity(r.quantity),
                net: Money::from_cents(r.net),
                gross: Money::from_cents(r.gross),
                saving_vs_alone: r.saving_vs_alone.map(Money::from_cents),
            },
        })
    }));
    rows.extend(called.into_iter().map(|r| PurchaseRow {
        member_id: r.member_id,
        lot_id: r.lot_id,
        at: r.at,
        entry: Entry::CalledOff {
            quantity: quantity(r.quantity),
            net: Money::from_cents(r.net),
            gross: Money::from_cents(r.gross),
        },
    }));
    rows.extend(credited.into_iter().map(|r| PurchaseRow {
        member_id: r.member_id,
        lot_id: r.lot_id,
        at: r.at,
        entry: Entry::Credited {
            net: Money::from_cents(r.net),
            gross: Money::from_cents(r.gross),
        },
    }));
    Ok(rows)
}
