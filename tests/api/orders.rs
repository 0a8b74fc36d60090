//! Buyers order into a lot, see the bundle grow, and only ever their own lines.

use crate::helpers::*;

#[tokio::test]
async fn health_check_answers_when_the_database_does() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let page = browser.get("/healthz").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body, "ok");
}

#[tokio::test]
async fn a_buyer_orders_for_two_sites_and_watches_the_bundle_grow() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;

    let list = buyer.get("/lots").await;
    assert!(list.body.contains("Notebooks"));
    assert!(
        !list.body.contains("Entwurf Tablets"),
        "drafts are not shown to members"
    );

    let lot_path = format!("/lots/{}", f.lot);
    let page = buyer.get(&lot_path).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<html lang=\"de\">"));
    assert_eq!(shown_total(&page.body), "0");
    assert!(
        page.body
            .contains("Noch 100 Stück bis zur nächsten Preisstufe"),
        "{}",
        page.body
    );
    let key = extract_field(&page.body, "idempotency_key");

    let site1 = f.sites_a[0].to_string();
    let placed = buyer
        .post(
            &format!("{lot_path}/orders"),
            &[
                ("quantity", "120"),
                ("site", &site1),
                ("max_unit_price", "880,00"),
                ("reference", "KST 4711"),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let page = buyer
        .get(placed.location.as_deref().expect("redirect"))
        .await;
    assert_eq!(shown_total(&page.body), "120");
    assert!(
        page.body
            .contains("Noch 380 Stück bis zur nächsten Preisstufe"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains("Ihre Bestellposition wurde gespeichert."));
    assert!(page.body.contains("880,00 €"));

    let key = extract_field(&page.body, "idempotency_key");
    let site2 = f.sites_a[1].to_string();
    let placed = buyer
        .post(
            &format!("{lot_path}/orders"),
            &[
                ("quantity", "1.000"),
                ("site", &site2),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let page = buyer.get(&lot_path).await;
    assert_eq!(shown_total(&page.body), "1.120");
    assert!(page.body.contains("Kreishaus Detmold") && page.body.contains("Gesamtschule Lemgo"));
    assert_eq!(stored_total(&app, f.lot), (1120, 1));

    // Change the first line, then cancel the second.
    let lines = stored_lines(&app, f.lot);
    let first = lines
        .iter()
        .find(|l| l.quantity == 120)
        .expect("first line");
    let second = lines
        .iter()
        .find(|l| l.quantity == 1000)
        .expect("second line");
    let edit = buyer
        .get(&format!("{lot_path}/orders/{}/edit", first.id))
        .await;
    assert_eq!(edit.status, 200);
    let changed = buyer
        .post(
            &format!("{lot_path}/orders/{}", first.id),
            &[
                ("quantity", "150"),
                ("site", &site1),
                ("max_unit_price", ""),
                ("reference", ""),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let cancelled = buyer
        .post(&format!("{lot_path}/orders/{}/cancel", second.id), &[])
        .await;
    assert_eq!(cancelled.status, 303);
    assert_eq!(stored_total(&app, f.lot), (150, 1));
    let page = buyer.get(&lot_path).await;
    assert_eq!(shown_total(&page.body), "150");
}

#[tokio::test]
async fn a_double_submitted_order_form_creates_one_line() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let (mut buyer, lot_path, key, site) = buyer_a_at_lot(&app, &f).await;
    let fields = [
        ("quantity", "40"),
        ("site", site.as_str()),
        ("idempotency_key", key.as_str()),
    ];
    let first = buyer.post(&format!("{lot_path}/orders"), &fields).await;
    let second = buyer.post(&format!("{lot_path}/orders"), &fields).await;
    assert_eq!((first.status, second.status), (303, 303));
    assert_eq!(stored_lines(&app, f.lot).len(), 1);
    assert_eq!(stored_total(&app, f.lot), (40, 1));
}

/// The same order form sent from many tabs of one session at the same instant: every tab is
/// answered as placed, one line is stored and counted, one confirmation is queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_order_form_sent_from_many_tabs_at_once_places_one_line_and_one_email() {
    use std::sync::Arc;
    use tokio::sync::Barrier;
    let app = spawn_app().await;
    let f = fixture(&app);
    let (buyer, lot_path, key, site) = buyer_a_at_lot(&app, &f).await;
    let emails_before = confirmations(&app);
    let tabs = 12;
    let barrier = Arc::new(Barrier::new(tabs));
    let sent: Vec<_> = (0..tabs)
        .map(|_| {
            let mut tab = buyer.clone_session();
            let (barrier, key, site, path) =
                (barrier.clone(), key.clone(), site.clone(), lot_path.clone());
            tokio::spawn(async move {
                let fields = [
                    ("quantity", "40"),
                    ("site", site.as_str()),
                    ("idempotency_key", key.as_str()),
                ];
                barrier.wait().await;
                tab.post(&format!("{path}/orders"), &fields).await.status
            })
        })
        .collect();
    for tab in sent {
        assert_eq!(tab.await.expect("tab"), 303);
    }
    assert_eq!(stored_lines(&app, f.lot).len(), 1);
    assert_eq!(stored_total(&app, f.lot), (40, 1));
    assert_eq!(confirmations(&app) - emails_before, 1);
}

/// Order confirmations in the outbox.
fn confirmations(app: &TestApp) -> usize {
    let mut conn = app.pool.get().expect("conn");
    sammelkauf::db::outbox::list(&mut conn, None, 10_000)
        .expect("outbox")
        .iter()
        .filter(|m| m.kind == "order-placed")
        .count()
}

#[tokio::test]
async fn bad_order_input_gets_a_clear_message_and_changes_nothing() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let lot_path = format!("/lots/{}", f.lot);
    let own_site = f.sites_a[0].to_string();
    let foreign_site = f.sites_b[0].to_string();
    let cases: [(&str, &str, &str, &str); 8] = [
        ("0", &own_site, "", "zwischen 1 und 1000000"),
        ("-5", &own_site, "", "zwischen 1 und 1000000"),
        ("zehn", &own_site, "", "als ganze Zahl"),
        ("1000001", &own_site, "", "zwischen 1 und 1000000"),
        ("10", &own_site, "12,34567", "höchstens 4 Nachkommastellen"),
        ("10", &own_site, "0", "größer als 0"),
        ("10", &foreign_site, "", "Lieferort Ihrer Organisation"),
        ("10", "abc", "", "Lieferort Ihrer Organisation"),
    ];
    for (quantity, site, limit, message) in cases {
        let page = buyer.get(&lot_path).await;
        let key = extract_field(&page.body, "idempotency_key");
        let answer = buyer
            .post(
                &format!("{lot_path}/orders"),
                &[
                    ("quantity", quantity),
                    ("site", site),
                    ("max_unit_price", limit),
                    ("idempotency_key", &key),
                ],
            )
            .await;
        assert_eq!(answer.status, 422, "{quantity}/{site}/{limit}");
        assert!(
            answer.body.contains(message),
            "{quantity}/{site}/{limit}: expected {message:?}"
        );
        assert!(answer.body.contains("role=\"alert\""));
    }
    assert!(stored_lines(&app, f.lot).is_empty());

    // A lot with packs of 5 refuses 12.
    let mut conn = app.pool.get().expect("conn");
    let now = chrono::Utc::now().naive_utc();
    let packs = sammelkauf::db::lots::insert(
        &mut conn,
        &lot_terms(&app, "Lizenzen", 5),
        &[],
        sammelkauf::domain::ids::UserId(1),
        now,
    )
    .expect("lot");
    sammelkauf::db::lots::transition(
        &mut conn,
        packs,
        sammelkauf::domain::lot::LotStatus::Draft,
        sammelkauf::domain::lot::LotStatus::Open,
        now,
    )
    .expect("open");
    drop(conn);
    let page = buyer.get(&format!("/lots/{packs}")).await;
    let key = extract_field(&page.body, "idempotency_key");
    let answer = buyer
        .post(
            &format!("/lots/{packs}/orders"),
            &[
                ("quantity", "12"),
                ("site", &own_site),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(answer.status, 422);
    assert!(answer.body.contains("Vielfaches von 5"));
    assert!(stored_lines(&app, packs).is_empty());

    // An unknown lot is a 404, not a 500.
    let answer = buyer
        .post(
            "/lots/999999/orders",
            &[
                ("quantity", "10"),
                ("site", &own_site),
                ("idempotency_key", "x"),
            ],
        )
        .await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn a_buyer_never_sees_or_touches_another_members_lines() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut a = Browser::new(&app);
    a.login("buyer-a@krz.example").await;
    let lot_path = format!("/lots/{}", f.lot);
    let page = a.get(&lot_path).await;
    let key = extract_field(&page.body, "idempotency_key");
    let site = f.sites_a[0].to_string();
    a.post(
        &format!("{lot_path}/orders"),
        &[
            ("quantity", "70"),
            ("site", &site),
            ("reference", "Geheime-KST-A"),
            ("idempotency_key", &key),
        ],
    )
    .await;
    let line = stored_lines(&app, f.lot)[0].id;

    let mut b = Browser::new(&app);
    b.login("buyer-b@itk.example").await;
    let page = b.get(&lot_path).await;
    assert_eq!(shown_total(&page.body), "70", "the aggregate is visible");
    assert!(
        !page.body.contains("Geheime-KST-A"),
        "another member's line leaked"
    );
    assert!(!page.body.contains("Gesamtschule Lemgo"));
    assert_eq!(
        b.get(&format!("{lot_path}/orders/{line}/edit"))
            .await
            .status,
        404
    );
    let site_b = f.sites_b[0].to_string();
    let change = b
        .post(
            &format!("{lot_path}/orders/{line}"),
            &[("quantity", "1"), ("site", &site_b)],
        )
        .await;
    assert_eq!(change.status, 404);
    let cancel = b
        .post(&format!("{lot_path}/orders/{line}/cancel"), &[])
        .await;
    assert_eq!(cancel.status, 404);
    assert_eq!(stored_total(&app, f.lot), (70, 1));
    assert!(stored_lines(&app, f.lot)
        .iter()
        .all(|l| l.member_id != f.member_b));
}

#[tokio::test]
async fn english_is_selectable_and_remembered_for_the_user() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let page = buyer
        .post("/language", &[("lang", "en"), ("back", "/lots")])
        .await;
    assert_eq!(page.status, 303);
    let page = buyer.get(&format!("/lots/{}", f.lot)).await;
    assert!(page.body.contains("<html lang=\"en\">"));
    assert!(page.body.contains("more to the next price tier"));

    // A new session of the same user starts in English.
    let mut again = Browser::new(&app);
    again.login("buyer-a@krz.example").await;
    let page = again.get("/lots").await;
    assert!(page.body.contains("<html lang=\"en\">"));
}

/// A member with hundreds of lines reads them a page at a time; every line on exactly one
/// page, and the caption's total is the member's whole quantity.
#[tokio::test]
async fn a_buyers_own_lines_are_shown_a_page_at_a_time() {
    use sammelkauf::domain::lot::OrderInput;
    let app = spawn_app().await;
    let f = fixture(&app);
    {
        let mut conn = app.pool.get().expect("conn");
        let buyer = account(&mut conn, "buyer-a@krz.example");
        for i in 0..250u64 {
            let input = OrderInput {
                reference: format!("Ref-{i:03}"),
                ..units(2)
            };
            store_line(
                &app,
                &mut conn,
                (f.lot, f.member_a, f.sites_a[0]),
                buyer.id,
                &format!("many-{i}"),
                &input,
            );
        }
    }
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let mut seen = std::collections::HashSet::new();
    let mut path = format!("/lots/{}", f.lot);
    let mut pages = 0;
    loop {
        let page = buyer.get(&path).await;
        assert_eq!(page.status, 200);
        pages += 1;
        assert!(
            page.body.contains("500 Stück"),
            "the member's whole quantity"
        );
        let mut on_page = 0;
        for i in 0..250 {
            if page.body.contains(&format!("Ref-{i:03}")) {
                assert!(seen.insert(i), "line {i} on two pages");
                on_page += 1;
            }
        }
        assert!(on_page <= 100, "{on_page} lines on one page");
        let Some(end) = page.body.find("\" rel=\"next\"") else {
            break;
        };
        path = page.body[..end]
            .rsplit("href=\"")
            .next()
            .expect("link")
            .replace("&amp;", "&");
    }
    assert_eq!(seen.len(), 250);
    assert_eq!(pages, 3);
}

/// Near a deadline the lot page says how much time is left.
#[tokio::test]
async fn the_lot_page_shows_the_time_left_to_its_deadlines() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    // The fixture's demand deadline is seven days after the test clock's start.
    let page = buyer.get(&format!("/lots/{}", f.lot)).await;
    assert!(
        page.body
            .contains("id=\"demand-left\">(noch 7 Tage, 0 Stunden)"),
        "{}",
        page.body
    );
    app.clock.advance(chrono::Duration::hours(6 * 24 + 21));
    let page = buyer.get(&format!("/lots/{}", f.lot)).await;
    assert!(
        page.body.contains("(noch 3 Stunden, 0 Minuten)"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn the_lot_list_filters_by_status_category_and_title_and_shows_the_next_deadline() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let all = staff.get("/lots").await;
    assert!(all.body.contains("Notebooks") && all.body.contains("Entwurf Tablets"));
    // The open lot's demand deadline is 7 days away: shown with the time left.
    assert!(all.body.contains("Bestellfrist: "), "{}", all.body);
    assert!(all.body.contains("noch 7 Tage"), "{}", all.body);

    let by_title = staff.get("/lots?q=NOTE").await;
    assert!(by_title.body.contains(&format!("/lots/{}\"", f.lot)));
    assert!(!by_title.body.contains("Entwurf Tablets"));
    assert!(by_title.body.contains("1 von 2 Losen"));
    let by_status = staff.get("/lots?status=draft").await;
    assert!(by_status.body.contains("Entwurf Tablets") && !by_status.body.contains(">Notebooks<"));
    let by_category = staff.get("/lots?category=licences").await;
    assert!(
        !by_category.body.contains("Entwurf Tablets") && !by_category.body.contains(">Notebooks<")
    );
    // Unknown values mean "any"; hostile searches get an answer, not an error.
    let unknown = staff.get("/lots?status=gibtsnicht&category=%27%3B--").await;
    assert_eq!(unknown.status, 200);
    assert!(unknown.body.contains("Entwurf Tablets"));
    let long = staff.get(&format!("/lots?q={}", "x".repeat(5_000))).await;
    assert_eq!(long.status, 200);
    assert!(
        !long.body.contains(&"x".repeat(201)),
        "the search is cut to 200 characters"
    );
    // A buyer never finds a draft, whatever the filter says.
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let drafts = buyer.get("/lots?status=draft&q=Entwurf").await;
    assert_eq!(drafts.status, 200);
    assert!(!drafts.body.contains("Entwurf Tablets"));
}

/// Storing a line checks, in the same statement, that the lot still takes orders: a lot
/// closed after the order page was checked (by staff, or by its deadline passing meanwhile)
/// takes no line, and a form key used before stores nothing again.
#[tokio::test]
async fn a_line_is_stored_only_while_its_lot_takes_orders() {
    use sammelkauf::clock::Clock;
    use sammelkauf::db::{lots, orders};
    use sammelkauf::domain::lot::LotStatus;
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut conn = app.pool.get().expect("conn");
    let buyer = account(&mut conn, "buyer-a@krz.example");
    let input = units(4);
    let now = app.clock.now().naive_utc();
    let deadline = lots::find(&mut conn, f.lot)
        .expect("q")
        .expect("lot")
        .demand_deadline;
    let store = |conn: &mut sammelkauf::db::DbConnection, key: &str, at| {
        orders::insert(
            conn,
            &orders::NewLine {
                lot: f.lot,
                member: f.member_a,
                site: f.sites_a[0],
                input: &input,
                idempotency_key: key,
                placed_by: buyer.id,
                now: at,
            },
        )
        .expect("insert")
    };
    let first = store(&mut conn, "first", now);
    let orders::Placed::New(_, change) = first else {
        panic!("an open lot takes a new line: {first:?}");
    };
    assert!(orders::count_into_lot(&mut conn, &change).expect("count"));
    assert_eq!(store(&mut conn, "first", now), orders::Placed::Again);
    // The deadline passed while the order was on its way.
    assert_eq!(
        store(&mut conn, "late", deadline),
        orders::Placed::LotClosed
    );
    let at_deadline_less = deadline - chrono::Duration::seconds(1);
    let orders::Placed::New(_, change) = store(&mut conn, "just-in-time", at_deadline_less) else {
        panic!("a second before the deadline the lot takes orders");
    };
    assert!(orders::count_into_lot(&mut conn, &change).expect("count"));
    // Staff closed the lot meanwhile: a key used before and a new one are both refused.
    assert!(
        lots::transition(&mut conn, f.lot, LotStatus::Open, LotStatus::Closed, now).expect("close")
    );
    assert_eq!(store(&mut conn, "closed", now), orders::Placed::LotClosed);
    assert_eq!(store(&mut conn, "first", now), orders::Placed::LotClosed);
    let lines = orders::active_lines(&mut conn, f.lot).expect("lines");
    assert_eq!(
        lines.len(),
        2,
        "only the two lines the open lot took: {lines:?}"
    );
}

/// Lines that arrive together are stored in one transaction. Where one of them is out of
/// the ordinary — a form key used before or twice among them, a bundle that would pass its
/// limit, a lot closed meanwhile — each is stored on its own and gets the answer it would
/// have got alone; the kept totals equal a fresh count throughout.
#[tokio::test]
async fn lines_that_arrive_together_are_stored_together_and_each_gets_its_own_answer() {
    use diesel::prelude::*;
    use sammelkauf::app::ordering::{self, OrderError, OrderRequest};
    use sammelkauf::app::{Actor, Ctx};
    use sammelkauf::clock::Clock;
    use sammelkauf::db::{lots, orders};
    use sammelkauf::domain::lot::LotStatus;
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut conn = app.pool.get().expect("conn");
    let a = Actor::from_account(&account(&mut conn, "buyer-a@krz.example"));
    let b = Actor::from_account(&account(&mut conn, "buyer-b@itk.example"));
    let ctx = Ctx {
        now: app.clock.now(),
        mail: app.mail.clone(),
    };
    let mut ready =
        |actor: &Actor, site: sammelkauf::domain::ids::SiteId, quantity: u64, key: &str| {
            let request = OrderRequest {
                quantity: quantity.to_string(),
                site: site.to_string(),
                ..OrderRequest::default()
            };
            ordering::prepare(&mut conn, &ctx, actor, f.lot, &request, key).expect("a valid line")
        };
    let group = vec![
        ready(&a, f.sites_a[0], 3, "a-1"),
        ready(&b, f.sites_b[0], 5, "b-1"),
        ready(&a, f.sites_a[0], 7, "a-2"),
    ];
    let again = vec![
        ready(&a, f.sites_a[0], 3, "a-1"),
        ready(&b, f.sites_b[0], 11, "b-2"),
        ready(&b, f.sites_b[0], 11, "b-2"),
        ready(&a, f.sites_a[0], 13, "a-3"),
    ];
    let too_many = vec![
        ready(&a, f.sites_a[0], 17, "a-4"),
        ready(&b, f.sites_b[0], 40, "b-3"),
        ready(&a, f.sites_a[0], 19, "a-5"),
    ];
    let late = vec![
        ready(&a, f.sites_a[0], 23, "a-6"),
        ready(&b, f.sites_b[0], 29, "b-4"),
    ];
    let kept_equals_count = |conn: &mut sammelkauf::db::DbConnection| {
        let kept = sammelkauf::db::bundles::totals(conn, f.lot).expect("kept");
        assert_eq!(
            kept,
            sammelkauf::db::bundles::counted_totals(conn, f.lot).expect("counted")
        );
        let size = sammelkauf::db::bundles::bundle_size(conn, f.lot).expect("size");
        let lines = orders::active_lines(conn, f.lot).expect("lines");
        assert_eq!(size.lines as usize, lines.len());
        assert_eq!(size.quantity, lines.iter().map(|l| l.quantity).sum::<u64>());
        kept
    };
    let audited = |conn: &mut sammelkauf::db::DbConnection| {
        sammelkauf::db::audit::count_actions(conn, "order.placed").expect("audit")
    };
    let emails_before = confirmations(&app);

    let stored = ordering::store_together(&mut conn, &group);
    assert!(stored.in_one_transaction, "three plain lines: {stored:?}");
    assert!(stored.answers.iter().all(Result::is_ok), "{stored:?}");
    assert_eq!(kept_equals_count(&mut conn), (15, 2));
    assert_eq!(audited(&mut conn), 3);
    assert_eq!(confirmations(&app), emails_before + 3);

    // A key used before and one twice among them: each line as if alone — one new line per
    // new key, every form answered as placed.
    let stored = ordering::store_together(&mut conn, &again);
    assert!(!stored.in_one_transaction, "{stored:?}");
    assert!(stored.answers.iter().all(Result::is_ok), "{stored:?}");
    assert_eq!(kept_equals_count(&mut conn), (15 + 11 + 13, 2));
    assert_eq!(audited(&mut conn), 5);
    assert_eq!(confirmations(&app), emails_before + 5);

    // The bundle has room for 50 more units: the first line fits, the second does not, the
    // third fits after it.
    {
        use sammelkauf::db::schema::lot_bundles;
        let room = sammelkauf::domain::pricing::MAX_LOT_QUANTITY as i64 - 50;
        let shift = room - (15 + 11 + 13);
        diesel::update(lot_bundles::table.find(f.lot))
            .set(lot_bundles::ordered_quantity.eq(lot_bundles::ordered_quantity + shift))
            .execute(&mut conn)
            .expect("fill the bundle");
        let stored = ordering::store_together(&mut conn, &too_many);
        assert!(!stored.in_one_transaction, "{stored:?}");
        assert!(
            stored.answers[0].is_ok() && stored.answers[2].is_ok(),
            "{stored:?}"
        );
        assert!(
            matches!(&stored.answers[1], Err(OrderError::Invalid(e)) if e[0].key == "error.bundle_quantity"),
            "{stored:?}"
        );
        diesel::update(lot_bundles::table.find(f.lot))
            .set(lot_bundles::ordered_quantity.eq(lot_bundles::ordered_quantity - shift))
            .execute(&mut conn)
            .expect("empty the bundle again");
    }
    assert_eq!(kept_equals_count(&mut conn), (15 + 11 + 13 + 17 + 19, 2));
    assert_eq!(audited(&mut conn), 7);

    // Staff closed the lot while the lines were on their way: none is stored.
    let now = app.clock.now().naive_utc();
    assert!(
        lots::transition(&mut conn, f.lot, LotStatus::Open, LotStatus::Closed, now).expect("close")
    );
    let stored = ordering::store_together(&mut conn, &late);
    assert!(
        stored
            .answers
            .iter()
            .all(|answer| matches!(answer, Err(OrderError::Closed))),
        "{stored:?}"
    );
    assert_eq!(kept_equals_count(&mut conn), (75, 2));
    assert_eq!(audited(&mut conn), 7);
    assert_eq!(confirmations(&app), emails_before + 7);
}
