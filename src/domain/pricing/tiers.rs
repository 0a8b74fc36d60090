//! The limits of the pricing contract, what an invalid input names, and tier tables: a
//! quote's prices by quantity, all-units or graduated.

use crate::domain::money::UnitPrice;
use std::fmt;

/// Largest quantity of one order line.
pub const MAX_LINE_QUANTITY: u64 = 1_000_000;
/// Largest total quantity of a lot (and largest minimum total).
pub const MAX_LOT_QUANTITY: u64 = 100_000_000;
/// Most tiers in one quote.
pub const MAX_TIERS: usize = 1_000;
/// Most quotes in one evaluation.
pub const MAX_QUOTES: usize = 1_000;
/// Most order lines in one evaluation.
pub const MAX_ORDER_LINES: usize = 1_000_000;

/// A rule of the pricing contract that some input breaks, with where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    pub path: String,
    pub message: String,
}

impl InvalidInput {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        InvalidInput {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same problem, seen from one level further out (`tiers[1]` → `quotes[0].tiers[1]`).
    pub fn within(mut self, prefix: &str) -> Self {
        self.path = if self.path.is_empty() {
            prefix.to_string()
        } else if self.path.starts_with('[') {
            format!("{prefix}{}", self.path)
        } else {
            format!("{prefix}.{}", self.path)
        };
        self
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for InvalidInput {}

/// How a quote prices a quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PricingMode {
    /// Every unit costs the price of the tier the whole quantity reaches.
    AllUnits,
    /// Each unit costs the price of the tier its own position reaches.
    Graduated,
}

impl PricingMode {
    pub fn as_str(self) -> &'static str {
        match self {
            PricingMode::AllUnits => "all_units",
            PricingMode::Graduated => "graduated",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "all_units" => Some(PricingMode::AllUnits),
            "graduated" => Some(PricingMode::Graduated),
            _ => None,
        }
    }
}

/// One step of a tier table: from `min_quantity` units on, `unit_price` applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    pub min_quantity: u64,
    pub unit_price: UnitPrice,
}

/// Volume prices: minimum quantities strictly increasing from at least 1, prices never rising.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierTable(Vec<Tier>);

impl TierTable {
    pub fn new(tiers: Vec<Tier>) -> Result<Self, InvalidInput> {
        if tiers.is_empty() {
            return Err(InvalidInput::new("", "at least one tier is required"));
        }
        if tiers.len() > MAX_TIERS {
            return Err(InvalidInput::new(
                "",
                format!("at most {MAX_TIERS} tiers are allowed"),
            ));
        }
        for (i, tier) in tiers.iter().enumerate() {
            if tier.min_quantity < 1 {
                return Err(InvalidInput::new(
                    format!("[{i}].min_quantity"),
                    "must be at least 1",
                ));
            }
            if i > 0 {
                let previous = tiers[i - 1];
                if tier.min_quantity <= previous.min_quantity {
                    return Err(InvalidInput::new(
                        format!("[{i}].min_quantity"),
                        "must be greater than the previous tier's minimum quantity",
                    ));
                }
                if tier.unit_price > previous.unit_price {
                    return Err(InvalidInput::new(
                        format!("[{i}].unit_price"),
                        "must not be higher than the previous tier's price",
                    ));
                }
            }
        }
        Ok(TierTable(tiers))
    }

    pub fn tiers(&self) -> &[Tier] {
        &self.0
    }

    /// The smallest quantity this table can price.
    pub fn first_min_quantity(&self) -> u64 {
        self.0.first().map_or(1, |t| t.min_quantity)
    }

    /// The exact cost of `quantity` units in 1/10,000 €, or `None` where the table cannot
    /// price it (fewer units than the first tier's minimum, or none at all).
    pub fn cost(&self, mode: PricingMode, quantity: u64) -> Option<i128> {
        if quantity == 0 || quantity < self.first_min_quantity() {
            return None;
        }
        let q = i128::from(quantity);
        match mode {
            PricingMode::AllUnits => {
                let tier = self.0.iter().rev().find(|t| t.min_quantity <= quantity)?;
                Some(q * i128::from(tier.unit_price.ten_thousandths()))
            }
            PricingMode::Graduated => {
                let mut total = 0i128;
                for (i, tier) in self.0.iter().enumerate() {
                    // The first tier also covers units 1 .. its minimum.
                    let start = if i == 0 { 1 } else { tier.min_quantity };
                    if start > quantity {
                        break;
                    }
                    let end = self
                        .0
                        .get(i + 1)
                        .map_or(quantity, |next| (next.min_quantity - 1).min(quantity));
                    let units = i128::from(end - start + 1);
                    total += units * i128::from(tier.unit_price.ten_thousandths());
                }
                Some(total)
            }
        }
    }
}
