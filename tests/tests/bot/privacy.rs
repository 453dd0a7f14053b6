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
    assert!(summary.contains("T.C. Kimlik No: 12345678950"), "{summary}");
    assert!(summary.contains("Doğum Tarihi: 17.08.1979"));
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
    for file in ["eimza.db", "eimza.key"] {
        assert_eq!(mode(&bot.data_dir.join(file)), 0o600, "{file}");
    }
    let wal = bot.data_dir.join("eimza.db-wal");
    if wal.exists() {
        assert_eq!(mode(&wal), 0o600);
    }
}

/// Everything that could name the person: the T.C. Kimlik No and birth date (as in
/// `forbidden_in`), the name in any case, and the e-mail address.
fn anything_of_zeynep(bytes: &[u8], email: &str) -> Vec<String> {
    let mut needles: Vec<String> = ["Zeynep", "ZEYNEP", "zeynep", "Doğan", "DOĞAN", "dogan", "Dogan"].map(String::from).to_vec();
    needles.push(email.to_owned());
    needles.push(email.split('@').next().unwrap().to_owned());
    let mut found: Vec<String> = needles.into_iter().filter(|needle| bytes.windows(needle.len()).any(|w| w == needle.as_bytes())).collect();
    found.extend(forbidden_in(bytes).into_iter().map(String::from));
    found
}

/// The raw SQLite files (database, WAL) of a stopped bot.
fn raw_sqlite(bot: &TestBot) -> Vec<u8> {
    ["eimza.db", "eimza.db-wal"].iter().filter_map(|name| std::fs::read(bot.data_dir.join(name)).ok()).flatten().collect()
}

/// Every row of every table of a PostgreSQL database, as text.
async fn pg_dump(url: &str) -> Vec<u8> {
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    let tables: Vec<String> = sqlx::query("SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public'")
        .fetch_all(&pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("t").unwrap())
        .collect();
    assert!(tables.len() > 10, "{tables:?}");
    let mut dump = Vec::new();
    for table in tables {
        let sql = format!("SELECT CAST(t AS TEXT) AS r FROM \"{table}\" t");
        for row in sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(&pool).await.unwrap() {
            dump.extend(row.try_get::<String, _>("r").unwrap().into_bytes());
        }
    }
    pool.close().await;
    dump
}

/// A renewal, a question left for the desk, then `/sil`.
async fn renew_ask_and_delete(chat: &WebChat, email: &str) {
    chat.fill_intake(TCKN, "Zeynep Doğan", "Mühendis", email, "17 Ağustos 1979").await;
    assert!(chat.press("confirm").await.text().contains("Başvurunuz alındı"));
    chat.say("Kartım Zeynep Doğan adına mı, 12345678950?").await;
    assert!(chat.say("/sil").await.text().contains("hemen silinecek"));
    assert!(chat.press("delete:yes").await.text().contains("Kişisel verileriniz silindi"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sil_the_sqlite_file_holds_nothing_of_the_person() {
    let mut bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    let email = unique_email("zeynep.dogan");
    renew_ask_and_delete(&chat, &email).await;
    // The write-ahead log is truncated at the next checkpoint (once a second).
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    bot.kill();
    let raw = raw_sqlite(&bot);
    assert!(raw.windows(b"EIMZA-".len()).any(|w| w == b"EIMZA-"), "sanity: the ticket is still there");
    assert_eq!(anything_of_zeynep(&raw, &email), Vec::<String>::new());
    // What is encrypted cannot be scanned: count it. Only the /sil turn's own two lines remain of
    // the transcript, and no message about the person waits with a payload.
    use sqlx::Row;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", bot.data_dir.join("eimza.db").display())).await.unwrap();
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move { sqlx::query(sql).fetch_one(&pool).await.unwrap().try_get::<i64, _>(0).unwrap() }
    };
    assert!(count("SELECT COUNT(*) FROM webchat_messages").await <= 2);
    assert_eq!(count("SELECT COUNT(*) FROM form_links").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM tickets WHERE tckn_enc IS NOT NULL OR birth_enc IS NOT NULL").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM conversations WHERE unsent_enc IS NOT NULL").await, 0);
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sil_the_postgresql_rows_hold_nothing_of_the_person() {
    let url = fresh_postgres().await;
    let bot = TestBot::start_with(&[("EIMZA_DATABASE_URL", &url)]).await;
    let chat = WebChat::open(&bot.url()).await;
    let email = unique_email("zeynep.dogan");
    renew_ask_and_delete(&chat, &email).await;
    let dump = pg_dump(&url).await;
    assert!(String::from_utf8_lossy(&dump).contains("EIMZA-"), "sanity");
    assert_eq!(anything_of_zeynep(&dump, &email), Vec::<String>::new());
}

/// The retention job and the idle expiry leave nothing of a person whose request closed long ago
/// and who went quiet (here: cancelled, then the jobs run as if 91 days later).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_retention_nothing_of_the_person_is_left() {
    let mut bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    let email = unique_email("zeynep.dogan");
    chat.fill_intake(TCKN, "Zeynep Doğan", "Mühendis", &email, "17 Ağustos 1979").await;
    chat.press("confirm").await;
    chat.say("/iptal").await;
    assert!(chat.press("cancel:yes").await.text().contains("iptal edildi"));
    // An unfinished second application, left in the middle.
    chat.say("/basla").await;
    chat.press("consent:yes").await;
    chat.say(TCKN).await;
    chat.say("Zeynep Doğan").await;
    bot.kill();
    let key = std::fs::read_to_string(bot.data_dir.join("eimza.key")).unwrap();
    let store = eimza_bot::store::Store::connect(
        &format!("sqlite:{}", bot.data_dir.join("eimza.db").display()),
        eimza_bot::vault::Vault::from_base64(&key).unwrap(),
    )
    .await
    .unwrap();
    let later = eimza_bot::clock::now_ms() + 91 * 86_400_000;
    assert_eq!(eimza_bot::jobs::purge_once(&store, 90, later).await.unwrap(), 1);
    assert!(eimza_bot::jobs::expire_idle_once(&store, 30, later).await.unwrap() >= 3, "transcript, session, conversation");
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    store.close().await;
    assert_eq!(anything_of_zeynep(&raw_sqlite(&bot), &email), Vec::<String>::new());
}

/// Starts the bot once on `bot`'s data folder and returns its exit code and error output
/// (for starts that must be refused).
fn start_refused(bot: &TestBot) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(eimza_tests::binary("eimza-bot"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("EIMZA_HTTP_ADDR", format!("127.0.0.1:{}", eimza_tests::free_port()))
        .env("EIMZA_DATA_DIR", &bot.data_dir)
        .env("EIMZA_LOCALES_DIR", eimza_tests::root().join("locales"))
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the bot started although it should have refused");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A wrong or lost key never silently becomes a new key: the bot refuses to start and says
/// which key and what to do; with the right key back it starts, and a single row that does not
/// decrypt does not take the staff list down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_lost_key_stops_the_bot_with_a_clear_message() {
    let mut bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    renewal(&chat).await;
    let other = WebChat::open(&bot.url()).await;
    other.fill_intake("10000000146", "Ilgaz Işık", "Uzman", &unique_email("ilgaz"), "05.03.1980").await;
    other.press("confirm").await;
    bot.kill();
    let key_path = bot.data_dir.join("eimza.key");
    let original = std::fs::read_to_string(&key_path).unwrap();

    std::fs::write(&key_path, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
    let (code, err) = start_refused(&bot);
    assert_ne!(code, Some(0));
    assert!(err.contains("eimza.key") && err.contains("is not the key this database was made with"), "{err}");

    std::fs::remove_file(&key_path).unwrap();
    let (code, err) = start_refused(&bot);
    assert_ne!(code, Some(0));
    assert!(err.contains("was missing") && err.contains("restore the key file"), "{err}");
    assert!(!key_path.exists(), "the new key was not kept");

    // The right key back; one ticket's number damaged on disk.
    std::fs::write(&key_path, &original).unwrap();
    {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&format!("sqlite://{}", bot.data_dir.join("eimza.db").display())).await.unwrap();
        sqlx::query("UPDATE tickets SET tckn_enc = x'01' WHERE number = 'EIMZA-2026-000001'").execute(&pool).await.unwrap();
        pool.close().await;
    }
    bot.restart().await;
    let (status, page) = bot.staff_page("/staff").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("???********") && page.contains("100******46"), "{page}");
    let (status, _) = bot.staff_page("/staff/tickets/EIMZA-2026-000001").await;
    assert_eq!(status, 200);
}

/// `eimza-bot key rotate` on a stopped bot's data folder: the bot starts again on the new key,
/// and what it holds reads as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_rotates_from_the_command_line() {
    let mut bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    renewal(&chat).await;
    bot.kill();
    let before = std::fs::read_to_string(bot.data_dir.join("eimza.key")).unwrap();
    let out = std::process::Command::new(eimza_tests::binary("eimza-bot"))
        .args(["key", "rotate"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "tr_TR.UTF-8")
        .env("EIMZA_DATA_DIR", &bot.data_dir)
        .env("EIMZA_LOCALES_DIR", eimza_tests::root().join("locales"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("kayıt yeni anahtarla yeniden şifrelendi"), "{said}");
    let after = std::fs::read_to_string(bot.data_dir.join("eimza.key")).unwrap();
    assert!(after.starts_with("eimza-key 2") && !after.contains("previous"), "finished: {after}");
    // The old key opens nothing any more.
    {
        let old = eimza_bot::store::Store::connect(
            &format!("sqlite:{}", bot.data_dir.join("eimza.db").display()),
            eimza_bot::vault::Vault::from_base64(&before).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(old.check_key(false).await.unwrap(), eimza_bot::store::KeyCheck::Mismatch);
        old.close().await;
    }
    bot.restart().await;
    let (status, page) = bot.staff_page("/staff").await;
    assert_eq!(status, 200);
    assert!(page.contains("123******50"), "{page}");
    assert!(chat.say("/durum").await.text().contains("Başvuru alındı"));
}
