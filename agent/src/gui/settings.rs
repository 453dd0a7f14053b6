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
        Some(entry) => !entry.lines().any(|l| matches!(l.trim(), "Hidden=true" | "X-GNOME-Autostart-enabled=false")),
        None => Path::new("/etc/xdg/autostart/eimza-agent.desktop").exists(),
    }
}

pub fn set_start_at_login(on: bool) -> std::io::Result<()> {
    let file = autostart_file().ok_or_else(|| std::io::Error::other("no home folder"))?;
    // "On" with the package's entry present: the user's own copy goes, so later packages reach them.
    if on && Path::new("/etc/xdg/autostart/eimza-agent.desktop").exists() {
        return match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let entry = format!(
        "[Desktop Entry]\nType=Application\nName=eimza\nExec=eimza-agent pencere --gizli\nTerminal=false\nNoDisplay=true\n{}",
        if on { "X-GNOME-Autostart-enabled=true\n" } else { "Hidden=true\n" }
    );
    let tmp = file.with_extension("desktop.tmp");
    std::fs::write(&tmp, entry)?;
    std::fs::rename(tmp, file)
}

/// One window per user: the running one holds a lock on `window.lock` for its whole life (the
/// system lets go of it when the process ends, however it ends: no stale process id to trust).
pub struct Instance {
    _lock: std::fs::File,
    show: PathBuf,
}

impl Instance {
    /// `None` when another window runs (it was asked to come forward).
    pub fn claim(dir: &Path) -> Option<Instance> {
        let show = dir.join("window.show");
        let _ = std::fs::create_dir_all(dir);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        }
        let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(dir.join("window.lock")).ok()?;
        match lock.try_lock() {
            Ok(()) => {
                let _ = std::fs::remove_file(&show);
                Some(Instance { _lock: lock, show })
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let _ = std::fs::write(&show, b"1");
                None
            }
            // A file system without locks: one window is better than none.
            Err(std::fs::TryLockError::Error(_)) => Some(Instance { _lock: lock, show }),
        }
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
        assert!(Instance::claim(&dir).is_none(), "the lock is held");
        assert!(first.asked_to_show());
        assert!(!first.asked_to_show(), "once");
        drop(first);
        assert!(Instance::claim(&dir).is_some(), "the lock went with the first window");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
