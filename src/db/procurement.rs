//! A lot's procedure record: the two-person opening, the award, the confirmation.

use super::schema::{award_lines, award_members, lot_procedure};
use super::DbConnection;
use crate::domain::ids::{LotId, QuoteId, UserId};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Default, Queryable, Selectable)]
#[diesel(table_name = lot_procedure)]
pub struct Procedure {
    pub lot_id: LotId,
    pub opening_requested_by: Option<UserId>,
    pub opening_requested_at: Option<NaiveDateTime>,
    pub opened_by: Option<UserId>,
    pub opened_at: Option<NaiveDateTime>,
    pub awarded_quote_id: Option<QuoteId>,
    pub awarded_by: Option<i64>,
    pub awarded_at: Option<NaiveDateTime>,
    pub justification: String,
    pub standstill_ends_at: Option<NaiveDateTime>,
    pub outcome_reason: String,
    pub confirmed_at: Option<NaiveDateTime>,
}

impl Procedure {
    /// Who asked for the opening, while the quotes are not yet open.
    pub fn opening_requested(&self) -> Option<UserId> {
        self.opening_requested_by
            .filter(|_| self.opened_by.is_none())
    }

    /// When the standstill after the award ends.
    pub fn standstill_end(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.standstill_ends_at.map(|t| t.and_utc())
    }
}

/// The lot's procedure record, created empty on first use.
pub fn procedure(conn: &mut DbConnection, lot: LotId) -> QueryResult<Procedure> {
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
pub fn find_procedure(conn: &mut DbConnection, lot: LotId) -> QueryResult<Option<Procedure>> {
    crate::native!(conn, |c| lot_procedure::table
        .find(lot)
        .select(Procedure::as_select())
        .first(c)
        .optional())
}

pub fn request_opening(
    conn: &mut DbConnection,
    lot: LotId,
    by: UserId,
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
    lot: LotId,
    by: UserId,
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
    lot: LotId,
    quote: QuoteId,
    by: UserId,
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

pub fn clear_award(conn: &mut DbConnection, lot: LotId) -> QueryResult<()> {
    diesel::delete(award_lines::table.filter(award_lines::lot_id.eq(lot))).execute(conn)?;
    diesel::delete(award_members::table.filter(award_members::lot_id.eq(lot))).execute(conn)?;
    diesel::update(lot_procedure::table.find(lot))
        .set((
            lot_procedure::awarded_quote_id.eq(None::<QuoteId>),
            lot_procedure::awarded_by.eq(None::<i64>),
            lot_procedure::awarded_at.eq(None::<NaiveDateTime>),
            lot_procedure::justification.eq(""),
            lot_procedure::standstill_ends_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn set_outcome_reason(conn: &mut DbConnection, lot: LotId, reason: &str) -> QueryResult<()> {
    procedure(conn, lot)?;
    diesel::update(lot_procedure::table.find(lot))
        .set(lot_procedure::outcome_reason.eq(reason))
        .execute(conn)
        .map(|_| ())
}

pub fn set_confirmed(conn: &mut DbConnection, lot: LotId, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(lot_procedure::table.find(lot))
        .set(lot_procedure::confirmed_at.eq(Some(now)))
        .execute(conn)
        .map(|_| ())
}

/// Awarded lots whose standstill has ended.
pub fn due_for_confirmation(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<LotId>> {
    lot_procedure::table
        .inner_join(super::schema::lots::table)
        .filter(super::schema::lots::status.eq(crate::domain::lot::LotStatus::Awarded.as_str()))
        .filter(lot_procedure::standstill_ends_at.le(now))
        .select(lot_procedure::lot_id)
        .load(conn)
}
