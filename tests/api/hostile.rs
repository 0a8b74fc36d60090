//! Hostile form values get a clear form error, never a 500 or a dropped connection.

use crate::helpers::*;

#[tokio::test]
async fn a_price_with_twenty_six_digits_is_a_form_error_on_the_order_and_quote_forms() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let huge = "79228162514264337593543950335";
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let page = buyer.get(&format!("/lots/{}", f.lot)).await;
    let key = extract_field(&page.body, "idempotency_key");
    let site = f.sites_a[0].to_string();
    let answer = buyer
        .post(
            &format!("/lots/{}/orders", f.lot),
            &[
                ("quantity", "10"),
                ("site", &site),
                ("max_unit_price", huge),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(stored_lines(&app, f.lot).is_empty());

    let mut supplier = Browser::new(&app);
    supplier.login("sales@systemhaus.example").await;
    supplier.get(&format!("/lots/{}", f.lot)).await;
    let answer = supplier
        .post(
            &format!("/lots/{}/quotes", f.lot),
            &crate::procurement::quote_fields("all_units", &[("1", huge)], ""),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
}

/// Tiers given both in the table and as CSV are refused with a message saying to use one
/// way, instead of one of them being dropped silently.
#[tokio::test]
async fn tiers_given_two_ways_at_once_are_refused_with_a_message() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut supplier = Browser::new(&app);
    supplier.login("sales@systemhaus.example").await;
    supplier.get(&format!("/lots/{}", f.lot)).await;
    let answer = supplier
        .post(
            &format!("/lots/{}/quotes", f.lot),
            &crate::procurement::quote_fields("all_units", &[("1", "900")], "1;850"),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer.body.contains("nur auf einem Weg"), "{}", answer.body);
}
