//! The web chat over its JSON API against the real `eimza-bot` process: a whole renewal with
//! bad input at every step, a crash (kill -9) in the middle, resume, `/durum` after a restart,
//! the staff view, and every error a client can provoke.

use eimza_tests::mail::Maildir;
use eimza_tests::{TestBot, WebChat, unique_email};
use serde_json::json;

fn ticket_number(text: &str) -> String {
    let start = text.find("EIMZA-").expect("a ticket number in the reply");
    text[start..start + 17].to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_renewal_with_bad_input_a_crash_and_a_resume() {
    let mut bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    let greeting: Vec<&str> = chat.greeting.iter().map(|r| r["text"].as_str().unwrap()).collect();
    assert!(greeting[0].starts_with("Merhaba! Ben e-İmza yenileme asistanıyım."), "{greeting:?}");
    assert!(greeting[1].contains("aydınlatma metni (6698 sayılı KVKK, madde 10)"));
    assert!(greeting[1].contains("Örnek Kurumu"));
    assert!(greeting[1].contains("90 gün sonra"));

    // consent first: personal data before consent is not taken
    let a = chat.say("10000000146").await;
    assert!(a.text().contains("aydınlatma metnini okuduğunuzu onaylamanız gerekiyor"), "{}", a.text());
    assert_eq!(a.buttons(), ["consent:yes", "consent:no"]);
    let a = chat.press("consent:yes").await;
    assert!(a.text().contains("T.C. Kimlik Numaranızı yazar mısınız?"));

    // TC Kimlik No: each mistake its own explanation, then the same question
    for (input, expected) in [
        ("12345678901", "bir hane yanlış ya da iki hanenin yeri değişmiş olabilir"),
        ("1234567895", "yazdığınız numara 10 haneli"),
        ("02345678950", "0 ile başlayamaz"),
        ("1234567895O", "yalnızca rakamlardan oluşur"),
    ] {
        let a = chat.say(input).await;
        assert!(a.text().contains(expected), "{input}: {}", a.text());
        assert!(a.text().contains("T.C. Kimlik Numaranızı yazar mısınız?"), "{input}: the question again");
    }
    let a = chat.say("123 456 789 50").await;
    assert!(a.text().contains("Adınızı ve soyadınızı"));

    // a PIN typed in the wrong place is deleted and never kept
    let a = chat.say("482913").await;
    assert_eq!(a.body["deleted_message"], true);
    assert!(a.text().contains("e-İmza şifreniz (PIN) olabilir"));
    assert!(a.text().contains("Adınızı ve soyadınızı"), "the same question again");

    let a = chat.say("Ilgaz").await;
    assert!(a.text().contains("en az iki kelime"));
    let a = chat.say("Ilgaz 3şık").await;
    assert!(a.text().contains("“3” kullanılamaz"), "{}", a.text());
    let a = chat.say("ILGAZ IŞIK").await;
    assert!(a.text().contains("Unvanınız nedir?"));
    assert!(a.buttons().contains(&"title:2".to_owned()));

    // the bot crashes here; the conversation survives
    bot.restart().await;
    let a = chat.say("/basla").await;
    assert!(a.text().contains("Kaldığımız yerden devam edelim."), "{}", a.text());
    assert!(a.text().contains("Unvanınız nedir?"));

    let a = chat.say("x").await;
    assert!(a.text().contains("Unvan en az 2 karakter olmalı."));
    let a = chat.press("title:2").await;
    assert!(a.text().contains("Kurum e-posta adresinizi"));
    assert!(a.text().contains("@kurum.gov.tr"));
    let a = chat.say("ilgaz.isik@gmail.com").await;
    assert!(a.text().contains("Yalnızca kurum e-posta adresleri kabul edilir"));
    let a = chat.say("ilgaz.isik").await;
    assert!(a.text().contains("e-posta adresine benzemiyor"));
    // the address is proven with a code mailed to it over real SMTP
    let email = unique_email("Ilgaz.Isik");
    let a = chat.say(&email.replace("@kurum.gov.tr", "@KURUM.GOV.TR")).await;
    assert!(a.text().contains(&format!("{email} adresine bir doğrulama kodu gönderdik")), "{}", a.text());
    assert!(a.text().contains("gelen kodu yazar mısınız?"));
    assert_eq!(a.buttons(), ["code:resend", "code:change"]);
    let mails = Maildir::shared().wait_for(&email, 1).await;
    let mail = &mails[0];
    assert_eq!(mail.subject, "e-İmza yenileme: e-posta doğrulama kodunuz");
    assert!(mail.header("Subject").unwrap().starts_with("=?utf-8?"), "RFC 2047 subject: {:?}", mail.header("Subject"));
    assert!(mail.header("Date").unwrap().ends_with("+0300"), "Istanbul time: {:?}", mail.header("Date"));
    assert!(mail.header("Message-ID").unwrap().ends_with("@kurum.gov.tr>"));
    assert!(mail.text.contains("kurum e-posta adresinizi doğrulamak için kodunuz"), "{}", mail.text);
    assert!(mail.html.contains("<p>"), "an HTML part too");
    let code = mail.code().expect("a code");
    assert!(!code.chars().all(|c| c.is_ascii_digit()), "a code never looks like a PIN");
    let a = chat.say("E-BBBBB").await;
    assert!(a.text().contains("Kod yanlış. 4 deneme hakkınız kaldı."), "{}", a.text());
    let a = chat.say(&code.to_lowercase()).await;
    assert!(a.text().contains("e-posta adresiniz doğrulandı"), "{}", a.text());
    assert!(a.text().contains("Doğum tarihinizi gün.ay.yıl"));

    for (input, expected) in [
        ("29-02-1981", "Takvimde böyle bir gün yok: 29-02-1981"),
        ("5 Mrt 1980", "“Mrt” bir ay adı olarak tanınmadı"),
        ("05-03-80", "yılı dört haneli yazın"),
        ("01-01-2090", "bugünden sonra olamaz"),
        ("01-01-2015", "18 yaşından küçük"),
        ("01-01-1901", "100 yaşından büyük"),
    ] {
        let a = chat.say(input).await;
        assert!(a.text().contains(expected), "{input}: {}", a.text());
        assert!(a.text().contains("Doğum tarihinizi gün.ay.yıl"), "{input}: the question again");
    }
    let a = chat.say("5 mart 1980").await;
    let summary = a.text();
    let email_line = format!("Kurum E-Posta: {email}");
    for line in [
        "T.C. Kimlik No: 12345678950",
        "Ad Soyad: ILGAZ IŞIK",
        "Unvan: Şube Müdürü",
        email_line.as_str(),
        "Doğum Tarihi: 05.03.1980",
        "Başvuru türü: Yenileme",
    ] {
        assert!(summary.contains(line), "{line} in {summary}");
    }
    assert_eq!(a.buttons(), ["confirm", "edit", "cancel"]);

    // edit one field, back to the summary
    let a = chat.press("edit").await;
    assert!(a.text().contains("Hangi bilgiyi düzeltmek istiyorsunuz?"));
    let a = chat.press("edit:name").await;
    assert!(a.text().contains("Adınızı ve soyadınızı"));
    let a = chat.say("Ilgaz Işık").await;
    assert!(a.text().contains("Ad Soyad: Ilgaz Işık"));
    assert!(a.text().contains("Unvan: Şube Müdürü"), "other fields kept");
    let a = chat.say("belki").await;
    assert!(a.text().contains("Lütfen özetin altındaki düğmelerden birini seçin"));

    let a = chat.press("confirm").await;
    assert!(a.text().contains("Başvurunuz alındı. Başvuru numaranız: EIMZA-"), "{}", a.text());
    assert!(a.text().contains("eimza-agent"));
    let number = ticket_number(&a.text());
    assert!(number.ends_with("-000001"));

    // another crash; the ticket and its history are there
    bot.restart().await;
    let a = chat.say("/durum").await;
    assert!(a.text().contains(&format!("Başvuru: {number}")), "{}", a.text());
    assert!(a.text().contains("Durum: Başvuru alındı"));
    assert!(a.text().contains("Geçmiş:"));
    assert!(a.text().contains("— Başvuru alındı (siz)"));
    let a = chat.say("/basla").await;
    assert!(a.text().contains(&format!("Zaten açık bir yenileme başvurunuz var: {number} (Başvuru alındı)")));

    // the transcript has the conversation, but not the PIN
    let t = chat.transcript().await;
    assert_eq!(t.status, 200);
    let all = serde_json::to_string(&t.body).unwrap();
    assert!(all.contains("Okudum, anladım"), "pressed buttons show their labels");
    assert!(all.contains("ILGAZ IŞIK"));
    assert!(!all.contains("482913"), "the misplaced PIN is not in the transcript");

    // staff sees the ticket, masked
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = client.get(format!("{}/staff", bot.url())).send().await.unwrap();
    assert_eq!(r.status(), 303, "to the login");
    assert_eq!(r.headers()["location"], "/staff/login?next=%2Fstaff%3F");
    let r = client.get(format!("{}/staff/login", bot.url())).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("yalnızca kurumunuzun bilgi işlem personeli"));
    let (_, page) = bot.staff_page("/staff").await;
    assert!(page.contains(&number));
    assert!(page.contains("123******50"));
    assert!(!page.contains("12345678950"), "staff sees the TC Kimlik No masked");
    assert!(page.contains("Ilgaz Işık"));
    assert!(page.contains("Toplam 1 başvuru"));
    let (_, detail) = bot.staff_page(&format!("/staff/tickets/{number}")).await;
    assert!(detail.contains("Bilgiler alınıyor") && detail.contains("Başvuru alındı"), "timeline from → to");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_delete_my_data() {
    let bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    chat.fill_intake("10000000146", "Ayşe Yılmaz", "Uzman", &unique_email("ayse"), "05.03.1980").await;
    let number = ticket_number(&chat.press("confirm").await.text());

    let a = chat.say("/iptal").await;
    assert!(a.text().contains(&format!("{number} numaralı başvurunuz iptal edilecek")));
    let a = chat.press("cancel:no").await;
    assert!(a.text().contains("Tamam, iptal etmiyorum."));
    chat.say("/iptal").await;
    let a = chat.say("evet").await;
    assert!(a.text().contains(&format!("{number} numaralı başvurunuz iptal edildi.")), "{}", a.text());
    let a = chat.say("/durum").await;
    assert!(a.text().contains("Durum: İptal edildi"));

    let a = chat.say("/sil").await;
    assert!(a.text().contains("hemen silinecek"));
    let a = chat.press("delete:yes").await;
    assert!(a.text().contains("Kişisel verileriniz silindi."));
    let t = serde_json::to_string(&chat.transcript().await.body).unwrap();
    assert!(!t.contains("10000000146") && !t.contains("Ayşe Yılmaz"), "the transcript lost the personal data: {t}");
    let (_, page) = bot.staff_page(&format!("/staff/tickets/{number}")).await;
    assert!(page.contains("(silindi)"));
    assert!(page.contains("Kişisel veriler silindi"));
    assert!(!page.contains("Ayşe"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_open_ticket_per_tc_kimlik_no_across_chats() {
    let bot = TestBot::start().await;
    for (i, expect_open) in [(0, true), (1, false)] {
        let chat = WebChat::open(&bot.url()).await;
        let name = if i == 0 { "Ayşe Yılmaz" } else { "Ayşe Kaya" };
        chat.fill_intake("10000000146", name, "Uzman", &unique_email("ayse"), "05.03.1980").await;
        let a = chat.press("confirm").await;
        if expect_open {
            assert!(a.text().contains("Başvurunuz alındı"));
        } else {
            assert!(a.text().contains("Bu T.C. Kimlik No ile açılmış bir başvuru zaten var: EIMZA-"), "{}", a.text());
            assert!(a.text().contains("Ad Soyad: Ayşe Kaya"), "back to the summary to fix it");
            assert_eq!(a.buttons(), ["confirm", "edit", "cancel"]);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_on_request() {
    let bot = TestBot::start().await;
    let chat = WebChat::open_in(&bot.url(), "en-GB,en;q=0.9").await;
    assert!(chat.greeting[0]["text"].as_str().unwrap().starts_with("Hello! I am the e-signature renewal assistant."));
    let a = chat.press("consent:yes").await;
    assert!(a.text().contains("Please type your T.C. Kimlik No"));
    let a = chat.say("12345678901").await;
    assert!(a.text().contains("This is not a valid T.C. Kimlik No"));
    let a = chat.say("/durum").await;
    assert!(a.text().contains("We are still collecting your details"), "{}", a.text());
    // a Turkish speaker switches language in the chat
    let tr = WebChat::open(&bot.url()).await;
    let a = tr.say("/english").await;
    assert!(a.text().contains("We will continue in English from now on."));
    let a = tr.say("/turkce").await;
    assert!(a.text().contains("Bundan sonra Türkçe devam ediyoruz."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_json_errors_never_a_500() {
    let bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    let body = |v: serde_json::Value| serde_json::to_vec(&v).unwrap();

    let a = chat.post_raw(body(json!({"text": "merhaba"})), "wrong-token").await;
    assert_eq!(a.status, 401);
    assert_eq!(a.error_message(), "Oturum anahtarı eksik ya da geçersiz.");
    let a = chat.post_raw(body(json!({"text": "merhaba"})), "").await;
    assert_eq!(a.status, 401);

    let mut other = WebChat::open(&bot.url()).await;
    other.session = "yok-boyle-bir-oturum".into();
    let a = other.post_raw(body(json!({"text": "merhaba"})), &chat.token).await;
    assert_eq!(a.status, 404);
    assert_eq!(a.error_message(), "Böyle bir sohbet oturumu yok.");
    assert_eq!(other.transcript().await.status, 404);
    other.session = "x".repeat(5000);
    assert_eq!(other.post_raw(body(json!({"text": "a"})), &chat.token).await.status, 404);

    for bad in [
        b"{".to_vec(),
        b"null".to_vec(),
        b"[1,2]".to_vec(),
        b"".to_vec(),
        vec![0xff, 0xfe],
        body(json!({"text": 5})),
        body(json!({"text": "a", "button": "b"})),
        body(json!({})),
        body(json!({"message": "a"})),
        body(json!({"button": ""})),
    ] {
        let a = chat.post_raw(bad.clone(), &chat.token).await;
        assert_eq!(a.status, 400, "{:?}", String::from_utf8_lossy(&bad));
        assert!(a.error_message().contains("İstek okunamadı"), "{:?}", a.body);
    }
    let a = chat.post_raw(body(json!({"text": "   "})), &chat.token).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.error_message(), "Boş mesaj gönderilemez.");
    let a = chat.post_raw(body(json!({"text": "ğ".repeat(2049)})), &chat.token).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.error_message(), "Mesaj çok uzun; en fazla 4.096 bayt gönderebilirsiniz.");
    let a = chat.post_raw(body(json!({"text": "a".repeat(2_000_000)})), &chat.token).await;
    assert_eq!(a.status, 400, "a huge body is refused politely too");

    // nothing of that reached the conversation
    let a = chat.say("Merhaba").await;
    assert!(a.text().contains("aydınlatma metnini okuduğunuzu onaylamanız gerekiyor"));

    // a stale button is explained
    let a = chat.press("summary:whatever").await;
    assert!(a.text().contains("Bu düğme artık geçerli değil."));

    // English errors for English clients
    let en = WebChat::open_in(&bot.url(), "en").await;
    let a = en.post_raw(body(json!({"text": "x"})), "nope").await;
    assert_eq!(a.error_message(), "The session token is missing or invalid.");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_is_served_in_the_readers_language() {
    let bot = TestBot::start().await;
    let client = reqwest::Client::new();
    let tr = client.get(bot.url()).send().await.unwrap().text().await.unwrap();
    assert!(tr.contains("<html lang=\"tr\">") && tr.contains("e-İmza Yenileme Asistanı") && tr.contains("Gönder"));
    let en = client.get(bot.url()).header("Accept-Language", "en-US").send().await.unwrap().text().await.unwrap();
    assert!(en.contains("<html lang=\"en\">") && en.contains("e-Signature Renewal Assistant"));
    let forced = client.get(format!("{}/?lang=tr", bot.url())).header("Accept-Language", "en").send().await.unwrap().text().await.unwrap();
    assert!(forced.contains("Mesajınızı yazın…"));
    for asset in ["/assets/chat.js", "/assets/chat.css"] {
        assert_eq!(client.get(format!("{}{asset}", bot.url())).send().await.unwrap().status(), 200);
    }
    assert_eq!(client.get(format!("{}/nothing-here", bot.url())).send().await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_staff_view_takes_odd_queries_and_sends_safe_headers() {
    let bot = TestBot::start().await;
    let client = reqwest::Client::new();
    let admin = bot.admin().await;
    for path in [
        "/staff?state=bilinmeyen",
        "/staff?q=%25%27%22%3Cscript%3E",
        "/staff?q=",
        "/staff?state=&q=ş",
        "/staff?stalled=-3&sort=x&page=0&assigned=%3Cb%3E",
        "/staff?stalled=99999999999999999999",
    ] {
        let (status, body) = admin.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!body.contains("<script>") && !body.contains("<b>"), "{path}: input is escaped");
        assert!(body.contains("Gösterilecek başvuru yok."), "{path}");
    }
    let (_, body) = admin.get("/staff?state=bilinmeyen").await;
    assert!(body.contains("Seçilen durum tanınmadı; tüm durumlar gösteriliyor."), "a bad filter is said");
    let (_, body) = admin.get("/staff?stalled=-3").await;
    assert!(body.contains("0 ile 1000 arasında bir iş günü sayısı yazın"), "{body}");
    let (status, body) = admin.get("/staff/tickets/EIMZA-2026-999999").await;
    assert_eq!(status, 404);
    assert!(body.contains("Böyle bir başvuru bulunamadı."));
    let (status, _) = admin.get("/staff/tickets/%3Cb%3E").await;
    assert_eq!(status, 404);
    let r = client.get(bot.url()).send().await.unwrap();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'self'"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_are_slowed_down_politely() {
    let bot = TestBot::start_with(&[
        ("EIMZA_WEB__SESSIONS_BURST", "3"),
        ("EIMZA_WEB__SESSIONS_PER_MINUTE", "1"),
        ("EIMZA_WEB__MESSAGES_BURST", "5"),
        ("EIMZA_WEB__MESSAGES_PER_MINUTE", "1"),
    ])
    .await;
    let chat = WebChat::open(&bot.url()).await;
    WebChat::open(&bot.url()).await;
    WebChat::open(&bot.url()).await;
    let r = reqwest::Client::new().post(format!("{}/api/webchat/sessions", bot.url())).send().await.unwrap();
    assert_eq!(r.status(), 429, "a fourth session from the same address at once");
    assert!(r.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() > 0);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Kısa sürede çok fazla istek geldi; lütfen biraz bekleyip yeniden deneyin.");
    for _ in 0..5 {
        chat.say("/yardim").await;
    }
    let a = chat.post_raw(serde_json::to_vec(&json!({"text": "/yardim"})).unwrap(), &chat.token).await;
    assert_eq!(a.status, 429);
    assert_eq!(a.error_message(), "Kısa sürede çok fazla istek geldi; lütfen biraz bekleyip yeniden deneyin.");
}

/// The transcript comes a page at a time (the page asks for what follows what it shows); a
/// position that is not a number is refused politely.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transcript_is_read_a_page_at_a_time() {
    let bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    chat.say("/yardim").await;
    let url = format!("{}/api/webchat/sessions/{}/messages", bot.url(), chat.session);
    let get = |q: &str| reqwest::Client::new().get(format!("{url}{q}")).bearer_auth(&chat.token).send();
    let all: serde_json::Value = get("").await.unwrap().json().await.unwrap();
    let total = all["messages"].as_array().unwrap().len();
    assert_eq!(all["from"], 0);
    let rest: serde_json::Value = get("?after=2").await.unwrap().json().await.unwrap();
    assert_eq!(rest["from"], 2);
    assert_eq!(rest["messages"].as_array().unwrap().len(), total - 2);
    for bad in ["?after=-1", "?after=abc", "?after=99999999999"] {
        let r = get(bad).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().len() > 10, "{body}");
    }
}

/// Nobody can make the bot mail-bomb an institutional address: verification e-mails to one
/// address are limited per hour across every application and chat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_mails_to_one_address_are_limited_across_applications() {
    let bot = TestBot::start().await;
    let target = eimza_tests::unique_email("hedef");
    let start = |chat: WebChat| async move {
        chat.press("consent:yes").await;
        chat.say(&eimza_tests::valid_tckn(rand::random::<u64>() % 1_000_000)).await;
        chat.say("Ayşe Yılmaz").await;
        chat.say("Uzman").await;
        chat
    };
    let first = start(WebChat::open(&bot.url()).await).await;
    for _ in 0..3 {
        let a = first.say(&target).await.text();
        assert!(a.contains("adresine bir doğrulama kodu gönderdik"), "{a}");
    }
    let refused = first.say(&target).await.text();
    assert!(refused.contains("Bu adrese kısa sürede çok fazla doğrulama kodu gönderildi"), "{refused}");
    // A new application in another chat does not start the count again.
    let second = start(WebChat::open(&bot.url()).await).await;
    let refused = second.say(&target).await.text();
    assert!(refused.contains("dakika sonra gönderilebilir"), "{refused}");
    // Another address is not affected.
    let other = eimza_tests::unique_email("baska");
    assert!(!second.say(&other).await.text().contains("çok fazla"));
    eimza_tests::mail::Maildir::shared().wait_for(&other, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    assert_eq!(eimza_tests::mail::Maildir::shared().to(&target).len(), 3);
}

/// A PIN or a T.C. Kimlik No typed inside a sentence is not kept in the transcript as typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_transcript_keeps_no_pin_or_number_typed_in_a_sentence() {
    let bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    chat.say("şifrem 123456 mı olmalı, numaram 10000000146?").await;
    let lines = chat.transcript().await.body["messages"].as_array().cloned().unwrap_or_default();
    let said: Vec<&str> = lines.iter().filter(|m| m["direction"] == "in").filter_map(|m| m["text"].as_str()).collect();
    assert_eq!(said, ["şifrem ****** mı olmalı, numaram 100******46?"]);
}
