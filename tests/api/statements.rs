//! The statements every order runs are prepared once per connection and then only bound:
//! PostgreSQL parsing and planning them anew on every order cost a sixth of the order
//! throughput (bench/load.sh). diesel keeps only statements it can prove have one shape,
//! so a change of how a write is built can silently lose this.

use crate::helpers::*;
use diesel::prelude::*;
use sammelkauf::db::{audit, outbox, DbConnection};

#[derive(QueryableByName)]
struct Prepared {
    #[diesel(sql_type = diesel::sql_types::Text)]
    statement: String,
}

#[tokio::test]
async fn the_writes_of_an_order_stay_prepared_statements_on_postgresql() {
    let app = spawn_app().await;
    if !matches!(app._db, TestDb::Postgres { .. }) {
        eprintln!(
            "*** SKIPPED the_writes_of_an_order_stay_prepared_statements_on_postgresql: \
             PostgreSQL only (set TEST_DATABASE_URL)"
        );
        return;
    }
    let f = fixture(&app);
    let mut conn = app.pool.get().expect("conn");
    let buyer = account(&mut conn, "buyer-a@krz.example");
    let now = chrono::Utc::now().naive_utc();
    for i in 0..2 {
        let input = units(3);
        let line = store_line(
            &app,
            &mut conn,
            (f.lot, f.member_a, f.sites_a[0]),
            buyer.id,
            &format!("prepared-{i}"),
            &input,
        );
        audit::append(
            &mut conn,
            &audit::NewAuditEntry {
                at: now,
                actor_id: Some(buyer.id),
                action: "order.placed",
                lot_id: Some(f.lot),
                entity: "order_line",
                entity_id: Some(line.get()),
                details: "",
            },
        )
        .expect("audit");
        let email = sammelkauf::mail::compose(
            &app.mail,
            &sammelkauf::mail::Envelope {
                kind: "order-placed",
                lot: Some(f.lot),
                recipient: "buyer-a@krz.example",
                language: buyer.language,
                stable_key: None,
            },
            sammelkauf::mail::Content::new(sammelkauf::i18n::Tr(buyer.language), "Test".into()),
            now,
        )
        .expect("compose");
        assert!(outbox::enqueue(&mut conn, &email).expect("enqueue"));
    }
    let DbConnection::Pg(pg) = &mut *conn else {
        panic!("a PostgreSQL test database gives PostgreSQL connections");
    };
    let prepared: Vec<String> = diesel::sql_query("SELECT statement FROM pg_prepared_statements")
        .load::<Prepared>(pg)
        .expect("prepared statements")
        .into_iter()
        .map(|p| p.statement)
        .collect();
    // The line is stored only from the lot's row while it takes orders, which the line's
    // statement keeps so until the order commits (closing the lot waits for it).
    let line = prepared
        .iter()
        .find(|s| s.starts_with("INSERT INTO \"order_lines\""));
    assert!(
        line.is_some_and(|s| s.contains("FROM \"lots\"") && s.contains("FOR SHARE")),
        "the line's insert takes the lot's row with a shared lock: {line:?}"
    );
    for write in [
        "INSERT INTO \"order_lines\"",
        "INSERT INTO \"lot_member_totals\"",
        "UPDATE \"lot_bundles\"",
        "INSERT INTO \"audit_log\"",
        "INSERT INTO \"outbox\"",
    ] {
        assert!(
            prepared.iter().any(|s| s.starts_with(write)),
            "{write}… is parsed anew on every order; prepared: {prepared:#?}"
        );
    }
}
