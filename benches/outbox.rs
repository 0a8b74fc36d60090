//! Delivery throughput: 10,000 queued emails to an SMTP sink on loopback, through the real
//! worker (claims in the database, pooled SMTP transport), on embedded SQLite.
//!
//! Run: `cargo bench --bench outbox` (set `BENCH_DATABASE_URL=postgres://…` for PostgreSQL).
#![allow(clippy::unwrap_used, clippy::expect_used)]

// The same loopback SMTP server the tests use; the bench needs only part of it.
#[allow(dead_code)]
#[path = "../tests/api/smtp.rs"]
mod smtp;

use chrono::Utc;
use sammelkauf::db::{self, Backend};
use sammelkauf::domain::account::Language;
use sammelkauf::i18n::Tr;
use sammelkauf::mail::transport::Mailer;
use sammelkauf::mail::{queue, Content, Envelope, MailContext};
use std::time::Instant;

const EMAILS: usize = 10_000;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("sammelkauf-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = std::env::var("BENCH_DATABASE_URL")
            .unwrap_or_else(|_| dir.join("bench.db").to_string_lossy().into_owned());
        let backend = Backend::from_url(&url).expect("url");
        let pool = db::connect(&backend, db::default_pool_size(&backend)).expect("database");
        let ctx = MailContext {
            base_url: "http://127.0.0.1:8080".into(),
        };
        let now = Utc::now();
        {
            let mut conn = pool.get().expect("conn");
            db::transaction(&mut conn, |conn| {
                for i in 0..EMAILS {
                    let content = Content::new(
                        Tr(Language::De),
                        format!("Auftragsbestätigung {i}: Notebooks für Schulen"),
                    )
                    .paragraph(
                        "Für KRZ Lippe gilt der endgültige Stückpreis von 849,00 € (netto).".into(),
                    )
                    .paragraph("Ihre Ersparnis durch Bündelung: 18.240,00 €".into());
                    let envelope = Envelope {
                        kind: "bench",
                        lot: None,
                        recipient: &format!("einkauf{i}@mitglied.example"),
                        language: Language::De,
                        stable_key: None,
                    };
                    queue(conn, &ctx, &envelope, content, now.naive_utc())?;
                }
                Ok::<_, sammelkauf::mail::QueueError>(())
            })
            .expect("queue");
        }
        let sink = smtp::SmtpSink::start().await;
        let mailer = Mailer::new(Some(&sink.url()), None, None, dir.clone()).expect("mailer");
        let from = "sammelkauf <einkauf@genossenschaft.example>"
            .parse()
            .expect("from");
        let started = Instant::now();
        let result = sammelkauf::mail::worker::deliver_due(&pool, &mailer, &from, now)
            .await
            .expect("deliver");
        let elapsed = started.elapsed();
        assert_eq!(result.sent, EMAILS);
        assert_eq!(sink.messages().len(), EMAILS);
        println!(
            "outbox: {EMAILS} emails delivered over SMTP in {:.2} s = {:.0} emails/s ({})",
            elapsed.as_secs_f64(),
            EMAILS as f64 / elapsed.as_secs_f64(),
            if backend.is_sqlite() {
                "SQLite"
            } else {
                "PostgreSQL"
            }
        );
        let _ = std::fs::remove_dir_all(&dir);
    });
}
