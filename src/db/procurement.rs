//! Quotes with their revisions, the two-person opening, the award and its stored results.

use super::schema::{
    award_lines, award_members, delivery_sites, lot_procedure, members, order_lines, quote_tiers,
    quotes, suppliers,
};
use super::{typed, typed_one, Corrupt, DbConnection, Error, RowReader};
use crate::domain::money::Money;
use crate::domain::pricing::{LinePrice, LineStatus, PricingMode, Tier};
use crate::domain::quote::QuoteInput;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;

/// A quote revision as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = quotes)]
struct RawQuote {
    id: i64,
    lot_id: i64,
    supplier_id: i64,
    revision: i64,
    pricing: String,
    max_quantity: Option<i64>,
    lead_time_days: i64,
    valid_until: String,
    comment: String,
    receipt_number: String,
    digest: String,
    submitted_by: i64,
    submitted_at: NaiveDateTime,
}

/// A quote revision with its terms read into the domain's types (tiers apart).
#[derive(Debug, Clone)]
pub struct QuoteRow {
    pub id: i64,
    pub lot_id: i64,
    pub supplier_id: i64,
    pub revision: i64,
    pub pricing: PricingMode,
    pub max_quantity: Option<u64>,
    pub lead_time_days: u64,
    pub valid_until: NaiveDate,
    pub comment: String,
    pub receipt_number: String,
    pub digest: String,
    pub submitted_by: i64,
    pub submitted_at: NaiveDateTime,
}

impl TryFrom<RawQuote> for QuoteRow {
    type Error = Corrupt;

    fn try_from(row: RawQuote) -> Result<Self, Corrupt> {
        let read = RowReader::new("quotes", row.id);
        Ok(QuoteRow {
            pricing: read.named("pricing", &row.pricing, PricingMode::parse)?,
            max_quantity: read.optional_quantity("max_quantity", row.max_quantity)?,
            lead_time_days: read.quantity("lead_time_days", row.lead_time_days)?,
            valid_until: read.named("valid_until", &row.valid_until, |t| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()
            })?,
            id: row.id,
            lot_id: row.lot_id,
            supplier_id: row.supplier_id,
            revision: row.revision,
            comment: row.comment,
            receipt_number: row.receipt_number,
            digest: row.digest,
            submitted_by: row.submitted_by,
            submitted_at: row.submitted_at,
        })
    }
}

/// Stores a new revision of a supplier's quote with its tiers; returns its id.
pub struct NewQuote<'a> {
    pub lot: i64,
    pub supplier: i64,
    pub revision: i64,
    pub input: &'a QuoteInput,
    pub receipt_number: &'a str,
    pub digest: &'a str,
    pub submitted_by: i64,
    pub now: NaiveDateTime,
}

pub fn next_revision(conn: &mut DbConnection, lot: i64, supplier: i64) -> QueryResult<i64> {
    let revisions: Vec<i64> = quotes::table
        .filter(quotes::lot_id.eq(lot))
        .filter(quotes::supplier_id.eq(supplier))
        .select(quotes::revision)
        .load(conn)?;
    Ok(revisions.into_iter().max().unwrap_or(0) + 1)
}

pub fn insert_quote(conn: &mut DbConnection, quote: &NewQuote<'_>) -> QueryResult<i64> {
    let id = crate::insert_returning_id!(
        conn,
        diesel::insert_into(quotes::table).values((
            quotes::lot_id.eq(quote.lot),
            quotes::supplier_id.eq(quote.supplier),
            quotes::revision.eq(quote.revision),
            quotes::pricing.eq(quote.input.pricing.as_str()),
            quotes::max_quantity.eq(quote.input.max_quantity.map(|m| m as i64)),
            quotes::lead_time_days.eq(quote.input.lead_time_days as i64),
            quotes::valid_until.eq(quote.input.valid_until.format("%Y-%m-%d").to_string()),
            quotes::comment.eq(&quote.input.comment),
            quotes::receipt_number.eq(quote.receipt_number),
            quotes::digest.eq(quote.digest),
            quotes::submitted_by.eq(quote.submitted_by),
            quotes::submitted_at.eq(quote.now),
        )),
        quotes::id
    )?;
    for tier in quote.input.tiers.tiers() {
        diesel::insert_into(quote_tiers::table)
            .values((
                quote_tiers::quote_id.eq(id),
                quote_tiers::min_quantity.eq(tier.min_quantity as i64),
                quote_tiers::unit_price.eq(tier.unit_price.ten_thousandths()),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

pub fn find_quote(conn: &mut DbConnection, id: i64) -> Result<Option<QuoteRow>, Error> {
    typed_one(
        quotes::table
            .find(id)
            .select(RawQuote::as_select())
            .first(conn)
            .optional()?,
    )
}

pub fn tiers_of(conn: &mut DbConnection, quote: i64) -> Result<Vec<Tier>, Error> {
    let rows: Vec<(i64, i64)> = quote_tiers::table
        .filter(quote_tiers::quote_id.eq(quote))
        .order(quote_tiers::min_quantity.asc())
        .select((quote_tiers::min_quantity, quote_tiers::unit_price))
        .load(conn)?;
    let read = RowReader::new("quote_tiers", quote);
    rows.into_iter()
        .map(|(min, price)| {
            Ok(Tier {
                min_quantity: read.quantity("min_quantity", min)?,
                unit_price: read.price("unit_price", price)?,
            })
        })
        .collect()
}

/// Every revision a supplier submitted for a lot, newest first.
pub fn revisions_of(
    conn: &mut DbConnection,
    lot: i64,
    supplier: i64,
) -> Result<Vec<QuoteRow>, Error> {
    typed(
        quotes::table
            .filter(quotes::lot_id.eq(lot))
            .filter(quotes::supplier_id.eq(supplier))
            .order(quotes::revision.desc())
            .select(RawQuote::as_select())
            .load(conn)?,
    )
}

/// The latest revision of every supplier's quote on a lot, with the supplier's name.
pub fn latest_quotes(conn: &mut DbConnection, lot: i64) -> Result<Vec<(QuoteRow, String)>, Error> {
    let all: Vec<(RawQuote, String)> = quotes::table
        .inner_join(suppliers::table)
        .filter(quotes::lot_id.eq(lot))
        .order((quotes::supplier_id.asc(), quotes::revision.desc()))
        .select((RawQuote::as_select(), suppliers::name))
        .load(conn)?;
    let mut latest: Vec<(QuoteRow, String)> = Vec::new();
    for (quote, name) in all {
        if latest
            .last()
            .is_none_or(|(q, _)| q.supplier_id != quote.supplier_id)
        {
            latest.push((QuoteRow::try_from(quote)?, name));
        }
    }
    Ok(latest)
}

/// How many suppliers have quoted: all that may be known before the opening.
pub fn quote_count(conn: &mut DbConnection, lot: i64) -> QueryResult<i64> {
    quotes::table
        .filter(quotes::lot_id.eq(lot))
        .select(quotes::supplier_id)
        .distinct()
        .load::<i64>(conn)
        .map(|v| v.len() as i64)
}

#[derive(Debug, Clone, Default, Queryable, Selectable)]
#[diesel(table_name = lot_procedure)]
pub struct Procedure {
    pub lot_id: i64,
    pub opening_requested_by: Option<i64>,
    pub opening_requested_at: Option<NaiveDateTime>,
    pub opened_by: Option<i64>,
    pub opened_at: Option<NaiveDateTime>,
    pub awarded_quote_id: Option<i64>,
    pub awarded_by: Option<i64>,
    pub awarded_at: Option<NaiveDateTime>,
    pub justification: String,
    pub standstill_ends_at: Option<NaiveDateTime>,
    pub outcome_reason: String,
    pub confirmed_at: Option<NaiveDateTime>,
}

impl Procedure {
    /// Who asked for the opening, while the quotes are not yet open.
    pub fn opening_requested(&self) -> Option<i64> {
        self.opening_requested_by
            .filter(|_| self.opened_by.is_none())
    }

    /// When the standstill after the award ends.
    pub fn standstill_end(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.standstill_ends_at.map(|t| t.and_utc())
    }
}

/// The lot's procedure record, created empty on first use.
pub fn procedure(conn: &mut DbConnection, lot: i64) -> QueryResult<Procedure> {
    let found = lot_procedure::table
        .find(lot)
        .select(Procedure::as_select())
        .first(conn)
        .optional()?;
    match found {
        Some(p) => Ok(p),
        None => {
            diesel::insert_into(lot_procedure::table)
                .values((
                    lot_procedure::lot_id.eq(lot),
                    lot_procedure::justification.eq(""),
                ))
                .execute(conn)?;
            Ok(Procedure {
                lot_id: lot,
                ..Procedure::default()
            })
        }
    }
}

/// Reads the procedure record without creating it.
pub fn find_procedure(conn: &mut DbConnection, lot: i64) -> QueryResult<Option<Procedure>> {
    crate::native!(conn, |c| lot_procedure::table
        .find(lot)
        .select(Procedure::as_select())
        .first(c)
        .optional())
}

pub fn request_opening(
    conn: &mut DbConnection,
    lot: i64,
    by: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    procedure(conn, lot)?;
    diesel::update(
        lot_procedure::table
            .find(lot)
            .filter(lot_procedure::opened_by.is_null()),
    )
    .set((
        lot_procedure::opening_requested_by.eq(Some(by)),
        lot_procedure::opening_requested_at.eq(Some(now)),
    ))
    .execute(conn)
}

pub fn confirm_opening(
    conn: &mut DbConnection,
    lot: i64,
    by: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        lot_procedure::table
            .find(lot)
            .filter(lot_procedure::opened_by.is_null())
            .filter(lot_procedure::opening_requested_by.is_not_null())
            .filter(lot_procedure::opening_requested_by.ne(by)),
    )
    .set((
        lot_procedure::opened_by.eq(Some(by)),
        lot_procedure::opened_at.eq(Some(now)),
    ))
    .execute(conn)
}

pub fn record_award(
    conn: &mut DbConnection,
    lot: i64,
    quote: i64,
    by: i64,
    justification: &str,
    now: NaiveDateTime,
    standstill_ends_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(lot_procedure::table.find(lot))
        .set((
            lot_procedure::awarded_quote_id.eq(Some(quote)),
            lot_procedure::awarded_by.eq(Some(by)),
            lot_procedure::awarded_at.eq(Some(now)),
            lot_procedure::justification.eq(justification),
            lot_procedure::standstill_ends_at.eq(Some(standstill_ends_at)),
        ))
        .execute(conn)
}

pub fn clear_award(conn: &mut DbConnection, lot: i64) -> QueryResult<()> {
    diesel::delete(award_lines::table.filter(award_lines::lot_id.eq(lot))).execute(conn)?;
    diesel::delete(award_members::table.filter(award_members::lot_id.eq(lot))).execute(conn)?;
    diesel::update(lot_procedure::table.find(lot))
        .set((
            lot_procedure::awarded_quote_id.eq(None::<i64>),
            lot_procedure::awarded_by.eq(None::<i64>),
            lot_procedure::awarded_at.eq(None::<NaiveDateTime>),
            lot_procedure::justification.eq(""),
            lot_procedure::standstill_ends_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_outcome_reason(conn: &mut DbConnection, lot: i64, reason: &str) -> QueryResult<()> {
    procedure(conn, lot)?;
    diesel::update(lot_procedure::table.find(lot))
        .set(lot_procedure::outcome_reason.eq(reason))
        .execute(conn)
        .map(|_| ())
}

pub fn set_confirmed(conn: &mut DbConnection, lot: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(lot_procedure::table.find(lot))
        .set(lot_procedure::confirmed_at.eq(Some(now)))
        .execute(conn)
        .map(|_| ())
}

/// Awarded lots whose standstill has ended.
pub fn due_for_confirmation(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    lot_procedure::table
        .inner_join(super::schema::lots::table)
        .filter(super::schema::lots::status.eq(crate::domain::lot::LotStatus::Awarded.as_str()))
        .filter(lot_procedure::standstill_ends_at.le(now))
        .select(lot_procedure::lot_id)
        .load(conn)
}

/// One line's result as stored.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = award_lines)]
struct AwardLineRow {
    lot_id: i64,
    order_line_id: i64,
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
    lot_id: i64,
    member_id: i64,
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
    pub order_line_id: i64,
    pub status: LineStatus,
    pub quantity: u64,
    pub price: Option<LinePrice>,
}

/// What the award decided for one member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberResult {
    pub member_id: i64,
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
    lot: i64,
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
    pub member_id: i64,
    pub member: String,
    pub site: String,
    pub address: String,
    pub reference: String,
}

/// Which stored line results to read.
#[derive(Debug, Clone, Copy, Default)]
pub struct ResultFilter {
    /// One member's lines only.
    pub member: Option<i64>,
    /// Only the lines the supplier delivers.
    pub accepted_only: bool,
    /// At most this many (a page shows the first ones; downloads read all).
    pub limit: Option<i64>,
}

/// Line results in the order of the procurement record: member, site, line.
pub fn result_lines(
    conn: &mut DbConnection,
    lot: i64,
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
    lot: i64,
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

type ResultRow = (AwardLineRow, i64, String, String, String, String);

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

pub fn result_members(
    conn: &mut DbConnection,
    lot: i64,
) -> Result<Vec<(MemberResult, String)>, Error> {
    let rows: Vec<(AwardMemberRow, String)> = award_members::table
        .inner_join(members::table)
        .filter(award_members::lot_id.eq(lot))
        .order(members::name.asc())
        .select((AwardMemberRow::as_select(), members::name))
        .load(conn)?;
    rows.into_iter()
        .map(|(m, name)| Ok((MemberResult::try_from(m)?, name)))
        .collect()
}
