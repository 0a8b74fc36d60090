//! A lot's bundle as kept with every order write: its total quantity, lines and members, and
//! each member's part; and the same counted afresh from the lines, to check them against.

use super::schema::{lot_bundles, lot_member_totals, order_lines};
use super::{Corrupt, DbConnection, Error, Prepared, RowReader};
use crate::domain::ids::{LotId, MemberId};
use crate::domain::lot::BundleSize;
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

/// How a write changed a lot's bundle: quantity, lines and members taking part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BundleChange {
    pub quantity: i64,
    pub lines: i64,
    pub members: i64,
}

/// Counts a change of lines into the lot's bundle, if the bundle stays within what the
/// pricing engine can price; false (nothing changed) if it would not. The last write of
/// an order transaction, so the bundle's row is held only until the commit.
pub(super) fn apply_bundle_change(
    conn: &mut DbConnection,
    lot: LotId,
    change: &BundleChange,
) -> QueryResult<bool> {
    use crate::domain::pricing::{MAX_LOT_QUANTITY, MAX_ORDER_LINES};
    let (quantity, lines) = (change.quantity, change.lines);
    let max_quantity = MAX_LOT_QUANTITY as i64;
    let max_lines = MAX_ORDER_LINES as i64;
    // A change that shrinks the bundle always fits.
    let update = Prepared(
        diesel::update(
            lot_bundles::table
                .find(lot)
                .filter(lot_bundles::ordered_quantity.le(max_quantity - quantity.max(0)))
                .filter(lot_bundles::ordered_lines.le(max_lines - lines.max(0))),
        )
        .set((
            lot_bundles::ordered_quantity.eq(lot_bundles::ordered_quantity + quantity),
            lot_bundles::ordered_lines.eq(lot_bundles::ordered_lines + lines),
            lot_bundles::members.eq(lot_bundles::members + change.members),
        ))
        .returning(lot_bundles::lot_id),
    );
    let counted = crate::native!(conn, |c| update.get_result::<i64>(c).optional())?;
    Ok(counted.is_some())
}

/// The lot's active lines and their total quantity, as kept with every order write.
pub fn bundle_size(conn: &mut DbConnection, lot: LotId) -> Result<BundleSize, Error> {
    let (quantity, lines): (i64, i64) = lot_bundles::table
        .find(lot)
        .select((lot_bundles::ordered_quantity, lot_bundles::ordered_lines))
        .first(conn)?;
    let read = RowReader::new("lot_bundles", lot);
    Ok(BundleSize {
        quantity: read.quantity("ordered_quantity", quantity)?,
        lines: read.quantity("ordered_lines", lines)?,
    })
}

/// The live bundle: total quantity and number of members taking part, as kept with every
/// order write.
pub fn totals(conn: &mut DbConnection, lot: LotId) -> Result<(u64, u64), Error> {
    let found: Option<(i64, i64)> = crate::native!(conn, |c| lot_bundles::table
        .find(lot)
        .select((lot_bundles::ordered_quantity, lot_bundles::members))
        .first(c)
        .optional())?;
    Ok(counts(BUNDLE, lot, found)?)
}

/// Where two kept counts are stored: table, and the names of the two columns.
pub(super) type CountColumns = (&'static str, &'static str, &'static str);
pub(super) const BUNDLE: CountColumns = ("lot_bundles", "ordered_quantity", "members");
pub(super) const MEMBER_PART: CountColumns =
    ("lot_member_totals", "ordered_quantity", "ordered_lines");

/// Two kept counts of a lot's row, zero when there is no row yet.
pub(super) fn counts(
    (table, first, second): CountColumns,
    lot: LotId,
    found: Option<(i64, i64)>,
) -> Result<(u64, u64), Corrupt> {
    let (a, b) = found.unwrap_or_default();
    let read = RowReader::new(table, lot);
    Ok((read.quantity(first, a)?, read.quantity(second, b)?))
}

/// One member's part of a lot's bundle: quantity and active lines.
pub fn member_totals(
    conn: &mut DbConnection,
    lot: LotId,
    member: MemberId,
) -> Result<(u64, u64), Error> {
    let found: Option<(i64, i64)> = crate::native!(conn, |c| lot_member_totals::table
        .find((lot, member))
        .select((
            lot_member_totals::ordered_quantity,
            lot_member_totals::ordered_lines,
        ))
        .first(c)
        .optional())?;
    Ok(counts(MEMBER_PART, lot, found)?)
}

/// The live bundles of all lots in one query, for lists of lots (which show every lot the
/// user may see; one row a lot, whatever their lines).
pub fn all_totals(
    conn: &mut DbConnection,
) -> Result<std::collections::HashMap<LotId, (u64, u64)>, Error> {
    let rows: Vec<(LotId, i64, i64)> = crate::native!(conn, |c| lot_bundles::table
        .select((
            lot_bundles::lot_id,
            lot_bundles::ordered_quantity,
            lot_bundles::members,
        ))
        .load(c))?;
    rows.into_iter()
        .map(|(id, quantity, members)| {
            let read = RowReader::new("lot_bundles", id);
            Ok((
                id,
                (
                    read.quantity("ordered_quantity", quantity)?,
                    read.quantity("members", members)?,
                ),
            ))
        })
        .collect()
}

/// The bundle counted afresh from the active lines (to check the kept totals against).
pub fn counted_totals(conn: &mut DbConnection, lot: LotId) -> Result<(u64, u64), Error> {
    // SUM over BIGINT is NUMERIC on PostgreSQL; cast it back to an integer on both backends.
    let (quantity, members): (i64, i64) = order_lines::table
        .filter(order_lines::lot_id.eq(lot))
        .filter(order_lines::cancelled_at.is_null())
        .select((
            sql::<BigInt>("COALESCE(CAST(SUM(quantity) AS BIGINT), 0)"),
            sql::<BigInt>("COUNT(DISTINCT member_id)"),
        ))
        .first(conn)?;
    let read = RowReader::new("lots", lot);
    Ok((
        read.quantity("total quantity of order_lines", quantity)?,
        read.quantity("member count of order_lines", members)?,
    ))
}
