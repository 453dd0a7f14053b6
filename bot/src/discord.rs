//! The Discord adapter: interactions arrive over HTTP on Discord's Interactions Endpoint
//! (`POST /discord/interactions`, every request's Ed25519 signature checked; bad or stale ones get
//! 401); outgoing calls (slash command registration, DMs, follow-ups, the staff channel) go through
//! serenity's HTTP client. No conversation logic lives here.
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
use serde_json::{Value, json};
use serenity::all::{
    ButtonStyle, ChannelId, CreateActionRow, CreateButton, CreateCommand, CreateInputText, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage, CreateModal, GuildId, InputTextStyle, MessageId,
    UserId,
};
use serenity::http::{Http, HttpBuilder};
use serenity::interactions_endpoint::Verifier;

use crate::config::DiscordConfig;
use crate::conversation::{Expects, Field, Incoming, Input, Transport};
use crate::delivery::SendError;
use crate::i18n::{Rendered, RenderedButton};
use crate::platform::{Messenger, StaffChat, StaffPost};
use crate::service::ChatService;
use crate::staff_desk::{self, StaffActor, StaffDesk};

/// Discord's content limit per message.
const MAX_CONTENT_CHARS: usize = 2000;
/// A request older (or newer) than this is refused: a replayed request is no request.
const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// Interaction types (Discord API).
const PING: u64 = 1;
const APPLICATION_COMMAND: u64 = 2;
const MESSAGE_COMPONENT: u64 = 3;
const MODAL_SUBMIT: u64 = 5;

/// Slash commands: Turkish name, English name, description id, what the conversation reads.
const COMMANDS: [(&str, &str, &str, &str); 5] = [
    ("yenileme", "renew", "dc-cmd-renew", "/yenileme"),
    ("durum", "status", "dc-cmd-status", "/durum"),
    ("iptal", "cancel", "dc-cmd-cancel", "/iptal"),
    ("yardim", "help", "dc-cmd-help", "/yardim"),
    ("sil", "delete", "dc-cmd-delete", "/sil"),
];

const FORM_BUTTON: &str = "dc:form";
const ANSWER_BUTTON: &str = "dc:answer";
const STAFF_ANSWER_MODAL: &str = "st:answer:";

pub struct Discord {
    http: Arc<Http>,
    verifier: Verifier,
    service: Arc<ChatService>,
    desk: Arc<StaffDesk>,
    config: DiscordConfig,
}

/// Who sent an interaction and from where.
struct Origin {
    user_id: String,
    display_name: String,
    roles: Vec<String>,
    channel_id: u64,
    in_guild: bool,
    lang: Lang,
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
        Ok(Arc::new(Discord { http, verifier, service, desk, config: config.clone() }))
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
        let mut delay = std::time::Duration::from_secs(1);
        loop {
            let result = if self.config.guild_ids.is_empty() {
                self.http.create_global_commands(&commands).await.map(|_| ())
            } else {
                let mut result = Ok(());
                for guild in &self.config.guild_ids {
                    if let Err(e) = GuildId::new(*guild).set_commands(&self.http, commands.clone()).await {
                        result = Err(e);
                    }
                }
                result
            };
            match result {
                Ok(()) => return tracing::info!("Discord: slash commands registered"),
                Err(e) => {
                    tracing::warn!(error = %loggable(&e), "Discord: registering the slash commands failed; will retry");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(60));
                }
            }
        }
    }

    /// One verified interaction → the response Discord shows.
    async fn interaction(&self, body: &Value) -> Value {
        let kind = body["type"].as_u64().unwrap_or(0);
        if kind == PING {
            return json!({ "type": 1 });
        }
        let origin = origin(body);
        let data = &body["data"];
        let custom_id = data["custom_id"].as_str().unwrap_or_default();
        let is_staff_place = self.config.staff_channel_id != 0 && origin.channel_id == self.config.staff_channel_id;
        if custom_id.starts_with("st:") || is_staff_place {
            return self.staff_interaction(kind, custom_id, data, &origin).await;
        }
        let input = match kind {
            APPLICATION_COMMAND => {
                let name = data["name"].as_str().unwrap_or_default();
                match COMMANDS.iter().find(|(tr, en, _, _)| name == *tr || name == *en) {
                    Some((_, _, _, text)) => Input::Text((*text).to_owned()),
                    None => return self.plain(&origin, "dc-unknown", true),
                }
            }
            MESSAGE_COMPONENT if custom_id == FORM_BUTTON => return self.form_modal(&origin).await,
            MESSAGE_COMPONENT if custom_id == ANSWER_BUTTON => return answer_modal(&origin, self, ANSWER_BUTTON, "dc-answer-title"),
            MESSAGE_COMPONENT => Input::Button(custom_id.to_owned()),
            MODAL_SUBMIT if custom_id == ANSWER_BUTTON => Input::Text(modal_value(data, "answer").unwrap_or_default()),
            MODAL_SUBMIT if custom_id == FORM_BUTTON => {
                Input::Fields(Field::ORDER.into_iter().filter_map(|f| modal_value(data, f.code()).map(|v| (f, v))).collect())
            }
            _ => return self.plain(&origin, "dc-unknown", true),
        };
        let incoming = Incoming {
            transport: Transport::Discord,
            user_id: origin.user_id.clone(),
            input,
            lang_hint: Some(origin.lang),
            update_id: body["id"].as_str().map(str::to_owned),
            // Nothing a person types into a slash command or a modal stays in the channel.
            can_delete: true,
        };
        match self.service.handle(&incoming).await {
            Ok(handled) if handled.duplicate => json!({ "type": 6 }),
            Ok(handled) => {
                let mut message = join(&handled.replies);
                let texts = self.service.texts();
                let extra = match &handled.expects {
                    Expects::Fields(fields) if !fields.is_empty() => Some((FORM_BUTTON, "dc-fill-form")),
                    Expects::Text => Some((ANSWER_BUTTON, "dc-answer")),
                    _ => None,
                };
                if let Some((id, label)) = extra {
                    message.buttons.push(RenderedButton { id: id.to_owned(), label: texts.get(handled.lang, label) });
                }
                let ephemeral = origin.in_guild || handled.mistake;
                self.respond(body, message, ephemeral)
            }
            Err(e) => {
                tracing::error!(error = %e, "Discord: handling an interaction failed");
                let apology = self.service.apology(origin.lang);
                self.respond(body, apology, true)
            }
        }
    }

    /// The response for a message; what does not fit in 2,000 characters follows as follow-ups.
    fn respond(&self, body: &Value, message: Rendered, ephemeral: bool) -> Value {
        let mut parts = split(&message.text, MAX_CONTENT_CHARS);
        let first = parts.remove(0);
        let rows = action_rows(if parts.is_empty() { &message.buttons } else { &[] });
        let mut reply = CreateInteractionResponseMessage::new().content(first).components(rows).ephemeral(ephemeral);
        if parts.is_empty() && message.buttons.is_empty() {
            reply = reply.components(vec![]);
        }
        if !parts.is_empty() {
            let token = body["token"].as_str().unwrap_or_default().to_owned();
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
        serde_json::to_value(CreateInteractionResponse::Message(reply)).unwrap_or(json!({ "type": 4, "data": { "content": "…" } }))
    }

    fn plain(&self, origin: &Origin, id: &str, ephemeral: bool) -> Value {
        let text = self.service.texts().get(origin.lang, id);
        let reply = CreateInteractionResponseMessage::new().content(text).ephemeral(ephemeral);
        serde_json::to_value(CreateInteractionResponse::Message(reply)).unwrap_or_default()
    }

    /// The renewal form as a modal: the fields still missing that the chat may ask.
    async fn form_modal(&self, origin: &Origin) -> Value {
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
        let modal = CreateModal::new(FORM_BUTTON, texts.get(origin.lang, "dc-form-title")).components(rows);
        serde_json::to_value(CreateInteractionResponse::Modal(modal)).unwrap_or_default()
    }

    // -----------------------------------------------------------------------------------------
    // the staff channel

    async fn staff_interaction(&self, kind: u64, custom_id: &str, data: &Value, origin: &Origin) -> Value {
        let actor = StaffActor {
            transport: Transport::Discord,
            user_id: origin.user_id.clone(),
            roles: origin.roles.clone(),
            display_name: origin.display_name.clone(),
        };
        let allowed = self.desk.roster().may_act(&actor);
        let shown = match (kind, staff_desk::parse_reply_button(custom_id)) {
            (MESSAGE_COMPONENT, Some(ticket)) if allowed => {
                return answer_modal(origin, self, &format!("{STAFF_ANSWER_MODAL}{ticket}"), "dc-staff-answer-title");
            }
            (MODAL_SUBMIT, _) if custom_id.starts_with(STAFF_ANSWER_MODAL) => {
                let ticket = custom_id[STAFF_ANSWER_MODAL.len()..].parse().unwrap_or(0);
                self.desk.answer(&actor, ticket, &modal_value(data, "answer").unwrap_or_default()).await
            }
            (MESSAGE_COMPONENT, _) if StaffDesk::is_staff_button(custom_id) => self.desk.act(&actor, custom_id).await,
            _ => Ok(Rendered { text: self.service.texts().get(Lang::Tr, "dc-guild-only"), buttons: vec![] }),
        };
        let shown = shown.unwrap_or_else(|e| {
            tracing::error!(error = %e, "Discord: a staff action failed");
            self.service.apology(Lang::Tr)
        });
        // A refusal is for the presser only; what staff did the channel sees.
        let reply = CreateInteractionResponseMessage::new().content(shown.text).ephemeral(!allowed);
        serde_json::to_value(CreateInteractionResponse::Message(reply)).unwrap_or_default()
    }

    async fn dm_channel(&self, user_id: &str) -> Result<ChannelId, SendError> {
        let user: u64 = user_id.parse().map_err(|_| SendError::Permanent("not a Discord user id".into()))?;
        let channel = UserId::new(user.max(1)).create_dm_channel(&*self.http).await.map_err(send_error)?;
        Ok(channel.id)
    }

    async fn send_to(&self, channel: ChannelId, message: &Rendered, reply_to: Option<MessageId>) -> Result<MessageId, SendError> {
        let parts = split(&message.text, MAX_CONTENT_CHARS);
        let last = parts.len() - 1;
        let mut id = None;
        for (i, part) in parts.into_iter().enumerate() {
            let mut create = CreateMessage::new().content(part);
            if i == last {
                create = create.components(action_rows(&message.buttons));
            }
            if let (0, Some(to)) = (i, reply_to) {
                create = create.reference_message((channel, to));
            }
            id = Some(self.http.send_message(channel, vec![], &create).await.map_err(send_error)?.id);
        }
        id.ok_or_else(|| SendError::Permanent("empty message".into()))
    }
}

fn answer_modal(origin: &Origin, discord: &Discord, custom_id: &str, title_id: &str) -> Value {
    let texts = discord.service.texts();
    let input = CreateInputText::new(InputTextStyle::Paragraph, texts.get(origin.lang, "dc-answer-label"), "answer").max_length(1500);
    let modal = CreateModal::new(custom_id, texts.get(origin.lang, title_id)).components(vec![CreateActionRow::InputText(input)]);
    serde_json::to_value(CreateInteractionResponse::Modal(modal)).unwrap_or_default()
}

fn origin(body: &Value) -> Origin {
    let member = &body["member"];
    let user = if member.is_object() { &member["user"] } else { &body["user"] };
    let display_name = user["global_name"].as_str().or(user["username"].as_str()).unwrap_or("?").to_owned();
    let roles = member["roles"].as_array().map(|r| r.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect()).unwrap_or_default();
    let channel_id = body["channel_id"].as_str().or(body["channel"]["id"].as_str()).and_then(|c| c.parse().ok()).unwrap_or(0);
    let lang = match body["locale"].as_str() {
        Some(l) if l.starts_with("en") => Lang::En,
        _ => Lang::Tr,
    };
    Origin {
        user_id: user["id"].as_str().unwrap_or_default().to_owned(),
        display_name,
        roles,
        channel_id,
        in_guild: body["guild_id"].is_string(),
        lang,
    }
}

/// The value of a modal's text input by its custom id.
fn modal_value(data: &Value, id: &str) -> Option<String> {
    data["components"]
        .as_array()?
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find(|c| c["custom_id"] == id)
        .and_then(|c| c["value"].as_str().map(str::to_owned))
}

/// Several replies of one turn as one Discord message: the texts in order, all buttons.
fn join(replies: &[Rendered]) -> Rendered {
    Rendered {
        text: replies.iter().map(|r| r.text.as_str()).collect::<Vec<_>>().join("\n\n"),
        buttons: replies.iter().flat_map(|r| r.buttons.clone()).collect(),
    }
}

/// Buttons in rows of five (Discord's limit: five rows).
fn action_rows(buttons: &[RenderedButton]) -> Vec<CreateActionRow> {
    buttons
        .iter()
        .filter(|b| b.id.len() <= 100)
        .take(25)
        .map(|b| {
            let style = if b.id.starts_with("dc:") { ButtonStyle::Success } else { ButtonStyle::Primary };
            CreateButton::new(b.id.clone()).label(b.label.chars().take(80).collect::<String>()).style(style)
        })
        .collect::<Vec<_>>()
        .chunks(5)
        .map(|row| CreateActionRow::Buttons(row.to_vec()))
        .collect()
}

fn split(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        for c in line.chars() {
            if current.chars().count() >= max {
                parts.push(std::mem::take(&mut current));
            }
            current.push(c);
        }
        if current.chars().count() > max * 9 / 10 {
            parts.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
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
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(r)) if r.status_code.is_client_error() && r.status_code.as_u16() != 429 => {
            SendError::Permanent(shown)
        }
        _ => SendError::Temporary(shown),
    }
}

/// Discord's call: the signature over timestamp + body must verify with the application's key,
/// and the timestamp must be recent.
async fn interactions(State(discord): State<Arc<Discord>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (signature, timestamp) = (header("x-signature-ed25519"), header("x-signature-timestamp"));
    let fresh = timestamp.parse::<i64>().is_ok_and(|t| (crate::clock::now_ms() / 1000 - t).abs() <= MAX_CLOCK_SKEW_SECS);
    if !fresh || discord.verifier.verify(&signature, &timestamp, &body).is_err() {
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "not JSON").into_response();
    };
    axum::Json(discord.interaction(&value).await).into_response()
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
            let label = self.service.texts().get(Lang::Tr, "btn-staff-answer");
            message.buttons.push(RenderedButton { id: staff_desk::reply_button_id(post.ticket_id), label });
            let reply_to = post.reply_to.as_ref().and_then(|(_, m)| m.parse::<u64>().ok()).filter(|m| *m != 0).map(MessageId::new);
            let id = self.send_to(channel, &message, reply_to).await?;
            Ok((channel.get().to_string(), id.get().to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_keys_are_64_hex_digits() {
        assert!(parse_public_key(&"ab".repeat(32)).is_some());
        assert!(parse_public_key("abc").is_none());
        assert!(parse_public_key(&"zz".repeat(32)).is_none());
    }

    #[test]
    fn modal_values_are_found_by_id() {
        let data = json!({ "components": [
            { "type": 1, "components": [{ "type": 4, "custom_id": "name", "value": "Ilgaz Işık" }] },
            { "type": 1, "components": [{ "type": 4, "custom_id": "email", "value": "x@kurum.gov.tr" }] },
        ]});
        assert_eq!(modal_value(&data, "name").as_deref(), Some("Ilgaz Işık"));
        assert_eq!(modal_value(&data, "tckn"), None);
        assert_eq!(modal_value(&json!({}), "name"), None);
    }

    #[test]
    fn long_texts_and_many_buttons_fit_discord() {
        let parts = split(&"ğ".repeat(4500), 2000);
        assert!(parts.iter().all(|p| p.chars().count() <= 2000));
        assert_eq!(parts.concat(), "ğ".repeat(4500));
        let buttons: Vec<RenderedButton> = (0..7).map(|i| RenderedButton { id: format!("b{i}"), label: "x".into() }).collect();
        assert_eq!(action_rows(&buttons).len(), 2);
    }
}
