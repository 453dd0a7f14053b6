//! The chat service as a transport sees it (Telegram-style updates with ids), on both databases:
//! a re-delivered update has no second effect, and concurrent messages of one person are each
//! applied exactly once.

use std::sync::Arc;

use eimza_bot::conversation::{Incoming, Input, Settings, Step, Transport};
use eimza_bot::domain::EmailDomains;
use eimza_bot::i18n::Texts;
use eimza_bot::service::ChatService;
use eimza_bot::store::Store;
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
    }
}

async fn service(url: &str) -> Arc<ChatService> {
    let store = Store::connect(url, Vault::from_master_key(&[5; 32])).await.unwrap();
    store.save_institution("Örnek Kurumu", "{}", 0).await.unwrap();
    Arc::new(ChatService::new(store, Arc::new(Texts::embedded()), settings()))
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
    let first = service.handle(&update("u1", 1, Input::Text("/basla".into()))).await.unwrap();
    assert!(!first.duplicate);
    assert!(first.replies[0].text.starts_with("Merhaba!"));
    let again = service.handle(&update("u1", 1, Input::Text("/basla".into()))).await.unwrap();
    assert!(again.duplicate && again.replies.is_empty(), "a re-delivered update is a no-op");
    service.handle(&update("u1", 2, Input::Button("consent:yes".into()))).await.unwrap();
    let tckn = service.handle(&update("u1", 3, Input::Text("10000000146".into()))).await.unwrap();
    assert!(tckn.replies[0].text.contains("Adınızı ve soyadınızı"));
    // the same update again must not be taken as the answer to the next question
    let replay = service.handle(&update("u1", 3, Input::Text("10000000146".into()))).await.unwrap();
    assert!(replay.duplicate);
    let person = service.store().person("telegram", "u1", 0).await.unwrap();
    let state = service.store().chat_state(person).await.unwrap();
    assert_eq!(state.conversation.step, Step::Ask(eimza_bot::conversation::Field::Name));
    let version_before = state.version;

    // 24 messages of one person at once: each applied once, none lost
    let mut tasks = Vec::new();
    for i in 0..24u64 {
        let service = service.clone();
        tasks.push(tokio::spawn(async move { service.handle(&update("u1", 100 + i, Input::Text("/yardim".into()))).await }));
    }
    for t in tasks {
        let handled = t.await.unwrap().expect("handled despite the race");
        assert!(handled.replies[0].text.contains("Kullanabileceğiniz komutlar"));
    }
    let state = service.store().chat_state(person).await.unwrap();
    assert_eq!(state.version, version_before + 24, "every message saved exactly once");
    assert_eq!(state.conversation.step, Step::Ask(eimza_bot::conversation::Field::Name), "and the question is still the same");

    // Nothing was confirmed as sent: all 27 answered turns are owed (the latest 20 kept, in order).
    let owed = service.owed_replies(Transport::Telegram).await.unwrap();
    assert_eq!(owed.len(), 1);
    assert_eq!((owed[0].person_id, owed[0].user_id.as_str(), owed[0].version), (person, "u1", state.version));
    assert_eq!(owed[0].unsent.turns.len(), 20);
    assert_eq!(owed[0].unsent.turns.last().unwrap().version, state.version);
    assert!(owed[0].unsent.turns.iter().all(|t| t.replies[0].text.contains("Kullanabileceğiniz komutlar")));
    // Deliveries from many people are written together.
    let mut people = Vec::new();
    for i in 0..40u64 {
        let user = format!("p{i}");
        let handled = service.handle(&update(&user, 1, Input::Text("/yardim".into()))).await.unwrap();
        people.push(handled.owed.expect("a Telegram turn is owed until sent"));
    }
    assert_eq!(service.owed_replies(Transport::Telegram).await.unwrap().len(), 41);
    for owed in people {
        service.replies_delivered(owed);
    }
    assert_eq!(service.owed_replies(Transport::Telegram).await.unwrap().len(), 41, "heard, not yet written");
    assert_eq!(service.write_delivered().await.unwrap(), 40);
    assert_eq!(service.write_delivered().await.unwrap(), 0, "written once");
    let left = service.owed_replies(Transport::Telegram).await.unwrap();
    assert_eq!(left.len(), 1, "only u1 is still owed: {left:?}");
    // A stale confirmation (an older version) does not clear what a later message owes.
    service.replies_delivered(eimza_bot::service::Owed { person_id: person, version: state.version - 1 });
    service.write_delivered().await.unwrap();
    assert_eq!(service.owed_replies(Transport::Telegram).await.unwrap().len(), 1);
    // ...but the person's next message saves only what is still owed (its own replies).
    service.replies_delivered(eimza_bot::service::Owed { person_id: person, version: state.version });
    let next = service.handle(&update("u1", 500, Input::Text("/yardim".into()))).await.unwrap();
    let owed = service.owed_replies(Transport::Telegram).await.unwrap();
    assert_eq!(owed[0].unsent.turns.len(), 1, "the delivered turns are left out");
    assert_eq!(owed[0].unsent.turns[0].version, next.owed.unwrap().version);
    service.replies_delivered(next.owed.unwrap());
    service.write_delivered().await.unwrap();
    assert!(service.owed_replies(Transport::Telegram).await.unwrap().is_empty());
    // The web chat answers within the request: nothing is owed there.
    let web = Incoming { transport: Transport::Web, update_id: None, ..update("w1", 0, Input::Text("/yardim".into())) };
    let person_web = service.store().person("web", "w1", 0).await.unwrap();
    assert!(service.handle_web(person_web, &web).await.unwrap().owed.is_none());
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
