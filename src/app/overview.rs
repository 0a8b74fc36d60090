//! A member organisation's overview: the lots it takes part in, its next deadlines, what it
//! spent and saved per year, its frameworks with call-offs and credits.

use super::{Actor, ReadError};
use crate::db::lots::{self, Lot};
use crate::db::{overview, DbConnection};
use crate::domain::lot::{next_deadline, LotStatus};
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use std::collections::{BTreeMap, HashMap};

/// One lot as the member's overview lists it.
pub struct MemberLot {
    pub lot: Lot,
    pub status: LotStatus,
    pub ordered: u64,
    /// Bought at the award (once confirmed).
    pub bought: Option<u64>,
    pub net: Option<i64>,
    pub next_deadline: Option<(&'static str, NaiveDateTime)>,
    pub is_framework: bool,
}

/// Spend and savings of one calendar year (cents).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Year {
    pub net: i64,
    pub gross: i64,
    pub saving_vs_list: i64,
    pub saving_vs_alone: i64,
    pub credited_gross: i64,
}

/// A framework the member takes part in.
pub struct MemberFramework {
    pub lot_id: i64,
    pub title: String,
    pub calloffs: usize,
    pub called_off: u64,
    pub credited_gross: i64,
}

pub struct Overview {
    pub member_name: String,
    /// The viewer administers the member.
    pub is_admin: bool,
    pub lots: Vec<MemberLot>,
    /// Lots still taking orders or quotes that the member has not ordered in.
    pub open_elsewhere: Vec<(Lot, &'static str, NaiveDateTime)>,
    pub years: BTreeMap<i32, Year>,
    pub frameworks: Vec<MemberFramework>,
}

pub fn overview(
    conn: &mut DbConnection,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Overview, ReadError> {
    let member = actor.member()?;
    let member_name = crate::db::orgs::find_member(conn, member)?
        .map(|m| m.name)
        .unwrap_or_default();
    let ordered: HashMap<i64, u64> = overview::ordered(conn, member)?
        .into_iter()
        .map(|(lot, q)| (lot, q.max(0) as u64))
        .collect();
    let bought: HashMap<i64, overview::Bought> = overview::bought(conn, member)?
        .into_iter()
        .map(|b| (b.lot_id, b))
        .collect();
    let calls = overview::called_off(conn, member)?;
    let credits = overview::credited(conn, member)?;
    let framework_lots: std::collections::HashSet<i64> =
        crate::db::frameworks::running(conn)?.into_iter().collect();
    let mut lots_out = Vec::new();
    let mut open_elsewhere = Vec::new();
    for lot in lots::list_for_members(conn)? {
        let status = lot.status_at(now);
        let deadline = next_deadline(now, lot.demand_deadline, lot.quote_deadline);
        let mine = ordered.get(&lot.id).copied();
        let result = bought.get(&lot.id);
        if mine.is_none() && result.is_none() {
            if let (Some((kind, at)), LotStatus::Open) = (deadline, status) {
                open_elsewhere.push((lot, kind, at));
            }
            continue;
        }
        lots_out.push(MemberLot {
            status,
            ordered: mine.unwrap_or(0),
            bought: result.map(|b| b.quantity.max(0) as u64),
            net: result.map(|b| b.net),
            next_deadline: deadline,
            is_framework: framework_lots.contains(&lot.id),
            lot,
        });
    }
    let mut years: BTreeMap<i32, Year> = BTreeMap::new();
    for b in bought.values() {
        let Some(at) = b.confirmed_at else { continue };
        let y = years.entry(at.year()).or_default();
        y.net += b.net;
        y.gross += b.gross;
        y.saving_vs_list += b.saving_vs_list.unwrap_or(0);
        y.saving_vs_alone += b.saving_vs_alone.unwrap_or(0);
    }
    for (_, _, net, gross, at) in &calls {
        let y = years.entry(at.year()).or_default();
        y.net += net;
        y.gross += gross;
    }
    for (_, net, gross, at) in &credits {
        let y = years.entry(at.year()).or_default();
        y.net -= net;
        y.gross -= gross;
        y.credited_gross += gross;
        y.saving_vs_alone += net;
    }
    let mut frameworks: BTreeMap<i64, MemberFramework> = BTreeMap::new();
    for l in lots_out
        .iter()
        .filter(|l| l.is_framework || calls.iter().any(|c| c.0 == l.lot.id))
    {
        frameworks.insert(
            l.lot.id,
            MemberFramework {
                lot_id: l.lot.id,
                title: l.lot.title.clone(),
                calloffs: 0,
                called_off: 0,
                credited_gross: 0,
            },
        );
    }
    for (lot, quantity, _, _, _) in &calls {
        if let Some(f) = frameworks.get_mut(lot) {
            f.calloffs += 1;
            f.called_off += quantity.max(&0).unsigned_abs();
        }
    }
    for (lot, _, gross, _) in &credits {
        if let Some(f) = frameworks.get_mut(lot) {
            f.credited_gross += gross;
        }
    }
    Ok(Overview {
        is_admin: crate::db::users::is_member_admin(conn, actor.id)?,
        member_name,
        lots: lots_out,
        open_elsewhere,
        years,
        frameworks: frameworks.into_values().collect(),
    })
}
