//! `scripts/bench`: throughput and latency of the renewal conversation on SQLite.
//!
//! 1. in-process: N simulated people each go through a whole renewal as people do it (13
//!    messages: start, consent, the five answers with two mistakes, help, the code mailed to
//!    their address, confirm — which opens the ticket — and a status check) through
//!    `ChatService` and a real SQLite file, every message with its platform update id: the
//!    path of a Discord interaction (replies answered within the request), then of a Telegram
//!    message (each turn's replies also saved with the conversation until the send queue
//!    confirms them, as Telegram lets them out only a second apart);
//! 2. over the JSON API: the same conversations as web chat sessions over real HTTP to the
//!    bot served in this process.
//!
//! Prints messages/s, p50/p99/max latency and the ratio to the targets (≥ 5,000 messages/s
//! in-process with p99 < 20 ms).

use std::sync::Arc;
use std::time::{Duration, Instant};

use eimza_bot::conversation::{Incoming, Input, Settings, Transport};
use eimza_bot::i18n::Texts;
use eimza_bot::service::ChatService;
use eimza_bot::store::Store;
use eimza_bot::vault::Vault;
use eimza_bot::{Application, Config};
use serde_json::json;

use eimza_tests::valid_tckn as tckn;

/// Stands in the script for the code the person reads in their mailbox.
const CODE: &str = "{code}";

fn email_of(n: u64) -> String {
    format!("ayse.{n}@kurum.gov.tr")
}

/// The simulated people's mailboxes: codes read from the outbox without touching the write path
/// (the mail worker's own cost is measured in the mail benchmark).
struct OutboxMailbox {
    store: Store,
    codes: std::sync::Mutex<(i64, std::collections::HashMap<String, String>)>,
}

impl OutboxMailbox {
    async fn code_for(&self, email: &str) -> String {
        loop {
            let after = {
                let mut codes = self.codes.lock().unwrap();
                if let Some(code) = codes.1.remove(email) {
                    return code;
                }
                codes.0
            };
            let queued = self.store.peek_outbox("email", after, 512).await.unwrap();
            let mut codes = self.codes.lock().unwrap();
            for m in queued {
                codes.0 = codes.0.max(m.id);
                if let Some(p) = m.payload {
                    codes.1.insert(p["to"].as_str().unwrap_or_default().to_owned(), p["code"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
    }
}

/// The same for the HTTP run, where the bot's mail worker writes .eml files.
struct FileMailbox {
    dir: std::path::PathBuf,
    seen: std::sync::Mutex<(std::collections::HashSet<std::path::PathBuf>, std::collections::HashMap<String, String>)>,
}

impl FileMailbox {
    async fn code_for(&self, email: &str) -> String {
        loop {
            {
                let mut seen = self.seen.lock().unwrap();
                if let Some(code) = seen.1.remove(email) {
                    return code;
                }
                for entry in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
                    let path = entry.path();
                    if seen.0.contains(&path) {
                        continue;
                    }
                    let Ok(bytes) = std::fs::read(&path) else { continue };
                    let Some(message) = mail_parser::MessageParser::default().parse(&bytes) else { continue };
                    let to = message.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_owned();
                    let text = message.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
                    if let Some(at) = text.find("E-") {
                        seen.1.insert(to, text[at..at + 7].to_owned());
                        seen.0.insert(path);
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

fn script(n: u64) -> Vec<Input> {
    let t = |s: &str| Input::Text(s.to_owned());
    let b = |s: &str| Input::Button(s.to_owned());
    vec![
        t("/basla"),
        b("consent:yes"),
        t("12345678901"), // a mistake: wrong check digits
        t(&tckn(n)),
        t("Ayşe Yılmaz"),
        t("/yardim"),
        b("title:0"),
        t(&format!("ayse.{n}@gmail.com")), // a mistake: not an institution address
        t(&format!("ayse.{n}@kurum.gov.tr")),
        t(CODE),
        t("5 Mart 1980"),
        b("confirm"),
        t("/durum"),
    ]
}

struct Stats {
    latencies: Vec<Duration>,
    elapsed: Duration,
}

impl Stats {
    fn print(&mut self, label: &str, target_rate: Option<f64>, target_p99_ms: Option<f64>) {
        self.latencies.sort();
        let n = self.latencies.len();
        let pct = |p: f64| self.latencies[((n as f64 * p) as usize).min(n - 1)].as_secs_f64() * 1000.0;
        let rate = n as f64 / self.elapsed.as_secs_f64();
        println!("{label}");
        println!("  messages            {n}");
        println!("  elapsed             {:.2} s", self.elapsed.as_secs_f64());
        println!("  throughput          {rate:.0} messages/s");
        println!("  latency p50         {:.2} ms", pct(0.50));
        println!("  latency p99         {:.2} ms", pct(0.99));
        println!("  latency max         {:.2} ms", self.latencies[n - 1].as_secs_f64() * 1000.0);
        if let Some(target) = target_rate {
            println!("  throughput / target {:.2}x (target ≥ {target:.0} messages/s)", rate / target);
        }
        if let Some(target) = target_p99_ms {
            println!("  target p99 / p99    {:.2}x (target < {target:.0} ms)", target / pct(0.99));
        }
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_owned()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

async fn in_process(people: u64, concurrency: u64, transport: Transport) -> Stats {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("bench.db").display());
    let store = Store::connect(&url, Vault::from_master_key(&[3; 32])).await.unwrap();
    store.save_institution("Bench", "{}", 0).await.unwrap();
    let config = Config::defaults_with(&[]).unwrap();
    let settings = Settings {
        institution: config.institution.name.clone(),
        domains: config.institution.email_domains(),
        titles: config.institution.titles.clone(),
        retention_days: 90,
        public_url: "http://127.0.0.1:8080".into(),
        web_form: vec![],
    };
    let mailbox = Arc::new(OutboxMailbox { store: store.clone(), codes: Default::default() });
    let service = Arc::new(ChatService::new(store, Arc::new(Texts::embedded()), settings));
    let start = Instant::now();
    let writer = {
        let service = service.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                service.write_delivered().await.unwrap();
            }
        })
    };
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let service = service.clone();
        let mailbox = mailbox.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = worker;
            while n < people {
                for (i, mut input) in script(n).into_iter().enumerate() {
                    if input == Input::Text(CODE.into()) {
                        input = Input::Text(mailbox.code_for(&email_of(n)).await);
                    }
                    let incoming = Incoming {
                        transport,
                        user_id: format!("user-{n}"),
                        input,
                        lang_hint: None,
                        // as Telegram sends them: every update has its id
                        update_id: Some(format!("{n}-{i}")),
                        can_delete: true,
                    };
                    let t = Instant::now();
                    let handled = service.handle(&incoming).await.expect("handled");
                    latencies.push(t.elapsed());
                    assert!(!handled.replies.is_empty());
                    // Telegram's send queue confirms each turn once its replies have left; the
                    // adapter writes those every second (below).
                    if transport == Transport::Telegram {
                        service.replies_delivered(handled.owed.expect("Telegram replies are owed until sent"));
                    }
                    if i == 11 {
                        assert!(handled.replies[0].text.contains("EIMZA-"), "the ticket opened: {:?}", handled.replies);
                    }
                }
                n += concurrency;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    writer.abort();
    service.write_delivered().await.unwrap();
    let elapsed = start.elapsed();
    assert!(service.owed_replies(Transport::Telegram).await.unwrap().is_empty(), "every turn's replies confirmed");
    Stats { latencies, elapsed }
}

async fn over_http(people: u64, concurrency: u64) -> Stats {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let config = Config::defaults_with(&[
        ("http_addr", "\"127.0.0.1:0\""),
        ("data_dir", &format!("\"{}\"", data.display())),
        ("locales_dir", "\"/nonexistent\""),
        // one client address opens every session here
        ("web.sessions_burst", "1000000"),
        ("web.sessions_per_minute", "1000000"),
    ])
    .unwrap();
    let app = Application::build(config).await.unwrap();
    let mailbox = Arc::new(FileMailbox { dir: data.join("outbox"), seen: Default::default() });
    let base = format!("http://{}", app.local_addr());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency as usize).build().unwrap();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let client = client.clone();
        let base = base.clone();
        let mailbox = mailbox.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = worker;
            while n < people {
                let t = Instant::now();
                let created: serde_json::Value =
                    client.post(format!("{base}/api/webchat/sessions")).send().await.unwrap().json().await.unwrap();
                latencies.push(t.elapsed());
                let session = created["session"].as_str().unwrap().to_owned();
                let token = created["token"].as_str().unwrap().to_owned();
                for input in script(n).into_iter().skip(1) {
                    let input = match input {
                        Input::Text(t) if t == CODE => Input::Text(mailbox.code_for(&email_of(n)).await),
                        other => other,
                    };
                    let body = match input {
                        Input::Text(text) => json!({ "text": text }),
                        Input::Button(id) => json!({ "button": id }),
                        Input::Open | Input::Fields(_) => unreachable!(),
                    };
                    let t = Instant::now();
                    let r = client
                        .post(format!("{base}/api/webchat/sessions/{session}/messages"))
                        .bearer_auth(&token)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    let _: serde_json::Value = r.json().await.unwrap();
                    latencies.push(t.elapsed());
                }
                n += concurrency;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed();
    let _ = stop_tx.send(());
    let _ = server.await;
    Stats { latencies, elapsed }
}

#[tokio::main]
async fn main() {
    let suite = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if suite == "chat" || suite == "all" {
        let (people, concurrency) = (2_000, 32);
        println!("== conversation: {people} people × 13 messages, {concurrency} at a time, SQLite (WAL), {cores} cores");
        for c in [16, concurrency] {
            let mut stats = in_process(people, c, Transport::Discord).await;
            stats.print(&format!("engine + store, in-process (update ids, replies within the request), {c} conversations at a time"), Some(5_000.0), Some(20.0));
        }
        for c in [16, concurrency] {
            let mut stats = in_process(people, c, Transport::Telegram).await;
            stats.print(&format!("the same on the Telegram path (each turn's replies saved until sent), {c} at a time"), Some(5_000.0), Some(20.0));
        }
        let mut stats = over_http(people / 2, concurrency).await;
        stats.print("web chat JSON API over HTTP (transcript kept, encrypted)", None, None);
    }
    if suite == "roster" || suite == "all" {
        roster::run().await;
    }
    if suite == "mail" || suite == "all" {
        roster::outbox_throughput().await;
    }
    if suite == "card" || suite == "all" {
        card::run();
    }
    if suite == "telegram" || suite == "all" {
        telegram::run(1_000, 10).await;
    }
    if suite == "agents" || suite == "all" {
        for n in [1_000, 10_000] {
            agents::run(n).await;
        }
    }
    println!("peak RSS of this process: {:.1} MiB", peak_rss_mib());
}

/// Roster import, reminder scan and outbox delivery.
mod roster {
    use std::time::Instant;

    use chrono::{Days, NaiveDate};
    use eimza_bot::Config;
    use eimza_bot::i18n::Texts;
    use eimza_bot::mail::Mailer;
    use eimza_bot::store::Store;
    use eimza_bot::vault::Vault;

    const OFFSETS: [u32; 6] = [40, 30, 14, 7, 3, 1];

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    /// A roster CSV as Excel in Turkish writes it: `;`, Windows-1254; expiries spread over three years.
    fn csv(from: u64, rows: u64) -> Vec<u8> {
        let mut text = String::from("TC Kimlik No;Ad Soyad;Ünvan;Kurum E-Posta;Sertifika Bitiş Tarihi\r\n");
        for n in from..from + rows {
            let expires = today().checked_add_days(Days::new(n * 7919 % 1095)).unwrap();
            text.push_str(&format!("{};Ayşe Yılmaz;Şube Müdürü;kisi.{n}@kurum.gov.tr;{}\r\n", super::tckn(n), expires.format("%d.%m.%Y")));
        }
        encoding_rs::WINDOWS_1254.encode(&text).0.into_owned()
    }

    async fn import(store: &Store, bytes: &[u8]) -> (usize, f64) {
        let config = Config::defaults_with(&[]).unwrap();
        let start = Instant::now();
        let entries = eimza_bot::roster::parse(bytes, &config.institution.email_domains(), &config.institution.titles).unwrap();
        store.import_roster(&entries, "import", 0).await.unwrap();
        (entries.len(), start.elapsed().as_secs_f64())
    }

    async fn on(label: &str, store: Store) {
        let (rows, secs) = import(&store, &csv(0, 100_000)).await;
        println!("{label}: CSV import of {rows} rows (Windows-1254, parse + validate + encrypt + store): {secs:.2} s, {:.0} rows/s", rows as f64 / secs);
        let mut filled = rows as u64;
        let chunk = 100_000;
        let start = Instant::now();
        while filled < 1_000_000 {
            import(&store, &csv(filled, chunk)).await;
            filled += chunk;
        }
        println!("{label}: roster filled to {} people in {:.1} s", store.roster_count().await.unwrap(), start.elapsed().as_secs_f64());
        let start = Instant::now();
        let queued = store.queue_due_reminders(today(), &OFFSETS, 1).await.unwrap();
        let first = start.elapsed().as_secs_f64();
        println!("{label}: reminder scan over 1,000,000 people, first run: {queued} reminders found and queued in {first:.2} s (target < 2 s: {:.2}x)", 2.0 / first);
        let start = Instant::now();
        let again = store.queue_due_reminders(today(), &OFFSETS, 2).await.unwrap();
        let second = start.elapsed().as_secs_f64();
        println!("{label}: same day again: {again} queued in {second:.2} s (target < 2 s: {:.2}x)", 2.0 / second);
        let start = Instant::now();
        let next = store.queue_due_reminders(today().checked_add_days(Days::new(1)).unwrap(), &OFFSETS, 3).await.unwrap();
        let third = start.elapsed().as_secs_f64();
        println!("{label}: the next day: {next} queued in {third:.2} s (target < 2 s: {:.2}x)", 2.0 / third);
    }

    pub async fn run() {
        println!("== roster and reminders");
        let dir = tempfile::tempdir().unwrap();
        let sqlite = Store::connect(&format!("sqlite:{}", dir.path().join("r.db").display()), Vault::from_master_key(&[8; 32])).await.unwrap();
        on("SQLite", sqlite).await;
        if let Ok(url) = std::env::var("EIMZA_TEST_PG_URL") {
            let name = format!("bench_{}", rand::random::<u32>());
            let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.unwrap();
            sqlx::Executor::execute(&mut admin, sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
            let db = format!("{}/{name}", url.rsplit_once('/').unwrap().0);
            on("PostgreSQL", Store::connect(&db, Vault::from_master_key(&[8; 32])).await.unwrap()).await;
        }
    }

    /// Reminders delivered to the SMTP sink scripts/bench started.
    pub async fn outbox_throughput() {
        println!("== e-mail outbox");
        let Ok(port) = std::env::var("EIMZA_TEST_SMTP_PORT") else {
            println!("no SMTP sink (run scripts/bench)");
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite:{}", dir.path().join("m.db").display()), Vault::from_master_key(&[8; 32])).await.unwrap();
        import(&store, &csv(0, 20_000)).await;
        let queued = store.queue_due_reminders(today(), &OFFSETS, 1).await.unwrap();
        let config = Config::defaults_with(&[
            ("mail.transport", "\"smtp\""),
            ("mail.smtp.host", "\"127.0.0.1\""),
            ("mail.smtp.port", &port),
            ("mail.smtp.security", "\"none\""),
        ])
        .unwrap();
        let mailer = Mailer::new(store, std::sync::Arc::new(Texts::embedded()), &config).unwrap();
        let start = Instant::now();
        let sent = mailer.deliver_due().await.unwrap();
        let secs = start.elapsed().as_secs_f64();
        println!("outbox → SMTP sink (aiosmtpd on loopback): {sent} of {queued} reminders delivered in {secs:.2} s, {:.0} messages/s", sent as f64 / secs);
    }
}

/// The agent's card pre-flight on the virtual AKİS card through the real pcscd + vpcd, its idle
/// memory while watching readers, and the size of its release binary.
mod card {
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use chrono::Utc;
    use eimza_agent::card::cert::issuers_or_default;
    use eimza_agent::card::preflight::{self, BackendChoice, Options};
    use eimza_protocol::Tckn;
    use eimza_tests::pki::{self, CertSpec, PublicKey};
    use eimza_tests::vcard::{self, CardState, Reader, VirtualCard};

    fn percentile(sorted: &[f64], p: f64) -> f64 {
        sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
    }

    fn report(label: &str, mut ms: Vec<f64>, target_ms: f64) {
        ms.sort_by(f64::total_cmp);
        let (p50, p99) = (percentile(&ms, 0.50), percentile(&ms, 0.99));
        println!("{label}: {} runs, p50 {p50:.1} ms, p99 {p99:.1} ms, max {:.1} ms (target p99 < {target_ms:.0} ms: {:.1}x)", ms.len(), ms[ms.len() - 1], target_ms / p99);
    }

    fn agent_binary() -> std::path::PathBuf {
        let exe = std::env::current_exe().unwrap();
        exe.parent().unwrap().join("eimza-agent")
    }

    /// VmRSS of a process, in MiB.
    fn rss_mib(pid: u32) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0
    }

    pub fn run() {
        println!("== agent card layer (virtual AKİS card on pcscd + vpcd)");
        if std::env::var("EIMZA_TEST_VPCD").is_err() {
            println!("no virtual readers (run scripts/bench, which starts pcscd)");
            return;
        }
        let tckn = eimza_tests::valid_tckn(4242);
        let key = pki::rsa_key().clone();
        let der = CertSpec::kamu_sm("AYŞE IŞIK", &tckn, 40).der(&PublicKey::rsa(&key));
        let reader = Reader::acquire();
        let _card = VirtualCard::insert(&reader, std::sync::Arc::new(std::sync::Mutex::new(CardState::new(vcard::ATR_TC, der, key))));
        let options = Options {
            reader: Some(reader.name().to_owned()),
            backend: BackendChoice::Apdu,
            pkcs11_module: None,
            expected_tckn: Some(Tckn::parse(&tckn).unwrap()),
            issuers: issuers_or_default(&[]),
            now: Utc::now(),
        };
        let mut ms = Vec::new();
        for _ in 0..100 {
            let start = Instant::now();
            let (d, card) = preflight::run(&options);
            assert!(d.usable && card.is_some(), "{d:?}");
            drop(card);
            ms.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        report("pre-flight in the agent (find reader + card, ATR, read certificate, check it, read PIN tries)", ms, 500.0);

        let binary = agent_binary();
        let mut ms = Vec::new();
        for _ in 0..50 {
            let start = Instant::now();
            let out = Command::new(&binary).args(["kart", "--json", "--okuyucu", reader.name(), "--tckn", &tckn]).output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
            ms.push(start.elapsed().as_secs_f64() * 1000.0);
        }
        report("`eimza-agent kart --json` as a process (start-up included)", ms, 500.0);

        let mut watcher = Command::new(&binary).args(["kart", "--izle"]).stdout(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_secs(3));
        let idle = rss_mib(watcher.id());
        let _ = watcher.kill();
        let _ = watcher.wait();
        println!("agent idle RSS while watching readers and cards (`eimza-agent kart --izle`): {idle:.1} MiB (target < 20 MB: {:.1}x)", 20.0 / idle);
        let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0) as f64 / (1024.0 * 1024.0);
        println!("release binary size of eimza-agent: {size:.1} MiB");
    }
}

/// N agents connected to one real bot (release binary): its memory, one work item broadcast to
/// all, and the reconnect storm after a kill -9 and restart.
mod agents {
    use std::process::{Child, Command, Stdio};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    use eimza_bot::store::Store;
    use eimza_bot::vault::Vault;
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;

    const KEY: [u8; 32] = [5; 32];

    fn bot_binary() -> std::path::PathBuf {
        std::env::current_exe().unwrap().parent().unwrap().join("eimza-bot")
    }

    fn start_bot(dir: &std::path::Path, port: u16) -> Child {
        use base64::Engine as _;
        Command::new(bot_binary())
            .env("EIMZA_DATA_DIR", dir)
            .env("EIMZA_DATABASE_URL", format!("sqlite:{}", dir.join("eimza.db").display()))
            .env("EIMZA_DATA_KEY", base64::engine::general_purpose::STANDARD.encode(KEY))
            .env("EIMZA_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", std::env::var("EIMZA_BENCH_BOT_LOG").unwrap_or_else(|_| "error".into()))
            .env("EIMZA_AGENTS__OFFLINE_NOTICE_SECS", "3600")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var("EIMZA_BENCH_BOT_LOG").is_ok() { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .unwrap()
    }

    async fn wait_healthy(port: u16) {
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if client.get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_ok_and(|r| r.status().is_success()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the bot did not start");
    }

    fn rss_mib(pid: u32) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        status.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok()).unwrap_or(0.0) / 1024.0
    }

    struct Counters {
        welcomed: AtomicUsize,
        work: AtomicUsize,
    }

    /// One simulated agent: connects, says hello, acknowledges work, heartbeats, reconnects with
    /// the real agent's backoff.
    async fn agent(port: u16, token: String, counters: Arc<Counters>, gate: Arc<tokio::sync::Semaphore>) {
        let mut attempt = 0;
        loop {
            // The permit covers only the handshake.
            let mut permit = Some(gate.acquire().await.unwrap());
            let mut request = format!("ws://127.0.0.1:{port}/api/agent/ws").into_client_request().unwrap();
            request.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
            let connected = tokio_tungstenite::connect_async(request).await;
            if let Err(e) = &connected {
                if std::env::var("EIMZA_BENCH_BOT_LOG").is_ok() {
                    eprintln!("connect: {e}");
                }
            }
            let Ok((ws, _)) = connected else {
                drop(permit);
                tokio::time::sleep(eimza_agent::link::run::backoff(attempt)).await;
                attempt += 1;
                continue;
            };
            let (mut out, mut inp) = ws.split();
            let _ = out.send(Message::text(r#"{"type":"hello","protocol":1,"agent_version":"bench"}"#)).await;
            let mut heartbeat = tokio::time::interval(Duration::from_secs(20));
            heartbeat.tick().await;
            loop {
                tokio::select! {
                    _ = heartbeat.tick() => {
                        if out.send(Message::text(r#"{"type":"heartbeat","seq":1}"#)).await.is_err() { break; }
                    }
                    frame = inp.next() => {
                        let Some(Ok(Message::Text(text))) = frame else { break };
                        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
                        match v["type"].as_str() {
                            Some("welcome") => {
                                permit.take();
                                attempt = 0;
                                counters.welcomed.fetch_add(1, Ordering::Relaxed);
                            }
                            Some("work") => {
                                counters.work.fetch_add(1, Ordering::Relaxed);
                                let ack = format!(r#"{{"type":"ack","work_id":"{}"}}"#, v["work_id"].as_str().unwrap_or(""));
                                if out.send(Message::text(ack)).await.is_err() { break; }
                            }
                            _ => {}
                        }
                    }
                }
            }
            drop(permit);
            tokio::time::sleep(eimza_agent::link::run::backoff(attempt)).await;
            attempt += 1;
        }
    }

    async fn wait_until(counter: &AtomicUsize, target: usize, limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        while counter.load(Ordering::Relaxed) < target {
            if start.elapsed() > limit {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Some(start.elapsed())
    }

    pub async fn run(n: usize) {
        run_agents(n).await
    }

    pub fn start_bot_with(dir: &std::path::Path, port: u16, env: &[(&str, String)]) -> Child {
        use base64::Engine as _;
        let mut cmd = Command::new(bot_binary());
        cmd.env("EIMZA_DATA_DIR", dir)
            .env("EIMZA_DATABASE_URL", format!("sqlite:{}", dir.join("eimza.db").display()))
            .env("EIMZA_DATA_KEY", base64::engine::general_purpose::STANDARD.encode(KEY))
            .env("EIMZA_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", std::env::var("EIMZA_BENCH_BOT_LOG").unwrap_or_else(|_| "error".into()))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(if std::env::var("EIMZA_BENCH_BOT_LOG").is_ok() { Stdio::inherit() } else { Stdio::null() });
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.spawn().unwrap()
    }

    pub async fn healthy(port: u16) {
        wait_healthy(port).await
    }

    pub fn rss(pid: u32) -> f64 {
        rss_mib(pid)
    }

    async fn run_agents(n: usize) {
        println!("== {n} agents on one bot (SQLite, release binary, WebSocket over loopback)");
        let dir = tempfile::tempdir().unwrap();
        let store = Store::connect(&format!("sqlite:{}", dir.path().join("eimza.db").display()), Vault::from_master_key(&KEY)).await.unwrap();
        // The agents' tokens, made the real way: code issued, claimed, approved.
        let now = eimza_bot::clock::now_ms();
        let person = store.person("bench", "agents", now).await.unwrap();
        let mut tokens = Vec::with_capacity(n);
        let mut agent_ids = Vec::with_capacity(n);
        let start = Instant::now();
        for i in 0..n {
            let code = format!("CODE{i:06}");
            let mut tx = store.begin().await.unwrap();
            tx.issue_pairing_code(person, &code, now, 3_600_000).await.unwrap();
            tx.commit().await.unwrap();
            let eimza_bot::store::Claim::Claimed { request_id, .. } =
                store.claim_pairing_code(&code, "bench", "PC", "Linux", &format!("p-{i}"), "poll", now).await.unwrap()
            else {
                panic!("claim")
            };
            let token = eimza_bot::service::random_secret();
            let id = format!("a-{i}");
            let mut tx = store.begin().await.unwrap();
            tx.decide_pairing(person, &request_id, true, &id, &token, now, 3_600_000).await.unwrap();
            tx.commit().await.unwrap();
            tokens.push(token);
            agent_ids.push(id);
        }
        println!("{n} agents paired in {:.1} s", start.elapsed().as_secs_f64());
        // One more, for a real `eimza-agent calis` whose memory we read.
        let real_agent_token = {
            let code = "CODE-REAL";
            let mut tx = store.begin().await.unwrap();
            tx.issue_pairing_code(person, code, now, 3_600_000).await.unwrap();
            tx.commit().await.unwrap();
            let eimza_bot::store::Claim::Claimed { request_id, .. } =
                store.claim_pairing_code(code, "bench", "PC", "Linux", "p-real", "poll", now).await.unwrap()
            else {
                panic!("claim")
            };
            let token = eimza_bot::service::random_secret();
            let mut tx = store.begin().await.unwrap();
            tx.decide_pairing(person, &request_id, true, "a-real", &token, now, 3_600_000).await.unwrap();
            tx.commit().await.unwrap();
            token
        };

        let port = eimza_tests::free_port();
        let mut bot = start_bot(dir.path(), port);
        wait_healthy(port).await;
        let idle = rss_mib(bot.id());
        let counters = Arc::new(Counters { welcomed: AtomicUsize::new(0), work: AtomicUsize::new(0) });
        // At most 256 handshakes in flight, as a real fleet's connects are spread out anyway.
        let gate = Arc::new(tokio::sync::Semaphore::new(256));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for token in tokens {
            tasks.push(tokio::spawn(agent(port, token, counters.clone(), gate.clone())));
        }
        let connected = loop {
            let w = counters.welcomed.load(Ordering::Relaxed);
            if w >= n {
                break start.elapsed();
            }
            if start.elapsed() > Duration::from_secs(300) {
                println!("only {w} of {n} connected in 300 s");
                break start.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        println!("{n} agents connected in {:.1} s", connected.as_secs_f64());
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss = rss_mib(bot.id());
        println!(
            "bot RSS with {n} agents connected: {rss:.1} MiB ({:.1} MiB idle before, {:.1} KiB per agent){}",
            idle,
            (rss - idle) * 1024.0 / n as f64,
            if n == 10_000 { format!(" (target < 300 MB: {:.1}x)", 300.0 / rss) } else { String::new() }
        );

        // Broadcast: one card-step item for every agent, queued in one transaction.
        let start = Instant::now();
        let mut tx = store.begin().await.unwrap();
        for (i, id) in agent_ids.iter().enumerate() {
            tx.queue_work(&format!("w-{i}"), id, None, r#"{"kind":"card-step","ticket_no":"EIMZA-2026-000001","nonce":"bench"}"#, eimza_bot::clock::now_ms()).await.unwrap();
        }
        tx.commit().await.unwrap();
        let queued = start.elapsed();
        match wait_until(&counters.work, n, Duration::from_secs(120)).await {
            Some(t) => println!("broadcast of one work item to all {n}: queued in {:.2} s, received by all {:.2} s later", queued.as_secs_f64(), t.as_secs_f64()),
            None => println!("broadcast: only {} of {n} received in 120 s", counters.work.load(Ordering::Relaxed)),
        }

        // Reconnect storm: kill -9, start again, every agent comes back on its own backoff.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let _ = bot.kill();
        let _ = bot.wait();
        counters.welcomed.store(0, Ordering::Relaxed);
        let start = Instant::now();
        let mut bot = start_bot(dir.path(), port);
        wait_healthy(port).await;
        match wait_until(&counters.welcomed, n, Duration::from_secs(120)).await {
            Some(_) => {
                let t = start.elapsed().as_secs_f64();
                println!("reconnect storm after kill -9 and restart: all {n} back in {t:.1} s (target < 60 s: {:.1}x)", 60.0 / t);
            }
            None => println!("reconnect storm: only {} of {n} back in 120 s", counters.welcomed.load(Ordering::Relaxed)),
        }
        println!("bot RSS after the storm: {:.1} MiB", rss_mib(bot.id()));
        if n == 1_000 {
            // The real agent, paired and connected, watching for work: its idle memory.
            let home = tempfile::tempdir().unwrap();
            let pairing = serde_json::json!({
                "server": format!("http://127.0.0.1:{port}"), "agent_id": "a-real", "token": real_agent_token,
                "paired_at": chrono::Utc::now().to_rfc3339(),
            });
            std::fs::write(home.path().join("pairing.json"), pairing.to_string()).unwrap();
            let agent_bin = std::env::current_exe().unwrap().parent().unwrap().join("eimza-agent");
            let mut agent = Command::new(agent_bin)
                .arg("calis")
                .env("EIMZA_AGENT_HOME", home.path())
                .env("EIMZA_AGENT_NOTIFY_FILE", home.path().join("n.txt"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            tokio::time::sleep(Duration::from_secs(3)).await;
            let log = std::fs::read_to_string(home.path().join("agent.log")).unwrap_or_default();
            println!(
                "agent idle RSS (`eimza-agent calis`, paired, {}): {:.1} MiB (target < 20 MB: {:.1}x)",
                if log.contains(" connected") { "connected" } else { "NOT connected" },
                rss_mib(agent.id()),
                20.0 / rss_mib(agent.id()).max(0.1)
            );
            let _ = agent.kill();
            let _ = agent.wait();
        }
        for t in tasks {
            t.abort();
        }
        let _ = bot.kill();
        let _ = bot.wait();
    }
}

/// A burst of Telegram updates through the Bot API stand-in: how fast the bot takes them in,
/// whether every reply arrives exactly once and in order, and whether the outgoing rate kept
/// Telegram's limits (30 messages/s overall, 1/s and 20/min per chat).
mod telegram {
    use std::time::{Duration, Instant};

    use eimza_tests::telegram::{BotApi, Sent};

    /// Each message has exactly one reply at the idle step: help, status, the hint.
    const SCRIPT: [(&str, &str); 3] = [("/yardim", "Kullanabileceğiniz komutlar"), ("/durum", "Kayıtlı bir başvurunuz yok"), ("merhaba", "Size nasıl yardımcı olabilirim")];

    /// The most messages inside any window of `window` (timestamps sorted).
    fn max_in_window(times: &[Instant], window: Duration) -> usize {
        let mut best = 0;
        let mut start = 0;
        for end in 0..times.len() {
            while times[end].duration_since(times[start]) >= window {
                start += 1;
            }
            best = best.max(end - start + 1);
        }
        best
    }

    pub async fn run(chats: i64, per_chat: usize) {
        let total = chats as usize * per_chat;
        println!("== Telegram: {total} updates from {chats} chats through the Bot API stand-in (release bot, SQLite)");
        let api = BotApi::start().await;
        let dir = tempfile::tempdir().unwrap();
        let port = eimza_tests::free_port();
        let mut env = api.bot_env();
        env.push(("EIMZA_TELEGRAM__POLL_TIMEOUT_SECS", "1".into()));
        let mut bot = super::agents::start_bot_with(dir.path(), port, &env);
        super::agents::healthy(port).await;
        api.wait_polling().await;

        let start = Instant::now();
        for i in 0..per_chat {
            for chat in 0..chats {
                api.text(1_000_000 + chat, SCRIPT[i % SCRIPT.len()].0);
            }
        }
        let mut peak_rss: f64 = 0.0;
        while api.unconfirmed() > 0 {
            peak_rss = peak_rss.max(super::agents::rss(bot.id()));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let taken = start.elapsed();
        println!(
            "  taken in and stored: {total} updates in {:.2} s = {:.0} updates/s (confirmed to Telegram by the next offset)",
            taken.as_secs_f64(),
            total as f64 / taken.as_secs_f64()
        );
        let deadline = Instant::now() + Duration::from_secs(total as u64 / 20 + 120);
        loop {
            let sent = api.sent().len();
            peak_rss = peak_rss.max(super::agents::rss(bot.id()));
            if sent >= total || Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        tokio::time::sleep(Duration::from_secs(3)).await; // anything extra would show now
        let delivered = start.elapsed();
        let sent: Vec<Sent> = api.sent();
        let mut lost = 0;
        let mut duplicated = 0;
        let mut misordered = 0;
        let mut worst_chat_second = 0;
        let mut worst_chat_minute = 0;
        for chat in 0..chats {
            let got: Vec<&Sent> = sent.iter().filter(|s| s.chat_id == 1_000_000 + chat).collect();
            lost += per_chat.saturating_sub(got.len());
            duplicated += got.len().saturating_sub(per_chat);
            for (i, s) in got.iter().enumerate() {
                if !s.text.contains(SCRIPT[i % SCRIPT.len()].1) {
                    misordered += 1;
                }
            }
            let times: Vec<Instant> = got.iter().map(|s| s.at).collect();
            worst_chat_second = worst_chat_second.max(max_in_window(&times, Duration::from_millis(1000)));
            worst_chat_minute = worst_chat_minute.max(max_in_window(&times, Duration::from_secs(60)));
        }
        let mut all: Vec<Instant> = sent.iter().map(|s| s.at).collect();
        all.sort();
        let overall_second = max_in_window(&all, Duration::from_millis(1000));
        let send_rate = sent.len() as f64 / delivered.as_secs_f64();
        println!("  replies: {} of {total} delivered in {:.1} s ({send_rate:.1} messages/s)", sent.len(), delivered.as_secs_f64());
        println!("  lost {lost}, duplicated {duplicated}, out of order {misordered}");
        println!(
            "  busiest second overall: {overall_second} messages (limit 30, ratio {:.2}); busiest chat: {worst_chat_second} in a second (limit 1), {worst_chat_minute} in a minute (limit 20)",
            overall_second as f64 / 30.0
        );
        println!("  bot RSS peak {peak_rss:.1} MiB");
        let _ = bot.kill();
        let _ = bot.wait();
    }
}
