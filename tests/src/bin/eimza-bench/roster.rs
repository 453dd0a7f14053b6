//! Roster import, reminder scan and outbox delivery.

use std::time::Instant;

use chrono::{Days, NaiveDate};
use eimza_bot::Config;
use eimza_bot::delivery::mail::Mailer;
use eimza_bot::i18n::Texts;
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
        text.push_str(&format!(
            "{};Ayşe Yılmaz;Şube Müdürü;kisi.{n}@kurum.gov.tr;{}\r\n",
            eimza_tests::valid_tckn(n),
            expires.format("%d.%m.%Y")
        ));
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
    println!(
        "{label}: CSV import of {rows} rows (Windows-1254, parse + validate + encrypt + store): {secs:.2} s, {:.0} rows/s",
        rows as f64 / secs
    );
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
    println!(
        "{label}: reminder scan over 1,000,000 people, first run: {queued} reminders found and queued in {first:.2} s (target < 2 s: {:.2}x)",
        2.0 / first
    );
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
    println!(
        "outbox → SMTP sink (aiosmtpd on loopback): {sent} of {queued} reminders delivered in {secs:.2} s, {:.0} messages/s",
        sent as f64 / secs
    );
}
