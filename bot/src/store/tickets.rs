//! Tickets and their history. Every state change goes through [`Tx::apply_event`], which runs
//! the pure transition, updates the row, appends the history event and queues the effects in
//! the outbox — all in the caller's transaction.

use chrono::{Datelike, TimeZone};
use eimza_protocol::Lang;
use sqlx::Row;

use super::chat::ticket_brief;
use super::{Result, Store, Tx, corrupt};
use crate::core::conversation::{Draft, StatusEvent, StatusView, TicketBrief};
use crate::core::domain::TicketNo;
use crate::core::outbound::{ChatMessage, HelpdeskChange, Mail, Outbound, StaffMessage};
use crate::core::ticket::{self, ActorKind, Applied, Effect, Refusal, TicketEvent, TicketState};

pub(super) const TCKN: &str = "tckn";
pub(super) const BIRTH: &str = "birth-date";

/// The validated answers a ticket is opened with.
pub type TicketApplication = Draft;

/// Who did something to a ticket: their kind and, where known, who exactly (`person:12`,
/// `agent:a-…`, `telegram:123 (Ayşe Kaya)`), as the history names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
}

impl Actor {
    pub fn applicant(person_id: i64) -> Actor {
        Actor { kind: ActorKind::Applicant, id: Some(format!("person:{person_id}")) }
    }
    pub fn agent(agent_id: &crate::core::domain::AgentId) -> Actor {
        Actor { kind: ActorKind::Agent, id: Some(format!("agent:{agent_id}")) }
    }
    pub fn staff(who: impl Into<String>) -> Actor {
        Actor { kind: ActorKind::Staff, id: Some(who.into()) }
    }
    pub fn system() -> Actor {
        Actor { kind: ActorKind::System, id: None }
    }
}

/// One event for one ticket: what [`Tx::apply_event`] is asked to do.
#[derive(Clone, Copy, Debug)]
pub struct TicketChange<'a> {
    pub ticket_id: i64,
    pub event: TicketEvent,
    pub actor: &'a Actor,
    /// A message id (`history-…`) shown in the timeline.
    pub note: Option<&'a str>,
    /// Non-personal facts shown with it (a certificate's serial and issuer, a reason).
    pub detail: Option<&'a str>,
    pub at: i64,
}

impl<'a> TicketChange<'a> {
    pub fn new(ticket_id: i64, event: TicketEvent, actor: &'a Actor, at: i64) -> TicketChange<'a> {
        TicketChange { ticket_id, event, actor, note: None, detail: None, at }
    }
}

/// A fact about a ticket that does not move it (a question, a staff answer, a PC unlinked): a
/// history row with the state unchanged.
#[derive(Clone, Copy, Debug)]
pub struct TicketNote<'a> {
    pub ticket_id: i64,
    pub actor: &'a Actor,
    /// What happened (`question`, `staff-answer`, `agent-unlinked`).
    pub event: &'a str,
    pub note: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub at: i64,
}

/// One history row.
struct HistoryRow<'a> {
    ticket_id: i64,
    at: i64,
    actor: &'a Actor,
    event: &'a str,
    from: TicketState,
    to: TicketState,
    note: Option<&'a str>,
    detail: Option<&'a str>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OpenOutcome {
    Opened(TicketNo),
    /// This person, or this TC Kimlik No, already has an open ticket.
    AlreadyOpen(TicketBrief),
}

/// The year a ticket opened in, in Türkiye.
fn istanbul_year(now_ms: i64) -> i32 {
    chrono_tz::Europe::Istanbul.timestamp_millis_opt(now_ms).single().map(|t| t.year()).unwrap_or(1970)
}

/// How far an erasure reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Forget {
    /// The ticket's personal data (retention).
    TicketOnly,
    /// And what the roster learned from it (`/sil`).
    RosterToo,
}

impl Tx<'_> {
    pub async fn open_ticket(&mut self, person_id: i64, application: &TicketApplication, lang: Lang, now: i64) -> Result<OpenOutcome> {
        let (Some(tckn), Some(name), Some(title), Some(email), Some(birth), Some(consent_at)) = (
            application.tckn.as_ref().map(|t| t.as_str()),
            application.name.as_ref().map(|n| n.as_str()),
            application.title.as_ref().map(|t| t.as_str()),
            application.email.as_ref().map(|e| e.as_str()),
            application.birth_date.map(|b| b.date()),
            application.consent_at,
        ) else {
            return Err(corrupt("incomplete application"));
        };
        // Known if it opens: the open ticket of the person's next state ([`Tx::commit`]).
        self.chats.touched_known(person_id);
        let vault = &self.store.vault;
        let tckn_hash = vault.lookup_hash(TCKN, tckn);
        let Some((number, next_id)) = self.next_ticket(person_id, &tckn_hash, istanbul_year(now)).await? else {
            let row = sqlx::query(
                "SELECT number, state FROM tickets
                 WHERE open_key = $1 OR (person_id = $2 AND closed_at IS NULL) ORDER BY id LIMIT 1",
            )
            .bind(tckn_hash)
            .bind(person_id)
            .fetch_one(&mut self.tx)
            .await?;
            return Ok(OpenOutcome::AlreadyOpen(ticket_brief(&row.try_get::<String, _>("number")?, &row.try_get::<String, _>("state")?)?));
        };
        // The new ticket's first transition is decided before the row exists, so the row is
        // written once, in its resulting state; the history still shows Collecting → Submitted.
        let (from, event, actor) = (TicketState::Collecting, TicketEvent::Confirm, Actor::applicant(person_id));
        let applied = ticket::transition(from, event, actor.kind).map_err(|r| corrupt(format!("a new ticket refused Confirm: {r}")))?;
        let Applied::Moved { to, .. } = &applied else {
            return Err(corrupt("a new ticket's Confirm was a duplicate"));
        };
        let columns = "number, person_id, institution_id, state, open_key, tckn_hash, tckn_enc, birth_enc, name, name_fold,
                       title, email, consent_at, lang, created_at, updated_at";
        let values = "$1, $2, 1, $3, $4, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13";
        let row = |sql: String| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(number.to_string())
                .bind(person_id)
                .bind(to.code())
                .bind(tckn_hash.clone())
                .bind(vault.encrypt_str(TCKN, tckn))
                .bind(vault.encrypt_str(BIRTH, &birth.format("%Y-%m-%d").to_string()))
                .bind(name.to_owned())
                .bind(eimza_protocol::turkish::fold(name))
                .bind(title.to_owned())
                .bind(email.to_owned())
                .bind(consent_at)
                .bind(lang.code())
                .bind(now)
        };
        let id: i64 = if let Some(id) = next_id {
            let insert = row(format!("INSERT INTO tickets (id, {columns}) VALUES ($14, {values})")).bind(id);
            // Exactly one row, or the transaction fails at its COMMIT.
            self.tx.write_later(insert, Some(1)).await?;
            id
        } else {
            row(format!("INSERT INTO tickets ({columns}) VALUES ({values}) RETURNING id")).fetch_one(&mut self.tx).await?.try_get("id")?
        };
        self.record(&TicketChange::new(id, event, &actor, now), from, &applied).await?;
        self.chats.opened(person_id, TicketBrief { number, state: *to });
        Ok(OpenOutcome::Opened(number))
    }

    /// The year's next ticket number, and on SQLite the new row's id; `None` when the person
    /// or the T.C. Kimlik No has an open ticket. One statement (on PostgreSQL each is a
    /// round trip), no number used up in vain.
    ///
    /// SQLite: the id comes with it, so the row is written without waiting for an answer (it
    /// rides with the COMMIT, one round trip fewer while the turn to write is held). Safe there:
    /// this transaction holds SQLite's only write lock from its first statement, so nobody takes
    /// that id meanwhile; AUTOINCREMENT's counter and the largest id both count, so an id is
    /// never used twice. PostgreSQL takes its id from the sequence.
    async fn next_ticket(&mut self, person_id: i64, tckn_hash: &str, year: i32) -> Result<Option<(TicketNo, Option<i64>)>> {
        let sqlite = self.store.backend == super::Backend::Sqlite;
        let next_id = if sqlite {
            ", MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'tickets'), 0),
                   COALESCE((SELECT MAX(id) FROM tickets), 0)) + 1 AS next_id"
        } else {
            ""
        };
        let next = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO ticket_counters (year, last)
             SELECT $1, 1 WHERE NOT EXISTS (SELECT 1 FROM tickets WHERE open_key = $2 OR (person_id = $3 AND closed_at IS NULL))
             ON CONFLICT (year) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last{next_id}"
        )))
        .bind(i64::from(year))
        .bind(tckn_hash.to_owned())
        .bind(person_id)
        .fetch_optional(&mut self.tx)
        .await?;
        let Some(next) = next else { return Ok(None) };
        let number = TicketNo::new(year, u32::try_from(next.try_get::<i64, _>("last")?).map_err(corrupt)?);
        Ok(Some((number, if sqlite { Some(next.try_get("next_id")?) } else { None })))
    }

    /// Applies one event to a ticket: the single path by which ticket state changes.
    pub async fn apply_event(&mut self, change: &TicketChange<'_>) -> Result<Result<Applied, Refusal>> {
        let select = match self.store.backend {
            super::Backend::Postgres => "SELECT state, person_id FROM tickets WHERE id = $1 FOR UPDATE",
            super::Backend::Sqlite => "SELECT state, person_id FROM tickets WHERE id = $1",
        };
        let row = sqlx::query(select).bind(change.ticket_id).fetch_one(&mut self.tx).await?;
        let state: String = row.try_get("state")?;
        self.apply_to(row.try_get("person_id")?, &state, change).await
    }

    /// [`Tx::apply_event`] for `person_id`'s ticket whose state the caller read (and, on
    /// PostgreSQL, locked `FOR UPDATE`) in this transaction.
    async fn apply_to(&mut self, person_id: i64, state: &str, change: &TicketChange<'_>) -> Result<Result<Applied, Refusal>> {
        let from = TicketState::from_code(state).ok_or_else(|| corrupt(format!("unknown state {state}")))?;
        let applied = match ticket::transition(from, change.event, change.actor.kind) {
            Err(refusal) => return Ok(Err(refusal)),
            Ok(applied) => applied,
        };
        let Applied::Moved { to, .. } = &applied else {
            return Ok(Ok(applied));
        };
        self.touched(person_id);
        let (ticket_id, now) = (change.ticket_id, change.at);
        let closed = !to.is_open();
        let query = sqlx::query(
            "UPDATE tickets SET state = $2, updated_at = $3,
                    closed_at = CASE WHEN $4 = 1 THEN $3 ELSE closed_at END,
                    open_key = CASE WHEN $4 = 1 THEN NULL ELSE open_key END
             WHERE id = $1",
        )
        .bind(ticket_id)
        .bind(to.code())
        .bind(now)
        .bind(i64::from(closed));
        self.tx.write_later(query, Some(1)).await?;
        self.record(change, from, &applied).await?;
        Ok(Ok(applied))
    }

    /// Writes a move's history row and queues its effects in the outbox: the applicant's chat and
    /// e-mail, the staff e-mail and chats, the help-desk.
    async fn record(&mut self, change: &TicketChange<'_>, from: TicketState, applied: &Applied) -> Result<()> {
        let Applied::Moved { to, effects } = applied else {
            return Ok(());
        };
        let (ticket_id, now) = (change.ticket_id, change.at);
        let row = HistoryRow {
            ticket_id,
            at: now,
            actor: change.actor,
            event: change.event.code(),
            from,
            to: *to,
            note: change.note,
            detail: change.detail,
        };
        self.history(&row).await?;
        self.after_move(ticket_id, *to, now).await?;
        let key = |what: &str| format!("ticket:{ticket_id}:{}:{what}", to.code());
        for effect in effects {
            match *effect {
                Effect::NotifyApplicant(notice) => {
                    let (person_id, number, email) = self.ticket_person_and_number(ticket_id).await?;
                    let address = notice_address(notice, email);
                    let chat = ChatMessage::TicketNotice { ticket_id, ticket: number, notice, address };
                    self.enqueue(key(&format!("chat:{}", notice.code())), &Outbound::PersonChat { person_id, message: chat }, now).await?;
                    let mail = Outbound::Email(Mail::ApplicantNotice { ticket_id, notice });
                    self.enqueue(key(&format!("email:applicant:{}", notice.code())), &mail, now).await?;
                }
                Effect::NotifyStaff(notice) => {
                    let mail = Outbound::Email(Mail::StaffNotice { ticket_id, notice });
                    self.enqueue(key(&format!("email:staff:{}", notice.code())), &mail, now).await?;
                    for platform in self.store.routing.staff_chats.clone() {
                        let post =
                            Outbound::StaffChat { platform, ticket_id: Some(ticket_id), message: StaffMessage::TicketNotice { notice } };
                        self.enqueue(key(&format!("{}:{}", post.channel().code(), notice.code())), &post, now).await?;
                    }
                }
            }
        }
        // The institution's help-desk hears of every change (what changed is kept non-personal;
        // the rest is read from the ticket when it is sent).
        let change = HelpdeskChange {
            ticket_id,
            event: change.event.code().to_owned(),
            from: from.code().to_owned(),
            to: to.code().to_owned(),
            actor: change.actor.kind.code().to_owned(),
            at: now,
        };
        if self.store.routing.helpdesk_email {
            self.enqueue(key("helpdesk:email"), &Outbound::Email(Mail::HelpdeskForward(change.clone())), now).await?;
        }
        if self.store.routing.helpdesk_webhook {
            self.enqueue(key("helpdesk:webhook"), &Outbound::Webhook(change), now).await?;
        }
        Ok(())
    }

    /// What a new state starts: the form approval's reminders count from the form e-mail
    /// notice; a completed renewal stops the expiry reminders of the renewed certificate.
    async fn after_move(&mut self, ticket_id: i64, to: TicketState, now: i64) -> Result<()> {
        match to {
            TicketState::FormEmailSent => {
                let query = sqlx::query("UPDATE tickets SET approval_notified_at = $2, approval_reminders = 0 WHERE id = $1");
                self.tx.write_later(query.bind(ticket_id).bind(now), None).await?;
            }
            TicketState::Completed => {
                let query =
                    sqlx::query("UPDATE roster SET renewed_at = $2 WHERE tckn_hash = (SELECT tckn_hash FROM tickets WHERE id = $1)");
                self.tx.write_later(query.bind(ticket_id).bind(now), None).await?;
            }
            _ => {}
        }
        if to != TicketState::FormEmailSent {
            let query = sqlx::query("UPDATE tickets SET approval_notified_at = NULL WHERE id = $1 AND state <> 'form-email-sent'");
            self.tx.write_later(query.bind(ticket_id), None).await?;
        }
        Ok(())
    }

    pub(super) async fn ticket_person_and_number(&mut self, ticket_id: i64) -> Result<(i64, TicketNo, Option<String>)> {
        let row = sqlx::query("SELECT person_id, number, email FROM tickets WHERE id = $1").bind(ticket_id).fetch_one(&mut self.tx).await?;
        let number: String = row.try_get("number")?;
        Ok((row.try_get("person_id")?, number.parse().map_err(corrupt)?, super::opt(&row, "email")?))
    }

    /// A fact about a ticket that does not move it: a history row with the state unchanged.
    pub async fn note_on_ticket(&mut self, note: &TicketNote<'_>) -> Result<()> {
        let state: String =
            sqlx::query("SELECT state FROM tickets WHERE id = $1").bind(note.ticket_id).fetch_one(&mut self.tx).await?.try_get("state")?;
        let state = TicketState::from_code(&state).ok_or_else(|| corrupt("unknown state"))?;
        let row = HistoryRow {
            ticket_id: note.ticket_id,
            at: note.at,
            actor: note.actor,
            event: note.event,
            from: state,
            to: state,
            note: note.note,
            detail: note.detail,
        };
        self.history(&row).await
    }

    /// [`Tx::note_on_ticket`] for the person's open ticket; nothing when they have none.
    pub async fn note_on_open_ticket(&mut self, person_id: i64, actor: &Actor, event: &str, note: &str, now: i64) -> Result<()> {
        let Some(row) = sqlx::query("SELECT id FROM tickets WHERE person_id = $1 AND closed_at IS NULL ORDER BY id DESC LIMIT 1")
            .bind(person_id)
            .fetch_optional(&mut self.tx)
            .await?
        else {
            return Ok(());
        };
        self.note_on_ticket(&TicketNote { ticket_id: row.try_get("id")?, actor, event, note: Some(note), detail: None, at: now }).await
    }

    /// The history row (on SQLite, sent with the transaction's next statement that is waited
    /// for, or its COMMIT).
    async fn history(&mut self, row: &HistoryRow<'_>) -> Result<()> {
        let query = sqlx::query(
            "INSERT INTO ticket_events (ticket_id, at, actor_kind, actor_id, event, from_state, to_state, note, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(row.ticket_id)
        .bind(row.at)
        .bind(row.actor.kind.code())
        .bind(row.actor.id.clone())
        .bind(row.event.to_owned())
        .bind(row.from.code())
        .bind(row.to.code())
        .bind(row.note.map(str::to_owned))
        .bind(row.detail.map(str::to_owned));
        Ok(self.tx.write_later(query, None).await?)
    }

    /// The applicant cancels their own open ticket.
    pub async fn cancel_own_ticket(&mut self, person_id: i64, number: TicketNo, now: i64) -> Result<Result<Applied, Refusal>> {
        let select = match self.store.backend {
            super::Backend::Postgres => "SELECT id, state FROM tickets WHERE number = $1 AND person_id = $2 FOR UPDATE",
            super::Backend::Sqlite => "SELECT id, state FROM tickets WHERE number = $1 AND person_id = $2",
        };
        let Some(row) = sqlx::query(select).bind(number.to_string()).bind(person_id).fetch_optional(&mut self.tx).await? else {
            return Ok(Err(Refusal::NotAllowed));
        };
        let actor = Actor::applicant(person_id);
        let state: String = row.try_get("state")?;
        let change = TicketChange::new(row.try_get("id")?, TicketEvent::Cancel, &actor, now);
        self.apply_to(person_id, &state, &change).await
    }

    /// `/sil`: cancels the person's open ticket, erases the personal data of all their tickets
    /// (history keeps only states, times and actors) and their web chat transcript.
    pub async fn delete_personal_data(&mut self, person_id: i64, now: i64) -> Result<()> {
        self.touched(person_id);
        let actor = Actor::applicant(person_id);
        // Mail queued to the person's addresses (a verification code, a reminder) goes too.
        let emails: Vec<String> = sqlx::query("SELECT email FROM tickets WHERE person_id = $1 AND email IS NOT NULL")
            .bind(person_id)
            .fetch_all(&mut self.tx)
            .await?
            .iter()
            .map(|r| r.try_get("email"))
            .collect::<std::result::Result<_, _>>()?;
        for email in emails {
            let lane = format!("to:{}", self.store.vault.lookup_hash(super::outbox::LANE, &email.to_ascii_lowercase()));
            self.drop_pending_outbox(&lane, None, now).await?;
        }
        let rows = sqlx::query("SELECT id, closed_at FROM tickets WHERE person_id = $1 AND purged_at IS NULL")
            .bind(person_id)
            .fetch_all(&mut self.tx)
            .await?;
        for row in rows {
            let id: i64 = row.try_get("id")?;
            if super::opt::<i64>(&row, "closed_at")?.is_none() {
                let change = TicketChange::new(id, TicketEvent::Cancel, &actor, now);
                self.apply_event(&change).await?.ok();
            }
            self.erase_ticket_data(id, &actor, "history-personal-data-deleted", Forget::RosterToo, now).await?;
        }
        sqlx::query("DELETE FROM webchat_messages WHERE person_id = $1").bind(person_id).execute(&mut self.tx).await?;
        sqlx::query("DELETE FROM form_links WHERE person_id = $1").bind(person_id).execute(&mut self.tx).await?;
        // Replies a platform still owed (a summary among them) and messages queued for the person.
        sqlx::query("UPDATE conversations SET unsent_enc = NULL WHERE person_id = $1").bind(person_id).execute(&mut self.tx).await?;
        self.drop_pending_outbox(&format!("person:{person_id}"), None, now).await?;
        self.store.scrub_soon();
        Ok(())
    }

    /// Outbox rows of `lane` (or about `ticket_id`) queued before `now` and not settled: their
    /// payload is blanked and they are settled as not sent.
    async fn drop_pending_outbox(&mut self, lane: &str, ticket_id: Option<i64>, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET payload_enc = NULL, failed_at = $3, last_error = 'personal data erased'
             WHERE sent_at IS NULL AND failed_at IS NULL AND created_at < $3 AND (lane = $1 OR ticket_id = $2)",
        )
        .bind(lane.to_owned())
        .bind(ticket_id.unwrap_or(-1))
        .bind(now)
        .execute(&mut self.tx)
        .await?;
        Ok(())
    }

    async fn erase_ticket_data(&mut self, ticket_id: i64, actor: &Actor, note: &str, forget: Forget, now: i64) -> Result<()> {
        // On `/sil`, what the roster learned from this person's card or ticket goes with it (rows
        // the support desk imported stay: they are the institution's list). Retention keeps it:
        // the roster is what the renewed certificate's reminders come from.
        if forget == Forget::RosterToo {
            sqlx::query("DELETE FROM roster WHERE source <> 'import' AND tckn_hash = (SELECT tckn_hash FROM tickets WHERE id = $1)")
                .bind(ticket_id)
                .execute(&mut self.tx)
                .await?;
        }
        // Messages about the ticket not sent yet would carry its data: they are dropped (what
        // this very change queues, at `now`, still goes).
        self.drop_pending_outbox(&format!("ticket:{ticket_id}"), Some(ticket_id), now).await?;
        // The desk's internal notes are about the person.
        sqlx::query("DELETE FROM ticket_notes WHERE ticket_id = $1").bind(ticket_id).execute(&mut self.tx).await?;
        sqlx::query(
            "UPDATE tickets SET tckn_hash = NULL, tckn_enc = NULL, birth_enc = NULL, name = NULL, name_fold = NULL,
                    title = NULL, email = NULL, open_key = NULL, purged_at = $2, updated_at = $2
             WHERE id = $1",
        )
        .bind(ticket_id)
        .bind(now)
        .execute(&mut self.tx)
        .await?;
        // A reason staff typed may name the person, and a qualified certificate's serial and
        // expiry identify them at Kamu SM; refusal codes stay.
        sqlx::query(
            "UPDATE ticket_events SET detail = NULL
             WHERE ticket_id = $1 AND note IN ('history-cancel-reason', 'history-eonay-attested', 'history-new-certificate')",
        )
        .bind(ticket_id)
        .execute(&mut self.tx)
        .await?;
        self.note_on_ticket(&TicketNote { ticket_id, actor, event: "personal-data-erased", note: Some(note), detail: None, at: now }).await
    }
}

impl Store {
    /// Forgets what idle people left behind (`idle_before`): web chat transcripts and sessions
    /// of people without an open request and silent since, and conversations (with their
    /// unfinished drafts) untouched since. Returns how many rows went.
    pub async fn expire_idle(&self, idle_before: i64) -> Result<u64> {
        // Alone: it may delete many rows (see `begin_alone`).
        let mut tx = self.begin_alone().await?;
        let open = "SELECT person_id FROM tickets WHERE closed_at IS NULL";
        let mut gone = 0;
        for sql in [
            format!(
                "DELETE FROM webchat_messages WHERE person_id NOT IN ({open}) AND person_id IN
                 (SELECT person_id FROM webchat_messages GROUP BY person_id HAVING MAX(at) < $1)"
            ),
            format!(
                "DELETE FROM webchat_sessions WHERE created_at < $1 AND person_id NOT IN ({open})
                 AND NOT EXISTS (SELECT 1 FROM webchat_messages m WHERE m.person_id = webchat_sessions.person_id)"
            ),
            format!("DELETE FROM conversations WHERE updated_at < $1 AND person_id NOT IN ({open})"),
        ] {
            // Fixed texts; the value is bound.
            gone += sqlx::query(sqlx::AssertSqlSafe(sql)).bind(idle_before).execute(&mut tx.tx).await?.rows_affected();
        }
        let committed = tx.commit().await;
        // Conversations and sessions may have gone (what is kept of them with them).
        if let Some(recent) = &self.recent {
            recent.forget_all();
        }
        if let Some(known) = &self.known_sessions {
            known.forget_all();
        }
        committed?;
        if gone > 0 {
            self.scrub_soon();
        }
        Ok(gone)
    }

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
            .fetch_all(&mut tx.tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
            if ids.is_empty() {
                tx.commit().await?;
                return Ok(purged);
            }
            for id in &ids {
                tx.erase_ticket_data(*id, &Actor::system(), "history-personal-data-purged", Forget::TicketOnly, now).await?;
            }
            tx.commit().await?;
            self.scrub_soon();
            purged += ids.len() as u64;
        }
    }

    /// What `/durum` shows of the person's last ticket: its number, state, when it opened and
    /// its moves. The people asking side by side are read in one statement
    /// ([`super::gather::Statuses`]); on SQLite through a connection of the batch task's own,
    /// not the pool's (each read there was a hand-off to a worker thread and back, and, with the
    /// log changed since, the unmapping of its memory map).
    pub async fn status_view(&self, person_id: i64) -> Result<Option<StatusView>> {
        match &self.statuses {
            Some(statuses) => statuses.submit(person_id).await,
            None => {
                let rows = status_query(self.backend, &[person_id]).fetch_all(&self.pool).await?;
                status_of(&rows)
            }
        }
    }
}

/// The rows of the last ticket of each of `people` with its moves, in order (person, move).
/// The numbers are bound, never spliced.
pub(super) fn status_query(backend: super::Backend, people: &[i64]) -> super::AnyQuery<'static> {
    let list = super::row_placeholders(backend, people.len(), 1);
    let sql = format!(
        "SELECT t.person_id, t.number, t.state, t.created_at, e.at, e.actor_kind, e.to_state
         FROM tickets t LEFT JOIN ticket_events e ON e.ticket_id = t.id AND e.from_state <> e.to_state
         WHERE t.id IN (SELECT MAX(id) FROM tickets WHERE person_id IN ({list}) GROUP BY person_id)
         ORDER BY t.person_id, e.id"
    );
    people.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |query, person| query.bind(*person))
}

/// One person's status from their rows of [`status_query`]; `None` without a ticket.
pub(super) fn status_of(rows: &[sqlx::any::AnyRow]) -> Result<Option<StatusView>> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let brief = ticket_brief(&first.try_get::<String, _>("number")?, &first.try_get::<String, _>("state")?)?;
    let mut history = Vec::with_capacity(rows.len());
    for row in rows {
        let (Some(at), Some(actor), Some(to)) =
            (super::opt::<i64>(row, "at")?, super::opt::<String>(row, "actor_kind")?, super::opt::<String>(row, "to_state")?)
        else {
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

/// The masked institutional address, for the notices that name it (the renewal form went there).
pub(super) fn notice_address(notice: crate::core::notice::ApplicantNotice, email: Option<String>) -> Option<String> {
    email.filter(|_| notice.asks_for_approval()).and_then(|e| crate::core::domain::KurumEmail::try_from(e).ok()).map(|e| e.masked())
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
