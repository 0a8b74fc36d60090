//! Several `sammelkauf` processes on one database: background work happens exactly once.

use crate::helpers::*;
use crate::smtp::SmtpSink;
use sammelkauf::clock::Clock;
use sammelkauf::db::{audit, lots, outbox, procurement as store};
use sammelkauf::domain::account::Language;
use sammelkauf::domain::lot::LotStatus;

/// Starts `sammelkauf run-jobs` processes at once against the test database.
async fn run_jobs_in_processes(app: &TestApp, count: usize, smtp: Option<String>) -> Vec<String> {
    let children: Vec<_> = (0..count)
        .map(|i| {
            let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_sammelkauf"));
            command
                .arg("run-jobs")
                .env("DATABASE_URL", &app.database_url)
                .env("DATA_DIR", format!("{}/process-{i}", app.data_dir))
                .env("SECRET_KEY", "test-secret-test-secret-test-secret-1234")
                .env("MAIL_FROM", "sammelkauf <einkauf@genossenschaft.example>")
                .env("RUST_LOG", "warn")
                .env_remove("SMTP_URL");
            if let Some(url) = &smtp {
                command.env("SMTP_URL", url);
            }
            command.output()
        })
        .collect();
    let mut outputs = Vec::new();
    for child in children {
        let out = child.await.expect("run sammelkauf run-jobs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push(String::from_utf8_lossy(&out.stdout).to_string());
    }
    outputs
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_confirm_a_lot_once_and_deliver_each_email_once() {
    let sink = SmtpSink::start().await;
    let app = spawn_app().await;
    let f = fixture(&app);
    {
        let mut conn = app.pool.get().expect("conn");
        let n = app.clock.now().naive_utc();
        lots::transition(&mut conn, f.lot, LotStatus::Open, LotStatus::Awarded, n)
            .expect("awarded");
        store::procedure(&mut conn, f.lot).expect("procedure");
        diesel::RunQueryDsl::execute(
            diesel::update(sammelkauf::db::schema::lot_procedure::table).set(
                diesel::ExpressionMethods::eq(
                    sammelkauf::db::schema::lot_procedure::standstill_ends_at,
                    Some(n - chrono::Duration::hours(1)),
                ),
            ),
            &mut conn,
        )
        .expect("standstill over");
        for i in 0..200 {
            let content = sammelkauf::mail::Content::new(
                sammelkauf::i18n::Tr(Language::De),
                format!("Nachricht {i}"),
            );
            let envelope = sammelkauf::mail::Envelope {
                kind: "test",
                lot: None,
                recipient: &format!("empfaenger{i}@example.org"),
                language: Language::De,
                stable_key: None,
            };
            sammelkauf::mail::queue(&mut conn, &app.mail, &envelope, content, n).expect("queue");
        }
    }
    let outputs = run_jobs_in_processes(&app, 2, Some(sink.url())).await;
    let confirmed: usize = outputs
        .iter()
        .filter_map(|o| {
            o.split("confirmed ")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .sum();
    assert_eq!(confirmed, 1, "{outputs:?}");
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
    let mut ids: Vec<String> = sink
        .messages()
        .iter()
        .map(|m| m.parsed().message_id().unwrap_or_default().to_string())
        .collect();
    let delivered = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), delivered, "an email was delivered twice");
    assert!(delivered >= 200, "{delivered} of 200 test emails delivered");
    assert_eq!(
        outbox::count_by_status(&mut conn, outbox::PENDING).expect("count"),
        0
    );
    assert_eq!(
        outbox::count_by_status(&mut conn, outbox::SENDING).expect("count"),
        0
    );
}
