//! A local stand-in for Discord: the REST API the bot calls through serenity's HTTP client
//! (pointed here), and signed interaction requests sent to the bot's Interactions Endpoint with
//! a test Ed25519 key, as Discord would send them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{Value, json};

pub const APPLICATION_ID: u64 = 777_000_111;
pub const GUILD_ID: u64 = 888_000_222;
pub const STAFF_CHANNEL: u64 = 555_000_333;
pub const STAFF_ROLE: u64 = 444_000_999;
const BOT_USER: &str = "777000112";

/// A message the bot posted through the REST API.
#[derive(Clone, Debug)]
pub struct Posted {
    pub channel_id: u64,
    pub message_id: u64,
    pub content: String,
    /// (custom id, label) of its buttons.
    pub buttons: Vec<(String, String)>,
    pub reply_to: Option<u64>,
}

#[derive(Default)]
struct Inner {
    requests: Vec<(String, String, Value)>,
    posted: Vec<Posted>,
    next_id: u64,
    /// DM channel id per user id.
    dms: Vec<(String, u64)>,
}

#[derive(Clone)]
pub struct DiscordApi {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    key: Arc<SigningKey>,
}

/// What the bot answered to an interaction.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn kind(&self) -> u64 {
        self.body["type"].as_u64().unwrap_or(0)
    }
    pub fn content(&self) -> String {
        self.body["data"]["content"].as_str().unwrap_or_default().to_owned()
    }
    pub fn ephemeral(&self) -> bool {
        self.body["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0
    }
    /// Custom ids of the buttons.
    pub fn buttons(&self) -> Vec<String> {
        buttons_of(&self.body["data"]["components"]).into_iter().map(|(id, _)| id).collect()
    }
    pub fn labels(&self) -> Vec<String> {
        buttons_of(&self.body["data"]["components"]).into_iter().map(|(_, l)| l).collect()
    }
    /// A modal's pre-filled values: (custom id, value).
    pub fn modal_values(&self) -> Vec<(String, String)> {
        self.modal_inputs().iter().filter_map(|c| Some((c["custom_id"].as_str()?.to_owned(), c["value"].as_str()?.to_owned()))).collect()
    }

    /// A modal's text inputs: (custom id, label).
    pub fn modal_fields(&self) -> Vec<(String, String)> {
        self.modal_inputs()
            .iter()
            .map(|c| (c["custom_id"].as_str().unwrap_or("").to_owned(), c["label"].as_str().unwrap_or("").to_owned()))
            .collect()
    }

    fn modal_inputs(&self) -> Vec<Value> {
        let rows = self.body["data"]["components"].as_array().cloned().unwrap_or_default();
        rows.iter().flat_map(|row| row["components"].as_array().cloned().unwrap_or_default()).collect()
    }
}

fn buttons_of(rows: &Value) -> Vec<(String, String)> {
    rows.as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["type"] == 2)
        .map(|c| (c["custom_id"].as_str().unwrap_or("").to_owned(), c["label"].as_str().unwrap_or("").to_owned()))
        .collect()
}

/// Who acts: a person in a DM, or a member of the staff guild with roles.
#[derive(Clone, Debug)]
pub enum Who {
    Dm { user: u64, locale: &'static str },
    Member { user: u64, name: &'static str, roles: Vec<u64>, channel: u64 },
}

impl DiscordApi {
    pub async fn start() -> DiscordApi {
        let key = Arc::new(SigningKey::from_bytes(&[42u8; 32]));
        let inner = Arc::new(Mutex::new(Inner { next_id: 1_000_000, ..Inner::default() }));
        let api = DiscordApi { url: String::new(), inner, key };
        let app = Router::new().route("/{*path}", any(rest)).with_state(api.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        DiscordApi { url, ..api }
    }

    pub fn public_key_hex(&self) -> String {
        self.key.verifying_key().to_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn bot_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("EIMZA_DISCORD__TOKEN", "discord-test-token".into()),
            ("EIMZA_DISCORD__APPLICATION_ID", APPLICATION_ID.to_string()),
            ("EIMZA_DISCORD__PUBLIC_KEY", self.public_key_hex()),
            ("EIMZA_DISCORD__API_URL", self.url.clone()),
            ("EIMZA_DISCORD__GUILD_IDS", format!("[{GUILD_ID}]")),
            ("EIMZA_DISCORD__STAFF_CHANNEL_ID", STAFF_CHANNEL.to_string()),
            ("EIMZA_DISCORD__STAFF_ROLE_IDS", format!("[{STAFF_ROLE}]")),
        ]
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn requests(&self) -> Vec<(String, String, Value)> {
        self.lock().requests.clone()
    }

    pub fn posted(&self) -> Vec<Posted> {
        self.lock().posted.clone()
    }

    /// The DM channel the bot opened with a user, if any.
    pub fn dm_of(&self, user: u64) -> Option<u64> {
        self.lock().dms.iter().find(|(u, _)| *u == user.to_string()).map(|(_, c)| *c)
    }

    /// Waits for a message in `channel` containing `needle` (after `skip` messages there).
    pub async fn wait_for(&self, channel: impl Fn(&DiscordApi) -> Option<u64>, skip: usize, needle: &str) -> Posted {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(c) = channel(self) {
                let here: Vec<Posted> = self.posted().into_iter().filter(|p| p.channel_id == c).collect();
                if let Some(found) = here.into_iter().skip(skip).find(|p| p.content.contains(needle)) {
                    return found;
                }
            }
            if Instant::now() > deadline {
                panic!("no Discord message with {needle:?}; posted: {:#?}", self.posted());
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Sends an interaction to the bot, signed like Discord signs it.
    pub async fn send(&self, bot_url: &str, interaction: Value) -> Answer {
        let body = serde_json::to_vec(&interaction).unwrap();
        let timestamp = (std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()).to_string();
        let signature = self.sign(&timestamp, &body);
        self.send_raw(bot_url, &timestamp, &signature, body).await
    }

    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        let signature = self.key.sign(&[timestamp.as_bytes(), body].concat());
        signature.to_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    pub async fn send_raw(&self, bot_url: &str, timestamp: &str, signature: &str, body: Vec<u8>) -> Answer {
        let r = reqwest::Client::new()
            .post(format!("{bot_url}/discord/interactions"))
            .header("X-Signature-Ed25519", signature)
            .header("X-Signature-Timestamp", timestamp)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        Answer { status, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) }
    }

    fn base(&self, kind: u64, who: &Who, data: Value) -> Value {
        let id = {
            let mut inner = self.lock();
            inner.next_id += 1;
            inner.next_id
        };
        // As Discord documents the interaction object (what serenity's models read).
        let mut v = json!({
            "id": id.to_string(), "application_id": APPLICATION_ID.to_string(), "type": kind,
            "token": format!("itoken-{id}"), "version": 1, "data": data,
            "app_permissions": "0", "entitlements": [], "attachment_size_limit": 10_485_760,
            "authorizing_integration_owners": { "0": GUILD_ID.to_string() },
        });
        match who {
            Who::Dm { user, locale } => {
                v["user"] = json!({ "id": user.to_string(), "username": "ilgaz", "global_name": "Ilgaz Işık", "discriminator": "0", "avatar": null });
                v["channel_id"] = json!(format!("9{user}"));
                v["channel"] = json!({ "id": format!("9{user}"), "type": 1 });
                v["locale"] = json!(locale);
                v["context"] = json!(1);
            }
            Who::Member { user, name, roles, channel } => {
                v["member"] = json!({
                    "user": { "id": user.to_string(), "username": "staff", "global_name": name, "discriminator": "0", "avatar": null },
                    "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
                    "joined_at": "2026-01-05T09:00:00.000000+00:00", "deaf": false, "mute": false, "flags": 0, "permissions": "0",
                });
                v["guild_id"] = json!(GUILD_ID.to_string());
                v["guild_locale"] = json!("tr");
                v["channel_id"] = json!(channel.to_string());
                v["channel"] = json!({ "id": channel.to_string(), "type": 0, "guild_id": GUILD_ID.to_string() });
                v["locale"] = json!("tr");
                v["context"] = json!(0);
            }
        }
        v
    }

    pub fn command(&self, who: &Who, name: &str) -> Value {
        self.base(2, who, json!({ "id": "1", "name": name, "type": 1 }))
    }

    pub fn button(&self, who: &Who, custom_id: &str) -> Value {
        let mut v = self.base(3, who, json!({ "custom_id": custom_id, "component_type": 2 }));
        // A component interaction carries the message the button is on.
        let channel = v["channel_id"].as_str().unwrap_or("0").to_owned();
        v["message"] = message_json(1, &channel, &json!({ "content": "" }));
        v
    }

    pub fn modal(&self, who: &Who, custom_id: &str, values: &[(&str, &str)]) -> Value {
        let rows: Vec<Value> =
            values.iter().map(|(id, value)| json!({ "type": 1, "components": [{ "type": 4, "custom_id": id, "value": value }] })).collect();
        self.base(5, who, json!({ "custom_id": custom_id, "components": rows }))
    }

    pub fn ping(&self) -> Value {
        json!({ "id": "1", "application_id": APPLICATION_ID.to_string(), "type": 1, "token": "t", "version": 1, "entitlements": [], "attachment_size_limit": 0 })
    }
}

fn user_json(id: &str) -> Value {
    json!({ "id": id, "username": "eimza", "discriminator": "0", "global_name": null, "avatar": null, "bot": true })
}

fn message_json(id: u64, channel: &str, body: &Value) -> Value {
    json!({
        "id": id.to_string(), "channel_id": channel, "author": user_json(BOT_USER),
        "content": body["content"].as_str().unwrap_or(""), "timestamp": "2026-11-25T10:00:00.000000+00:00",
        "edited_timestamp": null, "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [],
        "attachments": [], "embeds": [], "pinned": false, "type": 0,
    })
}

async fn rest(State(api): State<DiscordApi>, method: Method, Path(path): Path<String>, body: Bytes) -> Response {
    let params: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    api.lock().requests.push((method.to_string(), path.clone(), params.clone()));
    let parts: Vec<&str> = path
        .trim_start_matches("api/")
        .trim_start_matches(|c: char| c == 'v' || c.is_ascii_digit())
        .trim_start_matches('/')
        .split('/')
        .collect();
    let json = |v: Value| axum::Json(v).into_response();
    match (method.as_str(), parts.as_slice()) {
        ("PUT", ["applications", app, rest @ ..]) if rest.last() == Some(&"commands") => {
            let guild = match rest {
                ["guilds", guild, "commands"] => Some(guild.to_string()),
                _ => None,
            };
            let list: Vec<Value> = params
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .enumerate()
                .map(|(i, mut c)| {
                    c["id"] = json!((100 + i).to_string());
                    c["application_id"] = json!(app);
                    c["version"] = json!("1");
                    c["type"] = json!(1);
                    if let Some(g) = &guild {
                        c["guild_id"] = json!(g);
                    }
                    c
                })
                .collect();
            json(json!(list))
        }
        ("POST", ["users", "@me", "channels"]) => {
            let user = params["recipient_id"].as_str().map(str::to_owned).unwrap_or_else(|| params["recipient_id"].to_string());
            let mut inner = api.lock();
            let channel = match inner.dms.iter().find(|(u, _)| *u == user) {
                Some((_, c)) => *c,
                None => {
                    inner.next_id += 1;
                    let c = inner.next_id;
                    inner.dms.push((user.clone(), c));
                    c
                }
            };
            json(json!({ "id": channel.to_string(), "type": 1, "recipients": [user_json(&user)], "last_message_id": null }))
        }
        ("POST", ["channels", channel, "messages"]) => {
            let mut inner = api.lock();
            inner.next_id += 1;
            let id = inner.next_id;
            let channel_id: u64 = channel.parse().unwrap_or(0);
            inner.posted.push(Posted {
                channel_id,
                message_id: id,
                content: params["content"].as_str().unwrap_or("").to_owned(),
                buttons: buttons_of(&params["components"]),
                reply_to: params["message_reference"]["message_id"].as_str().and_then(|m| m.parse().ok()),
            });
            json(message_json(id, channel, &params))
        }
        ("POST", ["webhooks", _app, token]) => {
            // A follow-up to an interaction: kept as posted in channel 0 with the token's text.
            let mut inner = api.lock();
            inner.next_id += 1;
            let id = inner.next_id;
            inner.posted.push(Posted {
                channel_id: 0,
                message_id: id,
                content: format!("[{token}] {}", params["content"].as_str().unwrap_or("")),
                buttons: buttons_of(&params["components"]),
                reply_to: None,
            });
            json(message_json(id, "0", &params))
        }
        _ => (axum::http::StatusCode::NOT_FOUND, axum::Json(json!({ "message": "404: Not Found", "code": 0 }))).into_response(),
    }
}
