//! Live agent connections of this process: wake one when work is queued for it, close it when
//! it is revoked. Work queued by another instance (same PostgreSQL) is noticed by a poller that
//! reads the work queue's sequence every half second — one query per instance, not per agent.
//! Knows nothing of the conversation: people hear about their PCs through the outbox.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::core::domain::AgentId;
use crate::store::Store;

/// How often the queue is checked for work other instances queued.
const POLL: Duration = Duration::from_millis(500);

/// Why a live connection is being closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseReason {
    /// The agent was unlinked: it must not come back.
    Revoked,
    /// The bot is stopping, or a newer connection of the same agent replaced this one.
    Goodbye,
}

#[derive(Default)]
pub struct Links {
    // A std mutex: only held to look up, insert or remove, never across an await.
    live: Mutex<HashMap<AgentId, Live>>,
}

struct Live {
    /// Distinguishes this connection from a newer one of the same agent.
    serial: u64,
    wake: Arc<Notify>,
    close: watch::Sender<Option<CloseReason>>,
}

/// A connection's end of the registry; unregisters itself when dropped.
pub struct LinkHandle {
    links: Arc<Links>,
    agent_id: AgentId,
    serial: u64,
    pub wake: Arc<Notify>,
    pub closed: watch::Receiver<Option<CloseReason>>,
}

impl Drop for LinkHandle {
    fn drop(&mut self) {
        let mut live = self.links.live.lock().unwrap_or_else(|p| p.into_inner());
        if live.get(&self.agent_id).is_some_and(|l| l.serial == self.serial) {
            live.remove(&self.agent_id);
        }
    }
}

impl Links {
    /// How many agents are connected to this instance.
    pub fn count(&self) -> usize {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Registers a new connection of `agent_id`; an older one of the same agent is closed (the
    /// agent reconnected before the bot noticed the old connection was gone).
    pub fn register(self: &Arc<Self>, agent_id: &AgentId) -> LinkHandle {
        static SERIAL: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let serial = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let wake = Arc::new(Notify::new());
        let (close, closed) = watch::channel(None);
        let old = self.live.lock().unwrap_or_else(|p| p.into_inner()).insert(agent_id.clone(), Live { serial, wake: wake.clone(), close });
        if let Some(old) = old {
            let _ = old.close.send(Some(CloseReason::Goodbye));
        }
        LinkHandle { links: self.clone(), agent_id: agent_id.clone(), serial, wake, closed }
    }

    pub fn wake(&self, agent_id: &AgentId) {
        if let Some(live) = self.live.lock().unwrap_or_else(|p| p.into_inner()).get(agent_id) {
            live.wake.notify_one();
        }
    }

    /// Closes a revoked agent's live connection here, if it has one.
    pub fn close(&self, agent_id: &AgentId) {
        if let Some(live) = self.live.lock().unwrap_or_else(|p| p.into_inner()).remove(agent_id) {
            let _ = live.close.send(Some(CloseReason::Revoked));
        }
    }

    /// Closes every connection (the bot is stopping; agents reconnect to whoever serves next).
    pub fn close_all(&self) {
        for (_, live) in self.live.lock().unwrap_or_else(|p| p.into_inner()).drain() {
            let _ = live.close.send(Some(CloseReason::Goodbye));
        }
    }

    pub fn is_connected(&self, agent_id: &AgentId) -> bool {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).contains_key(agent_id)
    }

    pub fn connected(&self) -> usize {
        self.live.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

/// Agents silent this long are unlinked (PRODUCT.md: idle PCs do not stay paired forever).
pub const IDLE_UNLINK_MS: i64 = 30 * 24 * 60 * 60 * 1000;

/// Hourly: unlinks idle agents and closes their connections here.
pub async fn idle_loop(store: Store, links: Arc<Links>) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let now = crate::clock::now_ms();
        match store.revoke_idle_agents(now - IDLE_UNLINK_MS, now).await {
            Ok(ids) => {
                if !ids.is_empty() {
                    tracing::info!(agents = ids.len(), "idle agents unlinked");
                }
                for id in ids {
                    links.close(&id);
                }
            }
            Err(e) => tracing::error!(error = %e, "unlinking idle agents failed; will retry"),
        }
    }
}

/// Wakes local connections for work any instance queued, closes local connections of agents
/// any instance revoked, and has people whose PC has not picked up its work told that it is
/// offline (an outbox message, written by the store with the mark).
pub async fn poll_loop(store: Store, links: Arc<Links>, offline_after: Duration) {
    let mut seq = store.last_work_seq().await.unwrap_or(0);
    let mut revoked_since = crate::clock::now_ms();
    loop {
        tokio::time::sleep(POLL).await;
        match store.work_since(seq).await {
            Ok((agents, last)) => {
                seq = last;
                for agent in agents {
                    links.wake(&agent);
                }
            }
            Err(e) => tracing::warn!(error = %e, "agent work poll failed"),
        }
        let now = crate::clock::now_ms();
        match store.revoked_since(revoked_since).await {
            Ok(ids) => {
                revoked_since = now - 1;
                for id in ids {
                    links.close(&id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "agent revocation poll failed"),
        }
        if let Err(e) = store.tell_offline_pcs(now - offline_after.as_millis() as i64, now).await {
            tracing::warn!(error = %e, "offline notice poll failed");
        }
    }
}
