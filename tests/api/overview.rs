//! "Meine Organisation": a member's years and frameworks add up what it bought — the award's
//! initial call-off, its call-offs, every credit — exactly as the call-off engine prices the
//! framework's download, and the framework statement email says the same.

use crate::frameworks::{
    call_off, cli, confirmed_framework, confirmed_framework_listed, Confirmed,
};
use crate::helpers::*;
use crate::mail::{app_with_sink, deliver, text_of, to};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use rust_decimal::{Decimal, RoundingStrategy};
use sammelkauf::db::{frameworks, orgs};
use sammelkauf::domain::account::Role;
use sammelkauf::domain::money::{Money, VatRate};
use std::collections::BTreeMap;

/// The cells of every body row of the table with `id`, without their markup.
fn table_rows(body: &str, id: &str) -> Vec<Vec<String>> {
    let table = body
        .split(&format!("id=\"{id}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no table {id}: {body}"));
    let table = &table[..table.find("</table>").expect("end of table")];
    table
        .split("<tr")
        .skip(1)
        .filter(|row| !row.contains("scope=\"col\""))
        .map(cells)
        .collect()
}

fn cells(row: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = row;
    while let Some(i) = rest.find("<t") {
        rest = &rest[i..];
        let close = if rest.starts_with("<td") {
            "</td>"
        } else if rest.starts_with("<th ") || rest.starts_with("<th>") {
            "</th>"
        } else {
            rest = &rest[2..];
            continue;
        };
        let start = rest.find('>').expect("tag end") + 1;
        let end = rest.find(close).expect("cell end");
        out.push(strip_tags(&rest[start..end]));
        rest = &rest[end + close.len()..];
    }
    out
}

fn strip_tags(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.trim().to_string()
}

fn cents(amount: &serde_json::Value) -> i64 {
    let d: Decimal = amount.as_str().expect("amount").parse().expect("decimal");
    i64::try_from(d * Decimal::ONE_HUNDRED).expect("cents")
}

fn de(cents: i64) -> String {
    Money::from_cents(cents).format_de()
}

fn csv_cents(field: &str) -> i64 {
    let d: Decimal = field.replace(',', ".").parse().expect("csv amount");
    i64::try_from(d * Decimal::ONE_HUNDRED).expect("cents")
}

fn year_of(at: &serde_json::Value) -> i32 {
    at.as_str()
        .expect("time")
        .parse::<DateTime<Utc>>()
        .expect("RFC 3339")
        .year()
}

/// What a member bought and got back in one year, as the engine's output says it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Expected {
    quantity: u64,
    net: i64,
    gross: i64,
    credited_gross: i64,
}

impl Expected {
    fn saving_vs_list(&self, list: Decimal) -> i64 {
        let at_list = (list * Decimal::from(self.quantity))
            .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        i64::try_from(at_list * Decimal::ONE_HUNDRED).expect("cents") - self.net
    }
}

/// Per member and year: the award's initial lines in the year of the confirmation (the
/// framework's start), each accepted call-off in its year, each credit in its call-off's.
fn expected_years(
    scenario: &serde_json::Value,
    result: &serde_json::Value,
) -> BTreeMap<(String, i32), Expected> {
    let f = &scenario["framework"];
    let rate = VatRate::parse(f["vat_rate"].as_str().expect("rate")).expect("vat");
    let start = year_of(&f["start"]);
    let mut years: BTreeMap<(String, i32), Expected> = BTreeMap::new();
    for line in scenario["initial"].as_array().expect("initial") {
        let member = line["member"].as_str().expect("member").to_string();
        let net = cents(&line["net"]);
        let e = years.entry((member, start)).or_default();
        e.quantity += line["quantity"].as_u64().expect("q");
        e.net += net;
        e.gross += net + rate.vat_on(Money::from_cents(net)).cents();
    }
    let at: BTreeMap<&str, i32> = scenario["calloffs"]
        .as_array()
        .expect("calloffs")
        .iter()
        .map(|c| (c["id"].as_str().expect("id"), year_of(&c["at"])))
        .collect();
    for c in result["calloffs"].as_array().expect("calloffs") {
        assert_eq!(c["status"], "accepted", "{c}");
        let year = at[c["id"].as_str().expect("id")];
        let e = years
            .entry((c["member"].as_str().expect("m").to_string(), year))
            .or_default();
        e.quantity += c["quantity"].as_u64().expect("q");
        e.net += cents(&c["net"]);
        e.gross += cents(&c["gross"]);
        for credit in c["credits"].as_array().expect("credits") {
            let e = years
                .entry((credit["member"].as_str().expect("m").to_string(), year))
                .or_default();
            e.net -= cents(&credit["net"]);
            e.gross -= cents(&credit["gross"]);
            e.credited_gross += cents(&credit["gross"]);
        }
    }
    years
}

#[tokio::test]
async fn every_members_years_and_frameworks_equal_the_call_off_engine_and_the_statement() {
    let (app, sink) = app_with_sink().await;
    let Confirmed { lot, f } = confirmed_framework(&app).await;
    // C has no lines from the demand phase: it only calls off.
    let (member_c, site_c) = {
        let mut conn = app.pool.get().expect("conn");
        let now = Utc::now().naive_utc();
        let c = orgs::insert_member(&mut conn, "Kommunale IT Süd", "Ulm", "", now).expect("m");
        let site = orgs::insert_site(&mut conn, c, "Rathaus Ulm", "", now).expect("site");
        (c, site)
    };
    add_user(
        &app.pool,
        "buyer-c@kits.example",
        Role::Buyer,
        Some(member_c),
        None,
    );
    let mut a = Browser::new(&app);
    a.login("buyer-a@krz.example").await;
    let mut c = Browser::new(&app);
    c.login("buyer-c@kits.example").await;
    // 2026: A calls off 70 and takes the cooperative to 210, into the 90,00 € tier (A and B
    // are credited); C calls off 30 (240).
    assert_eq!(call_off(&mut a, lot, f.sites_a[1], "70").await.0, 303);
    assert_eq!(call_off(&mut c, lot, site_c, "30").await.0, 303);
    // 2027: C calls off 70 and crosses 300, into the 80,00 € tier: everyone is credited, C
    // for its own 30 of 2026 too.
    let now = sammelkauf::clock::Clock::now(&app.clock);
    let next_year = Utc
        .with_ymd_and_hms(2027, 1, 12, 9, 0, 0)
        .single()
        .expect("t");
    app.clock.advance(next_year - now);
    let mut c = Browser::new(&app);
    c.login("buyer-c@kits.example").await;
    assert_eq!(call_off(&mut c, lot, site_c, "70").await.0, 303);

    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let download = staff
        .get(&format!("/admin/lots/{lot}/framework.json"))
        .await;
    assert_eq!(download.status, 200);
    let scenario: serde_json::Value = serde_json::from_str(&download.body).expect("json");
    let result = cli(&download.body);
    assert_eq!(result["framework"]["cumulative_quantity"], 310);
    let list: Decimal = scenario["framework"]["list_unit_price"]
        .as_str()
        .expect("list price")
        .parse()
        .expect("decimal");
    let expected = expected_years(&scenario, &result);
    let engine: BTreeMap<String, &serde_json::Value> = result["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| (m["member"].as_str().expect("m").to_string(), m))
        .collect();
    let key = |member: sammelkauf::domain::ids::MemberId| member.to_string();
    assert_eq!(engine.len(), 3, "{result}");
    assert!(engine.contains_key(&key(member_c)));

    let mut statements_expected = BTreeMap::new();
    for (email, member) in [
        ("buyer-a@krz.example", f.member_a),
        ("buyer-b@itk.example", f.member_b),
        ("buyer-c@kits.example", member_c),
    ] {
        let mut buyer = Browser::new(&app);
        buyer.login(email).await;
        let page = buyer.get("/organisation").await;
        assert_eq!(page.status, 200);
        let years = table_rows(&page.body, "years");
        let mine: Vec<(i32, Expected)> = expected
            .iter()
            .filter(|((m, _), _)| *m == key(member))
            .map(|((_, y), e)| (*y, *e))
            .collect();
        assert_eq!(
            years.iter().map(|r| r[0].clone()).collect::<Vec<_>>(),
            mine.iter().map(|(y, _)| y.to_string()).collect::<Vec<_>>(),
            "{email}: the years"
        );
        for (row, (year, e)) in years.iter().zip(&mine) {
            assert_eq!(row[1], de(e.net), "{email} {year}: net");
            assert_eq!(row[2], de(e.gross), "{email} {year}: gross");
            assert_eq!(row[3], de(e.saving_vs_list(list)), "{email} {year}: saving");
            assert_eq!(row[5], de(e.credited_gross), "{email} {year}: credits");
        }
        // Over the years: the engine's figures for the member after every credit.
        let m = engine[&key(member)];
        let sum = |f: fn(&Expected) -> i64| mine.iter().map(|(_, e)| f(e)).sum::<i64>();
        assert_eq!(sum(|e| e.net), cents(&m["net"]), "{email}");
        assert_eq!(sum(|e| e.gross), cents(&m["gross"]), "{email}");
        assert_eq!(
            sum(|e| e.credited_gross),
            cents(&m["credited_gross"]),
            "{email}"
        );
        assert_eq!(
            mine.iter()
                .map(|(_, e)| e.saving_vs_list(list))
                .sum::<i64>(),
            cents(&m["saving_vs_list"]),
            "{email}"
        );

        // The framework's row, also for C, which never ordered in the demand phase.
        let row = table_rows(&page.body, "frameworks")
            .into_iter()
            .find(|r| r[0] == "Rahmenvertrag Notebooks")
            .unwrap_or_else(|| panic!("{email}: no framework row: {}", page.body));
        let calloffs = result["calloffs"]
            .as_array()
            .expect("calloffs")
            .iter()
            .filter(|c| c["member"] == key(member).as_str())
            .collect::<Vec<_>>();
        let called: u64 = calloffs
            .iter()
            .map(|c| c["quantity"].as_u64().expect("q"))
            .sum();
        let quantity = m["quantity"].as_u64().expect("q");
        assert_eq!(row[1], calloffs.len().to_string(), "{email}: call-offs");
        assert_eq!(row[2], format!("{quantity} Stück"), "{email}: quantity");
        assert_eq!(row[3], format!("{called} Stück"), "{email}: called off");
        assert_eq!(row[4], de(cents(&m["net"])), "{email}: net");
        assert_eq!(row[5], de(cents(&m["credited_gross"])), "{email}");
        assert_eq!(row[6], de(cents(&m["saving_vs_list"])), "{email}");
        statements_expected.insert(email, row[6].clone());
        let lots = table_rows(&page.body, "own-lots");
        assert!(
            lots.iter().any(|r| r[0] == "Rahmenvertrag Notebooks"),
            "{email}: the framework among the member's lots"
        );
        assert!(
            !page.body.contains("id=\"without-list-price\""),
            "every lot has a list price"
        );

        // The CSV says the same.
        let csv = buyer.get("/organisation/overview.csv").await;
        assert_eq!(csv.status, 200);
        let rows = csv_rows(&csv.body);
        let csv_years: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "Jahr").collect();
        assert_eq!(csv_years.len(), mine.len(), "{email}: {}", csv.body);
        for (row, (year, e)) in csv_years.iter().zip(&mine) {
            assert_eq!(row[2], year.to_string());
            assert_eq!(csv_cents(&row[6]), e.net, "{email} {year}");
            assert_eq!(csv_cents(&row[7]), e.gross, "{email} {year}");
            assert_eq!(csv_cents(&row[8]), e.saving_vs_list(list), "{email} {year}");
            assert_eq!(csv_cents(&row[10]), e.credited_gross, "{email} {year}");
        }
        let framework = rows
            .iter()
            .find(|r| r[0] == "Rahmenvereinbarung" && r[1] == lot.to_string())
            .unwrap_or_else(|| panic!("{email}: no framework in the CSV: {}", csv.body));
        assert_eq!(framework[5], quantity.to_string());
        assert_eq!(csv_cents(&framework[6]), cents(&m["net"]));
        assert_eq!(csv_cents(&framework[7]), cents(&m["gross"]));
        assert_eq!(csv_cents(&framework[8]), cents(&m["saving_vs_list"]));
        assert_eq!(csv_cents(&framework[10]), cents(&m["credited_gross"]));
        assert_eq!(framework[12], calloffs.len().to_string());
        assert_eq!(framework[13], called.to_string());
    }
    // The years of A as a reader checks them by hand: 2026 150 units for 8.000 + 6.300 − 800
    // = 13.500,00 € against 18.000,00 € at list; 2027 only the credit of 150 × 10,00 €.
    assert_eq!(expected[&(key(f.member_a), 2026)].net, 1_350_000);
    assert_eq!(expected[&(key(f.member_a), 2027)].net, -150_000);
    assert_eq!(statements_expected["buyer-a@krz.example"], "6.000,00 €");
    assert_eq!(statements_expected["buyer-c@kits.example"], "4.000,00 €");

    // Ended early: each member's statement says what its overview says.
    staff.get(&format!("/lots/{lot}")).await;
    let ended = staff
        .post(
            &format!("/admin/lots/{lot}/framework/end"),
            &[("reason", "Neuausschreibung")],
        )
        .await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    deliver(&app).await;
    for (email, saving) in &statements_expected {
        let statement = to(&sink, email)
            .iter()
            .map(text_of)
            .find(|(s, _, _)| s.starts_with("Rahmenvereinbarung beendet"))
            .unwrap_or_else(|| panic!("{email}: no statement"));
        assert!(
            statement.1.contains(saving.as_str()),
            "{email}: {}",
            statement.1
        );
    }
    // The ended framework stays in every member's overview.
    let page = c.get("/organisation").await;
    assert!(table_rows(&page.body, "frameworks")
        .iter()
        .any(|r| r[0] == "Rahmenvertrag Notebooks"));
    let mut conn = app.pool.get().expect("conn");
    assert!(frameworks::running(&mut conn)
        .expect("running")
        .iter()
        .all(|l| *l != lot));
}

#[tokio::test]
async fn a_framework_without_a_list_price_adds_nothing_to_the_saving_and_the_page_says_so() {
    let app = spawn_app().await;
    let Confirmed { lot, f } = confirmed_framework_listed(&app, None).await;
    let mut a = Browser::new(&app);
    a.login("buyer-a@krz.example").await;
    assert_eq!(call_off(&mut a, lot, f.sites_a[0], "70").await.0, 303);
    let page = a.get("/organisation").await;
    let years = table_rows(&page.body, "years");
    assert_eq!(years.len(), 1);
    assert_eq!(years[0][1], "13.500,00 €", "the net counts");
    assert_eq!(
        years[0][3], "–",
        "no saving against a list price there is none of"
    );
    let row = &table_rows(&page.body, "frameworks")[0];
    assert_eq!(row[6], "–");
    let note = page
        .body
        .split("id=\"without-list-price\"")
        .nth(1)
        .expect("the note on lots without a list price");
    assert!(note.contains(&format!("href=\"/lots/{lot}\"")), "{note}");
    assert!(note.contains("Rahmenvertrag Notebooks"));
    let csv = a.get("/organisation/overview.csv").await;
    let year = csv
        .body
        .lines()
        .find(|l| l.starts_with("Jahr;"))
        .expect("year row");
    assert_eq!(year.split(';').nth(8), Some(""), "{year}");
}

#[tokio::test]
async fn a_members_overview_adds_up_to_its_confirmed_results_call_offs_and_credits() {
    let app = spawn_app().await;
    let Confirmed { lot, f } = confirmed_framework(&app).await;
    let mut a = Browser::new(&app);
    a.login("buyer-a@krz.example").await;
    let (status, _) = call_off(&mut a, lot, f.sites_a[0], "70").await;
    assert_eq!(status, 303);
    // A: 80 bought at 100,00 € (8.000,00 €), 70 called off at 90,00 € (6.300,00 €), credited
    // 800,00 € net when the tier fell: 13.500,00 € net, as the framework's position says.
    let page = a.get("/organisation").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("KRZ Lippe"));
    let position = {
        let mut conn = app.pool.get().expect("conn");
        frameworks::positions(&mut conn, lot)
            .expect("positions")
            .into_iter()
            .find(|p| p.member_id == f.member_a)
            .expect("A's position")
            .position
    };
    assert_eq!(position.net.cents(), 1_350_000);
    let years = page.body.split("id=\"years\"").nth(1).expect("years table");
    assert!(years.contains("13.500,00 €"), "{years}");
    assert!(years.contains("952,00 €"), "the credit, gross");
    assert!(page.body.contains("id=\"frameworks\""));
    let own_lots = page
        .body
        .split("id=\"own-lots\"")
        .nth(1)
        .expect("lots table");
    assert!(own_lots.contains("80 Stück"));
    assert!(
        !own_lots.contains("Entwurf Tablets"),
        "a draft is no member's business"
    );
    let csv = a.get("/organisation/overview.csv").await;
    assert!(csv.body.contains(";13500,00;"), "{}", csv.body);
    // B's overview holds B's figures only; staff and suppliers have no member overview.
    let mut b = Browser::new(&app);
    b.login("buyer-b@itk.example").await;
    let page_b = b.get("/organisation").await;
    assert!(page_b.body.contains("ITK Rheinland") && !page_b.body.contains("13.500,00 €"));
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    assert_eq!(staff.get("/organisation").await.status, 403);
}
