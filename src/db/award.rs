//! The award's stored results: each line's outcome and each member's totals.

use super::schema::{award_lines, award_members, delivery_sites, members, order_lines};
use super::{Corrupt, DbConnection, Error, RowReader};
use crate::domain::ids::{LineId, LotId, MemberId};
use crate::domain::money::Money;
use crate::domain::pricing::{LinePrice, LineStatus};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;

/// One line's result as stored.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = award_lines)]
struct AwardLineRow {
    lot_id: LotId,
    order_line_id: LineId,
    status: String,
    quantity: i64,
    unit_price: Option<i64>,
    net: Option<i64>,
    vat: Option<i64>,
    gross: Option<i64>,
}

/// One member's totals as stored.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = award_members)]
struct AwardMemberRow {
    lot_id: LotId,
    member_id: MemberId,
    quantity: i64,
    net: i64,
    vat: i64,
    gross: i64,
    saving_vs_list: Option<i64>,
    saving_vs_alone: Option<i64>,
}

/// What the award decided for one order line: the engine's price where it was accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResult {
    pub order_line_id: LineId,
    pub status: LineStatus,
    pub quantity: u64,
    pub price: Option<LinePrice>,
}

/// What the award decided for one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberResult {
    pub member_id: MemberId,
    pub quantity: u64,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
    pub saving_vs_list: Option<Money>,
    pub saving_vs_alone: Option<Money>,
}

impl TryFrom<AwardLineRow> for LineResult {
    type Error = Corrupt;

    fn try_from(row: AwardLineRow) -> Result<Self, Corrupt> {
        let read = RowReader::new("award_lines", row.order_line_id);
        // A line is priced with all four amounts or with none.
        let price = match (row.unit_price, row.net, row.vat, row.gross) {
            (Some(unit_price), Some(net), Some(vat), Some(gross)) => Some(LinePrice {
                unit_price: read.price("unit_price", unit_price)?,
                net: Money::from_cents(net),
                vat: Money::from_cents(vat),
                gross: Money::from_cents(gross),
            }),
            (None, None, None, None) => None,
            _ => return Err(read.corrupt("net")),
        };
        Ok(LineResult {
            order_line_id: row.order_line_id,
            status: read.named("status", &row.status, LineStatus::parse)?,
            quantity: read.quantity("quantity", row.quantity)?,
            price,
        })
    }
}

impl TryFrom<AwardMemberRow> for MemberResult {
    type Error = Corrupt;

    fn try_from(row: AwardMemberRow) -> Result<Self, Corrupt> {
        let read = RowReader::new("award_members", row.member_id);
        Ok(MemberResult {
            member_id: row.member_id,
            quantity: read.quantity("quantity", row.quantity)?,
            net: Money::from_cents(row.net),
            vat: Money::from_cents(row.vat),
            gross: Money::from_cents(row.gross),
            saving_vs_list: row.saving_vs_list.map(Money::from_cents),
            saving_vs_alone: row.saving_vs_alone.map(Money::from_cents),
        })
    }
}

/// Stores the award's results for every line and member of a lot.
pub fn store_results(
    conn: &mut DbConnection,
    lot: LotId,
    lines: &[LineResult],
    members_: &[MemberResult],
) -> QueryResult<()> {
    let line_rows: Vec<AwardLineRow> = lines
        .iter()
        .map(|l| AwardLineRow {
            lot_id: lot,
            order_line_id: l.order_line_id,
            status: l.status.as_str().to_string(),
            // The engine's input limits keep every quantity far inside the column's range.
            quantity: l.quantity as i64,
            unit_price: l.price.map(|p| p.unit_price.ten_thousandths()),
            net: l.price.map(|p| p.net.cents()),
            vat: l.price.map(|p| p.vat.cents()),
            gross: l.price.map(|p| p.gross.cents()),
        })
        .collect();
    let member_rows: Vec<AwardMemberRow> = members_
        .iter()
        .map(|m| AwardMemberRow {
            lot_id: lot,
            member_id: m.member_id,
            quantity: m.quantity as i64,
            net: m.net.cents(),
            vat: m.vat.cents(),
            gross: m.gross.cents(),
            saving_vs_list: m.saving_vs_list.map(Money::cents),
            saving_vs_alone: m.saving_vs_alone.map(Money::cents),
        })
        .collect();
    // Multi-row inserts exist only on the concrete connections.
    macro_rules! batch {
        ($table:expr, $rows:expr) => {
            for chunk in $rows.chunks(500) {
                match conn {
                    DbConnection::Pg(c) => diesel::insert_into($table).values(chunk).execute(c)?,
                    DbConnection::Sqlite(c) => {
                        diesel::insert_into($table).values(chunk).execute(c)?
                    }
                };
            }
        };
    }
    batch!(award_lines::table, line_rows);
    batch!(award_members::table, member_rows);
    Ok(())
}

/// A stored line result with what a person needs to read it: member, site, reference.
#[derive(Debug, Clone)]
pub struct ResultLine {
    pub result: LineResult,
    pub member_id: MemberId,
    pub member: String,
    pub site: String,
    pub address: String,
    pub reference: String,
}

/// Which stored line results to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResultFilter {
    /// One member's lines only.
    pub member: Option<MemberId>,
    /// Only the lines the supplier delivers.
    pub accepted_only: bool,
    /// At most this many (a page shows the first ones; downloads read all).
    pub limit: Option<i64>,
}

/// Line results in the order of the procurement record: member, site, line.
pub fn result_lines(
    conn: &mut DbConnection,
    lot: LotId,
    filter: ResultFilter,
) -> Result<Vec<ResultLine>, Error> {
    let mut lines = Vec::new();
    each_result_line(conn, lot, filter, |line| {
        lines.push(line);
        Ok(())
    })?;
    Ok(lines)
}

/// Hands each line result to `f` as the database returns it, without holding them all
/// (downloads of large lots stream this way).
pub fn each_result_line(
    conn: &mut DbConnection,
    lot: LotId,
    filter: ResultFilter,
    mut f: impl FnMut(ResultLine) -> Result<(), Error>,
) -> Result<(), Error> {
    let mut query = award_lines::table
        .inner_join(
            order_lines::table
                .inner_join(members::table.on(members::id.eq(order_lines::member_id)))
                .inner_join(delivery_sites::table),
        )
        .filter(award_lines::lot_id.eq(lot))
        .order((
            members::name.asc(),
            delivery_sites::name.asc(),
            award_lines::order_line_id.asc(),
        ))
        .select((
            AwardLineRow::as_select(),
            order_lines::member_id,
            members::name,
            delivery_sites::name,
            delivery_sites::address,
            order_lines::reference,
        ))
        .into_boxed();
    if let Some(member) = filter.member {
        query = query.filter(order_lines::member_id.eq(member));
    }
    if filter.accepted_only {
        query = query.filter(award_lines::status.eq(LineStatus::Accepted.as_str()));
    }
    if let Some(limit) = filter.limit {
        query = query.limit(limit);
    }
    for row in query.load_iter::<ResultRow, DefaultLoadingMode>(conn)? {
        f(result_line(row?)?)?;
    }
    Ok(())
}

type ResultRow = (AwardLineRow, MemberId, String, String, String, String);

fn result_line(row: ResultRow) -> Result<ResultLine, Error> {
    let (result, member_id, member, site, address, reference) = row;
    Ok(ResultLine {
        result: LineResult::try_from(result)?,
        member_id,
        member,
        site,
        address,
        reference,
    })
}

/// A member's stored result with the member's name.
#[derive(Debug, Clone)]
pub struct MemberTotal {
    pub result: MemberResult,
    pub member: String,
}

/// Every member's stored result, by name.
pub fn result_members(conn: &mut DbConnection, lot: LotId) -> Result<Vec<MemberTotal>, Error> {
    let rows: Vec<(AwardMemberRow, String)> = award_members::table
        .inner_join(members::table)
        .filter(award_members::lot_id.eq(lot))
        .order(members::name.asc())
        .select((AwardMemberRow::as_select(), members::name))
        .load(conn)?;
    rows.into_iter()
        .map(|(m, member)| {
            Ok(MemberTotal {
                result: MemberResult::try_from(m)?,
                member,
            })
        })
        .collect()
}
