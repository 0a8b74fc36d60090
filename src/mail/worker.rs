//! The delivery worker: claims due emails through the database, sends each outside any
//! transaction, and records the outcome; failures are retried with exponential backoff.

use super::transport::Mailer;
use crate::db::{outbox, Pool};
use chrono::{DateTime, Duration, Utc};
use lettre::message::Mailbox;

/// How long a claim holds before another worker may take the email over.
pub const LEASE_SECONDS: i64 = 300;
/// Attempts before an email fails for good.
pub const MAX_ATTEMPTS: i64 = 10;

/// Delay after the `attempt`-th failure: one minute, doubling, at most six hours.
pub fn backoff(attempt: i64) -> Duration {
    let minutes = 1i64 << attempt.clamp(1, 20).saturating_sub(1);
    Duration::minutes(minutes.min(360))
}

/// How one run went.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// One send's outcome: email id, result, attempts so far, recipient.
type Outcome = (i64, Result<(), super::transport::SendError>, i64, String);

fn retry_later(outcome: &Result<(), super::transport::SendError>, attempts: i64) -> bool {
    matches!(outcome, Err(e) if !e.permanent && attempts < MAX_ATTEMPTS)
}

/// Writes down how each send went, in one transaction.
fn record_outcomes(
    conn: &mut crate::db::DbConnection,
    records: &[Outcome],
    now: chrono::NaiveDateTime,
) -> Result<(), diesel::result::Error> {
    for (id, outcome, attempts, _) in records {
        match outcome {
            Ok(()) => outbox::mark_sent(conn, *id, now)?,
            Err(e) if retry_later(outcome, *attempts) => {
                outbox::mark_attempt_failed(conn, *id, &e.message, Some(now + backoff(*attempts)))?
            }
            Err(e) => outbox::mark_attempt_failed(conn, *id, &e.message, None)?,
        };
    }
    Ok(())
}

/// Why a delivery run stopped early (the emails stay queued for the next run).
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("database: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error("background task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// Runs blocking database work for the worker.
async fn blocking<T: Send + 'static>(
    pool: &Pool,
    work: impl FnOnce(&mut crate::db::DbConnection) -> Result<T, diesel::result::Error> + Send + 'static,
) -> Result<T, WorkerError> {
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        work(&mut conn).map_err(WorkerError::from)
    })
    .await?
}

/// Delivers every email due at `now`, in batches, until none is left.
pub async fn deliver_due(
    pool: &Pool,
    mailer: &Mailer,
    from: &Mailbox,
    now: DateTime<Utc>,
) -> Result<Delivery, WorkerError> {
    let mut result = Delivery::default();
    let at = now.naive_utc();
    loop {
        // One transaction per batch: one commit for the claims instead of one per email.
        let batch = blocking(pool, move |conn| {
            crate::db::transaction(conn, |conn| {
                outbox::claim_due(conn, at, Duration::seconds(LEASE_SECONDS), 100)
            })
        })
        .await?;
        if batch.is_empty() {
            return Ok(result);
        }
        // Send concurrently over the pooled transport, outside any transaction.
        let outcomes =
            futures_util::future::join_all(batch.iter().map(|email| mailer.send(email, from)))
                .await;
        let records: Vec<Outcome> = batch
            .iter()
            .zip(outcomes)
            .map(|(email, outcome)| (email.id, outcome, email.attempts, email.recipient.clone()))
            .collect();
        for (_, outcome, attempts, recipient) in &records {
            match outcome {
                Ok(()) => result.sent += 1,
                Err(e) if retry_later(outcome, *attempts) => {
                    result.retried += 1;
                    tracing::warn!(to = %super::mask(recipient), error = %e.message, "email will be retried");
                }
                Err(e) => {
                    result.failed += 1;
                    tracing::error!(to = %super::mask(recipient), error = %e.message, "email failed");
                }
            }
        }
        blocking(pool, move |conn| {
            crate::db::transaction(conn, |conn| record_outcomes(conn, &records, at))
        })
        .await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_a_minute_to_six_hours() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(5), Duration::minutes(16));
        assert_eq!(backoff(9), Duration::minutes(256));
        assert_eq!(backoff(10), Duration::minutes(360));
    }
}
