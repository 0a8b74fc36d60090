//! Every route as every kind of visitor: who gets what.

use crate::helpers::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    BuyerA,
    BuyerB,
    Supplier,
    OtherSupplier,
    Staff,
}

/// A write to try: path, form fields, the status wanted.
type Write<'a> = (String, Vec<(&'a str, &'a str)>, u16);

const EVERYONE: [Who; 6] = [
    Who::Anonymous,
    Who::BuyerA,
    Who::BuyerB,
    Who::Supplier,
    Who::OtherSupplier,
    Who::Staff,
];

async fn browser_for(app: &TestApp, who: Who) -> Browser {
    let mut b = Browser::new(app);
    match who {
        Who::Anonymous => {
            b.get("/login").await;
        }
        Who::BuyerA => {
            b.login("buyer-a@krz.example").await;
        }
        Who::BuyerB => {
            b.login("buyer-b@itk.example").await;
        }
        Who::Supplier => {
            b.login("sales@systemhaus.example").await;
        }
        Who::OtherSupplier => {
            b.login("sales@andere.example").await;
        }
        Who::Staff => {
            b.login("staff@coop.example").await;
        }
    }
    b
}

#[tokio::test]
async fn every_route_answers_each_role_as_it_should() {
    let app = spawn_app().await;
    let f = fixture(&app);
    // Buyer A places a line that nobody else may see.
    let mut a = browser_for(&app, Who::BuyerA).await;
    let page = a.get(&format!("/lots/{}", f.lot)).await;
    let key = extract_field(&page.body, "idempotency_key");
    let site = f.sites_a[0].to_string();
    let placed = a
        .post(
            &format!("/lots/{}/orders", f.lot),
            &[
                ("quantity", "25"),
                ("site", &site),
                ("reference", "Geheime-Referenz"),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(placed.status, 303);
    let line = stored_lines(&app, f.lot)[0].id;
    // The invited supplier submits a sealed quote with a price nobody else may see.
    let mut s = browser_for(&app, Who::Supplier).await;
    s.get(&format!("/lots/{}", f.lot)).await;
    let quote = s
        .post(
            &format!("/lots/{}/quotes", f.lot),
            &[
                ("pricing", "all_units"),
                ("tier_min", "1"),
                ("tier_price", "777,77"),
                ("lead_time_days", "10"),
                ("valid_until", "2026-12-31"),
                ("csv", ""),
            ],
        )
        .await;
    assert_eq!(quote.status, 303, "{}", quote.body);
    let receipt_path = quote.location.expect("receipt");

    let lot = f.lot;
    let draft = f.draft_lot;
    let member = f.member_a;
    let supplier = f.supplier;
    let site_id = f.sites_a[0];
    let staff_pages = [
        "/admin/members".to_string(),
        format!("/admin/members/{member}"),
        "/admin/suppliers".to_string(),
        format!("/admin/suppliers/{supplier}"),
        "/admin/users".to_string(),
        "/admin/users/1".to_string(),
        "/admin/audit".to_string(),
        "/admin/lots/new".to_string(),
        format!("/admin/lots/{draft}/edit"),
    ];

    for who in EVERYONE {
        let mut b = browser_for(&app, who).await;
        let expect = |page: &Page, ok: u16, path: &str| {
            let wanted = if who == Who::Anonymous { 303 } else { ok };
            assert_eq!(page.status, wanted, "{who:?} GET {path}");
            if who == Who::Anonymous {
                assert_eq!(
                    page.location.as_deref(),
                    Some("/login"),
                    "{who:?} GET {path}"
                );
            }
        };
        let p = b.get("/lots").await;
        expect(&p, 200, "/lots");
        let path = format!("/lots/{lot}");
        let p = b.get(&path).await;
        let open_visible = !matches!(who, Who::OtherSupplier);
        expect(&p, if open_visible { 200 } else { 404 }, &path);
        if who != Who::BuyerA {
            assert!(
                !p.body.contains("Geheime-Referenz"),
                "{who:?} saw buyer A's line"
            );
        }
        let path = format!("/lots/{draft}");
        let p = b.get(&path).await;
        expect(&p, if who == Who::Staff { 200 } else { 404 }, &path);
        let path = format!("/lots/{lot}/orders/{line}/edit");
        let p = b.get(&path).await;
        let line_status = match who {
            Who::BuyerA => 200,
            Who::BuyerB => 404,
            _ => 403,
        };
        expect(
            &p,
            if who == Who::OtherSupplier {
                403
            } else {
                line_status
            },
            &path,
        );
        for path in &staff_pages {
            let p = b.get(path).await;
            expect(&p, if who == Who::Staff { 200 } else { 403 }, path);
            if who != Who::Staff && who != Who::Anonymous {
                assert!(!p.body.contains("Geheime-Referenz"));
            }
        }
        // The sealed quote: only its supplier reads it; nobody reads it before the opening.
        let p = b.get(&receipt_path).await;
        let receipt_status = match who {
            Who::Supplier => 200,
            Who::OtherSupplier => 404,
            _ => 403,
        };
        expect(&p, receipt_status, &receipt_path);
        let p = b.get(&format!("/admin/lots/{lot}/evaluation")).await;
        expect(&p, 403, "evaluation before the opening");
        for path in [
            format!("/lots/{lot}"),
            "/lots".to_string(),
            "/admin/audit".to_string(),
            format!("/admin/audit?lot={lot}"),
            format!("/admin/lots/{lot}/audit.csv"),
        ] {
            let p = b.get(&path).await;
            assert!(
                !p.body.contains("777,77") && !p.body.contains("777.77"),
                "{who:?} read a sealed price on {path}"
            );
        }
        for path in [
            format!("/admin/lots/{lot}/allocation.csv"),
            format!("/lots/{lot}/lines.csv"),
            format!("/lots/{lot}/purchase-order.csv"),
        ] {
            let p = b.get(&path).await;
            assert!(
                matches!(p.status, 303 | 403 | 404),
                "{who:?} GET {path}: {}",
                p.status
            );
        }
        assert_eq!(b.get("/no/such/page").await.status, 404);
        let p = b.get("/lots/not-a-number").await;
        expect(&p, 404, "/lots/not-a-number");

        // Writes: staff routes, and order routes on another's line.
        let site_field = site_id.to_string();
        let writes: Vec<Write> = vec![
            (
                "/admin/members".into(),
                vec![("name", "Eindringling")],
                if who == Who::Staff { 303 } else { 403 },
            ),
            (
                format!("/admin/members/{member}/sites"),
                vec![("name", "Fremder Ort")],
                if who == Who::Staff { 303 } else { 403 },
            ),
            (
                "/admin/suppliers".into(),
                vec![("name", format!("Neu {who:?}").leak())],
                if who == Who::Staff { 303 } else { 403 },
            ),
            (
                format!("/admin/lots/{draft}/open"),
                vec![],
                if who == Who::Staff { 303 } else { 403 },
            ),
            (
                format!("/admin/lots/{lot}/opening"),
                vec![],
                if who == Who::Staff { 409 } else { 403 },
            ),
            (
                format!("/admin/lots/{lot}/award"),
                vec![("quote", "1")],
                if who == Who::Staff { 409 } else { 403 },
            ),
            (
                format!("/admin/lots/{lot}/revoke"),
                vec![("reason", "x")],
                if who == Who::Staff { 422 } else { 403 },
            ),
            (
                format!("/lots/{lot}/quotes"),
                vec![
                    ("pricing", "all_units"),
                    ("tier_min", "1"),
                    ("tier_price", "1"),
                    ("lead_time_days", "1"),
                    ("valid_until", "2026-12-31"),
                ],
                match who {
                    Who::Supplier => 303,
                    Who::OtherSupplier => 404,
                    _ => 403,
                },
            ),
            (
                format!("/lots/{lot}/orders/{line}"),
                vec![("quantity", "1"), ("site", site_field.as_str())],
                match who {
                    Who::BuyerA => 303,
                    Who::BuyerB => 404,
                    _ => 403,
                },
            ),
        ];
        for (path, fields, wanted) in writes {
            // Without the form token: refused, whoever asks.
            let without = b.post_raw(&path, &fields).await;
            assert!(
                matches!(without.status, 303 | 403),
                "{who:?} POST {path} without token: {}",
                without.status
            );
            if who != Who::Anonymous {
                assert_eq!(without.status, 403, "{who:?} POST {path} without token");
            }
            let with = b.post(&path, &fields).await;
            let wanted = if who == Who::Anonymous { 303 } else { wanted };
            assert_eq!(with.status, wanted, "{who:?} POST {path}");
        }
    }
    // Nothing the others tried reached buyer A's line except buyer A's own change.
    let lines = stored_lines(&app, f.lot);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].member_id, f.member_a);
}

#[tokio::test]
async fn session_cookies_are_http_only_and_renewed_at_login() {
    let app = spawn_app().await;
    fixture(&app);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let login = client
        .get(format!("{}/login", app.address))
        .send()
        .await
        .expect("get");
    let before = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("cookie")
        .to_string();
    assert!(
        before.contains("HttpOnly") && before.contains("SameSite=Lax"),
        "{before}"
    );
    let cookie = before.split(';').next().expect("pair").to_string();
    let body = login.text().await.expect("body");
    let token = extract_csrf(&body).expect("token");
    let answer = client
        .post(format!("{}/login", app.address))
        .header("cookie", &cookie)
        .form(&[
            ("email", "buyer-a@krz.example"),
            ("password", PASSWORD),
            ("csrf", token.as_str()),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status().as_u16(), 303);
    let after = answer
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("new cookie");
    assert_ne!(after.split(';').next(), Some(cookie.as_str()));
    // The old anonymous cookie does not carry the signed-in session.
    let old = client
        .get(format!("{}/lots", app.address))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("get");
    assert_eq!(old.status().as_u16(), 303);
}

/// A session ends after the idle time without use, not after the idle time since sign-in:
/// every page counts as a use (the lot list and the lot page look the user up with their own
/// reads, in one trip to the database).
#[tokio::test]
async fn a_session_in_use_stays_open_and_ends_when_left_idle() {
    let app = spawn_app_with(&[("SESSION_IDLE_MINUTES", "30".to_string())]).await;
    let f = fixture(&app);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let lot = format!("/lots/{}", f.lot);
    for path in ["/lots", lot.as_str(), "/lots", lot.as_str()] {
        app.clock.advance(chrono::Duration::minutes(20));
        assert_eq!(
            buyer.get(path).await.status,
            200,
            "{path} used within the idle time"
        );
    }
    app.clock.advance(chrono::Duration::minutes(31));
    assert_eq!(buyer.get(&lot).await.status, 303, "idle session still open");
}

/// However busy, a session ends after `SESSION_MAX_HOURS`: on a lot's page too, which reads
/// the session in its own query (with the lot), and which the server keeps between views
/// while nothing is written — to the second, not to the minute of its noted use.
#[tokio::test]
async fn a_session_in_use_ends_after_its_longest_time() {
    let app = spawn_app_with(&[
        ("SESSION_IDLE_MINUTES", "30".to_string()),
        ("SESSION_MAX_HOURS", "1".to_string()),
    ])
    .await;
    let f = fixture(&app);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let lot = format!("/lots/{}", f.lot);
    for _ in 0..2 {
        app.clock.advance(chrono::Duration::minutes(25));
        assert_eq!(buyer.get(&lot).await.status, 200, "used within the time");
    }
    // Half a minute before the end: the first view notes the use, the second is kept.
    app.clock.advance(chrono::Duration::seconds(9 * 60 + 30));
    for _ in 0..2 {
        assert_eq!(buyer.get(&lot).await.status, 200, "used within the time");
    }
    // 60 minutes after signing in, half a minute after the last use.
    app.clock.advance(chrono::Duration::seconds(30));
    assert_eq!(
        buyer.clone_session().get(&lot).await.status,
        303,
        "lot page open past the session's longest time"
    );
    assert_eq!(buyer.get("/lots").await.status, 303);
}
