#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of the pricing engine on random lots.

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use sammelkauf::domain::money::{Money, UnitPrice, VatRate};
use sammelkauf::domain::pricing::{
    evaluate, Evaluation, FailureReason, LineStatus, LotTerms, OrderLine, PricingMode, Quote,
    Scenario, Tier, TierTable,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 9, 0, 0)
        .single()
        .expect("valid time")
}

fn tier_table() -> impl Strategy<Value = TierTable> {
    (1usize..5, 1u64..5, 2_000i64..2_000_000)
        .prop_flat_map(|(n, first_min, first_price)| {
            (
                Just(first_min),
                Just(first_price),
                prop::collection::vec((1u64..40, 0i64..300_000), n - 1),
            )
        })
        .prop_map(|(first_min, first_price, steps)| {
            let mut tiers = vec![Tier {
                min_quantity: first_min,
                unit_price: UnitPrice::from_ten_thousandths(first_price).expect("price"),
            }];
            let (mut min, mut price) = (first_min, first_price);
            for (gap, drop) in steps {
                min += gap;
                price = (price - drop).max(1);
                tiers.push(Tier {
                    min_quantity: min,
                    unit_price: UnitPrice::from_ten_thousandths(price).expect("price"),
                });
            }
            TierTable::new(tiers).expect("valid tiers")
        })
}

fn mode() -> impl Strategy<Value = PricingMode> {
    prop_oneof![Just(PricingMode::AllUnits), Just(PricingMode::Graduated)]
}

fn quote(name: String) -> impl Strategy<Value = Quote> {
    (tier_table(), mode(), 0i64..100).prop_map(move |(tiers, pricing, minutes)| Quote {
        supplier: name.clone(),
        submitted_at: t0() + Duration::minutes(minutes),
        pricing,
        max_quantity: None,
        tiers,
    })
}

fn orders(max_lines: usize) -> impl Strategy<Value = Vec<OrderLine>> {
    prop::collection::vec(
        (
            1u64..60,
            prop::option::weighted(0.6, 1i64..2_200_000),
            0usize..4,
            0i64..5,
        ),
        1..=max_lines,
    )
    .prop_map(|lines| {
        lines
            .into_iter()
            .enumerate()
            .map(|(i, (quantity, limit, member, minute))| OrderLine {
                id: format!("o{i:03}"),
                member: ["A", "B", "KRZ", "Kreis"][member].to_string(),
                quantity,
                max_unit_price: limit.map(|l| UnitPrice::from_ten_thousandths(l).expect("limit")),
                placed_at: t0() + Duration::minutes(minute),
            })
            .collect()
    })
}

fn terms(list: Option<i64>) -> LotTerms {
    LotTerms::new(
        0,
        1,
        VatRate::STANDARD,
        list.map(|l| UnitPrice::from_ten_thousandths(l).expect("list")),
    )
    .expect("terms")
}

fn lot() -> impl Strategy<Value = Scenario> {
    (
        quote("acme".into()),
        prop::option::of(quote("globex".into())),
        orders(8),
        prop::option::of(1i64..3_000_000),
    )
        .prop_map(|(a, b, orders, list)| {
            let quotes = std::iter::once(a).chain(b).collect();
            Scenario::new(terms(list), quotes, orders).expect("valid scenario")
        })
}

fn winning_quote<'a>(scenario: &'a Scenario, eval: &Evaluation) -> Option<&'a Quote> {
    eval.award.as_ref().map(|a| &scenario.quotes()[a.quote])
}

/// Is this set of lines stable at its own price under the quote?
fn stable(quote: &Quote, lines: &[&OrderLine]) -> bool {
    let q: u64 = lines.iter().map(|l| l.quantity).sum();
    match quote.tiers.cost(quote.pricing, q) {
        None => false,
        Some(cost) => lines.iter().all(|l| {
            l.max_unit_price
                .is_none_or(|m| i128::from(m.ten_thousandths()) * i128::from(q) >= cost)
        }),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn line_nets_add_up_to_the_award_total(scenario in lot()) {
        let eval = evaluate(&scenario);
        if let Some(award) = &eval.award {
            let nets: Money = eval.lines.iter().filter_map(|l| l.price.map(|p| p.net)).sum();
            prop_assert_eq!(nets, award.total_net);
            let members: Money = eval.members.iter().map(|m| m.net).sum();
            prop_assert_eq!(members, award.total_net);
            let accepted: u64 = eval.lines.iter().map(|l| l.quantity).sum();
            prop_assert_eq!(accepted, award.quantity);
            prop_assert_eq!(award.total_gross, award.total_net + award.total_vat);
        }
    }

    #[test]
    fn every_accepted_limit_is_at_least_the_average_unit_price(scenario in lot()) {
        let eval = evaluate(&scenario);
        if let Some(quote) = winning_quote(&scenario, &eval) {
            let award = eval.award.as_ref().expect("award");
            let cost = quote.tiers.cost(quote.pricing, award.quantity).expect("priceable");
            for (line, result) in scenario.orders().iter().zip(&eval.lines) {
                if result.status == LineStatus::Accepted {
                    if let Some(limit) = line.max_unit_price {
                        prop_assert!(
                            i128::from(limit.ten_thousandths()) * i128::from(award.quantity) >= cost
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn the_accepted_set_is_the_largest_stable_one(
        q in quote("acme".into()),
        orders in orders(7),
    ) {
        let scenario = Scenario::new(terms(None), vec![q.clone()], orders.clone()).expect("valid");
        let eval = evaluate(&scenario);
        let accepted: Vec<bool> =
            eval.lines.iter().map(|l| l.status == LineStatus::Accepted).collect();
        let mut any_stable = false;
        for mask in 1u32..(1 << orders.len()) {
            let subset: Vec<&OrderLine> = orders
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, l)| l)
                .collect();
            if stable(&q, &subset) {
                any_stable = true;
                for (i, _) in orders.iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        prop_assert!(accepted[i], "stable set {mask:b} not contained in the result");
                    }
                }
            }
        }
        if any_stable {
            prop_assert!(eval.awarded());
            let chosen: Vec<&OrderLine> =
                orders.iter().zip(&accepted).filter(|(_, &a)| a).map(|(l, _)| l).collect();
            prop_assert!(stable(&q, &chosen));
        } else if eval.failure != Some(FailureReason::NoEligibleQuote) {
            prop_assert_eq!(eval.failure, Some(FailureReason::NotCleared));
        }
    }

    #[test]
    fn clearing_the_accepted_lines_again_accepts_all_at_the_same_prices(scenario in lot()) {
        let eval = evaluate(&scenario);
        if let Some(quote) = winning_quote(&scenario, &eval) {
            let kept: Vec<OrderLine> = scenario
                .orders()
                .iter()
                .zip(&eval.lines)
                .filter(|(_, r)| r.status == LineStatus::Accepted)
                .map(|(l, _)| l.clone())
                .collect();
            let again = Scenario::new(scenario.terms().clone(), vec![quote.clone()], kept)
                .expect("valid");
            let second = evaluate(&again);
            prop_assert!(second.awarded());
            prop_assert!(second.lines.iter().all(|l| l.status == LineStatus::Accepted));
            let first_prices: Vec<_> = eval.lines.iter().filter_map(|l| l.price).collect();
            let second_prices: Vec<_> = second.lines.iter().filter_map(|l| l.price).collect();
            prop_assert_eq!(first_prices, second_prices);
        }
    }

    #[test]
    fn graduated_shares_are_within_a_cent_of_the_exact_share(scenario in lot()) {
        let eval = evaluate(&scenario);
        if let Some(award) = &eval.award {
            if award.pricing == PricingMode::Graduated {
                let n = i128::from(award.total_net.cents());
                let q_total = i128::from(award.quantity);
                for line in &eval.lines {
                    if let Some(price) = line.price {
                        // |net - N*q/Q| < 1 cent  ⇔  |net*Q - N*q| < Q
                        let diff = i128::from(price.net.cents()) * q_total
                            - n * i128::from(line.quantity);
                        prop_assert!(diff.abs() < q_total);
                    }
                }
            }
        }
    }

    /// Bundling never costs a member more than buying alone, beyond the cent rounding of
    /// its own lines: a member with one line never pays more under all-units and at most one
    /// cent more under graduated prices. Each further line of the same member is rounded on
    /// its own (the contract rounds per line), which can cost up to one more cent per line.
    #[test]
    fn bundling_never_costs_a_member_more_than_buying_alone(scenario in lot()) {
        let eval = evaluate(&scenario);
        if let Some(award) = &eval.award {
            for member in &eval.members {
                let lines = eval
                    .lines
                    .iter()
                    .filter(|l| l.member == member.member && l.status == LineStatus::Accepted)
                    .count() as i64;
                let floor = match award.pricing {
                    PricingMode::AllUnits => Money::from_cents(-(lines - 1)),
                    PricingMode::Graduated => Money::from_cents(-lines),
                };
                if let Some(saving) = member.saving_vs_alone {
                    prop_assert!(saving >= floor, "{} saved {} with {} lines", member.member, saving, lines);
                }
            }
        }
    }

    #[test]
    fn the_order_of_input_lines_changes_only_the_order_of_lines(
        scenario in lot(),
        seed in any::<u64>(),
    ) {
        let mut shuffled = scenario.orders().to_vec();
        // A deterministic shuffle driven by the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let other = Scenario::new(scenario.terms().clone(), scenario.quotes().to_vec(), shuffled)
            .expect("valid");
        let (a, b) = (evaluate(&scenario), evaluate(&other));
        prop_assert_eq!(&a.award, &b.award);
        prop_assert_eq!(&a.members, &b.members);
        prop_assert_eq!(&a.ranking.iter().map(|r| &r.supplier).collect::<Vec<_>>(),
                        &b.ranking.iter().map(|r| &r.supplier).collect::<Vec<_>>());
        let key = |e: &Evaluation| {
            let mut v: Vec<_> = e
                .lines
                .iter()
                .map(|l| (l.order.clone(), l.status, l.quantity, l.price))
                .collect();
            v.sort_by(|x, y| x.0.cmp(&y.0));
            v
        };
        prop_assert_eq!(key(&a), key(&b));
    }
}
