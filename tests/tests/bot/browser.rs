//! The web chat page in Debian's headless Chromium: a person types the whole renewal, sees the
//! Turkish text, reloads the page and finds the conversation again. Saves screenshots under
//! target/screenshots/ (the one in docs/ is a copy of such a run).

use std::time::{Duration, Instant};

use eimza_tests::TestBot;
use eimza_tests::browser::Browser;
use fantoccini::{Client, Locator};

async fn bot_texts(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    for e in c.find_all(Locator::Css(".msg.out")).await.unwrap() {
        out.push(e.text().await.unwrap_or_default());
    }
    out
}

/// Waits until the newest bot message contains `needle`.
async fn wait_for(c: &Client, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let texts = bot_texts(c).await;
        if texts.last().is_some_and(|t| t.contains(needle)) {
            return;
        }
        assert!(Instant::now() < deadline, "waited for {needle:?}; the page shows {texts:#?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn type_and_send(c: &Client, text: &str) {
    let input = c.find(Locator::Css("#text")).await.unwrap();
    input.send_keys(text).await.unwrap();
    c.find(Locator::Css("#send")).await.unwrap().click().await.unwrap();
}

async fn press(c: &Client, id: &str) {
    c.find(Locator::Css(&format!("button[data-id='{id}']:not([disabled])"))).await.unwrap().click().await.unwrap();
}

/// The computed CSS property of the first element matching `selector`: proves the style sheet
/// loaded (the Content-Security-Policy allows only files from the bot itself).
pub(crate) async fn style(c: &Client, selector: &str, property: &str) -> String {
    let script = "return getComputedStyle(document.querySelector(arguments[0])).getPropertyValue(arguments[1]);";
    c.execute(script, vec![selector.into(), property.into()]).await.unwrap().as_str().unwrap_or("").to_owned()
}

pub(crate) async fn screenshot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    let dir = eimza_tests::root().join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), png).unwrap();
}

/// Signs in on the login page the browser shows.
pub(crate) async fn sign_in(c: &Client, name: &str) {
    c.find(Locator::Css("#name")).await.unwrap().send_keys(name).await.unwrap();
    c.find(Locator::Css("#password")).await.unwrap().send_keys(eimza_tests::STAFF_PASSWORD).await.unwrap();
    c.find(Locator::Css("form.sensitive-form button")).await.unwrap().click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while c.current_url().await.unwrap().path() == "/staff/login" {
        assert!(Instant::now() < deadline, "the login did not go through");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_renews_in_the_browser() {
    let bot = TestBot::start().await;
    let browser = Browser::start("tr-TR").await;
    let c = &browser.client;
    c.goto(&bot.url()).await.unwrap();
    wait_for(c, "aydınlatma metni (6698 sayılı KVKK, madde 10)").await;
    assert_eq!(c.find(Locator::Css("h1")).await.unwrap().text().await.unwrap(), "e-İmza Yenileme Asistanı");
    assert_eq!(style(c, ".chat-header", "background-color").await, "rgb(179, 18, 46)", "chat.css is applied");
    assert!(bot_texts(c).await[0].contains("Merhaba! Ben e-İmza yenileme asistanıyım."));

    press(c, "consent:yes").await;
    wait_for(c, "T.C. Kimlik Numaranızı yazar mısınız?").await;
    type_and_send(c, "12345678901").await;
    wait_for(c, "bir hane yanlış ya da iki hanenin yeri değişmiş olabilir").await;
    type_and_send(c, "10000000146").await;
    wait_for(c, "Adınızı ve soyadınızı").await;
    type_and_send(c, "654321").await;
    wait_for(c, "Adınızı ve soyadınızı").await;
    let removed = c.find(Locator::Css(".msg.in.removed")).await.unwrap().text().await.unwrap();
    assert_eq!(removed, "Bu mesaj güvenliğiniz için silindi.");
    let page = c.source().await.unwrap();
    assert!(!page.contains("654321"), "the misplaced PIN is gone from the page");
    type_and_send(c, "Ilgaz Işık").await;
    wait_for(c, "Unvanınız nedir?").await;
    press(c, "title:2").await;
    wait_for(c, "Kurum e-posta adresinizi").await;
    type_and_send(c, "ilgaz@gmail.com").await;
    wait_for(c, "Yalnızca kurum e-posta adresleri kabul edilir").await;
    let email = eimza_tests::unique_email("ilgaz.isik");
    type_and_send(c, &email).await;
    wait_for(c, "gelen kodu yazar mısınız?").await;
    let code = eimza_tests::mail::Maildir::shared().code_for(&email, 1).await;
    type_and_send(c, &code).await;
    wait_for(c, "Doğum tarihinizi").await;
    type_and_send(c, "5 Mart 1980").await;
    wait_for(c, "Başvuru türü: Yenileme").await;
    screenshot(c, "webchat-summary.png").await;

    // the page survives a reload: the conversation is restored from the server
    c.refresh().await.unwrap();
    wait_for(c, "Başvuru türü: Yenileme").await;
    press(c, "confirm").await;
    wait_for(c, "eimza-agent").await;
    let texts = bot_texts(c).await;
    assert!(texts.last().unwrap().contains("Başvurunuz alındı. Başvuru numaranız: EIMZA-"), "{texts:?}");
    // old buttons cannot be pressed twice; only the new "pair my computer" is live
    let enabled = c.find_all(Locator::Css(".buttons button:not([disabled])")).await.unwrap();
    let mut live = Vec::new();
    for button in &enabled {
        live.push(button.attr("data-id").await.unwrap().unwrap_or_default());
    }
    assert_eq!(live, ["pair"], "buttons of answered questions are disabled");
    screenshot(c, "webchat.png").await;

    // Pairing: the code in the page; the PC asks; the question appears by itself (the page
    // polls for messages the bot sends on its own); approving pairs the PC.
    press(c, "pair").await;
    wait_for(c, "Eşleştirme kodunuz: ").await;
    let shown = bot_texts(c).await.last().cloned().unwrap_or_default();
    let code = shown.split("Eşleştirme kodunuz: ").nth(1).map(|rest| rest.chars().take(9).collect::<String>()).unwrap();
    let home = tempfile::tempdir().unwrap();
    let agent = std::process::Command::new(eimza_tests::binary("eimza-agent"))
        .args(["eslestir", "--sunucu", &bot.url(), "--ad", "EIMZA-PC-12", &code])
        .env("LANG", "tr_TR.UTF-8")
        .env("EIMZA_AGENT_HOME", home.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for(c, "“EIMZA-PC-12” (").await;
    screenshot(c, "webchat-pairing.png").await;
    c.find(Locator::Css("button[data-id^='pair-approve:']:not([disabled])")).await.unwrap().click().await.unwrap();
    wait_for(c, "Eşleştirme tamamlandı: EIMZA-PC-12").await;
    assert!(agent.wait_with_output().unwrap().status.success());

    // the staff view in the same browser, after the login
    bot.admin().await;
    c.set_window_size(1280, 700).await.unwrap();
    c.goto(&format!("{}/staff", bot.url())).await.unwrap();
    sign_in(c, "admin").await;
    let table = c.find(Locator::Css("table")).await.unwrap().text().await.unwrap();
    assert!(table.contains("100******46") && table.contains("Ilgaz Işık") && table.contains("Kart adımı bekleniyor"), "{table}");
    assert_eq!(style(c, "h1", "color").await, "rgb(179, 18, 46)", "staff.css is applied");
    screenshot(c, "staff.png").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_speaks_english_to_an_english_browser() {
    let bot = TestBot::start().await;
    let browser = Browser::start("en-US").await;
    let c = &browser.client;
    c.goto(&bot.url()).await.unwrap();
    wait_for(c, "Privacy notice").await;
    assert_eq!(c.find(Locator::Css("#send")).await.unwrap().text().await.unwrap(), "Send");
    press(c, "consent:yes").await;
    wait_for(c, "Please type your T.C. Kimlik No").await;
    browser.close().await;
}
