//! Each rule of a lot exists once: for every lot state, deadline and role, a page offers an
//! action exactly when the operation behind it accepts it.

use crate::helpers::*;
use crate::procurement::quote_fields;
use diesel::prelude::*;
use sammelkauf::clock::Clock;
use sammelkauf::db::{lots, orgs, procurement as store, schema};
use sammelkauf::domain::lot::LotStatus;

/// Where a lot stands: its status, which deadlines have passed, a standstill still running.
#[derive(Debug, Clone, Copy)]
struct Case {
    status: LotStatus,
    demand_passed: bool,
    quote_passed: bool,
}

fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    for status in LotStatus::ALL {
        for (demand_passed, quote_passed) in [(false, false), (true, false), (true, true)] {
            all.push(Case {
                status,
                demand_passed,
                quote_passed,
            });
        }
    }
    all
}

/// A fresh lot in the case's state, invited to the fixture's supplier; an awarded lot is in
/// its standstill.
fn lot_in(app: &TestApp, f: &Fixture, case: Case) -> sammelkauf::domain::ids::LotId {
    let now = app.clock.now();
    let mut terms = lot_terms(app, "Regel-Los", 1);
    if case.demand_passed {
        terms.demand_deadline = now - chrono::Duration::days(2);
    }
    if case.quote_passed {
        terms.quote_deadline = now - chrono::Duration::days(1);
    }
    let mut conn = app.pool.get().expect("conn");
    let lot = lots::insert(
        &mut conn,
        &terms,
        &[f.supplier],
        sammelkauf::domain::ids::UserId(1),
        now.naive_utc(),
    )
    .expect("lot");
    lots::transition(
        &mut conn,
        lot,
        LotStatus::Draft,
        case.status,
        now.naive_utc(),
    )
    .expect("status");
    if case.status == LotStatus::Awarded {
        store::procedure(&mut conn, lot).expect("procedure");
        diesel::update(schema::lot_procedure::table.find(lot))
            .set(
                schema::lot_procedure::standstill_ends_at
                    .eq(Some((now + chrono::Duration::days(5)).naive_utc())),
            )
            .execute(&mut conn)
            .expect("standstill");
    }
    lot
}

/// Is the action's form (or link) on the page?
fn offers(body: &str, target: &str) -> bool {
    body.contains(&format!("action=\"{target}\"")) || body.contains(&format!("href=\"{target}\""))
}

fn accepted(status: u16) -> bool {
    matches!(status, 200 | 303)
}

#[tokio::test]
async fn each_lot_rule_offers_an_action_exactly_when_the_operation_accepts_it() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let other_supplier = {
        let mut conn = app.pool.get().expect("conn");
        orgs::list_suppliers(&mut conn)
            .expect("suppliers")
            .into_iter()
            .find(|s| s.id != f.supplier)
            .expect("a second supplier")
            .id
    };
    let mut staff = Browser::new(&app);
    staff.login("staff@coop.example").await;
    let mut staff2 = Browser::new(&app);
    staff2.login("staff2@coop.example").await;
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let mut supplier = Browser::new(&app);
    supplier.login("sales@systemhaus.example").await;
    let site = f.sites_a[0].to_string();
    let other = other_supplier.to_string();
    let mut checked = 0;

    for case in cases() {
        // Staff: open a draft for orders, cancel, revoke, invite, see the evaluation.
        let staff_actions: [(&str, Vec<(&str, &str)>); 4] = [
            ("open", vec![]),
            ("cancel", vec![("reason", "Bedarf entfallen")]),
            ("revoke", vec![("reason", "Rüge begründet")]),
            ("invite", vec![("invite", other.as_str())]),
        ];
        for (action, fields) in staff_actions {
            let lot = lot_in(&app, &f, case);
            let target = format!("/admin/lots/{lot}/{action}");
            let page = staff.get(&format!("/lots/{lot}")).await;
            let shown = offers(&page.body, &target);
            let answer = staff.post(&target, &fields).await;
            assert!(answer.status < 500, "{case:?} {action}: {}", answer.status);
            assert_eq!(
                shown,
                accepted(answer.status),
                "{case:?}: staff {action} offered={shown}, answered {}",
                answer.status
            );
            checked += 1;
        }

        let lot = lot_in(&app, &f, case);
        let target = format!("/admin/lots/{lot}/evaluation");
        let page = staff.get(&format!("/lots/{lot}")).await;
        let shown = offers(&page.body, &target);
        let answer = staff.get(&target).await;
        assert_eq!(
            shown,
            accepted(answer.status),
            "{case:?}: evaluation offered={shown}, answered {}",
            answer.status
        );
        checked += 1;

        // The two-person opening: the first asks, then only a second person may confirm.
        let lot = lot_in(&app, &f, case);
        let target = format!("/admin/lots/{lot}/opening");
        let page = staff.get(&format!("/lots/{lot}")).await;
        let shown = offers(&page.body, &target);
        let answer = staff.post(&target, &[]).await;
        assert_eq!(
            shown,
            accepted(answer.status),
            "{case:?}: opening offered={shown}, answered {}",
            answer.status
        );
        if accepted(answer.status) {
            let again = staff.get(&format!("/lots/{lot}")).await;
            assert!(!offers(&again.body, &target), "{case:?}: asked twice");
            assert!(again.body.contains("id=\"opening-waiting\""));
            assert_eq!(staff.post(&target, &[]).await.status, 409);
            let second = staff2.get(&format!("/lots/{lot}")).await;
            assert!(offers(&second.body, &target), "{case:?}: no confirm");
            assert_eq!(staff2.post(&target, &[]).await.status, 303);
        }
        checked += 1;

        // A buyer orders while the lot takes orders.
        let lot = lot_in(&app, &f, case);
        let target = format!("/lots/{lot}/orders");
        let page = buyer.get(&format!("/lots/{lot}")).await;
        let shown = page.status == 200 && offers(&page.body, &target);
        let answer = buyer
            .post(
                &target,
                &[
                    ("quantity", "10"),
                    ("site", &site),
                    ("max_unit_price", ""),
                    ("reference", ""),
                    ("idempotency_key", &format!("rule-{lot}")),
                ],
            )
            .await;
        assert_eq!(
            shown,
            accepted(answer.status),
            "{case:?}: order offered={shown}, answered {}",
            answer.status
        );
        checked += 1;

        // The invited supplier quotes while the lot takes quotes.
        let lot = lot_in(&app, &f, case);
        let target = format!("/lots/{lot}/quotes");
        let page = supplier.get(&format!("/lots/{lot}")).await;
        let shown = page.status == 200 && offers(&page.body, &target);
        let answer = supplier
            .post(&target, &quote_fields("all_units", &[("1", "99")], ""))
            .await;
        assert_eq!(
            shown,
            accepted(answer.status),
            "{case:?}: quote offered={shown}, answered {}",
            answer.status
        );
        checked += 1;
    }
    assert_eq!(checked, cases().len() * 8);
}
