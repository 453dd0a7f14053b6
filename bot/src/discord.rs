//! The Discord adapter: interactions arrive over HTTP on Discord's Interactions Endpoint
//! (`POST /discord/interactions`, a route this adapter owns and the server merges at start;
//! every request's Ed25519 signature checked, bad or stale ones get 401) and are read as
//! serenity's interaction models; outgoing calls (slash command registration, DMs, follow-ups,
//! the staff channel) go through serenity's HTTP client. No conversation logic lives here.
//!
//! Discord has no free text without the gateway, so what the conversation waits for decides the
//! buttons shown: a form (a modal with the missing fields — the five fit one modal), one typed
//! answer (a one-field modal), or the conversation's own buttons. People see only their own
//! messages in a server channel (ephemeral); in DMs mistakes are ephemeral.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use eimza_protocol::Lang;
use futures_util::future::BoxFuture;
use secrecy::ExposeSecret;
use serenity::all::{
    ActionRow, ActionRowComponent, ButtonStyle, ChannelId, CommandInteraction, ComponentInteraction, CreateActionRow, CreateButton,
    CreateCommand, CreateInputText, CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, CreateModal, GuildId, InputTextStyle, Interaction, Member, MessageId, ModalInteraction, User, UserId,
};
use serenity::http::{Http, HttpBuilder};
use serenity::interactions_endpoint::Verifier;

use crate::config::DiscordConfig;
use crate::core::button::ButtonId;
use crate::core::conversation::{Expects, Field, Incoming, Input, Transport};
use crate::delivery::platforms::{Messenger, StaffChat, StaffPost};
use crate::delivery::{SendError, keep_trying};
use crate::health::CallOutcomes;
use crate::i18n::{Rendered, RenderedButton, split_at_lines};
use crate::service::desk::{AnswerTo, StaffActor, StaffDesk};
use crate::service::{ChatService, ReplyMode};

/// Discord's content limit per message.
const MAX_CONTENT_CHARS: usize = 2000;
/// A request older (or newer) than this is refused: a replayed request is no request.
const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Slash commands: Turkish name, English name, description id, what the conversation reads.
/// The same set as Telegram's menu, so every command a text names exists here too.
const COMMANDS: [(&str, &str, &str, &str); 10] = [
    ("basla", "start", "dc-cmd-renew", "/basla"),
    ("durum", "status", "dc-cmd-status", "/durum"),
    ("kart", "card", "dc-cmd-card", "/kart"),
    ("iptal", "cancel", "dc-cmd-cancel", "/iptal"),
    ("yardim", "help", "dc-cmd-help", "/yardim"),
    ("eslestir", "pair", "dc-cmd-pair", "/eslestir"),
    ("cihazlar", "devices", "dc-cmd-devices", "/cihazlar"),
    ("sil", "delete", "dc-cmd-delete", "/sil"),
    ("english", "english", "dc-cmd-english", "/english"),
    ("turkce", "turkish", "dc-cmd-turkish", "/turkce"),
];

/// The staff answer form's id: the ticket's id follows it.
const STAFF_ANSWER_MODAL: &str = "st:answer:";

pub struct Discord {
    http: Arc<Http>,
    verifier: Verifier,
    service: Arc<ChatService>,
    desk: Arc<StaffDesk>,
    config: DiscordConfig,
    /// How Discord's REST API answered lately, for `/readyz`.
    calls: Arc<CallOutcomes>,
}

/// Who sent an interaction and from where.
struct Origin {
    user_id: String,
    display_name: String,
    roles: Vec<String>,
    channel_id: u64,
    in_guild: bool,
    lang: Lang,
    /// The interaction's id: handled once.
    interaction_id: String,
}

impl Origin {
    fn of(user: &User, member: Option<&Member>, channel: ChannelId, guild: Option<GuildId>, locale: &str, id: String) -> Origin {
        let user = member.map(|m| &m.user).unwrap_or(user);
        Origin {
            user_id: user.id.get().to_string(),
            display_name: user.global_name.clone().unwrap_or_else(|| user.name.clone()),
            roles: member.map(|m| m.roles.iter().map(|r| r.get().to_string()).collect()).unwrap_or_default(),
            channel_id: channel.get(),
            in_guild: guild.is_some(),
            lang: if locale.starts_with("en") { Lang::En } else { Lang::Tr },
            interaction_id: id,
        }
    }

    fn command(c: &CommandInteraction) -> Origin {
        Origin::of(&c.user, c.member.as_deref(), c.channel_id, c.guild_id, &c.locale, c.id.get().to_string())
    }

    fn component(c: &ComponentInteraction) -> Origin {
        Origin::of(&c.user, c.member.as_ref(), c.channel_id, c.guild_id, &c.locale, c.id.get().to_string())
    }

    fn modal(m: &ModalInteraction) -> Origin {
        Origin::of(&m.user, m.member.as_ref(), m.channel_id, m.guild_id, &m.locale, m.id.get().to_string())
    }

    fn staff_actor(&self) -> StaffActor {
        StaffActor {
            transport: Transport::Discord,
            user_id: self.user_id.clone(),
            roles: self.roles.clone(),
            display_name: self.display_name.clone(),
        }
    }
}

/// What an interaction asks of us, read from serenity's model.
enum Asked {
    /// A person's input for the conversation.
    Input(Input),
    /// Open the renewal form / the one-answer form.
    FormModal,
    AnswerModal,
    /// Something of the staff channel.
    Staff(StaffAsk),
    Unknown,
}

enum StaffAsk {
    Button(ButtonId),
    OpenAnswer(i64),
    Answer { ticket_id: i64, text: String },
}

impl Discord {
    pub fn new(config: &DiscordConfig, service: Arc<ChatService>, desk: Arc<StaffDesk>) -> anyhow::Result<Arc<Discord>> {
        let key = parse_public_key(&config.public_key).ok_or_else(|| anyhow::anyhow!("discord.public_key must be 64 hex digits"))?;
        let verifier = Verifier::try_new(key).map_err(|_| anyhow::anyhow!("discord.public_key is not a valid Ed25519 key"))?;
        let token = config.token.as_ref().map(|t| t.expose_secret().trim().to_owned()).unwrap_or_default();
        let mut builder = HttpBuilder::new(token).application_id(config.application_id.into());
        if config.api_url.trim_end_matches('/') != "https://discord.com" {
            // serenity replaces `https://discord.com` in every route with this address.
            builder = builder.proxy(config.api_url.trim_end_matches('/')).ratelimiter_disabled(true);
        }
        let http = Arc::new(builder.build());
        Ok(Arc::new(Discord { http, verifier, service, desk, config: config.clone(), calls: Arc::default() }))
    }

    /// How Discord's REST API answered lately (`/readyz`).
    pub fn calls(&self) -> Arc<CallOutcomes> {
        self.calls.clone()
    }

    /// Notes how a REST call went: a failure of the link itself (no answer, 5xx, the token
    /// refused) or one that went through (a refusal about one person — a closed DM — is neither).
    fn noted<T>(&self, result: Result<T, serenity::Error>) -> Result<T, serenity::Error> {
        let now = crate::clock::now_ms();
        match &result {
            Ok(_) => self.calls.went_through(now),
            Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r))) => {
                let status = r.status_code;
                if status.is_server_error() || status.as_u16() == 401 {
                    self.calls.failed(now);
                } else {
                    self.calls.went_through(now);
                }
            }
            Err(_) => self.calls.failed(now),
        }
        result
    }

    pub fn routes(self: &Arc<Self>) -> Router {
        Router::new().route("/discord/interactions", post(interactions)).with_state(self.clone())
    }

    /// Registers the slash commands (per configured guild, else globally); retried until Discord
    /// answers.
    pub async fn run(self: Arc<Self>) {
        let texts = self.service.texts();
        let commands: Vec<CreateCommand> = COMMANDS
            .iter()
            .map(|(tr, en, description, _)| {
                CreateCommand::new(*tr)
                    .description(texts.get(Lang::Tr, description))
                    .name_localized("en-US", *en)
                    .name_localized("en-GB", *en)
                    .description_localized("en-US", texts.get(Lang::En, description))
                    .description_localized("en-GB", texts.get(Lang::En, description))
                    .dm_permission(true)
            })
            .collect();
        keep_trying("Discord: registering the slash commands", || async {
            if self.config.guild_ids.is_empty() {
                return self.noted(self.http.create_global_commands(&commands).await).map(|_| ()).map_err(|e| loggable(&e));
            }
            for guild in &self.config.guild_ids {
                self.noted(GuildId::new(*guild).set_commands(&self.http, commands.clone()).await).map_err(|e| loggable(&e))?;
            }
            Ok(())
        })
        .await;
        tracing::info!("Discord: slash commands registered");
    }

    fn is_staff_channel(&self, origin: &Origin) -> bool {
        self.config.staff_channel_id != 0 && origin.channel_id == self.config.staff_channel_id
    }

    /// One verified interaction → the response Discord shows.
    async fn interaction(&self, interaction: &Interaction) -> CreateInteractionResponse {
        let (origin, asked, token) = match interaction {
            Interaction::Ping(_) => return CreateInteractionResponse::Pong,
            Interaction::Command(c) => (Origin::command(c), self.read_command(c), c.token.clone()),
            Interaction::Component(c) => {
                let origin = Origin::component(c);
                let asked = self.read_component(c, &origin);
                (origin, asked, c.token.clone())
            }
            Interaction::Modal(m) => {
                let origin = Origin::modal(m);
                let asked = self.read_modal(m, &origin);
                (origin, asked, m.token.clone())
            }
            _ => return self.plain(Lang::Tr, "dc-unknown", true),
        };
        match asked {
            Asked::Unknown => self.plain(origin.lang, "dc-unknown", true),
            Asked::FormModal => self.form_modal(&origin).await,
            Asked::AnswerModal => answer_modal(self, &origin, &ButtonId::DiscordAnswer.encode(), "dc-answer-title"),
            Asked::Staff(ask) => self.staff_interaction(ask, &origin).await,
            Asked::Input(input) => self.converse(input, &origin, token).await,
        }
    }

    fn read_command(&self, c: &CommandInteraction) -> Asked {
        match COMMANDS.iter().find(|(tr, en, _, _)| c.data.name == *tr || c.data.name == *en) {
            Some((_, _, _, text)) => Asked::Input(Input::Text((*text).to_owned())),
            None => Asked::Unknown,
        }
    }

    fn read_component(&self, c: &ComponentInteraction, origin: &Origin) -> Asked {
        let button = ButtonId::parse(&c.data.custom_id);
        match button {
            Some(ButtonId::StaffReply(ticket)) => Asked::Staff(StaffAsk::OpenAnswer(ticket)),
            Some(b) if b.is_staff() => Asked::Staff(StaffAsk::Button(b)),
            // Only the desk's own buttons work in the staff channel.
            _ if self.is_staff_channel(origin) => Asked::Unknown,
            Some(ButtonId::DiscordForm) => Asked::FormModal,
            Some(ButtonId::DiscordAnswer) => Asked::AnswerModal,
            Some(b) => Asked::Input(Input::Button(b)),
            None => Asked::Input(Input::UnknownButton),
        }
    }

    fn read_modal(&self, m: &ModalInteraction, origin: &Origin) -> Asked {
        let id = m.data.custom_id.as_str();
        if let Some(ticket) = id.strip_prefix(STAFF_ANSWER_MODAL).and_then(|t| t.parse().ok()) {
            return Asked::Staff(StaffAsk::Answer {
                ticket_id: ticket,
                text: modal_value(&m.data.components, "answer").unwrap_or_default(),
            });
        }
        if self.is_staff_channel(origin) {
            return Asked::Unknown;
        }
        match ButtonId::parse(id) {
            Some(ButtonId::DiscordAnswer) => Asked::Input(Input::Text(modal_value(&m.data.components, "answer").unwrap_or_default())),
            Some(ButtonId::DiscordForm) => Asked::Input(Input::Fields(
                Field::ORDER.into_iter().filter_map(|f| modal_value(&m.data.components, f.code()).map(|v| (f, v))).collect(),
            )),
            _ => Asked::Unknown,
        }
    }

    /// A person's turn: the replies as the response, with the button that opens the form the
    /// conversation waits for.
    async fn converse(&self, input: Input, origin: &Origin, token: String) -> CreateInteractionResponse {
        let incoming = Incoming {
            transport: Transport::Discord,
            user_id: origin.user_id.clone(),
            input,
            lang_hint: Some(origin.lang),
            update_id: Some(origin.interaction_id.clone()),
            // Nothing a person types into a slash command or a modal stays in the channel.
            can_delete: true,
        };
        match self.service.handle(&incoming, ReplyMode::Immediate).await {
            Ok(handled) if handled.duplicate => CreateInteractionResponse::Acknowledge,
            Ok(handled) => {
                let mut message = join(&handled.replies);
                let extra = match &handled.expects {
                    Expects::Fields(fields) if !fields.is_empty() => Some((ButtonId::DiscordForm, "dc-fill-form")),
                    Expects::Text => Some((ButtonId::DiscordAnswer, "dc-answer")),
                    _ => None,
                };
                if let Some((id, label)) = extra {
                    message.buttons.push(RenderedButton { id: id.encode(), label: self.service.texts().get(handled.lang, label) });
                }
                self.respond(token, message, origin.in_guild || handled.mistake)
            }
            Err(e) => {
                tracing::error!(error = %e, "Discord: handling an interaction failed");
                self.respond(token, self.service.apology(origin.lang), true)
            }
        }
    }

    /// The response for a message; what does not fit in 2,000 characters follows as follow-ups.
    fn respond(&self, token: String, message: Rendered, ephemeral: bool) -> CreateInteractionResponse {
        let mut parts = split_at_lines(&message.text, MAX_CONTENT_CHARS);
        let first = parts.remove(0);
        let rows = action_rows(if parts.is_empty() { &message.buttons } else { &[] });
        let reply = CreateInteractionResponseMessage::new().content(first).components(rows).ephemeral(ephemeral);
        if !parts.is_empty() {
            let http = self.http.clone();
            let buttons = message.buttons.clone();
            tokio::spawn(async move {
                let last = parts.len() - 1;
                for (i, part) in parts.into_iter().enumerate() {
                    let rows = if i == last { action_rows(&buttons) } else { vec![] };
                    let followup = CreateInteractionResponseFollowup::new().content(part).components(rows).ephemeral(ephemeral);
                    if let Err(e) = http.create_followup_message(&token, &followup, vec![]).await {
                        tracing::warn!(error = %loggable(&e), "Discord: a follow-up message failed");
                    }
                }
            });
        }
        CreateInteractionResponse::Message(reply)
    }

    fn plain(&self, lang: Lang, id: &str, ephemeral: bool) -> CreateInteractionResponse {
        let text = self.service.texts().get(lang, id);
        CreateInteractionResponse::Message(CreateInteractionResponseMessage::new().content(text).ephemeral(ephemeral))
    }

    /// The renewal form as a modal: the fields still missing that the chat may ask.
    async fn form_modal(&self, origin: &Origin) -> CreateInteractionResponse {
        let via_web = self.service.settings().web_form.contains(&Transport::Discord);
        let fields: Vec<Field> = Field::ORDER.into_iter().filter(|f| !(via_web && f.is_sensitive())).collect();
        let texts = self.service.texts();
        // What was accepted before is filled in: after a mistake only the wrong field needs typing.
        let known = self.service.form_defaults(Transport::Discord, &origin.user_id).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "Discord: the form's earlier answers could not be read");
            vec![]
        });
        let rows = fields
            .iter()
            .map(|f| {
                let mut input = CreateInputText::new(InputTextStyle::Short, texts.get(origin.lang, f.label_id()), f.code()).max_length(200);
                if let Some((_, value)) = known.iter().find(|(k, _)| k == f) {
                    input = input.value(value.clone());
                }
                CreateActionRow::InputText(input)
            })
            .collect();
        CreateInteractionResponse::Modal(
            CreateModal::new(ButtonId::DiscordForm.encode(), texts.get(origin.lang, "dc-form-title")).components(rows),
        )
    }

    // -----------------------------------------------------------------------------------------
    // the staff channel

    async fn staff_interaction(&self, ask: StaffAsk, origin: &Origin) -> CreateInteractionResponse {
        let actor = origin.staff_actor();
        let update = Some(origin.interaction_id.as_str());
        let answer = match ask {
            StaffAsk::OpenAnswer(ticket) if self.desk.roster().may_act(&actor) => {
                return answer_modal(self, origin, &format!("{STAFF_ANSWER_MODAL}{ticket}"), "dc-staff-answer-title");
            }
            StaffAsk::OpenAnswer(ticket) => self.desk.answer(&actor, &AnswerTo::Ticket(ticket), "", update).await,
            StaffAsk::Answer { ticket_id, text } => self.desk.answer(&actor, &AnswerTo::Ticket(ticket_id), &text, update).await,
            StaffAsk::Button(button) => self.desk.act(&actor, &button, update).await,
        };
        match answer {
            // A refusal is for the presser only; what staff did the channel sees.
            Ok(Some(answer)) => CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new().content(answer.shown.text).ephemeral(!answer.allowed),
            ),
            Ok(None) => CreateInteractionResponse::Acknowledge,
            Err(e) => {
                tracing::error!(error = %e, "Discord: a staff action failed");
                self.plain(Lang::Tr, "internal-error", true)
            }
        }
    }

    async fn dm_channel(&self, user_id: &str) -> Result<ChannelId, SendError> {
        let user: u64 = user_id.parse().map_err(|_| SendError::Permanent("not a Discord user id".into()))?;
        let channel = self.noted(UserId::new(user.max(1)).create_dm_channel(&*self.http).await).map_err(send_error)?;
        Ok(channel.id)
    }

    async fn send_to(&self, channel: ChannelId, message: &Rendered, reply_to: Option<MessageId>) -> Result<MessageId, SendError> {
        let parts = split_at_lines(&message.text, MAX_CONTENT_CHARS);
        let last = parts.len() - 1;
        let mut id = None;
        for (i, part) in parts.into_iter().enumerate() {
            // Staff posts carry applicants' words: nobody is pinged by them.
            let mut create = CreateMessage::new().content(part).allowed_mentions(serenity::all::CreateAllowedMentions::new());
            if i == last {
                create = create.components(action_rows(&message.buttons));
            }
            if let (0, Some(to)) = (i, reply_to) {
                create = create.reference_message((channel, to));
            }
            id = Some(self.noted(self.http.send_message(channel, vec![], &create).await).map_err(send_error)?.id);
        }
        id.ok_or_else(|| SendError::Permanent("empty message".into()))
    }
}

fn answer_modal(discord: &Discord, origin: &Origin, custom_id: &str, title_id: &str) -> CreateInteractionResponse {
    let texts = discord.service.texts();
    let input = CreateInputText::new(InputTextStyle::Paragraph, texts.get(origin.lang, "dc-answer-label"), "answer").max_length(1500);
    CreateInteractionResponse::Modal(
        CreateModal::new(custom_id, texts.get(origin.lang, title_id)).components(vec![CreateActionRow::InputText(input)]),
    )
}

/// The value of a modal's text input by its custom id.
fn modal_value(rows: &[ActionRow], id: &str) -> Option<String> {
    rows.iter().flat_map(|row| &row.components).find_map(|c| match c {
        ActionRowComponent::InputText(input) if input.custom_id == id => input.value.clone(),
        _ => None,
    })
}

/// Several replies of one turn as one Discord message: the texts in order, all buttons.
fn join(replies: &[Rendered]) -> Rendered {
    Rendered {
        text: replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n\n"),
        buttons: replies.iter().flat_map(|r| r.buttons.clone()).collect(),
        pin_warning: None,
    }
}

/// Buttons in rows of five (Discord's limit: five rows).
fn action_rows(buttons: &[RenderedButton]) -> Vec<CreateActionRow> {
    buttons
        .iter()
        .filter(|b| b.id.len() <= 100)
        .take(25)
        .map(|b| {
            let style = if matches!(ButtonId::parse(&b.id), Some(ButtonId::DiscordForm | ButtonId::DiscordAnswer)) {
                ButtonStyle::Success
            } else {
                ButtonStyle::Primary
            };
            CreateButton::new(b.id.clone()).label(b.label.chars().take(80).collect::<String>()).style(style)
        })
        .collect::<Vec<_>>()
        .chunks(5)
        .map(|row| CreateActionRow::Buttons(row.to_vec()))
        .collect()
}

fn parse_public_key(hex: &str) -> Option<[u8; 32]> {
    let hex = hex.trim();
    if hex.len() != 64 {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, byte) in key.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(key)
}

/// An error as the log may show it: a follow-up's URL holds the interaction's token.
fn loggable(e: &serenity::Error) -> String {
    let text = e.to_string();
    match text.find("/webhooks/") {
        Some(at) => format!("{}/webhooks/…", &text[..at]),
        None => text,
    }
}

fn send_error(e: serenity::Error) -> SendError {
    let shown = loggable(&e);
    match &e {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r))
            if r.status_code.is_client_error() && r.status_code.as_u16() != 429 =>
        {
            SendError::Permanent(shown)
        }
        _ => SendError::Temporary(shown),
    }
}

/// Discord's call: the signature over timestamp + body must verify with the application's key,
/// and the timestamp must be recent; then the body must be an interaction.
async fn interactions(State(discord): State<Arc<Discord>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (signature, timestamp) = (header("x-signature-ed25519"), header("x-signature-timestamp"));
    let fresh = timestamp.parse::<i64>().is_ok_and(|t| (crate::clock::now_ms() / 1000 - t).abs() <= MAX_CLOCK_SKEW_SECS);
    if !fresh || discord.verifier.verify(&signature, &timestamp, &body).is_err() {
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    let interaction = match serde_json::from_slice::<Interaction>(&body) {
        Ok(i) => i,
        Err(e) => {
            tracing::info!(error = %e, "Discord: a signed request that is no interaction we can read");
            return (StatusCode::BAD_REQUEST, "not an interaction").into_response();
        }
    };
    axum::Json(discord.interaction(&interaction).await).into_response()
}

impl Messenger for Discord {
    fn send<'a>(&'a self, user_id: &'a str, message: &'a Rendered) -> BoxFuture<'a, Result<(), SendError>> {
        Box::pin(async move {
            let channel = self.dm_channel(user_id).await?;
            self.send_to(channel, message, None).await.map(|_| ())
        })
    }
}

impl StaffChat for Discord {
    fn post<'a>(&'a self, post: &'a StaffPost) -> BoxFuture<'a, Result<(String, String), SendError>> {
        Box::pin(async move {
            let channel = ChannelId::new(self.config.staff_channel_id.max(1));
            // Discord cannot read replies without the gateway: an "Answer" button opens a form.
            let mut message = post.message.clone();
            // What applicants typed (a name, a question) shows as typed, never as formatting or
            // a link: the staff see `**urgent**`, not bold.
            // The daily digest is ours alone (numbers, states, links) and stays clickable.
            if let Some(ticket_id) = post.ticket_id {
                message.text = escape_markdown(&message.text);
                let label = self.service.texts().get(Lang::Tr, "btn-staff-answer");
                message.buttons.push(RenderedButton { id: ButtonId::StaffReply(ticket_id).encode(), label });
            }
            let reply_to = post.reply_to.as_ref().and_then(|(_, m)| m.parse::<u64>().ok()).filter(|m| *m != 0).map(MessageId::new);
            let id = self.send_to(channel, &message, reply_to).await?;
            Ok((channel.get().to_string(), id.get().to_string()))
        })
    }
}

/// Discord's markdown made literal: every character it gives a meaning gets a backslash.
fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '*' | '_' | '~' | '`' | '|' | '>' | '#' | '[' | ']' | '(' | ')' | '<' | '@') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applicant_text_is_not_markdown() {
        assert_eq!(
            escape_markdown("**acil** __x__ `kod` ||gizli|| [tıkla](https://evil.example) @everyone"),
            "\\*\\*acil\\*\\* \\_\\_x\\_\\_ \\`kod\\` \\|\\|gizli\\|\\| \\[tıkla\\]\\(https://evil.example\\) \\@everyone"
        );
        assert_eq!(escape_markdown("Ayşe Yılmaz"), "Ayşe Yılmaz");
    }

    #[test]
    fn public_keys_are_64_hex_digits() {
        assert!(parse_public_key(&"ab".repeat(32)).is_some());
        assert!(parse_public_key("abc").is_none());
        assert!(parse_public_key(&"zz".repeat(32)).is_none());
    }

    #[test]
    fn modal_values_are_found_by_id() {
        let rows: Vec<ActionRow> = serde_json::from_value(serde_json::json!([
            { "type": 1, "components": [{ "type": 4, "custom_id": "name", "value": "Ilgaz Işık" }] },
            { "type": 1, "components": [{ "type": 4, "custom_id": "email", "value": "x@kurum.gov.tr" }] },
        ]))
        .unwrap();
        assert_eq!(modal_value(&rows, "name").as_deref(), Some("Ilgaz Işık"));
        assert_eq!(modal_value(&rows, "tckn"), None);
        assert_eq!(modal_value(&[], "name"), None);
    }

    #[test]
    fn many_buttons_fit_discord() {
        let buttons: Vec<RenderedButton> = (0..7).map(|i| RenderedButton { id: format!("b{i}"), label: "x".into() }).collect();
        assert_eq!(action_rows(&buttons).len(), 2);
    }
}
