//! A member organisation's overview: the lots it takes part in, its next deadlines, what it
//! spent and saved per year, its frameworks with call-offs and credits. The figures of a
//! framework are the same as its statement's (`framework_spends`): both add up the stored
//! award results, call-offs and credits with `domain::spend`.

use super::{Actor, ReadError};
use crate::db::lots::{self, Lot};
use crate::db::overview::{self, Of, PurchaseRow};
use crate::db::DbConnection;
use crate::domain::ids::{LotId, MemberId, Named};
use crate::domain::lot::{next_deadline, LotStatus};
use crate::domain::money::Money;
use crate::domain::spend::{Book, Entry, Purchase, Spend, Year};
use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use diesel::QueryResult;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One lot as the member's overview lists it.
pub struct MemberLot {
    pub lot: Lot,
    pub status: LotStatus,
    pub ordered: u64,
    /// Bought at the award (once confirmed).
    pub bought: Option<u64>,
    pub net: Option<Money>,
    pub next_deadline: Option<(&'static str, NaiveDateTime)>,
}

/// A framework the member takes part in: with an initial line or a call-off.
pub struct MemberFramework {
    pub lot_id: LotId,
    pub title: String,
    pub unit: String,
    /// Everything the member bought in it so far, after every credit.
    pub spend: Spend,
    /// `None` without a list price.
    pub saving_vs_list: Option<Money>,
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
    /// Lots the member bought in that have no list price: they add nothing to the saving
    /// against the list price.
    pub without_list_price: Vec<Named<LotId>>,
}

fn purchase(row: &PurchaseRow) -> Purchase {
    Purchase {
        lot: row.lot_id,
        year: row.at.year(),
        entry: row.entry,
    }
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
    let ordered: HashMap<LotId, u64> = overview::ordered(conn, member)?
        .into_iter()
        .map(|o| (o.lot_id, o.quantity.max(0).unsigned_abs()))
        .collect();
    let rows = overview::purchases(conn, Of::Member(member))?;
    let awarded: HashMap<LotId, (u64, Money)> = rows
        .iter()
        .filter_map(|r| match r.entry {
            Entry::Bought { quantity, net, .. } => Some((r.lot_id, (quantity, net))),
            _ => None,
        })
        .collect();
    let book = Book::new(rows.iter().map(purchase));
    let bought_in: HashSet<LotId> = book.lots().collect();
    let framework_lots: HashSet<LotId> = crate::db::frameworks::lots(conn)?.into_iter().collect();
    let mut lots_out = Vec::new();
    let mut open_elsewhere = Vec::new();
    let mut list_prices = HashMap::new();
    for lot in lots::list_for_members(conn)? {
        let status = lot.status_at(now);
        let deadline = next_deadline(now, lot.demand_deadline, lot.quote_deadline);
        let mine = ordered.get(&lot.id).copied();
        if mine.is_none() && !bought_in.contains(&lot.id) {
            if let (Some((kind, at)), LotStatus::Open) = (deadline, status) {
                open_elsewhere.push((lot, kind, at));
            }
            continue;
        }
        list_prices.insert(lot.id, lot.list_unit_price);
        let result = awarded.get(&lot.id);
        lots_out.push(MemberLot {
            status,
            ordered: mine.unwrap_or(0),
            bought: result.map(|r| r.0),
            net: result.map(|r| r.1),
            next_deadline: deadline,
            lot,
        });
    }
    let years = book.years(|lot| list_prices.get(&lot).copied().flatten());
    let without_list_price = lots_out
        .iter()
        .filter(|l| bought_in.contains(&l.lot.id) && l.lot.list_unit_price.is_none())
        .map(|l| Named {
            id: l.lot.id,
            name: l.lot.title.clone(),
        })
        .collect();
    let frameworks = lots_out
        .iter()
        .filter(|l| framework_lots.contains(&l.lot.id))
        .map(|l| {
            let spend = book.lot(l.lot.id);
            MemberFramework {
                lot_id: l.lot.id,
                title: l.lot.title.clone(),
                unit: l.lot.unit.clone(),
                saving_vs_list: spend.saving_vs_list(l.lot.list_unit_price),
                spend,
            }
        })
        .collect();
    Ok(Overview {
        is_admin: crate::db::users::is_member_admin(conn, actor.id)?,
        member_name,
        lots: lots_out,
        open_elsewhere,
        years,
        frameworks,
        without_list_price,
    })
}

/// Every member's purchases in a framework over its term so far, after every credit: the
/// figures of the framework statement, by member.
pub fn framework_spends(
    conn: &mut DbConnection,
    lot: LotId,
) -> QueryResult<BTreeMap<MemberId, Spend>> {
    let mut spends: BTreeMap<MemberId, Spend> = BTreeMap::new();
    for row in overview::purchases(conn, Of::Lot(lot))? {
        spends.entry(row.member_id).or_default().add(row.entry);
    }
    Ok(spends)
}
