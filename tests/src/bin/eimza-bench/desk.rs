//! The staff desk with 10,000 requests: the login (argon2id), the list's first page, a search,
//! the stalled filter, a ticket's page, the CSV export of everything, and the daily digest's
//! scan — on the real release bot over HTTP (SQLite).

use std::time::{Duration, Instant};

use eimza_bot::core::ticket::{ActorKind, TicketEvent};
use eimza_bot::store::{OpenOutcome, Store};
use eimza_tests::{STAFF_PASSWORD, StaffClient, TestBot};

const TICKETS: u64 = 10_000;

fn percentile(samples: &mut [Duration], p: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

async fn timed(staff: &StaffClient, path: &str, n: usize) -> (f64, f64) {
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let start = Instant::now();
        let (status, _) = staff.get(path).await;
        assert_eq!(status, 200, "{path}");
        samples.push(start.elapsed());
    }
    (percentile(&mut samples, 0.5), percentile(&mut samples, 0.99))
}

fn line(label: &str, (p50, p99): (f64, f64), target_p99_ms: f64) {
    println!("  {label:<58} p50 {p50:>7.1} ms   p99 {p99:>7.1} ms   (target p99 < {target_p99_ms} ms: {:.2}×)", target_p99_ms / p99);
}

pub async fn run() {
    println!("== staff desk: {TICKETS} requests, SQLite, over HTTP");
    let mut bot = TestBot::start().await;
    // Written with the bot stopped (two processes on one SQLite file meet each other's writes).
    bot.kill();
    let vault = eimza_bot::keys::vault_of(&bot.data_dir.join("eimza.key")).unwrap();
    let store = Store::connect(&format!("sqlite:{}", bot.data_dir.join("eimza.db").display()), vault).await.unwrap();
    let now = eimza_bot::clock::now_ms();
    let start = Instant::now();
    let names = ["Ayşe Yılmaz", "Mehmet Öztürk", "Ilgaz Işık", "İpek Çiçek", "Şule Ağaoğlu"];
    for n in 0..TICKETS {
        let person = store.person("web", &format!("desk-{n}"), now).await.unwrap();
        let name = names[n as usize % names.len()];
        let draft = eimza_tests::application(&eimza_tests::valid_tckn(500_000 + n), name, &format!("kisi.{n}@kurum.gov.tr"));
        // Spread over the last 60 days, so the stalled filter and the digest have work.
        let at = now - (n as i64 % 60) * 86_400_000;
        let mut tx = store.begin().await.unwrap();
        let OpenOutcome::Opened(number) = tx.open_ticket(person, &draft, eimza_protocol::Lang::Tr, at).await.unwrap() else {
            panic!("opened")
        };
        tx.commit().await.unwrap();
        if n % 5 == 0 {
            let (ticket, _) = store.ticket_detail(&number.to_string()).await.unwrap().unwrap();
            for (event, kind) in [
                (TicketEvent::AgentPaired, ActorKind::System),
                (TicketEvent::CardStepRequested, ActorKind::System),
                (TicketEvent::EOnayAttested, ActorKind::Agent),
            ] {
                eimza_tests::apply(&store, ticket.id, event, kind, Some("bench"), at).await.unwrap();
            }
        }
    }
    println!("  {TICKETS} requests written in {:.1} s", start.elapsed().as_secs_f64());
    bot.restart().await;

    let (code, out) = bot.cli(&["staff", "add", "olcum", "--role", "officer"], &format!("{STAFF_PASSWORD}\n"));
    assert_eq!(code, 0, "{out}");
    let mut logins = Vec::new();
    let mut staff = None;
    for _ in 0..10 {
        let start = Instant::now();
        staff = Some(StaffClient::login(&bot.url(), "olcum", STAFF_PASSWORD).await.unwrap());
        logins.push(start.elapsed());
    }
    let staff = staff.unwrap();
    line("login (argon2id 19 MiB × 2 passes, session, first page)", (percentile(&mut logins, 0.5), percentile(&mut logins, 0.99)), 1000.0);
    line("list, first page of 50 with the counts", timed(&staff, "/staff", 100).await, 200.0);
    line("list, page 100", timed(&staff, "/staff?page=100", 100).await, 200.0);
    line("search by a Turkish name (“ışık”)", timed(&staff, "/staff?q=%C4%B1%C5%9F%C4%B1k", 100).await, 200.0);
    line("waiting longer than 10 working days, longest first", timed(&staff, "/staff?stalled=10&sort=waiting", 100).await, 200.0);
    line("a ticket's page", timed(&staff, "/staff/tickets/EIMZA-2026-005000", 100).await, 200.0);
    let start = Instant::now();
    let r = staff.get_response("/staff/export.csv").await;
    let bytes = r.bytes().await.unwrap();
    let export = start.elapsed().as_secs_f64();
    println!(
        "  export of all {TICKETS} rows: {:.0} ms, {:.1} MiB ({:.0} rows/s; target < 2 s: {:.2}×)",
        export * 1000.0,
        bytes.len() as f64 / 1_048_576.0,
        TICKETS as f64 / export,
        2.0 / export
    );
    let config = eimza_bot::Config::load(None).unwrap();
    let calendar = config.calendar.calendar();
    // The digest at 09:00 on the next working day (claimed once: this measures the scan).
    let mut day = eimza_bot::clock::istanbul_today(now).succ_opt().unwrap();
    while !calendar.is_working_day(day) {
        day = day.succ_opt().unwrap();
    }
    let nine = eimza_bot::clock::istanbul_day_start(day) + 9 * 3_600_000;
    let start = Instant::now();
    let digest = eimza_bot::jobs::digest_once(&store, &calendar, &config.staff, nine).await.unwrap().expect("a digest");
    println!(
        "  daily digest over {TICKETS} open requests: {:.0} ms ({} waiting on the desk, {} stalled)",
        start.elapsed().as_secs_f64() * 1000.0,
        digest.waiting.len(),
        digest.stalled.len()
    );
    store.close().await;
}
