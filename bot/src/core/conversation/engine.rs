//! The conversation state machine: `(conversation, input, facts) → (conversation, replies,
//! actions)`. Every step re-asks its own question after a mistake, every command works in every
//! step, and nothing here does I/O.

use chrono::NaiveDate;
use eimza_protocol::{Lang, turkish};

use super::input::{Command, Input, parse_command};
use super::state::{Conversation, Draft, Field, PendingCode, Step};
use super::{Action, Button, DeviceView, Facts, Label, Msg, Reply, Settings, StatusView, TicketBrief, Transport, Value};
use crate::core::button::ButtonId;
use crate::core::domain::{BirthDate, EmailCode, FullName, KurumEmail, Tckn, TicketNo, Title};
use crate::core::ticket::{ActorKind, Refusal, TicketState};

/// What the engine needs besides the conversation and the input.
pub struct Ctx<'a> {
    pub settings: &'a Settings,
    pub facts: &'a Facts,
    pub transport: Transport,
    pub today: NaiveDate,
    pub now_ms: i64,
    /// The TC Kimlik No and birth date go through the built-in web form, not this chat.
    pub sensitive_via_web: bool,
}

#[derive(Debug)]
pub struct Outcome {
    pub conversation: Conversation,
    pub replies: Vec<Reply>,
    pub actions: Vec<Action>,
}

impl Outcome {
    fn say(&mut self, reply: Reply) {
        self.replies.push(reply);
    }
    fn say_msg(&mut self, msg: Msg) {
        self.replies.push(Reply::text(msg));
    }
}

pub fn handle(conversation: Conversation, input: &Input, ctx: &Ctx) -> Outcome {
    let mut out = Outcome { conversation, replies: Vec::new(), actions: Vec::new() };
    match input {
        Input::Open => {
            if out.conversation.step == Step::Idle {
                start(&mut out, ctx);
            } else {
                resume(&mut out, ctx);
            }
        }
        Input::Text(text) => match parse_command(text) {
            Some(Ok(command)) => on_command(&mut out, command, ctx),
            Some(Err(name)) => {
                out.say_msg(Msg::new("unknown-command").with("command", format!("/{name}")));
                ask_again(&mut out, ctx);
            }
            None if looks_like_pin(text) => {
                out.actions.push(Action::DeleteIncomingMessage);
                ask_again(&mut out, ctx);
            }
            None => on_text(&mut out, text, ctx),
        },
        Input::Button(id) => on_button(&mut out, id, ctx),
        Input::UnknownButton => stale_button(&mut out, ctx),
        Input::Fields(fields) => on_fields(&mut out, fields, ctx),
    }
    out
}

/// A question goes to a staff chat: a T.C. Kimlik No in it is masked and six digits (a PIN)
/// are hidden, whatever separates the digits (`100 000 001 46`, `100.000.001.46`) and whatever
/// is glued to them (`T.C.10000000146`, `TC10000000146`, `PIN123456`). A number is a run of
/// digits with single separators (space, `.`, `-`, `/`) between them; longer numbers (a ticket's
/// `2026-000123`, a date's `05.03.1980`) keep their digits.
pub fn redact(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let separator = |c: char| matches!(c, ' ' | '.' | '-' | '/');
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // The run: digits, and single separators with a digit after them.
        let mut end = i;
        let mut j = i;
        while j < chars.len() {
            if chars[j].is_ascii_digit() {
                end = j + 1;
                j += 1;
            } else if separator(chars[j]) && chars.get(j + 1).is_some_and(char::is_ascii_digit) {
                j += 1;
            } else {
                break;
            }
        }
        let digits: String = chars[i..end].iter().filter(|c| c.is_ascii_digit()).collect();
        match digits.len() {
            11 if Tckn::parse(&digits).is_ok() => out.push_str(&Tckn::parse(&digits).map(|t| t.masked()).unwrap_or_default()),
            6 => out.push_str("******"),
            _ => out.extend(&chars[i..end]),
        }
        i = end;
    }
    out
}

/// Six digits and nothing else: almost certainly an e-İmza PIN typed in the wrong place. None
/// of our questions has a six-digit answer.
fn looks_like_pin(text: &str) -> bool {
    let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_one_of(text: &str, words: &[&str]) -> bool {
    let n = turkish::words_key(text);
    words.contains(&n.as_str())
}

const YES: &[&str] = &["evet", "e", "yes", "y", "tamam", "ok", "olur"];
const NO: &[&str] = &["hayir", "h", "no", "n", "vazgec", "vazgectim"];
const CONSENT_YES: &[&str] = &[
    "evet",
    "yes",
    "onayliyorum",
    "onayla",
    "okudum onayliyorum",
    "okudum anladim",
    "anladim",
    "kabul",
    "kabul ediyorum",
    "okudum",
    "tamam",
    "i agree",
    "agree",
    "ok",
    "understood",
    "i have read it",
];
const CONSENT_NO: &[&str] = &["hayir", "no", "onaylamiyorum", "kabul etmiyorum", "reddediyorum", "i do not agree"];
const SUMMARY_CONFIRM: &[&str] = &["onayla", "onayliyorum", "evet", "dogru", "confirm", "yes"];
const SUMMARY_EDIT: &[&str] = &["duzelt", "degistir", "edit", "change"];
const SUMMARY_CANCEL: &[&str] = &["iptal", "cancel", "vazgec"];
/// "Onayladım" and its usual spellings (Turkish-folded, so `ONAYLADIM` and `onayladim` count).
const APPROVED: &[&str] =
    &["onayladim", "onayladim formu", "formu onayladim", "onay verdim", "onaylandi", "approved", "i approved", "i approved it", "done"];

fn field_from_words(text: &str) -> Option<Field> {
    let n = turkish::words_key(text);
    let table: [(Field, &[&str]); 5] = [
        (Field::Tckn, &["tc", "tc kimlik no", "tc kimlik", "tckn", "kimlik", "kimlik no", "tc no", "id number"]),
        (Field::Name, &["ad", "ad soyad", "adsoyad", "isim", "soyad", "name", "full name"]),
        (Field::Title, &["unvan", "title"]),
        (Field::Email, &["e posta", "eposta", "email", "e mail", "mail", "kurum e posta"]),
        (Field::BirthDate, &["dogum", "dogum tarihi", "birth date", "date of birth", "birthday"]),
    ];
    table.into_iter().find(|(_, words)| words.contains(&n.as_str())).map(|(f, _)| f)
}

// ---------------------------------------------------------------------------------------------
// commands

fn on_command(out: &mut Outcome, command: Command, ctx: &Ctx) {
    match command {
        Command::Start => {
            if out.conversation.step == Step::Idle {
                start(out, ctx);
            } else {
                resume(out, ctx);
            }
        }
        Command::Status => {
            status(out, ctx);
            if out.conversation.step != Step::Idle {
                ask_again(out, ctx);
            }
        }
        Command::Help => {
            out.say_msg(Msg::new("help"));
            if out.conversation.step != Step::Idle {
                ask_again(out, ctx);
            }
        }
        Command::Cancel => match &out.conversation.step {
            Step::ConfirmCancel { .. } => ask_again(out, ctx),
            Step::Idle if ctx.facts.open_ticket.is_none() => out.say_msg(Msg::new("nothing-to-cancel")),
            _ => {
                let back = confirmable_back(&out.conversation.step);
                out.conversation.step = Step::ConfirmCancel { back: Box::new(back) };
                ask_again(out, ctx);
            }
        },
        Command::Delete => {
            if !matches!(out.conversation.step, Step::ConfirmDelete { .. }) {
                let back = confirmable_back(&out.conversation.step);
                out.conversation.step = Step::ConfirmDelete { back: Box::new(back) };
            }
            ask_again(out, ctx);
        }
        Command::Pair => {
            out.actions.push(Action::IssuePairingCode);
            ask_again_unless_idle(out, ctx);
        }
        Command::Devices => {
            out.actions.push(Action::ListDevices);
            ask_again_unless_idle(out, ctx);
        }
        Command::CardRecheck => {
            out.actions.push(Action::RecheckCard);
            ask_again_unless_idle(out, ctx);
        }
        Command::Turkish | Command::English => {
            let lang = if command == Command::English { Lang::En } else { Lang::Tr };
            out.conversation.lang = Some(lang);
            out.say_msg(Msg::new("lang-switched"));
            ask_again(out, ctx);
        }
    }
}

/// The step to go back to after a confirmation question; never another confirmation.
fn confirmable_back(step: &Step) -> Step {
    match step {
        Step::ConfirmCancel { back } | Step::ConfirmDelete { back } => (**back).clone(),
        other => other.clone(),
    }
}

fn start(out: &mut Outcome, ctx: &Ctx) {
    if let Some(open) = ctx.facts.open_ticket {
        out.say(already_open(open));
        return;
    }
    out.conversation.step = Step::Consent;
    out.say_msg(Msg::new("welcome"));
    ask_again(out, ctx);
}

fn resume(out: &mut Outcome, ctx: &Ctx) {
    out.say_msg(Msg::new("resume"));
    ask_again(out, ctx);
}

fn already_open(open: TicketBrief) -> Reply {
    Reply::text(Msg::new("already-open").with("ticket", open.number.to_string()).with("state", Msg::new(open.state.message_id())))
}

fn status(out: &mut Outcome, ctx: &Ctx) {
    match &ctx.facts.status {
        None if out.conversation.step != Step::Idle => out.say_msg(Msg::new("status-collecting")),
        None => out.say_msg(Msg::new("status-none")),
        Some(view) => out.say(status_reply(view)),
    }
}

fn status_reply(view: &StatusView) -> Reply {
    let mut parts = vec![
        Msg::new("status-ticket")
            .with("ticket", view.number.to_string())
            .with("state", Msg::new(view.state.message_id()))
            .with("opened", super::Value::DateTime(view.opened_at)),
    ];
    parts.push(Msg::new("status-next").with("next", Msg::new(next_step_id(view.state))));
    let events = view
        .history
        .iter()
        .map(|event| {
            Msg::new("status-event")
                .with("at", super::Value::DateTime(event.at))
                .with("state", Msg::new(event.to.message_id()))
                .with("actor", Msg::new(actor_id(event.actor)))
        })
        .collect();
    parts.push(Msg::new("status-history").with("events", super::Value::Lines(events)));
    Reply { parts, buttons: Vec::new() }
}

fn next_step_id(state: crate::core::ticket::TicketState) -> &'static str {
    use crate::core::ticket::TicketState as S;
    match state {
        S::Collecting | S::Submitted => "next-submitted",
        S::AgentPaired => "next-agent-paired",
        S::CardStep => "next-card-step",
        S::EOnayDone => "next-eonay-done",
        S::CorporateApplied => "next-corporate-applied",
        S::FormEmailSent => "next-form-email-sent",
        S::Completed => "next-completed",
        S::Cancelled => "next-cancelled",
        S::Failed => "next-failed",
    }
}

fn actor_id(actor: ActorKind) -> &'static str {
    match actor {
        ActorKind::Applicant => "actor-applicant",
        ActorKind::Staff => "actor-staff",
        ActorKind::Agent => "actor-agent",
        ActorKind::System => "actor-system",
    }
}

// ---------------------------------------------------------------------------------------------
// questions

/// Repeats the question of the current step (with its buttons).
fn ask_again(out: &mut Outcome, ctx: &Ctx) {
    let reply = question(&out.conversation, ctx);
    out.say(reply);
}

fn question(conversation: &Conversation, ctx: &Ctx) -> Reply {
    match &conversation.step {
        // With a request open, starting another is not what the person needs.
        Step::Idle => match &ctx.facts.open_ticket {
            Some(open) => Reply::text(Msg::new("idle-hint-open").with("ticket", open.number.to_string())),
            None => Reply { parts: vec![Msg::new("idle-hint")], buttons: vec![Button::new(ButtonId::Start, "btn-start")] },
        },
        Step::Consent => Reply {
            parts: std::iter::once(
                Msg::new("kvkk-notice")
                    .with("institution", ctx.settings.institution.clone())
                    .with("retention_days", ctx.settings.retention_days)
                    .with("channel", ctx.transport.code())
                    .with("helpdesk", if ctx.settings.helpdesk_forwarding { "yes" } else { "no" }),
            )
            .chain(ctx.sensitive_via_web.then(|| Msg::new("kvkk-web-form")))
            .collect(),
            buttons: vec![Button::new(ButtonId::ConsentYes, "btn-consent-yes"), Button::new(ButtonId::ConsentNo, "btn-consent-no")],
        },
        Step::Ask(field) | Step::Edit(field) => field_question(*field, ctx),
        Step::Summary => summary(&conversation.draft, ctx.sensitive_via_web),
        Step::VerifyEmail { .. } => Reply {
            parts: vec![Msg::new("ask-email-code").with("email", pending_address(&conversation.draft))],
            buttons: vec![Button::new(ButtonId::CodeResend, "btn-code-resend"), Button::new(ButtonId::CodeChange, "btn-code-change")],
        },
        Step::WebForm { .. } => {
            Reply { parts: vec![Msg::new("ask-web-form")], buttons: vec![Button::new(ButtonId::FormLink, "btn-form-link")] }
        }
        Step::ChooseEdit => Reply {
            parts: vec![Msg::new("ask-edit-field")],
            buttons: Field::ORDER
                .into_iter()
                .map(|f| Button::new(ButtonId::EditField(f), f.label_id()))
                .chain([Button::new(ButtonId::Back, "btn-back")])
                .collect(),
        },
        Step::ConfirmCancel { back } => {
            let id = match (**back == Step::Idle, ctx.facts.open_ticket) {
                (true, Some(_)) => "cancel-confirm-ticket",
                _ => "cancel-confirm-draft",
            };
            let mut msg = Msg::new(id);
            if let Some(open) = ctx.facts.open_ticket {
                msg = msg.with("ticket", open.number.to_string());
            }
            Reply {
                parts: vec![msg],
                buttons: vec![Button::new(ButtonId::CancelYes, "btn-cancel-yes"), Button::new(ButtonId::CancelNo, "btn-cancel-no")],
            }
        }
        Step::ConfirmDelete { .. } => Reply {
            parts: vec![Msg::new("delete-confirm")],
            buttons: vec![Button::new(ButtonId::DeleteYes, "btn-delete-yes"), Button::new(ButtonId::DeleteNo, "btn-delete-no")],
        },
    }
}

/// The label of a button of the current question, so a transcript can show what was pressed.
/// What kind of answer the conversation waits for, for platforms without free text at every
/// moment (Discord's interactions): a form of fields, one typed answer, or only its buttons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expects {
    Buttons,
    Text,
    Fields(Vec<Field>),
}

pub fn expects(conversation: &Conversation, sensitive_via_web: bool, open_ticket: bool) -> Expects {
    let in_chat = |f: &Field| !(sensitive_via_web && f.is_sensitive());
    match &conversation.step {
        // Everything still missing that the chat may ask, in one form.
        Step::Ask(_) => Expects::Fields(Field::ORDER.into_iter().filter(in_chat).filter(|f| !conversation.draft.has(*f)).collect()),
        Step::Edit(field) => Expects::Fields(vec![*field]),
        Step::VerifyEmail { .. } => Expects::Text,
        Step::Idle if open_ticket => Expects::Text,
        _ => Expects::Buttons,
    }
}

pub fn button_label(conversation: &Conversation, id: &ButtonId, ctx: &Ctx) -> Option<Label> {
    question(conversation, ctx).buttons.into_iter().find(|b| b.id == *id).map(|b| b.label)
}

/// The address waiting for its code, as the person typed it.
fn pending_address(draft: &Draft) -> String {
    draft.pending_email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default()
}

fn field_question(field: Field, ctx: &Ctx) -> Reply {
    match field {
        Field::Title if !ctx.settings.titles.is_empty() => Reply {
            parts: vec![Msg::new("ask-title")],
            buttons: ctx
                .settings
                .titles
                .iter()
                .enumerate()
                .map(|(i, t)| Button { id: ButtonId::Title(i), label: Label::Verbatim(t.clone()) })
                .collect(),
        },
        Field::Title => Reply::text(Msg::new("ask-title-free")),
        Field::Email => Reply::text(Msg::new("ask-email").with("domains", ctx.settings.domains.display())),
        other => Reply::text(Msg::new(other.question_id())),
    }
}

/// The summary; with `masked` (a foreign chat server will keep it) the TC Kimlik No and the
/// birth date entered on the web form are shown masked.
fn summary(draft: &Draft, masked: bool) -> Reply {
    let tckn = match (&draft.tckn, masked) {
        (Some(t), true) => t.masked(),
        (Some(t), false) => t.as_str().to_owned(),
        (None, _) => String::new(),
    };
    let birth_date = match (draft.birth_date, masked) {
        (Some(d), true) => d.masked(),
        (Some(d), false) => d.dmy(),
        (None, _) => String::new(),
    };
    Reply {
        parts: vec![
            Msg::new("summary")
                .with("tckn", tckn)
                .with("name", draft.name.as_ref().map(|n| n.as_str().to_owned()).unwrap_or_default())
                .with("title", draft.title.as_ref().map(|t| t.as_str().to_owned()).unwrap_or_default())
                .with("email", draft.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default())
                .with("birth_date", birth_date),
        ],
        buttons: vec![
            Button::new(ButtonId::Confirm, "btn-confirm"),
            Button::new(ButtonId::Edit, "btn-edit"),
            Button::new(ButtonId::Cancel, "btn-cancel"),
        ],
    }
}

// ---------------------------------------------------------------------------------------------
// answers

fn on_text(out: &mut Outcome, text: &str, ctx: &Ctx) {
    match out.conversation.step.clone() {
        // "Onayladım": approves the renewal form when one waits; otherwise says what the request
        // waits for (never a question to the support desk).
        Step::Idle if is_one_of(text, APPROVED) => out.actions.push(Action::ApproveForm),
        // With a ticket open, free text is a question for the support desk.
        Step::Idle if ctx.facts.open_ticket.is_some() => out.actions.push(Action::AskStaff { text: redact(text.trim()) }),
        Step::Idle => ask_again(out, ctx),
        Step::Consent => {
            if is_one_of(text, CONSENT_YES) {
                consent(out, true, ctx);
            } else if is_one_of(text, CONSENT_NO) {
                consent(out, false, ctx);
            } else {
                out.say_msg(Msg::new("consent-reask"));
                ask_again(out, ctx);
            }
        }
        Step::Ask(field) => answer(out, field, text, false, ctx),
        Step::Edit(field) => answer(out, field, text, true, ctx),
        Step::VerifyEmail { editing } => verify_code(out, text, editing, ctx),
        Step::WebForm { .. } => {
            // Whatever was typed is not kept: these two answers belong on the web form.
            out.say_msg(Msg::new("web-form-waiting"));
            ask_again(out, ctx);
        }
        Step::Summary => {
            if is_one_of(text, SUMMARY_CONFIRM) {
                confirm(out, ctx);
            } else if is_one_of(text, SUMMARY_EDIT) {
                out.conversation.step = Step::ChooseEdit;
                ask_again(out, ctx);
            } else if is_one_of(text, SUMMARY_CANCEL) {
                on_command(out, Command::Cancel, ctx);
            } else {
                out.say_msg(Msg::new("summary-reask"));
                ask_again(out, ctx);
            }
        }
        Step::ChooseEdit => match field_from_words(text) {
            Some(field) => go_to_field(out, field, true, ctx),
            None => {
                out.say_msg(Msg::new("edit-field-reask"));
                ask_again(out, ctx);
            }
        },
        Step::ConfirmCancel { .. } | Step::ConfirmDelete { .. } => {
            if is_one_of(text, YES) {
                confirm_yes(out, ctx);
            } else if is_one_of(text, NO) {
                confirm_no(out, ctx);
            } else {
                out.say_msg(Msg::new("yes-no-reask"));
                ask_again(out, ctx);
            }
        }
    }
}

/// The current question again, except when nothing is being asked (no noise after a side trip).
fn ask_again_unless_idle(out: &mut Outcome, ctx: &Ctx) {
    if out.conversation.step != Step::Idle {
        ask_again(out, ctx);
    }
}

/// Buttons that work whatever the conversation is doing: pairing and devices arrive in the
/// middle of anything (an agent asks to pair while the person is editing, say).
fn on_device_button(out: &mut Outcome, id: &ButtonId, ctx: &Ctx) -> bool {
    let action = match id {
        ButtonId::Pair => Action::IssuePairingCode,
        ButtonId::PairApprove(request_id) => Action::DecidePairing { request_id: request_id.clone(), approve: true },
        ButtonId::PairReject(request_id) => Action::DecidePairing { request_id: request_id.clone(), approve: false },
        ButtonId::Unlink(agent_id) => Action::UnlinkDevice { agent_id: agent_id.clone() },
        ButtonId::CardRecheck => Action::RecheckCard,
        ButtonId::FormApproved => Action::ApproveForm,
        _ => return false,
    };
    out.actions.push(action);
    ask_again_unless_idle(out, ctx);
    true
}

fn on_button(out: &mut Outcome, id: &ButtonId, ctx: &Ctx) {
    if on_device_button(out, id, ctx) {
        return;
    }
    let step = out.conversation.step.clone();
    match (id, &step) {
        (ButtonId::Start, Step::Idle) => start(out, ctx),
        (ButtonId::ConsentYes, Step::Consent) => consent(out, true, ctx),
        (ButtonId::ConsentNo, Step::Consent) => consent(out, false, ctx),
        (ButtonId::Confirm, Step::Summary) => confirm(out, ctx),
        (ButtonId::Edit, Step::Summary) => {
            out.conversation.step = Step::ChooseEdit;
            ask_again(out, ctx);
        }
        (ButtonId::Cancel, Step::Summary) => on_command(out, Command::Cancel, ctx),
        (ButtonId::CodeResend, Step::VerifyEmail { editing }) => {
            let editing = *editing;
            match out.conversation.draft.pending_email.clone() {
                Some(email) => request_code(out, email, editing, ctx),
                None => stale_button(out, ctx),
            }
        }
        (ButtonId::CodeChange, Step::VerifyEmail { editing }) => {
            let field_step = if *editing { Step::Edit(Field::Email) } else { Step::Ask(Field::Email) };
            out.conversation.draft.pending_email = None;
            out.conversation.draft.email_code = None;
            out.conversation.step = field_step;
            ask_again(out, ctx);
        }
        (ButtonId::FormLink, Step::WebForm { .. }) => out.actions.push(Action::IssueFormLink),
        (ButtonId::Back, Step::ChooseEdit) => {
            out.conversation.step = Step::Summary;
            ask_again(out, ctx);
        }
        (ButtonId::CancelYes, Step::ConfirmCancel { .. }) | (ButtonId::DeleteYes, Step::ConfirmDelete { .. }) => confirm_yes(out, ctx),
        (ButtonId::CancelNo, Step::ConfirmCancel { .. }) | (ButtonId::DeleteNo, Step::ConfirmDelete { .. }) => confirm_no(out, ctx),
        (ButtonId::EditField(field), Step::ChooseEdit) => go_to_field(out, *field, true, ctx),
        (ButtonId::Title(i), Step::Ask(Field::Title) | Step::Edit(Field::Title)) => match ctx.settings.titles.get(*i) {
            Some(title) => {
                let title = title.clone();
                let editing = matches!(step, Step::Edit(_));
                answer(out, Field::Title, &title, editing, ctx);
            }
            None => stale_button(out, ctx),
        },
        _ => stale_button(out, ctx),
    }
}

fn stale_button(out: &mut Outcome, ctx: &Ctx) {
    out.say_msg(Msg::new("stale-button"));
    ask_again(out, ctx);
}

fn consent(out: &mut Outcome, given: bool, ctx: &Ctx) {
    if given {
        out.conversation.draft = Draft { consent_at: Some(ctx.now_ms), ..Draft::default() };
        out.say_msg(Msg::new("consent-thanks"));
        next_question(out, false, ctx);
    } else {
        out.conversation.draft = Draft::default();
        out.conversation.step = Step::Idle;
        out.say_msg(Msg::new("consent-declined"));
    }
}

/// Validates an answer; on success stores it and moves on, on failure explains and asks again.
fn answer(out: &mut Outcome, field: Field, text: &str, editing: bool, ctx: &Ctx) {
    let result = match set_field(&mut out.conversation.draft, field, text, ctx) {
        // Proven before it counts: mail a code and wait for it.
        Ok(Some(email)) => return request_code(out, email, editing, ctx),
        Ok(None) => Ok(()),
        Err(e) => Err(e),
    };
    match result {
        Err(explanation) => {
            // The explanation and the question again, in one bubble.
            let mut reply = question(&out.conversation, ctx);
            reply.parts.insert(0, explanation);
            out.say(reply);
        }
        Ok(()) => next_question(out, editing, ctx),
    }
}

/// After an answer: the next missing field, or the summary (always the summary after an edit).
fn next_question(out: &mut Outcome, editing: bool, ctx: &Ctx) {
    match out.conversation.draft.next_missing(ctx.sensitive_via_web) {
        Some(next) if !editing => go_to_field(out, next, false, ctx),
        _ => {
            out.conversation.step = Step::Summary;
            ask_again(out, ctx);
        }
    }
}

/// Asks for one field: in the chat, or — for the TC Kimlik No and birth date when so
/// configured — on the web form, whose one-time link the service makes.
fn go_to_field(out: &mut Outcome, field: Field, editing: bool, ctx: &Ctx) {
    if ctx.sensitive_via_web && field.is_sensitive() {
        out.conversation.step = Step::WebForm { editing };
        out.actions.push(Action::IssueFormLink);
        return;
    }
    out.conversation.step = if editing { Step::Edit(field) } else { Step::Ask(field) };
    ask_again(out, ctx);
}

/// The fields of a form: each validated as if typed; the valid ones are kept, every mistake is
/// explained with its field's name, and a new address is proven with a mailed code.
fn on_fields(out: &mut Outcome, fields: &[(Field, String)], ctx: &Ctx) {
    let editing = match &out.conversation.step {
        Step::Ask(_) | Step::VerifyEmail { editing: false } | Step::WebForm { editing: false } => false,
        Step::Edit(_) | Step::Summary | Step::ChooseEdit | Step::VerifyEmail { editing: true } | Step::WebForm { editing: true } => true,
        _ => return stale_button(out, ctx),
    };
    let on_web_form = matches!(out.conversation.step, Step::WebForm { .. });
    let mut errors = Vec::new();
    let mut new_email = None;
    for (field, text) in fields {
        if ctx.sensitive_via_web && field.is_sensitive() && !on_web_form {
            // A platform form never carries these when the web form is in use.
            continue;
        }
        match set_field(&mut out.conversation.draft, *field, text, ctx) {
            Ok(Some(email)) if out.conversation.draft.email.as_ref() != Some(&email) => new_email = Some(email),
            Ok(_) => {}
            Err(explanation) => errors.push(Msg::new("field-error").with("field", Msg::new(field.label_id())).with("error", explanation)),
        }
    }
    if !errors.is_empty() {
        let mut reply = question(&out.conversation, ctx);
        reply.parts.splice(0..0, errors);
        out.say(reply);
        return;
    }
    if let Some(email) = new_email {
        request_code(out, email, editing, ctx);
        return;
    }
    next_question(out, editing, ctx);
}

/// Validates one answer into the draft; a valid e-mail address is returned instead (it is kept
/// only once proven).
fn set_field(draft: &mut Draft, field: Field, text: &str, ctx: &Ctx) -> Result<Option<KurumEmail>, Msg> {
    let explain = |e| Msg::from_error(&e);
    match field {
        Field::Tckn => draft.tckn = Some(Tckn::parse(text).map_err(|e| Msg::from_error(&e))?),
        Field::Name => draft.name = Some(FullName::parse(text).map_err(|e| Msg::from_error(&e))?),
        Field::Title => draft.title = Some(Title::parse(text, &ctx.settings.titles).map_err(|e| Msg::from_error(&e))?),
        Field::Email => return KurumEmail::parse(text, &ctx.settings.domains).map(Some).map_err(explain),
        Field::BirthDate => draft.birth_date = Some(BirthDate::parse(text, ctx.today).map_err(|e| Msg::from_error(&e))?),
    }
    Ok(None)
}

/// Asks the service to mail a code to `email` (unless the limit is reached).
fn request_code(out: &mut Outcome, email: KurumEmail, editing: bool, ctx: &Ctx) {
    let draft = &mut out.conversation.draft;
    draft.pending_email = Some(email.clone());
    out.conversation.step = Step::VerifyEmail { editing };
    if draft.codes_sent >= PendingCode::MAX_SENT {
        draft.email_code = None;
        out.say_msg(Msg::new("err-code-send-limit"));
        return;
    }
    draft.codes_sent += 1;
    out.actions.push(Action::SendEmailCode { email });
    ask_again(out, ctx);
}

/// The typed code: right → the address counts and the next question comes; wrong → tries left.
fn verify_code(out: &mut Outcome, text: &str, editing: bool, ctx: &Ctx) {
    // Someone who types another address wants to use that one instead.
    if let Ok(email) = KurumEmail::parse(text, &ctx.settings.domains) {
        request_code(out, email, editing, ctx);
        return;
    }
    let draft = &mut out.conversation.draft;
    let explanation = match draft.email_code.as_mut() {
        None => Msg::new("err-code-none"),
        Some(code) if ctx.now_ms > code.expires_at => Msg::new("err-code-expired"),
        Some(code) if code.tries_left == 0 => Msg::new("err-code-no-tries"),
        Some(code) if EmailCode::matches(&code.hash, text) => {
            draft.email = draft.pending_email.take();
            draft.email_code = None;
            out.say_msg(Msg::new("email-verified"));
            next_question(out, editing, ctx);
            return;
        }
        Some(code) => {
            code.tries_left -= 1;
            if code.tries_left == 0 {
                Msg::new("err-code-no-tries")
            } else if EmailCode::normalise(text).is_none() {
                Msg::new("err-code-format").with("tries", u32::from(code.tries_left))
            } else {
                Msg::new("err-code-wrong").with("tries", u32::from(code.tries_left))
            }
        }
    };
    let mut reply = question(&out.conversation, ctx);
    reply.parts.insert(0, explanation);
    out.say(reply);
}

fn confirm(out: &mut Outcome, ctx: &Ctx) {
    if let Some(open) = ctx.facts.open_ticket {
        out.conversation.step = Step::Idle;
        out.conversation.draft = Draft::default();
        out.say(already_open(open));
        return;
    }
    let draft = std::mem::take(&mut out.conversation.draft);
    if !draft.is_complete() {
        // Cannot happen through the steps; a stored conversation from an older version might.
        out.conversation.draft = draft;
        match out.conversation.draft.next_missing(ctx.sensitive_via_web) {
            Some(field) => go_to_field(out, field, false, ctx),
            None => {
                out.conversation.step = Step::Consent;
                ask_again(out, ctx);
            }
        }
        return;
    }
    out.conversation.step = Step::Idle;
    out.actions.push(Action::OpenTicket(Box::new(draft)));
}

fn confirm_yes(out: &mut Outcome, ctx: &Ctx) {
    match out.conversation.step.clone() {
        Step::ConfirmCancel { back } => {
            if *back == Step::Idle {
                match ctx.facts.open_ticket {
                    Some(open) => out.actions.push(Action::CancelTicket(open.number)),
                    None => out.say_msg(Msg::new("nothing-to-cancel")),
                }
            } else {
                out.say_msg(Msg::new("cancelled-draft"));
            }
            out.conversation.step = Step::Idle;
            out.conversation.draft = Draft::default();
        }
        Step::ConfirmDelete { .. } => {
            out.conversation.step = Step::Idle;
            out.conversation.draft = Draft::default();
            out.actions.push(Action::DeletePersonalData);
        }
        _ => ask_again(out, ctx),
    }
}

fn confirm_no(out: &mut Outcome, ctx: &Ctx) {
    let (back, kept) = match out.conversation.step.clone() {
        Step::ConfirmCancel { back } => (*back, "cancel-kept"),
        Step::ConfirmDelete { back } => (*back, "delete-kept"),
        other => (other, "cancel-kept"),
    };
    out.conversation.step = back;
    out.say_msg(Msg::new(kept));
    if out.conversation.step != Step::Idle {
        ask_again(out, ctx);
    }
}

// ---------------------------------------------------------------------------------------------
// results of actions

/// How an [`Action`] went, as the service reports it back.
#[derive(Clone, Debug)]
pub enum ActionResult {
    TicketOpened(TicketNo),
    /// Someone (this person elsewhere, or another chat with the same TC Kimlik No) already has
    /// an open ticket; the draft goes back to the summary so a mistyped number can be fixed.
    OpenRefused {
        existing: TicketBrief,
        draft: Box<Draft>,
    },
    TicketCancelled(TicketNo),
    CancelRefused(Refusal),
    DataDeleted,
    MessageDeleted(bool),
    /// The code is queued for mailing; only its hash comes back.
    /// The address got too many verification e-mails lately; try again in `minutes`.
    EmailCodeLimited {
        minutes: i64,
    },
    EmailCodeSent {
        hash: String,
        expires_at: i64,
    },
    PairingCode {
        code: String,
        minutes: i64,
        server: String,
    },
    PairingDecided(PairingDecision),
    Devices(Vec<DeviceView>),
    Unlinked {
        name: String,
    },
    UnlinkStale,
    /// A one-time link to the web form for the TC Kimlik No and birth date.
    FormLink {
        url: String,
        minutes: i64,
    },
    /// The person's question went to the support desk under their ticket.
    QuestionForwarded {
        ticket: String,
    },
    /// No staff chat is configured to take questions.
    QuestionUnavailable,
    /// The card step went to the person's PC again.
    CardRecheckQueued {
        ticket: TicketNo,
        pc: String,
    },
    /// There is no card step to send again (the state of the person's ticket, if any).
    CardRecheckNotNeeded(Option<TicketState>),
    /// The person has no paired PC to send it to.
    CardRecheckNoPc,
    /// The approval is recorded; the request is complete.
    FormApproved {
        ticket: TicketNo,
    },
    /// No renewal form waits for approval (the state of the person's ticket, if any).
    FormApprovalNotWaiting(Option<TicketState>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PairingDecision {
    Approved {
        name: String,
        os: String,
        ticket: Option<String>,
    },
    Rejected {
        name: String,
    },
    /// Not (or no longer) a pending request of this person.
    Stale,
}

/// A message that names the state of the person's ticket (or that they have none).
fn state_says(id: &'static str, state: Option<TicketState>) -> Msg {
    match state {
        Some(state) => Msg::new(id).with("state", Msg::new(state.message_id())),
        None => Msg::new("status-none"),
    }
}

/// The person's paired PCs, each with a button to unlink it.
fn devices_reply(devices: &[DeviceView]) -> Reply {
    if devices.is_empty() {
        return Reply { parts: vec![Msg::new("devices-none")], buttons: vec![Button::new(ButtonId::Pair, "btn-pair")] };
    }
    let lines = devices
        .iter()
        .map(|d| {
            Msg::new("device-line").with("name", d.name.clone()).with("os", d.os.clone()).with("seen", Value::DateTime(d.last_seen_ms))
        })
        .collect();
    let buttons = devices
        .iter()
        .map(|d| Button {
            id: ButtonId::Unlink(d.agent_id.clone()),
            label: Label::Msg(Msg::new("btn-unlink").with("name", d.name.clone())),
        })
        .collect();
    Reply { parts: vec![Msg::new("devices-list").with("devices", Value::Lines(lines))], buttons }
}

/// The replies for an action's result; they come before the engine's own replies.
pub fn action_result(conversation: &mut Conversation, result: ActionResult) -> Vec<Reply> {
    match result {
        ActionResult::TicketOpened(number) => vec![Reply {
            parts: vec![Msg::new("ticket-opened").with("ticket", number.to_string()), Msg::new("ticket-next-step")],
            buttons: vec![Button::new(ButtonId::Pair, "btn-pair")],
        }],
        ActionResult::PairingCode { code, minutes, server } => vec![Reply::text(
            Msg::new("pair-code").with("code", code.clone()).with("minutes", minutes).with("server", server).with("command_code", code),
        )],
        ActionResult::PairingDecided(PairingDecision::Approved { name, os, ticket }) => {
            let mut parts = vec![Msg::new("pair-approved").with("name", name).with("os", os)];
            if let Some(ticket) = ticket {
                parts.push(Msg::new("pair-card-step-queued").with("ticket", ticket));
            }
            vec![Reply { parts, buttons: Vec::new() }]
        }
        ActionResult::PairingDecided(PairingDecision::Rejected { name }) => vec![Reply::text(Msg::new("pair-rejected").with("name", name))],
        ActionResult::PairingDecided(PairingDecision::Stale) => vec![Reply::text(Msg::new("pair-stale"))],
        ActionResult::Devices(devices) => vec![devices_reply(&devices)],
        ActionResult::Unlinked { name } => vec![Reply::text(Msg::new("device-unlinked").with("name", name))],
        ActionResult::UnlinkStale => vec![Reply::text(Msg::new("device-unlink-stale"))],
        ActionResult::OpenRefused { existing, draft } => {
            conversation.draft = *draft;
            conversation.step = Step::Summary;
            let mut reply = summary(&conversation.draft, false);
            reply.parts.insert(
                0,
                Msg::new("open-refused-tckn")
                    .with("ticket", existing.number.to_string())
                    .with("state", Msg::new(existing.state.message_id())),
            );
            vec![reply]
        }
        ActionResult::TicketCancelled(number) => {
            vec![Reply::text(Msg::new("cancelled-ticket").with("ticket", number.to_string()))]
        }
        ActionResult::CancelRefused(refusal) => vec![Reply::text(Msg::new(refusal.message_id()))],
        ActionResult::DataDeleted => vec![Reply::text(Msg::new("delete-done"))],
        ActionResult::EmailCodeSent { hash, expires_at } => {
            conversation.draft.email_code = Some(PendingCode { hash, expires_at, tries_left: PendingCode::TRIES });
            let email = pending_address(&conversation.draft);
            vec![Reply::text(Msg::new("email-code-sent").with("email", email).with("minutes", PendingCode::VALID_MS / 60_000))]
        }
        ActionResult::EmailCodeLimited { minutes } => {
            conversation.draft.email_code = None;
            vec![Reply::text(Msg::new("err-code-address-limit").with("minutes", minutes))]
        }
        ActionResult::FormLink { url, minutes } => vec![Reply {
            parts: vec![Msg::new("web-form-link").with("url", url).with("minutes", minutes)],
            buttons: vec![Button::new(ButtonId::FormLink, "btn-form-link")],
        }],
        ActionResult::QuestionForwarded { ticket } => vec![Reply::text(Msg::new("question-forwarded").with("ticket", ticket))],
        ActionResult::QuestionUnavailable => vec![Reply::text(Msg::new("question-unavailable"))],
        ActionResult::CardRecheckQueued { ticket, pc } => {
            vec![Reply::text(Msg::new("card-recheck-queued").with("ticket", ticket.to_string()).with("name", pc))]
        }
        ActionResult::CardRecheckNotNeeded(state) => vec![Reply::text(state_says("card-recheck-not-needed", state))],
        ActionResult::CardRecheckNoPc => {
            vec![Reply { parts: vec![Msg::new("card-recheck-no-pc")], buttons: vec![Button::new(ButtonId::Pair, "btn-pair")] }]
        }
        ActionResult::FormApproved { ticket } => vec![Reply::text(Msg::new("form-approved-thanks").with("ticket", ticket.to_string()))],
        ActionResult::FormApprovalNotWaiting(Some(state)) => vec![Reply::text(state_says("form-approval-not-waiting", Some(state)))],
        ActionResult::FormApprovalNotWaiting(None) => vec![Reply::text(Msg::new("form-approval-nothing-open"))],
        ActionResult::MessageDeleted(deleted) => {
            let id = if deleted { super::PIN_WARNING } else { "pin-warning-undeletable" };
            vec![Reply::text(Msg::new(id))]
        }
    }
}

#[cfg(test)]
mod tests;
