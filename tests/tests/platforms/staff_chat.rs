//! The staff loop after e-Onay, in-process against the Telegram Bot API stand-in: the post of an
//! e-Onay completion carries "Kurumsal başvuru yapıldı" / "Form e-postası gönderildi", staff press
//! them in order (a press out of order is refused with the reason), and the person hears each
//! step in their own chat.

use std::sync::Arc;

use eimza_bot::Config;
use eimza_bot::agents::Links;
use eimza_bot::core::button::ButtonId;
use eimza_bot::core::conversation::{Draft, Settings, Transport};
use eimza_bot::core::domain::{BirthDate, FullName, KurumEmail, Tckn, Title};
use eimza_bot::core::ticket::{ActorKind, TicketEvent};
use eimza_bot::delivery::person_chat::PersonChat;
use eimza_bot::delivery::platforms::Platforms;
use eimza_bot::delivery::staff_chat::StaffChats;
use eimza_bot::i18n::Texts;
use eimza_bot::service::ChatService;
use eimza_bot::service::desk::{StaffActor, StaffDesk, StaffRoster};
use eimza_bot::store::{Actor, OpenOutcome, Routing, Store, TicketChange};
use eimza_bot::telegram::Telegram;
use eimza_bot::vault::Vault;
use eimza_protocol::Lang;
use eimza_tests::telegram::BotApi;

const GROUP: i64 = -100_777;

#[tokio::test]
async fn e_onay_done_then_the_corporate_application_and_the_form_from_the_staff_group() {
    let api = BotApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("staff.db").display());
    let routing = Routing { staff_chats: vec![Transport::Telegram], ..Routing::default() };
    let store = Store::connect(&url, Vault::from_master_key(&[9; 32])).await.unwrap().with_routing(routing);
    store.save_institution("Örnek Kurumu", "{}", 0).await.unwrap();
    let config = Config::defaults_with(&[
        ("telegram.token", &format!("\"{}\"", eimza_tests::telegram::TOKEN)),
        ("telegram.api_url", &format!("\"{}\"", api.url)),
        ("telegram.staff_chat_id", &GROUP.to_string()),
    ])
    .unwrap();
    let settings = Settings {
        institution: "Örnek Kurumu".into(),
        domains: config.institution.email_domains(),
        titles: vec![],
        retention_days: 90,
        public_url: "http://127.0.0.1:8080".into(),
        web_form: vec![],
        helpdesk_forwarding: false,
    };
    let texts = Arc::new(Texts::embedded());
    let service = Arc::new(ChatService::new(store.clone(), texts.clone(), settings, Arc::new(Links::default())));
    let roster = StaffRoster { telegram_users: vec![7], ..StaffRoster::default() };
    let desk = Arc::new(StaffDesk::new(store.clone(), texts.clone(), roster));
    let telegram = Telegram::new(&config.telegram, service.clone(), desk.clone()).unwrap();
    let platforms = Arc::new(Platforms::default());
    platforms.add_messenger(Transport::Telegram, telegram.clone());
    platforms.add_staff_chat(Transport::Telegram, telegram.clone());
    let staff_chat = StaffChats::new(
        store.clone(),
        texts.clone(),
        platforms.clone(),
        Transport::Telegram,
        "Örnek Kurumu".into(),
        "http://127.0.0.1/".into(),
        config.staff_chat.clone(),
    );
    let person_chat = PersonChat::new(store.clone(), texts.clone(), platforms.clone(), config.person_chat.clone());

    // A ticket of a Telegram person, moved on to e-Onay done as the agent would.
    let person = store.person("telegram", "6464", 1).await.unwrap();
    let draft = Draft {
        consent_at: Some(1),
        tckn: Some(Tckn::parse(&eimza_tests::valid_tckn(6464)).unwrap()),
        name: Some(FullName::parse("Şule Ağaoğlu").unwrap()),
        title: Some(Title::parse("Uzman", &[]).unwrap()),
        email: Some(KurumEmail::parse("sule@kurum.gov.tr", &config.institution.email_domains()).unwrap()),
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 3, 5).map(BirthDate::from_date),
        ..Draft::default()
    };
    let mut tx = store.begin().await.unwrap();
    let OpenOutcome::Opened(number) = tx.open_ticket(person, &draft, Lang::Tr, 2).await.unwrap() else { panic!("not opened") };
    tx.commit().await.unwrap();
    let ticket = store.begin().await.unwrap().open_ticket_id(person).await.unwrap().unwrap();
    for (event, actor) in [
        (TicketEvent::AgentPaired, ActorKind::Applicant),
        (TicketEvent::CardStepRequested, ActorKind::System),
        (TicketEvent::EOnayAttested, ActorKind::Agent),
    ] {
        let mut tx = store.begin().await.unwrap();
        let actor = Actor { kind: actor, id: Some("test".into()) };
        tx.apply_event(&TicketChange::new(ticket, event, &actor, 3)).await.unwrap().unwrap();
        tx.commit().await.unwrap();
    }

    assert_eq!(staff_chat.deliver_due().await.unwrap(), 2, "the new ticket and the e-Onay completion");
    let done = api.wait_for(GROUP, 0, "kurumsal başvuru yapılmalı").await;
    assert!(done.text.contains(&number.to_string()) && done.text.contains("Şule Ağaoğlu"), "{}", done.text);
    let labels: Vec<&str> = done.buttons.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["Kurumsal başvuru yapıldı", "Form e-postası gönderildi", "Başvuruyu iptal et"]);
    let corp = ButtonId::parse(&done.buttons[0].1).unwrap();
    let form = ButtonId::parse(&done.buttons[1].1).unwrap();

    let staff = StaffActor { transport: Transport::Telegram, user_id: "7".into(), roles: vec![], display_name: "Ayşe Kaya".into() };
    let stranger = StaffActor { user_id: "8".into(), ..staff.clone() };
    let act = |actor: &StaffActor, button: &ButtonId, update: &str| {
        let (desk, actor, button, update) = (desk.clone(), actor.clone(), button.clone(), update.to_owned());
        async move { desk.act(&actor, &button, Some(&update)).await.unwrap().expect("a first press").shown.text }
    };
    assert!(act(&stranger, &corp, "1").await.contains("yalnızca yetkili"));
    // The form e-mail cannot be marked before the corporate application.
    let early = act(&staff, &form, "2").await;
    assert!(early.contains("yapılamadı"), "{early}");
    let first = act(&staff, &corp, "3").await;
    assert!(first.contains("kurumsal başvuru yapıldı olarak işaretlendi (Ayşe Kaya)"), "{first}");
    assert!(act(&staff, &corp, "4").await.contains("zaten yapılmış"), "a second press changes nothing");
    assert!(desk.act(&staff, &corp, Some("4")).await.unwrap().is_none(), "a re-delivered update is acted on once");
    assert!(act(&staff, &form, "5").await.contains("yenileme formu e-postası gönderildi"));

    // The person hears both steps in their Telegram chat (the chat outbox).
    person_chat.deliver_due().await.unwrap();
    api.wait_for(6464, 0, "Kurumsal başvurunuz Kamu SM'ye yapıldı").await;
    let form_notice = api.wait_for(6464, 0, "Lütfen e-postadaki formu onaylayın").await;
    assert!(form_notice.text.starts_with(&number.to_string()), "{}", form_notice.text);
    let detail = store.ticket_detail(&number.to_string()).await.unwrap().unwrap().1;
    let by_staff: Vec<&str> =
        detail.iter().filter(|e| e.actor_id.as_deref() == Some("telegram:7 (Ayşe Kaya)")).map(|e| e.event.as_str()).collect();
    assert_eq!(by_staff, ["corporate-applied", "form-email-sent"]);
}
