//! `scripts/bench [chat|roster|mail|card|attest|telegram|desk|agents|window|all]`: one module per benchmark, each
//! printing its figures and their ratio to the targets. The bots it measures are the real
//! release binaries, started as the end-to-end tests start them (`eimza_tests::TestBot`).

mod agents;
mod attest;
mod card;
mod chat;
mod desk;
mod roster;
mod telegram;
mod window;

use eimza_bot::core::conversation::Transport;

// The bot's allocator, so the in-process figures are the bot's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let suite = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if suite == "chat" || suite == "all" {
        let (people, concurrency) = (2_000, 32);
        println!("== conversation: {people} people × 13 messages, {concurrency} at a time, SQLite (WAL), {cores} cores");
        // BENCH_CHAT=discord|telegram|http|start runs only that part (for a profile of it).
        let part = std::env::var("BENCH_CHAT").ok();
        let runs = |name: &str| part.as_deref().is_none_or(|p| p == name);
        // BENCH_CONCURRENCY=1,4 runs the in-process part at those numbers in flight instead (at 1,
        // what a turn costs with nobody waiting for the turn to write).
        let in_flight: Vec<u64> = std::env::var("BENCH_CONCURRENCY")
            .ok()
            .map(|v| v.split(',').filter_map(|c| c.trim().parse().ok()).filter(|c| *c > 0).collect())
            .unwrap_or_else(|| vec![16, concurrency]);
        for c in in_flight.into_iter().filter(|_| runs("discord")) {
            let mut stats = chat::median_round(|| chat::in_process(people, c, Transport::Discord)).await;
            stats.print(
                &format!("engine + store, in-process (update ids, replies within the request), {c} conversations at a time"),
                Some(15_000.0),
                Some(10.0),
            );
        }
        for c in [16, concurrency].into_iter().filter(|_| runs("telegram")) {
            let mut stats = chat::median_round(|| chat::in_process(people, c, Transport::Telegram)).await;
            stats.print(
                &format!("the same on the Telegram path (each turn's replies saved until sent), {c} at a time"),
                Some(10_000.0),
                Some(10.0),
            );
        }
        if runs("http") {
            let mut stats = chat::median_round(|| chat::over_http(people, concurrency)).await;
            stats.print(
                &format!("web chat JSON API over HTTP (transcript kept, encrypted; the e-mail files, SMTP's stand-in, in memory), {concurrency} at a time"),
                Some(5_000.0),
                Some(20.0),
            );
        }
        if runs("start") {
            println!("the bot's cold start and idle memory (release binary, SQLite)");
            chat::cold_start().await;
        }
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
    if suite == "attest" || suite == "all" {
        attest::verifications(20_000);
        attest::journey().await;
    }
    if suite == "telegram" || suite == "all" {
        telegram::run(1_000, 10).await;
    }
    if suite == "desk" || suite == "all" {
        desk::run().await;
    }
    if suite == "agents" || suite == "all" {
        for n in [1_000, 10_000] {
            agents::run(n).await;
        }
    }
    if suite == "window" || suite == "all" {
        window::run().await;
    }
    if std::env::var_os("BENCH_METRICS").is_some() {
        for line in
            eimza_bot::metrics::METRICS.render().lines().filter(|l| l.contains("batch_items_sum") || l.contains("batch_items_count"))
        {
            println!("{line}");
        }
    }
    println!("peak RSS of this process: {:.1} MiB", chat::peak_rss_mib());
}
