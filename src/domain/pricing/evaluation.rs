//! Clearing a bundled lot: ranking quotes, dropping lines over their limit, splitting the
//! cost exactly among lines and members.

use super::scenario::*;
use super::tiers::*;
use crate::domain::money::{div_round_half_away, Money, UnitPrice, PRICE_SCALE};
use std::cmp::Ordering;

/// Why a lot fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailureReason {
    NoOrders,
    BelowMinTotalQuantity,
    NoEligibleQuote,
    NotCleared,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::NoOrders => "no_orders",
            FailureReason::BelowMinTotalQuantity => "below_min_total_quantity",
            FailureReason::NoEligibleQuote => "no_eligible_quote",
            FailureReason::NotCleared => "not_cleared",
        }
    }
}

/// Why a quote cannot be awarded at the evaluation quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IneligibleReason {
    BelowFirstTier,
    OverCapacity,
}

impl IneligibleReason {
    pub fn as_str(self) -> &'static str {
        match self {
            IneligibleReason::BelowFirstTier => "below_first_tier",
            IneligibleReason::OverCapacity => "over_capacity",
        }
    }
}

/// One quote's place in the ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankedQuote {
    /// Index of the quote in the scenario's input order.
    pub quote: usize,
    pub supplier: String,
    pub ineligible: Option<IneligibleReason>,
    /// cost(Q0) rounded to the cent, where the quote can price Q0.
    pub evaluation_total_net: Option<Money>,
}

impl RankedQuote {
    pub fn eligible(&self) -> bool {
        self.ineligible.is_none()
    }
}

/// The winning quote and what it costs for the cleared quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Award {
    pub quote: usize,
    pub supplier: String,
    pub pricing: PricingMode,
    pub quantity: u64,
    pub unit_price: UnitPrice,
    pub total_net: Money,
    pub total_vat: Money,
    pub total_gross: Money,
}

/// What became of an order line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineStatus {
    Accepted,
    OverLimit,
    LotFailed,
}

impl LineStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            LineStatus::Accepted => "accepted",
            LineStatus::OverLimit => "over_limit",
            LineStatus::LotFailed => "lot_failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            LineStatus::Accepted,
            LineStatus::OverLimit,
            LineStatus::LotFailed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// The priced result of one accepted line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinePrice {
    pub unit_price: UnitPrice,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
}

/// One order line's result, in the input order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResult {
    /// Index of the line in the scenario's input order.
    pub line: usize,
    pub order: String,
    pub member: String,
    pub status: LineStatus,
    /// The accepted quantity (0 unless accepted).
    pub quantity: u64,
    pub price: Option<LinePrice>,
}

/// One member's totals and savings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberResult {
    pub member: String,
    pub quantity: u64,
    pub net: Money,
    pub vat: Money,
    pub gross: Money,
    pub saving_vs_list: Option<Money>,
    pub saving_vs_alone: Option<Money>,
}

/// The whole outcome of evaluating a lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub failure: Option<FailureReason>,
    pub evaluation_quantity: u64,
    pub ranking: Vec<RankedQuote>,
    pub award: Option<Award>,
    pub lines: Vec<LineResult>,
    pub members: Vec<MemberResult>,
}

impl Evaluation {
    pub fn awarded(&self) -> bool {
        self.failure.is_none()
    }
}

/// Ranks the quotes at the evaluation quantity, without clearing.
pub fn rank_quotes(scenario: &Scenario, evaluation_quantity: u64) -> Vec<RankedQuote> {
    struct Candidate<'a> {
        index: usize,
        quote: &'a Quote,
        cost: Option<i128>,
        ineligible: Option<IneligibleReason>,
    }
    let mut candidates: Vec<Candidate> = scenario
        .quotes
        .iter()
        .enumerate()
        .map(|(index, quote)| {
            let cost = quote.tiers.cost(quote.pricing, evaluation_quantity);
            let ineligible = if cost.is_none() {
                Some(IneligibleReason::BelowFirstTier)
            } else if quote
                .max_quantity
                .is_some_and(|cap| cap < evaluation_quantity)
            {
                Some(IneligibleReason::OverCapacity)
            } else {
                None
            };
            Candidate {
                index,
                quote,
                cost,
                ineligible,
            }
        })
        .collect();
    candidates.sort_by(|a, b| match (a.ineligible, b.ineligible) {
        (None, None) => a
            .cost
            .cmp(&b.cost)
            .then_with(|| a.quote.submitted_at.cmp(&b.quote.submitted_at))
            .then_with(|| a.quote.supplier.as_bytes().cmp(b.quote.supplier.as_bytes())),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(_), Some(_)) => a.quote.supplier.as_bytes().cmp(b.quote.supplier.as_bytes()),
    });
    candidates
        .into_iter()
        .map(|c| RankedQuote {
            quote: c.index,
            supplier: c.quote.supplier.clone(),
            ineligible: c.ineligible,
            evaluation_total_net: c.cost.map(Money::round_from_ten_thousandths),
        })
        .collect()
}

/// Lines with a limit price, sorted by that limit ascending: the order in which clearing
/// drops them.
struct LimitOrder {
    /// (limit in 1/10,000 €, quantity, line index)
    sorted: Vec<(i64, u64, usize)>,
}

impl LimitOrder {
    fn new(orders: &[OrderLine]) -> Self {
        let mut sorted: Vec<(i64, u64, usize)> = orders
            .iter()
            .enumerate()
            .filter_map(|(i, l)| {
                l.max_unit_price
                    .map(|limit| (limit.ten_thousandths(), l.quantity, i))
            })
            .collect();
        sorted.sort_unstable();
        LimitOrder { sorted }
    }
}

/// The outcome of clearing the lines under one quote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cleared {
    quantity: u64,
    /// Exact cost of `quantity` in 1/10,000 €.
    cost: i128,
    /// How many lines of the limit order were dropped (always its lowest limits).
    dropped: usize,
}

/// Drops lines whose limit is below the average unit price until the set is stable. Every
/// round drops a prefix of the limit order, so the whole clearing is one pass over it.
fn clear(quote: &Quote, total_quantity: u64, limits: &LimitOrder) -> Option<Cleared> {
    let mut quantity = total_quantity;
    let mut dropped = 0usize;
    loop {
        let cost = quote.tiers.cost(quote.pricing, quantity)?;
        let q = i128::from(quantity);
        let before = dropped;
        while let Some(&(limit, line_quantity, _)) = limits.sorted.get(dropped) {
            if i128::from(limit) * q < cost {
                quantity -= line_quantity;
                dropped += 1;
            } else {
                break;
            }
        }
        if dropped == before {
            return Some(Cleared {
                quantity,
                cost,
                dropped,
            });
        }
    }
}

/// Evaluates a lot completely: ranking, clearing, the split among lines and members.
pub fn evaluate(scenario: &Scenario) -> Evaluation {
    let orders = &scenario.orders;
    let evaluation_quantity: u64 = orders.iter().map(|l| l.quantity).sum();
    let ranking = rank_quotes(scenario, evaluation_quantity);

    let failure = if orders.is_empty() {
        Some(FailureReason::NoOrders)
    } else if evaluation_quantity < scenario.terms.min_total_quantity {
        Some(FailureReason::BelowMinTotalQuantity)
    } else if !ranking.iter().any(RankedQuote::eligible) {
        Some(FailureReason::NoEligibleQuote)
    } else {
        None
    };
    if let Some(reason) = failure {
        return failed(scenario, evaluation_quantity, ranking, reason);
    }

    let limits = LimitOrder::new(orders);
    let needed = scenario.terms.min_total_quantity.max(1);
    let winner = ranking.iter().filter(|r| r.eligible()).find_map(|r| {
        let quote = &scenario.quotes[r.quote];
        clear(quote, evaluation_quantity, &limits)
            .filter(|c| c.quantity >= needed)
            .map(|c| (r.quote, c))
    });
    let Some((quote_index, cleared)) = winner else {
        return failed(
            scenario,
            evaluation_quantity,
            ranking,
            FailureReason::NotCleared,
        );
    };

    let quote = &scenario.quotes[quote_index];
    let mut accepted = vec![true; orders.len()];
    for &(_, _, line) in &limits.sorted[..cleared.dropped] {
        accepted[line] = false;
    }
    let (unit_price, nets) = split(quote, orders, &accepted, cleared);
    let vat_rate = scenario.terms.vat_rate;

    let mut lines = Vec::with_capacity(orders.len());
    let mut members: Vec<MemberResult> = scenario
        .member_names
        .iter()
        .map(|name| MemberResult {
            member: name.clone(),
            quantity: 0,
            net: Money::ZERO,
            vat: Money::ZERO,
            gross: Money::ZERO,
            saving_vs_list: None,
            saving_vs_alone: None,
        })
        .collect();
    let (mut total_net, mut total_vat) = (Money::ZERO, Money::ZERO);
    for (i, line) in orders.iter().enumerate() {
        let (status, quantity, price) = match nets[i] {
            Some(net) => {
                let vat = vat_rate.vat_on(net);
                let price = LinePrice {
                    unit_price,
                    net,
                    vat,
                    gross: net + vat,
                };
                let member = &mut members[scenario.member_of_line[i] as usize];
                member.quantity += line.quantity;
                member.net += net;
                member.vat += vat;
                member.gross += price.gross;
                total_net += net;
                total_vat += vat;
                (LineStatus::Accepted, line.quantity, Some(price))
            }
            None => (LineStatus::OverLimit, 0, None),
        };
        lines.push(LineResult {
            line: i,
            order: line.id.clone(),
            member: line.member.clone(),
            status,
            quantity,
            price,
        });
    }
    members.retain(|m| m.quantity > 0);
    for member in &mut members {
        member.saving_vs_list = scenario
            .terms
            .list_unit_price
            .map(|list| crate::domain::spend::saving_vs_list(list, member.quantity, member.net));
        member.saving_vs_alone = quote
            .tiers
            .cost(quote.pricing, member.quantity)
            .map(|alone| Money::round_from_ten_thousandths(alone) - member.net);
    }

    Evaluation {
        failure: None,
        evaluation_quantity,
        ranking,
        award: Some(Award {
            quote: quote_index,
            supplier: quote.supplier.clone(),
            pricing: quote.pricing,
            quantity: cleared.quantity,
            unit_price,
            total_net,
            total_vat,
            total_gross: total_net + total_vat,
        }),
        lines,
        members,
    }
}

/// Splits the cleared cost among the accepted lines: the award's unit price and each line's
/// net (None for a dropped line).
fn split(
    quote: &Quote,
    orders: &[OrderLine],
    accepted: &[bool],
    cleared: Cleared,
) -> (UnitPrice, Vec<Option<Money>>) {
    let q_total = i128::from(cleared.quantity);
    match quote.pricing {
        PricingMode::AllUnits => {
            // The whole quantity reached one tier: every line pays its price exactly.
            let price = cleared.cost / q_total;
            let unit_price = UnitPrice::from_ten_thousandths(price as i64)
                .unwrap_or_else(|_| quote.tiers.tiers()[0].unit_price);
            let nets = orders
                .iter()
                .zip(accepted)
                .map(|(line, &ok)| {
                    ok.then(|| Money::round_from_ten_thousandths(i128::from(line.quantity) * price))
                })
                .collect();
            (unit_price, nets)
        }
        PricingMode::Graduated => {
            let n = i128::from(Money::round_from_ten_thousandths(cleared.cost).cents());
            let mut shares: Vec<Option<i128>> = Vec::with_capacity(orders.len());
            let mut remainders: Vec<(i128, usize)> = Vec::new();
            let mut distributed = 0i128;
            for (i, (line, &ok)) in orders.iter().zip(accepted).enumerate() {
                if ok {
                    let product = n * i128::from(line.quantity);
                    let share = product / q_total;
                    distributed += share;
                    remainders.push((product % q_total, i));
                    shares.push(Some(share));
                } else {
                    shares.push(None);
                }
            }
            let leftover = usize::try_from(n - distributed).unwrap_or(0);
            if leftover > 0 {
                let by_claim = |a: &(i128, usize), b: &(i128, usize)| {
                    b.0.cmp(&a.0)
                        .then_with(|| orders[a.1].placed_at.cmp(&orders[b.1].placed_at))
                        .then_with(|| orders[a.1].id.as_bytes().cmp(orders[b.1].id.as_bytes()))
                };
                if leftover < remainders.len() {
                    remainders.select_nth_unstable_by(leftover - 1, by_claim);
                }
                for &(_, i) in remainders.iter().take(leftover) {
                    if let Some(share) = shares[i].as_mut() {
                        *share += 1;
                    }
                }
            }
            let unit = div_round_half_away(n * (PRICE_SCALE / 100), q_total);
            let unit_price = UnitPrice::from_ten_thousandths(unit as i64)
                .unwrap_or_else(|_| quote.tiers.tiers()[0].unit_price);
            let nets = shares
                .into_iter()
                .map(|s| s.map(|cents| Money::from_cents(cents as i64)))
                .collect();
            (unit_price, nets)
        }
    }
}

fn failed(
    scenario: &Scenario,
    evaluation_quantity: u64,
    ranking: Vec<RankedQuote>,
    reason: FailureReason,
) -> Evaluation {
    Evaluation {
        failure: Some(reason),
        evaluation_quantity,
        ranking,
        award: None,
        lines: scenario
            .orders
            .iter()
            .enumerate()
            .map(|(i, l)| LineResult {
                line: i,
                order: l.id.clone(),
                member: l.member.clone(),
                status: LineStatus::LotFailed,
                quantity: 0,
                price: None,
            })
            .collect(),
        members: Vec::new(),
    }
}
