//! A determined user: simultaneous clients, hostile values and redirect tricks. Each test
//! reproduces one way the product's promises were broken and shows it holds now.

use crate::helpers::*;
use crate::procurement::{ordered_lot, quote_fields};
use sammelkauf::db::{lots, procurement as store, quotes};
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
        quotes::latest_quotes(&mut conn, lot).expect("quotes")[0]
            .quote
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
    let mut revisions: Vec<i64> = quotes::revisions_of(&mut conn, lot, f.supplier)
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
    use sammelkauf::domain::pricing::{MAX_LINE_QUANTITY, MAX_LOT_QUANTITY};
    let app = spawn_app().await;
    let f = fixture(&app);
    let full_lines = MAX_LOT_QUANTITY / MAX_LINE_QUANTITY - 1;
    {
        let mut conn = app.pool.get().expect("conn");
        let buyer = account(&mut conn, "buyer-b@itk.example");
        let input = units(MAX_LINE_QUANTITY);
        for i in 0..full_lines {
            store_line(
                &app,
                &mut conn,
                (f.lot, f.member_b, f.sites_b[0]),
                buyer.id,
                &format!("seed-{i}"),
                &input,
            );
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

/// The messages queued for an address, newest first: (kind, body text).
fn queued_for(app: &TestApp, email: &str) -> Vec<(String, String)> {
    let mut conn = app.pool.get().expect("conn");
    sammelkauf::db::outbox::list(&mut conn, None, 10_000)
        .expect("outbox")
        .into_iter()
        .filter(|m| m.recipient == email)
        .map(|m| (m.kind, m.body_text))
        .collect()
}

/// Twelve clients send wrong passwords for one account at the same instant, again and
/// again: at most five passwords are evaluated, and then even the right one is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_lockout_holds_against_twelve_simultaneous_clients() {
    let app = spawn_app().await;
    fixture(&app);
    let barrier = Arc::new(Barrier::new(12));
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let mut browser = Browser::new(&app);
        browser.get("/login").await;
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let mut statuses = Vec::new();
            for _ in 0..4 {
                barrier.wait().await;
                let answer = browser
                    .post(
                        "/login",
                        &[
                            ("email", "buyer-a@krz.example"),
                            ("password", "falsch-falsch"),
                        ],
                    )
                    .await;
                statuses.push(answer.status);
            }
            statuses
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.extend(task.await.expect("task"));
    }
    let evaluated = statuses.iter().filter(|s| **s == 422).count();
    let locked = statuses.iter().filter(|s| **s == 429).count();
    assert!(evaluated <= 5, "{evaluated} wrong passwords evaluated");
    assert_eq!(evaluated + locked, 48, "{statuses:?}");
    let mut owner = Browser::new(&app);
    owner.get("/login").await;
    let right = owner
        .post(
            "/login",
            &[("email", "buyer-a@krz.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        right.status, 429,
        "the right password is refused while locked"
    );
    // Another account behind the same address is not locked out with it.
    let colleague = owner
        .post(
            "/login",
            &[("email", "buyer-b@itk.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(colleague.status, 303);
}

/// A copy of the cookie taken before logout, a password change or deactivation opens
/// nothing afterwards; an idle session ends by itself.
#[tokio::test]
async fn a_replayed_cookie_opens_nothing_after_logout_password_change_or_deactivation() {
    let app = spawn_app_with(&[("SESSION_IDLE_MINUTES", "30".to_string())]).await;
    let f = fixture(&app);
    let lot_path = format!("/lots/{}", f.lot);

    // Logout ends every copy of the session.
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let copy = buyer.clone_session();
    let mut replay = copy.clone_session();
    assert_eq!(replay.get(&lot_path).await.status, 200);
    let key = extract_field(&replay.get(&lot_path).await.body, "idempotency_key");
    buyer.get("/lots").await;
    assert_eq!(buyer.post("/logout", &[]).await.status, 303);
    // A lot's page reads the session in its own query (with the lot): each page is tried
    // with a copy of the cookie, as a refused request makes the copy forget it.
    assert_eq!(
        copy.clone_session().get(&lot_path).await.status,
        303,
        "lot page replayed after logout"
    );
    assert_eq!(
        replay.get("/lots").await.status,
        303,
        "replayed after logout"
    );
    let site = f.sites_a[0].to_string();
    let order = replay
        .post(
            &format!("{lot_path}/orders"),
            &[
                ("quantity", "10"),
                ("site", &site),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(order.location.as_deref(), Some("/login"));
    assert!(stored_lines(&app, f.lot).is_empty());

    // A new password through a reset link ends the sessions that were open.
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let mut other_device = Browser::new(&app);
    other_device.login("buyer-a@krz.example").await;
    let mut anonymous = Browser::new(&app);
    anonymous.get("/password-reset").await;
    anonymous
        .post("/password-reset", &[("email", "buyer-a@krz.example")])
        .await;
    let link = password_link(&app, "buyer-a@krz.example");
    anonymous.get(&link).await;
    let set = anonymous
        .post(&link, &[("password", PASSWORD), ("repeat", PASSWORD)])
        .await;
    assert_eq!(set.status, 303, "{}", set.body);
    assert_eq!(
        buyer.clone_session().get(&lot_path).await.status,
        303,
        "lot page open after a new password"
    );
    assert_eq!(
        buyer.get("/lots").await.status,
        303,
        "session survived a new password"
    );
    assert_eq!(other_device.get("/lots").await.status, 303);

    // Deactivation ends them too.
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-b@itk.example").await;
    let id = {
        let mut conn = app.pool.get().expect("conn");
        account(&mut conn, "buyer-b@itk.example").id
    };
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    staff.get(&format!("/admin/users/{id}")).await;
    let member = format!("member:{}", f.member_b);
    let deactivated = staff
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("email", "buyer-b@itk.example"),
                ("name", "B"),
                ("role", "buyer"),
                ("organisation", &member),
                ("language", "de"),
            ],
        )
        .await;
    assert_eq!(deactivated.status, 303, "{}", deactivated.body);
    assert_eq!(
        buyer.clone_session().get(&lot_path).await.status,
        303,
        "lot page open after deactivation"
    );
    assert_eq!(
        buyer.get("/lots").await.status,
        303,
        "session survived deactivation"
    );

    // An idle session ends after the configured time.
    assert_eq!(staff.get("/lots").await.status, 200);
    assert_eq!(staff.get(&lot_path).await.status, 200);
    app.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(
        staff.clone_session().get(&lot_path).await.status,
        303,
        "lot page open after the idle time"
    );
    assert_eq!(
        staff.get("/lots").await.status,
        303,
        "idle session still open"
    );
}

/// One staff member alone can neither read a sealed quote through an account added to the
/// supplier nor make a second staff account to open the quotes with.
#[tokio::test]
async fn one_staff_member_alone_cannot_read_sealed_prices_or_open_quotes() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut supplier = Browser::new(&app);
    supplier.login("sales@systemhaus.example").await;
    supplier.get(&format!("/lots/{}", f.lot)).await;
    let quoted = supplier
        .post(
            &format!("/lots/{}/quotes", f.lot),
            &quote_fields("all_units", &[("1", "777")], ""),
        )
        .await;
    assert_eq!(quoted.status, 303);
    let receipt = quoted.location.expect("receipt");
    assert_eq!(supplier.get(&receipt).await.status, 200);

    // The insider adds an account to the supplier with an address the insider reads. No
    // password can be chosen: the form has none, and a smuggled field changes nothing.
    app.clock.advance(chrono::Duration::minutes(5));
    let mut insider = Browser::new(&app);
    insider.login("staff@coop.example").await;
    insider.get("/admin/users").await;
    let org = format!("supplier:{}", f.supplier);
    let created = insider
        .post(
            "/admin/users",
            &[
                ("email", "insider@coop.example"),
                ("name", "Ina Insider"),
                ("role", "supplier"),
                ("organisation", &org),
                ("language", "de"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let mut mole = Browser::new(&app);
    mole.get("/login").await;
    let smuggled = mole
        .post(
            "/login",
            &[("email", "insider@coop.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(smuggled.status, 422, "a password chosen by staff works");
    // The supplier's own users are told someone joined their company.
    let announced = queued_for(&app, "sales@systemhaus.example");
    assert!(
        announced
            .iter()
            .any(|(kind, text)| kind == "supplier-user-added"
                && text.contains("insider@coop.example")),
        "{announced:?}"
    );
    // Reading the invitation (the insider's own mailbox) gives an account that still
    // cannot read the receipt before the opening.
    accept_invitation(&app, "insider@coop.example").await;
    mole.login("insider@coop.example").await;
    let page = mole.get(&format!("/lots/{}", f.lot)).await;
    assert!(!page.body.contains(&receipt), "the receipt is listed");
    let read = mole.get(&receipt).await;
    assert_eq!(read.status, 404);
    assert!(!read.body.contains("777"));

    // A second staff account made by the same person stays inactive until someone else
    // confirms it, and cannot be confirmed by its maker.
    insider.get("/admin/users").await;
    let second = insider
        .post(
            "/admin/users",
            &[
                ("email", "zweit@coop.example"),
                ("name", "Zweites Ich"),
                ("role", "staff"),
                ("organisation", ""),
                ("language", "de"),
            ],
        )
        .await;
    assert_eq!(second.status, 303, "{}", second.body);
    let account_page = second.location.expect("account page");
    let id: sammelkauf::domain::ids::UserId = account_page
        .trim_start_matches("/admin/users/")
        .split('?')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("id");
    assert!(
        queued_for(&app, "zweit@coop.example").is_empty(),
        "invited before confirmation"
    );
    let shown = insider.get(&account_page).await;
    assert!(
        !shown.body.contains("/confirm-staff"),
        "own request offered"
    );
    let own = insider
        .post(&format!("/admin/users/{id}/confirm-staff"), &[])
        .await;
    assert_eq!(own.status, 409);
    // Activating it through the edit form does not work either.
    let activate = insider
        .post(
            &format!("/admin/users/{id}"),
            &[
                ("email", "zweit@coop.example"),
                ("name", "Zweites Ich"),
                ("role", "staff"),
                ("organisation", ""),
                ("language", "de"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(activate.status, 303);
    {
        let mut conn = app.pool.get().expect("conn");
        let account = sammelkauf::db::users::find(&mut conn, id)
            .expect("q")
            .expect("account");
        assert!(!account.active, "activated without a second person");
    }
    // Promoting an existing buyer also waits for a second person.
    let buyer_id = {
        let mut conn = app.pool.get().expect("conn");
        account(&mut conn, "buyer-a@krz.example").id
    };
    insider.get(&format!("/admin/users/{buyer_id}")).await;
    let promoted = insider
        .post(
            &format!("/admin/users/{buyer_id}"),
            &[
                ("email", "buyer-a@krz.example"),
                ("name", "A"),
                ("role", "staff"),
                ("organisation", ""),
                ("language", "de"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(promoted.status, 303);
    let mut promoted_buyer = Browser::new(&app);
    promoted_buyer.login("buyer-a@krz.example").await;
    assert_eq!(
        promoted_buyer.get("/admin/users").await.status,
        403,
        "staff role without confirmation"
    );

    // The second staff member confirms: now the account is staff and invited.
    let mut colleague = Browser::new(&app);
    colleague.login("staff2@coop.example").await;
    let shown = colleague.get(&account_page).await;
    assert!(shown.body.contains("/confirm-staff"));
    let confirmed = colleague
        .post(&format!("/admin/users/{id}/confirm-staff"), &[])
        .await;
    assert_eq!(confirmed.status, 303, "{}", confirmed.body);
    assert!(queued_for(&app, "zweit@coop.example")
        .iter()
        .any(|(_, text)| text.contains("/password/")));
    let mut conn = app.pool.get().expect("conn");
    let account = sammelkauf::db::users::find(&mut conn, id)
        .expect("q")
        .expect("account");
    assert!(account.active && account.role == sammelkauf::domain::account::Role::Staff);
    assert_eq!(
        sammelkauf::db::audit::count_actions(&mut conn, "user.staff_granted").expect("audit"),
        1
    );
}

/// Reset links: limited per account, one used link ends the others, and the sent copy in
/// the outbox keeps no usable link.
#[tokio::test]
async fn password_links_are_limited_single_use_and_not_kept() {
    let app = spawn_app().await;
    fixture(&app);
    let mut anonymous = Browser::new(&app);
    anonymous.get("/password-reset").await;
    for _ in 0..6 {
        let answer = anonymous
            .post("/password-reset", &[("email", "buyer-a@krz.example")])
            .await;
        assert_eq!(answer.status, 303);
    }
    let links: Vec<_> = queued_for(&app, "buyer-a@krz.example")
        .into_iter()
        .filter(|(_, text)| text.contains("/password/"))
        .collect();
    assert_eq!(links.len(), 3, "an inbox flooded with links");
    let newest = password_link(&app, "buyer-a@krz.example");
    let older: Vec<String> = links
        .iter()
        .map(|(_, text)| link_in(text))
        .filter(|link| *link != newest)
        .collect();
    assert_eq!(older.len(), 2);
    anonymous.get(&newest).await;
    let set = anonymous
        .post(&newest, &[("password", PASSWORD), ("repeat", PASSWORD)])
        .await;
    assert_eq!(set.status, 303);
    for link in &older {
        assert_eq!(anonymous.get(link).await.status, 410, "{link} still works");
    }
    // A bogus token is refused before anything else happens.
    let bogus = anonymous
        .post(
            &format!("/password/{}", "0".repeat(64)),
            &[("password", PASSWORD), ("repeat", PASSWORD)],
        )
        .await;
    assert_eq!(bogus.status, 410);

    // Once sent, the stored copy has no token left.
    let mut conn = app.pool.get().expect("conn");
    let ids: Vec<i64> = sammelkauf::db::outbox::list(&mut conn, None, 1000)
        .expect("outbox")
        .into_iter()
        .filter(|m| m.body_text.contains("/password/"))
        .map(|m| m.id)
        .collect();
    for id in &ids {
        diesel::Connection::transaction(&mut *conn, |c| {
            diesel::RunQueryDsl::execute(
                diesel::update(sammelkauf::db::schema::outbox::table)
                    .filter(diesel::ExpressionMethods::eq(
                        sammelkauf::db::schema::outbox::id,
                        *id,
                    ))
                    .set(diesel::ExpressionMethods::eq(
                        sammelkauf::db::schema::outbox::status,
                        "sending",
                    )),
                c,
            )?;
            sammelkauf::db::outbox::mark_sent(c, *id, chrono::Utc::now().naive_utc())
        })
        .expect("sent");
    }
    for message in sammelkauf::db::outbox::list(&mut conn, None, 1000).expect("outbox") {
        let text = message.body_text;
        if let Some(rest) = text.split("/password/").nth(1) {
            assert!(!rest.starts_with(|c: char| c.is_ascii_hexdigit()), "{text}");
        }
    }
}

/// Multipart forms are bounded in size, parts and name length, and a forged one is refused
/// before its parts are read.
#[tokio::test]
async fn oversized_or_forged_multipart_forms_are_refused_and_store_nothing() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut supplier = Browser::new(&app);
    supplier.login("sales@systemhaus.example").await;
    supplier.get(&format!("/lots/{}", f.lot)).await;
    let url = format!("{}/lots/{}/quotes", app.address, f.lot);
    let token = supplier.csrf.clone();
    let send = |form: reqwest::multipart::Form| {
        let client = supplier.client.clone();
        let url = url.clone();
        async move {
            match client.post(&url).multipart(form).send().await {
                Ok(answer) => Some(answer.status().as_u16()),
                // The server may close the connection once it has answered.
                Err(_) => None,
            }
        }
    };
    let base = |token: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", token.to_string())
            .text("pricing", "all_units")
            .text("lead_time_days", "10")
            .text("valid_until", "2026-12-31")
    };
    // Two megabytes of file.
    let big = base(&token).part(
        "csv_file",
        reqwest::multipart::Part::bytes(vec![b'1'; 2 * 1024 * 1024]).file_name("big.csv"),
    );
    assert!(matches!(send(big).await, Some(413) | None));
    // Thousands of tiny parts.
    let mut many = base(&token);
    for _ in 0..5_000 {
        many = many.text("x", "1");
    }
    assert!(matches!(send(many).await, Some(413) | None));
    // A field name of 10 KB.
    let long_name = base(&token).text("n".repeat(10_000), "1");
    assert!(matches!(send(long_name).await, Some(400) | None));
    // The token after a large part, or a wrong token first: refused before reading on.
    let late_token = reqwest::multipart::Form::new()
        .part(
            "csv_file",
            reqwest::multipart::Part::bytes(vec![b'1'; 512 * 1024]).file_name("a.csv"),
        )
        .text("csrf", token.clone());
    assert!(matches!(send(late_token).await, Some(403) | None));
    let forged = base("falsch").text("csv", "1;100\n");
    assert_eq!(send(forged).await, Some(403));
    let mut conn = app.pool.get().expect("conn");
    assert!(quotes::revisions_of(&mut conn, f.lot, f.supplier)
        .expect("revisions")
        .is_empty());
}

/// Pages and downloads with personal or price data are never cached; over https the
/// session cookie is host-bound and HSTS is sent.
#[tokio::test]
async fn private_pages_are_not_cached_and_https_gets_hsts_and_a_host_cookie() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    for path in [format!("/lots/{}", f.lot), "/lots".to_string()] {
        let answer = buyer
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("get");
        assert_eq!(answer.status(), 200);
        assert_eq!(
            answer
                .headers()
                .get("cache-control")
                .and_then(|v| v.to_str().ok()),
            Some("no-store"),
            "{path}"
        );
        assert!(answer.headers().get("strict-transport-security").is_none());
    }
    let css = client
        .get(format!("{}/static/style.css", app.address))
        .send()
        .await
        .expect("css");
    assert!(css
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("public")));

    let secure = spawn_app_with(&[("BASE_URL", "https://einkauf.example".to_string())]).await;
    let login = client
        .get(format!("{}/login", secure.address))
        .send()
        .await
        .expect("login");
    assert!(login
        .headers()
        .get("strict-transport-security")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("max-age=")));
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("sammelkauf"))
        .expect("session cookie")
        .to_string();
    assert!(cookie.starts_with("__Host-sammelkauf="), "{cookie}");
    assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"));
}

/// A server keeps a buyer's lot page between views; whatever another server (another
/// process on the same database) writes shows at the very next view there: another member's
/// order, the buyer's own new line, a session ended — and every session sees its own page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lot_page_kept_by_one_server_shows_what_another_server_wrote() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let second = second_server(&app).await;
    let lot_path = format!("/lots/{}", f.lot);

    // Buyer A reads the page on the second server, twice (the second view is kept).
    let mut kept = Browser::at(&second.address);
    kept.login("buyer-a@krz.example").await;
    for _ in 0..2 {
        let page = kept.get(&lot_path).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert_eq!(shown_total(&page.body), "0");
    }

    // Buyer B orders through the first server.
    let mut buyer_b = Browser::new(&app);
    buyer_b.login("buyer-b@itk.example").await;
    let key = extract_field(&buyer_b.get(&lot_path).await.body, "idempotency_key");
    let site_b = f.sites_b[0].to_string();
    let order = buyer_b
        .post(
            &format!("{lot_path}/orders"),
            &[
                ("quantity", "7"),
                ("site", &site_b),
                ("reference", "Referenz-von-B"),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(order.status, 303, "{}", order.body);
    let page = kept.get(&lot_path).await;
    assert_eq!(
        shown_total(&page.body),
        "7",
        "the other server's order is shown at once"
    );
    assert!(
        !page.body.contains("Referenz-von-B"),
        "B's line on A's page"
    );

    // A line of A's own, stored straight into the database (as another program might).
    {
        let mut conn = app.pool.get().expect("conn");
        let buyer = account(&mut conn, "buyer-a@krz.example").id;
        let input = sammelkauf::domain::lot::OrderInput {
            reference: "Referenz-von-A".into(),
            ..units(5)
        };
        let place = (f.lot, f.member_a, f.sites_a[0]);
        store_line(&app, &mut conn, place, buyer, "eigene-zeile", &input);
    }
    let page = kept.get(&lot_path).await;
    assert_eq!(shown_total(&page.body), "12");
    assert!(page.body.contains("Referenz-von-A"), "A's own new line");
    let page_b = buyer_b.get(&lot_path).await;
    assert!(
        !page_b.body.contains("Referenz-von-A"),
        "A's line on B's page"
    );
    assert!(page_b.body.contains("Referenz-von-B"));

    // The session ends on the first server: its cookie opens nothing on the second.
    let replay = kept.clone_session();
    assert_eq!(replay.clone_session().get(&lot_path).await.status, 200);
    let mut on_first = kept.clone_session();
    on_first.base = app.address.clone();
    assert_eq!(on_first.post("/logout", &[]).await.status, 303);
    assert_eq!(
        replay.clone_session().get(&lot_path).await.status,
        303,
        "a kept page outlived the session's end on another server"
    );
}
