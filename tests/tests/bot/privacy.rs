//! Personal data at rest: the raw database holds no TC Kimlik No and no birth date; the key lives
//! outside the database, private to its owner; the same journey works on PostgreSQL.

use eimza_tests::{TestBot, WebChat, fresh_postgres, unique_email};

const TCKN: &str = "12345678950";

async fn renewal(chat: &WebChat) -> String {
    chat.fill_intake(TCKN, "Zeynep Doğan", "Mühendis", &unique_email("zeynep.dogan"), "17 Ağustos 1979").await;
    chat.press("confirm").await.text()
}

fn forbidden_in(bytes: &[u8]) -> Vec<&'static str> {
    // The TC Kimlik No in every spelling a person typed or we stored, and the birth date in
    // every form we know.
    ["12345678950", "123 456 789 50", "1979-08-17", "17-08-1979", "17 Ağustos 1979", "17.08.1979"]
        .into_iter()
        .filter(|needle| bytes.windows(needle.len()).any(|w| w == needle.as_bytes()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_file_holds_no_tckn_or_birth_date() {
    let mut bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    let done = renewal(&chat).await;
    assert!(done.contains("Başvurunuz alındı"), "{done}");
    // an edit and a misplaced PIN on the way, for good measure
    chat.say("/durum").await;
    bot.kill();
    let mut raw = Vec::new();
    for name in ["eimza.db", "eimza.db-wal"] {
        if let Ok(bytes) = std::fs::read(bot.data_dir.join(name)) {
            raw.extend(bytes);
        }
    }
    assert!(raw.len() > 10_000, "the database was read");
    assert!(raw.windows(b"@kurum.gov.tr".len()).any(|w| w == b"@kurum.gov.tr"), "sanity: plain fields are found");
    assert_eq!(forbidden_in(&raw), Vec::<&str>::new());

    let key = bot.data_dir.join("eimza.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600, "the key file is private");
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(!raw.windows(key_text.trim().len()).any(|w| w == key_text.trim().as_bytes()), "the key is not in the database");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_journey_on_postgresql_survives_a_crash() {
    let url = fresh_postgres().await;
    let mut bot = TestBot::start_with(&[("EIMZA_DATABASE_URL", &url)]).await;
    let chat = WebChat::open(&bot.url()).await;
    chat.press("consent:yes").await;
    chat.say(TCKN).await;
    bot.restart().await;
    chat.say("Zeynep Doğan").await;
    chat.say("Mühendis").await;
    chat.verify_email(&unique_email("zeynep.dogan")).await;
    let summary = chat.say("17 Ağustos 1979").await.text();
    assert!(summary.contains("TC Kimlik No: 12345678950"), "{summary}");
    assert!(summary.contains("Doğum Tarihi: 17-08-1979"));
    let done = chat.press("confirm").await.text();
    assert!(done.contains("Başvuru numaranız: EIMZA-"), "{done}");
    bot.restart().await;
    let status = chat.say("/durum").await.text();
    assert!(status.contains("Durum: Başvuru alındı"), "{status}");

    // the PostgreSQL rows hold no TC Kimlik No or birth date either
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let mut dump = Vec::new();
    for table in ["tickets", "conversations", "webchat_messages", "ticket_events", "persons", "outbox"] {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT CAST(t AS TEXT) AS r FROM {table} t"))).fetch_all(&pool).await.unwrap();
        assert!(!rows.is_empty() || table == "persons", "{table} has rows");
        for row in rows {
            dump.extend(row.try_get::<String, _>("r").unwrap().into_bytes());
        }
    }
    assert!(String::from_utf8_lossy(&dump).contains("@kurum.gov.tr"), "sanity");
    assert_eq!(forbidden_in(&dump), Vec::<&str>::new());
}

/// Everything the bot writes is its own user's only: the data folder and the mail folder 0700,
/// the database (and its WAL), the key, the staff password and every e-mail file 0600.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let bot = TestBot::start_with(&[("EIMZA_MAIL__TRANSPORT", "file")]).await;
    let chat = WebChat::open(&bot.url()).await;
    chat.press("consent:yes").await;
    chat.say(TCKN).await;
    chat.say("Zeynep Doğan").await;
    chat.say("Mühendis").await;
    let sent = chat.say(&unique_email("zeynep.dogan")).await.text();
    assert!(sent.contains("kod"), "{sent}");
    let outbox = bot.data_dir.join("outbox");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let eml = loop {
        let found = std::fs::read_dir(&outbox)
            .ok()
            .and_then(|d| d.filter_map(Result::ok).map(|e| e.path()).find(|p| p.extension().is_some_and(|x| x == "eml")));
        if let Some(found) = found {
            break found;
        }
        assert!(std::time::Instant::now() < deadline, "the code's e-mail file");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&bot.data_dir), 0o700);
    assert_eq!(mode(&outbox), 0o700);
    assert_eq!(mode(&eml), 0o600, "{}", eml.display());
    for file in ["eimza.db", "eimza.key", "staff-password"] {
        assert_eq!(mode(&bot.data_dir.join(file)), 0o600, "{file}");
    }
    let wal = bot.data_dir.join("eimza.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
}
