//! A lot from open to confirmed: sealed quotes, two-person opening, award, standstill,
//! confirmation, and the exports.

use crate::helpers::*;
use sammelkauf::clock::Clock;
use sammelkauf::db::{audit, award, lots, orgs, procurement as store, quotes};
use sammelkauf::domain::account::Role;
use sammelkauf::domain::lot::LotStatus;

pub struct Cycle {
    pub lot: sammelkauf::domain::ids::LotId,
    pub suppliers: Vec<sammelkauf::domain::ids::SupplierId>,
}

/// Four members order into a fresh lot that three suppliers are invited to.
pub async fn ordered_lot(app: &TestApp) -> Cycle {
    let f = fixture(app);
    let now = chrono::Utc::now().naive_utc();
    let mut conn = app.pool.get().expect("conn");
    let mut suppliers = vec![f.supplier];
    for (name, email) in [
        ("Zweiter Lieferant AG", "sales@zwei.example"),
        ("Dritter Lieferant KG", "sales@drei.example"),
    ] {
        let id = orgs::insert_supplier(&mut conn, name, "", now).expect("supplier");
        suppliers.push(id);
        add_user(&app.pool, email, Role::Supplier, None, Some(id));
    }
    let mut more_sites = Vec::new();
    for (name, email) in [
        ("Citkomm", "buyer-c@citkomm.example"),
        ("ekom21", "buyer-d@ekom21.example"),
    ] {
        let member = orgs::insert_member(&mut conn, name, "", "", now).expect("member");
        more_sites.push(
            orgs::insert_site(&mut conn, member, "Rathaus", "Marktplatz 1", now).expect("site"),
        );
        add_user(&app.pool, email, Role::Buyer, Some(member), None);
    }
    let mut terms = lot_terms(app, "Touch-Displays", 1);
    terms.min_total_quantity = 100;
    terms.list_unit_price =
        Some(sammelkauf::domain::money::UnitPrice::parse("120").expect("price"));
    let lot = lots::insert(
        &mut conn,
        &terms,
        &suppliers,
        sammelkauf::domain::ids::UserId(1),
        now,
    )
    .expect("lot");
    lots::transition(&mut conn, lot, LotStatus::Draft, LotStatus::Open, now).expect("open");
    drop(conn);
    let orders = [
        ("buyer-a@krz.example", f.sites_a[0], "80", ""),
        ("buyer-b@itk.example", f.sites_b[0], "60", "85,00"),
        ("buyer-c@citkomm.example", more_sites[0], "50", "120"),
        ("buyer-d@ekom21.example", more_sites[1], "30", "79,99"),
    ];
    for (email, site, quantity, limit) in orders {
        let mut buyer = Browser::new(app);
        buyer.login(email).await;
        let page = buyer.get(&format!("/lots/{lot}")).await;
        let key = extract_field(&page.body, "idempotency_key");
        let site = site.to_string();
        let placed = buyer
            .post(
                &format!("/lots/{lot}/orders"),
                &[
                    ("quantity", quantity),
                    ("site", &site),
                    ("max_unit_price", limit),
                    ("idempotency_key", &key),
                ],
            )
            .await;
        assert_eq!(placed.status, 303, "{email}: {}", placed.body);
    }
    Cycle { lot, suppliers }
}

pub fn quote_fields<'a>(
    pricing: &'a str,
    rows: &[(&'a str, &'a str)],
    csv: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("pricing", pricing),
        ("csv", csv),
        ("max_quantity", ""),
        ("lead_time_days", "21"),
        ("valid_until", "2026-09-30"),
        ("comment", "Lieferung frei Haus"),
    ];
    for (min, price) in rows {
        fields.push(("tier_min", min));
        fields.push(("tier_price", price));
    }
    fields
}

#[tokio::test]
async fn a_lot_goes_from_open_to_confirmed_with_the_engines_results() {
    let app = spawn_app().await;
    let cycle = ordered_lot(&app).await;
    let lot = cycle.lot;
    let lot_path = format!("/lots/{lot}");

    // Three suppliers quote; the second revises; bad input is refused.
    let mut s1 = Browser::new(&app);
    s1.login("sales@systemhaus.example").await;
    s1.get(&lot_path).await;
    let rising = s1
        .post(
            &format!("{lot_path}/quotes"),
            &quote_fields("all_units", &[("1", "100"), ("100", "110")], ""),
        )
        .await;
    assert_eq!(rising.status, 422);
    assert!(rising.body.contains("dürfen mit der Menge nicht steigen"));
    let bad_csv = s1
        .post(
            &format!("{lot_path}/quotes"),
            &quote_fields("all_units", &[], "1;100\n100;neunzig\n"),
        )
        .await;
    assert_eq!(bad_csv.status, 422);
    assert!(bad_csv.body.contains("CSV-Zeile 2"));
    let q1 = s1
        .post(
            &format!("{lot_path}/quotes"),
            &quote_fields(
                "all_units",
                &[
                    ("1", "120,00"),
                    ("50", "100,00"),
                    ("100", "90,00"),
                    ("200", "80,00"),
                ],
                "",
            ),
        )
        .await;
    assert_eq!(q1.status, 303, "{}", q1.body);
    let receipt = s1.get(q1.location.as_deref().expect("receipt")).await;
    assert_eq!(receipt.status, 200);
    let digest = between(&receipt.body, "id=\"digest\" class=\"digest\">", "<");
    let canonical = html_unescape(&between(&receipt.body, "<pre id=\"canonical\">", "</pre>"));
    assert_eq!(
        digest,
        sammelkauf::domain::quote::sha256_hex(&canonical),
        "the digest is the SHA-256 of the shown canonical text"
    );

    let mut s2 = Browser::new(&app);
    s2.login("sales@zwei.example").await;
    s2.get(&lot_path).await;
    let first = s2
        .post(
            &format!("{lot_path}/quotes"),
            &quote_fields("graduated", &[], "min_quantity;unit_price\n1;130\n100;95\n"),
        )
        .await;
    assert_eq!(first.status, 303);
    let revised = s2
        .post(
            &format!("{lot_path}/quotes"),
            &quote_fields("graduated", &[], "1;125\n100;92\n"),
        )
        .await;
    assert_eq!(revised.status, 303);
    // Nobody but the submitting supplier reads a receipt.
    assert_eq!(
        s1.get(revised.location.as_deref().expect("loc"))
            .await
            .status,
        404
    );

    // Sealed: staff see only the count before the quote deadline, and cannot open.
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let page = staff.get(&lot_path).await;
    assert!(page.body.contains("Eingegangene Angebote: 2"));
    assert!(
        !page.body.contains("90,00 €") && !page.body.contains("92,00 €"),
        "a price leaked before the deadline"
    );
    assert_eq!(
        staff
            .get(&format!("/admin/lots/{lot}/evaluation"))
            .await
            .status,
        403
    );
    let early = staff.post(&format!("/admin/lots/{lot}/opening"), &[]).await;
    assert_eq!(early.status, 409);

    // The third supplier is too late.
    app.clock.advance(chrono::Duration::days(15));
    let mut s3 = Browser::new(&app);
    s3.login("sales@drei.example").await;
    s3.get(&lot_path).await;
    let late = s3
        .post(
            &format!("{lot_path}/quotes"),
            &quote_fields("all_units", &[("1", "50")], ""),
        )
        .await;
    assert_eq!(late.status, 409);
    assert!(late.body.contains("Angebotsfrist ist abgelaufen"));

    // Two different staff open the quotes.
    staff.get(&lot_path).await;
    assert_eq!(
        staff
            .post(&format!("/admin/lots/{lot}/opening"), &[])
            .await
            .status,
        303
    );
    staff.get(&lot_path).await;
    let alone = staff.post(&format!("/admin/lots/{lot}/opening"), &[]).await;
    assert_eq!(alone.status, 409, "the same person cannot confirm");
    let mut staff2 = Browser::new(&app);
    staff2.login("staff2@coop.example").await;
    assert_eq!(
        staff2
            .post(&format!("/admin/lots/{lot}/opening"), &[])
            .await
            .status,
        303
    );
    {
        let mut conn = app.pool.get().expect("conn");
        assert_eq!(
            lots::find(&mut conn, lot).expect("q").expect("lot").status,
            LotStatus::Evaluated
        );
        assert_eq!(
            audit::count_actions(&mut conn, "quotes.opened").expect("audit"),
            1
        );
    }

    // The evaluation ranks the quotes; staff award the top-ranked one.
    let evaluation = staff.get(&format!("/admin/lots/{lot}/evaluation")).await;
    assert_eq!(evaluation.status, 200);
    assert!(
        evaluation.body.contains("Systemhaus GmbH")
            && evaluation.body.contains("Zweiter Lieferant AG")
    );
    // Staff read the members' savings, not "your" savings.
    assert!(evaluation
        .body
        .contains("Ersparnis des Mitglieds durch Bündelung"));
    assert!(!evaluation.body.contains("Ihre Ersparnis"));
    let (top_quote, other_quote) = {
        let mut conn = app.pool.get().expect("conn");
        let latest = quotes::latest_quotes(&mut conn, lot).expect("quotes");
        let s1_quote = latest
            .iter()
            .find(|l| l.quote.supplier_id == cycle.suppliers[0])
            .expect("s1")
            .quote
            .id;
        let s2_quote = latest
            .iter()
            .find(|l| l.quote.supplier_id == cycle.suppliers[1])
            .expect("s2")
            .quote
            .id;
        (s1_quote, s2_quote)
    };
    let no_reason = staff
        .post(
            &format!("/admin/lots/{lot}/award"),
            &[("quote", &other_quote.to_string()), ("justification", "")],
        )
        .await;
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.body.contains("Begründung nötig"));
    let awarded = staff
        .post(
            &format!("/admin/lots/{lot}/award"),
            &[("quote", &top_quote.to_string()), ("justification", "")],
        )
        .await;
    assert_eq!(awarded.status, 303, "{}", awarded.body);
    let twice = staff
        .post(
            &format!("/admin/lots/{lot}/award"),
            &[("quote", &top_quote.to_string()), ("justification", "")],
        )
        .await;
    assert_eq!(twice.status, 409, "a double-clicked award awards once");

    // The stored results equal the pricing engine's result for the same lot, as JSON.
    let expected = engine_result(&app, lot);
    let stored = stored_members(&app, lot);
    assert_eq!(stored, expected);
    assert!(!stored.is_empty());

    // During the standstill: revoke, then award again (another quote, with justification).
    let page = staff.get(&lot_path).await;
    assert!(page.body.contains("Der Zuschlag ging an Systemhaus GmbH"));
    let revoked = staff
        .post(
            &format!("/admin/lots/{lot}/revoke"),
            &[("reason", "Rechenfehler in der Bewertung")],
        )
        .await;
    assert_eq!(revoked.status, 303);
    staff.get(&format!("/admin/lots/{lot}/evaluation")).await;
    let again = staff
        .post(
            &format!("/admin/lots/{lot}/award"),
            &[("quote", &top_quote.to_string()), ("justification", "")],
        )
        .await;
    assert_eq!(again.status, 303);

    // The losing bidder learns the winner and the earliest conclusion date.
    let page = s2.get(&lot_path).await;
    assert!(
        page.body.contains("Der Zuschlag ging an Systemhaus GmbH"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Frühester Vertragsschluss"));

    // The standstill ends; the server confirms the lot by itself, exactly once.
    app.clock.advance(chrono::Duration::days(12));
    let (pool, clock, mail) = (app.pool.clone(), app.clock.clone(), app.mail.clone());
    let (_, confirmed) =
        tokio::task::spawn_blocking(move || sammelkauf::jobs::run_due_work(&pool, &clock, &mail))
            .await
            .expect("task")
            .expect("jobs");
    assert_eq!(confirmed, 1);

    // The buyer sees final prices and savings, and downloads its lines.
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let page = buyer.get(&lot_path).await;
    assert!(page.body.contains("Endgültige Preise"));
    assert!(page.body.contains("Ihre Ersparnis durch Bündelung"));
    // Ordered beside bought: ITK's and ekom21's lines were over their limits (85,00 and
    // 79,99 € against 90,00 €), so 220 ordered units became 130 bought.
    let row = |who: &str, ordered: u64, bought: u64| {
        format!(
            "<th scope=\"row\">{who}</th><td class=\"num\">{ordered} Stück</td><td class=\"num\">{bought} Stück</td><td class=\"num\">{} Stück</td>",
            ordered - bought
        )
    };
    assert!(
        page.body.contains(&row("Alle Mitglieder", 220, 130)),
        "{}",
        page.body
    );
    assert!(page.body.contains(&row("Ihre Organisation", 80, 80)));
    assert!(page.body.contains("id=\"dropped-note\""));
    let mut dropped = Browser::new(&app);
    dropped.login("buyer-b@itk.example").await;
    let page_b = dropped.get(&lot_path).await;
    assert!(
        page_b.body.contains(&row("Ihre Organisation", 60, 0)),
        "{}",
        page_b.body
    );
    assert!(page_b.body.contains("über Ihrer Preisobergrenze"));
    let csv = buyer
        .client
        .get(format!("{}{lot_path}/lines.csv", app.address))
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status().as_u16(), 200);
    let text = csv.text().await.expect("body");
    assert!(text.starts_with('\u{feff}'));
    assert!(text.contains("KRZ Lippe;Gesamtschule Lemgo"), "{text}");
    assert!(
        !text.contains("ITK Rheinland"),
        "another member's line in the CSV"
    );
    assert!(text.contains(";80;"));

    // The winner gets the purchase order; the loser does not.
    let po = s1
        .client
        .get(format!("{}{lot_path}/purchase-order.csv", app.address))
        .send()
        .await
        .expect("po");
    assert_eq!(po.status().as_u16(), 200);
    let po = po.text().await.expect("body");
    assert!(po.contains("Citkomm;Rathaus;Marktplatz 1"));
    let denied = s2
        .client
        .get(format!("{}{lot_path}/purchase-order.csv", app.address))
        .send()
        .await
        .expect("po");
    assert_eq!(denied.status().as_u16(), 404);
    let allocation = staff
        .client
        .get(format!("{}/admin/lots/{lot}/allocation.csv", app.address))
        .send()
        .await
        .expect("alloc");
    assert_eq!(allocation.status().as_u16(), 200);
    let log = staff
        .client
        .get(format!("{}/admin/lots/{lot}/audit.csv", app.address))
        .send()
        .await
        .expect("audit");
    let log = log.text().await.expect("body");
    for action in [
        "quote.submitted",
        "quotes.opening_requested",
        "quotes.opened",
        "lot.awarded",
        "award.revoked",
        "lot.confirmed",
    ] {
        assert!(
            log.contains(action),
            "{action} missing from the audit export"
        );
    }
    assert!(!log.contains("90,00"), "the audit log names no prices");
}

fn between(body: &str, start: &str, end: &str) -> String {
    let from = body.find(start).map(|i| i + start.len()).expect("marker");
    body[from..]
        .split(end)
        .next()
        .unwrap_or_default()
        .to_string()
}

fn html_unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// What `sammelkauf price` says for the lot, built from the stored lines and latest quotes.
fn engine_result(app: &TestApp, lot: sammelkauf::domain::ids::LotId) -> Vec<serde_json::Value> {
    let mut conn = app.pool.get().expect("conn");
    let row = lots::find(&mut conn, lot).expect("q").expect("lot");
    let built = sammelkauf::app::scenario::lot_scenario(&mut conn, &row, None).expect("scenario");
    let scenario = built.scenario;
    let json = serde_json::json!({
        "lot": {
            "min_total_quantity": scenario.terms().min_total_quantity,
            "order_increment": scenario.terms().order_increment,
            "vat_rate": rust_decimal::Decimal::new(scenario.terms().vat_rate.ten_thousandths(), 4).to_string(),
            "list_unit_price": scenario.terms().list_unit_price.map(|p| p.to_string()),
        },
        "quotes": scenario.quotes().iter().map(|q| serde_json::json!({
            "supplier": q.supplier,
            "submitted_at": q.submitted_at.to_rfc3339(),
            "pricing": q.pricing.as_str(),
            "max_quantity": q.max_quantity,
            "tiers": q.tiers.tiers().iter().map(|t| serde_json::json!({"min_quantity": t.min_quantity, "unit_price": t.unit_price.to_string()})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "orders": scenario.orders().iter().map(|o| serde_json::json!({
            "id": o.id, "member": o.member, "quantity": o.quantity,
            "max_unit_price": o.max_unit_price.map(|p| p.to_string()),
            "placed_at": o.placed_at.to_rfc3339(),
        })).collect::<Vec<_>>(),
    });
    let out = sammelkauf::scenario::price_scenario(&json.to_string()).expect("valid scenario");
    let result: serde_json::Value = serde_json::from_str(&out).expect("json");
    result["members"].as_array().cloned().unwrap_or_default()
}

/// The stored member results in the same JSON form.
fn stored_members(app: &TestApp, lot: sammelkauf::domain::ids::LotId) -> Vec<serde_json::Value> {
    let mut conn = app.pool.get().expect("conn");
    award::result_members(&mut conn, lot)
        .expect("members")
        .into_iter()
        .map(|t| {
            let (m, name) = (t.result, t.member);
            serde_json::json!({
                "member": name,
                "quantity": m.quantity,
                "net": m.net.to_string(),
                "vat": m.vat.to_string(),
                "gross": m.gross.to_string(),
                "saving_vs_list": m.saving_vs_list.map(|s| s.to_string()),
                "saving_vs_alone": m.saving_vs_alone.map(|s| s.to_string()),
            })
        })
        .collect()
}

#[tokio::test]
async fn two_workers_confirm_a_lot_exactly_once() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let now = app.clock.now();
    {
        let mut conn = app.pool.get().expect("conn");
        let n = now.naive_utc();
        lots::transition(&mut conn, f.lot, LotStatus::Open, LotStatus::Awarded, n)
            .expect("awarded");
        store::procedure(&mut conn, f.lot).expect("procedure");
        let past = n - chrono::Duration::hours(1);
        diesel::RunQueryDsl::execute(
            diesel::update(sammelkauf::db::schema::lot_procedure::table).set(
                diesel::ExpressionMethods::eq(
                    sammelkauf::db::schema::lot_procedure::standstill_ends_at,
                    Some(past),
                ),
            ),
            &mut conn,
        )
        .expect("standstill");
    }
    // Two workers, each with its own connection, race for the same lot.
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let pool = app.pool.clone();
            let barrier = barrier.clone();
            let mail = app.mail.clone();
            std::thread::spawn(move || {
                let mut conn = pool.get().expect("conn");
                barrier.wait();
                sammelkauf::app::closing::confirm_due_lots(
                    &mut conn,
                    &sammelkauf::app::Ctx { now, mail },
                )
                .expect("confirm")
            })
        })
        .collect();
    let total: usize = handles.into_iter().map(|h| h.join().expect("thread")).sum();
    assert_eq!(total, 1);
    let mut conn = app.pool.get().expect("conn");
    assert_eq!(
        audit::count_actions(&mut conn, "lot.confirmed").expect("audit"),
        1
    );
    assert_eq!(
        lots::find(&mut conn, f.lot)
            .expect("q")
            .expect("lot")
            .status,
        LotStatus::Confirmed
    );
}

#[tokio::test]
async fn a_supplier_uploads_its_tiers_as_a_csv_file() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut s = Browser::new(&app);
    s.login("sales@systemhaus.example").await;
    s.get(&format!("/lots/{}", f.lot)).await;
    let url = format!("{}/lots/{}/quotes", app.address, f.lot);
    let form = |csv: &str, token: &str| {
        reqwest::multipart::Form::new()
            .text("csrf", token.to_string())
            .text("pricing", "graduated")
            .text("csv", "")
            .text("lead_time_days", "10")
            .text("valid_until", "2026-12-31")
            .part(
                "csv_file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                    .file_name("staffel.csv")
                    .mime_str("text/csv")
                    .expect("mime"),
            )
    };
    let token = s.csrf.clone();
    let bad = s
        .client
        .post(&url)
        .multipart(form(
            "min_quantity;unit_price\n1;100,00\n50;neunzig\n",
            &token,
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(bad.status().as_u16(), 422);
    assert!(bad.text().await.expect("body").contains("CSV-Zeile 3"));
    // A spreadsheet's Latin-1 export: the header's umlaut is no UTF-8, the numbers are fine.
    let latin1 = reqwest::multipart::Form::new()
        .text("csrf", token.clone())
        .text("pricing", "all_units")
        .text("lead_time_days", "10")
        .text("valid_until", "2026-12-31")
        .part(
            "csv_file",
            reqwest::multipart::Part::bytes(b"Mindestmenge;St\xfcckpreis\r\n1;99,00\r\n".to_vec())
                .file_name("export.csv"),
        );
    let answer = s
        .client
        .post(&url)
        .multipart(latin1)
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status().as_u16(), 303);
    let forged = s
        .client
        .post(&url)
        .multipart(form("1;100\n", "falsch"))
        .send()
        .await
        .expect("post");
    assert_eq!(forged.status().as_u16(), 403);
    let ok = s
        .client
        .post(&url)
        .multipart(form(
            "min_quantity;unit_price\n1;100,00\n50;90,00\n",
            &token,
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(ok.status().as_u16(), 303);
    let receipt = ok
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("receipt")
        .to_string();
    let page = s.get(&receipt).await;
    assert!(
        page.body.contains("90,00 €") && page.body.contains("100,00 €"),
        "{}",
        page.body
    );
}
