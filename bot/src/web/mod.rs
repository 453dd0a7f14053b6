//! HTTP: the web chat page and its JSON API, the agent's pairing API and WebSocket link, and
//! the staff view. `router(state)` is separate
//! from serving so tests can drive it in-process as well as over a real socket.

mod agent;
mod agent_api;
mod api;
pub mod client;
mod error;
mod form;

mod ops;
mod page;
pub mod server;
mod staff;
mod unsubscribe;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use eimza_protocol::Lang;

use crate::service::ChatService;

#[derive(Clone)]
pub struct AppState {
    pub service: Arc<ChatService>,
    pub attestations: Arc<crate::service::attestation::Attestations>,
    pub desk: Arc<crate::service::desk::StaffDesk>,
    /// The reverse proxies that may name the client.
    pub proxies: Arc<client::Proxies>,
    /// Staff accounts and sessions of the desk.
    pub accounts: Arc<crate::service::accounts::Accounts>,
    /// Working days, for the desk's clocks.
    pub calendar: Arc<crate::core::workdays::Calendar>,
    /// The workers and links `/readyz` reports on.
    pub health: Arc<crate::health::Health>,
    /// The bearer token of `/metrics` on the main address (none: not served there).
    pub metrics_token: Option<Arc<secrecy::SecretString>>,
    pub limits: Arc<Limits>,
}

/// Rate limits of the public web chat API.
pub struct Limits {
    sessions: crate::rate::RateLimiter<String>,
    messages: crate::rate::RateLimiter<String>,
    /// Calls of a paired PC's HTTP API (a PC needs a handful per renewal).
    agent_calls: crate::rate::RateLimiter<String>,
    /// Staff login attempts per address, before any password is hashed: bounds the argon2 work
    /// one address can cause (the failures per account are counted in the database).
    logins: crate::rate::RateLimiter<String>,
}

impl Limits {
    pub fn new(config: &crate::config::WebConfig) -> Limits {
        Limits {
            sessions: crate::rate::RateLimiter::new(config.sessions_burst, config.sessions_per_minute),
            messages: crate::rate::RateLimiter::new(config.messages_burst, config.messages_per_minute),
            agent_calls: crate::rate::RateLimiter::new(30, 60),
            logins: crate::rate::RateLimiter::new(30, 20),
        }
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(page::chat_page))
        .route("/assets/chat.js", get(page::chat_js))
        .route("/assets/chat.css", get(page::chat_css))
        .route("/assets/staff.css", get(page::staff_css))
        .merge(ops::routes())
        .merge(api::routes())
        .merge(agent::routes())
        .merge(agent_api::routes())
        .merge(staff::routes())
        .merge(unsubscribe::routes())
        .merge(form::routes())
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// The page loads only its own script and style; nothing may frame it or sniff types.
async fn security_headers(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::HeaderValue;
    let headers = response.headers_mut();
    headers.insert("content-security-policy", HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"));
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    // Same-origin: nothing leaves for other sites, and a form post names its page's origin
    // (with no-referrer browsers send `Origin: null`, and the staff forms would be refused).
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    response
}

/// The language a browser or API client asks for; `?lang=` on pages wins.
fn request_lang(headers: &HeaderMap) -> Lang {
    headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(Lang::from_accept_language).unwrap_or_default()
}

/// A server-rendered page (staff view, unsubscribe): the title from the catalogue, our own
/// style sheet (the CSP allows nothing else), the body as given.
fn html_page(texts: &crate::i18n::Texts, lang: Lang, title_id: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"/assets/staff.css\"></head><body><main><h1>{title}</h1>{body}</main></body></html>",
        lang = lang.code(),
        title = escape(&texts.get(lang, title_id)),
    )
}

pub(crate) use crate::i18n::escape_html as escape;
pub use ops::metrics_router;

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_html() {
        assert_eq!(super::escape("<a href=\"x\">Ö'z & z</a>"), "&lt;a href=&quot;x&quot;&gt;Ö&#39;z &amp; z&lt;/a&gt;");
    }
}
