//! The bot ↔ agent wire protocol: JSON text frames over one WebSocket the agent opens.
//!
//! The agent says [`AgentMessage::Hello`] first; the bot answers [`BotMessage::Welcome`] or an
//! [`BotMessage::Error`] (`version-mismatch`) and closes. Then the bot sends [`BotMessage::Work`]
//! items, each acknowledged by the agent with [`AgentMessage::Ack`] once it has them; the agent
//! sends [`AgentMessage::Report`]s, each acknowledged by the bot once stored. Both sides keep an
//! item until its ack arrives and treat a repeated id as already done, so a dropped connection
//! loses nothing and doubles nothing.
//!
//! Every value is checked by its shape while it is read: ids ([`Id`]), ticket numbers
//! ([`TicketNo`]), identity numbers ([`Tckn`]); a frame with a bad one is `malformed`, never
//! half-used. Compatibility: fields added later are optional (`#[serde(default)]`), unknown
//! fields are ignored, and a message, work or report of a kind this side does not know decodes as
//! `Unknown` (a newer peer), told apart from garbage. `PROTOCOL_VERSION` changes only when an old
//! peer could misunderstand a new one.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::{Tckn, TicketNo};

/// The protocol both sides speak. A peer with another version is told to update.
pub const PROTOCOL_VERSION: u32 = 1;

/// No frame may be larger: a bigger one is refused with `too-large`.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Seconds between the agent's heartbeats; the bot drops a connection silent for three of them.
pub const HEARTBEAT_SECS: u32 = 20;

/// An id one side makes up (work items, reports, nonces): 1 to 64 characters of `A–Z a–z 0–9 - _`
/// (what base64url and our prefixes use), so it is safe to log, store and put in a path.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Id(String);

impl Id {
    pub const MAX_LEN: usize = 64;

    pub fn new(text: &str) -> Option<Id> {
        let ok = (1..=Self::MAX_LEN).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Id(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Id, D::Error> {
        let text = String::deserialize(deserializer)?;
        Id::new(&text).ok_or_else(|| serde::de::Error::custom("not an id"))
    }
}

/// From the agent to the bot.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum AgentMessage {
    Hello {
        protocol: u32,
        agent_version: String,
    },
    Heartbeat {
        seq: u64,
    },
    /// The work item arrived and is stored on the PC; the bot may forget about delivering it.
    Ack {
        work_id: Id,
    },
    Report {
        report_id: Id,
        work_id: Id,
        body: ReportBody,
    },
    /// A message of a newer agent this bot does not know.
    #[serde(other)]
    Unknown,
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
        work_id: Id,
        body: WorkBody,
    },
    /// The report is stored; a repeated one is acknowledged again and has no second effect.
    Ack {
        report_id: Id,
    },
    Error {
        code: ErrorCode,
        /// For `version-mismatch`: the version the bot speaks.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        protocol: Option<u32>,
    },
    /// A message of a newer bot this agent does not know.
    #[serde(other)]
    Unknown,
}

/// What the bot asks the agent to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum WorkBody {
    /// The card step of a renewal: check the card for this ticket. `nonce` makes each request
    /// distinct; `tckn` is the ticket holder's number, so the PC refuses someone else's card
    /// before any PIN is asked (sent only to the holder's own PC, never stored with the queue).
    CardStep {
        ticket_no: TicketNo,
        nonce: Id,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tckn: Option<Tckn>,
    },
    /// Work of a newer bot: acknowledged and reported as not understood.
    #[serde(other)]
    Unknown,
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
        /// Why the card cannot be used yet, in checking order (empty when `usable`).
        #[serde(default)]
        problems: Vec<CardProblem>,
        /// The card certificate's expiry (RFC 3339), when one was read.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        certificate_not_after: Option<String>,
        /// When Kamu SM accepts the renewal (RFC 3339), when it is too early.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        renewal_opens: Option<String>,
        /// The PC stopped waiting for a card that can be used (the person may ask again).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        gave_up: bool,
    },
    /// A report of a newer agent: stored and acknowledged, no effect.
    #[serde(other)]
    Unknown,
}

/// Why the card step cannot go on, as both sides name it: the PC says it in words, the bot tells
/// the person in chat (one message each) and decides what it means for the ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CardProblem {
    /// The smart-card service (pcscd, Windows' SCardSvr) is not running.
    NoService,
    NoReader,
    ReaderGone,
    NoCard,
    CardRemoved,
    CardReset,
    CardBusy,
    NotAkis,
    NoCertificate,
    BadCertificate,
    /// The certificate carries no TC Kimlik No.
    NoIdentityNumber,
    /// The card belongs to someone else.
    WrongPerson,
    NotKamuSm,
    NotYetValid,
    Expired,
    /// Too early: Kamu SM opens the renewal three months before expiry.
    RenewalWindowNotOpen,
    PinLocked,
    /// Kamu SM's PKCS#11 module is missing or does not load.
    Pkcs11Module,
    /// The PKCS#11 module shows no card.
    NoToken,
    /// Anything else; the PC's log has the detail.
    Internal,
    /// A problem a newer agent knows and this bot does not.
    #[serde(other)]
    Unknown,
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
    /// A code of a newer peer.
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The Fluent message a person reads about it (in `agent.ftl`).
    pub fn message_id(self) -> &'static str {
        match self {
            ErrorCode::VersionMismatch => "link-err-version",
            ErrorCode::Malformed | ErrorCode::UnknownType | ErrorCode::HelloExpected | ErrorCode::TooLarge => "link-err-protocol",
            ErrorCode::Unauthorized => "link-err-unauthorized",
            ErrorCode::Revoked => "link-err-revoked",
            ErrorCode::Internal | ErrorCode::Unknown => "link-err-internal",
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

/// A top-level frame type: it knows whether it decoded as the `Unknown` of a newer peer.
pub trait Frame: DeserializeOwned {
    fn is_unknown(&self) -> bool;
}

impl Frame for AgentMessage {
    fn is_unknown(&self) -> bool {
        matches!(self, AgentMessage::Unknown)
    }
}

impl Frame for BotMessage {
    fn is_unknown(&self) -> bool {
        matches!(self, BotMessage::Unknown)
    }
}

/// Reads one frame of either direction, refusing oversized ones before parsing them and telling
/// an unknown `type` (a newer peer) from garbage.
pub fn decode<T: Frame>(frame: &str) -> Result<T, DecodeError> {
    if frame.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::TooLarge);
    }
    match serde_json::from_str::<T>(frame) {
        Ok(message) if message.is_unknown() => Err(DecodeError::UnknownType),
        Ok(message) => Ok(message),
        Err(_) => Err(DecodeError::Malformed),
    }
}

/// Writes one frame.
pub fn encode<T: Serialize>(message: &T) -> String {
    // Our message types serialise infallibly (no maps with non-string keys, no floats).
    serde_json::to_string(message).unwrap_or_else(|_| String::from(r#"{"type":"error","code":"internal"}"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked_by_shape() {
        assert!(Id::new("w-01JD5Q8Y_x").is_some());
        for bad in ["", "a b", "ş", "x/../y", "a\u{1b}[2J", &"x".repeat(65)] {
            assert!(Id::new(bad).is_none(), "{bad:?}");
            assert!(serde_json::from_value::<Id>(serde_json::Value::String(bad.to_owned())).is_err());
        }
    }
}
