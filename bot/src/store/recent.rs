//! The chat states this process saved last (SQLite): a person's next message starts from the
//! state their last turn saved instead of a read. Why: under load the read was a fifth of the
//! engine's CPU (each batch reader found the log changed and started with a cold page cache),
//! and a person's messages mostly follow one another.
//!
//! Safe because:
//! - The conversation's own version guards every save: a state saved meanwhile elsewhere makes
//!   the save fail, the state is forgotten and the turn runs again from a read.
//! - What a state holds besides the conversation — the open ticket, the replies still owed —
//!   changes without a save; each such write forgets the person when it commits (`Tx::commit`
//!   for the ticket's moves, `replies_delivered`, erasure, retention). A turn with actions
//!   (one transaction) keeps the state it saved, with the ticket it opened, only when that is
//!   all it changed of the person ([`Changes`]); whatever else it did forgets them.
//! - A state saved by a turn that read before such a write is refused ([`ReadMark::tick`]).
//! - Whatever else, a state is trusted for [`MAX_AGE_MS`] after its open ticket was read
//!   (counted on this process's monotonic clock: a wall clock set back does not stretch it), and
//!   one found older is dropped (it holds a draft with personal data).
//!
//! PostgreSQL has none: another instance's writes never reach this process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use super::chat::ChatState;
use crate::core::conversation::TicketBrief;

/// How long a state is trusted after its open ticket was read from the database.
pub const MAX_AGE_MS: i64 = 60_000;
/// People remembered at most (each a conversation of a few hundred bytes).
const CAPACITY: usize = 4_096;

/// When the open ticket of a [`ChatState`] was read: the count of forgettings then, and the time
/// ([`monotonic_ms`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadMark {
    tick: u64,
    at_ms: i64,
}

/// Milliseconds since this process first asked, on the monotonic clock: the `now_ms` of
/// [`RecentChats`]' methods.
pub(super) fn monotonic_ms() -> i64 {
    static START: OnceLock<Instant> = OnceLock::new();
    i64::try_from(START.get_or_init(Instant::now).elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// `(transport code, id there)`.
type Key = (String, String);

#[derive(Default)]
pub(super) struct RecentChats {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Counts forgettings: a state read before the last forgetting of its person is refused.
    tick: u64,
    /// The last forgetting of anyone no longer in `slots`.
    floor: u64,
    slots: HashMap<i64, Slot>,
    ids: HashMap<Key, i64>,
}

#[derive(Default)]
struct Slot {
    forgotten_at: u64,
    kept: Option<(Key, ChatState)>,
}

impl Inner {
    fn forget(&mut self, person_id: i64) {
        self.tick += 1;
        let slot = self.slots.entry(person_id).or_default();
        slot.forgotten_at = self.tick;
        if let Some((key, _)) = slot.kept.take() {
            self.ids.remove(&key);
        }
    }

    /// Room for one more: the stale go first, then everyone.
    fn make_room(&mut self, now_ms: i64) {
        if self.slots.len() < CAPACITY {
            return;
        }
        let (tick, mut floor) = (self.tick, self.floor);
        self.slots.retain(|_, slot| {
            let fresh = slot.kept.as_ref().is_some_and(|(_, state)| now_ms - state.read.at_ms < MAX_AGE_MS);
            if !fresh {
                floor = floor.max(slot.forgotten_at);
            }
            fresh
        });
        if self.slots.len() >= CAPACITY / 2 {
            self.slots.clear();
            floor = tick;
        }
        self.floor = floor;
        let slots = &self.slots;
        self.ids.retain(|_, person| slots.contains_key(person));
    }
}

/// How many, never what: the states hold drafts with personal data.
impl std::fmt::Debug for RecentChats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecentChats").field("people", &self.inner().slots.len()).finish()
    }
}

impl RecentChats {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Taken before a state is read from the database.
    pub fn mark(&self, now_ms: i64) -> ReadMark {
        ReadMark { tick: self.inner().tick, at_ms: now_ms }
    }

    /// The state last saved for this person, if still trusted; one no longer trusted is dropped.
    pub fn recall(&self, transport: &str, user_id: &str, now_ms: i64) -> Option<(i64, ChatState)> {
        let mut inner = self.inner();
        let key = (transport.to_owned(), user_id.to_owned());
        let person_id = *inner.ids.get(&key)?;
        let slot = inner.slots.get_mut(&person_id)?;
        let (_, state) = slot.kept.as_ref()?;
        if now_ms - state.read.at_ms < MAX_AGE_MS {
            return Some((person_id, state.clone()));
        }
        slot.kept = None;
        inner.ids.remove(&key);
        None
    }

    /// A turn saved `state` (its read mark the one its open ticket was read with); kept unless
    /// the person was forgotten since that read.
    pub fn remember(&self, transport: &str, user_id: &str, person_id: i64, state: ChatState, now_ms: i64) {
        let mut inner = self.inner();
        let since = inner.slots.get(&person_id).map_or(inner.floor, |slot| slot.forgotten_at);
        if state.read.tick < since || now_ms - state.read.at_ms >= MAX_AGE_MS {
            return;
        }
        inner.make_room(now_ms);
        let key = (transport.to_owned(), user_id.to_owned());
        inner.ids.insert(key.clone(), person_id);
        inner.slots.insert(person_id, Slot { forgotten_at: since, kept: Some((key, state)) });
    }

    /// Something the states hold changed for these people (or may have: a failed COMMIT).
    pub fn forget(&self, people: &[i64], now_ms: i64) {
        let mut inner = self.inner();
        for person_id in people {
            inner.forget(*person_id);
        }
        inner.make_room(now_ms);
    }

    /// Everyone (a retention pass deleted conversations).
    pub fn forget_all(&self) {
        let mut inner = self.inner();
        inner.tick += 1;
        inner.floor = inner.tick;
        inner.slots.clear();
        inner.ids.clear();
    }

    /// The platform has the replies saved with these `(person, version)`s (`replies_delivered`
    /// cleared them where the version is still that).
    pub fn delivered(&self, delivered: &[(i64, i64)]) {
        let mut inner = self.inner();
        for (person_id, version) in delivered {
            if let Some(Slot { kept: Some((_, state)), .. }) = inner.slots.get_mut(person_id)
                && state.version == *version
            {
                state.unsent = None;
            }
        }
    }
}

/// The chat states a write transaction changes, as it goes: settled at its COMMIT ([`Settle`]).
#[derive(Default)]
pub(super) struct Changes {
    /// Everyone whose chat state it changes.
    touched: Vec<i64>,
    /// Those of them whose change it does not know whole (a ticket moved, data erased).
    unknown: Vec<i64>,
    /// The state it saved for a person, to keep for their next message.
    saved: Option<(Key, i64, ChatState)>,
    /// The tickets it opened, by person: the open ticket of that person's next state.
    opened: Vec<(i64, TicketBrief)>,
}

impl Changes {
    /// `person_id`'s chat state changes in a way this transaction does not carry.
    pub fn touched(&mut self, person_id: i64) {
        self.touched_known(person_id);
        if !self.unknown.contains(&person_id) {
            self.unknown.push(person_id);
        }
    }

    /// `person_id`'s chat state changes in a way carried by [`Changes::saved`] and
    /// [`Changes::opened`] (a conversation saved under its version's guard).
    pub fn touched_known(&mut self, person_id: i64) {
        if !self.touched.contains(&person_id) {
            self.touched.push(person_id);
        }
    }

    /// The state its conversation save leaves for `person_id` (a second save: not carried).
    pub fn saved(&mut self, transport: &str, user_id: &str, person_id: i64, state: ChatState) {
        self.touched_known(person_id);
        match &self.saved {
            None => self.saved = Some(((transport.to_owned(), user_id.to_owned()), person_id, state)),
            Some(_) => self.touched(person_id),
        }
    }

    /// It opened `ticket`, now `person_id`'s open ticket.
    pub fn opened(&mut self, person_id: i64, ticket: TicketBrief) {
        self.touched_known(person_id);
        self.opened.push((person_id, ticket));
    }

    /// Its COMMIT's work on `recent`, `None` when there is none.
    pub fn settle(self, recent: Option<&Arc<RecentChats>>) -> Option<Arc<Settle>> {
        let recent = recent.filter(|_| !self.touched.is_empty())?.clone();
        Some(Arc::new(Settle { recent, changes: Mutex::new(Some(self)) }))
    }
}

/// What a transaction's COMMIT does here, done once: by the committer of its group
/// (`writer.rs` `AfterCommit`, even if the transaction's wait is cancelled), else by the
/// transaction when it hears. Committed, the state it saved is kept (when it knows all that
/// changed of that person) and everyone else it changed is forgotten; not known to be committed,
/// all of them are forgotten.
pub(super) struct Settle {
    recent: Arc<RecentChats>,
    changes: Mutex<Option<Changes>>,
}

impl Settle {
    pub fn run(&self, committed: bool) {
        let Some(mut changes) = self.changes.lock().unwrap_or_else(|p| p.into_inner()).take() else { return };
        let now_ms = monotonic_ms();
        let kept = changes.saved.take().filter(|(_, person_id, _)| committed && !changes.unknown.contains(person_id));
        let Some((key, person_id, mut state)) = kept else {
            self.recent.forget(&changes.touched, now_ms);
            return;
        };
        if let Some((_, ticket)) = changes.opened.iter().rev().find(|(p, _)| *p == person_id) {
            state.open_ticket = Some(*ticket);
        }
        changes.touched.retain(|p| *p != person_id);
        if !changes.touched.is_empty() {
            self.recent.forget(&changes.touched, now_ms);
        }
        self.recent.remember(&key.0, &key.1, person_id, state, now_ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::conversation::Conversation;

    const NOW: i64 = 1_795_604_700_000;

    fn state(version: i64, read: ReadMark) -> ChatState {
        ChatState { conversation: Conversation::default(), version, open_ticket: None, unsent: None, read }
    }

    fn user(n: i64) -> String {
        format!("u{n}")
    }

    #[test]
    fn a_saved_state_is_recalled_until_it_is_too_old() {
        let recent = RecentChats::default();
        assert!(recent.recall("telegram", "u1", NOW).is_none());
        let read = recent.mark(NOW);
        recent.remember("telegram", "u1", 1, state(3, read), NOW + 5);
        let (person, found) = recent.recall("telegram", "u1", NOW + 10).unwrap();
        assert_eq!((person, found.version, found.read), (1, 3, read));
        assert!(recent.recall("discord", "u1", NOW + 10).is_none(), "another transport's person");
        assert!(recent.recall("telegram", "u1", NOW + MAX_AGE_MS).is_none(), "its open ticket was read too long ago");
        // And dropped: a draft is not kept past its use.
        assert!(recent.recall("telegram", "u1", NOW + 10).is_none(), "dropped once found too old");
        assert!(recent.inner().ids.is_empty() && recent.inner().slots[&1].kept.is_none());
        // A state carried on from an old read is not kept either.
        recent.remember("telegram", "u2", 2, state(1, read), NOW + MAX_AGE_MS);
        assert!(recent.recall("telegram", "u2", NOW + MAX_AGE_MS).is_none());
    }

    #[test]
    fn a_state_read_before_its_person_was_forgotten_is_refused() {
        let recent = RecentChats::default();
        let before = recent.mark(NOW);
        recent.remember("telegram", "u1", 1, state(1, before), NOW);
        recent.forget(&[1], NOW);
        assert!(recent.recall("telegram", "u1", NOW).is_none());
        recent.remember("telegram", "u1", 1, state(2, before), NOW);
        assert!(recent.recall("telegram", "u1", NOW).is_none(), "read before the change: refused");
        // Someone else's forgetting does not refuse it; a read after the change is kept.
        let after = recent.mark(NOW);
        recent.forget(&[2], NOW);
        recent.remember("telegram", "u1", 1, state(2, after), NOW);
        assert_eq!(recent.recall("telegram", "u1", NOW).map(|(_, s)| s.version), Some(2));
        recent.forget_all();
        assert!(recent.recall("telegram", "u1", NOW).is_none());
        recent.remember("telegram", "u1", 1, state(3, after), NOW);
        assert!(recent.recall("telegram", "u1", NOW).is_none(), "read before everyone was forgotten");
    }

    #[test]
    fn delivered_replies_leave_only_the_version_they_were_saved_with() {
        let recent = RecentChats::default();
        let read = recent.mark(NOW);
        let owed = Some(crate::store::SealedUnsent(vec![1, 2, 3]));
        recent.remember("telegram", "u1", 1, ChatState { unsent: owed.clone(), ..state(4, read) }, NOW);
        recent.delivered(&[(1, 3)]);
        assert_eq!(recent.recall("telegram", "u1", NOW).unwrap().1.unsent, owed, "a later turn's replies stay");
        recent.delivered(&[(1, 4)]);
        assert_eq!(recent.recall("telegram", "u1", NOW).unwrap().1.unsent, None);
    }

    #[test]
    fn when_full_a_forgetting_is_not_lost_with_the_room_made() {
        let recent = RecentChats::default();
        let old = recent.mark(NOW);
        recent.forget(&[0], NOW);
        // Fill past capacity with fresh states: room is made, person 0's slot goes with it.
        let fresh = recent.mark(NOW);
        for n in 1..=(CAPACITY as i64 + 10) {
            recent.remember("telegram", &user(n), n, state(1, fresh), NOW);
        }
        assert!(recent.inner().slots.len() <= CAPACITY);
        assert!(recent.inner().ids.len() <= CAPACITY);
        recent.remember("telegram", &user(0), 0, state(1, old), NOW);
        assert!(recent.recall("telegram", &user(0), NOW).is_none(), "read before its forgetting");
        recent.remember("telegram", &user(0), 0, state(1, recent.mark(NOW)), NOW);
        assert!(recent.recall("telegram", &user(0), NOW).is_some());
        // Stale states make room first: three in four here, the fresh stay.
        let recent = RecentChats::default();
        let (stale, fresh) = (recent.mark(NOW - MAX_AGE_MS), recent.mark(NOW));
        for n in 0..CAPACITY as i64 {
            let read = if n < 3 * CAPACITY as i64 / 4 { stale } else { fresh };
            recent.remember("telegram", &user(n), n, state(1, read), read.at_ms);
        }
        recent.remember("telegram", "late", -1, state(1, fresh), NOW + 1);
        assert_eq!(recent.inner().slots.len(), CAPACITY / 4 + 1);
        assert!(recent.recall("telegram", "late", NOW + 1).is_some());
        assert!(recent.recall("telegram", &user(CAPACITY as i64 - 1), NOW + 1).is_some());
        assert!(recent.recall("telegram", &user(0), NOW + 1).is_none());
    }

    fn brief(state: crate::core::ticket::TicketState) -> TicketBrief {
        TicketBrief { number: "EIMZA-2026-000007".parse().unwrap(), state }
    }

    /// A turn with actions: its state is kept with the ticket it opened; the others it changed
    /// are forgotten; settled once.
    #[test]
    fn a_committed_transaction_keeps_the_state_it_saved_with_the_ticket_it_opened() {
        use crate::core::ticket::TicketState;
        let recent = Arc::new(RecentChats::default());
        let read = recent.mark(monotonic_ms());
        recent.remember("telegram", "u2", 2, state(1, read), monotonic_ms());
        let mut changes = Changes::default();
        changes.touched_known(1); // the guard of its save
        changes.opened(1, brief(TicketState::Submitted));
        changes.saved("telegram", "u1", 1, state(4, read));
        changes.touched(2); // a ticket of someone else moved
        let settle = changes.settle(Some(&recent)).unwrap();
        settle.run(true);
        let (person, kept) = recent.recall("telegram", "u1", monotonic_ms()).unwrap();
        assert_eq!((person, kept.version, kept.open_ticket), (1, 4, Some(brief(TicketState::Submitted))));
        assert!(recent.recall("telegram", "u2", monotonic_ms()).is_none(), "forgotten");
        // Once: the transaction hearing a failure after its committer settled changes nothing.
        settle.run(false);
        assert!(recent.recall("telegram", "u1", monotonic_ms()).is_some());
        // Nothing touched: nothing to settle.
        assert!(Changes::default().settle(Some(&recent)).is_none());
    }

    /// What the transaction does not carry, or a COMMIT not known to have committed: forgotten.
    #[test]
    fn a_change_not_carried_or_not_committed_forgets_the_person() {
        let recent = Arc::new(RecentChats::default());
        let read = recent.mark(monotonic_ms());
        let kept = |recent: &RecentChats| recent.recall("telegram", "u1", monotonic_ms()).map(|(_, s)| s.version);
        for (moved, committed) in [(true, true), (false, false)] {
            recent.remember("telegram", "u1", 1, state(1, recent.mark(monotonic_ms())), monotonic_ms());
            let mut changes = Changes::default();
            if moved {
                changes.touched(1);
            }
            changes.saved("telegram", "u1", 1, state(2, read));
            changes.settle(Some(&recent)).unwrap().run(committed);
            assert_eq!(kept(&recent), None, "moved {moved}, committed {committed}");
        }
        // A second save of the same transaction is not carried either.
        let mut changes = Changes::default();
        changes.saved("telegram", "u1", 1, state(2, recent.mark(monotonic_ms())));
        changes.saved("telegram", "u1", 1, state(3, recent.mark(monotonic_ms())));
        changes.settle(Some(&recent)).unwrap().run(true);
        assert_eq!(kept(&recent), None);
        // Read before someone else forgot the person: refused, as a save alone's.
        let before = recent.mark(monotonic_ms());
        recent.forget(&[1], monotonic_ms());
        let mut changes = Changes::default();
        changes.saved("telegram", "u1", 1, state(4, before));
        changes.settle(Some(&recent)).unwrap().run(true);
        assert_eq!(kept(&recent), None);
    }
}
