//! Many buyers at once on one lot: no lost updates, no server errors.

use crate::helpers::*;
use sammelkauf::db::orgs;
use sammelkauf::domain::account::Role;

/// `members` new member organisations with one delivery site and `each` buyers apiece:
/// every buyer's address with its member's site.
fn buyers_of_new_members(
    app: &TestApp,
    members: usize,
    each: usize,
) -> Vec<(String, sammelkauf::domain::ids::SiteId)> {
    let mut buyers = Vec::new();
    for m in 0..members {
        let mut conn = app.pool.get().expect("conn");
        let now = chrono::Utc::now().naive_utc();
        let member =
            orgs::insert_member(&mut conn, &format!("Mitglied {m}"), "", "", now).expect("member");
        let site = orgs::insert_site(&mut conn, member, "Schule", "", now).expect("site");
        drop(conn);
        for b in 0..each {
            let email = format!("buyer{m}-{b}@m.example");
            add_user(&app.pool, &email, Role::Buyer, Some(member), None);
            buyers.push((email, site));
        }
    }
    buyers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_buyers_from_ten_members_order_and_change_at_the_same_time() {
    let app = spawn_app().await;
    let f = fixture(&app);
    // Ten members with one site each, five buyers per member.
    let buyers = buyers_of_new_members(&app, 10, 5);
    let mut browsers = Vec::new();
    for (email, site) in &buyers {
        let mut browser = Browser::new(&app);
        browser.login(email).await;
        browsers.push((browser, *site));
    }
    let lot = f.lot;
    let tasks: Vec<_> = browsers
        .into_iter()
        .enumerate()
        .map(|(i, (mut browser, site))| {
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                let site = site.to_string();
                for round in 0..3u64 {
                    let page = browser.get(&format!("/lots/{lot}")).await;
                    statuses.push(page.status);
                    let key = extract_field(&page.body, "idempotency_key");
                    let quantity = (10 + i as u64 + round).to_string();
                    let placed = browser
                        .post(
                            &format!("/lots/{lot}/orders"),
                            &[
                                ("quantity", &quantity),
                                ("site", &site),
                                ("idempotency_key", &key),
                            ],
                        )
                        .await;
                    statuses.push(placed.status);
                }
                // Change one of its member's lines (placed by this buyer or a colleague).
                let page = browser.get(&format!("/lots/{lot}")).await;
                statuses.push(page.status);
                if let Some(start) = page.body.find("/orders/") {
                    let rest = &page.body[start + "/orders/".len()..];
                    let line: String = rest.chars().take_while(char::is_ascii_digit).collect();
                    let changed = browser
                        .post(
                            &format!("/lots/{lot}/orders/{line}"),
                            &[("quantity", "7"), ("site", &site)],
                        )
                        .await;
                    statuses.push(changed.status);
                }
                statuses
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("buyer task"));
    }
    assert!(
        all.iter().all(|s| *s < 500),
        "server errors: {:?}",
        all.iter().filter(|s| **s >= 500).count()
    );
    assert!(
        all.iter().all(|s| [200, 303].contains(s)),
        "unexpected answers: {all:?}"
    );
    let lines = stored_lines(&app, lot);
    assert_eq!(lines.len(), 150, "every placed line is stored once");
    let sum: u64 = lines.iter().map(|l| l.quantity).sum();
    let (total, members) = stored_total(&app, lot);
    assert_eq!(total, sum);
    assert_eq!(members, 10);
    // The totals kept with the lot moved with every write: they equal a fresh count.
    let (kept, counted) = {
        let mut conn = app.pool.get().expect("conn");
        (
            sammelkauf::db::bundles::bundle_size(&mut conn, lot).expect("bundle"),
            sammelkauf::db::bundles::counted_totals(&mut conn, lot).expect("count"),
        )
    };
    assert_eq!((kept.quantity, kept.lines), (sum, 150));
    assert_eq!(counted, (total, members));
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let page = staff.get(&format!("/lots/{lot}")).await;
    assert_eq!(shown_total(&page.body).replace('.', ""), sum.to_string());
}

/// Buyers of many members place, change and cancel at the same instant: the totals kept
/// with the lot equal a fresh count of the lines afterwards, members included.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kept_totals_equal_a_fresh_count_after_simultaneous_orders_changes_and_cancels() {
    use std::sync::Arc;
    use tokio::sync::Barrier;
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut buyers = Vec::new();
    for (email, site) in buyers_of_new_members(&app, 8, 4) {
        let mut browser = Browser::new(&app);
        browser.login(&email).await;
        buyers.push((browser, site));
    }
    let lot = f.lot;
    // A buyer of another member reads the lot's page all the while (the server keeps it
    // between writes).
    let mut reader = Browser::new(&app);
    reader.login("buyer-a@krz.example").await;
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reading = {
        let done = done.clone();
        let mut reader = reader.clone_session();
        tokio::spawn(async move {
            let mut views = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                assert_eq!(reader.get(&format!("/lots/{lot}")).await.status, 200);
                views += 1;
            }
            views
        })
    };
    let barrier = Arc::new(Barrier::new(buyers.len()));
    let tasks: Vec<_> = buyers
        .into_iter()
        .enumerate()
        .map(|(i, (mut browser, site))| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                let site = site.to_string();
                let mut statuses = Vec::new();
                let mut placed = Vec::new();
                for round in 0..2u64 {
                    let page = browser.get(&format!("/lots/{lot}")).await;
                    let key = extract_field(&page.body, "idempotency_key");
                    let quantity = (5 + i as u64 * 3 + round).to_string();
                    barrier.wait().await;
                    let answer = browser
                        .post(
                            &format!("/lots/{lot}/orders"),
                            &[
                                ("quantity", &quantity),
                                ("site", &site),
                                ("idempotency_key", &key),
                            ],
                        )
                        .await;
                    statuses.push(answer.status);
                    placed.push(key);
                }
                // This member's lines, as the page lists them (a colleague's too).
                let page = browser.get(&format!("/lots/{lot}")).await;
                let lines: Vec<String> = page
                    .body
                    .match_indices("/orders/")
                    .filter_map(|(at, _)| {
                        let rest = &page.body[at + "/orders/".len()..];
                        let id: String = rest.chars().take_while(char::is_ascii_digit).collect();
                        (!id.is_empty()).then_some(id)
                    })
                    .collect();
                barrier.wait().await;
                if let Some(line) = lines.first() {
                    let changed = browser
                        .post(
                            &format!("/lots/{lot}/orders/{line}"),
                            &[("quantity", "11"), ("site", &site)],
                        )
                        .await;
                    statuses.push(changed.status);
                }
                if let Some(line) = lines.last() {
                    let cancelled = browser
                        .post(&format!("/lots/{lot}/orders/{line}/cancel"), &[])
                        .await;
                    statuses.push(cancelled.status);
                }
                statuses
            })
        })
        .collect();
    for task in tasks {
        for status in task.await.expect("buyer") {
            // A colleague may have cancelled the line first: 404 then, never a 5xx.
            assert!([303, 404].contains(&status), "answer {status}");
        }
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(reading.await.expect("reader") > 0);
    let mut conn = app.pool.get().expect("conn");
    let kept = sammelkauf::db::bundles::totals(&mut conn, lot).expect("kept");
    let counted = sammelkauf::db::bundles::counted_totals(&mut conn, lot).expect("counted");
    assert_eq!(kept, counted);
    // The page read at the end shows the bundle as it ended, not one kept on the way.
    let shown = shown_total(&reader.get(&format!("/lots/{lot}")).await.body).replace('.', "");
    assert_eq!(shown, kept.0.to_string(), "the page shows the final bundle");
    let size = sammelkauf::db::bundles::bundle_size(&mut conn, lot).expect("size");
    assert_eq!(
        size.lines as usize,
        sammelkauf::db::orders::active_lines(&mut conn, lot)
            .expect("lines")
            .len()
    );
    assert!(kept.0 > 0 && kept.1 > 0);
}
