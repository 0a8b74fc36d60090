//! The database goes away under a running server (a PostgreSQL restart or failover ends
//! every connection): the server must not keep handing out dead connections. Every
//! connection is busy: pages wait for one instead of failing.

use crate::helpers::*;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use sammelkauf::db::{idle_sqlite, Backend};

/// Pooled connections are not tested with a query on every checkout; a connection found
/// closed is dropped when it goes back to the pool. So after PostgreSQL ended every
/// connection, each pooled connection fails at most one request, and then pages work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_work_again_after_the_database_ended_every_connection() {
    let app = spawn_app().await;
    let TestDb::Postgres {
        admin_url, name, ..
    } = &app._db
    else {
        eprintln!(
            "*** SKIPPED pages_work_again_after_the_database_ended_every_connection: only \
             PostgreSQL ends a server's connections (set TEST_DATABASE_URL)"
        );
        return;
    };
    let f = fixture(&app);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let path = format!("/lots/{}", f.lot);
    // Many requests at once, so that the pool holds several connections.
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (mut b, path, barrier) = (buyer.clone_session(), path.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                b.get(&path).await.status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.expect("request"), 200);
    }

    let mut admin = diesel::PgConnection::establish(admin_url).expect("admin connection");
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .expect("end the server's connections");

    let pool_size = app.pool.max_size() as usize;
    let mut failed = 0;
    loop {
        let page = buyer.get(&path).await;
        if page.status == 200 {
            break;
        }
        assert_eq!(page.status, 500, "{}", page.body);
        failed += 1;
        assert!(
            failed <= pool_size,
            "still failing after {failed} requests: dead connections are reused"
        );
    }
    for _ in 0..3 * pool_size {
        assert_eq!(buyer.get(&path).await.status, 200);
    }
}

/// A page is read on the thread that serves the request only where its reads cannot wait
/// on the network (SQLite) and a connection is idle. With every connection busy, the page
/// waits for one on a database thread, as before, instead of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_waits_for_a_connection_while_every_one_is_busy() {
    let app = spawn_app().await;
    let f = fixture(&app);
    let mut buyer = Browser::new(&app);
    buyer.login("buyer-a@krz.example").await;
    let sqlite = matches!(app._db, TestDb::Sqlite(_));
    let backend = Backend::from_url(&app.database_url).expect("database URL");
    assert_eq!(
        idle_sqlite(&app.pool, &backend).is_some(),
        sqlite,
        "a connection for reads on the request's thread only on SQLite"
    );

    let held: Vec<_> = (0..app.pool.max_size())
        .map(|_| app.pool.get().expect("connection"))
        .collect();
    assert!(idle_sqlite(&app.pool, &backend).is_none());
    let path = format!("/lots/{}", f.lot);
    let page = tokio::spawn(async move { buyer.get(&path).await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        !page.is_finished(),
        "the page was answered without a connection"
    );
    drop(held);
    let page = page.await.expect("request");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"lot-total\""), "{}", page.body);
}
