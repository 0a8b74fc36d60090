//! Order lines: a member's demand in a lot, placed, changed and cancelled by its buyers.

use super::bundles::BundleChange;
use super::schema::{delivery_sites, lot_member_totals, lots, order_lines};
use super::time::DbTime;
use super::{typed, typed_one, Corrupt, DbConnection, Error, Prepared, RowReader};
use crate::domain::ids::{LineId, LotId, MemberId, SiteId, UserId};
use crate::domain::lot::OrderInput;
use crate::domain::money::UnitPrice;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An order line as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_lines)]
struct RawLine {
    id: LineId,
    lot_id: LotId,
    member_id: MemberId,
    delivery_site_id: SiteId,
    quantity: i64,
    max_unit_price: Option<i64>,
    reference: String,
    idempotency_key: String,
    placed_by: UserId,
    #[diesel(deserialize_as = DbTime)]
    placed_at: NaiveDateTime,
    #[diesel(deserialize_as = DbTime)]
    updated_at: NaiveDateTime,
    cancelled_at: Option<NaiveDateTime>,
}

/// An order line with its quantity and limit price read into the domain's types.
#[derive(Debug, Clone)]
pub struct OrderLineRow {
    pub id: LineId,
    pub lot_id: LotId,
    pub member_id: MemberId,
    pub delivery_site_id: SiteId,
    pub quantity: u64,
    pub max_unit_price: Option<UnitPrice>,
    pub reference: String,
    pub idempotency_key: String,
    pub placed_by: UserId,
    pub placed_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub cancelled_at: Option<NaiveDateTime>,
}

impl TryFrom<RawLine> for OrderLineRow {
    type Error = Corrupt;

    fn try_from(row: RawLine) -> Result<Self, Corrupt> {
        let read = RowReader::new("order_lines", row.id);
        Ok(OrderLineRow {
            quantity: read.quantity("quantity", row.quantity)?,
            max_unit_price: read.optional_price("max_unit_price", row.max_unit_price)?,
            id: row.id,
            lot_id: row.lot_id,
            member_id: row.member_id,
            delivery_site_id: row.delivery_site_id,
            reference: row.reference,
            idempotency_key: row.idempotency_key,
            placed_by: row.placed_by,
            placed_at: row.placed_at,
            updated_at: row.updated_at,
            cancelled_at: row.cancelled_at,
        })
    }
}

impl OrderLineRow {
    /// The line as the order form and the pricing engine read it.
    pub fn input(&self) -> OrderInput {
        OrderInput {
            quantity: self.quantity,
            max_unit_price: self.max_unit_price,
            reference: self.reference.clone(),
        }
    }
}

/// A line with the name of its delivery site, for the member's own view.
#[derive(Debug, Clone)]
pub struct OrderLineView {
    pub line: OrderLineRow,
    pub site_name: String,
}

/// The member's active lines in a lot, oldest first.
/// A page of a member's active lines in a lot: those after line `after` (all from the
/// first when `None`), at most `limit`.
pub fn lines_of_member(
    conn: &mut DbConnection,
    lot: LotId,
    member: MemberId,
    after: Option<LineId>,
    limit: i64,
) -> Result<Vec<OrderLineView>, Error> {
    let rows: Vec<(RawLine, String)> = crate::native!(conn, |c| Prepared(
        order_lines::table
            .inner_join(delivery_sites::table)
            .filter(order_lines::lot_id.eq(lot))
            .filter(order_lines::member_id.eq(member))
            .filter(order_lines::cancelled_at.is_null())
            .filter(order_lines::id.gt(after.unwrap_or_default()))
            .order(order_lines::id.asc())
            .limit(limit)
            .select((RawLine::as_select(), delivery_sites::name))
    )
    .load(c))?;
    rows.into_iter()
        .map(|(line, site_name)| {
            Ok(OrderLineView {
                line: OrderLineRow::try_from(line)?,
                site_name,
            })
        })
        .collect()
}

/// Every active line of a lot (for evaluation and the concurrency check).
pub fn active_lines(conn: &mut DbConnection, lot: LotId) -> Result<Vec<OrderLineRow>, Error> {
    typed(
        order_lines::table
            .filter(order_lines::lot_id.eq(lot))
            .filter(order_lines::cancelled_at.is_null())
            .order(order_lines::id.asc())
            .select(RawLine::as_select())
            .load(conn)?,
    )
}

pub fn find(conn: &mut DbConnection, id: LineId) -> Result<Option<OrderLineRow>, Error> {
    typed_one(
        order_lines::table
            .find(id)
            .select(RawLine::as_select())
            .first(conn)
            .optional()?,
    )
}

/// The id of the member's line placed with this form key, if any.
pub fn find_by_idempotency_key(
    conn: &mut DbConnection,
    lot: LotId,
    member: MemberId,
    key: &str,
) -> QueryResult<Option<i64>> {
    order_lines::table
        .filter(order_lines::lot_id.eq(lot))
        .filter(order_lines::member_id.eq(member))
        .filter(order_lines::idempotency_key.eq(key))
        .select(order_lines::id)
        .first(conn)
        .optional()
}

/// Everything needed to store a new line.
pub struct NewLine<'a> {
    pub lot: LotId,
    pub member: MemberId,
    pub site: SiteId,
    pub input: &'a OrderInput,
    pub idempotency_key: &'a str,
    pub placed_by: UserId,
    pub now: NaiveDateTime,
}

impl NewLine<'_> {
    /// The change storing this line makes: one line more of its quantity.
    fn change(&self) -> LineChange {
        LineChange {
            lot: self.lot,
            member: self.member,
            quantity: self.input.quantity as i64,
            lines: 1,
        }
    }
}

/// How a write changed a member's lines in a lot, still to be counted into the member's and
/// the lot's totals together ([`count_into_lot`], the only way to count one): the last writes
/// of an order's transaction, so the rows every order of the member and of the lot takes
/// are held only until the commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use = "a line's change must be counted into the totals"]
pub struct LineChange {
    pub lot: LotId,
    pub member: MemberId,
    pub quantity: i64,
    pub lines: i64,
}

/// Counts a line's change into its member's totals for the lot; answers the change of the
/// lot's bundle it makes.
fn count(conn: &mut DbConnection, change: &LineChange) -> QueryResult<BundleChange> {
    use lot_member_totals as t;
    let LineChange {
        lot,
        member,
        quantity,
        lines,
    } = *change;
    let row = (
        t::lot_id.eq(lot),
        t::member_id.eq(member),
        t::ordered_quantity.eq(quantity),
        t::ordered_lines.eq(lines),
    );
    let add = (
        t::ordered_quantity.eq(t::ordered_quantity + quantity),
        t::ordered_lines.eq(t::ordered_lines + lines),
    );
    // Upserts exist only on the concrete connections.
    let upsert = Prepared(
        diesel::insert_into(t::table)
            .values(row)
            .on_conflict((t::lot_id, t::member_id))
            .do_update()
            .set(add)
            .returning(t::ordered_lines),
    );
    let after: i64 = crate::native!(conn, |c| upsert.get_result(c))?;
    Ok(BundleChange {
        quantity,
        lines,
        members: members_change(after, lines),
    })
}

/// How the lot's count of members taking part moves when a member's active lines changed by
/// `lines` to `after`: a member takes part while it has any.
fn members_change(after: i64, lines: i64) -> i64 {
    let before = after - lines;
    i64::from(after > 0) - i64::from(before > 0)
}

/// Counts a line's change into its member's and its lot's totals, if the lot's bundle stays
/// within what the pricing engine can price; false if it would not (the member's count is
/// then changed already: the caller refuses and so rolls the transaction back).
pub fn count_into_lot(conn: &mut DbConnection, change: &LineChange) -> QueryResult<bool> {
    let bundle = count(conn, change)?;
    super::bundles::apply_bundle_change(conn, change.lot, &bundle)
}

/// What storing a new line came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// Stored, with the change still to be counted into the totals.
    New(LineId, LineChange),
    /// The member has a line with this form key already: nothing stored.
    Again,
    /// The lot takes no orders at the line's time: nothing stored.
    LotClosed,
}

/// Stores a new line if the lot takes orders at the line's time, and keeps the lot so until
/// the transaction ends (as [`super::lots::lock_open_for_orders`] does); a line with a form
/// key the member has used is stored once. The check of the lot, the check of the key and the
/// write are one statement, also between two requests sending the same form at the same
/// instant; only a line that was not stored asks the lot again, to say why.
pub fn insert(conn: &mut DbConnection, line: &NewLine<'_>) -> QueryResult<Placed> {
    use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
    let values = (
        lots::id,
        line.member.into_sql::<BigInt>(),
        line.site.into_sql::<BigInt>(),
        (line.input.quantity as i64).into_sql::<BigInt>(),
        line.input
            .max_unit_price
            .map(UnitPrice::ten_thousandths)
            .into_sql::<Nullable<BigInt>>(),
        line.input.reference.as_str().into_sql::<Text>(),
        line.idempotency_key.into_sql::<Text>(),
        line.placed_by.into_sql::<BigInt>(),
        line.now.into_sql::<Timestamp>(),
        line.now.into_sql::<Timestamp>(),
    );
    let columns = (
        order_lines::lot_id,
        order_lines::member_id,
        order_lines::delivery_site_id,
        order_lines::quantity,
        order_lines::max_unit_price,
        order_lines::reference,
        order_lines::idempotency_key,
        order_lines::placed_by,
        order_lines::placed_at,
        order_lines::updated_at,
    );
    let open = super::lots::taking_orders(line.lot, line.now).select(values);
    let key = (
        order_lines::lot_id,
        order_lines::member_id,
        order_lines::idempotency_key,
    );
    // The same statement from either source: the shared lock on the lot's row exists only
    // on PostgreSQL (see lock_open_for_orders).
    macro_rules! store_from {
        ($source:expr, $c:expr) => {
            diesel::insert_into(order_lines::table)
                .values($source)
                .into_columns(columns)
                .on_conflict(key)
                .do_nothing()
                .returning(order_lines::id)
                .get_result::<LineId>($c)
                .optional()?
        };
    }
    let stored = match conn {
        DbConnection::Pg(c) => store_from!(open.for_share(), c),
        DbConnection::Sqlite(c) => store_from!(open, c),
    };
    if let Some(id) = stored {
        return Ok(Placed::New(id, line.change()));
    }
    Ok(
        if super::lots::lock_open_for_orders(conn, line.lot, line.now)? {
            Placed::Again
        } else {
            Placed::LotClosed
        },
    )
}

/// Changes an active line; `None` if there is no such active line.
pub fn update(
    conn: &mut DbConnection,
    id: LineId,
    site: SiteId,
    input: &OrderInput,
    now: NaiveDateTime,
) -> QueryResult<Option<LineChange>> {
    let Some((lot, member, before)) = active_quantity(conn, id)? else {
        return Ok(None);
    };
    diesel::update(
        order_lines::table
            .find(id)
            .filter(order_lines::cancelled_at.is_null()),
    )
    .set((
        order_lines::delivery_site_id.eq(site),
        order_lines::quantity.eq(input.quantity as i64),
        order_lines::max_unit_price.eq(input.max_unit_price.map(UnitPrice::ten_thousandths)),
        order_lines::reference.eq(&input.reference),
        order_lines::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(Some(LineChange {
        lot,
        member,
        quantity: input.quantity as i64 - before,
        lines: 0,
    }))
}

/// Cancels a line; it stays stored, marked with the time of cancellation.
/// `None` if the line was cancelled already.
pub fn cancel(
    conn: &mut DbConnection,
    id: LineId,
    now: NaiveDateTime,
) -> QueryResult<Option<LineChange>> {
    let Some((lot, member, before)) = active_quantity(conn, id)? else {
        return Ok(None);
    };
    diesel::update(
        order_lines::table
            .find(id)
            .filter(order_lines::cancelled_at.is_null()),
    )
    .set((
        order_lines::cancelled_at.eq(Some(now)),
        order_lines::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(Some(LineChange {
        lot,
        member,
        quantity: -before,
        lines: -1,
    }))
}

/// The lot, member and quantity of a line that is not cancelled, with the line held for
/// this transaction: two people changing or cancelling one line at once take turns, so
/// each counts the quantity the other left (SQLite has one writer at a time anyway).
fn active_quantity(
    conn: &mut DbConnection,
    id: LineId,
) -> QueryResult<Option<(LotId, MemberId, i64)>> {
    let line = order_lines::table
        .find(id)
        .filter(order_lines::cancelled_at.is_null())
        .select((
            order_lines::lot_id,
            order_lines::member_id,
            order_lines::quantity,
        ));
    match conn {
        DbConnection::Pg(c) => line.for_update().first(c).optional(),
        DbConnection::Sqlite(c) => line.first(c).optional(),
    }
}

/// A new line as a row of its table, for inserting many at once (a missing limit price
/// is written as NULL, so every row has the same columns).
#[derive(Insertable)]
#[diesel(table_name = order_lines)]
#[diesel(treat_none_as_default_value = false)]
struct LineRow<'a> {
    lot_id: LotId,
    member_id: MemberId,
    delivery_site_id: SiteId,
    quantity: i64,
    max_unit_price: Option<i64>,
    reference: &'a str,
    idempotency_key: &'a str,
    placed_by: UserId,
    placed_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl<'a> From<&'a NewLine<'a>> for LineRow<'a> {
    fn from(line: &'a NewLine<'a>) -> Self {
        LineRow {
            lot_id: line.lot,
            member_id: line.member,
            delivery_site_id: line.site,
            quantity: line.input.quantity as i64,
            max_unit_price: line.input.max_unit_price.map(UnitPrice::ten_thousandths),
            reference: &line.input.reference,
            idempotency_key: line.idempotency_key,
            placed_by: line.placed_by,
            placed_at: line.now,
            updated_at: line.now,
        }
    }
}

/// Stores many new lines of one member (an upload); `None` if there are none.
pub fn insert_many(
    conn: &mut DbConnection,
    lines: &[NewLine<'_>],
) -> QueryResult<Option<LineChange>> {
    let Some(first) = lines.first() else {
        return Ok(None);
    };
    let rows: Vec<_> = lines.iter().map(LineRow::from).collect();
    for chunk in rows.chunks(500) {
        match conn {
            DbConnection::Pg(c) => diesel::insert_into(order_lines::table)
                .values(chunk)
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::insert_into(order_lines::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(Some(LineChange {
        lot: first.lot,
        member: first.member,
        quantity: lines.iter().map(|l| l.input.quantity as i64).sum(),
        lines: lines.len() as i64,
    }))
}

/// Stores the new lines of several orders in one statement (the orders that arrived
/// together, see [`crate::app::ordering::store_together`]); answers their ids in the order
/// given with the changes still to be counted, or `None` (nothing kept: the caller rolls
/// back) if any line was not stored because its member used its form key before or it is
/// twice among these. Their lots must be held open for orders by this transaction already
/// ([`super::lots::lock_open_for_orders`]).
pub fn insert_together(
    conn: &mut DbConnection,
    lines: &[NewLine<'_>],
) -> QueryResult<Option<Vec<(LineId, LineChange)>>> {
    let rows: Vec<_> = lines.iter().map(LineRow::from).collect();
    let key = (
        order_lines::lot_id,
        order_lines::member_id,
        order_lines::idempotency_key,
    );
    let returned = (
        order_lines::id,
        order_lines::lot_id,
        order_lines::member_id,
        order_lines::idempotency_key,
    );
    let stored: Vec<(LineId, LotId, MemberId, String)> =
        crate::native!(conn, |c| diesel::insert_into(order_lines::table)
            .values(&rows)
            .on_conflict(key)
            .do_nothing()
            .returning(returned)
            .load(c))?;
    if stored.len() != lines.len() {
        return Ok(None);
    }
    // The database need not return the rows in the order given: each is found by its key.
    let ids: std::collections::HashMap<_, _> = stored
        .iter()
        .map(|(id, lot, member, key)| ((*lot, *member, key.as_str()), *id))
        .collect();
    Ok(lines
        .iter()
        .map(|line| {
            let id = ids.get(&(line.lot, line.member, line.idempotency_key))?;
            Some((*id, line.change()))
        })
        .collect())
}

/// Counts the changes of several orders into their members' and lots' totals in one
/// statement for the members and one for each lot, if every lot's bundle stays within what
/// the pricing engine can price; false if one would not (some counts are changed already:
/// the caller rolls back). Rows are taken in the order of their keys, as by every writer
/// of several, so two such writers cannot wait for each other.
pub fn count_together(conn: &mut DbConnection, changes: &[LineChange]) -> QueryResult<bool> {
    use lot_member_totals as t;
    use std::collections::BTreeMap;
    let mut per_member: BTreeMap<(LotId, MemberId), (i64, i64)> = BTreeMap::new();
    for change in changes {
        let sum = per_member.entry((change.lot, change.member)).or_default();
        sum.0 += change.quantity;
        sum.1 += change.lines;
    }
    let rows: Vec<_> = per_member
        .iter()
        .map(|(&(lot, member), &(quantity, lines))| {
            (
                t::lot_id.eq(lot),
                t::member_id.eq(member),
                t::ordered_quantity.eq(quantity),
                t::ordered_lines.eq(lines),
            )
        })
        .collect();
    use diesel::upsert::excluded;
    let add = (
        t::ordered_quantity.eq(t::ordered_quantity + excluded(t::ordered_quantity)),
        t::ordered_lines.eq(t::ordered_lines + excluded(t::ordered_lines)),
    );
    let after: Vec<(LotId, MemberId, i64)> =
        crate::native!(conn, |c| diesel::insert_into(t::table)
            .values(&rows)
            .on_conflict((t::lot_id, t::member_id))
            .do_update()
            .set(add)
            .returning((t::lot_id, t::member_id, t::ordered_lines))
            .load(c))?;
    let mut per_lot: BTreeMap<LotId, BundleChange> = BTreeMap::new();
    for (lot, member, lines_after) in after {
        let (quantity, lines) = per_member[&(lot, member)];
        let bundle = per_lot.entry(lot).or_default();
        bundle.quantity += quantity;
        bundle.lines += lines;
        bundle.members += members_change(lines_after, lines);
    }
    for (lot, bundle) in per_lot {
        if !super::bundles::apply_bundle_change(conn, lot, &bundle)? {
            return Ok(false);
        }
    }
    Ok(true)
}
