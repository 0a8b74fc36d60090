//! A lot's terms as staff enter them, checked field by field.

use super::{normalise_decimal, optional_price, parse_quantity, Category, FieldError};
use crate::domain::money::{UnitPrice, VatRate};
use crate::domain::pricing::{MAX_LINE_QUANTITY, MAX_LOT_QUANTITY};
use chrono::{DateTime, Utc};

/// An indicative tier shown to members while prices are sealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicativeTier {
    pub min_quantity: u64,
    pub unit_price: UnitPrice,
}

/// The terms of a lot as staff enter them, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotTermsInput {
    pub title: String,
    pub specification: String,
    pub category: Category,
    pub unit: String,
    pub order_increment: u64,
    pub min_total_quantity: u64,
    pub list_unit_price: Option<UnitPrice>,
    pub vat_rate: VatRate,
    pub demand_deadline: DateTime<Utc>,
    pub quote_deadline: DateTime<Utc>,
    pub standstill_days: u64,
    pub indicative_tiers: Vec<IndicativeTier>,
    /// A framework agreement's term and maximum; `None` for a one-off lot.
    pub framework: Option<FrameworkTerms>,
}

/// What makes a lot a framework agreement (`frameworks.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameworkTerms {
    /// 1 to 48 months from the confirmation (§21(6) VgV).
    pub term_months: u32,
    /// The Höchstmenge: the agreement ends when the cooperative has called off this much.
    pub max_quantity: u64,
}

/// The raw text of the lot form.
#[derive(Debug, Clone, Default)]
pub struct LotForm<'a> {
    pub title: &'a str,
    pub specification: &'a str,
    pub category: &'a str,
    pub unit: &'a str,
    pub order_increment: &'a str,
    pub min_total_quantity: &'a str,
    pub list_unit_price: &'a str,
    pub vat_rate: &'a str,
    pub demand_deadline: Option<DateTime<Utc>>,
    pub quote_deadline: Option<DateTime<Utc>>,
    pub standstill_days: &'a str,
    /// (min quantity, unit price) rows; empty rows are skipped.
    pub tiers: Vec<(&'a str, &'a str)>,
    /// `one_off` (or empty) or `framework`, with the framework's term and maximum.
    pub kind: &'a str,
    pub term_months: &'a str,
    pub max_quantity: &'a str,
}

impl LotTermsInput {
    /// Checks every field, collecting all problems at once.
    pub fn parse(form: &LotForm<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = form.title.trim().to_string();
        if title.is_empty() || title.chars().count() > 200 {
            errors.push(FieldError::new("title", "error.title"));
        }
        let specification = form.specification.trim().to_string();
        if specification.chars().count() > 20_000 {
            errors.push(FieldError::new("specification", "error.too_long"));
        }
        let category = Category::parse(form.category);
        if category.is_none() {
            errors.push(FieldError::new("category", "error.category"));
        }
        let unit = form.unit.trim().to_string();
        if unit.is_empty() || unit.chars().count() > 40 {
            errors.push(FieldError::new("unit", "error.unit"));
        }
        let order_increment = match parse_quantity(form.order_increment) {
            Some(n) if (1..=MAX_LINE_QUANTITY as i64).contains(&n) => n as u64,
            _ => {
                errors.push(
                    FieldError::new("order_increment", "error.quantity_range")
                        .with("min", "1")
                        .with("max", MAX_LINE_QUANTITY.to_string()),
                );
                1
            }
        };
        let min_total_quantity = if form.min_total_quantity.trim().is_empty() {
            0
        } else {
            match parse_quantity(form.min_total_quantity) {
                Some(n) if (0..=MAX_LOT_QUANTITY as i64).contains(&n) => n as u64,
                _ => {
                    errors.push(
                        FieldError::new("min_total_quantity", "error.quantity_range")
                            .with("min", "0")
                            .with("max", MAX_LOT_QUANTITY.to_string()),
                    );
                    0
                }
            }
        };
        let list_unit_price = optional_price("list_unit_price", form.list_unit_price)
            .unwrap_or_else(|e| {
                errors.push(e);
                None
            });
        let vat_rate = match VatRate::parse(&normalise_decimal(form.vat_rate)) {
            Ok(v) => v,
            Err(_) => {
                errors.push(FieldError::new("vat_rate", "error.vat_range"));
                VatRate::STANDARD
            }
        };
        let standstill_days = match parse_quantity(form.standstill_days) {
            Some(n) if (0..=60).contains(&n) => n as u64,
            _ => {
                errors.push(
                    FieldError::new("standstill_days", "error.quantity_range")
                        .with("min", "0")
                        .with("max", "60"),
                );
                10
            }
        };
        let (demand_deadline, quote_deadline) = match (form.demand_deadline, form.quote_deadline) {
            (Some(d), Some(q)) => {
                if q < d {
                    errors.push(FieldError::new(
                        "quote_deadline",
                        "error.quote_before_demand",
                    ));
                }
                (d, q)
            }
            (d, q) => {
                if d.is_none() {
                    errors.push(FieldError::new("demand_deadline", "error.datetime"));
                }
                if q.is_none() {
                    errors.push(FieldError::new("quote_deadline", "error.datetime"));
                }
                (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MIN_UTC)
            }
        };
        let mut indicative_tiers: Vec<IndicativeTier> = Vec::new();
        for (min, price) in &form.tiers {
            if min.trim().is_empty() && price.trim().is_empty() {
                continue;
            }
            let min_quantity = match parse_quantity(min) {
                Some(n) if (1..=MAX_LOT_QUANTITY as i64).contains(&n) => n as u64,
                _ => {
                    errors.push(
                        FieldError::new("tiers", "error.quantity_range")
                            .with("min", "1")
                            .with("max", MAX_LOT_QUANTITY.to_string()),
                    );
                    continue;
                }
            };
            match optional_price("tiers", price) {
                Ok(Some(unit_price)) => indicative_tiers.push(IndicativeTier {
                    min_quantity,
                    unit_price,
                }),
                Ok(None) => errors.push(FieldError::new("tiers", "error.price_required")),
                Err(e) => errors.push(e),
            }
        }
        for pair in indicative_tiers.windows(2) {
            if pair[1].min_quantity <= pair[0].min_quantity {
                errors.push(FieldError::new("tiers", "error.tiers_order"));
                break;
            }
            if pair[1].unit_price > pair[0].unit_price {
                errors.push(FieldError::new("tiers", "error.tiers_rising"));
                break;
            }
        }
        let framework = match form.kind.trim() {
            "" | "one_off" => None,
            "framework" => {
                let term_months = match parse_quantity(form.term_months) {
                    Some(n)
                        if (1..=i64::from(crate::domain::framework::MAX_TERM_MONTHS))
                            .contains(&n) =>
                    {
                        n as u32
                    }
                    _ => {
                        errors.push(
                            FieldError::new("term_months", "error.quantity_range")
                                .with("min", "1")
                                .with("max", crate::domain::framework::MAX_TERM_MONTHS.to_string()),
                        );
                        1
                    }
                };
                let max_quantity = match parse_quantity(form.max_quantity) {
                    Some(n) if (1..=MAX_LOT_QUANTITY as i64).contains(&n) => n as u64,
                    _ => {
                        errors.push(
                            FieldError::new("max_quantity", "error.quantity_range")
                                .with("min", "1")
                                .with("max", MAX_LOT_QUANTITY.to_string()),
                        );
                        MAX_LOT_QUANTITY
                    }
                };
                if max_quantity < min_total_quantity {
                    errors.push(FieldError::new("max_quantity", "error.max_below_min"));
                }
                Some(FrameworkTerms {
                    term_months,
                    max_quantity,
                })
            }
            _ => {
                errors.push(FieldError::new("kind", "error.lot_kind"));
                None
            }
        };
        match (errors.is_empty(), category) {
            (true, Some(category)) => Ok(LotTermsInput {
                framework,
                title,
                specification,
                category,
                unit,
                order_increment,
                min_total_quantity,
                list_unit_price,
                vat_rate,
                demand_deadline,
                quote_deadline,
                standstill_days,
                indicative_tiers,
            }),
            _ => Err(errors),
        }
    }
}
