//! The e-Onay step on the bot's side: which ticket a PC's card step is for, the one-time nonce,
//! and the attestation — verified in the documented order (`attest::Trust` for the statement,
//! signature and certificate; here the nonce, the person, the ticket's state, revocation) before
//! it moves the ticket CardStep → EOnayDone. A refused one changes no state: it is a history row
//! with its reason, and the person is told in words (an outbox message) as well as the PC.
//! Also the PC seeing the renewed card, which closes the loop.

use std::sync::Arc;

use base64::Engine as _;
use eimza_protocol::Lang;
use eimza_protocol::attest::{Attestation, AttestationRefusal, CardStepInfo, Challenge, Verdict};
use eimza_protocol::{Tckn, TicketNo};

use crate::attest::{Checked, Trust};
use crate::clock;
use crate::core::outbound::{ChatMessage, Outbound};
use crate::core::ticket::{Applied, TicketEvent, TicketState};
use crate::i18n::Texts;
use crate::store::{Actor, AgentRow, StepTicket, Store, StoreError, TicketChange, TicketNote};
use crate::vault::random_nonce;

/// Clocks differ between the PC and the bot by this much at most.
const SKEW_MS: i64 = 60_000;

pub struct Attestations {
    store: Store,
    texts: Arc<Texts>,
    trust: Arc<Trust>,
    nonce_ttl_ms: i64,
}

/// An attestation that passed every check, with the ticket it is for.
struct Passed {
    ticket: StepTicket,
    checked: Checked,
}

impl Attestations {
    pub fn new(store: Store, texts: Arc<Texts>, trust: Arc<Trust>, nonce_ttl_secs: u64) -> Attestations {
        Attestations { store, texts, trust, nonce_ttl_ms: i64::try_from(nonce_ttl_secs.max(1)).unwrap_or(300) * 1000 }
    }

    pub fn trust(&self) -> &Trust {
        &self.trust
    }

    /// The ticket waiting for this PC's card step, with the holder's number (sent to the
    /// holder's own PC only).
    pub async fn card_step(&self, agent: &AgentRow) -> Result<Option<CardStepInfo>, StoreError> {
        let ticket = self.store.open_ticket_of_agent(agent).await?;
        Ok(ticket.filter(|t| t.state == TicketState::CardStep).and_then(|t| {
            Some(CardStepInfo { ticket_no: t.number, tckn: t.tckn?, origin: self.trust.origin.trim_end_matches('/').to_owned() })
        }))
    }

    /// A nonce for this ticket, its person and this PC; only its keyed hash is kept.
    pub async fn challenge(&self, agent: &AgentRow, ticket_no: &TicketNo) -> Result<Result<Challenge, AttestationRefusal>, StoreError> {
        let Some(ticket) = self.store.open_ticket_of_agent(agent).await? else { return Ok(Err(AttestationRefusal::WrongState)) };
        if ticket.number != *ticket_no || ticket.state != TicketState::CardStep {
            return Ok(Err(AttestationRefusal::WrongState));
        }
        let (nonce, now) = (random_nonce(), clock::now_ms());
        let mut tx = self.store.begin().await?;
        tx.issue_challenge(ticket.id, agent, &nonce, now, self.nonce_ttl_ms).await?;
        tx.commit().await?;
        let expires = chrono::DateTime::from_timestamp_millis(now + self.nonce_ttl_ms).unwrap_or_default();
        Ok(Ok(Challenge { nonce, ticket_no: ticket.number, expires_at: expires.to_rfc3339() }))
    }

    /// Verifies an attestation and, when it holds, records e-Onay as done; the verdict in `lang`.
    pub async fn attest(&self, agent: &AgentRow, attestation: &Attestation, lang: Lang) -> Result<Verdict, StoreError> {
        let now = clock::now_ms();
        let passed = match self.check(agent, attestation, now).await? {
            Ok(passed) => passed,
            Err((refusal, ticket)) => return self.refuse(agent, refusal, ticket, lang, now).await,
        };
        let nonce = &passed.checked.statement.nonce;
        let detail = format!("{}; {}", passed.checked.serial, passed.checked.issuer);
        let mut tx = self.store.begin().await?;
        if !tx.use_challenge(nonce, now).await? {
            drop(tx);
            return self.refuse(agent, AttestationRefusal::NonceUsed, Some(passed.ticket), lang, now).await;
        }
        let actor = Actor::agent(&agent.id);
        let change = TicketChange {
            note: Some("history-eonay-attested"),
            detail: Some(&detail),
            ..TicketChange::new(passed.ticket.id, TicketEvent::EOnayAttested, &actor, now)
        };
        match tx.apply_event(&change).await? {
            Ok(Applied::Moved { .. }) => {
                tx.commit().await?;
                tracing::info!(ticket = %passed.ticket.number, agent = %agent.id, "e-Onay attested");
                Ok(Verdict::Accepted { ticket_no: passed.ticket.number })
            }
            Ok(Applied::Duplicate) | Err(_) => {
                drop(tx);
                self.refuse(agent, AttestationRefusal::WrongState, Some(passed.ticket), lang, now).await
            }
        }
    }

    /// Every check, in order; the refusal with the ticket it concerns, when one is known.
    async fn check(
        &self,
        agent: &AgentRow,
        attestation: &Attestation,
        now: i64,
    ) -> Result<Result<Passed, (AttestationRefusal, Option<StepTicket>)>, StoreError> {
        let when = chrono::DateTime::from_timestamp_millis(now).unwrap_or_default();
        let checked = match self.trust.verify(attestation, when) {
            Ok(c) => c,
            Err(refusal) => return Ok(Err((refusal, None))),
        };
        let statement = &checked.statement;
        let Some(challenge) = self.store.challenge(&statement.nonce).await? else {
            return Ok(Err((AttestationRefusal::UnknownNonce, None)));
        };
        let Some(ticket) = self.store.step_ticket_by_id(challenge.ticket_id).await? else {
            return Ok(Err((AttestationRefusal::UnknownNonce, None)));
        };
        let bound = challenge.agent_id == agent.id.as_str()
            && challenge.person_id == agent.person_id
            && statement.agent.as_str() == agent.id.as_str()
            && statement.ticket == ticket.number;
        let signed_at = statement.signed_at.timestamp_millis();
        let refusal = if !bound {
            Some(AttestationRefusal::UnknownNonce)
        } else if challenge.used_at.is_some() {
            Some(AttestationRefusal::NonceUsed)
        } else if now >= challenge.expires_at || signed_at < challenge.created_at - SKEW_MS || signed_at > challenge.expires_at + SKEW_MS {
            Some(AttestationRefusal::NonceExpired)
        } else if !same_person(&ticket, &checked, &statement.tckn) {
            Some(AttestationRefusal::WrongPerson)
        } else if ticket.state != TicketState::CardStep {
            Some(AttestationRefusal::WrongState)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            // A nonce of someone else's ticket or PC: nothing is written on their ticket.
            return Ok(Err((refusal, bound.then_some(ticket))));
        }
        if let Some(ocsp) = &self.trust.ocsp
            && let Err(refusal) = ocsp.check(&checked.certificate, &checked.issuer_certificate, when).await
        {
            return Ok(Err((refusal, Some(ticket))));
        }
        Ok(Ok(Passed { ticket, checked }))
    }

    /// Records a refusal (no state change) on the ticket, tells the person in chat, and answers
    /// the PC in words.
    async fn refuse(
        &self,
        agent: &AgentRow,
        refusal: AttestationRefusal,
        ticket: Option<StepTicket>,
        lang: Lang,
        now: i64,
    ) -> Result<Verdict, StoreError> {
        tracing::info!(agent = %agent.id, reason = refusal.code(), "an e-Onay attestation was refused");
        let ticket = match ticket {
            Some(t) => Some(t),
            None => self.store.open_ticket_of_agent(agent).await?,
        };
        if let Some(ticket) = ticket {
            let mut tx = self.store.begin().await?;
            let actor = Actor::agent(&agent.id);
            let note = TicketNote {
                ticket_id: ticket.id,
                actor: &actor,
                event: "eonay-refused",
                note: Some("history-eonay-refused"),
                detail: Some(refusal.code()),
                at: now,
            };
            tx.note_on_ticket(&note).await?;
            let message = ChatMessage::AttestationRefused { ticket: ticket.number, reason: refusal };
            let key = format!("eonay-refused:{}:{}:{now}", ticket.id, refusal.code());
            tx.enqueue(key, &Outbound::PersonChat { person_id: agent.person_id, message }, now).await?;
            tx.commit().await?;
        }
        Ok(Verdict::Refused { reason: refusal, message: self.texts.get(lang, refusal.message_id()) })
    }

    /// The PC saw a card: if it carries the renewed certificate of the person's ticket waiting
    /// after the corporate application (trusted, the same person, later expiry than the one
    /// renewed), the roster learns the new date and the ticket completes. False otherwise.
    pub async fn certificate_seen(&self, agent: &AgentRow, certificate_b64: &str) -> Result<bool, StoreError> {
        let Ok(der) = base64::engine::general_purpose::STANDARD.decode(certificate_b64) else { return Ok(false) };
        let Some(seen) = self.trust.renewed_certificate(&der, chrono::Utc::now()) else { return Ok(false) };
        let Some(ticket) = self.store.open_ticket_of_agent(agent).await? else { return Ok(false) };
        if !matches!(ticket.state, TicketState::CorporateApplied | TicketState::FormEmailSent) || ticket.tckn.as_ref() != Some(&seen.tckn) {
            return Ok(false);
        }
        let now = clock::now_ms();
        let day = seen.not_after.with_timezone(&chrono_tz::Europe::Istanbul).date_naive();
        let mut tx = self.store.begin().await?;
        let actor = Actor::agent(&agent.id);
        let detail = format!("{}; {}", seen.serial, day.format("%d.%m.%Y"));
        let change = TicketChange {
            note: Some("history-new-certificate"),
            detail: Some(&detail),
            ..TicketChange::new(ticket.id, TicketEvent::NewCertificate, &actor, now)
        };
        if !matches!(tx.apply_event(&change).await?, Ok(Applied::Moved { .. })) {
            return Ok(false);
        }
        // After the move (which stopped the old certificate's reminders): the new date counts.
        if !tx.roster_learns_renewal(ticket.id, seen.not_before.timestamp_millis(), day, now).await? {
            return Ok(false); // not the renewed certificate: dropping `tx` undoes the move
        }
        tx.commit().await?;
        tracing::info!(ticket = %ticket.number, agent = %agent.id, "the renewed certificate closed the request");
        Ok(true)
    }
}

/// The certificate's TC Kimlik No, the statement's and the ticket's are the same.
fn same_person(ticket: &StepTicket, checked: &Checked, statement: &Tckn) -> bool {
    match (&ticket.tckn, &checked.certificate_tckn) {
        (Some(ticket), Some(certificate)) => ticket == certificate && ticket == statement,
        _ => false,
    }
}
