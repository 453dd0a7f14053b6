//! The renewal's whole road with real processes — the product's main acceptance test — and the
//! ways an e-Onay proof is refused. The bot (SQLite, once PostgreSQL), a person in the web chat,
//! `eimza-agent` (`calis` and `eonay`), pcscd + vpcd with the virtual AKİS card, the SMTP sink,
//! the Telegram Bot API stand-in as the staff group, a local `openssl ocsp` responder, and a test
//! CA the bot trusts in place of Kamu SM's.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eimza_tests::mail::Maildir;
use eimza_tests::pki::{self, CertSpec, PublicKey};
use eimza_tests::telegram::BotApi;
use eimza_tests::trust::{OcspResponder, Status, TestCa};
use eimza_tests::valid_tckn;
use eimza_tests::vcard::{self, CardState, VirtualCard};
use rsa::RsaPrivateKey;

use eimza_tests::agent::{bot_lines, pushed, wait_for};
use eimza_tests::road::{HOLDER, Road, STAFF_GROUP, STAFF_USER, Setup, holders_certificate, staff_posts};

async fn whole_road(database: Option<String>) {
    let sqlite = database.is_none();
    let telegram = BotApi::start().await;
    let (port, ocsp_url) = OcspResponder::address();
    let n = if database.is_some() { 601 } else { 602 };
    let tckn = valid_tckn(n);
    let issued = holders_certificate(TestCa::kamu_sm(), &tckn, Some(&ocsp_url));
    let _ocsp = OcspResponder::start(TestCa::kamu_sm(), port, &[(&issued, Status::Good)]);
    let mut env: Vec<(&'static str, String)> = telegram.bot_env();
    env.push(("EIMZA_TELEGRAM__STAFF_CHAT_ID", STAFF_GROUP.to_string()));
    env.push(("EIMZA_TELEGRAM__STAFF_USER_IDS", format!("[{STAFF_USER}]")));
    env.push(("EIMZA_TRUST__REVOCATION", "ocsp".into()));
    if let Some(url) = database {
        env.push(("EIMZA_DATABASE_URL", url));
        env.push(("EIMZA_DATA_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()));
    }
    let started = Instant::now();
    let road = Road::start(Setup { env, certificate: Some(issued), ..Setup::new(n) }).await;
    let ticket = road.ticket.clone();
    let ready = road.told("kart ve sertifika").await;
    assert!(ready.contains("“eimza-agent eonay” komutunu çalıştırın"), "{ready}");

    // Guided e-Onay on the PC, one wrong PIN first.
    let (code, out) = road.eonay_with("evet\n000000\n123456\n");
    assert_eq!(code, 0, "{out}");
    let masked = format!("{}******{}", &tckn[..3], &tckn[9..]);
    for expected in [
        format!("e-Onay adımı — {ticket}"),
        format!("Kartınız hazır: {HOLDER} ({masked}) adına Kamu SM sertifikası."),
        "Chrome'da şu sayfayı açın: https://onlineislemler.kamusm.gov.tr/".to_owned(),
        format!("T.C. Kimlik No alanına kendi numaranızı ({masked}) yazın, kart türü olarak “AKİS”i seçin."),
        format!("Kartınızdan “{HOLDER}” adının okunmasını bekleyin"),
        "“E-Onay işlemleri”ne basın".to_owned(),
        "e-Onay tamamlandı mı? (evet/hayır):".to_owned(),
        format!("“{ticket} numaralı başvurum için e-Onay işlemini tamamladığımı beyan ederim.”"),
        "Kalan PIN deneme hakkı: 3".to_owned(),
        "PIN yanlış. Kalan deneme hakkınız: 2".to_owned(),
        "Kalan PIN deneme hakkı: 2".to_owned(),
        format!("e-Onay doğrulandı: {ticket} numaralı başvurunuza kaydedildi"),
    ] {
        assert!(out.contains(&expected), "missing {expected:?} in:\n{out}");
    }
    assert!(!out.contains("123456") && !out.contains("000000"), "the PIN is never shown: {out}");
    assert_eq!(road.state.lock().unwrap().tries, vcard::MAX_TRIES, "the right PIN restored the counter");
    let log = road.agent.log();
    assert!(!log.contains("123456") && !log.contains(&tckn), "no PIN, no number in the agent's log: {log}");
    let done = road.told("e-Onay işleminiz doğrulandı").await;
    assert!(done.contains(&ticket), "{done}");
    let journey_time = started.elapsed();

    // The officials hear it without a phone call: the staff group and the staff mailbox.
    let post = telegram.wait_for(STAFF_GROUP, 0, &format!("e-Onay tamamlandı; kurumsal başvuru yapılmalı — {ticket}")).await;
    let labels: Vec<&str> = post.buttons.iter().map(|(label, _)| label.as_str()).collect();
    assert!(labels.contains(&"Kurumsal başvuru yapıldı") && labels.contains(&"Form e-postası gönderildi"), "{labels:?}");
    Maildir::shared()
        .wait_until("bilgiislem@kurum.gov.tr", &format!("the staff e-mail about e-Onay for {ticket}"), |mails| {
            mails.iter().any(|m| m.subject.contains(&ticket) && m.text.contains("e-Onay"))
        })
        .await;

    // Staff: the corporate application on /staff, the form e-mail from the Telegram group.
    let (status, page) = staff_posts(&road.bot, &ticket, &[("action", "corporate-applied")]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&format!("{ticket}: kurumsal başvuru yapıldı olarak işaretlendi (admin)")), "{page}");
    road.told("Kurumsal başvurunuz Kamu SM'ye yapıldı").await;
    let form_sent = post.buttons.iter().find(|(_, data)| data.starts_with("st:form:")).unwrap().1.clone();
    telegram.press(STAFF_USER, &post, &form_sent);
    let local = road.email.split('@').next().unwrap();
    let told = pushed(&road.chat, "“Yenileme Formu” e-postasını kurum e-posta adresinize").await;
    let text = told["text"].as_str().unwrap();
    assert!(text.contains(&format!("({}***@", &local[..1])), "the address is masked: {text}");
    let labels: Vec<&str> = told["buttons"].as_array().unwrap().iter().map(|b| b["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Onayladım"]);
    // The form e-mail goes out through the outbox after the chat's push: waited for by what it
    // says (the code and the application e-mail came before it).
    Maildir::shared()
        .wait_until(&road.email, "the person's form e-mail", |mails| mails.iter().any(|m| m.text.contains("Yenileme Formu")))
        .await;

    // The person approves (typed, any case) → Completed; person and staff are told.
    let thanks = road.chat.say("ONAYLADIM").await.text();
    assert!(thanks.contains(&format!("Teşekkürler, {ticket} numaralı başvurunuz için onayınızı aldım.")), "{thanks}");
    road.told(&format!("{ticket}: Yenileme başvurunuz tamamlandı. Yeni e-İmza kartınız Kamu SM tarafından kurumunuza gönderilecek.")).await;
    telegram.wait_for(STAFF_GROUP, 0, &format!("Başvuru tamamlandı — {ticket}")).await;
    let status = road.chat.say("/durum").await.text();
    for state in [
        "Durum: Tamamlandı",
        "Kart adımı bekleniyor",
        "e-Onay tamamlandı",
        "Kurumsal başvuru yapıldı",
        "Yenileme formu e-postası gönderildi",
    ] {
        assert!(status.contains(state), "{state} in:\n{status}");
    }
    if sqlite {
        screenshot_of_the_chat(&road, "webchat-completed.png").await;
    }
    assert!(road.chat.say("onayladım").await.text().contains("onayınızı bekleyen bir yenileme formu yok"));

    // The whole history, naming who did what.
    let page = road.history().await;
    for expected in [
        "e-Onay, kartla imzalanmış beyanla doğrulandı: ".to_owned(),
        pki::KAMU_SM_ISSUER.to_owned(),
        "<td>Başvuru sahibinin bilgisayarı</td><td>Kart adımı bekleniyor → e-Onay tamamlandı</td>".to_owned(),
        "<td>Bilgi işlem (admin)</td><td>e-Onay tamamlandı → Kurumsal başvuru yapıldı</td>".to_owned(),
        format!("<td>Bilgi işlem (telegram:{STAFF_USER} (Ilgaz Işık))</td><td>Kurumsal başvuru yapıldı → "),
        "<td>Başvuru sahibi</td><td>Yenileme formu e-postası gönderildi → Tamamlandı</td>".to_owned(),
        "Tamamlandı".to_owned(),
    ] {
        assert!(page.contains(&expected), "missing {expected:?} in the history:\n{page}");
    }
    let serial = road.issued.serial_hex.to_lowercase();
    let colons: String = serial.as_bytes().chunks(2).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join(":");
    assert!(page.contains(&colons), "the certificate's serial {colons} in the history:\n{page}");
    println!("journey: intake to e-Onay recorded in {journey_time:?}");
}

/// The person's conversation as their browser shows it, saved under target/screenshots/ (the
/// README's picture is a copy of such a run).
async fn screenshot_of_the_chat(road: &Road, name: &str) {
    use fantoccini::Locator;
    let browser = eimza_tests::browser::Browser::start("tr-TR").await;
    let c = &browser.client;
    c.goto(&road.bot.url()).await.unwrap();
    let session = serde_json::json!({ "id": road.chat.session, "token": road.chat.token }).to_string();
    c.execute("localStorage.setItem('eimza-webchat', arguments[0]);", vec![session.clone().into()]).await.unwrap();
    c.refresh().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut reloaded = Instant::now();
    loop {
        let mut texts = Vec::new();
        for e in c.find_all(Locator::Css(".msg.out")).await.unwrap() {
            texts.push(e.text().await.unwrap_or_default());
        }
        if texts.iter().any(|t| t.contains("Yenileme başvurunuz tamamlandı")) {
            break;
        }
        assert!(Instant::now() < deadline, "the completed conversation in the browser: {texts:#?}");
        // A busy machine: the first load may have begun a new conversation before the saved one
        // was in place; the saved one is put back and the page loaded again.
        if reloaded.elapsed() > Duration::from_secs(5) {
            c.execute("localStorage.setItem('eimza-webchat', arguments[0]);", vec![session.clone().into()]).await.unwrap();
            c.refresh().await.unwrap();
            reloaded = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let png = c.screenshot().await.unwrap();
    let dir = eimza_tests::root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_road_to_completed_on_sqlite() {
    whole_road(None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_road_to_completed_on_postgresql() {
    whole_road(Some(eimza_tests::fresh_postgres().await)).await;
}

/// A refusal changes nothing but the history and tells the person in words.
async fn refused_and_told(road: &Road, code: &str, chat_words: &str) {
    let said = road.told(chat_words).await;
    assert!(said.contains("e-Onay beyanı kabul edilmedi; başvurunuzda hiçbir şey değişmedi"), "{said}");
    assert_eq!(road.state().await, "Kart adımı bekleniyor");
    let page = road.history().await;
    assert!(page.contains(&format!("e-Onay beyanı kabul edilmedi: {code}")), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn someone_elses_card_is_refused_before_the_pin_and_in_the_bot() {
    let tckn = valid_tckn(611);
    let other = valid_tckn(612);
    let colleague = holders_certificate(TestCa::kamu_sm(), &other, None);
    let road = Road::start(Setup { certificate: Some(colleague.clone()), card_step: false, ..Setup::new(611) }).await;
    // The PC refuses it before any PIN is asked; the person reads why in chat.
    let (code, out) = road.eonay_with("evet\n123456\n");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Bu kart başka birine ait"), "{out}");
    assert!(!out.contains("PIN'inizi girin"), "no PIN asked: {out}");
    assert_eq!(road.state.lock().unwrap().pin_attempts(), 0);
    let said = road.told("• Takılı kart başka birine ait").await;
    assert!(said.contains(&road.ticket), "{said}");
    assert_eq!(road.state().await, "Kart adımı bekleniyor", "a wrong card does not fail the request");
    // A forged PC signing with the colleague's card: the bot refuses it as the wrong person.
    let api = road.api();
    let nonce = api.challenge(&road.ticket).await;
    let statement = api.statement(&road.bot.url(), &road.ticket, &tckn, &nonce);
    let (status, verdict) = api.attest(&statement, pki::rsa_key(), &colleague.der).await;
    assert_eq!(status, 422);
    assert_eq!(verdict["reason"], "wrong-person");
    assert!(verdict["message"].as_str().unwrap().contains("başvuru sahibine ait değil"), "{verdict}");
    refused_and_told(&road, "wrong-person", "Beyanı imzalayan kart başvuru sahibine ait değil").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_a_late_and_a_forged_attestation_change_nothing() {
    let road = Road::start(Setup { env: vec![("EIMZA_TRUST__NONCE_TTL_SECS", "2".into())], ..Setup::new(621) }).await;
    let api = road.api();
    let origin = road.bot.url();
    // Signed by another key than the certificate's.
    let nonce = api.challenge(&road.ticket).await;
    let other_key = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
    let statement = api.statement(&origin, &road.ticket, &road.tckn, &nonce);
    let (status, verdict) = api.attest(&statement, &other_key, &road.issued.der).await;
    assert_eq!((status, verdict["reason"].as_str()), (422, Some("bad-signature")));
    refused_and_told(&road, "bad-signature", "imza karttaki sertifikayla doğrulanamadı").await;
    // A nonce the bot never handed out.
    let forged = api.statement(&origin, &road.ticket, &road.tckn, "bWFkZS11cC1ub25jZS1tYWRlLXVwLW5vbmNlLW1hZGUtdXA");
    let (_, verdict) = api.attest(&forged, pki::rsa_key(), &road.issued.der).await;
    assert_eq!(verdict["reason"], "unknown-nonce");
    // Another bot's statement.
    let elsewhere = api.statement("https://baska.kurum.gov.tr", &road.ticket, &road.tckn, &nonce);
    let (_, verdict) = api.attest(&elsewhere, pki::rsa_key(), &road.issued.der).await;
    assert_eq!(verdict["reason"], "wrong-origin");
    // Garbage is refused by its shape.
    let (status, verdict) = api.post_attestation(&serde_json::json!({"statement": "x", "algorithm": "md5"})).await;
    assert_eq!((status, verdict["reason"].as_str()), (422, Some("malformed")));
    // Late: the nonce lived 2 seconds.
    let late = api.challenge(&road.ticket).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let statement = api.statement(&origin, &road.ticket, &road.tckn, &late);
    let (_, verdict) = api.attest(&statement, pki::rsa_key(), &road.issued.der).await;
    assert_eq!(verdict["reason"], "nonce-expired");
    refused_and_told(&road, "nonce-expired", "süresi dolmuş ya da daha önce kullanılmış").await;
    // A good one is accepted once; the same bytes again are a replay.
    let fresh = api.challenge(&road.ticket).await;
    let statement = api.statement(&origin, &road.ticket, &road.tckn, &fresh);
    let (status, verdict) = api.attest(&statement, pki::rsa_key(), &road.issued.der).await;
    assert_eq!((status, verdict["verdict"].as_str()), (200, Some("accepted")), "{verdict}");
    let (status, verdict) = api.attest(&statement, pki::rsa_key(), &road.issued.der).await;
    assert_eq!((status, verdict["reason"].as_str()), (422, Some("nonce-used")));
    let page = road.history().await;
    assert!(page.contains("e-Onay beyanı kabul edilmedi: nonce-used"), "{page}");
    assert_eq!(road.state().await, "e-Onay tamamlandı", "the replay changed nothing");
    let eonay_done = page.matches("e-Onay, kartla imzalanmış beyanla doğrulandı").count();
    assert_eq!(eonay_done, 1, "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_an_untrusted_ca_is_refused() {
    let forger = TestCa::new();
    let tckn = valid_tckn(631);
    let forged = holders_certificate(&forger, &tckn, None);
    let road = Road::start(Setup { certificate: Some(forged), ..Setup::new(631) }).await;
    // The forged certificate looks like Kamu SM's to the PC; the bot knows better.
    let (code, out) = road.eonay_with("evet\n123456\n");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("kurumun güvendiği bir Kamu SM sertifikası değil"), "{out}");
    refused_and_told(&road, "untrusted-certificate", "kurumun güvendiği bir Kamu SM sertifikası değil").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_certificate_is_refused() {
    let (port, url) = OcspResponder::address();
    let tckn = valid_tckn(641);
    let issued = holders_certificate(TestCa::kamu_sm(), &tckn, None);
    let _ocsp = OcspResponder::start(TestCa::kamu_sm(), port, &[(&issued, Status::Revoked)]);
    // The responder is configured here (not named in the certificate).
    let env = vec![("EIMZA_TRUST__REVOCATION", "ocsp".into()), ("EIMZA_TRUST__OCSP_RESPONDER", url)];
    let road = Road::start(Setup { env, certificate: Some(issued), ..Setup::new(641) }).await;
    let (code, out) = road.eonay_with("evet\n123456\n");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Karttaki sertifika iptal edilmiş"), "{out}");
    refused_and_told(&road, "revoked", "iptal edilmiş").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_pulled_out_while_signing_sends_nothing() {
    let road = Road::start(Setup::new(651)).await;
    // The card vanishes when the signature is asked for (PSO: COMPUTE DIGITAL SIGNATURE).
    road.state.lock().unwrap().remove_on = Some((0x2A, 1));
    let (code, out) = road.eonay_with("evet\n123456\n");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Kart işlem sırasında çıkarıldı"), "{out}");
    assert!(out.contains("Beyan imzalanmadı; e-Onay kurumunuza bildirilmedi"), "{out}");
    assert_eq!(road.state().await, "Kart adımı bekleniyor");
    assert!(!road.history().await.contains("e-Onay beyanı"), "nothing reached the bot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_killed_between_e_onay_and_the_pin_loses_nothing() {
    let mut road = Road::start(Setup::new(661)).await;
    let mut run = road.eonay();
    run.type_line("evet");
    // The nonce is handed out; the statement waits for the PIN.
    run.wait_for_output("PIN'inizi girin").await;
    road.bot.kill();
    run.type_line("123456");
    run.wait_for_output("Sunucuya şu an ulaşılamıyor").await;
    road.bot.restart().await;
    let (code, out) = run.finish();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("e-Onay doğrulandı: {}", road.ticket)), "{out}");
    road.told("e-Onay işleminiz doğrulandı").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_restarted_between_the_challenge_and_the_report_sends_it_on_the_next_run() {
    let mut road = Road::start(Setup::new(671)).await;
    let mut run = road.eonay();
    run.type_line("evet");
    run.wait_for_output("PIN'inizi girin").await;
    // The bot is away when the card has signed; the PC keeps the signed statement, then dies.
    road.bot.kill();
    run.type_line("123456");
    run.wait_for_output("Sunucuya şu an ulaşılamıyor").await;
    run.kill();
    assert!(road.agent.home.path().join("attestation.json").exists(), "the signed statement is kept");
    road.bot.restart().await;
    // The next run sends what was signed, without asking again.
    let (code, out) = road.eonay_with("");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{} için daha önce imzalanmış ama sunucuya ulaşmamış e-Onay beyanı gönderiliyor", road.ticket)), "{out}");
    assert!(out.contains("e-Onay doğrulandı"), "{out}");
    assert!(!out.contains("PIN'inizi girin"), "{out}");
    assert!(!road.agent.home.path().join("attestation.json").exists(), "gone once the bot answered");
    road.told("e-Onay işleminiz doğrulandı").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_card_locked_on_the_last_try_fails_the_request() {
    let road = Road::start(Setup::new(681)).await;
    road.state.lock().unwrap().tries = 1;
    // The last try needs the word; a wrong PIN then locks the card, and the bot hears it.
    let (code, out) = road.eonay_with("evet\nEVET\n000000\n");
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Son PIN deneme hakkınız kaldı"), "{out}");
    assert!(out.contains("PIN'iniz kilitli"), "{out}");
    assert!(out.contains("Başvurunuz kilitli kart yüzünden durduruldu"), "{out}");
    let said = road.told("PIN'i kilitlendiği için başvurunuz durduruldu").await;
    assert!(said.contains("Kilit Çözme"), "{said}");
    assert_eq!(road.state().await, "Tamamlanamadı");
    assert_eq!(road.state.lock().unwrap().pin_attempts(), 1, "one try, the person's own");
}

/// The card step as a wait: someone else's card first (said, the request stays open), then the
/// holder's own card is inserted and the PC says it is ready — without anyone asking again; and
/// a card step staff send again from /staff reaches the PC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_step_waits_for_the_right_card_and_staff_can_send_it_again() {
    let other = valid_tckn(692);
    let colleague = holders_certificate(TestCa::kamu_sm(), &other, None);
    let mut road = Road::start(Setup { certificate: Some(colleague), card_step: false, ..Setup::new(691) }).await;
    road.run_agent();
    let said = road.told("• Takılı kart başka birine ait").await;
    assert!(said.contains("kendiliğinden yeniden denetleyecek"), "{said}");
    // The person swaps the card.
    road.card.take().unwrap().remove();
    let own = holders_certificate(TestCa::kamu_sm(), &road.tckn, None);
    let state = Arc::new(Mutex::new(CardState::new(vcard::ATR_TC, own.der.clone(), pki::rsa_key().clone())));
    road.card = Some(VirtualCard::insert(&road.reader, state));
    road.told(&format!("kart ve sertifika {} numaralı başvurunuzun yenilemesi için uygun", road.ticket)).await;
    // Staff send the card step again; the PC checks again and the person hears it.
    let (status, page) = staff_posts(&road.bot, &road.ticket, &[("action", "resend-card-step")]).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("kart adımı başvuru sahibinin bilgisayarına yeniden gönderildi (admin)"), "{page}");
    road.told("kart denetimi isteği “EIMZA-PC-12” adlı bilgisayara yeniden gönderildi").await;
    wait_for("the PC's second check", async || {
        let lines = bot_lines(&road.chat).await;
        Some(()).filter(|_| lines.iter().filter(|m| m["text"].as_str().unwrap_or("").contains("kart ve sertifika")).count() >= 2)
    })
    .await;
    assert!(road.history().await.contains("Kart adımı bilgisayara yeniden gönderildi"));
    // A cancel from /staff needs a reason, and the reason is in the history.
    let (status, page) = staff_posts(&road.bot, &road.ticket, &[("action", "cancel"), ("reason", "  ")]).await;
    assert_eq!(status, 400);
    assert!(page.contains("İptal için bir gerekçe yazın"), "{page}");
    let (status, _) = staff_posts(&road.bot, &road.ticket, &[("action", "cancel"), ("reason", "Kişi kurumdan ayrıldı")]).await;
    assert_eq!(status, 200);
    assert!(road.history().await.contains("İptal gerekçesi: Kişi kurumdan ayrıldı"));
    assert_eq!(road.state().await, "İptal edildi");
    // Another site cannot make a staff member's browser do it.
    let admin = road.bot.admin().await;
    let (status, _) = admin
        .post_with(
            &format!("/staff/tickets/{}/actions", road.ticket),
            &[("action", "resend-card-step")],
            Some("https://evil.example"),
            Some(&admin.csrf),
        )
        .await;
    assert_eq!(status, 403);
}

/// The renewed card closes the loop: after the corporate application, the person puts the new
/// card (a later certificate of the same person, from the trusted CA) into the reader; the PC
/// that did the card step recognises it and the request completes with a note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_new_card_closes_the_request() {
    let mut road = Road::start(Setup::new(701)).await;
    let (code, out) = road.eonay_with("evet\n123456\n");
    assert_eq!(code, 0, "{out}");
    let (status, _) = staff_posts(&road.bot, &road.ticket, &[("action", "corporate-applied")]).await;
    assert_eq!(status, 200);
    road.told("Kurumsal başvurunuz Kamu SM'ye yapıldı").await;
    // A colleague's card first: nothing happens.
    road.card.take().unwrap().remove();
    let other = holders_certificate(TestCa::kamu_sm(), &valid_tckn(702), None);
    let colleague = Arc::new(Mutex::new(CardState::new(vcard::ATR_TC, other.der.clone(), pki::rsa_key().clone())));
    let card = VirtualCard::insert(&road.reader, colleague);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(road.state().await, "Kurumsal başvuru yapıldı");
    card.remove();
    // The new card, mailed out by Kamu SM.
    let now = chrono::Utc::now();
    let spec = CertSpec {
        not_before: now - chrono::Duration::hours(1),
        not_after: now + chrono::Duration::days(3 * 365),
        ..CertSpec::kamu_sm(HOLDER, &road.tckn, 45)
    };
    let renewed = TestCa::kamu_sm().issue(&spec, &PublicKey::rsa(pki::rsa_key()), None);
    let state = Arc::new(Mutex::new(CardState::new(vcard::ATR_TC, renewed.der.clone(), pki::rsa_key().clone())));
    road.card = Some(VirtualCard::insert(&road.reader, state));
    road.told("Yenileme başvurunuz tamamlandı").await;
    assert_eq!(road.state().await, "Tamamlandı");
    let page = road.history().await;
    assert!(page.contains("Yeni sertifika kartta görüldü; başvuru kapandı: "), "{page}");
    let expires = spec.not_after.with_timezone(&chrono_tz::Europe::Istanbul).format("%d.%m.%Y").to_string();
    assert!(page.contains(&expires), "the new expiry {expires} in the history: {page}");
    assert!(!road.agent.home.path().join("holder.json").exists(), "nothing more to look for");
}
