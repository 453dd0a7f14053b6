//! N agents connected to one real bot (release binary): its memory, one work item broadcast to
//! all, and the reconnect storm after a kill -9 and restart.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use eimza_bot::core::domain::{AgentId, RequestId};
use eimza_bot::store::{PairingClaim, PairingDecisionRow, Store};
use eimza_bot::vault::Vault;
use eimza_protocol::pairing::PairingCode;
use eimza_protocol::wire::{Id, WorkBody};
use eimza_tests::TestBot;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const KEY: [u8; 32] = [5; 32];

pub fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
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
        if let Err(e) = &connected
            && std::env::var("EIMZA_BENCH_BOT_LOG").is_ok()
        {
            eprintln!("connect: {e}");
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

/// A PC paired the way a person pairs one: a code issued, presented, approved. Returns its id
/// and token.
async fn pair(store: &Store, person: i64, agent: &str, now: i64) -> (AgentId, String) {
    let code = PairingCode::generate(|n| rand::random_range(0..n));
    let mut tx = store.begin().await.unwrap();
    tx.issue_pairing_code(person, &code, now, 3_600_000).await.unwrap();
    tx.commit().await.unwrap();
    let request_id = RequestId::parse(&format!("p-{agent}")).unwrap();
    let claim =
        PairingClaim { code: &code, source: "bench", pc_name: "PC", pc_os: "Linux", request_id: &request_id, poll_secret: "poll", now };
    let eimza_bot::store::Claim::Claimed { request_id, .. } = store.claim_pairing_code(&claim).await.unwrap() else { panic!("claim") };
    let token = eimza_bot::vault::random_secret();
    let agent_id = AgentId::parse(agent).unwrap();
    let row = PairingDecisionRow {
        person_id: person,
        request_id: &request_id,
        approve: true,
        agent_id: &agent_id,
        token: &token,
        now,
        ttl_ms: 3_600_000,
    };
    let mut tx = store.begin().await.unwrap();
    tx.decide_pairing(&row).await.unwrap();
    tx.commit().await.unwrap();
    (agent_id, token)
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
        let (id, token) = pair(&store, person, &format!("a-{i}"), now).await;
        tokens.push(token);
        agent_ids.push(id);
    }
    println!("{n} agents paired in {:.1} s", start.elapsed().as_secs_f64());
    // One more, for a real `eimza-agent calis` whose memory we read.
    let (_, real_agent_token) = pair(&store, person, "a-real", now).await;

    let env = bot_env(dir.path());
    let mut bot = TestBot::start_with(&env.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()).await;
    let port = bot.port;
    let idle = rss_mib(bot.pid().unwrap_or(0));
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
    let rss = rss_mib(bot.pid().unwrap_or(0));
    println!(
        "bot RSS with {n} agents connected: {rss:.1} MiB ({:.1} MiB idle before, {:.1} KiB per agent){}",
        idle,
        (rss - idle) * 1024.0 / n as f64,
        if n == 10_000 { format!(" (target < 300 MB: {:.1}x)", 300.0 / rss) } else { String::new() }
    );

    // Broadcast: one card-step item for every agent, queued in one transaction.
    let start = Instant::now();
    let mut tx = store.begin().await.unwrap();
    let body = WorkBody::CardStep { ticket_no: eimza_protocol::TicketNo::new(2026, 1), nonce: Id::new("bench").unwrap(), tckn: None };
    for (i, id) in agent_ids.iter().enumerate() {
        tx.queue_work(&Id::new(&format!("w-{i}")).unwrap(), id, None, &body, eimza_bot::clock::now_ms()).await.unwrap();
    }
    tx.commit().await.unwrap();
    let queued = start.elapsed();
    match wait_until(&counters.work, n, Duration::from_secs(120)).await {
        Some(t) => println!(
            "broadcast of one work item to all {n}: queued in {:.2} s, received by all {:.2} s later",
            queued.as_secs_f64(),
            t.as_secs_f64()
        ),
        None => println!("broadcast: only {} of {n} received in 120 s", counters.work.load(Ordering::Relaxed)),
    }

    // Reconnect storm: kill -9, start again, every agent comes back on its own backoff.
    tokio::time::sleep(Duration::from_secs(2)).await;
    bot.kill();
    counters.welcomed.store(0, Ordering::Relaxed);
    let start = Instant::now();
    bot.restart().await;
    match wait_until(&counters.welcomed, n, Duration::from_secs(120)).await {
        Some(_) => {
            let t = start.elapsed().as_secs_f64();
            println!("reconnect storm after kill -9 and restart: all {n} back in {t:.1} s (target < 60 s: {:.1}x)", 60.0 / t);
        }
        None => println!("reconnect storm: only {} of {n} back in 120 s", counters.welcomed.load(Ordering::Relaxed)),
    }
    println!("bot RSS after the storm: {:.1} MiB", rss_mib(bot.pid().unwrap_or(0)));
    if n == 1_000 {
        // The real agent, paired and connected, watching for work: its idle memory.
        let home = tempfile::tempdir().unwrap();
        let pairing = serde_json::json!({
            "server": format!("http://127.0.0.1:{port}"), "agent_id": "a-real", "token": real_agent_token,
            "paired_at": chrono::Utc::now().to_rfc3339(),
        });
        std::fs::write(home.path().join("pairing.json"), pairing.to_string()).unwrap();
        let agent_bin = eimza_tests::binary("eimza-agent");
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
}

/// The bot on the database the benchmark seeded (its key given, so both read it), quiet.
fn bot_env(dir: &std::path::Path) -> Vec<(&'static str, String)> {
    use base64::Engine as _;
    vec![
        ("EIMZA_DATABASE_URL", format!("sqlite:{}", dir.join("eimza.db").display())),
        ("EIMZA_DATA_KEY", base64::engine::general_purpose::STANDARD.encode(KEY)),
        ("EIMZA_AGENTS__OFFLINE_NOTICE_SECS", "3600".into()),
    ]
}
