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

/// Delivers every email due at `now`, in batches, until none is left.
pub async fn deliver_due(
    pool: &Pool,
    mailer: &Mailer,
    from: &Mailbox,
    now: DateTime<Utc>,
) -> Result<Delivery, crate::web::error::AppError> {
    let mut result = Delivery::default();
    loop {
        let claim_pool = pool.clone();
        let batch = tokio::task::spawn_blocking(move || {
            let mut conn = claim_pool.get()?;
            outbox::claim_due(
                &mut conn,
                now.naive_utc(),
                Duration::seconds(LEASE_SECONDS),
                100,
            )
            .map_err(crate::web::error::AppError::from)
        })
        .await
        .map_err(|e| crate::web::error::AppError::Internal(e.to_string()))??;
        if batch.is_empty() {
            return Ok(result);
        }
        // Send concurrently over the pooled transport, then record every outcome.
        let sends = batch.iter().map(|email| mailer.send(email, from));
        let outcomes = futures_util::future::join_all(sends).await;
        let records: Vec<(i64, Result<(), super::transport::SendError>, i64, String)> = batch
            .iter()
            .zip(outcomes)
            .map(|(email, outcome)| (email.id, outcome, email.attempts, email.recipient.clone()))
            .collect();
        for (_, outcome, attempts, recipient) in &records {
            match outcome {
                Ok(()) => result.sent += 1,
                Err(e) if !e.permanent && *attempts < MAX_ATTEMPTS => {
                    result.retried += 1;
                    tracing::warn!(to = %super::mask(recipient), error = %e.message, "email will be retried");
                }
                Err(e) => {
                    result.failed += 1;
                    tracing::error!(to = %super::mask(recipient), error = %e.message, "email failed");
                }
            }
        }
        let record_pool = pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = record_pool.get()?;
            let done = now.naive_utc();
            for (id, outcome, attempts, _) in records {
                match outcome {
                    Ok(()) => outbox::mark_sent(&mut conn, id, done)?,
                    Err(e) if !e.permanent && attempts < MAX_ATTEMPTS => {
                        outbox::mark_attempt_failed(
                            &mut conn,
                            id,
                            &e.message,
                            Some(now.naive_utc() + backoff(attempts)),
                        )?
                    }
                    Err(e) => outbox::mark_attempt_failed(&mut conn, id, &e.message, None)?,
                };
            }
            Ok::<_, crate::web::error::AppError>(())
        })
        .await
        .map_err(|e| crate::web::error::AppError::Internal(e.to_string()))??;
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
