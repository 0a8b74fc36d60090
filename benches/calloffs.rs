//! Pricing 100,000 call-offs of a framework whose all-units price falls through 50 tiers
//! (each crossing re-prices every earlier line and credits every member), and the same on a
//! graduated framework.

use chrono::{Duration, TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use sammelkauf::domain::framework::{net_at, run, CallOff, Contract, Framework, InitialLine};
use sammelkauf::domain::money::{UnitPrice, VatRate};
use sammelkauf::domain::pricing::{PricingMode, Tier, TierTable};

const CALLOFFS: usize = 100_000;

fn scenario(pricing: PricingMode) -> (Contract, Vec<CallOff>) {
    let start = Utc
        .with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    // 50 tiers from 1,000 to 2,000,000 units, 1,000.00 € down to 510.00 €.
    let tiers = (0..50)
        .map(|i| Tier {
            min_quantity: if i == 0 { 1 } else { i * 40_000 },
            unit_price: UnitPrice::from_ten_thousandths(
                10_000_000 - i64::try_from(i).unwrap_or(0) * 100_000,
            )
            .unwrap_or(UnitPrice::from_ten_thousandths(1).unwrap_or_else(|_| unreachable!())),
        })
        .collect();
    let framework = Framework {
        pricing,
        tiers: TierTable::new(tiers).unwrap_or_else(|e| panic!("{e}")),
        vat_rate: VatRate::STANDARD,
        list_unit_price: None,
        order_increment: 1,
        max_quantity: 100_000_000,
        start,
        end: start + Duration::days(4 * 365),
    };
    let members: Vec<String> = (0..50).map(|m| format!("Mitglied {m:02}")).collect();
    let price = framework.tier_price(500);
    let initial = (0..50)
        .map(|i| InitialLine {
            id: format!("i{i}"),
            member: members[i].clone(),
            quantity: 10,
            net: net_at(10, price),
        })
        .collect();
    let contract = Contract::new(framework, initial).unwrap_or_else(|e| panic!("{e}"));
    let calloffs = (0..CALLOFFS)
        .map(|i| CallOff {
            id: format!("c{i:06}"),
            member: members[i % 50].clone(),
            quantity: 1 + (i as u64 * 7919) % 40,
            at: start + Duration::minutes(i64::try_from(i).unwrap_or(0)),
        })
        .collect();
    (contract, calloffs)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("calloffs");
    group.sample_size(10);
    for (name, pricing) in [
        ("all_units_100k", PricingMode::AllUnits),
        ("graduated_100k", PricingMode::Graduated),
    ] {
        let (contract, calloffs) = scenario(pricing);
        let (results, ledger) = run(&contract, calloffs.clone()).unwrap_or_else(|e| panic!("{e}"));
        let credited = results
            .iter()
            .filter(|r| r.outcome.as_ref().is_ok_and(|p| !p.credits.is_empty()))
            .count();
        eprintln!(
            "{name}: {} call-offs, {credited} crossed a tier, cumulative {}",
            results.len(),
            ledger.cumulative_quantity()
        );
        group.bench_function(name, |b| b.iter(|| run(&contract, calloffs.clone())));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
