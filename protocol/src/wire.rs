//! The bot ↔ agent wire protocol: JSON text frames over one WebSocket the agent opens.
//!
//! The agent says [`AgentMessage::Hello`] first; the bot answers [`BotMessage::Welcome`] or an
//! [`BotMessage::Error`] (`version-mismatch`) and closes. Then the bot sends [`BotMessage::Work`]
//! items, each acknowledged by the agent with [`AgentMessage::Ack`] once it has them; the agent
//! sends [`AgentMessage::Report`]s, each acknowledged by the bot once stored. Both sides keep an
//! item until its ack arrives and treat a repeated id as already done, so a dropped connection
//! loses nothing and doubles nothing.
//!
//! Compatibility: fields added later are optional (`#[serde(default)]`), unknown fields are
//! ignored, and a message of an unknown `type` gets an `unknown-type` error frame without closing
//! the connection. `PROTOCOL_VERSION` changes only when an old peer could misunderstand a new one.

use serde::{Deserialize, Serialize};

/// The protocol both sides speak. A peer with another version is told to update.
pub const PROTOCOL_VERSION: u32 = 1;

/// No frame may be larger: a bigger one is refused with `too-large`.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Seconds between the agent's heartbeats; the bot drops a connection silent for three of them.
pub const HEARTBEAT_SECS: u32 = 20;

/// From the agent to the bot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AgentMessage {
    Hello { protocol: u32, agent_version: String },
    Heartbeat { seq: u64 },
    /// The work item arrived and is stored on the PC; the bot may forget about delivering it.
    Ack { work_id: String },
    Report { report_id: String, work_id: String, body: ReportBody },
}

/// From the bot to the agent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum BotMessage {
    Welcome {
        protocol: u32,
        heartbeat_secs: u32,
    },
    HeartbeatAck {
        seq: u64,
    },
    Work {
        work_id: String,
        body: WorkBody,
    },
    /// The report is stored; a repeated one is acknowledged again and has no second effect.
    Ack {
        report_id: String,
    },
    Error {
        code: ErrorCode,
        /// For `version-mismatch`: the version the bot speaks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        protocol: Option<u32>,
    },
}

/// What the bot asks the agent to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum WorkBody {
    /// The card step of a renewal: check the card for this ticket. `nonce` is the bot's one-time
    /// value the card-signed attestation will carry; `tckn` the ticket holder's number, so the PC
    /// refuses someone else's card before any PIN is asked (sent only to the holder's own PC).
    CardStep {
        ticket_no: String,
        nonce: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tckn: Option<String>,
    },
}

/// What the agent reports back.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReportBody {
    /// The person was notified on the PC (`notified` is false where no notification could be
    /// shown) and the card pre-flight ran.
    CardCheck {
        notified: bool,
        usable: bool,
        /// Stable problem or error codes of the pre-flight (`wrong-person`, `no-card`, …).
        #[serde(default)]
        problems: Vec<String>,
        /// The card certificate's expiry (RFC 3339), when one was read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        certificate_not_after: Option<String>,
    },
}

/// Why a peer refused a frame or the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorCode {
    VersionMismatch,
    Malformed,
    TooLarge,
    UnknownType,
    /// The first frame was not `hello`.
    HelloExpected,
    Unauthorized,
    Revoked,
    /// Anything else; the bot's log has the detail.
    Internal,
}

impl ErrorCode {
    /// The Fluent message a person reads about it (in `agent.ftl`).
    pub fn message_id(self) -> &'static str {
        match self {
            ErrorCode::VersionMismatch => "link-err-version",
            ErrorCode::Malformed | ErrorCode::UnknownType | ErrorCode::HelloExpected | ErrorCode::TooLarge => "link-err-protocol",
            ErrorCode::Unauthorized => "link-err-unauthorized",
            ErrorCode::Revoked => "link-err-revoked",
            ErrorCode::Internal => "link-err-internal",
        }
    }
}

/// Why a frame could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    TooLarge,
    Malformed,
    UnknownType,
}

impl DecodeError {
    pub fn code(self) -> ErrorCode {
        match self {
            DecodeError::TooLarge => ErrorCode::TooLarge,
            DecodeError::Malformed => ErrorCode::Malformed,
            DecodeError::UnknownType => ErrorCode::UnknownType,
        }
    }
}

/// Reads one frame of either direction, refusing oversized ones before parsing them and telling
/// an unknown `type` (a newer peer) from garbage.
pub fn decode<T: for<'de> Deserialize<'de>>(frame: &str) -> Result<T, DecodeError> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::TooLarge);
    }
    match serde_json::from_str::<T>(frame) {
        Ok(m) => Ok(m),
        Err(_) => {
            // Well-formed JSON with a `type` we do not know is a newer peer, not garbage.
            match serde_json::from_str::<serde_json::Value>(frame) {
                Ok(serde_json::Value::Object(map)) if map.get("type").is_some_and(serde_json::Value::is_string) => {
                    let known = ["hello", "heartbeat", "ack", "report", "welcome", "heartbeat-ack", "work", "error"];
                    if map.get("type").and_then(|t| t.as_str()).is_some_and(|t| !known.contains(&t)) {
                        Err(DecodeError::UnknownType)
                    } else {
                        Err(DecodeError::Malformed)
                    }
                }
                _ => Err(DecodeError::Malformed),
            }
        }
    }
}

/// Writes one frame.
pub fn encode<T: Serialize>(message: &T) -> String {
    // Our message types serialise infallibly (no maps with non-string keys, no floats).
    serde_json::to_string(message).unwrap_or_else(|_| String::from(r#"{"type":"error","code":"internal"}"#))
}
