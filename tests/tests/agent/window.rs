//! The agent's window for real: `eimza-agent pencere` on a private Xvfb display (1366×768), with
//! the real bot, pcscd + vpcd and the virtual AKİS card, driven by the keyboard only (xdotool):
//! the person types the pairing code, approves in chat, and takes the card step with e-Onay and
//! the PIN — the ticket reaches EOnayDone. Screenshots of each screen go to target/screenshots/
//! (those in docs/ are copies of such a run).

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use eimza_tests::agent::{Agent, button_id, code_in, pushed};
use eimza_tests::desktop::Desktop;
use eimza_tests::road::holders_certificate;
use eimza_tests::trust::TestCa;
use eimza_tests::vcard::{self, CardState, Reader, VirtualCard};
use eimza_tests::{TestBot, pki, valid_tckn};

struct Window {
    child: Child,
    agent: Agent,
}

impl Window {
    /// Waits for `window: {screen}` in the agent's log (the window logs each screen it shows).
    fn wait_for(&self, screen: &str) {
        let line = format!("window: {screen}");
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.agent.log().contains(&line) {
            assert!(Instant::now() < deadline, "the window never showed {screen:?}; log:\n{}", self.agent.log());
            std::thread::sleep(Duration::from_millis(100));
        }
        // The frame that logged it draws at once; its main control takes the focus.
        std::thread::sleep(Duration::from_millis(600));
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_and_take_the_card_step_with_e_onay_in_the_window() {
    let bot = TestBot::start().await;
    let (chat, ticket) = crate::pairing::with_ticket(&bot, 701).await;
    let tckn = valid_tckn(701);
    let issued = holders_certificate(TestCa::kamu_sm(), &tckn, None);
    let reader = Reader::acquire();
    let state = std::sync::Arc::new(std::sync::Mutex::new(CardState::new(vcard::ATR_TC, issued.der.clone(), pki::rsa_key().clone())));
    let _card = VirtualCard::insert(&reader, state.clone());
    let desktop = Desktop::start();
    let agent = Agent::new();
    // The institution ships the server's address; the browser is a script that notes the page.
    let config = agent.home.path().join("agent.conf");
    std::fs::write(&config, format!("# kurumun sunucusu\nserver = {}\n", bot.url())).unwrap();
    let bin = agent.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opened = agent.home.path().join("opened.txt");
    let xdg_open = bin.join("xdg-open");
    std::fs::write(&xdg_open, format!("#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\n", opened.display())).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&xdg_open, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut command = agent.command(&["pencere", "--okuyucu", reader.name(), "--kamusm-adresi", "https://onlineislemler.kamusm.gov.tr/"]);
    command
        .env_remove("PCSCLITE_CSOCK_NAME")
        .env("DISPLAY", &desktop.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("EIMZA_AGENT_CONFIG", &config)
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env("PATH", format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default()))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let window = Window { child: command.spawn().unwrap(), agent };
    let shots = Desktop::screenshot_dir();

    // Pairing: the code field has the focus; the code as a person types it.
    desktop.wait_for_window("eimza");
    window.wait_for("pairing form");
    let code = code_in(&chat.press("pair").await.text());
    desktop.screenshot(&shots.join("agent-pairing.png"));
    desktop.type_text(&code.to_lowercase().replace('-', " "));
    desktop.key("Return");
    let ask = pushed(&chat, "bu sohbetle eşleşmek istiyor").await;
    let approve = button_id(&ask, "pair-approve:");
    window.wait_for("pairing: waiting for the approval");
    chat.press(&approve).await;

    // The card step arrives by itself; the card in the reader is usable: e-Onay begins.
    window.wait_for("wizard: open the page");
    desktop.screenshot(&shots.join("agent-wizard.png"));
    desktop.key("Return");
    window.wait_for("wizard: e-onay steps");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !opened.exists() {
        assert!(Instant::now() < deadline, "Kamu SM's page was not opened");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(std::fs::read_to_string(&opened).unwrap().trim(), "https://onlineislemler.kamusm.gov.tr/");
    desktop.screenshot(&shots.join("agent-eonay-steps.png"));
    desktop.key("Return");
    window.wait_for("wizard: statement");
    desktop.key("Return");
    window.wait_for("pin dialog");
    desktop.type_text("000000");
    desktop.screenshot(&shots.join("agent-pin.png"));
    desktop.key("Return");
    // A wrong PIN: said in the dialog, tried once, never again by itself.
    window.wait_for("wizard: verifying the pin");
    let deadline = Instant::now() + Duration::from_secs(20);
    while state.lock().unwrap().tries != vcard::MAX_TRIES - 1 {
        assert!(Instant::now() < deadline, "the wrong PIN never reached the card");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(state.lock().unwrap().tries, vcard::MAX_TRIES - 1, "a wrong PIN is not tried again");
    desktop.screenshot(&shots.join("agent-pin-wrong.png"));
    desktop.type_text("123456");
    desktop.key("Return");
    window.wait_for("wizard: accepted");
    desktop.screenshot(&shots.join("agent-done.png"));
    let done = pushed(&chat, "e-Onay işleminiz doğrulandı").await;
    assert!(done["text"].as_str().unwrap().contains(&ticket), "{done}");
    let status = chat.say("/durum").await.text();
    assert!(status.contains("e-Onay tamamlandı") || status.contains("e-Onay"), "{status}");
    let log = window.agent.log();
    assert!(!log.contains("123456") && !log.contains("000000") && !log.contains(&tckn), "no PIN, no number in the log: {log}");

    // Home with the card panel, after the wizard is closed.
    desktop.key("Return");
    window.wait_for("home");
    desktop.screenshot(&shots.join("agent-home.png"));
}

/// Started at login (`--gizli`): no window while there is nothing to do; a start from the menu
/// brings the running one forward (and ends itself); paired, the card step opens the window.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn started_in_the_background_the_window_opens_when_it_is_needed() {
    let desktop = Desktop::start();
    let start = |agent: &Agent, hidden: bool| {
        let mut args = vec!["pencere"];
        if hidden {
            args.push("--gizli");
        }
        let mut command = agent.command(&args);
        command.env("DISPLAY", &desktop.display).env_remove("WAYLAND_DISPLAY").env("LIBGL_ALWAYS_SOFTWARE", "1");
        command.spawn().unwrap()
    };
    let shown = || desktop.xdotool(&["search", "--onlyvisible", "--name", "eimza"]);

    // Not paired: nothing at login; the menu's start shows the pairing form in the running one.
    let unpaired = Agent::new();
    let mut first = start(&unpaired, true);
    std::thread::sleep(Duration::from_secs(3));
    assert!(!shown(), "no window at login for an unpaired PC");
    let second = start(&unpaired, false).wait_with_output().unwrap();
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("eimza penceresi zaten açık; öne getirildi."));
    desktop.wait_for_window("eimza");
    let _ = first.kill();
    let _ = first.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while shown() {
        assert!(Instant::now() < deadline, "the first window did not end");
        std::thread::sleep(Duration::from_millis(100));
    }

    // Paired, with a card step waiting: the window opens by itself, with the notification.
    let bot = TestBot::start().await;
    let (chat, _) = crate::pairing::with_ticket(&bot, 702).await;
    let agent = Agent::new();
    eimza_tests::agent::pair(&bot, &chat, &agent).await;
    let window = Window { child: start(&agent, true), agent };
    desktop.wait_for_window("eimza");
    window.wait_for("wizard: waiting for the card");
    assert_eq!(window.agent.notifications().len(), 1, "{:?}", window.agent.notifications());
}

/// The tray, as a panel sees it over a private D-Bus: the state's words and colour, and a menu —
/// "Aç" brings the window of a background start, "Programdan çık" ends the agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tray_shows_the_state_and_its_menu_opens_the_window_and_quits() {
    use eimza_tests::desktop::TrayHost;
    let desktop = Desktop::start();
    let host = TrayHost::start().await;
    let agent = Agent::new();
    let mut command = agent.command(&["pencere", "--gizli"]);
    command
        .env("DISPLAY", &desktop.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env("DBUS_SESSION_BUS_ADDRESS", &host.address)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut window = Window { child: command.spawn().unwrap(), agent };
    let item = host.item().await;
    let title: String = host.property(&item, "Title").await;
    let status: String = host.property(&item, "Status").await;
    assert_eq!((title.as_str(), status.as_str()), ("eimza", "Active"));
    assert_eq!(host.tool_tip(&item).await, ("eimza".to_owned(), "Eşleştirilmedi".to_owned()));
    // Grey: not paired. The 32-pixel icon's centre, ARGB.
    let icons = host.icons(&item).await;
    let (_, _, pixels) = icons.iter().find(|(w, _, _)| *w == 32).expect("a 32-pixel icon");
    assert_eq!(pixels[(16 * 32 + 16) * 4..][..4], [0xff, 0x80, 0x80, 0x80]);
    let menu = host.menu(&item).await;
    let labels: Vec<&str> = menu.iter().map(|e| e.label.as_str()).filter(|l| !l.is_empty()).collect();
    assert_eq!(labels, ["Aç", "Durum: Eşleştirilmedi", "Programdan çık"]);
    let shown = || desktop.xdotool(&["search", "--onlyvisible", "--name", "eimza"]);
    assert!(!shown(), "no window at login for an unpaired PC");

    // "Aç": the pairing form, in the running agent.
    host.click(&item, menu.iter().find(|e| e.label == "Aç").unwrap()).await;
    desktop.wait_for_window("eimza");
    window.wait_for("pairing form");

    // "Programdan çık": the agent ends.
    host.click(&item, menu.iter().find(|e| e.label == "Programdan çık").unwrap()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = window.child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the agent did not end on Programdan çık");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(window.agent.log().contains("tray: quit"), "{}", window.agent.log());
}
