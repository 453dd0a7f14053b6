//! The agent's HTTP calls besides the link, each with its bearer token: the ticket waiting for
//! the card step (`GET /api/agent/card-step`), a nonce (`POST /api/agent/challenges`), the
//! e-Onay attestation (`POST /api/agent/attestations`), what the PC found on the card during the
//! e-Onay step (`POST /api/agent/card-checks`), a certificate the PC saw on a card
//! (`POST /api/agent/certificates`). Bodies are `eimza_protocol::attest` types, read by their
//! shape; answers in the `Accept-Language`'s language.

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use eimza_protocol::attest::{Attestation, AttestationRefusal, CardCheckReport, ChallengeRequest, Verdict};
use serde::Deserialize;
use serde_json::json;

use super::api::bearer;
use super::error::ApiError;
use super::{AppState, request_lang};
use crate::clock;
use crate::service::agent_events::{self, CardCheck};
use crate::store::AgentRow;

/// An attestation with its certificate fits many times over.
const MAX_BODY: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/agent/card-step", get(card_step))
        .route("/api/agent/challenges", post(challenge))
        .route("/api/agent/attestations", post(attestation))
        .route("/api/agent/card-checks", post(card_check))
        .route("/api/agent/certificates", post(certificate))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

fn refused(status: StatusCode, code: &'static str, message_id: &'static str) -> ApiError {
    ApiError::Refused { status, code, message_id, args: Vec::new(), retry_after: None }
}

/// The paired PC the bearer token names; revoked or unknown ones are refused.
async fn agent(state: &AppState, headers: &HeaderMap) -> Result<AgentRow, ApiError> {
    match state.service.store().agent_by_token(bearer(headers).unwrap_or("")).await? {
        Some(agent) if !agent.revoked => {
            state.limits.agent_calls.take(&agent.id.to_string()).map_err(|s| {
                crate::metrics::METRICS.refused("agent-api");
                ApiError::RateLimited(s)
            })?;
            Ok(agent)
        }
        Some(_) => Err(refused(StatusCode::UNAUTHORIZED, "revoked", "link-err-revoked")),
        None => Err(refused(StatusCode::UNAUTHORIZED, "unauthorized", "link-err-unauthorized")),
    }
}

async fn card_step(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let lang = request_lang(&headers);
    let result = async {
        let agent = agent(&state, &headers).await?;
        state.attestations.card_step(&agent).await?.ok_or_else(|| refused(StatusCode::NOT_FOUND, "no-card-step", "eonay-no-card-step"))
    }
    .await;
    match result {
        Ok(info) => Json(info).into_response(),
        Err(e) => e.render(state.service.texts(), lang),
    }
}

async fn challenge(State(state): State<AppState>, headers: HeaderMap, body: Result<Json<ChallengeRequest>, JsonRejection>) -> Response {
    let lang = request_lang(&headers);
    let result = async {
        let agent = agent(&state, &headers).await?;
        let Json(body) = body.map_err(|_| ApiError::BadRequest)?;
        match state.attestations.challenge(&agent, &body.ticket_no).await? {
            Ok(challenge) => Ok(challenge),
            Err(_) => Err(refused(StatusCode::CONFLICT, "no-card-step", "eonay-no-card-step")),
        }
    }
    .await;
    match result {
        Ok(challenge) => (StatusCode::CREATED, Json(challenge)).into_response(),
        Err(e) => e.render(state.service.texts(), lang),
    }
}

async fn attestation(State(state): State<AppState>, headers: HeaderMap, body: Result<Json<Attestation>, JsonRejection>) -> Response {
    let lang = request_lang(&headers);
    let result = async {
        let agent = agent(&state, &headers).await?;
        let verdict = match body {
            Ok(Json(attestation)) => state.attestations.attest(&agent, &attestation, lang).await?,
            Err(_) => {
                let refusal = AttestationRefusal::Malformed;
                Verdict::Refused { reason: refusal, message: state.service.texts().get(lang, refusal.message_id()) }
            }
        };
        Ok::<_, ApiError>(verdict)
    }
    .await;
    match result {
        Ok(verdict @ Verdict::Accepted { .. }) => (StatusCode::OK, Json(verdict)).into_response(),
        Ok(verdict) => (StatusCode::UNPROCESSABLE_ENTITY, Json(verdict)).into_response(),
        Err(e) => e.render(state.service.texts(), lang),
    }
}

async fn card_check(State(state): State<AppState>, headers: HeaderMap, body: Result<Json<CardCheckReport>, JsonRejection>) -> Response {
    let lang = request_lang(&headers);
    let result = async {
        let agent = agent(&state, &headers).await?;
        let Json(mut report) = body.map_err(|_| ApiError::BadRequest)?;
        // A problem says itself once; a list longer than every problem there is is no report.
        let mut seen = Vec::new();
        report.problems.retain(|p| {
            let first = !seen.contains(p);
            seen.push(*p);
            first
        });
        if report.problems.len() > 32 {
            return Err(ApiError::BadRequest);
        }
        let store = state.service.store();
        let Some(ticket) = store.open_ticket_of_agent(&agent).await?.filter(|t| t.number == report.ticket_no) else {
            return Err(refused(StatusCode::CONFLICT, "no-card-step", "eonay-no-card-step"));
        };
        let now = clock::now_ms();
        let check = CardCheck { usable: report.usable, problems: report.problems, renewal_opens: None, gave_up: false };
        let mut tx = store.begin().await?;
        agent_events::card_checked(&mut tx, &agent, ticket.id, ticket.number, &check, &format!("eonay:{}:{now}", agent.id), now).await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.render(state.service.texts(), lang),
    }
}

#[derive(Deserialize)]
struct SeenCertificate {
    /// DER, base64.
    certificate: String,
}

async fn certificate(State(state): State<AppState>, headers: HeaderMap, body: Result<Json<SeenCertificate>, JsonRejection>) -> Response {
    let lang = request_lang(&headers);
    let result = async {
        let agent = agent(&state, &headers).await?;
        let Json(seen) = body.map_err(|_| ApiError::BadRequest)?;
        Ok::<_, ApiError>(state.attestations.certificate_seen(&agent, &seen.certificate).await?)
    }
    .await;
    match result {
        Ok(completed) => Json(json!({ "completed": completed })).into_response(),
        Err(e) => e.render(state.service.texts(), lang),
    }
}
