//! The chat service as a transport sees it (Telegram-style updates with ids), on both databases:
//! a re-delivered update has no second effect, and concurrent messages of one person are each
//! applied exactly once.

use std::sync::Arc;

use eimza_bot::agents::Links;
use eimza_bot::core::conversation::{Incoming, Input, Settings, Step, Transport};
use eimza_bot::core::domain::EmailDomains;
use eimza_bot::i18n::Texts;
use eimza_bot::service::{ChatService, Handled, ReplyMode};
use eimza_bot::store::Store;
use eimza_bot::telegram::Ledger;
use eimza_bot::vault::Vault;
use eimza_protocol::Lang;

fn settings() -> Settings {
    Settings {
        institution: "Örnek Kurumu".into(),
        domains: EmailDomains { domains: vec!["kurum.gov.tr".into()], allow_subdomains: false },
        titles: vec![],
        retention_days: 90,
        public_url: "http://127.0.0.1:8080".into(),
        web_form: vec![],
        helpdesk_forwarding: false,
    }
}

async fn service(url: &str) -> Arc<ChatService> {
    let store = Store::connect(url, Vault::from_master_key(&[5; 32])).await.unwrap();
    store.save_institution("Örnek Kurumu", "{}", 0).await.unwrap();
    Arc::new(ChatService::new(store, Arc::new(Texts::embedded()), settings(), Arc::new(Links::default())))
}

/// A turn as Telegram's adapter runs it: its replies owed until the ledger hears they were sent.
async fn tg(service: &ChatService, ledger: &Ledger, incoming: &Incoming) -> Handled {
    service.handle(incoming, ReplyMode::SavedUntilSent { delivered: ledger.delivered(&incoming.user_id) }).await.unwrap()
}

fn update(user: &str, id: u64, input: Input) -> Incoming {
    Incoming {
        transport: Transport::Telegram,
        user_id: user.into(),
        input,
        lang_hint: Some(Lang::Tr),
        update_id: Some(id.to_string()),
        can_delete: true,
    }
}

async fn redelivery_and_races(service: Arc<ChatService>) {
    let ledger = Arc::new(Ledger::default());
    let first = tg(&service, &ledger, &update("u1", 1, Input::Text("/basla".into()))).await;
    assert!(!first.duplicate);
    assert!(first.replies[0].text.starts_with("Merhaba!"));
    let again = tg(&service, &ledger, &update("u1", 1, Input::Text("/basla".into()))).await;
    assert!(again.duplicate && again.replies.is_empty(), "a re-delivered update is a no-op");
    tg(&service, &ledger, &update("u1", 2, Input::button("consent:yes"))).await;
    let tckn = tg(&service, &ledger, &update("u1", 3, Input::Text("10000000146".into()))).await;
    assert!(tckn.replies[0].text.contains("Adınızı ve soyadınızı"));
    // the same update again must not be taken as the answer to the next question
    let replay = tg(&service, &ledger, &update("u1", 3, Input::Text("10000000146".into()))).await;
    assert!(replay.duplicate);
    let person = service.store().person("telegram", "u1", 0).await.unwrap();
    let state = service.store().chat_state(person).await.unwrap();
    assert_eq!(state.conversation.step, Step::Ask(eimza_bot::core::conversation::Field::Name));
    let version_before = state.version;

    // 24 messages of one person at once: each applied once, none lost
    let mut tasks = Vec::new();
    for i in 0..24u64 {
        let (service, ledger) = (service.clone(), ledger.clone());
        let mode = ReplyMode::SavedUntilSent { delivered: ledger.delivered("u1") };
        tasks.push(tokio::spawn(async move { service.handle(&update("u1", 100 + i, Input::Text("/yardim".into())), mode).await }));
    }
    for t in tasks {
        let handled = t.await.unwrap().expect("handled despite the race");
        assert!(handled.replies[0].text.contains("Kullanabileceğiniz komutlar"));
    }
    let state = service.store().chat_state(person).await.unwrap();
    assert_eq!(state.version, version_before + 24, "every message saved exactly once");
    assert_eq!(state.conversation.step, Step::Ask(eimza_bot::core::conversation::Field::Name), "and the question is still the same");

    // Nothing was confirmed as sent: all 27 answered turns are owed (the latest 20 kept, in order).
    let owed = service.store().owed_replies(Transport::Telegram.code()).await.unwrap();
    assert_eq!(owed.len(), 1);
    assert_eq!((owed[0].person_id, owed[0].user_id.as_str(), owed[0].version), (person, "u1", state.version));
    assert_eq!(owed[0].unsent.turns.len(), 20);
    assert_eq!(owed[0].unsent.turns.last().unwrap().version, state.version);
    assert!(owed[0].unsent.turns.iter().all(|t| t.replies[0].text.contains("Kullanabileceğiniz komutlar")));
    // Deliveries from many people are written together.
    let mut people = Vec::new();
    for i in 0..40u64 {
        let user = format!("p{i}");
        let handled = tg(&service, &ledger, &update(&user, 1, Input::Text("/yardim".into()))).await;
        people.push(handled.owed.expect("a Telegram turn is owed until sent"));
    }
    assert_eq!(service.store().owed_replies(Transport::Telegram.code()).await.unwrap().len(), 41);
    for (i, owed) in people.into_iter().enumerate() {
        ledger.confirm(&format!("p{i}"), owed);
    }
    assert_eq!(service.store().owed_replies(Transport::Telegram.code()).await.unwrap().len(), 41, "heard, not yet written");
    assert_eq!(ledger.write(service.store()).await.unwrap(), 40);
    assert_eq!(ledger.write(service.store()).await.unwrap(), 0, "written once");
    let left = service.store().owed_replies(Transport::Telegram.code()).await.unwrap();
    assert_eq!(left.len(), 1, "only u1 is still owed: {left:?}");
    // A stale confirmation (an older version) does not clear what a later message owes.
    ledger.confirm("u1", eimza_bot::service::Owed { person_id: person, version: state.version - 1 });
    ledger.write(service.store()).await.unwrap();
    assert_eq!(service.store().owed_replies(Transport::Telegram.code()).await.unwrap().len(), 1);
    // ...but the person's next message saves only what is still owed (its own replies).
    ledger.confirm("u1", eimza_bot::service::Owed { person_id: person, version: state.version });
    let next = tg(&service, &ledger, &update("u1", 500, Input::Text("/yardim".into()))).await;
    let owed = service.store().owed_replies(Transport::Telegram.code()).await.unwrap();
    assert_eq!(owed[0].unsent.turns.len(), 1, "the delivered turns are left out");
    assert_eq!(owed[0].unsent.turns[0].version, next.owed.unwrap().version);
    ledger.confirm("u1", next.owed.unwrap());
    ledger.write(service.store()).await.unwrap();
    assert!(service.store().owed_replies(Transport::Telegram.code()).await.unwrap().is_empty());
    // The web chat answers within the request: nothing is owed there.
    let web = Incoming { transport: Transport::Web, update_id: None, ..update("w1", 0, Input::Text("/yardim".into())) };
    let person_web = service.store().person("web", "w1", 0).await.unwrap();
    assert!(service.handle_web(person_web, &web).await.unwrap().owed.is_none());
}

/// Two instances on one database (two processes; each keeps its own per-person order): one
/// person's turns with actions race across them. Each is applied exactly once — a turn that lost
/// the race (on SQLite its transaction's guard, on PostgreSQL its save) runs again — and none
/// fails. Seven turns an instance: a turn loses only to the other instance's saves, so at most
/// seven times, and the service tries eight times (with eight a side, a turn unlucky eight
/// times in a row ran out of tries: that is the service's bound, not a lost save).
async fn action_turns_race_across_instances(a: Arc<ChatService>, b: Arc<ChatService>) {
    let ledger = Arc::new(Ledger::default());
    tg(&a, &ledger, &update("r1", 1, Input::Text("/basla".into()))).await;
    let person = a.store().person("telegram", "r1", 0).await.unwrap();
    let before = a.store().chat_state(person).await.unwrap().version;
    let mut tasks = Vec::new();
    for i in 0..14u64 {
        let service = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            service.handle(&update("r1", 10 + i, Input::Text("/cihazlar".into())), ReplyMode::Immediate).await
        }));
    }
    for t in tasks {
        let handled = t.await.unwrap().expect("handled despite the race");
        assert!(handled.replies.iter().any(|r| r.text.contains("Eşleştirilmiş bilgisayarınız yok")), "{:?}", handled.replies);
    }
    assert_eq!(b.store().chat_state(person).await.unwrap().version, before + 14, "every turn saved exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn action_turns_race_across_instances_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("r.db").display());
    let a = service(&url).await;
    action_turns_race_across_instances(a, service(&url).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn action_turns_race_across_instances_on_postgresql() {
    let url = eimza_tests::fresh_postgres().await;
    let a = service(&url).await;
    action_turns_race_across_instances(a, service(&url).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redelivery_and_races_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    redelivery_and_races(service(&format!("sqlite:{}", dir.path().join("s.db").display())).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redelivery_and_races_on_postgresql() {
    redelivery_and_races(service(&eimza_tests::fresh_postgres().await).await).await;
}
