//! Web chat sessions and their transcript. The transcript holds what the person typed (their
//! TC Kimlik No among it), so every entry is encrypted.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use subtle::ConstantTimeEq;

use super::gather::{Reader, Sessions, run_one};
use super::{Result, Store, Tx, corrupt, row_placeholders};

pub(super) const TRANSCRIPT: &str = "webchat-message";
const SESSION_TOKEN: &str = "webchat-token";

/// Web sessions this process found (SQLite): a session's row never changes and only a
/// retention pass deletes it ([`Store::expire_idle`], which forgets them all), so the person's
/// next message need not read it again. Over the web chat's HTTP API that read was one of the
/// two of every message. Unknown ids are not kept: guessing fills nothing.
#[derive(Default)]
pub(super) struct KnownSessions {
    inner: std::sync::Mutex<Known>,
}

/// How many times all were forgotten, and the sessions: `id` → `(token hash, person)`.
type Known = (u64, HashMap<String, (String, i64)>);

/// Sessions kept at most (each about 150 bytes).
const KNOWN_SESSIONS: usize = 16_384;

impl KnownSessions {
    fn inner(&self) -> std::sync::MutexGuard<'_, Known> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session, or the count of forgettings to give [`KnownSessions::keep`] after a read.
    fn get(&self, id: &str) -> std::result::Result<(String, i64), u64> {
        let inner = self.inner();
        inner.1.get(id).cloned().ok_or(inner.0)
    }

    /// Keeps a session read while `forgotten` was the count (not if all were forgotten since).
    fn keep(&self, forgotten: u64, id: &str, found: (String, i64)) {
        let mut inner = self.inner();
        if inner.0 != forgotten {
            return;
        }
        if inner.1.len() >= KNOWN_SESSIONS {
            inner.1.clear();
        }
        inner.1.insert(id.to_owned(), found);
    }

    /// How many times all were forgotten (for a session about to be created).
    fn forgotten(&self) -> u64 {
        self.inner().0
    }

    pub(super) fn forget_all(&self) {
        let mut inner = self.inner();
        inner.0 += 1;
        inner.1.clear();
    }
}

/// How many, never which.
impl std::fmt::Debug for KnownSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KnownSessions").field("sessions", &self.inner().1.len()).finish()
    }
}

#[derive(Clone, Debug)]
pub struct WebSession {
    pub id: String,
    pub person_id: i64,
}

/// One transcript line as the page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TranscriptEntry {
    pub at: i64,
    /// "in" (the person) or "out" (the bot).
    pub direction: String,
    pub text: String,
    #[serde(default)]
    pub buttons: Vec<TranscriptButton>,
}

impl TranscriptEntry {
    /// The direction as stored: anything but the person's own line is the bot's.
    pub(super) fn direction_code(&self) -> &'static str {
        if self.direction == "in" { "in" } else { "out" }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TranscriptButton {
    pub id: String,
    pub label: String,
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    B64.encode(buf)
}

impl Store {
    /// A new web chat session: a public id for URLs and a secret bearer token, stored hashed:
    /// the person (new: the id is fresh) and the session in one transaction, one turn to write
    /// and one COMMIT to wait for (the person first, then the session, were two of each).
    pub async fn create_web_session(&self, now: i64) -> Result<(WebSession, String)> {
        let id = random_token(12);
        let token = random_token(32);
        let forgotten = self.known_sessions.as_ref().map(|known| known.forgotten());
        let token_hash = self.vault.lookup_hash(SESSION_TOKEN, &token);
        let mut tx = self.begin_deferred().await?;
        let person_id: i64 = sqlx::query("INSERT INTO persons (transport, user_id, created_at) VALUES ('web', $1, $2) RETURNING id")
            .bind(id.clone())
            .bind(now)
            .fetch_one(&mut tx.tx)
            .await?
            .try_get("id")?;
        let session = sqlx::query("INSERT INTO webchat_sessions (id, token_hash, person_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id.clone())
            .bind(token_hash.clone())
            .bind(person_id)
            .bind(now);
        tx.tx.write_later(session, Some(1)).await?;
        tx.commit().await?;
        if let (Some(known), Some(forgotten)) = (&self.known_sessions, forgotten) {
            known.keep(forgotten, &id, (token_hash, person_id));
        }
        Ok((WebSession { id, person_id }, token))
    }

    /// The session if it exists: `Ok(None)` for an unknown id, `Ok(Some(Err(())))` for a wrong
    /// token. The token is compared in constant time.
    pub async fn web_session(&self, id: &str, token: &str) -> Result<Option<Result<WebSession, ()>>> {
        let known = self.known_sessions.as_ref().map(|known| known.get(id));
        let found = match known {
            Some(Ok(found)) => Some(found),
            Some(Err(forgotten)) => {
                let found = self.read_session(id).await?;
                if let (Some(known), Some(found)) = (&self.known_sessions, &found) {
                    known.keep(forgotten, id, found.clone());
                }
                found
            }
            None => self.read_session(id).await?,
        };
        let Some((stored, person_id)) = found else { return Ok(None) };
        let given = self.vault.lookup_hash(SESSION_TOKEN, token);
        if !bool::from(stored.as_bytes().ct_eq(given.as_bytes())) {
            return Ok(Some(Err(())));
        }
        Ok(Some(Ok(WebSession { id: id.to_owned(), person_id })))
    }

    /// `(token hash, person)` of a session, looked up with the other requests in flight
    /// (`gather.rs`).
    async fn read_session(&self, id: &str) -> Result<Option<(String, i64)>> {
        match &self.sessions {
            Some(sessions) => sessions.submit(id.to_owned()).await,
            None => run_one::<Sessions>(self, &mut Reader::once(), &id.to_owned()).await,
        }
    }

    pub async fn transcript(&self, person_id: i64) -> Result<Vec<TranscriptEntry>> {
        Ok(self.transcript_page(person_id, None, i64::MAX).await?.1)
    }

    /// At most `limit` lines of the transcript: those after the first `after`, or the last ones
    /// when `after` is `None`; with the index of the first line returned.
    pub async fn transcript_page(&self, person_id: i64, after: Option<i64>, limit: i64) -> Result<(i64, Vec<TranscriptEntry>)> {
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM webchat_messages WHERE person_id = $1")
            .bind(person_id)
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        let limit = limit.max(1);
        let from = after.unwrap_or_else(|| total.saturating_sub(limit)).clamp(0, total);
        let rows = sqlx::query("SELECT body_enc FROM webchat_messages WHERE person_id = $1 ORDER BY id LIMIT $2 OFFSET $3")
            .bind(person_id)
            .bind(limit)
            .bind(from)
            .fetch_all(&self.pool)
            .await?;
        let entries = rows
            .iter()
            .map(|row| {
                let sealed: Vec<u8> = row.try_get("body_enc")?;
                let json = self.vault.decrypt(TRANSCRIPT, &sealed).map_err(corrupt)?;
                serde_json::from_slice(&json).map_err(corrupt)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((from, entries))
    }
}

impl Tx<'_> {
    /// Appends transcript lines in one statement (on SQLite, sent with the transaction's next
    /// statement that is waited for, or its COMMIT).
    pub async fn append_transcript(&mut self, person_id: i64, entries: &[TranscriptEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO webchat_messages (person_id, at, direction, body_enc) VALUES {}",
            row_placeholders(self.store.backend, entries.len(), 4)
        );
        // Only placeholders are generated; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for entry in entries {
            let json = serde_json::to_vec(entry).map_err(corrupt)?;
            query = query.bind(person_id).bind(entry.at).bind(entry.direction_code()).bind(self.store.vault.encrypt(TRANSCRIPT, &json));
        }
        Ok(self.tx.write_later(query, None).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_read_before_all_were_forgotten_is_not_kept() {
        let known = KnownSessions::default();
        let Err(before) = known.get("s1") else { panic!("nothing is known yet") };
        known.keep(before, "s1", ("h1".into(), 1));
        assert_eq!(known.get("s1"), Ok(("h1".into(), 1)));
        let Err(read_at) = known.get("s2") else { panic!("s2 was never kept") };
        known.forget_all();
        assert!(known.get("s1").is_err(), "forgotten");
        known.keep(read_at, "s2", ("h2".into(), 2));
        assert!(known.get("s2").is_err(), "read before the forgetting: perhaps deleted since");
        known.keep(known.forgotten(), "s2", ("h2".into(), 2));
        assert_eq!(known.get("s2"), Ok(("h2".into(), 2)));
    }

    #[test]
    fn when_full_room_is_made() {
        let known = KnownSessions::default();
        for n in 0..=KNOWN_SESSIONS as i64 {
            known.keep(0, &format!("s{n}"), ("h".into(), n));
        }
        assert!(known.inner().1.len() <= KNOWN_SESSIONS);
        assert_eq!(known.get(&format!("s{KNOWN_SESSIONS}")), Ok(("h".into(), KNOWN_SESSIONS as i64)));
    }
}
