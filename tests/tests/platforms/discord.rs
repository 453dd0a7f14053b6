//! Discord end to end: the real bot registers its slash commands and sends messages through
//! serenity's HTTP client pointed at a local REST stand-in; interactions reach the bot's endpoint
//! signed with a test Ed25519 key, as Discord sends them.

use std::time::Duration;

use eimza_tests::discord::{APPLICATION_ID, DiscordApi, GUILD_ID, STAFF_CHANNEL, STAFF_ROLE, Who};
use eimza_tests::mail::Maildir;
use eimza_tests::{TestBot, unique_email, valid_tckn};

async fn start() -> (DiscordApi, TestBot) {
    let api = DiscordApi::start().await;
    let env: Vec<(&str, String)> = api.bot_env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bot = TestBot::start_with(&env).await;
    (api, bot)
}

#[tokio::test]
async fn readyz_says_when_discord_does_not_answer() {
    let api = DiscordApi::start().await;
    let mut env: Vec<(&str, String)> = api.bot_env();
    // Discord's REST API out of reach: a port nothing listens on.
    let dead = format!("http://127.0.0.1:{}", eimza_tests::free_port());
    env.retain(|(k, _)| *k != "EIMZA_DISCORD__API_URL");
    env.push(("EIMZA_DISCORD__API_URL", dead));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let bot = TestBot::start_with(&env).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = reqwest::get(format!("{}/readyz", bot.url())).await.unwrap();
        let status = r.status().as_u16();
        let ready: serde_json::Value = r.json().await.unwrap();
        if ready["checks"]["discord"] == "failing" {
            assert_eq!(status, 503, "{ready}");
            assert_eq!(ready["status"], "not-ready", "{ready}");
            assert_eq!(ready["checks"]["database"], "ok", "only Discord is at fault: {ready}");
            break;
        }
        assert_eq!(ready["checks"]["discord"], "no-call-yet", "{ready}");
        assert!(std::time::Instant::now() < deadline, "readyz never said Discord was failing: {ready}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn slash_command_modal_web_form_and_the_staff_channel() {
    let (api, bot) = start().await;
    let url = bot.url();
    // Discord's set-up task ends once the commands are registered: still ready after it.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ready: serde_json::Value = reqwest::get(format!("{url}/readyz")).await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["checks"]["discord"], "ok", "the commands were registered: {ready}");

    // The commands are registered in the configured guild, Turkish names with English ones.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let registered = loop {
        let found = api.requests().into_iter().find(|(m, p, _)| m == "PUT" && p.contains(&format!("guilds/{GUILD_ID}/commands")));
        if let Some(found) = found {
            break found;
        }
        assert!(std::time::Instant::now() < deadline, "commands were not registered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(registered.1.contains(&format!("applications/{APPLICATION_ID}/")));
    let names: Vec<&str> = registered.2.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["basla", "durum", "kart", "iptal", "yardim", "eslestir", "cihazlar", "sil", "english", "turkce"],
        "the same commands as on Telegram"
    );
    assert_eq!(registered.2[0]["name_localizations"]["en-US"], "start");
    assert_eq!(registered.2[0]["description"], "e-İmza yenileme başvurusunu başlat");

    let user = 31_337u64;
    let me = Who::Dm { user, locale: "tr" };
    let email = unique_email("ilgaz.dc");
    let tckn = valid_tckn(31337);

    // /basla → the KVKK notice with its buttons (and why two answers go to a web form).
    let a = api.send(&url, api.command(&me, "basla")).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.kind(), 4);
    assert!(a.content().contains("aydınlatma metni"), "{}", a.content());
    // The whole notice is longer than one Discord message: the rest follows, the buttons last.
    let rest = api.wait_for(|_| Some(0), 0, "Türkiye'de kalırlar").await;
    assert!(rest.buttons.iter().any(|(id, _)| id == "consent:yes"), "{:?}", rest.buttons);

    // Consent → a "fill in the form" button; pressing it opens a modal with the chat's fields.
    let a = api.send(&url, api.button(&me, "consent:yes")).await;
    assert!(a.content().contains("Adınızı ve soyadınızı"), "{}", a.content());
    assert!(a.labels().contains(&"Formu doldur".to_owned()), "{:?}", a.labels());
    let modal = api.send(&url, api.button(&me, "dc:form")).await;
    assert_eq!(modal.kind(), 9, "a modal: {:?}", modal.body);
    let fields: Vec<String> = modal.modal_fields().into_iter().map(|(id, _)| id).collect();
    assert_eq!(fields, ["name", "title", "email"], "the TC Kimlik No and birth date are not asked on Discord");
    assert_eq!(modal.modal_fields()[0].1, "Ad Soyad");

    // Bad fields: each named, shown only to the person, the form button again.
    let a = api.send(&url, api.modal(&me, "dc:form", &[("name", "Ilgaz"), ("title", "Uzman"), ("email", "ilgaz@gmail.com")])).await;
    assert!(a.ephemeral(), "mistakes are ephemeral");
    assert!(a.content().contains("Ad Soyad: Lütfen adınızı ve soyadınızı birlikte yazın"), "{}", a.content());
    assert!(a.content().contains("Kurum E-Posta:"), "{}", a.content());
    assert!(a.buttons().contains(&"dc:form".to_owned()));
    // Opened again, the form keeps what was right.
    let again = api.send(&url, api.button(&me, "dc:form")).await;
    assert_eq!(again.modal_values(), [("title".to_owned(), "Uzman".to_owned())], "only the accepted answer is filled in");
    // Fixed: the address is proven with the mailed code, typed into a one-field modal.
    let before = Maildir::shared().to(&email).len();
    let a = api.send(&url, api.modal(&me, "dc:form", &[("name", "Ilgaz Işık"), ("title", "Uzman"), ("email", &email)])).await;
    assert!(!a.ephemeral());
    assert!(a.content().contains("doğrulama kodu gönderdik"), "{}", a.content());
    assert!(a.buttons().contains(&"dc:answer".to_owned()));
    let answer = api.send(&url, api.button(&me, "dc:answer")).await;
    assert_eq!(answer.kind(), 9);
    let code = Maildir::shared().code_for(&email, before + 1).await;
    let a = api.send(&url, api.modal(&me, "dc:answer", &[("answer", &code)])).await;
    assert!(a.content().contains("e-posta adresiniz doğrulandı"), "{}", a.content());
    let link = a.content().split_whitespace().find(|w| w.contains("/form/")).expect("the web form link").to_owned();

    // The web form; the summary then arrives as a DM.
    let r = reqwest::Client::new().post(&link).form(&[("tckn", tckn.as_str()), ("birth_date", "05.03.1980")]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let summary = api.wait_for(|a| a.dm_of(user), 0, "Lütfen bilgilerinizi kontrol edin").await;
    assert!(summary.content.contains("**.**.1980"));
    assert!(!summary.content.contains(&tckn), "{}", summary.content);
    assert!(summary.buttons.iter().any(|(id, _)| id == "confirm"));
    let a = api.send(&url, api.button(&me, "confirm")).await;
    assert!(a.content().contains("Başvurunuz alındı"), "{}", a.content());
    let number = a.content().split_whitespace().find(|w| w.starts_with("EIMZA-")).unwrap().trim_end_matches(['.', ',']).to_owned();

    // The staff channel: the new ticket, masked, with cancel and answer buttons.
    let post = api.wait_for(|_| Some(STAFF_CHANNEL), 0, &number).await;
    let masked = format!("{}******{}", &tckn[..3], &tckn[9..]);
    // Shown literally: the stars are escaped so Discord does not read them as bold.
    let shown = post.content.replace('\\', "");
    assert!(post.content.contains(&masked.replace('*', "\\*")) && !shown.contains(&tckn), "{}", post.content);
    let cancel = post.buttons.iter().find(|(id, _)| id.starts_with("st:cancel:")).expect("cancel button").0.clone();
    let reply = post.buttons.iter().find(|(id, _)| id.starts_with("st:reply:")).expect("answer button").0.clone();

    // A member without the staff role: refused, only to them.
    let outsider = Who::Member { user: 1, name: "Meraklı Üye", roles: vec![1], channel: STAFF_CHANNEL };
    let a = api.send(&url, api.button(&outsider, &cancel)).await;
    assert!(a.ephemeral());
    assert!(a.content().contains("yalnızca yetkili bilgi işlem personeli"), "{}", a.content());
    let a = api.send(&url, api.button(&outsider, &reply)).await;
    assert_eq!(a.kind(), 4, "no answer form for an outsider");

    // Staff answers through the modal; the person gets it as a DM with the staff member's name.
    let staff = Who::Member { user: 2, name: "Ayşe Kaya", roles: vec![STAFF_ROLE], channel: STAFF_CHANNEL };
    let modal = api.send(&url, api.button(&staff, &reply)).await;
    assert_eq!(modal.kind(), 9);
    let ticket_id = reply.rsplit(':').next().unwrap();
    let a =
        api.send(&url, api.modal(&staff, &format!("st:answer:{ticket_id}"), &[("answer", "Kartınız hazır olunca haber vereceğiz.")])).await;
    assert!(a.content().contains("iletildi"), "{}", a.content());
    let dm = api.wait_for(|a| a.dm_of(user), 0, "Ayşe Kaya yazdı").await;
    assert!(dm.content.contains("Kartınız hazır olunca haber vereceğiz."));

    // Staff cancels: visible to the channel, the person is told, the history says who.
    let a = api.send(&url, api.button(&staff, &cancel)).await;
    assert!(!a.ephemeral());
    assert!(a.content().contains("iptal edildi (Ayşe Kaya)"), "{}", a.content());
    api.wait_for(|a| a.dm_of(user), 0, "bilgi işlem birimi tarafından iptal edildi").await;
    let (_, detail) = bot.staff_page(&format!("/staff/tickets/{number}")).await;
    assert!(detail.contains("discord:2 (Ayşe Kaya)"), "{detail}");

    // English: the same command in English, the whole way to a ticket; then the person cancels
    // it and the staff channel hears of it.
    let en = Who::Dm { user: 4242, locale: "en-US" };
    let a = api.send(&url, api.command(&en, "basla")).await;
    assert!(a.content().contains("Privacy notice"), "{}", a.content());
    api.send(&url, api.button(&en, "consent:yes")).await;
    let email = unique_email("ilgaz.en");
    let before = Maildir::shared().to(&email).len();
    let a = api.send(&url, api.modal(&en, "dc:form", &[("name", "Ilgaz Işık"), ("title", "Uzman"), ("email", &email)])).await;
    assert!(a.content().contains("verification code"), "{}", a.content());
    let code = Maildir::shared().code_for(&email, before + 1).await;
    let a = api.send(&url, api.modal(&en, "dc:answer", &[("answer", &code)])).await;
    let link = a.content().split_whitespace().find(|w| w.contains("/form/")).expect("the web form link").to_owned();
    let r =
        reqwest::Client::new().post(&link).form(&[("tckn", valid_tckn(4242).as_str()), ("birth_date", "05-03-1980")]).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("You can go back to the chat"), "the form speaks the person's language");
    api.wait_for(|a| a.dm_of(4242), 0, "Please check your details").await;
    let a = api.send(&url, api.button(&en, "confirm")).await;
    let second = a.content().split_whitespace().find(|w| w.starts_with("EIMZA-")).unwrap().trim_end_matches(['.', ',']).to_owned();
    let a = api.send(&url, api.command(&en, "cancel")).await;
    assert!(a.buttons().contains(&"cancel:yes".to_owned()), "asked first: {}", a.content());
    let a = api.send(&url, api.button(&en, "cancel:yes")).await;
    assert!(a.content().contains(&second), "{}", a.content());
    let notice = api.wait_for(|_| Some(STAFF_CHANNEL), 0, "Başvuru sahibi başvuruyu iptal etti").await;
    assert!(notice.content.contains(&second), "{}", notice.content);
}

#[tokio::test]
async fn forged_or_stale_signatures_are_refused() {
    let (api, bot) = start().await;
    let url = bot.url();
    let ping = serde_json::to_vec(&api.ping()).unwrap();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();

    let ok = api.send_raw(&url, &now.to_string(), &api.sign(&now.to_string(), &ping), ping.clone()).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body["type"], 1, "PONG");

    // Signed by someone else.
    let other = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    use ed25519_dalek::Signer;
    let forged: String = other.sign(&[now.to_string().as_bytes(), &ping].concat()).to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(api.send_raw(&url, &now.to_string(), &forged, ping.clone()).await.status, 401);
    // The right key over another body.
    let tampered = serde_json::to_vec(&serde_json::json!({ "type": 2, "id": "x" })).unwrap();
    assert_eq!(api.send_raw(&url, &now.to_string(), &api.sign(&now.to_string(), &ping), tampered).await.status, 401);
    // An old request replayed.
    let old = (now - 3600).to_string();
    assert_eq!(api.send_raw(&url, &old, &api.sign(&old, &ping), ping.clone()).await.status, 401);
    // No headers, garbage headers.
    assert_eq!(api.send_raw(&url, "", "", ping.clone()).await.status, 401);
    assert_eq!(api.send_raw(&url, "abc", "zz", ping.clone()).await.status, 401);
    // Signed garbage is a 400, not a crash.
    let garbage = b"{not json".to_vec();
    assert_eq!(api.send_raw(&url, &now.to_string(), &api.sign(&now.to_string(), &garbage), garbage).await.status, 400);
    // An unknown command gets a polite word.
    let me = Who::Dm { user: 5, locale: "tr" };
    let a = api.send(&url, api.command(&me, "bilinmeyen")).await;
    assert!(a.content().contains("anlayamadım"), "{}", a.content());
}
