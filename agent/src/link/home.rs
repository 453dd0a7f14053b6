//! The agent's folder: `EIMZA_AGENT_HOME`, or the user's config folder + `eimza`. The pairing
//! file holds the token and is readable by the user only (0600, folder 0700 on Unix).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
pub struct Pairing {
    pub server: String,
    pub agent_id: String,
    pub token: String,
    pub paired_at: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Debug for Pairing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pairing").field("server", &self.server).field("agent_id", &self.agent_id).finish_non_exhaustive()
    }
}

/// What `calis` last knew about the link, for `durum`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum LinkState {
    Connected,
    Connecting,
    Revoked,
    Outdated,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LinkStatus {
    pub state: LinkState,
    pub since: chrono::DateTime<chrono::Utc>,
    /// The `calis` process that wrote it (a dead one means "not running").
    pub pid: u32,
}

pub struct Home {
    dir: PathBuf,
}

impl Home {
    pub fn locate() -> Home {
        if let Some(dir) = std::env::var_os("EIMZA_AGENT_HOME").filter(|d| !d.is_empty()) {
            return Home { dir: PathBuf::from(dir) };
        }
        let base = if cfg!(windows) {
            std::env::var_os("APPDATA").map(PathBuf::from)
        } else if cfg!(target_os = "macos") {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join("Library/Application Support"))
        } else {
            std::env::var_os("XDG_CONFIG_HOME")
                .filter(|d| !d.is_empty())
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        };
        Home { dir: base.unwrap_or_else(|| PathBuf::from(".")).join("eimza") }
    }

    pub fn at(dir: &Path) -> Home {
        Home { dir: dir.to_owned() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn pairing_path(&self) -> PathBuf {
        self.dir.join("pairing.json")
    }

    fn create_dir(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.dir, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }

    /// Writes `name` atomically (temp file + rename), private to the user.
    fn write_private(&self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        self.create_dir()?;
        let tmp = self.dir.join(format!(".{name}.tmp"));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, self.dir.join(name))
    }

    fn read_json<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Option<T> {
        serde_json::from_slice(&std::fs::read(self.dir.join(name)).ok()?).ok()
    }

    pub fn pairing(&self) -> Option<Pairing> {
        self.read_json("pairing.json")
    }

    pub fn save_pairing(&self, pairing: &Pairing) -> std::io::Result<()> {
        self.write_private("pairing.json", &serde_json::to_vec_pretty(pairing).map_err(std::io::Error::other)?)
    }

    pub fn link_status(&self) -> Option<LinkStatus> {
        self.read_json("link.json")
    }

    pub fn save_link_status(&self, state: LinkState) {
        let status = LinkStatus { state, since: chrono::Utc::now(), pid: std::process::id() };
        if let Ok(bytes) = serde_json::to_vec(&status) {
            let _ = self.write_private("link.json", &bytes);
        }
    }

    pub fn load<T: for<'de> Deserialize<'de> + Default>(&self, name: &str) -> T {
        self.read_json(name).unwrap_or_default()
    }

    pub fn store<T: Serialize>(&self, name: &str, value: &T) -> std::io::Result<()> {
        self.write_private(name, &serde_json::to_vec(value).map_err(std::io::Error::other)?)
    }

    /// One line in `agent.log`. Callers pass ids and states only: never the token, a PIN, a
    /// name or an identity number.
    pub fn log(&self, line: &str) {
        use std::io::Write;
        if self.create_dir().is_err() {
            return;
        }
        let mut options = std::fs::OpenOptions::new();
        options.append(true).create(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        if let Ok(mut file) = options.open(self.dir.join("agent.log")) {
            // One line each, whatever a value in it held (escape sequences, new lines).
            let line = super::notify::printable(line);
            let _ = writeln!(file, "{} {line}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"));
        }
    }
}
