//! A lot's pricing scenario built from the database: its active order lines and the latest
//! quote of every supplier, with the ids behind each.

use super::StoreError;
use crate::db::quotes::{self, QuoteBy};
use crate::db::{lots, orders, orgs, Corrupt, DbConnection};
use crate::domain::ids::{LineId, MemberId, QuoteId};
use crate::domain::pricing::{LotTerms, OrderLine, Quote, Scenario, TierTable};
use std::collections::HashMap;

/// An order line of a scenario as stored, and whose it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScenarioLine {
    pub line: LineId,
    pub member: MemberId,
}

/// A lot's scenario with the database ids behind its lines and quotes.
pub struct LotScenario {
    pub scenario: Scenario,
    /// Per order line of the scenario: the stored line and its member.
    pub lines: Vec<ScenarioLine>,
    /// Per quote of the scenario: the stored quote and its supplier.
    pub quotes: Vec<QuoteBy>,
    /// Per quote of the scenario: the lead time in days it promises.
    pub lead_times: Vec<u64>,
}

/// Builds the scenario of a lot from its active order lines and the latest quote of every
/// supplier; `only_quote` restricts it to one quote (an award other than the top-ranked).
pub fn lot_scenario(
    conn: &mut DbConnection,
    lot: &lots::Lot,
    only_quote: Option<QuoteId>,
) -> Result<LotScenario, StoreError> {
    let terms = LotTerms::new(
        lot.min_total_quantity,
        lot.order_increment,
        lot.vat_rate,
        lot.list_unit_price,
    )?;
    let member_names: HashMap<MemberId, String> = orgs::list_members(conn)?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect();
    let mut line_ids = Vec::new();
    let mut order_lines = Vec::new();
    for row in orders::active_lines(conn, lot.id)? {
        line_ids.push(ScenarioLine {
            line: row.id,
            member: row.member_id,
        });
        order_lines.push(OrderLine {
            id: row.id.to_string(),
            member: member_names.get(&row.member_id).cloned().ok_or(Corrupt {
                table: "order_lines",
                id: row.id.get(),
                column: "member_id",
            })?,
            quantity: row.quantity,
            max_unit_price: row.max_unit_price,
            placed_at: row.placed_at.and_utc(),
        });
    }
    let mut quote_ids = Vec::new();
    let mut lead_times = Vec::new();
    let mut quotes = Vec::new();
    for quotes::LatestQuote {
        quote: row,
        supplier,
    } in quotes::latest_quotes(conn, lot.id)?
    {
        if only_quote.is_some_and(|q| q != row.id) {
            continue;
        }
        quote_ids.push(QuoteBy {
            quote: row.id,
            supplier: row.supplier_id,
        });
        lead_times.push(row.lead_time_days);
        quotes.push(Quote {
            supplier,
            submitted_at: row.submitted_at.and_utc(),
            pricing: row.pricing,
            max_quantity: row.max_quantity,
            tiers: TierTable::new(quotes::tiers_of(conn, row.id)?)?,
        });
    }
    Ok(LotScenario {
        scenario: Scenario::new(terms, quotes, order_lines)?,
        lines: line_ids,
        quotes: quote_ids,
        lead_times,
    })
}
