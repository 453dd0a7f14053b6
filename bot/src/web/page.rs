//! The chat page: one HTML file whose `{{message-id}}` placeholders are filled from the
//! catalogue in the reader's language, plus a script and a style sheet. No build step, no CDN.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse};
use eimza_protocol::Lang;
use serde::Deserialize;

use super::{AppState, escape, request_lang};
use crate::i18n::Texts;

const CHAT_HTML: &str = include_str!("../../assets/chat.html");
const CHAT_JS: &str = include_str!("../../assets/chat.js");
const CHAT_CSS: &str = include_str!("../../assets/chat.css");
const STAFF_CSS: &str = include_str!("../../assets/staff.css");

#[derive(Deserialize)]
pub struct PageQuery {
    lang: Option<String>,
}

/// Replaces `{{lang}}` and every `{{id}}` with the escaped message text.
pub(super) fn fill(template: &str, texts: &Texts, lang: Lang) -> String {
    let mut out = String::with_capacity(template.len() + 1024);
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let key = &after[..end];
        if key == "lang" {
            out.push_str(lang.code());
        } else {
            out.push_str(&escape(&texts.get(lang, key)));
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

pub async fn chat_page(State(state): State<AppState>, Query(q): Query<PageQuery>, headers: HeaderMap) -> Html<String> {
    let lang = q.lang.as_deref().and_then(Lang::from_tag).unwrap_or_else(|| request_lang(&headers));
    Html(fill(CHAT_HTML, state.service.texts(), lang))
}

pub async fn chat_js() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], CHAT_JS)
}

pub async fn chat_css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CHAT_CSS)
}

pub async fn staff_css() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STAFF_CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_a_message_in_both_languages() {
        let texts = Texts::embedded();
        let mut rest = CHAT_HTML;
        while let Some(start) = rest.find("{{") {
            let end = rest[start..].find("}}").unwrap() + start;
            let key = &rest[start + 2..end];
            if key != "lang" {
                for lang in Lang::ALL {
                    assert!(texts.has(lang, key), "{key} missing in {lang}");
                }
            }
            rest = &rest[end + 2..];
        }
        let page = fill(CHAT_HTML, &texts, Lang::Tr);
        assert!(page.contains("e-İmza Yenileme Asistanı"));
        assert!(!page.contains("{{"));
    }
}
