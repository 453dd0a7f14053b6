//! The web chat JSON API (used by the page, open to other clients):
//!
//! - `POST /api/webchat/sessions` → `201 {"session", "token", "replies"}` (the greeting)
//! - `POST /api/webchat/sessions/{session}/messages` with `{"text": …}` or `{"button": …}` and
//!   `Authorization: Bearer <token>` → `{"replies": [{"text", "buttons": [{"id", "label"}]}],
//!   "deleted_message": bool}`
//! - `GET` of the same path → `{"messages": [{"at", "direction", "text", "buttons"}]}`
//!
//! `Accept-Language: en` gives English. Errors are JSON (`{"error": {"code", "message"}}`):
//! 401 wrong token, 404 unknown session, 400 malformed body or text over 4 KiB.

use axum::body::Bytes;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::error::ApiError;
use super::{AppState, client, request_lang};
use crate::clock;
use crate::core::conversation::{Incoming, Input, Transport};
use crate::core::outbound::Rendered;
use crate::store::WebSession;

/// Longest text a person may send, in bytes.
pub const MAX_TEXT: usize = 4096;
/// Bodies larger than this are refused before parsing.
const MAX_BODY: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/webchat/sessions", post(create_session))
        .route("/api/webchat/sessions/{session}/messages", post(send_message).get(transcript))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageBody {
    text: Option<String>,
    button: Option<String>,
}

/// The answer to a new session, written straight from the replies (a `json!` value copied
/// each one into a tree first); fields in the order `json!` wrote them.
#[derive(serde::Serialize)]
struct SessionAnswer<'a> {
    replies: &'a [Rendered],
    session: &'a str,
    token: &'a str,
}

/// The answer to a message, as [`SessionAnswer`].
#[derive(serde::Serialize)]
struct MessageAnswer<'a> {
    deleted_message: bool,
    replies: &'a [Rendered],
}

async fn create_session(State(state): State<AppState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    let lang = request_lang(&headers);
    let texts = state.service.texts();
    let result = async {
        state.limits.sessions.take(&client::limit_key(client::client_ip(peer.ip(), &headers, &state.proxies))).map_err(|s| {
            crate::metrics::METRICS.refused("web-session");
            ApiError::RateLimited(s)
        })?;
        let (session, token) = state.service.store().create_web_session(clock::now_ms()).await?;
        let incoming = Incoming {
            transport: Transport::Web,
            user_id: session.id.clone(),
            input: Input::Open,
            lang_hint: Some(lang),
            update_id: None,
            // The web chat never keeps or shows a misplaced PIN again.
            can_delete: true,
        };
        let handled = state.service.handle_web(session.person_id, &incoming).await?;
        Ok::<_, ApiError>((session, token, handled))
    }
    .await;
    match result {
        Ok((session, token, handled)) => {
            let answer = SessionAnswer { replies: &handled.replies, session: &session.id, token: &token };
            (StatusCode::CREATED, Json(answer)).into_response()
        }
        Err(e) => e.render(texts, lang),
    }
}

pub(super) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn authorise(state: &AppState, headers: &HeaderMap, session: &str) -> Result<WebSession, ApiError> {
    if session.len() > 64 {
        return Err(ApiError::NotFound);
    }
    match state.service.store().web_session(session, bearer(headers).unwrap_or("")).await? {
        None => Err(ApiError::NotFound),
        Some(Err(())) => Err(ApiError::Unauthorized),
        Some(Ok(s)) => Ok(s),
    }
}

fn parse_input(body: &[u8]) -> Result<Input, ApiError> {
    let parsed: MessageBody = serde_json::from_slice(body).map_err(|_| ApiError::BadRequest)?;
    match (parsed.text, parsed.button) {
        (Some(text), None) => {
            if text.len() > MAX_TEXT {
                Err(ApiError::TooLong(MAX_TEXT))
            } else if text.trim().is_empty() {
                Err(ApiError::Empty)
            } else {
                Ok(Input::Text(text))
            }
        }
        (None, Some(button)) if !button.is_empty() && button.len() <= 64 => Ok(Input::button(&button)),
        _ => Err(ApiError::BadRequest),
    }
}

/// A body longer than the limit is still read (and thrown away) up to this many bytes, so the
/// client, still sending, gets its polite answer rather than a connection reset.
const DRAIN_MAX: usize = 8 * 1024 * 1024;

/// The request body, at most [`MAX_BODY`] bytes; a longer one is a message that is too long.
async fn read_body(body: axum::body::Body) -> Result<Bytes, ApiError> {
    use futures_util::StreamExt;
    let mut stream = body.into_data_stream();
    let mut kept = Vec::new();
    let mut seen = 0usize;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ApiError::BadRequest)?;
        seen += chunk.len();
        if seen <= MAX_BODY {
            kept.extend_from_slice(&chunk);
        } else if seen > DRAIN_MAX {
            break;
        }
    }
    if seen > MAX_BODY { Err(ApiError::TooLong(MAX_TEXT)) } else { Ok(Bytes::from(kept)) }
}

async fn send_message(State(state): State<AppState>, Path(session): Path<String>, headers: HeaderMap, body: axum::body::Body) -> Response {
    let lang = request_lang(&headers);
    let result = async {
        let web = authorise(&state, &headers, &session).await?;
        state.limits.messages.take(&web.id).map_err(|s| {
            crate::metrics::METRICS.refused("web-message");
            ApiError::RateLimited(s)
        })?;
        // A body over the limit is a message that is too long, not a transport failure.
        let body = read_body(body).await?;
        let input = parse_input(&body)?;
        let incoming =
            Incoming { transport: Transport::Web, user_id: web.id, input, lang_hint: Some(lang), update_id: None, can_delete: true };
        Ok::<_, ApiError>(state.service.handle_web(web.person_id, &incoming).await?)
    }
    .await;
    match result {
        Ok(handled) => Json(MessageAnswer { deleted_message: handled.delete_incoming, replies: &handled.replies }).into_response(),
        Err(e) => e.render(state.service.texts(), lang),
    }
}

/// Lines of the transcript one page holds at most.
const TRANSCRIPT_PAGE: i64 = 200;

#[derive(serde::Deserialize)]
struct TranscriptQuery {
    /// Lines after the first `after` (what the page already shows); none: the last page.
    after: Option<u32>,
}

async fn transcript(
    State(state): State<AppState>,
    Path(session): Path<String>,
    headers: HeaderMap,
    query: Result<axum::extract::Query<TranscriptQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let lang = request_lang(&headers);
    let result = async {
        let axum::extract::Query(query) = query.map_err(|_| ApiError::BadRequest)?;
        let web = authorise(&state, &headers, &session).await?;
        Ok::<_, ApiError>(state.service.store().transcript_page(web.person_id, query.after.map(i64::from), TRANSCRIPT_PAGE).await?)
    }
    .await;
    match result {
        Ok((from, messages)) => Json(json!({ "messages": messages, "from": from })).into_response(),
        Err(e) => e.render(state.service.texts(), lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_checked_before_anything_else() {
        assert!(matches!(parse_input(br#"{"text":"merhaba"}"#), Ok(Input::Text(t)) if t == "merhaba"));
        assert!(matches!(parse_input(br#"{"button":"confirm"}"#), Ok(Input::Button(crate::core::button::ButtonId::Confirm))));
        assert!(matches!(parse_input(b"{"), Err(ApiError::BadRequest)));
        assert!(matches!(parse_input(b"[]"), Err(ApiError::BadRequest)));
        assert!(matches!(parse_input(br#"{"text":"a","button":"b"}"#), Err(ApiError::BadRequest)));
        assert!(matches!(parse_input(br#"{"txt":"a"}"#), Err(ApiError::BadRequest)));
        assert!(matches!(parse_input(br#"{"text":5}"#), Err(ApiError::BadRequest)));
        assert!(matches!(parse_input(br#"{"text":"   "}"#), Err(ApiError::Empty)));
        let long = format!(r#"{{"text":"{}"}}"#, "ş".repeat(2100));
        assert!(matches!(parse_input(long.as_bytes()), Err(ApiError::TooLong(4096))));
    }
}
