//! What a paired PC's acknowledgements and reports mean for the ticket and its person: each is
//! stored once, and whatever follows from it (the person told in chat, the roster learning the
//! card's expiry) is written in the same transaction. The link (`web::agent`) only decodes frames
//! and calls these.

use eimza_protocol::TicketNo;
use eimza_protocol::wire::{CardProblem, Id, ReportBody};

use crate::core::outbound::{ChatMessage, Outbound};
use crate::core::ticket::{FailReason, TicketEvent};
use crate::store::{Actor, AgentRow, Store, StoreError, TicketChange, Tx};

/// What the PC found on the card, from a work item's report or the e-Onay step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CardCheck {
    pub usable: bool,
    pub problems: Vec<CardProblem>,
    pub renewal_opens: Option<chrono::NaiveDate>,
    pub gave_up: bool,
}

/// The PC has the work item (it stored it first).
pub async fn on_ack(store: &Store, agent: &AgentRow, work_id: &Id, now: i64) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    if tx.ack_work(agent, work_id, now).await? {
        tx.commit().await?;
    }
    Ok(())
}

/// A report from the PC. Stored once by its id (a replay has no second effect); a report for
/// another agent's work is dropped. `Ok` means the bot may acknowledge it.
pub async fn on_report(
    store: &Store,
    agent: &AgentRow,
    report_id: &Id,
    work_id: &Id,
    body: &ReportBody,
    now: i64,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    let Some(work) = tx.store_report(&agent.id, report_id, work_id, &eimza_protocol::wire::encode(body), now).await? else {
        return Ok(()); // a replay or someone else's work: acknowledged, no effect
    };
    match body {
        ReportBody::CardCheck { usable, problems, certificate_not_after, renewal_opens, gave_up, .. } => {
            if let Some(day) = trusted_expiry(problems, certificate_not_after.as_deref())
                && tx.roster_expiry_from_card(work_id, day, now).await?
            {
                tracing::info!(agent = %agent.id, "certificate expiry learned from the card");
            }
            if let Some((ticket_id, ticket)) = work.ticket {
                let renewal_opens = renewal_opens.as_deref().and_then(istanbul_day);
                let check = CardCheck { usable: *usable, problems: problems.clone(), renewal_opens, gave_up: *gave_up };
                card_checked(&mut tx, agent, ticket_id, ticket, &check, report_id.as_str(), now).await?;
            }
        }
        ReportBody::Unknown => tracing::info!(agent = %agent.id, "a report of a kind this bot does not know; stored"),
    }
    tx.commit().await
}

/// What the card check means: a locked card or an expired certificate ends the request (the
/// person and staff hear why, from the ticket's notices); anything else the person can fix is
/// said in words with a button to check again; a usable card is ready for e-Onay. Someone else's
/// card does not end it: people pick up the wrong card.
pub async fn card_checked(
    tx: &mut Tx<'_>,
    agent: &AgentRow,
    ticket_id: i64,
    ticket: TicketNo,
    check: &CardCheck,
    key: &str,
    now: i64,
) -> Result<(), StoreError> {
    // Someone else's card ends nothing, whatever state it is in.
    let someone_elses = check.problems.contains(&CardProblem::WrongPerson);
    let fail = if someone_elses {
        None
    } else if check.problems.contains(&CardProblem::PinLocked) {
        Some(FailReason::CardLocked)
    } else if check.problems.contains(&CardProblem::Expired) {
        Some(FailReason::CertificateExpired)
    } else {
        None
    };
    if let Some(reason) = fail {
        let actor = Actor::agent(&agent.id);
        let outcome = tx.apply_event(&TicketChange::new(ticket_id, TicketEvent::Fail(reason), &actor, now)).await?;
        tracing::info!(ticket = %ticket, ?reason, failed = outcome.is_ok(), "the card step cannot go on");
        return Ok(());
    }
    // A late report (the ticket moved on, or was closed) has nothing to tell the person.
    if tx.ticket_state(ticket_id).await? != Some(crate::core::ticket::TicketState::CardStep) {
        tracing::info!(ticket = %ticket, "a card check for a ticket past its card step; not said");
        return Ok(());
    }
    let message = if check.usable {
        ChatMessage::CardReady { ticket }
    } else {
        ChatMessage::CardProblems { ticket, problems: check.problems.clone(), renewal_opens: check.renewal_opens, gave_up: check.gave_up }
    };
    tx.enqueue(format!("card-checked:{key}"), &Outbound::PersonChat { person_id: agent.person_id, message }, now).await?;
    Ok(())
}

/// An RFC 3339 time as the calendar day in Türkiye.
pub fn istanbul_day(rfc3339: &str) -> Option<chrono::NaiveDate> {
    let at = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?;
    Some(at.with_timezone(&chrono_tz::Europe::Istanbul).date_naive())
}

/// The card's certificate is the holder's own (the PC checked the number the bot sent) and Kamu
/// SM's: its expiry feeds the reminders. `None` otherwise, or when no date came.
fn trusted_expiry(problems: &[CardProblem], not_after: Option<&str>) -> Option<chrono::NaiveDate> {
    let untrusted = problems.iter().any(|p| {
        matches!(p, CardProblem::WrongPerson | CardProblem::NoIdentityNumber | CardProblem::NotKamuSm | CardProblem::BadCertificate)
    });
    if untrusted {
        return None;
    }
    istanbul_day(not_after?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_holders_own_kamu_sm_card_teaches_the_roster() {
        let at = Some("2027-03-01T21:30:00Z");
        assert_eq!(trusted_expiry(&[], at), chrono::NaiveDate::from_ymd_opt(2027, 3, 2), "Istanbul's day");
        assert_eq!(trusted_expiry(&[CardProblem::RenewalWindowNotOpen], at), chrono::NaiveDate::from_ymd_opt(2027, 3, 2));
        assert_eq!(trusted_expiry(&[CardProblem::WrongPerson], at), None);
        assert_eq!(trusted_expiry(&[CardProblem::NotKamuSm], at), None);
        assert_eq!(trusted_expiry(&[], Some("yesterday")), None);
        assert_eq!(trusted_expiry(&[], None), None);
    }
}
