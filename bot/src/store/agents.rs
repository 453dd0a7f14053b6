//! Pairing codes, paired agents, their work queue and their reports. Codes, poll secrets and
//! agent tokens are kept only as keyed hashes; a new agent's token waits encrypted until the
//! agent fetches it, once.

use eimza_protocol::pairing::PairingCode;
use eimza_protocol::wire::{Id, WorkBody};
use eimza_protocol::{Tckn, TicketNo};
use sqlx::Row;

use super::tickets::{Actor, TicketChange};
use super::{Result, Store, Tx, corrupt, opt};
use crate::core::domain::{AgentId, RequestId};
use crate::core::outbound::{ChatMessage, Outbound};
use crate::core::ticket::TicketEvent;

const CODE: &str = "pairing-code";
const POLL: &str = "pairing-poll";
pub(super) const TOKEN: &str = "agent-token";

/// Wrong codes allowed per source address in [`FAILURE_WINDOW_MS`].
pub const MAX_FAILURES: i64 = 5;
/// Wrong codes allowed from all addresses together in the window: a code has 20⁸ ≈ 2.6·10¹⁰
/// values, so this keeps a guess spread over many addresses at about one chance in 10⁸ per live
/// code, while a person who mistypes is never near it.
pub const MAX_FAILURES_ALL: i64 = 300;
pub const FAILURE_WINDOW_MS: i64 = 10 * 60 * 1000;

/// A PC presenting a pairing code.
#[derive(Clone, Copy, Debug)]
pub struct PairingClaim<'a> {
    pub code: &'a PairingCode,
    /// The client's address, for the limit on wrong codes.
    pub source: &'a str,
    /// The PC's name and operating system as the person will read them (already cleaned).
    pub pc_name: &'a str,
    pub pc_os: &'a str,
    /// Made up by the caller: the request's id, and the secret its polls must carry.
    pub request_id: &'a RequestId,
    pub poll_secret: &'a str,
    pub now: i64,
}

/// What presenting a code led to.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The code was valid: the person is asked in chat (the question is queued in the same
    /// transaction); the agent polls with these.
    Claimed {
        request_id: RequestId,
        person_id: i64,
    },
    Unknown,
    Expired,
    Used,
    /// Too many wrong codes from this address: try again in this many milliseconds.
    TooManyTries {
        retry_after_ms: i64,
    },
}

/// Where a pairing request stands, as the agent polling it sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum PairingStatus {
    Pending,
    /// Approved: the token, handed out this once.
    Approved {
        agent_id: AgentId,
        token: String,
    },
    /// Approved and already fetched.
    Fetched,
    Rejected,
    Expired,
    NotFound,
}

/// What the person's decision did.
#[derive(Debug, PartialEq, Eq)]
pub enum Decided {
    Approved {
        agent_id: AgentId,
        pc_name: String,
        pc_os: String,
    },
    Rejected {
        pc_name: String,
    },
    /// Not this person's request, or already decided, or expired.
    Stale,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentRow {
    pub id: AgentId,
    pub person_id: i64,
    pub pc_name: String,
    pub pc_os: String,
    pub last_seen_at: i64,
    pub revoked: bool,
}

fn agent_row(row: &sqlx::any::AnyRow) -> Result<AgentRow> {
    let id: String = row.try_get("id")?;
    Ok(AgentRow {
        id: AgentId::parse(&id).ok_or_else(|| corrupt("agent id"))?,
        person_id: row.try_get("person_id")?,
        pc_name: row.try_get("pc_name")?,
        pc_os: row.try_get("pc_os")?,
        last_seen_at: row.try_get("last_seen_at")?,
        revoked: opt::<i64>(row, "revoked_at")?.is_some(),
    })
}

impl Store {
    /// An agent presents a code. Wrong codes count against `source` (the client address);
    /// past [`MAX_FAILURES`] in the window nothing is looked up at all. A valid code's person is
    /// asked in chat through the outbox, in the same transaction: the PC never waits for a chat
    /// platform.
    pub async fn claim_pairing_code(&self, claim: &PairingClaim<'_>) -> Result<Claim> {
        let PairingClaim { code, source, pc_name, pc_os, request_id, poll_secret, now } = *claim;
        let mut tx = self.begin().await?;
        tx.count_alone(super::Limit::PairingFailures, &[]).await?;
        let since = now - FAILURE_WINDOW_MS;
        let failures = sqlx::query("SELECT COUNT(*) AS n, MIN(at) AS first FROM pairing_failures WHERE source = $1 AND at > $2")
            .bind(source.to_owned())
            .bind(since)
            .fetch_one(&mut tx.tx)
            .await?;
        let count: i64 = failures.try_get("n")?;
        if count >= MAX_FAILURES {
            let first = opt::<i64>(&failures, "first")?.unwrap_or(now);
            return Ok(Claim::TooManyTries { retry_after_ms: (first + FAILURE_WINDOW_MS - now).max(1_000) });
        }
        // From every address together: guessing spread over many addresses is slowed down too.
        let everyone = sqlx::query("SELECT COUNT(*) AS n, MIN(at) AS first FROM pairing_failures WHERE at > $1")
            .bind(since)
            .fetch_one(&mut tx.tx)
            .await?;
        if everyone.try_get::<i64, _>("n")? >= MAX_FAILURES_ALL {
            let first = opt::<i64>(&everyone, "first")?.unwrap_or(now);
            tracing::warn!("many wrong pairing codes from many addresses; pairing waits");
            return Ok(Claim::TooManyTries { retry_after_ms: (first + FAILURE_WINDOW_MS - now).max(1_000) });
        }
        let row = sqlx::query("SELECT id, person_id, expires_at, request_id FROM pairings WHERE code_hash = $1")
            .bind(self.vault.lookup_hash(CODE, code.as_str()))
            .fetch_optional(&mut tx.tx)
            .await?;
        let outcome = match row {
            None => Claim::Unknown,
            Some(row) if opt::<String>(&row, "request_id")?.is_some() => Claim::Used,
            Some(row) if row.try_get::<i64, _>("expires_at")? <= now => Claim::Expired,
            Some(row) => 'claim: {
                let id: i64 = row.try_get("id")?;
                let claimed = sqlx::query(
                    "UPDATE pairings SET request_id = $2, poll_hash = $3, pc_name = $4, pc_os = $5, claimed_at = $6
                     WHERE id = $1 AND request_id IS NULL",
                )
                .bind(id)
                .bind(request_id.as_str())
                .bind(self.vault.lookup_hash(POLL, poll_secret))
                .bind(pc_name.to_owned())
                .bind(pc_os.to_owned())
                .bind(now)
                .execute(&mut tx.tx)
                .await?;
                // Another presentation of the same code got there first (PostgreSQL lets both read it).
                if claimed.rows_affected() != 1 {
                    break 'claim Claim::Used;
                }
                let person_id: i64 = row.try_get("person_id")?;
                let prompt =
                    ChatMessage::PairingPrompt { request_id: request_id.clone(), pc_name: pc_name.to_owned(), pc_os: pc_os.to_owned() };
                tx.enqueue(format!("pairing-prompt:{request_id}"), &Outbound::PersonChat { person_id, message: prompt }, now).await?;
                Claim::Claimed { request_id: request_id.clone(), person_id }
            }
        };
        if matches!(outcome, Claim::Unknown | Claim::Expired | Claim::Used) {
            sqlx::query("INSERT INTO pairing_failures (source, at) VALUES ($1, $2)")
                .bind(source.to_owned())
                .bind(now)
                .execute(&mut tx.tx)
                .await?;
            sqlx::query("DELETE FROM pairing_failures WHERE at <= $1").bind(since).execute(&mut tx.tx).await?;
        }
        tx.commit().await?;
        Ok(outcome)
    }

    /// The agent's poll. An approved request hands out the token once, then forgets it.
    pub async fn pairing_status(&self, request_id: &str, poll_secret: &str, now: i64, ttl_ms: i64) -> Result<PairingStatus> {
        let mut tx = self.begin().await?;
        let Some(row) = sqlx::query("SELECT id, poll_hash, claimed_at, decision, agent_id, token_enc FROM pairings WHERE request_id = $1")
            .bind(request_id.to_owned())
            .fetch_optional(&mut tx.tx)
            .await?
        else {
            return Ok(PairingStatus::NotFound);
        };
        let stored: Option<String> = opt(&row, "poll_hash")?;
        if stored.as_deref() != Some(self.vault.lookup_hash(POLL, poll_secret).as_str()) {
            return Ok(PairingStatus::NotFound);
        }
        let status = match opt::<String>(&row, "decision")?.as_deref() {
            Some("rejected") => PairingStatus::Rejected,
            Some("approved") => match opt::<Vec<u8>>(&row, "token_enc")? {
                Some(sealed) => {
                    let token = self.vault.decrypt_str(TOKEN, &sealed).map_err(corrupt)?;
                    sqlx::query("UPDATE pairings SET token_enc = NULL WHERE id = $1")
                        .bind(row.try_get::<i64, _>("id")?)
                        .execute(&mut tx.tx)
                        .await?;
                    let agent_id: String = opt(&row, "agent_id")?.unwrap_or_default();
                    PairingStatus::Approved { agent_id: AgentId::parse(&agent_id).ok_or_else(|| corrupt("agent id"))?, token }
                }
                None => PairingStatus::Fetched,
            },
            _ if opt::<i64>(&row, "claimed_at")?.unwrap_or(0) + ttl_ms <= now => PairingStatus::Expired,
            _ => PairingStatus::Pending,
        };
        tx.commit().await?;
        Ok(status)
    }

    pub async fn agent_by_token(&self, token: &str) -> Result<Option<AgentRow>> {
        let row = sqlx::query("SELECT id, person_id, pc_name, pc_os, last_seen_at, revoked_at FROM agents WHERE token_hash = $1")
            .bind(self.vault.lookup_hash(TOKEN, token))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(agent_row).transpose()
    }

    pub async fn agent(&self, id: &AgentId) -> Result<Option<AgentRow>> {
        let row = sqlx::query("SELECT id, person_id, pc_name, pc_os, last_seen_at, revoked_at FROM agents WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(agent_row).transpose()
    }

    /// The PCs paired by the person of ticket `number` (for staff), newest first.
    pub async fn agents_of_ticket(&self, number: &str) -> Result<Vec<AgentRow>> {
        let rows = sqlx::query(
            "SELECT a.id, a.person_id, a.pc_name, a.pc_os, a.last_seen_at, a.revoked_at FROM agents a
             JOIN tickets t ON t.person_id = a.person_id
             WHERE t.number = $1 AND a.revoked_at IS NULL ORDER BY a.created_at DESC",
        )
        .bind(number.to_owned())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(agent_row).collect()
    }

    /// The person's paired PCs that are not revoked, newest first.
    pub async fn agents_of(&self, person_id: i64) -> Result<Vec<AgentRow>> {
        let rows = sqlx::query(
            "SELECT id, person_id, pc_name, pc_os, last_seen_at, revoked_at FROM agents
             WHERE person_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC",
        )
        .bind(person_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(agent_row).collect()
    }

    pub async fn touch_agent(&self, id: &AgentId, version: Option<&str>, now: i64) -> Result<()> {
        self.write_count(
            sqlx::query("UPDATE agents SET last_seen_at = $2, agent_version = COALESCE($3, agent_version) WHERE id = $1")
                .bind(id.as_str())
                .bind(now)
                .bind(version.map(str::to_owned)),
        )
        .await?;
        Ok(())
    }

    /// The PC's agent is too old to connect: its person hears it once per agent and protocol
    /// version (it retries every minute or so), through the outbox.
    pub async fn tell_agent_outdated(&self, agent: &AgentRow, protocol: u32, now: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        let message = ChatMessage::AgentOutdated { pc_name: agent.pc_name.clone() };
        tx.enqueue(format!("agent-outdated:{}:{protocol}", agent.id), &Outbound::PersonChat { person_id: agent.person_id, message }, now)
            .await?;
        tx.commit().await
    }

    /// Staff unlink a PC. True when something was revoked.
    pub async fn revoke_agent_by_staff(&self, id: &AgentId, staff: &Actor, now: i64) -> Result<bool> {
        let mut tx = self.begin().await?;
        let done = tx.revoke_agent(id, None, staff, now).await?;
        tx.commit().await?;
        Ok(done)
    }
}

impl Tx<'_> {
    /// Stores a new code for the person (only its hash).
    pub async fn issue_pairing_code(&mut self, person_id: i64, code: &PairingCode, now: i64, ttl_ms: i64) -> Result<()> {
        sqlx::query("INSERT INTO pairings (code_hash, person_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(self.store.vault.lookup_hash(CODE, code.as_str()))
            .bind(person_id)
            .bind(now)
            .bind(now + ttl_ms)
            .execute(&mut self.tx)
            .await?;
        Ok(())
    }

    /// Revokes in this transaction; `only_of` limits it to that person's own PCs (the person
    /// unlinking one; `None` for staff). The unlinking is noted on the owner's open ticket.
    pub async fn revoke_agent(&mut self, id: &AgentId, only_of: Option<i64>, by: &Actor, now: i64) -> Result<bool> {
        let owner = sqlx::query(
            "UPDATE agents SET revoked_at = $2, revoked_by = $3
             WHERE id = $1 AND revoked_at IS NULL AND ($4 < 0 OR person_id = $4) RETURNING person_id",
        )
        .bind(id.as_str())
        .bind(now)
        .bind(by.id.clone().unwrap_or_else(|| by.kind.code().to_owned()))
        .bind(only_of.unwrap_or(-1))
        .fetch_optional(&mut self.tx)
        .await?;
        let Some(owner) = owner else { return Ok(false) };
        self.note_on_open_ticket(owner.try_get("person_id")?, by, "agent-unlinked", "history-agent-unlinked", now).await?;
        Ok(true)
    }
}

impl Store {
    /// Unlinks agents silent since `before`; returns their ids (to close live connections).
    pub async fn revoke_idle_agents(&self, before: i64, now: i64) -> Result<Vec<AgentId>> {
        let rows = self
            .write_rows(
                sqlx::query(
                    "UPDATE agents SET revoked_at = $2, revoked_by = 'system:idle' WHERE revoked_at IS NULL AND last_seen_at < $1 RETURNING id",
                )
                .bind(before)
                .bind(now),
            )
            .await?;
        rows.iter().map(|r| agent_id_of(r, "id")).collect()
    }

    /// Work not yet acknowledged by the agent, oldest first, with the ticket holder's number added
    /// (decrypted for sending to the holder's own PC; left out once erased). A stored item that
    /// does not read is skipped (and logged): it can never be sent.
    pub async fn pending_work(&self, agent_id: &AgentId) -> Result<Vec<(Id, WorkBody)>> {
        let rows = sqlx::query(
            "SELECT w.work_id, w.body, t.tckn_enc FROM agent_work w LEFT JOIN tickets t ON t.id = w.ticket_id
             WHERE w.agent_id = $1 AND w.acked_at IS NULL ORDER BY w.seq",
        )
        .bind(agent_id.as_str())
        .fetch_all(&self.pool)
        .await?;
        let mut work = Vec::with_capacity(rows.len());
        for r in &rows {
            let work_id: String = r.try_get("work_id")?;
            let (Some(id), Ok(mut body)) = (Id::new(&work_id), serde_json::from_str::<WorkBody>(&r.try_get::<String, _>("body")?)) else {
                tracing::error!(work = %work_id, "stored work item does not read; skipped");
                continue;
            };
            if let WorkBody::CardStep { tckn, .. } = &mut body {
                *tckn = match opt::<Vec<u8>>(r, "tckn_enc")? {
                    Some(sealed) => Tckn::parse(&self.vault.decrypt_str(super::tickets::TCKN, &sealed).map_err(corrupt)?).ok(),
                    None => None,
                };
            }
            work.push((id, body));
        }
        Ok(work)
    }

    pub async fn mark_work_sent(&self, work_id: &Id, now: i64) -> Result<()> {
        self.write_count(
            sqlx::query("UPDATE agent_work SET sent_at = COALESCE(sent_at, $2) WHERE work_id = $1").bind(work_id.as_str()).bind(now),
        )
        .await?;
        Ok(())
    }

    pub async fn report_count(&self, agent_id: &AgentId) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM agent_reports WHERE agent_id = $1")
            .bind(agent_id.as_str())
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?)
    }

    /// Agents with work queued after `seq` (for waking their connections on any instance), and
    /// the highest sequence seen.
    pub async fn work_since(&self, seq: i64) -> Result<(Vec<AgentId>, i64)> {
        let rows = sqlx::query("SELECT seq, agent_id FROM agent_work WHERE seq > $1 ORDER BY seq").bind(seq).fetch_all(&self.pool).await?;
        let mut last = seq;
        let mut agents = Vec::new();
        for row in rows {
            last = last.max(row.try_get("seq")?);
            let agent = agent_id_of(&row, "agent_id")?;
            if !agents.contains(&agent) {
                agents.push(agent);
            }
        }
        Ok((agents, last))
    }

    /// Work queued before `before` that no agent acknowledged and about which nobody was told
    /// yet: marked told (once, whichever instance gets there first), and the PC's person is told
    /// it is offline, through the outbox in the same transaction. Returns how many were told.
    pub async fn tell_offline_pcs(&self, before: i64, now: i64) -> Result<usize> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(
            "UPDATE agent_work SET offline_told_at = $1
             WHERE acked_at IS NULL AND offline_told_at IS NULL AND created_at < $2
             RETURNING work_id, agent_id, body",
        )
        .bind(now)
        .bind(before)
        .fetch_all(&mut tx.tx)
        .await?;
        let mut told = 0;
        for row in rows {
            let agent: String = row.try_get("agent_id")?;
            let Some(person) = sqlx::query("SELECT person_id FROM agents WHERE id = $1 AND revoked_at IS NULL")
                .bind(agent)
                .fetch_optional(&mut tx.tx)
                .await?
            else {
                continue;
            };
            let ticket = match serde_json::from_str::<WorkBody>(&row.try_get::<String, _>("body")?) {
                Ok(WorkBody::CardStep { ticket_no, .. }) => Some(ticket_no),
                _ => None,
            };
            let work_id: String = row.try_get("work_id")?;
            let message = Outbound::PersonChat { person_id: person.try_get("person_id")?, message: ChatMessage::PcOffline { ticket } };
            tx.enqueue(format!("pc-offline:{work_id}"), &message, now).await?;
            told += 1;
        }
        tx.commit().await?;
        Ok(told)
    }

    /// Agents revoked at or after `since` (by any instance).
    pub async fn revoked_since(&self, since: i64) -> Result<Vec<AgentId>> {
        let rows = sqlx::query("SELECT id FROM agents WHERE revoked_at >= $1").bind(since).fetch_all(&self.pool).await?;
        rows.iter().map(|r| agent_id_of(r, "id")).collect()
    }

    /// Which transport and user a person is, to reach them outside a reply.
    pub async fn person_address(&self, person_id: i64) -> Result<Option<(String, String)>> {
        let row = sqlx::query("SELECT transport, user_id FROM persons WHERE id = $1").bind(person_id).fetch_optional(&self.pool).await?;
        row.map(|r| Ok((r.try_get("transport")?, r.try_get("user_id")?))).transpose()
    }

    pub async fn last_work_seq(&self) -> Result<i64> {
        Ok(opt::<i64>(&sqlx::query("SELECT MAX(seq) AS s FROM agent_work").fetch_one(&self.pool).await?, "s")?.unwrap_or(0))
    }
}

impl Tx<'_> {
    /// The person approves or rejects a claimed request. On approval the agent row is created
    /// with the token's hash, and the token waits (encrypted) for the agent's next poll.
    pub async fn decide_pairing(&mut self, decision: &PairingDecisionRow<'_>) -> Result<Decided> {
        let PairingDecisionRow { person_id, request_id, approve, agent_id, token, now, ttl_ms } = *decision;
        let row = sqlx::query("SELECT id, pc_name, pc_os, claimed_at, decision FROM pairings WHERE request_id = $1 AND person_id = $2")
            .bind(request_id.as_str())
            .bind(person_id)
            .fetch_optional(&mut self.tx)
            .await?;
        let Some(row) = row else { return Ok(Decided::Stale) };
        if opt::<String>(&row, "decision")?.is_some() || opt::<i64>(&row, "claimed_at")?.unwrap_or(0) + ttl_ms <= now {
            return Ok(Decided::Stale);
        }
        let id: i64 = row.try_get("id")?;
        let pc_name: String = opt(&row, "pc_name")?.unwrap_or_default();
        let pc_os: String = opt(&row, "pc_os")?.unwrap_or_default();
        if !approve {
            sqlx::query("UPDATE pairings SET decision = 'rejected', decided_at = $2 WHERE id = $1")
                .bind(id)
                .bind(now)
                .execute(&mut self.tx)
                .await?;
            return Ok(Decided::Rejected { pc_name });
        }
        sqlx::query(
            "INSERT INTO agents (id, person_id, token_hash, pc_name, pc_os, created_at, last_seen_at)
             VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(agent_id.as_str())
        .bind(person_id)
        .bind(self.store.vault.lookup_hash(TOKEN, token))
        .bind(pc_name.clone())
        .bind(pc_os.clone())
        .bind(now)
        .execute(&mut self.tx)
        .await?;
        sqlx::query("UPDATE pairings SET decision = 'approved', decided_at = $2, agent_id = $3, token_enc = $4 WHERE id = $1")
            .bind(id)
            .bind(now)
            .bind(agent_id.as_str())
            .bind(self.store.vault.encrypt_str(TOKEN, token))
            .execute(&mut self.tx)
            .await?;
        // The ticket moves on: the person's PC is paired.
        if let Some(ticket) = sqlx::query("SELECT id FROM tickets WHERE person_id = $1 AND closed_at IS NULL AND state = 'submitted'")
            .bind(person_id)
            .fetch_optional(&mut self.tx)
            .await?
        {
            let actor = Actor { kind: crate::core::ticket::ActorKind::Applicant, id: Some(format!("agent:{agent_id}")) };
            let change = TicketChange::new(ticket.try_get("id")?, TicketEvent::AgentPaired, &actor, now);
            let _ = self.apply_event(&change).await?;
        }
        Ok(Decided::Approved { agent_id: agent_id.clone(), pc_name, pc_os })
    }

    /// Asks the person's newly paired agent for the card step of their open ticket: the ticket
    /// moves to CardStep and the work is queued, together. Returns the ticket number.
    pub async fn request_card_step(
        &mut self,
        person_id: i64,
        agent_id: &AgentId,
        work_id: &Id,
        nonce: &Id,
        now: i64,
    ) -> Result<Option<TicketNo>> {
        let Some(ticket) =
            sqlx::query("SELECT id, number FROM tickets WHERE person_id = $1 AND closed_at IS NULL AND state = 'agent-paired'")
                .bind(person_id)
                .fetch_optional(&mut self.tx)
                .await?
        else {
            return Ok(None);
        };
        let ticket_id: i64 = ticket.try_get("id")?;
        let number: TicketNo = ticket.try_get::<String, _>("number")?.parse().map_err(corrupt)?;
        let system = Actor::system();
        let change = TicketChange::new(ticket_id, TicketEvent::CardStepRequested, &system, now);
        if self.apply_event(&change).await?.is_err() {
            return Ok(None);
        }
        // The holder's number is not stored with the work (the queue is not encrypted); it is
        // added from the ticket when the work is sent.
        let body = WorkBody::CardStep { ticket_no: number, nonce: nonce.clone(), tckn: None };
        self.queue_work(work_id, agent_id, Some(ticket_id), &body, now).await?;
        Ok(Some(number))
    }

    /// Queues work for an agent, in this transaction (with the state change that causes it).
    pub async fn queue_work(&mut self, work_id: &Id, agent_id: &AgentId, ticket_id: Option<i64>, body: &WorkBody, now: i64) -> Result<()> {
        sqlx::query("INSERT INTO agent_work (work_id, agent_id, ticket_id, body, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(work_id.as_str())
            .bind(agent_id.as_str())
            .bind(ticket_id)
            .bind(eimza_protocol::wire::encode(body))
            .bind(now)
            .execute(&mut self.tx)
            .await?;
        Ok(())
    }

    /// The agent has the item: the first time, its person hears that the card step reached their
    /// PC (through the outbox, in this transaction). False for a repeated or foreign ack.
    pub async fn ack_work(&mut self, agent: &AgentRow, work_id: &Id, now: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT w.acked_at, t.number FROM agent_work w LEFT JOIN tickets t ON t.id = w.ticket_id
             WHERE w.work_id = $1 AND w.agent_id = $2",
        )
        .bind(work_id.as_str())
        .bind(agent.id.as_str())
        .fetch_optional(&mut self.tx)
        .await?;
        let Some(row) = row else { return Ok(false) };
        if opt::<i64>(&row, "acked_at")?.is_some() {
            return Ok(false);
        }
        sqlx::query("UPDATE agent_work SET acked_at = $3 WHERE work_id = $1 AND agent_id = $2")
            .bind(work_id.as_str())
            .bind(agent.id.as_str())
            .bind(now)
            .execute(&mut self.tx)
            .await?;
        if let Some(number) = opt::<String>(&row, "number")? {
            let ticket: TicketNo = number.parse().map_err(corrupt)?;
            let message = ChatMessage::CardStepDelivered { ticket, pc_name: agent.pc_name.clone() };
            self.enqueue(format!("work-delivered:{work_id}"), &Outbound::PersonChat { person_id: agent.person_id, message }, now).await?;
        }
        Ok(true)
    }

    /// Stores a report once, if its work item is this agent's. `None` for a repeated id (no
    /// second effect) or someone else's work; else the ticket it is about, if any.
    pub async fn store_report(
        &mut self,
        agent_id: &AgentId,
        report_id: &Id,
        work_id: &Id,
        body: &str,
        now: i64,
    ) -> Result<Option<WorkTicket>> {
        let Some(work) = sqlx::query(
            "SELECT w.ticket_id, t.number FROM agent_work w LEFT JOIN tickets t ON t.id = w.ticket_id WHERE w.work_id = $1 AND w.agent_id = $2",
        )
        .bind(work_id.as_str())
        .bind(agent_id.as_str())
        .fetch_optional(&mut self.tx)
        .await?
        else {
            return Ok(None);
        };
        let done = sqlx::query(
            "INSERT INTO agent_reports (report_id, agent_id, work_id, body, received_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (report_id) DO NOTHING",
        )
        .bind(report_id.as_str())
        .bind(agent_id.as_str())
        .bind(work_id.as_str())
        .bind(body.to_owned())
        .bind(now)
        .execute(&mut self.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let ticket = match (opt::<i64>(&work, "ticket_id")?, opt::<String>(&work, "number")?) {
            (Some(id), Some(number)) => Some((id, number.parse::<TicketNo>().map_err(corrupt)?)),
            _ => None,
        };
        Ok(Some(WorkTicket { ticket }))
    }

    /// The certificate the holder's own card showed for the ticket of `work_id` expires on `day`:
    /// the roster learns it (added, or its date updated), so the reminders follow the card.
    /// False when the work has no ticket with personal data left.
    pub async fn roster_expiry_from_card(&mut self, work_id: &Id, day: chrono::NaiveDate, now: i64) -> Result<bool> {
        let Some(row) = sqlx::query(
            "SELECT t.tckn_hash, t.tckn_enc, t.name, t.title, t.email FROM agent_work w JOIN tickets t ON t.id = w.ticket_id
             WHERE w.work_id = $1 AND t.tckn_hash IS NOT NULL AND t.name IS NOT NULL",
        )
        .bind(work_id.as_str())
        .fetch_optional(&mut self.tx)
        .await?
        else {
            return Ok(false);
        };
        sqlx::query(
            "INSERT INTO roster (tckn_hash, tckn_enc, name, title, email, expires_day, source, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'agent', $7)
             ON CONFLICT (tckn_hash) DO UPDATE SET expires_day = excluded.expires_day, updated_at = excluded.updated_at",
        )
        .bind(row.try_get::<String, _>("tckn_hash")?)
        .bind(row.try_get::<Vec<u8>, _>("tckn_enc")?)
        .bind(row.try_get::<String, _>("name")?)
        .bind(opt::<String>(&row, "title")?.unwrap_or_default())
        .bind(opt::<String>(&row, "email")?.unwrap_or_default())
        .bind(super::day_number(day))
        .bind(now)
        .execute(&mut self.tx)
        .await?;
        Ok(true)
    }

    /// On `/sil`: the person's PCs are unlinked and their pairing rows (PC names) removed.
    pub async fn forget_agents(&mut self, person_id: i64, now: i64) -> Result<Vec<AgentId>> {
        let rows = sqlx::query(
            "UPDATE agents SET revoked_at = COALESCE(revoked_at, $2), revoked_by = COALESCE(revoked_by, 'person:deleted'), pc_name = '', pc_os = ''
             WHERE person_id = $1 RETURNING id",
        )
        .bind(person_id)
        .bind(now)
        .fetch_all(&mut self.tx)
        .await?;
        let ids = rows.iter().map(|r| agent_id_of(r, "id")).collect::<Result<Vec<_>>>()?;
        sqlx::query("DELETE FROM pairings WHERE person_id = $1").bind(person_id).execute(&mut self.tx).await?;
        Ok(ids)
    }
}

/// The person's answer to a pairing request, with what approval creates.
#[derive(Clone, Copy, Debug)]
pub struct PairingDecisionRow<'a> {
    pub person_id: i64,
    pub request_id: &'a RequestId,
    pub approve: bool,
    /// The new agent's id and token, made up by the caller (used only on approval).
    pub agent_id: &'a AgentId,
    pub token: &'a str,
    pub now: i64,
    pub ttl_ms: i64,
}

/// The ticket a stored report's work item belongs to, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkTicket {
    pub ticket: Option<(i64, TicketNo)>,
}

fn agent_id_of(row: &sqlx::any::AnyRow, column: &str) -> Result<AgentId> {
    let id: String = row.try_get(column)?;
    AgentId::parse(&id).ok_or_else(|| corrupt("agent id"))
}
