//! Quotes with their revisions and tiers.

use super::schema::{quote_tiers, quotes, suppliers};
use super::{typed, typed_one, Corrupt, DbConnection, Error, RowReader};
use crate::domain::ids::{LotId, QuoteId, SupplierId, UserId};
use crate::domain::pricing::{PricingMode, Tier};
use crate::domain::quote::QuoteInput;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A quote revision as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = quotes)]
struct RawQuote {
    id: QuoteId,
    lot_id: LotId,
    supplier_id: SupplierId,
    revision: i64,
    pricing: String,
    max_quantity: Option<i64>,
    lead_time_days: i64,
    valid_until: String,
    comment: String,
    receipt_number: String,
    digest: String,
    submitted_by: UserId,
    submitted_at: NaiveDateTime,
}

/// A quote revision with its terms read into the domain's types (tiers apart).
#[derive(Debug, Clone)]
pub struct QuoteRow {
    pub id: QuoteId,
    pub lot_id: LotId,
    pub supplier_id: SupplierId,
    pub revision: i64,
    pub pricing: PricingMode,
    pub max_quantity: Option<u64>,
    pub lead_time_days: u64,
    pub valid_until: NaiveDate,
    pub comment: String,
    pub receipt_number: String,
    pub digest: String,
    pub submitted_by: UserId,
    pub submitted_at: NaiveDateTime,
}

impl TryFrom<RawQuote> for QuoteRow {
    type Error = Corrupt;

    fn try_from(row: RawQuote) -> Result<Self, Corrupt> {
        let read = RowReader::new("quotes", row.id.get());
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

/// A quote and the supplier who submitted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuoteBy {
    pub quote: QuoteId,
    pub supplier: SupplierId,
}

/// Stores a new revision of a supplier's quote with its tiers; returns its id.
pub struct NewQuote<'a> {
    pub lot: LotId,
    pub supplier: SupplierId,
    pub revision: i64,
    pub input: &'a QuoteInput,
    pub receipt_number: &'a str,
    pub digest: &'a str,
    pub submitted_by: UserId,
    pub now: NaiveDateTime,
}

pub fn next_revision(
    conn: &mut DbConnection,
    lot: LotId,
    supplier: SupplierId,
) -> QueryResult<i64> {
    let revisions: Vec<i64> = quotes::table
        .filter(quotes::lot_id.eq(lot))
        .filter(quotes::supplier_id.eq(supplier))
        .select(quotes::revision)
        .load(conn)?;
    Ok(revisions.into_iter().max().unwrap_or(0) + 1)
}

pub fn insert_quote(conn: &mut DbConnection, quote: &NewQuote<'_>) -> QueryResult<QuoteId> {
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
    Ok(QuoteId(id))
}

pub fn find_quote(conn: &mut DbConnection, id: QuoteId) -> Result<Option<QuoteRow>, Error> {
    typed_one(
        quotes::table
            .find(id)
            .select(RawQuote::as_select())
            .first(conn)
            .optional()?,
    )
}

pub fn tiers_of(conn: &mut DbConnection, quote: QuoteId) -> Result<Vec<Tier>, Error> {
    let rows: Vec<(i64, i64)> = quote_tiers::table
        .filter(quote_tiers::quote_id.eq(quote))
        .order(quote_tiers::min_quantity.asc())
        .select((quote_tiers::min_quantity, quote_tiers::unit_price))
        .load(conn)?;
    let read = RowReader::new("quote_tiers", quote.get());
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
    lot: LotId,
    supplier: SupplierId,
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

/// A supplier's latest revision of its quote, with the supplier's name.
#[derive(Debug, Clone)]
pub struct LatestQuote {
    pub quote: QuoteRow,
    pub supplier: String,
}

/// The latest revision of every supplier's quote on a lot, with the supplier's name.
pub fn latest_quotes(conn: &mut DbConnection, lot: LotId) -> Result<Vec<LatestQuote>, Error> {
    let all: Vec<(RawQuote, String)> = quotes::table
        .inner_join(suppliers::table)
        .filter(quotes::lot_id.eq(lot))
        .order((quotes::supplier_id.asc(), quotes::revision.desc()))
        .select((RawQuote::as_select(), suppliers::name))
        .load(conn)?;
    let mut latest: Vec<LatestQuote> = Vec::new();
    for (quote, supplier) in all {
        if latest
            .last()
            .is_none_or(|l| l.quote.supplier_id != quote.supplier_id)
        {
            latest.push(LatestQuote {
                quote: QuoteRow::try_from(quote)?,
                supplier,
            });
        }
    }
    Ok(latest)
}

/// How many suppliers have quoted: all that may be known before the opening.
pub fn quote_count(conn: &mut DbConnection, lot: LotId) -> QueryResult<i64> {
    quotes::table
        .filter(quotes::lot_id.eq(lot))
        .select(quotes::supplier_id)
        .distinct()
        .load::<i64>(conn)
        .map(|v| v.len() as i64)
}
