//! Framework agreements: call-offs priced on the cooperative's cumulative quantity, with
//! credits to every member when an all-units framework crosses a tier (`frameworks.md`).
//!
//! Pure and exact: amounts are whole cents, prices 1/10,000 €, rounding half away from zero.
//! The same [`Ledger`] prices the CLI's scenarios and every call-off on the web.

mod ledger;

pub use ledger::{run, CallOffResult, Credit, Ledger, MemberStatement, Priced, Summary};

use super::money::{div_round_half_away, Money, UnitPrice, VatRate};
use super::pricing::{InvalidInput, PricingMode, TierTable, MAX_LINE_QUANTITY, MAX_LOT_QUANTITY};
use chrono::{DateTime, Utc};
use std::collections::HashSet;

/// At most this many call-offs in one scenario.
pub const MAX_CALLOFFS: usize = 100_000;
/// A framework runs 1 to 48 months (§21(6) VgV: at most four years).
pub const MAX_TERM_MONTHS: u32 = 48;

/// The agreed terms of a confirmed framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framework {
    pub pricing: PricingMode,
    pub tiers: TierTable,
    pub vat_rate: VatRate,
    pub list_unit_price: Option<UnitPrice>,
    pub order_increment: u64,
    pub max_quantity: u64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Framework {
    /// Checks the terms on their own (the initial lines are checked by [`Contract::new`]).
    pub fn check(&self) -> Result<(), InvalidInput> {
        if !(1..=MAX_LOT_QUANTITY).contains(&self.max_quantity) {
            return Err(InvalidInput::new(
                "max_quantity",
                format!("must be between 1 and {MAX_LOT_QUANTITY}"),
            ));
        }
        if !(1..=MAX_LINE_QUANTITY).contains(&self.order_increment) {
            return Err(InvalidInput::new(
                "order_increment",
                format!("must be between 1 and {MAX_LINE_QUANTITY}"),
            ));
        }
        if self.end <= self.start {
            return Err(InvalidInput::new("end", "must be after start"));
        }
        Ok(())
    }

    /// The moments at which [`Framework::runs_at`] may answer differently.
    pub fn turns(&self) -> [DateTime<Utc>; 2] {
        [self.start, self.end]
    }

    /// Whether a call-off at `at` falls within the term (start inclusive, end exclusive).
    pub fn runs_at(&self, at: DateTime<Utc>) -> bool {
        at >= self.start && at < self.end
    }

    /// The all-units price once the cumulative quantity is `quantity` (the tier it reached),
    /// or, for a graduated framework, the price of unit number `quantity`.
    pub fn tier_price(&self, quantity: u64) -> UnitPrice {
        let tiers = self.tiers.tiers();
        tiers
            .iter()
            .rev()
            .find(|t| t.min_quantity <= quantity)
            .unwrap_or(&tiers[0])
            .unit_price
    }

    /// The next tier above `quantity`: its minimum and price.
    pub fn next_tier(&self, quantity: u64) -> Option<(u64, UnitPrice)> {
        self.tiers
            .tiers()
            .iter()
            .find(|t| t.min_quantity > quantity)
            .map(|t| (t.min_quantity, t.unit_price))
    }

    /// The contract's rule for the next call-off of `quantity` at `at` when `cumulative`
    /// units are called off: refused, or its price and whether it lowers the all-units price
    /// (then every earlier line is re-priced and credited — see [`Ledger::apply`]).
    pub fn next_calloff(
        &self,
        cumulative: u64,
        quantity: u64,
        at: DateTime<Utc>,
    ) -> Result<NextCallOff, Refusal> {
        if !self.runs_at(at) {
            return Err(Refusal::OutsideTerm);
        }
        let after = cumulative + quantity;
        if after > self.max_quantity {
            return Err(Refusal::OverMaxQuantity);
        }
        let (unit_price, net) = match self.pricing {
            PricingMode::AllUnits => {
                let price = self.tier_price(after);
                (price, net_at(quantity, price))
            }
            PricingMode::Graduated => {
                let cost = |q| self.tiers.cost(PricingMode::Graduated, q).unwrap_or(0);
                let net = Money::round_from_ten_thousandths(cost(after) - cost(cumulative));
                let per_unit =
                    div_round_half_away(i128::from(net.cents()) * 100, i128::from(quantity.max(1)));
                let unit_price = i64::try_from(per_unit)
                    .ok()
                    .and_then(|p| UnitPrice::from_ten_thousandths(p).ok())
                    .unwrap_or_else(|| self.tier_price(after));
                (unit_price, net)
            }
        };
        Ok(NextCallOff {
            unit_price,
            net,
            vat: self.vat_rate.vat_on(net),
            cumulative_quantity: after,
            lowers_price: self.pricing == PricingMode::AllUnits
                && self.tier_price(after) < self.tier_price(cumulative),
        })
    }

    /// Checks one quantity against the order increment and the line limits.
    pub fn check_quantity(&self, quantity: u64) -> Result<(), InvalidInput> {
        if !(1..=MAX_LINE_QUANTITY).contains(&quantity) {
            return Err(InvalidInput::new(
                "quantity",
                format!("must be between 1 and {MAX_LINE_QUANTITY}"),
            ));
        }
        if !quantity.is_multiple_of(self.order_increment) {
            return Err(InvalidInput::new(
                "quantity",
                format!(
                    "must be a multiple of the order increment {}",
                    self.order_increment
                ),
            ));
        }
        Ok(())
    }
}

/// The price of the next call-off, before any credits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextCallOff {
    pub unit_price: UnitPrice,
    pub net: Money,
    pub vat: Money,
    pub cumulative_quantity: u64,
    /// It takes an all-units framework into a cheaper tier: earlier lines are credited.
    pub lowers_price: bool,
}

/// A line of the initial call-off (the members' confirmed order lines), priced by the award.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialLine {
    pub id: String,
    pub member: String,
    pub quantity: u64,
    pub net: Money,
}

/// A member's call-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOff {
    pub id: String,
    pub member: String,
    pub quantity: u64,
    pub at: DateTime<Utc>,
}

/// A framework with its initial call-off, checked against every input rule.
#[derive(Debug, Clone)]
pub struct Contract {
    framework: Framework,
    initial: Vec<InitialLine>,
}

impl Contract {
    pub fn new(framework: Framework, initial: Vec<InitialLine>) -> Result<Self, InvalidInput> {
        framework.check().map_err(|e| e.within("framework"))?;
        if initial.is_empty() {
            return Err(InvalidInput::new(
                "initial",
                "at least one initial line is required",
            ));
        }
        let mut total = 0u64;
        for (i, line) in initial.iter().enumerate() {
            let at = |field: &str| format!("initial[{i}].{field}");
            check_name(&at("id"), &line.id)?;
            check_name(&at("member"), &line.member)?;
            framework
                .check_quantity(line.quantity)
                .map_err(|e| e.within(&format!("initial[{i}]")))?;
            if line.net.cents() <= 0 {
                return Err(InvalidInput::new(at("net"), "must be greater than 0"));
            }
            total += line.quantity;
        }
        if total < framework.tiers.first_min_quantity() {
            return Err(InvalidInput::new(
                "initial",
                format!(
                    "the initial total {total} is below the first tier's minimum quantity {}",
                    framework.tiers.first_min_quantity()
                ),
            ));
        }
        if total > framework.max_quantity {
            return Err(InvalidInput::new(
                "framework.max_quantity",
                format!(
                    "{} is below the initial total {total}",
                    framework.max_quantity
                ),
            ));
        }
        if framework.pricing == PricingMode::AllUnits {
            let price = framework.tier_price(total);
            for (i, line) in initial.iter().enumerate() {
                let expected = net_at(line.quantity, price);
                if line.net != expected {
                    return Err(InvalidInput::new(
                        format!("initial[{i}].net"),
                        format!(
                            "{} is not {expected}, the quantity {} at {price} (the price at the initial total {total})",
                            line.net, line.quantity
                        ),
                    ));
                }
            }
        }
        let mut ids = HashSet::new();
        for (i, line) in initial.iter().enumerate() {
            if !ids.insert(line.id.as_str()) {
                return Err(InvalidInput::new(
                    format!("initial[{i}].id"),
                    format!("{:?} is used twice", line.id),
                ));
            }
        }
        Ok(Contract { framework, initial })
    }

    pub fn framework(&self) -> &Framework {
        &self.framework
    }

    pub fn initial(&self) -> &[InitialLine] {
        &self.initial
    }

    /// Checks a scenario's call-offs (ids unique with the initial lines, quantities) and
    /// puts them in the contract's processing order: by `at`, then id (byte order).
    pub fn order_calloffs(&self, mut calloffs: Vec<CallOff>) -> Result<Vec<CallOff>, InvalidInput> {
        if calloffs.len() > MAX_CALLOFFS {
            return Err(InvalidInput::new(
                "calloffs",
                format!("at most {MAX_CALLOFFS} call-offs are allowed"),
            ));
        }
        let mut ids: HashSet<&str> = self.initial.iter().map(|l| l.id.as_str()).collect();
        for (i, c) in calloffs.iter().enumerate() {
            check_name(&format!("calloffs[{i}].id"), &c.id)?;
            check_name(&format!("calloffs[{i}].member"), &c.member)?;
            if !ids.insert(c.id.as_str()) {
                return Err(InvalidInput::new(
                    format!("calloffs[{i}].id"),
                    format!("{:?} is used twice", c.id),
                ));
            }
            self.framework
                .check_quantity(c.quantity)
                .map_err(|e| e.within(&format!("calloffs[{i}]")))?;
        }
        calloffs.sort_by(|a, b| {
            a.at.cmp(&b.at)
                .then_with(|| a.id.as_bytes().cmp(b.id.as_bytes()))
        });
        Ok(calloffs)
    }
}

fn check_name(path: &str, text: &str) -> Result<(), InvalidInput> {
    if text.is_empty() || text.len() > 200 || text.chars().any(char::is_control) {
        return Err(InvalidInput::new(
            path,
            "must be 1 to 200 characters without control characters",
        ));
    }
    Ok(())
}

/// `round(quantity × price)` in cents.
pub fn net_at(quantity: u64, price: UnitPrice) -> Money {
    Money::round_from_ten_thousandths(i128::from(quantity) * i128::from(price.ten_thousandths()))
}

/// Why a call-off was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    OutsideTerm,
    OverMaxQuantity,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::OutsideTerm => "outside_term",
            Refusal::OverMaxQuantity => "over_max_quantity",
        }
    }
}
