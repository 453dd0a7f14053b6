//! The store's behaviour, identical on SQLite and PostgreSQL: every test runs on both.

use eimza_bot::core::conversation::{Conversation, Draft, Field, Step};
use eimza_bot::core::domain::{AgentId, RequestId};
use eimza_bot::core::outbound::{Channel, Mail, Outbound};
use eimza_bot::core::ticket::{ActorKind, Applied, Refusal, TicketEvent, TicketState};
use eimza_bot::i18n::{Rendered, RenderedButton};
use eimza_bot::store::{
    ChatState, ConversationSave, OpenOutcome, PairingClaim, PairingDecisionRow, SavedFrom, Store, StoreError, TicketFilter, Unsent,
};
use eimza_bot::vault::Vault;
use eimza_protocol::Lang;
use eimza_protocol::pairing::PairingCode;
use eimza_tests::fresh_postgres;

const NOW: i64 = 1_795_604_700_000; // 2026-11-25 14:05 in Istanbul

async fn sqlite() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    (Store::connect(&url, Vault::from_master_key(&[9; 32])).await.unwrap(), dir)
}

async fn postgres() -> Store {
    Store::connect(&fresh_postgres().await, Vault::from_master_key(&[9; 32])).await.unwrap()
}

/// Runs the body once on SQLite and once on PostgreSQL.
macro_rules! on_both {
    ($name:ident, |$store:ident| $body:block) => {
        mod $name {
            use super::*;
            async fn run($store: Store) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (store, _dir) = super::sqlite().await;
                run(store).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run(super::postgres().await).await;
            }
        }
    };
}

fn draft(tckn: &str, name: &str) -> Draft {
    Draft { consent_at: Some(NOW - 1000), ..eimza_tests::application(tckn, name, "ilgaz@kurum.gov.tr") }
}

async fn open(store: &Store, person: i64, tckn: &str, name: &str) -> OpenOutcome {
    let mut tx = store.begin().await.unwrap();
    let outcome = tx.open_ticket(person, &draft(tckn, name), Lang::Tr, NOW).await.unwrap();
    tx.commit().await.unwrap();
    outcome
}

async fn ticket_id(store: &Store, number: &str) -> i64 {
    store.ticket_detail(number).await.unwrap().unwrap().0.id
}

on_both!(ticket_numbers_are_sequential_and_one_open_ticket_per_tckn, |store| {
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let a = store.person("web", "a", NOW).await.unwrap();
    let b = store.person("web", "b", NOW).await.unwrap();
    let c = store.person("telegram", "c", NOW).await.unwrap();
    assert_eq!(store.person("web", "a", NOW).await.unwrap(), a, "person ids are stable");
    let first = open(&store, a, "10000000146", "Ilgaz Işık").await;
    assert_eq!(first, OpenOutcome::Opened("EIMZA-2026-000001".parse().unwrap()));
    // same TC Kimlik No from another chat: refused with the existing ticket
    match open(&store, b, "10000000146", "Ilgaz Işık").await {
        OpenOutcome::AlreadyOpen(brief) => {
            assert_eq!(brief.number.to_string(), "EIMZA-2026-000001");
            assert_eq!(brief.state, TicketState::Submitted);
        }
        other => panic!("{other:?}"),
    }
    // same person, other number: refused too
    assert!(matches!(open(&store, a, "12345678950", "Ilgaz Işık").await, OpenOutcome::AlreadyOpen(_)));
    assert_eq!(open(&store, c, "12345678950", "Ayşe Yılmaz").await, OpenOutcome::Opened("EIMZA-2026-000002".parse().unwrap()));
    // once closed, the same TC Kimlik No may open a new one, and numbers are never reused
    let mut tx = store.begin().await.unwrap();
    let r = tx.cancel_own_ticket(a, "EIMZA-2026-000001".parse().unwrap(), NOW).await.unwrap();
    assert!(matches!(r, Ok(Applied::Moved { to: TicketState::Cancelled, .. })));
    tx.commit().await.unwrap();
    assert_eq!(open(&store, b, "10000000146", "Ilgaz Işık").await, OpenOutcome::Opened("EIMZA-2026-000003".parse().unwrap()));
    let state = store.chat_state(b).await.unwrap();
    assert_eq!(state.open_ticket.unwrap().number.to_string(), "EIMZA-2026-000003");
    assert!(store.chat_state(a).await.unwrap().open_ticket.is_none());
});

/// SQLite: while another connection holds the write lock, the writer waits for it without
/// keeping its thread (its statements run in place, and SQLite's own busy wait would block the
/// runtime): on a one-thread runtime a timer keeps ticking, and the write and a ticket's
/// transaction go through once the lock is let go.
#[tokio::test]
async fn the_writer_waits_for_a_lock_held_elsewhere_without_blocking_its_thread() {
    let (store, dir) = sqlite().await;
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let held = |ms: u64| {
        let file = dir.path().join("t.db");
        let (locked, is_locked) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let raw = rusqlite::Connection::open(file).unwrap();
            raw.execute_batch("BEGIN IMMEDIATE").unwrap();
            locked.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(ms));
            let letting_go = std::time::Instant::now();
            raw.execute_batch("COMMIT").unwrap();
            letting_go
        });
        is_locked.recv().unwrap();
        thread
    };
    let ticks = |n: &std::sync::Arc<std::sync::atomic::AtomicU32>| {
        let n = n.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        })
    };
    for write in ["a single write", "a transaction"] {
        let lock = held(400);
        let n = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let ticker = ticks(&n);
        let since = std::time::Instant::now();
        match write {
            "a single write" => {
                store.person("web", "kilitli", NOW).await.unwrap();
            }
            _ => {
                let person = store.person("web", "kilitli", NOW).await.unwrap();
                assert_eq!(
                    open(&store, person, "10000000146", "Ilgaz Işık").await,
                    OpenOutcome::Opened("EIMZA-2026-000001".parse().unwrap())
                );
            }
        }
        let (done, waited) = (std::time::Instant::now(), since.elapsed());
        ticker.abort();
        let letting_go = lock.join().unwrap();
        assert!(done > letting_go, "{write}: it waited for the lock");
        // About 40 ticks when the thread is free; none or one or two when a busy wait holds it.
        let ticked = n.load(std::sync::atomic::Ordering::SeqCst);
        assert!(ticked >= 5, "{write}: the thread kept running while the writer waited ({ticked} ticks in {waited:?})");
    }
}

/// The writer opens the file the pool opens; what it cannot open alike is refused at connect.
#[tokio::test]
async fn sqlite_urls_the_writer_cannot_open_are_refused_at_connect() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "sqlite::memory:".to_owned(),
        format!("sqlite:{}?mode=rwc&cache=shared", dir.path().join("m.db").display()),
        format!("sqlite:{}?mode=ro&mode=rwc", dir.path().join("m.db").display()),
    ] {
        let refused = Store::connect(&url, Vault::from_master_key(&[9; 32])).await;
        assert!(refused.as_ref().is_err_and(|e| e.to_string().contains("SQLite's writer cannot open")), "{url}: {:?}", refused.err());
    }
}

/// SQLite: a new ticket's id is chosen with its number, so its row rides with the COMMIT (one
/// round trip fewer while the turn to write is held). It is never an id used before, not even
/// when the newest tickets' rows are gone, and the ticket's history and its applicant's open
/// ticket are found by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_tickets_id_on_sqlite_is_never_one_used_before() {
    let (store, dir) = sqlite().await;
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let (a, b) = (store.person("web", "a", NOW).await.unwrap(), store.person("web", "b", NOW).await.unwrap());
    assert_eq!(open(&store, a, "10000000146", "Ilgaz Işık").await, OpenOutcome::Opened("EIMZA-2026-000001".parse().unwrap()));
    assert_eq!(ticket_id(&store, "EIMZA-2026-000001").await, 1);
    // As if tickets up to id 41 had been opened and their rows taken out since.
    let raw = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
    raw.execute("UPDATE sqlite_sequence SET seq = 41 WHERE name = 'tickets'", []).unwrap();
    drop(raw);
    assert_eq!(open(&store, b, "12345678950", "Ayşe Yılmaz").await, OpenOutcome::Opened("EIMZA-2026-000002".parse().unwrap()));
    for (number, id, person) in [("EIMZA-2026-000001", 1, a), ("EIMZA-2026-000002", 42, b)] {
        let (ticket, events) = store.ticket_detail(number).await.unwrap().unwrap();
        assert_eq!(ticket.id, id, "{number}");
        let moves: Vec<(&str, &str)> = events.iter().map(|e| (e.from_state.as_str(), e.to_state.as_str())).collect();
        assert_eq!(moves, vec![("collecting", "submitted")], "{number}: its history is under its id");
        assert_eq!(store.chat_state(person).await.unwrap().open_ticket.unwrap().number.to_string(), number);
    }
}

on_both!(concurrent_openings_never_share_a_number, |store| {
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let tckns = ["10000000146", "12345678950", "10000000078", "10000000214", "10000000382", "10000000450"];
    let mut tasks = Vec::new();
    for (i, tckn) in tckns.iter().enumerate() {
        let store = store.clone();
        let tckn = tckn.to_string();
        tasks.push(tokio::spawn(async move {
            let person = store.person("web", &format!("p{i}"), NOW).await.unwrap();
            open(&store, person, &tckn, "Ayşe Yılmaz").await
        }));
    }
    let mut numbers = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            OpenOutcome::Opened(n) => numbers.push(n.seq()),
            other => panic!("{other:?}"),
        }
    }
    numbers.sort();
    assert_eq!(numbers, vec![1, 2, 3, 4, 5, 6]);
});

on_both!(history_records_every_change_and_duplicates_are_no_ops, |store| {
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let p = store.person("web", "p", NOW).await.unwrap();
    open(&store, p, "10000000146", "Ilgaz Işık").await;
    let id = ticket_id(&store, "EIMZA-2026-000001").await;
    use eimza_tests::apply;
    assert!(matches!(apply(&store, id, TicketEvent::Confirm, ActorKind::Applicant, None, NOW + 1).await, Ok(Applied::Duplicate)));
    assert_eq!(
        apply(&store, id, TicketEvent::CorporateApplied, ActorKind::Staff, Some("ayse"), NOW + 2).await,
        Err(Refusal::TooEarly(TicketState::Submitted))
    );
    assert_eq!(apply(&store, id, TicketEvent::EOnayAttested, ActorKind::Applicant, None, NOW + 3).await, Err(Refusal::NotAllowed));
    assert!(apply(&store, id, TicketEvent::Cancel, ActorKind::Staff, Some("ayse"), NOW + 4).await.is_ok());
    assert!(matches!(apply(&store, id, TicketEvent::Cancel, ActorKind::Staff, Some("ayse"), NOW + 5).await, Ok(Applied::Duplicate)));
    let (ticket, events) = store.ticket_detail("eimza-2026-000001").await.unwrap().unwrap();
    assert_eq!(ticket.state, TicketState::Cancelled);
    let moves: Vec<(String, String, String, Option<String>)> =
        events.iter().map(|e| (e.actor_kind.clone(), e.from_state.clone(), e.to_state.clone(), e.actor_id.clone())).collect();
    assert_eq!(
        moves,
        vec![
            ("applicant".into(), "collecting".into(), "submitted".into(), Some(format!("person:{p}"))),
            ("staff".into(), "submitted".into(), "cancelled".into(), Some("ayse".into())),
        ]
    );
    let status = store.status_view(p).await.unwrap().unwrap();
    assert_eq!(status.state, TicketState::Cancelled);
    assert_eq!(status.history.len(), 2);
});

// `/durum` of several people at once (one statement for those asking side by side): each
// hears of their own last ticket and its moves only, and someone without a ticket of none.
on_both!(status_views_asked_side_by_side_are_each_their_own, |store| {
    use eimza_tests::{apply, valid_tckn};
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let mut people = Vec::new();
    for i in 0..4 {
        people.push(store.person("web", &format!("durum-{i}"), NOW).await.unwrap());
    }
    // 0: a ticket cancelled, then a new one (the new one is shown); 1: a ticket with no move
    // since; 2: a ticket staff cancelled; 3: none.
    open(&store, people[0], &valid_tckn(10), "Ayşe Yılmaz").await;
    let first = ticket_id(&store, "EIMZA-2026-000001").await;
    apply(&store, first, TicketEvent::Cancel, ActorKind::Applicant, None, NOW + 1).await.unwrap();
    open(&store, people[1], &valid_tckn(11), "İlker Işık").await;
    open(&store, people[2], &valid_tckn(12), "Zeynep Güneş").await;
    let third = ticket_id(&store, "EIMZA-2026-000003").await;
    apply(&store, third, TicketEvent::Cancel, ActorKind::Staff, Some("ayse"), NOW + 2).await.unwrap();
    open(&store, people[0], &valid_tckn(10), "Ayşe Yılmaz").await;
    for _ in 0..3 {
        let views = futures_util::future::join_all(people.iter().map(|p| store.status_view(*p))).await;
        let views: Vec<_> = views.into_iter().map(Result::unwrap).collect();
        let shown: Vec<Option<(String, TicketState, usize)>> =
            views.iter().map(|v| v.as_ref().map(|v| (v.number.to_string(), v.state, v.history.len()))).collect();
        assert_eq!(
            shown,
            vec![
                Some(("EIMZA-2026-000004".into(), TicketState::Submitted, 1)),
                Some(("EIMZA-2026-000002".into(), TicketState::Submitted, 1)),
                Some(("EIMZA-2026-000003".into(), TicketState::Cancelled, 2)),
                None,
            ]
        );
        assert_eq!(views[2].as_ref().unwrap().history[1].actor, ActorKind::Staff);
    }
});

on_both!(conversations_save_with_optimistic_concurrency, |store| {
    let p = store.person("web", "p", NOW).await.unwrap();
    let fresh = store.chat_state(p).await.unwrap();
    assert_eq!(fresh.version, 0);
    let conv = Conversation {
        step: Step::Ask(Field::Name),
        draft: Draft { tckn: Some(eimza_bot::core::domain::Tckn::parse("10000000146").unwrap()), ..Draft::default() },
        lang: Some(Lang::En),
        platform_lang: Some(Lang::Tr),
        recent_updates: vec!["7".into()],
    };
    let mut tx = store.begin().await.unwrap();
    assert!(tx.save_conversation(&save(p, 0, &conv, None, NOW)).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.save_conversation(&save(p, 0, &conv, None, NOW)).await.unwrap(), "a stale insert loses");
    assert!(!tx.save_conversation(&save(p, 7, &conv, None, NOW)).await.unwrap(), "a stale update loses");
    assert!(tx.save_conversation(&save(p, 1, &Conversation::default(), None, NOW)).await.unwrap());
    tx.commit().await.unwrap();
    let back = store.chat_state(p).await.unwrap();
    assert_eq!(back.version, 2);
    assert_eq!(back.conversation, Conversation::default());
    // the transaction-free save follows the same rule
    assert!(!store.save_conversation(&save(p, 1, &conv, None, NOW)).await.unwrap());
    assert!(store.save_conversation(&save(p, 2, &conv, None, NOW)).await.unwrap());
    let (found, state) = store.chat_state_of("web", "p").await.unwrap().unwrap();
    assert_eq!((found, state.version, state.conversation), (p, 3, conv));
    assert!(store.chat_state_of("web", "nobody").await.unwrap().is_none());
});

fn save<'a>(person_id: i64, version: i64, conversation: &'a Conversation, unsent: Option<&'a Unsent>, now: i64) -> ConversationSave<'a> {
    ConversationSave { person_id, version, conversation, unsent, now, from: None }
}

fn reply(text: &str) -> Rendered {
    Rendered {
        text: text.into(),
        buttons: vec![RenderedButton { id: "consent:yes".into(), label: "Onaylıyorum".into() }],
        pin_warning: None,
    }
}

on_both!(replies_owed_are_kept_with_the_conversation_until_delivered, |store| {
    let p = store.person("telegram", "4242", NOW).await.unwrap();
    let web = store.person("web", "w", NOW).await.unwrap();
    let conv = Conversation::default();
    // Turn 1 (version 1) owes one reply; turn 2 (version 2) is saved before it left.
    let first = Unsent::then(None, None, 1, &[reply("Merhaba İlgaz")]);
    assert!(store.save_conversation(&save(p, 0, &conv, first.as_ref(), NOW)).await.unwrap());
    let state = store.chat_state(p).await.unwrap();
    assert_eq!(state.unsent.as_ref().map(|u| store.open_unsent(u).unwrap()), first);
    let both = Unsent::then(first.as_ref(), None, 2, &[reply("Adınız?"), reply("Soyadınız?")]);
    assert_eq!(both.as_ref().unwrap().turns.iter().map(|t| (t.version, t.replies.len())).collect::<Vec<_>>(), [(1, 1), (2, 2)]);
    assert!(store.save_conversation(&save(p, 1, &conv, both.as_ref(), NOW + 1)).await.unwrap());
    // Nothing said in a turn adds nothing; nothing owed at all is no record.
    assert_eq!(Unsent::then(both.as_ref(), None, 3, &[]), both);
    assert_eq!(Unsent::then(None, None, 3, &[]), None);
    // Turns already delivered (version 1) are left out of what the next message saves.
    let after = Unsent::then(both.as_ref(), Some(1), 3, &[reply("Ünvanınız?")]).unwrap();
    assert_eq!(after.turns.iter().map(|t| t.version).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(after.clone().replies().map(|r| r.text).collect::<Vec<_>>(), ["Adınız?", "Soyadınız?", "Ünvanınız?"]);
    assert_eq!(Unsent::then(Some(&after), Some(3), 4, &[]), None);
    assert!(store.save_conversation(&save(web, 0, &conv, None, NOW)).await.unwrap());

    // After a restart: who is owed what, on which transport (the PII inside stays encrypted).
    let owed = store.owed_replies("telegram").await.unwrap();
    assert_eq!(owed.len(), 1);
    assert_eq!((owed[0].person_id, owed[0].user_id.as_str(), owed[0].version), (p, "4242", 2));
    assert_eq!(Some(owed[0].unsent.clone()), both);
    assert!(store.owed_replies("web").await.unwrap().is_empty());

    // Turn 1's confirmation comes after turn 2 was saved: it clears nothing (turn 2's covers both).
    assert_eq!(store.replies_delivered(&[(p, 1)]).await.unwrap(), 0);
    assert_eq!(store.chat_state(p).await.unwrap().unsent.map(|u| store.open_unsent(&u).unwrap()), both);
    assert_eq!(store.replies_delivered(&[(p, 2), (web, 1), (p, 1)]).await.unwrap(), 1);
    assert_eq!(store.replies_delivered(&[(p, 2)]).await.unwrap(), 0, "a second confirmation is a no-op");
    let state = store.chat_state(p).await.unwrap();
    assert_eq!((state.unsent, state.version), (None, 2), "confirming does not move the version");
    assert!(store.owed_replies("telegram").await.unwrap().is_empty());
    // Many at once (more than one statement's worth).
    let mut many = Vec::new();
    for i in 0..450 {
        let q = store.person("telegram", &format!("m{i}"), NOW).await.unwrap();
        assert!(store.save_conversation(&save(q, 0, &conv, first.as_ref(), NOW)).await.unwrap());
        many.push((q, 1));
    }
    assert_eq!(store.owed_replies("telegram").await.unwrap().len(), 450);
    assert_eq!(store.replies_delivered(&many).await.unwrap(), 450);
    assert!(store.owed_replies("telegram").await.unwrap().is_empty());

    // A chat that cannot be reached keeps only its latest turns.
    let mut unsent = None;
    for i in 0..50 {
        unsent = Unsent::then(unsent.as_ref(), None, i, &[reply(&format!("{i}"))]);
    }
    let turns = unsent.unwrap().turns;
    assert_eq!((turns.len(), turns[0].replies[0].text.as_str(), turns[19].version), (20, "30", 49));
});

// The state a turn saved is where the person's next message starts (SQLite keeps it, see
// `recent.rs`): whatever changes beside the conversation — the replies delivered, a ticket
// opened or moved, even while a turn was under way — is what the next message sees.
on_both!(the_next_message_sees_what_changed_beside_the_conversation, |store| {
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let p = store.person("telegram", "77", NOW).await.unwrap();
    fn kept<'a>(p: i64, state: &'a ChatState, conversation: &'a Conversation, unsent: Option<&'a Unsent>) -> ConversationSave<'a> {
        ConversationSave {
            from: Some(SavedFrom { transport: "telegram", user_id: "77", state }),
            ..save(p, state.version, conversation, unsent, NOW)
        }
    }
    let state_now = async || store.chat_state_of("telegram", "77").await.unwrap().unwrap().1;
    let conv = Conversation { lang: Some(Lang::En), ..Conversation::default() };
    let owed = Unsent::then(None, None, 1, &[reply("Merhaba")]);
    let first = state_now().await;
    assert!(store.save_turn(&kept(p, &first, &conv, owed.as_ref()), &[]).await.unwrap());
    let second = state_now().await;
    assert_eq!((second.version, &second.conversation), (1, &conv));
    assert_eq!(second.unsent.as_ref().map(|u| store.open_unsent(u).unwrap()), owed);
    // Delivered: the next message owes nothing.
    store.replies_delivered(&[(p, 1)]).await.unwrap();
    assert_eq!(state_now().await.unsent, None);
    // A ticket opened beside the conversation is the next message's open ticket.
    assert!(store.save_turn(&kept(p, &state_now().await, &conv, None), &[]).await.unwrap());
    open(&store, p, "10000000146", "Ilgaz Işık").await;
    let opened = state_now().await;
    assert_eq!(opened.open_ticket.map(|t| (t.number.to_string(), t.state)), Some(("EIMZA-2026-000001".into(), TicketState::Submitted)));
    // A turn read the open ticket; the desk cancels it before the turn's save: the save goes
    // through (the conversation did not change), and the next message still sees the cancel.
    assert!(store.save_turn(&kept(p, &opened, &conv, None), &[]).await.unwrap());
    let during = state_now().await;
    let id = ticket_id(&store, "EIMZA-2026-000001").await;
    assert!(eimza_tests::apply(&store, id, TicketEvent::Cancel, ActorKind::Staff, Some("ayse"), NOW + 1).await.is_ok());
    assert!(store.save_turn(&kept(p, &during, &conv, None), &[]).await.unwrap());
    let after = state_now().await;
    assert_eq!((after.version, after.open_ticket), (4, None));
    // A save refused (another saved meanwhile) leaves the stored state for the next message.
    let stale = after.clone();
    assert!(store.save_conversation(&save(p, 4, &Conversation::default(), None, NOW)).await.unwrap());
    assert!(!store.save_turn(&kept(p, &stale, &conv, None), &[]).await.unwrap());
    let last = state_now().await;
    assert_eq!((last.version, last.conversation), (5, Conversation::default()));
});

// A turn with actions (one transaction) leaves the state it saved for the next message too (SQLite
// keeps it, see `recent.rs` `Changes`): with the ticket it opened; but whatever it changed that it
// does not carry (a ticket moved), and anything of a transaction not committed, is read again.
on_both!(the_next_message_starts_where_a_turn_with_actions_left_it, |store| {
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let p = store.person("telegram", "78", NOW).await.unwrap();
    let state_now = async || store.chat_state_of("telegram", "78").await.unwrap().unwrap().1;
    let conv = |n: u32| Conversation { recent_updates: vec![n.to_string()], ..Conversation::default() };
    // Saves `conversation` from `state` in a transaction that first runs `act`.
    async fn turn(store: &Store, p: i64, state: &ChatState, conversation: &Conversation, act: Act) -> Result<(), StoreError> {
        let mut tx = store.begin().await?;
        tx.expect_version(p, state.version)?;
        match act {
            Act::Open => {
                assert!(matches!(tx.open_ticket(p, &draft("10000000146", "Ilgaz Işık"), Lang::Tr, NOW).await?, OpenOutcome::Opened(_)))
            }
            Act::CancelOwn(number) => assert!(tx.cancel_own_ticket(p, number.parse().unwrap(), NOW + 1).await?.is_ok()),
            Act::Nothing => {}
        }
        let owed = Unsent::then(None, None, state.version + 1, &[reply("Başvurunuz alındı")]);
        let from = Some(SavedFrom { transport: "telegram", user_id: "78", state });
        let save = ConversationSave { from, ..save(p, state.version, conversation, owed.as_ref(), NOW) };
        // PostgreSQL: the save itself finds the conflict (SQLite: the guard, at the commit).
        if !tx.save_conversation(&save).await? {
            return Err(StoreError::Changed);
        }
        tx.commit().await
    }
    enum Act {
        Open,
        CancelOwn(&'static str),
        Nothing,
    }
    turn(&store, p, &state_now().await, &conv(1), Act::Open).await.unwrap();
    let opened = state_now().await;
    assert_eq!((opened.version, &opened.conversation), (1, &conv(1)));
    assert_eq!(opened.open_ticket.map(|t| (t.number.to_string(), t.state)), Some(("EIMZA-2026-000001".into(), TicketState::Submitted)));
    assert_eq!(opened.unsent.as_ref().map(|u| store.open_unsent(u).unwrap().turns[0].version), Some(1));
    // The same read through the database, to compare with.
    let read = store.chat_state(p).await.unwrap();
    assert_eq!((read.version, read.open_ticket, read.conversation), (opened.version, opened.open_ticket, opened.conversation.clone()));
    // A transaction that moves the ticket beside its save: the next message sees the move.
    turn(&store, p, &opened, &conv(2), Act::CancelOwn("EIMZA-2026-000001")).await.unwrap();
    let cancelled = state_now().await;
    assert_eq!((cancelled.version, cancelled.open_ticket, &cancelled.conversation), (2, None, &conv(2)));
    // One refused by its guard (saved meanwhile): the stored state, not what it would have left.
    assert!(store.save_conversation(&save(p, 2, &conv(3), None, NOW)).await.unwrap());
    assert!(matches!(turn(&store, p, &cancelled, &conv(9), Act::Nothing).await, Err(StoreError::Changed)));
    let last = state_now().await;
    assert_eq!((last.version, &last.conversation), (3, &conv(3)));
    // One dropped before its commit: nothing of it, the next message starts from the store.
    let mut tx = store.begin().await.unwrap();
    tx.expect_version(p, 3).unwrap();
    let from = Some(SavedFrom { transport: "telegram", user_id: "78", state: &last });
    assert!(tx.save_conversation(&ConversationSave { from, ..save(p, 3, &conv(8), None, NOW) }).await.unwrap());
    drop(tx);
    assert_eq!(state_now().await.conversation, conv(3));
});

on_both!(processed_updates_are_remembered, |store| {
    let mut tx = store.begin().await.unwrap();
    assert!(tx.mark_update("telegram", "42", NOW).await.unwrap());
    assert!(!tx.mark_update("telegram", "42", NOW).await.unwrap());
    assert!(tx.mark_update("discord", "42", NOW).await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.mark_update("telegram", "42", NOW).await.unwrap(), "remembered across transactions");
    tx.commit().await.unwrap();
    assert_eq!(store.forget_updates_before(NOW + 1).await.unwrap(), 2);
});

on_both!(deleting_and_purging_personal_data_keeps_the_history, |store| {
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let a = store.person("web", "a", NOW).await.unwrap();
    let b = store.person("web", "b", NOW).await.unwrap();
    open(&store, a, "10000000146", "Ilgaz Işık").await;
    open(&store, b, "12345678950", "Ayşe Yılmaz").await;
    // /sil for a: open ticket cancelled, data erased at once
    let mut tx = store.begin().await.unwrap();
    tx.delete_personal_data(a, NOW + 10).await.unwrap();
    tx.commit().await.unwrap();
    let (t, events) = store.ticket_detail("EIMZA-2026-000001").await.unwrap().unwrap();
    assert_eq!(t.state, TicketState::Cancelled);
    assert_eq!((t.name, t.tckn_masked, t.email, t.title), (None, None, None, None));
    assert_eq!(events.last().unwrap().note.as_deref(), Some("history-personal-data-deleted"));
    assert_eq!(events.len(), 3, "confirm, cancel, erase");
    // retention: b's ticket is purged only once closed and old enough
    assert_eq!(store.purge_closed(NOW + 100, NOW + 100).await.unwrap(), 0);
    let mut tx = store.begin().await.unwrap();
    tx.cancel_own_ticket(b, "EIMZA-2026-000002".parse().unwrap(), NOW + 20).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.purge_closed(NOW + 20, NOW + 100).await.unwrap(), 0, "closed at the cut-off: kept");
    const DAY: i64 = 24 * 60 * 60 * 1000;
    assert_eq!(eimza_bot::jobs::purge_once(&store, 90, NOW + 20 + 90 * DAY).await.unwrap(), 0, "90 days: kept");
    assert_eq!(eimza_bot::jobs::purge_once(&store, 90, NOW + 21 + 90 * DAY).await.unwrap(), 1);
    let (t, events) = store.ticket_detail("EIMZA-2026-000002").await.unwrap().unwrap();
    assert_eq!(t.name, None);
    assert_eq!(events.last().unwrap().note.as_deref(), Some("history-personal-data-purged"));
    assert_eq!(store.purge_closed(NOW + 1000, NOW + 1000).await.unwrap(), 0, "purged once");
});

on_both!(staff_search_by_number_tckn_and_turkish_name, |store| {
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let a = store.person("web", "a", NOW).await.unwrap();
    let b = store.person("web", "b", NOW).await.unwrap();
    open(&store, a, "10000000146", "Ilgaz Işık").await;
    open(&store, b, "12345678950", "İpek Çiçek").await;
    let search = |s: &str| TicketFilter { search: Some(s.into()), limit: 50, ..TicketFilter::default() };
    let all = store.list_tickets(&TicketFilter { limit: 50, ..TicketFilter::default() }).await.unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].tckn_masked.as_deref(), Some("123******50"));
    let names = |rows: Vec<eimza_bot::store::TicketRow>| rows.into_iter().map(|r| r.number).collect::<Vec<_>>();
    assert_eq!(names(store.list_tickets(&search("ILGAZ")).await.unwrap()), ["EIMZA-2026-000001"]);
    assert_eq!(names(store.list_tickets(&search("ipek")).await.unwrap()), ["EIMZA-2026-000002"]);
    assert_eq!(names(store.list_tickets(&search("İPEK ÇİÇEK")).await.unwrap()), ["EIMZA-2026-000002"]);
    assert!(store.list_tickets(&search("ilgaz işik")).await.unwrap().is_empty(), "I/ı and İ/i are different letters");
    assert_eq!(names(store.list_tickets(&search("123 456 789 50")).await.unwrap()), ["EIMZA-2026-000002"]);
    assert_eq!(names(store.list_tickets(&search("eimza-2026-000001")).await.unwrap()), ["EIMZA-2026-000001"]);
    assert_eq!(names(store.list_tickets(&search("%")).await.unwrap()).len(), 2, "wildcards are not special");
    let submitted = TicketFilter { state: Some(TicketState::Cancelled), limit: 50, ..TicketFilter::default() };
    assert!(store.list_tickets(&submitted).await.unwrap().is_empty());
});

on_both!(web_sessions_check_their_token_and_keep_an_encrypted_transcript, |store| {
    let (session, token) = store.create_web_session(NOW).await.unwrap();
    assert!(matches!(store.web_session(&session.id, &token).await.unwrap(), Some(Ok(_))));
    assert!(matches!(store.web_session(&session.id, "wrong").await.unwrap(), Some(Err(()))));
    assert!(store.web_session("unknown", &token).await.unwrap().is_none());
    let entry = eimza_bot::store::TranscriptEntry { at: NOW, direction: "in".into(), text: "10000000146".into(), buttons: vec![] };
    let mut tx = store.begin().await.unwrap();
    tx.append_transcript(session.person_id, std::slice::from_ref(&entry)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.transcript(session.person_id).await.unwrap(), vec![entry]);
    // Found again and again (SQLite keeps it): still the same answers.
    for _ in 0..2 {
        assert!(matches!(store.web_session(&session.id, &token).await.unwrap(), Some(Ok(s)) if s.person_id == session.person_id));
        assert!(matches!(store.web_session(&session.id, "wrong").await.unwrap(), Some(Err(()))));
    }
    // A session that idle expiry deleted is gone at once, kept or not.
    let (idle, idle_token) = store.create_web_session(NOW).await.unwrap();
    assert!(matches!(store.web_session(&idle.id, &idle_token).await.unwrap(), Some(Ok(_))));
    assert!(store.expire_idle(NOW + 1).await.unwrap() >= 1);
    assert!(store.web_session(&idle.id, &idle_token).await.unwrap().is_none());
});

#[tokio::test]
async fn a_wrong_key_cannot_read_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("t.db").display());
    let store = Store::connect(&url, Vault::from_master_key(&[1; 32])).await.unwrap();
    let p = store.person("web", "p", NOW).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.save_conversation(&save(p, 0, &Conversation::default(), None, NOW)).await.unwrap();
    tx.commit().await.unwrap();
    store.close().await;
    let other = Store::connect(&url, Vault::from_master_key(&[2; 32])).await.unwrap();
    assert!(other.chat_state(p).await.is_err());
}

#[tokio::test]
async fn unsupported_urls_are_refused() {
    assert!(Store::connect("mysql://x", Vault::from_master_key(&[1; 32])).await.is_err());
}

on_both!(a_lanes_messages_are_claimed_in_order_across_retries, |store| {
    use eimza_bot::core::outbound::{Channel, HelpdeskChange, Mail, Outbound};
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let p = store.person("web", "p", NOW).await.unwrap();
    open(&store, p, "10000000146", "Ilgaz Işık").await;
    let id = ticket_id(&store, "EIMZA-2026-000001").await;
    let change = |event: &str| HelpdeskChange {
        ticket_id: id,
        event: event.into(),
        from: "a".into(),
        to: "b".into(),
        actor: "staff".into(),
        at: NOW,
    };
    let code = Outbound::Email(Mail::EmailCode { to: "x@kurum.gov.tr".into(), code: "E-7K4Q2".into(), lang: Lang::Tr });
    let pending =
        |depths: &[eimza_bot::store::OutboxDepth], channel: &str| depths.iter().find(|d| d.channel == channel).map_or(0, |d| d.pending);
    let before = store.outbox_depths().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    for (key, message) in [("first", Outbound::Webhook(change("one"))), ("second", Outbound::Webhook(change("two"))), ("other", code)] {
        tx.enqueue(key, &message, NOW).await.unwrap();
        tx.enqueue(key, &message, NOW).await.unwrap(); // the same key again: dropped
    }
    tx.commit().await.unwrap();
    let after = store.outbox_depths().await.unwrap();
    let added = |channel| pending(&after, channel) - pending(&before, channel);
    assert_eq!((added("webhook"), added("email")), (2, 1), "a second enqueue with the same key is dropped: {after:?}");
    let keys = |c: Vec<eimza_bot::store::Claimed>| c.into_iter().map(|m| m.key).collect::<Vec<_>>();
    let first = store.claim_due(Channel::Webhook, NOW, 60_000, 10).await.unwrap();
    assert_eq!(keys(first.clone()), ["first"], "the second waits for the first");
    assert_eq!(first[0].message, Ok(Outbound::Webhook(change("one"))), "the message reads back typed");
    assert!(store.claim_due(Channel::Webhook, NOW, 60_000, 10).await.unwrap().is_empty(), "claimed rows are leased");
    store.mark_retry(first[0].id, NOW + 1000, "503").await.unwrap();
    assert!(store.claim_due(Channel::Webhook, NOW + 10, 60_000, 10).await.unwrap().is_empty(), "still waiting for the retry");
    let again = store.claim_due(Channel::Webhook, NOW + 1000, 60_000, 10).await.unwrap();
    assert_eq!(keys(again.clone()), ["first"]);
    assert_eq!(again[0].attempts, 2);
    store.mark_sent(again[0].id, NOW + 1001, None).await.unwrap();
    assert_eq!(keys(store.claim_due(Channel::Webhook, NOW + 1002, 60_000, 10).await.unwrap()), ["second"]);
    let mails = keys(store.claim_due(Channel::Email, NOW + 1002, 60_000, 10).await.unwrap());
    assert!(
        mails.contains(&"other".to_owned()) && !mails.iter().any(|k| k == "first" || k == "second"),
        "channels are separate: {mails:?}"
    );
    // A restart of the only process on a SQLite file: the claims it held (the mails, the
    // second webhook) are due again at once, not when their lease lapses; sent ones stay sent.
    assert_eq!(store.release_claims(Channel::Email).await.unwrap() as usize, mails.len());
    assert_eq!(store.release_claims(Channel::Webhook).await.unwrap(), 1);
    assert_eq!(keys(store.claim_due(Channel::Email, NOW + 1003, 60_000, 10).await.unwrap()), mails);
    assert_eq!(keys(store.claim_due(Channel::Webhook, NOW + 1003, 60_000, 10).await.unwrap()), ["second"]);
});

on_both!(a_channels_worker_is_woken_by_its_own_messages_only, |store| {
    use eimza_bot::core::outbound::{Channel, Mail, Outbound};
    let woken = |changes: &mut eimza_bot::store::OutboxChanges| futures_util::FutureExt::now_or_never(changes.changed()).is_some();
    let (mut email, mut chat, mut webhook) =
        (store.outbox_changes(Channel::Email), store.outbox_changes(Channel::PersonChat), store.outbox_changes(Channel::Webhook));
    assert!(!woken(&mut email) && !woken(&mut chat), "nothing queued yet");
    let code = |n: usize| Outbound::Email(Mail::EmailCode { to: format!("uyan{n}@kurum.gov.tr"), code: "E-7K4Q2".into(), lang: Lang::Tr });
    let mut tx = store.begin().await.unwrap();
    tx.enqueue("uyan-1", &code(1), NOW).await.unwrap();
    assert!(!woken(&mut email), "not before the commit");
    tx.commit().await.unwrap();
    assert!(woken(&mut email), "the e-mail worker starts at once");
    assert!(!woken(&mut chat) && !woken(&mut webhook), "the other channels' workers are not woken for an e-mail");
    assert!(woken(&mut email), "until it looks at the outbox, it is still due to");
    email.mark_seen();
    assert!(!woken(&mut email), "seen");
    // A transaction that queues nothing rings nobody; one that queues many (a day's reminders)
    // rings their channels once.
    store.begin().await.unwrap().commit().await.unwrap();
    assert!(!woken(&mut email));
    let mut tx = store.begin().await.unwrap();
    tx.enqueue_many(&[("uyan-2".into(), code(2)), ("uyan-3".into(), code(3))], NOW).await.unwrap();
    tx.commit().await.unwrap();
    assert!(woken(&mut email) && !woken(&mut chat));
    // A rung missed while the worker was busy is heard once it waits again.
    email.mark_seen();
    let mut tx = store.begin().await.unwrap();
    tx.enqueue("uyan-4", &code(4), NOW).await.unwrap();
    tx.commit().await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), email.changed()).await.expect("woken");
});

on_both!(deliveries_settled_at_once_each_end_as_told, |store| {
    use eimza_bot::core::outbound::{Channel, Mail, Outbound};
    let mail = |n: usize| Outbound::Email(Mail::EmailCode { to: format!("kisi{n}@kurum.gov.tr"), code: "E-7K4Q2".into(), lang: Lang::Tr });
    let mut tx = store.begin().await.unwrap();
    for n in 0..12 {
        tx.enqueue(format!("toplu-{n}"), &mail(n), NOW).await.unwrap();
    }
    tx.commit().await.unwrap();
    let claimed: Vec<_> =
        store.claim_due(Channel::Email, NOW, 60_000, 50).await.unwrap().into_iter().filter(|m| m.key.starts_with("toplu-")).collect();
    assert_eq!(claimed.len(), 12);
    // All at once, as a worker's lanes settle: four sent (two with a note), four due again
    // later, four failed for good; and one of a message no longer stored.
    let settles = claimed.iter().enumerate().map(|(i, m)| {
        let store = store.clone();
        let id = m.id;
        tokio::spawn(async move {
            match i / 4 {
                0 => store.mark_sent(id, NOW + 1, (i % 2 == 0).then_some("gönderilecek bir şey yok")).await,
                1 => store.mark_retry(id, NOW + 5_000, "503 sonra deneyin").await,
                _ => store.mark_failed(id, NOW + 1, "550 böyle bir kutu yok").await,
            }
        })
    });
    for settled in futures_util::future::join_all(settles).await {
        settled.unwrap().unwrap();
    }
    store.mark_sent(i64::MAX, NOW, None).await.expect("a message erased meanwhile is settled as nothing");
    let failed: Vec<_> = store.failed_messages(100).await.unwrap().into_iter().filter(|f| f.error == "550 böyle bir kutu yok").collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert!(failed.iter().all(|f| f.failed_at == NOW + 1 && f.kind == "email-code"), "{failed:?}");
    let due = |at| {
        let store = store.clone();
        async move {
            store
                .claim_due(Channel::Email, at, 60_000, 50)
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.key.starts_with("toplu-"))
                .collect::<Vec<_>>()
        }
    };
    assert!(due(NOW + 10).await.is_empty(), "none due before the retry's time: the sent and failed ones never");
    let again = due(NOW + 5_000).await;
    let keys: Vec<&str> = again.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["toplu-4", "toplu-5", "toplu-6", "toplu-7"]);
    for (n, m) in (4..8).zip(&again) {
        assert_eq!((m.attempts, &m.message), (2, &Ok(mail(n))), "a retried message keeps its payload");
    }
});

on_both!(people_first_seen_at_once_each_get_their_own_id, |store| {
    let known = store.person("telegram", "eski", NOW).await.unwrap();
    // Side by side, as first messages come in: new people, one of them twice, and one known.
    let users: Vec<String> = (0..20).map(|n| format!("yeni-{}", n % 17)).chain(["eski".to_owned()]).collect();
    let asks = users.iter().map(|user| {
        let (store, user) = (store.clone(), user.clone());
        tokio::spawn(async move { store.person("telegram", &user, NOW + 1).await })
    });
    let ids: Vec<i64> = futures_util::future::join_all(asks).await.into_iter().map(|id| id.unwrap().unwrap()).collect();
    let mut by_user = std::collections::HashMap::new();
    for (user, id) in users.iter().zip(&ids) {
        assert_eq!(*by_user.entry(user.clone()).or_insert(*id), *id, "{user} has one id");
    }
    assert_eq!(by_user["eski"], known, "a known person keeps theirs");
    let distinct: std::collections::HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), 18, "17 new people and the known one");
    for (user, id) in &by_user {
        assert_eq!(store.person("telegram", user, NOW + 2).await.unwrap(), *id, "{user} found again");
    }
    assert_ne!(store.person("discord", "eski", NOW).await.unwrap(), known, "another transport is another person");
});

// ---------------------------------------------------------------------------------------------
// pairing and the agent queue

const TEN_MINUTES: i64 = 10 * 60 * 1000;

async fn issue(store: &Store, person: i64, code: &str, now: i64) {
    let mut tx = store.begin().await.unwrap();
    tx.issue_pairing_code(person, &PairingCode::parse(code).unwrap(), now, TEN_MINUTES).await.unwrap();
    tx.commit().await.unwrap();
}

async fn claim(store: &Store, code: &str, source: &str, now: i64) -> eimza_bot::store::Claim {
    // A code the agent could not even parse never reaches the store: those are refused before.
    let code = PairingCode::parse(code).unwrap();
    let request_id = RequestId::parse(&format!("p-{}-{now}", code.as_str())).unwrap();
    let claim = PairingClaim {
        code: &code,
        source,
        pc_name: "EIMZA-PC-12",
        pc_os: "Windows 11",
        request_id: &request_id,
        poll_secret: "poll-secret",
        now,
    };
    store.claim_pairing_code(&claim).await.unwrap()
}

async fn decide(
    store: &Store,
    person: i64,
    request: &RequestId,
    approve: bool,
    agent: &str,
    token: &str,
    now: i64,
) -> eimza_bot::store::Decided {
    let agent_id = AgentId::parse(agent).unwrap();
    let row = PairingDecisionRow { person_id: person, request_id: request, approve, agent_id: &agent_id, token, now, ttl_ms: TEN_MINUTES };
    let mut tx = store.begin().await.unwrap();
    let decided = tx.decide_pairing(&row).await.unwrap();
    tx.commit().await.unwrap();
    decided
}

on_both!(pairing_codes_are_single_use_expire_and_are_rate_limited, |store| {
    use eimza_bot::store::{Claim, PairingStatus};
    let person = store.person("web", "pairing", NOW).await.unwrap();
    issue(&store, person, "KQFMDXZT", NOW).await;
    issue(&store, person, "BCDFGHJK", NOW).await;
    // Expired after ten minutes.
    assert_eq!(claim(&store, "BCDFGHJK", "10.0.0.9", NOW + TEN_MINUTES + 1).await, Claim::Expired);
    // Valid once, then used.
    let request = match claim(&store, "KQFMDXZT", "10.0.0.1", NOW + 1000).await {
        Claim::Claimed { request_id, person_id } => {
            assert_eq!(person_id, person);
            request_id
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(claim(&store, "KQFMDXZT", "10.0.0.2", NOW + 2000).await, Claim::Used);
    assert_eq!(store.pairing_status(request.as_str(), "poll-secret", NOW + 3000, TEN_MINUTES).await.unwrap(), PairingStatus::Pending);
    assert_eq!(store.pairing_status(request.as_str(), "wrong-secret", NOW + 3000, TEN_MINUTES).await.unwrap(), PairingStatus::NotFound);
    // The person is asked in chat through the outbox, in the claim's own transaction.
    let asked = store.peek_outbox(eimza_bot::core::outbound::Channel::PersonChat, 0, 10).await.unwrap();
    assert!(
        matches!(&asked[..], [one] if matches!(&one.message, Ok(eimza_bot::core::outbound::Outbound::PersonChat { person_id, .. }) if *person_id == person)),
        "{asked:?}"
    );

    // Wrong codes: five per source address in ten minutes, then refused without a look-up.
    for i in 0..5 {
        assert_eq!(claim(&store, "ZZZZZZZZ", "10.0.0.3", NOW + i).await, Claim::Unknown);
    }
    match claim(&store, "ZZZZZZZZ", "10.0.0.3", NOW + 10).await {
        Claim::TooManyTries { retry_after_ms } => {
            assert!(retry_after_ms > 9 * 60 * 1000 && retry_after_ms <= TEN_MINUTES, "{retry_after_ms}")
        }
        other => panic!("{other:?}"),
    }
    // Another address is not affected; the first one may try again after the window.
    assert_eq!(claim(&store, "ZZZZZZZZ", "10.0.0.4", NOW + 10).await, Claim::Unknown);
    assert_eq!(claim(&store, "ZZZZZZZZ", "10.0.0.3", NOW + TEN_MINUTES + 1).await, Claim::Unknown);

    // Approval: the agent row holds only the token's hash; the token is handed out once.
    let decided = decide(&store, person, &request, true, "a-test", "the-long-random-token", NOW + 4000).await;
    assert!(matches!(decided, eimza_bot::store::Decided::Approved { ref pc_name, .. } if pc_name == "EIMZA-PC-12"), "{decided:?}");
    assert_eq!(
        store.pairing_status(request.as_str(), "poll-secret", NOW + 5000, TEN_MINUTES).await.unwrap(),
        PairingStatus::Approved { agent_id: AgentId::parse("a-test").unwrap(), token: "the-long-random-token".into() }
    );
    assert_eq!(store.pairing_status(request.as_str(), "poll-secret", NOW + 6000, TEN_MINUTES).await.unwrap(), PairingStatus::Fetched);
    let agent = store.agent_by_token("the-long-random-token").await.unwrap().unwrap();
    assert_eq!((agent.id.as_str(), agent.person_id, agent.revoked), ("a-test", person, false));
    assert!(store.agent_by_token("another-token").await.unwrap().is_none());
    // Deciding again is stale.
    assert_eq!(decide(&store, person, &request, false, "a-x", "t", NOW + 7000).await, eimza_bot::store::Decided::Stale);
});

on_both!(agent_work_is_acknowledged_once_and_reports_stored_once, |store| {
    use eimza_protocol::wire::{Id, WorkBody};
    let id = |s: &str| Id::new(s).unwrap();
    let person = store.person("web", "agent-work", NOW).await.unwrap();
    issue(&store, person, "MNPQRSTV", NOW).await;
    let eimza_bot::store::Claim::Claimed { request_id, .. } = claim(&store, "MNPQRSTV", "10.1.0.1", NOW).await else { panic!() };
    decide(&store, person, &request_id, true, "a-work", "token-work", NOW).await;
    let agent_id = AgentId::parse("a-work").unwrap();
    let work = |n: u32| WorkBody::CardStep { ticket_no: eimza_protocol::TicketNo::new(2026, n), nonce: id("n"), tckn: None };
    let mut tx = store.begin().await.unwrap();
    tx.queue_work(&id("w-1"), &agent_id, None, &work(1), NOW).await.unwrap();
    tx.queue_work(&id("w-2"), &agent_id, None, &work(2), NOW).await.unwrap();
    tx.commit().await.unwrap();
    let (agents, seq) = store.work_since(0).await.unwrap();
    assert_eq!(agents, vec![agent_id.clone()]);
    assert_eq!(store.work_since(seq).await.unwrap().0, Vec::<AgentId>::new());
    let pending: Vec<Id> = store.pending_work(&agent_id).await.unwrap().into_iter().map(|(id, _)| id).collect();
    assert_eq!(pending, [id("w-1"), id("w-2")], "in order");
    let agent = store.agent_by_token("token-work").await.unwrap().unwrap();
    let stranger = eimza_bot::store::AgentRow { id: AgentId::parse("a-someone-else").unwrap(), ..agent.clone() };
    let ack = |agent: eimza_bot::store::AgentRow, work: &'static str| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let first = tx.ack_work(&agent, &Id::new(work).unwrap(), NOW).await.unwrap();
            tx.commit().await.unwrap();
            first
        }
    };
    assert!(ack(agent.clone(), "w-1").await);
    assert!(!ack(agent.clone(), "w-1").await, "a repeated ack has no second effect");
    assert!(!ack(stranger.clone(), "w-2").await, "only the agent the work is for");
    assert_eq!(store.pending_work(&agent_id).await.unwrap().len(), 1);
    let report = |agent: AgentId, report: &'static str, work: &'static str| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let stored = tx.store_report(&agent, &Id::new(report).unwrap(), &Id::new(work).unwrap(), "{}", NOW).await.unwrap();
            tx.commit().await.unwrap();
            stored.is_some()
        }
    };
    assert!(report(agent_id.clone(), "r-1", "w-1").await);
    assert!(!report(agent_id.clone(), "r-1", "w-1").await, "a replayed report");
    assert!(!report(stranger.id.clone(), "r-2", "w-2").await, "a report on another agent's work is dropped");
    assert_eq!(store.report_count(&agent_id).await.unwrap(), 1);
    // Revocation: by the person only for their own; idle ones by the job.
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.revoke_agent(&agent_id, Some(person + 1), &eimza_bot::store::Actor::applicant(person + 1), NOW).await.unwrap());
    assert!(tx.revoke_agent(&agent_id, Some(person), &eimza_bot::store::Actor::applicant(person), NOW).await.unwrap());
    tx.commit().await.unwrap();
    assert!(store.agent_by_token("token-work").await.unwrap().unwrap().revoked);
    assert_eq!(store.revoked_since(NOW).await.unwrap(), vec![agent_id.clone()]);
    assert!(store.revoke_idle_agents(NOW + 1, NOW + 1).await.unwrap().is_empty(), "already revoked");
});

on_both!(web_form_links_are_single_use_and_expire, |store| {
    use eimza_bot::store::FormLinkRefusal;
    let p = store.person("telegram", "form-links", NOW).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.issue_form_link(p, "token-a", NOW, 30 * 60_000).await.unwrap();
    tx.issue_form_link(p, "token-b", NOW - 31 * 60_000, 30 * 60_000).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.form_link("token-a", NOW + 1).await.unwrap(), Ok(p));
    assert_eq!(store.form_link("token-a", NOW + 1).await.unwrap(), Ok(p), "looking does not use it");
    assert_eq!(store.form_link("token-b", NOW).await.unwrap(), Err(FormLinkRefusal::Expired));
    assert_eq!(store.form_link("nope", NOW).await.unwrap(), Err(FormLinkRefusal::Unknown));
    // Two submissions at once: exactly one gets the person.
    let (a, b) = tokio::join!(store.use_form_link("token-a", NOW + 2), store.use_form_link("token-a", NOW + 2));
    let outcomes = [a.unwrap(), b.unwrap()];
    assert_eq!(outcomes.iter().filter(|o| **o == Ok(p)).count(), 1, "{outcomes:?}");
    assert!(outcomes.contains(&Err(FormLinkRefusal::Used)));
    assert_eq!(store.use_form_link("token-b", NOW).await.unwrap(), Err(FormLinkRefusal::Expired));
    // /sil takes the links with the rest.
    let mut tx = store.begin().await.unwrap();
    tx.issue_form_link(p, "token-c", NOW, 30 * 60_000).await.unwrap();
    tx.delete_personal_data(p, NOW).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.form_link("token-c", NOW).await.unwrap(), Err(FormLinkRefusal::Unknown));
});

on_both!(staff_posts_lead_back_to_their_ticket, |store| {
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let p = store.person("telegram", "staff-posts", NOW).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let OpenOutcome::Opened(number) = tx.open_ticket(p, &draft("10000000146", "Ilgaz Işık"), Lang::Tr, NOW).await.unwrap() else {
        panic!("not opened")
    };
    tx.commit().await.unwrap();
    let ticket = store.begin().await.unwrap().open_ticket_id(p).await.unwrap().expect("open");
    assert_eq!(store.ticket_person(ticket).await.unwrap(), Some(p));
    store.record_staff_post("telegram", "-100", "41", ticket, NOW).await.unwrap();
    store.record_staff_post("telegram", "-100", "41", ticket, NOW).await.unwrap(); // a retried post
    store.record_staff_post("telegram", "-100", "57", ticket, NOW + 5).await.unwrap();
    assert_eq!(store.staff_post_ticket("telegram", "-100", "41").await.unwrap(), Some(ticket));
    assert_eq!(store.staff_post_ticket("discord", "-100", "41").await.unwrap(), None, "per platform");
    assert_eq!(store.staff_post_of("telegram", ticket).await.unwrap(), Some(("-100".into(), "57".into())), "the latest");
    // A staff answer is a history row that does not move the ticket and keeps no text.
    let mut tx = store.begin().await.unwrap();
    let actor = eimza_bot::store::Actor::staff("telegram:7 (Ayşe Kaya)");
    tx.note_on_ticket(&eimza_bot::store::TicketNote {
        ticket_id: ticket,
        actor: &actor,
        event: "staff-answer",
        note: None,
        detail: None,
        at: NOW + 9,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let (row, events) = store.ticket_detail(&number.to_string()).await.unwrap().unwrap();
    assert_eq!(row.state, TicketState::Submitted);
    let last = events.last().unwrap();
    assert_eq!(
        (last.event.as_str(), last.actor_id.as_deref(), last.note.as_deref()),
        ("staff-answer", Some("telegram:7 (Ayşe Kaya)"), None)
    );
    assert_eq!(last.from_state, last.to_state);
});

/// Moves ticket `id` from Submitted to FormEmailSent at `at`, the way the road goes.
async fn to_form_email_sent(store: &Store, id: i64, at: i64) {
    use eimza_tests::apply;
    let steps = [
        (TicketEvent::AgentPaired, ActorKind::Applicant, None),
        (TicketEvent::CardStepRequested, ActorKind::System, None),
        (TicketEvent::EOnayAttested, ActorKind::Agent, Some("a-test")),
        (TicketEvent::CorporateApplied, ActorKind::Staff, Some("ayse")),
        (TicketEvent::FormEmailSent, ActorKind::Staff, Some("ayse")),
    ];
    for (event, kind, who) in steps {
        assert!(apply(store, id, event, kind, who, at).await.is_ok(), "{event:?}");
    }
}

on_both!(the_renewal_form_is_reminded_every_two_working_days_at_most_five_times, |store| {
    use eimza_bot::config::ApprovalConfig;
    use eimza_bot::core::workdays::Calendar;
    use eimza_bot::jobs::approvals_once;
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let p = store.person("web", "p", NOW).await.unwrap();
    open(&store, p, "10000000146", "Ilgaz Işık").await;
    let id = ticket_id(&store, "EIMZA-2026-000001").await;
    // Wednesday 25 November 2026, 14:05: the renewal-form e-mail went out.
    to_form_email_sent(&store, id, NOW).await;
    let approval = ApprovalConfig { every_working_days: 2, max_reminders: 5 };
    let calendar = Calendar::default();
    let day = |n: i64| NOW + n * 86_400_000;
    assert_eq!(approvals_once(&store, &approval, &calendar, day(1)).await.unwrap(), 0, "Thursday: one working day");
    assert_eq!(approvals_once(&store, &approval, &calendar, day(2)).await.unwrap(), 1, "Friday: two");
    assert_eq!(approvals_once(&store, &approval, &calendar, day(2) + 60_000).await.unwrap(), 0, "not twice");
    assert_eq!(approvals_once(&store, &approval, &calendar, day(5)).await.unwrap(), 0, "Monday: the weekend does not count");
    assert_eq!(approvals_once(&store, &approval, &calendar, day(6)).await.unwrap(), 1, "Tuesday");
    let mut sent = 2;
    for n in 7..40 {
        sent += approvals_once(&store, &approval, &calendar, day(n)).await.unwrap();
    }
    assert_eq!(sent, 5, "at most five");
    assert!(store.approvals_due(day(60), 5).await.unwrap().is_empty());
    // Each reminder is a chat message, naming the masked address, and an e-mail.
    use eimza_bot::core::outbound::{Channel, ChatMessage, Outbound};
    let reminders =
        |rows: Vec<eimza_bot::store::Claimed>| rows.into_iter().filter(|c| c.key.starts_with("approval-reminder:")).collect::<Vec<_>>();
    let chats = reminders(store.peek_outbox(Channel::PersonChat, 0, 1000).await.unwrap());
    assert_eq!(chats.len(), 5);
    for chat in &chats {
        match &chat.message {
            Ok(Outbound::PersonChat { message: ChatMessage::TicketNotice { address, .. }, .. }) => {
                assert_eq!(address.as_deref(), Some("i***@kurum.gov.tr"))
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(reminders(store.peek_outbox(Channel::Email, 0, 1000).await.unwrap()).len(), 5);
});

on_both!(an_approved_form_gets_no_more_reminders, |store| {
    use eimza_bot::config::ApprovalConfig;
    use eimza_bot::core::workdays::Calendar;
    use eimza_bot::jobs::approvals_once;
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let p = store.person("web", "p", NOW).await.unwrap();
    open(&store, p, "10000000146", "Ilgaz Işık").await;
    let id = ticket_id(&store, "EIMZA-2026-000001").await;
    to_form_email_sent(&store, id, NOW).await;
    let mut tx = store.begin().await.unwrap();
    let (number, outcome) = tx.approve_form(p, NOW + 1000).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    assert_eq!(number.to_string(), "EIMZA-2026-000001");
    assert!(outcome.is_ok());
    assert_eq!(store.ticket_detail("EIMZA-2026-000001").await.unwrap().unwrap().0.state, TicketState::Completed);
    let approval = ApprovalConfig { every_working_days: 2, max_reminders: 5 };
    assert_eq!(approvals_once(&store, &approval, &Calendar::default(), NOW + 10 * 86_400_000).await.unwrap(), 0);
});

on_both!(expiry_reminders_pause_while_a_renewal_is_open, |store| {
    use eimza_bot::core::domain::{EmailDomains, FullName, KurumEmail, Tckn, Title};
    use eimza_bot::roster::RosterEntry;
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let domains = EmailDomains { domains: vec!["kurum.gov.tr".into()], allow_subdomains: false };
    let entry = |tckn: &str, email: &str| RosterEntry {
        tckn: Tckn::parse(tckn).unwrap(),
        name: FullName::parse("Ilgaz Işık").unwrap(),
        title: Title::parse("Uzman", &[]).unwrap(),
        email: KurumEmail::parse(email, &domains).unwrap(),
        expires: today + chrono::Days::new(30),
    };
    store
        .import_roster(&[entry("10000000146", "ilgaz@kurum.gov.tr"), entry("10000000078", "ayse@kurum.gov.tr")], "import", NOW)
        .await
        .unwrap();
    let p = store.person("web", "p", NOW).await.unwrap();
    open(&store, p, "10000000146", "Ilgaz Işık").await;
    // Only the person without an open renewal is reminded.
    assert_eq!(store.queue_due_reminders(today, &[30], NOW).await.unwrap(), 1);
    // The renewal fails (a locked card): the reminders resume for that certificate.
    let id = ticket_id(&store, "EIMZA-2026-000001").await;
    use eimza_tests::apply;
    apply(&store, id, TicketEvent::AgentPaired, ActorKind::Applicant, None, NOW).await.unwrap();
    apply(&store, id, TicketEvent::CardStepRequested, ActorKind::System, None, NOW).await.unwrap();
    let locked = TicketEvent::Fail(eimza_bot::core::ticket::FailReason::CardLocked);
    apply(&store, id, locked, ActorKind::Agent, Some("a-test"), NOW).await.unwrap();
    assert_eq!(store.queue_due_reminders(today, &[30], NOW + 1).await.unwrap(), 1);
    assert_eq!(store.queue_due_reminders(today, &[30], NOW + 2).await.unwrap(), 0, "never twice");
});

on_both!(the_transcript_comes_in_pages, |store| {
    use eimza_bot::store::TranscriptEntry;
    let p = store.person("web", "p", NOW).await.unwrap();
    let lines: Vec<TranscriptEntry> =
        (0..450).map(|i| TranscriptEntry { at: NOW + i, direction: "in".into(), text: format!("satır {i}"), buttons: vec![] }).collect();
    let mut tx = store.begin().await.unwrap();
    tx.append_transcript(p, &lines).await.unwrap();
    tx.commit().await.unwrap();
    let (from, last) = store.transcript_page(p, None, 200).await.unwrap();
    assert_eq!((from, last.len()), (250, 200), "the last page");
    assert_eq!(last[0].text, "satır 250");
    let (from, rest) = store.transcript_page(p, Some(440), 200).await.unwrap();
    assert_eq!((from, rest.len()), (440, 10));
    assert_eq!(rest[9].text, "satır 449");
    let (from, none) = store.transcript_page(p, Some(9_999), 200).await.unwrap();
    assert_eq!((from, none.len()), (450, 0), "nothing after the end");
});

/// `eimza-bot key rotate`: everything encrypted is readable under the new key only, lookups
/// still find what they found, and an interrupted rotation finishes when run again — on both
/// databases (a key file and a URL, as the command uses them).
async fn key_rotation(url: String) {
    use eimza_bot::store::KeyCheck;
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("eimza.key");
    let old_text = {
        Vault::load_or_create(&key_path).unwrap();
        std::fs::read_to_string(&key_path).unwrap()
    };
    let store = Store::connect(&url, eimza_bot::keys::vault_of(&key_path).unwrap()).await.unwrap();
    assert_eq!(store.check_key(true).await.unwrap(), KeyCheck::Matches);
    // Something in every encrypted column.
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let p = store.person("telegram", "r", NOW).await.unwrap();
    open(&store, p, "10000000146", "Ilgaz Işık").await;
    let conv = Conversation { step: Step::Ask(Field::Name), lang: Some(Lang::Tr), ..Conversation::default() };
    let owed = Unsent::then(None, None, 1, &[reply("Adınız?")]);
    assert!(store.save_conversation(&save(p, 0, &conv, owed.as_ref(), NOW)).await.unwrap());
    let mut tx = store.begin().await.unwrap();
    let line = eimza_bot::store::TranscriptEntry { at: NOW, direction: "in".into(), text: "merhaba".into(), buttons: vec![] };
    tx.append_transcript(p, std::slice::from_ref(&line)).await.unwrap();
    tx.commit().await.unwrap();
    issue(&store, p, "KQFMDXZT", NOW).await;
    let eimza_bot::store::Claim::Claimed { request_id, .. } = claim(&store, "KQFMDXZT", "10.0.0.1", NOW + 1).await else {
        panic!("claimed")
    };
    decide(&store, p, &request_id, true, "a-rotation", "token-rotation-0123456789", NOW + 2).await;
    use eimza_bot::core::domain::{EmailDomains, FullName, KurumEmail, Tckn, Title};
    let domains = EmailDomains { domains: vec!["kurum.gov.tr".into()], allow_subdomains: false };
    let entry = eimza_bot::roster::RosterEntry {
        tckn: Tckn::parse("10000000078").unwrap(),
        name: FullName::parse("Ayşe Yılmaz").unwrap(),
        title: Title::parse("Uzman", &[]).unwrap(),
        email: KurumEmail::parse("ayse@kurum.gov.tr", &domains).unwrap(),
        expires: chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
    };
    store.import_roster(&[entry], "import", NOW).await.unwrap();
    store.close().await;

    // Interrupted after a few rows: the key file holds the old key as `previous`, and a bot
    // started now reads both kinds.
    let first = eimza_bot::keys::rotate(&key_path, &url, Some(2)).await.unwrap();
    assert!(!first.finished && first.rewritten >= 2);
    assert!(std::fs::read_to_string(&key_path).unwrap().contains("\nprevious "));
    let mid = Store::connect(&url, eimza_bot::keys::vault_of(&key_path).unwrap()).await.unwrap();
    assert_eq!(mid.ticket_detail("EIMZA-2026-000001").await.unwrap().unwrap().0.tckn_masked.as_deref(), Some("100******46"));
    mid.close().await;

    let done = eimza_bot::keys::rotate(&key_path, &url, None).await.unwrap();
    assert!(done.finished);
    let text = std::fs::read_to_string(&key_path).unwrap();
    assert!(text.starts_with("eimza-key 2") && !text.contains("previous"), "{text}");
    assert!(!key_path.with_extension("key.before-rotation").exists());
    #[cfg(unix)]
    assert_eq!(std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_path).unwrap().permissions()) & 0o777, 0o600);

    // Everything reads under the new key alone; lookups by keyed hash are unchanged.
    let store = Store::connect(&url, eimza_bot::keys::vault_of(&key_path).unwrap()).await.unwrap();
    assert_eq!(store.check_key(false).await.unwrap(), KeyCheck::Matches);
    assert_eq!(store.ticket_detail("EIMZA-2026-000001").await.unwrap().unwrap().0.tckn_masked.as_deref(), Some("100******46"));
    let state = store.chat_state(p).await.unwrap();
    assert_eq!(state.conversation, conv);
    assert_eq!(state.unsent.as_ref().map(|u| store.open_unsent(u).unwrap()), owed);
    assert_eq!(store.transcript(p).await.unwrap(), vec![line]);
    for message in store.peek_outbox(eimza_bot::core::outbound::Channel::PersonChat, 0, 100).await.unwrap() {
        assert!(message.message.is_ok(), "an outbox payload reads: {:?}", message.message);
    }
    let other = store.person("web", "s", NOW).await.unwrap();
    assert!(matches!(open(&store, other, "10000000146", "Ilgaz Işık").await, OpenOutcome::AlreadyOpen(_)), "the T.C. Kimlik No lookup");
    store.close().await;
    // The old key opens nothing any more.
    let old = Store::connect(&url, Vault::from_base64(&old_text).unwrap()).await.unwrap();
    assert_eq!(old.check_key(false).await.unwrap(), KeyCheck::Mismatch);
    old.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    key_rotation(format!("sqlite:{}", dir.path().join("k.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_rotation_on_postgresql() {
    key_rotation(fresh_postgres().await).await;
}

on_both!(staff_sessions_end_when_idle_too_old_or_closed, |store| {
    use eimza_bot::core::staff::Role;
    assert!(store.create_account("ayse", Role::Officer, "$argon2id$hash", NOW).await.unwrap());
    assert!(!store.create_account("ayse", Role::Admin, "$argon2id$other", NOW).await.unwrap(), "a name once");
    let (account, hash) = store.account_for_login("ayse").await.unwrap().unwrap();
    assert_eq!((account.role, hash.as_str()), (Role::Officer, "$argon2id$hash"));
    const MIN: i64 = 60_000;
    store.create_staff_session(account.id, "token-a", "csrf-a", NOW).await.unwrap();
    let live = |token: &'static str, now: i64| {
        let store = &store;
        async move { store.staff_session(token, now, now - 30 * MIN, now - 600 * MIN).await.unwrap().map(|s| s.csrf) }
    };
    assert_eq!(live("token-a", NOW + 29 * MIN).await.as_deref(), Some("csrf-a"));
    assert_eq!(live("token-b", NOW).await, None, "an unknown token");
    // Seen at +29 min: alive until +59; then idle too long, and gone for good.
    assert_eq!(live("token-a", NOW + 58 * MIN).await.as_deref(), Some("csrf-a"));
    assert_eq!(live("token-a", NOW + 120 * MIN).await, None, "idle");
    assert_eq!(live("token-a", NOW + 58 * MIN).await, None, "an ended session stays ended");
    // Kept busy, it still ends after the absolute limit.
    store.create_staff_session(account.id, "token-c", "csrf-c", NOW).await.unwrap();
    for step in 1..=20 {
        let now = NOW + step * 29 * MIN;
        let alive = live("token-c", now).await.is_some();
        assert_eq!(alive, step * 29 < 600, "at +{} min", step * 29);
    }
    // A disabled account's sessions end with it; a new password ends them too.
    store.create_staff_session(account.id, "token-d", "csrf-d", NOW).await.unwrap();
    assert!(store.set_password("ayse", "$argon2id$new").await.unwrap());
    assert_eq!(live("token-d", NOW + MIN).await, None);
    store.create_staff_session(account.id, "token-e", "csrf-e", NOW).await.unwrap();
    assert!(store.disable_account("ayse", NOW + MIN).await.unwrap());
    assert_eq!(live("token-e", NOW + 2 * MIN).await, None);
    assert!(store.account_for_login("ayse").await.unwrap().is_none(), "a disabled account cannot sign in");
    // Failed logins are counted per name and per address within the window.
    for (name, address) in [("ayse", "10.0.0.1"), ("ayse", "10.0.0.2"), ("mehmet", "10.0.0.1")] {
        store.audit("login-failed", name, address, None, None, NOW).await.unwrap();
    }
    // An attempt is counted as a failure before its password is checked.
    let attempt =
        |account, address, since, now| eimza_bot::store::LoginAttempt { account, address, since, per_account: 3, per_address: 3, now };
    let first = store.begin_login(&attempt("ayse", "10.0.0.1", NOW - MIN, NOW)).await.unwrap();
    assert!(first.is_some(), "two failures for the name and two from the address: under both limits");
    assert_eq!(store.begin_login(&attempt("ayse", "10.0.0.3", NOW - MIN, NOW)).await.unwrap(), None, "three for the name");
    assert_eq!(store.begin_login(&attempt("zeynep", "10.0.0.1", NOW - MIN, NOW)).await.unwrap(), None, "three from the address");
    // The first had the right password: no longer a failure, so the name has room again.
    // (The account's session and the record in one transaction; an attempt is used once.)
    assert!(store.create_account("mehmet", Role::Officer, "$argon2id$hash", NOW).await.unwrap());
    let (active, _) = store.account_for_login("mehmet").await.unwrap().unwrap();
    store.logged_in(first.unwrap(), active.id, "token-f", "csrf-f", NOW).await.unwrap();
    assert_eq!(live("token-f", NOW + MIN).await.as_deref(), Some("csrf-f"));
    assert!(store.logged_in(first.unwrap(), active.id, "token-g", "csrf-g", NOW).await.is_err());
    assert_eq!(live("token-g", NOW + MIN).await, None, "rolled back with its record");
    assert!(store.begin_login(&attempt("ayse", "10.0.0.3", NOW - MIN, NOW)).await.unwrap().is_some());
    assert!(
        store.begin_login(&attempt("ayse", "10.0.0.1", NOW + 1, NOW + 1)).await.unwrap().is_some(),
        "older ones fall out of the window"
    );
    let kinds: Vec<String> = store.audit_log(None, 20).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "login").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "login-throttled").count(), 2, "{kinds:?}");
});

/// The first admin `name` made with setup link `token` made after `made_after`.
async fn use_setup(store: &Store, token: &str, made_after: i64, name: &str) -> eimza_bot::store::SetupOutcome {
    let session = format!("session-of-{name}");
    let admin = eimza_bot::store::FirstAdmin {
        token,
        made_after,
        name,
        password_hash: "$h",
        address: "10.0.0.1",
        session: &session,
        csrf: "csrf",
        now: NOW,
    };
    store.use_setup_token(&admin).await.unwrap()
}

on_both!(the_setup_link_works_once, |store| {
    store.create_setup_token("kurulum", NOW).await.unwrap();
    assert!(store.setup_token_valid("kurulum", NOW - 1).await.unwrap());
    assert!(!store.setup_token_valid("kurulum", NOW + 1).await.unwrap(), "too old");
    assert!(!store.setup_token_valid("baska", NOW - 1).await.unwrap());
    use eimza_bot::store::SetupOutcome;
    assert_eq!(use_setup(&store, "kurulum", NOW + 1, "ilk").await, SetupOutcome::InvalidLink, "expired");
    let SetupOutcome::Created(_) = use_setup(&store, "kurulum", NOW - 1, "ilk").await else { panic!("created") };
    // Its first session and the audit row came with it.
    assert!(store.staff_session("session-of-ilk", NOW, NOW - 60_000, NOW - 60_000).await.unwrap().is_some());
    assert_eq!(store.audit_log(None, 10).await.unwrap().iter().filter(|e| e.kind == "setup" && e.account == "ilk").count(), 1);
    assert_eq!(use_setup(&store, "kurulum", NOW - 1, "ikinci").await, SetupOutcome::InvalidLink, "once");
    store.create_setup_token("yeni", NOW).await.unwrap();
    assert!(!store.setup_token_valid("yeni", NOW - 1).await.unwrap(), "not while an account exists");
    assert_eq!(use_setup(&store, "yeni", NOW - 1, "ucuncu").await, SetupOutcome::AccountsExist);
    assert_eq!(store.accounts().await.unwrap().len(), 1);
});

on_both!(desk_notes_and_assignment_are_history_and_leave_with_the_person, |store| {
    store.save_institution("Örnek", "{}", NOW).await.unwrap();
    let a = store.person("web", "a", NOW).await.unwrap();
    open(&store, a, "10000000146", "Ilgaz Işık").await;
    let (ticket, _) = store.ticket_detail("EIMZA-2026-000001").await.unwrap().unwrap();
    let staff = eimza_bot::store::Actor::staff("ayse");
    let mut tx = store.begin().await.unwrap();
    assert!(tx.assign_ticket(ticket.id, Some("ayse"), &staff, NOW + 5).await.unwrap());
    assert!(!tx.assign_ticket(ticket.id, Some("ayse"), &staff, NOW + 6).await.unwrap(), "already so");
    assert!(tx.add_ticket_note(ticket.id, &staff, "Aradım; kartı evde.", NOW + 7).await.unwrap());
    tx.commit().await.unwrap();
    let (after, events) = store.ticket_detail("EIMZA-2026-000001").await.unwrap().unwrap();
    assert_eq!(after.assigned_to.as_deref(), Some("ayse"));
    assert_eq!(after.updated_at, ticket.updated_at, "assignment and notes do not reset the waiting clock");
    let notes: Vec<_> = events.iter().filter_map(|e| e.note.clone()).collect();
    assert!(notes.contains(&"history-assigned".to_owned()) && notes.contains(&"history-internal-note".to_owned()), "{notes:?}");
    assert!(!events.iter().any(|e| e.detail.as_deref().is_some_and(|d| d.contains("kartı evde"))), "the note's text is not in the history");
    assert_eq!(store.ticket_notes(ticket.id).await.unwrap()[0].text, "Aradım; kartı evde.");
    let assigned = TicketFilter { assigned: eimza_bot::store::AssignedFilter::To("ayse".into()), limit: 10, ..TicketFilter::default() };
    assert_eq!(store.desk_page(&assigned).await.unwrap().total, 1);
    let nobody = TicketFilter { assigned: eimza_bot::store::AssignedFilter::Nobody, limit: 10, ..TicketFilter::default() };
    assert_eq!(store.desk_page(&nobody).await.unwrap().total, 0);
    let stalled = TicketFilter { changed_before: Some(NOW + 1), limit: 10, ..TicketFilter::default() };
    assert_eq!(store.desk_page(&stalled).await.unwrap().total, 1);
    let fresh = TicketFilter { changed_before: Some(NOW - 1), limit: 10, ..TicketFilter::default() };
    assert_eq!(store.desk_page(&fresh).await.unwrap().total, 0);
    let data = store.corporate_data(ticket.id).await.unwrap().unwrap();
    assert_eq!((data.tckn.as_str(), data.birth_date.to_string().as_str()), ("10000000146", "1980-03-05"));
    // The person's /sil erases the notes with the rest.
    let mut tx = store.begin().await.unwrap();
    tx.delete_personal_data(a, NOW + 10).await.unwrap();
    tx.commit().await.unwrap();
    assert!(store.ticket_notes(ticket.id).await.unwrap().is_empty());
    assert_eq!(store.corporate_data(ticket.id).await.unwrap(), None);
    let mut tx = store.begin().await.unwrap();
    assert!(!tx.add_ticket_note(ticket.id, &staff, "Sonradan.", NOW + 11).await.unwrap(), "no note on an erased ticket");
    tx.commit().await.unwrap();
    assert!(store.ticket_notes(ticket.id).await.unwrap().is_empty());
});

/// One turn's save as the chat service makes it, on its own task (as concurrent turns are).
async fn save_alone(store: &Store, person_id: i64, version: i64, name: &str) -> eimza_bot::store::Result<bool> {
    let conv = Conversation { recent_updates: vec![name.into()], ..Conversation::default() };
    let store = store.clone();
    tokio::spawn(async move { store.save_conversation(&save(person_id, version, &conv, None, NOW)).await }).await.unwrap()
}

/// Items and batches the group commit has served so far (this process, every test in it).
fn batches() -> (f64, f64) {
    let text = eimza_bot::metrics::METRICS.render();
    let value = |name: &str| text.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse::<f64>().ok())).unwrap_or(0.0);
    (value("eimza_store_batch_items_sum"), value("eimza_store_batch_items_count"))
}

on_both!(turns_in_flight_share_one_commit_and_a_conflict_fails_only_its_own, |store| {
    use futures_util::future::join_all;
    let mut people = Vec::new();
    for i in 0..40 {
        people.push(store.person("telegram", &format!("g{i}"), NOW).await.unwrap());
    }
    let (items_before, batches_before) = batches();
    // Forty first saves at once.
    let saved = join_all(people.iter().map(|&p| save_alone(&store, p, 0, "İlk"))).await;
    assert!(saved.iter().all(|s| matches!(s, Ok(true))), "{saved:?}");
    let (items, count) = batches();
    assert!(items - items_before >= 40.0 && count - batches_before < items - items_before, "saves in flight shared batches");

    // The same batch holds current and stale saves: each stale one (a stale first save, a stale
    // version) loses alone, the others are saved.
    let tries = people.iter().enumerate().map(|(i, &p)| {
        let version = match i % 4 {
            0 => 0, // saved before: a second first save loses
            1 => 7, // nobody read version 7
            _ => 1,
        };
        save_alone(&store, p, version, "İkinci")
    });
    let saved = join_all(tries).await;
    for (i, (&p, result)) in people.iter().zip(&saved).enumerate() {
        let winner = i % 4 >= 2;
        assert_eq!(result.as_ref().ok(), Some(&winner), "person {i}");
        let state = store.chat_state(p).await.unwrap();
        let name = if winner { "İkinci" } else { "İlk" };
        assert_eq!((state.version, state.conversation.recent_updates), (if winner { 2 } else { 1 }, vec![name.to_owned()]));
    }

    // One person's two saves from the same version never share a batch: exactly one wins.
    let p = people[2];
    let both = join_all([save_alone(&store, p, 2, "A"), save_alone(&store, p, 2, "B")]).await;
    assert_eq!(both.iter().filter(|r| matches!(r, Ok(true))).count(), 1, "{both:?}");
    assert_eq!(both.iter().filter(|r| matches!(r, Ok(false))).count(), 1, "{both:?}");
    assert_eq!(store.chat_state(p).await.unwrap().version, 3);

    // A save the database refuses (no such person) fails alone; the turns beside it are saved.
    let current = |i: usize| if i % 4 >= 2 { 2 } else { 1 };
    let mut tries: Vec<_> = (20..30).map(|i| save_alone(&store, people[i], current(i), "Üçüncü")).collect();
    tries.push(save_alone(&store, 987_654, 0, "Kimse"));
    let saved = join_all(tries).await;
    assert!(saved[..10].iter().all(|s| matches!(s, Ok(true))), "{saved:?}");
    assert!(saved[10].is_err(), "{saved:?}");
    assert!(store.chat_state_of("telegram", "g25").await.unwrap().is_some_and(|(_, s)| s.version == current(25) + 1));

    // Reads in flight answer each their own person, and nobody for a stranger.
    let reads = join_all((0..45).map(|i| {
        let store = store.clone();
        tokio::spawn(async move { store.chat_state_of("telegram", &format!("g{i}")).await.unwrap().map(|(p, _)| p) })
    }))
    .await;
    for (i, read) in reads.into_iter().enumerate() {
        assert_eq!(read.unwrap(), people.get(i).copied(), "read {i}");
    }
});

on_both!(a_web_turns_transcript_is_kept_only_with_its_save, |store| {
    use eimza_bot::store::TranscriptEntry;
    let (session, token) = store.create_web_session(NOW).await.unwrap();
    let line = |direction: &str, text: &str| TranscriptEntry { at: NOW, direction: direction.into(), text: text.into(), buttons: vec![] };
    let conv = Conversation::default();
    let said = [line("in", "Merhaba"), line("out", "Hoş geldiniz, İlgaz.")];
    assert!(store.save_turn(&save(session.person_id, 0, &conv, None, NOW), &said).await.unwrap());
    let stale = [line("in", "bu kaybolmalı")];
    assert!(!store.save_turn(&save(session.person_id, 0, &conv, None, NOW), &stale).await.unwrap());
    assert!(store.save_turn(&save(session.person_id, 1, &conv, None, NOW), &[line("in", "İkinci")]).await.unwrap());
    let texts: Vec<_> = store.transcript(session.person_id).await.unwrap().into_iter().map(|e| (e.direction, e.text)).collect();
    assert_eq!(texts, [("in".into(), "Merhaba".into()), ("out".into(), "Hoş geldiniz, İlgaz.".into()), ("in".into(), "İkinci".into())]);

    // Session look-ups in flight: each its own; a wrong token and an unknown id are told apart.
    let mut sessions = vec![(session, token)];
    for _ in 0..5 {
        sessions.push(store.create_web_session(NOW).await.unwrap());
    }
    let looks = futures_util::future::join_all(sessions.iter().enumerate().map(|(i, (s, t))| {
        let (store, id, token) = (store.clone(), s.id.clone(), if i == 3 { "yanlış".to_owned() } else { t.clone() });
        tokio::spawn(async move { store.web_session(&id, &token).await.unwrap() })
    }))
    .await;
    for (i, (look, (s, _))) in looks.into_iter().zip(&sessions).enumerate() {
        match look.unwrap() {
            Some(Ok(found)) => assert!(i != 3 && found.person_id == s.person_id && found.id == s.id),
            Some(Err(())) => assert_eq!(i, 3),
            None => panic!("session {i} not found"),
        }
    }
    assert!(store.web_session("bilinmeyen", "x").await.unwrap().is_none());
});

/// Counts a verification e-mail to `address` at `at` as a chat turn does: presumed under the
/// limits in a deferred transaction (SQLite; PostgreSQL asks), and, if that was wrong, asked
/// in another. A presumption fails only when asking refuses, and writes nothing: the asked count
/// after it (and every later one) counts as if it never ran.
async fn count_code(store: &Store, address: &str, at: i64) -> Result<(), i64> {
    let mut tx = store.begin_deferred().await.unwrap();
    let presumed = tx.count_code_mail(address, at, true).await.unwrap();
    match tx.commit().await {
        Ok(()) => return presumed,
        Err(StoreError::Presumed) => assert_eq!(presumed, Ok(()), "only a count nobody waited for is presumed"),
        Err(e) => panic!("{e}"),
    }
    let mut tx = store.begin().await.unwrap();
    let counted = tx.count_code_mail(address, at, false).await.unwrap();
    tx.commit().await.unwrap();
    assert!(counted.is_err(), "presumed wrong, but asking finds room");
    counted
}

/// SQLite: a presumed count refused at the COMMIT writes nothing, and for a minute after any
/// refusal nothing is presumed (asking at once costs less than a presumption that fails).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_refused_code_count_nothing_is_presumed_for_a_minute() {
    let (store, _dir) = sqlite().await;
    let store = store.with_codes_per_hour(1);
    let presumed = |address: &'static str, at: i64| {
        let store = store.clone();
        async move {
            let mut tx = store.begin_deferred().await.unwrap();
            let counted = tx.count_code_mail(address, at, true).await.unwrap();
            (counted, tx.commit().await)
        }
    };
    assert!(matches!(presumed("ayse@kurum.gov.tr", NOW).await, (Ok(()), Ok(()))));
    assert!(matches!(presumed("mehmet@kurum.gov.tr", NOW + 1).await, (Ok(()), Err(StoreError::Presumed))), "presumed, refused");
    assert_eq!(count_code(&store, "mehmet@kurum.gov.tr", NOW + 2).await, Err(60), "asked: refused");
    assert!(matches!(presumed("zeynep@kurum.gov.tr", NOW + 3).await, (Err(60), Ok(()))), "asked at once");
    assert!(matches!(presumed("zeynep@kurum.gov.tr", NOW + 60_002).await, (Err(_), Ok(()))), "a minute: asked still");
    assert!(matches!(presumed("zeynep@kurum.gov.tr", NOW + 61 * 60_000).await, (Ok(()), Ok(()))), "presumed again");
}

on_both!(verification_emails_are_limited_per_address_and_in_all, |store| {
    const MINUTE: i64 = 60_000;
    let store = store.with_codes_per_hour(5);
    // Three an hour to one address (its case does not matter); the fourth waits until the
    // first is an hour old.
    for i in 0..3 {
        assert_eq!(count_code(&store, "ayse@kurum.gov.tr", NOW + i * MINUTE).await, Ok(()));
    }
    assert_eq!(count_code(&store, "AYSE@kurum.gov.tr", NOW + 10 * MINUTE).await, Err(50));
    // The global limit: five an hour to all addresses together.
    assert_eq!(count_code(&store, "mehmet@kurum.gov.tr", NOW + 11 * MINUTE).await, Ok(()));
    assert_eq!(count_code(&store, "zeynep@kurum.gov.tr", NOW + 12 * MINUTE).await, Ok(()));
    assert_eq!(count_code(&store, "ilgaz@kurum.gov.tr", NOW + 13 * MINUTE).await, Err(47));
    // A refused one is not counted: an hour after the first, both limits have room again.
    assert_eq!(count_code(&store, "ayse@kurum.gov.tr", NOW + 61 * MINUTE).await, Ok(()));
    // Ten a day to one address (four so far): the eleventh waits until the day's first is a day
    // old.
    let mut at = NOW + 61 * MINUTE;
    for _ in 0..6 {
        at += 30 * MINUTE;
        assert_eq!(count_code(&store, "ayse@kurum.gov.tr", at).await, Ok(()));
    }
    assert_eq!(at, NOW + 241 * MINUTE);
    assert_eq!(count_code(&store, "ayse@kurum.gov.tr", NOW + 271 * MINUTE).await, Err(24 * 60 - 271));
    // A day after the first three, the retention job forgets them (older than a day); the
    // others stay.
    let day_later = NOW + 24 * 60 * MINUTE + 2 * MINUTE;
    eimza_bot::jobs::purge_once(&store, 90, day_later).await.unwrap();
    assert_eq!(store.forget_mail_limits_before(NOW + 2 * MINUTE).await.unwrap(), 0, "forgotten by the job");
    assert_eq!(store.forget_mail_limits_before(NOW + 61 * MINUTE).await.unwrap(), 3, "mehmet's, zeynep's and ayse's fourth stayed");
});

on_both!(the_limit_for_all_addresses_counts_the_hour_to_the_millisecond, |store| {
    // Counted by the minute, but the minute the hour starts in is counted row by row: a code
    // sent in it before the hour's start is out of the hour, one sent after it still in.
    const MINUTE: i64 = 60_000;
    let store = store.with_codes_per_hour(2);
    let minute = NOW - NOW % MINUTE;
    assert_eq!(count_code(&store, "ayse@kurum.gov.tr", minute + 30_000).await, Ok(()));
    assert_eq!(count_code(&store, "mehmet@kurum.gov.tr", minute + 59_000).await, Ok(()));
    assert_eq!(
        count_code(&store, "zeynep@kurum.gov.tr", minute + 40 * MINUTE).await,
        Err(21),
        "two in the hour: the first is out of it in 20.5 minutes"
    );
    // An hour and 45 s later: ayse's is out of the hour, mehmet's still in it.
    let later = minute + 60 * MINUTE + 45_000;
    assert_eq!(count_code(&store, "zeynep@kurum.gov.tr", later).await, Ok(()));
    assert_eq!(count_code(&store, "ilgaz@kurum.gov.tr", later).await, Err(1), "mehmet's and zeynep's");
    // Forgotten with their rows, minutes and all: a day later nothing of them counts.
    store.forget_mail_limits_before(later + 24 * 60 * MINUTE).await.unwrap();
    let day_later = later + 24 * 60 * MINUTE + 1;
    assert_eq!(count_code(&store, "ilgaz@kurum.gov.tr", day_later).await, Ok(()));
    assert_eq!(count_code(&store, "ayse@kurum.gov.tr", day_later).await, Ok(()));
});

on_both!(limits_hold_when_many_ask_at_once, |store| {
    use eimza_bot::store::{AuditLimit, Claim};
    // Eight verification e-mails to one address at once, each transaction counting, then
    // waiting before its commit: three an hour are counted, not eight (PostgreSQL's READ
    // COMMITTED lets every one of them see room unless they count one at a time).
    let asks = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let counted = tx.count_code_mail("ayse@kurum.gov.tr", NOW + i, false).await.unwrap();
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            tx.commit().await.unwrap();
            counted
        })
    });
    let counted = futures_util::future::join_all(asks).await.into_iter().filter(|c| matches!(c, Ok(Ok(())))).count();
    assert_eq!(counted, 3);
    // Eight more to another address at once, presumed under the limits (SQLite; PostgreSQL
    // asks): three commit, the other five are refused whole at their COMMIT (or, asked, told
    // to wait).
    let presumed = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut tx = store.begin_deferred().await.unwrap();
            // Two minutes on: past the pause in presuming that ayse's refusals began.
            let counted = tx.count_code_mail("mehmet@kurum.gov.tr", NOW + 120_000 + i, true).await.unwrap();
            if counted.is_ok() {
                let mail = Mail::EmailCode { to: "mehmet@kurum.gov.tr".into(), code: format!("{i:06}"), lang: Lang::Tr };
                tx.enqueue(format!("presumed-{i}"), &Outbound::Email(mail), NOW).await.unwrap();
            }
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            // (counted and committed, refused at the COMMIT)
            match tx.commit().await {
                Ok(()) => (counted.is_ok(), false),
                Err(StoreError::Presumed) => (false, true),
                Err(e) => panic!("{e}"),
            }
        })
    });
    let outcomes: Vec<(bool, bool)> = futures_util::future::join_all(presumed).await.into_iter().map(Result::unwrap).collect();
    assert_eq!(outcomes.iter().filter(|(counted, _)| *counted).count(), 3);
    let refused_at_commit = outcomes.iter().filter(|(_, refused)| *refused).count();
    assert_eq!(refused_at_commit, if store.backend() == eimza_bot::store::Backend::Sqlite { 5 } else { 0 });
    let queued = store.peek_outbox(Channel::Email, 0, 100).await.unwrap();
    assert_eq!(queued.len(), 3, "the refused ones' e-mails were not written");

    // Twelve wrong pairing codes from one address at once: five are looked up, seven refused.
    let claims = (0..12).map(|i| {
        let store = store.clone();
        tokio::spawn(async move { claim(&store, "ZZZZZZZZ", "10.0.0.7", NOW + i).await })
    });
    let claims: Vec<Claim> = futures_util::future::join_all(claims).await.into_iter().map(Result::unwrap).collect();
    let unknown = claims.iter().filter(|c| **c == Claim::Unknown).count();
    let refused = claims.iter().filter(|c| matches!(c, Claim::TooManyTries { .. })).count();
    assert_eq!((unknown, refused), (5, 7), "{claims:?}");

    // Twelve staff logins for one name from twelve addresses at once: five are counted (their
    // passwords then checked), seven throttled.
    let logins = (0..12).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            let address = format!("10.0.1.{i}");
            let attempt = eimza_bot::store::LoginAttempt {
                account: "ayse",
                address: &address,
                since: NOW - 60_000,
                per_account: 5,
                per_address: 5,
                now: NOW + i,
            };
            store.begin_login(&attempt).await.unwrap()
        })
    });
    let counted = futures_util::future::join_all(logins).await.into_iter().filter(|a| a.as_ref().unwrap().is_some()).count();
    assert_eq!(counted, 5);

    // Twelve audited searches by one account at once, four allowed: four are written.
    let searches = (0..12).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store.audit_within("search-tckn", "mehmet", "10.0.2.1", AuditLimit { since: NOW - 60_000, max: 4 }, NOW + i).await.unwrap()
        })
    });
    let written = futures_util::future::join_all(searches).await.into_iter().filter(|w| *w.as_ref().unwrap()).count();
    assert_eq!(written, 4);
});

/// On SQLite the group commit's saves take the process's one turn to write: a save waits for a
/// transaction in progress rather than meet SQLite's lock, and a transaction dropped open never
/// holds it up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batched_save_waits_its_turn_to_write_and_a_transaction_dropped_open_does_not_stop_it() {
    use std::time::Duration;
    let (store, _dir) = sqlite().await;
    let person = store.person("telegram", "sıra", NOW).await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert!(tx.mark_update("telegram", "1", NOW).await.unwrap());
    let waiting = tokio::spawn({
        let store = store.clone();
        async move { save_alone(&store, person, 0, "Bekleyen").await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "the save waits for the transaction holding the turn");
    tx.commit().await.unwrap();
    let saved = tokio::time::timeout(Duration::from_secs(5), waiting).await.expect("saved once the turn is free").unwrap();
    assert!(matches!(saved, Ok(true)), "{saved:?}");

    // A transaction dropped open: the next batched save rolls it back first, or finds it so.
    for round in 0..20 {
        let mut tx = store.begin().await.unwrap();
        assert!(tx.mark_update("telegram", &format!("bırakılan-{round}"), NOW).await.unwrap());
        drop(tx);
        let saved = tokio::time::timeout(Duration::from_secs(5), save_alone(&store, person, round + 1, "Sonraki")).await;
        assert!(matches!(saved, Ok(Ok(true))), "round {round}: {saved:?}");
    }
    let state = store.chat_state(person).await.unwrap();
    assert_eq!((state.version, state.conversation.recent_updates), (21, vec!["Sonraki".to_owned()]));
    // None of the dropped transactions' writes was kept.
    let mut tx = store.begin().await.unwrap();
    assert!(tx.mark_update("telegram", "bırakılan-0", NOW).await.unwrap(), "rolled back");
    tx.commit().await.unwrap();

    // Once the store is closed, a save is refused at once (nothing reopens a connection).
    store.close().await;
    let refused = tokio::time::timeout(Duration::from_secs(5), save_alone(&store, person, 21, "Geç")).await;
    assert!(matches!(refused, Ok(Err(_))), "{refused:?}");
}
