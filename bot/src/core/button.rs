//! Every button the bot shows, as one type: [`ButtonId`] is encoded into the short string a
//! platform carries back (Telegram's callback data, Discord's custom id, the web page's
//! `button`) and parsed from it here, and nowhere else.

use super::conversation::Field;
use super::domain::{AgentId, RequestId};
use super::ticket::TicketEvent;

/// What a staff button does to a ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StaffAction {
    Cancel,
    CorporateApplied,
    FormEmailSent,
    /// Send the card step to the person's PC again (no change of state).
    ResendCardStep,
}

impl StaffAction {
    pub const ALL: [StaffAction; 4] =
        [StaffAction::Cancel, StaffAction::CorporateApplied, StaffAction::FormEmailSent, StaffAction::ResendCardStep];

    fn code(self) -> &'static str {
        match self {
            StaffAction::Cancel => "cancel",
            StaffAction::CorporateApplied => "corp",
            StaffAction::FormEmailSent => "form",
            StaffAction::ResendCardStep => "card",
        }
    }

    pub fn label_id(self) -> &'static str {
        match self {
            StaffAction::Cancel => "btn-staff-cancel",
            StaffAction::CorporateApplied => "btn-staff-corporate-applied",
            StaffAction::FormEmailSent => "btn-staff-form-sent",
            StaffAction::ResendCardStep => "btn-staff-resend-card-step",
        }
    }

    /// What staff read once it is done.
    pub fn done_id(self) -> &'static str {
        match self {
            StaffAction::Cancel => "staff-done-cancel",
            StaffAction::CorporateApplied => "staff-done-corporate-applied",
            StaffAction::FormEmailSent => "staff-done-form-sent",
            StaffAction::ResendCardStep => "staff-done-card-step-resent",
        }
    }

    /// The ticket event it causes; `None` for what changes no state.
    pub fn event(self) -> Option<TicketEvent> {
        match self {
            StaffAction::Cancel => Some(TicketEvent::Cancel),
            StaffAction::CorporateApplied => Some(TicketEvent::CorporateApplied),
            StaffAction::FormEmailSent => Some(TicketEvent::FormEmailSent),
            StaffAction::ResendCardStep => None,
        }
    }
}

/// A button's identity. The encoded forms are stable: a button shown before an update must still
/// work after it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ButtonId {
    Start,
    ConsentYes,
    ConsentNo,
    Confirm,
    Edit,
    Cancel,
    CodeResend,
    CodeChange,
    FormLink,
    Back,
    CancelYes,
    CancelNo,
    DeleteYes,
    DeleteNo,
    EditField(Field),
    /// One of the institution's configured titles, by position.
    Title(usize),
    Pair,
    PairApprove(RequestId),
    PairReject(RequestId),
    Unlink(AgentId),
    /// A staff chat button on a ticket's post.
    Staff(StaffAction, i64),
    /// Opens the answer form for a ticket's person (Discord, which cannot read replies).
    StaffReply(i64),
    /// Discord: opens the renewal form (a modal) / the one-answer form.
    DiscordForm,
    DiscordAnswer,
    /// "Check my card again": the card step goes to the person's PC once more.
    CardRecheck,
    /// "Onayladım": the person approved the renewal form Kamu SM mailed them.
    FormApproved,
}

/// Telegram's limit for callback data, the smallest of the platforms'.
pub const MAX_ENCODED_LEN: usize = 64;

impl ButtonId {
    pub fn encode(&self) -> String {
        match self {
            ButtonId::Start => "start".into(),
            ButtonId::ConsentYes => "consent:yes".into(),
            ButtonId::ConsentNo => "consent:no".into(),
            ButtonId::Confirm => "confirm".into(),
            ButtonId::Edit => "edit".into(),
            ButtonId::Cancel => "cancel".into(),
            ButtonId::CodeResend => "code:resend".into(),
            ButtonId::CodeChange => "code:change".into(),
            ButtonId::FormLink => "form:link".into(),
            ButtonId::Back => "back".into(),
            ButtonId::CancelYes => "cancel:yes".into(),
            ButtonId::CancelNo => "cancel:no".into(),
            ButtonId::DeleteYes => "delete:yes".into(),
            ButtonId::DeleteNo => "delete:no".into(),
            ButtonId::EditField(field) => format!("edit:{}", field.code()),
            ButtonId::Title(i) => format!("title:{i}"),
            ButtonId::Pair => "pair".into(),
            ButtonId::PairApprove(request) => format!("pair-approve:{}", request.as_str()),
            ButtonId::PairReject(request) => format!("pair-reject:{}", request.as_str()),
            ButtonId::Unlink(agent) => format!("unlink:{}", agent.as_str()),
            ButtonId::Staff(action, ticket) => format!("st:{}:{ticket}", action.code()),
            ButtonId::StaffReply(ticket) => format!("st:reply:{ticket}"),
            ButtonId::DiscordForm => "dc:form".into(),
            ButtonId::DiscordAnswer => "dc:answer".into(),
            ButtonId::CardRecheck => "card:recheck".into(),
            ButtonId::FormApproved => "form:approved".into(),
        }
    }

    /// What a platform carried back; `None` for anything we never showed (a stale or forged id).
    pub fn parse(text: &str) -> Option<ButtonId> {
        if text.len() > MAX_ENCODED_LEN {
            return None;
        }
        let simple = match text {
            "start" => Some(ButtonId::Start),
            "consent:yes" => Some(ButtonId::ConsentYes),
            "consent:no" => Some(ButtonId::ConsentNo),
            "confirm" => Some(ButtonId::Confirm),
            "edit" => Some(ButtonId::Edit),
            "cancel" => Some(ButtonId::Cancel),
            "code:resend" => Some(ButtonId::CodeResend),
            "code:change" => Some(ButtonId::CodeChange),
            "form:link" => Some(ButtonId::FormLink),
            "back" => Some(ButtonId::Back),
            "cancel:yes" => Some(ButtonId::CancelYes),
            "cancel:no" => Some(ButtonId::CancelNo),
            "delete:yes" => Some(ButtonId::DeleteYes),
            "delete:no" => Some(ButtonId::DeleteNo),
            "pair" => Some(ButtonId::Pair),
            "dc:form" => Some(ButtonId::DiscordForm),
            "dc:answer" => Some(ButtonId::DiscordAnswer),
            "card:recheck" => Some(ButtonId::CardRecheck),
            "form:approved" => Some(ButtonId::FormApproved),
            _ => None,
        };
        if simple.is_some() {
            return simple;
        }
        let (head, rest) = text.split_once(':')?;
        match head {
            "edit" => Field::from_code(rest).map(ButtonId::EditField),
            "title" => rest.parse().ok().filter(|_| rest.bytes().all(|b| b.is_ascii_digit())).map(ButtonId::Title),
            "pair-approve" => RequestId::parse(rest).map(ButtonId::PairApprove),
            "pair-reject" => RequestId::parse(rest).map(ButtonId::PairReject),
            "unlink" => AgentId::parse(rest).map(ButtonId::Unlink),
            "st" => {
                let (what, ticket) = rest.split_once(':')?;
                let ticket: i64 = ticket.parse().ok().filter(|t| *t > 0)?;
                match what {
                    "reply" => Some(ButtonId::StaffReply(ticket)),
                    code => StaffAction::ALL.into_iter().find(|a| a.code() == code).map(|a| ButtonId::Staff(a, ticket)),
                }
            }
            _ => None,
        }
    }

    /// Buttons of the staff chats: pressed by staff, handled by the desk.
    pub fn is_staff(&self) -> bool {
        matches!(self, ButtonId::Staff(..) | ButtonId::StaffReply(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind() -> Vec<ButtonId> {
        let mut all = vec![
            ButtonId::Start,
            ButtonId::ConsentYes,
            ButtonId::ConsentNo,
            ButtonId::Confirm,
            ButtonId::Edit,
            ButtonId::Cancel,
            ButtonId::CodeResend,
            ButtonId::CodeChange,
            ButtonId::FormLink,
            ButtonId::Back,
            ButtonId::CancelYes,
            ButtonId::CancelNo,
            ButtonId::DeleteYes,
            ButtonId::DeleteNo,
            ButtonId::Title(5),
            ButtonId::Pair,
            ButtonId::PairApprove(RequestId::parse("p-AbC_d-9").unwrap()),
            ButtonId::PairReject(RequestId::parse("p-AbC_d-9").unwrap()),
            ButtonId::Unlink(AgentId::parse("a-xyz").unwrap()),
            ButtonId::StaffReply(7),
            ButtonId::DiscordForm,
            ButtonId::DiscordAnswer,
            ButtonId::CardRecheck,
            ButtonId::FormApproved,
        ];
        all.extend(Field::ORDER.into_iter().map(ButtonId::EditField));
        all.extend(StaffAction::ALL.into_iter().map(|a| ButtonId::Staff(a, 42)));
        all
    }

    #[test]
    fn every_button_round_trips_and_fits_telegram() {
        for button in every_kind() {
            let encoded = button.encode();
            assert!(encoded.len() <= MAX_ENCODED_LEN, "{encoded}");
            assert_eq!(ButtonId::parse(&encoded), Some(button), "{encoded}");
        }
        // A real pairing request id is `p-` and 22 base64url characters.
        let long = ButtonId::PairApprove(RequestId::parse(&format!("p-{}", "x".repeat(22))).unwrap());
        assert!(long.encode().len() <= MAX_ENCODED_LEN);
    }

    #[test]
    fn what_we_never_showed_is_no_button() {
        for bad in [
            "",
            "st:cancel:x",
            "st:nuke:1",
            "st:cancel:-1",
            "cancel:1",
            "title:",
            "title:+1",
            "edit:nope",
            "unlink:",
            "unlink:a b",
            "pair-approve:../x",
            "consent:maybe",
            "st:reply:",
            &"a".repeat(65),
        ] {
            assert_eq!(ButtonId::parse(bad), None, "{bad:?}");
        }
    }
}
