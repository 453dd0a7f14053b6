//! The support desk on chat platforms: ticket posts in the staff chats (delivered from the
//! outbox), who may press their buttons, what a button does to the ticket, and a staff
//! member's answer reaching the person. The platform adapters only turn clicks and replies into
//! calls here and show what comes back.

use std::sync::Arc;

use eimza_protocol::Lang;

use crate::clock;
use crate::conversation::{Button, Msg, Reply, Transport};
use crate::delivery::{self, Retry, SendError};
use crate::i18n::Rendered;
use crate::platform::StaffPost;
use crate::service::ChatService;
use crate::store::{StoreError, TicketRow, outbox_kinds};
use crate::ticket::{ActorKind, Applied, TicketEvent};

/// The staff chat speaks Turkish: the support desk is in Türkiye.
const STAFF_LANG: Lang = Lang::Tr;

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
    pub fn history_id(&self) -> String {
        format!("{}:{} ({})", self.transport.code(), self.user_id, self.display_name)
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

/// What a staff button does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StaffAction {
    Cancel,
    CorporateApplied,
    FormEmailSent,
}

impl StaffAction {
    const ALL: [StaffAction; 3] = [StaffAction::Cancel, StaffAction::CorporateApplied, StaffAction::FormEmailSent];

    fn code(self) -> &'static str {
        match self {
            StaffAction::Cancel => "cancel",
            StaffAction::CorporateApplied => "corp",
            StaffAction::FormEmailSent => "form",
        }
    }

    fn label_id(self) -> &'static str {
        match self {
            StaffAction::Cancel => "btn-staff-cancel",
            StaffAction::CorporateApplied => "btn-staff-corporate-applied",
            StaffAction::FormEmailSent => "btn-staff-form-sent",
        }
    }

    fn done_id(self) -> &'static str {
        match self {
            StaffAction::Cancel => "staff-done-cancel",
            StaffAction::CorporateApplied => "staff-done-corporate-applied",
            StaffAction::FormEmailSent => "staff-done-form-sent",
        }
    }

    fn event(self) -> TicketEvent {
        match self {
            StaffAction::Cancel => TicketEvent::Cancel,
            StaffAction::CorporateApplied => TicketEvent::CorporateApplied,
            StaffAction::FormEmailSent => TicketEvent::FormEmailSent,
        }
    }

    pub fn button(self, ticket_id: i64) -> Button {
        Button::new(format!("st:{}:{ticket_id}", self.code()), self.label_id())
    }

    /// `st:cancel:12` → (Cancel, 12).
    pub fn parse(id: &str) -> Option<(StaffAction, i64)> {
        let mut parts = id.strip_prefix("st:")?.splitn(2, ':');
        let (code, ticket) = (parts.next()?, parts.next()?);
        let action = Self::ALL.into_iter().find(|a| a.code() == code)?;
        Some((action, ticket.parse().ok()?))
    }
}

/// The button that opens an answer form where a platform cannot reply to a message (Discord).
pub fn reply_button_id(ticket_id: i64) -> String {
    format!("st:reply:{ticket_id}")
}

pub fn parse_reply_button(id: &str) -> Option<i64> {
    id.strip_prefix("st:reply:")?.parse().ok()
}

pub struct StaffDesk {
    service: Arc<ChatService>,
    roster: StaffRoster,
    retry: Retry,
}

impl StaffDesk {
    pub fn new(service: Arc<ChatService>, roster: StaffRoster, retry: Retry) -> StaffDesk {
        StaffDesk { service, roster, retry }
    }

    pub fn roster(&self) -> &StaffRoster {
        &self.roster
    }

    fn text(&self, msg: &Msg) -> String {
        self.service.texts().msg(STAFF_LANG, msg)
    }

    /// Posts the due ticket notices and questions of one staff chat, in order.
    pub async fn deliver_due(&self, transport: Transport) -> Result<usize, StoreError> {
        let channel = match transport {
            Transport::Telegram => outbox_kinds::STAFF_TELEGRAM,
            Transport::Discord => outbox_kinds::STAFF_DISCORD,
            Transport::Web => return Ok(0),
        };
        let store = self.service.store();
        let mut handled = 0;
        loop {
            let batch = store.claim_due(channel, clock::now_ms(), 60_000, 16).await?;
            if batch.is_empty() {
                return Ok(handled);
            }
            for item in &batch {
                let result = self.post(transport, item).await?;
                delivery::settle(store, item, result, self.retry).await?;
                handled += 1;
            }
        }
    }

    async fn post(&self, transport: Transport, item: &crate::store::Claimed) -> Result<Result<(), SendError>, StoreError> {
        let store = self.service.store();
        let Some(chat) = self.service.platforms().staff_chat(transport) else {
            return Ok(Err(SendError::Temporary("the staff chat is not connected".into())));
        };
        let Some(ticket) = (match item.ticket_id {
            Some(id) => store.ticket_by_id(id).await?,
            None => None,
        }) else {
            return Ok(Err(SendError::Permanent("the ticket of this notice does not exist".into())));
        };
        let (reply, reply_to) = if item.kind == outbox_kinds::QUESTION {
            let text = item.payload.as_ref().and_then(|p| p["text"].as_str()).unwrap_or_default().to_owned();
            let reply = Reply::text(Msg::new("staff-question-post").with("ticket", ticket.number.clone()).with("text", text));
            (reply, store.staff_post_of(transport.code(), ticket.id).await?)
        } else {
            (self.ticket_post(&ticket, &item.message_id), None)
        };
        let message = self.service.texts().reply(STAFF_LANG, &reply);
        let post = StaffPost { ticket_id: ticket.id, message, reply_to };
        Ok(match chat.post(&post).await {
            Ok((chat_id, message_id)) => {
                store.record_staff_post(transport.code(), &chat_id, &message_id, ticket.id, clock::now_ms()).await?;
                Ok(())
            }
            Err(e) => Err(e),
        })
    }

    /// A ticket notice as the staff chat shows it: what happened, the ticket with the TC Kimlik
    /// No masked, and the buttons that fit the notice.
    fn ticket_post(&self, ticket: &TicketRow, what: &str) -> Reply {
        let gone = || self.text(&Msg::new("staff-personal-data-deleted"));
        let what_msg = known_notice(what).map(Msg::new);
        let msg = Msg::new("staff-post")
            .with("what", what_msg.map(|m| self.text(&m)).unwrap_or_else(|| what.to_owned()))
            .with("ticket", ticket.number.clone())
            .with("state", Msg::new(ticket.state.message_id()))
            .with("name", ticket.name.clone().unwrap_or_else(gone))
            .with("tckn", ticket.tckn_masked.clone().unwrap_or_else(gone))
            .with("title", ticket.title.clone().unwrap_or_else(gone))
            .with("institution", self.service.settings().institution.clone());
        let buttons = match what {
            "staff-new-ticket" => vec![StaffAction::Cancel.button(ticket.id)],
            "staff-eonay-done" => vec![
                StaffAction::CorporateApplied.button(ticket.id),
                StaffAction::FormEmailSent.button(ticket.id),
                StaffAction::Cancel.button(ticket.id),
            ],
            _ => vec![],
        };
        Reply { parts: vec![msg], buttons }
    }

    /// A staff button was pressed: the answer to show (to the presser, or in the chat).
    pub async fn act(&self, actor: &StaffActor, button_id: &str) -> Result<Rendered, StoreError> {
        if !self.roster.may_act(actor) {
            tracing::info!(transport = actor.transport.code(), "a staff button was pressed by someone who is not staff");
            return Ok(self.rendered(Msg::new("staff-not-allowed")));
        }
        let Some((action, ticket_id)) = StaffAction::parse(button_id) else {
            return Ok(self.rendered(Msg::new("staff-unknown-button")));
        };
        let store = self.service.store();
        let Some(ticket) = store.ticket_by_id(ticket_id).await? else {
            return Ok(self.rendered(Msg::new("staff-unknown-ticket")));
        };
        let now = clock::now_ms();
        let mut tx = store.begin().await?;
        let result = tx.apply_event(ticket_id, action.event(), ActorKind::Staff, Some(&actor.history_id()), None, now).await?;
        tx.commit().await?;
        let msg = match result {
            Ok(Applied::Moved { .. }) => {
                tracing::info!(ticket = %ticket.number, action = action.code(), "staff action from the staff chat");
                Msg::new(action.done_id()).with("ticket", ticket.number.clone()).with("staff", actor.display_name.clone())
            }
            Ok(Applied::Duplicate) => Msg::new("staff-already-done").with("ticket", ticket.number.clone()),
            Err(refusal) => Msg::new("staff-refused")
                .with("ticket", ticket.number.clone())
                .with("reason", Msg::new(refusal.message_id()))
                .with("state", Msg::new(ticket.state.message_id())),
        };
        Ok(self.rendered(msg))
    }

    /// A staff member answers a person from the staff chat: the person hears it on their own
    /// platform with the staff member's name; the history notes that an answer was given.
    pub async fn answer(&self, actor: &StaffActor, ticket_id: i64, text: &str) -> Result<Rendered, StoreError> {
        if !self.roster.may_act(actor) {
            return Ok(self.rendered(Msg::new("staff-not-allowed")));
        }
        let text = text.trim();
        let store = self.service.store();
        let (Some(ticket), Some(person)) = (store.ticket_by_id(ticket_id).await?, store.ticket_person(ticket_id).await?) else {
            return Ok(self.rendered(Msg::new("staff-unknown-ticket")));
        };
        if text.is_empty() {
            return Ok(self.rendered(Msg::new("staff-answer-empty")));
        }
        if ticket.name.is_none() {
            return Ok(self.rendered(Msg::new("staff-answer-gone").with("ticket", ticket.number.clone())));
        }
        let reply = Reply::text(
            Msg::new("staff-answer").with("ticket", ticket.number.clone()).with("staff", actor.display_name.clone()).with("text", text.to_owned()),
        );
        if let Err(e) = self.service.notify(person, reply).await {
            tracing::warn!(ticket = %ticket.number, error = %e, "a staff answer could not be delivered");
            return Ok(self.rendered(Msg::new("staff-answer-failed").with("ticket", ticket.number.clone())));
        }
        let mut tx = store.begin().await?;
        tx.note_on_ticket(ticket_id, ActorKind::Staff, &actor.history_id(), "staff-answer", None, clock::now_ms()).await?;
        tx.commit().await?;
        Ok(self.rendered(Msg::new("staff-answer-sent").with("ticket", ticket.number.clone())))
    }

    fn rendered(&self, msg: Msg) -> Rendered {
        Rendered { text: self.text(&msg), buttons: vec![] }
    }

    /// Whether a staff chat's button id belongs to the desk.
    pub fn is_staff_button(id: &str) -> bool {
        id.starts_with("st:")
    }
}

/// The staff notices the catalogue knows (outbox rows carry their id as text).
fn known_notice(id: &str) -> Option<&'static str> {
    ["staff-new-ticket", "staff-eonay-done", "staff-completed", "staff-cancelled", "staff-failed"].into_iter().find(|n| *n == id)
}

/// Posts due staff notices on one platform until the process stops.
pub async fn staff_chat_loop(desk: Arc<StaffDesk>, transport: Transport) {
    let store = desk.service.store().clone();
    loop {
        if let Err(e) = desk.deliver_due(transport).await {
            tracing::error!(error = %e, "staff chat delivery failed; will retry");
        }
        tokio::select! {
            _ = store.outbox_queued() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
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
    fn staff_buttons_round_trip() {
        for action in StaffAction::ALL {
            let button = action.button(42);
            assert_eq!(StaffAction::parse(&button.id), Some((action, 42)));
            assert!(button.id.len() <= 64, "Telegram's callback data limit");
        }
        assert_eq!(StaffAction::parse("st:cancel:x"), None);
        assert_eq!(StaffAction::parse("st:nuke:1"), None);
        assert_eq!(StaffAction::parse("cancel:1"), None);
        assert_eq!(parse_reply_button(&reply_button_id(7)), Some(7));
    }
}
