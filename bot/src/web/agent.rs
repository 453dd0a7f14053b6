//! The agent's side of the bot: pairing (RFC 8628-like: present the code, poll until the person
//! approved in chat, get the token once) and the WebSocket link (hello → welcome, work ↔ acks,
//! reports ↔ acks, heartbeats). Frames are `eimza_protocol::wire` JSON.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use eimza_protocol::pairing::PairingCode;
use eimza_protocol::wire::{self, AgentMessage, BotMessage, ErrorCode, HEARTBEAT_SECS, MAX_FRAME_BYTES, PROTOCOL_VERSION, ReportBody, WorkBody};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;

use super::api::bearer;
use super::error::ApiError;
use super::{AppState, request_lang};
use crate::clock;
use crate::conversation::{Msg, Reply};
use crate::link::CloseReason;
use crate::service::{PAIRING_TTL_MS, random_id, random_secret};
use crate::store::{AgentRow, Claim, PairingStatus};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/agent/pairings", post(claim))
        .route("/api/agent/pairings/{request}", get(poll))
        .route("/api/agent/ws", get(link))
}

#[derive(Deserialize)]
struct ClaimBody {
    code: String,
    pc_name: String,
    os: String,
    #[serde(default)]
    agent_version: Option<String>,
}

fn refused(status: StatusCode, code: &'static str, message_id: &'static str) -> ApiError {
    ApiError::Refused { status, code, message_id, args: Vec::new(), retry_after: None }
}

/// A PC's name or OS as shown to the person: trimmed, no control characters, at most 64 chars.
fn clean_label(s: &str) -> Option<String> {
    let cleaned: String = s.trim().chars().filter(|c| !c.is_control()).take(64).collect();
    (!cleaned.is_empty()).then_some(cleaned)
}

async fn claim(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<ClaimBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let lang = request_lang(&headers);
    let result = async {
        let Json(body) = body.map_err(|_| ApiError::BadRequest)?;
        let code = PairingCode::parse(&body.code).map_err(|e| {
            let (message_id, args) = e.message();
            ApiError::Refused { status: StatusCode::BAD_REQUEST, code: "pair-code-invalid", message_id, args, retry_after: None }
        })?;
        let (Some(pc_name), Some(os)) = (clean_label(&body.pc_name), clean_label(&body.os)) else {
            return Err(ApiError::BadRequest);
        };
        let request_id = random_id("p");
        let poll_secret = random_secret();
        let now = clock::now_ms();
        let store = state.service.store();
        match store.claim_pairing_code(code.as_str(), &peer.ip().to_string(), &pc_name, &os, &request_id, &poll_secret, now).await? {
            Claim::Claimed { request_id, person_id } => {
                tracing::info!(person_id, agent_version = body.agent_version.as_deref().unwrap_or("?"), "pairing code presented");
                state.service.ask_pairing_approval(person_id, &request_id, &pc_name, &os).await?;
                Ok((request_id, poll_secret))
            }
            Claim::Unknown => Err(refused(StatusCode::NOT_FOUND, "pair-code-unknown", "pair-err-unknown")),
            Claim::Expired => Err(refused(StatusCode::GONE, "pair-code-expired", "pair-err-expired")),
            Claim::Used => Err(refused(StatusCode::CONFLICT, "pair-code-used", "pair-err-used")),
            Claim::TooManyTries { retry_after_ms } => Err(ApiError::Refused {
                status: StatusCode::TOO_MANY_REQUESTS,
                code: "pair-too-many",
                message_id: "pair-err-too-many",
                args: Vec::new(),
                retry_after: Some((retry_after_ms as u64).div_ceil(1000)),
            }),
        }
    }
    .await;
    match result {
        Ok((request_id, poll_secret)) => (
            StatusCode::ACCEPTED,
            Json(json!({ "request_id": request_id, "poll_secret": poll_secret, "interval": 2, "expires_in": PAIRING_TTL_MS / 1000 })),
        )
            .into_response(),
        Err(e) => e.render(state.service.texts(), lang),
    }
}

async fn poll(State(state): State<AppState>, Path(request): Path<String>, headers: HeaderMap) -> Response {
    let lang = request_lang(&headers);
    if request.len() > 64 {
        return ApiError::NotFound.render(state.service.texts(), lang);
    }
    let secret = bearer(&headers).unwrap_or("");
    match state.service.store().pairing_status(&request, secret, clock::now_ms(), PAIRING_TTL_MS).await {
        Ok(PairingStatus::Pending) => Json(json!({ "status": "pending" })).into_response(),
        Ok(PairingStatus::Approved { agent_id, token }) => Json(json!({ "status": "approved", "agent_id": agent_id, "token": token })).into_response(),
        Ok(PairingStatus::Fetched) => refused(StatusCode::GONE, "pair-fetched", "pair-err-used").render(state.service.texts(), lang),
        Ok(PairingStatus::Rejected) => refused(StatusCode::FORBIDDEN, "pair-rejected", "pair-err-rejected").render(state.service.texts(), lang),
        Ok(PairingStatus::Expired) => refused(StatusCode::GONE, "pair-expired", "pair-err-expired").render(state.service.texts(), lang),
        Ok(PairingStatus::NotFound) => ApiError::NotFound.render(state.service.texts(), lang),
        Err(e) => ApiError::from(e).render(state.service.texts(), lang),
    }
}

async fn link(State(state): State<AppState>, headers: HeaderMap, upgrade: WebSocketUpgrade) -> Response {
    let lang = request_lang(&headers);
    let token = bearer(&headers).unwrap_or("");
    let agent = match state.service.store().agent_by_token(token).await {
        Ok(Some(agent)) if !agent.revoked => agent,
        Ok(Some(_)) => return refused(StatusCode::UNAUTHORIZED, "revoked", "link-err-revoked").render(state.service.texts(), lang),
        Ok(None) => return refused(StatusCode::UNAUTHORIZED, "unauthorized", "link-err-unauthorized").render(state.service.texts(), lang),
        Err(e) => return ApiError::from(e).render(state.service.texts(), lang),
    };
    // Frames up to twice the protocol's limit are read and refused politely; bigger ones end
    // the connection (the agent reconnects).
    // Small buffers: thousands of agents idle on this process, and their frames are small (a
    // buffer grows for the rare big one).
    upgrade
        .max_message_size(2 * MAX_FRAME_BYTES)
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| serve(state, agent, socket))
}

async fn send(socket: &mut futures_util::stream::SplitSink<WebSocket, Message>, message: &BotMessage) -> bool {
    socket.send(Message::Text(wire::encode(message).into())).await.is_ok()
}

/// One agent connection, until it drops, goes silent, or the agent is revoked.
async fn serve(state: AppState, agent: AgentRow, socket: WebSocket) {
    let (mut out, mut inp) = socket.split();
    let silence = Duration::from_secs(u64::from(HEARTBEAT_SECS) * 3);
    let hello = match tokio::time::timeout(Duration::from_secs(10), inp.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => wire::decode::<AgentMessage>(&text),
        _ => return,
    };
    match hello {
        Ok(AgentMessage::Hello { protocol, agent_version }) if protocol == PROTOCOL_VERSION => {
            let _ = state.service.store().touch_agent(&agent.id, Some(&agent_version), clock::now_ms()).await;
        }
        Ok(AgentMessage::Hello { protocol, .. }) => {
            tracing::info!(agent = %agent.id, protocol, "agent speaks another protocol version");
            send(&mut out, &BotMessage::Error { code: ErrorCode::VersionMismatch, protocol: Some(PROTOCOL_VERSION) }).await;
            let _ = out.close().await;
            // The agent stops and says so on the PC; the person hears it here too.
            let reply = Reply::text(Msg::new("agent-outdated").with("name", agent.pc_name.clone()));
            if let Err(e) = state.service.notify(agent.person_id, reply).await {
                tracing::warn!(error = %e, "telling the person about the outdated agent failed");
            }
            return;
        }
        _ => {
            send(&mut out, &BotMessage::Error { code: ErrorCode::HelloExpected, protocol: None }).await;
            let _ = out.close().await;
            return;
        }
    }
    let mut handle = state.service.links().register(&agent.id);
    if !send(&mut out, &BotMessage::Welcome { protocol: PROTOCOL_VERSION, heartbeat_secs: HEARTBEAT_SECS }).await {
        return;
    }
    tracing::info!(agent = %agent.id, "agent connected");
    // Work sent on this connection and not yet acknowledged: work id → ticket number.
    let mut sent: HashSet<String> = HashSet::new();
    let mut tickets: HashMap<String, String> = HashMap::new();
    let mut deliver = true;
    loop {
        if deliver {
            deliver = false;
            match state.service.store().pending_work(&agent.id).await {
                Ok(items) => {
                    for (work_id, body, tckn) in items {
                        if sent.contains(&work_id) {
                            continue;
                        }
                        let Ok(mut body) = serde_json::from_str::<WorkBody>(&body) else {
                            tracing::error!(work = %work_id, "stored work item does not parse");
                            continue;
                        };
                        let WorkBody::CardStep { ticket_no, tckn: holder, .. } = &mut body;
                        *holder = tckn;
                        tickets.insert(work_id.clone(), ticket_no.clone());
                        if !send(&mut out, &BotMessage::Work { work_id: work_id.clone(), body }).await {
                            return;
                        }
                        let _ = state.service.store().mark_work_sent(&work_id, clock::now_ms()).await;
                        sent.insert(work_id);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading the agent's work failed"),
            }
        }
        tokio::select! {
            _ = handle.wake.notified() => deliver = true,
            _ = handle.closed.changed() => {
                if *handle.closed.borrow() == Some(CloseReason::Revoked) {
                    send(&mut out, &BotMessage::Error { code: ErrorCode::Revoked, protocol: None }).await;
                    tracing::info!(agent = %agent.id, "agent connection closed: revoked");
                }
                let _ = out.close().await;
                return;
            }
            frame = tokio::time::timeout(silence, inp.next()) => {
                let text = match frame {
                    Ok(Some(Ok(Message::Text(text)))) => text,
                    Ok(Some(Ok(Message::Binary(_)))) => {
                        if !send(&mut out, &BotMessage::Error { code: ErrorCode::Malformed, protocol: None }).await { return; }
                        continue;
                    }
                    Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                    Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None) | Err(_) => {
                        tracing::info!(agent = %agent.id, "agent disconnected");
                        return;
                    }
                };
                let reply = match wire::decode::<AgentMessage>(&text) {
                    Err(e) => Some(BotMessage::Error { code: e.code(), protocol: None }),
                    Ok(AgentMessage::Hello { .. }) => None,
                    Ok(AgentMessage::Heartbeat { seq }) => {
                        let _ = state.service.store().touch_agent(&agent.id, None, clock::now_ms()).await;
                        Some(BotMessage::HeartbeatAck { seq })
                    }
                    Ok(AgentMessage::Ack { work_id }) => {
                        on_ack(&state, &agent, &work_id, tickets.get(&work_id)).await;
                        None
                    }
                    Ok(AgentMessage::Report { report_id, work_id, body }) => {
                        match on_report(&state, &agent, &report_id, &work_id, &body, tickets.get(&work_id)).await {
                            Ok(()) => Some(BotMessage::Ack { report_id }),
                            // Not acknowledged: the agent keeps it and sends it again.
                            Err(()) => None,
                        }
                    }
                };
                if let Some(reply) = reply {
                    if !send(&mut out, &reply).await { return; }
                }
            }
        }
    }
}

async fn on_ack(state: &AppState, agent: &AgentRow, work_id: &str, ticket: Option<&String>) {
    match state.service.store().ack_work(&agent.id, work_id, clock::now_ms()).await {
        Ok(Some(_)) => {
            let reply = Reply::text(Msg::new("card-step-delivered").with("ticket", ticket.cloned().unwrap_or_default()).with("name", agent.pc_name.clone()));
            if let Err(e) = state.service.notify(agent.person_id, reply).await {
                tracing::warn!(error = %e, "telling the person about the delivered card step failed");
            }
        }
        Ok(None) => {} // a repeated ack
        Err(e) => tracing::warn!(error = %e, "storing an agent's ack failed"),
    }
}

async fn on_report(state: &AppState, agent: &AgentRow, report_id: &str, work_id: &str, body: &ReportBody, ticket: Option<&String>) -> Result<(), ()> {
    if report_id.is_empty() || report_id.len() > 64 || work_id.len() > 64 {
        return Ok(()); // acknowledged and dropped: it can never be stored
    }
    let stored = state.service.store().store_report(&agent.id, report_id, work_id, &wire::encode(body), clock::now_ms()).await.map_err(|e| {
        tracing::warn!(error = %e, "storing an agent's report failed");
    })?;
    if !stored {
        return Ok(()); // a replay: no second effect
    }
    let ReportBody::CardCheck { usable, problems, certificate_not_after, .. } = body;
    // The card's certificate is the holder's own (the PC checked the number the bot sent) and
    // Kamu SM's: its expiry feeds the reminders.
    let trusted = !problems.iter().any(|p| matches!(p.as_str(), "wrong-person" | "no-identity-number" | "not-kamu-sm" | "bad-certificate"));
    if let (true, Some(not_after)) = (trusted, certificate_not_after.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())) {
        let day = not_after.with_timezone(&chrono_tz::Europe::Istanbul).date_naive();
        match state.service.store().roster_expiry_from_card(work_id, day, clock::now_ms()).await {
            Ok(true) => tracing::info!(agent = %agent.id, "certificate expiry learned from the card"),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "storing the card's expiry failed"),
        }
    }
    let ticket = ticket.cloned().unwrap_or_default();
    let reply = if *usable {
        Reply::text(Msg::new("card-check-ok").with("ticket", ticket))
    } else {
        Reply::text(Msg::new("card-check-problem").with("ticket", ticket).with("count", problems.len()))
    };
    if let Err(e) = state.service.notify(agent.person_id, reply).await {
        tracing::warn!(error = %e, "telling the person about the card check failed");
    }
    Ok(())
}
