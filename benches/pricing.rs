#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Evaluation of a large lot: 1,000,000 order lines, 10 quotes of 8 tiers, both pricing
//! modes, and a worst-case cascade where every clearing round drops exactly one line.
//!
//! Run: `cargo bench --bench pricing`

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use sammelkauf::domain::money::{UnitPrice, VatRate};
use sammelkauf::domain::pricing::{
    evaluate, LineStatus, LotTerms, OrderLine, PricingMode, Quote, Scenario, Tier, TierTable,
};
use std::hint::black_box;

const LINES: usize = 1_000_000;

fn price(units: i64) -> UnitPrice {
    UnitPrice::from_ten_thousandths(units).expect("valid price")
}

/// A small deterministic generator, so every run measures the same lot.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn big_lot(mode: PricingMode) -> Scenario {
    let start = Utc
        .with_ymd_and_hms(2026, 4, 1, 9, 0, 0)
        .single()
        .expect("time");
    let mut rng = Lcg(42);
    let quotes = (0..10)
        .map(|s| {
            let base = 1_000_000 + s * 7_000; // around 100 €
            let tiers = (0..8)
                .map(|t| Tier {
                    min_quantity: 1 + t as u64 * 2_000_000,
                    unit_price: price(base - t * 40_000),
                })
                .collect();
            Quote {
                supplier: format!("supplier-{s:02}"),
                submitted_at: start + Duration::hours(s),
                pricing: mode,
                max_quantity: None,
                tiers: TierTable::new(tiers).expect("valid tiers"),
            }
        })
        .collect();
    let orders = (0..LINES)
        .map(|i| {
            let limit = (i % 3 == 0).then(|| price(600_000 + (rng.next() % 600_000) as i64));
            OrderLine {
                id: format!("line-{i:07}"),
                member: format!("member-{:03}", rng.next() % 400),
                quantity: 1 + rng.next() % 20,
                max_unit_price: limit,
                placed_at: start + Duration::seconds((i % 86_400) as i64),
            }
        })
        .collect();
    let terms = LotTerms::new(1000, 1, VatRate::STANDARD, Some(price(1_200_000))).expect("terms");
    Scenario::new(terms, quotes, orders).expect("valid lot")
}

/// 1,000,000 lines of one unit; half of them carry limits chosen so that each clearing
/// round drops exactly one more line.
fn cascade_lot() -> (Scenario, usize) {
    let start = Utc
        .with_ymd_and_hms(2026, 4, 1, 9, 0, 0)
        .single()
        .expect("time");
    let tiers = TierTable::new(vec![
        Tier {
            min_quantity: 1,
            unit_price: price(1_000_000 * 10_000),
        },
        Tier {
            min_quantity: 1_001,
            unit_price: price(10_000),
        },
    ])
    .expect("tiers");
    let quote = Quote {
        supplier: "cascade".into(),
        submitted_at: start,
        pricing: PricingMode::Graduated,
        max_quantity: None,
        tiers,
    };
    let cascade = LINES / 2;
    let n = LINES as u64;
    let cost = |q: u64| {
        quote
            .tiers
            .cost(PricingMode::Graduated, q)
            .expect("priceable")
    };
    let orders = (0..LINES)
        .map(|i| {
            let limit = if i < cascade {
                // Line k is dropped in round k, at Q = n - k; it survives round k - 1.
                let k = i as u64;
                let survived = n - k + 1;
                let units = if k == 0 {
                    1
                } else {
                    {
                        let q = i128::from(survived);
                        (cost(survived) + q - 1) / q
                    }
                };
                Some(price(units as i64))
            } else {
                None
            };
            OrderLine {
                id: format!("line-{i:07}"),
                member: format!("member-{:03}", i % 400),
                quantity: 1,
                max_unit_price: limit,
                placed_at: start,
            }
        })
        .collect();
    let terms = LotTerms::new(0, 1, VatRate::STANDARD, None).expect("terms");
    (
        Scenario::new(terms, vec![quote], orders).expect("valid lot"),
        cascade,
    )
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("evaluate_1m_lines");
    group.sample_size(10);
    for mode in [PricingMode::AllUnits, PricingMode::Graduated] {
        let lot = big_lot(mode);
        assert!(evaluate(&lot).awarded());
        group.bench_function(mode.as_str(), |b| b.iter(|| evaluate(black_box(&lot))));
    }
    let (lot, cascade) = cascade_lot();
    let result = evaluate(&lot);
    let dropped = result
        .lines
        .iter()
        .filter(|l| l.status == LineStatus::OverLimit)
        .count();
    assert_eq!(
        dropped, cascade,
        "the cascade must drop every limited line, one per round"
    );
    group.bench_function("graduated_worst_case_cascade", |b| {
        b.iter(|| evaluate(black_box(&lot)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
