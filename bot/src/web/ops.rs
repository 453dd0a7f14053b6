//! For the operators: `/healthz` (the process answers), `/readyz` (it can do its work: the
//! database answers, the migrations are applied, the workers run, the chat platforms' links are
//! healthy — JSON detail, 503 when not), and `/metrics` (Prometheus text format, on the main
//! address only behind the configured bearer token). Nothing here names a person.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use secrecy::ExposeSecret;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::AppState;
use crate::metrics::{self, METRICS};

pub fn routes() -> Router<AppState> {
    Router::new().route("/healthz", get(|| async { "ok" })).route("/readyz", get(ready)).route("/metrics", get(metrics_on_main))
}

/// `/readyz`.
async fn ready(State(state): State<AppState>) -> Response {
    let store = state.service.store();
    // One bound for both questions: a stuck database makes the answer "not ready", never a hang.
    let asked = tokio::time::timeout(std::time::Duration::from_secs(3), async { (store.ping().await, store.migrations().await) }).await;
    let (database, migrations) = match asked {
        Ok((Ok(()), Ok((applied, known)))) if applied == known => (true, json!("ok")),
        Ok((Ok(()), Ok((applied, known)))) => (true, json!(format!("{applied} of {known} applied"))),
        Ok((Ok(()), Err(_))) => (true, json!("unknown")),
        _ => (false, json!("unknown")),
    };
    let stopped = state.health.stopped_workers();
    let telegram = match state.health.telegram_ok(crate::clock::now_ms()) {
        None => "not-polled",
        Some(true) => "ok",
        Some(false) => "not-answering",
    };
    let discord = match state.health.discord(crate::clock::now_ms()) {
        None => "not-configured",
        Some(crate::health::LinkState::NoCallYet) => "no-call-yet",
        Some(crate::health::LinkState::Ok) => "ok",
        Some(crate::health::LinkState::Failing) => "failing",
    };
    let ready = database && migrations == "ok" && stopped.is_empty() && telegram != "not-answering" && discord != "failing";
    let body = json!({
        "status": if ready { "ready" } else { "not-ready" },
        "checks": {
            "database": if database { "ok" } else { "unreachable" },
            "migrations": migrations,
            "workers": if stopped.is_empty() { json!("ok") } else { json!({ "stopped": stopped }) },
            "telegram": telegram,
            "discord": discord,
        },
    });
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, Json(body)).into_response()
}

/// `/metrics` on the main address: only with the configured bearer token.
async fn metrics_on_main(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer ")).unwrap_or("");
    if !bool::from(given.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))]).into_response();
    }
    exposition(&state).await
}

/// `/metrics` on the metrics address of its own (reachable only by the monitoring network).
pub fn metrics_router(state: AppState) -> Router {
    Router::new().route("/metrics", get(|State(state): State<AppState>| async move { exposition(&state).await })).with_state(state)
}

/// The values read now (tickets by state, outbox depth and age, agents connected), then the text.
async fn exposition(state: &AppState) -> Response {
    let store = state.service.store();
    let now = crate::clock::now_ms();
    if let Ok(counts) = store.counts_by_state().await {
        for s in crate::core::ticket::TicketState::ALL {
            let n = counts.iter().find(|(c, _)| *c == s).map(|(_, n)| *n).unwrap_or(0);
            METRICS.tickets.get_or_create(&metrics::State { state: s.code().to_owned() }).set(n);
        }
    }
    if let Ok(depths) = store.outbox_depths().await {
        METRICS.outbox_depth.clear();
        METRICS.outbox_oldest_seconds.clear();
        for d in depths {
            let label = metrics::Channel { channel: d.channel };
            METRICS.outbox_depth.get_or_create(&label).set(d.pending);
            METRICS.outbox_oldest_seconds.get_or_create(&label).set(d.oldest_at.map(|at| (now - at).max(0) / 1000).unwrap_or(0));
        }
    }
    METRICS.agents_connected.set(state.service.links().count() as i64);
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], METRICS.render()).into_response()
}
