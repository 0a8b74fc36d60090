//! A determined user: simultaneous clients, hostile values and redirect tricks. Each test
//! reproduces one way the product's promises were broken and shows it holds now.

use crate::helpers::*;
use crate::orders::extract_field;
use crate::procurement::{ordered_lot, quote_fields};
use sammelkauf::db::{lots, procurement as store};
use std::sync::Arc;
use tokio::sync::Barrier;

/// Places one order line as buyer A of the fixture.
async fn order(app: &TestApp, f: &Fixture, quantity: &str, reference: &str) -> Page {
    let mut buyer = Browser::new(app);
    buyer.login("buyer-a@krz.example").await;
    let page = buyer.get(&format!("/lots/{}", f.lot)).await;
    let key = extract_field(&page.body, "idempotency_key");
    let site = f.sites_a[0].to_string();
    buyer
        .post(
            &format!("/lots/{}/orders", f.lot),
            &[
                ("quantity", quantity),
                ("site", &site),
                ("reference", reference),
                ("idempotency_key", &key),
            ],
        )
        .await
}

/// Quotes, opens by two staff and awards the fixture's lot; answers the first staff
/// member's browser.
async fn award(app: &TestApp, f: &Fixture) -> Browser {
    let lot = f.lot;
    let mut supplier = Browser::new(app);
    supplier.login("sales@systemhaus.example").await;
    supplier.get(&format!("/lots/{lot}")).await;
    let quoted = supplier
        .post(
            &format!("/lots/{lot}/quotes"),
            &quote_fields("all_units", &[("1", "800")], ""),
        )
        .await;
    assert_eq!(quoted.status, 303, "{}", quoted.body);
    app.clock.advance(chrono::Duration::days(15));
    let mut staff = Browser::new(app);
    staff.login("staff@coop.example").await;
    let mut staff2 = Browser::new(app);
    staff2.login("staff2@coop.example").await;
    for browser in [&mut staff, &mut staff2] {
        let opened = browser
            .post(&format!("/admin/lots/{lot}/opening"), &[])
            .await;
        assert_eq!(opened.status, 303, "{}", opened.body);
    }
    let quote = {
        let mut conn = app.pool.get().expect("conn");
        store::latest_quotes(&mut conn, lot).expect("quotes")[0]
            .0
            .id
    };
    let awarded = staff
        .post(
            &format!("/admin/lots/{lot}/award"),
            &[("quote", &quote.to_string()), ("justification", "")],
        )
        .await;
    assert_eq!(awarded.status, 303, "{}", awarded.body);
    staff
}

/// A buyer's reference that a spreadsheet would run as a formula arrives neutralised in
/// the staff allocation.
#[tokio::test]
async fn a_formula_in_a_reference_is_neutralised_in_the_csv() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let formula = "-1,5+HYPERLINK(\"http://evil.example\";\"x\")";
    let placed = order(&app, &f, "600", formula).await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let mut staff = award(&app, &f).await;
    let csv = staff
        .get(&format!("/admin/lots/{}/allocation.csv", f.lot))
        .await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let field = csv
        .body
        .split(['\n', ';'])
        .find(|field| field.contains("HYPERLINK"))
        .expect("the reference is in the CSV");
    assert!(
        field.trim_start_matches('"').starts_with('\''),
        "formula left live: {field}"
    );
}

#[tokio::test]
async fn the_language_switch_only_sends_back_to_pages_of_this_site() {
    let app = spawn_app().await;
    fixture(&app);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    // Control characters are refused like in every form, never a server error.
    for back in ["/lots\u{1e}", "/\u{7f}"] {
        let answer = buyer
            .post("/language", &[("lang", "en"), ("back", back)])
            .await;
        assert_eq!(answer.status, 422, "{back:?}: {}", answer.body);
    }
    for back in [
        "/lots\r\nSet-Cookie: a=b",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example/",
    ] {
        let answer = buyer
            .post("/language", &[("lang", "en"), ("back", back)])
            .await;
        assert_eq!(answer.status, 303, "{back:?}: {}", answer.body);
        assert_eq!(answer.location.as_deref(), Some("/"), "{back:?}");
    }
    let answer = buyer
        .post(
            "/language",
            &[("lang", "de"), ("back", "/lots?notice=saved")],
        )
        .await;
    assert_eq!(answer.location.as_deref(), Some("/lots?notice=saved"));
}

/// NUL and other control characters are refused with 422 on both databases, whatever the
/// field, and nothing is stored; line breaks in text stay allowed.
#[tokio::test]
async fn control_characters_in_any_text_field_are_refused_and_nothing_is_stored() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut anonymous = Browser::new(&app);
    anonymous.get("/login").await;
    let login = anonymous
        .post(
            "/login",
            &[("email", "buyer-a@krz.example\0"), ("password", "x")],
        )
        .await;
    assert_eq!(login.status, 422, "{}", login.body);

    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let page = buyer.get(&format!("/lots/{}", f.lot)).await;
    let key = extract_field(&page.body, "idempotency_key");
    let site = f.sites_a[0].to_string();
    for (field, value) in [
        ("reference", "Schule\0Nord"),
        ("reference", "bell\u{7}"),
        ("idempotency_key", "k\0"),
        ("reference", "C1\u{85}control"),
    ] {
        let mut form = vec![
            ("quantity", "10"),
            ("site", site.as_str()),
            ("idempotency_key", key.as_str()),
            ("reference", ""),
        ];
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
        let answer = buyer.post(&format!("/lots/{}/orders", f.lot), &form).await;
        assert_eq!(answer.status, 422, "{field}={value:?}: {}", answer.body);
        assert!(answer.body.contains("Steuerzeichen"), "{}", answer.body);
    }
    assert!(stored_lines(&app, f.lot).is_empty());

    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    staff.get(&format!("/admin/members/{}", f.member_a)).await;
    let site = staff
        .post(
            &format!("/admin/members/{}/sites", f.member_a),
            &[("name", "Schule"), ("address", "Weg 1\0")],
        )
        .await;
    assert_eq!(site.status, 422, "{}", site.body);
}

/// One supplier sends its quote twenty times at the same instant: every submission is
/// stored as its own revision, none fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_simultaneous_submissions_of_one_quote_each_get_a_revision() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let lot = f.lot;
    let barrier = Arc::new(Barrier::new(20));
    let mut tasks = Vec::new();
    for i in 0..20 {
        let mut supplier = Browser::new(&app);
        supplier.login("sales@systemhaus.example").await;
        supplier.get(&format!("/lots/{lot}")).await;
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let price = format!("{}", 900 - i);
            let fields = quote_fields("all_units", &[("1", &price)], "");
            barrier.wait().await;
            supplier.post(&format!("/lots/{lot}/quotes"), &fields).await
        }));
    }
    for task in tasks {
        let answer = task.await.expect("task");
        assert_eq!(answer.status, 303, "{}", answer.body);
    }
    let mut conn = app.pool.get().expect("conn");
    let mut revisions: Vec<i64> = store::revisions_of(&mut conn, lot, f.supplier)
        .expect("revisions")
        .iter()
        .map(|q| q.revision)
        .collect();
    revisions.sort_unstable();
    assert_eq!(revisions, (1..=20).collect::<Vec<_>>());
}

/// Two staff press "open quotes" at the same instant: one requests, the other is told the
/// state changed; nobody gets a server error, and the four-eyes rule still needs a second
/// person afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_staff_pressing_open_at_the_same_instant_get_no_server_error() {
    let app = spawn_app().await;
    let cycle = ordered_lot(&app).await;
    let lot = cycle.lot;
    app.clock.advance(chrono::Duration::days(15));
    let barrier = Arc::new(Barrier::new(2));
    let mut tasks = Vec::new();
    for email in ["staff@coop.example", "staff2@coop.example"] {
        let mut staff = Browser::new(&app);
        staff.login(email).await;
        staff.get(&format!("/lots/{lot}")).await;
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            staff.post(&format!("/admin/lots/{lot}/opening"), &[]).await
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        let answer = task.await.expect("task");
        assert!(answer.status < 500, "{}", answer.body);
        statuses.push(answer.status);
    }
    statuses.sort_unstable();
    // Either both steps were taken one after the other (two people), or the second was
    // refused because the first changed the state meanwhile.
    assert!(
        statuses == [303, 303] || statuses == [303, 409],
        "{statuses:?}"
    );
    let mut conn = app.pool.get().expect("conn");
    let procedure = store::procedure(&mut conn, lot).expect("procedure");
    if let Some(opened_by) = procedure.opened_by {
        assert_ne!(Some(opened_by), procedure.opening_requested_by);
    }
    let status = lots::find(&mut conn, lot)
        .expect("find")
        .expect("lot")
        .status;
    assert!(status.as_str() == "closed" || status.as_str() == "evaluated");
}

/// A lot filled to the largest bundle the pricing engine can price refuses one unit more
/// with a clear message, and can still be evaluated and awarded.
#[tokio::test]
async fn no_order_takes_a_lot_past_what_the_engine_can_price() {
    use sammelkauf::domain::lot::OrderInput;
    use sammelkauf::domain::pricing::{MAX_LINE_QUANTITY, MAX_LOT_QUANTITY};
    let app = spawn_app().await;
    let f = fixture(&app);
    let full_lines = MAX_LOT_QUANTITY / MAX_LINE_QUANTITY - 1;
    {
        let mut conn = app.pool.get().expect("conn");
        let buyer = sammelkauf::db::users::find_by_email(&mut conn, "buyer-b@itk.example")
            .expect("q")
            .expect("buyer");
        let input = OrderInput {
            quantity: MAX_LINE_QUANTITY,
            max_unit_price: None,
            reference: String::new(),
        };
        for i in 0..full_lines {
            sammelkauf::db::orders::insert(
                &mut conn,
                &sammelkauf::db::orders::NewLine {
                    lot: f.lot,
                    member: f.member_b,
                    site: f.sites_b[0],
                    input: &input,
                    idempotency_key: &format!("seed-{i}"),
                    placed_by: buyer.id,
                    now: chrono::Utc::now().naive_utc(),
                },
            )
            .expect("seed line");
        }
    }
    let last = MAX_LINE_QUANTITY.to_string();
    let fits = order(&app, &f, &last, "").await;
    assert_eq!(fits.status, 303, "{}", fits.body);
    let over = order(&app, &f, "1", "").await;
    assert_eq!(over.status, 422, "{}", over.body);
    assert!(over.body.contains("Höchstmenge"), "{}", over.body);
    assert_eq!(stored_total(&app, f.lot).0, MAX_LOT_QUANTITY);

    let mut staff = award(&app, &f).await;
    let evaluation = staff
        .get(&format!("/admin/lots/{}/evaluation", f.lot))
        .await;
    assert!(evaluation.status < 500, "{}", evaluation.body);
    let mut conn = app.pool.get().expect("conn");
    let status = lots::find(&mut conn, f.lot)
        .expect("q")
        .expect("lot")
        .status;
    assert_eq!(status.as_str(), "awarded");
}
