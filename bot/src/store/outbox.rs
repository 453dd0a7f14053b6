//! The outbox: typed messages to deliver ([`Outbound`]), written in the caller's transaction,
//! claimed by their channel's worker with a lease (so a crashed worker's messages are taken up
//! again), retried with backoff, and marked sent or failed. A message's payload is encrypted
//! (it may hold an address, a code, a question) and blanked once it is settled. With PostgreSQL
//! several bot instances claim with `FOR UPDATE SKIP LOCKED` and never take the same row.

use sqlx::Row;

use super::{AnyQuery, Backend, Result, Store, Tx, corrupt, opt, row_placeholders};
use crate::core::outbound::{Channel, Lane, Outbound};

pub(super) const PAYLOAD: &str = "outbox-payload";
pub(super) const LANE: &str = "outbox-lane";
const MAIL_LIMIT: &str = "mail-limit";

/// Verification e-mails one address may receive: per hour, per day; and all addresses together
/// per hour. Anyone may type any institutional address, so without these the bot could be
/// made to mail-bomb a colleague (a new application starts the per-application count again).
pub const CODES_PER_ADDRESS_HOUR: i64 = 3;
pub const CODES_PER_ADDRESS_DAY: i64 = 10;
pub const CODES_PER_HOUR_ALL: i64 = 300;

/// A claimed message.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: i64,
    /// Its idempotency key: stable, so a retried delivery is recognisable as the same one
    /// (e-mail `Message-ID`, webhook delivery id).
    pub key: String,
    pub kind: String,
    pub ticket_id: Option<i64>,
    /// Messages of one lane go out in order (see [`Lane`]).
    pub lane: Option<String>,
    /// What to deliver; `Err` with the reason when the stored payload cannot be read (it is then
    /// marked failed: retrying cannot mend it).
    pub message: std::result::Result<Outbound, String>,
    /// Including this one.
    pub attempts: i64,
}

/// A message that could not be delivered for good, for the staff view.
#[derive(Clone, Debug)]
pub struct FailedMessage {
    pub channel: String,
    pub kind: String,
    pub ticket_number: Option<String>,
    pub failed_at: i64,
    pub error: String,
}

/// The end of a message's claim: one of `release`'s fixed statements, its id, a time and a text.
pub(super) struct Release {
    pub sql: &'static str,
    pub id: i64,
    pub at: i64,
    pub text: Option<String>,
}

impl Release {
    pub(super) fn query(&self) -> AnyQuery<'static> {
        sqlx::query(self.sql).bind(self.id).bind(self.at).bind(self.text.clone())
    }
}

impl Store {
    /// The lane column: ticket and person ids as they are, an address only as a keyed hash.
    fn lane_key(&self, message: &Outbound) -> String {
        match message.lane() {
            Lane::Ticket(id) => format!("ticket:{id}"),
            Lane::Person(id) => format!("person:{id}"),
            Lane::Address(address) => format!("to:{}", self.vault.lookup_hash(LANE, &address)),
            Lane::Desk => "desk".to_owned(),
        }
    }

    fn seal(&self, message: &Outbound) -> Result<Vec<u8>> {
        Ok(self.vault.encrypt(PAYLOAD, &serde_json::to_vec(message).map_err(corrupt)?))
    }
}

/// How long no code e-mail's count is presumed after one was refused ([`Tx::count_code_mail`]).
const PRESUME_PAUSE_MS: i64 = 60_000;

/// Counts a verification e-mail to the address whose hash is `$1` at `$4` if under the three
/// limits (see [`Tx::count_code_mail`]): `$2` an hour ago, `$3` a day ago, `$5`/`$6`/`$7` the
/// limits per address an hour and a day and for all addresses an hour, `$8` the minute the hour
/// starts in and `$9` when the minute after it starts.
const COUNT_CODE_MAIL: &str = "INSERT INTO mail_limits (address_hash, at)
     SELECT $1, $4
     WHERE (SELECT COUNT(*) FROM mail_limits WHERE address_hash = $1 AND at > $2) < $5
       AND (SELECT COUNT(*) FROM mail_limits WHERE address_hash = $1 AND at > $3) < $6
       AND (SELECT COALESCE(SUM(sent), 0) FROM mail_limit_minutes WHERE minute > $8)
           + (SELECT COUNT(*) FROM mail_limits WHERE at > $2 AND at < $9) < $7";

impl Tx<'_> {
    /// Whether a verification e-mail may go to `address` now; if so it is counted. `Err`
    /// carries how many minutes to wait.
    ///
    /// `presume`: on SQLite, presumed under the limits, nobody waits for the count: it rides
    /// with the transaction's next script or its COMMIT, and if it was not under them after
    /// all, the transaction fails there with [`StoreError::Presumed`](super::StoreError::Presumed),
    /// nothing of it written, and the caller runs its work again without presuming. Why: then
    /// a chat turn that mails a code is one script, not two, and what it does between them
    /// (rendering, sealing, building rows) does not hold the turn to write. PostgreSQL asks.
    /// Nothing is presumed for a minute after a count was refused: a presumption that fails
    /// costs its turn twice, and requests at a reached limit (a flood of them, or someone
    /// asking again and again for one address) would pay it every time.
    pub async fn count_code_mail(&mut self, address: &str, now: i64, presume: bool) -> Result<std::result::Result<(), i64>> {
        use std::sync::atomic::Ordering::Relaxed;
        let presume = presume && now >= self.store.presume_codes_from.load(Relaxed);
        let hash = self.store.vault.lookup_hash(MAIL_LIMIT, &address.to_lowercase());
        self.count_alone(super::Limit::CodeMail, &[]).await?;
        let (hour, day) = (now - 3_600_000, now - 86_400_000);
        // Counted if under the three limits: one statement (on PostgreSQL each is a round trip).
        // Per address, every sub-select is a range of an index (ten rows a day at most). For all
        // addresses together, the minutes after the one the hour starts in are summed (at most
        // sixty rows) and that minute's rows after the hour's start counted one by one, so the
        // cost stays the same however many codes the limit lets through. Rows older than a day
        // are forgotten by the retention job (`forget_mail_limits_before`).
        let first_minute = hour.div_euclid(super::MINUTE_MS);
        let codes_per_hour = self.store.codes_per_hour;
        let count = || {
            sqlx::query(COUNT_CODE_MAIL)
                .bind(hash.clone())
                .bind(hour)
                .bind(day)
                .bind(now)
                .bind(CODES_PER_ADDRESS_HOUR)
                .bind(CODES_PER_ADDRESS_DAY)
                .bind(codes_per_hour)
                .bind(first_minute)
                .bind((first_minute + 1) * super::MINUTE_MS)
        };
        let counted = presume && self.tx.write_presumed(count(), 1)?;
        let counted = counted || count().execute(&mut self.tx).await?.rows_affected() == 1;
        if counted {
            let minute = sqlx::query(
                "INSERT INTO mail_limit_minutes (minute, sent) VALUES ($1, 1)
                 ON CONFLICT (minute) DO UPDATE SET sent = mail_limit_minutes.sent + 1",
            )
            .bind(now.div_euclid(super::MINUTE_MS));
            self.tx.write_later(minute, Some(1)).await?;
            return Ok(Ok(()));
        }
        self.store.presume_codes_from.fetch_max(now + PRESUME_PAUSE_MS, Relaxed);
        // Over a limit: which one, and until when (the same three ranges as above).
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM mail_limits WHERE address_hash = $1 AND at > $2) AS hour_n,
                    (SELECT MIN(at) FROM mail_limits WHERE address_hash = $1 AND at > $2) AS hour_first,
                    (SELECT COUNT(*) FROM mail_limits WHERE address_hash = $1 AND at > $3) AS day_n,
                    (SELECT MIN(at) FROM mail_limits WHERE address_hash = $1 AND at > $3) AS day_first,
                    (SELECT MIN(at) FROM mail_limits WHERE at > $2) AS all_first",
        )
        .bind(hash)
        .bind(hour)
        .bind(day)
        .fetch_one(&mut self.tx)
        .await?;
        let wait = |first: Option<i64>, window: i64| ((first.unwrap_or(now) + window - now).max(60_000) + 59_999) / 60_000;
        if row.try_get::<i64, _>("hour_n")? >= CODES_PER_ADDRESS_HOUR {
            return Ok(Err(wait(super::opt(&row, "hour_first")?, 3_600_000)));
        }
        if row.try_get::<i64, _>("day_n")? >= CODES_PER_ADDRESS_DAY {
            return Ok(Err(wait(super::opt(&row, "day_first")?, 86_400_000)));
        }
        tracing::warn!("many verification e-mails in the last hour; new ones wait");
        Ok(Err(wait(super::opt(&row, "all_first")?, 3_600_000)))
    }

    /// Queues a message (dropped if one with the same key was queued before). On SQLite it is
    /// sent with the transaction's next statement that is waited for, or its COMMIT.
    pub async fn enqueue(&mut self, key: impl Into<String>, message: &Outbound, now: i64) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO outbox (idem_key, channel, kind, ticket_id, message_id, payload_enc, created_at, next_attempt_at, lane)
             VALUES ($1, $2, $3, $4, $3, $5, $6, $6, $7) ON CONFLICT (idem_key) DO NOTHING",
        )
        .bind(key.into())
        .bind(message.channel().code())
        .bind(message.kind())
        .bind(message.ticket_id())
        .bind(self.store.seal(message)?)
        .bind(now)
        .bind(self.store.lane_key(message));
        self.tx.write_later(query, None).await?;
        // Rung at the commit even if it was a duplicate: a delivery worker then finds nothing.
        self.queued.ring(message.channel());
        Ok(())
    }

    /// Queues many messages in one statement per 500 (e.g. a day's reminders); duplicates are
    /// dropped. Held like [`Tx::enqueue`].
    pub async fn enqueue_many(&mut self, messages: &[(String, Outbound)], now: i64) -> Result<()> {
        for chunk in messages.chunks(500) {
            let sql = format!(
                "INSERT INTO outbox (idem_key, channel, kind, ticket_id, message_id, payload_enc, created_at, next_attempt_at, lane)
                 VALUES {} ON CONFLICT (idem_key) DO NOTHING",
                row_placeholders(self.store.backend, chunk.len(), 9)
            );
            // Only placeholders are generated; every value is bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (key, message) in chunk {
                query = query
                    .bind(key.clone())
                    .bind(message.channel().code())
                    .bind(message.kind())
                    .bind(message.ticket_id())
                    .bind(message.kind())
                    .bind(self.store.seal(message)?)
                    .bind(now)
                    .bind(now)
                    .bind(self.store.lane_key(message));
            }
            self.tx.write_later(query, None).await?;
            for (_, message) in chunk {
                self.queued.ring(message.channel());
            }
        }
        Ok(())
    }
}

/// How many transactions queued messages on each channel (in [`Channel::ALL`]'s order); a
/// transaction's own, or all so far (the store's signal).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Rung([u64; Channel::ALL.len()]);

impl Rung {
    /// A message of `channel` was queued (counted once per transaction).
    fn ring(&mut self, channel: Channel) {
        // A channel left out of `Channel::ALL` has no place: its worker finds its messages
        // at its next poll instead, and the transaction that queued them is not failed.
        if let Some(count) = self.0.get_mut(channel.index()) {
            *count = 1;
        }
    }

    /// `other`'s channels rung once more.
    pub(super) fn add(&mut self, other: &Rung) {
        for (count, rung) in self.0.iter_mut().zip(other.0) {
            *count = count.wrapping_add(rung);
        }
    }
}

/// A delivery worker's view of the outbox signal: changes when a transaction that queued a
/// message on its channel commits ([`Store::outbox_changes`]). With one signal for all,
/// every worker looked at the outbox for each message queued on any channel, and found nothing
/// for its own most times.
pub struct OutboxChanges {
    signal: tokio::sync::watch::Receiver<Rung>,
    channel: usize,
    seen: u64,
}

impl OutboxChanges {
    pub(super) fn new(signal: tokio::sync::watch::Receiver<Rung>, channel: Channel) -> OutboxChanges {
        let channel = channel.index();
        let seen = signal.borrow().0[channel];
        OutboxChanges { signal, channel, seen }
    }

    /// What was queued so far is about to be looked at: [`OutboxChanges::changed`] waits for
    /// more.
    pub fn mark_seen(&mut self) {
        self.seen = self.signal.borrow_and_update().0[self.channel];
    }

    /// Returns once a message was queued on the channel after the last [`OutboxChanges::mark_seen`]
    /// (at once if one was already). Never returns when the store is gone.
    pub async fn changed(&mut self) {
        loop {
            if self.signal.borrow_and_update().0[self.channel] != self.seen {
                return;
            }
            if self.signal.changed().await.is_err() {
                return std::future::pending().await;
            }
        }
    }
}

/// When an outbox row `o` is due on its channel: `$1` is now, `$2` the channel. Unsent, not
/// failed, its time come, not leased, and no earlier message of its lane on that channel still
/// pending (a lane's messages go out in order). One text for the claim and for the look before
/// it, so that they never disagree.
macro_rules! due {
    () => {
        "o.channel = $2 AND o.sent_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= $1
         AND (o.claimed_until IS NULL OR o.claimed_until < $1)
         AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.lane = o.lane AND e.channel = o.channel AND e.id < o.id
                         AND e.sent_at IS NULL AND e.failed_at IS NULL)"
    };
}

/// The claim of [`Store::claim_due`]; `lock`: PostgreSQL's row lock clause, or nothing.
fn claim_sql(lock: &str) -> String {
    format!(
        "UPDATE outbox SET claimed_until = $3, attempts = attempts + 1
         WHERE id IN (SELECT id FROM outbox o WHERE {} ORDER BY id LIMIT $4 {lock})
         RETURNING id, idem_key, kind, ticket_id, lane, payload_enc, attempts",
        due!()
    )
}

/// The look of [`Store::any_due`].
const ANY_DUE: &str = concat!("SELECT 1 FROM outbox o WHERE ", due!(), " LIMIT 1");

impl Store {
    /// Takes up to `limit` due messages of a channel for `lease_ms`. A lane's messages on a
    /// channel go out in order: one waits while an earlier one is pending (retrying), so a reader
    /// never sees the second step before the first.
    pub async fn claim_due(&self, channel: Channel, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<Claimed>> {
        if !self.any_due(channel, now).await? {
            return Ok(Vec::new());
        }
        let lock = match self.backend {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = claim_sql(lock);
        // The statement is one of two fixed texts; every value is bound.
        let rows =
            self.write_rows(sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).bind(channel.code()).bind(now + lease_ms).bind(limit)).await?;
        let mut claimed = rows.iter().map(|row| self.decode_message(row)).collect::<Result<Vec<_>>>()?;
        claimed.sort_by_key(|c| c.id);
        Ok(claimed)
    }

    /// Whether a message of the channel may be due, read without the turn to write: every
    /// channel's worker looks each time any transaction queues a message, and most of those
    /// looks find nothing for their channel (over the web chat's HTTP API they were over half of
    /// the writer's one-statement holds). The conditions are `claim_due`'s (`due!`), the
    /// lane's order among them: a message waiting behind a retrying one of its lane is not
    /// due, and wakes no claim. What it misses was committed after the look, and its commit
    /// wakes the worker again (`delivery::run`).
    async fn any_due(&self, channel: Channel, now: i64) -> Result<bool> {
        let found = sqlx::query(ANY_DUE).bind(now).bind(channel.code()).fetch_optional(&self.pool).await?;
        Ok(found.is_some())
    }

    fn decode_message(&self, row: &sqlx::any::AnyRow) -> Result<Claimed> {
        let message = match opt::<Vec<u8>>(row, "payload_enc")? {
            Some(sealed) => self
                .vault
                .decrypt(PAYLOAD, &sealed)
                .map_err(|e| e.to_string())
                .and_then(|json| serde_json::from_slice::<Outbound>(&json).map_err(|e| format!("unreadable message: {e}"))),
            None => Err("the message has no payload".to_owned()),
        };
        Ok(Claimed {
            id: row.try_get("id")?,
            key: row.try_get("idem_key")?,
            kind: row.try_get("kind")?,
            ticket_id: opt(row, "ticket_id")?,
            lane: opt(row, "lane")?,
            message,
            attempts: row.try_get("attempts")?,
        })
    }

    /// Messages of a channel not yet sent, after `after_id`, without claiming them: a read-only
    /// look at what is queued.
    pub async fn peek_outbox(&self, channel: Channel, after_id: i64, limit: i64) -> Result<Vec<Claimed>> {
        let rows = sqlx::query(
            "SELECT id, idem_key, kind, ticket_id, lane, payload_enc, attempts FROM outbox
             WHERE channel = $1 AND id > $2 AND sent_at IS NULL AND failed_at IS NULL ORDER BY id LIMIT $3",
        )
        .bind(channel.code())
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| self.decode_message(row)).collect()
    }

    /// Delivered (`note`: why nothing had to be sent, if so). The payload is blanked: what was
    /// said is not kept once it is out.
    pub async fn mark_sent(&self, id: i64, now: i64, note: Option<&str>) -> Result<()> {
        self.release(
            "UPDATE outbox SET sent_at = $2, claimed_until = NULL, last_error = $3, payload_enc = NULL WHERE id = $1",
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

    /// Failed for good (shown on /staff); the payload is blanked like a sent one's.
    pub async fn mark_failed(&self, id: i64, now: i64, error: &str) -> Result<()> {
        self.release(
            "UPDATE outbox SET failed_at = $2, claimed_until = NULL, last_error = $3, payload_enc = NULL WHERE id = $1",
            id,
            now,
            Some(error),
        )
        .await
    }

    /// Every open claim on a channel ended, its messages due again: when the only process that
    /// serves a SQLite file starts the channel's worker, before its first claim, the claims found
    /// can only be a killed process's. Returns how many.
    pub async fn release_claims(&self, channel: Channel) -> Result<u64> {
        self.write_count(
            sqlx::query(
                "UPDATE outbox SET claimed_until = NULL
                 WHERE channel = $1 AND claimed_until IS NOT NULL AND sent_at IS NULL AND failed_at IS NULL",
            )
            .bind(channel.code()),
        )
        .await
    }

    /// Ends a claim: one of the three statements above, with the message's id, a time and a
    /// text; with the other claims ended meanwhile (a worker's lanes settle side by side, and
    /// every channel's worker at once), in one transaction (`gather.rs` `Releases`).
    async fn release(&self, sql: &'static str, id: i64, at: i64, text: Option<&str>) -> Result<()> {
        let release = Release { sql, id, at, text: text.map(str::to_owned) };
        match &self.releases {
            Some(releases) => releases.submit(release).await,
            None => self.end_claim(&release).await,
        }
    }

    /// One claim ended alone.
    pub(super) async fn end_claim(&self, release: &Release) -> Result<()> {
        self.write_count(release.query()).await?;
        Ok(())
    }

    /// Messages that failed for good, newest first.
    pub async fn failed_messages(&self, limit: i64) -> Result<Vec<FailedMessage>> {
        let rows = sqlx::query(
            "SELECT o.channel, o.kind, t.number, o.failed_at, o.last_error FROM outbox o LEFT JOIN tickets t ON t.id = o.ticket_id
             WHERE o.failed_at IS NOT NULL ORDER BY o.failed_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FailedMessage {
                    channel: r.try_get("channel")?,
                    kind: r.try_get("kind")?,
                    ticket_number: opt(r, "number")?,
                    failed_at: r.try_get("failed_at")?,
                    error: opt::<String>(r, "last_error")?.unwrap_or_default(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    /// The statements that run while the turn to write is held, or on every queued message,
    /// read ranges of indexes, never a whole table: their cost must not grow with the rows
    /// sent or counted before (the claim once went through every message ever sent).
    #[tokio::test]
    async fn the_claim_and_the_limits_read_indexes_not_tables() {
        let (_store, dir) = super::super::tests::sqlite_store().await;
        let conn = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        for sql in [super::claim_sql(""), super::ANY_DUE.to_owned(), super::COUNT_CODE_MAIL.to_owned()] {
            let mut plan = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            // Unbound placeholders are NULL: the plan does not depend on the values.
            let mut rows = plan.raw_query();
            let mut steps = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                steps.push(row.get::<_, String>(3).unwrap());
            }
            assert!(steps.iter().any(|s| s.starts_with("SEARCH")), "{steps:?}");
            assert!(!steps.iter().any(|s| s.starts_with("SCAN") && s != "SCAN CONSTANT ROW"), "a table is scanned: {steps:?}\n{sql}");
        }
    }
}
