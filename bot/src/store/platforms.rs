//! Storage for the chat platforms: the one-time web form links and the staff chat's posts.

use sqlx::Row;

use super::{Result, Store, Tx};

/// Why a web form link cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormLinkRefusal {
    Unknown,
    Used,
    Expired,
}

const LINK_PURPOSE: &str = "form-link";

impl Tx<'_> {
    /// The id of a person's open ticket, if any, as this transaction sees it (on SQLite with the
    /// writes of the group it joined, which a read from the pool would not see yet).
    pub async fn open_ticket_id(&mut self, person_id: i64) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM tickets WHERE person_id = $1 AND closed_at IS NULL ORDER BY id DESC LIMIT 1")
            .bind(person_id)
            .fetch_optional(&mut self.tx)
            .await?;
        row.map(|r| r.try_get("id").map_err(Into::into)).transpose()
    }

    /// Keeps the keyed hash of a new one-time form link for the person.
    pub async fn issue_form_link(&mut self, person_id: i64, token: &str, now: i64, ttl_ms: i64) -> Result<()> {
        sqlx::query("INSERT INTO form_links (token_hash, person_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(self.store.vault.lookup_hash(LINK_PURPOSE, token))
            .bind(person_id)
            .bind(now)
            .bind(now + ttl_ms)
            .execute(&mut self.tx)
            .await?;
        Ok(())
    }
}

impl Store {
    /// The person a link belongs to, if it can still be used (the form page is shown).
    pub async fn form_link(&self, token: &str, now: i64) -> Result<std::result::Result<i64, FormLinkRefusal>> {
        let row = sqlx::query("SELECT person_id, expires_at, used_at FROM form_links WHERE token_hash = $1")
            .bind(self.vault.lookup_hash(LINK_PURPOSE, token))
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(Err(FormLinkRefusal::Unknown)) };
        let used: Option<i64> = row.try_get("used_at")?;
        let expires: i64 = row.try_get("expires_at")?;
        Ok(match (used, expires > now) {
            (Some(_), _) => Err(FormLinkRefusal::Used),
            (None, false) => Err(FormLinkRefusal::Expired),
            (None, true) => Ok(row.try_get("person_id")?),
        })
    }

    /// Uses a link up: exactly one caller gets the person back.
    pub async fn use_form_link(&self, token: &str, now: i64) -> Result<std::result::Result<i64, FormLinkRefusal>> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE form_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING person_id",
        )
        .bind(self.vault.lookup_hash(LINK_PURPOSE, token))
        .bind(now)
        .fetch_optional(&mut tx.tx)
        .await?;
        tx.commit().await?;
        match row {
            Some(row) => Ok(Ok(row.try_get("person_id")?)),
            None => Ok(self.form_link(token, now).await?.and(Err(FormLinkRefusal::Used))),
        }
    }

    /// Remembers which ticket a staff chat message is about.
    pub async fn record_staff_post(&self, transport: &str, chat_id: &str, message_id: &str, ticket_id: i64, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO staff_posts (transport, chat_id, message_id, ticket_id, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(transport.to_owned())
        .bind(chat_id.to_owned())
        .bind(message_id.to_owned())
        .bind(ticket_id)
        .bind(now)
        .execute(&mut tx.tx)
        .await?;
        tx.commit().await
    }

    /// The ticket a staff chat message is about.
    pub async fn staff_post_ticket(&self, transport: &str, chat_id: &str, message_id: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT ticket_id FROM staff_posts WHERE transport = $1 AND chat_id = $2 AND message_id = $3")
            .bind(transport.to_owned())
            .bind(chat_id.to_owned())
            .bind(message_id.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| r.try_get("ticket_id").map_err(Into::into)).transpose()
    }

    /// A staff chat message of the ticket to reply under (the most recent), if any.
    pub async fn staff_post_of(&self, transport: &str, ticket_id: i64) -> Result<Option<(String, String)>> {
        let row =
            sqlx::query("SELECT chat_id, message_id FROM staff_posts WHERE transport = $1 AND ticket_id = $2 ORDER BY at DESC LIMIT 1")
                .bind(transport.to_owned())
                .bind(ticket_id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| Ok((r.try_get("chat_id")?, r.try_get("message_id")?))).transpose()
    }

    /// The person of a ticket.
    pub async fn ticket_person(&self, ticket_id: i64) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT person_id FROM tickets WHERE id = $1").bind(ticket_id).fetch_optional(&self.pool).await?;
        row.map(|r| r.try_get("person_id").map_err(Into::into)).transpose()
    }
}
