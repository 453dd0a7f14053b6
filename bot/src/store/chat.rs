//! People and their conversation state.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::gather::{Reader, Saves, SealedSave, StoredChat, run_one};
use super::recent::{ReadMark, monotonic_ms};
use super::webchat::{TRANSCRIPT, TranscriptEntry};
use super::{Result, Store, Tx, corrupt};
use crate::core::conversation::{Conversation, TicketBrief};
use crate::core::domain::TicketNo;
use crate::core::ticket::TicketState;
use crate::i18n::Rendered;

pub(super) const CONVERSATION: &str = "conversation";
pub(super) const UNSENT: &str = "unsent-replies";
/// Turns kept unsent at most: a chat whose replies cannot leave for a long time (Telegram down)
/// keeps its latest ones, not an ever longer list written with every message.
const MAX_UNSENT_TURNS: usize = 20;

/// Replies the bot owes a person: saved with the conversation they answer (same statement), so a
/// crash between saving and sending loses none; forgotten once the platform has them. A crash
/// just after sending and before that is written sends them again (at least once, never lost).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Unsent {
    /// Oldest first.
    pub turns: Vec<OwedTurn>,
}

/// One turn's replies and the conversation version saved with them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OwedTurn {
    pub version: i64,
    pub replies: Vec<Rendered>,
}

impl Unsent {
    /// What is still owed (turns saved after version `delivered`), then this turn's replies saved
    /// as `version`; `None` when nothing is owed.
    pub fn then(previous: Option<&Unsent>, delivered: Option<i64>, version: i64, replies: &[Rendered]) -> Option<Unsent> {
        let delivered = delivered.unwrap_or(i64::MIN);
        let mut turns: Vec<OwedTurn> =
            previous.map(|u| u.turns.iter().filter(|t| t.version > delivered).cloned().collect()).unwrap_or_default();
        if !replies.is_empty() {
            turns.push(OwedTurn { version, replies: replies.to_vec() });
        }
        if turns.len() > MAX_UNSENT_TURNS {
            let dropped = turns.len() - MAX_UNSENT_TURNS;
            tracing::warn!(dropped, "replies owed to a chat for too long were given up");
            turns.drain(..dropped);
        }
        (!turns.is_empty()).then_some(Unsent { turns })
    }

    /// Every reply owed, in order.
    pub fn replies(self) -> impl Iterator<Item = Rendered> {
        self.turns.into_iter().flat_map(|t| t.replies)
    }
}

/// A person's replies still owed on a transport (found after a restart).
#[derive(Clone, Debug)]
pub struct OwedReplies {
    pub person_id: i64,
    pub user_id: String,
    /// The conversation's version these belong to (for [`Store::replies_delivered`]).
    pub version: i64,
    pub unsent: Unsent,
}

/// What one incoming message needs to know about its person.
#[derive(Clone, Debug, Default)]
pub struct ChatState {
    pub conversation: Conversation,
    /// 0 when no conversation is stored yet; used for optimistic concurrency.
    pub version: i64,
    pub open_ticket: Option<TicketBrief>,
    /// Replies to earlier messages not yet confirmed by the platform, as stored (opened by
    /// [`Store::open_unsent`] only when needed: usually they were delivered by the time the
    /// person writes again).
    pub unsent: Option<SealedUnsent>,
    /// When the open ticket was read (`recent.rs`).
    pub read: ReadMark,
}

/// [`Unsent`] as stored, encrypted.
#[derive(Clone, Debug, PartialEq)]
pub struct SealedUnsent(pub(super) Vec<u8>);

pub(super) fn ticket_brief(number: &str, state: &str) -> Result<TicketBrief> {
    Ok(TicketBrief {
        number: number.parse::<TicketNo>().map_err(corrupt)?,
        state: TicketState::from_code(state).ok_or_else(|| corrupt(format!("unknown state {state}")))?,
    })
}

impl Store {
    /// The person's id on a transport, created on first contact; one statement either way
    /// (the no-op update makes `RETURNING` answer for an existing row too). On SQLite the
    /// people asked for side by side are one statement (`gather.rs` `Persons`).
    pub async fn person(&self, transport: &str, user_id: &str, now: i64) -> Result<i64> {
        let asked = (transport.to_owned(), user_id.to_owned(), now);
        match &self.persons {
            Some(persons) => persons.submit(asked).await,
            None => self.add_persons(&[asked]).await?.pop().unwrap_or_else(|| Err(corrupt("no person id returned"))),
        }
    }

    /// [`Store::person`] for each `(transport, user id, now)`, in one statement (each person
    /// once in it: a statement's rows must not conflict with each other); the ids in order.
    pub(super) async fn add_persons(&self, people: &[(String, String, i64)]) -> Result<Vec<Result<i64>>> {
        let mut seen = HashSet::new();
        let unique: Vec<&(String, String, i64)> = people.iter().filter(|(t, u, _)| seen.insert((t, u))).collect();
        let sql = format!(
            "INSERT INTO persons (transport, user_id, created_at) VALUES {}
             ON CONFLICT (transport, user_id) DO UPDATE SET transport = excluded.transport RETURNING id, transport, user_id",
            super::row_placeholders(self.backend, unique.len(), 3)
        );
        // Only placeholders are generated; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (transport, user_id, now) in unique {
            query = query.bind(transport.clone()).bind(user_id.clone()).bind(*now);
        }
        let mut ids = HashMap::new();
        for row in self.write_rows(query).await? {
            ids.insert((row.try_get::<String, _>("transport")?, row.try_get::<String, _>("user_id")?), row.try_get::<i64, _>("id")?);
        }
        Ok(people
            .iter()
            .map(|(t, u, _)| ids.get(&(t.clone(), u.clone())).copied().ok_or_else(|| corrupt("no person id returned")))
            .collect())
    }

    /// The conversation and the open ticket of a person, in one round trip.
    pub async fn chat_state(&self, person_id: i64) -> Result<ChatState> {
        let read = self.read_mark();
        match self.find_chat_state(person_id, "", "").await? {
            Some((_, state)) => Ok(ChatState { read, ..state }),
            None => Err(corrupt(format!("no person {person_id}"))),
        }
    }

    /// Like [`Store::chat_state`], found by the person's transport and id there; `None` for
    /// someone we have never seen. The hot path of every message: the reads of the turns in
    /// flight are one statement ([`super::gather`]), and on SQLite the state this process saved
    /// last for the person is not read again (`recent.rs`).
    pub async fn chat_state_of(&self, transport: &str, user_id: &str) -> Result<Option<(i64, ChatState)>> {
        if let Some(recent) = &self.recent
            && let Some(found) = recent.recall(transport, user_id, monotonic_ms())
        {
            return Ok(Some(found));
        }
        let read = self.read_mark();
        let found = match &self.reads {
            Some(reads) => match reads.submit((transport.to_owned(), user_id.to_owned())).await? {
                Some(stored) => Some((stored.person_id, self.open_chat_state(stored)?)),
                None => None,
            },
            None => self.find_chat_state(-1, transport, user_id).await?,
        };
        Ok(found.map(|(person_id, state)| (person_id, ChatState { read, ..state })))
    }

    /// Taken before a chat state is read: [`ChatState::read`] of a person never seen.
    pub fn read_mark(&self) -> ReadMark {
        self.recent.as_ref().map(|recent| recent.mark(monotonic_ms())).unwrap_or_default()
    }

    /// Something a chat state holds besides the conversation changed for these people.
    pub(super) fn forget_chats(&self, people: &[i64]) {
        if let Some(recent) = &self.recent
            && !people.is_empty()
        {
            recent.forget(people, monotonic_ms());
        }
    }

    async fn find_chat_state(&self, person_id: i64, transport: &str, user_id: &str) -> Result<Option<(i64, ChatState)>> {
        let row = sqlx::query(
            "SELECT p.id AS person_id, c.version, c.state_enc, c.unsent_enc,
                    (SELECT number FROM tickets t WHERE t.person_id = p.id AND t.closed_at IS NULL
                      ORDER BY t.id DESC LIMIT 1) AS open_number,
                    (SELECT state FROM tickets t WHERE t.person_id = p.id AND t.closed_at IS NULL
                      ORDER BY t.id DESC LIMIT 1) AS open_state
             FROM persons p LEFT JOIN conversations c ON c.person_id = p.id
             WHERE p.id = $1 OR (p.transport = $2 AND p.user_id = $3)",
        )
        .bind(person_id)
        .bind(transport.to_owned())
        .bind(user_id.to_owned())
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => {
                let stored = StoredChat::from_row(&row)?;
                Ok(Some((stored.person_id, self.open_chat_state(stored)?)))
            }
            None => Ok(None),
        }
    }

    fn open_chat_state(&self, stored: StoredChat) -> Result<ChatState> {
        let conversation = match stored.state {
            Some(sealed) => {
                let json = self.vault.decrypt(CONVERSATION, &sealed).map_err(corrupt)?;
                serde_json::from_slice(&json).map_err(corrupt)?
            }
            None => Conversation::default(),
        };
        let open_ticket = match (stored.open_number, stored.open_state) {
            (Some(number), Some(state)) => Some(ticket_brief(&number, &state)?),
            _ => None,
        };
        Ok(ChatState {
            conversation,
            version: stored.version.unwrap_or(0),
            open_ticket,
            unsent: stored.unsent.map(SealedUnsent),
            read: ReadMark::default(),
        })
    }

    /// The replies a conversation still owes.
    pub fn open_unsent(&self, sealed: &SealedUnsent) -> Result<Unsent> {
        let json = self.vault.decrypt(UNSENT, &sealed.0).map_err(corrupt)?;
        serde_json::from_slice(&json).map_err(corrupt)
    }

    /// The platform has the replies saved with these `(person, conversation version)`s: forget
    /// them, unless a later message was saved since (its own confirmation covers these too).
    /// One statement per few hundred; returns how many were cleared.
    pub async fn replies_delivered(&self, delivered: &[(i64, i64)]) -> Result<u64> {
        let mut cleared = 0;
        for chunk in delivered.chunks(400) {
            let sql = format!(
                "UPDATE conversations SET unsent_enc = NULL
                 WHERE unsent_enc IS NOT NULL AND (person_id, version) IN (VALUES {})",
                super::row_placeholders(self.backend, chunk.len(), 2)
            );
            // Only placeholders are generated; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (person_id, version) in chunk {
                query = query.bind(*person_id).bind(*version);
            }
            cleared += self.write_count(query).await?;
        }
        if let Some(recent) = &self.recent {
            recent.delivered(delivered);
        }
        Ok(cleared)
    }

    /// Everyone on `transport` who is owed replies, oldest conversation change first.
    pub async fn owed_replies(&self, transport: &str) -> Result<Vec<OwedReplies>> {
        let rows = sqlx::query(
            "SELECT c.person_id, p.user_id, c.version, c.unsent_enc FROM conversations c
             JOIN persons p ON p.id = c.person_id
             WHERE c.unsent_enc IS NOT NULL AND p.transport = $1 ORDER BY c.updated_at, c.person_id",
        )
        .bind(transport.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let sealed: Vec<u8> = row.try_get("unsent_enc")?;
                Ok(OwedReplies {
                    person_id: row.try_get("person_id")?,
                    user_id: row.try_get("user_id")?,
                    version: row.try_get("version")?,
                    unsent: self.open_unsent(&SealedUnsent(sealed))?,
                })
            })
            .collect()
    }

    /// Saves the conversation alone: for a message whose only effect is the conversation's new
    /// state (most messages). The saves of the turns in flight share one commit
    /// ([`super::gather`]); this returns once that commit is durable. Same contract as
    /// [`Tx::save_conversation`].
    pub async fn save_conversation(&self, save: &ConversationSave<'_>) -> Result<bool> {
        self.save_turn(save, &[]).await
    }

    /// The same with the turn's web chat transcript lines, stored only if the save is.
    pub async fn save_turn(&self, save: &ConversationSave<'_>, transcript: &[TranscriptEntry]) -> Result<bool> {
        let (state, unsent) = seal_save(self, save)?;
        let transcript = transcript
            .iter()
            .map(|entry| {
                Ok((entry.at, entry.direction_code(), self.vault.encrypt(TRANSCRIPT, &serde_json::to_vec(entry).map_err(corrupt)?)))
            })
            .collect::<Result<Vec<_>>>()?;
        let kept = self.recent.as_ref().zip(save.from).map(|(recent, from)| (recent, from, unsent.clone()));
        let sealed = SealedSave { person_id: save.person_id, version: save.version, state, unsent, now: save.now, transcript };
        let saved = match &self.saves {
            Some(saves) => saves.submit(sealed).await,
            None => run_one::<Saves>(self, &mut Reader::once(), &sealed).await,
        };
        match (&saved, kept) {
            (Ok(true), Some((recent, from, unsent))) => {
                let state = saved_state(save, from.state, unsent);
                recent.remember(from.transport, from.user_id, save.person_id, state, monotonic_ms());
            }
            // Saved without a state to keep, refused (changed meanwhile) or unanswered.
            _ => self.forget_chats(&[save.person_id]),
        }
        saved
    }
}

/// A conversation's new state, to be saved if nobody changed it since `version` was read.
#[derive(Clone, Copy, Debug)]
pub struct ConversationSave<'a> {
    pub person_id: i64,
    pub version: i64,
    pub conversation: &'a Conversation,
    /// The replies still owed with it (saved as version `version + 1`).
    pub unsent: Option<&'a Unsent>,
    pub now: i64,
    /// The state the turn started from, and whose it is: [`Store::save_turn`] and
    /// [`Tx::save_conversation`] keep what they saved for the person's next message
    /// (`recent.rs`).
    pub from: Option<SavedFrom<'a>>,
}

/// Whose state a [`ConversationSave`] is, and the state it started from.
#[derive(Clone, Copy, Debug)]
pub struct SavedFrom<'a> {
    pub transport: &'a str,
    pub user_id: &'a str,
    pub state: &'a ChatState,
}

/// The chat state a save leaves, for the person's next message: the conversation saved, as the
/// version after the one it was read at, with the replies it owes (sealed); the rest as the turn
/// read it.
fn saved_state(save: &ConversationSave<'_>, read: &ChatState, unsent: Option<Vec<u8>>) -> ChatState {
    ChatState {
        conversation: save.conversation.clone(),
        version: save.version + 1,
        open_ticket: read.open_ticket,
        unsent: unsent.map(SealedUnsent),
        read: read.read,
    }
}

/// The conversation and the replies it still owes, encrypted.
fn seal_save(store: &Store, save: &ConversationSave<'_>) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
    let json = serde_json::to_vec(save.conversation).map_err(corrupt)?;
    let unsent = match save.unsent {
        Some(unsent) => Some(store.vault.encrypt(UNSENT, &serde_json::to_vec(unsent).map_err(corrupt)?)),
        None => None,
    };
    Ok((store.vault.encrypt(CONVERSATION, &json), unsent))
}

/// The one statement that saves a conversation (sealed, and the replies still owed for it) if
/// its version is still `version`; the saved version is `version + 1`. It changes one row, or
/// none on a conflict.
fn save_statement(save: &ConversationSave<'_>, sealed: Vec<u8>, unsent: Option<Vec<u8>>) -> super::AnyQuery<'static> {
    if save.version == 0 {
        sqlx::query(
            "INSERT INTO conversations (person_id, version, state_enc, updated_at, unsent_enc) VALUES ($1, 1, $2, $3, $4)
             ON CONFLICT (person_id) DO NOTHING",
        )
        .bind(save.person_id)
        .bind(sealed)
        .bind(save.now)
        .bind(unsent)
    } else {
        sqlx::query(
            "UPDATE conversations SET version = version + 1, state_enc = $2, updated_at = $3, unsent_enc = $5
             WHERE person_id = $1 AND version = $4",
        )
        .bind(save.person_id)
        .bind(sealed)
        .bind(save.now)
        .bind(save.version)
        .bind(unsent)
    }
}

impl Tx<'_> {
    /// Saves the conversation if nobody else changed it since `version` was read; false on a
    /// conflict (the caller reloads and handles the message again). When the transaction
    /// guards this version ([`Tx::expect_version`]), the save is held and sent with the COMMIT
    /// (a conflict then fails the transaction instead).
    /// With [`ConversationSave::from`], the state saved is kept for the person's next message
    /// once committed, if all this transaction changes of it is known ([`Tx::commit`]).
    pub async fn save_conversation(&mut self, save: &ConversationSave<'_>) -> Result<bool> {
        let (sealed, unsent) = seal_save(self.store, save)?;
        // Changed whatever comes of it: a statement whose answer was lost may have written.
        self.chats.touched_known(save.person_id);
        // Only where states are kept (SQLite): the state is a copy of the conversation.
        let kept = save.from.filter(|_| self.store.recent.is_some()).map(|from| (from, saved_state(save, from.state, unsent.clone())));
        let statement = save_statement(save, sealed, unsent);
        let saved = if self.tx.guards_version(save.person_id, save.version) {
            self.tx.write_later(statement, Some(1)).await?;
            true // or the guard fails the transaction
        } else {
            statement.execute(&mut self.tx).await?.rows_affected() == 1
        };
        // Kept only once known saved: a caller that commits after a refusal keeps nothing.
        match kept {
            Some((from, state)) if saved => self.saves_state(save.person_id, from, state),
            _ => self.touched(save.person_id),
        }
        Ok(saved)
    }
}
