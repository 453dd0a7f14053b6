//! The roster and the expiry reminders.

use std::collections::HashSet;

use chrono::NaiveDate;
use sqlx::Row;

use super::tickets::TCKN;
use super::{Result, Store, Tx, row_placeholders};
use crate::core::outbound::{ChatMessage, Mail, Outbound};
use crate::roster::RosterEntry;

/// Days since 1970-01-01 for a calendar day.
pub fn day_number(day: NaiveDate) -> i64 {
    (day - NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date")).num_days()
}

/// The day `n` days after 1970-01-01; the epoch itself for a number no calendar holds.
pub fn day_from_number(n: i64) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date");
    u64::try_from(n).ok().and_then(|n| epoch.checked_add_days(chrono::Days::new(n))).unwrap_or(epoch)
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub added: usize,
    pub updated: usize,
}

/// How many rows one multi-row statement carries (SQLite allows 32,766 parameters).
const CHUNK: usize = 500;

impl Store {
    /// Saves a whole roster file: every row or none. Re-importing a person updates them.
    pub async fn import_roster(&self, entries: &[RosterEntry], source: &str, now: i64) -> Result<ImportSummary> {
        let mut tx = self.begin_alone().await?;
        let mut summary = ImportSummary::default();
        for chunk in entries.chunks(CHUNK) {
            let hashes: Vec<String> = chunk.iter().map(|e| self.vault.lookup_hash(TCKN, e.tckn.as_str())).collect();
            // Only placeholders are generated; every value is bound.
            let list = row_placeholders(self.backend, 1, hashes.len());
            let existing_sql = format!("SELECT COUNT(*) AS n FROM roster WHERE tckn_hash IN {list}");
            let mut query = sqlx::query(sqlx::AssertSqlSafe(existing_sql));
            for h in &hashes {
                query = query.bind(h.clone());
            }
            let existing: i64 = query.fetch_one(&mut tx.tx).await?.try_get("n")?;
            let sql = format!(
                "INSERT INTO roster (tckn_hash, tckn_enc, name, title, email, expires_day, source, updated_at) VALUES {}
                 ON CONFLICT (tckn_hash) DO UPDATE SET tckn_enc = excluded.tckn_enc, name = excluded.name,
                     title = excluded.title, email = excluded.email, expires_day = excluded.expires_day,
                     source = excluded.source, updated_at = excluded.updated_at,
                     renewed_at = CASE WHEN roster.expires_day = excluded.expires_day THEN roster.renewed_at END",
                row_placeholders(self.backend, chunk.len(), 8)
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (entry, hash) in chunk.iter().zip(hashes) {
                query = query
                    .bind(hash)
                    .bind(self.vault.encrypt_str(TCKN, entry.tckn.as_str()))
                    .bind(entry.name.as_str().to_owned())
                    .bind(entry.title.as_str().to_owned())
                    .bind(entry.email.as_str().to_owned())
                    .bind(day_number(entry.expires))
                    .bind(source.to_owned())
                    .bind(now);
            }
            query.execute(&mut tx.tx).await?;
            summary.updated += existing as usize;
            summary.added += chunk.len() - existing as usize;
        }
        tx.commit().await?;
        Ok(summary)
    }

    pub async fn roster_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM roster").fetch_one(&self.pool).await?.try_get("n")?)
    }

    /// Queues the expiry reminders due on `today`: for everyone whose certificate expires within
    /// the largest offset, the most recent threshold crossed (so a missed day catches up with one
    /// reminder, not a flood), unless that reminder was ever sent. Someone with a renewal request
    /// open is not reminded while it is (a cancelled or failed one lets the reminders resume), nor
    /// is a certificate whose renewal completed. Returns how many were queued.
    pub async fn queue_due_reminders(&self, today: NaiveDate, offsets: &[u32], now: i64) -> Result<usize> {
        let Some(max) = offsets.iter().max().map(|m| i64::from(*m)) else {
            return Ok(0);
        };
        let mut offsets: Vec<i64> = offsets.iter().map(|o| i64::from(*o)).collect();
        offsets.sort_unstable();
        let first = day_number(today);
        let candidates = sqlx::query(
            "SELECT tckn_hash, name, email, expires_day FROM roster WHERE expires_day >= $1 AND expires_day <= $2
               AND tckn_hash NOT IN (SELECT tckn_hash FROM reminder_optouts)
               AND renewed_at IS NULL
               AND tckn_hash NOT IN (SELECT open_key FROM tickets WHERE open_key IS NOT NULL)",
        )
        .bind(first)
        .bind(first + max)
        .fetch_all(&self.pool)
        .await?;
        let sent: HashSet<(String, i64, i64)> =
            sqlx::query("SELECT tckn_hash, expires_day, offset_days FROM reminders_sent WHERE expires_day >= $1 AND expires_day <= $2")
                .bind(first)
                .bind(first + max)
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("tckn_hash")?, r.try_get("expires_day")?, r.try_get("offset_days")?)))
                .collect::<Result<_>>()?;
        let mut due = Vec::new();
        for row in &candidates {
            let hash: String = row.try_get("tckn_hash")?;
            let expires: i64 = row.try_get("expires_day")?;
            let days_left = expires - first;
            // the smallest offset not below the days left: the threshold crossed last
            let Some(offset) = offsets.iter().copied().find(|o| *o >= days_left) else { continue };
            if sent.contains(&(hash.clone(), expires, offset)) {
                continue;
            }
            due.push((hash, expires, offset, days_left, row.try_get::<String, _>("name")?, row.try_get::<String, _>("email")?));
        }
        // One transaction for the day's batch: all of it is queued, or none and the next run
        // tries again. Alone: it may be long (see `begin_alone`).
        let mut queued = 0;
        let mut tx = self.begin_alone().await?;
        for chunk in due.chunks(CHUNK) {
            queued += tx.record_reminders(chunk, now).await?;
        }
        tx.commit().await?;
        Ok(queued)
    }
}

type DueReminder = (String, i64, i64, i64, String, String);

const UNSUBSCRIBE: &str = "reminder-unsubscribe";

impl Store {
    /// The token in a reminder's unsubscribe link: the person's lookup hash and a MAC of it,
    /// so nobody can stop someone else's reminders.
    pub fn unsubscribe_token(&self, person: &str) -> String {
        format!("{person}.{}", self.vault.lookup_hash(UNSUBSCRIBE, person))
    }

    /// Stops reminders for the person a valid token names; false for a token we did not make.
    pub async fn unsubscribe(&self, token: &str, now: i64) -> Result<bool> {
        let Some((person, mac)) = token.split_once('.') else { return Ok(false) };
        let expected = self.vault.lookup_hash(UNSUBSCRIBE, person);
        if !bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), mac.as_bytes())) {
            return Ok(false);
        }
        self.write_count(
            sqlx::query("INSERT INTO reminder_optouts (tckn_hash, at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(person.to_owned())
                .bind(now),
        )
        .await?;
        Ok(true)
    }
}

impl Tx<'_> {
    /// Marks reminders sent and queues their e-mails; a reminder another instance marked first
    /// is skipped (the primary key decides).
    async fn record_reminders(&mut self, due: &[DueReminder], now: i64) -> Result<usize> {
        let sql = format!(
            "INSERT INTO reminders_sent (tckn_hash, expires_day, offset_days, sent_at) VALUES {}
             ON CONFLICT DO NOTHING RETURNING tckn_hash, expires_day, offset_days",
            row_placeholders(self.store.backend, due.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (hash, expires, offset, ..) in due {
            query = query.bind(hash.clone()).bind(*expires).bind(*offset).bind(now);
        }
        let inserted: HashSet<(String, i64, i64)> = query
            .fetch_all(&mut self.tx)
            .await?
            .iter()
            .map(|r| Ok((r.try_get("tckn_hash")?, r.try_get("expires_day")?, r.try_get("offset_days")?)))
            .collect::<Result<_>>()?;
        let messages: Vec<(String, Outbound)> = due
            .iter()
            .filter(|(h, e, o, ..)| inserted.contains(&(h.clone(), *e, *o)))
            .map(|(hash, expires, offset, days_left, name, email)| {
                let mail = Mail::Reminder {
                    to: email.clone(),
                    name: name.clone(),
                    days: *days_left,
                    expires_day: *expires,
                    lang: eimza_protocol::Lang::Tr,
                    person: hash.clone(),
                };
                (format!("reminder:{hash}:{expires}:{offset}"), Outbound::Email(mail))
            })
            .collect();
        let sent = messages.len();
        self.enqueue_many(&messages, now).await?;
        // Where the person is linked to a chat (a ticket of theirs still holds their number), the
        // reminder is said there too.
        let mut chat = Vec::new();
        for (hash, expires, offset, days_left, _, _) in due.iter().filter(|(h, e, o, ..)| inserted.contains(&(h.clone(), *e, *o))) {
            let persons = sqlx::query("SELECT DISTINCT person_id FROM tickets WHERE tckn_hash = $1")
                .bind(hash.clone())
                .fetch_all(&mut self.tx)
                .await?;
            for row in persons {
                let person_id: i64 = row.try_get("person_id")?;
                let message = ChatMessage::Reminder { days: *days_left, expires_day: *expires };
                chat.push((format!("reminder-chat:{hash}:{expires}:{offset}:{person_id}"), Outbound::PersonChat { person_id, message }));
            }
        }
        self.enqueue_many(&chat, now).await?;
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_trip() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(day_from_number(day_number(d)), d);
        assert_eq!(day_number(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
        assert_eq!(day_from_number(i64::MAX), day_from_number(0), "no panic on nonsense");
        assert_eq!(day_from_number(-5), day_from_number(0));
    }
}
