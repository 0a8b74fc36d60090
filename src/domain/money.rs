//! Exact money: amounts in cents, unit prices and rates in 1/10,000, converted from and to
//! `Decimal` in this one place.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::fmt;

/// Fractional units per euro for unit prices and rates (4 decimal places).
pub const PRICE_SCALE: i128 = 10_000;
/// Units of a price per cent (1/10,000 € → 1/100 €).
const PRICE_UNITS_PER_CENT: i128 = 100;
/// The largest unit price accepted anywhere: 1,000,000 €.
pub const MAX_UNIT_PRICE_EUR: i64 = 1_000_000;

/// Why a decimal could not become a price, amount or rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalError {
    NotANumber,
    TooManyDecimals,
    NotPositive,
    TooLarge,
    OutOfRange,
}

impl fmt::Display for DecimalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DecimalError::NotANumber => "is not a decimal number",
            DecimalError::TooManyDecimals => "has more than 4 decimal places",
            DecimalError::NotPositive => "must be greater than 0",
            DecimalError::TooLarge => "must be at most 1000000",
            DecimalError::OutOfRange => "must be between 0 and 0.9999",
        })
    }
}

/// Divides with commercial rounding: to the nearest integer, halves away from zero.
pub fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    debug_assert!(denominator > 0);
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if 2 * remainder.abs() >= denominator {
        quotient + numerator.signum()
    } else {
        quotient
    }
}

/// Parses a plain decimal string ("12.5", "0.3333"), refusing signs of trouble such as
/// exponents, spaces or more than four decimal places.
fn parse_scaled(text: &str) -> Result<i128, DecimalError> {
    let trimmed = text.trim();
    if trimmed.is_empty()
        || trimmed.len() > 40
        || !trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+')
    {
        return Err(DecimalError::NotANumber);
    }
    let value: Decimal = trimmed.parse().map_err(|_| DecimalError::NotANumber)?;
    if value.normalize().scale() > 4 {
        return Err(DecimalError::TooManyDecimals);
    }
    // Near Decimal's limit (28 digits) the scaling itself would overflow: such a number is
    // far beyond any price or rate, so it is too large rather than a panic.
    let scaled = value
        .checked_mul(Decimal::from(PRICE_SCALE as i64))
        .ok_or(DecimalError::TooLarge)?;
    scaled.to_i128().ok_or(DecimalError::TooLarge)
}

/// A net price per unit, exact to 1/10,000 €, greater than 0 and at most 1,000,000 €.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitPrice(i64);

impl UnitPrice {
    /// Parses a decimal string such as `"89.90"`.
    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        Self::from_scaled(parse_scaled(text)?)
    }

    /// A price from a `Decimal`, with the same rules as [`UnitPrice::parse`].
    pub fn from_decimal(value: Decimal) -> Result<Self, DecimalError> {
        if value.normalize().scale() > 4 {
            return Err(DecimalError::TooManyDecimals);
        }
        let scaled = value
            .checked_mul(Decimal::from(PRICE_SCALE as i64))
            .and_then(|v| v.to_i128())
            .ok_or(DecimalError::TooLarge)?;
        Self::from_scaled(scaled)
    }

    /// A price from its stored form in 1/10,000 €.
    pub fn from_ten_thousandths(units: i64) -> Result<Self, DecimalError> {
        Self::from_scaled(i128::from(units))
    }

    fn from_scaled(units: i128) -> Result<Self, DecimalError> {
        if units <= 0 {
            return Err(DecimalError::NotPositive);
        }
        if units > i128::from(MAX_UNIT_PRICE_EUR) * PRICE_SCALE {
            return Err(DecimalError::TooLarge);
        }
        i64::try_from(units)
            .map(UnitPrice)
            .map_err(|_| DecimalError::TooLarge)
    }

    /// The stored form: 1/10,000 €.
    pub fn ten_thousandths(self) -> i64 {
        self.0
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 4)
    }
}

impl fmt::Display for UnitPrice {
    /// Always four decimal places, as in the pricing result: `92.8889`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_decimal())
    }
}

/// An amount of money in whole cents (may be negative, as a saving can be).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_cents(cents: i64) -> Self {
        Money(cents)
    }

    pub fn cents(self) -> i64 {
        self.0
    }

    /// Rounds an amount given in 1/10,000 € to the cent, halves away from zero.
    pub fn round_from_ten_thousandths(units: i128) -> Self {
        Money(saturate(div_round_half_away(units, PRICE_UNITS_PER_CENT)))
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    /// German notation for pages and emails: `1.234,56 €`.
    pub fn format_de(self) -> String {
        let mut text = group_de(self.0, 2);
        text.push_str(" €");
        text
    }

    /// English notation: `€1,234.56`.
    pub fn format_en(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}€{}", group_en(self.0.unsigned_abs(), 2))
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0.saturating_sub(rhs.0))
    }
}

impl std::ops::AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl std::ops::SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        *self = *self - rhs;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl fmt::Display for Money {
    /// Always two decimal places, as in the pricing result: `25080.00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_decimal())
    }
}

/// A VAT rate such as 19 % (`0.19`), exact to 1/10,000, between 0 and 0.9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VatRate(i64);

impl VatRate {
    pub const STANDARD: VatRate = VatRate(1900);
    pub const REDUCED: VatRate = VatRate(700);

    pub fn parse(text: &str) -> Result<Self, DecimalError> {
        Self::from_scaled(parse_scaled(text)?)
    }

    pub fn from_ten_thousandths(units: i64) -> Result<Self, DecimalError> {
        Self::from_scaled(i128::from(units))
    }

    fn from_scaled(units: i128) -> Result<Self, DecimalError> {
        if !(0..PRICE_SCALE).contains(&units) {
            return Err(DecimalError::OutOfRange);
        }
        i64::try_from(units)
            .map(VatRate)
            .map_err(|_| DecimalError::OutOfRange)
    }

    pub fn ten_thousandths(self) -> i64 {
        self.0
    }

    /// The VAT on a net amount, rounded to the cent.
    pub fn vat_on(self, net: Money) -> Money {
        Money(saturate(div_round_half_away(
            i128::from(net.0) * i128::from(self.0),
            PRICE_SCALE,
        )))
    }

    /// As a percentage for people: `19 %`, `7,5 %`.
    pub fn percent_de(self) -> String {
        let pct = Decimal::new(self.0, 2).normalize();
        format!("{} %", pct.to_string().replace('.', ","))
    }
}

fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// Formats a scaled integer with German grouping: `-1.234,56`.
fn group_de(value: i64, places: u32) -> String {
    grouped(value < 0, value.unsigned_abs(), places, '.', ',')
}

/// Formats a scaled non-negative integer with English grouping: `1,234.56`.
fn group_en(value: u64, places: u32) -> String {
    grouped(false, value, places, ',', '.')
}

/// A scaled integer with `places` decimal places, its thousands grouped, written into one
/// string (a page shows dozens of amounts).
fn grouped(negative: bool, value: u64, places: u32, thousands: char, decimal: char) -> String {
    use std::fmt::Write;
    let divisor = 10u64.pow(places);
    let whole = (value / divisor).to_string();
    let mut text = String::with_capacity(whole.len() * 4 / 3 + places as usize + 8);
    if negative {
        text.push('-');
    }
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            text.push(thousands);
        }
        text.push(digit);
    }
    if places > 0 {
        text.push(decimal);
        let _ = write!(text, "{:0width$}", value % divisor, width = places as usize);
    }
    text
}

/// Formats a unit price for people in German: at least two, at most four decimal places.
pub fn format_unit_price_de(price: UnitPrice) -> String {
    let cents_exact = price.0 % 100 == 0;
    let mut text = if cents_exact {
        group_de(price.0 / 100, 2)
    } else {
        group_de(price.0, 4)
    };
    text.push_str(" €");
    text
}

/// Formats a unit price for people in English.
pub fn format_unit_price_en(price: UnitPrice) -> String {
    if price.0 % 100 == 0 {
        format!("€{}", group_en(price.0.unsigned_abs() / 100, 2))
    } else {
        format!("€{}", group_en(price.0.unsigned_abs(), 4))
    }
}

/// Formats an integer quantity with German grouping: `15.000`.
pub fn format_quantity_de(quantity: u64) -> String {
    grouped(false, quantity, 0, '.', ',')
}

/// Formats an integer quantity with English grouping: `15,000`.
pub fn format_quantity_en(quantity: u64) -> String {
    group_en(quantity, 0)
}

/// Rounds a `Decimal` to the cent commercially (used where an outside value enters).
pub fn round_cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_near_the_decimal_limit_are_too_large_not_a_panic() {
        for text in [
            "79228162514264337593543950335",
            "99999999999999999999999999",
            "-79228162514264337593543950335",
            "7922816251426433759354395033.5",
        ] {
            assert!(UnitPrice::parse(text).is_err(), "{text}");
            assert!(VatRate::parse(text).is_err(), "{text}");
        }
        assert_eq!(
            UnitPrice::parse("79228162514264337593543950335"),
            Err(DecimalError::TooLarge)
        );
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(div_round_half_away(5, 10), 1);
        assert_eq!(div_round_half_away(-5, 10), -1);
        assert_eq!(div_round_half_away(4, 10), 0);
        assert_eq!(div_round_half_away(-14, 10), -1);
        assert_eq!(div_round_half_away(15, 10), 2);
    }

    #[test]
    fn unit_price_parsing_enforces_the_limits() {
        assert_eq!(UnitPrice::parse("89.9").map(|p| p.0), Ok(899_000));
        assert_eq!(UnitPrice::parse("0.0001").map(|p| p.0), Ok(1));
        assert_eq!(
            UnitPrice::parse("10.00001"),
            Err(DecimalError::TooManyDecimals)
        );
        assert_eq!(UnitPrice::parse("0"), Err(DecimalError::NotPositive));
        assert_eq!(UnitPrice::parse("-1"), Err(DecimalError::NotPositive));
        assert_eq!(
            UnitPrice::parse("1000000.0001"),
            Err(DecimalError::TooLarge)
        );
        assert_eq!(UnitPrice::parse("1e3"), Err(DecimalError::NotANumber));
        assert_eq!(UnitPrice::parse("abc"), Err(DecimalError::NotANumber));
        // Trailing zeros beyond four places are still exact.
        assert_eq!(UnitPrice::parse("1.500000").map(|p| p.0), Ok(15_000));
    }

    #[test]
    fn german_formatting_groups_thousands() {
        assert_eq!(Money::from_cents(123_456).format_de(), "1.234,56 €");
        assert_eq!(Money::from_cents(-5).format_de(), "-0,05 €");
        assert_eq!(Money::from_cents(1_824_000).format_de(), "18.240,00 €");
        assert_eq!(Money::from_cents(123_456).format_en(), "€1,234.56");
        assert_eq!(format_quantity_de(15_000), "15.000");
        assert_eq!(
            format_unit_price_de(UnitPrice::parse("92.8889").unwrap_or(UnitPrice(1))),
            "92,8889 €"
        );
        assert_eq!(VatRate::STANDARD.percent_de(), "19 %");
        // The edges of grouping: no group, exactly one, the largest amounts.
        assert_eq!(format_quantity_de(0), "0");
        assert_eq!(format_quantity_de(999), "999");
        assert_eq!(format_quantity_de(1_000), "1.000");
        assert_eq!(format_quantity_en(1_000_000), "1,000,000");
        assert_eq!(Money::from_cents(0).format_de(), "0,00 €");
        assert_eq!(Money::from_cents(-100_000).format_de(), "-1.000,00 €");
        assert_eq!(
            Money::from_cents(i64::MIN).format_de(),
            "-92.233.720.368.547.758,08 €"
        );
        assert_eq!(format_quantity_en(u64::MAX), "18,446,744,073,709,551,615");
        assert_eq!(format_unit_price_en(UnitPrice(15_000)), "€1.50");
        assert_eq!(format_unit_price_de(UnitPrice(1)), "0,0001 €");
    }

    #[test]
    fn vat_is_rounded_to_the_cent() {
        assert_eq!(
            VatRate::STANDARD.vat_on(Money::from_cents(557_333)),
            Money::from_cents(105_893)
        );
    }
}
