//! A burst of Telegram updates through the Bot API stand-in: how fast the bot takes them in,
//! whether every reply arrives exactly once and in order, and whether the outgoing rate kept
//! Telegram's limits (30 messages/s overall, 1/s and 20/min per chat).

use std::time::{Duration, Instant};

use eimza_tests::telegram::{BotApi, Sent};

/// Each message has exactly one reply at the idle step: help, status, the hint.
const SCRIPT: [(&str, &str); 3] =
    [("/yardim", "Kullanabileceğiniz komutlar"), ("/durum", "Kayıtlı bir başvurunuz yok"), ("merhaba", "Size nasıl yardımcı olabilirim")];

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
    let mut env = api.bot_env();
    env.push(("EIMZA_TELEGRAM__POLL_TIMEOUT_SECS", "1".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bot = eimza_tests::TestBot::start_with(&env).await;
    api.wait_polling().await;

    let start = Instant::now();
    for i in 0..per_chat {
        for chat in 0..chats {
            api.text(1_000_000 + chat, SCRIPT[i % SCRIPT.len()].0);
        }
    }
    let mut peak_rss: f64 = 0.0;
    while api.unconfirmed() > 0 {
        peak_rss = peak_rss.max(super::agents::rss_mib(bot.pid().unwrap_or(0)));
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
        peak_rss = peak_rss.max(super::agents::rss_mib(bot.pid().unwrap_or(0)));
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
    drop(bot);
}
