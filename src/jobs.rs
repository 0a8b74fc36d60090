//! Work the server does by itself: closing lots at their demand deadline, confirming them
//! when the standstill ends. Safe when several
//! server processes share one database: each lot moves, and is logged, exactly once.

use crate::clock::Clock;
use crate::db::{self, audit, lots, Pool};
use crate::domain::lot::LotStatus;
use std::sync::Arc;
use std::time::Duration;

/// Closes every open lot whose demand deadline has passed; returns how many this call closed.
pub fn close_due_lots(
    pool: &Pool,
    clock: &dyn Clock,
) -> Result<usize, crate::web::error::AppError> {
    let now = clock.now().naive_utc();
    let mut conn = pool.get()?;
    let due = lots::due_for_closing(&mut conn, now)?;
    let mut closed = 0;
    for id in due {
        let moved = db::transaction(&mut conn, |conn| {
            // Only the process whose update moved the lot writes the log entry.
            if !lots::transition(conn, id, LotStatus::Open, LotStatus::Closed, now)? {
                return Ok(false);
            }
            audit::append(
                conn,
                &audit::NewAuditEntry {
                    at: now,
                    actor_id: None,
                    action: "lot.closed",
                    lot_id: Some(id),
                    entity: "lot",
                    entity_id: Some(id),
                    details: "demand deadline reached",
                },
            )?;
            Ok::<_, diesel::result::Error>(true)
        })?;
        if moved {
            closed += 1;
            tracing::info!(lot = id, "lot closed at its demand deadline");
        }
    }
    Ok(closed)
}

/// Everything due now: lots past their demand deadline close, lots past their standstill
/// are confirmed.
pub fn run_due_work(
    pool: &Pool,
    clock: &dyn Clock,
    mail: &crate::mail::MailContext,
) -> Result<(usize, usize), crate::web::error::AppError> {
    let closed = close_due_lots(pool, clock)?;
    let mut conn = pool.get()?;
    let now = clock.now();
    crate::db::transaction(&mut conn, |conn| {
        crate::mail::notify::reminders(conn, mail, now.naive_utc())
    })?;
    let confirmed = crate::procurement::confirm_due_lots(&mut conn, mail, now)?;
    if confirmed > 0 {
        tracing::info!(confirmed, "lots confirmed after their standstill period");
    }
    Ok((closed, confirmed))
}

/// Runs the background tasks every `every` until the process ends.
pub async fn run(
    pool: Pool,
    clock: Arc<dyn Clock>,
    mail: crate::mail::MailContext,
    every: Duration,
) {
    // The first run comes one interval after start, like every later one.
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let (pool, clock, mail) = (pool.clone(), clock.clone(), mail.clone());
        let result =
            tokio::task::spawn_blocking(move || run_due_work(&pool, clock.as_ref(), &mail)).await;
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "closing due lots failed; will retry"),
            Err(e) => tracing::warn!(error = %e, "background task stopped unexpectedly"),
        }
    }
}

/// Delivers queued emails every `every` until the process ends.
pub async fn deliver(
    pool: Pool,
    clock: Arc<dyn Clock>,
    mailer: crate::mail::transport::Mailer,
    from: lettre::message::Mailbox,
    every: Duration,
) {
    // The first run comes one interval after start, like every later one.
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(e) = crate::mail::worker::deliver_due(&pool, &mailer, &from, clock.now()).await {
            tracing::warn!(error = %e, "email delivery run failed; will retry");
        }
    }
}
