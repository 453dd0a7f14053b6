//! The chat service: one incoming message → load the person's conversation → run the pure
//! engine → carry out its actions and save the conversation in one transaction → render the
//! replies. Transports (web chat now; Telegram and Discord next) call only this.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use eimza_protocol::Lang;

use crate::clock;
use crate::conversation::{
    self, Action, ActionResult, Button, Command, Ctx, DeviceView, Facts, Incoming, Input, Label, Msg, PairingDecision, PendingCode, Reply,
    Settings, Transport, parse_command,
};
use crate::link::Links;
use crate::platform::Platforms;
use crate::i18n::{Rendered, Texts};
use crate::domain::EmailCode;
use crate::store::{
    ChatState, ConversationSave, Decided, NewMessage, OpenOutcome, OwedReplies, Store, StoreError, TranscriptButton, TranscriptEntry, Unsent, outbox_kinds,
};

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
    #[error("the chat platform did not take the message: {0:?}")]
    Platform(crate::delivery::SendError),
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
    /// For a transport that sends replies after the turn (Telegram): the replies are kept with
    /// the conversation until [`ChatService::replies_delivered`] is told this.
    pub owed: Option<Owed>,
}

/// Which saved replies a transport confirms once it has sent them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owed {
    pub person_id: i64,
    pub version: i64,
}

/// Telegram sends a turn's replies later, at the chat's pace (a second apart), so they are
/// saved with the conversation and survive a crash. The web chat and Discord answer within the
/// request; a crash there fails the request and the person sees it.
fn replies_sent_later(transport: Transport) -> bool {
    transport == Transport::Telegram
}

pub struct ChatService {
    store: Store,
    texts: Arc<Texts>,
    settings: Settings,
    locks: PersonLocks,
    links: Arc<Links>,
    platforms: Arc<Platforms>,
    /// How long a web form link is valid.
    form_link_ms: i64,
    /// Per person, the latest conversation version whose replies the transport delivered and
    /// that is not yet written as such (see [`ChatService::replies_delivered`]).
    delivered: std::sync::Mutex<HashMap<i64, i64>>,
}

/// Ticket notices for the applicant that also go to their chat (the `chat` outbox channel).
const APPLICANT_NOTICES: [&str; 5] =
    ["notice-eonay-done", "notice-corporate-applied", "notice-form-email-sent", "notice-cancelled-by-staff", "notice-failed"];

/// One async lock per person with a message in flight: a person's messages are handled one at a
/// time and in order within this process. (Across processes the conversation's version check
/// keeps them consistent.)
#[derive(Default)]
struct PersonLocks {
    // A std mutex: held only to look up or drop an entry, never across an await.
    map: Mutex<HashMap<(&'static str, String), Arc<tokio::sync::Mutex<()>>>>,
}

struct PersonGuard<'a> {
    locks: &'a PersonLocks,
    key: (&'static str, String),
    mutex: Arc<tokio::sync::Mutex<()>>,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl PersonLocks {
    async fn lock(&self, transport: &'static str, user_id: &str) -> PersonGuard<'_> {
        let key = (transport, user_id.to_owned());
        let mutex = {
            let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key.clone()).or_default().clone()
        };
        let guard = mutex.clone().lock_owned().await;
        PersonGuard { locks: self, key, mutex, guard: Some(guard) }
    }
}

impl Drop for PersonGuard<'_> {
    fn drop(&mut self) {
        self.guard.take();
        let mut map = self.locks.map.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map and this guard hold it: nobody is waiting, forget the entry.
        if Arc::strong_count(&self.mutex) == 2 {
            map.remove(&self.key);
        }
    }
}

impl ChatService {
    pub fn new(store: Store, texts: Arc<Texts>, settings: Settings) -> ChatService {
        ChatService {
            store,
            texts,
            settings,
            locks: PersonLocks::default(),
            links: Arc::new(Links::default()),
            platforms: Arc::new(Platforms::default()),
            form_link_ms: 30 * 60 * 1000,
            delivered: std::sync::Mutex::default(),
        }
    }

    /// Web form links are valid this many minutes.
    pub fn with_form_link_minutes(mut self, minutes: u32) -> ChatService {
        self.form_link_ms = i64::from(minutes.max(1)) * 60_000;
        self
    }

    /// The chat platforms configured in this process.
    pub fn platforms(&self) -> &Arc<Platforms> {
        &self.platforms
    }

    /// The live agent connections of this process.
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
    pub async fn handle(&self, incoming: &Incoming) -> Result<Handled, ServiceError> {
        let _turn = self.locks.lock(incoming.transport.code(), &incoming.user_id).await;
        let (person_id, state) = match self.store.chat_state_of(incoming.transport.code(), &incoming.user_id).await? {
            Some(found) => found,
            None => {
                let person_id = self.store.person(incoming.transport.code(), &incoming.user_id, clock::now_ms()).await?;
                (person_id, ChatState::default())
            }
        };
        self.handle_for(person_id, state, incoming, false).await
    }

    /// Handles a web chat message and keeps the transcript (encrypted) for the page.
    pub async fn handle_web(&self, person_id: i64, incoming: &Incoming) -> Result<Handled, ServiceError> {
        let _turn = self.locks.lock(incoming.transport.code(), &incoming.user_id).await;
        let state = self.store.chat_state(person_id).await?;
        self.handle_for(person_id, state, incoming, true).await
    }

    async fn handle_for(
        &self,
        person_id: i64,
        mut state: ChatState,
        incoming: &Incoming,
        transcript: bool,
    ) -> Result<Handled, ServiceError> {
        for _ in 0..MAX_ATTEMPTS {
            if let Some(handled) = self.attempt(person_id, &state, incoming, transcript).await? {
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
        transcript: bool,
    ) -> Result<Option<Handled>, ServiceError> {
        let hinted_lang = state.conversation.lang.or(incoming.lang_hint).or(state.conversation.platform_lang).unwrap_or_default();
        if let Some(update_id) = &incoming.update_id {
            if state.conversation.has_seen(update_id) {
                return Ok(Some(Handled {
                    replies: vec![],
                    lang: hinted_lang,
                    delete_incoming: false,
                    duplicate: true,
                    expects: conversation::Expects::Buttons,
                    mistake: false,
                    owed: None,
                }));
            }
        }
        let wants_status = matches!(&incoming.input, Input::Text(t) if parse_command(t) == Some(Ok(Command::Status)));
        let facts = Facts {
            open_ticket: state.open_ticket,
            status: if wants_status { self.store.status_view(person_id).await? } else { None },
        };
        let now = clock::now_ms();
        let ctx = Ctx {
            settings: &self.settings,
            facts: &facts,
            transport: incoming.transport,
            today: clock::istanbul_today(now),
            now_ms: now,
            sensitive_via_web: self.settings.web_form.contains(&incoming.transport),
        };
        let outcome = conversation::handle(state.conversation.clone(), &incoming.input, &ctx);
        let open_ticket = state.open_ticket.is_some();
        let expects = |c: &conversation::Conversation| conversation::expects(c, ctx.sensitive_via_web, open_ticket);
        let mut conversation = outcome.conversation;
        if let Some(update_id) = &incoming.update_id {
            conversation.remember(update_id);
        }
        if incoming.lang_hint.is_some() && incoming.transport != Transport::Web {
            conversation.platform_lang = incoming.lang_hint;
        }
        let lang = conversation.lang.or(incoming.lang_hint).or(conversation.platform_lang).unwrap_or_default();

        let later = replies_sent_later(incoming.transport);
        let saved = Owed { person_id, version: state.version + 1 };
        let delivered = if later { self.delivered_version(person_id) } else { None };
        // What earlier turns still owe; nothing to open when all of them were delivered.
        let previous = match (&state.unsent, delivered) {
            (Some(_), Some(delivered)) if delivered >= state.version => None,
            (Some(sealed), _) if later => Some(self.store.open_unsent(sealed)?),
            _ => None,
        };
        let owed = |replies: &[Rendered]| if later { Unsent::then(previous.as_ref(), delivered, saved.version, replies) } else { None };

        // Most messages change nothing but the conversation: one statement, no transaction.
        if outcome.actions.is_empty() && !transcript {
            let replies: Vec<Rendered> = outcome.replies.iter().map(|r| self.texts.reply(lang, r)).collect();
            let unsent = owed(&replies);
            let save = ConversationSave { person_id, version: state.version, conversation: &conversation, unsent: unsent.as_ref(), now };
            if !self.store.save_conversation(&save).await? {
                return Ok(None);
            }
            let (expects, mistake) = (expects(&conversation), is_mistake(&outcome.replies));
            let owed = later.then_some(saved);
            return Ok(Some(Handled { replies, lang, delete_incoming: false, duplicate: false, expects, mistake, owed }));
        }

        let mut tx = self.store.begin().await?;
        let mut replies = Vec::new();
        let mut late_replies = Vec::new();
        let mut delete_incoming = false;
        // Connections to close and agents to wake once the transaction is committed.
        let mut close_agents: Vec<String> = Vec::new();
        let mut wake_agents: Vec<String> = Vec::new();
        for action in outcome.actions {
            let result = match action {
                Action::OpenTicket(draft) => match tx.open_ticket(person_id, &draft, lang, now).await? {
                    OpenOutcome::Opened(number) => {
                        tracing::info!(ticket = %number, person_id, "ticket opened");
                        ActionResult::TicketOpened(number)
                    }
                    OpenOutcome::AlreadyOpen(existing) => ActionResult::OpenRefused { existing, draft },
                },
                Action::CancelTicket(number) => match tx.cancel_own_ticket(person_id, number, now).await? {
                    Ok(_) => ActionResult::TicketCancelled(number),
                    Err(refusal) => ActionResult::CancelRefused(refusal),
                },
                Action::DeletePersonalData => {
                    tx.delete_personal_data(person_id, now).await?;
                    close_agents.extend(tx.forget_agents(person_id, now).await?);
                    tracing::info!(person_id, "personal data deleted on request");
                    ActionResult::DataDeleted
                }
                Action::DeleteIncomingMessage => {
                    delete_incoming = true;
                    ActionResult::MessageDeleted(incoming.can_delete)
                }
                Action::SendEmailCode { email } => {
                    let code = EmailCode::generate(&mut rand::rng());
                    let sent = conversation.draft.codes_sent;
                    let message = NewMessage {
                        idem_key: format!("email-code:{person_id}:{now}:{sent}"),
                        channel: outbox_kinds::EMAIL,
                        kind: outbox_kinds::EMAIL_CODE,
                        ticket_id: None,
                        message_id: "mail-code-body",
                        payload: Some(serde_json::json!({ "to": email, "code": code.display(), "lang": lang })),
                    };
                    tx.enqueue(message, now).await?;
                    tracing::info!(person_id, "e-mail ownership code queued");
                    ActionResult::EmailCodeSent { hash: code.hash(), expires_at: now + PendingCode::VALID_MS }
                }
                Action::IssuePairingCode => {
                    let code = eimza_protocol::pairing::PairingCode::generate(|n| rand::random_range(0..n));
                    tx.issue_pairing_code(person_id, code.as_str(), now, PAIRING_TTL_MS).await?;
                    tracing::info!(person_id, "pairing code issued");
                    ActionResult::PairingCode {
                        code: code.display(),
                        minutes: PAIRING_TTL_MS / 60_000,
                        server: self.settings.public_url.trim_end_matches('/').to_owned(),
                    }
                }
                Action::DecidePairing { request_id, approve } => {
                    let agent_id = random_id("a");
                    let token = random_secret();
                    match tx.decide_pairing(person_id, &request_id, approve, &agent_id, &token, now, PAIRING_TTL_MS).await? {
                        Decided::Approved { agent_id, pc_name, pc_os } => {
                            tracing::info!(person_id, agent = %agent_id, "agent paired");
                            let ticket = tx.request_card_step(person_id, &agent_id, &random_id("w"), &random_secret(), now).await?;
                            wake_agents.push(agent_id);
                            ActionResult::PairingDecided(PairingDecision::Approved { name: pc_name, os: pc_os, ticket })
                        }
                        Decided::Rejected { pc_name } => ActionResult::PairingDecided(PairingDecision::Rejected { name: pc_name }),
                        Decided::Stale => ActionResult::PairingDecided(PairingDecision::Stale),
                    }
                }
                Action::IssueFormLink => {
                    let token = random_secret();
                    tx.issue_form_link(person_id, &token, now, self.form_link_ms).await?;
                    tracing::info!(person_id, "web form link issued");
                    ActionResult::FormLink {
                        url: format!("{}/form/{token}", self.settings.public_url.trim_end_matches('/')),
                        minutes: self.form_link_ms / 60_000,
                    }
                }
                Action::AskStaff { text } => match (state.open_ticket, self.store.open_ticket_id(person_id).await?) {
                    (Some(open), Some(ticket_id)) if !self.store.staff_chats().is_empty() => {
                        for channel in self.store.staff_chats() {
                            let message = NewMessage {
                                idem_key: format!("question:{ticket_id}:{channel}:{now}:{}", incoming.update_id.as_deref().unwrap_or("-")),
                                channel,
                                kind: outbox_kinds::QUESTION,
                                ticket_id: Some(ticket_id),
                                message_id: "staff-question",
                                payload: Some(serde_json::json!({ "text": text })),
                            };
                            tx.enqueue(message, now).await?;
                        }
                        let actor = format!("person:{person_id}");
                        tx.note_on_ticket(ticket_id, crate::ticket::ActorKind::Applicant, &actor, "question", None, now).await?;
                        ActionResult::QuestionForwarded { ticket: open.number.to_string() }
                    }
                    _ => ActionResult::QuestionUnavailable,
                },
                Action::ListDevices => ActionResult::Devices(
                    self.store
                        .agents_of(person_id)
                        .await?
                        .into_iter()
                        .map(|a| DeviceView { agent_id: a.id, name: a.pc_name, os: a.pc_os, last_seen_ms: a.last_seen_at })
                        .collect(),
                ),
                Action::UnlinkDevice { agent_id } => {
                    let name = self.store.agent(&agent_id).await?.filter(|a| a.person_id == person_id).map(|a| a.pc_name);
                    match name {
                        Some(name) if tx.revoke_agent(&agent_id, Some(person_id), &format!("person:{person_id}"), now).await? => {
                            tracing::info!(person_id, agent = %agent_id, "agent unlinked by its person");
                            close_agents.push(agent_id);
                            ActionResult::Unlinked { name }
                        }
                        _ => ActionResult::UnlinkStale,
                    }
                }
            };
            // The form link is the conversation's next question: it comes after what the engine
            // said (e.g. "your address is verified"); other results answer before it.
            let late = matches!(result, ActionResult::FormLink { .. });
            let said = conversation::action_result(&mut conversation, result);
            if late { late_replies.extend(said) } else { replies.extend(said) }
        }
        replies.extend(outcome.replies);
        replies.extend(late_replies);
        let rendered: Vec<Rendered> = replies.iter().map(|r| self.texts.reply(lang, r)).collect();
        let unsent = owed(&rendered);
        let save = ConversationSave { person_id, version: state.version, conversation: &conversation, unsent: unsent.as_ref(), now };
        if !tx.save_conversation(&save).await? {
            return Ok(None); // dropping `tx` rolls back
        }
        if transcript {
            let said = match &incoming.input {
                Input::Text(text) if !delete_incoming => Some(text.clone()),
                Input::Button(id) => Some(
                    match conversation::engine::button_label(&state.conversation, id, &ctx) {
                        Some(Label::Msg(m)) => self.texts.msg(lang, &m),
                        Some(Label::Verbatim(s)) => s,
                        None => id.clone(),
                    },
                ),
                _ => None,
            };
            let incoming_line =
                said.map(|text| TranscriptEntry { at: now, direction: "in".into(), text, buttons: vec![] });
            let lines: Vec<TranscriptEntry> = incoming_line
                .into_iter()
                .chain(rendered.iter().map(|r| TranscriptEntry {
                    at: now,
                    direction: "out".into(),
                    text: r.text.clone(),
                    buttons: r.buttons.iter().map(|b| TranscriptButton { id: b.id.clone(), label: b.label.clone() }).collect(),
                }))
                .collect();
            tx.append_transcript(person_id, &lines).await?;
        }
        tx.commit().await?;
        for agent in close_agents {
            self.links.close(&agent);
        }
        for agent in wake_agents {
            self.links.wake(&agent);
        }
        let (expects, mistake) = (expects(&conversation), is_mistake(&replies));
        let owed = later.then_some(saved);
        Ok(Some(Handled { replies: rendered, lang, delete_incoming, duplicate: false, expects, mistake, owed }))
    }

    /// Tells a person something outside a reply to their message (a PC asks to pair, the card
    /// step reached their PC), in their language. The web chat shows it on its next poll.
    pub async fn notify(&self, person_id: i64, reply: Reply) -> Result<(), ServiceError> {
        let Some((transport, user_id)) = self.store.person_address(person_id).await? else { return Ok(()) };
        let state = self.store.chat_state(person_id).await?;
        let lang = state.conversation.reading_lang();
        let rendered = self.texts.reply(lang, &reply);
        self.deliver(person_id, &transport, &user_id, &[rendered]).await
    }

    /// Puts already rendered messages into a person's chat.
    async fn deliver(&self, person_id: i64, transport: &str, user_id: &str, messages: &[Rendered]) -> Result<(), ServiceError> {
        match Transport::from_code(transport) {
            Some(Transport::Web) => {
                let _turn = self.locks.lock("web", user_id).await;
                let mut tx = self.store.begin().await?;
                let entries: Vec<TranscriptEntry> = messages
                    .iter()
                    .map(|rendered| TranscriptEntry {
                        at: clock::now_ms(),
                        direction: "out".into(),
                        text: rendered.text.clone(),
                        buttons: rendered.buttons.iter().map(|b| TranscriptButton { id: b.id.clone(), label: b.label.clone() }).collect(),
                    })
                    .collect();
                tx.append_transcript(person_id, &entries).await?;
                tx.commit().await?;
            }
            Some(platform) => match self.platforms.messenger(platform) {
                Some(messenger) => {
                    for message in messages {
                        messenger.send(user_id, message).await.map_err(ServiceError::Platform)?;
                    }
                }
                None => tracing::warn!(person_id, transport, "this platform is not configured; the message is not delivered"),
            },
            None => tracing::warn!(person_id, transport, "unknown transport"),
        }
        Ok(())
    }

    /// What a platform form (Discord's modal) shows pre-filled: the answers kept so far that the
    /// chat may show (never the TC Kimlik No or birth date when the web form takes them).
    pub async fn form_defaults(&self, transport: Transport, user_id: &str) -> Result<Vec<(conversation::Field, String)>, ServiceError> {
        use conversation::Field;
        let Some((_, state)) = self.store.chat_state_of(transport.code(), user_id).await? else { return Ok(vec![]) };
        let draft = &state.conversation.draft;
        let via_web = self.settings.web_form.contains(&transport);
        let mut values = vec![
            (Field::Name, draft.name.clone()),
            (Field::Title, draft.title.clone()),
            (Field::Email, draft.email.clone().or_else(|| draft.pending_email.clone())),
        ];
        if !via_web {
            values.push((Field::Tckn, draft.tckn.clone()));
            values.push((Field::BirthDate, draft.birth_date.map(|d| d.format("%d-%m-%Y").to_string())));
        }
        Ok(values.into_iter().filter_map(|(f, v)| v.map(|v| (f, v))).collect())
    }

    /// The web form's answers (TC Kimlik No, birth date) for the person's conversation; the
    /// replies go to the person's chat. Returns false when the person is gone.
    pub async fn submit_form(&self, person_id: i64, fields: Vec<(crate::conversation::Field, String)>) -> Result<bool, ServiceError> {
        let Some((transport, user_id)) = self.store.person_address(person_id).await? else { return Ok(false) };
        let Some(platform) = Transport::from_code(&transport) else { return Ok(false) };
        let incoming =
            Incoming { transport: platform, user_id: user_id.clone(), input: Input::Fields(fields), lang_hint: None, update_id: None, can_delete: false };
        let handled = if platform == Transport::Web { self.handle_web(person_id, &incoming).await? } else { self.handle(&incoming).await? };
        if platform != Transport::Web {
            self.deliver(person_id, &transport, &user_id, &handled.replies).await?;
            if let Some(owed) = handled.owed {
                self.replies_delivered(owed);
            }
        }
        Ok(true)
    }

    /// The transport has sent the replies saved as `owed` (and any owed before them). Kept in
    /// memory: the person's next message leaves them out of what it saves, and
    /// [`ChatService::write_delivered`] (every second) clears the rest in one statement. A crash
    /// in between sends them again: a duplicate, never a loss. Telegram's pace bounds how many
    /// turns this is (about 30 a second); none costs the message path a write.
    pub fn replies_delivered(&self, owed: Owed) {
        let mut delivered = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
        let version = delivered.entry(owed.person_id).or_insert(owed.version);
        *version = (*version).max(owed.version);
    }

    /// The latest version whose replies were delivered and not yet written as such.
    fn delivered_version(&self, person_id: i64) -> Option<i64> {
        self.delivered.lock().unwrap_or_else(|p| p.into_inner()).get(&person_id).copied()
    }

    /// Writes the deliveries heard since the last call; returns how many conversations owe
    /// nothing any more.
    pub async fn write_delivered(&self) -> Result<u64, StoreError> {
        let batch: Vec<(i64, i64)> = {
            let delivered = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
            delivered.iter().map(|(p, v)| (*p, *v)).collect()
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let cleared = self.store.replies_delivered(&batch).await?;
        // Forgotten only once written (a newer delivery heard meanwhile stays).
        let mut delivered = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
        for (person, version) in batch {
            if delivered.get(&person) == Some(&version) {
                delivered.remove(&person);
            }
        }
        Ok(cleared)
    }

    /// Replies saved but not confirmed as sent on `transport` (the bot stopped in between).
    pub async fn owed_replies(&self, transport: Transport) -> Result<Vec<OwedReplies>, StoreError> {
        self.store.owed_replies(transport.code()).await
    }

    /// Delivers the chat outbox (reminders for people linked to a chat), in order.
    pub async fn deliver_chat_outbox(&self) -> Result<usize, StoreError> {
        let retry = crate::delivery::Retry { base_secs: 5, max_attempts: 10 };
        let mut handled = 0;
        loop {
            let batch = self.store.claim_due(outbox_kinds::CHAT, clock::now_ms(), 60_000, 32).await?;
            if batch.is_empty() {
                return Ok(handled);
            }
            for item in &batch {
                let payload = item.payload.clone().unwrap_or_default();
                let result = match (payload["person_id"].as_i64(), payload["days"].as_i64(), payload["expires_day"].as_i64()) {
                    _ if item.kind == outbox_kinds::NOTIFY_APPLICANT => self.applicant_notice(item).await,
                    (Some(person), Some(days), Some(expires)) => {
                        let reply = Reply::text(
                            Msg::new("chat-reminder").with("days", days).with("date", conversation::Value::Day(crate::store::day_from_number(expires))),
                        );
                        self.notify(person, reply).await.map_err(|e| crate::delivery::SendError::Temporary(e.to_string()))
                    }
                    _ => Err(crate::delivery::SendError::Permanent("malformed chat payload".into())),
                };
                crate::delivery::settle(&self.store, item, result, retry).await?;
                handled += 1;
            }
        }
    }

    /// A ticket notice (staff cancelled it, the corporate application is made …) in the
    /// applicant's chat.
    async fn applicant_notice(&self, item: &crate::store::Claimed) -> Result<(), crate::delivery::SendError> {
        use crate::delivery::SendError;
        let temporary = |e: StoreError| SendError::Temporary(e.to_string());
        let Some(notice) = APPLICANT_NOTICES.into_iter().find(|id| *id == item.message_id) else {
            return Err(SendError::Permanent(format!("unknown notice {}", item.message_id)));
        };
        let Some(ticket) = (match item.ticket_id {
            Some(id) => self.store.ticket_by_id(id).await.map_err(temporary)?,
            None => None,
        }) else {
            return Err(SendError::Permanent("the ticket of this notice does not exist".into()));
        };
        let Some(person) = self.store.ticket_person(ticket.id).await.map_err(temporary)? else {
            return Err(SendError::Permanent("the ticket has no person".into()));
        };
        let reply = Reply::text(Msg::new("chat-ticket-notice").with("ticket", ticket.number).with("notice", Msg::new(notice)));
        self.notify(person, reply).await.map_err(|e| SendError::Temporary(e.to_string()))
    }

    /// "PC (OS) wants to pair with this account": Onayla / Reddet.
    pub async fn ask_pairing_approval(&self, person_id: i64, request_id: &str, pc_name: &str, pc_os: &str) -> Result<(), ServiceError> {
        let reply = Reply {
            parts: vec![Msg::new("pair-request").with("name", pc_name.to_owned()).with("os", pc_os.to_owned())],
            buttons: vec![Button::new(format!("pair-approve:{request_id}"), "btn-pair-approve"), Button::new(format!("pair-reject:{request_id}"), "btn-pair-reject")],
        };
        self.notify(person_id, reply).await
    }

    /// The generic apology, for when handling failed.
    pub fn apology(&self, lang: Lang) -> Rendered {
        Rendered { text: self.texts.get(lang, "internal-error"), buttons: vec![] }
    }
}

/// Whether the replies explain a wrong answer (their first part is an error message).
fn is_mistake(replies: &[Reply]) -> bool {
    replies.iter().any(|r| r.parts.first().is_some_and(|m| m.id.starts_with("err-") || m.id == "field-error"))
}

/// A random identifier with a readable prefix (`a-…` agents, `w-…` work items).
pub fn random_id(prefix: &str) -> String {
    format!("{prefix}-{}", &random_secret()[..22])
}

/// 256 random bits, URL-safe base64: tokens, poll secrets, nonces.
pub fn random_secret() -> String {
    use base64::Engine as _;
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn person_locks_serialise_and_forget_idle_people() {
        let locks = Arc::new(PersonLocks::default());
        let first = locks.lock("web", "a").await;
        let l2 = locks.clone();
        let waiter = tokio::spawn(async move {
            let _g = l2.lock("web", "a").await;
        });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiter.is_finished(), "the second message waits for the first");
        let other = locks.lock("telegram", "a").await;
        drop(first);
        waiter.await.unwrap();
        drop(other);
        assert!(locks.map.lock().unwrap().is_empty(), "no entry is kept for idle people");
    }
}
