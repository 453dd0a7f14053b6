//! The bot's HTTP API for a paired PC (`/api/agent/…`, the stored token as bearer): the ticket
//! waiting for the card step, a nonce, the attestation, a card check made during e-Onay, a
//! certificate seen on a card. Every answer is read by its shape (`eimza_protocol::attest`
//! types: ticket numbers and identity numbers parse or the answer is refused) before it is used.

use std::time::Duration;

use base64::Engine as _;
use eimza_protocol::attest::{Attestation, CardCheckReport, CardStepInfo, Challenge, ChallengeRequest, Verdict};
use eimza_protocol::{Lang, TicketNo};
use http_client::StatusCode;
use serde::Deserialize;

use super::home::Pairing;

/// Why a call did not give an answer we can use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("the bot did not answer")]
    Unreachable,
    #[error("the pairing was revoked")]
    Revoked,
    #[error("the bot does not know this PC")]
    Unauthorized,
    #[error("no ticket is waiting for this PC's card step")]
    NoCardStep,
    #[error("the bot answered something unexpected")]
    Unexpected,
}

impl ApiError {
    /// What the person reads (agent.ftl).
    pub fn message_id(&self) -> &'static str {
        match self {
            ApiError::Unreachable => "api-err-unreachable",
            ApiError::Revoked => "link-err-revoked",
            ApiError::Unauthorized => "link-err-unauthorized",
            ApiError::NoCardStep => "eonay-no-card-step",
            ApiError::Unexpected => "api-err-unexpected",
        }
    }
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
}

pub struct BotApi {
    client: http_client::Client,
    server: String,
    token: String,
    lang: Lang,
}

impl BotApi {
    pub fn new(pairing: &Pairing, lang: Lang) -> Result<BotApi, ApiError> {
        let server = super::checked_server(&pairing.server).ok_or(ApiError::Unexpected)?;
        let client = http_client::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|_| ApiError::Unexpected)?;
        Ok(BotApi { client, server, token: pairing.token.clone(), lang })
    }

    /// The address the agent was paired with: the origin its statements name.
    pub fn origin(&self) -> &str {
        &self.server
    }

    fn request(&self, method: http_client::Method, path: &str) -> http_client::RequestBuilder {
        self.client.request(method, format!("{}{path}", self.server)).bearer_auth(&self.token).header("Accept-Language", self.lang.code())
    }

    async fn send(&self, request: http_client::RequestBuilder) -> Result<http_client::Response, ApiError> {
        let response = request.send().await.map_err(|_| ApiError::Unreachable)?;
        match response.status() {
            StatusCode::UNAUTHORIZED => {
                let code = response.json::<ErrorBody>().await.map(|b| b.error.code).unwrap_or_default();
                Err(if code == "revoked" { ApiError::Revoked } else { ApiError::Unauthorized })
            }
            StatusCode::NOT_FOUND | StatusCode::CONFLICT => {
                let code = response.json::<ErrorBody>().await.map(|b| b.error.code).unwrap_or_default();
                Err(if code == "no-card-step" { ApiError::NoCardStep } else { ApiError::Unexpected })
            }
            status if status.is_server_error() => Err(ApiError::Unreachable),
            _ => Ok(response),
        }
    }

    /// The ticket waiting for this PC's card step; `None` when there is none.
    pub async fn card_step(&self) -> Result<Option<CardStepInfo>, ApiError> {
        match self.send(self.request(http_client::Method::GET, "/api/agent/card-step")).await {
            Ok(response) if response.status() == StatusCode::OK => response.json().await.map(Some).map_err(|_| ApiError::Unexpected),
            Ok(_) => Err(ApiError::Unexpected),
            Err(ApiError::NoCardStep) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A one-time nonce for `ticket`; refused unless it is for that very ticket.
    pub async fn challenge(&self, ticket: &TicketNo) -> Result<Challenge, ApiError> {
        let body = ChallengeRequest { ticket_no: *ticket };
        let response = self.send(self.request(http_client::Method::POST, "/api/agent/challenges").json(&body)).await?;
        if response.status() != StatusCode::CREATED {
            return Err(ApiError::Unexpected);
        }
        let challenge: Challenge = response.json().await.map_err(|_| ApiError::Unexpected)?;
        if challenge.ticket_no != *ticket || chrono::DateTime::parse_from_rfc3339(&challenge.expires_at).is_err() {
            return Err(ApiError::Unexpected);
        }
        Ok(challenge)
    }

    /// Sends the signed statement; the bot's verdict (accepted, or refused with a reason).
    pub async fn attest(&self, attestation: &Attestation) -> Result<Verdict, ApiError> {
        let response = self.send(self.request(http_client::Method::POST, "/api/agent/attestations").json(attestation)).await?;
        match response.status() {
            StatusCode::OK | StatusCode::UNPROCESSABLE_ENTITY => response.json().await.map_err(|_| ApiError::Unexpected),
            _ => Err(ApiError::Unexpected),
        }
    }

    /// Tells the bot what the card showed during the e-Onay step (a locked PIN, say).
    pub async fn card_check(&self, report: &CardCheckReport) -> Result<(), ApiError> {
        let response = self.send(self.request(http_client::Method::POST, "/api/agent/card-checks").json(report)).await?;
        if response.status().is_success() { Ok(()) } else { Err(ApiError::Unexpected) }
    }

    /// A certificate this PC saw on a card; true when it closed the person's request.
    pub async fn certificate_seen(&self, der: &[u8]) -> Result<bool, ApiError> {
        #[derive(Deserialize)]
        struct Answer {
            completed: bool,
        }
        let body = serde_json::json!({ "certificate": base64::engine::general_purpose::STANDARD.encode(der) });
        let response = self.send(self.request(http_client::Method::POST, "/api/agent/certificates").json(&body)).await?;
        if !response.status().is_success() {
            return Err(ApiError::Unexpected);
        }
        response.json::<Answer>().await.map(|a| a.completed).map_err(|_| ApiError::Unexpected)
    }
}
