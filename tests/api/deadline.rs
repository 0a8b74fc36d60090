//! The demand deadline, enforced by the server.

use crate::helpers::*;
use sammelkauf::db::lots;
use sammelkauf::domain::lot::LotStatus;

#[tokio::test]
async fn after_the_demand_deadline_every_change_is_refused_and_the_lot_closes() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let (mut buyer, lot_path, key, site) = buyer_a_at_lot(&app, &f).await;
    buyer
        .post(
            &format!("{lot_path}/orders"),
            &[
                ("quantity", "30"),
                ("site", &site),
                ("idempotency_key", &key),
            ],
        )
        .await;
    let line = stored_lines(&app, f.lot)[0].id;
    let page = buyer.get(&lot_path).await;
    let key = extract_field(&page.body, "idempotency_key");

    // The form was loaded before the deadline and is sent after it.
    app.clock.advance(chrono::Duration::days(8));
    let late = buyer
        .post(
            &format!("{lot_path}/orders"),
            &[
                ("quantity", "10"),
                ("site", &site),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(late.status, 409);
    assert!(late
        .body
        .contains("Bestellfrist dieses Loses ist abgelaufen"));
    let change = buyer
        .post(
            &format!("{lot_path}/orders/{line}"),
            &[("quantity", "50"), ("site", &site)],
        )
        .await;
    assert_eq!(change.status, 409);
    let cancel = buyer
        .post(&format!("{lot_path}/orders/{line}/cancel"), &[])
        .await;
    assert_eq!(cancel.status, 409);
    assert_eq!(stored_total(&app, f.lot), (30, 1));

    // Shown as closed at once, and closed in the database by the background task.
    let page = buyer.get(&lot_path).await;
    assert!(page.body.contains("Bestellfrist abgelaufen"));
    assert!(
        !page.body.contains("name=\"idempotency_key\""),
        "no order form after the deadline"
    );
    let pool = app.pool.clone();
    let clock = app.clock.clone();
    let closed =
        tokio::task::spawn_blocking(move || sammelkauf::jobs::close_due_lots(&pool, &clock))
            .await
            .expect("task")
            .expect("close");
    assert_eq!(closed, 1);
    let mut conn = app.pool.get().expect("conn");
    let lot = lots::find(&mut conn, f.lot).expect("query").expect("lot");
    assert_eq!(lot.status, LotStatus::Closed);
    assert_eq!(
        sammelkauf::db::audit::count_actions(&mut conn, "lot.closed").expect("audit"),
        1
    );
    // A second run finds nothing left to close.
    drop(conn);
    let pool = app.pool.clone();
    let clock = app.clock.clone();
    let again =
        tokio::task::spawn_blocking(move || sammelkauf::jobs::close_due_lots(&pool, &clock))
            .await
            .expect("task")
            .expect("close");
    assert_eq!(again, 0);
}
