//! Quotes with their revisions, the two-person opening, the award and its stored results.

use super::schema::{
    award_lines, award_members, delivery_sites, lot_procedure, members, order_lines, quote_tiers,
    quotes, suppliers,
};
use super::DbConnection;
use crate::domain::quote::{stored_tier, QuoteInput};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = quotes)]
pub struct QuoteRow {
    pub id: i64,
    pub lot_id: i64,
    pub supplier_id: i64,
    pub revision: i64,
    pub pricing: String,
    pub max_quantity: Option<i64>,
    pub lead_time_days: i64,
    pub valid_until: String,
    pub comment: String,
    pub receipt_number: String,
    pub digest: String,
    pub submitted_by: i64,
    pub submitted_at: NaiveDateTime,
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

pub fn find_quote(conn: &mut DbConnection, id: i64) -> QueryResult<Option<QuoteRow>> {
    quotes::table
        .find(id)
        .select(QuoteRow::as_select())
        .first(conn)
        .optional()
}

pub fn tiers_of(
    conn: &mut DbConnection,
    quote: i64,
) -> QueryResult<Vec<crate::domain::pricing::Tier>> {
    let rows: Vec<(i64, i64)> = quote_tiers::table
        .filter(quote_tiers::quote_id.eq(quote))
        .order(quote_tiers::min_quantity.asc())
        .select((quote_tiers::min_quantity, quote_tiers::unit_price))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, p)| stored_tier(m, p))
        .collect())
}

/// Every revision a supplier submitted for a lot, newest first.
pub fn revisions_of(
    conn: &mut DbConnection,
    lot: i64,
    supplier: i64,
) -> QueryResult<Vec<QuoteRow>> {
    quotes::table
        .filter(quotes::lot_id.eq(lot))
        .filter(quotes::supplier_id.eq(supplier))
        .order(quotes::revision.desc())
        .select(QuoteRow::as_select())
        .load(conn)
}

/// The latest revision of every supplier's quote on a lot, with the supplier's name.
pub fn latest_quotes(conn: &mut DbConnection, lot: i64) -> QueryResult<Vec<(QuoteRow, String)>> {
    let all: Vec<(QuoteRow, String)> = quotes::table
        .inner_join(suppliers::table)
        .filter(quotes::lot_id.eq(lot))
        .order((quotes::supplier_id.asc(), quotes::revision.desc()))
        .select((QuoteRow::as_select(), suppliers::name))
        .load(conn)?;
    let mut latest: Vec<(QuoteRow, String)> = Vec::new();
    for (quote, name) in all {
        if latest
            .last()
            .is_none_or(|(q, _)| q.supplier_id != quote.supplier_id)
        {
            latest.push((quote, name));
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
    lot_procedure::table
        .find(lot)
        .select(Procedure::as_select())
        .first(conn)
        .optional()
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
        .filter(super::schema::lots::status.eq("awarded"))
        .filter(lot_procedure::standstill_ends_at.le(now))
        .select(lot_procedure::lot_id)
        .load(conn)
}

/// One line's stored result.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = award_lines)]
pub struct AwardLine {
    pub lot_id: i64,
    pub order_line_id: i64,
    pub status: String,
    pub quantity: i64,
    pub unit_price: Option<i64>,
    pub net: Option<i64>,
    pub vat: Option<i64>,
    pub gross: Option<i64>,
}

/// One member's stored totals.
#[derive(Debug, Clone, Insertable, Queryable, Selectable)]
#[diesel(table_name = award_members)]
pub struct AwardMember {
    pub lot_id: i64,
    pub member_id: i64,
    pub quantity: i64,
    pub net: i64,
    pub vat: i64,
    pub gross: i64,
    pub saving_vs_list: Option<i64>,
    pub saving_vs_alone: Option<i64>,
}

pub fn store_results(
    conn: &mut DbConnection,
    lines: &[AwardLine],
    members_: &[AwardMember],
) -> QueryResult<()> {
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
    batch!(award_lines::table, lines);
    batch!(award_members::table, members_);
    Ok(())
}

/// A stored line result with what a person needs to read it: member, site, reference.
#[derive(Debug, Clone)]
pub struct ResultLine {
    pub result: AwardLine,
    pub member_id: i64,
    pub member: String,
    pub site: String,
    pub address: String,
    pub reference: String,
}

pub fn result_lines(
    conn: &mut DbConnection,
    lot: i64,
    member: Option<i64>,
) -> QueryResult<Vec<ResultLine>> {
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
            AwardLine::as_select(),
            order_lines::member_id,
            members::name,
            delivery_sites::name,
            delivery_sites::address,
            order_lines::reference,
        ))
        .into_boxed();
    if let Some(member) = member {
        query = query.filter(order_lines::member_id.eq(member));
    }
    let rows: Vec<(AwardLine, i64, String, String, String, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(result, member_id, member, site, address, reference)| ResultLine {
                result,
                member_id,
                member,
                site,
                address,
                reference,
            },
        )
        .collect())
}

pub fn result_members(
    conn: &mut DbConnection,
    lot: i64,
) -> QueryResult<Vec<(AwardMember, String)>> {
    award_members::table
        .inner_join(members::table)
        .filter(award_members::lot_id.eq(lot))
        .order(members::name.asc())
        .select((AwardMember::as_select(), members::name))
        .load(conn)
}
