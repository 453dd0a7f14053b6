//! Pairing the desktop agent with the bot and the live link, with real processes: the bot, the
//! agent (`eslestir`, `calis`, `durum`), a person in the web chat, real HTTP and WebSocket.

use std::process::Stdio;
use std::time::Duration;

use eimza_tests::agent::{Agent, bot_lines, button_id, code_in, finish, pair, pushed, wait_for};
use eimza_tests::{TestBot, WebChat, binary, unique_email, valid_tckn};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A person with an open ticket in the web chat; returns the chat and the ticket number.
pub(crate) async fn with_ticket(bot: &TestBot, n: u64) -> (WebChat, String) {
    let chat = WebChat::open(&bot.url()).await;
    chat.fill_intake(&valid_tckn(n), "Ayşe Yılmaz", "Uzman", &unique_email("ayse"), "05.03.1980").await;
    let a = chat.press("confirm").await;
    assert!(a.buttons().contains(&"pair".to_owned()), "a pair button after the ticket opens: {:?}", a.buttons());
    let text = a.text();
    let start = text.find("EIMZA-").unwrap();
    (chat, text[start..start + 17].to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_in_chat_and_the_card_step_reaches_the_pc() {
    let bot = TestBot::start().await;
    let (chat, ticket) = with_ticket(&bot, 501).await;
    let mut agent = Agent::new();
    let reply = pair(&bot, &chat, &agent).await;
    assert!(reply.contains("Eşleştirme tamamlandı: EIMZA-PC-12"), "{reply}");
    assert!(reply.contains(&format!("{ticket} numaralı başvurunuzun kart adımı bilgisayarınıza gönderildi")), "{reply}");

    // The token: long, random, in a file only the user can read; the bot keeps only its hash.
    let pairing = agent.pairing();
    let token = pairing["token"].as_str().unwrap().to_owned();
    assert!(token.len() >= 43, "{token}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(agent.home.path().join("pairing.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    for entry in std::fs::read_dir(&bot.data_dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "the token is not stored in clear");
    }
    let status = chat.say("/durum").await.text();
    assert!(status.contains("Kart adımı"), "{status}");

    // The agent runs: the card step arrives, the PC shows a notification, the person is told.
    agent.run();
    let lines = wait_for("the notification", async || Some(agent.notifications()).filter(|n| !n.is_empty())).await;
    assert_eq!(
        lines,
        vec![format!("e-İmza yenileme: kartınızı takmanız gerekiyor\t{ticket} numaralı başvurunuz için e-İmza kartınızı okuyucuya takın.")]
    );
    pushed(&chat, &format!("Bilgisayarınıza bildirim gönderildi: EIMZA-PC-12 bilgisayarı {ticket} numaralı")).await;
    // No PC/SC service on this "PC": the person reads why, specifically, and that the PC waits.
    let report = pushed(&chat, &format!("Bilgisayarınız {ticket} numaralı başvurunuz için kartınızı denetledi. Yapmanız gerekenler")).await;
    let text = report["text"].as_str().unwrap();
    assert!(text.contains("• Bilgisayarda akıllı kart hizmeti çalışmıyor."), "{text}");
    assert!(text.contains("kendiliğinden yeniden denetleyecek"), "{text}");
    let buttons: Vec<&str> = report["buttons"].as_array().unwrap().iter().map(|b| b["label"].as_str().unwrap()).collect();
    assert_eq!(buttons, ["Kartı yeniden denetle"]);
    let status = wait_for("durum: connected", async || Some(agent.status()).filter(|s| s.contains("Bağlantı: bağlı"))).await;
    assert!(status.contains(&format!("Eşleştirme: {}", bot.url())), "{status}");
    let log = agent.log();
    assert!(log.contains("connected") && !log.contains(&token), "{log}");

    // /cihazlar lists the PC with its OS and an unlink button.
    let devices = chat.say("/cihazlar").await;
    assert!(devices.text().contains("• EIMZA-PC-12 ("), "{}", devices.text());
    assert!(devices.text().contains("son görülme:"), "{}", devices.text());
    let unlink = devices.buttons().into_iter().find(|b| b.starts_with("unlink:")).unwrap();

    // Unlinking closes the live connection at once, and the token is refused afterwards.
    let a = chat.press(&unlink).await;
    assert!(a.text().contains("“EIMZA-PC-12” bilgisayarının eşleştirmesi kaldırıldı"), "{}", a.text());
    let child = agent.running.take().unwrap();
    let (code, out) = finish(child);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("Bu bilgisayarın eşleştirmesi kaldırıldı"), "{out}");
    assert!(agent.status().contains("eşleştirme kaldırıldı"));
    let (code, out) = finish(agent.command(&["calis"]).spawn().unwrap());
    assert_eq!(code, 3, "{out}");
    let a = chat.press(&unlink).await;
    assert!(a.text().contains("zaten kaldırılmış"), "{}", a.text());
    assert!(chat.say("/cihazlar").await.text().contains("Eşleştirilmiş bilgisayarınız yok."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_reused_wrong_and_too_many_codes() {
    let bot = TestBot::start().await;
    let (chat, _) = with_ticket(&bot, 502).await;
    let agent = Agent::new();

    // A code typed on the wrong PC: the person rejects it in chat.
    let code = code_in(&chat.say("/eslestir").await.text());
    let child = agent.start_pairing(&bot.url(), &code);
    let ask = pushed(&chat, "bu sohbetle eşleşmek istiyor").await;
    let reject = button_id(&ask, "pair-reject:");
    assert!(chat.press(&reject).await.text().contains("Eşleştirme reddedildi: “EIMZA-PC-12” bu hesaba bağlanmadı"));
    let (exit, out) = finish(child);
    assert_eq!(exit, 1);
    assert!(out.contains("Eşleştirme sohbette reddedildi"), "{out}");
    assert!(chat.press(&reject).await.text().contains("artık geçerli değil"), "a second answer is stale");

    // The same code again: used.
    let (exit, out) = finish(agent.start_pairing(&bot.url(), &code));
    assert_eq!(exit, 1);
    assert!(out.contains("daha önce kullanılmış"), "{out}");

    // A badly typed code never leaves the PC.
    let (exit, out) = finish(agent.start_pairing(&bot.url(), "KQFM-DXZ0"));
    assert_eq!(exit, 2);
    assert!(out.contains("“0” bulunmaz"), "{out}");
    let (exit, out) = finish(agent.command(&["eslestir", "--sunucu", "http://eimza.kurum.gov.tr", "KQFM-DXZT"]).spawn().unwrap());
    assert_eq!(exit, 2);
    assert!(out.contains("https:// ile başlayan"), "{out}");

    // Wrong codes: five from one address (the used one counted), then a wait.
    for _ in 0..4 {
        let (exit, out) = finish(agent.start_pairing(&bot.url(), "ZZZZ-ZZZZ"));
        assert_eq!(exit, 1);
        assert!(out.contains("Bu eşleştirme kodu tanınmadı"), "{out}");
    }
    let (exit, out) = finish(agent.start_pairing(&bot.url(), "ZZZZ-ZZZZ"));
    assert_eq!(exit, 1);
    assert!(out.contains("çok sayıda yanlış kod girildi"), "{out}");
    assert!(out.contains("dakika sonra yeniden deneyebilirsiniz"), "{out}");
    // Even a right code waits now.
    let fresh = code_in(&chat.say("/eslestir").await.text());
    let (_, out) = finish(agent.start_pairing(&bot.url(), &fresh));
    assert!(out.contains("çok sayıda yanlış kod girildi"), "{out}");
    assert!(agent.pairing_file_missing());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_work_survives_a_bot_crash_and_arrives_once() {
    let mut bot = TestBot::start_with(&[("EIMZA_AGENTS__OFFLINE_NOTICE_SECS", "2")]).await;
    let (chat, ticket) = with_ticket(&bot, 503).await;
    let mut agent = Agent::new();
    pair(&bot, &chat, &agent).await;
    // The PC is off: the person is told, once.
    pushed(&chat, &format!("Bilgisayarınız çevrim dışı: {ticket} numaralı")).await;
    // The bot crashes and comes back: the work waits in the store.
    bot.restart().await;
    agent.run();
    wait_for("the notification", async || Some(agent.notifications()).filter(|n| n.len() == 1)).await;
    pushed(&chat, "kartınızı denetledi. Yapmanız gerekenler").await;
    // The bot crashes again with the agent connected: the agent reconnects by itself...
    bot.restart().await;
    let connects = |log: &str| log.lines().filter(|l| l.ends_with(" connected")).count();
    wait_for("a reconnect", async || Some(agent.log()).filter(|l| connects(l) >= 2)).await;
    // ...and nothing is delivered or reported twice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(agent.notifications().len(), 1, "{:?}", agent.notifications());
    let reports = bot_lines(&chat).await.iter().filter(|m| m["text"].as_str().unwrap_or("").contains("Yapmanız gerekenler")).count();
    assert_eq!(reports, 1);
    let delivered = bot_lines(&chat)
        .await
        .iter()
        .filter(|m| m["text"].as_str().unwrap_or("").contains(&format!("{ticket} numaralı başvurunuzun kart adımını aldı")))
        .count();
    assert_eq!(delivered, 1);
    let offline =
        bot_lines(&chat).await.iter().filter(|m| m["text"].as_str().unwrap_or("").contains("Bilgisayarınız çevrim dışı:")).count();
    assert_eq!(offline, 1, "told once, also across the restart");
}

/// A raw WebSocket client speaking the protocol by hand.
async fn raw_link(
    bot: &TestBot,
    token: &str,
) -> Result<tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>, u16> {
    let mut request = format!("ws://127.0.0.1:{}/api/agent/ws", bot.port).into_client_request().unwrap();
    request.headers_mut().insert("Authorization", format!("Bearer {token}").parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => panic!("{e}"),
    }
}

async fn next_json(ws: &mut tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>) -> Value {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await.expect("a frame in time") {
            Some(Ok(Message::Text(t))) => return serde_json::from_str(&t).unwrap(),
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_refuses_bad_frames_politely_and_a_replayed_report_lands_once() {
    let bot = TestBot::start().await;
    let (chat, _) = with_ticket(&bot, 504).await;
    let agent = Agent::new();
    pair(&bot, &chat, &agent).await;
    let token = agent.pairing()["token"].as_str().unwrap().to_owned();

    assert_eq!(raw_link(&bot, "not-a-token").await.err(), Some(401));

    // An old agent is told to update.
    let mut ws = raw_link(&bot, &token).await.unwrap();
    ws.send(Message::text(r#"{"type":"hello","protocol":0,"agent_version":"0.0.1"}"#)).await.unwrap();
    assert_eq!(next_json(&mut ws).await, serde_json::json!({"type": "error", "code": "version-mismatch", "protocol": 1}));
    pushed(&chat, "“EIMZA-PC-12” bilgisayarındaki eimza programının sürümü eski").await;

    let mut ws = raw_link(&bot, &token).await.unwrap();
    ws.send(Message::text(r#"{"type":"hello","protocol":1,"agent_version":"test"}"#)).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    let work = next_json(&mut ws).await;
    assert_eq!(work["type"], "work");
    assert_eq!(work["body"]["kind"], "card-step");
    assert!(work["body"]["nonce"].as_str().unwrap().len() >= 43, "a 256-bit nonce");
    let work_id = work["work_id"].as_str().unwrap().to_owned();
    // Garbage, an unknown type and an oversized frame: error frames, the link stays up.
    ws.send(Message::text("kart")).await.unwrap();
    assert_eq!(next_json(&mut ws).await["code"], "malformed");
    ws.send(Message::text(r#"{"type":"telemetry"}"#)).await.unwrap();
    assert_eq!(next_json(&mut ws).await["code"], "unknown-type");
    ws.send(Message::text(format!(r#"{{"type":"heartbeat","seq":1,"pad":"{}"}}"#, "x".repeat(70_000)))).await.unwrap();
    assert_eq!(next_json(&mut ws).await["code"], "too-large");
    ws.send(Message::text(r#"{"type":"heartbeat","seq":7}"#)).await.unwrap();
    assert_eq!(next_json(&mut ws).await, serde_json::json!({"type": "heartbeat-ack", "seq": 7}));

    // A report whose connection drops before the ack: sent again after reconnecting, stored once.
    ws.send(Message::text(format!(r#"{{"type":"ack","work_id":"{work_id}"}}"#))).await.unwrap();
    // Frames are handled in order: once the heartbeat is answered, the work's ack is stored.
    ws.send(Message::text(r#"{"type":"heartbeat","seq":8}"#)).await.unwrap();
    assert_eq!(next_json(&mut ws).await, serde_json::json!({"type": "heartbeat-ack", "seq": 8}));
    let report = format!(
        r#"{{"type":"report","report_id":"r-replay","work_id":"{work_id}","body":{{"kind":"card-check","notified":true,"usable":true}}}}"#
    );
    ws.send(Message::text(report.clone())).await.unwrap();
    drop(ws);
    let mut ws = raw_link(&bot, &token).await.unwrap();
    ws.send(Message::text(r#"{"type":"hello","protocol":1,"agent_version":"test"}"#)).await.unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    ws.send(Message::text(report)).await.unwrap();
    assert_eq!(
        next_json(&mut ws).await,
        serde_json::json!({"type": "ack", "report_id": "r-replay"}),
        "acknowledged again, acked work not resent"
    );
    pushed(&chat, "kart ve sertifika").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let said = bot_lines(&chat).await.iter().filter(|m| m["text"].as_str().unwrap_or("").contains("kart ve sertifika")).count();
    assert_eq!(said, 1, "the replayed report had no second effect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_bots_on_one_postgresql_reach_an_agent_connected_to_either() {
    let url = eimza_tests::fresh_postgres().await;
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let env = [("EIMZA_DATABASE_URL", url.as_str()), ("EIMZA_DATA_KEY", key)];
    let a = TestBot::start_with(&env).await;
    let b = TestBot::start_with(&env).await;
    // The person talks to bot B; the PC pairs and connects through bot A.
    let (chat, ticket) = with_ticket(&b, 505).await;
    let code = code_in(&chat.press("pair").await.text());
    let mut agent = Agent::new();
    let child = agent.start_pairing(&a.url(), &code);
    let ask = pushed(&chat, "bu sohbetle eşleşmek istiyor").await;
    let approve = button_id(&ask, "pair-approve:");
    chat.press(&approve).await;
    assert_eq!(finish(child).0, 0);
    agent.run();
    wait_for("the notification through the other bot", async || Some(agent.notifications()).filter(|n| n.len() == 1)).await;
    pushed(&chat, &format!("{ticket} numaralı başvurunuzun kart adımını aldı")).await;
    // Unlinking on B closes the connection held by A.
    let devices = chat.say("/cihazlar").await;
    let unlink = devices.buttons().into_iter().find(|b| b.starts_with("unlink:")).unwrap();
    chat.press(&unlink).await;
    let (code, out) = finish(agent.running.take().unwrap());
    assert_eq!(code, 3, "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_can_unlink_a_pc_and_it_lands_in_the_history() {
    let bot = TestBot::start().await;
    let (chat, ticket) = with_ticket(&bot, 506).await;
    let mut agent = Agent::new();
    pair(&bot, &chat, &agent).await;
    agent.run();
    wait_for("connected", async || Some(agent.status()).filter(|s| s.contains("Bağlantı: bağlı"))).await;
    let (status, page) = bot.staff_page(&format!("/staff/tickets/{ticket}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("Eşleştirilmiş bilgisayarlar"), "{page}");
    assert!(page.contains("EIMZA-PC-12 ("), "{page}");
    let agent_id = agent.pairing()["agent_id"].as_str().unwrap().to_owned();
    let path = format!("/staff/agents/{agent_id}/revoke");
    let admin = bot.admin().await;
    // Another site cannot make a staff member's browser do it.
    let (status, _) = admin.post_with(&path, &[("ticket", &ticket)], Some("https://evil.example"), Some(&admin.csrf)).await;
    assert_eq!(status, 403);
    let (status, _) = admin.post_with(&path, &[("ticket", &ticket)], Some(&bot.url()), None).await;
    assert_eq!(status, 403, "no CSRF token");
    let signed_out = admin.signed_out();
    let (status, _) = signed_out.post(&path, &[("ticket", &ticket)]).await;
    assert_eq!(status, 401);
    let viewer = bot.staff_account("izleyici", "viewer").await;
    let (status, _) = viewer.post(&path, &[("ticket", &ticket)]).await;
    assert_eq!(status, 403, "a viewer reads only");
    let (status, page) = admin.post(&path, &[("ticket", &ticket)]).await;
    assert_eq!(status, 303);
    assert!(page.starts_with(&format!("location: /staff/tickets/{ticket}\n")), "{page}");
    let (code, out) = finish(agent.running.take().unwrap());
    assert_eq!(code, 3, "the live connection closed at once: {out}");
    let (_, page) = bot.staff_page(&format!("/staff/tickets/{ticket}")).await;
    assert!(page.contains("Bilgisayar eşleştirmesi kaldırıldı"), "{page}");
    assert!(page.contains("Bilgi işlem (admin)") || page.contains("(admin)"), "{page}");
    assert!(page.contains("Bu kişinin eşleştirilmiş bilgisayarı yok."), "{page}");
}

/// Once for real: the agent's desktop notification reaches a notification daemon (dunst) on a
/// virtual X display, inside its own D-Bus session — what a person sees on their desktop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_step_notification_shows_on_a_real_desktop() {
    let bot = TestBot::start().await;
    let (chat, ticket) = with_ticket(&bot, 507).await;
    let agent = Agent::new();
    pair(&bot, &chat, &agent).await;
    let display = 100 + rand::random::<u16>() % 30_000;
    let out = agent.home.path().join("dunst-history.txt");
    let script = format!(
        r#"Xvfb :{display} -nolisten tcp >/dev/null 2>&1 & XPID=$!
export DISPLAY=:{display}
for i in $(seq 50); do [ -e /tmp/.X11-unix/X{display} ] && break; sleep 0.1; done
dunst >/dev/null 2>&1 & DPID=$!
for i in $(seq 50); do dunstctl count displayed >/dev/null 2>&1 && break; sleep 0.1; done
"$AGENT" calis >/dev/null 2>&1 & APID=$!
for i in $(seq 200); do [ "$(dunstctl count displayed 2>/dev/null)" -ge 1 ] 2>/dev/null && break; sleep 0.1; done
dunstctl close-all; sleep 0.3
dunstctl history > "$OUT"
kill $APID $DPID $XPID 2>/dev/null; wait 2>/dev/null; true"#
    );
    let mut command = agent.command(&[]);
    command.env_remove("EIMZA_AGENT_NOTIFY_FILE").env("AGENT", binary("eimza-agent")).env("OUT", &out);
    let command = std::process::Command::new("dbus-run-session")
        .args(["--", "bash", "-c", &script])
        .envs(command.get_envs().filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))))
        .env_remove("EIMZA_AGENT_NOTIFY_FILE")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("dbus-run-session (scripts/test installs dbus-daemon, xvfb, dunst and libnotify-bin)");
    assert!(command.success() || out.exists());
    let history = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(history.contains("e-İmza yenileme: kartınızı takmanız gerekiyor"), "{history}");
    assert!(history.contains(&format!("{ticket} numaralı başvurunuz için e-İmza kartınızı okuyucuya takın.")), "{history}");
    // And the bot heard that the PC showed it.
    pushed(&chat, "kartınızı denetledi. Yapmanız gerekenler").await;
}

/// The whole card step on a real PC/SC stack: the agent checks the holder's own card (the bot
/// sends the ticket's number), reports it fit, and the roster learns the certificate's expiry
/// from the card — the reminders follow the card, not only the imported list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_card_check_reads_the_holders_card_and_the_roster_learns_its_expiry() {
    use eimza_tests::pki::{self, CertSpec, PublicKey};
    use eimza_tests::vcard::{self, CardState, Reader, VirtualCard};

    let bot = TestBot::start().await;
    let (chat, ticket) = with_ticket(&bot, 508).await;
    let tckn = valid_tckn(508);
    let mut agent = Agent::new();
    pair(&bot, &chat, &agent).await;
    let reader = Reader::acquire();
    let spec = CertSpec::kamu_sm("AYŞE YILMAZ", &tckn, 45);
    let key = pki::rsa_key().clone();
    let der = spec.der(&PublicKey::rsa(&key));
    let _card = VirtualCard::insert(&reader, std::sync::Arc::new(std::sync::Mutex::new(CardState::new(vcard::ATR_TC, der, key))));
    let mut command = agent.command(&["calis", "--okuyucu", reader.name()]);
    command.env_remove("PCSCLITE_CSOCK_NAME");
    agent.running = Some(command.spawn().unwrap());
    pushed(&chat, &format!("kart ve sertifika {ticket} numaralı başvurunuzun yenilemesi için uygun")).await;

    let key = std::fs::read_to_string(bot.data_dir.join("eimza.key")).unwrap();
    let store = eimza_bot::store::Store::connect(
        &format!("sqlite:{}", bot.data_dir.join("eimza.db").display()),
        eimza_bot::vault::Vault::from_base64(&key).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(store.roster_count().await.unwrap(), 1, "the holder is in the roster now");
    let expires = spec.not_after.with_timezone(&chrono_tz::Europe::Istanbul).date_naive();
    let thirty_before = expires - chrono::Days::new(30);
    assert_eq!(store.queue_due_reminders(thirty_before, &[30], 1).await.unwrap(), 0, "paused while the renewal is open");
    chat.say("/iptal").await;
    assert!(chat.press("cancel:yes").await.text().contains("iptal edildi"));
    assert_eq!(
        store.queue_due_reminders(thirty_before, &[30], 1).await.unwrap(),
        1,
        "once the request is cancelled, the 30-day reminder falls on the card's date"
    );

    // Someone else's PC check with this card: refused as the wrong person, and the roster learns
    // nothing from a card that is not theirs.
    let (other_chat, other_ticket) = with_ticket(&bot, 509).await;
    let mut other = Agent::new();
    pair(&bot, &other_chat, &other).await;
    let mut command = other.command(&["calis", "--okuyucu", reader.name()]);
    command.env_remove("PCSCLITE_CSOCK_NAME");
    other.running = Some(command.spawn().unwrap());
    let said = pushed(&other_chat, &format!("Bilgisayarınız {other_ticket} numaralı başvurunuz için kartınızı denetledi")).await;
    assert!(said["text"].as_str().unwrap().contains("• Takılı kart başka birine ait"), "{said}");
    assert_eq!(store.roster_count().await.unwrap(), 1);
}

/// The agent crashed in the middle of a card step (here: waiting for the PC/SC service): the bot
/// has forgotten the work item, so the agent takes it up again when it runs again — and what it
/// already said is not said twice (the work item remembers it, and the report's id is the same).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_acknowledged_before_a_crash_is_handled_on_the_next_run() {
    let bot = TestBot::start().await;
    let (chat, _) = with_ticket(&bot, 510).await;
    let mut agent = Agent::new();
    pair(&bot, &chat, &agent).await;
    agent.run();
    wait_for("the first notification", async || Some(agent.notifications()).filter(|n| n.len() == 1)).await;
    pushed(&chat, "Yapmanız gerekenler").await;
    let mut child = agent.running.take().unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let path = agent.home.path().join("inbox.json");
    let inbox: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let item = inbox["items"].as_object().unwrap().values().next().unwrap().clone();
    assert_eq!(item["done"], false, "still waiting for the card");
    assert_eq!(item["said"]["problems"], serde_json::json!(["no-service"]));
    agent.run();
    wait_for("the step taken up again", async || Some(agent.notifications()).filter(|n| n.len() == 2)).await;
    wait_for("the second run's log", async || Some(agent.log()).filter(|l| l.matches(" connected").count() >= 2)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let reports = bot_lines(&chat).await.iter().filter(|m| m["text"].as_str().unwrap_or("").contains("Yapmanız gerekenler")).count();
    assert_eq!(reports, 1, "the same finding is not said twice");
}

/// Wrong codes presented through the reverse proxy: each client counts for itself (the proxy is
/// trusted to name it), a client cannot escape its count by naming another address itself, and
/// without the setting the header means nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_client_has_its_own_limit() {
    async fn present(bot: &TestBot, forwarded_for: &str) -> u16 {
        reqwest::Client::new()
            .post(format!("{}/api/agent/pairings", bot.url()))
            .header("X-Forwarded-For", forwarded_for)
            .json(&serde_json::json!({ "code": "ZZZZ-ZZZZ", "pc_name": "PC", "os": "Linux" }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
    let bot = TestBot::start_with(&[("EIMZA_WEB__TRUSTED_PROXIES", "[\"127.0.0.1\"]")]).await;
    for _ in 0..5 {
        assert_eq!(present(&bot, "198.51.100.1").await, 404);
    }
    assert_eq!(present(&bot, "198.51.100.1").await, 429, "this client waits");
    assert_eq!(present(&bot, "203.0.113.5, 198.51.100.1").await, 429, "naming someone else first does not help");
    assert_eq!(present(&bot, "198.51.100.2").await, 404, "another client behind the same proxy does not");
    // IPv6 clients count by their /64.
    for i in 0..5 {
        assert_eq!(present(&bot, &format!("2001:db8:1:2::{i}")).await, 404);
    }
    assert_eq!(present(&bot, "2001:db8:1:2:ffff::9").await, 429);

    // Without the setting, the header is the client's own word: ignored.
    let plain = TestBot::start().await;
    for n in 0..5 {
        assert_eq!(present(&plain, &format!("198.51.100.{n}")).await, 404);
    }
    assert_eq!(present(&plain, "198.51.100.99").await, 429, "all from 127.0.0.1, whatever they say");
}

/// A client that sends its headers slowly is cut off (here after 1 s): it cannot hold a
/// connection open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_too_slow_with_its_headers_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let bot = TestBot::start_with(&[("EIMZA_WEB__HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", bot.port)).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ").await.unwrap();
    let started = std::time::Instant::now();
    let mut buffer = vec![0; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await.expect("the server ended it");
    let n = read.unwrap_or(0);
    let answer = String::from_utf8_lossy(&buffer[..n]);
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "closed or 408: {answer}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    // A normal request still works.
    let r = reqwest::get(format!("{}/healthz", bot.url())).await.unwrap();
    assert!(r.status().is_success());
}
