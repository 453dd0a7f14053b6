//! The roster and the certificate-expiry reminders: import through the command line (Excel's
//! Turkish CSV, all or nothing, per-line Turkish errors), reminders queued once per threshold,
//! catching up with one reminder after a pause, never twice — also with two instances at once —
//! and delivered as a Turkish e-mail.

use std::process::Command;

use chrono::{Days, NaiveDate};
use eimza_bot::core::domain::{EmailDomains, FullName, KurumEmail, Tckn, Title};
use eimza_bot::roster::RosterEntry;
use eimza_bot::store::Store;
use eimza_bot::vault::Vault;
use eimza_tests::{binary, fresh_postgres, root};

fn import(data: &std::path::Path, file: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(binary("eimza-bot"))
        .args(["roster", "import"])
        .arg(file)
        .env("EIMZA_DATA_DIR", data)
        .env("LANG", "tr_TR.UTF-8")
        .env("RUST_LOG", "warn")
        .current_dir(data.parent().unwrap())
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test]
async fn the_command_line_imports_excels_turkish_csv_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // the sample from docs/, as Excel in Turkish saves it: Windows-1254
    let sample = std::fs::read_to_string(root().join("docs/roster-ornek.csv")).unwrap();
    let (bytes, _, _) = encoding_rs::WINDOWS_1254.encode(&sample);
    let file = dir.path().join("liste.csv");
    std::fs::write(&file, &bytes).unwrap();
    let (code, out, err) = import(&data, &file);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "3 kişi içe aktarıldı: 3 yeni, 0 güncellendi.");
    // again, with one date moved: an update, not a copy
    std::fs::write(&file, sample.replace("31.03.2027", "30.04.2027")).unwrap();
    let (code, out, _) = import(&data, &file);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "3 kişi içe aktarıldı: 0 yeni, 3 güncellendi.");
    // a file with mistakes: every one reported, nothing taken
    std::fs::write(
        &file,
        "TC Kimlik No;Ad Soyad;Ünvan;Kurum E-Posta;Sertifika Bitiş Tarihi\n\
         10000000214;Yeni Kişi;Uzman;yeni@kurum.gov.tr;01.06.2027\n\
         12345678901;Ayşe;Uzman;ayse@gmail.com;31.02.2027\n",
    )
    .unwrap();
    let (code, out, err) = import(&data, &file);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("3. satır, T.C. Kimlik No: Bu numara geçerli bir T.C. Kimlik No değil"), "{err}");
    assert!(err.contains("3. satır, Ad Soyad: Lütfen adınızı ve soyadınızı birlikte yazın"));
    assert!(err.contains("3. satır, Kurum E-Posta: Yalnızca kurum e-posta adresleri kabul edilir"));
    assert!(err.contains("3. satır, Sertifika Bitiş Tarihi: Takvimde böyle bir gün yok: 31.02.2027"));
    assert!(err.contains("hiçbir kayıt alınmadı"));
    let (code, _, err) = import(&data, &dir.path().join("yok.csv"));
    assert_eq!(code, 2);
    assert!(err.contains("Dosya okunamadı"), "{err}");
    std::fs::write(&file, "Ad;Soyad;Görev\nx;y;z\n").unwrap();
    let (code, _, err) = import(&data, &file);
    assert_eq!(code, 1);
    assert!(err.contains("başlık satırında şu sütunlar bulunamadı: T.C. Kimlik No, Ad Soyad, Unvan"), "{err}");
    // the store holds the three from before, unchanged by the refused files
    let key = std::fs::read_to_string(data.join("eimza.key")).unwrap();
    let store = Store::connect(&format!("sqlite:{}", data.join("eimza.db").display()), Vault::from_base64(&key).unwrap()).await.unwrap();
    assert_eq!(store.roster_count().await.unwrap(), 3);
}

const TODAY: (i32, u32, u32) = (2026, 11, 25);

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap()
}

fn person(tckn: &str, email: &str, expires_in: i64) -> RosterEntry {
    let domains = EmailDomains { domains: vec!["kurum.gov.tr".into()], allow_subdomains: false };
    let expires = if expires_in >= 0 {
        today().checked_add_days(Days::new(expires_in as u64)).unwrap()
    } else {
        today().checked_sub_days(Days::new((-expires_in) as u64)).unwrap()
    };
    RosterEntry {
        tckn: Tckn::parse(tckn).unwrap(),
        name: FullName::parse("Ayşe Yılmaz").unwrap(),
        title: Title::parse("Uzman", &[]).unwrap(),
        email: KurumEmail::parse(email, &domains).unwrap(),
        expires,
    }
}

const OFFSETS: [u32; 6] = [40, 30, 14, 7, 3, 1];

fn day(offset: u64) -> NaiveDate {
    today().checked_add_days(Days::new(offset)).unwrap()
}

async fn reminders_once_per_threshold_with_catch_up(store: Store) {
    let roster = vec![
        person("10000000146", "a@kurum.gov.tr", 40),
        person("12345678950", "b@kurum.gov.tr", 35),
        person("10000000078", "c@kurum.gov.tr", 13),
        person("10000000214", "d@kurum.gov.tr", 1),
        person("10000000382", "e@kurum.gov.tr", 0),
        person("10000000450", "f@kurum.gov.tr", 50),
        person("10000000528", "g@kurum.gov.tr", -1),
    ];
    store.import_roster(&roster, "import", 0).await.unwrap();
    assert_eq!(store.queue_due_reminders(today(), &OFFSETS, 1).await.unwrap(), 5, "a, b (40), c (14), d and e (1)");
    assert_eq!(store.queue_due_reminders(today(), &OFFSETS, 2).await.unwrap(), 0, "never twice");
    assert_eq!(store.queue_due_reminders(day(1), &OFFSETS, 3).await.unwrap(), 0, "tomorrow: nothing new");
    // five days on, b is at 30: its 30-day reminder
    assert_eq!(store.queue_due_reminders(day(5), &OFFSETS, 4).await.unwrap(), 1);
    // the bot was down for nine days: a is at 26 → one 30-day reminder (its 40 was sent; no
    // flood), f at 36 → its 40, c expired → nothing
    assert_eq!(store.queue_due_reminders(day(14), &OFFSETS, 5).await.unwrap(), 2, "catch up with the most recent only");
    // a new certificate (re-import with a later date) starts over
    store.import_roster(&[person("10000000146", "a@kurum.gov.tr", 400)], "import", 6).await.unwrap();
    assert_eq!(store.queue_due_reminders(day(365), &OFFSETS, 7).await.unwrap(), 1, "a's new certificate, 35 days left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite:{}", dir.path().join("r.db").display()), Vault::from_master_key(&[6; 32])).await.unwrap();
    reminders_once_per_threshold_with_catch_up(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reminders_on_postgresql() {
    let store = Store::connect(&fresh_postgres().await, Vault::from_master_key(&[6; 32])).await.unwrap();
    reminders_once_per_threshold_with_catch_up(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_never_send_the_same_reminder() {
    let url = fresh_postgres().await;
    let a = Store::connect(&url, Vault::from_master_key(&[6; 32])).await.unwrap();
    let b = Store::connect(&url, Vault::from_master_key(&[6; 32])).await.unwrap();
    let roster: Vec<RosterEntry> =
        (0..300u64).map(|i| person(&eimza_tests::valid_tckn(100_000_000 + i), &format!("p{i}@kurum.gov.tr"), (i % 45) as i64)).collect();
    a.import_roster(&roster, "import", 0).await.unwrap();
    let (x, y) = tokio::join!(a.queue_due_reminders(today(), &OFFSETS, 1), b.queue_due_reminders(today(), &OFFSETS, 1));
    let due = roster.iter().filter(|e| (e.expires - today()).num_days() <= 40).count();
    assert_eq!(x.unwrap() + y.unwrap(), due, "every due reminder queued by exactly one instance");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reminder_e_mail_says_when_and_how() {
    use eimza_bot::Config;
    use eimza_bot::delivery::mail::Mailer;
    use eimza_bot::i18n::Texts;
    use eimza_tests::mail::SmtpSink;

    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite:{}", dir.path().join("r.db").display()), Vault::from_master_key(&[6; 32])).await.unwrap();
    let config = Config::defaults_with(&[
        ("mail.transport", "\"smtp\""),
        ("mail.smtp.host", "\"127.0.0.1\""),
        ("mail.smtp.port", &sink.port.to_string()),
        ("mail.smtp.security", "\"none\""),
        ("public_url", "\"https://eimza.kurum.gov.tr\""),
    ])
    .unwrap();
    let mailer = Mailer::new(store.clone(), std::sync::Arc::new(Texts::embedded()), &config).unwrap();
    store
        .import_roster(&[person("10000000146", "hatirlat@kurum.gov.tr", 14), person("12345678950", "yarin@kurum.gov.tr", 1)], "import", 0)
        .await
        .unwrap();
    assert_eq!(store.queue_due_reminders(today(), &OFFSETS, 1).await.unwrap(), 2);
    assert_eq!(mailer.deliver_due().await.unwrap(), 2);
    let mail = &sink.maildir.wait_for("hatirlat@kurum.gov.tr", 1).await[0];
    assert_eq!(mail.subject, "e-İmza sertifikanızın süresi 14 gün sonra doluyor");
    assert!(mail.text.starts_with("Merhaba Ayşe Yılmaz,"), "{}", mail.text);
    assert!(mail.text.contains("9 Aralık 2026 tarihinde sona eriyor"), "{}", mail.text);
    assert!(mail.text.contains("https://eimza.kurum.gov.tr/ adresindeki yenileme asistanını açın ve /basla yazın"));
    let tomorrow = &sink.maildir.wait_for("yarin@kurum.gov.tr", 1).await[0];
    assert_eq!(tomorrow.subject, "e-İmza sertifikanızın süresi yarın doluyor");

    // one-click unsubscribe (RFC 8058): the link names the person, unforgeably
    let link = mail.header("List-Unsubscribe").unwrap();
    assert_eq!(mail.header("List-Unsubscribe-Post").as_deref(), Some("List-Unsubscribe=One-Click"));
    let token = link.trim_matches(['<', '>']).strip_prefix("https://eimza.kurum.gov.tr/abonelik/iptal/").unwrap().to_owned();
    assert!(!store.unsubscribe(&token.replace('.', ".x"), 3).await.unwrap(), "a forged token does nothing");
    assert!(store.unsubscribe(&token, 3).await.unwrap());
    // a week on, the opted-out person gets no 7-day reminder; the other one's certificate expired
    store.import_roster(&[person("10000000214", "baska@kurum.gov.tr", 14)], "import", 4).await.unwrap();
    assert_eq!(store.queue_due_reminders(day(7), &OFFSETS, 5).await.unwrap(), 1, "only the person who did not opt out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_unsubscribe_link_asks_first_and_refuses_forgeries() {
    let bot = eimza_tests::TestBot::start().await;
    let key = std::fs::read_to_string(bot.data_dir.join("eimza.key")).unwrap();
    let store =
        Store::connect(&format!("sqlite:{}", bot.data_dir.join("eimza.db").display()), Vault::from_base64(&key).unwrap()).await.unwrap();
    let token = store.unsubscribe_token(&store.vault().lookup_hash("tckn", "10000000146"));
    let url = format!("{}/abonelik/iptal/{token}", bot.url());
    let client = reqwest::Client::new();
    let page = client.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Hatırlatmaları durdur"), "a mail scanner's GET only shows a button: {page}");
    let r = client.post(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Hatırlatma e-postaları durduruldu."));
    let r = client.post(format!("{}/abonelik/iptal/{}x", bot.url(), token)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Bu bağlantı geçerli değil."));
    let r = client.post(format!("{}/abonelik/iptal/nokta-yok", bot.url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
    // A token that is not a token's shape never reaches the page's form (a decoded `%2F` would
    // send the button elsewhere; markup would run).
    for bad in ["..%2F..%2Fstaff%2Froster", "a.b%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E", "x.%2E%2E"] {
        let r = client.get(format!("{}/abonelik/iptal/{bad}", bot.url())).send().await.unwrap();
        assert_eq!(r.status(), 404, "{bad}");
        let page = r.text().await.unwrap();
        assert!(!page.contains("<form") && !page.contains("<script") && !page.contains("roster"), "{page}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_upload_the_roster_on_the_dashboard() {
    let bot = eimza_tests::TestBot::start().await;
    let admin = bot.admin().await;
    let (_, page) = admin.get("/staff/admin").await;
    assert!(page.contains("enctype=\"multipart/form-data\""), "the form is on the admin page");

    let sample = std::fs::read(root().join("docs/roster-ornek.csv")).unwrap();
    let (status, text) = admin.post_file("/staff/roster", sample.clone()).await;
    assert_eq!(status, 200);
    assert!(text.contains("3 kişi içe aktarıldı: 3 yeni, 0 güncellendi."), "{text}");
    let bad = b"TC Kimlik No;Ad Soyad;\xDCnvan;Kurum E-Posta;Sertifika Biti\xFE Tarihi\n12345678901;A B;Uzman;a@kurum.gov.tr;01.01.2027\n"
        .to_vec();
    let (status, text) = admin.post_file("/staff/roster", bad).await;
    assert_eq!(status, 400);
    assert!(text.contains("2. satır, T.C. Kimlik No: Bu numara geçerli bir T.C. Kimlik No değil"), "{text}");
    assert!(text.contains("hiçbir kayıt alınmadı"));
    // From another site, without the form's token, or by an officer: refused.
    let client = reqwest::Client::new();
    let upload = |origin: &str, csrf: &str, cookie: &str| {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf.to_owned())
            .part("file", reqwest::multipart::Part::bytes(sample.clone()).file_name("liste.csv"));
        client.post(format!("{}/staff/roster", bot.url())).header("origin", origin).header("cookie", cookie).multipart(form).send()
    };
    assert_eq!(upload("https://kotu.example", &admin.csrf, &admin.cookie).await.unwrap().status(), 403, "a form posted from another site");
    assert_eq!(upload(&bot.url(), "wrong", &admin.cookie).await.unwrap().status(), 403, "a wrong CSRF token");
    assert_eq!(upload(&bot.url(), &admin.csrf, "").await.unwrap().status(), 401, "no session");
    let officer = bot.staff_account("gorevli", "officer").await;
    assert_eq!(upload(&bot.url(), &officer.csrf, &officer.cookie).await.unwrap().status(), 403, "only an admin");
}

/// A person linked to a chat (a ticket of theirs holds their number) gets the reminder in the
/// chat too, once, besides the e-mail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_with_a_chat_gets_the_reminder_there_too() {
    let bot = eimza_tests::TestBot::start_with(&[
        ("EIMZA_REMINDERS__OFFICE_START_HOUR", "0"),
        ("EIMZA_REMINDERS__OFFICE_END_HOUR", "24"),
        ("EIMZA_REMINDERS__WEEKDAYS_ONLY", "false"),
        ("EIMZA_REMINDERS__INTERVAL_SECS", "1"),
    ])
    .await;
    let tckn = eimza_tests::valid_tckn(701);
    let email = eimza_tests::unique_email("hatirlatma");
    let chat = eimza_tests::WebChat::open(&bot.url()).await;
    chat.fill_intake(&tckn, "Ayşe Yılmaz", "Uzman", &email, "05.03.1980").await;
    chat.press("confirm").await;
    // An open renewal pauses the expiry reminders; this one is cancelled, so they come.
    chat.say("/iptal").await;
    chat.press("cancel:yes").await;
    let key = std::fs::read_to_string(bot.data_dir.join("eimza.key")).unwrap();
    let store =
        Store::connect(&format!("sqlite:{}", bot.data_dir.join("eimza.db").display()), Vault::from_base64(&key).unwrap()).await.unwrap();
    let istanbul_today = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Istanbul).date_naive();
    let expires = istanbul_today.checked_add_days(Days::new(30)).unwrap();
    let mut entry = person(&tckn, &email, 30);
    entry.expires = expires;
    store.import_roster(&[entry], "import", 1).await.unwrap();
    let months = ["Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım", "Aralık"];
    use chrono::Datelike;
    let wanted = format!(
        "Hatırlatma: e-İmza sertifikanızın süresi 30 gün sonra, {} {} {} tarihinde doluyor.",
        expires.day(),
        months[expires.month0() as usize],
        expires.year()
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let lines = chat.transcript().await.body["messages"].as_array().cloned().unwrap_or_default();
        let found = lines.iter().filter(|m| m["text"].as_str().unwrap_or("").contains(&wanted)).count();
        if found > 0 {
            assert_eq!(found, 1);
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no chat reminder; the chat shows {lines:#?}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // And the e-mail went as well.
    let mails = eimza_tests::mail::Maildir::shared();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while mails.to(&email).len() < 2 {
        assert!(std::time::Instant::now() < deadline, "the reminder e-mail (after the code mail)");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    // Still once after more runs of the job.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let lines = chat.transcript().await.body["messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(lines.iter().filter(|m| m["text"].as_str().unwrap_or("").contains("Hatırlatma:")).count(), 1);
}
