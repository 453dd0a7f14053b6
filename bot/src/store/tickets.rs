//! Tickets and their history. Every state change goes through [`Tx::apply_event`], which runs
//! the pure transition, updates the row, appends the history event and queues the effects in
//! the outbox — all in the caller's transaction.

use chrono::{Datelike, TimeZone};
use eimza_protocol::Lang;
use sqlx::Row;

use super::chat::ticket_brief;
use super::{Result, Store, Tx, corrupt};
use crate::conversation::{Draft, StatusEvent, StatusView, TicketBrief};
use crate::domain::TicketNo;
use crate::ticket::{self, ActorKind, Applied, Effect, Refusal, TicketEvent, TicketState};

pub(super) const TCKN: &str = "tckn";
pub(super) const BIRTH: &str = "birth-date";

/// The validated answers a ticket is opened with.
pub type TicketApplication = Draft;

#[derive(Clone, Debug, PartialEq)]
pub enum OpenOutcome {
    Opened(TicketNo),
    /// This person, or this TC Kimlik No, already has an open ticket.
    AlreadyOpen(TicketBrief),
}

/// The year a ticket opened in, in Türkiye.
fn istanbul_year(now_ms: i64) -> i32 {
    chrono_tz::Europe::Istanbul
        .timestamp_millis_opt(now_ms)
        .single()
        .map(|t| t.year())
        .unwrap_or(1970)
}

impl Tx<'_> {
    pub async fn open_ticket(
        &mut self,
        person_id: i64,
        application: &TicketApplication,
        lang: Lang,
        now: i64,
    ) -> Result<OpenOutcome> {
        let (Some(tckn), Some(name), Some(title), Some(email), Some(birth), Some(consent_at)) = (
            application.tckn.as_deref(),
            application.name.as_deref(),
            application.title.as_deref(),
            application.email.as_deref(),
            application.birth_date,
            application.consent_at,
        ) else {
            return Err(corrupt("incomplete application"));
        };
        let vault = &self.store.vault;
        let tckn_hash = vault.lookup_hash(TCKN, tckn);
        if let Some(row) = sqlx::query(
            "SELECT number, state FROM tickets
             WHERE open_key = $1 OR (person_id = $2 AND closed_at IS NULL) ORDER BY id LIMIT 1",
        )
        .bind(tckn_hash.clone())
        .bind(person_id)
        .fetch_optional(&mut *self.tx)
        .await?
        {
            return Ok(OpenOutcome::AlreadyOpen(ticket_brief(
                &row.try_get::<String, _>("number")?,
                &row.try_get::<String, _>("state")?,
            )?));
        }
        let year = istanbul_year(now);
        let seq: i64 = sqlx::query(
            "INSERT INTO ticket_counters (year, last) VALUES ($1, 1)
             ON CONFLICT (year) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last",
        )
        .bind(i64::from(year))
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("last")?;
        let number = TicketNo::new(year, u32::try_from(seq).map_err(corrupt)?);
        // The new ticket's first transition is decided before the row exists, so the row is
        // written once, in its resulting state; the history still shows Collecting → Submitted.
        let (from, event, actor) = (TicketState::Collecting, TicketEvent::Confirm, ActorKind::Applicant);
        let applied = ticket::transition(from, event, actor).map_err(|r| corrupt(format!("a new ticket refused Confirm: {r}")))?;
        let Applied::Moved { to, .. } = &applied else {
            return Err(corrupt("a new ticket's Confirm was a duplicate"));
        };
        let id: i64 = sqlx::query(
            "INSERT INTO tickets (number, person_id, institution_id, state, open_key, tckn_hash, tckn_enc,
                                  birth_enc, name, name_fold, title, email, consent_at, lang, created_at, updated_at)
             VALUES ($1, $2, 1, $3, $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
        )
        .bind(number.to_string())
        .bind(person_id)
        .bind(to.code())
        .bind(tckn_hash)
        .bind(vault.encrypt_str(TCKN, tckn))
        .bind(vault.encrypt_str(BIRTH, &birth.format("%Y-%m-%d").to_string()))
        .bind(name.to_owned())
        .bind(eimza_protocol::turkish::fold(name))
        .bind(title.to_owned())
        .bind(email.to_owned())
        .bind(consent_at)
        .bind(lang.code())
        .bind(now)
        .fetch_one(&mut *self.tx)
        .await?
        .try_get("id")?;
        let actor_id = format!("person:{person_id}");
        self.record(id, from, event, actor, Some(&actor_id), None, &applied, now).await?;
        Ok(OpenOutcome::Opened(number))
    }

    /// Applies one event to a ticket: the single path by which ticket state changes.
    pub async fn apply_event(
        &mut self,
        ticket_id: i64,
        event: TicketEvent,
        actor: ActorKind,
        actor_id: Option<&str>,
        note: Option<&str>,
        now: i64,
    ) -> Result<Result<Applied, Refusal>> {
        let select = match self.store.backend {
            super::Backend::Postgres => "SELECT state FROM tickets WHERE id = $1 FOR UPDATE",
            super::Backend::Sqlite => "SELECT state FROM tickets WHERE id = $1",
        };
        let state: String = sqlx::query(select).bind(ticket_id).fetch_one(&mut *self.tx).await?.try_get("state")?;
        self.apply_to(ticket_id, &state, event, actor, actor_id, note, now).await
    }

    /// [`Tx::apply_event`] for a ticket whose state the caller read (and, on PostgreSQL,
    /// locked `FOR UPDATE`) in this transaction.
    #[allow(clippy::too_many_arguments)]
    async fn apply_to(
        &mut self,
        ticket_id: i64,
        state: &str,
        event: TicketEvent,
        actor: ActorKind,
        actor_id: Option<&str>,
        note: Option<&str>,
        now: i64,
    ) -> Result<Result<Applied, Refusal>> {
        let from = TicketState::from_code(state).ok_or_else(|| corrupt(format!("unknown state {state}")))?;
        let applied = match ticket::transition(from, event, actor) {
            Err(refusal) => return Ok(Err(refusal)),
            Ok(applied) => applied,
        };
        let Applied::Moved { to, .. } = &applied else {
            return Ok(Ok(applied));
        };
        let closed = !to.is_open();
        sqlx::query(
            "UPDATE tickets SET state = $2, updated_at = $3,
                    closed_at = CASE WHEN $4 = 1 THEN $3 ELSE closed_at END,
                    open_key = CASE WHEN $4 = 1 THEN NULL ELSE open_key END
             WHERE id = $1",
        )
        .bind(ticket_id)
        .bind(to.code())
        .bind(now)
        .bind(i64::from(closed))
        .execute(&mut *self.tx)
        .await?;
        self.record(ticket_id, from, event, actor, actor_id, note, &applied, now).await?;
        Ok(Ok(applied))
    }

    /// Writes a move's history row and queues its effects in the outbox.
    #[allow(clippy::too_many_arguments)]
    async fn record(
        &mut self,
        ticket_id: i64,
        from: TicketState,
        event: TicketEvent,
        actor: ActorKind,
        actor_id: Option<&str>,
        note: Option<&str>,
        applied: &Applied,
        now: i64,
    ) -> Result<()> {
        let Applied::Moved { to, effects } = applied else {
            return Ok(());
        };
        self.history(ticket_id, now, actor, actor_id, event.code(), from, *to, note).await?;
        for effect in effects {
            let (kind, message_id) = match effect {
                Effect::NotifyApplicant(m) => (super::outbox_kinds::NOTIFY_APPLICANT, *m),
                Effect::NotifyStaff(m) => (super::outbox_kinds::NOTIFY_STAFF, *m),
            };
            let channels = match effect {
                Effect::NotifyApplicant(_) => vec![super::outbox_kinds::EMAIL, super::outbox_kinds::CHAT],
                Effect::NotifyStaff(_) => [super::outbox_kinds::EMAIL].into_iter().chain(self.store.staff_chats.iter().copied()).collect(),
            };
            for channel in channels {
                let idem_key = format!("ticket:{ticket_id}:{}:{channel}:{kind}:{message_id}", to.code());
                let message = super::NewMessage { idem_key, channel, kind, ticket_id: Some(ticket_id), message_id, payload: None };
                self.enqueue(message, now).await?;
            }
        }
        // The institution's help-desk hears of every change (what changed is kept non-personal;
        // the rest is read from the ticket when it is sent).
        for channel in self.store.forward_channels.clone() {
            let kind = super::outbox_kinds::FORWARD;
            let message = super::NewMessage {
                idem_key: format!("ticket:{ticket_id}:{}:{channel}:{kind}", to.code()),
                channel,
                kind,
                ticket_id: Some(ticket_id),
                message_id: "helpdesk-ticket-changed",
                payload: Some(serde_json::json!({
                    "event": event.code(), "from": from.code(), "to": to.code(), "actor": actor.code(), "at": now,
                })),
            };
            self.enqueue(message, now).await?;
        }
        Ok(())
    }

    /// A fact about the person's open ticket that does not move it (a PC unlinked): a history
    /// row with the state unchanged. Nothing when the person has no open ticket.
    pub async fn note_on_open_ticket(&mut self, person_id: i64, actor: ActorKind, actor_id: Option<&str>, event: &str, note: &str, now: i64) -> Result<()> {
        let Some(row) = sqlx::query("SELECT id, state FROM tickets WHERE person_id = $1 AND closed_at IS NULL ORDER BY id DESC LIMIT 1")
            .bind(person_id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(());
        };
        let state: String = row.try_get("state")?;
        let state = TicketState::from_code(&state).ok_or_else(|| corrupt("unknown state"))?;
        self.history(row.try_get("id")?, now, actor, actor_id, event, state, state, Some(note)).await
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn history(
        &mut self,
        ticket_id: i64,
        now: i64,
        actor: ActorKind,
        actor_id: Option<&str>,
        event: &str,
        from: TicketState,
        to: TicketState,
        note: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO ticket_events (ticket_id, at, actor_kind, actor_id, event, from_state, to_state, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(ticket_id)
        .bind(now)
        .bind(actor.code())
        .bind(actor_id.map(str::to_owned))
        .bind(event.to_owned())
        .bind(from.code())
        .bind(to.code())
        .bind(note.map(str::to_owned))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// The applicant cancels their own open ticket.
    pub async fn cancel_own_ticket(
        &mut self,
        person_id: i64,
        number: TicketNo,
        now: i64,
    ) -> Result<Result<Applied, Refusal>> {
        let select = match self.store.backend {
            super::Backend::Postgres => "SELECT id, state FROM tickets WHERE number = $1 AND person_id = $2 FOR UPDATE",
            super::Backend::Sqlite => "SELECT id, state FROM tickets WHERE number = $1 AND person_id = $2",
        };
        let Some(row) = sqlx::query(select).bind(number.to_string()).bind(person_id).fetch_optional(&mut *self.tx).await?
        else {
            return Ok(Err(Refusal::NotAllowed));
        };
        let actor = format!("person:{person_id}");
        let state: String = row.try_get("state")?;
        self.apply_to(row.try_get("id")?, &state, TicketEvent::Cancel, ActorKind::Applicant, Some(&actor), None, now).await
    }

    /// `/sil`: cancels the person's open ticket, erases the personal data of all their tickets
    /// (history keeps only states, times and actors) and their web chat transcript.
    pub async fn delete_personal_data(&mut self, person_id: i64, now: i64) -> Result<()> {
        let actor = format!("person:{person_id}");
        let rows = sqlx::query("SELECT id, closed_at FROM tickets WHERE person_id = $1 AND purged_at IS NULL")
            .bind(person_id)
            .fetch_all(&mut *self.tx)
            .await?;
        for row in rows {
            let id: i64 = row.try_get("id")?;
            if super::opt::<i64>(&row, "closed_at")?.is_none() {
                self.apply_event(id, TicketEvent::Cancel, ActorKind::Applicant, Some(&actor), None, now).await?.ok();
            }
            self.erase_ticket_data(id, ActorKind::Applicant, Some(&actor), "history-personal-data-deleted", now).await?;
        }
        sqlx::query("DELETE FROM webchat_messages WHERE person_id = $1").bind(person_id).execute(&mut *self.tx).await?;
        sqlx::query("DELETE FROM form_links WHERE person_id = $1").bind(person_id).execute(&mut *self.tx).await?;
        Ok(())
    }

    async fn erase_ticket_data(
        &mut self,
        ticket_id: i64,
        actor: ActorKind,
        actor_id: Option<&str>,
        note: &str,
        now: i64,
    ) -> Result<()> {
        let state: String =
            sqlx::query("SELECT state FROM tickets WHERE id = $1").bind(ticket_id).fetch_one(&mut *self.tx).await?.try_get("state")?;
        let state = TicketState::from_code(&state).ok_or_else(|| corrupt("unknown state"))?;
        sqlx::query(
            "UPDATE tickets SET tckn_hash = NULL, tckn_enc = NULL, birth_enc = NULL, name = NULL, name_fold = NULL,
                    title = NULL, email = NULL, open_key = NULL, purged_at = $2, updated_at = $2
             WHERE id = $1",
        )
        .bind(ticket_id)
        .bind(now)
        .execute(&mut *self.tx)
        .await?;
        self.history(ticket_id, now, actor, actor_id, "personal-data-erased", state, state, Some(note)).await
    }
}

impl Store {
    /// The retention job: erases personal data of tickets closed before `closed_before`.
    /// Works in batches so a large backlog never holds the write lock for long.
    pub async fn purge_closed(&self, closed_before: i64, now: i64) -> Result<u64> {
        let mut purged = 0;
        loop {
            let mut tx = self.begin().await?;
            let ids: Vec<i64> = sqlx::query(
                "SELECT id FROM tickets WHERE closed_at IS NOT NULL AND closed_at < $1 AND purged_at IS NULL
                 ORDER BY closed_at LIMIT 200",
            )
            .bind(closed_before)
            .fetch_all(&mut *tx.tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
            if ids.is_empty() {
                tx.commit().await?;
                return Ok(purged);
            }
            for id in &ids {
                tx.erase_ticket_data(*id, ActorKind::System, None, "history-personal-data-purged", now).await?;
            }
            tx.commit().await?;
            purged += ids.len() as u64;
        }
    }

    /// The person's most recent ticket with its history, for `/durum`, in one round trip.
    pub async fn status_view(&self, person_id: i64) -> Result<Option<StatusView>> {
        let rows = sqlx::query(
            "SELECT t.number, t.state, t.created_at, e.at, e.actor_kind, e.to_state
             FROM tickets t LEFT JOIN ticket_events e ON e.ticket_id = t.id AND e.from_state <> e.to_state
             WHERE t.id = (SELECT MAX(id) FROM tickets WHERE person_id = $1)
             ORDER BY e.id",
        )
        .bind(person_id)
        .fetch_all(&self.pool)
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let brief = ticket_brief(&first.try_get::<String, _>("number")?, &first.try_get::<String, _>("state")?)?;
        let mut history = Vec::with_capacity(rows.len());
        for row in &rows {
            let (Some(at), Some(actor), Some(to)) = (
                super::opt::<i64>(row, "at")?,
                super::opt::<String>(row, "actor_kind")?,
                super::opt::<String>(row, "to_state")?,
            ) else {
                continue;
            };
            history.push(StatusEvent {
                at,
                actor: ActorKind::from_code(&actor).ok_or_else(|| corrupt("unknown actor"))?,
                to: TicketState::from_code(&to).ok_or_else(|| corrupt("unknown state"))?,
            });
        }
        Ok(Some(StatusView { number: brief.number, state: brief.state, opened_at: first.try_get("created_at")?, history }))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ticket_years_follow_istanbul_time() {
        // 2026-12-31T22:30:00Z is already 2027 in Istanbul (UTC+3).
        assert_eq!(super::istanbul_year(1_798_756_200_000), 2027);
        assert_eq!(super::istanbul_year(1_798_740_000_000), 2026);
    }
}
