//! The desktop notification with hostile text, for real on Linux: `notify-send` under a private
//! D-Bus session, shown by a notification daemon (dunst) on a virtual X display. The text arrives
//! as text, and nothing in it runs. (The Windows and macOS invocations are unit-tested in
//! `agent/src/link/notify.rs`: the text is only ever in environment variables or arguments.)

use std::process::{Command, Stdio};

/// Run by `hostile_notification_text_is_shown_and_never_run` inside its desktop session.
#[test]
#[ignore = "runs inside the desktop session of hostile_notification_text_is_shown_and_never_run"]
fn show_the_hostile_notification() {
    use eimza_agent::link::notify::{Desktop, Notifier};
    let title = std::env::var("EIMZA_HOSTILE_TITLE").expect("title");
    let body = std::env::var("EIMZA_HOSTILE_BODY").expect("body");
    assert!(Desktop.notify(&title, &body), "notify-send showed it");
}

#[test]
fn hostile_notification_text_is_shown_and_never_run() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("pwned");
    let m = marker.display();
    let title = format!("EIMZA-2026-000001\u{2019}; New-Item {m}; \u{2018}");
    // Starting with a dash: without `--` before it, notify-send would read it as an option.
    let body = format!("--urgency=low '; touch {m}; ' $(touch {m}) `touch {m}` \"; touch {m}; \" \u{1b}[2J");
    let out = dir.path().join("history.txt");
    let display = 100 + rand::random::<u16>() % 30_000;
    let script = format!(
        r#"Xvfb :{display} -nolisten tcp >/dev/null 2>&1 & XPID=$!
export DISPLAY=:{display}
for i in $(seq 50); do [ -e /tmp/.X11-unix/X{display} ] && break; sleep 0.1; done
dunst >/dev/null 2>&1 & DPID=$!
for i in $(seq 50); do dunstctl count displayed >/dev/null 2>&1 && break; sleep 0.1; done
"$SELF" --exact notify::show_the_hostile_notification --ignored --quiet >"$OUT.test" 2>&1
for i in $(seq 100); do [ "$(dunstctl count displayed 2>/dev/null)" -ge 1 ] 2>/dev/null && break; sleep 0.1; done
dunstctl close-all; sleep 0.3
dunstctl history > "$OUT"
kill $DPID $XPID 2>/dev/null; wait 2>/dev/null; true"#
    );
    let status = Command::new("dbus-run-session")
        .args(["--", "bash", "-c", &script])
        .env("SELF", std::env::current_exe().unwrap())
        .env("OUT", &out)
        .env("EIMZA_HOSTILE_TITLE", &title)
        .env("EIMZA_HOSTILE_BODY", &body)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("dbus-run-session (scripts/test installs dbus-daemon, xvfb, dunst and libnotify-bin)");
    assert!(status.success() || out.exists());
    let helper = std::fs::read_to_string(format!("{}.test", out.display())).unwrap_or_default();
    assert!(helper.contains("1 passed"), "the helper ran and notify-send succeeded: {helper}");
    let history = std::fs::read_to_string(&out).unwrap_or_default();
    assert!(history.contains("New-Item"), "the title is shown as text: {history}");
    assert!(history.contains("$(touch") && history.contains("`touch"), "the body is shown as text: {history}");
    assert!(!history.contains('\u{1b}'), "no escape sequence reaches the desktop");
    assert!(!marker.exists(), "nothing in the text ran");
}
