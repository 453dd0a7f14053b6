//! One async lock per person with a message in flight: a person's messages are handled one at a
//! time and in order within this process. (Across processes the conversation's version check
//! keeps them consistent.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A person on a transport: (`telegram`, their chat id).
type PersonKey = (&'static str, String);

#[derive(Default)]
pub(super) struct PersonLocks {
    // A std mutex: held only to look up or drop an entry, never across an await.
    map: Mutex<HashMap<PersonKey, Arc<tokio::sync::Mutex<()>>>>,
}

pub(super) struct PersonGuard<'a> {
    locks: &'a PersonLocks,
    key: PersonKey,
    mutex: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl PersonLocks {
    pub(super) async fn lock(&self, transport: &'static str, user_id: &str) -> PersonGuard<'_> {
        let key = (transport, user_id.to_owned());
        let mutex = {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key.clone()).or_default().clone()
        };
        let guard = mutex.clone().lock_owned().await;
        PersonGuard { locks: self, key, mutex, guard: Some(guard) }
    }
}

impl Drop for PersonGuard<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut map = self.locks.map.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map and this guard hold it: nobody is waiting, forget the entry.
        if Arc::strong_count(&self.mutex) == 2 {
            map.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn person_locks_serialise_and_forget_idle_people() {
        let locks = Arc::new(PersonLocks::default());
        let first = locks.lock("web", "a").await;
        let l2 = locks.clone();
        let waiter = tokio::spawn(async move {
            let _g = l2.lock("web", "a").await;
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "the second message waits for the first");
        let other = locks.lock("telegram", "a").await;
        drop(first);
        waiter.await.unwrap();
        drop(other);
        assert!(locks.map.lock().unwrap().is_empty(), "no entry is kept for idle people");
    }
}
