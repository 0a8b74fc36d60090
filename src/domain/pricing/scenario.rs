//! A pricing scenario: the lot's terms, the quotes and the members' order lines, checked
//! against the contract's limits.

use super::tiers::*;
use crate::domain::money::{UnitPrice, VatRate};
use chrono::{DateTime, Utc};

/// The terms of a lot that pricing needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotTerms {
    pub min_total_quantity: u64,
    pub order_increment: u64,
    pub vat_rate: VatRate,
    pub list_unit_price: Option<UnitPrice>,
}

impl LotTerms {
    pub fn new(
        min_total_quantity: u64,
        order_increment: u64,
        vat_rate: VatRate,
        list_unit_price: Option<UnitPrice>,
    ) -> Result<Self, InvalidInput> {
        if min_total_quantity > MAX_LOT_QUANTITY {
            return Err(InvalidInput::new(
                "min_total_quantity",
                format!("must be between 0 and {MAX_LOT_QUANTITY}"),
            ));
        }
        if !(1..=MAX_LINE_QUANTITY).contains(&order_increment) {
            return Err(InvalidInput::new(
                "order_increment",
                format!("must be between 1 and {MAX_LINE_QUANTITY}"),
            ));
        }
        Ok(LotTerms {
            min_total_quantity,
            order_increment,
            vat_rate,
            list_unit_price,
        })
    }
}

/// A supplier's offer for a lot (its latest revision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub supplier: String,
    pub submitted_at: DateTime<Utc>,
    pub pricing: PricingMode,
    pub max_quantity: Option<u64>,
    pub tiers: TierTable,
}

/// One member's demand in a lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub id: String,
    pub member: String,
    pub quantity: u64,
    pub max_unit_price: Option<UnitPrice>,
    pub placed_at: DateTime<Utc>,
}

impl OrderLine {
    /// Checks one line against the lot's terms (quantity range and increment).
    pub fn check_quantity(quantity: u64, terms: &LotTerms) -> Result<(), InvalidInput> {
        if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
            return Err(InvalidInput::new(
                "quantity",
                format!("must be between 1 and {MAX_LINE_QUANTITY}"),
            ));
        }
        if !quantity.is_multiple_of(terms.order_increment) {
            return Err(InvalidInput::new(
                "quantity",
                format!(
                    "must be a multiple of the order increment {}",
                    terms.order_increment
                ),
            ));
        }
        Ok(())
    }
}

/// A lot ready to be evaluated: terms, quotes and order lines that satisfy every input rule.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub(super) terms: LotTerms,
    pub(super) quotes: Vec<Quote>,
    pub(super) orders: Vec<OrderLine>,
    /// Per order line, the index of its member in `member_names`.
    pub(super) member_of_line: Vec<u32>,
    /// Distinct member names in byte order.
    pub(super) member_names: Vec<String>,
}

impl Scenario {
    pub fn new(
        terms: LotTerms,
        quotes: Vec<Quote>,
        orders: Vec<OrderLine>,
    ) -> Result<Self, InvalidInput> {
        if quotes.len() > MAX_QUOTES {
            return Err(InvalidInput::new(
                "quotes",
                format!("at most {MAX_QUOTES} quotes are allowed"),
            ));
        }
        if orders.len() > MAX_ORDER_LINES {
            return Err(InvalidInput::new(
                "orders",
                format!("at most {MAX_ORDER_LINES} order lines are allowed"),
            ));
        }
        let mut suppliers = std::collections::HashSet::with_capacity(quotes.len());
        for (i, quote) in quotes.iter().enumerate() {
            if quote.supplier.is_empty() {
                return Err(InvalidInput::new(
                    format!("quotes[{i}].supplier"),
                    "must not be empty",
                ));
            }
            if !suppliers.insert(quote.supplier.as_str()) {
                return Err(InvalidInput::new(
                    format!("quotes[{i}].supplier"),
                    format!("duplicate supplier {:?}", quote.supplier),
                ));
            }
        }
        let mut ids = std::collections::HashSet::with_capacity(orders.len());
        let mut total: u64 = 0;
        for (i, line) in orders.iter().enumerate() {
            if line.id.is_empty() {
                return Err(InvalidInput::new(
                    format!("orders[{i}].id"),
                    "must not be empty",
                ));
            }
            if !ids.insert(line.id.as_str()) {
                return Err(InvalidInput::new(
                    format!("orders[{i}].id"),
                    format!("duplicate order id {:?}", line.id),
                ));
            }
            OrderLine::check_quantity(line.quantity, &terms)
                .map_err(|e| e.within(&format!("orders[{i}]")))?;
            total += line.quantity;
            if total > MAX_LOT_QUANTITY {
                return Err(InvalidInput::new(
                    "orders",
                    format!("the quantities add up to more than {MAX_LOT_QUANTITY}"),
                ));
            }
        }
        drop(ids);
        drop(suppliers);

        let mut member_names: Vec<String> = orders.iter().map(|l| l.member.clone()).collect();
        member_names.sort_unstable();
        member_names.dedup();
        let member_of_line = orders
            .iter()
            .map(|l| {
                member_names
                    .binary_search(&l.member)
                    .map_or(0, |i| i as u32)
            })
            .collect();
        Ok(Scenario {
            terms,
            quotes,
            orders,
            member_of_line,
            member_names,
        })
    }

    pub fn terms(&self) -> &LotTerms {
        &self.terms
    }

    pub fn quotes(&self) -> &[Quote] {
        &self.quotes
    }

    pub fn orders(&self) -> &[OrderLine] {
        &self.orders
    }
}
