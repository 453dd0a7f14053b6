//! Sending on Telegram: one queue per chat with messages waiting, in order, each message spaced
//! to keep Telegram's limits (at most 30 messages in any second overall, 1 per second in a chat,
//! 20 per minute in a group) by waiting, never dropping; a `429` freezes all sending for its
//! `retry_after` and the message is sent again. (teloxide's `Throttle` releases messages in
//! 250 ms ticks, so a receiver counting over any one-second window saw up to 55; see
//! `scripts/bench telegram`.)

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use teloxide::payloads::SendMessageSetters;
use teloxide::requests::Requester;
use teloxide::types::{ChatId, InlineKeyboardButton, InlineKeyboardMarkup, MessageId, ReplyParameters};
use teloxide::{ApiError, Bot, RequestError};
use tokio::sync::mpsc;

use super::owed::Ledger;
use crate::core::button::MAX_ENCODED_LEN;
use crate::delivery::{SendError, backoff};
use crate::i18n::Rendered;
use crate::i18n::split_at_lines;
use crate::service::Owed;

/// Telegram refuses longer texts (4096 characters); long timelines are split at line ends.
pub(super) const MAX_TEXT_CHARS: usize = 4000;

/// Between any two messages: ≈ 28 a second, so no one-second window holds more than 30 even with
/// some jitter on the way.
const OVERALL_GAP: Duration = Duration::from_millis(36);
/// Between two messages in one private chat (1/s) and in one group (20/min).
const CHAT_GAP: Duration = Duration::from_millis(1010);
const GROUP_GAP: Duration = Duration::from_millis(3010);
/// A message refused with 429 this many times in a row is given up (and logged).
const MAX_RETRY_AFTER: u32 = 8;

/// A reply that cannot be sent for a network reason is tried again, waiting longer each time, for
/// this long (Telegram down for a while); the chat's later messages wait behind it, in order.
const TEMPORARY_FAILURE_PATIENCE: Duration = Duration::from_secs(600);

/// Items one chat's send queue holds at most (a person is limited to far fewer messages).
pub(super) const QUEUE_BOUND: usize = 256;

/// The overall spacing of messages, shared by every chat's queue; a 429 pushes it back.
pub(super) struct Pace {
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pace {
    pub(super) fn new() -> Pace {
        Pace { next: tokio::sync::Mutex::new(tokio::time::Instant::now()) }
    }

    /// Waits for this message's turn.
    async fn turn(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + OVERALL_GAP;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Telegram asked us to wait: nobody sends before then.
    async fn freeze(&self, wait: Duration) {
        let mut next = self.next.lock().await;
        *next = (*next).max(tokio::time::Instant::now() + wait);
    }
}

/// A message to send in one chat, in order; `done` hears how it went (for the outbox workers,
/// which retry). `owed`: once this has left, the replies saved up to that conversation version
/// are delivered (a turn without replies sends no message, only that mark).
#[derive(Debug, Default)]
pub(super) struct Outgoing {
    pub message: Option<Rendered>,
    pub reply_to: Option<MessageId>,
    pub done: Option<tokio::sync::oneshot::Sender<Result<MessageId, SendError>>>,
    pub owed: Option<Owed>,
}

impl Outgoing {
    pub(super) fn message(message: Rendered) -> Outgoing {
        Outgoing { message: Some(message), ..Outgoing::default() }
    }
}

/// One sending queue per chat with messages waiting.
pub(super) struct Queues {
    bot: Bot,
    pace: Arc<Pace>,
    ledger: Arc<Ledger>,
    // A std mutex: held only to find, add or drop a chat's queue, never across an await.
    queues: Arc<Mutex<HashMap<i64, mpsc::Sender<Outgoing>>>>,
}

impl Queues {
    pub(super) fn new(bot: Bot, ledger: Arc<Ledger>) -> Queues {
        Queues { bot, pace: Arc::new(Pace::new()), ledger, queues: Arc::default() }
    }

    /// Queues work for a chat; one task per busy chat sends in order and ends when idle. A
    /// chat's queue holds at most [`QUEUE_BOUND`] items: past that, an outbox delivery is told
    /// to come back later (the outbox keeps it) and a reply is left to the owed-reply ledger.
    pub(super) fn enqueue(&self, chat: ChatId, item: Outgoing) {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        let item = match queues.get(&chat.0) {
            Some(queue) => match queue.try_send(item) {
                Ok(()) => return,
                Err(mpsc::error::TrySendError::Full(item)) => {
                    tracing::warn!("Telegram: a chat's send queue is full; the message waits");
                    if let Some(done) = item.done {
                        let _ = done.send(Err(SendError::Temporary("the chat's send queue is full".into())));
                    }
                    return;
                }
                Err(mpsc::error::TrySendError::Closed(item)) => item,
            },
            None => item,
        };
        let (tx, mut rx) = mpsc::channel(QUEUE_BOUND);
        let _ = tx.try_send(item);
        queues.insert(chat.0, tx);
        let mut sender = ChatSender { bot: self.bot.clone(), pace: self.pace.clone(), ledger: self.ledger.clone(), chat, last: None };
        let all = self.queues.clone();
        tokio::spawn(async move {
            loop {
                while let Ok(item) = rx.try_recv() {
                    sender.send_one(item).await;
                }
                // Idle: stay until this chat's gap has passed, so the next queue keeps it too.
                sender.wait_gap().await;
                let mut queues = all.lock().unwrap_or_else(|p| p.into_inner());
                match rx.try_recv() {
                    Ok(item) => {
                        drop(queues);
                        sender.send_one(item).await;
                    }
                    Err(_) => {
                        queues.remove(&chat.0);
                        return;
                    }
                }
            }
        });
    }

    /// Sends through the chat's queue (in order with replies, spaced) and waits for the outcome.
    pub(super) async fn send_queued(&self, chat: ChatId, message: Rendered, reply_to: Option<MessageId>) -> Result<MessageId, SendError> {
        let (done, outcome) = tokio::sync::oneshot::channel();
        self.enqueue(chat, Outgoing { message: Some(message), reply_to, done: Some(done), owed: None });
        outcome.await.unwrap_or_else(|_| Err(SendError::Temporary("the sending queue stopped".into())))
    }

    /// One turn's replies, in as few messages as read well; the last one (or a mark, when there
    /// is nothing to say) confirms them as delivered.
    pub(super) fn send_turn(&self, chat: ChatId, replies: Vec<Rendered>, reply_to: Option<MessageId>, owed: Option<Owed>) {
        let messages = coalesce(replies);
        let last = messages.len().saturating_sub(1);
        if messages.is_empty() && owed.is_some() {
            self.enqueue(chat, Outgoing { owed, ..Outgoing::default() });
        }
        for (i, message) in messages.into_iter().enumerate() {
            let reply_to = if i == 0 { reply_to } else { None };
            self.enqueue(chat, Outgoing { message: Some(message), reply_to, owed: if i == last { owed } else { None }, done: None });
        }
    }
}

/// One chat's sending: in order, spaced from the chat's previous message and from everyone's.
struct ChatSender {
    bot: Bot,
    pace: Arc<Pace>,
    ledger: Arc<Ledger>,
    chat: ChatId,
    last: Option<tokio::time::Instant>,
}

impl ChatSender {
    async fn wait_gap(&self) {
        let gap = if self.chat.0 < 0 { GROUP_GAP } else { CHAT_GAP };
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + gap).await;
        }
    }

    async fn send_one(&mut self, item: Outgoing) {
        if let Some(message) = &item.message {
            let result = match item.done {
                // The outbox workers retry on their own schedule.
                Some(_) => self.send_rendered(message, item.reply_to).await,
                None => self.send_patiently(message, item.reply_to).await,
            };
            if let Err(e) = &result {
                tracing::warn!(error = ?e, "Telegram: a message could not be sent");
            }
            if let Some(done) = item.done {
                let _ = done.send(result);
            }
        }
        if let Some(owed) = item.owed {
            self.ledger.confirm(&self.chat.0.to_string(), owed);
        }
    }

    /// A reply: a network failure is tried again, waiting longer each time, for a while.
    async fn send_patiently(&mut self, message: &Rendered, reply_to: Option<MessageId>) -> Result<MessageId, SendError> {
        let give_up = tokio::time::Instant::now() + TEMPORARY_FAILURE_PATIENCE;
        let mut attempt = 1;
        loop {
            let wait = backoff(Duration::from_secs(1), attempt, Duration::from_secs(60));
            match self.send_rendered(message, reply_to).await {
                Err(SendError::Temporary(e)) if tokio::time::Instant::now() + wait < give_up => {
                    tracing::info!(error = %e, secs = wait.as_secs(), "Telegram: sending failed; trying again");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// Sends one rendered message (split if long; the buttons go with the last part).
    async fn send_rendered(&mut self, message: &Rendered, reply_to: Option<MessageId>) -> Result<MessageId, SendError> {
        let parts = split_at_lines(&message.text, MAX_TEXT_CHARS);
        let mut last = None;
        for (i, part) in parts.iter().enumerate() {
            let mut refused = 0;
            let sent = loop {
                self.wait_gap().await;
                self.pace.turn().await;
                let mut request = self.bot.send_message(self.chat, part.clone());
                if i + 1 == parts.len()
                    && let Some(keyboard) = keyboard(message)
                {
                    request = request.reply_markup(keyboard);
                }
                if let (0, Some(to)) = (i, reply_to) {
                    request =
                        request.reply_parameters(ReplyParameters { allow_sending_without_reply: Some(true), ..ReplyParameters::new(to) });
                }
                let result = request.await;
                self.last = Some(tokio::time::Instant::now());
                match result {
                    Err(RequestError::RetryAfter(wait)) if refused < MAX_RETRY_AFTER => {
                        refused += 1;
                        tracing::info!(secs = wait.seconds(), "Telegram: 429, waiting as asked");
                        crate::metrics::METRICS.telegram_429.inc();
                        self.pace.freeze(wait.duration()).await;
                    }
                    other => break other.map_err(send_error)?,
                }
            };
            crate::metrics::METRICS.telegram_sent.inc();
            last = Some(sent.id);
        }
        last.ok_or_else(|| SendError::Permanent("empty message".into()))
    }
}

/// Buttons as an inline keyboard: two to a row when short, one when long.
pub(super) fn keyboard(message: &Rendered) -> Option<InlineKeyboardMarkup> {
    let buttons: Vec<InlineKeyboardButton> = message
        .buttons
        .iter()
        .filter(|b| b.id.len() <= MAX_ENCODED_LEN)
        .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.id.clone()))
        .collect();
    if buttons.is_empty() {
        return None;
    }
    let short = message.buttons.iter().all(|b| b.label.chars().count() <= 18);
    let per_row = if short { 2 } else { 1 };
    Some(InlineKeyboardMarkup::new(buttons.chunks(per_row).map(|row| row.to_vec()).collect::<Vec<_>>()))
}

/// One turn's replies in as few messages as reads well: a reply without buttons joins the next
/// one ("Thank you." + the next question). Fewer messages also wait less on Telegram's
/// one-message-per-second limit in a chat.
pub(super) fn coalesce(replies: Vec<Rendered>) -> Vec<Rendered> {
    let mut out: Vec<Rendered> = Vec::new();
    for reply in replies {
        match out.last_mut() {
            Some(last) if last.buttons.is_empty() && last.text.chars().count() + reply.text.chars().count() < MAX_TEXT_CHARS => {
                last.text.push_str("\n\n");
                last.text.push_str(&reply.text);
                last.buttons = reply.buttons;
            }
            _ => out.push(reply),
        }
    }
    out
}

fn send_error(e: RequestError) -> SendError {
    match e {
        RequestError::Api(ApiError::BotBlocked | ApiError::ChatNotFound | ApiError::UserDeactivated) => SendError::Permanent(e.to_string()),
        RequestError::Api(ApiError::Unknown(_)) | RequestError::Api(_) => SendError::Permanent(e.to_string()),
        _ => SendError::Temporary(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_without_buttons_join_the_next() {
        let b = |id: &str| crate::i18n::RenderedButton { id: id.into(), label: id.into() };
        let r = |text: &str, buttons: Vec<crate::i18n::RenderedButton>| Rendered { text: text.into(), buttons, pin_warning: None };
        let out = coalesce(vec![r("Merhaba", vec![]), r("KVKK", vec![b("consent:yes")]), r("Sonra", vec![]), r("Soru", vec![])]);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].text, "Merhaba\n\nKVKK");
        assert_eq!(out[0].buttons.len(), 1, "the buttons stay under the text they belong to");
        assert_eq!(out[1].text, "Sonra\n\nSoru");
        assert!(coalesce(vec![]).is_empty());
    }

    #[test]
    fn keyboards_keep_short_buttons_in_pairs() {
        let b = |id: &str, label: &str| crate::i18n::RenderedButton { id: id.into(), label: label.into() };
        let m = Rendered { text: "x".into(), buttons: vec![b("a", "Evet"), b("b", "Hayır"), b("c", "İptal")], pin_warning: None };
        let k = keyboard(&m).unwrap();
        assert_eq!(k.inline_keyboard.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 1]);
        let long = Rendered { text: "x".into(), buttons: vec![b("a", "Okudum, onaylıyorum ve devam ediyorum")], pin_warning: None };
        assert_eq!(keyboard(&long).unwrap().inline_keyboard.len(), 1);
        assert!(keyboard(&Rendered::plain("x".into())).is_none());
    }
}
