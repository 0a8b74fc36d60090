#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every parser of typed-in numbers, on arbitrary strings: it answers (a value in range or
//! an error), never panics, and what it accepts reads back the same.

use proptest::prelude::*;
use sammelkauf::domain::lot::{
    parse_price_input, parse_quantity, LotForm, LotTermsInput, OrderInput,
};
use sammelkauf::domain::money::{UnitPrice, VatRate};
use sammelkauf::domain::quote::{QuoteForm, QuoteInput};

/// Strings that look like numbers people type, with signs, separators and far too many
/// digits, mixed with anything at all.
fn numberish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-+]?[0-9]{0,40}([.,][0-9]{0,40})?",
        "[0-9]{1,3}(\\.[0-9]{3}){0,12}(,[0-9]{0,8})?",
        "[0-9eE.,+ -]{0,50}",
        any::<String>(),
        Just("79228162514264337593543950335".to_string()),
        Just("-79228162514264337593543950335".to_string()),
        Just("7922816251426433759354395033.5".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn prices_parse_into_range_or_refuse(text in numberish()) {
        if let Ok(price) = UnitPrice::parse(&text) {
            prop_assert!(price.ten_thousandths() > 0);
            prop_assert!(price.ten_thousandths() <= 1_000_000 * 10_000);
            prop_assert_eq!(UnitPrice::parse(&price.to_string()), Ok(price));
        }
        if let Ok(price) = parse_price_input(&text) {
            prop_assert!(price.ten_thousandths() > 0);
        }
    }

    #[test]
    fn vat_rates_parse_into_range_or_refuse(text in numberish()) {
        if let Ok(rate) = VatRate::parse(&text) {
            prop_assert!((0..10_000).contains(&rate.ten_thousandths()));
        }
    }

    #[test]
    fn quantities_parse_or_refuse(text in numberish()) {
        if let Some(n) = parse_quantity(&text) {
            prop_assert_eq!(parse_quantity(&n.to_string()), Some(n));
        }
    }

    #[test]
    fn forms_with_arbitrary_numbers_answer_without_panicking(
        quantity in numberish(),
        price in numberish(),
        vat in numberish(),
        days in numberish(),
        increment in 1u64..1_000,
    ) {
        if let Ok(order) = OrderInput::parse(&quantity, &price, "", increment) {
            prop_assert!(order.quantity >= 1 && order.quantity % increment == 0);
        }
        let quote = QuoteInput::parse(&QuoteForm {
            pricing: "all_units",
            rows: vec![(quantity.as_str(), price.as_str())],
            csv: "",
            file: "",
            max_quantity: &quantity,
            lead_time_days: &days,
            valid_until: "2026-12-31",
            comment: "",
        });
        if let Ok(quote) = quote {
            prop_assert!(!quote.tiers.tiers().is_empty());
        }
        let deadline = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
        let framework = LotTermsInput::parse(&LotForm {
            title: "Los",
            specification: "",
            category: "devices",
            unit: "Stück",
            order_increment: "1",
            min_total_quantity: &quantity,
            list_unit_price: "",
            vat_rate: if VatRate::parse(&vat).is_ok() { &vat } else { "0,19" },
            demand_deadline: Some(deadline),
            quote_deadline: Some(deadline),
            standstill_days: "10",
            tiers: Vec::new(),
            kind: "framework",
            term_months: &days,
            max_quantity: &quantity,
        });
        if let Ok(terms) = framework {
            let f = terms.framework.expect("a framework");
            prop_assert!((1..=48).contains(&f.term_months));
            prop_assert!(f.max_quantity >= terms.min_total_quantity);
        }
    }
}
