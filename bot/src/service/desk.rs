//! The support desk's actions from the staff chats: who may act ([`StaffRoster`], pure), what a
//! button does to the ticket, and a staff member's answer to a person (a history row and an
//! outbox message, in one transaction). Each platform update is acted on once, and a reply to a
//! ticket's post is traced back to its ticket, here for both platforms: the adapters only turn
//! clicks and replies into calls and show what comes back.

use std::sync::Arc;

use crate::clock;
use crate::core::button::{ButtonId, StaffAction};
use crate::core::conversation::{Msg, Transport};
use crate::core::domain::TicketNo;
use crate::core::outbound::{ChatMessage, Outbound, Rendered};
use crate::core::ticket::Applied;
use crate::delivery::staff_chat::STAFF_LANG;
use crate::i18n::Texts;
use crate::store::{Actor, Store, StoreError, TicketChange, TicketNote};
use crate::vault::{random_id, random_nonce};

/// Who may act from the staff chats.
#[derive(Clone, Debug, Default)]
pub struct StaffRoster {
    pub telegram_users: Vec<i64>,
    pub discord_users: Vec<u64>,
    pub discord_roles: Vec<u64>,
}

/// Someone pressing a staff button or answering in a staff chat.
#[derive(Clone, Debug)]
pub struct StaffActor {
    pub transport: Transport,
    pub user_id: String,
    /// Discord roles of the member (empty elsewhere).
    pub roles: Vec<String>,
    pub display_name: String,
}

impl StaffActor {
    /// How the ticket history names them: `telegram:1234 (Ayşe Kaya)`.
    pub fn actor(&self) -> Actor {
        Actor::staff(format!("{}:{} ({})", self.transport.code(), self.user_id, self.display_name))
    }
}

impl StaffRoster {
    /// Only configured staff act; being in the group or channel is not enough.
    pub fn may_act(&self, actor: &StaffActor) -> bool {
        match actor.transport {
            Transport::Telegram => actor.user_id.parse::<i64>().is_ok_and(|id| self.telegram_users.contains(&id)),
            Transport::Discord => {
                actor.user_id.parse::<u64>().is_ok_and(|id| self.discord_users.contains(&id))
                    || actor.roles.iter().filter_map(|r| r.parse::<u64>().ok()).any(|r| self.discord_roles.contains(&r))
            }
            Transport::Web => false,
        }
    }
}

/// Which ticket a staff answer is for.
#[derive(Clone, Debug)]
pub enum AnswerTo {
    /// Named by the button that opened the answer form (Discord).
    Ticket(i64),
    /// A reply to one of the desk's posts (Telegram): the post is looked up.
    Post { chat_id: String, message_id: String },
}

/// What the desk says back about a staff action, and whether the presser may act at all (a
/// refusal is shown to the presser only).
#[derive(Clone, Debug)]
pub struct DeskAnswer {
    pub shown: Rendered,
    pub allowed: bool,
}

pub struct StaffDesk {
    store: Store,
    texts: Arc<Texts>,
    roster: StaffRoster,
}

impl StaffDesk {
    pub fn new(store: Store, texts: Arc<Texts>, roster: StaffRoster) -> StaffDesk {
        StaffDesk { store, texts, roster }
    }

    pub fn roster(&self) -> &StaffRoster {
        &self.roster
    }

    fn rendered(&self, msg: Msg, allowed: bool) -> DeskAnswer {
        DeskAnswer { shown: Rendered::plain(self.texts.msg(STAFF_LANG, &msg)), allowed }
    }

    /// Marks a staff chat update as handled; false if it was handled before (a re-delivery).
    async fn first_time(&self, platform: Transport, update_id: Option<&str>) -> Result<bool, StoreError> {
        let Some(update_id) = update_id else { return Ok(true) };
        let mut tx = self.store.begin().await?;
        let first = tx.mark_update(&format!("{}-staff", platform.code()), update_id, clock::now_ms()).await?;
        tx.commit().await?;
        Ok(first)
    }

    /// A staff button was pressed: the answer to show (to the presser, or in the chat). `None`
    /// when the update was handled before.
    pub async fn act(&self, actor: &StaffActor, button: &ButtonId, update_id: Option<&str>) -> Result<Option<DeskAnswer>, StoreError> {
        if !self.roster.may_act(actor) {
            tracing::info!(transport = actor.transport.code(), "a staff button was pressed by someone who is not staff");
            return Ok(Some(self.rendered(Msg::new("staff-not-allowed"), false)));
        }
        let ButtonId::Staff(action, ticket_id) = *button else {
            return Ok(Some(self.rendered(Msg::new("staff-unknown-button"), true)));
        };
        if !self.first_time(actor.transport, update_id).await? {
            return Ok(None);
        }
        let msg = self.perform(&actor.actor(), &actor.display_name, action, ticket_id, None).await?;
        Ok(Some(self.rendered(msg, true)))
    }

    /// A staff action on a ticket, from a staff chat or the staff pages: a history row naming
    /// the staff member (`actor`); what to tell them (`display_name` names them in it).
    /// `reason` goes with a cancellation into the history.
    pub async fn perform(
        &self,
        actor: &Actor,
        display_name: &str,
        action: StaffAction,
        ticket_id: i64,
        reason: Option<&str>,
    ) -> Result<Msg, StoreError> {
        let Some(ticket) = self.store.ticket_by_id(ticket_id).await? else { return Ok(Msg::new("staff-unknown-ticket")) };
        let now = clock::now_ms();
        let mut tx = self.store.begin().await?;
        let Some(event) = action.event() else {
            // Sending the card step again changes no state.
            let resent = tx.resend_card_step(ticket_id, actor, &random_id("w"), &random_nonce(), now).await?;
            let Some(resent) = resent else {
                return Ok(Msg::new("staff-card-step-not-waiting")
                    .with("ticket", ticket.number.clone())
                    .with("state", Msg::new(ticket.state.message_id())));
            };
            let message = ChatMessage::CardStepResent { ticket: resent.ticket, pc_name: resent.pc_name };
            if let Some(person_id) = self.store.ticket_person(ticket_id).await? {
                tx.enqueue(format!("card-step-resent:{ticket_id}:{now}"), &Outbound::PersonChat { person_id, message }, now).await?;
            }
            tx.commit().await?;
            return Ok(Msg::new(action.done_id()).with("ticket", ticket.number.clone()).with("staff", display_name.to_owned()));
        };
        let change = TicketChange {
            detail: reason,
            note: reason.map(|_| "history-cancel-reason"),
            ..TicketChange::new(ticket_id, event, actor, now)
        };
        let result = tx.apply_event(&change).await?;
        tx.commit().await?;
        Ok(match result {
            Ok(Applied::Moved { .. }) => {
                tracing::info!(ticket = %ticket.number, action = ?action, "staff action");
                Msg::new(action.done_id()).with("ticket", ticket.number.clone()).with("staff", display_name.to_owned())
            }
            Ok(Applied::Duplicate) => Msg::new("staff-already-done").with("ticket", ticket.number.clone()),
            Err(refusal) => Msg::new("staff-refused")
                .with("ticket", ticket.number.clone())
                .with("reason", Msg::new(refusal.message_id()))
                .with("state", Msg::new(ticket.state.message_id())),
        })
    }

    /// A staff member answers a person from the staff chat: the person hears it on their own
    /// platform with the staff member's name (through the outbox), and the history notes that an
    /// answer was given — in one transaction. `None` when the update was handled before, or the
    /// reply is to a message that is no ticket post.
    pub async fn answer(
        &self,
        actor: &StaffActor,
        to: &AnswerTo,
        text: &str,
        update_id: Option<&str>,
    ) -> Result<Option<DeskAnswer>, StoreError> {
        if !self.roster.may_act(actor) {
            return Ok(Some(self.rendered(Msg::new("staff-not-allowed"), false)));
        }
        let Some(ticket_id) = self.ticket_of(actor.transport, to).await? else {
            tracing::debug!("a staff reply to a message that is not a ticket post; ignored");
            return Ok(None);
        };
        if !self.first_time(actor.transport, update_id).await? {
            return Ok(None);
        }
        let key = format!("staff-answer:{ticket_id}:{}:{}", actor.user_id, update_id.unwrap_or("-"));
        let msg = self.answer_ticket(&actor.actor(), &actor.display_name, ticket_id, text, &key).await?;
        Ok(Some(self.rendered(msg, true)))
    }

    /// A staff member's answer to the person of a ticket, from a staff chat or the ticket's
    /// page: the person hears it in their own chat with `display_name` (through the outbox),
    /// and the history notes that an answer was given — in one transaction. `key` tells one
    /// answer from another. Returns what to tell the staff member.
    pub async fn answer_ticket(&self, actor: &Actor, display_name: &str, ticket_id: i64, text: &str, key: &str) -> Result<Msg, StoreError> {
        let text = text.trim();
        let (Some(ticket), Some(person_id)) = (self.store.ticket_by_id(ticket_id).await?, self.store.ticket_person(ticket_id).await?)
        else {
            return Ok(Msg::new("staff-unknown-ticket"));
        };
        if text.is_empty() {
            return Ok(Msg::new("staff-answer-empty"));
        }
        if ticket.name.is_none() {
            return Ok(Msg::new("staff-answer-gone").with("ticket", ticket.number.clone()));
        }
        let number: TicketNo = ticket.number.parse().map_err(|_| StoreError::Corrupt("ticket number".into()))?;
        let now = clock::now_ms();
        let message = ChatMessage::StaffAnswer { ticket: number, staff: display_name.to_owned(), text: text.to_owned() };
        let mut tx = self.store.begin().await?;
        tx.note_on_ticket(&TicketNote { ticket_id, actor, event: "staff-answer", note: None, detail: None, at: now }).await?;
        tx.enqueue(format!("{key}:{now}"), &Outbound::PersonChat { person_id, message }, now).await?;
        tx.commit().await?;
        Ok(Msg::new("staff-answer-sent").with("ticket", ticket.number.clone()))
    }

    /// The ticket an answer is for. A post is recorded right after the platform confirms it; a
    /// very quick reply can come in between, so one more look after a moment.
    async fn ticket_of(&self, platform: Transport, to: &AnswerTo) -> Result<Option<i64>, StoreError> {
        match to {
            AnswerTo::Ticket(id) => Ok(Some(*id)),
            AnswerTo::Post { chat_id, message_id } => {
                if let Some(ticket) = self.store.staff_post_ticket(platform.code(), chat_id, message_id).await? {
                    return Ok(Some(ticket));
                }
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                self.store.staff_post_ticket(platform.code(), chat_id, message_id).await
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(transport: Transport, id: &str, roles: &[&str]) -> StaffActor {
        StaffActor { transport, user_id: id.into(), roles: roles.iter().map(|r| r.to_string()).collect(), display_name: "Ayşe".into() }
    }

    #[test]
    fn only_configured_staff_may_act() {
        let roster = StaffRoster { telegram_users: vec![111], discord_users: vec![222], discord_roles: vec![333] };
        assert!(roster.may_act(&actor(Transport::Telegram, "111", &[])));
        assert!(!roster.may_act(&actor(Transport::Telegram, "112", &[])));
        assert!(!roster.may_act(&actor(Transport::Telegram, "222", &[])), "ids do not cross platforms");
        assert!(roster.may_act(&actor(Transport::Discord, "222", &[])));
        assert!(roster.may_act(&actor(Transport::Discord, "999", &["1", "333"])), "a staff role is enough");
        assert!(!roster.may_act(&actor(Transport::Discord, "999", &["1"])));
        assert!(!roster.may_act(&actor(Transport::Discord, "not-a-number", &["x"])));
        assert!(!roster.may_act(&actor(Transport::Web, "111", &[])));
        assert!(!StaffRoster::default().may_act(&actor(Transport::Telegram, "111", &[])), "nobody when none is configured");
    }

    #[test]
    fn the_history_names_the_staff_member() {
        let actor = actor(Transport::Telegram, "111", &[]).actor();
        assert_eq!(actor.id.as_deref(), Some("telegram:111 (Ayşe)"));
    }
}
