//! A local stand-in for Telegram's Bot API: an axum server speaking the Bot API's JSON over
//! HTTP at `/bot<token>/<method>`, to which the real bot connects through its configurable API
//! URL. Tests put updates in (what people type and press), read what the bot sent, and can make
//! the next calls of a method fail (a 429 with `retry_after`, a message that cannot be deleted, a
//! call that never returns).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::Notify;

pub const TOKEN: &str = "123456:TEST-token-for-the-stand-in";
pub const BOT_ID: i64 = 999_000;

/// A message the bot sent.
#[derive(Clone, Debug)]
pub struct Sent {
    pub chat_id: i64,
    pub message_id: i64,
    pub text: String,
    /// Callback data of the inline keyboard's buttons, row by row flattened.
    pub buttons: Vec<(String, String)>,
    pub reply_to: Option<i64>,
    pub at: Instant,
}

/// One Bot API call (method and parameters), in order.
#[derive(Clone, Debug)]
pub struct Call {
    pub method: String,
    pub params: Value,
    pub at: Instant,
}

#[derive(Clone, Debug)]
pub enum Failure {
    /// `429 Too Many Requests` with `retry_after` seconds.
    RetryAfter(u64),
    /// `400 Bad Request` with this description.
    BadRequest(&'static str),
    /// No answer at all (the call hangs until the bot gives up or dies); nothing is sent.
    Hang,
}

#[derive(Default)]
struct Inner {
    /// Updates not yet confirmed (an update is confirmed by a later offset); `forced` ones are
    /// re-deliveries that ignore the offset, as after a crash before the offset moved on.
    updates: Vec<(Value, bool)>,
    next_update_id: i64,
    next_message_id: i64,
    sent: Vec<Sent>,
    calls: Vec<Call>,
    failures: HashMap<String, Vec<Failure>>,
    /// getUpdates calls in flight (the bot polling).
    polls: u64,
}

#[derive(Clone)]
pub struct BotApi {
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    news: Arc<Notify>,
}

impl BotApi {
    pub async fn start() -> BotApi {
        let inner = Arc::new(Mutex::new(Inner { next_update_id: 100, next_message_id: 1, ..Inner::default() }));
        let news = Arc::new(Notify::new());
        let api = BotApi { url: String::new(), inner, news };
        let app = Router::new().route("/{bot}/{method}", post(call).get(call)).with_state(api.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        BotApi { url, ..api }
    }

    /// The bot's settings that point it at this stand-in.
    pub fn bot_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("EIMZA_TELEGRAM__TOKEN", TOKEN.to_owned()),
            ("EIMZA_TELEGRAM__API_URL", self.url.clone()),
            ("EIMZA_TELEGRAM__POLL_TIMEOUT_SECS", "2".to_owned()),
        ]
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, make: impl FnOnce(i64, i64) -> Value) -> i64 {
        let mut inner = self.lock();
        let id = inner.next_update_id;
        inner.next_update_id += 1;
        let message_id = inner.next_message_id;
        inner.next_message_id += 1;
        let update = make(id, message_id);
        inner.updates.push((update, false));
        drop(inner);
        self.news.notify_waiters();
        id
    }

    /// A person types in their private chat with the bot; returns (update id, message id).
    pub fn text(&self, user: i64, text: &str) -> (i64, i64) {
        self.text_in(user, "tr", text)
    }

    pub fn text_in(&self, user: i64, lang: &str, text: &str) -> (i64, i64) {
        let mut message_id = 0;
        let id = self.push(|id, mid| {
            message_id = mid;
            json!({
                "update_id": id,
                "message": {
                    "message_id": mid, "date": now(),
                    "chat": { "id": user, "type": "private", "first_name": "Ilgaz" },
                    "from": person(user, lang),
                    "text": text,
                }
            })
        });
        (id, message_id)
    }

    /// An update as given (for updates this Bot API version might not describe).
    pub fn raw(&self, make: impl FnOnce(i64) -> Value) -> i64 {
        self.push(|id, _| make(id))
    }

    /// A person sends something that is not text (here: a location).
    pub fn location(&self, user: i64) -> i64 {
        self.push(|id, mid| {
            json!({
                "update_id": id,
                "message": {
                    "message_id": mid, "date": now(),
                    "chat": { "id": user, "type": "private", "first_name": "Ilgaz" },
                    "from": person(user, "tr"),
                    "location": { "latitude": 39.92, "longitude": 32.85 },
                }
            })
        })
    }

    /// A person presses an inline button under a message the bot sent.
    pub fn press(&self, user: i64, sent: &Sent, data: &str) -> i64 {
        self.press_as(user, sent, data, "tr")
    }

    pub fn press_as(&self, user: i64, sent: &Sent, data: &str, lang: &str) -> i64 {
        let chat = chat_json(sent.chat_id);
        let message = json!({ "message_id": sent.message_id, "date": now(), "chat": chat, "text": sent.text });
        self.push(|id, _| {
            json!({
                "update_id": id,
                "callback_query": {
                    "id": format!("cq{id}"), "from": person(user, lang), "chat_instance": "ci",
                    "message": message, "data": data,
                }
            })
        })
    }

    /// A staff member writes in the staff group, replying to a message of the bot.
    pub fn group_reply(&self, group: i64, user: i64, name: &str, reply_to: &Sent, text: &str) -> i64 {
        let original = json!({
            "message_id": reply_to.message_id, "date": now(), "chat": chat_json(group),
            "from": { "id": BOT_ID, "is_bot": true, "first_name": "eimza" }, "text": reply_to.text,
        });
        self.push(|id, mid| {
            json!({
                "update_id": id,
                "message": {
                    "message_id": mid, "date": now(), "chat": chat_json(group),
                    "from": { "id": user, "is_bot": false, "first_name": name.split(' ').next().unwrap_or(name),
                              "last_name": name.split(' ').nth(1).unwrap_or(""), "language_code": "tr" },
                    "text": text, "reply_to_message": original,
                }
            })
        })
    }

    /// Delivers an update again with its old id, as Telegram does when the bot crashed before
    /// the offset moved past it (or a webhook call is retried).
    pub fn redeliver(&self, update_id: i64) {
        let mut inner = self.lock();
        let update = inner
            .calls
            .iter()
            .rev()
            .filter(|c| c.method == "getUpdates")
            .find_map(|c| c.params["_returned"].as_array().and_then(|list| list.iter().find(|u| u["update_id"] == update_id)).cloned())
            .expect("the update was delivered before");
        inner.updates.push((update, true));
        drop(inner);
        self.news.notify_waiters();
    }

    /// The next `times` calls of `method` fail like this.
    pub fn fail_next(&self, method: &str, failure: Failure, times: usize) {
        self.lock().failures.entry(method.to_owned()).or_default().extend(std::iter::repeat_n(failure, times));
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.lock().sent.clone()
    }

    pub fn sent_to(&self, chat: i64) -> Vec<Sent> {
        self.sent().into_iter().filter(|s| s.chat_id == chat).collect()
    }

    pub fn calls(&self, method: &str) -> Vec<Call> {
        self.lock().calls.iter().filter(|c| c.method == method).cloned().collect()
    }

    /// Waits until the bot sent a message to `chat` containing `needle` (after the first `skip`
    /// messages to that chat) and returns it.
    pub async fn wait_for(&self, chat: i64, skip: usize, needle: &str) -> Sent {
        self.wait_for_within(chat, skip, needle, Duration::from_secs(20)).await
    }

    /// [`BotApi::wait_for`] with a deadline of its own.
    pub async fn wait_for_within(&self, chat: i64, skip: usize, needle: &str, within: Duration) -> Sent {
        let deadline = Instant::now() + within;
        loop {
            if let Some(found) = self.sent_to(chat).into_iter().skip(skip).find(|s| s.text.contains(needle)) {
                return found;
            }
            if Instant::now() > deadline {
                let all: Vec<String> = self.sent_to(chat).into_iter().map(|s| s.text).collect();
                panic!("no message with {needle:?} to chat {chat}; it got: {all:#?}");
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until `chat` has at least `count` messages.
    pub async fn wait_count(&self, chat: i64, count: usize) -> Vec<Sent> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let sent = self.sent_to(chat);
            if sent.len() >= count {
                return sent;
            }
            assert!(Instant::now() < deadline, "chat {chat} got {} messages, expected {count}: {sent:#?}", sent.len());
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the bot has asked for updates at least once more (it is polling).
    pub async fn wait_polling(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.lock().polls == 0 {
            assert!(Instant::now() < deadline, "the bot never called getUpdates");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// How many updates the bot has not confirmed yet.
    pub fn unconfirmed(&self) -> usize {
        self.lock().updates.len()
    }
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn person(user: i64, lang: &str) -> Value {
    json!({ "id": user, "is_bot": false, "first_name": "Ilgaz", "last_name": "Işık", "language_code": lang })
}

fn chat_json(chat: i64) -> Value {
    if chat < 0 {
        json!({ "id": chat, "type": "supergroup", "title": "Bilgi İşlem" })
    } else {
        json!({ "id": chat, "type": "private", "first_name": "Ilgaz" })
    }
}

fn ok(result: Value) -> Response {
    axum::Json(json!({ "ok": true, "result": result })).into_response()
}

fn error(code: u16, description: &str, parameters: Option<Value>) -> Response {
    let mut body = json!({ "ok": false, "error_code": code, "description": description });
    if let Some(p) = parameters {
        body["parameters"] = p;
    }
    (axum::http::StatusCode::from_u16(code).unwrap(), axum::Json(body)).into_response()
}

async fn call(State(api): State<BotApi>, Path((bot, method)): Path<(String, String)>, body: Bytes) -> Response {
    if bot != format!("bot{TOKEN}") {
        return error(401, "Unauthorized", None);
    }
    // Telegram's method names are case-insensitive (teloxide sends `SendMessage`); keep them as
    // the documentation writes them.
    let method = {
        let mut chars = method.chars();
        chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
    };
    let params: Value = if body.is_empty() { json!({}) } else { serde_json::from_slice(&body).unwrap_or(json!({})) };
    let failure = {
        let mut inner = api.lock();
        let failure = inner.failures.get_mut(&method).and_then(|list| if list.is_empty() { None } else { Some(list.remove(0)) });
        inner.calls.push(Call { method: method.clone(), params: params.clone(), at: Instant::now() });
        failure
    };
    match failure {
        Some(Failure::RetryAfter(secs)) => {
            return error(429, &format!("Too Many Requests: retry after {secs}"), Some(json!({ "retry_after": secs })));
        }
        Some(Failure::BadRequest(description)) => return error(400, description, None),
        Some(Failure::Hang) => std::future::pending::<()>().await,
        None => {}
    }
    match method.as_str() {
        "getUpdates" => get_updates(&api, &params).await,
        "sendMessage" => {
            let chat_id = params["chat_id"].as_i64().unwrap_or_default();
            let mut inner = api.lock();
            let message_id = inner.next_message_id;
            inner.next_message_id += 1;
            let buttons = params["reply_markup"]["inline_keyboard"]
                .as_array()
                .map(|rows| {
                    rows.iter()
                        .flat_map(|r| r.as_array().cloned().unwrap_or_default())
                        .map(|b| (b["text"].as_str().unwrap_or("").to_owned(), b["callback_data"].as_str().unwrap_or("").to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let text = params["text"].as_str().unwrap_or_default().to_owned();
            let reply_to = params["reply_parameters"]["message_id"].as_i64();
            inner.sent.push(Sent { chat_id, message_id, text: text.clone(), buttons, reply_to, at: Instant::now() });
            ok(json!({
                "message_id": message_id, "date": now(), "chat": chat_json(chat_id),
                "from": { "id": BOT_ID, "is_bot": true, "first_name": "eimza" }, "text": text,
            }))
        }
        "editMessageReplyMarkup" | "editMessageText" => {
            let chat_id = params["chat_id"].as_i64().unwrap_or_default();
            ok(json!({
                "message_id": params["message_id"], "date": now(), "chat": chat_json(chat_id),
                "from": { "id": BOT_ID, "is_bot": true, "first_name": "eimza" }, "text": params["text"].as_str().unwrap_or("…"),
            }))
        }
        "answerCallbackQuery" | "deleteMessage" | "setMyCommands" | "setWebhook" | "deleteWebhook" => ok(json!(true)),
        "getMe" => ok(json!({
            "id": BOT_ID, "is_bot": true, "first_name": "eimza", "username": "eimza_test_bot",
            "can_join_groups": true, "can_read_all_group_messages": false, "supports_inline_queries": false,
        })),
        _ => error(404, "Not Found: method not found", None),
    }
}

async fn get_updates(api: &BotApi, params: &Value) -> Response {
    let offset = params["offset"].as_i64().unwrap_or(0);
    let timeout = params["timeout"].as_u64().unwrap_or(0).min(5);
    let deadline = Instant::now() + Duration::from_secs(timeout);
    api.lock().polls += 1;
    loop {
        let notified = api.news.notified();
        let ready: Vec<Value> = {
            let mut inner = api.lock();
            // Confirmed by the offset: gone for good (a forced re-delivery stays until returned once).
            inner.updates.retain(|(u, forced)| *forced || u["update_id"].as_i64().unwrap_or(0) >= offset);
            let list: Vec<Value> = inner.updates.iter().take(100).map(|(u, _)| u.clone()).collect();
            let returned = list.len();
            let mut i = 0;
            inner.updates.retain(|(_, forced)| {
                let keep = !(*forced && i < returned);
                i += 1;
                keep
            });
            if let Some(call) = inner.calls.iter_mut().rev().find(|c| c.method == "getUpdates") {
                call.params["_returned"] = json!(list);
            }
            list
        };
        if !ready.is_empty() || Instant::now() >= deadline {
            return ok(json!(ready));
        }
        let _ = tokio::time::timeout(deadline.saturating_duration_since(Instant::now()), notified).await;
    }
}
