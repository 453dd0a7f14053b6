//! The Telegram adapter: Bot API updates in, the chat service's replies out. No conversation
//! logic lives here — a message or button press becomes an [`Incoming`], the replies become
//! messages with inline keyboards ([`send`]).
//!
//! - Updates arrive by long polling (`getUpdates`) or, configured, on a webhook route (owned by
//!   this adapter, merged into the server at start) that checks Telegram's secret-token header.
//!   Each update is handled once: its id is kept with the conversation it changes (or, for the
//!   staff group, by the desk), so a re-delivery after a crash or a webhook retry changes nothing.
//! - A turn's replies are saved with the conversation and owed until sent ([`owed`]); whatever
//!   was owed when the bot stopped goes out first at the next start.
//! - The staff group: the desk's posts (from the outbox, through [`StaffChat`]), its buttons and
//!   replies to a ticket's post, handed to the staff desk.

mod owed;
mod send;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use eimza_protocol::Lang;
use futures_util::future::BoxFuture;
use secrecy::ExposeSecret;
use teloxide::payloads::{AnswerCallbackQuerySetters, GetUpdatesSetters, SetMyCommandsSetters};
use teloxide::requests::Requester;
use teloxide::types::{AllowedUpdate, BotCommand, CallbackQuery, ChatId, Message, MessageId, Update, UpdateKind, User};
use teloxide::{Bot, RequestError};

use crate::config::{TelegramConfig, TelegramMode};
use crate::core::button::ButtonId;
use crate::core::conversation::{Incoming, Input, Transport};
use crate::delivery::platforms::{Messenger, StaffChat, StaffPost};
use crate::delivery::{SendError, keep_trying};
use crate::i18n::Rendered;
use crate::service::desk::{AnswerTo, DeskAnswer, StaffActor, StaffDesk};
use crate::service::{ChatService, Owed, ReplyMode};
pub use owed::Ledger;
use send::{Outgoing, Queues};

pub struct Telegram {
    bot: Bot,
    service: Arc<ChatService>,
    desk: Arc<StaffDesk>,
    config: TelegramConfig,
    queues: Queues,
    ledger: Arc<Ledger>,
    /// When Telegram last answered a poll (ms), for `/readyz`.
    answered_at: Arc<std::sync::atomic::AtomicI64>,
}

/// How often the replies delivered are written as such (a crash resends at most this much).
const DELIVERIES_WRITTEN_EVERY: Duration = Duration::from_secs(1);

impl Telegram {
    /// Connects to the configured Bot API (nothing is sent yet).
    pub fn new(config: &TelegramConfig, service: Arc<ChatService>, desk: Arc<StaffDesk>) -> anyhow::Result<Arc<Telegram>> {
        let token = config.token.as_ref().map(|t| t.expose_secret().trim().to_owned()).unwrap_or_default();
        let url: http_client::Url = config.api_url.parse().map_err(|e| anyhow::anyhow!("telegram.api_url: {e}"))?;
        // Long polling holds a request open for poll_timeout_secs; the client must wait longer.
        let client =
            teloxide::net::default_reqwest_settings().timeout(Duration::from_secs(u64::from(config.poll_timeout_secs) + 15)).build()?;
        let bot = Bot::with_client(token, client).set_api_url(url);
        let ledger = Arc::new(Ledger::default());
        let queues = Queues::new(bot.clone(), ledger.clone());
        let answered_at = Arc::new(std::sync::atomic::AtomicI64::new(crate::clock::now_ms()));
        Ok(Arc::new(Telegram { bot, service, desk, config: config.clone(), queues, ledger, answered_at }))
    }

    /// When Telegram last answered a poll (ms since the epoch).
    pub fn answered_at(&self) -> Arc<std::sync::atomic::AtomicI64> {
        self.answered_at.clone()
    }

    /// Sends what is still owed, registers the commands, then polls (unless Telegram calls the
    /// webhook).
    pub async fn run(self: Arc<Self>) {
        self.send_owed().await;
        let (ledger, store) = (self.ledger.clone(), self.service.store().clone());
        tokio::spawn(async move {
            let mut every = tokio::time::interval(DELIVERIES_WRITTEN_EVERY);
            loop {
                every.tick().await;
                if let Err(e) = ledger.write(&store).await {
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
        let (tr, en) = (commands(Lang::Tr, &COMMANDS_TR), commands(Lang::En, &COMMANDS_EN));
        keep_trying("Telegram: setMyCommands", || async {
            self.bot.set_my_commands(tr.clone()).await?;
            self.bot.set_my_commands(en.clone()).language_code("en").await?;
            Ok::<(), RequestError>(())
        })
        .await;
    }

    async fn poll(&self) {
        let mut offset: i32 = 0;
        let mut failures = 0;
        loop {
            let request = self
                .bot
                .get_updates()
                .offset(offset)
                .timeout(self.config.poll_timeout_secs)
                .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery]);
            match request.await {
                Ok(updates) => {
                    failures = 0;
                    self.answered_at.store(crate::clock::now_ms(), std::sync::atomic::Ordering::Relaxed);
                    if let Some(last) = updates.last() {
                        offset = i32::try_from(last.id.0).unwrap_or(i32::MAX).saturating_add(1);
                    }
                    self.handle_batch(updates).await;
                }
                Err(RequestError::RetryAfter(wait)) => tokio::time::sleep(wait.duration()).await,
                Err(e) => {
                    failures += 1;
                    tracing::warn!(error = %e, "Telegram: getUpdates failed; will retry");
                    tokio::time::sleep(crate::delivery::backoff(Duration::from_secs(1), failures, Duration::from_secs(30))).await;
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
            self.queues.enqueue(message.chat.id, Outgoing::message(Rendered::plain(texts.get(lang_hint, "telegram-text-only"))));
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
            input: Input::button(&data),
            lang_hint: Some(user_lang(&query.from)),
            update_id: Some(update_id.to_string()),
            can_delete: true,
        };
        self.converse(chat, &incoming, None).await;
    }

    async fn converse(&self, chat: ChatId, incoming: &Incoming, incoming_message: Option<MessageId>) {
        let mode = ReplyMode::SavedUntilSent { delivered: self.ledger.delivered(&incoming.user_id) };
        match self.service.handle(incoming, mode).await {
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
                self.queues.send_turn(chat, handled.replies, reply_to, handled.owed);
            }
            Err(e) => {
                tracing::error!(error = %e, "Telegram: handling a message failed");
                let lang = incoming.lang_hint.unwrap_or_default();
                self.queues.enqueue(chat, Outgoing::message(self.service.apology(lang)));
            }
        }
    }

    /// The PIN warning says the message is gone; when it is not (or nobody knows, after a
    /// restart), it asks the person to delete it, in the language it was said in.
    fn pin_not_deleted(&self, replies: &mut [Rendered]) {
        for reply in replies.iter_mut() {
            if let Some(lang) = reply.pin_warning {
                reply.text = self.service.texts().get(lang, "pin-warning-undeletable");
            }
        }
    }

    /// Sends what was owed when the bot stopped (saved with the conversations, not yet confirmed
    /// by Telegram), before any new message is handled.
    async fn send_owed(&self) {
        let owed = match self.service.store().owed_replies(Transport::Telegram.code()).await {
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
            self.queues.send_turn(ChatId(chat), replies, None, Some(owed));
        }
    }

    // -----------------------------------------------------------------------------------------
    // the staff group

    fn staff_actor(user: &User) -> StaffActor {
        StaffActor { transport: Transport::Telegram, user_id: user.id.0.to_string(), roles: vec![], display_name: user.full_name() }
    }

    /// A reply to one of the desk's posts is an answer to that ticket's person.
    async fn on_staff_message(&self, update_id: u32, message: Message) {
        let (Some(user), Some(text), Some(original)) = (message.from.as_ref(), message.text(), message.reply_to_message()) else {
            tracing::debug!("Telegram: a staff group message that is not a reply; ignored");
            return;
        };
        let to = AnswerTo::Post { chat_id: message.chat.id.0.to_string(), message_id: original.id.0.to_string() };
        let answer = self.desk.answer(&Self::staff_actor(user), &to, text, Some(&update_id.to_string())).await;
        let shown = match answer {
            Ok(Some(DeskAnswer { shown, .. })) => shown,
            Ok(None) => return,
            Err(e) => {
                tracing::error!(error = %e, "Telegram: a staff answer failed");
                self.service.apology(Lang::Tr)
            }
        };
        self.queues.enqueue(message.chat.id, Outgoing { message: Some(shown), reply_to: Some(message.id), ..Outgoing::default() });
    }

    async fn on_staff_button(&self, update_id: u32, query: &CallbackQuery, chat: ChatId, message: MessageId, data: &str) {
        let button = ButtonId::parse(data).filter(ButtonId::is_staff);
        let outcome = match &button {
            Some(button) => self.desk.act(&Self::staff_actor(&query.from), button, Some(&update_id.to_string())).await,
            None => Ok(None),
        };
        let answer = match outcome {
            Ok(Some(answer)) => answer,
            Ok(None) => {
                let _ = self.bot.answer_callback_query(query.id.clone()).await;
                return;
            }
            Err(e) => {
                tracing::error!(error = %e, "Telegram: a staff action failed");
                DeskAnswer { shown: self.service.apology(Lang::Tr), allowed: true }
            }
        };
        // The presser always sees the outcome; the group sees what staff did.
        let popup = self.bot.answer_callback_query(query.id.clone()).text(answer.shown.text.clone()).show_alert(!answer.allowed);
        if let Err(e) = popup.await {
            tracing::debug!(error = %e, "Telegram: answerCallbackQuery failed");
        }
        if answer.allowed {
            self.queues.enqueue(chat, Outgoing { message: Some(answer.shown), reply_to: Some(message), ..Outgoing::default() });
        }
    }
}

fn user_lang(user: &User) -> Lang {
    match user.language_code.as_deref() {
        Some(code) if code.to_ascii_lowercase().starts_with("en") => Lang::En,
        _ => Lang::Tr,
    }
}

/// Commands shown in Telegram's menu: name and the catalogue id of the description.
const COMMANDS_TR: [(&str, &str); 9] = [
    ("basla", "tg-cmd-start"),
    ("durum", "tg-cmd-status"),
    ("kart", "tg-cmd-card"),
    ("iptal", "tg-cmd-cancel"),
    ("yardim", "tg-cmd-help"),
    ("eslestir", "tg-cmd-pair"),
    ("cihazlar", "tg-cmd-devices"),
    ("sil", "tg-cmd-delete"),
    ("english", "tg-cmd-english"),
];
const COMMANDS_EN: [(&str, &str); 9] = [
    ("start", "tg-cmd-start"),
    ("status", "tg-cmd-status"),
    ("card", "tg-cmd-card"),
    ("cancel", "tg-cmd-cancel"),
    ("help", "tg-cmd-help"),
    ("pair", "tg-cmd-pair"),
    ("devices", "tg-cmd-devices"),
    ("delete", "tg-cmd-delete"),
    ("turkce", "tg-cmd-turkish"),
];

/// Telegram's webhook call: the secret-token header must match; the update is stored before
/// the 200 (a failure to handle it is logged and the person gets the apology; a retry of an
/// update already handled is a no-op).
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
            self.queues.send_queued(chat, message.clone(), None).await.map(|_| ())
        })
    }
}

impl StaffChat for Telegram {
    fn post<'a>(&'a self, post: &'a StaffPost) -> BoxFuture<'a, Result<(String, String), SendError>> {
        Box::pin(async move {
            let chat = ChatId(self.config.staff_chat_id);
            let reply_to = post.reply_to.as_ref().and_then(|(_, m)| m.parse().ok()).map(MessageId);
            let id = self.queues.send_queued(chat, post.message.clone(), reply_to).await?;
            Ok((chat.0.to_string(), id.0.to_string()))
        })
    }
}
