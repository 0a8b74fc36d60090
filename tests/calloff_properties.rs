#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of the call-off contract (`frameworks.md`) over generated frameworks.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use sammelkauf::domain::framework::{
    net_at, run, CallOff, Contract, Framework, InitialLine, Ledger,
};
use sammelkauf::domain::money::{Money, UnitPrice, VatRate};
use sammelkauf::domain::pricing::{PricingMode, Tier, TierTable};

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0)
        .single()
        .expect("time")
}

prop_compose! {
    fn tiers()(steps in prop::collection::vec((1u64..300, 0i64..200_000), 1..5), first in 10_000i64..2_000_000)
        -> TierTable {
        let mut min = 1;
        let mut price = first;
        let mut tiers = vec![Tier { min_quantity: 1, unit_price: UnitPrice::from_ten_thousandths(price).expect("p") }];
        for (gap, drop) in steps {
            min += gap;
            price = (price - drop).max(10_000);
            tiers.push(Tier { min_quantity: min, unit_price: UnitPrice::from_ten_thousandths(price).expect("p") });
        }
        TierTable::new(tiers).expect("tiers")
    }
}

prop_compose! {
    fn scenario()(
        tiers in tiers(),
        graduated in any::<bool>(),
        vat in prop::sample::select(vec![0i64, 700, 1900, 2500]),
        initial in prop::collection::vec((0usize..4, 1u64..200), 1..6),
        calloffs in prop::collection::vec((0usize..5, 1u64..300, -10i64..400), 0..40),
        extra in 0u64..2_000,
    ) -> (Contract, Vec<CallOff>) {
        let members = ["A", "B", "C", "D", "E"];
        let pricing = if graduated { PricingMode::Graduated } else { PricingMode::AllUnits };
        let total: u64 = initial.iter().map(|(_, q)| q).sum();
        let framework = Framework {
            pricing,
            tiers,
            vat_rate: VatRate::from_ten_thousandths(vat).expect("vat"),
            list_unit_price: Some(UnitPrice::parse("250").expect("list")),
            order_increment: 1,
            max_quantity: total + extra,
            start: start(),
            end: start() + Duration::days(365),
        };
        let price = framework.tier_price(total);
        let initial = initial
            .iter()
            .enumerate()
            .map(|(i, (m, q))| InitialLine {
                id: format!("i{i}"),
                member: members[*m].into(),
                quantity: *q,
                net: net_at(*q, price),
            })
            .collect();
        let contract = Contract::new(framework, initial).expect("contract");
        let calloffs = calloffs
            .iter()
            .enumerate()
            .map(|(i, (m, q, day))| CallOff {
                id: format!("c{i:03}"),
                member: members[*m].into(),
                quantity: *q,
                at: start() + Duration::days(*day),
            })
            .collect();
        (contract, calloffs)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_call_off_keeps_the_contract((contract, calloffs) in scenario()) {
        let f = contract.framework().clone();
        let ordered = contract.order_calloffs(calloffs).expect("valid");
        let mut ledger = Ledger::open(&contract);
        let mut graduated_nets = 0i64;
        let first_total = ledger.cumulative_quantity();
        for c in &ordered {
            let before = ledger.clone();
            let result = ledger.apply(c);
            match &result.outcome {
                Err(_) => {
                    // A refused call-off changes nothing.
                    prop_assert_eq!(ledger.members(), before.members());
                    prop_assert_eq!(ledger.summary(), before.summary());
                }
                Ok(priced) => {
                    prop_assert_eq!(ledger.cumulative_quantity(), before.cumulative_quantity() + c.quantity);
                    // Credits equal the drop in each member's totals (its new line aside).
                    for m in ledger.members() {
                        let old = before.member(&m.member);
                        let (old_net, old_vat) = old.as_ref().map_or((0, 0), |o| (o.net.cents(), o.vat.cents()));
                        let own = if m.member == c.member { (priced.net.cents(), priced.vat.cents()) } else { (0, 0) };
                        let credit = priced.credits.iter().find(|cr| cr.member == m.member);
                        let (cn, cv) = credit.map_or((0, 0), |cr| (cr.net.cents(), cr.vat.cents()));
                        prop_assert_eq!(old_net + own.0 - cn, m.net.cents(), "net of {}", &m.member);
                        prop_assert_eq!(old_vat + own.1 - cv, m.vat.cents(), "VAT of {}", &m.member);
                        if let Some(cr) = credit {
                            prop_assert!(cr.net.cents() >= 0 && cr.gross.cents() == cr.net.cents() + cr.vat.cents());
                        }
                    }
                    match f.pricing {
                        PricingMode::AllUnits => {
                            // Every unit is charged at the tier the cumulative quantity reached.
                            let price = ledger.summary().current_unit_price;
                            prop_assert_eq!(price, priced.unit_price);
                            for (q, net, vat) in ledger.line_nets() {
                                prop_assert_eq!(net, net_at(q, price));
                                prop_assert_eq!(vat, f.vat_rate.vat_on(net));
                            }
                        }
                        PricingMode::Graduated => {
                            prop_assert!(priced.credits.is_empty());
                            graduated_nets += priced.net.cents();
                        }
                    }
                }
            }
        }
        if f.pricing == PricingMode::Graduated {
            // The call-offs add up to the graduated cost of the units they added, within
            // half a cent per call-off.
            let cost = |q| f.tiers.cost(PricingMode::Graduated, q).expect("cost");
            let exact = cost(ledger.cumulative_quantity()) - cost(first_total); // 1/10,000 €
            let accepted = i128::try_from(ordered.len()).expect("n");
            prop_assert!((i128::from(graduated_nets) * 100 - exact).abs() <= 50 * accepted.max(1),
                "{} cents against {} ten-thousandths", graduated_nets, exact);
        }
        // Totals are the sum of the members'.
        let summary = ledger.summary();
        let members = ledger.members();
        prop_assert_eq!(summary.total_net.cents(), members.iter().map(|m| m.net.cents()).sum::<i64>());
        prop_assert_eq!(summary.credited_net.cents(), members.iter().map(|m| m.credited_net.cents()).sum::<i64>());
        prop_assert!(summary.cumulative_quantity <= f.max_quantity);
    }

    #[test]
    fn the_result_does_not_depend_on_the_input_order((contract, calloffs) in scenario(), seed in any::<u64>()) {
        let (first, ledger) = run(&contract, calloffs.clone()).expect("run");
        let mut shuffled = calloffs;
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, usize::try_from(state % (i as u64 + 1)).expect("index"));
        }
        let (second, other) = run(&contract, shuffled).expect("run");
        prop_assert_eq!(first, second);
        prop_assert_eq!(ledger.members(), other.members());
        prop_assert_eq!(ledger.summary(), other.summary());
    }
}

#[test]
fn the_max_is_a_hard_limit_and_the_term_is_half_open() {
    let framework = Framework {
        pricing: PricingMode::AllUnits,
        tiers: TierTable::new(vec![Tier {
            min_quantity: 1,
            unit_price: UnitPrice::parse("10").expect("p"),
        }])
        .expect("t"),
        vat_rate: VatRate::STANDARD,
        list_unit_price: None,
        order_increment: 1,
        max_quantity: 100,
        start: start(),
        end: start() + Duration::days(30),
    };
    let contract = Contract::new(
        framework,
        vec![InitialLine {
            id: "a".into(),
            member: "A".into(),
            quantity: 60,
            net: Money::from_cents(60_000),
        }],
    )
    .expect("contract");
    let ledger = Ledger::open(&contract);
    assert!(
        ledger.price(40, start()).is_ok(),
        "up to the maximum is fine"
    );
    assert!(ledger.price(41, start()).is_err(), "one over is refused");
    assert!(
        ledger.price(1, start() + Duration::days(30)).is_err(),
        "the end is outside"
    );
    assert!(ledger.price(1, start() - Duration::seconds(1)).is_err());
}
