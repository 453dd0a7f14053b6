//! Whether this instance can do its work, for `/readyz`: the background workers still running
//! (each watched from its start), and the chat platforms' links (Telegram's long polling
//! answering lately; Discord's REST API answering its last call). The database and the
//! migrations are asked at each check.

use std::future::Future;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

#[derive(Default)]
pub struct Health {
    workers: Mutex<Vec<(&'static str, Arc<AtomicBool>)>>,
    /// When Telegram last answered a poll (ms), and how old that may be; `None` when Telegram
    /// is not polled (not configured, or its webhook calls us).
    telegram: Mutex<Option<(Arc<AtomicI64>, i64)>>,
    /// Discord's REST calls, when Discord is configured.
    discord: Mutex<Option<Arc<CallOutcomes>>>,
}

/// When calls to a platform's API last went through and last failed in a way that is the link's
/// (unreachable, 5xx, a refused token), not one person's (a closed DM).
#[derive(Default)]
pub struct CallOutcomes {
    ok_at: AtomicI64,
    failed_at: AtomicI64,
}

/// How long a failed call keeps a link "failing" when no call went through since.
pub const FAILURE_HOLDS_MS: i64 = 5 * 60 * 1000;

/// What `/readyz` says of a platform's link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkState {
    /// No call made yet (nothing to send, set-up still starting).
    NoCallYet,
    Ok,
    /// The last call failed and none went through since.
    Failing,
}

impl CallOutcomes {
    pub fn went_through(&self, now: i64) {
        self.ok_at.store(now, Ordering::Relaxed);
    }

    pub fn failed(&self, now: i64) {
        self.failed_at.store(now, Ordering::Relaxed);
    }

    /// A failure counts for [`FAILURE_HOLDS_MS`]: with little traffic, one 5xx must not keep
    /// the instance out of service for hours.
    pub fn state(&self, now: i64) -> LinkState {
        let (ok, failed) = (self.ok_at.load(Ordering::Relaxed), self.failed_at.load(Ordering::Relaxed));
        match (ok, failed) {
            (0, 0) => LinkState::NoCallYet,
            (ok, failed) if failed > ok && now - failed <= FAILURE_HOLDS_MS => LinkState::Failing,
            (0, _) => LinkState::NoCallYet,
            _ => LinkState::Ok,
        }
    }
}

/// Marks its worker stopped when dropped: when the worker's future ends, panics or is aborted.
struct Running(Arc<AtomicBool>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

impl Health {
    /// `work`, watched: `/readyz` says so if it ever stops.
    pub fn watch<F: Future<Output = ()> + Send + 'static>(&self, name: &'static str, work: F) -> impl Future<Output = ()> + Send + 'static {
        let running = Arc::new(AtomicBool::new(true));
        self.workers.lock().unwrap_or_else(|p| p.into_inner()).push((name, running.clone()));
        async move {
            let _running = Running(running);
            work.await;
        }
    }

    /// The workers that stopped.
    pub fn stopped_workers(&self) -> Vec<&'static str> {
        self.workers.lock().unwrap_or_else(|p| p.into_inner()).iter().filter(|(_, r)| !r.load(Ordering::Relaxed)).map(|(n, _)| *n).collect()
    }

    /// Telegram's poll loop reports each answer in `answered_at`; older than `stale_ms` is unhealthy.
    pub fn watch_telegram(&self, answered_at: Arc<AtomicI64>, stale_ms: i64) {
        *self.telegram.lock().unwrap_or_else(|p| p.into_inner()) = Some((answered_at, stale_ms));
    }

    pub fn watch_discord(&self, calls: Arc<CallOutcomes>) {
        *self.discord.lock().unwrap_or_else(|p| p.into_inner()) = Some(calls);
    }

    /// `Some(state)` when Discord is configured.
    pub fn discord(&self, now: i64) -> Option<LinkState> {
        self.discord.lock().unwrap_or_else(|p| p.into_inner()).as_ref().map(|c| c.state(now))
    }

    /// `Some(healthy)` when Telegram is polled.
    pub fn telegram_ok(&self, now: i64) -> Option<bool> {
        let watched = self.telegram.lock().unwrap_or_else(|p| p.into_inner());
        watched.as_ref().map(|(at, stale)| now - at.load(Ordering::Relaxed) <= *stale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_worker_that_ends_or_panics_is_reported() {
        let health = Health::default();
        let forever = tokio::spawn(health.watch("forever", std::future::pending()));
        let ends = tokio::spawn(health.watch("ends", async {}));
        let panics = tokio::spawn(health.watch("panics", async { panic!("boom") }));
        let _ = ends.await;
        let _ = panics.await;
        assert_eq!(health.stopped_workers(), ["ends", "panics"]);
        forever.abort();
        let _ = forever.await;
        assert_eq!(health.stopped_workers(), ["forever", "ends", "panics"], "an aborted worker too");
        let at = Arc::new(AtomicI64::new(1_000));
        assert_eq!(health.telegram_ok(5_000), None);
        health.watch_telegram(at.clone(), 10_000);
        assert_eq!(health.telegram_ok(5_000), Some(true));
        assert_eq!(health.telegram_ok(20_000), Some(false));
    }

    #[test]
    fn a_link_fails_until_a_call_goes_through_again() {
        let health = Health::default();
        assert_eq!(health.discord(0), None);
        let calls = Arc::new(CallOutcomes::default());
        health.watch_discord(calls.clone());
        assert_eq!(health.discord(0), Some(LinkState::NoCallYet));
        calls.went_through(1_000);
        assert_eq!(health.discord(1_500), Some(LinkState::Ok));
        calls.failed(2_000);
        assert_eq!(health.discord(2_500), Some(LinkState::Failing));
        assert_eq!(health.discord(2_000 + FAILURE_HOLDS_MS + 1), Some(LinkState::Ok), "an old failure ages out");
        calls.went_through(3_000);
        assert_eq!(health.discord(3_500), Some(LinkState::Ok));
    }
}
