//! The desktop notification when the card step arrives. A small trait: the platform's own tool
//! on a desktop (`notify-send`, `osascript`, a PowerShell balloon), a file in tests.
//!
//! The title and the body are data, never code: they reach the helper program as arguments after
//! `--` (Linux), as the arguments of a fixed AppleScript `run` handler (macOS), or as environment
//! variables a fixed PowerShell script reads (Windows) — a quote in the text (ASCII or
//! typographic, which PowerShell also ends strings at) cannot end a string and start a command.
//! Before that, both are cleaned to one printable line of bounded length.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub trait Notifier: Send + Sync {
    /// Shows the notification; false when the desktop could not show it.
    fn notify(&self, title: &str, body: &str) -> bool;
}

/// Where the notification is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    Windows,
    MacOs,
    Linux,
}

impl Platform {
    pub fn this() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else {
            Platform::Linux
        }
    }
}

/// A helper program run with fixed code; what varies is in `args` and `env` only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub program: &'static str,
    pub args: Vec<String>,
    pub env: Vec<(&'static str, String)>,
}

/// The balloon tip from the system tray: available on every Windows without modules. The text
/// comes from the environment.
const POWERSHELL: &str = "Add-Type -AssemblyName System.Windows.Forms; $n = New-Object System.Windows.Forms.NotifyIcon; \
     $n.Icon = [System.Drawing.SystemIcons]::Information; $n.Visible = $true; \
     $n.ShowBalloonTip(10000, $env:EIMZA_NOTIFY_TITLE, $env:EIMZA_NOTIFY_BODY, 'Info'); Start-Sleep -Seconds 10; $n.Dispose()";

/// At most this many characters of each text reach the desktop.
const MAX_CHARS: usize = 300;

/// One line of printable text: control characters (escape sequences, new lines) and the
/// bidirectional overrides that can make a text read backwards are dropped.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control() && !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}'))
        .take(MAX_CHARS)
        .collect()
}

/// How to show `title` and `body` on `platform`.
pub fn invocation(platform: Platform, title: &str, body: &str) -> Invocation {
    let (title, body) = (printable(title), printable(body));
    match platform {
        Platform::Windows => Invocation {
            program: "powershell",
            args: ["-NoProfile", "-NonInteractive", "-WindowStyle", "Hidden", "-Command", POWERSHELL].map(String::from).to_vec(),
            env: vec![("EIMZA_NOTIFY_TITLE", title), ("EIMZA_NOTIFY_BODY", body)],
        },
        Platform::MacOs => Invocation {
            program: "osascript",
            args: vec![
                "-e".into(),
                "on run argv".into(),
                "-e".into(),
                "display notification (item 2 of argv) with title (item 1 of argv)".into(),
                "-e".into(),
                "end run".into(),
                title,
                body,
            ],
            env: Vec::new(),
        },
        Platform::Linux => Invocation {
            program: "notify-send",
            args: vec!["--app-name=eimza".into(), "--urgency=critical".into(), "--".into(), title, body],
            env: Vec::new(),
        },
    }
}

/// The platform's notification tool.
pub struct Desktop;

impl Notifier for Desktop {
    fn notify(&self, title: &str, body: &str) -> bool {
        let call = invocation(Platform::this(), title, body);
        let mut command = Command::new(call.program);
        command.args(&call.args).envs(call.env.iter().map(|(k, v)| (*k, v.as_str())));
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        command.status().map(|s| s.success()).unwrap_or(false)
    }
}

/// Appends `title\tbody` lines to a file (`EIMZA_AGENT_NOTIFY_FILE`): tests and headless PCs.
pub struct ToFile(pub PathBuf);

impl Notifier for ToFile {
    fn notify(&self, title: &str, body: &str) -> bool {
        let line = format!("{}\t{}", printable(title), printable(body));
        std::fs::OpenOptions::new().append(true).create(true).open(&self.0).and_then(|mut f| writeln!(f, "{line}")).is_ok()
    }
}

/// The notifier for this run.
pub fn from_env() -> Box<dyn Notifier> {
    match std::env::var_os("EIMZA_AGENT_NOTIFY_FILE").filter(|f| !f.is_empty()) {
        Some(file) => Box::new(ToFile(PathBuf::from(file))),
        None => Box::new(Desktop),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts that would end a string or start a command in a script, in every quoting style.
    const HOSTILE: [&str; 6] = [
        "EIMZA-2026-000001'; Start-Process calc; '",
        "EIMZA-2026-000001\u{2019}; Start-Process calc; \u{2018}",
        "\u{201B}$(Invoke-WebRequest evil)\u{201A}",
        "\" & do shell script \"touch /tmp/pwned\" & \"",
        "`whoami` $(id) ; rm -rf ~",
        "--help",
    ];

    #[test]
    fn the_text_is_data_on_every_platform() {
        for hostile in HOSTILE {
            for platform in [Platform::Windows, Platform::MacOs, Platform::Linux] {
                let call = invocation(platform, hostile, hostile);
                let code: Vec<&String> = match platform {
                    // Everything but the two data arguments is fixed code.
                    Platform::MacOs | Platform::Linux => call.args[..call.args.len() - 2].iter().collect(),
                    Platform::Windows => call.args.iter().collect(),
                };
                for part in code {
                    assert!(
                        !part.contains("calc") && !part.contains("whoami") && !part.contains("evil") && !part.contains("pwned"),
                        "{platform:?}: {part}"
                    );
                }
                match platform {
                    Platform::Windows => {
                        assert_eq!(call.args.last().map(String::as_str), Some(POWERSHELL));
                        assert_eq!(call.env, vec![("EIMZA_NOTIFY_TITLE", hostile.to_owned()), ("EIMZA_NOTIFY_BODY", hostile.to_owned())]);
                    }
                    Platform::MacOs => assert_eq!(&call.args[6..], [hostile, hostile]),
                    // After `--`, a text starting with a dash is not an option.
                    Platform::Linux => assert_eq!(&call.args[2..], ["--", hostile, hostile]),
                }
            }
        }
    }

    #[test]
    fn escape_sequences_new_lines_and_reversals_are_dropped() {
        assert_eq!(printable("a\u{1b}[2Jb\nc\u{202E}d\u{7}"), "a[2Jb cd");
        assert_eq!(printable(&"x".repeat(1000)).chars().count(), MAX_CHARS);
        let call = invocation(Platform::Linux, "başlık\r\n", "İçerik\u{1b}]0;title\u{7}");
        assert_eq!(&call.args[3..], ["başlık ", "İçerik]0;title"]);
    }
}
