//! Background jobs. The retention job erases the personal data of tickets closed longer ago
//! than the retention period, and forgets old processed-update ids.

use std::time::Duration;

use crate::clock;
use crate::store::Store;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

pub async fn purge_loop(store: Store, every: Duration, retention_days: u32) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = purge_once(&store, retention_days, clock::now_ms()).await {
            tracing::error!(error = %e, "retention job failed; will retry");
        }
    }
}

pub async fn purge_once(store: &Store, retention_days: u32, now: i64) -> Result<u64, crate::store::StoreError> {
    let purged = store.purge_closed(now - i64::from(retention_days) * DAY_MS, now).await?;
    if purged > 0 {
        tracing::info!(tickets = purged, "personal data of closed tickets erased after the retention period");
    }
    store.forget_updates_before(now - 7 * DAY_MS).await?;
    Ok(purged)
}
