//! The agent's side of the bot: pairing (RFC 8628-like: present the code, poll until the person
//! approved in chat, get the token once) and the WebSocket link (hello → welcome, work ↔ acks,
//! reports ↔ acks, heartbeats). Frames are `eimza_protocol::wire` JSON.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use eimza_protocol::pairing::PairingCode;
use eimza_protocol::wire::{self, AgentMessage, BotMessage, ErrorCode, HEARTBEAT_SECS, Id, MAX_FRAME_BYTES, PROTOCOL_VERSION};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;

use super::api::bearer;
use super::error::ApiError;
use super::{AppState, client, request_lang};
use crate::agents::CloseReason;
use crate::clock;
use crate::core::domain::RequestId;
use crate::service::{PAIRING_TTL_MS, agent_events};
use crate::store::{AgentRow, Claim, PairingClaim, PairingStatus};
use crate::vault::{random_id, random_secret};

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
        let request_id = RequestId::from_id(random_id("p"));
        let poll_secret = random_secret();
        let source = client::limit_key(client::client_ip(peer.ip(), &headers, &state.proxies));
        let claim = PairingClaim {
            code: &code,
            source: &source,
            pc_name: &pc_name,
            pc_os: &os,
            request_id: &request_id,
            poll_secret: &poll_secret,
            now: clock::now_ms(),
        };
        // The person is asked in chat through the outbox: this request never waits for a platform.
        let outcome = state.service.store().claim_pairing_code(&claim).await?;
        match outcome {
            Claim::Claimed { request_id, person_id } => {
                let version = body.agent_version.as_deref().and_then(clean_label).unwrap_or_else(|| "?".to_owned());
                tracing::info!(person_id, agent_version = %version, "pairing code presented");
                Ok((request_id, poll_secret))
            }
            Claim::Unknown | Claim::Expired | Claim::Used => {
                crate::metrics::METRICS.pairing_failures.inc();
                Err(match outcome {
                    Claim::Unknown => refused(StatusCode::NOT_FOUND, "pair-code-unknown", "pair-err-unknown"),
                    Claim::Expired => refused(StatusCode::GONE, "pair-code-expired", "pair-err-expired"),
                    _ => refused(StatusCode::CONFLICT, "pair-code-used", "pair-err-used"),
                })
            }
            Claim::TooManyTries { retry_after_ms } => Err({
                crate::metrics::METRICS.refused("pairing");
                ApiError::Refused {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    code: "pair-too-many",
                    message_id: "pair-err-too-many",
                    args: Vec::new(),
                    retry_after: Some((retry_after_ms as u64).div_ceil(1000)),
                }
            }),
        }
    }
    .await;
    match result {
        Ok((request_id, poll_secret)) => (
            StatusCode::ACCEPTED,
            Json(json!({ "request_id": request_id.as_str(), "poll_secret": poll_secret, "interval": 2, "expires_in": PAIRING_TTL_MS / 1000 })),
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
        Ok(PairingStatus::Approved { agent_id, token }) => {
            Json(json!({ "status": "approved", "agent_id": agent_id.as_str(), "token": token })).into_response()
        }
        Ok(PairingStatus::Fetched) => refused(StatusCode::GONE, "pair-fetched", "pair-err-used").render(state.service.texts(), lang),
        Ok(PairingStatus::Rejected) => {
            refused(StatusCode::FORBIDDEN, "pair-rejected", "pair-err-rejected").render(state.service.texts(), lang)
        }
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
    if !hello(&state, &agent, &mut out, &mut inp).await {
        return;
    }
    let mut handle = state.service.links().register(&agent.id);
    if !send(&mut out, &BotMessage::Welcome { protocol: PROTOCOL_VERSION, heartbeat_secs: HEARTBEAT_SECS }).await {
        return;
    }
    tracing::info!(agent = %agent.id, "agent connected");
    let silence = Duration::from_secs(u64::from(HEARTBEAT_SECS) * 3);
    // Work sent on this connection and not yet acknowledged.
    let mut sent: HashSet<Id> = HashSet::new();
    let mut deliver = true;
    loop {
        if deliver {
            deliver = false;
            if !send_pending_work(&state, &agent, &mut out, &mut sent).await {
                return;
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
                if let Some(reply) = on_frame(&state, &agent, &text).await
                    && !send(&mut out, &reply).await
                {
                    return;
                }
            }
        }
    }
}

type Out = futures_util::stream::SplitSink<WebSocket, Message>;
type In = futures_util::stream::SplitStream<WebSocket>;

/// The first frame must be a `hello` in our protocol version; an older agent is told to update,
/// and its person hears it in chat. False when the connection ends here.
async fn hello(state: &AppState, agent: &AgentRow, out: &mut Out, inp: &mut In) -> bool {
    let hello = match tokio::time::timeout(Duration::from_secs(10), inp.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => wire::decode::<AgentMessage>(&text),
        _ => return false,
    };
    match hello {
        Ok(AgentMessage::Hello { protocol, agent_version }) if protocol == PROTOCOL_VERSION => {
            let version = clean_label(&agent_version);
            let _ = state.service.store().touch_agent(&agent.id, version.as_deref(), clock::now_ms()).await;
            true
        }
        Ok(AgentMessage::Hello { protocol, .. }) => {
            tracing::info!(agent = %agent.id, protocol, "agent speaks another protocol version");
            send(out, &BotMessage::Error { code: ErrorCode::VersionMismatch, protocol: Some(PROTOCOL_VERSION) }).await;
            let _ = out.close().await;
            if let Err(e) = state.service.store().tell_agent_outdated(agent, protocol, clock::now_ms()).await {
                tracing::warn!(error = %e, "queuing the outdated-agent notice failed");
            }
            false
        }
        _ => {
            send(out, &BotMessage::Error { code: ErrorCode::HelloExpected, protocol: None }).await;
            let _ = out.close().await;
            false
        }
    }
}

/// Sends the agent's work not yet sent on this connection; false when the connection is gone.
async fn send_pending_work(state: &AppState, agent: &AgentRow, out: &mut Out, sent: &mut HashSet<Id>) -> bool {
    let items = match state.service.store().pending_work(&agent.id).await {
        Ok(items) => items,
        Err(e) => {
            tracing::warn!(error = %e, "reading the agent's work failed");
            return true;
        }
    };
    for (work_id, body) in items {
        if sent.contains(&work_id) {
            continue;
        }
        if !send(out, &BotMessage::Work { work_id: work_id.clone(), body }).await {
            return false;
        }
        let _ = state.service.store().mark_work_sent(&work_id, clock::now_ms()).await;
        sent.insert(work_id);
    }
    true
}

/// One frame after the hello; the answer to send, if any.
async fn on_frame(state: &AppState, agent: &AgentRow, text: &str) -> Option<BotMessage> {
    let store = state.service.store();
    match wire::decode::<AgentMessage>(text) {
        Err(e) => Some(BotMessage::Error { code: e.code(), protocol: None }),
        Ok(AgentMessage::Hello { .. } | AgentMessage::Unknown) => None,
        Ok(AgentMessage::Heartbeat { seq }) => {
            let _ = store.touch_agent(&agent.id, None, clock::now_ms()).await;
            Some(BotMessage::HeartbeatAck { seq })
        }
        Ok(AgentMessage::Ack { work_id }) => {
            if let Err(e) = agent_events::on_ack(store, agent, &work_id, clock::now_ms()).await {
                tracing::warn!(error = %e, "storing an agent's ack failed");
            }
            None
        }
        Ok(AgentMessage::Report { report_id, work_id, body }) => {
            match agent_events::on_report(store, agent, &report_id, &work_id, &body, clock::now_ms()).await {
                Ok(()) => Some(BotMessage::Ack { report_id }),
                // Not acknowledged: the agent keeps it and sends it again.
                Err(e) => {
                    tracing::warn!(error = %e, "storing an agent's report failed");
                    None
                }
            }
        }
    }
}
