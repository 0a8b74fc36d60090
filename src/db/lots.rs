//! Lots: their terms, indicative tiers, invited suppliers, state changes and live totals.

use super::schema::{lot_indicative_tiers, lot_invitations, lots, order_lines, suppliers};
use super::DbConnection;
use crate::domain::lot::{IndicativeTier, LotStatus, LotTermsInput};
use crate::domain::money::{UnitPrice, VatRate};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lots)]
pub struct Lot {
    pub id: i64,
    pub title: String,
    pub specification: String,
    pub category: String,
    pub unit: String,
    pub order_increment: i64,
    pub min_total_quantity: i64,
    pub list_unit_price: Option<i64>,
    pub vat_rate: i64,
    pub demand_deadline: NaiveDateTime,
    pub quote_deadline: NaiveDateTime,
    pub standstill_days: i64,
    pub status: String,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Lot {
    pub fn stored_status(&self) -> LotStatus {
        LotStatus::parse(&self.status).unwrap_or(LotStatus::Draft)
    }

    /// The status as of `now` (an open lot past its demand deadline is closed).
    pub fn status_at(&self, now: DateTime<Utc>) -> LotStatus {
        self.stored_status()
            .effective(self.demand_deadline.and_utc(), now)
    }

    pub fn list_price(&self) -> Option<UnitPrice> {
        self.list_unit_price
            .and_then(|p| UnitPrice::from_ten_thousandths(p).ok())
    }

    pub fn vat(&self) -> VatRate {
        VatRate::from_ten_thousandths(self.vat_rate).unwrap_or(VatRate::STANDARD)
    }

    pub fn increment(&self) -> u64 {
        u64::try_from(self.order_increment).unwrap_or(1).max(1)
    }
}

/// The columns a lot's terms set, for insert and update alike.
type TermsColumns = (
    diesel::dsl::Eq<lots::title, String>,
    diesel::dsl::Eq<lots::specification, String>,
    diesel::dsl::Eq<lots::category, &'static str>,
    diesel::dsl::Eq<lots::unit, String>,
    diesel::dsl::Eq<lots::order_increment, i64>,
    diesel::dsl::Eq<lots::min_total_quantity, i64>,
    diesel::dsl::Eq<lots::list_unit_price, Option<i64>>,
    diesel::dsl::Eq<lots::vat_rate, i64>,
    diesel::dsl::Eq<lots::demand_deadline, NaiveDateTime>,
    diesel::dsl::Eq<lots::quote_deadline, NaiveDateTime>,
    diesel::dsl::Eq<lots::standstill_days, i64>,
);

fn terms_columns(terms: &LotTermsInput) -> TermsColumns {
    (
        lots::title.eq(terms.title.clone()),
        lots::specification.eq(terms.specification.clone()),
        lots::category.eq(terms.category.as_str()),
        lots::unit.eq(terms.unit.clone()),
        lots::order_increment.eq(terms.order_increment as i64),
        lots::min_total_quantity.eq(terms.min_total_quantity as i64),
        lots::list_unit_price.eq(terms.list_unit_price.map(UnitPrice::ten_thousandths)),
        lots::vat_rate.eq(terms.vat_rate.ten_thousandths()),
        lots::demand_deadline.eq(terms.demand_deadline.naive_utc()),
        lots::quote_deadline.eq(terms.quote_deadline.naive_utc()),
        lots::standstill_days.eq(terms.standstill_days as i64),
    )
}

/// Creates a lot in draft with its indicative tiers and invitations.
pub fn insert(
    conn: &mut DbConnection,
    terms: &LotTermsInput,
    invited: &[i64],
    created_by: i64,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let id = crate::insert_returning_id!(
        conn,
        diesel::insert_into(lots::table).values((
            terms_columns(terms),
            lots::status.eq(LotStatus::Draft.as_str()),
            lots::created_by.eq(created_by),
            lots::created_at.eq(now),
            lots::updated_at.eq(now),
        )),
        lots::id
    )?;
    replace_tiers_and_invitations(conn, id, &terms.indicative_tiers, invited, now)?;
    Ok(id)
}

/// Changes a draft lot's terms; 0 rows when it is no longer a draft.
pub fn update_draft(
    conn: &mut DbConnection,
    id: i64,
    terms: &LotTermsInput,
    invited: &[i64],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let changed = diesel::update(
        lots::table
            .find(id)
            .filter(lots::status.eq(LotStatus::Draft.as_str())),
    )
    .set((terms_columns(terms), lots::updated_at.eq(now)))
    .execute(conn)?;
    if changed == 1 {
        replace_tiers_and_invitations(conn, id, &terms.indicative_tiers, invited, now)?;
    }
    Ok(changed)
}

fn replace_tiers_and_invitations(
    conn: &mut DbConnection,
    lot: i64,
    tiers: &[IndicativeTier],
    invited: &[i64],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(lot_indicative_tiers::table.filter(lot_indicative_tiers::lot_id.eq(lot)))
        .execute(conn)?;
    for tier in tiers {
        diesel::insert_into(lot_indicative_tiers::table)
            .values((
                lot_indicative_tiers::lot_id.eq(lot),
                lot_indicative_tiers::min_quantity.eq(tier.min_quantity as i64),
                lot_indicative_tiers::unit_price.eq(tier.unit_price.ten_thousandths()),
            ))
            .execute(conn)?;
    }
    diesel::delete(
        lot_invitations::table
            .filter(lot_invitations::lot_id.eq(lot))
            .filter(lot_invitations::supplier_id.ne_all(invited)),
    )
    .execute(conn)?;
    for supplier in invited {
        invite(conn, lot, *supplier, now)?;
    }
    Ok(())
}

/// Invites one more supplier; false if it was invited already.
pub fn invite(
    conn: &mut DbConnection,
    lot: i64,
    supplier: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    if is_invited(conn, lot, supplier)? {
        return Ok(false);
    }
    diesel::insert_into(lot_invitations::table)
        .values((
            lot_invitations::lot_id.eq(lot),
            lot_invitations::supplier_id.eq(supplier),
            lot_invitations::invited_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Lot>> {
    lots::table
        .find(id)
        .select(Lot::as_select())
        .first(conn)
        .optional()
}

/// All lots, newest first (staff).
pub fn list_all(conn: &mut DbConnection) -> QueryResult<Vec<Lot>> {
    lots::table
        .order(lots::id.desc())
        .select(Lot::as_select())
        .load(conn)
}

/// Lots members may see: every one past draft.
pub fn list_for_members(conn: &mut DbConnection) -> QueryResult<Vec<Lot>> {
    lots::table
        .filter(lots::status.ne(LotStatus::Draft.as_str()))
        .order((lots::demand_deadline.asc(), lots::id.asc()))
        .select(Lot::as_select())
        .load(conn)
}

/// Lots a supplier is invited to and that are no longer drafts.
pub fn list_for_supplier(conn: &mut DbConnection, supplier: i64) -> QueryResult<Vec<Lot>> {
    lots::table
        .inner_join(lot_invitations::table)
        .filter(lot_invitations::supplier_id.eq(supplier))
        .filter(lots::status.ne(LotStatus::Draft.as_str()))
        .order((lots::demand_deadline.asc(), lots::id.asc()))
        .select(Lot::as_select())
        .load(conn)
}

pub fn is_invited(conn: &mut DbConnection, lot: i64, supplier: i64) -> QueryResult<bool> {
    let n: i64 = lot_invitations::table
        .filter(lot_invitations::lot_id.eq(lot))
        .filter(lot_invitations::supplier_id.eq(supplier))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn invited_suppliers(conn: &mut DbConnection, lot: i64) -> QueryResult<Vec<(i64, String)>> {
    lot_invitations::table
        .inner_join(suppliers::table)
        .filter(lot_invitations::lot_id.eq(lot))
        .order(suppliers::name.asc())
        .select((suppliers::id, suppliers::name))
        .load(conn)
}

pub fn indicative_tiers(conn: &mut DbConnection, lot: i64) -> QueryResult<Vec<IndicativeTier>> {
    let rows: Vec<(i64, i64)> = lot_indicative_tiers::table
        .filter(lot_indicative_tiers::lot_id.eq(lot))
        .order(lot_indicative_tiers::min_quantity.asc())
        .select((
            lot_indicative_tiers::min_quantity,
            lot_indicative_tiers::unit_price,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(min, price)| {
            Some(IndicativeTier {
                min_quantity: u64::try_from(min).ok()?,
                unit_price: UnitPrice::from_ten_thousandths(price).ok()?,
            })
        })
        .collect())
}

/// Moves a lot from one status to another if it is still in the first; true if it moved.
pub fn transition(
    conn: &mut DbConnection,
    id: i64,
    from: LotStatus,
    to: LotStatus,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(lots::table.find(id).filter(lots::status.eq(from.as_str())))
        .set((lots::status.eq(to.as_str()), lots::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
}

/// Takes the lot's row for this transaction (the first write of an order transaction, so
/// writers on one lot queue up instead of failing) and confirms it is open before
/// `now`. Returns false if the lot is not open for orders.
pub fn lock_open_for_orders(
    conn: &mut DbConnection,
    id: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        lots::table
            .find(id)
            .filter(lots::status.eq(LotStatus::Open.as_str()))
            .filter(lots::demand_deadline.gt(now)),
    )
    // A write that changes nothing, but takes the row (PostgreSQL) or the database
    // (SQLite) for this transaction.
    .set(lots::updated_at.eq(lots::updated_at))
    .execute(conn)
    .map(|n| n == 1)
}

/// Open lots whose demand deadline has passed.
pub fn due_for_closing(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    lots::table
        .filter(lots::status.eq(LotStatus::Open.as_str()))
        .filter(lots::demand_deadline.le(now))
        .select(lots::id)
        .load(conn)
}

/// The live bundle: total quantity and number of members taking part.
pub fn totals(conn: &mut DbConnection, lot: i64) -> QueryResult<(u64, u64)> {
    // SUM over BIGINT is NUMERIC on PostgreSQL; cast it back to an integer on both backends.
    let (quantity, members): (i64, i64) = order_lines::table
        .filter(order_lines::lot_id.eq(lot))
        .filter(order_lines::cancelled_at.is_null())
        .select((
            sql::<BigInt>("COALESCE(CAST(SUM(quantity) AS BIGINT), 0)"),
            sql::<BigInt>("COUNT(DISTINCT member_id)"),
        ))
        .first(conn)?;
    Ok((
        u64::try_from(quantity).unwrap_or(0),
        u64::try_from(members).unwrap_or(0),
    ))
}
