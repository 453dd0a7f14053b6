//! The `chat` channel: messages into a person's own chat outside a reply — reminders, ticket
//! notices, a PC asking to pair, what the PC found on the card, a staff member's answer, the
//! replies of a turn that came from the web form. Each is rendered here, in the person's
//! language at the time it is sent: the web chat's transcript gets it (the page shows it on its
//! next poll), Telegram and Discord through their [`Messenger`](super::platforms::Messenger).

use std::sync::Arc;
use std::time::Duration;

use super::platforms::Platforms;
use super::{Delivered, Policy, SendError, Worker};
use crate::clock;
use crate::config::ChatDeliveryConfig;
use eimza_protocol::wire::CardProblem;

use crate::core::button::ButtonId;
use crate::core::conversation::{Button, Msg, Reply, Transport, Value};
use crate::core::outbound::{Channel, ChatMessage, Outbound, Rendered};
use crate::i18n::Texts;
use crate::store::{Claimed, Store, StoreError, TranscriptButton, TranscriptEntry};

pub struct PersonChat {
    store: Store,
    texts: Arc<Texts>,
    platforms: Arc<Platforms>,
    config: ChatDeliveryConfig,
}

impl PersonChat {
    pub fn new(store: Store, texts: Arc<Texts>, platforms: Arc<Platforms>, config: ChatDeliveryConfig) -> PersonChat {
        PersonChat { store, texts, platforms, config }
    }

    pub fn policy(&self) -> Policy {
        Policy {
            retry_base_secs: self.config.retry_base_secs,
            max_attempts: self.config.max_attempts,
            lease_ms: 60_000,
            batch: 32,
            poll: Duration::from_secs(1),
            linger: Duration::ZERO,
        }
    }

    /// Delivers every due message now (tests; the bot runs [`super::run`]).
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        super::drain(&self.store, self, &self.policy()).await
    }

    /// Puts rendered messages into the person's chat.
    async fn put(
        &self,
        person_id: i64,
        transport: Transport,
        user_id: &str,
        messages: &[Rendered],
    ) -> Result<Result<Delivered, SendError>, StoreError> {
        match transport {
            Transport::Web => {
                let now = clock::now_ms();
                let entries: Vec<TranscriptEntry> = messages
                    .iter()
                    .map(|m| TranscriptEntry {
                        at: now,
                        direction: "out".into(),
                        text: m.text.clone(),
                        buttons: m.buttons.iter().map(|b| TranscriptButton { id: b.id.clone(), label: b.label.clone() }).collect(),
                    })
                    .collect();
                let mut tx = self.store.begin().await?;
                tx.append_transcript(person_id, &entries).await?;
                tx.commit().await?;
                Ok(Ok(Delivered::Sent))
            }
            platform => {
                let Some(messenger) = self.platforms.messenger(platform) else {
                    return Ok(Err(SendError::Temporary(format!("{} is not configured", platform.code()))));
                };
                for message in messages {
                    if let Err(e) = messenger.send(user_id, message).await {
                        return Ok(Err(e));
                    }
                }
                Ok(Ok(Delivered::Sent))
            }
        }
    }
}

/// What a message says, as a reply in the person's chat.
pub fn reply_of(message: &ChatMessage) -> Option<Reply> {
    let text = |msg: Msg| Some(Reply::text(msg));
    match message {
        ChatMessage::Reminder { days, expires_day } => {
            text(Msg::new("chat-reminder").with("days", *days).with("date", Value::Day(crate::store::day_from_number(*expires_day))))
        }
        ChatMessage::TicketNotice { ticket, notice, address, .. } => {
            let said = Msg::new(notice.message_id()).with("email", address.clone().unwrap_or_default());
            let buttons = if notice.asks_for_approval() { vec![Button::new(ButtonId::FormApproved, "btn-form-approved")] } else { vec![] };
            Some(Reply { parts: vec![Msg::new("chat-ticket-notice").with("ticket", ticket.to_string()).with("notice", said)], buttons })
        }
        ChatMessage::PairingPrompt { request_id, pc_name, pc_os } => Some(Reply {
            parts: vec![Msg::new("pair-request").with("name", pc_name.clone()).with("os", pc_os.clone())],
            buttons: vec![
                Button::new(ButtonId::PairApprove(request_id.clone()), "btn-pair-approve"),
                Button::new(ButtonId::PairReject(request_id.clone()), "btn-pair-reject"),
            ],
        }),
        ChatMessage::CardStepDelivered { ticket, pc_name } => {
            text(Msg::new("card-step-delivered").with("ticket", ticket.to_string()).with("name", pc_name.clone()))
        }
        ChatMessage::CardReady { ticket } => text(Msg::new("card-ready").with("ticket", ticket.to_string())),
        ChatMessage::CardProblems { ticket, problems, renewal_opens, gave_up } => {
            Some(card_problems(ticket, problems, *renewal_opens, *gave_up))
        }
        ChatMessage::CardStepResent { ticket, pc_name } => {
            text(Msg::new("card-step-resent").with("ticket", ticket.to_string()).with("name", pc_name.clone()))
        }
        ChatMessage::AttestationRefused { ticket, reason } => Some(Reply {
            parts: vec![Msg::new("attest-refused-chat").with("ticket", ticket.to_string()).with("reason", Msg::new(reason.message_id()))],
            buttons: vec![Button::new(ButtonId::CardRecheck, "btn-card-recheck")],
        }),
        ChatMessage::PcOffline { ticket } => {
            text(Msg::new("card-step-offline").with("ticket", ticket.map(|t| t.to_string()).unwrap_or_default()))
        }
        ChatMessage::AgentOutdated { pc_name } => text(Msg::new("agent-outdated").with("name", pc_name.clone())),
        ChatMessage::StaffAnswer { ticket, staff, text: answer } => {
            text(Msg::new("staff-answer").with("ticket", ticket.to_string()).with("staff", staff.clone()).with("text", answer.clone()))
        }
        ChatMessage::Replies { .. } => None,
    }
}

/// Why the card cannot be used, one line each (with the day the renewal opens where that is the
/// reason), and a button to check again once fixed.
fn card_problems(
    ticket: &crate::core::domain::TicketNo,
    problems: &[CardProblem],
    renewal_opens: Option<chrono::NaiveDate>,
    gave_up: bool,
) -> Reply {
    let lines = problems
        .iter()
        .map(|p| match (p, renewal_opens) {
            (CardProblem::RenewalWindowNotOpen, Some(day)) => {
                Msg::new("card-problem-renewal-window-not-open").with("date", Value::Day(day))
            }
            (p, _) => Msg::new(problem_message(*p)),
        })
        .collect();
    let mut parts = vec![Msg::new("card-problems").with("ticket", ticket.to_string()).with("problems", Value::Lines(lines))];
    // Either the PC goes on watching the reader, or it has stopped: never both.
    parts.push(Msg::new(if gave_up { "card-problems-gave-up" } else { "card-problems-waiting" }));
    Reply { parts, buttons: vec![Button::new(ButtonId::CardRecheck, "btn-card-recheck")] }
}

/// One message per card problem.
pub fn problem_message(problem: CardProblem) -> &'static str {
    match problem {
        CardProblem::NoService => "card-problem-no-service",
        CardProblem::NoReader | CardProblem::ReaderGone => "card-problem-no-reader",
        CardProblem::NoCard | CardProblem::CardRemoved => "card-problem-no-card",
        CardProblem::CardReset | CardProblem::CardBusy => "card-problem-card-busy",
        CardProblem::NotAkis => "card-problem-not-akis",
        CardProblem::NoCertificate | CardProblem::BadCertificate | CardProblem::NoIdentityNumber => "card-problem-no-certificate",
        CardProblem::WrongPerson => "card-problem-wrong-person",
        CardProblem::NotKamuSm => "card-problem-not-kamu-sm",
        CardProblem::NotYetValid => "card-problem-not-yet-valid",
        CardProblem::Expired => "card-problem-expired",
        CardProblem::RenewalWindowNotOpen => "card-problem-renewal-window-not-open-undated",
        CardProblem::PinLocked => "card-problem-pin-locked",
        CardProblem::Pkcs11Module | CardProblem::NoToken => "card-problem-pkcs11",
        CardProblem::Internal | CardProblem::Unknown => "card-problem-other",
    }
}

impl Worker for PersonChat {
    fn channel(&self) -> Channel {
        Channel::PersonChat
    }

    async fn deliver(&self, item: &Claimed) -> Result<Result<Delivered, SendError>, StoreError> {
        let Ok(Outbound::PersonChat { person_id, message }) = &item.message else {
            return Ok(Err(SendError::Permanent("not a chat message".into())));
        };
        let Some((transport, user_id)) = self.store.person_address(*person_id).await? else {
            return Ok(Ok(Delivered::Skipped("the person is gone".into())));
        };
        let Some(transport) = Transport::from_code(&transport) else {
            return Ok(Err(SendError::Permanent(format!("unknown transport {transport}"))));
        };
        let rendered = match (message, reply_of(message)) {
            (ChatMessage::Replies { replies }, _) => replies.clone(),
            (_, Some(reply)) => {
                let lang = self.store.chat_state(*person_id).await?.conversation.reading_lang();
                vec![self.texts.reply(lang, &reply)]
            }
            (_, None) => return Ok(Err(SendError::Permanent("nothing to say".into()))),
        };
        self.put(*person_id, transport, &user_id, &rendered).await
    }
}
