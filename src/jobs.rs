//! Work the server does by itself: closing lots at their demand deadline, confirming them
//! when the standstill ends. Safe when several
//! server processes share one database: each lot moves, and is logged, exactly once.

use crate::app::{closing, Ctx, StoreError};
use crate::clock::Clock;
use crate::db::Pool;
use std::sync::Arc;
use std::time::Duration;

/// Why a run of the background work stopped early (it is tried again next time).
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Closes every open lot whose demand deadline has passed; returns how many this call closed.
pub fn close_due_lots(pool: &Pool, clock: &dyn Clock) -> Result<usize, JobError> {
    let mut conn = pool.get()?;
    Ok(closing::close_due_lots(&mut conn, clock.now())?)
}

/// Everything due now: lots past their demand deadline close, reminders go out, lots past
/// their standstill are confirmed.
pub fn run_due_work(
    pool: &Pool,
    clock: &dyn Clock,
    mail: &crate::mail::MailContext,
) -> Result<(usize, usize), JobError> {
    let mut conn = pool.get()?;
    let ctx = Ctx {
        now: clock.now(),
        mail: mail.clone(),
    };
    let closed = closing::close_due_lots(&mut conn, ctx.now)?;
    closing::send_reminders(&mut conn, &ctx)?;
    let confirmed = closing::confirm_due_lots(&mut conn, &ctx)?;
    if confirmed > 0 {
        tracing::info!(confirmed, "lots confirmed after their standstill period");
    }
    let ended = crate::app::frameworks::close_expired(&mut conn, &ctx)?;
    if ended > 0 {
        tracing::info!(
            ended,
            "framework agreements closed at the end of their term"
        );
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
            Ok(Err(e)) => tracing::warn!(error = %e, "background work failed; will retry"),
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
