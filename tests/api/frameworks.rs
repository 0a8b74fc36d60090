//! A framework agreement's life: award and confirmation as for a one-off lot, then call-offs
//! priced on the cooperative's cumulative quantity, credits when a tier is crossed, refusals
//! over the maximum and after the term, emails over real SMTP, exports equal to the CLI's
//! result, and call-offs racing each other.

use crate::helpers::*;
use crate::mail::{app_with_sink, deliver, text_of, to};
use crate::procurement::quote_fields;
use sammelkauf::db::{frameworks, lots, outbox, quotes};
use sammelkauf::domain::account::Role;
use sammelkauf::domain::lot::{FrameworkTerms, LotStatus};
use std::process::{Command, Stdio};

pub struct Confirmed {
    pub lot: sammelkauf::domain::ids::LotId,
    pub f: Fixture,
}

pub async fn run_jobs(app: &TestApp) {
    let (pool, clock, mail) = (app.pool.clone(), app.clock.clone(), app.mail.clone());
    tokio::task::spawn_blocking(move || sammelkauf::jobs::run_due_work(&pool, &clock, &mail))
        .await
        .expect("join")
        .expect("jobs");
}

/// A confirmed framework: A ordered 80 and B 60 (140 at 100,00 €, all-units tiers 100,00 €
/// from 1, 90,00 € from 200, 80,00 € from 300), 12 months, at most 400 units, a list price
/// of 120,00 €.
pub async fn confirmed_framework(app: &TestApp) -> Confirmed {
    confirmed_framework_listed(app, Some("120")).await
}

/// The same framework with the list price given (or none).
pub async fn confirmed_framework_listed(app: &TestApp, list_price: Option<&str>) -> Confirmed {
    let f = fixture(app);
    let lot = {
        let now = chrono::Utc::now().naive_utc();
        let mut conn = app.pool.get().expect("conn");
        let mut terms = lot_terms(app, "Rahmenvertrag Notebooks", 1);
        terms.min_total_quantity = 100;
        terms.list_unit_price =
            list_price.map(|p| sammelkauf::domain::money::UnitPrice::parse(p).expect("p"));
        terms.framework = Some(FrameworkTerms {
            term_months: 12,
            max_quantity: 400,
        });
        let lot = lots::insert(
            &mut conn,
            &terms,
            &[f.supplier],
            sammelkauf::domain::ids::UserId(1),
            now,
        )
        .expect("lot");
        lots::transition(&mut conn, lot, LotStatus::Draft, LotStatus::Open, now).expect("open");
        lot
    };
    let lot_path = format!("/lots/{lot}");
    for (email, site, quantity) in [
        ("buyer-a@krz.example", f.sites_a[0], "80"),
        ("buyer-b@itk.example", f.sites_b[0], "60"),
    ] {
        let mut buyer = Browser::new(app);
        buyer.login(email).await;
        let page = buyer.get(&lot_path).await;
        let key = extract_field(&page.body, "idempotency_key");
        let site = site.to_string();
        let placed = buyer
            .post(
                &format!("{lot_path}/orders"),
                &[
                    ("quantity", quantity),
                    ("site", &site),
                    ("max_unit_price", ""),
                    ("idempotency_key", &key),
                ],
            )
            .await;
        assert_eq!(placed.status, 303, "{}", placed.body);
    }
    let mut supplier = Browser::new(app);
    supplier.login("sales@systemhaus.example").await;
    supplier.get(&lot_path).await;
    let quoted = supplier
        .post(
            &format!("{lot_path}/quotes"),
            &quote_fields(
                "all_units",
                &[("1", "100,00"), ("200", "90,00"), ("300", "80,00")],
                "",
            ),
        )
        .await;
    assert_eq!(quoted.status, 303, "{}", quoted.body);
    app.clock.advance(chrono::Duration::days(15));
    run_jobs(app).await;
    let mut staff = Browser::new(app);
    staff.login("staff@coop.example").await;
    staff.get(&lot_path).await;
    assert_eq!(
        staff
            .post(&format!("/admin/lots/{lot}/opening"), &[])
            .await
            .status,
        303
    );
    let mut staff2 = Browser::new(app);
    staff2.login("staff2@coop.example").await;
    staff2.get(&lot_path).await;
    assert_eq!(
        staff2
            .post(&format!("/admin/lots/{lot}/opening"), &[])
            .await
            .status,
        303
    );
    staff.get(&format!("/admin/lots/{lot}/evaluation")).await;
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
    app.clock.advance(chrono::Duration::days(12));
    run_jobs(app).await;
    let mut conn = app.pool.get().expect("conn");
    assert_eq!(
        lots::find(&mut conn, lot).expect("q").expect("lot").status,
        LotStatus::Confirmed
    );
    Confirmed { lot, f }
}

/// Previews and confirms a call-off as `buyer`; answers the confirm's status and the preview.
pub async fn call_off(
    buyer: &mut Browser,
    lot: sammelkauf::domain::ids::LotId,
    site: sammelkauf::domain::ids::SiteId,
    quantity: &str,
) -> (u16, Page) {
    let page = buyer.get(&format!("/lots/{lot}")).await;
    // A framework that does not run shows no form: a client posting anyway is refused.
    let key = if page.body.contains("name=\"idempotency_key\"") {
        extract_field(&page.body, "idempotency_key")
    } else {
        format!("no-form-{quantity}-{site}")
    };
    let site = site.to_string();
    let fields = [
        ("site", site.as_str()),
        ("quantity", quantity),
        ("reference", "Abruf Schule"),
        ("idempotency_key", key.as_str()),
    ];
    let preview = buyer
        .post(&format!("/lots/{lot}/calloffs/preview"), &fields)
        .await;
    if preview.status != 200 {
        return (preview.status, preview);
    }
    let confirmed = buyer.post(&format!("/lots/{lot}/calloffs"), &fields).await;
    (confirmed.status, preview)
}

pub fn cli(scenario: &str) -> serde_json::Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sammelkauf"))
        .args(["calloffs", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cli");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(scenario.as_bytes())
            .expect("write");
    }
    let out = child.wait_with_output().expect("wait");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn csv_amount(field: &str) -> String {
    field.replace(',', ".")
}

/// The stored call-offs and credits, as staff download them, equal what the CLI gives for
/// the framework's scenario (also downloaded by staff).
async fn assert_exports_equal_the_cli(
    app: &TestApp,
    staff: &mut Browser,
    lot: sammelkauf::domain::ids::LotId,
) -> serde_json::Value {
    let scenario = staff
        .get(&format!("/admin/lots/{lot}/framework.json"))
        .await;
    assert_eq!(scenario.status, 200);
    let result = cli(&scenario.body);
    let csv = staff.get(&format!("/lots/{lot}/calloffs.csv")).await;
    assert_eq!(csv.status, 200);
    let rows = csv_rows(&csv.body);
    let calloffs: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "Abruf").collect();
    let cli_calloffs = result["calloffs"].as_array().expect("calloffs");
    assert_eq!(calloffs.len(), cli_calloffs.len());
    for (row, c) in calloffs.iter().zip(cli_calloffs) {
        assert_eq!(c["status"], "accepted");
        assert_eq!(row[1], c["id"].as_str().expect("id"));
        assert_eq!(csv_amount(&row[8]), c["net"].as_str().expect("net"));
        assert_eq!(csv_amount(&row[9]), c["vat"].as_str().expect("vat"));
        assert_eq!(csv_amount(&row[10]), c["gross"].as_str().expect("gross"));
        assert_eq!(row[11], c["cumulative_quantity"].to_string());
    }
    let credits: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "Gutschrift").collect();
    let cli_credits: Vec<(String, String, String)> = cli_calloffs
        .iter()
        .flat_map(|c| {
            c["credits"]
                .as_array()
                .expect("credits")
                .iter()
                .map(move |cr| {
                    (
                        c["id"].as_str().expect("id").to_string(),
                        cr["net"].as_str().expect("n").to_string(),
                        cr["gross"].as_str().expect("g").to_string(),
                    )
                })
        })
        .collect();
    let mut stored: Vec<(String, String, String)> = credits
        .iter()
        .map(|r| (r[1].clone(), csv_amount(&r[8]), csv_amount(&r[10])))
        .collect();
    let mut expected = cli_credits;
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected, "credits");
    // The members' positions kept for the pages equal the CLI's statements.
    let mut conn = app.pool.get().expect("conn");
    let positions = frameworks::positions(&mut conn, lot).expect("positions");
    for m in result["members"].as_array().expect("members") {
        let id: sammelkauf::domain::ids::MemberId =
            m["member"].as_str().expect("member").parse().expect("id");
        if let Some(p) = positions
            .iter()
            .find(|p| p.member_id == id)
            .map(|p| &p.position)
        {
            assert_eq!(p.net.to_string(), m["net"].as_str().expect("net"));
            assert_eq!(p.quantity, m["quantity"].as_u64().expect("q"));
        } else {
            assert!(positions.is_empty(), "member {id} has no kept position");
        }
    }
    result
}

#[tokio::test]
async fn a_framework_runs_with_call_offs_credits_refusals_and_statements() {
    let (app, sink) = app_with_sink().await;
    let Confirmed { lot, f } = confirmed_framework(&app).await;
    let lot_path = format!("/lots/{lot}");
    let mut a = Browser::new(&app);
    a.login("buyer-a@krz.example").await;
    let page = a.get(&lot_path).await;
    assert!(
        page.body.contains("id=\"framework-cumulative\">140 Stück"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"framework-price\">100,00 €"));
    assert!(page.body.contains("id=\"framework-left\">260 Stück"));
    assert!(page.body.contains("90,00 € ab 200 Stück"));

    // A calls off 70: the cooperative reaches 210 and the 90,00 € tier; the preview shows
    // the credits before anything is stored.
    let (status, preview) = call_off(&mut a, lot, f.sites_a[1], "70").await;
    assert_eq!(status, 303, "{}", preview.body);
    assert!(
        preview.body.contains("id=\"preview-net\">6.300,00 €"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("KRZ Lippe") && preview.body.contains("800,00 €"));
    assert!(preview.body.contains("ITK Rheinland") && preview.body.contains("600,00 €"));
    // The same form again stores nothing twice.
    let page = a.get(&lot_path).await;
    assert!(
        page.body.contains("id=\"framework-cumulative\">210 Stück"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"framework-price\">90,00 €"));
    {
        let mut conn = app.pool.get().expect("conn");
        let rows = frameworks::all_of(&mut conn, lot).expect("calloffs");
        assert_eq!(rows.len(), 1);
        let key = rows[0].idempotency_key.clone();
        drop(conn);
        let site = f.sites_a[1].to_string();
        let again = a
            .post(
                &format!("{lot_path}/calloffs"),
                &[
                    ("site", site.as_str()),
                    ("quantity", "70"),
                    ("reference", ""),
                    ("idempotency_key", key.as_str()),
                ],
            )
            .await;
        assert_eq!(again.status, 303);
        let mut conn = app.pool.get().expect("conn");
        assert_eq!(
            frameworks::all_of(&mut conn, lot).expect("calloffs").len(),
            1,
            "replayed"
        );
    }

    // B would pass the maximum (210 + 200 > 400): refused, nothing stored.
    let mut b = Browser::new(&app);
    b.login("buyer-b@itk.example").await;
    let (status, refused) = call_off(&mut b, lot, f.sites_b[0], "200").await;
    assert_eq!(status, 409);
    assert!(refused.body.contains("Höchstmenge"), "{}", refused.body);
    // Another member's site is refused too.
    let (status, _) = call_off(&mut b, lot, f.sites_a[0], "10").await;
    assert_eq!(status, 422);
    let (status, _) = call_off(&mut b, lot, f.sites_b[0], "90").await;
    assert_eq!(status, 303, "B calls off 90: 300 units, the 80,00 € tier");

    // Emails over SMTP: the confirmation, the supplier's order with CSV, the credit notes.
    deliver(&app).await;
    let to_a = to(&sink, "buyer-a@krz.example");
    let subjects: Vec<String> = to_a.iter().map(|m| text_of(m).0).collect();
    assert!(
        subjects.iter().any(|s| s.starts_with("Abruf bestätigt")),
        "{subjects:?}"
    );
    let credit_notes: Vec<String> = to_a
        .iter()
        .map(text_of)
        .filter(|(s, _, _)| s.starts_with("Gutschrift"))
        .map(|(_, text, _)| text)
        .collect();
    // First crossing: 80 × 10,00 € = 800,00 € net, 952,00 € gross. Second: 150 units × 10,00 €.
    assert_eq!(credit_notes.len(), 2, "{subjects:?}");
    assert!(
        credit_notes.iter().any(|t| t.contains("952,00 €")),
        "{credit_notes:?}"
    );
    assert!(
        credit_notes.iter().any(|t| t.contains("1.785,00 €")),
        "{credit_notes:?}"
    );
    let to_supplier = to(&sink, "sales@systemhaus.example");
    let order = to_supplier
        .iter()
        .find(|m| text_of(m).0.starts_with("Abruf aus der Rahmenvereinbarung"))
        .expect("the supplier's call-off order");
    assert!(
        String::from_utf8_lossy(&order.data).contains("abruf-CO-"),
        "CSV attached"
    );
    assert!(to_supplier
        .iter()
        .any(|m| text_of(m).0.starts_with("Gutschriften")));

    // Exports equal the CLI's result for the stored call-offs.
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let result = assert_exports_equal_the_cli(&app, &mut staff, lot).await;
    assert_eq!(result["framework"]["cumulative_quantity"], 300);
    assert_eq!(result["framework"]["current_unit_price"], "80.0000");
    // A member's CSV holds only its own call-offs and credits.
    let own = b.get(&format!("{lot_path}/calloffs.csv")).await;
    assert!(
        own.body.contains("ITK Rheinland") && !own.body.contains("KRZ Lippe"),
        "{}",
        own.body
    );
    // Another supplier reads nothing.
    let mut other = Browser::new(&app);
    other.login("sales@andere.example").await;
    assert_eq!(
        other.get(&format!("{lot_path}/calloffs.csv")).await.status,
        404
    );
    assert_eq!(
        other
            .get(&format!("/admin/lots/{lot}/framework.json"))
            .await
            .status,
        403
    );

    // After the term: refused; then the server closes it once and sends the statements.
    app.clock.advance(chrono::Duration::days(370));
    // A year later the session has long ended: sign in again.
    let mut a = Browser::new(&app);
    a.login("buyer-a@krz.example").await;
    let (status, late) = call_off(&mut a, lot, f.sites_a[0], "10").await;
    assert_eq!(status, 409, "{}", late.body);
    assert!(
        late.body.contains("außerhalb der Laufzeit"),
        "{}",
        late.body
    );
    run_jobs(&app).await;
    run_jobs(&app).await;
    let statements = {
        let mut conn = app.pool.get().expect("conn");
        outbox::list(&mut conn, None, 1000)
            .expect("outbox")
            .into_iter()
            .filter(|r| r.kind == "framework-statement")
            .count()
    };
    assert_eq!(statements, 2, "one statement per member's buyer, once");
    let page = a.get(&lot_path).await;
    assert!(page.body.contains("id=\"framework-ended\""));
    assert!(
        !page.body.contains("calloffs/preview"),
        "no call-off form after the end"
    );
}

#[tokio::test]
async fn staff_end_a_framework_early_with_a_reason_and_call_offs_stop() {
    let app = spawn_app().await;
    let Confirmed { lot, f } = confirmed_framework(&app).await;
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    staff.get(&format!("/lots/{lot}")).await;
    let empty = staff
        .post(
            &format!("/admin/lots/{lot}/framework/end"),
            &[("reason", " ")],
        )
        .await;
    assert_eq!(empty.status, 400);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    buyer.get(&format!("/lots/{lot}")).await;
    assert_eq!(
        buyer
            .post(
                &format!("/admin/lots/{lot}/framework/end"),
                &[("reason", "x")]
            )
            .await
            .status,
        403
    );
    let ended = staff
        .post(
            &format!("/admin/lots/{lot}/framework/end"),
            &[("reason", "Lieferant insolvent")],
        )
        .await;
    assert_eq!(ended.status, 303);
    let (status, page) = call_off(&mut buyer, lot, f.sites_a[0], "10").await;
    assert_eq!(status, 409, "{}", page.body);
    let page = buyer.get(&format!("/lots/{lot}")).await;
    assert!(page.body.contains("Lieferant insolvent"));
}

/// Every browser confirms a call-off of `quantity` at the same instant (a barrier).
async fn call_off_at_once(
    browsers: Vec<(Browser, String, sammelkauf::domain::ids::SiteId)>,
    lot: sammelkauf::domain::ids::LotId,
    quantity: &'static str,
) -> Vec<Page> {
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(browsers.len()));
    let tasks: Vec<_> = browsers
        .into_iter()
        .map(|(mut b, key, site)| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let site = site.to_string();
                barrier.wait().await;
                b.post(
                    &format!("/lots/{lot}/calloffs"),
                    &[
                        ("site", site.as_str()),
                        ("quantity", quantity),
                        ("reference", ""),
                        ("idempotency_key", key.as_str()),
                    ],
                )
                .await
            })
        })
        .collect();
    let mut pages = Vec::new();
    for t in tasks {
        pages.push(t.await.expect("task"));
    }
    pages
}

#[tokio::test]
async fn racing_call_offs_are_priced_in_one_order_and_match_the_cli() {
    let app = spawn_app().await;
    let Confirmed { lot, f } = confirmed_framework(&app).await;
    // Four more buyers of A and B call off at the same instant.
    let mut browsers = Vec::new();
    for (i, member) in [f.member_a, f.member_b, f.member_a, f.member_b]
        .iter()
        .enumerate()
    {
        let email = format!("racer{i}@coop.example");
        add_user(&app.pool, &email, Role::Buyer, Some(*member), None);
        let mut b = Browser::new(&app);
        b.login(&email).await;
        let page = b.get(&format!("/lots/{lot}")).await;
        let key = extract_field(&page.body, "idempotency_key");
        let site = if *member == f.member_a {
            f.sites_a[0]
        } else {
            f.sites_b[0]
        };
        browsers.push((b, key, site));
    }
    for page in call_off_at_once(browsers, lot, "30").await {
        assert_eq!(page.status, 303, "{}", page.body);
    }
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let result = assert_exports_equal_the_cli(&app, &mut staff, lot).await;
    assert_eq!(result["framework"]["cumulative_quantity"], 260);
    let cumulative: Vec<u64> = result["calloffs"]
        .as_array()
        .expect("calloffs")
        .iter()
        .map(|c| c["cumulative_quantity"].as_u64().expect("q"))
        .collect();
    assert_eq!(
        cumulative,
        vec![170, 200, 230, 260],
        "one after another, none lost"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn call_offs_through_two_server_processes_are_priced_in_one_order() {
    let app = spawn_app().await;
    let Confirmed { lot, f } = confirmed_framework(&app).await;
    let second = second_server(&app).await;
    // Eight buyers, half on each process, call off 20 each at the same instant.
    let mut browsers = Vec::new();
    for i in 0..8 {
        let member = if i % 2 == 0 { f.member_a } else { f.member_b };
        let email = format!("prozess{i}@coop.example");
        add_user(&app.pool, &email, Role::Buyer, Some(member), None);
        let mut b = if i < 4 {
            Browser::new(&app)
        } else {
            Browser::at(&second.address)
        };
        b.login(&email).await;
        let page = b.get(&format!("/lots/{lot}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let key = extract_field(&page.body, "idempotency_key");
        let site = if member == f.member_a {
            f.sites_a[0]
        } else {
            f.sites_b[0]
        };
        browsers.push((b, key, site));
    }
    for page in call_off_at_once(browsers, lot, "20").await {
        assert_eq!(page.status, 303, "{}", page.body);
    }
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let result = assert_exports_equal_the_cli(&app, &mut staff, lot).await;
    // 140 + 8 × 20 = 300: the call-off that reached 200 and the one that reached 300 credited.
    assert_eq!(result["framework"]["cumulative_quantity"], 300);
    let crossings = result["calloffs"]
        .as_array()
        .expect("calloffs")
        .iter()
        .filter(|c| !c["credits"].as_array().expect("credits").is_empty())
        .count();
    assert_eq!(crossings, 2);
}

#[tokio::test]
async fn hostile_call_offs_get_a_clear_answer_and_change_nothing() {
    let app = spawn_app().await;
    let Confirmed { lot, f } = confirmed_framework(&app).await;
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let page = buyer.get(&format!("/lots/{lot}")).await;
    let key = extract_field(&page.body, "idempotency_key");
    let site = f.sites_a[0].to_string();
    let other_site = f.sites_b[0].to_string();
    let long = "x".repeat(100_000);
    let cases: Vec<(&str, &str, &str, u16)> = vec![
        ("99999999999999999999999", site.as_str(), "", 422),
        ("-5", site.as_str(), "", 422),
        ("0", site.as_str(), "", 422),
        ("1e3", site.as_str(), "", 422),
        ("10", other_site.as_str(), "", 422),
        ("10", "9223372036854775807", "", 422),
        ("10", site.as_str(), long.as_str(), 422),
        ("10", site.as_str(), "Schule\u{0}", 422),
        ("1000000", site.as_str(), "", 409),
    ];
    for (quantity, site, reference, status) in cases {
        for route in ["calloffs/preview", "calloffs"] {
            let answer = buyer
                .post(
                    &format!("/lots/{lot}/{route}"),
                    &[
                        ("site", site),
                        ("quantity", quantity),
                        ("reference", reference),
                        ("idempotency_key", &key),
                    ],
                )
                .await;
            assert_eq!(
                answer.status,
                status,
                "{route} {quantity} {site}: {}",
                answer.body.chars().take(300).collect::<String>()
            );
        }
    }
    // A supplier or staff cannot call off; nothing was stored by anyone.
    let mut supplier = Browser::new(&app);
    supplier.login("sales@systemhaus.example").await;
    supplier.get(&format!("/lots/{lot}")).await;
    let denied = supplier
        .post(
            &format!("/lots/{lot}/calloffs"),
            &[
                ("site", site.as_str()),
                ("quantity", "10"),
                ("idempotency_key", "k"),
            ],
        )
        .await;
    assert_eq!(denied.status, 403);
    let mut conn = app.pool.get().expect("conn");
    assert!(frameworks::all_of(&mut conn, lot)
        .expect("calloffs")
        .is_empty());
}

async fn upload_calloffs(
    buyer: &mut Browser,
    lot: sammelkauf::domain::ids::LotId,
    csv: &str,
) -> Page {
    buyer.get(&format!("/lots/{lot}")).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf", buyer.csrf.clone())
        .text("csv_text", csv.to_string());
    let answer = buyer
        .client
        .post(format!("{}/lots/{lot}/calloffs/upload", buyer.base))
        .multipart(form)
        .send()
        .await
        .expect("post");
    let status = answer.status().as_u16();
    Page {
        status,
        location: None,
        body: answer.text().await.expect("body"),
    }
}

#[tokio::test]
async fn call_offs_from_a_file_are_priced_in_its_order_stored_together_and_once() {
    let app = spawn_app().await;
    let Confirmed { lot, f: _ } = confirmed_framework(&app).await;
    let mut a = Browser::new(&app);
    a.login("buyer-a@krz.example").await;
    // Past the maximum on its third line (140 + 30 + 40 + 300 > 400): refused, line named.
    let over = upload_calloffs(
        &mut a,
        lot,
        "Lieferort;Menge\nGesamtschule Lemgo;30\nKreishaus Detmold;40\nGesamtschule Lemgo;300\n",
    )
    .await;
    assert_eq!(over.status, 409, "{}", over.body);
    assert!(over.body.contains("Zeile 4: ") && over.body.contains("Höchstmenge"));
    let csv = "Lieferort;Menge;Referenz\nGesamtschule Lemgo;30;A\nKreishaus Detmold;40;B\nGesamtschule Lemgo;10;C\n";
    let preview = upload_calloffs(&mut a, lot, csv).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    // 170 at 100,00 €; 210 crosses to 90,00 € with credits; 220 at 90,00 €.
    let table = preview
        .body
        .split("id=\"calloff-upload\"")
        .nth(1)
        .expect("table");
    assert!(table.contains("100,00 €") && table.contains("90,00 €"));
    {
        let mut conn = app.pool.get().expect("conn");
        assert!(
            frameworks::all_of(&mut conn, lot)
                .expect("calloffs")
                .is_empty(),
            "a preview stores nothing"
        );
    }
    let text = {
        let marker = "name=\"csv\" value=\"";
        let start = preview.body.find(marker).expect("confirm form") + marker.len();
        preview.body[start..]
            .split('"')
            .next()
            .expect("csv")
            .replace("&#10;", "\n")
    };
    for expected in ["calloffs_uploaded", "upload_already"] {
        let stored = a
            .post(
                &format!("/lots/{lot}/calloffs/upload/confirm"),
                &[("csv", &text)],
            )
            .await;
        assert_eq!(stored.status, 303, "{}", stored.body);
        assert!(stored
            .location
            .as_deref()
            .unwrap_or_default()
            .contains(expected));
    }
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let result = assert_exports_equal_the_cli(&app, &mut staff, lot).await;
    let cumulative: Vec<u64> = result["calloffs"]
        .as_array()
        .expect("calloffs")
        .iter()
        .map(|c| c["cumulative_quantity"].as_u64().expect("q"))
        .collect();
    assert_eq!(cumulative, vec![170, 210, 220], "in the file's order, once");
}

/// The server keeps a buyer's page of a framework lot while nothing is written, but never
/// past the end of the term: at the end's second the call-off form goes although nobody
/// wrote anything.
#[tokio::test]
async fn the_call_off_form_goes_at_the_end_of_the_term_although_nothing_was_written() {
    let app = spawn_app().await;
    let Confirmed { lot, .. } = confirmed_framework(&app).await;
    let end = {
        let mut conn = app.pool.get().expect("conn");
        let procedure = sammelkauf::db::procurement::find_procedure(&mut conn, lot)
            .expect("query")
            .expect("procedure");
        let confirmed_at = procedure.confirmed_at.expect("confirmed").and_utc();
        sammelkauf::app::frameworks::term_end(confirmed_at, 12)
    };
    let lot_path = format!("/lots/{lot}");
    app.clock.set(end - chrono::Duration::seconds(30));
    let mut a = Browser::new(&app);
    a.login("buyer-a@krz.example").await;
    // Two views in the term (the second one kept by the server).
    for _ in 0..2 {
        let page = a.get(&lot_path).await;
        assert!(page.body.contains("calloffs/preview"), "{}", page.body);
    }
    app.clock.set(end);
    let page = a.get(&lot_path).await;
    assert!(
        !page.body.contains("calloffs/preview"),
        "a call-off form shown at the end of the term"
    );
}
