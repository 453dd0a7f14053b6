//! The Telegram adapter: Bot API updates in, the chat service's replies out. No conversation
//! logic lives here — a message or button press becomes an [`Incoming`], the replies become
//! messages with inline keyboards.
//!
//! - Updates arrive by long polling (`getUpdates`) or, configured, on a webhook route that checks
//!   Telegram's secret-token header. Each update is handled once: its id is kept with the
//!   conversation it changes (or in `processed_updates` for the staff group), so a re-delivery
//!   after a crash or a webhook retry changes nothing.
//! - A chat's messages leave in order from one queue per chat, spaced to keep Telegram's limits
//!   (at most 30 messages in any second overall, 1 per second in a chat, 20 per minute in a
//!   group) by waiting, never dropping; a `429` freezes all sending for its `retry_after` and the
//!   message is sent again. (teloxide's `Throttle` releases messages in 250 ms ticks, so a
//!   receiver counting over any one-second window saw up to 55; see `scripts/bench telegram`.)
//! - A turn's replies are saved with the conversation (the service does it for Telegram) and
//!   confirmed once sent; whatever was owed when the bot stopped goes out first at the next start.
//! - The staff group: the desk's posts, its buttons (only configured staff may press them) and
//!   replies to a ticket's post, which reach the ticket's person.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use eimza_protocol::Lang;
use futures_util::future::BoxFuture;
use secrecy::ExposeSecret;
use teloxide::payloads::{AnswerCallbackQuerySetters, GetUpdatesSetters, SendMessageSetters, SetMyCommandsSetters};
use teloxide::requests::Requester;
use teloxide::types::{
    AllowedUpdate, BotCommand, CallbackQuery, ChatId, InlineKeyboardButton, InlineKeyboardMarkup, Message, MessageId, ReplyParameters,
    Update, UpdateKind, User,
};
use teloxide::{ApiError, Bot, RequestError};
use tokio::sync::mpsc;

use crate::clock;
use crate::config::{TelegramConfig, TelegramMode};
use crate::conversation::{Incoming, Input, Transport};
use crate::delivery::SendError;
use crate::i18n::Rendered;
use crate::platform::{Messenger, StaffChat, StaffPost};
use crate::service::{ChatService, Owed};
use crate::staff_desk::{StaffActor, StaffDesk};

/// Telegram refuses longer texts (4096 characters); long timelines are split at line ends.
const MAX_TEXT_CHARS: usize = 4000;
/// Telegram's limit for a button's callback data.
const MAX_CALLBACK_BYTES: usize = 64;

type TgBot = Bot;

/// Between any two messages: ≈ 28 a second, so no one-second window holds more than 30 even with
/// some jitter on the way.
const OVERALL_GAP: Duration = Duration::from_millis(36);
/// Between two messages in one private chat (1/s) and in one group (20/min).
const CHAT_GAP: Duration = Duration::from_millis(1010);
const GROUP_GAP: Duration = Duration::from_millis(3010);
/// A message refused with 429 this many times in a row is given up (and logged).
const MAX_RETRY_AFTER: u32 = 8;

/// The overall spacing of messages, shared by every chat's queue; a 429 pushes it back.
struct Pace {
    next: tokio::sync::Mutex<tokio::time::Instant>,
}

impl Pace {
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
pub struct Telegram {
    bot: TgBot,
    pace: Arc<Pace>,
    service: Arc<ChatService>,
    desk: Arc<StaffDesk>,
    config: TelegramConfig,
    queues: Arc<Queues>,
}

/// One sending queue per chat with messages waiting.
type Queues = Mutex<HashMap<i64, mpsc::UnboundedSender<Outgoing>>>;

/// A message to send in one chat, in order; `done` hears how it went (for the outbox workers,
/// which retry). `owed`: once this has left, the replies saved up to that conversation version
/// are delivered (a turn without replies sends no message, only that mark).
#[derive(Debug, Default)]
struct Outgoing {
    message: Option<Rendered>,
    reply_to: Option<MessageId>,
    done: Option<tokio::sync::oneshot::Sender<Result<MessageId, SendError>>>,
    owed: Option<Owed>,
}

impl Outgoing {
    fn message(message: Rendered) -> Outgoing {
        Outgoing { message: Some(message), ..Outgoing::default() }
    }
}

/// How often the replies delivered are written as such (a crash resends at most this much).
const DELIVERIES_WRITTEN_EVERY: Duration = Duration::from_secs(1);

/// A reply that cannot be sent for a network reason is tried again, waiting longer each time, for
/// this long (Telegram down for a while); the chat's later messages wait behind it, in order.
const TEMPORARY_FAILURE_PATIENCE: Duration = Duration::from_secs(600);

impl Telegram {
    /// Connects to the configured Bot API (nothing is sent yet).
    pub fn new(config: &TelegramConfig, service: Arc<ChatService>, desk: Arc<StaffDesk>) -> anyhow::Result<Arc<Telegram>> {
        let token = config.token.as_ref().map(|t| t.expose_secret().trim().to_owned()).unwrap_or_default();
        let url: http_client::Url = config.api_url.parse().map_err(|e| anyhow::anyhow!("telegram.api_url: {e}"))?;
        // Long polling holds a request open for poll_timeout_secs; the client must wait longer.
        let client = teloxide::net::default_reqwest_settings()
            .timeout(Duration::from_secs(u64::from(config.poll_timeout_secs) + 15))
            .build()?;
        let bot = Bot::with_client(token, client).set_api_url(url);
        let pace = Arc::new(Pace { next: tokio::sync::Mutex::new(tokio::time::Instant::now()) });
        Ok(Arc::new(Telegram { bot, pace, service, desk, config: config.clone(), queues: Arc::default() }))
    }

    /// Registers the commands, then polls (unless Telegram calls the webhook).
    pub async fn run(self: Arc<Self>) {
        self.send_owed().await;
        let service = self.service.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(DELIVERIES_WRITTEN_EVERY);
            loop {
                every.tick().await;
                if let Err(e) = service.write_delivered().await {
                    tracing::warn!(error = %e, "Telegram: could not write which replies were delivered; will retry");
                }
            }
        });
        self.register_commands().await;
        if self.config.mode == TelegramMode::Polling {
            self.poll().await;
        }
    }

    /// The webhook route (`POST /telegram/webhook`), for webhook mode.
    pub fn routes(self: &Arc<Self>) -> Router {
        Router::new().route("/telegram/webhook", post(webhook)).with_state(self.clone())
    }

    /// `setMyCommands` in Turkish (everyone) and English (`language_code = en`); retried until
    /// Telegram answers, without holding up the updates.
    async fn register_commands(&self) {
        let texts = self.service.texts();
        let commands = |lang: Lang, names: &[(&str, &str)]| -> Vec<BotCommand> {
            names.iter().map(|(name, id)| BotCommand::new(*name, texts.get(lang, id))).collect()
        };
        let tr = commands(Lang::Tr, &COMMANDS_TR);
        let en = commands(Lang::En, &COMMANDS_EN);
        let mut delay = Duration::from_secs(1);
        loop {
            let done = async {
                self.bot.set_my_commands(tr.clone()).await?;
                self.bot.set_my_commands(en.clone()).language_code("en").await?;
                Ok::<(), RequestError>(())
            };
            match done.await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "Telegram: setMyCommands failed; will retry");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    async fn poll(&self) {
        let mut offset: i32 = 0;
        let mut delay = Duration::from_secs(1);
        loop {
            let request = self
                .bot
                .get_updates()
                .offset(offset)
                .timeout(self.config.poll_timeout_secs)
                .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
            match request.await {
                Ok(updates) => {
                    delay = Duration::from_secs(1);
                    if let Some(last) = updates.last() {
                        offset = i32::try_from(last.id.0).unwrap_or(i32::MAX).saturating_add(1);
                    }
                    self.handle_batch(updates).await;
                }
                Err(RequestError::RetryAfter(wait)) => tokio::time::sleep(wait.duration()).await,
                Err(e) => {
                    tracing::warn!(error = %e, "Telegram: getUpdates failed; will retry");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(30));
                }
            }
        }
    }

    /// One batch: each chat's updates in order, different chats side by side. Returns when all
    /// are stored (the replies may still be on their way).
    async fn handle_batch(&self, updates: Vec<Update>) {
        let mut by_chat: Vec<(i64, Vec<Update>)> = Vec::new();
        for update in updates {
            let chat = update.chat().map(|c| c.id.0).unwrap_or_default();
            match by_chat.iter_mut().find(|(c, _)| *c == chat) {
                Some((_, list)) => list.push(update),
                None => by_chat.push((chat, vec![update])),
            }
        }
        let work = by_chat.into_iter().map(|(_, list)| async move {
            for update in list {
                self.handle_update(update).await;
            }
        });
        futures_util::future::join_all(work).await;
    }

    /// Handles one update; errors are logged and the person gets the apology.
    pub async fn handle_update(&self, update: Update) {
        let update_id = update.id.0;
        match update.kind {
            UpdateKind::Message(message) => self.on_message(update_id, message).await,
            UpdateKind::CallbackQuery(query) => self.on_callback(update_id, query).await,
            UpdateKind::Error(_) => tracing::warn!(update_id, "Telegram: an update this version cannot read was skipped"),
            _ => {}
        }
    }

    fn is_staff_chat(&self, chat: ChatId) -> bool {
        self.config.staff_chat_id != 0 && chat.0 == self.config.staff_chat_id
    }

    async fn on_message(&self, update_id: u32, message: Message) {
        if self.is_staff_chat(message.chat.id) {
            return self.on_staff_message(update_id, message).await;
        }
        if !message.chat.is_private() {
            return; // the renewal is a private conversation; other groups are not ours
        }
        let Some(user) = message.from.as_ref() else { return };
        let lang_hint = user_lang(user);
        let Some(text) = message.text() else {
            let texts = self.service.texts();
            self.enqueue(message.chat.id, Outgoing::message(plain(texts.get(lang_hint, "telegram-text-only"))));
            return;
        };
        let incoming = Incoming {
            transport: Transport::Telegram,
            user_id: message.chat.id.0.to_string(),
            input: Input::Text(text.to_owned()),
            lang_hint: Some(lang_hint),
            update_id: Some(update_id.to_string()),
            // Bots may delete what people send them in a private chat.
            can_delete: true,
        };
        self.converse(message.chat.id, &incoming, Some(message.id)).await;
    }

    async fn on_callback(&self, update_id: u32, query: CallbackQuery) {
        let Some(message) = query.message.as_ref() else {
            let _ = self.bot.answer_callback_query(query.id.clone()).await;
            return;
        };
        let chat = message.chat().id;
        let data = query.data.clone().unwrap_or_default();
        if self.is_staff_chat(chat) {
            return self.on_staff_button(update_id, &query, chat, message.id(), &data).await;
        }
        // Stop the button's spinner at once, and take the keyboard away so it is pressed once.
        if let Err(e) = self.bot.answer_callback_query(query.id.clone()).await {
            tracing::debug!(error = %e, "Telegram: answerCallbackQuery failed");
        }
        if let Err(e) = self.bot.edit_message_reply_markup(chat, message.id()).await {
            tracing::debug!(error = %e, "Telegram: could not remove the keyboard");
        }
        let incoming = Incoming {
            transport: Transport::Telegram,
            user_id: chat.0.to_string(),
            input: Input::Button(data),
            lang_hint: Some(user_lang(&query.from)),
            update_id: Some(update_id.to_string()),
            can_delete: true,
        };
        self.converse(chat, &incoming, None).await;
    }

    async fn converse(&self, chat: ChatId, incoming: &Incoming, incoming_message: Option<MessageId>) {
        match self.service.handle(incoming).await {
            Ok(handled) if handled.duplicate => tracing::debug!("Telegram: update seen before; nothing to do"),
            Ok(mut handled) => {
                let mut reply_to = None;
                if let (true, Some(message)) = (handled.delete_incoming, incoming_message) {
                    // Deleted before the warning goes out, so the warning can say what happened.
                    if let Err(e) = self.bot.delete_message(chat, message).await {
                        tracing::info!(error = %e, "Telegram: a misplaced PIN could not be deleted; asking the person to");
                        self.pin_not_deleted(&mut handled.replies);
                        // As a reply to it, so the person finds the message to delete.
                        reply_to = Some(message);
                    }
                }
                self.send_turn(chat, handled.replies, reply_to, handled.owed);
            }
            Err(e) => {
                tracing::error!(error = %e, "Telegram: handling a message failed");
                let lang = incoming.lang_hint.unwrap_or_default();
                self.enqueue(chat, Outgoing::message(self.service.apology(lang)));
            }
        }
    }

    /// One turn's replies, in as few messages as read well; the last one (or a mark, when there
    /// is nothing to say) confirms them as delivered.
    fn send_turn(&self, chat: ChatId, replies: Vec<Rendered>, reply_to: Option<MessageId>, owed: Option<Owed>) {
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

    /// The PIN warning says the message is gone; when it is not (or nobody knows, after a
    /// restart), it asks the person to delete it.
    fn pin_not_deleted(&self, replies: &mut [Rendered]) {
        let texts = self.service.texts();
        for lang in [Lang::Tr, Lang::En] {
            let (deleted, undeletable) = (texts.get(lang, "pin-warning"), texts.get(lang, "pin-warning-undeletable"));
            for reply in replies.iter_mut().filter(|r| r.text == deleted) {
                reply.text.clone_from(&undeletable);
            }
        }
    }

    /// Sends what was owed when the bot stopped (saved with the conversations, not yet confirmed
    /// by Telegram), before any new message is handled.
    async fn send_owed(&self) {
        let owed = match self.service.owed_replies(Transport::Telegram).await {
            Ok(owed) => owed,
            Err(e) => return tracing::error!(error = %e, "Telegram: could not read the replies owed from before a restart"),
        };
        if !owed.is_empty() {
            tracing::info!(chats = owed.len(), "Telegram: sending the replies owed from before a restart");
        }
        for person in owed {
            let Ok(chat) = person.user_id.parse::<i64>() else {
                tracing::warn!(person_id = person.person_id, "Telegram: owed replies for a chat id that is not a number; dropped");
                continue;
            };
            let mut replies: Vec<Rendered> = person.unsent.replies().collect();
            // Whether the PIN was deleted before the stop is not known: ask the person to check.
            self.pin_not_deleted(&mut replies);
            let owed = Owed { person_id: person.person_id, version: person.version };
            self.send_turn(ChatId(chat), replies, None, Some(owed));
        }
    }

    // -----------------------------------------------------------------------------------------
    // the staff group

    fn staff_actor(user: &User) -> StaffActor {
        StaffActor { transport: Transport::Telegram, user_id: user.id.0.to_string(), roles: vec![], display_name: user.full_name() }
    }

    /// Marks a staff group update as handled; false if it was handled before.
    async fn first_time(&self, update_id: u32) -> bool {
        let store = self.service.store();
        let marked = async {
            let mut tx = store.begin().await?;
            let first = tx.mark_update("telegram-staff", &update_id.to_string(), clock::now_ms()).await?;
            tx.commit().await?;
            Ok::<bool, crate::store::StoreError>(first)
        };
        match marked.await {
            Ok(first) => first,
            Err(e) => {
                tracing::error!(error = %e, "Telegram: could not record a staff update");
                false
            }
        }
    }

    /// A reply to one of the desk's posts is an answer to that ticket's person.
    async fn on_staff_message(&self, update_id: u32, message: Message) {
        let (Some(user), Some(text), Some(original)) = (message.from.as_ref(), message.text(), message.reply_to_message()) else {
            tracing::debug!("Telegram: a staff group message that is not a reply; ignored");
            return;
        };
        let store = self.service.store();
        let (chat, original) = (message.chat.id.0.to_string(), original.id.0.to_string());
        let mut found = store.staff_post_ticket("telegram", &chat, &original).await;
        if let Ok(None) = found {
            // A post is recorded right after Telegram confirms it; a very quick reply can come
            // in between.
            tokio::time::sleep(Duration::from_millis(500)).await;
            found = store.staff_post_ticket("telegram", &chat, &original).await;
        }
        let ticket = match found {
            Ok(Some(ticket)) => ticket,
            Ok(None) => return tracing::debug!("Telegram: a reply to a message that is not a ticket post; ignored"),
            Err(e) => return tracing::error!(error = %e, "Telegram: staff reply lookup failed"),
        };
        if !self.first_time(update_id).await {
            return;
        }
        let shown = match self.desk.answer(&Self::staff_actor(user), ticket, text).await {
            Ok(shown) => shown,
            Err(e) => {
                tracing::error!(error = %e, "Telegram: a staff answer failed");
                self.service.apology(Lang::Tr)
            }
        };
        self.enqueue(message.chat.id, Outgoing { message: Some(shown), reply_to: Some(message.id), ..Outgoing::default() });
    }

    async fn on_staff_button(&self, update_id: u32, query: &CallbackQuery, chat: ChatId, message: MessageId, data: &str) {
        if !StaffDesk::is_staff_button(data) || !self.first_time(update_id).await {
            let _ = self.bot.answer_callback_query(query.id.clone()).await;
            return;
        }
        let actor = Self::staff_actor(&query.from);
        let allowed = self.desk.roster().may_act(&actor);
        let shown = match self.desk.act(&actor, data).await {
            Ok(shown) => shown,
            Err(e) => {
                tracing::error!(error = %e, "Telegram: a staff action failed");
                self.service.apology(Lang::Tr)
            }
        };
        // The presser always sees the outcome; the group sees what staff did.
        let answer = self.bot.answer_callback_query(query.id.clone()).text(shown.text.clone()).show_alert(!allowed);
        if let Err(e) = answer.await {
            tracing::debug!(error = %e, "Telegram: answerCallbackQuery failed");
        }
        if allowed {
            self.enqueue(chat, Outgoing { message: Some(shown), reply_to: Some(message), ..Outgoing::default() });
        }
    }

    // -----------------------------------------------------------------------------------------
    // sending

    /// Queues work for a chat; one task per busy chat sends in order and ends when idle.
    fn enqueue(&self, chat: ChatId, item: Outgoing) {
        let mut queues = self.queues.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(queue) = queues.get(&chat.0) {
            match queue.send(item) {
                Ok(()) => return,
                Err(mpsc::error::SendError(item)) => return self.spawn_queue(&mut queues, chat, item),
            }
        }
        self.spawn_queue(&mut queues, chat, item);
    }

    fn spawn_queue(&self, queues: &mut HashMap<i64, mpsc::UnboundedSender<Outgoing>>, chat: ChatId, first: Outgoing) {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let _ = tx.send(first);
        queues.insert(chat.0, tx);
        let mut sender = ChatSender { bot: self.bot.clone(), pace: self.pace.clone(), service: self.service.clone(), chat, last: None };
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
    async fn send_queued(&self, chat: ChatId, message: Rendered, reply_to: Option<MessageId>) -> Result<MessageId, SendError> {
        let (done, outcome) = tokio::sync::oneshot::channel();
        self.enqueue(chat, Outgoing { message: Some(message), reply_to, done: Some(done), owed: None });
        outcome.await.unwrap_or_else(|_| Err(SendError::Temporary("the sending queue stopped".into())))
    }
}

/// One chat's sending: in order, spaced from the chat's previous message and from everyone's.
struct ChatSender {
    bot: TgBot,
    pace: Arc<Pace>,
    service: Arc<ChatService>,
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
            self.service.replies_delivered(owed);
        }
    }

    /// A reply: a network failure is tried again, waiting longer each time, for a while.
    async fn send_patiently(&mut self, message: &Rendered, reply_to: Option<MessageId>) -> Result<MessageId, SendError> {
        let give_up = tokio::time::Instant::now() + TEMPORARY_FAILURE_PATIENCE;
        let mut wait = Duration::from_secs(1);
        loop {
            match self.send_rendered(message, reply_to).await {
                Err(SendError::Temporary(e)) if tokio::time::Instant::now() + wait < give_up => {
                    tracing::info!(error = %e, secs = wait.as_secs(), "Telegram: sending failed; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(60));
                }
                other => return other,
            }
        }
    }

    /// Sends one rendered message (split if long; the buttons go with the last part).
    async fn send_rendered(&mut self, message: &Rendered, reply_to: Option<MessageId>) -> Result<MessageId, SendError> {
        let parts = split_text(&message.text, MAX_TEXT_CHARS);
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
                    request = request.reply_parameters(ReplyParameters { allow_sending_without_reply: Some(true), ..ReplyParameters::new(to) });
                }
                let result = request.await;
                self.last = Some(tokio::time::Instant::now());
                match result {
                    Err(RequestError::RetryAfter(wait)) if refused < MAX_RETRY_AFTER => {
                        refused += 1;
                        tracing::info!(secs = wait.seconds(), "Telegram: 429, waiting as asked");
                        self.pace.freeze(wait.duration()).await;
                    }
                    other => break other.map_err(send_error)?,
                }
            };
            last = Some(sent.id);
        }
        last.ok_or_else(|| SendError::Permanent("empty message".into()))
    }
}

/// Buttons as an inline keyboard: two to a row when short, one when long.
fn keyboard(message: &Rendered) -> Option<InlineKeyboardMarkup> {
    let buttons: Vec<InlineKeyboardButton> = message
        .buttons
        .iter()
        .filter(|b| b.id.len() <= MAX_CALLBACK_BYTES)
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
fn coalesce(replies: Vec<Rendered>) -> Vec<Rendered> {
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

fn plain(text: String) -> Rendered {
    Rendered { text, buttons: vec![] }
}

/// Splits at line ends so that no part is longer than `max` characters.
fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        let mut line = line;
        while line.chars().count() > max {
            let cut = line.char_indices().nth(max).map(|(i, _)| i).unwrap_or(line.len());
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            parts.push(line[..cut].to_owned());
            line = &line[cut..];
        }
        if current.chars().count() + line.chars().count() > max {
            parts.push(std::mem::take(&mut current));
        }
        current.push_str(line);
    }
    if !current.trim().is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

fn user_lang(user: &User) -> Lang {
    match user.language_code.as_deref() {
        Some(code) if code.to_ascii_lowercase().starts_with("en") => Lang::En,
        _ => Lang::Tr,
    }
}

fn send_error(e: RequestError) -> SendError {
    match e {
        RequestError::Api(ApiError::BotBlocked | ApiError::ChatNotFound | ApiError::UserDeactivated) => SendError::Permanent(e.to_string()),
        RequestError::Api(ApiError::Unknown(_)) | RequestError::Api(_) => SendError::Permanent(e.to_string()),
        _ => SendError::Temporary(e.to_string()),
    }
}

/// Commands shown in Telegram's menu: name and the catalogue id of the description.
const COMMANDS_TR: [(&str, &str); 8] = [
    ("basla", "tg-cmd-start"),
    ("durum", "tg-cmd-status"),
    ("iptal", "tg-cmd-cancel"),
    ("yardim", "tg-cmd-help"),
    ("eslestir", "tg-cmd-pair"),
    ("cihazlar", "tg-cmd-devices"),
    ("sil", "tg-cmd-delete"),
    ("english", "tg-cmd-english"),
];
const COMMANDS_EN: [(&str, &str); 8] = [
    ("start", "tg-cmd-start"),
    ("status", "tg-cmd-status"),
    ("cancel", "tg-cmd-cancel"),
    ("help", "tg-cmd-help"),
    ("pair", "tg-cmd-pair"),
    ("devices", "tg-cmd-devices"),
    ("delete", "tg-cmd-delete"),
    ("turkce", "tg-cmd-turkish"),
];

/// Telegram's webhook call: the secret-token header must match; the update is stored before
/// the 200 (a failure answers 500, and Telegram's retry is a no-op for what was done).
async fn webhook(State(telegram): State<Arc<Telegram>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    use subtle::ConstantTimeEq;
    let expected = telegram.config.webhook_secret.as_ref().map(|s| s.expose_secret().to_owned()).unwrap_or_default();
    let given = headers.get("x-telegram-bot-api-secret-token").map(|v| v.as_bytes()).unwrap_or_default();
    if expected.is_empty() || !bool::from(given.ct_eq(expected.as_bytes())) {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(update) = serde_json::from_slice::<Update>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    telegram.handle_update(update).await;
    StatusCode::OK
}

impl Messenger for Telegram {
    fn send<'a>(&'a self, user_id: &'a str, message: &'a Rendered) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let chat = ChatId(user_id.parse().map_err(|_| SendError::Permanent("not a Telegram chat id".into()))?);
            self.send_queued(chat, message.clone(), None).await.map(|_| ())
        })
    }
}

impl StaffChat for Telegram {
    fn post<'a>(&'a self, post: &'a StaffPost) -> BoxFuture<'a, Result<(String, String), SendError>> {
        Box::pin(async move {
            let chat = ChatId(self.config.staff_chat_id);
            let reply_to = post.reply_to.as_ref().and_then(|(_, m)| m.parse().ok()).map(MessageId);
            let id = self.send_queued(chat, post.message.clone(), reply_to).await?;
            Ok((chat.0.to_string(), id.0.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_split_at_line_ends() {
        let text = (0..300).map(|i| format!("{i:03} satır İı\n")).collect::<String>();
        let parts = split_text(&text, 1000);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.chars().count() <= 1000));
        assert_eq!(parts.concat(), text, "nothing is lost");
        let one = "ş".repeat(2500);
        let parts = split_text(&one, 1000);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), vec![1000, 1000, 500]);
        assert_eq!(split_text("kısa", 1000), vec!["kısa".to_owned()]);
    }

    #[test]
    fn replies_without_buttons_join_the_next() {
        let b = |id: &str| crate::i18n::RenderedButton { id: id.into(), label: id.into() };
        let r = |text: &str, buttons: Vec<crate::i18n::RenderedButton>| Rendered { text: text.into(), buttons };
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
        let m = Rendered { text: "x".into(), buttons: vec![b("a", "Evet"), b("b", "Hayır"), b("c", "İptal")] };
        let k = keyboard(&m).unwrap();
        assert_eq!(k.inline_keyboard.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 1]);
        let long = Rendered { text: "x".into(), buttons: vec![b("a", "Okudum, onaylıyorum ve devam ediyorum")] };
        assert_eq!(keyboard(&long).unwrap().inline_keyboard.len(), 1);
        assert!(keyboard(&plain("x".into())).is_none());
    }
}
