//! Whether this instance can do its work, for `/readyz`: the background workers still running
//! (each watched from its start), and the chat platforms' links (Telegram's long polling
//! answering lately). The database and the migrations are asked at each check.

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
}
