//! Staff set up members, sites, suppliers, accounts and lots through the browser.

use crate::helpers::*;
use sammelkauf::db::{audit, lots, orgs, users};
use sammelkauf::domain::account::Role;

#[tokio::test]
async fn staff_set_up_a_member_a_buyer_and_a_lot_which_the_buyer_then_orders_into() {
    let app = spawn_app().await;
    add_user(&app.pool, "staff@coop.example", Role::Staff, None, None);
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;

    let created = staff
        .post(
            "/admin/members",
            &[
                ("name", "Kommunales Rechenzentrum Süd"),
                ("city", "Ulm"),
                ("contact_email", "einkauf@krz-sued.example"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let member_path = created
        .location
        .expect("member page")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    staff.get(&member_path).await;
    for site in ["Stadt Ulm – Schulen", "Alb-Donau-Kreis"] {
        let added = staff
            .post(
                &format!("{member_path}/sites"),
                &[("name", site), ("address", "Ulm")],
            )
            .await;
        assert_eq!(added.status, 303, "{}", added.body);
    }
    let duplicate = staff
        .post(
            "/admin/members",
            &[("name", "Kommunales Rechenzentrum Süd")],
        )
        .await;
    assert_eq!(duplicate.status, 422);
    assert!(duplicate.body.contains("bereits vergeben"));

    let supplier = staff
        .post(
            "/admin/suppliers",
            &[
                ("name", "Lieferant Öko GmbH"),
                ("contact_email", "angebote@oeko.example"),
            ],
        )
        .await;
    assert_eq!(supplier.status, 303, "{}", supplier.body);

    let (member_id, supplier_id) = {
        let mut conn = app.pool.get().expect("conn");
        (
            orgs::list_members(&mut conn).expect("members")[0].id,
            orgs::list_suppliers(&mut conn).expect("suppliers")[0].id,
        )
    };
    // The organisation drop-down groups members apart from suppliers.
    let users_page = staff.get("/admin/users").await;
    let members_group = users_page
        .body
        .find("<optgroup label=\"Mitglieder (für Einkäufer)\">")
        .expect("members group");
    let suppliers_group = users_page
        .body
        .find("<optgroup label=\"Lieferanten (für Lieferantenkonten)\">")
        .expect("suppliers group");
    let member_option = users_page
        .body
        .find(&format!("value=\"member:{member_id}\""))
        .expect("member option");
    let supplier_option = users_page
        .body
        .find(&format!("value=\"supplier:{supplier_id}\""))
        .expect("supplier option");
    assert!(members_group < member_option && member_option < suppliers_group);
    assert!(suppliers_group < supplier_option);
    let bad = staff
        .post(
            "/admin/users",
            &[
                ("email", "kein-at-zeichen"),
                ("name", "X"),
                ("role", "buyer"),
                ("organisation", &format!("member:{member_id}")),
                ("language", "de"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("gültige E-Mail-Adresse"));
    let wrong_org = staff
        .post(
            "/admin/users",
            &[
                ("email", "x@y.example"),
                ("name", "X"),
                ("role", "buyer"),
                ("organisation", &format!("supplier:{supplier_id}")),
                ("language", "de"),
            ],
        )
        .await;
    assert_eq!(wrong_org.status, 422);
    let user = staff
        .post(
            "/admin/users",
            &[
                ("email", "Einkauf@KRZ-Sued.example"),
                ("name", "Eva Einkauf"),
                ("role", "buyer"),
                ("organisation", &format!("member:{member_id}")),
                ("language", "de"),
            ],
        )
        .await;
    assert_eq!(user.status, 303, "{}", user.body);
    // The account sets its own password through the emailed invitation.
    let invited = staff
        .get(user.location.as_deref().expect("account page"))
        .await;
    assert!(invited.body.contains("Einladung"), "{}", invited.body);
    accept_invitation(&app, "einkauf@krz-sued.example").await;

    staff.get("/admin/lots/new").await;
    let invite = supplier_id.to_string();
    let fields = [
        ("title", "Notebooks für Schulen"),
        ("specification", "14 Zoll, 16 GB RAM"),
        ("category", "devices"),
        ("unit", "Stück"),
        ("order_increment", "1"),
        ("min_total_quantity", "200"),
        ("list_unit_price", "999,00"),
        ("vat_rate", "0.19"),
        ("demand_deadline", "2026-06-10T12:00"),
        ("quote_deadline", "2026-06-20T12:00"),
        ("standstill_days", "10"),
        ("invite", invite.as_str()),
        ("tier_min", "100"),
        ("tier_price", "899,00"),
        ("tier_min", "500"),
        ("tier_price", "849,00"),
        ("tier_min", ""),
        ("tier_price", ""),
    ];
    // Rising tier prices are refused with a message, nothing is stored.
    let mut rising = fields.to_vec();
    rising[15] = ("tier_price", "949,00");
    let refused = staff.post("/admin/lots", &rising).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("dürfen mit der Menge nicht steigen"));
    let mut early_quote = fields.to_vec();
    early_quote[9] = ("quote_deadline", "2026-06-09T12:00");
    let refused = staff.post("/admin/lots", &early_quote).await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("nicht vor der Bestellfrist"));
    {
        let mut conn = app.pool.get().expect("conn");
        assert!(lots::list_all(&mut conn).expect("lots").is_empty());
    }

    let created = staff.post("/admin/lots", &fields).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let lot_path = created
        .location
        .expect("lot")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let lot_id: sammelkauf::domain::ids::LotId = lot_path
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .expect("id");
    {
        let mut conn = app.pool.get().expect("conn");
        let lot = lots::find(&mut conn, lot_id).expect("q").expect("lot");
        // 12:00 in Berlin in June is 10:00 UTC.
        assert_eq!(
            lot.demand_deadline.format("%Y-%m-%d %H:%M").to_string(),
            "2026-06-10 10:00"
        );
        assert_eq!(
            lot.list_unit_price.map(|p| p.ten_thousandths()),
            Some(9_990_000)
        );
        assert_eq!(
            lots::indicative_tiers(&mut conn, lot_id)
                .expect("tiers")
                .len(),
            2
        );
        assert_eq!(
            lots::invited_suppliers(&mut conn, lot_id)
                .expect("inv")
                .len(),
            1
        );
    }
    // Edit while in draft, then open. The draft's page shows each edit of the tiers.
    assert!(staff.get(&lot_path).await.body.contains("849,00"));
    let edit = staff.get(&format!("/admin/lots/{lot_id}/edit")).await;
    assert_eq!(edit.status, 200);
    assert!(edit.body.contains("value=\"2026-06-10T12:00\""));
    let mut edited = fields.to_vec();
    edited[0] = ("title", "Notebooks 14 Zoll für Schulen");
    edited[15] = ("tier_price", "839,00");
    assert_eq!(
        staff
            .post(&format!("/admin/lots/{lot_id}"), &edited)
            .await
            .status,
        303
    );
    let draft = staff.get(&lot_path).await.body;
    assert!(
        draft.contains("839,00") && !draft.contains("849,00"),
        "the draft's page shows the tiers as edited"
    );
    let opened = staff.post(&format!("/admin/lots/{lot_id}/open"), &[]).await;
    assert_eq!(opened.status, 303, "{}", opened.body);
    // No more edits once open.
    staff.get(&lot_path).await;
    assert_eq!(
        staff
            .post(&format!("/admin/lots/{lot_id}"), &fields)
            .await
            .status,
        409
    );

    // The new buyer orders into the new lot.
    let mut buyer = Browser::new(&app);
    buyer.login("einkauf@krz-sued.example").await;
    let page = buyer.get(&lot_path).await;
    assert!(page.body.contains("Notebooks 14 Zoll für Schulen"));
    assert!(page.body.contains("839,00") && !page.body.contains("849,00"));
    let key = extract_field(&page.body, "idempotency_key");
    let site = {
        let mut conn = app.pool.get().expect("conn");
        orgs::sites_of(&mut conn, member_id).expect("sites")[0]
            .id
            .to_string()
    };
    let placed = buyer
        .post(
            &format!("{lot_path}/orders"),
            &[
                ("quantity", "120"),
                ("site", &site),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(placed.status, 303, "{}", placed.body);
    let page = buyer.get(&lot_path).await;
    assert_eq!(shown_total(&page.body), "120");
    assert!(
        page.body.contains("value=\"60\""),
        "progress towards the minimum: 120 of 200 = 60 %"
    );

    // Everything above is in the audit log.
    let mut conn = app.pool.get().expect("conn");
    for action in [
        "member.created",
        "site.created",
        "supplier.created",
        "user.created",
        "lot.created",
        "lot.edited",
        "lot.opened",
        "order.placed",
    ] {
        assert!(
            audit::count_actions(&mut conn, action).expect("audit") >= 1,
            "{action} not logged"
        );
    }
    assert!(users::find_by_email(&mut conn, "einkauf@krz-sued.example")
        .expect("q")
        .expect("user")
        .password_hash
        .starts_with("$argon2id$"));
    drop(conn);
    let log = staff.get(&format!("/admin/audit?lot={lot_id}")).await;
    assert_eq!(log.status, 200);
    assert!(log.body.contains("order.placed"));
}

#[tokio::test]
async fn five_failed_logins_lock_the_account_for_a_while() {
    let app = spawn_app().await;
    add_user(&app.pool, "buyer@x.example", Role::Staff, None, None);
    let mut browser = Browser::new(&app);
    browser.get("/login").await;
    for _ in 0..5 {
        let page = browser
            .post(
                "/login",
                &[("email", "buyer@x.example"), ("password", "falsch-falsch")],
            )
            .await;
        assert_eq!(page.status, 422);
        assert!(page
            .body
            .contains("E-Mail-Adresse oder Passwort ist falsch"));
    }
    let locked = browser
        .post(
            "/login",
            &[("email", "buyer@x.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        locked.status, 429,
        "the right password is refused while locked"
    );
    app.clock.advance(chrono::Duration::minutes(16));
    let ok = browser
        .post(
            "/login",
            &[("email", "buyer@x.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(ok.status, 303);
}

#[tokio::test]
async fn the_demo_cooperative_loads_and_a_demo_buyer_orders_for_two_sites() {
    let app = spawn_app().await;
    let accounts = {
        let mut conn = app.pool.get().expect("conn");
        use sammelkauf::clock::Clock;
        sammelkauf::demo::seed(&mut conn, &app.mail, app.clock.now()).expect("demo")
    };
    assert!(accounts.iter().filter(|a| a.role == "buyer").count() >= 12);
    assert_eq!(accounts.iter().filter(|a| a.role == "supplier").count(), 4);
    {
        let mut conn = app.pool.get().expect("conn");
        let mut statuses: Vec<String> = lots::list_all(&mut conn)
            .expect("lots")
            .into_iter()
            .map(|l| l.status.as_str().to_string())
            .collect();
        statuses.sort();
        statuses.dedup();
        assert_eq!(
            statuses,
            [
                "awarded",
                "cancelled",
                "closed",
                "confirmed",
                "draft",
                "open"
            ]
        );
        // A second seed refuses to touch a filled database.
        use sammelkauf::clock::Clock;
        assert!(sammelkauf::demo::seed(&mut conn, &app.mail, app.clock.now()).is_err());
    }
    let mut buyer = Browser::new(&app);
    buyer.get("/login").await;
    let login = buyer
        .post(
            "/login",
            &[
                ("email", "einkauf@regio-it-aachen.example"),
                ("password", sammelkauf::demo::DEMO_PASSWORD),
            ],
        )
        .await;
    assert_eq!(login.status, 303);
    let list = buyer.get("/lots").await;
    assert!(list.body.contains("Notebooks 14 Zoll für Schulen"));
    assert!(
        !list.body.contains("Tablets 10,9 Zoll"),
        "the draft is not shown"
    );
    let lot = {
        let mut conn = app.pool.get().expect("conn");
        lots::list_all(&mut conn)
            .expect("lots")
            .into_iter()
            .find(|l| l.title.starts_with("Notebooks"))
            .expect("lot")
            .id
    };
    let page = buyer.get(&format!("/lots/{lot}")).await;
    let before: u64 = shown_total(&page.body)
        .replace('.', "")
        .parse()
        .expect("number");
    let sites: Vec<String> = page
        .body
        .split("<option value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next().map(String::from))
        .collect();
    assert!(sites.len() >= 2, "the demo member has several sites");
    for site in &sites[..2] {
        let page = buyer.get(&format!("/lots/{lot}")).await;
        let key = extract_field(&page.body, "idempotency_key");
        let placed = buyer
            .post(
                &format!("/lots/{lot}/orders"),
                &[
                    ("quantity", "25"),
                    ("site", site),
                    ("idempotency_key", &key),
                ],
            )
            .await;
        assert_eq!(placed.status, 303, "{}", placed.body);
    }
    let page = buyer.get(&format!("/lots/{lot}")).await;
    let after: u64 = shown_total(&page.body)
        .replace('.', "")
        .parse()
        .expect("number");
    assert_eq!(after, before + 50);
}

#[tokio::test]
async fn the_audit_log_and_outbox_are_read_a_page_at_a_time() {
    let app = spawn_app().await;
    fixture(&app);
    {
        let mut conn = app.pool.get().expect("conn");
        for i in 0..250 {
            sammelkauf::db::audit::append(
                &mut conn,
                &sammelkauf::db::audit::NewAuditEntry {
                    at: chrono::Utc::now().naive_utc(),
                    actor_id: None,
                    action: "test.entry",
                    lot_id: None,
                    entity: "test",
                    entity_id: Some(i),
                    details: &format!("Eintrag-{i:03}"),
                },
            )
            .expect("audit");
        }
    }
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let mut seen = std::collections::HashSet::new();
    let mut path = "/admin/audit".to_string();
    let mut pages = 0;
    loop {
        let page = staff.get(&path).await;
        assert_eq!(page.status, 200);
        pages += 1;
        let rows = page.body.matches("<tr><td>").count();
        assert!(rows <= 100, "{rows} rows on one page");
        for i in 0..250 {
            if page.body.contains(&format!("Eintrag-{i:03}")) {
                assert!(seen.insert(i), "entry {i} on two pages");
            }
        }
        let Some(start) = page.body.find("rel=\"next\"") else {
            break;
        };
        let link = page.body[..start]
            .rsplit("href=\"")
            .next()
            .expect("link")
            .split('"')
            .next()
            .expect("link")
            .replace("&amp;", "&");
        path = link;
    }
    assert_eq!(seen.len(), 250, "every entry on some page");
    assert!(pages >= 3);
    assert_eq!(staff.get("/admin/outbox?before=1").await.status, 200);
}

/// A standstill below the 10 days of §134 GWB needs a reason, which goes to the record.
#[tokio::test]
async fn a_short_standstill_needs_a_reason_that_goes_to_the_audit_log() {
    let app = spawn_app().await;
    fixture(&app);
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    staff.get("/admin/lots/new").await;
    let lot = |days: &'static str, reason: &'static str| {
        vec![
            ("title", "Kurze Wartefrist"),
            ("specification", ""),
            ("category", "devices"),
            ("unit", "Stück"),
            ("order_increment", "1"),
            ("min_total_quantity", "0"),
            ("list_unit_price", ""),
            ("vat_rate", "0.19"),
            ("demand_deadline", "2026-06-10T12:00"),
            ("quote_deadline", "2026-06-20T12:00"),
            ("standstill_days", days),
            ("standstill_reason", reason),
        ]
    };
    let silent = staff.post("/admin/lots", &lot("0", "")).await;
    assert_eq!(silent.status, 422, "{}", silent.body);
    assert!(
        silent.body.contains("braucht eine Begründung"),
        "{}",
        silent.body
    );
    let reasoned = staff
        .post(
            "/admin/lots",
            &lot("3", "Dringlichkeit: Schulstart nach Wasserschaden"),
        )
        .await;
    assert_eq!(reasoned.status, 303, "{}", reasoned.body);
    let normal = staff.post("/admin/lots", &lot("10", "")).await;
    assert_eq!(normal.status, 303);
    let mut conn = app.pool.get().expect("conn");
    let entries = sammelkauf::db::audit::list(&mut conn, None, 100).expect("audit");
    let short: Vec<_> = entries
        .iter()
        .filter(|e| e.action == "lot.short_standstill")
        .collect();
    assert_eq!(short.len(), 1, "only the shortened one is recorded");
    assert!(short[0].details.contains("days=3") && short[0].details.contains("Wasserschaden"));
}

/// A member's page offers to add a buyer, with the member chosen in the form.
#[tokio::test]
async fn a_members_page_leads_to_a_new_buyer_of_that_member() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let member = staff.get(&format!("/admin/members/{}", f.member_a)).await;
    let start = member
        .body
        .find("id=\"add-buyer\"")
        .expect("add-buyer link");
    let link = member.body[..start]
        .rsplit("href=\"")
        .next()
        .expect("href")
        .split('"')
        .next()
        .expect("href")
        .split('#')
        .next()
        .expect("path")
        .to_string();
    let form = staff.get(&link).await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains(&format!(
            "<option value=\"member:{}\" selected>",
            f.member_a
        )),
        "{}",
        form.body
    );
    assert!(form.body.contains("<option value=\"buyer\" selected>"));
}
