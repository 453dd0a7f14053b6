//! The renewal's second half in the store: which ticket waits for a PC's card step, the e-Onay
//! nonces (only their keyed hash, single use), sending the card step again, the form approval and
//! its reminders, a renewed certificate closing the loop.

use eimza_protocol::wire::{Id, WorkBody};
use eimza_protocol::{Tckn, TicketNo};
use sqlx::Row;

use super::tickets::{Actor, TCKN, TicketChange, TicketNote};
use super::{AgentRow, Backend, Result, Store, Tx, corrupt, opt};
use crate::core::domain::AgentId;
use crate::core::notice::ApplicantNotice;
use crate::core::outbound::{ChatMessage, Mail, Outbound};
use crate::core::ticket::{Applied, Refusal, TicketEvent, TicketState};

const NONCE: &str = "eonay-nonce";

/// A ticket as the e-Onay step sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepTicket {
    pub id: i64,
    pub number: TicketNo,
    pub state: TicketState,
    /// `None` once the personal data is erased.
    pub tckn: Option<Tckn>,
}

/// A nonce as it was handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChallengeRow {
    pub ticket_id: i64,
    pub person_id: i64,
    pub agent_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// The card step sent (again) to a PC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resent {
    pub ticket: TicketNo,
    pub agent_id: AgentId,
    pub pc_name: String,
}

/// A ticket waiting for its form approval to be reminded of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApprovalDue {
    pub ticket_id: i64,
    pub person_id: i64,
    pub number: TicketNo,
    pub reminders: i64,
    pub notified_at: i64,
}

impl Store {
    fn step_ticket(&self, row: &sqlx::any::AnyRow) -> Result<StepTicket> {
        let number: String = row.try_get("number")?;
        let state: String = row.try_get("state")?;
        let tckn = match opt::<Vec<u8>>(row, "tckn_enc")? {
            Some(sealed) => Some(Tckn::parse(&self.vault.decrypt_str(TCKN, &sealed).map_err(corrupt)?).map_err(corrupt)?),
            None => None,
        };
        Ok(StepTicket {
            id: row.try_get("id")?,
            number: number.parse().map_err(corrupt)?,
            state: TicketState::from_code(&state).ok_or_else(|| corrupt("unknown state"))?,
            tckn,
        })
    }

    /// The open ticket of the person who paired this PC, if any.
    pub async fn open_ticket_of_agent(&self, agent: &AgentRow) -> Result<Option<StepTicket>> {
        let row = sqlx::query(
            "SELECT id, number, state, tckn_enc FROM tickets WHERE person_id = $1 AND closed_at IS NULL ORDER BY id DESC LIMIT 1",
        )
        .bind(agent.person_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| self.step_ticket(&r)).transpose()
    }

    pub async fn step_ticket_by_id(&self, ticket_id: i64) -> Result<Option<StepTicket>> {
        let row =
            sqlx::query("SELECT id, number, state, tckn_enc FROM tickets WHERE id = $1").bind(ticket_id).fetch_optional(&self.pool).await?;
        row.map(|r| self.step_ticket(&r)).transpose()
    }

    /// A nonce handed out earlier, by its value.
    pub async fn challenge(&self, nonce: &Id) -> Result<Option<ChallengeRow>> {
        let row = sqlx::query(
            "SELECT ticket_id, person_id, agent_id, created_at, expires_at, used_at FROM eonay_challenges WHERE nonce_hash = $1",
        )
        .bind(self.vault.lookup_hash(NONCE, nonce.as_str()))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            Ok(ChallengeRow {
                ticket_id: r.try_get("ticket_id")?,
                person_id: r.try_get("person_id")?,
                agent_id: r.try_get("agent_id")?,
                created_at: r.try_get("created_at")?,
                expires_at: r.try_get("expires_at")?,
                used_at: opt(&r, "used_at")?,
            })
        })
        .transpose()
    }

    /// Tickets waiting for the form approval whose last notice is older than `before`, with fewer
    /// than `max` reminders sent.
    pub async fn approvals_due(&self, before: i64, max: i64) -> Result<Vec<ApprovalDue>> {
        let rows = sqlx::query(
            "SELECT id, person_id, number, approval_reminders, approval_notified_at FROM tickets
             WHERE state = 'form-email-sent' AND approval_notified_at IS NOT NULL AND approval_notified_at < $1
               AND approval_reminders < $2 ORDER BY id",
        )
        .bind(before)
        .bind(max)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let number: String = r.try_get("number")?;
                Ok(ApprovalDue {
                    ticket_id: r.try_get("id")?,
                    person_id: r.try_get("person_id")?,
                    number: number.parse().map_err(corrupt)?,
                    reminders: r.try_get("approval_reminders")?,
                    notified_at: r.try_get("approval_notified_at")?,
                })
            })
            .collect()
    }
}

impl Tx<'_> {
    /// A ticket's state, read in this transaction.
    pub async fn ticket_state(&mut self, ticket_id: i64) -> Result<Option<TicketState>> {
        let row = sqlx::query("SELECT state FROM tickets WHERE id = $1").bind(ticket_id).fetch_optional(&mut self.tx).await?;
        match row {
            Some(r) => Ok(Some(TicketState::from_code(&r.try_get::<String, _>("state")?).ok_or_else(|| corrupt("unknown state"))?)),
            None => Ok(None),
        }
    }

    /// Keeps a nonce's keyed hash, bound to the ticket, its person and the PC.
    pub async fn issue_challenge(&mut self, ticket_id: i64, agent: &AgentRow, nonce: &Id, now: i64, ttl_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO eonay_challenges (nonce_hash, ticket_id, person_id, agent_id, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(self.store.vault.lookup_hash(NONCE, nonce.as_str()))
        .bind(ticket_id)
        .bind(agent.person_id)
        .bind(agent.id.as_str())
        .bind(now)
        .bind(now + ttl_ms)
        .execute(&mut self.tx)
        .await?;
        Ok(())
    }

    /// Uses a nonce up: exactly one caller gets `true`, and only before it expires.
    pub async fn use_challenge(&mut self, nonce: &Id, now: i64) -> Result<bool> {
        let done = sqlx::query("UPDATE eonay_challenges SET used_at = $2 WHERE nonce_hash = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(self.store.vault.lookup_hash(NONCE, nonce.as_str()))
            .bind(now)
            .execute(&mut self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sends the card step of a ticket waiting in CardStep again, to its person's most recently
    /// paired PC, with a history row naming who asked. `None` when the ticket does not wait for
    /// the card step or its person has no PC.
    pub async fn resend_card_step(&mut self, ticket_id: i64, by: &Actor, work_id: &Id, nonce: &Id, now: i64) -> Result<Option<Resent>> {
        let lock = if self.store.backend == Backend::Postgres { " FOR UPDATE" } else { "" };
        let sql = format!("SELECT number, person_id, state FROM tickets WHERE id = $1{lock}");
        // One of two fixed texts; the value is bound.
        let Some(ticket) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(ticket_id).fetch_optional(&mut self.tx).await? else {
            return Ok(None);
        };
        if ticket.try_get::<String, _>("state")? != TicketState::CardStep.code() {
            return Ok(None);
        }
        let Some(agent) = sqlx::query(
            "SELECT id, pc_name FROM agents WHERE person_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(ticket.try_get::<i64, _>("person_id")?)
        .fetch_optional(&mut self.tx)
        .await?
        else {
            return Ok(None);
        };
        let number: TicketNo = ticket.try_get::<String, _>("number")?.parse().map_err(corrupt)?;
        let agent_id = AgentId::parse(&agent.try_get::<String, _>("id")?).ok_or_else(|| corrupt("agent id"))?;
        let body = WorkBody::CardStep { ticket_no: number, nonce: nonce.clone(), tckn: None };
        self.queue_work(work_id, &agent_id, Some(ticket_id), &body, now).await?;
        let note =
            TicketNote { ticket_id, actor: by, event: "card-step-resent", note: Some("history-card-step-resent"), detail: None, at: now };
        self.note_on_ticket(&note).await?;
        Ok(Some(Resent { ticket: number, agent_id, pc_name: agent.try_get("pc_name")? }))
    }

    /// The person says they approved the renewal form: their open ticket waiting for it moves to
    /// Completed. `None` when they have no open ticket.
    pub async fn approve_form(&mut self, person_id: i64, now: i64) -> Result<Option<(TicketNo, std::result::Result<Applied, Refusal>)>> {
        let Some(row) = sqlx::query("SELECT id, number FROM tickets WHERE person_id = $1 AND closed_at IS NULL ORDER BY id DESC LIMIT 1")
            .bind(person_id)
            .fetch_optional(&mut self.tx)
            .await?
        else {
            return Ok(None);
        };
        let number: TicketNo = row.try_get::<String, _>("number")?.parse().map_err(corrupt)?;
        let actor = Actor::applicant(person_id);
        let outcome = self.apply_event(&TicketChange::new(row.try_get("id")?, TicketEvent::FormApproved, &actor, now)).await?;
        Ok(Some((number, outcome)))
    }

    /// The renewed certificate of a ticket's person expires on `day`: when it was issued after the
    /// ticket opened and expires later than what the roster knows, the roster learns it (and
    /// reminders may follow it again). False when it is not the renewed one.
    pub async fn roster_learns_renewal(&mut self, ticket_id: i64, not_before_ms: i64, day: chrono::NaiveDate, now: i64) -> Result<bool> {
        let Some(ticket) = sqlx::query(
            "SELECT t.created_at, t.tckn_hash, t.tckn_enc, t.name, t.title, t.email, r.expires_day FROM tickets t
             LEFT JOIN roster r ON r.tckn_hash = t.tckn_hash WHERE t.id = $1 AND t.tckn_hash IS NOT NULL",
        )
        .bind(ticket_id)
        .fetch_optional(&mut self.tx)
        .await?
        else {
            return Ok(false);
        };
        // Issued after the request was opened (a day's grace for the clocks), and later than the
        // expiry the roster knows.
        let created: i64 = ticket.try_get("created_at")?;
        let known: Option<i64> = opt(&ticket, "expires_day")?;
        if not_before_ms < created - 24 * 3_600_000 || known.is_some_and(|k| k >= super::day_number(day)) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO roster (tckn_hash, tckn_enc, name, title, email, expires_day, source, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'agent', $7)
             ON CONFLICT (tckn_hash) DO UPDATE SET expires_day = excluded.expires_day, renewed_at = NULL,
                                                   updated_at = excluded.updated_at",
        )
        .bind(ticket.try_get::<String, _>("tckn_hash")?)
        .bind(ticket.try_get::<Vec<u8>, _>("tckn_enc")?)
        .bind(opt::<String>(&ticket, "name")?.unwrap_or_default())
        .bind(opt::<String>(&ticket, "title")?.unwrap_or_default())
        .bind(opt::<String>(&ticket, "email")?.unwrap_or_default())
        .bind(super::day_number(day))
        .bind(now)
        .execute(&mut self.tx)
        .await?;
        Ok(true)
    }

    /// One more reminder to approve the renewal form: counted, and said in the person's chat and
    /// by e-mail (the outbox, once by its key).
    pub async fn remind_approval(&mut self, due: &ApprovalDue, now: i64) -> Result<()> {
        let done = sqlx::query(
            "UPDATE tickets SET approval_reminders = approval_reminders + 1, approval_notified_at = $3
             WHERE id = $1 AND approval_reminders = $2 AND state = 'form-email-sent'",
        )
        .bind(due.ticket_id)
        .bind(due.reminders)
        .bind(now)
        .execute(&mut self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(()); // another instance reminded, or the person approved meanwhile
        }
        let n = due.reminders + 1;
        let notice = ApplicantNotice::FormApprovalReminder;
        let (_, _, email) = self.ticket_person_and_number(due.ticket_id).await?;
        let address = super::tickets::notice_address(notice, email);
        let chat = ChatMessage::TicketNotice { ticket_id: due.ticket_id, ticket: due.number, notice, address };
        self.enqueue(
            format!("approval-reminder:{}:{n}:chat", due.ticket_id),
            &Outbound::PersonChat { person_id: due.person_id, message: chat },
            now,
        )
        .await?;
        let mail = Outbound::Email(Mail::ApplicantNotice { ticket_id: due.ticket_id, notice });
        self.enqueue(format!("approval-reminder:{}:{n}:email", due.ticket_id), &mail, now).await?;
        Ok(())
    }
}
