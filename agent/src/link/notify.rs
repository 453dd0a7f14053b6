//! The desktop notification when the card step arrives. A small trait: the platform's own tool
//! on a desktop (`notify-send`, `osascript`, a PowerShell toast), a file in tests.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

pub trait Notifier: Send + Sync {
    /// Shows the notification; false when the desktop could not show it.
    fn notify(&self, title: &str, body: &str) -> bool;
}

/// The platform's notification tool.
pub struct Desktop;

impl Notifier for Desktop {
    fn notify(&self, title: &str, body: &str) -> bool {
        let mut command = if cfg!(windows) {
            // A balloon tip from the system tray: available on every Windows without modules.
            let script = format!(
                "Add-Type -AssemblyName System.Windows.Forms; $n = New-Object System.Windows.Forms.NotifyIcon; \
                 $n.Icon = [System.Drawing.SystemIcons]::Information; $n.Visible = $true; \
                 $n.ShowBalloonTip(10000, '{}', '{}', 'Info'); Start-Sleep -Seconds 10; $n.Dispose()",
                title.replace('\'', "''"),
                body.replace('\'', "''")
            );
            let mut c = Command::new("powershell");
            c.args(["-NoProfile", "-WindowStyle", "Hidden", "-Command", &script]);
            c
        } else if cfg!(target_os = "macos") {
            let script = format!("display notification {:?} with title {:?}", body, title);
            let mut c = Command::new("osascript");
            c.args(["-e", &script]);
            c
        } else {
            let mut c = Command::new("notify-send");
            c.args(["--app-name=eimza", "--urgency=critical", title, body]);
            c
        };
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        command.status().map(|s| s.success()).unwrap_or(false)
    }
}

/// Appends `title\tbody` lines to a file (`EIMZA_AGENT_NOTIFY_FILE`): tests and headless PCs.
pub struct ToFile(pub PathBuf);

impl Notifier for ToFile {
    fn notify(&self, title: &str, body: &str) -> bool {
        std::fs::OpenOptions::new().append(true).create(true).open(&self.0).and_then(|mut f| writeln!(f, "{title}\t{body}")).is_ok()
    }
}

/// The notifier for this run.
pub fn from_env() -> Box<dyn Notifier> {
    match std::env::var_os("EIMZA_AGENT_NOTIFY_FILE").filter(|f| !f.is_empty()) {
        Some(file) => Box::new(ToFile(PathBuf::from(file))),
        None => Box::new(Desktop),
    }
}
