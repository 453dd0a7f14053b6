//! Web chat sessions and their transcript. The transcript holds what the person typed (their
//! TC Kimlik No among it), so every entry is encrypted.

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
    /// A new web chat session: a public id for URLs and a secret bearer token, stored hashed.
    pub async fn create_web_session(&self, now: i64) -> Result<(WebSession, String)> {
        let id = random_token(12);
        let token = random_token(32);
        let person_id = self.person("web", &id, now).await?;
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO webchat_sessions (id, token_hash, person_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(id.clone())
            .bind(self.vault.lookup_hash(SESSION_TOKEN, &token))
            .bind(person_id)
            .bind(now)
            .execute(&mut tx.tx)
            .await?;
        tx.commit().await?;
        Ok((WebSession { id, person_id }, token))
    }

    /// The session if it exists: `Ok(None)` for an unknown id, `Ok(Some(Err(())))` for a wrong
    /// token. The token is compared in constant time.
    pub async fn web_session(&self, id: &str, token: &str) -> Result<Option<Result<WebSession, ()>>> {
        // Looked up with the other requests in flight (`gather.rs`).
        let found = match &self.sessions {
            Some(sessions) => sessions.submit(id.to_owned()).await?,
            None => run_one::<Sessions>(self, &mut Reader::once(), &id.to_owned()).await?,
        };
        let Some((stored, person_id)) = found else { return Ok(None) };
        let given = self.vault.lookup_hash(SESSION_TOKEN, token);
        if !bool::from(stored.as_bytes().ct_eq(given.as_bytes())) {
            return Ok(Some(Err(())));
        }
        Ok(Some(Ok(WebSession { id: id.to_owned(), person_id })))
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
