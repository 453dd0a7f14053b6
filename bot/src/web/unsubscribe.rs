//! The unsubscribe link of reminder e-mails: `POST /abonelik/iptal/{token}` stops them (what
//! mail programs do for "List-Unsubscribe-Post: List-Unsubscribe=One-Click"); `GET` only shows
//! a page with a button, because mail scanners open links by themselves.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use eimza_protocol::Lang;

use super::{AppState, escape, request_lang};
use crate::i18n::Texts;

pub fn routes() -> Router<AppState> {
    Router::new().route("/abonelik/iptal/{token}", get(confirm_page).post(unsubscribe))
}

fn page(texts: &Texts, lang: Lang, body: &str) -> String {
    super::html_page(texts, lang, "unsubscribe-title", body)
}

/// A token has the shape the bot hands out (two parts of letters, digits, `-`, `_`, joined by a
/// dot); anything else — a decoded `%2F`, markup — is refused before it is used or shown.
fn checked(token: &str) -> Option<&str> {
    let (person, mac) = token.split_once('.')?;
    let id = eimza_protocol::wire::Id::new;
    (id(person).is_some() && id(mac).is_some()).then_some(token)
}

fn invalid(texts: &Texts, lang: Lang) -> Response {
    (StatusCode::NOT_FOUND, Html(page(texts, lang, &format!("<p>{}</p>", escape(&texts.get(lang, "unsubscribe-invalid")))))).into_response()
}

async fn confirm_page(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let texts = state.service.texts();
    let lang = request_lang(&headers);
    let Some(token) = checked(&token) else { return invalid(texts, lang) };
    let body = format!(
        "<p>{}</p><form method=\"post\" action=\"/abonelik/iptal/{}\"><button>{}</button></form>",
        escape(&texts.get(lang, "unsubscribe-question")),
        escape(token),
        escape(&texts.get(lang, "unsubscribe-button")),
    );
    Html(page(texts, lang, &body)).into_response()
}

async fn unsubscribe(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let texts = state.service.texts();
    let lang = request_lang(&headers);
    let Some(token) = checked(&token) else { return invalid(texts, lang) };
    match state.service.store().unsubscribe(token, crate::clock::now_ms()).await {
        Ok(true) => {
            tracing::info!("a person stopped their expiry reminders");
            Html(page(texts, lang, &format!("<p>{}</p>", escape(&texts.get(lang, "unsubscribe-done"))))).into_response()
        }
        Ok(false) => invalid(texts, lang),
        Err(e) => {
            tracing::error!(error = %e, "unsubscribe failed");
            (StatusCode::INTERNAL_SERVER_ERROR, Html(page(texts, lang, &escape(&texts.get(lang, "api-error-internal"))))).into_response()
        }
    }
}
