//! A lot's terms, its life (`draft → open → closed → …`) and the rules a buyer's order meets.

use super::money::{DecimalError, UnitPrice};
use super::pricing::{MAX_LINE_QUANTITY, MAX_LOT_QUANTITY, MAX_ORDER_LINES};
use chrono::{DateTime, NaiveDateTime, Utc};

mod terms;
pub use terms::{FrameworkTerms, IndicativeTier, LotForm, LotTermsInput};

/// Where a lot stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LotStatus {
    Draft,
    Open,
    Closed,
    Evaluated,
    Awarded,
    Confirmed,
    Failed,
    Cancelled,
}

impl LotStatus {
    pub const ALL: [LotStatus; 8] = [
        LotStatus::Draft,
        LotStatus::Open,
        LotStatus::Closed,
        LotStatus::Evaluated,
        LotStatus::Awarded,
        LotStatus::Confirmed,
        LotStatus::Failed,
        LotStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LotStatus::Draft => "draft",
            LotStatus::Open => "open",
            LotStatus::Closed => "closed",
            LotStatus::Evaluated => "evaluated",
            LotStatus::Awarded => "awarded",
            LotStatus::Confirmed => "confirmed",
            LotStatus::Failed => "failed",
            LotStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The status people see: an open lot past its demand deadline is closed even before
    /// the background task has written that down.
    pub fn effective(self, demand_deadline: DateTime<Utc>, now: DateTime<Utc>) -> Self {
        if self == LotStatus::Open && now >= demand_deadline {
            LotStatus::Closed
        } else {
            self
        }
    }

    /// Members and suppliers see a lot once it has been opened.
    pub fn visible_to_members(self) -> bool {
        self != LotStatus::Draft
    }
}

/// What kind of goods a lot buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    Devices,
    Licences,
    Network,
    Services,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::Devices,
        Category::Licences,
        Category::Network,
        Category::Services,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Devices => "devices",
            Category::Licences => "licences",
            Category::Network => "network",
            Category::Services => "services",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// What the lot list is narrowed to: a status, a category, words in the title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LotFilter {
    pub status: Option<LotStatus>,
    pub category: Option<Category>,
    /// Lower-cased words; every one must occur in the title.
    words: Vec<String>,
}

impl LotFilter {
    /// Reads the list's query; unknown values mean "any", and the search is cut to 200
    /// characters.
    pub fn parse(status: &str, category: &str, search: &str) -> Self {
        LotFilter {
            status: LotStatus::parse(status.trim()),
            category: Category::parse(category.trim()),
            words: search
                .chars()
                .take(200)
                .collect::<String>()
                .to_lowercase()
                .split_whitespace()
                .map(str::to_string)
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.status.is_none() && self.category.is_none() && self.words.is_empty()
    }

    /// Whether a lot with this title, category and (current) status is listed.
    pub fn matches(&self, title: &str, category: Category, status: LotStatus) -> bool {
        let title = title.to_lowercase();
        self.status.is_none_or(|s| s == status)
            && self.category.is_none_or(|c| c == category)
            && self.words.iter().all(|w| title.contains(w.as_str()))
    }
}

/// The next deadline of a lot at `now`: the demand deadline, then the quote deadline.
pub fn next_deadline(
    now: DateTime<Utc>,
    demand: NaiveDateTime,
    quote: NaiveDateTime,
) -> Option<(&'static str, NaiveDateTime)> {
    let now = now.naive_utc();
    if now < demand {
        Some(("demand", demand))
    } else if now < quote {
        Some(("quote", quote))
    } else {
        None
    }
}

/// A problem with one field of a form: the field's name and a message key of the catalogue
/// with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: &'static str, key: &'static str) -> Self {
        FieldError {
            field,
            key,
            args: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }
}

/// Reads a quantity typed by a person: digits only (German thousands dots allowed).
pub fn parse_quantity(text: &str) -> Option<i64> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != '.' && *c != ' ')
        .collect();
    if cleaned.is_empty()
        || !cleaned
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit())
    {
        return None;
    }
    cleaned.parse().ok()
}

/// Reads a price typed by a person, German (`1.234,56`) or English (`1234.56`) notation.
pub fn parse_price_input(text: &str) -> Result<UnitPrice, DecimalError> {
    UnitPrice::parse(&normalise_decimal(text))
}

/// Turns `1.234,56` into `1234.56`; leaves `1234.56` as it is.
pub fn normalise_decimal(text: &str) -> String {
    let t = text.trim().replace([' ', '€'], "");
    if t.contains(',') {
        t.replace('.', "").replace(',', ".")
    } else {
        t
    }
}

fn decimal_error_key(error: DecimalError) -> &'static str {
    match error {
        DecimalError::NotANumber => "error.price_not_number",
        DecimalError::TooManyDecimals => "error.price_decimals",
        DecimalError::NotPositive => "error.price_positive",
        DecimalError::TooLarge => "error.price_too_large",
        DecimalError::OutOfRange => "error.vat_range",
    }
}

/// A price field: empty means none.
pub fn optional_price(field: &'static str, text: &str) -> Result<Option<UnitPrice>, FieldError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_price_input(text)
        .map(Some)
        .map_err(|e| FieldError::new(field, decimal_error_key(e)))
}

/// A buyer's order line as entered, checked against the lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderInput {
    pub quantity: u64,
    pub max_unit_price: Option<UnitPrice>,
    pub reference: String,
}

impl OrderInput {
    pub fn parse(
        quantity: &str,
        max_unit_price: &str,
        reference: &str,
        order_increment: u64,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let quantity = match parse_quantity(quantity) {
            None => {
                errors.push(FieldError::new("quantity", "error.quantity_number"));
                0
            }
            Some(n) if n < 1 || n > MAX_LINE_QUANTITY as i64 => {
                errors.push(
                    FieldError::new("quantity", "error.quantity_range")
                        .with("min", "1")
                        .with("max", MAX_LINE_QUANTITY.to_string()),
                );
                0
            }
            Some(n) if !(n as u64).is_multiple_of(order_increment) => {
                errors.push(
                    FieldError::new("quantity", "error.quantity_increment")
                        .with("n", order_increment.to_string()),
                );
                0
            }
            Some(n) => n as u64,
        };
        let max_unit_price = optional_price("max_unit_price", max_unit_price).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let reference = reference.trim().to_string();
        if reference.chars().count() > 100 || reference.chars().any(char::is_control) {
            errors.push(FieldError::new("reference", "error.reference"));
        }
        if errors.is_empty() {
            Ok(OrderInput {
                quantity,
                max_unit_price,
                reference,
            })
        } else {
            Err(errors)
        }
    }
}

/// The standstill §134 GWB requires when the information goes out electronically (15 days
/// otherwise); a shorter one needs a reason on record.
pub const MIN_STANDSTILL_DAYS: u64 = 10;

/// The reason for a standstill shorter than [`MIN_STANDSTILL_DAYS`]: required then (so it
/// goes to the audit log), ignored otherwise.
pub fn short_standstill_reason(days: u64, reason: &str) -> Result<Option<String>, FieldError> {
    if days >= MIN_STANDSTILL_DAYS {
        return Ok(None);
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(
            FieldError::new("standstill_reason", "error.standstill_reason")
                .with("days", MIN_STANDSTILL_DAYS.to_string()),
        );
    }
    Ok(Some(reason.to_string()))
}

/// The size of a lot's bundle: its active lines and their total quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BundleSize {
    pub quantity: u64,
    pub lines: u64,
}

impl BundleSize {
    /// The bundle after a line of `removed` units (zero for a new line) is replaced by one
    /// of `added`, if the pricing engine can still price it; a lot that would grow past
    /// the engine's limits could never be awarded.
    pub fn with_line(self, removed: Option<u64>, added: u64) -> Result<Self, FieldError> {
        let lines = if removed.is_some() {
            self.lines
        } else {
            self.lines + 1
        };
        let quantity = self.quantity - removed.unwrap_or(0).min(self.quantity) + added;
        if quantity > MAX_LOT_QUANTITY {
            return Err(FieldError::new("quantity", "error.bundle_quantity")
                .with("max", MAX_LOT_QUANTITY.to_string())
                .with("left", (MAX_LOT_QUANTITY - (quantity - added)).to_string()));
        }
        if lines > MAX_ORDER_LINES as u64 {
            return Err(FieldError::new("quantity", "error.bundle_lines")
                .with("max", MAX_ORDER_LINES.to_string()));
        }
        Ok(BundleSize { quantity, lines })
    }
}

/// How far the bundle has come: towards the minimum total and the next indicative tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub total: u64,
    pub min_total: u64,
    /// Percent of the minimum total reached (0..=100).
    pub min_percent: u64,
    /// The next indicative tier not yet reached, with the quantity still missing.
    pub next_tier: Option<(IndicativeTier, u64)>,
    /// The best indicative tier already reached.
    pub reached_tier: Option<IndicativeTier>,
    /// Percent of the way to the next tier (0..=100), from the previous tier (or 0).
    pub tier_percent: u64,
}

impl Progress {
    pub fn new(total: u64, min_total: u64, tiers: &[IndicativeTier]) -> Self {
        let min_percent = total
            .saturating_mul(100)
            .checked_div(min_total)
            .map_or(100, |p| p.min(100));
        let reached_tier = tiers
            .iter()
            .rev()
            .find(|t| t.min_quantity <= total)
            .copied();
        let next = tiers.iter().find(|t| t.min_quantity > total).copied();
        let from = reached_tier.map_or(0, |t| t.min_quantity);
        let tier_percent = match next {
            Some(t) => {
                let span = t.min_quantity - from;
                ((total - from).saturating_mul(100) / span.max(1)).min(100)
            }
            None => 100,
        };
        Progress {
            total,
            min_total,
            min_percent,
            next_tier: next.map(|t| (t, t.min_quantity - total)),
            reached_tier,
            tier_percent,
        }
    }
}

#[cfg(test)]
mod tests;
