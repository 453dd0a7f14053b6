//! The chat service: one incoming message → load the person's conversation → run the pure
//! engine → carry out its actions ([`actions`]) and save the conversation in one transaction →
//! render the replies. The channels (web chat, Telegram, Discord) call only this; the staff
//! desk's actions are in [`desk`], what a PC's acks and reports mean in [`agent_events`].
//!
//! Nothing here sends: a reply goes back to the caller, everything else is an outbox row.

pub mod accounts;
mod actions;
pub mod agent_events;
pub mod attestation;
pub mod desk;
mod form;
mod locks;
mod turn;

use std::sync::Arc;

use eimza_protocol::Lang;

use crate::agents::Links;
use crate::clock;
use crate::core::conversation::{self, Command, Ctx, Facts, Incoming, Input, Settings, Transport, parse_command};
use crate::core::outbound::Rendered;
use crate::i18n::Texts;
use crate::store::{ChatState, Store, StoreError};
use locks::PersonLocks;
use turn::Turn;

/// A pairing code is valid this long (RFC 8628's `expires_in`), and so is a claimed request
/// waiting for the person's answer.
pub const PAIRING_TTL_MS: i64 = 10 * 60 * 1000;

/// How often a message is retried when another bot instance saved the same person's
/// conversation in between (within one process, `PersonLocks` keeps that from happening).
const MAX_ATTEMPTS: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the conversation kept changing under us")]
    Contention,
}

/// How a turn's replies leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    /// In the answer to the request (the web chat, Discord); a crash fails the request and the
    /// person sees it.
    Immediate,
    /// Saved with the conversation until the transport confirms them (Telegram, which sends at
    /// the chat's pace): `delivered` is the latest version the transport confirmed and did not
    /// write yet (see `telegram::owed`).
    SavedUntilSent { delivered: Option<i64> },
    /// The turn did not start in the person's chat (the web form): its replies are an outbox
    /// message for their chat.
    Outbox,
}

/// What happened to one incoming message.
#[derive(Clone, Debug)]
pub struct Handled {
    pub replies: Vec<Rendered>,
    pub lang: Lang,
    /// The person's message should be removed (a misplaced PIN).
    pub delete_incoming: bool,
    /// The update was processed before; nothing was done.
    pub duplicate: bool,
    /// What the conversation waits for now.
    pub expects: conversation::Expects,
    /// The replies explain a mistake (a platform may show them only to the person).
    pub mistake: bool,
    /// With [`ReplyMode::SavedUntilSent`]: the replies are kept with the conversation until the
    /// transport reports this as delivered.
    pub owed: Option<Owed>,
}

/// Which saved replies a transport confirms once it has sent them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owed {
    pub person_id: i64,
    pub version: i64,
}

pub struct ChatService {
    store: Store,
    texts: Arc<Texts>,
    settings: Settings,
    locks: PersonLocks,
    links: Arc<Links>,
    /// How long a web form link is valid.
    form_link_ms: i64,
    /// Messages per Telegram or Discord user, as the web chat limits them per session.
    flood: Flood,
}

/// The per-person message limit of the chat platforms, and whom it was said to lately (said
/// once a minute, so a flood does not fill the person's chat with the same words).
struct Flood {
    limiter: crate::rate::RateLimiter<(&'static str, String)>,
    told: std::sync::Mutex<std::collections::HashMap<(&'static str, String), i64>>,
}

impl ChatService {
    pub fn new(store: Store, texts: Arc<Texts>, settings: Settings, links: Arc<Links>) -> ChatService {
        let flood = Flood { limiter: crate::rate::RateLimiter::new(60, 120), told: Default::default() };
        ChatService { store, texts, settings, locks: PersonLocks::default(), links, form_link_ms: 30 * 60 * 1000, flood }
    }

    /// A Telegram or Discord user may send `burst` messages at once, then `per_minute`.
    pub fn with_message_limit(mut self, burst: u32, per_minute: u32) -> ChatService {
        self.flood.limiter = crate::rate::RateLimiter::new(burst, per_minute);
        self
    }

    /// Web form links are valid this many minutes.
    pub fn with_form_link_minutes(mut self, minutes: u32) -> ChatService {
        self.form_link_ms = i64::from(minutes.max(1)) * 60_000;
        self
    }

    pub fn links(&self) -> &Arc<Links> {
        &self.links
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn texts(&self) -> &Texts {
        &self.texts
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Handles a message from a transport that keeps its own history (Telegram, Discord).
    #[tracing::instrument(skip_all, fields(transport = incoming.transport.code()))]
    pub async fn handle(&self, incoming: &Incoming, mode: ReplyMode) -> Result<Handled, ServiceError> {
        if let Some(refused) = self.flooding(incoming) {
            return Ok(refused);
        }
        let _turn = self.locks.lock(incoming.transport.code(), &incoming.user_id).await;
        let read = self.store.read_mark();
        let (person_id, state) = match self.store.chat_state_of(incoming.transport.code(), &incoming.user_id).await? {
            Some(found) => found,
            None => {
                let person_id = self.store.person(incoming.transport.code(), &incoming.user_id, clock::now_ms()).await?;
                (person_id, ChatState { read, ..ChatState::default() })
            }
        };
        self.handle_for(person_id, state, incoming, mode, false).await
    }

    /// Handles a web chat message and keeps the transcript (encrypted) for the page.
    pub async fn handle_web(&self, person_id: i64, incoming: &Incoming) -> Result<Handled, ServiceError> {
        let _turn = self.locks.lock(incoming.transport.code(), &incoming.user_id).await;
        // The session's person is the web person of that session id: read with the other
        // turns' reads.
        let state = match self.store.chat_state_of(incoming.transport.code(), &incoming.user_id).await? {
            Some((found, state)) if found == person_id => state,
            _ => self.store.chat_state(person_id).await?,
        };
        self.handle_for(person_id, state, incoming, ReplyMode::Immediate, true).await
    }

    async fn handle_for(
        &self,
        person_id: i64,
        state: ChatState,
        incoming: &Incoming,
        mode: ReplyMode,
        transcript: bool,
    ) -> Result<Handled, ServiceError> {
        let started = std::time::Instant::now();
        let handled = self.handle_retrying(person_id, state, incoming, mode, transcript).await;
        crate::metrics::METRICS.turns.inc();
        crate::metrics::METRICS.turn_seconds.observe(started.elapsed().as_secs_f64());
        handled
    }

    /// A turn, run again when another instance saved the same conversation in between.
    async fn handle_retrying(
        &self,
        person_id: i64,
        mut state: ChatState,
        incoming: &Incoming,
        mode: ReplyMode,
        transcript: bool,
    ) -> Result<Handled, ServiceError> {
        for _ in 0..MAX_ATTEMPTS {
            if let Some(handled) = self.attempt(person_id, &state, incoming, mode, transcript).await? {
                return Ok(handled);
            }
            tracing::debug!(person_id, "conversation changed concurrently; handling the message again");
            state = self.store.chat_state(person_id).await?;
        }
        Err(ServiceError::Contention)
    }

    /// One try; `None` when another instance saved the same conversation in between.
    async fn attempt(
        &self,
        person_id: i64,
        state: &ChatState,
        incoming: &Incoming,
        mode: ReplyMode,
        transcript: bool,
    ) -> Result<Option<Handled>, ServiceError> {
        if let Some(update_id) = &incoming.update_id
            && state.conversation.has_seen(update_id)
        {
            let lang = state.conversation.lang.or(incoming.lang_hint).or(state.conversation.platform_lang).unwrap_or_default();
            return Ok(Some(Handled {
                replies: vec![],
                lang,
                delete_incoming: false,
                duplicate: true,
                expects: conversation::Expects::Buttons,
                mistake: false,
                owed: None,
            }));
        }
        let wants_status = matches!(&incoming.input, Input::Text(t) if parse_command(t) == Some(Ok(Command::Status)));
        let facts =
            Facts { open_ticket: state.open_ticket, status: if wants_status { self.store.status_view(person_id).await? } else { None } };
        let now = clock::now_ms();
        let ctx = Ctx {
            settings: &self.settings,
            facts: &facts,
            transport: incoming.transport,
            today: clock::istanbul_today(now),
            now_ms: now,
            sensitive_via_web: self.settings.web_form.contains(&incoming.transport),
        };
        let mut outcome = conversation::handle(state.conversation.clone(), &incoming.input, &ctx);
        if let Some(update_id) = &incoming.update_id {
            outcome.conversation.remember(update_id);
        }
        if incoming.lang_hint.is_some() && incoming.transport != Transport::Web {
            outcome.conversation.platform_lang = incoming.lang_hint;
        }
        let c = &outcome.conversation;
        let lang = c.lang.or(incoming.lang_hint).or(c.platform_lang).unwrap_or_default();
        let turn = Turn { person_id, state, incoming, mode, transcript, ctx, outcome, lang };
        // Most messages change nothing but the conversation (and the web transcript): saved
        // with the other turns in flight, one commit for all.
        if turn.outcome.actions.is_empty() && mode != ReplyMode::Outbox {
            return self.save_only(turn).await;
        }
        self.save_with_actions(turn).await
    }

    /// The generic apology, for when handling failed.
    /// Over the message limit: the message is not handled; the person reads why (once a minute;
    /// later messages of the flood get no answer, so the flood does not fill their chat).
    fn flooding(&self, incoming: &Incoming) -> Option<Handled> {
        let key = (incoming.transport.code(), incoming.user_id.clone());
        let wait = self.flood.limiter.take(&key).err()?;
        let now = clock::now_ms();
        let mut told = self.flood.told.lock().unwrap_or_else(|p| p.into_inner());
        told.retain(|_, at| now - *at < 60_000);
        let replies = if told.insert(key, now).is_none() {
            let lang = incoming.lang_hint.unwrap_or_default();
            vec![Rendered::plain(self.texts.with(lang, "too-many-messages", &[("seconds", eimza_protocol::Arg::from(wait.max(1) as i64))]))]
        } else {
            Vec::new()
        };
        tracing::info!(transport = incoming.transport.code(), "messages over the limit; not handled");
        Some(Handled {
            replies,
            lang: incoming.lang_hint.unwrap_or_default(),
            delete_incoming: false,
            duplicate: false,
            expects: conversation::Expects::Buttons,
            mistake: true,
            owed: None,
        })
    }

    pub fn apology(&self, lang: Lang) -> Rendered {
        Rendered::plain(self.texts.get(lang, "internal-error"))
    }
}
