//! Telegram end to end: the real bot binary long-polls a local Bot API stand-in over HTTP; people
//! and staff are simulated as updates; what the bot sends is read back from the stand-in.

use std::time::{Duration, Instant};

use eimza_tests::mail::Maildir;
use eimza_tests::telegram::{BotApi, Failure};
use eimza_tests::{TestBot, unique_email, valid_tckn};

const GROUP: i64 = -100_555;
const STAFF: i64 = 7;

async fn start(extra: &[(&'static str, &str)]) -> (BotApi, TestBot) {
    let api = BotApi::start().await;
    let mut env: Vec<(&str, String)> = api.bot_env();
    env.push(("EIMZA_TELEGRAM__STAFF_CHAT_ID", GROUP.to_string()));
    env.push(("EIMZA_TELEGRAM__STAFF_USER_IDS", format!("[{STAFF}]")));
    env.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bot = TestBot::start_with(&env).await;
    api.wait_polling().await;
    (api, bot)
}

/// Consent, name, title, proven e-mail: up to the web form link, which is returned.
async fn intake_to_the_link(api: &BotApi, user: i64, email: &str) -> String {
    let n = api.sent_to(user).len();
    api.text(user, "/basla");
    let kvkk = api.wait_for(user, n, "aydınlatma metni").await;
    assert!(kvkk.text.contains("Türkiye'de kalırlar"), "the KVKK notice says why the form: {}", kvkk.text);
    assert!(kvkk.buttons.iter().any(|(label, data)| data == "consent:yes" && label == "Okudum, anladım"), "{:?}", kvkk.buttons);
    api.press(user, &kvkk, "consent:yes");
    api.wait_for(user, n, "Adınızı ve soyadınızı").await;
    api.text(user, "Ilgaz Işık");
    let title = api.wait_for(user, n, "Unvanınız").await;
    api.press(user, &title, "title:2");
    api.wait_for(user, n, "e-posta").await;
    let before = Maildir::shared().to(email).len();
    let n2 = api.sent_to(user).len();
    api.text(user, email);
    api.wait_for(user, n2, "doğrulama kodu gönderdik").await;
    let code = Maildir::shared().code_for(email, before + 1).await;
    api.text(user, &code);
    api.wait_for(user, n2, "e-posta adresiniz doğrulandı").await;
    let link = api.wait_for(user, n2, "/form/").await;
    let said: String = api.sent_to(user).iter().map(|s| s.text.clone()).collect::<Vec<_>>().join("\n");
    assert!(said.find("doğrulandı").unwrap() < said.find("/form/").unwrap(), "the link is the next question, after the confirmation");
    assert!(link.text.contains("Son adım"), "{}", link.text);
    link.text.split_whitespace().find(|w| w.contains("/form/")).unwrap().to_owned()
}

async fn post_form(link: &str, tckn: &str, birth: &str) -> (u16, String) {
    let r = reqwest::Client::new().post(link).form(&[("tckn", tckn), ("birth_date", birth)]).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_whole_renewal_on_telegram_with_the_web_form_and_the_staff_group() {
    let (api, bot) = start(&[]).await;
    let user = 4242;
    let email = unique_email("ilgaz.tg");
    let tckn = valid_tckn(4242);
    let link = intake_to_the_link(&api, user, &email).await;
    // Ready, with Telegram's polling answering (its set-up task ended long ago).
    let ready: serde_json::Value = reqwest::get(format!("{}/readyz", bot.url())).await.unwrap().json().await.unwrap();
    assert_eq!((ready["status"].as_str(), ready["checks"]["telegram"].as_str()), (Some("ready"), Some("ok")), "{ready}");

    // Commands are registered in Turkish for everyone and in English for `en`.
    let commands = api.calls("setMyCommands");
    assert!(commands.iter().any(|c| c.params["language_code"].is_null() && c.params["commands"][0]["command"] == "basla"));
    let en = commands.iter().find(|c| c.params["language_code"] == "en").expect("English commands");
    assert_eq!(en.params["commands"][0]["description"], "Start the renewal application");
    // A pressed button is answered (no spinning) and its keyboard removed.
    assert!(!api.calls("answerCallbackQuery").is_empty());
    assert!(!api.calls("editMessageReplyMarkup").is_empty());

    // The TC Kimlik No typed into the chat is not taken.
    let n = api.sent_to(user).len();
    api.text(user, &tckn);
    api.wait_for(user, n, "sohbette almıyorum").await;

    // The web form: a mistake is explained next to its field; then it goes through once.
    let page = reqwest::get(&link).await.unwrap().text().await.unwrap();
    assert!(page.contains("T.C. Kimlik No") && page.contains("Doğum Tarihi"), "{page}");
    // Bad input at the form's door: a made-up link, a body that is not a form.
    let base = link.split("/form/").next().unwrap();
    let r = reqwest::get(format!("{base}/form/uydurma-bir-baglanti")).await.unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.text().await.unwrap().contains("Bu bağlantı geçerli değil"));
    let r = reqwest::Client::new().post(&link).header("content-type", "application/json").body("{\"tckn\": 1}").send().await.unwrap();
    assert_eq!(r.status(), 422, "both fields explained, nothing used up");
    let page = r.text().await.unwrap();
    assert!(page.contains("tckn-error") && page.contains("birth-date-error"), "{page}");
    let (status, page) = post_form(&link, "12345678901", "5 Mart 1980").await;
    assert_eq!(status, 422);
    assert!(page.contains("bir hane yanlış ya da iki hanenin yeri değişmiş olabilir"), "the checksum is explained: {page}");
    let (status, page) = post_form(&link, &tckn, "31 Şubat 1980").await;
    assert_eq!(status, 422);
    assert!(page.contains("aria-invalid"), "{page}");
    let n = api.sent_to(user).len();
    let (status, page) = post_form(&link, &tckn, "5 Mart 1980").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Sohbete dönebilirsiniz"), "{page}");
    let (status, page) = post_form(&link, &tckn, "5 Mart 1980").await;
    assert_eq!(status, 410, "single use");
    assert!(page.contains("zaten kullanıldı"), "{page}");

    // The summary comes to Telegram with the two sensitive answers masked.
    let summary = api.wait_for(user, n, "Lütfen bilgilerinizi kontrol edin").await;
    let masked = format!("{}******{}", &tckn[..3], &tckn[9..]);
    assert!(summary.text.contains(&masked), "{}", summary.text);
    assert!(!summary.text.contains(&tckn), "the full number is never sent to Telegram");
    assert!(summary.text.contains("**.**.1980"), "{}", summary.text);
    assert!(api.sent().iter().all(|s| !s.text.contains(&tckn)), "nor anywhere else");
    api.press(user, &summary, "confirm");
    let opened = api.wait_for(user, n, "Başvurunuz alındı").await;
    let number = opened.text.split_whitespace().find(|w| w.starts_with("EIMZA-")).unwrap().trim_end_matches(['.', ',']).to_owned();

    // The staff group hears of it, masked, with a button.
    let post = api.wait_for(GROUP, 0, &number).await;
    assert!(post.text.contains("Yeni e-İmza yenileme başvurusu"), "{}", post.text);
    assert!(post.text.contains(&masked) && !post.text.contains(&tckn), "{}", post.text);
    assert!(post.text.contains("Ilgaz Işık"));
    let labels: Vec<&str> = post.buttons.iter().map(|(label, _)| label.as_str()).collect();
    assert_eq!(labels, ["Kart adımını yeniden gönder", "Başvuruyu iptal et"]);
    let cancel = format!("st:cancel:{}", post.buttons[0].1.rsplit(':').next().unwrap());
    assert_eq!(post.buttons[1].1, cancel);

    // Someone in the group who is not staff presses it: a polite refusal, nothing changes.
    let answered = api.calls("answerCallbackQuery").len();
    api.press_as(555, &post, &cancel, "tr");
    let deadline = Instant::now() + Duration::from_secs(10);
    while api.calls("answerCallbackQuery").len() == answered {
        assert!(Instant::now() < deadline, "the press was not answered");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let refusal = api.calls("answerCallbackQuery").pop().unwrap();
    assert!(refusal.params["text"].as_str().unwrap().contains("yalnızca yetkili bilgi işlem personeli"), "{:?}", refusal.params);
    assert_eq!(refusal.params["show_alert"], true);
    let (_, detail) = bot.staff_page(&format!("/staff/tickets/{number}")).await;
    assert!(!detail.contains("İptal edildi"), "the ticket is untouched");

    // The person asks a question; it lands under the ticket in the group; staff answers by reply.
    let n = api.sent_to(user).len();
    api.text(user, "Yeni kartım ne zaman hazır olur?");
    api.wait_for(user, n, "bilgi işlem birimine ilettim").await;
    let question = api.wait_for(GROUP, 0, "Yeni kartım ne zaman hazır olur?").await;
    assert_eq!(question.reply_to, Some(post.message_id), "posted under the ticket's message");
    let groups_before = api.sent_to(GROUP).len();
    api.group_reply(GROUP, STAFF, "Ayşe Kaya", &question, "Kamu SM onayından sonra 3 iş günü içinde.");
    let answer = api.wait_for(user, n, "Ayşe Kaya yazdı").await;
    assert!(answer.text.contains("Kamu SM onayından sonra 3 iş günü içinde."), "{}", answer.text);
    assert!(answer.text.contains(&number));
    api.wait_for(GROUP, groups_before, "Yanıtınız").await;

    // Staff cancels: the group sees who did it, the person is told in their chat, the history keeps it.
    api.press_as(STAFF, &post, &cancel, "tr");
    api.wait_for(GROUP, groups_before, "iptal edildi (Ilgaz Işık)").await;
    api.wait_for(user, n, "bilgi işlem birimi tarafından iptal edildi").await;
    let (_, detail) = bot.staff_page(&format!("/staff/tickets/{number}")).await;
    assert!(detail.contains("telegram:7 (Ilgaz Işık)"), "{detail}");
}

#[tokio::test]
async fn misplaced_pins_are_deleted_or_the_person_is_asked_to() {
    let (api, _bot) = start(&[]).await;
    let user = 5151;
    api.text(user, "/basla");
    api.wait_for(user, 0, "aydınlatma metni").await;
    let (_, pin_message) = api.text(user, "123456");
    api.wait_for(user, 0, "mesajınızı sildim").await;
    let deleted = api.calls("deleteMessage");
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0].params["message_id"], pin_message);
    assert_eq!(deleted[0].params["chat_id"], user);

    // Where Telegram refuses, the person is asked to delete it themselves.
    api.fail_next("deleteMessage", Failure::BadRequest("Bad Request: message can't be deleted"), 1);
    let n = api.sent_to(user).len();
    let (_, second) = api.text(user, "654 321");
    let warn = api.wait_for(user, n, "kendiniz silin").await;
    assert_eq!(warn.reply_to, Some(second), "as a reply, so the person finds it");
    assert!(!warn.text.contains("mesajınızı sildim"), "no claim that it was deleted: {}", warn.text);
}

#[tokio::test]
async fn each_update_counts_once_and_a_restart_resumes() {
    let (api, mut bot) = start(&[]).await;
    let user = 6161;
    let (start_update, _) = api.text(user, "/basla");
    let kvkk = api.wait_for(user, 0, "aydınlatma metni").await;
    let press = api.press(user, &kvkk, "consent:yes");
    api.wait_for(user, 0, "Adınızı ve soyadınızı").await;
    let count = api.sent_to(user).len();

    // Telegram re-delivers both (the bot crashed before the offset moved on): no second effect.
    api.redeliver(start_update);
    api.redeliver(press);
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        assert!(api.unconfirmed() <= 2);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(api.sent_to(user).len(), count, "no duplicated replies");

    // kill -9 and start again: the conversation waits where it was.
    bot.restart().await;
    api.text(user, "/basla");
    api.wait_for(user, count, "Kaldığımız yerden").await;
    api.wait_for(user, count, "Adınızı ve soyadınızı").await;

    // An update the bot cannot read is skipped; the next one is handled.
    api.raw(|id| serde_json::json!({ "update_id": id, "message": { "message_id": "not a number", "chat": 5 } }));
    api.raw(|id| serde_json::json!({ "update_id": id, "some_future_kind": { "x": 1 } }));
    // Something that is not text gets a polite word, not silence.
    api.location(user);
    api.wait_for(user, count, "yalnızca yazılı mesajları").await;
    // The person cancels the draft: asked first, then done.
    let n = api.sent_to(user).len();
    api.text(user, "/iptal");
    let confirm = api.wait_for(user, n, "Emin misiniz?").await;
    api.press(user, &confirm, "cancel:yes");
    api.wait_for(user, n, "Başvuru yapılmadı ve girdiğiniz bilgiler silindi").await;
}

#[tokio::test]
async fn replies_owed_when_the_bot_dies_are_sent_after_the_restart() {
    let (api, mut bot) = start(&[]).await;
    let user = 7272;
    // The bot stores the turn and confirms the update; it dies while the reply is on its way.
    api.fail_next("sendMessage", Failure::Hang, 1);
    api.text(user, "/basla");
    let deadline = Instant::now() + Duration::from_secs(20);
    while api.calls("sendMessage").is_empty() || api.unconfirmed() > 0 {
        assert!(Instant::now() < deadline, "the bot never tried to answer");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(api.sent_to(user).is_empty());
    bot.restart().await;
    // The reply was owed: it comes after the restart, with its buttons, once.
    let kvkk = api.wait_for(user, 0, "aydınlatma metni").await;
    assert!(kvkk.buttons.iter().any(|(_, data)| data == "consent:yes"), "{:?}", kvkk.buttons);
    api.press(user, &kvkk, "consent:yes");
    api.wait_for(user, 0, "Adınızı ve soyadınızı").await;
    assert_eq!(api.sent_to(user).len(), 2, "nothing sent twice");
    // What was delivered is no longer owed once written (every second): another restart sends
    // nothing again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let polls = api.calls("getUpdates").len();
    bot.restart().await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while api.calls("getUpdates").len() <= polls {
        assert!(Instant::now() < deadline, "the bot did not poll after the restart");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(api.sent_to(user).len(), 2, "delivered replies are not sent again");
    api.text(user, "Ilgaz Işık");
    api.wait_for(user, 2, "Unvanınız").await;
}

#[tokio::test]
async fn a_429_is_waited_out_and_nothing_is_dropped() {
    let (api, _bot) = start(&[]).await;
    let user = 7171;
    api.fail_next("sendMessage", Failure::RetryAfter(2), 1);
    let asked = Instant::now();
    api.text(user, "/yardim");
    let help = api.wait_for(user, 0, "/durum").await;
    assert!(help.at.duration_since(asked) >= Duration::from_secs(2), "retry_after was honoured");
    assert_eq!(api.calls("sendMessage").len(), 2, "the refused message was sent again, once");
    assert_eq!(api.sent_to(user).len(), 1);
}

#[tokio::test]
async fn english_speakers_and_chat_only_mode() {
    // With the web form turned off, the TC Kimlik No is asked in the chat.
    let (api, _bot) = start(&[("EIMZA_TELEGRAM__SENSITIVE_FIELDS_VIA_WEB", "false")]).await;
    let user = 8181;
    api.text_in(user, "en-GB", "/start");
    let kvkk = api.wait_for(user, 0, "Privacy notice").await;
    assert!(!kvkk.text.contains("foreign server"), "no web form, no such sentence");
    api.press_as(user, &kvkk, "consent:yes", "en");
    api.wait_for(user, 0, "T.C. Kimlik No").await;
    api.text_in(user, "en", "12345678901");
    let error = api.wait_for(user, 1, "a digit may be wrong or two digits swapped").await;
    assert!(error.text.contains("T.C. Kimlik No"), "the same question again: {}", error.text);
    // Back to Turkish on request.
    api.text_in(user, "en", "/türkçe");
    api.wait_for(user, 0, "Türkçe devam").await;
}

#[tokio::test]
async fn webhook_mode_checks_telegrams_secret() {
    let api = BotApi::start().await;
    let mut env: Vec<(&str, String)> = api.bot_env();
    env.push(("EIMZA_TELEGRAM__MODE", "webhook".into()));
    env.push(("EIMZA_TELEGRAM__WEBHOOK_SECRET", "s3cr3t-token".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bot = TestBot::start_with(&env).await;
    let update = serde_json::json!({
        "update_id": 1,
        "message": {
            "message_id": 1, "date": 1_700_000_000,
            "chat": { "id": 9191, "type": "private", "first_name": "Ilgaz" },
            "from": { "id": 9191, "is_bot": false, "first_name": "Ilgaz", "language_code": "tr" },
            "text": "/yardim",
        }
    });
    let client = reqwest::Client::new();
    let url = format!("{}/telegram/webhook", bot.url());
    let forged = client.post(&url).header("X-Telegram-Bot-Api-Secret-Token", "wrong").json(&update).send().await.unwrap();
    assert_eq!(forged.status(), 401);
    let missing = client.post(&url).json(&update).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let garbage = client.post(&url).header("X-Telegram-Bot-Api-Secret-Token", "s3cr3t-token").body("{nope").send().await.unwrap();
    assert_eq!(garbage.status(), 400);
    for _ in 0..2 {
        // Telegram retries a webhook call: the second changes nothing.
        let r = client.post(&url).header("X-Telegram-Bot-Api-Secret-Token", "s3cr3t-token").json(&update).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    api.wait_for(9191, 0, "/durum").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(api.sent_to(9191).len(), 1);
    assert!(api.calls("getUpdates").is_empty(), "no polling in webhook mode");
}

/// The web form as a person sees it: headless Chromium fills it, a mistake is shown next to its
/// field, and the summary then arrives in Telegram. Screenshots go to target/screenshots/.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_form_in_a_real_browser() {
    use eimza_tests::browser::Browser;
    use fantoccini::Locator;
    let (api, _bot) = start(&[]).await;
    let user = 9292;
    let email = unique_email("ilgaz.form");
    let link = intake_to_the_link(&api, user, &email).await;
    let browser = Browser::start("tr-TR").await;
    let c = &browser.client;
    c.goto(&link).await.unwrap();
    assert_eq!(c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap(), "e-İmza yenileme: kimlik bilgileri");
    let fill = |tckn: &'static str, birth: &'static str| async move {
        let t = c.find(Locator::Id("tckn")).await.unwrap();
        t.clear().await.unwrap();
        t.send_keys(tckn).await.unwrap();
        let b = c.find(Locator::Id("birth_date")).await.unwrap();
        b.clear().await.unwrap();
        b.send_keys(birth).await.unwrap();
        c.find(Locator::Css("form.sensitive-form button")).await.unwrap().click().await.unwrap();
    };
    fill("12345678901", "5 Mart 1980").await;
    let error = c.wait().for_element(Locator::Id("tckn-error")).await.unwrap().text().await.unwrap();
    assert!(error.contains("bir hane yanlış ya da iki hanenin yeri değişmiş olabilir"), "{error}");
    assert_eq!(
        c.find(Locator::Id("birth_date")).await.unwrap().prop("value").await.unwrap().as_deref(),
        Some("5 Mart 1980"),
        "what was typed stays"
    );
    screenshot(c, "webform-error.png").await;
    let n = api.sent_to(user).len();
    fill("100 000 001 46", "5 Mart 1980").await;
    let done = c.wait().for_element(Locator::Css("p.done")).await.unwrap().text().await.unwrap();
    assert!(done.contains("Sohbete dönebilirsiniz"), "{done}");
    screenshot(c, "webform-done.png").await;
    let summary = api.wait_for(user, n, "Lütfen bilgilerinizi kontrol edin").await;
    assert!(summary.text.contains("100******46"), "{}", summary.text);
    browser.close().await;
}

async fn screenshot(c: &fantoccini::Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let dir = eimza_tests::root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// The PC's pairing request never waits for a chat platform: the question for the person is an
/// outbox row written with the claim, and arrives once Telegram answers again.
#[tokio::test]
async fn pairing_does_not_wait_for_a_stalled_telegram() {
    let (api, bot) = start(&[]).await;
    let user = 7474;
    api.text(user, "/eslestir");
    let code_message = api.wait_for(user, 0, "Eşleştirme kodunuz").await;
    let code: String = code_message.text.split_whitespace().find(|w| w.len() == 9 && w.as_bytes()[4] == b'-').unwrap().to_owned();
    // Telegram stops answering sendMessage.
    api.fail_next("sendMessage", Failure::Hang, 1);
    let started = Instant::now();
    let r = reqwest::Client::new()
        .post(format!("{}/api/agent/pairings", bot.url()))
        .json(&serde_json::json!({ "code": code, "pc_name": "EIMZA-PC-7", "os": "Windows 11" }))
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(r.status().as_u16(), 202, "{:?}", r.text().await);
    assert!(waited < Duration::from_millis(500), "the PC waited {waited:?} for Telegram");
    // Telegram's hung call times out; the question is sent again and arrives, once.
    let asked = api.wait_for_within(user, 1, "bu sohbetle eşleşmek istiyor", Duration::from_secs(60)).await;
    assert!(asked.buttons.iter().any(|(label, _)| label == "Onayla"), "{:?}", asked.buttons);
    assert_eq!(api.sent_to(user).iter().filter(|s| s.text.contains("eşleşmek istiyor")).count(), 1);
}

/// A Telegram user who floods the bot meets the same limit as the web chat: the first messages
/// are answered, the person is told once why the rest are not, and others are not affected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_person_is_limited_and_said_once() {
    let (api, _bot) = start(&[("EIMZA_WEB__MESSAGES_BURST", "3"), ("EIMZA_WEB__MESSAGES_PER_MINUTE", "1")]).await;
    let (flooder, other) = (8101, 8102);
    for _ in 0..8 {
        api.text(flooder, "/yardim");
    }
    api.wait_for(flooder, 0, "Kısa sürede çok fazla mesaj gönderdiniz").await;
    api.text(other, "/yardim");
    api.wait_for(other, 0, "Kullanabileceğiniz komutlar").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let sent = api.sent_to(flooder);
    // Replies in a row may share one Telegram message: count the texts, not the messages.
    let help: usize = sent.iter().map(|s| s.text.matches("Kullanabileceğiniz komutlar").count()).sum();
    let told: usize = sent.iter().map(|s| s.text.matches("çok fazla mesaj").count()).sum();
    assert_eq!((help, told), (3, 1), "{:#?}", sent.iter().map(|s| &s.text).collect::<Vec<_>>());
}
