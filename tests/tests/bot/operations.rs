//! Running it for real: `/readyz` and `/metrics` (behind a token, or on an address of their
//! own), JSON logs that name nobody through a whole request, a backup taken under load and
//! restored into an empty folder (and refused with the wrong key), `config check`, and SIGTERM
//! finishing the turns in flight.

use std::time::Duration;

use eimza_bot::store::Store;
use eimza_tests::{STAFF_PASSWORD, TestBot, WebChat, unique_email};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_and_metrics_for_the_operators() {
    let bot = TestBot::start_with(&[("EIMZA_METRICS__TOKEN", "izleme-jetonu-2026")]).await;
    let email = unique_email("metrik");
    let chat = WebChat::open(&bot.url()).await;
    chat.fill_intake("10000000146", "Ilgaz Işık", "Uzman", &email, "05.03.1980").await;
    chat.press("confirm").await;
    let client = reqwest::Client::new();
    assert_eq!(client.get(format!("{}/healthz", bot.url())).send().await.unwrap().text().await.unwrap(), "ok");
    let r = client.get(format!("{}/readyz", bot.url())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let ready: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        ready,
        serde_json::json!({"status": "ready", "checks": {"database": "ok", "migrations": "ok", "workers": "ok", "telegram": "not-polled", "discord": "not-configured"}})
    );
    let metrics = |token: Option<&str>| {
        let mut request = client.get(format!("{}/metrics", bot.url()));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    assert_eq!(metrics(None).await.unwrap().status(), 401);
    assert_eq!(metrics(Some("yanlis")).await.unwrap().status(), 401);
    let r = metrics(Some("izleme-jetonu-2026")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
    let text = r.text().await.unwrap();
    for expected in [
        "eimza_tickets{state=\"submitted\"} 1",
        "eimza_tickets{state=\"cancelled\"} 0",
        "eimza_agents_connected 0",
        "eimza_conversation_turn_seconds_count",
        "# TYPE eimza_outbox_pending gauge",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    let turns: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("eimza_conversation_turns_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the turn counter");
    assert!(turns >= 8.0, "{turns} turns counted");
    // Names, labels and help texts: a sample's value is a number the bot counted (a latency's
    // sum may well read 0.001980…), never a person's.
    let words: String = text
        .lines()
        .map(|l| if l.starts_with('#') { l } else { l.rsplit_once(' ').map_or(l, |(name, _)| name) })
        .collect::<Vec<_>>()
        .join("\n");
    for personal in ["10000000146", "Ilgaz", "ILGAZ", &email, "1980"] {
        assert!(!words.contains(personal), "{personal} in the metrics: {words}");
    }

    // On an address of its own, no token; then the main address does not serve it.
    let port = eimza_tests::free_port();
    let own = TestBot::start_with(&[("EIMZA_METRICS__LISTEN", &format!("127.0.0.1:{port}"))]).await;
    let r = client.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("eimza_tickets{state=\"submitted\"} 0"));
    assert_eq!(client.get(format!("{}/metrics", own.url())).send().await.unwrap().status(), 404);
}

/// A whole request — intake, e-mail code, staff login, the reveal, an export — with JSON logs at
/// debug level: every line is JSON, and none holds the person's T.C. Kimlik No, birth date,
/// name, e-mail, the e-mail code, the staff password or the session's token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_name_nobody() {
    let mut bot = TestBot::start_with(&[("EIMZA_LOG_FORMAT", "json"), ("RUST_LOG", "debug,sqlx=warn,hyper=info,h2=info")]).await;
    let email = unique_email("gunluk");
    let chat = WebChat::open(&bot.url()).await;
    chat.fill_intake("12345678950", "Zeynep Ağaoğlu", "Uzman", &email, "17.09.1984").await;
    let number = {
        let text = chat.press("confirm").await.text();
        let at = text.find("EIMZA-").unwrap();
        text[at..at + 17].to_owned()
    };
    let code = eimza_tests::mail::Maildir::shared().code_for(&email, 1).await;
    let staff = bot.staff_account("gunluk.gorevli", "officer").await;
    staff.get(&format!("/staff/tickets/{number}")).await;
    staff.get("/staff/export.csv").await;
    staff.get("/staff?q=12345678950").await;
    chat.say("/durum").await;
    let cookie_token = staff.cookie.trim_start_matches("eimza_staff=").to_owned();
    bot.terminate(Duration::from_secs(20));
    let log = bot.printed();
    let lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 10, "a log of a whole request: {log}");
    assert!(bot.said().contains("/staff/setup/"), "the setup link went to stderr, apart from the JSON log: {}", bot.said());
    for line in &lines {
        let parsed: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(parsed["level"].is_string() && parsed["timestamp"].is_string(), "{line}");
    }
    for secret in [
        "12345678950",
        "123 456 789 50",
        "17.09.1984",
        "1984-09-17",
        "Zeynep",
        "ZEYNEP",
        "Ağaoğlu",
        "AĞAOĞLU",
        &email,
        &code,
        STAFF_PASSWORD,
        &cookie_token,
        &staff.csrf,
    ] {
        let found: Vec<&&str> = lines.iter().filter(|l| l.contains(secret)).collect();
        assert!(found.is_empty(), "{secret:?} is in the log: {found:#?}");
    }
    assert!(log.contains(&number), "ticket numbers may be logged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_load_restores_into_an_empty_folder() {
    let bot = TestBot::start().await;
    // Requests keep coming while the backup is taken.
    let url = bot.url();
    let load = tokio::spawn(async move {
        let mut opened = 0;
        for n in 0..12u64 {
            let chat = WebChat::open(&url).await;
            chat.fill_intake(&eimza_tests::valid_tckn(9_000 + n), "Ayşe Kaya", "Uzman", &unique_email("yedek"), "05.03.1980").await;
            if chat.press("confirm").await.text().contains("EIMZA-") {
                opened += 1;
            }
        }
        opened
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("eimza-yedek.db");
    let file_arg = file.display().to_string();
    let (code, out) = bot.cli(&["backup", &file_arg], "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Yedek alındı") && out.contains("Veri anahtarı (eimza.key ya da EIMZA_DATA_KEY) yedekte yoktur"), "{out}");
    let opened = load.await.unwrap();
    assert_eq!(opened, 12);
    let (code, out) = bot.cli(&["backup", &file_arg], "");
    assert_eq!(code, 2, "never over an existing file: {out}");
    assert!(!std::path::Path::new(&format!("{file_arg}.partial")).exists());
    // A data folder without a database: said, and nothing is made there.
    let nowhere = dir.path().join("hic").join("data");
    let out = std::process::Command::new(eimza_tests::binary("eimza-bot"))
        .args(["backup", &dir.path().join("bos.db").display().to_string()])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "tr_TR.UTF-8")
        .env("EIMZA_DATA_DIR", &nowhere)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Yedeklenecek veritabanı bulunamadı"));
    assert!(!nowhere.join("eimza.db").exists() && !nowhere.join("eimza.key").exists(), "no empty database, no new key");

    // Into an empty folder with the same key: every ticket and every waiting message is back.
    let restored = dir.path().join("geri").join("data");
    std::fs::create_dir_all(&restored).unwrap();
    std::fs::copy(bot.data_dir.join("eimza.key"), restored.join("eimza.key")).unwrap();
    let restore = |data: &std::path::Path| {
        let out = std::process::Command::new(eimza_tests::binary("eimza-bot"))
            .args(["restore", &file_arg])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LANG", "tr_TR.UTF-8")
            .env("EIMZA_DATA_DIR", data)
            .env("EIMZA_LOCALES_DIR", eimza_tests::root().join("locales"))
            .env("RUST_LOG", "warn")
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
    };
    let (code, out) = restore(&restored);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Geri yüklendi:"), "{out}");
    let key = eimza_bot::keys::vault_of(&restored.join("eimza.key")).unwrap();
    let store = Store::connect(&format!("sqlite:{}", restored.join("eimza.db").display()), key).await.unwrap();
    let tickets: i64 = store.counts_by_state().await.unwrap().iter().map(|(_, n)| n).sum();
    assert!(tickets >= 1 && out.contains(&format!("{tickets} başvuru")), "{tickets}: {out}");
    let first = store.ticket_by_id(1).await.unwrap().unwrap();
    assert_eq!(first.tckn_masked.as_deref(), Some("100******88"), "the encrypted data reads with the key");
    assert!(store.corporate_data(first.id).await.unwrap().is_some());
    store.close().await;
    let (code, out) = restore(&restored);
    assert_eq!(code, 2, "never over a database: {out}");
    assert!(out.contains("zaten bir veritabanı"), "{out}");
    // Another key: refused, nothing written.
    let other = dir.path().join("baska").join("data");
    std::fs::create_dir_all(&other).unwrap();
    eimza_bot::vault::Vault::load_or_create(&other.join("eimza.key")).unwrap();
    let (code, out) = restore(&other);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("başka bir veri anahtarıyla alınmış"), "{out}");
    assert!(!other.join("eimza.db").exists() && !other.join("eimza.db.restoring").exists());
    // A write-ahead log left in the folder would be replayed onto the restored file: refused.
    let journal = dir.path().join("gunce").join("data");
    std::fs::create_dir_all(&journal).unwrap();
    std::fs::copy(bot.data_dir.join("eimza.key"), journal.join("eimza.key")).unwrap();
    std::fs::write(journal.join("eimza.db-wal"), b"eski").unwrap();
    let (code, out) = restore(&journal);
    assert_eq!((code, out.contains("zaten bir veritabanı")), (2, true), "{out}");
    // A SQLite file that is no eimza database, and a damaged copy.
    let plain = dir.path().join("duz.db");
    {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", plain.display())).await.unwrap();
        sqlx::query("CREATE TABLE t (x INTEGER)").execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    }
    let empty_key = dir.path().join("duz-hedef").join("data");
    std::fs::create_dir_all(&empty_key).unwrap();
    std::fs::copy(bot.data_dir.join("eimza.key"), empty_key.join("eimza.key")).unwrap();
    let restore_file = |data: &std::path::Path, backup: &std::path::Path| {
        let out = std::process::Command::new(eimza_tests::binary("eimza-bot"))
            .args(["restore", &backup.display().to_string()])
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("LANG", "tr_TR.UTF-8")
            .env("EIMZA_DATA_DIR", data)
            .output()
            .unwrap();
        (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (code, out) = restore_file(&empty_key, &plain);
    assert_eq!((code, out.contains("eimza yedeği (SQLite veritabanı) değil")), (2, true), "{out}");
    let mut damaged = std::fs::read(&file).unwrap();
    let middle = damaged.len() / 2;
    for b in &mut damaged[middle..middle + 4096] {
        *b = 0x5a;
    }
    let damaged_file = dir.path().join("bozuk.db");
    std::fs::write(&damaged_file, damaged).unwrap();
    let (code, out) = restore_file(&empty_key, &damaged_file);
    assert_ne!(code, 0, "a damaged backup is not restored: {out}");
    assert!(!empty_key.join("eimza.db").exists());
    // No key at all, and a file that is no backup.
    let empty = dir.path().join("bos").join("data");
    std::fs::create_dir_all(&empty).unwrap();
    let (code, out) = restore(&empty);
    assert_eq!((code, out.contains("Veri anahtarı bulunamadı")), (2, true), "{out}");
    std::fs::write(&file, b"bu bir yedek degil").unwrap();
    std::fs::copy(bot.data_dir.join("eimza.key"), empty.join("eimza.key")).unwrap();
    let (code, out) = restore(&empty);
    assert_eq!((code, out.contains("eimza yedeği (SQLite veritabanı) değil")), (2, true), "{out}");

    // The restored folder serves again.
    let again = TestBot::start_in(restored, &[]).await;
    let (status, page) = again.staff_page("/staff").await;
    assert_eq!(status, 200);
    assert!(page.contains("100******88"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_check_names_typos_and_bad_values_and_hides_secrets() {
    let bot = TestBot::start_with(&[("EIMZA_MAIL__SMTP__PASWORD", "gizli"), ("EIMZA_METRICS__TOKEN", "cok-gizli-jeton")]).await;
    let (code, out) = bot.cli(&["config", "check"], "");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Bilinmeyen ayar: mail.smtp.pasword"), "{out}");
    assert!(out.contains("\"token\": \"***\"") && !out.contains("cok-gizli-jeton"), "{out}");
    let fine = TestBot::start_with(&[("EIMZA_METRICS__TOKEN", "cok-gizli-jeton")]).await;
    let (code, out) = fine.cli(&["config", "check"], "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Yapılandırma geçerli."), "{out}");
    let bad = TestBot::start().await;
    let mut cmd = std::process::Command::new(eimza_tests::binary("eimza-bot"));
    cmd.args(["config", "check"])
        .env("EIMZA_STAFF__IDLE_MINUTES", "yarım saat")
        .env("LANG", "tr_TR.UTF-8")
        .env("EIMZA_DATA_DIR", &bad.data_dir);
    let out = cmd.output().unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(said.contains("Hatalı değer: staff.idle_minutes"), "{said}");
}

/// SIGTERM while people are typing: the turns in flight finish (each answered one is saved), the
/// process exits cleanly within its grace period, and everything is there after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_turns_in_flight() {
    let mut bot = TestBot::start().await;
    let mut chats = Vec::new();
    for _ in 0..12 {
        let chat = WebChat::open(&bot.url()).await;
        chat.press("consent:yes").await;
        chats.push(chat);
    }
    let chats = std::sync::Arc::new(chats);
    let sending = {
        let chats = chats.clone();
        tokio::spawn(async move {
            let mut answered = Vec::new();
            let mut handles = Vec::new();
            for (i, _) in chats.iter().enumerate() {
                let chats = chats.clone();
                handles.push(tokio::spawn(async move { chats[i].try_say(&eimza_tests::valid_tckn(7_000 + i as u64)).await }));
            }
            for (i, h) in handles.into_iter().enumerate() {
                if let Ok(Some(status)) = h.await {
                    answered.push((i, status));
                }
            }
            answered
        })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    let (code, took) = bot.terminate(Duration::from_secs(20));
    assert_eq!(code, Some(0), "a clean exit");
    assert!(took < Duration::from_secs(12), "within the grace period: {took:?}");
    let answered = sending.await.unwrap();
    for (_, status) in &answered {
        assert_eq!(*status, 200, "an accepted message is answered, never cut off with an error");
    }
    bot.restart().await;
    for (i, _) in &answered {
        let t = serde_json::to_string(&chats[*i].transcript().await.body).unwrap();
        assert!(t.contains("Adınızı ve soyadınızı"), "the answered turn was saved: {t}");
    }
}
