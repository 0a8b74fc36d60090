//! A running framework as its page shows it: terms, cumulative quantity, price, next tier,
//! what is left, and a member's own call-offs and position.
use super::{cumulative, terms_of};
use crate::app::{Actor, StoreError};
use crate::db::award;
use crate::db::frameworks::{self, CreditRow, FrameworkRow, Position};
use crate::db::lots::Lot;
use crate::db::orgs::{self, DeliverySite};
use crate::db::DbConnection;
use crate::domain::account::Role;
use crate::domain::lot::FrameworkTerms;
use crate::domain::money::{Money, UnitPrice};
use crate::domain::pricing::PricingMode;
use chrono::{DateTime, NaiveDateTime, Utc};

/// The framework as the page shows it.
pub struct FrameworkState {
    pub terms: FrameworkTerms,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub ended: Option<(NaiveDateTime, String)>,
    pub running: bool,
    pub pricing: PricingMode,
    pub max_quantity: u64,
    pub cumulative: u64,
    pub current_price: UnitPrice,
    /// (min quantity, price) of the next tier, if any.
    pub next_tier: Option<(u64, UnitPrice)>,
    /// The member's own position and history (buyers).
    pub own: Option<Position>,
    pub own_calloffs: Vec<frameworks::NamedCallOff>,
    pub own_credits: Vec<CreditRow>,
    pub can_call_off: bool,
    pub sites: Vec<DeliverySite>,
    /// The moments at which `running` may change without a write (the term's start and end).
    pub turns: [DateTime<Utc>; 2],
}

/// How many of a member's own call-offs the page lists (the CSV has them all).
pub const PAGE_CALLOFFS: i64 = 50;

/// A framework's state for its page (given its row, read already), without its lines.
pub fn state(
    conn: &mut DbConnection,
    actor: &Actor,
    lot: &Lot,
    row: FrameworkRow,
    now: DateTime<Utc>,
) -> Result<Option<FrameworkState>, StoreError> {
    let Some(agreement) = terms_of(conn, lot, row)? else {
        return Ok(None);
    };
    let f = &agreement.framework;
    let (cumulative, latest) = cumulative(conn, lot.id)?;
    let current_price = match f.pricing {
        PricingMode::AllUnits => f.tier_price(cumulative),
        PricingMode::Graduated => f.tier_price(cumulative + 1),
    };
    let running = agreement.runs_at(now) && cumulative < f.max_quantity;
    let (own, own_calloffs, own_credits, sites) = match (actor.role, actor.member_id) {
        (Role::Buyer, Some(member)) => {
            let positions = frameworks::positions(conn, lot.id)?;
            let own = match positions.into_iter().find(|p| p.member_id == member) {
                Some(p) => Some(p.position),
                None if latest.is_none() => {
                    // Before the first call-off: the award's figures.
                    award::result_members(conn, lot.id)?
                        .into_iter()
                        .map(|t| t.result)
                        .find(|m| m.member_id == member)
                        .map(|m| Position {
                            quantity: m.quantity,
                            net: m.net,
                            vat: m.vat,
                            credited_net: Money::from_cents(0),
                            credited_vat: Money::from_cents(0),
                        })
                }
                None => None,
            };
            (
                own,
                frameworks::of_member(conn, lot.id, Some(member), Some(PAGE_CALLOFFS))?,
                frameworks::credits(conn, lot.id, Some(member))?,
                orgs::sites_of(conn, member)?
                    .into_iter()
                    .filter(|s| s.active)
                    .collect(),
            )
        }
        _ => (None, Vec::new(), Vec::new(), Vec::new()),
    };
    Ok(Some(FrameworkState {
        terms: agreement.row.terms,
        start: f.start,
        end: f.end,
        ended: agreement
            .row
            .ended_at
            .map(|at| (at, agreement.row.end_reason.clone())),
        running,
        pricing: f.pricing,
        max_quantity: f.max_quantity,
        cumulative,
        current_price,
        next_tier: f.next_tier(cumulative),
        can_call_off: running && actor.role == Role::Buyer,
        own,
        own_calloffs,
        own_credits,
        sites,
        turns: f.turns(),
    }))
}
