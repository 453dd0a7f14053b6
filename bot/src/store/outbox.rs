//! The outbox: messages to deliver, written in the caller's transaction, claimed by a delivery
//! worker with a lease (so a crashed worker's messages are taken up again), retried with
//! backoff, and marked sent or failed. With PostgreSQL several bot instances claim with
//! `FOR UPDATE SKIP LOCKED` and never take the same row.

use serde_json::Value;
use sqlx::Row;

use super::{Backend, Result, Store, Tx, corrupt, opt, row_placeholders};

const PAYLOAD: &str = "outbox-payload";

/// A message to queue.
#[derive(Clone, Debug)]
pub struct NewMessage<'a> {
    /// Makes queuing idempotent: a second message with the same key is dropped.
    pub idem_key: String,
    pub channel: &'a str,
    pub kind: &'a str,
    pub ticket_id: Option<i64>,
    /// The Fluent message that says what happened.
    pub message_id: &'a str,
    /// Details (encrypted at rest: may hold an address or a one-time code).
    pub payload: Option<Value>,
}

/// A claimed message.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: i64,
    pub idem_key: String,
    pub kind: String,
    pub ticket_id: Option<i64>,
    pub message_id: String,
    pub payload: Option<Value>,
    /// Including this one.
    pub attempts: i64,
}

/// A message that could not be delivered for good, for the staff view.
#[derive(Clone, Debug)]
pub struct FailedMessage {
    pub kind: String,
    pub ticket_number: Option<String>,
    pub failed_at: i64,
    pub error: String,
}

impl Tx<'_> {
    /// Queues a message; false if one with the same key was queued before.
    pub async fn enqueue(&mut self, message: NewMessage<'_>, now: i64) -> Result<bool> {
        let payload = match &message.payload {
            Some(p) => Some(self.store.vault.encrypt(PAYLOAD, &serde_json::to_vec(p).map_err(corrupt)?)),
            None => None,
        };
        let done = sqlx::query(
            "INSERT INTO outbox (idem_key, channel, kind, ticket_id, message_id, payload_enc, created_at, next_attempt_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (idem_key) DO NOTHING",
        )
        .bind(message.idem_key)
        .bind(message.channel.to_owned())
        .bind(message.kind.to_owned())
        .bind(message.ticket_id)
        .bind(message.message_id.to_owned())
        .bind(payload)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        self.queued |= done.rows_affected() == 1;
        Ok(done.rows_affected() == 1)
    }
}

impl Tx<'_> {
    /// Queues many messages in one statement (e.g. a day's reminders); duplicates are dropped.
    pub async fn enqueue_many(&mut self, messages: &[NewMessage<'_>], now: i64) -> Result<()> {
        for chunk in messages.chunks(500) {
            let sql = format!(
                "INSERT INTO outbox (idem_key, channel, kind, ticket_id, message_id, payload_enc, created_at, next_attempt_at)
                 VALUES {} ON CONFLICT (idem_key) DO NOTHING",
                row_placeholders(self.store.backend, chunk.len(), 8)
            );
            // Only placeholders are generated; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for m in chunk {
                let payload = match &m.payload {
                    Some(p) => Some(self.store.vault.encrypt(PAYLOAD, &serde_json::to_vec(p).map_err(corrupt)?)),
                    None => None,
                };
                query = query
                    .bind(m.idem_key.clone())
                    .bind(m.channel.to_owned())
                    .bind(m.kind.to_owned())
                    .bind(m.ticket_id)
                    .bind(m.message_id.to_owned())
                    .bind(payload)
                    .bind(now)
                    .bind(now);
            }
            let done = query.execute(&mut *self.tx).await?;
            self.queued |= done.rows_affected() > 0;
        }
        Ok(())
    }
}

impl Store {
    /// Takes up to `limit` due messages of a channel for `lease_ms`. A ticket's messages on a
    /// channel go out in order: one waits while an earlier one is pending (retrying), so a
    /// reader never sees the second step before the first.
    pub async fn claim_due(&self, channel: &str, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<Claimed>> {
        let sql = match self.backend {
            Backend::Postgres => {
                "UPDATE outbox SET claimed_until = $1, attempts = attempts + 1
                 WHERE id IN (SELECT id FROM outbox o
                              WHERE channel = $2 AND sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3
                                AND (claimed_until IS NULL OR claimed_until < $3)
                                AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.ticket_id = o.ticket_id
                                                AND e.channel = o.channel AND e.id < o.id
                                                AND e.sent_at IS NULL AND e.failed_at IS NULL)
                              ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
                 RETURNING id, idem_key, kind, ticket_id, message_id, payload_enc, attempts"
            }
            Backend::Sqlite => {
                "UPDATE outbox SET claimed_until = $1, attempts = attempts + 1
                 WHERE id IN (SELECT id FROM outbox o
                              WHERE channel = $2 AND sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $3
                                AND (claimed_until IS NULL OR claimed_until < $3)
                                AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.ticket_id = o.ticket_id
                                                AND e.channel = o.channel AND e.id < o.id
                                                AND e.sent_at IS NULL AND e.failed_at IS NULL)
                              ORDER BY id LIMIT $4)
                 RETURNING id, idem_key, kind, ticket_id, message_id, payload_enc, attempts"
            }
        };
        let _turn = self.write_turn().await;
        let rows = sqlx::query(sql)
            .bind(now + lease_ms)
            .bind(channel.to_owned())
            .bind(now)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        let mut claimed = rows.iter().map(|row| self.decode_message(row)).collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    }

    fn decode_message(&self, row: &sqlx::any::AnyRow) -> Result<Claimed> {
        let payload = match opt::<Vec<u8>>(row, "payload_enc")? {
            Some(sealed) => {
                let json = self.vault.decrypt(PAYLOAD, &sealed).map_err(corrupt)?;
                Some(serde_json::from_slice(&json).map_err(corrupt)?)
            }
            None => None,
        };
        Ok(Claimed {
            id: row.try_get("id")?,
            idem_key: row.try_get("idem_key")?,
            kind: row.try_get("kind")?,
            ticket_id: opt(row, "ticket_id")?,
            message_id: row.try_get("message_id")?,
            payload,
            attempts: row.try_get("attempts")?,
        })
    }

    /// Messages of a channel not yet sent, after `after_id`, without claiming them: a read-only
    /// look at what is queued.
    pub async fn peek_outbox(&self, channel: &str, after_id: i64, limit: i64) -> Result<Vec<Claimed>> {
        let rows = sqlx::query(
            "SELECT id, idem_key, kind, ticket_id, message_id, payload_enc, attempts FROM outbox
             WHERE channel = $1 AND id > $2 AND sent_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT $3",
        )
        .bind(channel.to_owned())
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| self.decode_message(row)).collect()
    }

    /// Delivered (`note`: why nothing had to be sent, if so).
    pub async fn mark_sent(&self, id: i64, now: i64, note: Option<&str>) -> Result<()> {
        self.release(
            "UPDATE outbox SET sent_at = $2, claimed_until = NULL, last_error = $3 WHERE id = $1",
            id,
            now,
            note,
        )
        .await
    }

    /// Failed for now; due again at `next_attempt_at`.
    pub async fn mark_retry(&self, id: i64, next_attempt_at: i64, error: &str) -> Result<()> {
        self.release(
            "UPDATE outbox SET next_attempt_at = $2, claimed_until = NULL, last_error = $3 WHERE id = $1",
            id,
            next_attempt_at,
            Some(error),
        )
        .await
    }

    /// Failed for good (shown on /staff).
    pub async fn mark_failed(&self, id: i64, now: i64, error: &str) -> Result<()> {
        self.release(
            "UPDATE outbox SET failed_at = $2, claimed_until = NULL, last_error = $3 WHERE id = $1",
            id,
            now,
            Some(error),
        )
        .await
    }

    /// Ends a claim: one of the three statements above, with the message's id, a time and a text.
    async fn release(&self, sql: &'static str, id: i64, at: i64, text: Option<&str>) -> Result<()> {
        let _turn = self.write_turn().await;
        sqlx::query(sql).bind(id).bind(at).bind(text.map(str::to_owned)).execute(&self.pool).await?;
        Ok(())
    }

    /// Messages that failed for good, newest first.
    pub async fn failed_messages(&self, limit: i64) -> Result<Vec<FailedMessage>> {
        let rows = sqlx::query(
            "SELECT o.kind, t.number, o.failed_at, o.last_error FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id
             WHERE o.failed_at IS NOT NULL ORDER BY o.failed_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FailedMessage {
                    kind: r.try_get("kind")?,
                    ticket_number: opt(r, "number")?,
                    failed_at: r.try_get("failed_at")?,
                    error: opt::<String>(r, "last_error")?.unwrap_or_default(),
                })
            })
            .collect()
    }
}
