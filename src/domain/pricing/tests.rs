//! The clearing rules on small cases, each computed by hand.

use super::*;
use crate::domain::money::{UnitPrice, PRICE_SCALE};

fn price(text: &str) -> UnitPrice {
    UnitPrice::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn table(tiers: &[(u64, &str)]) -> TierTable {
    TierTable::new(
        tiers
            .iter()
            .map(|&(min_quantity, p)| Tier {
                min_quantity,
                unit_price: price(p),
            })
            .collect(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn graduated_cost_counts_each_unit_at_its_own_tier() {
    let t = table(&[(1, "100"), (100, "90"), (250, "80")]);
    // 99 × 100 + 150 × 90 + 21 × 80 = 25,080 €
    assert_eq!(
        t.cost(PricingMode::Graduated, 270),
        Some(25_080 * PRICE_SCALE)
    );
    assert_eq!(
        t.cost(PricingMode::AllUnits, 270),
        Some(21_600 * PRICE_SCALE)
    );
    assert_eq!(t.cost(PricingMode::AllUnits, 0), None);
}

#[test]
fn first_tier_covers_units_below_its_minimum_in_graduated_mode() {
    let t = table(&[(10, "75"), (150, "60")]);
    assert_eq!(t.cost(PricingMode::Graduated, 9), None);
    assert_eq!(
        t.cost(PricingMode::Graduated, 200),
        Some((149 * 75 + 51 * 60) * PRICE_SCALE)
    );
}

#[test]
fn a_tier_table_with_rising_prices_cannot_exist() {
    let err = TierTable::new(vec![
        Tier {
            min_quantity: 1,
            unit_price: price("10"),
        },
        Tier {
            min_quantity: 5,
            unit_price: price("11"),
        },
    ]);
    assert_eq!(err.map_err(|e| e.path), Err("[1].unit_price".to_string()));
}

#[test]
fn tiers_out_of_order_are_refused() {
    let err = TierTable::new(vec![
        Tier {
            min_quantity: 5,
            unit_price: price("10"),
        },
        Tier {
            min_quantity: 5,
            unit_price: price("9"),
        },
    ]);
    assert!(err.is_err());
}
