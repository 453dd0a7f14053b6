//! E-mail through real SMTP servers: notices to staff and applicant, an outage of the SMTP server
//! and a crash of the bot (every message delivered exactly once), a permanent refusal (marked,
//! shown to staff, the rest still delivered), and the out-of-the-box `.eml` files.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use eimza_tests::mail::{Maildir, SmtpSink};
use eimza_tests::{TestBot, WebChat, unique_email};

const STAFF: &str = "bilgiislem@kurum.gov.tr";

async fn bot_on(sink: &SmtpSink) -> TestBot {
    TestBot::start_with(&[("EIMZA_MAIL__SMTP__PORT", &sink.port.to_string())]).await
}

/// Consent and answers up to the e-mail address, on a private sink.
async fn up_to_email(chat: &WebChat, tckn: &str) {
    chat.press("consent:yes").await;
    chat.say(tckn).await;
    chat.say("Ayşe Yılmaz").await;
    chat.say("Uzman").await;
}

async fn verify(chat: &WebChat, maildir: &Maildir, email: &str) {
    let code = maildir.code_for(email, 1).await;
    let a = chat.say(&code).await;
    assert!(a.text().contains("e-posta adresiniz doğrulandı"), "{}", a.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_are_told_of_new_and_cancelled_tickets() {
    let sink = SmtpSink::start().await;
    let bot = bot_on(&sink).await;
    let chat = WebChat::open(&bot.url()).await;
    up_to_email(&chat, "10000000146").await;
    let email = unique_email("ayse");
    chat.say(&email).await;
    verify(&chat, &sink.maildir, &email).await;
    chat.say("05-03-1980").await;
    let a = chat.press("confirm").await;
    let start = a.text().find("EIMZA-").unwrap();
    let number = a.text()[start..start + 17].to_owned();

    let staff = sink.maildir.wait_for(STAFF, 1).await;
    let notice = &staff[0];
    assert_eq!(notice.subject, format!("[{number}] Yeni e-İmza yenileme başvurusu"));
    assert!(notice.text.contains("T.C. Kimlik No: 100******46"), "{}", notice.text);
    assert!(!notice.text.contains("10000000146"), "staff mail carries the masked number only");
    assert!(notice.text.contains("Ad Soyad: Ayşe Yılmaz"));
    assert!(notice.text.contains("Durum: Başvuru alındı"));
    assert!(notice.header("Date").unwrap().ends_with("+0300"));

    chat.say("/iptal").await;
    chat.press("cancel:yes").await;
    let staff = sink.maildir.wait_for(STAFF, 2).await;
    assert_eq!(staff[1].subject, format!("[{number}] Başvuru sahibi başvuruyu iptal etti"));
    assert!(staff[1].text.contains("Durum: İptal edildi"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_smtp_outage_and_a_crash_lose_nothing_and_send_each_mail_once() {
    let mut sink = SmtpSink::start().await;
    let mut bot = bot_on(&sink).await;
    sink.stop();
    // three people ask for codes while the mail server is down
    let mut people = Vec::new();
    for tckn in ["10000000146", "12345678950", "10000000078"] {
        let chat = WebChat::open(&bot.url()).await;
        up_to_email(&chat, tckn).await;
        let email = unique_email("kisi");
        let a = chat.say(&email).await;
        assert!(a.text().contains("doğrulama kodu gönderdik"), "the chat goes on: {}", a.text());
        people.push((chat, email));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await; // a few failed attempts
    // the bot crashes too, and comes back before the mail server does
    bot.restart().await;
    sink.resume().await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let arrived = people.iter().filter(|(_, e)| !sink.maildir.to(e).is_empty()).count();
        if arrived == people.len() {
            break;
        }
        assert!(Instant::now() < deadline, "only {arrived} of {} codes arrived after the outage", people.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // each person can finish with the code that arrived
    for (chat, email) in &people {
        verify(chat, &sink.maildir, email).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await; // time for any duplicate to show up
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for mail in sink.maildir.all() {
        *by_id.entry(mail.header("Message-ID").unwrap()).or_default() += 1;
    }
    assert_eq!(by_id.len(), people.len());
    assert!(by_id.values().all(|n| *n == 1), "every message exactly once: {by_id:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_address_is_marked_failed_and_the_others_still_go() {
    let sink = SmtpSink::start().await;
    let bot = bot_on(&sink).await;
    let refused = WebChat::open(&bot.url()).await;
    up_to_email(&refused, "10000000146").await;
    refused.say(&unique_email("reddet")).await;
    let fine = WebChat::open(&bot.url()).await;
    up_to_email(&fine, "12345678950").await;
    let email = unique_email("kabul");
    fine.say(&email).await;
    verify(&fine, &sink.maildir, &email).await;

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, page) = bot.staff_page("/staff").await;
        if page.contains("Gönderilemeyen iletiler") {
            assert!(page.contains("E-posta doğrulama kodu"), "{page}");
            assert!(page.contains("550"), "the server's answer is shown");
            break;
        }
        assert!(Instant::now() < deadline, "the refused mail never showed up as failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sink.maildir.all().len(), 1, "only the accepted address got mail");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_the_box_mail_is_written_to_files() {
    let bot = TestBot::start_with(&[("EIMZA_MAIL__TRANSPORT", "file")]).await;
    let chat = WebChat::open(&bot.url()).await;
    up_to_email(&chat, "10000000146").await;
    chat.say("dosya@kurum.gov.tr").await;
    let eml = first_eml(&bot.data_dir.join("outbox")).await;
    assert!(eml.contains("To: dosya@kurum.gov.tr"), "{eml}");
    assert!(eml.contains("Subject: =?utf-8?"));
}

/// `mail.dir` puts the files in a folder of the operator's choosing, made as private as the data
/// folder's own (the codes are in them); none go to that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_files_go_to_the_configured_folder() {
    let spool = tempfile::tempdir().unwrap();
    let folder = spool.path().join("giden posta");
    let bot = TestBot::start_with(&[("EIMZA_MAIL__TRANSPORT", "file"), ("EIMZA_MAIL__DIR", folder.to_str().unwrap())]).await;
    let chat = WebChat::open(&bot.url()).await;
    up_to_email(&chat, "10000000146").await;
    chat.say("klasor@kurum.gov.tr").await;
    let eml = first_eml(&folder).await;
    assert!(eml.contains("To: klasor@kurum.gov.tr"), "{eml}");
    assert!(!bot.data_dir.join("outbox").exists(), "nothing is written to the default folder");
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700, "the folder is the bot's alone");
    for file in std::fs::read_dir(&folder).unwrap() {
        assert_eq!(mode(&file.unwrap().path()), 0o600, "each e-mail is the bot's alone");
    }
}

/// The text of the first `.eml` file to appear in `dir` (within 20 s).
async fn first_eml(dir: &std::path::Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect())
            .unwrap_or_default();
        if let Some(first) = found.first() {
            return std::fs::read_to_string(first).unwrap();
        }
        assert!(Instant::now() < deadline, "no .eml file in {}", dir.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_applicant_is_told_of_each_step_in_their_language() {
    use eimza_bot::Config;
    use eimza_bot::core::ticket::{ActorKind, TicketEvent};
    use eimza_bot::delivery::mail::Mailer;
    use eimza_bot::i18n::Texts;
    use eimza_bot::store::{OpenOutcome, Store};
    use eimza_bot::vault::Vault;
    use eimza_protocol::Lang;

    let sink = SmtpSink::start().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite:{}", dir.path().join("m.db").display()), Vault::from_master_key(&[4; 32])).await.unwrap();
    store.save_institution("Örnek", "{}", 0).await.unwrap();
    let config = Config::defaults_with(&[
        ("mail.transport", "\"smtp\""),
        ("mail.smtp.host", "\"127.0.0.1\""),
        ("mail.smtp.port", &sink.port.to_string()),
        ("mail.smtp.security", "\"none\""),
    ])
    .unwrap();
    let mailer = Mailer::new(store.clone(), std::sync::Arc::new(Texts::embedded()), &config).unwrap();
    let email = unique_email("applicant");
    let person = store.person("telegram", "42", 0).await.unwrap();
    let draft = eimza_tests::application("10000000146", "Ilgaz Işık", &email);
    let now = eimza_bot::clock::now_ms();
    let mut tx = store.begin().await.unwrap();
    let OpenOutcome::Opened(number) = tx.open_ticket(person, &draft, Lang::En, now).await.unwrap() else { panic!() };
    tx.commit().await.unwrap();
    let id = store.ticket_detail(&number.to_string()).await.unwrap().unwrap().0.id;
    let steps = [
        (TicketEvent::AgentPaired, ActorKind::System),
        (TicketEvent::CardStepRequested, ActorKind::System),
        (TicketEvent::EOnayAttested, ActorKind::Agent),
        (TicketEvent::CorporateApplied, ActorKind::Staff),
    ];
    for (event, actor) in steps {
        eimza_tests::apply(&store, id, event, actor, None, now).await.unwrap();
    }
    assert_eq!(mailer.deliver_due().await.unwrap(), 2 + 2, "two notices to the applicant, two to staff (none configured)");
    let mails = sink.maildir.wait_for(&email, 2).await;
    assert_eq!(mails[0].subject, format!("Your e-signature renewal request: {number}"));
    assert!(mails[0].text.starts_with("Hello Ilgaz Işık,"), "{}", mails[0].text);
    assert!(mails[0].text.contains("Your e-Onay has been verified."));
    assert!(mails[1].text.contains("Your institutional application has been filed with Kamu SM."));
    assert!(mails[1].text.contains("Status: Institutional application filed"));
    assert_eq!(mailer.deliver_due().await.unwrap(), 0, "nothing is sent twice");
}

/// STARTTLS and implicit TLS against real TLS servers whose certificate the institution's own CA
/// issued (`mail.smtp.ca_file`); without that CA the bot refuses to talk to the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtp_over_starttls_and_implicit_tls_trusting_the_institutions_ca() {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::default();
    ca.distinguished_name.push(DnType::CommonName, "Kurum Test Kök Sertifikası");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::default();
    server.distinguished_name.push(DnType::CommonName, "127.0.0.1");
    server.subject_alt_names = vec![SanType::IpAddress("127.0.0.1".parse().unwrap())];
    let server_cert = server.signed_by(&server_key, &issuer).unwrap();
    let (ca_pem, cert_pem, key_pem) = (dir.path().join("ca.pem"), dir.path().join("server.pem"), dir.path().join("server.key"));
    std::fs::write(&ca_pem, ca_cert.pem()).unwrap();
    std::fs::write(&cert_pem, server_cert.pem()).unwrap();
    std::fs::write(&key_pem, server_key.serialize_pem()).unwrap();

    for (mode, security) in [("starttls", "starttls"), ("wrapper", "tls")] {
        let sink = SmtpSink::start_tls(mode, cert_pem.clone(), key_pem.clone()).await;
        let port = sink.port.to_string();
        let ca = ca_pem.display().to_string();
        let bot = TestBot::start_with(&[
            ("EIMZA_MAIL__SMTP__HOST", "127.0.0.1"),
            ("EIMZA_MAIL__SMTP__PORT", &port),
            ("EIMZA_MAIL__SMTP__SECURITY", security),
            ("EIMZA_MAIL__SMTP__CA_FILE", &ca),
        ])
        .await;
        let chat = WebChat::open(&bot.url()).await;
        up_to_email(&chat, "10000000146").await;
        let email = unique_email("tls");
        chat.say(&email).await;
        verify(&chat, &sink.maildir, &email).await;

        // The same server without the institution's CA: not trusted, nothing delivered.
        let untrusted = TestBot::start_with(&[
            ("EIMZA_MAIL__SMTP__HOST", "127.0.0.1"),
            ("EIMZA_MAIL__SMTP__PORT", &port),
            ("EIMZA_MAIL__SMTP__SECURITY", security),
        ])
        .await;
        let chat = WebChat::open(&untrusted.url()).await;
        up_to_email(&chat, "10000000146").await;
        let other = unique_email("tls-untrusted");
        chat.say(&other).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        assert!(sink.maildir.to(&other).is_empty(), "{mode}: a server with an untrusted certificate gets nothing");
    }
}
