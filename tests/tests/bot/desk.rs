//! The staff desk end to end: an officer in Chromium finds a ticket, claims it, reveals the
//! corporate-application data (the access log shows it) and marks the application made (the
//! person's chat hears of it); every route refuses the roles it should; logins are throttled,
//! audited and end; the first start's setup link; the CSV export; the daily digest once at
//! 09:00 on both databases.

use std::time::{Duration, Instant};

use eimza_bot::core::conversation::Transport;
use eimza_bot::core::outbound::{Channel, Mail, Outbound, StaffMessage};
use eimza_bot::core::ticket::{ActorKind, TicketEvent, TicketState};
use eimza_bot::core::workdays::Calendar;
use eimza_bot::store::{Routing, Store};
use eimza_bot::vault::Vault;
use eimza_tests::browser::Browser;
use eimza_tests::{STAFF_PASSWORD, StaffClient, TestBot, WebChat, unique_email};
use fantoccini::{Client, Locator};

use super::browser::{screenshot, sign_in, style};

/// The bot's own store, opened beside it (the tests move tickets as the PC would).
async fn store_of(bot: &TestBot) -> Store {
    let vault = eimza_bot::keys::vault_of(&bot.data_dir.join("eimza.key")).unwrap();
    Store::connect(&format!("sqlite:{}", bot.data_dir.join("eimza.db").display()), vault).await.unwrap()
}

/// A renewal request typed in the web chat; its number.
async fn request(bot: &TestBot, tckn: &str, name: &str) -> (WebChat, String) {
    let chat = WebChat::open(&bot.url()).await;
    chat.fill_intake(tckn, name, "Uzman", &unique_email("masa"), "05.03.1980").await;
    let text = chat.press("confirm").await.text();
    let at = text.find("EIMZA-").expect("a ticket number");
    (chat, text[at..at + 17].to_owned())
}

/// Moves a ticket on to "e-Onay done" as the PC's attestation would — with the bot stopped, as
/// another process writing the same SQLite file beside it could meet its writes half-way.
async fn to_eonay_done(bot: &mut TestBot, number: &str) {
    bot.kill();
    let store = store_of(bot).await;
    let (ticket, _) = store.ticket_detail(number).await.unwrap().unwrap();
    let now = eimza_bot::clock::now_ms();
    for (event, kind) in [
        (TicketEvent::AgentPaired, ActorKind::System),
        (TicketEvent::CardStepRequested, ActorKind::System),
        (TicketEvent::EOnayAttested, ActorKind::Agent),
    ] {
        eimza_tests::apply(&store, ticket.id, event, kind, Some("test"), now).await.unwrap();
    }
    store.close().await;
    bot.restart().await;
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css)).await.unwrap().text().await.unwrap()
}

async fn click(c: &Client, css: &str) {
    c.find(Locator::Css(css)).await.unwrap().click().await.unwrap();
}

/// Waits until the page's main text contains `needle` (the page may still be loading).
async fn wait_for_text(c: &Client, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = match c.find(Locator::Css("main")).await {
            Ok(main) => main.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(needle) {
            return;
        }
        assert!(Instant::now() < deadline, "waited for {needle:?}; the page shows {text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_officer_runs_the_institutional_application_from_the_desk() {
    let mut bot = TestBot::start().await;
    let (chat, number) = request(&bot, "10000000146", "Ilgaz Işık").await;
    request(&bot, "12345678950", "İpek Çiçek").await;
    to_eonay_done(&mut bot, &number).await;
    let store = store_of(&bot).await;
    let (code, out) = bot.cli(&["staff", "add", "ayse.kaya", "--role", "officer"], &format!("{STAFF_PASSWORD}\n"));
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ayse.kaya hesabı eklendi (Görevli)."), "{out}");

    let browser = Browser::start("tr-TR").await;
    let c = &browser.client;
    c.set_window_size(1366, 768).await.unwrap();
    c.goto(&format!("{}/staff", bot.url())).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/staff/login", "no session: the login page");
    assert!(text_of(c, "main").await.contains("Bilgi işlem girişi"));
    screenshot(c, "staff-login.png").await;
    sign_in(c, "ayse.kaya").await;

    // The counts and the search (Turkish-folded: “ılgaz” finds “Ilgaz”).
    let counts = text_of(c, ".counts").await;
    assert!(counts.contains("Tümü\n2") || counts.contains("Tümü 2"), "{counts}");
    assert!(counts.contains("e-Onay tamamlandı"), "{counts}");
    assert!(text_of(c, "header.bar").await.contains("ayse.kaya (Görevli)"));
    c.find(Locator::Css("input[name=q]")).await.unwrap().send_keys("ılgaz").await.unwrap();
    click(c, ".filters button").await;
    wait_for_text(c, "Toplam 1 başvuru").await;
    let table = text_of(c, "table.tickets").await;
    assert!(table.contains("Ilgaz Işık") && table.contains("100******46") && !table.contains("İpek"), "{table}");
    click(c, &format!("a[href='/staff/tickets/{number}']")).await;
    wait_for_text(c, &format!("Başvuru {number}")).await;

    // Claim it.
    click(c, "button[name=to][value=me]").await;
    wait_for_text(c, &format!("{number} numaralı başvuru “ayse.kaya” kullanıcısına atandı.")).await;
    assert!(text_of(c, ".facts").await.contains("ayse.kaya"));

    // The data for Kamu SM's institutional application, written to the access log.
    assert!(!text_of(c, "main").await.contains("10000000146"), "masked until asked");
    click(c, "form[action$='/reveal'] button").await;
    wait_for_text(c, "erişim kaydına geçti").await;
    let data = text_of(c, "#corporate-data").await;
    for expected in ["10000000146", "Ilgaz Işık", "Uzman", "05.03.1980"] {
        assert!(data.contains(expected), "{expected} in {data}");
    }
    let access = text_of(c, "#access-log").await;
    assert!(access.contains("ayse.kaya") && access.contains("Kurumsal başvuru bilgileri görüntülendi"), "{access}");
    c.set_window_size(1366, 1250).await.unwrap();
    c.execute("window.scrollTo(0, 0)", vec![]).await.unwrap();
    screenshot(c, "staff-ticket.png").await;
    c.set_window_size(1366, 768).await.unwrap();

    // The application is made: the timeline and the person's chat say so.
    click(c, "button.primary").await;
    wait_for_text(c, &format!("{number}: kurumsal başvuru yapıldı")).await;
    let timeline = text_of(c, "#timeline-table").await;
    assert!(timeline.contains("Bilgi işlem (ayse.kaya)") && timeline.contains("Kurumsal başvuru yapıldı"), "{timeline}");
    assert!(timeline.contains("Atandı: ayse.kaya"), "{timeline}");
    // An internal note stays on the desk.
    c.find(Locator::Css("#note-text")).await.unwrap().send_keys("Kamu SM portalına 10:40'ta girildi.").await.unwrap();
    click(c, "form[action$='/notes'] button").await;
    wait_for_text(c, "Not eklendi.").await;
    assert!(text_of(c, ".note").await.contains("Kamu SM portalına 10:40'ta girildi."));
    assert_eq!(style(c, "h1", "color").await, "rgb(179, 18, 46)", "staff.css is applied");

    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let transcript = serde_json::to_string(&chat.transcript().await.body).unwrap();
        if transcript.contains("Kurumsal başvurunuz Kamu SM'ye yapıldı.") {
            assert!(!transcript.contains("portalına"), "an internal note never reaches the person");
            break;
        }
        assert!(Instant::now() < deadline, "the person's chat did not hear of it: {transcript}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Another site's page (here a data: URL, origin “null”) posting to the desk in the same
    // browser: the session cookie stays home (SameSite=Strict) and the post is refused.
    let forged = format!(
        "data:text/html;charset=utf-8,<form method=post action='{}/staff/tickets/{number}/actions'>\
         <input name=action value=cancel><input name=reason value=x></form><script>document.forms[0].submit()</script>",
        bot.url()
    );
    c.goto(&forged).await.unwrap();
    wait_for_text(c, "Bu istek başka bir siteden geldiği için reddedildi.").await;
    assert!(store.ticket_detail(&number).await.unwrap().unwrap().0.state.is_open(), "nothing was cancelled");

    // The list at an office screen, then on a phone: nothing wider than the screen.
    c.goto(&format!("{}/staff?assigned=me", bot.url())).await.unwrap();
    wait_for_text(c, "Toplam 1 başvuru").await;
    c.goto(&format!("{}/staff", bot.url())).await.unwrap();
    wait_for_text(c, "Toplam 2 başvuru").await;
    screenshot(c, "staff-list.png").await;
    c.set_window_size(390, 844).await.unwrap();
    let overflow = c.execute("return document.documentElement.scrollWidth - window.innerWidth;", vec![]).await.unwrap();
    assert!(overflow.as_i64().unwrap_or(1) <= 0, "the page scrolls sideways on a phone: {overflow}");
    browser.close().await;
}

/// Every route, every role: what each may see and do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_do_what_it_should_and_no_more() {
    let mut bot = TestBot::start().await;
    let (_, number) = request(&bot, "10000000146", "Ilgaz Işık").await;
    let (_, fresh) = request(&bot, "12345678950", "İpek Çiçek").await;
    to_eonay_done(&mut bot, &number).await;
    let viewer = bot.staff_account("izleyici", "viewer").await;
    let officer = bot.staff_account("gorevli", "officer").await;
    let admin = bot.admin().await.clone();
    let ticket = format!("/staff/tickets/{number}");
    let gets: [(&str, [u16; 3]); 5] = [
        ("/staff", [200, 200, 200]),
        (&ticket, [200, 200, 200]),
        ("/staff/export.csv", [200, 200, 200]),
        ("/staff/admin", [403, 403, 200]),
        ("/staff?state=eonay-done&assigned=none&stalled=2&sort=waiting&dir=asc&page=1", [200, 200, 200]),
    ];
    for (path, expected) in gets {
        for (who, want) in [&viewer, &officer, &admin].into_iter().zip(expected) {
            assert_eq!(who.get(path).await.0, want, "GET {path}");
        }
    }
    let reveal = format!("{ticket}/reveal");
    let actions = format!("{ticket}/actions");
    let assign = format!("{ticket}/assign");
    let notes = format!("{ticket}/notes");
    let answer = format!("{ticket}/answer");
    type Post<'a> = (&'a str, Vec<(&'a str, &'a str)>, [u16; 3]);
    let posts: Vec<Post> = vec![
        (&reveal, vec![], [403, 200, 200]),
        (&actions, vec![("action", "resend-card-step")], [403, 200, 200]),
        (&assign, vec![("to", "me")], [403, 200, 200]),
        (&notes, vec![("text", "Telefonla arandı.")], [403, 200, 200]),
        (&answer, vec![("text", "Merhaba, başvurunuz elimizde.")], [403, 200, 200]),
        ("/staff/admin/accounts", vec![("name", "yeni.hesap"), ("role", "viewer"), ("password", "yepyeni-bir-parola")], [403, 403, 200]),
        ("/staff/admin/accounts/yeni.hesap", vec![("action", "role"), ("role", "officer")], [403, 403, 200]),
    ];
    for (path, form, expected) in &posts {
        for (who, want) in [&viewer, &officer, &admin].into_iter().zip(expected) {
            assert_eq!(who.post(path, form).await.0, *want, "POST {path} as {}", who.cookie);
        }
        // From another site, without the form's token, or signed out: refused before anything.
        assert_eq!(admin.post_with(path, form, Some("https://kotu.example"), Some(&admin.csrf)).await.0, 403, "{path} cross-site");
        assert_eq!(admin.post_with(path, form, Some(&bot.url()), None).await.0, 403, "{path} without the token");
        assert_eq!(admin.post_with(path, form, Some(&bot.url()), Some("yanlis")).await.0, 403, "{path} a wrong token");
        let signed_out = admin.signed_out();
        assert_eq!(signed_out.post(path, form).await.0, 401, "{path} signed out");
    }
    // The viewer's ticket page has no buttons, no notes and no way to the data.
    let (_, page) = viewer.get(&ticket).await;
    assert!(page.contains("yalnızca görevli ve yönetici hesapları görebilir") && !page.contains("/reveal"), "{page}");
    assert!(!page.contains("/actions") && !page.contains("/notes\"") && !page.contains("10000000146"));
    assert!(!page.contains("İç notlar") && !page.contains("Telefonla arandı."), "notes are for officers: {page}");
    // The officer saw the data (the reveal posted above), only after e-Onay.
    let (_, page) = officer.post(&reveal, &[]).await;
    assert!(page.contains("<output>10000000146</output>") && page.contains("<output>05.03.1980</output>"), "{page}");
    let (status, page) = officer.post(&format!("/staff/tickets/{fresh}/reveal"), &[]).await;
    assert_eq!(status, 200);
    assert!(page.contains("e-Onay tamamlandıktan sonra") && !page.contains("12345678950"), "{page}");
    // A full T.C. Kimlik No in the search un-masks it: viewers may not, officers are audited.
    let (_, page) = viewer.get("/staff?q=10000000146").await;
    assert!(
        page.contains("yalnızca görevli ve yönetici hesapları arayabilir") && page.contains("Toplam 2 başvuru"),
        "not narrowed: {page}"
    );
    let (_, page) = officer.get("/staff?q=100%20000%20001%2046").await;
    assert!(page.contains(&number) && page.contains("Toplam 1 başvuru"), "{page}");
    let (_, page) = viewer.get("/staff?q=I%C5%9F%C4%B1k").await;
    assert!(page.contains(&number), "a name is fine for a viewer");
    // Bad input on each form: said, the page again, nothing stored.
    let (status, page) = officer.post(&notes, &[("text", "   ")]).await;
    assert_eq!(status, 400);
    assert!(page.contains("Lütfen bir metin yazın"), "{page}");
    let long = "ç".repeat(2001);
    assert_eq!(officer.post(&answer, &[("text", &long)]).await.0, 400);
    let (status, page) = officer.post(&assign, &[("to", "olmayan.kisi")]).await;
    assert_eq!(status, 400);
    assert!(page.contains("yalnızca etkin bir görevli ya da yönetici hesabına"), "{page}");
    assert_eq!(officer.post(&actions, &[("action", "sil-her-seyi")]).await.0, 400);
    assert_eq!(officer.post("/staff/tickets/EIMZA-2026-999999/reveal", &[]).await.0, 404);
    let (status, page) =
        admin.post("/staff/admin/accounts", &[("name", "Kötü İsim"), ("role", "admin"), ("password", "yepyeni-bir-parola")]).await;
    assert_eq!(status, 400);
    assert!(page.contains("Kullanıcı adı 2–32 karakter olmalı"), "{page}");
    let (status, page) = admin.post("/staff/admin/accounts", &[("name", "kisa"), ("role", "officer"), ("password", "123")]).await;
    assert_eq!(status, 400);
    assert!(page.contains("Parola çok kısa: en az 12 karakter olmalı."), "{page}");
    // The audit log on the admin page names the reveals and the searches by number.
    let (_, page) = admin.get("/staff/admin").await;
    assert!(page.contains("Kurumsal başvuru bilgileri görüntülendi") && page.contains(&number), "{page}");
    assert!(page.contains("T.C. Kimlik No ile arama") && !page.contains("10000000146"), "{page}");
    // The person heard both answers only once each; the internal notes never.
    let (_, page) = admin.get(&ticket).await;
    assert!(page.contains("Telefonla arandı."), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_throttled_audited_and_sessions_end() {
    let bot = TestBot::start().await;
    let admin = bot.admin().await.clone();
    let base = bot.url();
    // The cookie: not for scripts, never sent by another site, only to /staff.
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{base}/staff/login"))
        .header("origin", &base)
        .form(&[("name", "admin"), ("password", STAFF_PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Path=/staff; HttpOnly; SameSite=Strict") && !cookie.contains("Secure"), "{cookie}");
    // The desk speaks English to an English browser.
    let r = reqwest::Client::new().get(format!("{base}/staff/login")).header("accept-language", "en-GB,en;q=0.9").send().await.unwrap();
    let page = r.text().await.unwrap();
    assert!(page.contains("IT department sign-in") && page.contains("<html lang=\"en\""), "{page}");
    // A login form posted from another site.
    let r = reqwest::Client::new()
        .post(format!("{base}/staff/login"))
        .header("origin", "https://kotu.example")
        .form(&[("name", "admin"), ("password", STAFF_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Empty fields, then wrong passwords: five, then even the right one waits.
    let (status, page) = StaffClient::login(&base, "admin", "").await.unwrap_err();
    assert_eq!(status, 400);
    assert!(page.contains("Kullanıcı adınızı ve parolanızı yazın."), "{page}");
    for _ in 0..5 {
        let (status, page) = StaffClient::login(&base, "admin", "yanlis-parola-123").await.unwrap_err();
        assert_eq!(status, 401);
        assert!(page.contains("Kullanıcı adı ya da parola yanlış."), "{page}");
        assert!(!page.contains("yanlis-parola"), "the password is never shown back");
    }
    let (status, page) = StaffClient::login(&base, "admin", STAFF_PASSWORD).await.unwrap_err();
    assert_eq!(status, 429);
    assert!(page.contains("15 dakika sonra yeniden deneyin"), "{page}");
    // An unknown name is refused in the same words.
    let (status, page) = StaffClient::login(&base, "kimse", STAFF_PASSWORD).await.unwrap_err();
    assert_eq!(status, 401);
    assert!(page.contains("Kullanıcı adı ya da parola yanlış."));
    // The audit log has them all, and the session from before still works.
    let (_, page) = admin.get("/staff/admin").await;
    assert_eq!(page.matches("Hatalı giriş denemesi").count(), 6, "{page}");
    assert!(page.contains("Giriş engellendi"), "{page}");
    // Log out: that session is gone. Log out everywhere: every session of the account.
    let officer_a = bot.staff_account("gorevli", "officer").await;
    let officer_b = StaffClient::login(&base, "gorevli", STAFF_PASSWORD).await.unwrap();
    let (status, _) = officer_a.post("/staff/logout", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(officer_a.get("/staff").await.0, 303, "logged out");
    assert_eq!(officer_b.get("/staff").await.0, 200, "the other session is untouched");
    let officer_c = StaffClient::login(&base, "gorevli", STAFF_PASSWORD).await.unwrap();
    let (_, page) = officer_c.post("/staff/logout-everywhere", &[]).await;
    assert!(page.contains("Tüm cihazlardaki oturumlarınız kapatıldı."), "{page}");
    assert_eq!(officer_b.get("/staff").await.0, 303);
    assert_eq!(officer_c.get("/staff").await.0, 303);
    // A new password from the command line ends the sessions too; short ones are refused.
    let officer_d = StaffClient::login(&base, "gorevli", STAFF_PASSWORD).await.unwrap();
    let (code, out) = bot.cli(&["staff", "passwd", "gorevli"], "kısa\n");
    assert_eq!(code, 1);
    assert!(out.contains("Parola çok kısa: en az 12 karakter olmalı."), "{out}");
    let (code, out) = bot.cli(&["staff", "passwd", "gorevli"], "gorevli-2026-parola\n");
    assert_eq!(code, 1);
    assert!(out.contains("Parola kullanıcı adını içermemeli."), "{out}");
    let (code, out) = bot.cli(&["staff", "passwd", "gorevli"], "çok-daha-uzun-bir-parola\n");
    assert_eq!(code, 0, "{out}");
    assert_eq!(officer_d.get("/staff").await.0, 303);
    assert!(StaffClient::login(&base, "gorevli", "çok-daha-uzun-bir-parola").await.is_ok());
    let (code, out) = bot.cli(&["staff", "add", "biri", "--role", "kral"], "uzun-bir-parola-123\n");
    assert_eq!(code, 2);
    assert!(out.contains("Bu yetki tanınmadı"), "{out}");
    let (code, out) = bot.cli(&["staff", "list"], "");
    assert_eq!(code, 0);
    assert!(out.contains("admin\tYönetici") && out.contains("gorevli\tGörevli"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_sent_at_once_are_throttled_all_the_same() {
    let bot = TestBot::start().await;
    let admin = bot.admin().await.clone();
    let base = bot.url();
    // Twelve guesses in parallel: each is counted before its password is checked, so five are
    // checked and refused, seven throttled — not twelve checked while none was counted yet.
    let guesses = (0..12).map(|i| {
        let base = base.clone();
        tokio::spawn(async move { StaffClient::login(&base, "admin", &format!("tahmin-{i}-parola")).await.map(|_| ()) })
    });
    let mut statuses: Vec<u16> = futures_util::future::join_all(guesses).await.into_iter().map(|r| r.unwrap().unwrap_err().0).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [[401; 5].as_slice(), [429; 7].as_slice()].concat());
    // The right password waits too; the audit log has five failures and the refusals.
    assert_eq!(StaffClient::login(&base, "admin", STAFF_PASSWORD).await.unwrap_err().0, 429);
    let (_, page) = admin.get("/staff/admin").await;
    assert_eq!(page.matches("Hatalı giriş denemesi").count(), 5, "{page}");
    assert_eq!(page.matches("Giriş engellendi").count(), 8, "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_by_tckn_sent_at_once_keep_the_hourly_limit() {
    let bot = TestBot::start().await;
    let admin = bot.admin().await.clone();
    // Seventy searches by one number at once: sixty are run (and audited), ten are told the
    // limit — not seventy run while none was counted yet.
    let searches = (0..70).map(|_| {
        let admin = admin.clone();
        tokio::spawn(async move { admin.get("/staff?q=10000000146").await })
    });
    let pages: Vec<(u16, String)> = futures_util::future::join_all(searches).await.into_iter().map(Result::unwrap).collect();
    assert!(pages.iter().all(|(status, _)| *status == 200));
    let limited = pages.iter().filter(|(_, page)| page.contains("Bir saat içinde T.C. Kimlik No ile çok sayıda arama yapıldı")).count();
    assert_eq!(limited, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_prints_a_one_time_setup_link() {
    let bot = TestBot::start().await;
    let printed = bot.said();
    let at = printed.find("/staff/setup/").unwrap_or_else(|| panic!("no setup link in {printed:?}"));
    let path: String = printed[at..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(printed.contains("İlk yönetici hesabını oluşturmak için bu tek kullanımlık bağlantıyı 24 saat içinde açın"), "{printed}");
    assert!(!bot.data_dir.join("staff-password").exists(), "no password left in a file");
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = client.get(format!("{}{path}", bot.url())).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("İlk yönetici hesabı"));
    let post = |form: Vec<(&'static str, &'static str)>| {
        client.post(format!("{}{path}", bot.url())).header("origin", bot.url()).form(&form).send()
    };
    let r = post(vec![("name", "bilgi.islem"), ("password", "kısa"), ("repeated", "kısa")]).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Parola çok kısa"));
    let r = post(vec![("name", "bilgi.islem"), ("password", "uzun-ve-guvenli-1"), ("repeated", "uzun-ve-guvenli-2")]).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("Yazdığınız iki parola aynı değil."));
    let r = post(vec![("name", "bilgi.islem"), ("password", "uzun-ve-guvenli-1"), ("repeated", "uzun-ve-guvenli-1")]).await.unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let page = client.get(format!("{}/staff/admin", bot.url())).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200, "the first account is an admin, signed in");
    assert!(page.text().await.unwrap().contains("bilgi.islem (Yönetici)"));
    // Used once: gone.
    let r = client.get(format!("{}{path}", bot.url())).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("geçersiz, kullanılmış ya da süresi dolmuş"));
    let r = post(vec![("name", "ikinci"), ("password", "uzun-ve-guvenli-1"), ("repeated", "uzun-ve-guvenli-1")]).await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(client.get(format!("{}/staff/setup/uydurma", bot.url())).send().await.unwrap().status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_opens_in_excel_masked_and_is_audited() {
    let bot = TestBot::start().await;
    request(&bot, "10000000146", "Ilgaz Işık").await;
    request(&bot, "12345678950", "İpek Çiçek").await;
    let admin = bot.admin().await;
    let r = admin.get_response("/staff/export.csv?q=ipek").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"eimza-"));
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    assert_eq!(text.lines().count(), 2, "the filter applies: {text}");
    assert!(text.contains("İpek Çiçek;123******50;Uzman;") && !text.contains("12345678950"), "{text}");
    let all = String::from_utf8(admin.get_response("/staff/export.csv").await.bytes().await.unwrap().to_vec()).unwrap();
    assert!(all.starts_with("\u{feff}Başvuru No;Durum;Ad Soyad;T.C. Kimlik No;") && all.contains("Ilgaz Işık;100******46;"), "{all}");
    let (_, page) = admin.get("/staff/admin").await;
    assert_eq!(page.matches("Liste dışa aktarıldı").count(), 2, "{page}");
    assert!(!page.contains("ipek"), "the search words are not logged");
}

/// Two tickets waiting on the desk or stalled, one fresh, one closed; at 08:59 nothing, at
/// 09:00 one digest to the staff chat and the e-mail, not again that day — from another
/// instance neither — and nothing on a Saturday.
async fn digest_once_a_day(url: String) {
    use chrono::TimeZone;
    let connect = || async { Store::connect(&url, Vault::from_master_key(&[7; 32])).await.unwrap() };
    let routing = || Routing { staff_chats: vec![Transport::Telegram], ..Routing::default() };
    let store = connect().await.with_routing(routing());
    store.save_institution("Örnek", "{}", 1).await.unwrap();
    let at = |d: u32, h: u32, m: u32| chrono_tz::Europe::Istanbul.with_ymd_and_hms(2026, 12, d, h, m, 0).unwrap().timestamp_millis();
    let open = |n: u64, day: u32| {
        let store = &store;
        async move {
            let person = store.person("web", &format!("p{n}"), at(day, 10, 0)).await.unwrap();
            let draft = eimza_tests::application(&eimza_tests::valid_tckn(n), "Ayşe Kaya", "ayse@kurum.gov.tr");
            let mut tx = store.begin().await.unwrap();
            let eimza_bot::store::OpenOutcome::Opened(number) =
                tx.open_ticket(person, &draft, eimza_protocol::Lang::Tr, at(day, 10, 0)).await.unwrap()
            else {
                panic!("opened")
            };
            tx.commit().await.unwrap();
            let (ticket, _) = store.ticket_detail(&number.to_string()).await.unwrap().unwrap();
            ticket
        }
    };
    let waiting = open(1, 4).await; // Friday 4 December
    for (event, kind) in [
        (TicketEvent::AgentPaired, ActorKind::System),
        (TicketEvent::CardStepRequested, ActorKind::System),
        (TicketEvent::EOnayAttested, ActorKind::Agent),
    ] {
        eimza_tests::apply(&store, waiting.id, event, kind, Some("t"), at(4, 11, 0)).await.unwrap();
    }
    let stalled = open(2, 1).await; // Tuesday 1 December: 4 working days by Monday the 7th
    open(3, 7).await; // today: fresh
    let closed = open(4, 1).await;
    eimza_tests::apply(&store, closed.id, TicketEvent::Cancel, ActorKind::Applicant, None, at(1, 12, 0)).await.unwrap();
    let config = eimza_bot::Config::load(None).unwrap().staff;
    let calendar = Calendar::default();
    assert_eq!(eimza_bot::jobs::digest_once(&store, &calendar, &config, at(7, 8, 59)).await.unwrap(), None, "before nine");
    let digest = eimza_bot::jobs::digest_once(&store, &calendar, &config, at(7, 9, 0)).await.unwrap().expect("the digest at nine");
    let numbers = |lines: &[eimza_bot::core::staff::DigestLine]| {
        lines.iter().map(|l| (l.number.clone(), l.state, l.waiting_days)).collect::<Vec<_>>()
    };
    assert_eq!(numbers(&digest.waiting), [(waiting.number.clone(), TicketState::EOnayDone, 1)]);
    assert_eq!(numbers(&digest.stalled), [(stalled.number.clone(), TicketState::Submitted, 4)]);
    assert_eq!(eimza_bot::jobs::digest_once(&store, &calendar, &config, at(7, 9, 30)).await.unwrap(), None, "once a day");
    let other = connect().await.with_routing(routing());
    assert_eq!(eimza_bot::jobs::digest_once(&other, &calendar, &config, at(7, 10, 0)).await.unwrap(), None, "once across instances");
    assert_eq!(eimza_bot::jobs::digest_once(&store, &calendar, &config, at(5, 9, 0)).await.unwrap(), None, "not on a Saturday");
    // What went into the outbox: one post, one e-mail, with the digest's tickets.
    let posts = store.peek_outbox(Channel::StaffChat(Transport::Telegram), 0, 100).await.unwrap();
    let digests: Vec<_> = posts
        .iter()
        .filter_map(|c| match &c.message {
            Ok(Outbound::StaffChat { ticket_id: None, message: StaffMessage::Digest { digest }, .. }) => Some(digest.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(digests, std::slice::from_ref(&digest));
    let mails = store.peek_outbox(Channel::Email, 0, 100).await.unwrap();
    let digest_mails = mails.iter().filter(|c| matches!(&c.message, Ok(Outbound::Email(Mail::StaffDigest { .. })))).count();
    assert_eq!(digest_mails, 1);
    // The next working day, the same two still wait; a day with nothing sends nothing.
    assert!(eimza_bot::jobs::digest_once(&store, &calendar, &config, at(8, 9, 0)).await.unwrap().is_some());
    other.close().await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_digest_goes_once_at_nine_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    digest_once_a_day(format!("sqlite:{}", dir.path().join("t.db").display())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_digest_goes_once_at_nine_on_postgres() {
    digest_once_a_day(eimza_tests::fresh_postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_day_with_nothing_to_say_sends_nothing() {
    use chrono::TimeZone;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::connect(&format!("sqlite:{}", dir.path().join("t.db").display()), Vault::from_master_key(&[7; 32]))
        .await
        .unwrap()
        .with_routing(Routing { staff_chats: vec![Transport::Telegram], ..Routing::default() });
    let config = eimza_bot::Config::load(None).unwrap().staff;
    let nine = chrono_tz::Europe::Istanbul.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap().timestamp_millis();
    assert_eq!(eimza_bot::jobs::digest_once(&store, &Calendar::default(), &config, nine).await.unwrap(), None);
    assert!(store.peek_outbox(Channel::Email, 0, 10).await.unwrap().is_empty());
    assert!(store.peek_outbox(Channel::StaffChat(Transport::Telegram), 0, 10).await.unwrap().is_empty());
}
