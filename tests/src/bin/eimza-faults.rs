//! `scripts/faults` (and, short, `scripts/test`): web chat traffic while things break — the bot
//! killed with -9 again and again, the SMTP server stopped, PostgreSQL restarted, the disk under
//! the SQLite file full, the agent's link cut mid-report — then a count: every accepted message
//! (and every report of the PC) there exactly once, every conversation where its person left it, one ticket per person, every e-mail delivered (and
//! how many twice), the time to serve again. One figure per line; exit 1 when a message or a
//! ticket was lost or doubled.
//!
//! The clients behave like the web chat page: a message that got no answer (a cut connection, a
//! 5xx) is sent again only if the transcript does not already hold it.

use std::time::{Duration, Instant};

use eimza_tests::mail::{Maildir, SmtpSink};
use eimza_tests::{TestBot, unique_email, valid_tckn};
use serde_json::{Value, json};

/// One web chat, with the page's patience.
struct Client {
    http: reqwest::Client,
    base: String,
    session: String,
    token: String,
    /// The messages this person had accepted (answered 200, or found in the transcript).
    accepted: usize,
    /// Sent again after no answer (and not found in the transcript).
    resent: usize,
    /// A person's pause before each message (none: a client under load).
    pause: bool,
}

impl Client {
    async fn open(base: &str) -> Client {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        loop {
            if let Ok(r) = http.post(format!("{base}/api/webchat/sessions")).send().await
                && r.status().as_u16() == 201
                && let Ok(body) = r.json::<Value>().await
            {
                return Client {
                    http,
                    base: base.to_owned(),
                    session: body["session"].as_str().unwrap_or_default().to_owned(),
                    token: body["token"].as_str().unwrap_or_default().to_owned(),
                    accepted: 0,
                    resent: 0,
                    pause: true,
                };
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn url(&self) -> String {
        format!("{}/api/webchat/sessions/{}/messages", self.base, self.session)
    }

    /// How many of this person's messages the bot holds; `None` while it does not answer.
    async fn inbound(&self) -> Option<usize> {
        Some(self.transcript().await?.iter().filter(|d| *d == "in").count())
    }

    /// The directions of the transcript's lines, in order: every page of it (the API gives
    /// the lines after the first `after`, a page at a time).
    async fn transcript(&self) -> Option<Vec<String>> {
        let mut lines = Vec::new();
        loop {
            let r = self.http.get(format!("{}?after={}", self.url(), lines.len())).bearer_auth(&self.token).send().await.ok()?;
            if !r.status().is_success() {
                return None;
            }
            let body: Value = r.json().await.ok()?;
            let page = body["messages"].as_array()?;
            if page.is_empty() {
                return Some(lines);
            }
            lines.extend(page.iter().map(|m| m["direction"].as_str().unwrap_or_default().to_owned()));
        }
    }

    /// Turns stored in part: a message of the person with no reply after it, or replies with no
    /// message before them (a turn's save, its transcript lines and its replies are one commit).
    async fn half_applied(&self) -> usize {
        let lines = self.transcript().await.unwrap_or_default();
        // The greeting (the session's opening) comes before the person says anything.
        let start = lines.iter().position(|d| d == "in").unwrap_or(lines.len());
        let mut half = 0;
        let mut in_turn = false;
        for d in &lines[start..] {
            match (d.as_str(), in_turn) {
                ("in", true) => half += 1, // the previous message got no reply
                ("in", false) => in_turn = true,
                (_, true) => in_turn = false,
                (_, false) => {} // a second reply of the same turn
            }
        }
        half + usize::from(in_turn)
    }

    /// Sends until the bot holds the message; its replies' text ("" when found in the
    /// transcript instead). A polite refusal (4xx/5xx with a message) is counted.
    async fn deliver(&mut self, body: Value, refused: &mut usize) -> String {
        // A person takes a moment between messages: the faults land mid-conversation.
        if self.pause {
            tokio::time::sleep(Duration::from_millis(150 + rand::random::<u64>() % 200)).await;
        }
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            assert!(Instant::now() < deadline, "a message never got through");
            let sent = self.http.post(self.url()).bearer_auth(&self.token).json(&body).send().await;
            match sent {
                Ok(r) if r.status().as_u16() == 200 => {
                    let answer: Value = r.json().await.unwrap_or(Value::Null);
                    self.accepted += 1;
                    let texts: Vec<&str> = answer["replies"].as_array().into_iter().flatten().filter_map(|r| r["text"].as_str()).collect();
                    return texts.join("\n");
                }
                Ok(r) => {
                    let said: Value = r.json().await.unwrap_or(Value::Null);
                    assert!(said["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "an error without words: {said}");
                    *refused += 1;
                }
                Err(_) => {}
            }
            // No answer: is it there anyway (saved, then the connection was cut)?
            let before = self.accepted;
            let held = loop {
                if let Some(n) = self.inbound().await {
                    break n;
                }
                assert!(Instant::now() < deadline, "the bot never came back");
                tokio::time::sleep(Duration::from_millis(100)).await;
            };
            if held > before {
                self.accepted += 1;
                return String::new();
            }
            self.resent += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// One person's whole intake up to the confirmation; e-mail codes read from `maildir`.
async fn renewal(base: String, n: u64, maildir: Maildir) -> (Client, usize) {
    renewal_of(Client::open(&base).await, n, maildir).await
}

async fn renewal_of(mut c: Client, n: u64, maildir: Maildir) -> (Client, usize) {
    let mut refused = 0;
    let email = unique_email("ariza");
    c.deliver(json!({"button": "consent:yes"}), &mut refused).await;
    c.deliver(json!({"text": valid_tckn(50_000 + n)}), &mut refused).await;
    c.deliver(json!({"text": "Ayşe Yılmaz"}), &mut refused).await;
    c.deliver(json!({"text": "Uzman"}), &mut refused).await;
    c.deliver(json!({"text": email}), &mut refused).await;
    let code = maildir.code_for(&email, 1).await;
    c.deliver(json!({"text": code}), &mut refused).await;
    c.deliver(json!({"text": "05.03.1980"}), &mut refused).await;
    c.deliver(json!({"button": "confirm"}), &mut refused).await;
    (c, refused)
}

/// The renewals' clients, and how many polite refusals they met on the way.
async fn finished(runs: Vec<tokio::task::JoinHandle<(Client, usize)>>) -> (Vec<Client>, usize) {
    let mut clients = Vec::new();
    let mut refused = 0;
    for r in runs {
        let (c, n) = r.await.expect("a renewal");
        refused += n;
        clients.push(c);
    }
    (clients, refused)
}

/// After a scenario: every person's messages held once, one open ticket each, mail counts.
async fn audit(bot: &TestBot, clients: &[Client], maildir: &Maildir, label: &str, extra: &str) -> bool {
    let (mut accepted, mut resent) = (0, 0);
    let mut lost = 0;
    let mut doubled = 0;
    for c in clients {
        accepted += c.accepted;
        resent += c.resent;
        let held = c.inbound().await.unwrap_or(0);
        lost += c.accepted.saturating_sub(held);
        doubled += held.saturating_sub(c.accepted);
    }
    // The export, not the list: the list shows a page of 50.
    let (_, csv) = bot.staff_page("/staff/export.csv?state=submitted").await;
    let tickets = csv.lines().filter(|l| l.starts_with("EIMZA-")).count();
    let mails = maildir.all();
    let codes = mails.iter().filter(|m| m.code().is_some()).count();
    let twice = codes.saturating_sub(clients.len());
    println!(
        "faults: {label}: {accepted} messages accepted ({resent} sent again after no answer), {lost} lost, {doubled} held twice, \
         {tickets} tickets for {} people, {codes} code e-mails ({twice} sent twice; same Message-ID){extra}",
        clients.len()
    );
    lost == 0 && doubled == 0 && tickets == clients.len()
}

fn fast_bot_env(sink: &SmtpSink) -> Vec<(&'static str, String)> {
    vec![
        ("EIMZA_MAIL__SMTP__PORT", sink.port.to_string()),
        ("EIMZA_WEB__SESSIONS_BURST", "1000".into()),
        ("EIMZA_WEB__MESSAGES_BURST", "1000".into()),
        ("EIMZA_MAIL__RETRY_BASE_SECS", "1".into()),
    ]
}

fn refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// (1) kill -9 every `every` while `people` renew.
async fn killed(people: u64, every: Duration) -> bool {
    let sink = SmtpSink::start().await;
    let env = fast_bot_env(&sink);
    let mut bot = TestBot::start_with(&refs(&env)).await;
    let runs: Vec<_> = (0..people).map(|n| tokio::spawn(renewal(bot.url(), n, sink.maildir.clone()))).collect();
    let (mut kills, mut worst) = (0, Duration::ZERO);
    while !runs.iter().all(|r| r.is_finished()) {
        tokio::time::sleep(every).await;
        if runs.iter().all(|r| r.is_finished()) {
            break;
        }
        let started = Instant::now();
        bot.restart().await;
        worst = worst.max(started.elapsed());
        kills += 1;
    }
    let (clients, refused) = finished(runs).await;
    let extra = format!(", {kills} kills, serving again within {} ms at worst, {refused} 5xx answers", worst.as_millis());
    if kills < 2 {
        println!("faults: kill -9: only {kills} kills landed during the conversations");
        return false;
    }
    audit(&bot, &clients, &sink.maildir, &format!("kill -9 every {} ms", every.as_millis()), &extra).await
}

/// (1c) kill -9 under load: `people` talk at once with no pause between messages (the group
/// commit has dozens of turns in each batch when the kill lands), killed every `every`,
/// `kills` times; they go on asking for help until the last kill is done, so every kill lands
/// mid-conversation however fast the bot answers (a fixed number of messages once ended before
/// the first kill). Every message that got a reply is held after the restart, none twice, and
/// no turn is there in part.
async fn killed_under_load(people: u64, every: Duration, kills: usize) -> bool {
    let sink = SmtpSink::start().await;
    let env = fast_bot_env(&sink);
    let mut bot = TestBot::start_with(&refs(&env)).await;
    let started = Instant::now();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let runs: Vec<_> = (0..people)
        .map(|n| {
            let (base, done) = (bot.url(), done.clone());
            tokio::spawn(async move {
                let mut c = Client::open(&base).await;
                c.pause = false;
                let mut refused = 0;
                // The intake's answers, then questions: every message a turn of its own, none
                // waiting on e-mail (the code's delivery through kills is case (1)'s).
                c.deliver(json!({"button": "consent:yes"}), &mut refused).await;
                c.deliver(json!({"text": valid_tckn(70_000 + n)}), &mut refused).await;
                c.deliver(json!({"text": "Ayşe Yılmaz"}), &mut refused).await;
                c.deliver(json!({"text": "Uzman"}), &mut refused).await;
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    c.deliver(json!({"text": "/yardim"}), &mut refused).await;
                }
                (c, refused)
            })
        })
        .collect();
    let mut landed = 0;
    for _ in 0..kills {
        tokio::time::sleep(every).await;
        // A conversation that ended early (a panic in it) is reported by `finished`.
        if runs.iter().any(|r| !r.is_finished()) {
            landed += 1;
        }
        bot.restart().await;
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (clients, refused) = finished(runs).await;
    let mut half = 0;
    for c in &clients {
        half += c.half_applied().await;
    }
    let messages: usize = clients.iter().map(|c| c.accepted).sum();
    let extra = format!(
        ", {landed} kills, {half} turns held in part, {refused} 5xx answers, {:.0} messages/s between the kills",
        messages as f64 / started.elapsed().as_secs_f64()
    );
    if landed < kills {
        println!("faults: kill -9 under load: only {landed} of {kills} kills landed during the conversations");
        return false;
    }
    let (mut lost, mut doubled) = (0, 0);
    for c in &clients {
        let held = c.inbound().await.unwrap_or(0);
        lost += c.accepted.saturating_sub(held);
        doubled += held.saturating_sub(c.accepted);
    }
    println!(
        "faults: kill -9 every {} ms under load ({people} at once): {messages} messages accepted, {lost} lost, {doubled} held twice{extra}",
        every.as_millis()
    );
    lost == 0 && doubled == 0 && half == 0
}

/// (1b) kill -9 while people talk to the bot on Telegram (the Bot API stand-in): every
/// expected reply arrives (updates the bot had not confirmed are delivered again, replies it
/// owed are sent after the restart), and those sent twice are counted (at least once).
async fn telegram_killed(users: i64, every: Duration) -> bool {
    use eimza_tests::telegram::BotApi;
    let api = std::sync::Arc::new(BotApi::start().await);
    let sink = SmtpSink::start().await;
    let mut env = fast_bot_env(&sink);
    env.extend(api.bot_env());
    let mut bot = TestBot::start_with(&refs(&env)).await;
    api.wait_polling().await;
    let steps: [&str; 3] = ["aydınlatma metni", "Adınızı ve soyadınızı", "Unvanınız"];
    let runs: Vec<_> = (0..users)
        .map(|n| {
            let api = api.clone();
            tokio::spawn(async move {
                let user = 70_000 + n;
                let within = Duration::from_secs(60);
                tokio::time::sleep(Duration::from_millis(100 * n as u64)).await;
                let skip = api.sent_to(user).len();
                api.text(user, "/basla");
                let notice = api.wait_for_within(user, skip, steps[0], within).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let skip = api.sent_to(user).len();
                api.press(user, &notice, "consent:yes");
                api.wait_for_within(user, skip, steps[1], within).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let skip = api.sent_to(user).len();
                api.text(user, "Ayşe Yılmaz");
                api.wait_for_within(user, skip, steps[2], within).await;
            })
        })
        .collect();
    let mut kills = 0;
    while !runs.iter().all(|r| r.is_finished()) {
        tokio::time::sleep(every).await;
        if runs.iter().all(|r| r.is_finished()) {
            break;
        }
        bot.restart().await;
        kills += 1;
    }
    let mut lost = 0;
    for r in runs {
        if r.await.is_err() {
            lost += 1;
        }
    }
    // A reply the person got twice: the same text twice in their chat.
    let mut twice = 0;
    for n in 0..users {
        let texts: Vec<String> = api.sent_to(70_000 + n).into_iter().map(|s| s.text).collect();
        for step in steps {
            twice += texts.iter().filter(|t| t.contains(step)).count().saturating_sub(1);
        }
    }
    println!(
        "faults: Telegram, kill -9 every {} ms: {users} people × 3 messages, {kills} kills, {lost} conversations with a reply lost, \
         {twice} replies sent twice (owed replies go at least once)",
        every.as_millis()
    );
    lost == 0 && kills >= 1
}

/// (2) the SMTP server down while codes are sent, then back.
async fn smtp_down(people: u64) -> bool {
    let mut sink = SmtpSink::start().await;
    let env = fast_bot_env(&sink);
    let bot = TestBot::start_with(&refs(&env)).await;
    sink.stop();
    let runs: Vec<_> = (0..people).map(|n| tokio::spawn(renewal(bot.url(), n, sink.maildir.clone()))).collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let back = Instant::now();
    sink.resume().await;
    let mut clients = Vec::new();
    for r in runs {
        clients.push(r.await.expect("a renewal").0);
    }
    let extra = format!(", every code delivered {} ms after the server came back", back.elapsed().as_millis());
    audit(&bot, &clients, &sink.maildir, "SMTP server stopped for 3 s", &extra).await
}

/// (3) PostgreSQL restarted while people renew (the cluster scripts/faults started).
async fn postgres_restarted(people: u64) -> Option<bool> {
    let (Ok(data), Ok(bin)) = (std::env::var("EIMZA_TEST_PG_DATA"), std::env::var("EIMZA_TEST_PGBIN")) else {
        println!("faults: PostgreSQL restart: skipped (EIMZA_TEST_PG_DATA / EIMZA_TEST_PGBIN not set)");
        return None;
    };
    let sink = SmtpSink::start().await;
    let url = eimza_tests::fresh_postgres().await;
    let mut env = fast_bot_env(&sink);
    env.push(("EIMZA_DATABASE_URL", url));
    let bot = TestBot::start_with(&refs(&env)).await;
    let runs: Vec<_> = (0..people).map(|n| tokio::spawn(renewal(bot.url(), n, sink.maildir.clone()))).collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let pg_ctl = format!("{bin}/pg_ctl");
    let as_postgres = is_root();
    let mut cmd = if as_postgres {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--", &pg_ctl]);
        c
    } else {
        std::process::Command::new(&pg_ctl)
    };
    let started = Instant::now();
    let ok = cmd.args(["-D", &data, "-m", "fast", "-w", "restart"]).stdout(std::process::Stdio::null()).status().is_ok_and(|s| s.success());
    let down = started.elapsed();
    assert!(ok, "pg_ctl restart");
    let (clients, refused) = finished(runs).await;
    let extra = format!(", PostgreSQL down {} ms, {refused} polite 5xx answers meanwhile", down.as_millis());
    Some(audit(&bot, &clients, &sink.maildir, "PostgreSQL restarted", &extra).await)
}

fn is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false)
}

/// (4) the disk under the SQLite file full, then freed.
async fn disk_full(people: u64) -> Option<bool> {
    let mount = tempfile::tempdir().unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=24m", "tmpfs", &mount.path().display().to_string()])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        println!("faults: disk full: skipped (no tmpfs mount allowed here)");
        return None;
    }
    let scenario = async {
        let sink = SmtpSink::start().await;
        let env = fast_bot_env(&sink);
        let data = mount.path().join("data");
        let bot = TestBot::start_in(data.clone(), &refs(&env)).await;
        // Fill what is left.
        let filler = mount.path().join("dolgu");
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&filler).unwrap();
            let block = vec![0u8; 64 * 1024];
            while f.write_all(&block).is_ok() {}
            let _ = f.sync_all();
        }
        let mut c = Client::open(&bot.url()).await;
        let mut refused = 0;
        // With the disk full the bot refuses in words and stays up. Its write-ahead log may still
        // have room: talk until a write needs new space, then five more.
        let url = c.url();
        let (mut sent, mut polite, mut after_first) = (0, 0, None);
        while sent < 600 && after_first.is_none_or(|n| n < 5) {
            sent += 1;
            let body = if sent % 2 == 0 { json!({"text": "/durum"}) } else { json!({"text": "/yardim"}) };
            if let Ok(r) = c.http.post(&url).bearer_auth(&c.token).json(&body).send().await
                && !r.status().is_success()
            {
                let said: Value = r.json().await.unwrap_or(Value::Null);
                assert!(said["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "refused without words: {said}");
                polite += 1;
                after_first = Some(after_first.map_or(0, |n| n + 1));
            }
        }
        let held_before = c.inbound().await.unwrap_or(0);
        c.accepted = held_before;
        let alive = reqwest::get(format!("{}/healthz", bot.url())).await.is_ok_and(|r| r.status().is_success());
        let freed = Instant::now();
        std::fs::remove_file(&filler).unwrap();
        let mut clients = Vec::new();
        c.deliver(json!({"button": "consent:yes"}), &mut refused).await;
        let recovered = freed.elapsed();
        clients.push(c);
        for n in 0..people {
            clients.push(renewal(bot.url(), 100 + n, sink.maildir.clone()).await.0);
        }
        let extra = format!(
            ", full after {} messages, {polite} refused in words, alive: {alive}, serving again {} ms after space came back",
            sent - polite,
            recovered.as_millis()
        );
        // The first client opened no ticket: only the renewals count.
        let renewed = clients.split_off(1);
        let first_ok = clients[0].inbound().await.unwrap_or(0) == clients[0].accepted;
        audit(&bot, &renewed, &sink.maildir, "disk under SQLite full, then freed", &extra).await && alive && polite > 0 && first_ok
    };
    let result = match tokio::time::timeout(Duration::from_secs(120), scenario).await {
        Ok(result) => result,
        Err(_) => {
            println!("faults: disk under SQLite full, then freed: NOT serving again within 2 minutes after space came back");
            false
        }
    };
    let _ = std::process::Command::new("umount").arg("-l").arg(mount.path()).status();
    Some(result)
}

/// A TCP relay between the agent and the bot that can cut every connection through it at once.
struct Relay {
    port: u16,
    cut: tokio::sync::broadcast::Sender<()>,
}

impl Relay {
    async fn start(to: u16) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (cut, _) = tokio::sync::broadcast::channel::<()>(16);
        let cuts = cut.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", to)).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.recv() => {} // both sockets dropped: a hard cut, no close frame
                    }
                });
            }
        });
        Relay { port, cut }
    }

    fn cut(&self) {
        let _ = self.cut.send(());
    }
}

/// (5) The agent's link cut again and again while the card changes and the PC reports each
/// change: the real `eimza-agent calis` (through a relay that drops every connection 0–400 ms
/// after each change: before, during or after its report), pcscd + vpcd, a colleague's card and
/// the holder's own. Every report the PC filed is told to the person exactly once; its outbox
/// ends empty.
async fn agent_link_cut(changes: usize) -> bool {
    use eimza_tests::agent::{bot_lines, wait_for};
    use eimza_tests::road::{Road, Setup, holders_certificate};
    use eimza_tests::trust::TestCa;
    use eimza_tests::vcard::{self, CardState, VirtualCard};

    let mut road = Road::start(Setup { card_step: false, ..Setup::new(70) }).await;
    let bot_port: u16 = road.bot.url().rsplit(':').next().and_then(|p| p.parse().ok()).unwrap();
    let relay = Relay::start(bot_port).await;
    // The PC reaches the bot through the relay.
    let pairing_path = road.agent.home.path().join("pairing.json");
    let mut pairing: Value = serde_json::from_slice(&std::fs::read(&pairing_path).unwrap()).unwrap();
    pairing["server"] = json!(format!("http://127.0.0.1:{}", relay.port));
    std::fs::write(&pairing_path, serde_json::to_vec(&pairing).unwrap()).unwrap();
    let colleague = holders_certificate(TestCa::kamu_sm(), &valid_tckn(71), None);
    let colleagues = std::sync::Arc::new(std::sync::Mutex::new(CardState::new(
        vcard::ATR_TC,
        colleague.der.clone(),
        eimza_tests::pki::rsa_key().clone(),
    )));
    let holders = road.card.take().unwrap().remove();
    let before = bot_lines(&road.chat).await.len();
    let mut command = road.agent.command(&["calis", "--okuyucu", road.reader.name(), "--kart-bekleme", "600"]);
    command.env_remove("PCSCLITE_CSOCK_NAME");
    road.agent.running = Some(command.spawn().unwrap());
    let started = Instant::now();
    let mut cuts = 0;
    // No card, a colleague's card, no card… (neither ends the step), then the holder's own.
    for change in 0..=changes {
        tokio::time::sleep(Duration::from_millis(900 + rand::random::<u64>() % 400)).await;
        let last = change == changes;
        if change % 2 == 0 {
            let state = if last { holders.clone() } else { colleagues.clone() };
            road.card = Some(VirtualCard::insert(&road.reader, state));
        } else if let Some(card) = road.card.take() {
            card.remove();
        }
        tokio::time::sleep(Duration::from_millis(rand::random::<u64>() % 400)).await;
        relay.cut();
        cuts += 1;
        if last && change % 2 == 1 {
            road.card = Some(VirtualCard::insert(&road.reader, holders.clone()));
        }
    }
    let ticket = road.ticket.clone();
    let ready = async {
        wait_for("the card ready", async || {
            bot_lines(&road.chat)
                .await
                .iter()
                .any(|m| m["text"].as_str().unwrap_or("").contains(&format!("kart ve sertifika {ticket}")))
                .then_some(())
        })
        .await
    };
    if tokio::time::timeout(Duration::from_secs(90), ready).await.is_err() {
        println!("faults: the agent's link cut mid-report: the usable card was NOT told within 90 s");
        return false;
    }
    // The PC files its reports and keeps each until the bot acknowledges it.
    let home = road.agent.home.path().to_owned();
    let outbox_empty = || {
        let outbox: Value =
            std::fs::read(home.join("outbox.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null);
        outbox["reports"].as_object().is_none_or(|r| r.is_empty())
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !outbox_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let inbox: Value = serde_json::from_slice(&std::fs::read(home.join("inbox.json")).unwrap()).unwrap();
    let filed: u64 = inbox["items"].as_object().unwrap().values().filter_map(|i| i["reports"].as_u64()).sum();
    let lines = bot_lines(&road.chat).await;
    let new = &lines[before.min(lines.len())..];
    let says = |words: &str| new.iter().filter(|m| m["text"].as_str().unwrap_or_default().contains(words)).count() as u64;
    // Each report: "Bilgisayarınız … kartınızı denetledi"; the work's ack: one notice.
    let (told, acked) = (says("kartınızı denetledi"), says("kart adımını aldı"));
    if std::env::var_os("EIMZA_FAULTS_VERBOSE").is_some() {
        for line in new {
            println!("  told: {}", line["text"].as_str().unwrap_or_default().replace('\n', " / "));
        }
        println!("  agent log:\n{}", road.agent.log());
    }
    let (lost, doubled) = (filed.saturating_sub(told), told.saturating_sub(filed));
    // Report by report, in order: what the PC found (its log) against what the person was told
    // (one lost and one doubled must not cancel out).
    let kind = |text: &str| {
        if text.contains("usable=true") || text.contains("kart ve sertifika") {
            "usable"
        } else if text.contains("WrongPerson") || text.contains("başka birine ait") {
            "someone else's card"
        } else if text.contains("NoCard") || text.contains("Okuyucuda kart yok") {
            "no card"
        } else {
            "other"
        }
    };
    let found: Vec<&str> = road.agent.log().lines().filter(|l| l.contains(": card usable=")).map(kind).collect();
    let heard: Vec<&str> = new.iter().filter_map(|m| m["text"].as_str()).filter(|t| t.contains("kartınızı denetledi")).map(kind).collect();
    let in_order = found == heard;
    println!(
        "faults: the agent's link cut mid-report: {changes} card changes, {cuts} cuts, {filed} reports filed by the PC, {told} told \
         to the person, {lost} lost, {doubled} told twice, the card step's arrival told {acked} time(s), {} report by report, outbox {}, usable card told {} ms after the first change",
        if in_order { "the same" } else { "NOT the same" },
        if outbox_empty() { "empty" } else { "NOT empty" },
        started.elapsed().as_millis()
    );
    lost == 0 && doubled == 0 && in_order && acked == 1 && outbox_empty() && filed as usize >= changes
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let short = args.iter().any(|a| a == "--short");
    // `--only kill|load|telegram|smtp|postgres|disk|agent`: one fault.
    let only = args.iter().position(|a| a == "--only").and_then(|i| args.get(i + 1)).cloned();
    let runs = |name: &str| only.as_deref().is_none_or(|o| o == name);
    let people = if short { 4 } else { 16 };
    let mut ok = true;
    if runs("kill") {
        ok &= killed(people, Duration::from_millis(if short { 500 } else { 1200 })).await;
    }
    if runs("load") {
        ok &= killed_under_load(
            if short { 96 } else { 300 },
            Duration::from_millis(if short { 150 } else { 300 }),
            if short { 8 } else { 20 },
        )
        .await;
    }
    if runs("telegram") {
        ok &= telegram_killed(if short { 3 } else { 10 }, Duration::from_millis(if short { 600 } else { 900 })).await;
    }
    if runs("smtp") {
        ok &= smtp_down(people).await;
    }
    if runs("postgres") {
        ok &= postgres_restarted(people).await.unwrap_or(true);
    }
    if runs("disk") {
        ok &= disk_full(if short { 2 } else { 6 }).await.unwrap_or(true);
    }
    if runs("agent") {
        ok &= agent_link_cut(if short { 6 } else { 16 }).await;
    }
    if !ok {
        println!("faults: FAILED — a message or a ticket was lost or doubled");
        std::process::exit(1);
    }
}
