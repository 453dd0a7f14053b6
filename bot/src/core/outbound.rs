//! Everything the bot says that is not the immediate reply to a person's own message, as typed
//! outbox messages: the change that causes one writes it in its own transaction (the store keeps
//! it encrypted), and the delivery worker of its channel renders and sends it. One road out.

use eimza_protocol::Lang;
use eimza_protocol::attest::AttestationRefusal;
use eimza_protocol::wire::CardProblem;
use serde::{Deserialize, Serialize};

use super::conversation::Transport;
use super::domain::{RequestId, TicketNo};
use super::notice::{ApplicantNotice, StaffNotice};
use super::staff::Digest;

/// A reply as a transport shows it: text and buttons, rendered in the reader's language.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rendered {
    pub text: String,
    pub buttons: Vec<RenderedButton>,
    /// Set on the warning about a PIN typed into the chat, with the language it was said in: a
    /// transport that removes the message only after the turn (Telegram) re-words the warning
    /// when that fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_warning: Option<Lang>,
}

impl Rendered {
    /// A text without buttons.
    pub fn plain(text: String) -> Rendered {
        Rendered { text, buttons: Vec::new(), pin_warning: None }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RenderedButton {
    /// A [`ButtonId`](super::button::ButtonId), encoded.
    pub id: String,
    pub label: String,
}

/// The outbox channels; each has its own delivery worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Webhook,
    /// A person's own chat (the web chat, Telegram, Discord).
    PersonChat,
    /// The support desk's group or channel on one platform (one channel each, so one failing
    /// never repeats the other).
    StaffChat(Transport),
}

impl Channel {
    /// Every channel, once.
    pub const ALL: [Channel; 6] = [
        Channel::Email,
        Channel::Webhook,
        Channel::PersonChat,
        Channel::StaffChat(Transport::Telegram),
        Channel::StaffChat(Transport::Discord),
        Channel::StaffChat(Transport::Web),
    ];

    /// Its place in [`Channel::ALL`] (checked when the crate is compiled, below).
    pub const fn index(self) -> usize {
        match self {
            Channel::Email => 0,
            Channel::Webhook => 1,
            Channel::PersonChat => 2,
            Channel::StaffChat(Transport::Telegram) => 3,
            Channel::StaffChat(Transport::Discord) => 4,
            Channel::StaffChat(Transport::Web) => 5,
        }
    }

    /// The stable name in the `outbox.channel` column.
    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::PersonChat => "chat",
            Channel::StaffChat(Transport::Telegram) => "staff-telegram",
            Channel::StaffChat(Transport::Discord) => "staff-discord",
            Channel::StaffChat(Transport::Web) => "staff-web",
        }
    }
}

// Each channel of `Channel::ALL` is at its own index there, so a count per channel
// (`store/outbox.rs` `Rung`) never lands on another channel's place.
const _: () = {
    let mut i = 0;
    while i < Channel::ALL.len() {
        assert!(Channel::ALL[i].index() == i, "Channel::ALL is in the order of Channel::index");
        i += 1;
    }
};

/// One outbox message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "channel", rename_all = "kebab-case")]
pub enum Outbound {
    Email(Mail),
    Webhook(HelpdeskChange),
    /// Into a person's chat, in their language at the time it is sent.
    PersonChat {
        person_id: i64,
        message: ChatMessage,
    },
    /// A post in the support desk's chat; about one ticket, or (the daily digest) about many.
    StaffChat {
        platform: Transport,
        #[serde(default)]
        ticket_id: Option<i64>,
        message: StaffMessage,
    },
}

/// The order messages must keep: those of one lane go out one after the other on a channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lane {
    Ticket(i64),
    Person(i64),
    /// Mail to one address (the store keeps only a keyed hash of it).
    Address(String),
    /// The desk's own messages about no one ticket (the daily digest).
    Desk,
}

impl Outbound {
    pub fn channel(&self) -> Channel {
        match self {
            Outbound::Email(_) => Channel::Email,
            Outbound::Webhook(_) => Channel::Webhook,
            Outbound::PersonChat { .. } => Channel::PersonChat,
            Outbound::StaffChat { platform, .. } => Channel::StaffChat(*platform),
        }
    }

    /// The ticket it is about, if any (kept in its own column: the staff view lists failures by
    /// ticket).
    pub fn ticket_id(&self) -> Option<i64> {
        match self {
            Outbound::Email(mail) => mail.ticket_id(),
            Outbound::Webhook(change) => Some(change.ticket_id),
            Outbound::PersonChat { message, .. } => message.ticket_id(),
            Outbound::StaffChat { ticket_id, .. } => *ticket_id,
        }
    }

    pub fn lane(&self) -> Lane {
        match self {
            Outbound::Email(mail) => match (mail.ticket_id(), mail) {
                (Some(ticket), _) => Lane::Ticket(ticket),
                (None, Mail::EmailCode { to, .. } | Mail::Reminder { to, .. }) => Lane::Address(to.to_ascii_lowercase()),
                (None, Mail::StaffDigest { .. }) => Lane::Desk,
                (None, _) => Lane::Address(String::new()),
            },
            Outbound::Webhook(change) => Lane::Ticket(change.ticket_id),
            Outbound::PersonChat { person_id, .. } => Lane::Person(*person_id),
            Outbound::StaffChat { ticket_id: Some(ticket_id), .. } => Lane::Ticket(*ticket_id),
            Outbound::StaffChat { ticket_id: None, .. } => Lane::Desk,
        }
    }

    /// A short name of what it is, for the staff view's list of failed deliveries
    /// (`staff-outbox-kind-<kind>`).
    pub fn kind(&self) -> &'static str {
        match self {
            Outbound::Email(Mail::EmailCode { .. }) => "email-code",
            Outbound::Email(Mail::Reminder { .. }) => "reminder",
            Outbound::Email(Mail::ApplicantNotice { .. }) => "notify-applicant",
            Outbound::Email(Mail::StaffNotice { .. }) => "notify-staff",
            Outbound::Email(Mail::HelpdeskForward(_)) | Outbound::Webhook(_) => "helpdesk-forward",
            Outbound::Email(Mail::StaffDigest { .. }) | Outbound::StaffChat { message: StaffMessage::Digest { .. }, .. } => "digest",
            Outbound::PersonChat { .. } => "person-chat",
            Outbound::StaffChat { message: StaffMessage::Question { .. }, .. } => "question",
            Outbound::StaffChat { .. } => "staff-chat",
        }
    }
}

/// An e-mail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Mail {
    /// The one-time code that proves a person reads their institutional address.
    EmailCode { to: String, code: String, lang: Lang },
    /// A certificate-expiry reminder; `person` is the roster's lookup hash (the unsubscribe link
    /// is a MAC of it).
    Reminder { to: String, name: String, days: i64, expires_day: i64, lang: Lang, person: String },
    /// A ticket notice for its applicant (address and language read from the ticket when sent).
    ApplicantNotice { ticket_id: i64, notice: ApplicantNotice },
    /// A ticket notice for the IT desk's addresses.
    StaffNotice { ticket_id: i64, notice: StaffNotice },
    /// A ticket change for the institution's own help-desk (e-mail-to-ticket).
    HelpdeskForward(HelpdeskChange),
    /// The desk's daily digest, to the IT desk's addresses.
    StaffDigest { digest: Digest },
}

impl Mail {
    pub fn ticket_id(&self) -> Option<i64> {
        match self {
            Mail::EmailCode { .. } | Mail::Reminder { .. } | Mail::StaffDigest { .. } => None,
            Mail::ApplicantNotice { ticket_id, .. } | Mail::StaffNotice { ticket_id, .. } => Some(*ticket_id),
            Mail::HelpdeskForward(change) => Some(change.ticket_id),
        }
    }
}

/// A ticket's change as the help-desk hears of it (no personal data: that is read from the ticket
/// when it is sent, and is gone once erased).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelpdeskChange {
    pub ticket_id: i64,
    pub event: String,
    pub from: String,
    pub to: String,
    pub actor: String,
    pub at: i64,
}

/// A message into a person's chat outside a reply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ChatMessage {
    /// A certificate-expiry reminder.
    Reminder { days: i64, expires_day: i64 },
    /// A change of their ticket (staff made the corporate application, cancelled it, …);
    /// `address` is their institutional address, masked, where the notice names it.
    TicketNotice {
        ticket_id: i64,
        ticket: TicketNo,
        notice: ApplicantNotice,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address: Option<String>,
    },
    /// "PC (OS) wants to pair with this chat": Onayla / Reddet.
    PairingPrompt { request_id: RequestId, pc_name: String, pc_os: String },
    /// The card step reached their PC.
    CardStepDelivered { ticket: TicketNo, pc_name: String },
    /// The card step waits for a PC that is not connected.
    PcOffline { ticket: Option<TicketNo> },
    /// Their PC's agent is too old to connect.
    AgentOutdated { pc_name: String },
    /// The PC checked the card and it is ready for the e-Onay step.
    CardReady { ticket: TicketNo },
    /// The PC checked the card and it cannot be used yet, for these reasons; `renewal_opens` is
    /// the day Kamu SM accepts the renewal (when that is the reason), `gave_up` that the PC
    /// stopped waiting for a fixed card.
    CardProblems {
        ticket: TicketNo,
        problems: Vec<CardProblem>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        renewal_opens: Option<chrono::NaiveDate>,
        #[serde(default)]
        gave_up: bool,
    },
    /// The card step was sent to their PC again.
    CardStepResent { ticket: TicketNo, pc_name: String },
    /// Their PC's e-Onay attestation was refused (no state changed).
    AttestationRefused { ticket: TicketNo, reason: AttestationRefusal },
    /// A staff member answered their question.
    StaffAnswer { ticket: TicketNo, staff: String, text: String },
    /// A turn of their conversation that did not start in their chat (the web form): its replies,
    /// already rendered.
    Replies { replies: Vec<Rendered> },
}

impl ChatMessage {
    fn ticket_id(&self) -> Option<i64> {
        match self {
            ChatMessage::TicketNotice { ticket_id, .. } => Some(*ticket_id),
            _ => None,
        }
    }
}

/// A post in a staff chat about one ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum StaffMessage {
    TicketNotice {
        notice: StaffNotice,
    },
    /// A person's question (identity numbers and PINs already hidden).
    Question {
        text: String,
    },
    /// The daily digest (ticket numbers and clocks only).
    Digest {
        digest: Digest,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_channel_has_its_own_place_and_name() {
        for (i, channel) in Channel::ALL.iter().enumerate() {
            assert_eq!(channel.index(), i, "{channel:?}");
        }
        let names: std::collections::HashSet<&str> = Channel::ALL.iter().map(|c| c.code()).collect();
        assert_eq!(names.len(), Channel::ALL.len());
    }

    #[test]
    fn messages_survive_the_outbox_format() {
        let ticket: TicketNo = "EIMZA-2026-000001".parse().unwrap();
        let messages = [
            Outbound::Email(Mail::EmailCode { to: "a@kurum.gov.tr".into(), code: "E-7K4Q2".into(), lang: Lang::En }),
            Outbound::PersonChat {
                person_id: 3,
                message: ChatMessage::CardProblems {
                    ticket,
                    problems: vec![CardProblem::WrongPerson],
                    renewal_opens: None,
                    gave_up: false,
                },
            },
            Outbound::StaffChat { platform: Transport::Telegram, ticket_id: Some(9), message: StaffMessage::Question { text: "?".into() } },
        ];
        for m in messages {
            let json = serde_json::to_vec(&m).unwrap();
            assert_eq!(serde_json::from_slice::<Outbound>(&json).unwrap(), m);
        }
        assert_eq!(Channel::StaffChat(Transport::Discord).code(), "staff-discord");
        // Rows written before the digest existed name their ticket as a plain number.
        let old = r#"{"channel":"staff-chat","platform":"Telegram","ticket_id":9,"message":{"kind":"question","text":"?"}}"#;
        let Outbound::StaffChat { ticket_id, .. } = serde_json::from_str::<Outbound>(old).unwrap() else { panic!("a staff post") };
        assert_eq!(ticket_id, Some(9));
    }
}
