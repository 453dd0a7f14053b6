//! What a paired PC's acknowledgements and reports mean for the ticket and its person: each is
//! stored once, and whatever follows from it (the person told in chat, the roster learning the
//! card's expiry) is written in the same transaction. The link (`web::agent`) only decodes frames
//! and calls these.

use eimza_protocol::wire::{CardProblem, Id, ReportBody};

use crate::core::outbound::{ChatMessage, Outbound};
use crate::store::{AgentRow, Store, StoreError};

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
        ReportBody::CardCheck { usable, problems, certificate_not_after, .. } => {
            if let Some(day) = trusted_expiry(problems, certificate_not_after.as_deref())
                && tx.roster_expiry_from_card(work_id, day, now).await?
            {
                tracing::info!(agent = %agent.id, "certificate expiry learned from the card");
            }
            if let Some((_, ticket)) = work.ticket {
                let message = ChatMessage::CardChecked { ticket, usable: *usable, problems: problems.clone() };
                tx.enqueue(format!("card-checked:{report_id}"), &Outbound::PersonChat { person_id: agent.person_id, message }, now).await?;
            }
        }
        ReportBody::Unknown => tracing::info!(agent = %agent.id, "a report of a kind this bot does not know; stored"),
    }
    tx.commit().await
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
    let at = chrono::DateTime::parse_from_rfc3339(not_after?).ok()?;
    Some(at.with_timezone(&chrono_tz::Europe::Istanbul).date_naive())
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
