//! What a member spent and saved: per calendar year over everything it bought — one-off
//! awards, a framework's initial call-off and its call-offs — after every credit it received,
//! and per framework over its whole term.
//!
//! The saving against the list price of a period is `round(list price × quantity) − net` of
//! each lot's purchases in that period, after the credits of that period (`frameworks.md`,
//! the same definition as the award's and the framework statement's). A lot without a list
//! price adds nothing to it.

use super::money::{Money, UnitPrice};
use crate::domain::ids::LotId;
use std::collections::BTreeMap;

/// `round(list price × quantity) − net`: what a quantity bought for `net` saved against the
/// list price.
pub fn saving_vs_list(list: UnitPrice, quantity: u64, net: Money) -> Money {
    Money::round_from_ten_thousandths(i128::from(list.ten_thousandths()) * i128::from(quantity))
        - net
}

/// One thing a member bought, or got back, in a lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// The award's result for the member (a framework's initial call-off), at confirmation.
    Bought {
        quantity: u64,
        net: Money,
        gross: Money,
        /// Against buying the same quantity alone from the winning quote.
        saving_vs_alone: Option<Money>,
    },
    /// A call-off from a framework.
    CalledOff {
        quantity: u64,
        net: Money,
        gross: Money,
    },
    /// A credit when a call-off took the framework into a cheaper all-units tier.
    Credited { net: Money, gross: Money },
}

/// An entry of one lot in one calendar year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purchase {
    pub lot: LotId,
    pub year: i32,
    pub entry: Entry,
}

/// A member's purchases in one lot over a period, after its credits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spend {
    /// Bought at the award and called off.
    pub quantity: u64,
    pub calloffs: usize,
    pub called_off: u64,
    pub net: Money,
    pub gross: Money,
    pub credited_net: Money,
    pub credited_gross: Money,
    /// The award's saving against buying alone, and every credit.
    pub saving_vs_alone: Money,
}

impl Spend {
    pub fn add(&mut self, entry: Entry) {
        match entry {
            Entry::Bought {
                quantity,
                net,
                gross,
                saving_vs_alone,
            } => {
                self.quantity += quantity;
                self.net += net;
                self.gross += gross;
                self.saving_vs_alone += saving_vs_alone.unwrap_or(Money::ZERO);
            }
            Entry::CalledOff {
                quantity,
                net,
                gross,
            } => {
                self.quantity += quantity;
                self.calloffs += 1;
                self.called_off += quantity;
                self.net += net;
                self.gross += gross;
            }
            Entry::Credited { net, gross } => {
                self.net -= net;
                self.gross -= gross;
                self.credited_net += net;
                self.credited_gross += gross;
                self.saving_vs_alone += net;
            }
        }
    }

    /// Adds another period's purchases in the same lot.
    fn merge(&mut self, other: &Spend) {
        self.quantity += other.quantity;
        self.calloffs += other.calloffs;
        self.called_off += other.called_off;
        self.net += other.net;
        self.gross += other.gross;
        self.credited_net += other.credited_net;
        self.credited_gross += other.credited_gross;
        self.saving_vs_alone += other.saving_vs_alone;
    }

    pub fn vat(&self) -> Money {
        self.gross - self.net
    }

    /// Against the list price, where the lot has one.
    pub fn saving_vs_list(&self, list: Option<UnitPrice>) -> Option<Money> {
        list.map(|price| saving_vs_list(price, self.quantity, self.net))
    }
}

/// Spend and savings of one calendar year, over every lot.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Year {
    pub net: Money,
    pub gross: Money,
    /// `None` when none of the year's lots has a list price.
    pub saving_vs_list: Option<Money>,
    pub saving_vs_alone: Money,
    pub credited_gross: Money,
}

/// A member's purchases, by lot and calendar year.
#[derive(Debug, Clone, Default)]
pub struct Book {
    spends: BTreeMap<(LotId, i32), Spend>,
}

impl Book {
    pub fn new(purchases: impl IntoIterator<Item = Purchase>) -> Self {
        let mut book = Book::default();
        for p in purchases {
            book.spends.entry((p.lot, p.year)).or_default().add(p.entry);
        }
        book
    }

    /// Every year with a purchase or a credit; `list` gives each lot's list price.
    pub fn years(&self, list: impl Fn(LotId) -> Option<UnitPrice>) -> BTreeMap<i32, Year> {
        let mut years: BTreeMap<i32, Year> = BTreeMap::new();
        for (&(lot, year), spend) in &self.spends {
            let y = years.entry(year).or_default();
            y.net += spend.net;
            y.gross += spend.gross;
            y.saving_vs_alone += spend.saving_vs_alone;
            y.credited_gross += spend.credited_gross;
            if let Some(saving) = spend.saving_vs_list(list(lot)) {
                y.saving_vs_list = Some(y.saving_vs_list.unwrap_or(Money::ZERO) + saving);
            }
        }
        years
    }

    /// The member's purchases in one lot over every year.
    pub fn lot(&self, lot: LotId) -> Spend {
        let mut total = Spend::default();
        for spend in self
            .spends
            .range((lot, i32::MIN)..=(lot, i32::MAX))
            .map(|e| e.1)
        {
            total.merge(spend);
        }
        total
    }

    /// Lots with anything bought, called off or credited.
    pub fn lots(&self) -> impl Iterator<Item = LotId> + '_ {
        let mut last = None;
        self.spends.keys().filter_map(move |&(lot, _)| {
            let new = last != Some(lot);
            last = Some(lot);
            new.then_some(lot)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur(text: &str) -> Money {
        let amount: rust_decimal::Decimal = text.parse().expect("amount");
        let cents = (amount * rust_decimal::Decimal::ONE_HUNDRED).trunc();
        Money::from_cents(i64::try_from(cents).expect("cents"))
    }

    fn bought(lot: i64, year: i32, quantity: u64, net: &str, gross: &str) -> Purchase {
        Purchase {
            lot: LotId(lot),
            year,
            entry: Entry::Bought {
                quantity,
                net: eur(net),
                gross: eur(gross),
                saving_vs_alone: None,
            },
        }
    }

    fn called(lot: i64, year: i32, quantity: u64, net: &str, gross: &str) -> Purchase {
        Purchase {
            lot: LotId(lot),
            year,
            entry: Entry::CalledOff {
                quantity,
                net: eur(net),
                gross: eur(gross),
            },
        }
    }

    fn credited(lot: i64, year: i32, net: &str, gross: &str) -> Purchase {
        Purchase {
            lot: LotId(lot),
            year,
            entry: Entry::Credited {
                net: eur(net),
                gross: eur(gross),
            },
        }
    }

    fn list(price: &str) -> Option<UnitPrice> {
        Some(UnitPrice::parse(price).expect("price"))
    }

    #[test]
    fn call_offs_and_credits_count_in_their_year_against_the_list_price() {
        // Framework 1 at a list price of 120,00 €: 80 bought at 100,00 €; 70 called off at
        // 90,00 € with 800,00 € credited the same year; next year a crossing credits 1.500,00 €.
        let book = Book::new([
            bought(1, 2026, 80, "8000", "9520"),
            called(1, 2026, 70, "6300", "7497"),
            credited(1, 2026, "800", "952"),
            credited(1, 2027, "1500", "1785"),
        ]);
        let years = book.years(|_| list("120"));
        let y26 = years[&2026];
        assert_eq!(y26.net, eur("13500"));
        assert_eq!(y26.gross, eur("16065"));
        assert_eq!(y26.saving_vs_list, Some(eur("4500")));
        assert_eq!(y26.credited_gross, eur("952"));
        assert_eq!(y26.saving_vs_alone, eur("800"));
        let y27 = years[&2027];
        assert_eq!(y27.net, eur("-1500"));
        assert_eq!(y27.saving_vs_list, Some(eur("1500")));
        // Over the whole term: 150 units at the final 80,00 € tier, as the statement says.
        let all = book.lot(LotId(1));
        assert_eq!((all.quantity, all.calloffs, all.called_off), (150, 1, 70));
        assert_eq!(all.net, eur("12000"));
        assert_eq!(all.vat(), eur("2280"));
        assert_eq!(all.saving_vs_list(list("120")), Some(eur("6000")));
        assert_eq!(all.credited_gross, eur("2737"));
    }

    #[test]
    fn a_member_that_only_calls_off_saves_against_the_list_price_too() {
        let book = Book::new([
            called(7, 2026, 240, "95760", "113954.40"),
            called(7, 2026, 0, "0", "0"),
        ]);
        let y = book.years(|_| list("499"))[&2026];
        assert_eq!(y.saving_vs_list, Some(eur("24000")));
        assert_eq!(book.lots().collect::<Vec<_>>(), vec![LotId(7)]);
    }

    #[test]
    fn lots_without_a_list_price_add_nothing_to_the_saving_against_it() {
        let book = Book::new([
            bought(1, 2026, 10, "900", "1071"),
            bought(2, 2026, 10, "500", "595"),
            bought(3, 2027, 1, "5", "5.95"),
        ]);
        let years = book.years(|lot| if lot == LotId(1) { list("100") } else { None });
        assert_eq!(years[&2026].saving_vs_list, Some(eur("100")));
        assert_eq!(years[&2026].net, eur("1400"));
        assert_eq!(
            years[&2027].saving_vs_list, None,
            "no lot of 2027 has a list price"
        );
        assert_eq!(
            book.lots().collect::<Vec<_>>(),
            vec![LotId(1), LotId(2), LotId(3)]
        );
    }

    #[test]
    fn the_saving_is_rounded_once_per_lot_and_period_like_the_statement() {
        // 3 × 33,3333 € = 99,9999 € → 100,00 €; per unit it would be 3 × 33,33 €.
        let book = Book::new([
            called(1, 2026, 1, "30", "30"),
            called(1, 2026, 2, "60", "60"),
        ]);
        assert_eq!(
            book.years(|_| list("33.3333"))[&2026].saving_vs_list,
            Some(eur("10"))
        );
    }
}
