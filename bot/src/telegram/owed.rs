//! Telegram's owed replies: a turn's replies are saved with the conversation (see
//! `ReplyMode::SavedUntilSent`) and owed until the chat's queue has sent them. The ledger keeps
//! what was confirmed in memory — the person's next turn leaves it out of what it saves, and once
//! a second the rest is written in one statement — and, after a restart, the adapter sends
//! whatever the store still holds as owed before anything else.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::service::Owed;
use crate::store::{Store, StoreError};

/// Per chat (the Telegram user id), the latest conversation version whose replies left and that
/// is not yet written as such.
#[derive(Default)]
pub struct Ledger {
    // A std mutex: only held to read or update the map, never across an await.
    delivered: Mutex<HashMap<String, Owed>>,
}

impl Ledger {
    /// The chat's queue has sent the replies saved as `owed` (and any owed before them).
    pub fn confirm(&self, chat: &str, owed: Owed) {
        let mut delivered = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
        let entry = delivered.entry(chat.to_owned()).or_insert(owed);
        entry.version = entry.version.max(owed.version);
    }

    /// The latest version confirmed for this chat and not yet written (for the next turn).
    pub fn delivered(&self, chat: &str) -> Option<i64> {
        self.delivered.lock().unwrap_or_else(|p| p.into_inner()).get(chat).map(|o| o.version)
    }

    /// Writes the confirmations heard since the last call in one statement; returns how many
    /// conversations owe nothing any more. A crash before this sends them again: a duplicate,
    /// never a loss.
    pub async fn write(&self, store: &Store) -> Result<u64, StoreError> {
        let batch: Vec<(String, Owed)> = {
            let delivered = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
            delivered.iter().map(|(c, o)| (c.clone(), *o)).collect()
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let pairs: Vec<(i64, i64)> = batch.iter().map(|(_, o)| (o.person_id, o.version)).collect();
        let cleared = store.replies_delivered(&pairs).await?;
        // Forgotten only once written (a newer confirmation heard meanwhile stays).
        let mut delivered = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
        for (chat, owed) in batch {
            if delivered.get(&chat) == Some(&owed) {
                delivered.remove(&chat);
            }
        }
        Ok(cleared)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_confirmation_wins() {
        let ledger = Ledger::default();
        assert_eq!(ledger.delivered("1"), None);
        ledger.confirm("1", Owed { person_id: 7, version: 3 });
        ledger.confirm("1", Owed { person_id: 7, version: 2 });
        assert_eq!(ledger.delivered("1"), Some(3));
        assert_eq!(ledger.delivered("2"), None);
    }
}
