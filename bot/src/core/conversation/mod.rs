//! The renewal conversation, transport-agnostic and pure.
//!
//! A transport turns a platform update into an [`Incoming`]; [`engine::handle`] takes the stored
//! [`Conversation`], the input and a few [`Facts`] and returns the new conversation, the
//! [`Reply`]s (message ids + variables + buttons, rendered later in the person's language) and
//! [`Action`]s the service carries out (open a ticket, delete data, delete a misplaced PIN).

pub mod engine;
mod input;
mod state;

pub use engine::{ActionResult, Ctx, Expects, Outcome, PairingDecision, action_result, expects, handle};
pub use input::{Command, Input, parse_command};
pub use state::{Conversation, Draft, Field, PendingCode, Step};

use eimza_protocol::{Arg, Lang};
use serde::{Deserialize, Serialize};

use crate::core::button::ButtonId;
use crate::core::domain::{AgentId, EmailDomains, KurumEmail, RequestId, TicketNo, UserError};
use crate::core::ticket::TicketState;

/// The message that says a PIN typed into the chat was removed (a transport that removes it
/// only after the turn re-words it when that fails).
pub const PIN_WARNING: &str = "pin-warning";

/// Where a message came from. Adapters for Telegram and Discord add their variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Transport {
    Web,
    Telegram,
    Discord,
}

impl Transport {
    pub fn code(self) -> &'static str {
        match self {
            Transport::Web => "web",
            Transport::Telegram => "telegram",
            Transport::Discord => "discord",
        }
    }

    pub fn from_code(code: &str) -> Option<Transport> {
        [Transport::Web, Transport::Telegram, Transport::Discord].into_iter().find(|t| t.code() == code)
    }
}

/// One message or button press from a person, in our terms. (`Debug` shows no text a person
/// typed: see [`Input`].)
#[derive(Clone, Debug)]
pub struct Incoming {
    pub transport: Transport,
    /// The person on that transport (Telegram user id, web chat session, …).
    pub user_id: String,
    pub input: Input,
    /// The language the platform reports for the person, if any.
    pub lang_hint: Option<Lang>,
    /// The platform's id for this update, so a re-delivered one has no second effect.
    pub update_id: Option<String>,
    /// Whether the bot may remove this message (a misplaced PIN): the web chat never shows it
    /// again; a Telegram private chat allows deleting, a group only to an admin bot.
    pub can_delete: bool,
}

/// A message to show: a Fluent id and its variables.
#[derive(Clone, Debug, PartialEq)]
pub struct Msg {
    pub id: &'static str,
    pub args: Vec<(&'static str, Value)>,
}

impl Msg {
    pub fn new(id: &'static str) -> Msg {
        Msg { id, args: Vec::new() }
    }
    pub fn with(mut self, name: &'static str, value: impl Into<Value>) -> Msg {
        self.args.push((name, value.into()));
        self
    }
    /// A message built from a domain error's id and variables.
    pub fn from_error(error: &impl UserError) -> Msg {
        let (id, args) = error.message();
        Msg { id, args: args.into_iter().map(|(k, v)| (k, Value::Plain(v))).collect() }
    }
}

/// A message variable. Dates and nested messages are rendered in the reader's language.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Plain(Arg),
    /// Milliseconds since the Unix epoch, shown in Europe/Istanbul time.
    DateTime(i64),
    /// A calendar day ("25 Kasım 2026").
    Day(chrono::NaiveDate),
    Message(Box<Msg>),
    /// Several messages, one per line (a timeline).
    Lines(Vec<Msg>),
}

impl<T: Into<Arg>> From<T> for Value {
    fn from(v: T) -> Self {
        Value::Plain(v.into())
    }
}

impl From<Msg> for Value {
    fn from(m: Msg) -> Self {
        Value::Message(Box::new(m))
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Label {
    Msg(Msg),
    /// Institution data, shown as configured (e.g. a title such as "Şube Müdürü").
    Verbatim(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Button {
    pub id: ButtonId,
    pub label: Label,
}

impl Button {
    pub fn new(id: ButtonId, label: &'static str) -> Button {
        Button { id, label: Label::Msg(Msg::new(label)) }
    }
}

/// One chat bubble: its paragraphs and buttons.
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    pub parts: Vec<Msg>,
    pub buttons: Vec<Button>,
}

impl Reply {
    pub fn text(msg: Msg) -> Reply {
        Reply { parts: vec![msg], buttons: Vec::new() }
    }
    pub fn ids(&self) -> Vec<&'static str> {
        self.parts.iter().map(|m| m.id).collect()
    }
}

/// What the engine needs to know from the store.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub open_ticket: Option<TicketBrief>,
    /// Loaded only for `/durum`: the person's most recent ticket and its history.
    pub status: Option<StatusView>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StatusView {
    pub number: TicketNo,
    pub state: TicketState,
    pub opened_at: i64,
    pub history: Vec<StatusEvent>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StatusEvent {
    pub at: i64,
    pub to: TicketState,
    pub actor: crate::core::ticket::ActorKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TicketBrief {
    pub number: TicketNo,
    pub state: TicketState,
}

/// The institution's configuration the conversation uses.
#[derive(Clone, Debug)]
pub struct Settings {
    pub institution: String,
    pub domains: EmailDomains,
    pub titles: Vec<String>,
    pub retention_days: u32,
    /// The bot's address as people reach it, for the agent's pairing command.
    pub public_url: String,
    /// Transports whose people give the TC Kimlik No and birth date on the web form.
    pub web_form: Vec<Transport>,
    /// New requests are forwarded to the institution's help-desk (the KVKK notice says so).
    pub helpdesk_forwarding: bool,
}

/// Work the service does for the engine, in the same transaction as saving the conversation.
#[derive(Clone, PartialEq)]
pub enum Action {
    OpenTicket(Box<Draft>),
    CancelTicket(TicketNo),
    DeletePersonalData,
    /// Remove the person's last message (a misplaced PIN) where the transport allows.
    DeleteIncomingMessage,
    /// Mail a one-time code to the address, to prove the person reads it.
    SendEmailCode {
        email: KurumEmail,
    },
    /// A one-time code to type into the desktop agent.
    IssuePairingCode,
    /// The person's answer to "this PC wants to pair".
    DecidePairing {
        request_id: RequestId,
        approve: bool,
    },
    ListDevices,
    UnlinkDevice {
        agent_id: AgentId,
    },
    /// A one-time link to the built-in web form (TC Kimlik No and birth date).
    IssueFormLink,
    /// Free text from a person with an open ticket: a question for the support desk (already
    /// redacted of identity numbers and PINs).
    AskStaff {
        text: String,
    },
    /// Send the card step to the person's PC again.
    RecheckCard,
    /// The person approved the renewal form ("Onayladım").
    ApproveForm,
}

/// The question's text stays out of logs; everything else is masked by its own type.
impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::OpenTicket(draft) => f.debug_tuple("OpenTicket").field(draft).finish(),
            Action::CancelTicket(number) => f.debug_tuple("CancelTicket").field(number).finish(),
            Action::DeletePersonalData => f.write_str("DeletePersonalData"),
            Action::DeleteIncomingMessage => f.write_str("DeleteIncomingMessage"),
            Action::SendEmailCode { email } => f.debug_struct("SendEmailCode").field("email", email).finish(),
            Action::IssuePairingCode => f.write_str("IssuePairingCode"),
            Action::DecidePairing { request_id, approve } => {
                f.debug_struct("DecidePairing").field("request_id", request_id).field("approve", approve).finish()
            }
            Action::ListDevices => f.write_str("ListDevices"),
            Action::UnlinkDevice { agent_id } => f.debug_struct("UnlinkDevice").field("agent_id", agent_id).finish(),
            Action::IssueFormLink => f.write_str("IssueFormLink"),
            Action::AskStaff { text } => write!(f, "AskStaff {{ text: <{} chars> }}", text.chars().count()),
            Action::RecheckCard => f.write_str("RecheckCard"),
            Action::ApproveForm => f.write_str("ApproveForm"),
        }
    }
}

/// A paired PC as `/cihazlar` shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceView {
    pub agent_id: AgentId,
    pub name: String,
    pub os: String,
    pub last_seen_ms: i64,
}
