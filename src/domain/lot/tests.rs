//! A lot's terms, states and deadlines on small cases.

#[test]
fn a_bundle_grows_only_as_far_as_the_engine_can_price() {
    let near = BundleSize {
        quantity: MAX_LOT_QUANTITY - 10,
        lines: 3,
    };
    assert_eq!(
        near.with_line(None, 10),
        Ok(BundleSize {
            quantity: MAX_LOT_QUANTITY,
            lines: 4
        })
    );
    let refused = near.with_line(None, 11).expect_err("past the limit");
    assert_eq!(refused.key, "error.bundle_quantity");
    assert!(refused.args.contains(&("left", "10".to_string())));
    // Changing a line counts the quantity it replaces.
    assert_eq!(near.with_line(Some(5), 15).map(|b| b.lines), Ok(3));
    assert!(near.with_line(Some(5), 16).is_err());
    let many = BundleSize {
        quantity: 0,
        lines: MAX_ORDER_LINES as u64,
    };
    assert!(many.with_line(None, 1).is_err());
    assert!(many.with_line(Some(1), 1).is_ok());
}

use super::*;

fn tier(min: u64, price: &str) -> IndicativeTier {
    IndicativeTier {
        min_quantity: min,
        unit_price: UnitPrice::parse(price).unwrap_or_else(|e| panic!("{e}")),
    }
}

#[test]
fn an_open_lot_past_its_deadline_shows_as_closed() {
    let deadline = Utc::now();
    assert_eq!(
        LotStatus::Open.effective(deadline, deadline),
        LotStatus::Closed
    );
    assert_eq!(
        LotStatus::Open.effective(deadline, deadline - chrono::Duration::seconds(1)),
        LotStatus::Open
    );
    assert_eq!(
        LotStatus::Draft.effective(deadline, deadline),
        LotStatus::Draft
    );
}

#[test]
fn progress_names_the_quantity_missing_to_the_next_tier() {
    let tiers = [tier(100, "90"), tier(500, "80")];
    let p = Progress::new(380, 200, &tiers);
    assert_eq!(p.min_percent, 100);
    assert_eq!(
        p.next_tier.map(|(t, missing)| (t.min_quantity, missing)),
        Some((500, 120))
    );
    assert_eq!(p.reached_tier.map(|t| t.min_quantity), Some(100));
    assert_eq!(p.tier_percent, 70);
    let p = Progress::new(50, 200, &tiers);
    assert_eq!(p.min_percent, 25);
    assert_eq!(p.tier_percent, 50);
}

#[test]
fn order_input_rejects_what_a_buyer_may_get_wrong() {
    let field = |q: &str, p: &str| {
        OrderInput::parse(q, p, "", 5)
            .err()
            .map(|e| e.iter().map(|f| f.key).collect::<Vec<_>>())
    };
    assert_eq!(field("0", ""), Some(vec!["error.quantity_range"]));
    assert_eq!(field("-5", ""), Some(vec!["error.quantity_range"]));
    assert_eq!(field("zehn", ""), Some(vec!["error.quantity_number"]));
    assert_eq!(field("1000005", ""), Some(vec!["error.quantity_range"]));
    assert_eq!(field("12", ""), Some(vec!["error.quantity_increment"]));
    assert_eq!(field("10", "1,23456"), Some(vec!["error.price_decimals"]));
    assert_eq!(field("1.000", "1.234,56"), None);
    assert_eq!(
        OrderInput::parse("1.000", "1.234,56", " KST 4711 ", 5).map(|o| (
            o.quantity,
            o.max_unit_price.map(|p| p.ten_thousandths()),
            o.reference
        )),
        Ok((1000, Some(12_345_600), "KST 4711".to_string()))
    );
}
