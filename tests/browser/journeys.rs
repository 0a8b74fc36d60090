//! The main journeys, clicked and typed as a person would: a buyer orders, changes and
//! cancels; the order form by keyboard alone; suppliers quote with the table and with a CSV
//! file; two staff open and award; the confirmed lot shows the final prices.

use crate::harness::{open_or_skip, PHONE_WIDTH};
use crate::helpers::*;
use fantoccini::key::Key;
use fantoccini::Locator;
use sammelkauf::db::{lots, orgs};
use sammelkauf::domain::account::Role;
use sammelkauf::domain::lot::LotStatus;

fn own_lines(app: &TestApp, lot: sammelkauf::domain::ids::LotId) -> Vec<(u64, String)> {
    let mut lines: Vec<(u64, String)> = stored_lines(app, lot)
        .into_iter()
        .filter(|l| l.cancelled_at.is_none())
        .map(|l| (l.quantity, l.reference))
        .collect();
    lines.sort();
    lines
}

#[tokio::test]
async fn a_buyer_orders_changes_and_cancels_in_the_browser() {
    let _one = crate::ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    let f = fixture(&app);
    let Some(w) = open_or_skip("a_buyer_orders_changes_and_cancels", &app.address, 1280).await
    else {
        return;
    };
    w.sign_in("buyer-a@krz.example", PASSWORD).await;
    w.click("Lose").await;
    w.click("Notebooks").await;
    assert_eq!(w.path().await, format!("/lots/{}", f.lot));

    // A wrong quantity: the message is shown, nothing is stored, the typed values stay.
    w.choose("#site", "Kreishaus Detmold").await;
    w.type_into("#quantity", "zwölf").await;
    w.type_into("#reference", "Schulausstattung").await;
    w.click("Bestellen").await;
    w.wait_for_text("Menge").await;
    assert!(
        w.field(".errors").await.text().await.expect("errors").len() > 10,
        "no error shown"
    );
    assert!(own_lines(&app, f.lot).is_empty());
    let kept = w
        .field("#reference")
        .await
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some("Schulausstattung"));

    w.type_into("#quantity", "12").await;
    w.click("Bestellen").await;
    w.wait_for_text("Kreishaus Detmold").await;
    assert_eq!(
        own_lines(&app, f.lot),
        vec![(12, "Schulausstattung".into())]
    );
    let table = w.field("#own-lines").await.text().await.expect("table");
    assert!(
        table.contains("Kreishaus Detmold") && table.contains("12"),
        "{table}"
    );
    w.screenshot("journey-buyer-ordered-desktop").await;

    // Change the line: 12 → 20.
    w.click("Ändern").await;
    w.type_into("#quantity", "20").await;
    w.click("Änderung speichern").await;
    w.wait_for_text("Bestellungen Ihrer Organisation").await;
    assert_eq!(
        own_lines(&app, f.lot),
        vec![(20, "Schulausstattung".into())]
    );

    // Cancel it.
    w.click("Stornieren").await;
    w.wait_for_text("noch nichts bestellt").await;
    assert!(own_lines(&app, f.lot).is_empty());
    assert_eq!(stored_total(&app, f.lot), (0, 0));
}

#[tokio::test]
async fn the_order_form_works_by_keyboard_alone_with_visible_focus() {
    let _one = crate::ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    let f = fixture(&app);
    let Some(w) = open_or_skip("the_order_form_works_by_keyboard_alone", &app.address, 1280).await
    else {
        return;
    };
    w.sign_in("buyer-a@krz.example", PASSWORD).await;
    w.go(&format!("/lots/{}", f.lot)).await;

    // Tab from the top of the page to the order form; every stop shows where the focus is.
    let mut stops = Vec::new();
    loop {
        w.press(Key::Tab.into()).await;
        let (element, visible) = w.focused().await;
        assert!(visible, "the focus on {element} is not visible");
        stops.push(element.clone());
        if element.starts_with("select#site") {
            break;
        }
        assert!(
            stops.len() < 60,
            "Tab never reached the order form: {stops:?}"
        );
    }
    assert!(
        stops[0].starts_with("a "),
        "the first stop is the skip link: {stops:?}"
    );

    // Second site by arrow key, then quantity and reference, then Enter on the button.
    w.press(Key::Down.into()).await;
    w.press(Key::Tab.into()).await;
    assert!(w.focused().await.0.starts_with("input#quantity"));
    w.type_keys("7").await;
    w.press(Key::Tab.into()).await;
    assert!(w.focused().await.0.starts_with("input#max_unit_price"));
    w.press(Key::Tab.into()).await;
    w.type_keys("Per Tastatur").await;
    w.press(Key::Tab.into()).await;
    let (button, visible) = w.focused().await;
    assert!(button.starts_with("button") && visible, "{button}");
    w.press(Key::Enter.into()).await;
    w.wait_for_text("Per Tastatur").await;
    assert_eq!(own_lines(&app, f.lot), vec![(7, "Per Tastatur".into())]);
    let line = stored_lines(&app, f.lot).remove(0);
    assert_eq!(
        line.delivery_site_id, f.sites_a[1],
        "the arrow key chose the second site"
    );
}

#[tokio::test]
async fn suppliers_quote_staff_open_and_award_and_buyers_see_final_prices() {
    let _one = crate::ONE_AT_A_TIME.lock().await;
    let app = spawn_app().await;
    let f = fixture(&app);
    let second_supplier = {
        let now = chrono::Utc::now().naive_utc();
        let mut conn = app.pool.get().expect("conn");
        orgs::insert_supplier(&mut conn, "Zweiter Lieferant AG", "", now).expect("supplier")
    };
    add_user(
        &app.pool,
        "sales@zwei.example",
        Role::Supplier,
        None,
        Some(second_supplier),
    );
    let lot = {
        let now = chrono::Utc::now().naive_utc();
        let mut conn = app.pool.get().expect("conn");
        let mut terms = lot_terms(&app, "Touch-Displays", 1);
        terms.min_total_quantity = 100;
        terms.list_unit_price =
            Some(sammelkauf::domain::money::UnitPrice::parse("120").expect("p"));
        let staff = add_user(&app.pool, "staff3@coop.example", Role::Staff, None, None);
        let lot = lots::insert(
            &mut conn,
            &terms,
            &[f.supplier, second_supplier],
            staff,
            now,
        )
        .expect("lot");
        lots::transition(&mut conn, lot, LotStatus::Draft, LotStatus::Open, now).expect("open");
        lot
    };
    let lot_path = format!("/lots/{lot}");
    let Some(w) = open_or_skip("suppliers_quote_staff_open_and_award", &app.address, 1280).await
    else {
        return;
    };
    let Some(phone) = open_or_skip(
        "suppliers_quote_staff_open_and_award",
        &app.address,
        PHONE_WIDTH,
    )
    .await
    else {
        return;
    };

    // Two members order: 80 + 60 = 140 units.
    for (email, site, quantity) in [
        ("buyer-a@krz.example", "Gesamtschule Lemgo", "80"),
        ("buyer-b@itk.example", "Stadt Neuss", "60"),
    ] {
        w.sign_in(email, PASSWORD).await;
        w.go(&lot_path).await;
        w.choose("#site", site).await;
        w.type_into("#quantity", quantity).await;
        w.click("Bestellen").await;
        // The site's name is in the form already: wait for the answer to the order.
        w.wait_for_text("Ihre Bestellposition wurde gespeichert.")
            .await;
        w.sign_out().await;
    }
    assert_eq!(stored_total(&app, lot).0, 140);

    // The first supplier fills the tier table.
    w.sign_in("sales@systemhaus.example", PASSWORD).await;
    w.go(&lot_path).await;
    w.choose_value("#pricing", "all_units").await;
    for (row, (min, price)) in [("1", "120,00"), ("50", "100,00"), ("100", "90,00")]
        .iter()
        .enumerate()
    {
        w.type_into(&format!("#q-min-{}", row + 1), min).await;
        w.type_into(&format!("#q-price-{}", row + 1), price).await;
    }
    w.type_into("#lead_time_days", "21").await;
    w.set_date("#valid_until", "2026-09-30").await;
    w.click("Angebot verbindlich abgeben").await;
    w.wait_for_text("SHA-256").await;
    w.screenshot("journey-quote-receipt-desktop").await;
    w.sign_out().await;

    // The second quotes with a CSV file from its own system.
    let csv = std::env::temp_dir().join(format!("quote-{lot}-{}.csv", std::process::id()));
    std::fs::write(&csv, "min_quantity;unit_price\n1;125,00\n100;92,00\n").expect("csv");
    w.sign_in("sales@zwei.example", PASSWORD).await;
    w.go(&lot_path).await;
    w.choose_value("#pricing", "graduated").await;
    w.field("#csv_file")
        .await
        .send_keys(&csv.to_string_lossy())
        .await
        .expect("choose file");
    w.type_into("#lead_time_days", "14").await;
    w.set_date("#valid_until", "2026-09-30").await;
    w.click("Angebot verbindlich abgeben").await;
    w.wait_for_text("SHA-256").await;
    let receipt = w.text().await;
    assert!(
        receipt.contains("92,00"),
        "the file's tiers were taken: {receipt}"
    );
    let _ = std::fs::remove_file(&csv);
    w.sign_out().await;

    // After the quote deadline two different staff open the quotes.
    app.clock.advance(chrono::Duration::days(15));
    run_jobs(&app).await;
    w.sign_in("staff@coop.example", PASSWORD).await;
    w.go(&lot_path).await;
    w.click("Angebote öffnen (erste Person)").await;
    w.wait_for_text("Eine zweite Person muss sie bestätigen")
        .await;
    assert!(
        !w.text()
            .await
            .contains("Öffnung als zweite Person bestätigen"),
        "the first person is not offered to confirm their own request"
    );
    w.sign_out().await;
    w.sign_in("staff2@coop.example", PASSWORD).await;
    w.go(&lot_path).await;
    w.click("Öffnung als zweite Person bestätigen").await;
    w.wait_for_text("Angebote geöffnet von").await;
    w.click("Auswertung der Angebote").await;
    w.wait_for_text("Systemhaus GmbH").await;
    w.screenshot("journey-evaluation-desktop").await;
    phone.sign_in("staff2@coop.example", PASSWORD).await;
    phone.go(&format!("/admin/lots/{lot}/evaluation")).await;
    phone.screenshot("journey-evaluation-phone").await;
    let top = w
        .client
        .find(Locator::Css("input[name=quote]:checked"))
        .await
        .expect("a preselected quote");
    assert!(top.attr("id").await.expect("id").is_some());
    w.click("Zuschlag erteilen").await;
    w.wait_for_text("Der Zuschlag ging an Systemhaus GmbH")
        .await;
    w.sign_out().await;

    // After the standstill the server confirms; the buyer sees the final price.
    app.clock.advance(chrono::Duration::days(12));
    run_jobs(&app).await;
    w.sign_in("buyer-a@krz.example", PASSWORD).await;
    w.go(&lot_path).await;
    let results = w.field("#results").await.text().await.expect("results");
    assert!(results.contains("90,00"), "final unit price: {results}");
    assert!(results.contains("7.200,00"), "80 × 90,00 € net: {results}");
    assert!(
        !results.contains("ITK Rheinland"),
        "another member's line is shown: {results}"
    );
    w.screenshot("journey-confirmed-buyer-desktop").await;
    phone.sign_out().await;
    phone.sign_in("buyer-a@krz.example", PASSWORD).await;
    phone.go(&lot_path).await;
    phone.screenshot("journey-confirmed-buyer-phone").await;
}

async fn run_jobs(app: &TestApp) {
    let (pool, clock, mail) = (app.pool.clone(), app.clock.clone(), app.mail.clone());
    tokio::task::spawn_blocking(move || sammelkauf::jobs::run_due_work(&pool, &clock, &mail))
        .await
        .expect("join")
        .expect("due work");
}
