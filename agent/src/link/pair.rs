//! `eimza-agent eslestir --sunucu URL KOD`: RFC 8628's device flow turned around — the person
//! got the code in chat, the PC presents it with its name and OS, the person approves in chat,
//! the PC polls and receives its token once, and keeps it in a file only the user can read.

use std::time::Duration;

use eimza_protocol::pairing::{PairingCode, PairingCodeError};
use eimza_protocol::wire::Id;
use eimza_protocol::{Arg, Catalog, Lang};
use serde::Deserialize;

use super::home::{Home, Pairing};

/// This PC's name as people know it.
pub fn pc_name() -> String {
    let from_env = std::env::var("COMPUTERNAME").ok().or_else(|| std::env::var("HOSTNAME").ok());
    let from_file = || std::fs::read_to_string("/etc/hostname").ok();
    from_env.or_else(from_file).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).unwrap_or_else(|| "PC".to_owned())
}

/// "Debian GNU/Linux 12 (bookworm)", "Windows", "macOS".
pub fn os_name() -> String {
    if cfg!(windows) {
        return "Windows".to_owned();
    }
    if cfg!(target_os = "macos") {
        return "macOS".to_owned();
    }
    // "Debian GNU/Linux 12" reads better in a sentence than PRETTY_NAME's "… 12 (bookworm)".
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(|v| v.trim_matches('"').to_owned());
            match (field("NAME="), field("VERSION_ID=")) {
                (Some(name), Some(version)) => Some(format!("{name} {version}")),
                (name, _) => name.or_else(|| field("PRETTY_NAME=")),
            }
        })
        .unwrap_or_else(|| std::env::consts::OS.to_owned())
}

#[derive(Deserialize)]
struct Accepted {
    request_id: String,
    poll_secret: String,
    #[serde(default = "two")]
    interval: u64,
    #[serde(default = "ten_minutes")]
    expires_in: u64,
}

fn two() -> u64 {
    2
}
fn ten_minutes() -> u64 {
    600
}

#[derive(Deserialize)]
struct Polled {
    status: String,
    #[serde(default)]
    agent_id: String,
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    code: String,
}

/// The bot's refusal in our words (the code decides; the bot's own text is not needed).
fn refusal(catalog: &Catalog, lang: Lang, code: &str, retry_after: Option<u64>) -> String {
    let t = |id: &str| catalog.text(lang, id, &[]);
    match code {
        "pair-code-unknown" => t("pair-err-unknown"),
        "pair-code-expired" | "pair-expired" => t("pair-err-expired"),
        "pair-code-used" | "pair-fetched" => t("pair-err-used"),
        "pair-rejected" => t("pair-err-rejected"),
        "pair-too-many" => {
            let minutes = retry_after.unwrap_or(600).div_ceil(60).max(1);
            format!("{} {}", t("pair-err-too-many"), catalog.text(lang, "pair-wait-minutes", &[("minutes", Arg::from(minutes as i64))]))
        }
        _ => t("pair-server-error"),
    }
}

/// Why pairing stopped short; each says in words what to do (and the CLI's exit code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PairError {
    BadCode(PairingCodeError),
    BadServer(String),
    Unreachable(String),
    /// The bot refused (its error code), with how long to wait when it says so.
    Refused {
        code: String,
        retry_after: Option<u64>,
    },
    Timeout,
    /// The bot answered something we do not understand.
    ServerError,
    SaveFailed(String),
}

impl PairError {
    /// 2 for what was typed wrong, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            PairError::BadCode(_) | PairError::BadServer(_) => 2,
            _ => 1,
        }
    }

    pub fn text(&self, catalog: &Catalog, lang: Lang) -> String {
        match self {
            PairError::BadCode(e) => {
                let (id, args) = e.message();
                catalog.text(lang, id, &args)
            }
            PairError::BadServer(server) => catalog.text(lang, "pair-bad-server", &[("server", Arg::from(server.as_str()))]),
            PairError::Unreachable(server) => catalog.text(lang, "pair-unreachable", &[("server", Arg::from(server.as_str()))]),
            PairError::Refused { code, retry_after } => refusal(catalog, lang, code, *retry_after),
            PairError::Timeout => catalog.text(lang, "pair-timeout", &[]),
            PairError::ServerError => catalog.text(lang, "pair-server-error", &[]),
            PairError::SaveFailed(path) => catalog.text(lang, "pair-save-failed", &[("path", Arg::from(path.as_str()))]),
        }
    }
}

/// A code the bot accepted: the person is being asked in chat; [`Presented::wait`] polls.
pub struct Presented {
    client: http_client::Client,
    server: String,
    lang: Lang,
    accepted: Accepted,
    /// The PC's name as the person reads it in chat.
    pub name: String,
}

/// Presents the code with this PC's name and OS. The code is forgiving (lower case, spaces, a
/// missing dash); the server must be https, or plain http on this machine.
pub async fn present(server: &str, code: &str, name: Option<&str>, lang: Lang) -> Result<Presented, PairError> {
    let code = PairingCode::parse(code).map_err(PairError::BadCode)?;
    let server = super::checked_server(server).ok_or_else(|| PairError::BadServer(server.to_owned()))?;
    let name = name.map(str::to_owned).filter(|n| !n.trim().is_empty()).unwrap_or_else(pc_name);
    let client = http_client::Client::builder().timeout(Duration::from_secs(30)).build().map_err(|_| PairError::ServerError)?;
    let body = serde_json::json!({ "code": code.as_str(), "pc_name": name, "os": os_name(), "agent_version": env!("CARGO_PKG_VERSION") });
    let response = client
        .post(format!("{server}/api/agent/pairings"))
        .header("Accept-Language", lang.code())
        .json(&body)
        .send()
        .await
        .map_err(|_| PairError::Unreachable(server.clone()))?;
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    if response.status() != http_client::StatusCode::ACCEPTED {
        let code = response.json::<ErrorBody>().await.map(|b| b.error.code).unwrap_or_default();
        return Err(PairError::Refused { code: checked_code(code), retry_after });
    }
    let accepted = response.json::<Accepted>().await.map_err(|_| PairError::ServerError)?;
    Ok(Presented { client, server, lang, accepted, name })
}

impl Presented {
    /// Polls until the person answers in chat (or the request expires); on approval keeps the
    /// token in a file only the user can read.
    pub async fn wait(&self, home: &Home) -> Result<Pairing, PairError> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(self.accepted.expires_in.min(3600));
        let interval = Duration::from_secs(self.accepted.interval.clamp(1, 30));
        loop {
            if tokio::time::Instant::now() >= deadline {
                return Err(PairError::Timeout);
            }
            tokio::time::sleep(interval).await;
            let polled = self
                .client
                .get(format!("{}/api/agent/pairings/{}", self.server, self.accepted.request_id))
                .header("Accept-Language", self.lang.code())
                .bearer_auth(&self.accepted.poll_secret)
                .send()
                .await;
            let Ok(polled) = polled else { continue }; // a network blip: poll again
            if !polled.status().is_success() {
                let code = polled.json::<ErrorBody>().await.map(|b| b.error.code).unwrap_or_default();
                return Err(PairError::Refused { code: checked_code(code), retry_after: None });
            }
            let Ok(body) = polled.json::<Polled>().await else { continue };
            if body.status != "approved" {
                continue;
            }
            // What the bot hands over is checked by its shape before it is kept.
            let (Some(agent_id), Some(token)) = (Id::new(&body.agent_id), Id::new(&body.token)) else {
                return Err(PairError::ServerError);
            };
            let pairing = Pairing {
                server: self.server.clone(),
                agent_id: agent_id.to_string(),
                token: token.to_string(),
                paired_at: chrono::Utc::now(),
            };
            home.save_pairing(&pairing).map_err(|_| PairError::SaveFailed(home.pairing_path().display().to_string()))?;
            return Ok(pairing);
        }
    }
}

/// The bot's error code as we keep it (it reaches the log): an id's shape, or nothing.
fn checked_code(code: String) -> String {
    Id::new(&code).map(|c| c.to_string()).unwrap_or_default()
}

/// `eimza-agent eslestir`: runs the pairing and says how it went; returns the exit code (0
/// paired, 1 refused or failed, 2 bad input).
pub async fn run(catalog: &Catalog, lang: Lang, home: &Home, server: &str, code: &str, name: Option<&str>) -> i32 {
    let outcome = async {
        let presented = present(server, code, name, lang).await?;
        println!("{}", catalog.text(lang, "pair-waiting", &[("name", Arg::from(presented.name.as_str()))]));
        presented.wait(home).await
    };
    match outcome.await {
        Ok(pairing) => {
            home.log(&format!("paired as {}", pairing.agent_id));
            println!("{}", catalog.text(lang, "pair-done", &[]));
            0
        }
        Err(e) => {
            if let PairError::Refused { code, .. } = &e {
                home.log(&format!("pairing ended: {code}"));
            }
            println!("{}", e.text(catalog, lang));
            e.exit_code()
        }
    }
}
