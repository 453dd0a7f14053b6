//! The staff loop after e-Onay, in-process against the Telegram Bot API stand-in: the post of an
//! e-Onay completion carries "Kurumsal başvuru yapıldı" / "Form e-postası gönderildi", staff press
//! them in order (a press out of order is refused with the reason), and the person hears each
//! step in their own chat.

use std::sync::Arc;

use eimza_bot::Config;
use eimza_bot::conversation::{Draft, Settings, Transport};
use eimza_bot::delivery::Retry;
use eimza_bot::i18n::Texts;
use eimza_bot::service::ChatService;
use eimza_bot::staff_desk::{StaffActor, StaffDesk, StaffRoster};
use eimza_bot::store::{OpenOutcome, Store, outbox_kinds};
use eimza_bot::telegram::Telegram;
use eimza_bot::ticket::{ActorKind, TicketEvent};
use eimza_bot::vault::Vault;
use eimza_protocol::Lang;
use eimza_tests::telegram::BotApi;

const GROUP: i64 = -100_777;

#[tokio::test]
async fn e_onay_done_then_the_corporate_application_and_the_form_from_the_staff_group() {
    let api = BotApi::start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("staff.db").display());
    let store = Store::connect(&url, Vault::from_master_key(&[9; 32])).await.unwrap().with_staff_chats(vec![outbox_kinds::STAFF_TELEGRAM]);
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
    };
    let service = Arc::new(ChatService::new(store.clone(), Arc::new(Texts::embedded()), settings));
    let roster = StaffRoster { telegram_users: vec![7], ..StaffRoster::default() };
    let desk = Arc::new(StaffDesk::new(service.clone(), roster, Retry { base_secs: 1, max_attempts: 3 }));
    let telegram = Telegram::new(&config.telegram, service.clone(), desk.clone()).unwrap();
    service.platforms().add_messenger(Transport::Telegram, telegram.clone());
    service.platforms().add_staff_chat(Transport::Telegram, telegram.clone());

    // A ticket of a Telegram person, moved on to e-Onay done as the agent would.
    let person = store.person("telegram", "6464", 1).await.unwrap();
    let draft = Draft {
        consent_at: Some(1),
        tckn: Some(eimza_tests::valid_tckn(6464)),
        name: Some("Şule Ağaoğlu".into()),
        title: Some("Uzman".into()),
        email: Some("sule@kurum.gov.tr".into()),
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 3, 5),
        ..Draft::default()
    };
    let mut tx = store.begin().await.unwrap();
    let OpenOutcome::Opened(number) = tx.open_ticket(person, &draft, Lang::Tr, 2).await.unwrap() else { panic!("not opened") };
    tx.commit().await.unwrap();
    let ticket = store.open_ticket_id(person).await.unwrap().unwrap();
    for (event, actor) in [
        (TicketEvent::AgentPaired, ActorKind::Applicant),
        (TicketEvent::CardStepRequested, ActorKind::System),
        (TicketEvent::EOnayAttested, ActorKind::Agent),
    ] {
        let mut tx = store.begin().await.unwrap();
        tx.apply_event(ticket, event, actor, Some("test"), None, 3).await.unwrap().unwrap();
        tx.commit().await.unwrap();
    }

    assert_eq!(desk.deliver_due(Transport::Telegram).await.unwrap(), 2, "the new ticket and the e-Onay completion");
    let done = api.wait_for(GROUP, 0, "kurumsal başvuru yapılmalı").await;
    assert!(done.text.contains(&number.to_string()) && done.text.contains("Şule Ağaoğlu"), "{}", done.text);
    let labels: Vec<&str> = done.buttons.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["Kurumsal başvuru yapıldı", "Form e-postası gönderildi", "Başvuruyu iptal et"]);
    let corp = done.buttons[0].1.clone();
    let form = done.buttons[1].1.clone();

    let staff = StaffActor { transport: Transport::Telegram, user_id: "7".into(), roles: vec![], display_name: "Ayşe Kaya".into() };
    let stranger = StaffActor { user_id: "8".into(), ..staff.clone() };
    assert!(desk.act(&stranger, &corp).await.unwrap().text.contains("yalnızca yetkili"));
    // The form e-mail cannot be marked before the corporate application.
    let early = desk.act(&staff, &form).await.unwrap().text;
    assert!(early.contains("yapılamadı"), "{early}");
    let first = desk.act(&staff, &corp).await.unwrap().text;
    assert!(first.contains("kurumsal başvuru yapıldı olarak işaretlendi (Ayşe Kaya)"), "{first}");
    assert!(desk.act(&staff, &corp).await.unwrap().text.contains("zaten yapılmış"), "a second press changes nothing");
    assert!(desk.act(&staff, &form).await.unwrap().text.contains("yenileme formu e-postası gönderildi"));

    // The person hears both steps in their Telegram chat (the chat outbox).
    service.deliver_chat_outbox().await.unwrap();
    api.wait_for(6464, 0, "Kurumsal başvurunuz Kamu SM'ye yapıldı").await;
    let form_notice = api.wait_for(6464, 0, "Lütfen e-postadaki formu onaylayın").await;
    assert!(form_notice.text.starts_with(&number.to_string()), "{}", form_notice.text);
    let detail = store.ticket_detail(&number.to_string()).await.unwrap().unwrap().1;
    let by_staff: Vec<&str> = detail.iter().filter(|e| e.actor_id.as_deref() == Some("telegram:7 (Ayşe Kaya)")).map(|e| e.event.as_str()).collect();
    assert_eq!(by_staff, ["corporate-applied", "form-email-sent"]);
}
