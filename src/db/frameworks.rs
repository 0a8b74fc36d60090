//! Framework agreements: their terms, the call-offs and credits, and each member's position.

use super::schema::{
    award_lines, calloff_credits, calloffs, delivery_sites, framework_members, lot_frameworks,
    members, order_lines,
};
use super::{DbConnection, Error, RowReader};
use crate::domain::ids::{CallOffId, LineId, LotId, MemberId, SiteId, UserId};
use crate::domain::lot::FrameworkTerms;
use crate::domain::money::{Money, UnitPrice};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A lot's framework terms, and whether (and why) it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkRow {
    pub lot_id: LotId,
    pub terms: FrameworkTerms,
    pub ended_at: Option<NaiveDateTime>,
    pub end_reason: String,
    pub ended_by: Option<i64>,
}

/// Makes a lot a framework (or a one-off lot again, with `None`).
pub fn set_terms(
    conn: &mut DbConnection,
    lot: LotId,
    terms: Option<FrameworkTerms>,
) -> QueryResult<()> {
    diesel::delete(lot_frameworks::table.find(lot)).execute(conn)?;
    if let Some(t) = terms {
        diesel::insert_into(lot_frameworks::table)
            .values((
                lot_frameworks::lot_id.eq(lot),
                lot_frameworks::term_months.eq(i64::from(t.term_months)),
                lot_frameworks::max_quantity.eq(t.max_quantity as i64),
                lot_frameworks::end_reason.eq(""),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The stored columns of a framework's row, in the order of `lot_frameworks::all_columns`.
pub(crate) type Row = (LotId, i64, i64, Option<NaiveDateTime>, String, Option<i64>);

impl FrameworkRow {
    pub(crate) fn read(
        (lot_id, term, max, ended_at, end_reason, ended_by): Row,
    ) -> Result<Self, Error> {
        let read = RowReader::new("lot_frameworks", lot_id);
        Ok(FrameworkRow {
            lot_id,
            terms: FrameworkTerms {
                term_months: u32::try_from(read.quantity("term_months", term)?).unwrap_or(1),
                max_quantity: read.quantity("max_quantity", max)?,
            },
            ended_at,
            end_reason,
            ended_by,
        })
    }
}

pub fn find(conn: &mut DbConnection, lot: LotId) -> Result<Option<FrameworkRow>, Error> {
    let row: Option<Row> = crate::native!(conn, |c| lot_frameworks::table
        .find(lot)
        .select(lot_frameworks::all_columns)
        .first(c)
        .optional())?;
    row.map(FrameworkRow::read).transpose()
}

/// Ends a running framework; false when it had already ended.
pub fn end(
    conn: &mut DbConnection,
    lot: LotId,
    reason: &str,
    by: Option<UserId>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        lot_frameworks::table
            .find(lot)
            .filter(lot_frameworks::ended_at.is_null()),
    )
    .set((
        lot_frameworks::ended_at.eq(Some(now)),
        lot_frameworks::end_reason.eq(reason),
        lot_frameworks::ended_by.eq(by),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Running frameworks (not ended): their lot ids.
pub fn running(conn: &mut DbConnection) -> QueryResult<Vec<LotId>> {
    lot_frameworks::table
        .filter(lot_frameworks::ended_at.is_null())
        .select(lot_frameworks::lot_id)
        .load(conn)
}

/// Every lot that is a framework, running or ended.
pub fn lots(conn: &mut DbConnection) -> QueryResult<Vec<LotId>> {
    lot_frameworks::table
        .select(lot_frameworks::lot_id)
        .load(conn)
}

/// One accepted line of the initial call-off (the award), as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable)]
pub struct InitialLineRow {
    pub order_line_id: LineId,
    pub member_id: MemberId,
    pub quantity: i64,
    /// Net in cents.
    pub net: i64,
}

/// The accepted lines of the initial call-off, by order line.
pub fn initial_lines(conn: &mut DbConnection, lot: LotId) -> QueryResult<Vec<InitialLineRow>> {
    award_lines::table
        .inner_join(order_lines::table)
        .filter(award_lines::lot_id.eq(lot))
        .filter(award_lines::status.eq("accepted"))
        .select((
            award_lines::order_line_id,
            order_lines::member_id,
            award_lines::quantity,
            award_lines::net.assume_not_null(),
        ))
        .order(award_lines::order_line_id)
        .load(conn)
}

/// A stored call-off.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = calloffs)]
pub struct CallOffRow {
    pub id: CallOffId,
    pub lot_id: LotId,
    pub member_id: MemberId,
    pub delivery_site_id: SiteId,
    pub quantity: i64,
    pub reference: String,
    pub idempotency_key: String,
    pub placed_by: UserId,
    pub at: NaiveDateTime,
    pub unit_price: i64,
    pub net: i64,
    pub vat: i64,
    pub gross: i64,
    pub cumulative_quantity: i64,
}

impl CallOffRow {
    /// The call-off's id as the contract orders it: zero-padded, so byte order is number order.
    pub fn contract_id(&self) -> String {
        contract_id(self.id)
    }

    pub fn unit_price(&self) -> UnitPrice {
        UnitPrice::from_ten_thousandths(self.unit_price).unwrap_or_else(|_| {
            UnitPrice::from_ten_thousandths(1).unwrap_or_else(|_| unreachable!())
        })
    }
}

pub fn contract_id(id: CallOffId) -> String {
    format!("CO-{:012}", id.get())
}

/// What a new call-off stores.
pub struct NewCallOff<'a> {
    pub lot: LotId,
    pub member: MemberId,
    pub site: SiteId,
    pub quantity: u64,
    pub reference: &'a str,
    pub idempotency_key: &'a str,
    pub placed_by: UserId,
    pub at: NaiveDateTime,
    pub unit_price: UnitPrice,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
    pub cumulative_quantity: u64,
}

pub fn insert(conn: &mut DbConnection, c: &NewCallOff<'_>) -> QueryResult<CallOffId> {
    let insert = diesel::insert_into(calloffs::table).values((
        calloffs::lot_id.eq(c.lot),
        calloffs::member_id.eq(c.member),
        calloffs::delivery_site_id.eq(c.site),
        calloffs::quantity.eq(c.quantity as i64),
        calloffs::reference.eq(c.reference),
        calloffs::idempotency_key.eq(c.idempotency_key),
        calloffs::placed_by.eq(c.placed_by),
        calloffs::at.eq(c.at),
        calloffs::unit_price.eq(c.unit_price.ten_thousandths()),
        calloffs::net.eq(c.net.cents()),
        calloffs::vat.eq(c.vat.cents()),
        calloffs::gross.eq(c.gross.cents()),
        calloffs::cumulative_quantity.eq(c.cumulative_quantity as i64),
    ));
    crate::insert_returning_id!(conn, insert, calloffs::id)
}

pub fn insert_credit(
    conn: &mut DbConnection,
    calloff: CallOffId,
    member: MemberId,
    (net, vat, gross): (Money, Money, Money),
) -> QueryResult<()> {
    diesel::insert_into(calloff_credits::table)
        .values((
            calloff_credits::calloff_id.eq(calloff),
            calloff_credits::member_id.eq(member),
            calloff_credits::net.eq(net.cents()),
            calloff_credits::vat.eq(vat.cents()),
            calloff_credits::gross.eq(gross.cents()),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn find_by_key(
    conn: &mut DbConnection,
    lot: LotId,
    member: MemberId,
    key: &str,
) -> QueryResult<Option<CallOffRow>> {
    calloffs::table
        .filter(calloffs::lot_id.eq(lot))
        .filter(calloffs::member_id.eq(member))
        .filter(calloffs::idempotency_key.eq(key))
        .select(CallOffRow::as_select())
        .first(conn)
        .optional()
}

/// Every call-off of a framework in the contract's order (at, then id).
pub fn all_of(conn: &mut DbConnection, lot: LotId) -> QueryResult<Vec<CallOffRow>> {
    calloffs::table
        .filter(calloffs::lot_id.eq(lot))
        .order((calloffs::at, calloffs::id))
        .select(CallOffRow::as_select())
        .load(conn)
}

/// The latest call-off: the cumulative quantity so far and the time the next may not precede.
pub fn latest(conn: &mut DbConnection, lot: LotId) -> QueryResult<Option<CallOffRow>> {
    calloffs::table
        .filter(calloffs::lot_id.eq(lot))
        .order((calloffs::at.desc(), calloffs::id.desc()))
        .select(CallOffRow::as_select())
        .first(conn)
        .optional()
}

/// A call-off with the names of its delivery site and member.
#[derive(Debug, Clone, Queryable)]
pub struct NamedCallOff {
    pub calloff: CallOffRow,
    pub site: String,
    pub member: String,
}

/// A member's call-offs (or every member's) with their site names, newest first, at most
/// `limit`.
pub fn of_member(
    conn: &mut DbConnection,
    lot: LotId,
    member: Option<MemberId>,
    limit: Option<i64>,
) -> QueryResult<Vec<NamedCallOff>> {
    let mut query = calloffs::table
        .inner_join(delivery_sites::table)
        .inner_join(members::table)
        .filter(calloffs::lot_id.eq(lot))
        .select((CallOffRow::as_select(), delivery_sites::name, members::name))
        .order((calloffs::at.desc(), calloffs::id.desc()))
        .into_boxed();
    if let Some(m) = member {
        query = query.filter(calloffs::member_id.eq(m));
    }
    if let Some(n) = limit {
        query = query.limit(n);
    }
    query.load(conn)
}

/// A stored credit: the call-off that caused it, the member credited, and the amounts in
/// cents.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct CreditRow {
    pub calloff: CallOffId,
    pub member: MemberId,
    pub member_name: String,
    pub net: i64,
    pub vat: i64,
    pub gross: i64,
}

/// Credits of a framework (of one member, or all), in call-off order.
pub fn credits(
    conn: &mut DbConnection,
    lot: LotId,
    member: Option<MemberId>,
) -> QueryResult<Vec<CreditRow>> {
    let mut query = calloff_credits::table
        .inner_join(calloffs::table)
        .inner_join(members::table.on(members::id.eq(calloff_credits::member_id)))
        .filter(calloffs::lot_id.eq(lot))
        .select((
            calloff_credits::calloff_id,
            calloff_credits::member_id,
            members::name,
            calloff_credits::net,
            calloff_credits::vat,
            calloff_credits::gross,
        ))
        .order((calloffs::at, calloffs::id, members::name))
        .into_boxed();
    if let Some(m) = member {
        query = query.filter(calloff_credits::member_id.eq(m));
    }
    query.load(conn)
}

/// A member's position as kept after the latest call-off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub quantity: u64,
    pub net: Money,
    pub vat: Money,
    pub credited_net: Money,
    pub credited_vat: Money,
}

/// Writes every member's position after a call-off.
pub fn store_positions(
    conn: &mut DbConnection,
    lot: LotId,
    positions: &[(MemberId, Position)],
) -> QueryResult<()> {
    diesel::delete(framework_members::table.filter(framework_members::lot_id.eq(lot)))
        .execute(conn)?;
    for (member, p) in positions {
        diesel::insert_into(framework_members::table)
            .values((
                framework_members::lot_id.eq(lot),
                framework_members::member_id.eq(member),
                framework_members::quantity.eq(p.quantity as i64),
                framework_members::net.eq(p.net.cents()),
                framework_members::vat.eq(p.vat.cents()),
                framework_members::credited_net.eq(p.credited_net.cents()),
                framework_members::credited_vat.eq(p.credited_vat.cents()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A member's position in a framework, with the member's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPosition {
    pub member_id: MemberId,
    pub name: String,
    pub position: Position,
}

/// Every member's position (empty before the first call-off), by name.
pub fn positions(conn: &mut DbConnection, lot: LotId) -> QueryResult<Vec<MemberPosition>> {
    let rows: Vec<(MemberId, String, i64, i64, i64, i64, i64)> = framework_members::table
        .inner_join(members::table.on(members::id.eq(framework_members::member_id)))
        .filter(framework_members::lot_id.eq(lot))
        .select((
            framework_members::member_id,
            members::name,
            framework_members::quantity,
            framework_members::net,
            framework_members::vat,
            framework_members::credited_net,
            framework_members::credited_vat,
        ))
        .order(members::name)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(member_id, name, q, net, vat, cn, cv)| MemberPosition {
            member_id,
            name,
            position: Position {
                quantity: q.max(0) as u64,
                net: Money::from_cents(net),
                vat: Money::from_cents(vat),
                credited_net: Money::from_cents(cn),
                credited_vat: Money::from_cents(cv),
            },
        })
        .collect())
}

/// Whether the members' positions are kept yet (they are from the first call-off on).
pub fn has_positions(conn: &mut DbConnection, lot: LotId) -> QueryResult<bool> {
    framework_members::table
        .filter(framework_members::lot_id.eq(lot))
        .count()
        .get_result::<i64>(conn)
        .map(|n| n > 0)
}

/// Adds a call-off that credited nobody to its member's position.
pub fn add_to_position(
    conn: &mut DbConnection,
    lot: LotId,
    member: MemberId,
    (quantity, net, vat): (u64, Money, Money),
) -> QueryResult<()> {
    use framework_members as t;
    let row = (
        t::lot_id.eq(lot),
        t::member_id.eq(member),
        t::quantity.eq(quantity as i64),
        t::net.eq(net.cents()),
        t::vat.eq(vat.cents()),
        t::credited_net.eq(0i64),
        t::credited_vat.eq(0i64),
    );
    let add = (
        t::quantity.eq(t::quantity + quantity as i64),
        t::net.eq(t::net + net.cents()),
        t::vat.eq(t::vat + vat.cents()),
    );
    // Upserts exist only on the concrete connections.
    match conn {
        DbConnection::Pg(c) => diesel::insert_into(t::table)
            .values(row)
            .on_conflict((t::lot_id, t::member_id))
            .do_update()
            .set(add)
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_into(t::table)
            .values(row)
            .on_conflict((t::lot_id, t::member_id))
            .do_update()
            .set(add)
            .execute(c)?,
    };
    Ok(())
}
