//! What the window keeps outside the pairing: the server address the institution ships
//! (`/etc/eimza/agent.conf`, `server = https://…`; `EIMZA_AGENT_CONFIG` names another file),
//! starting at login (the user's own autostart entry over the package's), and one window per
//! user (a second start asks the first to come forward, then ends).

use std::path::{Path, PathBuf};

/// The institution's server address from its config file, when it names a usable one.
pub fn shipped_server() -> Option<String> {
    let path = std::env::var_os("EIMZA_AGENT_CONFIG").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("/etc/eimza/agent.conf"));
    server_in(&std::fs::read_to_string(path).ok()?)
}

/// `server = URL` in a `key = value` file (`#` starts a comment); checked like a typed one.
fn server_in(text: &str) -> Option<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "server").then(|| value.trim().trim_matches('"').to_owned())
        })
        .and_then(|server| crate::link::checked_server(&server))
}

fn autostart_file() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("autostart").join("eimza-agent.desktop"))
}

/// The user's own entry wins over the package's `/etc/xdg/autostart` one (same file name).
pub fn starts_at_login() -> bool {
    match autostart_file().and_then(|f| std::fs::read_to_string(f).ok()) {
        Some(entry) => !entry.lines().any(|l| l.trim() == "Hidden=true"),
        None => Path::new("/etc/xdg/autostart/eimza-agent.desktop").exists(),
    }
}

pub fn set_start_at_login(on: bool) -> std::io::Result<()> {
    let file = autostart_file().ok_or_else(|| std::io::Error::other("no home folder"))?;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let entry = format!(
        "[Desktop Entry]\nType=Application\nName=eimza\nExec=eimza-agent pencere --gizli\nTerminal=false\nNoDisplay=true\n{}",
        if on { "X-GNOME-Autostart-enabled=true\n" } else { "Hidden=true\n" }
    );
    std::fs::write(file, entry)
}

/// One window per user: the lock file holds the running window's process id.
pub struct Instance {
    lock: PathBuf,
    show: PathBuf,
}

impl Instance {
    /// `None` when another window runs (it was asked to come forward).
    pub fn claim(dir: &Path) -> Option<Instance> {
        let (lock, show) = (dir.join("window.pid"), dir.join("window.show"));
        let _ = std::fs::create_dir_all(dir);
        if let Some(pid) = std::fs::read_to_string(&lock).ok().and_then(|p| p.trim().parse::<u32>().ok())
            && pid != std::process::id()
            && alive(pid)
        {
            let _ = std::fs::write(&show, b"1");
            return None;
        }
        let _ = std::fs::write(&lock, std::process::id().to_string());
        Some(Instance { lock, show })
    }

    /// The file another start writes to ask this window to come forward.
    pub fn show_request(&self) -> PathBuf {
        self.show.clone()
    }

    /// True once after another start asked this window to come forward.
    pub fn asked_to_show(&self) -> bool {
        std::fs::remove_file(&self.show).is_ok()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lock);
    }
}

fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") { Path::new(&format!("/proc/{pid}")).exists() } else { false }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_server_is_read_and_checked() {
        assert_eq!(server_in("# kurum\nserver = https://eimza.kurum.gov.tr/ # bizim\n").as_deref(), Some("https://eimza.kurum.gov.tr"));
        assert_eq!(server_in("server = \"https://a.b\"").as_deref(), Some("https://a.b"));
        assert_eq!(server_in("server = http://eimza.kurum.gov.tr"), None, "no token over plain http");
        assert_eq!(server_in("sunucu = https://a.b"), None);
    }

    #[test]
    fn a_second_window_asks_the_first_to_come_forward() {
        let dir = std::env::temp_dir().join(format!("eimza-instance-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = Instance::claim(&dir).expect("the first window");
        assert!(!first.asked_to_show());
        // Another process (pid 1 is always alive) holding the lock: this start steps back.
        std::fs::write(dir.join("window.pid"), "1").unwrap();
        assert!(Instance::claim(&dir).is_none());
        assert!(first.asked_to_show());
        assert!(!first.asked_to_show(), "once");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
