//! API errors: a status and a localized message in a JSON body, never a stack trace; the
//! details of unexpected errors go to the log only.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use eimza_protocol::{Arg, Lang};
use serde_json::json;

use crate::i18n::Texts;
use crate::service::ServiceError;

#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    NotFound,
    BadRequest,
    TooLong(usize),
    Empty,
    /// Too many requests; try again after this many seconds.
    RateLimited(u64),
    /// A refusal with its own status, code and message (the agent's pairing calls).
    Refused {
        status: StatusCode,
        code: &'static str,
        message_id: &'static str,
        args: Vec<(&'static str, Arg)>,
        retry_after: Option<u64>,
    },
    Internal(String),
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl ApiError {
    pub fn render(self, texts: &Texts, lang: Lang) -> Response {
        let (status, code, message) = match &self {
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", texts.get(lang, "api-error-unauthorized")),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "not_found", texts.get(lang, "api-error-not-found")),
            ApiError::BadRequest => (StatusCode::BAD_REQUEST, "bad_request", texts.get(lang, "api-error-bad-request")),
            ApiError::TooLong(max) => (
                StatusCode::BAD_REQUEST,
                "too_long",
                texts.with(lang, "api-error-too-long", &[("max", Arg::Str(crate::i18n::number(lang, *max as i64)))]),
            ),
            ApiError::Empty => (StatusCode::BAD_REQUEST, "empty", texts.get(lang, "api-error-empty")),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited", texts.get(lang, "api-error-rate-limited")),
            ApiError::Refused { status, code, message_id, args, .. } => (*status, *code, texts.with(lang, message_id, args)),
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", texts.get(lang, "api-error-internal"))
            }
        };
        let mut response = (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response();
        if let ApiError::RateLimited(seconds) | ApiError::Refused { retry_after: Some(seconds), .. } = self
            && let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        if matches!(self, ApiError::Unauthorized) {
            response.headers_mut().insert(axum::http::header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
        }
        response
    }
}
