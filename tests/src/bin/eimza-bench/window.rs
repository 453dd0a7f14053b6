//! The agent's window (release binary) on a private Xvfb display against a real bot: memory with
//! the window open and started in the background (`--gizli`), CPU while idle, the time from work
//! arriving to the desktop notification, and the binary's size.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use eimza_tests::agent::{Agent, pair, pushed};
use eimza_tests::desktop::Desktop;
use eimza_tests::road::holders_certificate;
use eimza_tests::trust::TestCa;
use eimza_tests::vcard::{self, CardState, Reader, VirtualCard};
use eimza_tests::{TestBot, WebChat, pki, unique_email, valid_tckn};

use crate::agents::rss_mib;

/// CPU seconds (user + system) the process has used.
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn start(agent: &Agent, desktop: &Desktop, reader: &str, hidden: bool, bus: Option<&str>) -> Child {
    let mut args = vec!["pencere", "--okuyucu", reader];
    if hidden {
        args.push("--gizli");
    }
    let mut command = agent.command(&args);
    command
        .env_remove("PCSCLITE_CSOCK_NAME")
        .env("DISPLAY", &desktop.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    match bus {
        Some(address) => command.env("DBUS_SESSION_BUS_ADDRESS", address),
        None => command.env_remove("DBUS_SESSION_BUS_ADDRESS"),
    };
    command.spawn().unwrap()
}

/// Where a process's resident memory is: the OpenGL stack (Mesa's drivers and LLVM, for the
/// software renderer), the rest of the shared libraries, and its own (heap and anonymous).
fn rss_by_kind(pid: u32) -> (f64, f64, f64) {
    let smaps = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let (mut gl, mut libs, mut own) = (0.0, 0.0, 0.0);
    let mut path = String::new();
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or("");
        if first.contains('-') && first.chars().next().is_some_and(|c| c.is_ascii_hexdigit()) {
            path = line.split_whitespace().nth(5).unwrap_or("").to_owned();
        } else if first == "Rss:" {
            let kib: f64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
            let gl_lib = ["LLVM", "dri", "mesa", "libGL", "libEGL", "gallium", "glapi"].iter().any(|k| path.contains(k));
            if gl_lib {
                gl += kib;
            } else if path.starts_with('/') {
                libs += kib;
            } else {
                own += kib;
            }
        }
    }
    (gl / 1024.0, libs / 1024.0, own / 1024.0)
}

/// RSS and CPU share while nothing happens for `secs`.
fn idle(pid: u32, secs: u64) -> (f64, f64) {
    let before = cpu_secs(pid);
    std::thread::sleep(Duration::from_secs(secs));
    let used = cpu_secs(pid) - before;
    (rss_mib(pid), 100.0 * used / secs as f64)
}

pub async fn run() {
    println!("== the agent's window (release), Xvfb 1366×768, Mesa software OpenGL");
    let bot = TestBot::start().await;
    let chat = WebChat::open(&bot.url()).await;
    chat.fill_intake(&valid_tckn(901), "Ayşe Yılmaz", "Uzman", &unique_email("pencere"), "05.03.1980").await;
    chat.press("confirm").await;
    let agent = Agent::new();
    pair(&bot, &chat, &agent).await;
    // The holder's own card in the reader: each card step ends at once (usable).
    let issued = holders_certificate(TestCa::kamu_sm(), &valid_tckn(901), None);
    let reader = Reader::acquire();
    let state = std::sync::Arc::new(std::sync::Mutex::new(CardState::new(vcard::ATR_TC, issued.der.clone(), pki::rsa_key().clone())));
    let _card = VirtualCard::insert(&reader, state);
    let desktop = Desktop::start();

    let mut window = start(&agent, &desktop, reader.name(), false, None);
    desktop.wait_for_window("eimza");
    std::thread::sleep(Duration::from_secs(3));
    let (open_rss, open_cpu) = idle(window.id(), 10);
    println!(
        "window open, idle 10 s: RSS {open_rss:.1} MiB (target < 100, ratio {:.2}), CPU {open_cpu:.2} % (target < 0.5 %)",
        open_rss / 100.0
    );
    let (gl, libs, own) = rss_by_kind(window.id());
    println!(
        "  of which the OpenGL stack (Mesa, LLVM for software rendering) {gl:.1} MiB, other libraries {libs:.1} MiB, the program's own {own:.1} MiB"
    );

    // Work arriving: the person asks for the card check again in chat; the window notifies.
    let mut delays = Vec::new();
    for _ in 0..5 {
        let seen = agent.notifications().len();
        let asked = Instant::now();
        chat.say("/kart").await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while agent.notifications().len() == seen {
            assert!(Instant::now() < deadline, "no notification for the card step");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        delays.push(asked.elapsed());
        pushed(&chat, "Bilgisayarınıza bildirim gönderildi").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    delays.sort();
    println!(
        "work arriving → desktop notification (chat /kart → bot → WebSocket → window), 5 times: median {} ms, worst {} ms (target < 1000)",
        delays[2].as_millis(),
        delays[4].as_millis()
    );
    let _ = window.kill();
    let _ = window.wait();

    // The card step from the runs above is done with: the background start has nothing to show.
    // With a tray on the desktop (a private session bus and a stand-in panel): tray-only.
    let host = eimza_tests::desktop::TrayHost::start().await;
    let mut hidden = start(&agent, &desktop, reader.name(), true, Some(&host.address));
    let item = host.item().await;
    std::thread::sleep(Duration::from_secs(4));
    let (tray_rss, tray_cpu) = idle(hidden.id(), 10);
    let (_, state) = host.tool_tip(&item).await;
    println!(
        "in the tray (--gizli: the tray icon, the link and the card wait, no window until work arrives; the tray says {state:?}), \
         idle 10 s: RSS {tray_rss:.1} MiB (target < 30, ratio {:.2}), CPU {tray_cpu:.2} % (target < 0.5 %)",
        tray_rss / 30.0
    );
    // Work arrives: the window opens by itself.
    let seen = agent.notifications().len();
    let asked = Instant::now();
    chat.say("/kart").await;
    while agent.notifications().len() == seen {
        assert!(asked.elapsed() < Duration::from_secs(20), "no notification for the card step in the background");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let notified = asked.elapsed();
    desktop.wait_for_window("eimza");
    println!(
        "in the background, work arriving → notification {} ms, → the window open {} ms",
        notified.as_millis(),
        asked.elapsed().as_millis()
    );
    let _ = hidden.kill();
    let _ = hidden.wait();
    let size = std::fs::metadata(eimza_tests::binary("eimza-agent")).map(|m| m.len()).unwrap_or(0);
    println!("eimza-agent release binary: {:.1} MiB (window, card layer, link and CLI in one)", size as f64 / 1_048_576.0);
}
