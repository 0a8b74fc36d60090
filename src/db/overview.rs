//! What a member organisation sees across lots: its part of each, its confirmed results,
//! its call-offs and credits. Each query is one pass over the member's own rows.

use super::schema::{award_members, calloff_credits, calloffs, lot_member_totals, lot_procedure};
use super::DbConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// (lot, quantity ordered) for every lot the member has ordered in.
pub fn ordered(conn: &mut DbConnection, member: i64) -> QueryResult<Vec<(i64, i64)>> {
    lot_member_totals::table
        .filter(lot_member_totals::member_id.eq(member))
        .filter(lot_member_totals::ordered_quantity.gt(0))
        .select((
            lot_member_totals::lot_id,
            lot_member_totals::ordered_quantity,
        ))
        .load(conn)
}

/// A confirmed lot's result for the member.
#[derive(Debug, Clone, Queryable)]
pub struct Bought {
    pub lot_id: i64,
    pub quantity: i64,
    pub net: i64,
    pub gross: i64,
    pub saving_vs_list: Option<i64>,
    pub saving_vs_alone: Option<i64>,
    pub confirmed_at: Option<NaiveDateTime>,
}

/// The member's results of every confirmed lot.
pub fn bought(conn: &mut DbConnection, member: i64) -> QueryResult<Vec<Bought>> {
    award_members::table
        .inner_join(lot_procedure::table.on(lot_procedure::lot_id.eq(award_members::lot_id)))
        .filter(award_members::member_id.eq(member))
        .filter(lot_procedure::confirmed_at.is_not_null())
        .select((
            award_members::lot_id,
            award_members::quantity,
            award_members::net,
            award_members::gross,
            award_members::saving_vs_list,
            award_members::saving_vs_alone,
            lot_procedure::confirmed_at,
        ))
        .load(conn)
}

/// (lot, quantity, net, gross, at) of one of the member's call-offs.
pub type CallOffSum = (i64, i64, i64, i64, NaiveDateTime);

/// The member's call-offs.
pub fn called_off(conn: &mut DbConnection, member: i64) -> QueryResult<Vec<CallOffSum>> {
    calloffs::table
        .filter(calloffs::member_id.eq(member))
        .select((
            calloffs::lot_id,
            calloffs::quantity,
            calloffs::net,
            calloffs::gross,
            calloffs::at,
        ))
        .load(conn)
}

/// (lot, net, gross, at of the call-off that caused it) of the member's credits.
pub fn credited(
    conn: &mut DbConnection,
    member: i64,
) -> QueryResult<Vec<(i64, i64, i64, NaiveDateTime)>> {
    calloff_credits::table
        .inner_join(calloffs::table)
        .filter(calloff_credits::member_id.eq(member))
        .select((
            calloffs::lot_id,
            calloff_credits::net,
            calloff_credits::gross,
            calloffs::at,
        ))
        .load(conn)
}
