//! Delivery: the outbox workers, one per channel — e-mail ([`mail`]), the help-desk webhook
//! ([`webhook`]), a person's chat ([`person_chat`]), the staff chats ([`staff_chat`]) — and what
//! they share: one drain loop ([`run`]), how a failure is classified ([`SendError`]), and how a
//! claimed message is settled (sent, retried later with [`backoff`], or failed for good and
//! shown on /staff). [`platforms`] is the registry of the chat platforms' senders; only the
//! workers here use it.

pub mod digest;
pub mod mail;
pub mod person_chat;
pub mod platforms;
pub mod staff_chat;
pub mod webhook;

use std::future::Future;
use std::time::Duration;

use rand::Rng;

use crate::clock;
use crate::core::outbound::Channel;
use crate::store::{Claimed, Store, StoreError};

/// Why a message was not delivered.
#[derive(Debug)]
pub enum SendError {
    /// Worth trying again later (4xx from SMTP, 5xx/408/429 from HTTP, no connection).
    Temporary(String),
    /// Will never work as it is (5xx from SMTP, other 4xx from HTTP, an impossible address).
    Permanent(String),
}

/// A delivery that went through.
#[derive(Debug, PartialEq, Eq)]
pub enum Delivered {
    Sent,
    /// Nothing had to be sent (no staff address configured, the personal data is gone); the
    /// reason is kept with the row.
    Skipped(String),
}

/// How a channel retries and how much it takes at once.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// First retry after this long, doubling (at most an hour), up to `max_attempts` tries.
    pub retry_base_secs: u64,
    pub max_attempts: u32,
    /// A claimed message is ours this long before another worker may take it.
    pub lease_ms: i64,
    /// Messages claimed at once.
    pub batch: i64,
    /// How often the worker looks for retries that became due (besides being woken).
    pub poll: Duration,
    /// Once woken by a message queued, how long the worker waits before it claims: what is
    /// queued meanwhile goes in the same claim (see [`run`]). Zero: at once.
    pub linger: Duration,
}

/// `base · 2^(attempt−1)`, at most `cap`, plus up to 20 % jitter so retries (and reconnects) of
/// many do not march in step. `attempt` counts from 1.
pub fn backoff(base: Duration, attempt: u32, cap: Duration) -> Duration {
    let exp = attempt.saturating_sub(1).min(20);
    let delay = base.max(Duration::from_millis(1)).saturating_mul(1u32 << exp).min(cap);
    delay + delay.mul_f64(rand::rng().random_range(0.0..=0.2))
}

/// Runs `attempt` until it succeeds, waiting longer after each failure (from a second, doubling,
/// to a minute): for set-up calls to a platform that may be unreachable for a while.
pub async fn keep_trying<F, Fut, E>(what: &str, mut attempt: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    let mut failures = 0;
    while let Err(e) = attempt().await {
        failures += 1;
        tracing::warn!(error = %e, "{what} failed; will retry");
        tokio::time::sleep(backoff(Duration::from_secs(1), failures, Duration::from_secs(60))).await;
    }
}

/// What a channel's worker does with one claimed message. The outer error is the store's (the
/// worker stops this round and tries later); the inner one the delivery's.
pub trait Worker: Send + Sync {
    fn channel(&self) -> Channel;
    fn deliver(&self, item: &Claimed) -> impl Future<Output = Result<Result<Delivered, SendError>, StoreError>> + Send;
}

/// Records how one delivery went.
pub async fn settle(store: &Store, item: &Claimed, result: Result<Delivered, SendError>, policy: &Policy) -> Result<(), StoreError> {
    let now = clock::now_ms();
    let channel = item.message.as_ref().map(|m| m.channel().code()).unwrap_or("unreadable");
    match result {
        Ok(Delivered::Sent) => {
            tracing::info!(id = item.id, kind = %item.kind, "delivered");
            crate::metrics::METRICS.delivered(channel, "sent");
            store.mark_sent(item.id, now, None).await
        }
        Ok(Delivered::Skipped(reason)) => {
            tracing::info!(id = item.id, kind = %item.kind, reason = %reason, "nothing to send");
            crate::metrics::METRICS.delivered(channel, "skipped");
            store.mark_sent(item.id, now, Some(&reason)).await
        }
        Err(SendError::Permanent(e)) => {
            tracing::warn!(id = item.id, kind = %item.kind, error = %e, "refused for good");
            crate::metrics::METRICS.delivered(channel, "failed");
            store.mark_failed(item.id, now, &e).await
        }
        Err(SendError::Temporary(e)) if item.attempts >= i64::from(policy.max_attempts) => {
            tracing::warn!(id = item.id, attempts = item.attempts, error = %e, "given up after retries");
            crate::metrics::METRICS.delivered(channel, "failed");
            store.mark_failed(item.id, now, &e).await
        }
        Err(SendError::Temporary(e)) => {
            let attempt = u32::try_from(item.attempts).unwrap_or(u32::MAX);
            let delay = backoff(Duration::from_secs(policy.retry_base_secs), attempt, Duration::from_secs(3600));
            tracing::info!(id = item.id, attempts = item.attempts, retry_in_ms = delay.as_millis() as u64, error = %e, "will retry");
            crate::metrics::METRICS.delivered(channel, "retried");
            store.mark_retry(item.id, now + delay.as_millis() as i64, &e).await
        }
    }
}

/// Delivers every due message of the worker's channel; returns how many were handled. Messages
/// of different lanes (tickets, people, addresses) go out side by side, a lane's in order.
pub async fn drain<W: Worker>(store: &Store, worker: &W, policy: &Policy) -> Result<usize, StoreError> {
    let mut handled = 0;
    loop {
        let batch = store.claim_due(worker.channel(), clock::now_ms(), policy.lease_ms, policy.batch).await?;
        if batch.is_empty() {
            return Ok(handled);
        }
        // A batch is in id order; rows of one lane stay in it within their group.
        let mut lanes: Vec<(Option<&str>, Vec<&Claimed>)> = Vec::new();
        for item in &batch {
            match lanes.iter_mut().find(|(lane, _)| lane.is_some() && *lane == item.lane.as_deref()) {
                Some((_, items)) => items.push(item),
                None => lanes.push((item.lane.as_deref(), vec![item])),
            }
        }
        let results = futures_util::future::join_all(lanes.iter().map(|(_, items)| async move {
            for item in items {
                let outcome = match &item.message {
                    Err(reason) => Err(SendError::Permanent(reason.clone())),
                    Ok(_) => worker.deliver(item).await?,
                };
                settle(store, item, outcome, policy).await?;
            }
            Ok::<usize, StoreError>(items.len())
        }))
        .await;
        for result in results {
            handled += result?;
        }
    }
}

/// Runs a channel's worker until the task is dropped: at once when something is queued, and every
/// `policy.poll` for retries that became due.
pub async fn run<W: Worker>(store: Store, worker: W, policy: Policy) {
    if store.backend() == crate::store::Backend::Sqlite {
        // One process serves a SQLite file: a claim on this channel found before this worker's
        // first was a killed process's, and a verification code must not wait out its lease.
        match store.release_claims(worker.channel()).await {
            Ok(0) => {}
            Ok(released) => tracing::info!(released, channel = worker.channel().code(), "messages claimed before a restart are due again"),
            Err(e) => tracing::warn!(error = %e, "could not release the claims of before the restart"),
        }
    }
    let mut queued = store.outbox_changes(worker.channel());
    loop {
        // Seen before draining: whatever is queued meanwhile starts the next round at once.
        queued.mark_seen();
        if let Err(e) = drain(&store, &worker, &policy).await {
            tracing::error!(channel = worker.channel().code(), error = %e, "delivery failed; will retry");
        }
        tokio::select! {
            _ = queued.changed() => {
                // Each claim is a write with the turn to write (and, alone, its own COMMIT):
                // woken by every turn that queues a verification code, the mail worker claimed
                // them one at a time under load (over the web chat's HTTP API, a write for every
                // 13 messages). A code then waits a few milliseconds longer, unnoticed next to
                // SMTP's own round trips.
                if !policy.linger.is_zero() {
                    tokio::time::sleep(policy.linger).await;
                }
            }
            _ = tokio::time::sleep(policy.poll) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let base = Duration::from_secs(30);
        let cap = Duration::from_secs(3600);
        for (attempt, low) in [(1, 30), (2, 60), (3, 120), (10, 3600), (40, 3600)] {
            let d = backoff(base, attempt, cap).as_secs();
            assert!(d >= low && d <= low + low / 5, "attempt {attempt}: {d}");
        }
    }

    /// Takes the e-mails two at a time: each delivery waits (at most `alone`) for another of
    /// the same claim; one that waited in vain is counted.
    struct Pairs {
        both: tokio::sync::Barrier,
        alone: Duration,
        waited_in_vain: std::sync::atomic::AtomicUsize,
    }

    impl Worker for std::sync::Arc<Pairs> {
        fn channel(&self) -> Channel {
            Channel::Email
        }

        async fn deliver(&self, _item: &Claimed) -> Result<Result<Delivered, SendError>, StoreError> {
            if tokio::time::timeout(self.alone, self.both.wait()).await.is_err() {
                self.waited_in_vain.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            Ok(Ok(Delivered::Sent))
        }
    }

    /// Two e-mails queued 100 ms apart: with a longer linger, the worker woken by the first
    /// claims both at once; without, the first alone.
    async fn claimed_together(linger: Duration) -> bool {
        use crate::core::outbound::{Mail, Outbound};
        let (store, _dir) = crate::store::tests::sqlite_store().await;
        let worker = std::sync::Arc::new(Pairs {
            both: tokio::sync::Barrier::new(2),
            alone: Duration::from_millis(300),
            waited_in_vain: Default::default(),
        });
        let policy = Policy { retry_base_secs: 30, max_attempts: 3, lease_ms: 60_000, batch: 10, poll: Duration::from_secs(3600), linger };
        let running = tokio::spawn(run(store.clone(), worker.clone(), policy));
        tokio::time::sleep(Duration::from_millis(50)).await; // its first look found nothing
        for n in 0..2 {
            let mut tx = store.begin().await.unwrap();
            let mail = Mail::EmailCode { to: format!("kisi.{n}@kurum.gov.tr"), code: "E-12345".into(), lang: Default::default() };
            tx.enqueue(format!("code:{n}"), &Outbound::Email(mail), clock::now_ms()).await.unwrap();
            tx.commit().await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let sent = async {
            loop {
                let pending = store.peek_outbox(Channel::Email, 0, 10).await.unwrap();
                if pending.is_empty() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), sent).await.expect("both e-mails were sent");
        running.abort();
        worker.waited_in_vain.load(std::sync::atomic::Ordering::SeqCst) == 0
    }

    #[tokio::test]
    async fn mail_queued_while_the_worker_lingers_goes_in_the_same_claim() {
        assert!(claimed_together(Duration::from_millis(400)).await, "claimed one at a time despite the linger");
        assert!(!claimed_together(Duration::ZERO).await, "without a linger the first goes alone (the test sees the difference)");
    }
}
