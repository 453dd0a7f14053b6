//! What every outbox delivery worker shares (e-mail, help-desk webhook, later the staff chat):
//! how a failure is classified and how a claimed message is settled — sent, retried later with
//! exponential backoff, or failed for good (shown on /staff).

use rand::Rng;

use crate::clock;
use crate::store::{Claimed, Store, StoreError};

const MAX_BACKOFF_SECS: u64 = 3600;

/// Why a message was not delivered.
#[derive(Debug)]
pub enum SendError {
    /// Worth trying again later (4xx from SMTP, 5xx/408/429 from HTTP, no connection).
    Temporary(String),
    /// Will never work as it is (5xx from SMTP, other 4xx from HTTP, an impossible address).
    Permanent(String),
}

/// Retry policy of a channel.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    pub base_secs: u64,
    pub max_attempts: u32,
}

/// base · 2^(attempt−1), at most an hour, plus up to 20 % jitter so retries do not march in step.
pub fn backoff_secs(base: u64, attempts: i64) -> u64 {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    let delay = base.max(1).saturating_mul(1u64 << exp).min(MAX_BACKOFF_SECS);
    delay + rand::rng().random_range(0..=delay / 5)
}

/// Records how one delivery went.
pub async fn settle(store: &Store, item: &Claimed, result: Result<(), SendError>, retry: Retry) -> Result<(), StoreError> {
    let now = clock::now_ms();
    match result {
        Ok(()) => {
            tracing::info!(id = item.id, kind = %item.kind, "delivered");
            store.mark_sent(item.id, now, None).await
        }
        Err(SendError::Permanent(e)) => {
            tracing::warn!(id = item.id, kind = %item.kind, error = %e, "refused for good");
            store.mark_failed(item.id, now, &e).await
        }
        Err(SendError::Temporary(e)) if item.attempts >= i64::from(retry.max_attempts) => {
            tracing::warn!(id = item.id, attempts = item.attempts, error = %e, "given up after retries");
            store.mark_failed(item.id, now, &e).await
        }
        Err(SendError::Temporary(e)) => {
            let delay = backoff_secs(retry.base_secs, item.attempts);
            tracing::info!(id = item.id, attempts = item.attempts, retry_in_secs = delay, error = %e, "will retry");
            store.mark_retry(item.id, now + (delay * 1000) as i64, &e).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        for (attempt, low) in [(1, 30), (2, 60), (3, 120), (10, 3600), (40, 3600)] {
            let d = backoff_secs(30, attempt);
            assert!(d >= low && d <= low + low / 5, "attempt {attempt}: {d}");
        }
    }
}
