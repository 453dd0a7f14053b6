use super::*;
use crate::core::conversation::{Facts, StatusEvent, TicketBrief};
use crate::core::conversation::{PendingCode, Value};
use crate::core::domain::EmailDomains;
use crate::core::ticket::TicketState;
use proptest::strategy::Strategy;

fn settings() -> Settings {
    Settings {
        institution: "Örnek Bakanlığı".into(),
        domains: EmailDomains { domains: vec!["kurum.gov.tr".into()], allow_subdomains: false },
        titles: vec!["Uzman".into(), "Şube Müdürü".into()],
        retention_days: 90,
        public_url: "http://127.0.0.1:8080".into(),
        web_form: vec![Transport::Telegram],
        helpdesk_forwarding: false,
    }
}

const CODE: &str = "E-7K4Q2";

struct Chat {
    conversation: Conversation,
    settings: Settings,
    facts: Facts,
    now: i64,
    transport: Transport,
}

impl Chat {
    fn new() -> Chat {
        Chat {
            conversation: Conversation::default(),
            settings: settings(),
            facts: Facts::default(),
            now: 1_764_000_000_000,
            transport: Transport::Web,
        }
    }

    fn send(&mut self, input: Input) -> Outcome {
        let ctx = Ctx {
            settings: &self.settings,
            facts: &self.facts,
            transport: self.transport,
            today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            now_ms: self.now,
            sensitive_via_web: self.settings.web_form.contains(&self.transport),
        };
        let mut out = handle(self.conversation.clone(), &input, &ctx);
        // Play the service's part for mailed codes: the code is always E-7K4Q2 here.
        let mut conversation = out.conversation.clone();
        let mut first = Vec::new();
        out.actions.retain(|a| match a {
            Action::SendEmailCode { .. } => {
                let hash = crate::core::domain::EmailCode::parse(CODE).unwrap().hash();
                let sent = ActionResult::EmailCodeSent { hash, expires_at: self.now + PendingCode::VALID_MS };
                first.extend(action_result(&mut conversation, sent));
                false
            }
            _ => true,
        });
        first.append(&mut out.replies);
        out.replies = first;
        out.conversation = conversation;
        self.conversation = out.conversation.clone();
        out
    }

    fn text(&mut self, s: &str) -> Outcome {
        self.send(Input::Text(s.into()))
    }
    fn button(&mut self, s: &str) -> Outcome {
        self.send(Input::button(s))
    }
}

fn ids(out: &Outcome) -> Vec<&'static str> {
    out.replies.iter().flat_map(|r| r.ids()).collect()
}

fn fill(chat: &mut Chat) {
    chat.text("/basla");
    chat.button("consent:yes");
    chat.text("10000000146");
    chat.text("Ilgaz Işık");
    chat.button("title:1");
    chat.text("ilgaz.isik@kurum.gov.tr");
    chat.text(CODE);
    chat.text("5 Mart 1980");
}

#[test]
fn whole_intake_by_text_and_buttons() {
    let mut chat = Chat::new();
    let out = chat.text("/basla");
    assert_eq!(ids(&out), ["welcome", "kvkk-notice"]);
    assert_eq!(out.replies[1].buttons.len(), 2);
    assert_eq!(ids(&chat.text("okudum, onaylıyorum")), ["consent-thanks", "ask-tckn"]);
    assert_eq!(ids(&chat.text("123 456 789 50")), ["ask-name"]);
    assert_eq!(ids(&chat.text("Ilgaz Işık")), ["ask-title"]);
    assert_eq!(ids(&chat.text("şube müdürü")), ["ask-email"]);
    assert_eq!(ids(&chat.text("Ilgaz.Isik@KURUM.gov.tr")), ["email-code-sent", "ask-email-code"]);
    assert_eq!(chat.conversation.draft.email, None, "not counted before it is proven");
    assert_eq!(ids(&chat.text("e 7k4q2")), ["email-verified", "ask-birth-date"]);
    let out = chat.text("05/03/1980");
    assert_eq!(ids(&out), ["summary"]);
    let summary = &out.replies[0].parts[0];
    assert!(summary.args.contains(&("tckn", "12345678950".into())));
    assert!(summary.args.contains(&("title", "Şube Müdürü".into())));
    assert!(summary.args.contains(&("email", "Ilgaz.Isik@kurum.gov.tr".into())));
    assert!(summary.args.contains(&("birth_date", "05.03.1980".into())));
    let out = chat.button("confirm");
    assert!(out.replies.is_empty());
    match &out.actions[..] {
        [Action::OpenTicket(draft)] => {
            assert!(draft.is_complete());
            assert_eq!(draft.consent_at, Some(1_764_000_000_000));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(chat.conversation.step, Step::Idle);
    assert_eq!(chat.conversation.draft, Draft::default());
}

#[test]
fn bad_input_at_every_step_explains_and_asks_again() {
    let mut chat = Chat::new();
    chat.text("/basla");
    assert_eq!(ids(&chat.text("belki")), ["consent-reask", "kvkk-notice"]);
    chat.button("consent:yes");
    assert_eq!(ids(&chat.text("12345678901")), ["err-tckn-checksum", "ask-tckn"]);
    assert_eq!(ids(&chat.text("1234567895")), ["err-tckn-length", "ask-tckn"]);
    assert_eq!(ids(&chat.text("02345678950")), ["err-tckn-leading-zero", "ask-tckn"]);
    assert_eq!(ids(&chat.text("abc")), ["err-tckn-not-digits", "ask-tckn"]);
    chat.text("10000000146");
    assert_eq!(ids(&chat.text("Ilgaz")), ["err-name-one-word", "ask-name"]);
    assert_eq!(ids(&chat.text("Ilgaz I$ık")), ["err-name-invalid-char", "ask-name"]);
    chat.text("Ilgaz Işık");
    assert_eq!(ids(&chat.text("x")), ["err-title-too-short", "ask-title"]);
    assert_eq!(ids(&chat.button("title:9")), ["stale-button", "ask-title"]);
    chat.text("Mühendis");
    assert_eq!(ids(&chat.text("ilgaz@gmail.com")), ["err-email-domain", "ask-email"]);
    assert_eq!(ids(&chat.text("ilgaz")), ["err-email-invalid", "ask-email"]);
    chat.text("ilgaz@kurum.gov.tr");
    assert_eq!(ids(&chat.text("E-2222B")), ["err-code-wrong", "ask-email-code"]);
    assert_eq!(ids(&chat.text("bilmiyorum")), ["err-code-format", "ask-email-code"]);
    assert_eq!(ids(&chat.text(CODE)), ["email-verified", "ask-birth-date"]);
    assert_eq!(ids(&chat.text("31-02-1980")), ["err-birth-no-such-date", "ask-birth-date"]);
    assert_eq!(ids(&chat.text("1 Mrt 1980")), ["err-birth-month", "ask-birth-date"]);
    assert_eq!(ids(&chat.text("01-01-2027")), ["err-birth-future", "ask-birth-date"]);
    assert_eq!(ids(&chat.text("01-01-2015")), ["err-birth-too-young", "ask-birth-date"]);
    assert_eq!(ids(&chat.text("01-01-1900")), ["err-birth-too-old", "ask-birth-date"]);
    assert_eq!(ids(&chat.text("dün")), ["err-birth-format", "ask-birth-date"]);
    assert_eq!(ids(&chat.text("1.1.1980")), ["summary"]);
    assert_eq!(ids(&chat.text("bilmem")), ["summary-reask", "summary"]);
    assert_eq!(ids(&chat.button("consent:yes")), ["stale-button", "summary"]);
}

#[test]
fn edit_one_field_then_back_to_the_summary() {
    let mut chat = Chat::new();
    fill(&mut chat);
    assert_eq!(ids(&chat.button("edit")), ["ask-edit-field"]);
    assert_eq!(ids(&chat.text("hmm")), ["edit-field-reask", "ask-edit-field"]);
    assert_eq!(ids(&chat.text("E-posta")), ["ask-email"]);
    assert_eq!(ids(&chat.text("yanlis@baska.com")), ["err-email-domain", "ask-email"]);
    assert_eq!(ids(&chat.text("ilgaz.isik2@kurum.gov.tr")), ["email-code-sent", "ask-email-code"]);
    let out = chat.text(CODE);
    assert_eq!(ids(&out), ["email-verified", "summary"]);
    assert!(out.replies[1].parts[0].args.contains(&("email", "ilgaz.isik2@kurum.gov.tr".into())));
    chat.button("edit");
    assert_eq!(ids(&chat.button("edit:title")), ["ask-title"]);
    let out = chat.button("title:0");
    assert!(out.replies[0].parts[0].args.contains(&("title", "Uzman".into())));
    chat.button("edit");
    assert_eq!(ids(&chat.button("back")), ["summary"]);
}

#[test]
fn the_institutional_address_is_proven_with_a_mailed_code() {
    let mut chat = Chat::new();
    chat.text("/basla");
    chat.button("consent:yes");
    chat.text("10000000146");
    chat.text("Ilgaz Işık");
    chat.button("title:0");
    let out = chat.text("ilgaz@kurum.gov.tr");
    assert_eq!(out.replies[1].buttons.iter().map(|b| b.id.encode()).collect::<Vec<_>>(), ["code:resend", "code:change"]);
    // a PIN-like number is never taken for the code
    assert_eq!(chat.text("123456").actions, [Action::DeleteIncomingMessage]);
    // five wrong tries use the code up
    for left in (1..5).rev() {
        let out = chat.text("E-BBBBB");
        assert_eq!(ids(&out), ["err-code-wrong", "ask-email-code"]);
        assert!(out.replies[0].parts[0].args.contains(&("tries", Value::from(left as u32))));
    }
    assert_eq!(ids(&chat.text("E-BBBBB")), ["err-code-no-tries", "ask-email-code"]);
    assert_eq!(ids(&chat.text(CODE)), ["err-code-no-tries", "ask-email-code"], "not even the right one now");
    // a new code, then it expires
    assert_eq!(ids(&chat.button("code:resend")), ["email-code-sent", "ask-email-code"]);
    chat.now += PendingCode::VALID_MS + 1;
    assert_eq!(ids(&chat.text(CODE)), ["err-code-expired", "ask-email-code"]);
    // typing another address sends a code there
    let out = chat.text("ilgaz.isik@kurum.gov.tr");
    assert_eq!(ids(&out), ["email-code-sent", "ask-email-code"]);
    assert_eq!(chat.conversation.draft.pending_email.as_ref().map(|e| e.as_str()), Some("ilgaz.isik@kurum.gov.tr"));
    // at most four codes per application
    assert_eq!(ids(&chat.button("code:resend")), ["email-code-sent", "ask-email-code"]);
    let out = chat.button("code:resend");
    assert_eq!(ids(&out), ["err-code-send-limit"]);
    assert!(out.actions.is_empty());
    // changing the address goes back to that question
    assert_eq!(ids(&chat.button("code:change")), ["ask-email"]);
    assert_eq!(chat.conversation.draft.email, None);
}

#[test]
fn consent_is_required_before_any_personal_data() {
    let mut chat = Chat::new();
    chat.text("/basla");
    assert_eq!(ids(&chat.text("10000000146")), ["consent-reask", "kvkk-notice"]);
    assert_eq!(chat.conversation.draft.tckn, None);
    assert_eq!(ids(&chat.button("consent:no")), ["consent-declined"]);
    assert_eq!(chat.conversation.step, Step::Idle);
}

#[test]
fn misplaced_pin_is_deleted_and_the_question_repeated() {
    let mut chat = Chat::new();
    fill(&mut chat);
    chat.button("edit");
    chat.button("edit:tckn");
    let out = chat.text("123 456");
    assert_eq!(out.actions, [Action::DeleteIncomingMessage]);
    assert_eq!(ids(&out), ["ask-tckn"]);
    let mut idle = Chat::new();
    let out = idle.text("482913");
    assert_eq!(out.actions, [Action::DeleteIncomingMessage]);
    assert_eq!(idle.conversation.draft, Draft::default());
}

#[test]
fn cancel_mid_intake_asks_first() {
    let mut chat = Chat::new();
    chat.text("/basla");
    chat.button("consent:yes");
    chat.text("10000000146");
    assert_eq!(ids(&chat.text("/iptal")), ["cancel-confirm-draft"]);
    assert_eq!(ids(&chat.text("hayır")), ["cancel-kept", "ask-name"]);
    assert_eq!(chat.conversation.draft.tckn.as_ref().map(|t| t.as_str()), Some("10000000146"));
    chat.text("/cancel");
    assert_eq!(ids(&chat.text("/iptal")), ["cancel-confirm-draft"]);
    assert_eq!(ids(&chat.button("cancel:yes")), ["cancelled-draft"]);
    assert_eq!(chat.conversation, Conversation::default());
}

#[test]
fn cancel_an_open_ticket() {
    let mut chat = Chat::new();
    assert_eq!(ids(&chat.text("/iptal")), ["nothing-to-cancel"]);
    let number = TicketNo::new(2026, 7);
    chat.facts.open_ticket = Some(TicketBrief { number, state: TicketState::Submitted });
    assert_eq!(ids(&chat.text("/iptal")), ["cancel-confirm-ticket"]);
    let out = chat.button("cancel:yes");
    assert_eq!(out.actions, [Action::CancelTicket(number)]);
}

#[test]
fn one_open_ticket_per_person() {
    let mut chat = Chat::new();
    chat.facts.open_ticket = Some(TicketBrief { number: TicketNo::new(2026, 1), state: TicketState::CardStep });
    assert_eq!(ids(&chat.text("/basla")), ["already-open"]);
    assert_eq!(chat.conversation.step, Step::Idle);
    // opened elsewhere while this chat was at the summary
    let mut chat = Chat::new();
    fill(&mut chat);
    chat.facts.open_ticket = Some(TicketBrief { number: TicketNo::new(2026, 1), state: TicketState::Submitted });
    let out = chat.button("confirm");
    assert_eq!(ids(&out), ["already-open"]);
    assert!(out.actions.is_empty());
}

#[test]
fn delete_personal_data_after_confirmation() {
    let mut chat = Chat::new();
    fill(&mut chat);
    assert_eq!(ids(&chat.text("/sil")), ["delete-confirm"]);
    assert_eq!(ids(&chat.text("/sil")), ["delete-confirm"]);
    assert_eq!(ids(&chat.button("delete:no")), ["delete-kept", "summary"]);
    chat.text("/delete");
    let out = chat.button("delete:yes");
    assert_eq!(out.actions, [Action::DeletePersonalData]);
    assert_eq!(chat.conversation.draft, Draft::default());
}

#[test]
fn commands_work_in_every_step_and_resume_where_it_was() {
    let mut chat = Chat::new();
    chat.text("/basla");
    chat.button("consent:yes");
    chat.text("10000000146");
    assert_eq!(ids(&chat.text("/yardim")), ["help", "ask-name"]);
    assert_eq!(ids(&chat.text("/basla")), ["resume", "ask-name"]);
    assert_eq!(ids(&chat.send(Input::Open)), ["resume", "ask-name"]);
    assert_eq!(ids(&chat.text("/durum")), ["status-collecting", "ask-name"]);
    assert_eq!(ids(&chat.text("/nedir")), ["unknown-command", "ask-name"]);
    assert_eq!(ids(&chat.text("/english")), ["lang-switched", "ask-name"]);
    assert_eq!(chat.conversation.lang, Some(Lang::En));
    assert_eq!(ids(&chat.button("confirm")), ["stale-button", "ask-name"]);
}

#[test]
fn idle_text_and_status() {
    let mut chat = Chat::new();
    assert_eq!(ids(&chat.text("merhaba")), ["idle-hint"]);
    assert_eq!(ids(&chat.text("/durum")), ["status-none"]);
    chat.facts.status = Some(StatusView {
        number: TicketNo::new(2026, 3),
        state: TicketState::Submitted,
        opened_at: 1,
        history: vec![StatusEvent { at: 1, to: TicketState::Submitted, actor: ActorKind::Applicant }],
    });
    let out = chat.text("/durum");
    assert_eq!(ids(&out), ["status-ticket", "status-next", "status-history"]);
    assert_eq!(ids(&chat.button("start")), ["welcome", "kvkk-notice"]);
}

#[test]
fn questions_for_the_desk_carry_no_tckn_and_no_pin() {
    use super::redact;
    assert_eq!(redact("TC numaram 10000000146, kartım ne zaman?"), "TC numaram 100******46, kartım ne zaman?");
    assert_eq!(redact("100 000 001 46 numaralı"), "100******46 numaralı");
    assert_eq!(redact("şifrem 123456 çalışmıyor"), "şifrem ****** çalışmıyor");
    assert_eq!(redact("şifre: 123 456."), "şifre: ******.");
    // Other numbers stay: dates, ticket numbers, phone extensions, invalid 11-digit numbers.
    assert_eq!(redact("EIMZA-2026-000123 hakkında, dahili 3539"), "EIMZA-2026-000123 hakkında, dahili 3539");
    assert_eq!(redact("05.03.1980 doğumluyum, 12345678901"), "05.03.1980 doğumluyum, 12345678901");
    assert_eq!(redact("İyi günler"), "İyi günler");
    // Whatever separates the digits or is glued to them.
    assert_eq!(redact("T.C.10000000146"), "T.C.100******46");
    assert_eq!(redact("TC10000000146 nolu"), "TC100******46 nolu");
    assert_eq!(redact("100.000.001.46"), "100******46");
    assert_eq!(redact("100-000-001/46?"), "100******46?");
    assert_eq!(redact("PIN123456"), "PIN******");
    assert_eq!(redact("A123456 kodlu"), "A****** kodlu");
    assert_eq!(redact("şifre:123456."), "şifre:******.");
}

/// A T.C. Kimlik No however it is written, and six digits however they are glued to text.
fn written(digits: &str, separators: &[usize]) -> String {
    let seps = [" ", ".", "-", "/", ""];
    digits
        .chars()
        .enumerate()
        .map(|(i, c)| if i == 0 { c.to_string() } else { format!("{}{c}", seps[separators[i % separators.len()] % seps.len()]) })
        .collect()
}

proptest::proptest! {
    #[test]
    fn no_tckn_survives_redaction(
        body in 100_000_000u64..999_999_999,
        separators in proptest::collection::vec(0usize..5, 1..12),
        before in "[a-zA-ZçğıöşüÇĞİÖŞÜ .:]{0,6}",
        after in "[a-zA-ZçğıöşüÇĞİÖŞÜ .,?]{0,6}",
    ) {
        // Nine digits and their two check digits: a valid number.
        let d: Vec<u32> = body.to_string().chars().map(|c| c.to_digit(10).unwrap()).collect();
        let d10 = ((d[0] + d[2] + d[4] + d[6] + d[8]) * 7 + 10 * 9 - (d[1] + d[3] + d[5] + d[7])) % 10;
        let d11 = (d.iter().sum::<u32>() + d10) % 10;
        let tckn = format!("{body}{d10}{d11}");
        proptest::prop_assume!(Tckn::parse(&tckn).is_ok());
        let text = format!("{before}{}{after}", written(&tckn, &separators));
        let out: String = redact(&text).chars().filter(char::is_ascii_digit).collect();
        proptest::prop_assert!(!out.contains(&tckn), "{text:?} → {:?}", redact(&text));
        proptest::prop_assert!(!out.contains(&tckn[3..9]), "the middle digits are hidden: {:?}", redact(&text));
    }

    #[test]
    fn no_pin_survives_redaction(
        pin in 0u32..1_000_000,
        separators in proptest::collection::vec(0usize..5, 1..6),
        before in "[a-zA-ZçğıöşüÇĞİÖŞÜ :]{0,6}",
        after in "[a-zA-ZçğıöşüÇĞİÖŞÜ ,?]{0,6}",
    ) {
        let pin = format!("{pin:06}");
        let text = format!("{before}{}{after}", written(&pin, &separators));
        proptest::prop_assert!(!redact(&text).contains(&pin) && redact(&text).contains("******"), "{text:?} → {:?}", redact(&text));
    }
}

#[test]
fn free_text_with_an_open_ticket_is_a_question_for_the_desk() {
    let mut chat = Chat::new();
    chat.facts.open_ticket = Some(TicketBrief { number: TicketNo::new(2026, 3), state: TicketState::Submitted });
    let out = chat.text("  Kartım ne zaman gelir?  ");
    assert_eq!(out.actions, vec![Action::AskStaff { text: "Kartım ne zaman gelir?".into() }]);
    assert!(out.replies.is_empty(), "the service says whether it reached the desk");
    let said = action_result(&mut chat.conversation, ActionResult::QuestionForwarded { ticket: "EIMZA-2026-000003".into() });
    assert_eq!(said[0].ids(), ["question-forwarded"]);
    assert_eq!(action_result(&mut chat.conversation, ActionResult::QuestionUnavailable)[0].ids(), ["question-unavailable"]);
    assert!(chat.text("123456").actions.contains(&Action::DeleteIncomingMessage), "a PIN is never forwarded");
}

/// Telegram with `sensitive_fields_via_web`: the chat asks name, title and e-mail; the TC Kimlik
/// No and birth date come from the web form; the summary shows them masked.
#[test]
fn sensitive_fields_go_through_the_web_form() {
    let mut chat = Chat::new();
    chat.transport = Transport::Telegram;
    chat.text("/basla");
    assert_eq!(ids(&chat.button("consent:yes")), ["consent-thanks", "ask-name"]);
    chat.text("Ilgaz Işık");
    chat.button("title:0");
    chat.text("ilgaz@kurum.gov.tr");
    let out = chat.text(CODE);
    assert_eq!(ids(&out), ["email-verified"]);
    assert_eq!(out.actions, vec![Action::IssueFormLink]);
    assert_eq!(chat.conversation.step, Step::WebForm { editing: false });
    // Typing the number into the chat is not kept.
    let out = chat.text("10000000146");
    assert_eq!(ids(&out), ["web-form-waiting", "ask-web-form"]);
    assert_eq!(chat.conversation.draft.tckn, None);
    assert_eq!(chat.button("form:link").actions, vec![Action::IssueFormLink]);
    // The form: every mistake named with its field, the valid one kept.
    let form = |t: &str, b: &str| Input::Fields(vec![(Field::Tckn, t.into()), (Field::BirthDate, b.into())]);
    let out = chat.send(form("12345678901", "5 Mart 1980"));
    assert_eq!(ids(&out), ["field-error", "ask-web-form"]);
    assert_eq!(out.replies[0].parts[0].args[0], ("field", Value::Message(Box::new(Msg::new("field-tckn")))));
    let out = chat.send(form("10000000146", "5 Mart 1980"));
    assert_eq!(ids(&out), ["summary"]);
    let summary = &out.replies[0].parts[0];
    assert!(summary.args.contains(&("tckn", "100******46".into())), "{summary:?}");
    assert!(summary.args.contains(&("birth_date", "**.**.1980".into())));
    // Editing the number goes through a new link again.
    chat.button("edit");
    let out = chat.button("edit:tckn");
    assert_eq!(out.actions, vec![Action::IssueFormLink]);
    assert_eq!(chat.conversation.step, Step::WebForm { editing: true });
    assert_eq!(ids(&chat.send(form("12345678950", "05.03.1980"))), ["summary"]);
    assert_eq!(chat.conversation.draft.tckn.as_ref().map(|t| t.as_str()), Some("12345678950"));
    assert!(matches!(&chat.button("confirm").actions[..], [Action::OpenTicket(_)]));
}

/// A platform form (Discord's modal) carries several answers; each is validated as if typed.
#[test]
fn a_form_of_several_fields_validates_each() {
    let mut chat = Chat::new();
    chat.transport = Transport::Discord; // not in `web_form` here: all five fields in chat
    chat.text("/yenileme");
    chat.button("consent:yes");
    let fields = |t: &str, n: &str, e: &str| {
        Input::Fields(vec![
            (Field::Tckn, t.into()),
            (Field::Name, n.into()),
            (Field::Title, "Uzman".into()),
            (Field::Email, e.into()),
            (Field::BirthDate, "05-03-1980".into()),
        ])
    };
    let out = chat.send(fields("12345678901", "Ilgaz", "ilgaz@gmail.com"));
    assert_eq!(ids(&out), ["field-error", "field-error", "field-error", "ask-tckn"]);
    assert_eq!(chat.conversation.draft.title.as_ref().map(|t| t.as_str()), Some("Uzman"), "valid answers are kept");
    let out = chat.send(fields("10000000146", "Ilgaz Işık", "ilgaz@kurum.gov.tr"));
    assert_eq!(ids(&out), ["email-code-sent", "ask-email-code"]);
    assert_eq!(ids(&chat.text(CODE)), ["email-verified", "summary"]);
    // Outside the intake a form is a stale button.
    chat.button("confirm");
    assert_eq!(ids(&chat.send(fields("10000000146", "Ilgaz Işık", "ilgaz@kurum.gov.tr"))), ["stale-button", "idle-hint"]);
}

#[test]
fn action_results_speak() {
    let mut c = Conversation::default();
    let r = action_result(&mut c, ActionResult::TicketOpened(TicketNo::new(2026, 5)));
    assert_eq!(r[0].parts[0].args, [("ticket", "EIMZA-2026-000005".into())]);
    let draft = Draft { tckn: Some(Tckn::parse("10000000146").unwrap()), ..Draft::default() };
    let r = action_result(
        &mut c,
        ActionResult::OpenRefused {
            existing: TicketBrief { number: TicketNo::new(2026, 1), state: TicketState::Submitted },
            draft: Box::new(draft.clone()),
        },
    );
    assert_eq!(r[0].ids(), ["open-refused-tckn", "summary"]);
    assert_eq!(c.step, Step::Summary);
    assert_eq!(c.draft, draft);
    assert_eq!(action_result(&mut c, ActionResult::MessageDeleted(false))[0].ids(), ["pin-warning-undeletable"]);
    assert_eq!(action_result(&mut c, ActionResult::MessageDeleted(true))[0].ids(), ["pin-warning"]);
}

proptest::proptest! {
    /// Whatever a person sends, in whatever order, the engine answers and never panics, and
    /// every reply asks something or explains something.
    #[test]
    fn any_input_sequence_gets_an_answer(inputs in proptest::collection::vec(
        proptest::prop_oneof![
            "\\PC{0,30}".prop_map(Input::Text),
            proptest::sample::select(vec!["/basla", "/iptal", "/sil", "/durum", "/yardim", "10000000146", "Ayşe Yılmaz",
                "a@kurum.gov.tr", "5 Mart 1980", "evet", "hayır", "123456", "Uzman"]).prop_map(|s| Input::Text(s.into())),
            proptest::sample::select(vec!["start", "consent:yes", "consent:no", "confirm", "edit", "cancel", "edit:name",
                "title:0", "cancel:yes", "cancel:no", "delete:yes", "delete:no", "back", "junk"]).prop_map(Input::button),
        ], 1..40)) {
        let mut chat = Chat::new();
        for input in inputs {
            let out = chat.send(input);
            proptest::prop_assert!(!out.replies.is_empty() || !out.actions.is_empty());
            if let Some(Action::OpenTicket(draft)) = out.actions.first() {
                proptest::prop_assert!(draft.is_complete());
            }
        }
    }
}
