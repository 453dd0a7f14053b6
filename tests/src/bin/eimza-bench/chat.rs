//! `scripts/bench chat`: throughput and latency of the renewal conversation on SQLite.
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

use eimza_bot::agents::Links;
use eimza_bot::core::conversation::{Incoming, Input, Settings, Transport};
use eimza_bot::core::outbound::{Channel, Mail, Outbound};
use eimza_bot::i18n::Texts;
use eimza_bot::metrics::TurnHolder;
use eimza_bot::service::{ChatService, ReplyMode};
use eimza_bot::store::{OwedTurn, Store, Unsent};
use eimza_bot::telegram::Ledger;
use eimza_bot::vault::Vault;
use eimza_bot::{Application, Config};
use serde_json::json;

pub use eimza_tests::valid_tckn as tckn;

/// Stands in the script for the code the person reads in their mailbox.
const CODE: &str = "{code}";

fn email_of(n: u64) -> String {
    format!("ayse.{n}@kurum.gov.tr")
}

/// The simulated people's mailboxes: codes read from the outbox without touching the write path
/// (the mail worker's own cost is measured in the mail benchmark). One look at a time: people
/// waiting together would otherwise each read and decrypt the same new e-mails, on the cores
/// the bot under measurement runs on; who waited for a look finds their code in what it read.
struct OutboxMailbox {
    store: Store,
    /// The last outbox id read, and the codes read but not yet taken, by address.
    codes: std::sync::Mutex<(i64, std::collections::HashMap<String, String>)>,
    /// Held by the one looking.
    looking: tokio::sync::Mutex<()>,
}

impl OutboxMailbox {
    fn new(store: Store) -> OutboxMailbox {
        OutboxMailbox { store, codes: Default::default(), looking: Default::default() }
    }

    /// The code sent to `email`. Its e-mail is queued with the reply that said so, so the first
    /// look finds it; a look that finds nothing new pauses before the next (a code that never
    /// comes fails the bench after 30 s rather than spinning).
    async fn code_for(&self, email: &str) -> String {
        let give_up = Instant::now() + Duration::from_secs(30);
        loop {
            let looking = self.looking.lock().await;
            let after = {
                let mut codes = self.codes.lock().unwrap();
                if let Some(code) = codes.1.remove(email) {
                    return code;
                }
                codes.0
            };
            let queued = self.store.peek_outbox(Channel::Email, after, 512).await.unwrap();
            let found = !queued.is_empty();
            {
                let mut codes = self.codes.lock().unwrap();
                for m in queued {
                    codes.0 = codes.0.max(m.id);
                    if let Ok(Outbound::Email(Mail::EmailCode { to, code, .. })) = m.message {
                        codes.1.insert(to, code);
                    }
                }
            }
            drop(looking);
            if !found {
                assert!(Instant::now() < give_up, "no code e-mail to {email} in 30 s");
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }
}

/// The same for the HTTP run, where the bot's mail worker writes .eml files. Each is taken out
/// of the folder once read, as a mail client would, so a look stays as cheap at the thousandth
/// person as at the first; one look at a time, off the runtime's threads (the bot under
/// measurement runs on them).
struct FileMailbox {
    dir: std::path::PathBuf,
    codes: Arc<std::sync::Mutex<std::collections::HashMap<String, String>>>,
    looking: Arc<std::sync::atomic::AtomicBool>,
}

impl FileMailbox {
    fn new(dir: std::path::PathBuf) -> FileMailbox {
        FileMailbox { dir, codes: Default::default(), looking: Default::default() }
    }

    /// A look as soon as nobody else looks, but not two in a row without a pause: a look that
    /// found nothing new would otherwise start the next at once, and a mail client spinning on
    /// the folder takes the cores the bot under measurement runs on.
    async fn code_for(&self, email: &str) -> String {
        use std::sync::atomic::Ordering::SeqCst;
        let mut looked = false;
        loop {
            if let Some(code) = self.codes.lock().unwrap().remove(email) {
                return code;
            }
            if !looked && !self.looking.swap(true, SeqCst) {
                let (dir, codes, looking) = (self.dir.clone(), self.codes.clone(), self.looking.clone());
                let _ = tokio::task::spawn_blocking(move || {
                    look(&dir, &codes);
                    looking.store(false, SeqCst);
                })
                .await;
                looked = true;
                continue;
            }
            looked = false;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Reads the codes of the e-mails in `dir` into `codes`, taking out what it read.
fn look(dir: &std::path::Path, codes: &std::sync::Mutex<std::collections::HashMap<String, String>>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let Ok(bytes) = std::fs::read(&path) else { continue };
        let Some(message) = mail_parser::MessageParser::default().parse(&bytes) else { continue };
        let to = message.to().and_then(|a| a.first()).and_then(|a| a.address()).unwrap_or_default().to_owned();
        let text = message.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
        // The mail worker writes a file in place: one to a person without its code yet is read
        // again at the next look. The desk's notices are not needed.
        match text.find("E-") {
            Some(at) => {
                codes.lock().unwrap().insert(to, text[at..at + 7].to_owned());
            }
            None if to.starts_with("ayse.") || to.is_empty() => continue,
            None => {}
        }
        let _ = std::fs::remove_file(&path);
    }
}

fn script(n: u64) -> Vec<Input> {
    let t = |s: &str| Input::Text(s.to_owned());
    let b = Input::button;
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

pub struct Stats {
    latencies: Vec<Duration>,
    elapsed: Duration,
    /// CPU this process spent in the run, all threads (the bench's simulated people, or its
    /// HTTP client, included): steadier than throughput between runs, for comparisons.
    cpu: Duration,
    /// What the run wrote, for the raw-SQLite anchor.
    pub writes: Writes,
    /// Raw SQLite's messages a second with a commit per message, once measured.
    alone: Option<f64>,
    /// Every round's share of raw SQLite, and which is this one ([`median_round`]).
    rounds: Option<(Vec<f64>, usize)>,
    /// What the run's turn to write did (the bot's own metrics, counted over the run).
    write_side: WriteSide,
    /// How long a person waited for their code e-mail, on average: a step of the script but not
    /// a message (not in `latencies`), and their slot idles meanwhile.
    code_wait: Duration,
}

/// The simulated people's waits for their code e-mails, in all (microseconds).
#[derive(Clone, Default)]
struct CodeWaits(Arc<std::sync::atomic::AtomicU64>);

impl CodeWaits {
    async fn timed<T>(&self, wait: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let done = wait.await;
        let waited = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.0.fetch_add(waited, std::sync::atomic::Ordering::Relaxed);
        done
    }

    fn per_person(&self, people: u64) -> Duration {
        Duration::from_micros(self.0.load(std::sync::atomic::Ordering::Relaxed) / people.max(1))
    }
}

/// The bot's write-side metrics (SQLite): the turn to write (its holders one at a time, so
/// its share of the run bounds throughput) and the write transactions' scripts.
#[derive(Clone, Copy, Debug, Default)]
struct WriteSide {
    /// By holder, in `TurnHolder::ALL`'s order.
    held_seconds: [f64; TurnHolder::ALL.len()],
    holds: [f64; TurnHolder::ALL.len()],
    script_seconds: f64,
    scripts: f64,
    /// The writer's COMMITs, and the holders they made durable (group commit).
    commits: f64,
    committed_holders: f64,
}

impl WriteSide {
    /// The totals so far, read from the bot's metrics registry.
    fn now() -> WriteSide {
        let text = eimza_bot::metrics::METRICS.render();
        // `name value`, or `name{labels} value` for a holder's.
        let value = |name: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.strip_prefix(' ')))
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let holder = |name: &str, h: TurnHolder| value(&format!("{name}{{holder=\"{}\"}}", h.label()));
        WriteSide {
            held_seconds: TurnHolder::ALL.map(|h| holder("eimza_store_write_turn_seconds_sum", h)),
            holds: TurnHolder::ALL.map(|h| holder("eimza_store_write_turn_seconds_count", h)),
            script_seconds: value("eimza_store_write_script_seconds_sum"),
            scripts: value("eimza_store_write_script_seconds_count"),
            commits: value("eimza_store_commit_holders_count"),
            committed_holders: value("eimza_store_commit_holders_sum"),
        }
    }

    /// What happened between `before` and now.
    fn since(before: WriteSide) -> WriteSide {
        let now = WriteSide::now();
        WriteSide {
            held_seconds: std::array::from_fn(|i| now.held_seconds[i] - before.held_seconds[i]),
            holds: std::array::from_fn(|i| now.holds[i] - before.holds[i]),
            script_seconds: now.script_seconds - before.script_seconds,
            scripts: now.scripts - before.scripts,
            commits: now.commits - before.commits,
            committed_holders: now.committed_holders - before.committed_holders,
        }
    }
}

/// Rows the conversations wrote per message, counted in the database after the run: every
/// message saves its conversation (one row written), and whatever else they stored (people,
/// tickets and their history, outbox rows, transcript lines…) is a row of another table.
#[derive(Clone, Copy, Debug, Default)]
pub struct Writes {
    pub per_message: f64,
    /// The average stored conversation, in bytes.
    pub conversation_bytes: usize,
    /// The Telegram path: the replies each save also carries until they are sent (sealed, in
    /// bytes, on average), and how often per message a conversation row is written again to
    /// forget them once sent. Neither is left in the database at the end of the run.
    pub unsent_bytes: usize,
    pub clears_per_message: f64,
}

impl Writes {
    fn count(db: &std::path::Path, messages: usize) -> Writes {
        let conn = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
        let tables: Vec<String> = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut other = 0i64;
        for table in tables.iter().filter(|t| *t != "conversations") {
            // Table names come from the database's own catalogue.
            other += conn.query_row(&format!("SELECT COUNT(*) FROM \"{table}\""), [], |row| row.get::<_, i64>(0)).unwrap();
        }
        let conversation_bytes: f64 = conn
            .query_row("SELECT COALESCE(AVG(LENGTH(state_enc) + COALESCE(LENGTH(unsent_enc), 0)), 0) FROM conversations", [], |row| {
                row.get(0)
            })
            .unwrap();
        Writes {
            per_message: (messages as f64 + other as f64) / messages as f64,
            conversation_bytes: conversation_bytes as usize,
            ..Writes::default()
        }
    }

    /// With what the Telegram path wrote and the database no longer shows: the replies saved with
    /// each turn until sent, and the rows written again once they were.
    fn with_owed(self, owed: &OwedWrites, messages: usize) -> Writes {
        Writes {
            per_message: self.per_message + owed.cleared as f64 / messages as f64,
            unsent_bytes: owed.sealed_bytes.checked_div(owed.sealed).unwrap_or(0),
            clears_per_message: owed.cleared as f64 / messages as f64,
            ..self
        }
    }
}

/// What the Telegram path wrote for the replies it owed: their sealed size, measured on each
/// worker's first person (every person follows the same script), and the conversations the
/// ledger cleared once the replies were sent.
#[derive(Debug, Default)]
struct OwedWrites {
    sealed: usize,
    sealed_bytes: usize,
    cleared: u64,
}

/// The size of one turn's replies as the store seals them with the conversation (purpose and
/// key do not change it).
fn sealed_size(vault: &Vault, version: i64, replies: &[eimza_bot::core::outbound::Rendered]) -> usize {
    let unsent = Unsent { turns: vec![OwedTurn { version, replies: replies.to_vec() }] };
    vault.encrypt("bench", &serde_json::to_vec(&unsent).unwrap()).len()
}

/// The machine's limit for the same writes: raw SQLite (rusqlite, one thread, no engine) on the
/// same file system with the bot's settings, `messages` messages each writing `writes` rows — a
/// conversation row of the same size updated under the same version check, the rest inserted
/// rows — `per_commit` messages to a transaction (1: a commit per message, as a turn alone).
/// Returns messages per second.
pub fn raw_sqlite(messages: usize, writes: Writes, per_commit: usize) -> f64 {
    let dir = tempfile::tempdir().unwrap();
    let mut conn = rusqlite::Connection::open(dir.path().join("raw.db")).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA secure_delete = ON;
         PRAGMA wal_autocheckpoint = 20000; PRAGMA mmap_size = 268435456; PRAGMA cache_size = -65536;
         CREATE TABLE conversations (person_id INTEGER PRIMARY KEY, version BIGINT NOT NULL, state_enc BLOB NOT NULL,
                                     updated_at BIGINT NOT NULL, unsent_enc BLOB);
         CREATE TABLE other_rows (id INTEGER PRIMARY KEY AUTOINCREMENT, person_id BIGINT NOT NULL, at BIGINT NOT NULL,
                                  body BLOB NOT NULL);",
    )
    .unwrap();
    const PEOPLE: usize = 2_000;
    let mut blob = vec![0u8; writes.conversation_bytes.max(16)];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut blob);
    {
        let tx = conn.transaction().unwrap();
        for person in 0..PEOPLE {
            tx.execute("INSERT INTO conversations VALUES (?1, 1, ?2, 0, NULL)", rusqlite::params![person as i64, blob]).unwrap();
        }
        tx.commit().unwrap();
    }
    // The replies a save carries until sent (Telegram), written with it, and forgotten later by
    // writing the row again; here in the same transaction, which is cheaper than the bot's own
    // (one a second for every conversation sent since).
    let unsent = (writes.unsent_bytes > 0).then(|| {
        let mut unsent = vec![0u8; writes.unsent_bytes];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut unsent);
        unsent
    });
    let mut versions = vec![1i64; PEOPLE];
    let (mut extra, mut clears) = (0.0, 0.0);
    let start = Instant::now();
    let mut done = 0;
    while done < messages {
        let tx = conn.transaction().unwrap();
        for n in done..(done + per_commit).min(messages) {
            let person = n % PEOPLE;
            blob[..8].copy_from_slice(&(n as u64).to_le_bytes()); // encrypted data differs each save
            let changed = tx
                .prepare_cached(
                    "UPDATE conversations SET version = version + 1, state_enc = ?2, updated_at = ?3, unsent_enc = ?5
                     WHERE person_id = ?1 AND version = ?4",
                )
                .unwrap()
                .execute(rusqlite::params![person as i64, blob, n as i64, versions[person], unsent])
                .unwrap();
            assert_eq!(changed, 1);
            versions[person] += 1;
            clears += writes.clears_per_message;
            while clears >= 1.0 {
                tx.prepare_cached("UPDATE conversations SET unsent_enc = NULL WHERE person_id = ?1 AND unsent_enc IS NOT NULL")
                    .unwrap()
                    .execute([person as i64])
                    .unwrap();
                clears -= 1.0;
            }
            extra += writes.per_message - 1.0 - writes.clears_per_message;
            while extra >= 1.0 {
                tx.prepare_cached("INSERT INTO other_rows (person_id, at, body) VALUES (?1, ?2, ?3)")
                    .unwrap()
                    .execute(rusqlite::params![person as i64, n as i64, &blob[..blob.len().min(200)]])
                    .unwrap();
                extra -= 1.0;
            }
        }
        tx.commit().unwrap();
        done = (done + per_commit).min(messages);
    }
    messages as f64 / start.elapsed().as_secs_f64()
}

/// Rounds of the discord, telegram and http parts of `chat` (`BENCH_ROUNDS`, 3 unless set): the
/// round whose share of raw SQLite is the median (the upper middle one for an even number) is
/// printed in full, and every round's share beside it, in the order they ran. Why: a part runs
/// for about a second on a shared 2-core host, and one round's share moved by ±0.05 from run to
/// run of the same binary; the median of paired rounds (each with its own anchor, right after
/// it) is a steadier figure than any one of them, and no round is hidden.
pub fn rounds() -> usize {
    std::env::var("BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).filter(|r| *r > 0).unwrap_or(3)
}

/// Runs `run` [`rounds`] times, each round with its raw-SQLite anchor (a commit per message),
/// and gives the median round (by that share), which knows every round's share.
pub async fn median_round<F, Fut>(mut run: F) -> Stats
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Stats>,
{
    let mut done = Vec::new();
    for _ in 0..rounds() {
        let mut stats = run().await;
        stats.alone(); // its anchor, right after it
        done.push(stats);
    }
    let shares: Vec<f64> = done.iter_mut().map(Stats::share).collect();
    let mut order: Vec<usize> = (0..done.len()).collect();
    order.sort_by(|a, b| shares[*a].total_cmp(&shares[*b]));
    let median = order[order.len() / 2];
    let mut chosen = done.swap_remove(median);
    chosen.rounds = Some((shares, median));
    chosen
}

impl Stats {
    /// Raw SQLite's messages a second doing this run's writes with a commit per message, on
    /// the same file system: measured the first time it is asked for, then kept.
    fn alone(&mut self) -> f64 {
        let (n, writes) = (self.latencies.len(), self.writes);
        *self.alone.get_or_insert_with(|| raw_sqlite(n, writes, 1))
    }

    /// The run's messages a second as a share of [`Stats::alone`].
    fn share(&mut self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64() / self.alone()
    }

    /// Every round's share, the chosen one marked, when there were several.
    fn print_rounds(&self) {
        let Some((shares, chosen)) = &self.rounds else { return };
        if shares.len() < 2 {
            return;
        }
        let listed: Vec<String> =
            shares.iter().enumerate().map(|(i, s)| if i == *chosen { format!("[{s:.2}]") } else { format!("{s:.2}") }).collect();
        println!(
            "  rounds              {} in the order run, at {} of raw SQLite (a commit per message); below, the one in brackets, the median by that share",
            shares.len(),
            listed.join(", ")
        );
    }

    pub fn print(&mut self, label: &str, target_rate: Option<f64>, target_p99_ms: Option<f64>) {
        self.latencies.sort();
        let n = self.latencies.len();
        let pct = |p: f64| self.latencies[((n as f64 * p) as usize).min(n - 1)].as_secs_f64() * 1000.0;
        let rate = n as f64 / self.elapsed.as_secs_f64();
        println!("{label}");
        self.print_rounds();
        println!("  messages            {n}");
        println!("  elapsed             {:.2} s", self.elapsed.as_secs_f64());
        println!("  throughput          {rate:.0} messages/s");
        println!("  latency p50         {:.2} ms", pct(0.50));
        println!("  latency p99         {:.2} ms", pct(0.99));
        println!("  latency max         {:.2} ms", self.latencies[n - 1].as_secs_f64() * 1000.0);
        println!(
            "  CPU                 {:.0} µs per message, all threads ({:.2} cores busy)",
            1e6 * self.cpu.as_secs_f64() / n as f64,
            self.cpu.as_secs_f64() / self.elapsed.as_secs_f64()
        );
        if let Some(target) = target_rate {
            println!("  throughput / target {:.2}x (target ≥ {target:.0} messages/s)", rate / target);
        }
        if let Some(target) = target_p99_ms {
            println!("  target p99 / p99    {:.2}x (target < {target:.0} ms)", target / pct(0.99));
        }
        println!(
            "  waiting for codes   {:.1} ms per person for their code e-mail (not a message, not in the latencies; their slot idles meanwhile)",
            self.code_wait.as_secs_f64() * 1000.0
        );
        // The anchor: the same writes by raw SQLite, in this run, on this file system.
        let alone = self.alone();
        let batched = raw_sqlite(n, self.writes, 32);
        println!(
            "  rows written        {:.2} per message (a {} B conversation, the rest other rows)",
            self.writes.per_message, self.writes.conversation_bytes
        );
        if self.writes.unsent_bytes > 0 {
            println!(
                "    of them           with each save its {} B of sealed replies until sent; {:.2} per message written again to forget them",
                self.writes.unsent_bytes, self.writes.clears_per_message
            );
        }
        println!(
            "  raw SQLite, same writes, a commit per message   {alone:.0} messages/s → engine at {:.2} of it (target ≥ 0.5)",
            rate / alone
        );
        println!("  raw SQLite, same writes, 32 messages per commit {batched:.0} messages/s → engine at {:.2} of it", rate / batched);
        self.print_write_side(n);
    }

    /// Where the rest goes: SQLite has one writer, so the time the turn to write is held (one
    /// holder at a time) bounds the rate; its scripts are the round trips to SQLite's thread
    /// made while holding it.
    fn print_write_side(&self, n: usize) {
        let w = self.write_side;
        let (held, holds): (f64, f64) = (w.held_seconds.iter().sum(), w.holds.iter().sum());
        if holds > 0.0 {
            println!(
                "  turn to write       held {:.0} % of the run: {:.2} holds per message, {:.0} µs each",
                100.0 * held / self.elapsed.as_secs_f64(),
                holds / n as f64,
                1e6 * held / holds
            );
            let by: Vec<String> = TurnHolder::ALL
                .iter()
                .enumerate()
                .filter(|(i, _)| w.holds[*i] > 0.0)
                .map(|(i, h)| {
                    format!("{} {:.2}/message × {:.0} µs", h.label(), w.holds[i] / n as f64, 1e6 * w.held_seconds[i] / w.holds[i])
                })
                .collect();
            println!("    by holder         {}", by.join(", "));
        }
        if w.commits > 0.0 {
            println!(
                "  group commit        {:.3} COMMITs per message, {:.1} holders made durable by each",
                w.commits / n as f64,
                w.committed_holders / w.commits
            );
        }
        if w.scripts > 0.0 {
            println!(
                "  its transactions    {:.2} scripts per message, {:.0} µs each round trip: {:.0} % of the time it is held",
                w.scripts / n as f64,
                1e6 * w.script_seconds / w.scripts,
                100.0 * w.script_seconds / held.max(f64::MIN_POSITIVE)
            );
        }
    }
}

/// CPU time of this process so far (user and system, all threads; `/proc/self/stat`, counted
/// in the kernel's USER_HZ of 100 a second).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command name (in parentheses, which may hold spaces): utime and stime are the
    // 12th and 13th fields.
    let ticks: u64 =
        stat.rsplit_once(')').map_or(0, |(_, rest)| rest.split_whitespace().skip(11).take(2).filter_map(|t| t.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10)
}

pub fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.to_owned()))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

pub async fn in_process(people: u64, concurrency: u64, transport: Transport) -> Stats {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("bench.db").display());
    // 2,000 people ask for a code within seconds: far past the default hourly limit.
    let store = Store::connect(&url, Vault::from_master_key(&[3; 32])).await.unwrap().with_codes_per_hour(1_000_000);
    store.save_institution("Bench", "{}", 0).await.unwrap();
    let config = Config::defaults_with(&[]).unwrap();
    let settings = Settings {
        institution: config.institution.name.clone(),
        domains: config.institution.email_domains(),
        titles: config.institution.titles.clone(),
        retention_days: 90,
        public_url: "http://127.0.0.1:8080".into(),
        web_form: vec![],
        helpdesk_forwarding: false,
    };
    let mailbox = Arc::new(OutboxMailbox::new(store.clone()));
    let service = Arc::new(ChatService::new(store.clone(), Arc::new(Texts::embedded()), settings, Arc::new(Links::default())));
    // Telegram's ledger of replies sent (its adapter writes it every second).
    let ledger = Arc::new(Ledger::default());
    let before = WriteSide::now();
    let (start, cpu_before) = (Instant::now(), process_cpu());
    // Stopped between two writes, never in one: a write cut short at its COMMIT would have
    // cleared rows that nobody counted.
    let (stop_ledger, mut ledger_stopped) = tokio::sync::watch::channel(false);
    let writer = {
        let (ledger, store) = (ledger.clone(), store.clone());
        tokio::spawn(async move {
            let mut cleared = 0;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = ledger_stopped.changed() => return cleared,
                }
                cleared += ledger.write(&store).await.unwrap();
            }
        })
    };
    let mut tasks = Vec::new();
    let waits = CodeWaits::default();
    for worker in 0..concurrency {
        let service = service.clone();
        let mailbox = mailbox.clone();
        let ledger = ledger.clone();
        let waits = waits.clone();
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut sealed) = (Vec::new(), Vec::new());
            let vault = Vault::from_master_key(&[3; 32]);
            let mut n = worker;
            while n < people {
                for (i, mut input) in script(n).into_iter().enumerate() {
                    if input == Input::Text(CODE.into()) {
                        input = Input::Text(waits.timed(mailbox.code_for(&email_of(n))).await);
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
                    let mode = match transport {
                        Transport::Telegram => ReplyMode::SavedUntilSent { delivered: ledger.delivered(&incoming.user_id) },
                        _ => ReplyMode::Immediate,
                    };
                    let t = Instant::now();
                    let handled = service.handle(&incoming, mode).await.expect("handled");
                    latencies.push(t.elapsed());
                    assert!(!handled.replies.is_empty());
                    // Telegram's send queue confirms each turn once its replies have left; the
                    // adapter writes those every second (below).
                    if transport == Transport::Telegram {
                        let owed = handled.owed.expect("Telegram replies are owed until sent");
                        ledger.confirm(&incoming.user_id, owed);
                        if n == worker {
                            sealed.push(sealed_size(&vault, owed.version, &handled.replies));
                        }
                    }
                    if i == 11 {
                        assert!(handled.replies[0].text.contains("EIMZA-"), "the ticket opened: {:?}", handled.replies);
                    }
                }
                n += concurrency;
            }
            (latencies, sealed)
        }));
    }
    let (mut latencies, mut owed) = (Vec::new(), OwedWrites::default());
    for t in tasks {
        let (l, sealed) = t.await.unwrap();
        latencies.extend(l);
        owed.sealed += sealed.len();
        owed.sealed_bytes += sealed.iter().sum::<usize>();
    }
    stop_ledger.send_replace(true);
    owed.cleared = writer.await.unwrap() + ledger.write(&store).await.unwrap();
    let (elapsed, cpu) = (start.elapsed(), process_cpu().saturating_sub(cpu_before));
    assert!(store.owed_replies(Transport::Telegram.code()).await.unwrap().is_empty(), "every turn's replies confirmed");
    let write_side = WriteSide::since(before);
    let writes = Writes::count(&dir.path().join("bench.db"), latencies.len()).with_owed(&owed, latencies.len());
    // Closed before the next round: its checkpoint task, pool and writer would go on beside it.
    store.close().await;
    Stats { latencies, elapsed, cpu, writes, alone: None, rounds: None, write_side, code_wait: waits.per_person(people) }
}

/// Where the HTTP run's mail worker writes its e-mail files: a folder in memory (tmpfs), or
/// `None` (the data folder's `outbox`, beside the database) when there is none. Why: the e-mail
/// files stand in for SMTP (what a deployment sends through), not for the database's writes, and
/// on a disk like this host's (ext4 without a journal) creating a file costs what was deleted
/// lately: the allocator steps over every inode freed in the last minute (six while its inode
/// table block is unwritten), reading each one's deletion time. The simulated people delete each
/// e-mail they read, so a create grew dearer during a run and after one: 300–760 µs a file, and
/// one slowed run spent 43 % of its CPU opening new `.eml` files.
fn mail_folder() -> Option<tempfile::TempDir> {
    match tempfile::Builder::new().prefix("eimza-bench-mail").tempdir_in("/dev/shm") {
        Ok(in_memory) => Some(in_memory),
        Err(e) => {
            println!("  (the e-mail files go beside the database: no folder in /dev/shm: {e})");
            None
        }
    }
}

pub async fn over_http(people: u64, concurrency: u64) -> Stats {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mail = mail_folder();
    // A folder of the bot's own making (private), in the one in memory.
    let mail_dir = mail.as_ref().map_or_else(|| data.join("outbox"), |m| m.path().join("outbox"));
    let data_setting = format!("{:?}", data.display().to_string());
    let mail_setting = format!("{:?}", mail_dir.display().to_string());
    let mut settings = vec![
        ("http_addr", "\"127.0.0.1:0\""),
        ("data_dir", data_setting.as_str()),
        ("locales_dir", "\"/nonexistent\""),
        // one client address opens every session here
        ("web.sessions_burst", "1000000"),
        ("web.sessions_per_minute", "1000000"),
        // every person asks for a code within seconds
        ("mail.codes_per_hour", "1000000"),
    ];
    if mail.is_some() {
        settings.push(("mail.dir", mail_setting.as_str()));
    }
    let config = Config::defaults_with(&settings).unwrap();
    let app = Application::build(config).await.unwrap();
    let mailbox = Arc::new(FileMailbox::new(mail_dir));
    let addr = app.local_addr();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = stop_rx.await;
    }));
    let before = WriteSide::now();
    let (start, cpu_before) = (Instant::now(), process_cpu());
    let mut tasks = Vec::new();
    let waits = CodeWaits::default();
    for worker in 0..concurrency {
        let mailbox = mailbox.clone();
        let waits = waits.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = RawClient::connect(addr).await;
            let mut latencies = Vec::new();
            let mut n = worker;
            while n < people {
                let t = Instant::now();
                let (status, body) = client.post("/api/webchat/sessions", None, b"").await;
                assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
                latencies.push(t.elapsed());
                let created: serde_json::Value = serde_json::from_slice(&body).unwrap();
                let path = format!("/api/webchat/sessions/{}/messages", created["session"].as_str().unwrap());
                let token = created["token"].as_str().unwrap().to_owned();
                for input in script(n).into_iter().skip(1) {
                    let input = match input {
                        Input::Text(t) if t == CODE => Input::Text(waits.timed(mailbox.code_for(&email_of(n))).await),
                        other => other,
                    };
                    let body = match input {
                        Input::Text(text) => json!({ "text": text }),
                        Input::Button(id) => json!({ "button": id.encode() }),
                        Input::Open | Input::Fields(_) | Input::UnknownButton => unreachable!("the script has none"),
                    };
                    let t = Instant::now();
                    let (status, answer) = client.post(&path, Some(&token), body.to_string().as_bytes()).await;
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
                    assert!(answer.starts_with(b"{"), "not the JSON answer: {}", String::from_utf8_lossy(&answer));
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
    let (elapsed, cpu) = (start.elapsed(), process_cpu().saturating_sub(cpu_before));
    let write_side = WriteSide::since(before);
    let _ = stop_tx.send(());
    let _ = server.await;
    let writes = Writes::count(&data.join("eimza.db"), latencies.len());
    Stats { latencies, elapsed, cpu, writes, alone: None, rounds: None, write_side, code_wait: waits.per_person(people) }
}

/// The real release bot on its embedded defaults (SQLite, web chat, e-mail to files): from start
/// to `/readyz` answering 200 — a first start that creates the database and its key, then a
/// start on that database — and the resident memory after 3 s idle.
pub async fn cold_start() {
    let dir = tempfile::tempdir().unwrap();
    let client = reqwest::Client::new();
    for label in ["first start (creates the database)", "start on an existing database"] {
        let port = eimza_tests::free_port();
        let started = Instant::now();
        let mut child = std::process::Command::new(eimza_tests::binary("eimza-bot"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("EIMZA_HTTP_ADDR", format!("127.0.0.1:{port}"))
            .env("EIMZA_DATA_DIR", dir.path().join("data"))
            .env("EIMZA_LOCALES_DIR", eimza_tests::root().join("locales"))
            .env("RUST_LOG", "warn")
            .current_dir(dir.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let ready = loop {
            if let Ok(r) = client.get(format!("http://127.0.0.1:{port}/readyz")).send().await
                && r.status().is_success()
            {
                break started.elapsed();
            }
            assert!(started.elapsed() < Duration::from_secs(30), "the bot was not ready within 30 s");
            tokio::time::sleep(Duration::from_millis(2)).await;
        };
        tokio::time::sleep(Duration::from_secs(3)).await;
        let rss = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
            .unwrap_or(0.0)
            / 1024.0;
        let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let _ = child.wait();
        println!(
            "  {label}: ready to serve in {:.0} ms (target < 1000 ms, {:.1}x), idle RSS {rss:.1} MiB (target < 50 MiB, {:.1}x)",
            ready.as_secs_f64() * 1000.0,
            1.0 / ready.as_secs_f64(),
            50.0 / rss
        );
    }
}

/// The load generator's HTTP/1.1 client: one kept-alive connection per simulated person in
/// flight, a request written in one piece and its answer read by its `Content-Length`. Why not
/// reqwest: the bench runs its clients on the same two cores as the bot, and reqwest's pool,
/// URL parsing and header maps cost about as much CPU a request as the bot's own HTTP layer;
/// what is measured is the bot.
struct RawClient {
    stream: tokio::net::TcpStream,
    host: String,
    out: Vec<u8>,
    buf: Vec<u8>,
}

impl RawClient {
    async fn connect(addr: std::net::SocketAddr) -> RawClient {
        let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        RawClient { stream, host: addr.to_string(), out: Vec::with_capacity(512), buf: Vec::with_capacity(8192) }
    }

    /// POSTs `body` (JSON) to `path`; the answer's status and body.
    async fn post(&mut self, path: &str, bearer: Option<&str>, body: &[u8]) -> (u16, Vec<u8>) {
        use std::io::Write as _;
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        self.out.clear();
        write!(
            self.out,
            "POST {path} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
            self.host,
            body.len()
        )
        .unwrap();
        if let Some(token) = bearer {
            write!(self.out, "authorization: Bearer {token}\r\n").unwrap();
        }
        self.out.extend_from_slice(b"\r\n");
        self.out.extend_from_slice(body);
        self.stream.write_all(&self.out).await.unwrap();
        self.buf.clear();
        let head_end = loop {
            if let Some(at) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            assert!(self.stream.read_buf(&mut self.buf).await.unwrap() > 0, "the bot closed the connection");
        };
        let head = std::str::from_utf8(&self.buf[..head_end]).unwrap();
        let status: u16 = head[9..12].parse().unwrap();
        let length: usize = head
            .lines()
            .find_map(|l| {
                l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")).map(|(_, v)| v.trim().parse().unwrap())
            })
            .expect("an answer without its length");
        while self.buf.len() < head_end + length {
            assert!(self.stream.read_buf(&mut self.buf).await.unwrap() > 0, "the bot closed the connection");
        }
        (status, self.buf[head_end..head_end + length].to_vec())
    }
}
