//! `eimza-agent eslestir --sunucu URL KOD`: RFC 8628's device flow turned around — the person
//! got the code in chat, the PC presents it with its name and OS, the person approves in chat,
//! the PC polls and receives its token once, and keeps it in a file only the user can read.

use std::time::Duration;

use eimza_protocol::pairing::PairingCode;
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

/// Runs the pairing; returns the exit code (0 paired, 1 refused or failed, 2 bad input).
pub async fn run(catalog: &Catalog, lang: Lang, home: &Home, server: &str, code: &str, name: Option<&str>) -> i32 {
    let say = |id: &str, args: &[(&str, Arg)]| println!("{}", catalog.text(lang, id, args));
    let code = match PairingCode::parse(code) {
        Ok(c) => c,
        Err(e) => {
            let (id, args) = e.message();
            say(id, &args);
            return 2;
        }
    };
    let Some(server) = super::checked_server(server) else {
        say("pair-bad-server", &[("server", Arg::from(server))]);
        return 2;
    };
    let name = name.map(str::to_owned).filter(|n| !n.trim().is_empty()).unwrap_or_else(pc_name);
    let client = match http_client::Client::builder().timeout(Duration::from_secs(30)).build() {
        Ok(c) => c,
        Err(_) => {
            say("pair-server-error", &[]);
            return 1;
        }
    };
    let accept_language = lang.code();
    let response = client
        .post(format!("{server}/api/agent/pairings"))
        .header("Accept-Language", accept_language)
        .json(&serde_json::json!({
            "code": code.as_str(),
            "pc_name": name,
            "os": os_name(),
            "agent_version": env!("CARGO_PKG_VERSION"),
        }))
        .send()
        .await;
    let response = match response {
        Ok(r) => r,
        Err(_) => {
            say("pair-unreachable", &[("server", Arg::from(server.as_str()))]);
            return 1;
        }
    };
    let status = response.status();
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    if status != http_client::StatusCode::ACCEPTED {
        let code = response.json::<ErrorBody>().await.map(|b| b.error.code).unwrap_or_default();
        println!("{}", refusal(catalog, lang, &code, retry_after));
        home.log(&format!("pairing refused: {code}"));
        return 1;
    }
    let Ok(accepted) = response.json::<Accepted>().await else {
        say("pair-server-error", &[]);
        return 1;
    };
    say("pair-waiting", &[("name", Arg::from(name.as_str()))]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(accepted.expires_in.min(3600));
    let interval = Duration::from_secs(accepted.interval.clamp(1, 30));
    loop {
        if tokio::time::Instant::now() >= deadline {
            say("pair-timeout", &[]);
            return 1;
        }
        tokio::time::sleep(interval).await;
        let polled = client
            .get(format!("{server}/api/agent/pairings/{}", accepted.request_id))
            .header("Accept-Language", accept_language)
            .bearer_auth(&accepted.poll_secret)
            .send()
            .await;
        let Ok(polled) = polled else { continue }; // a network blip: poll again
        if !polled.status().is_success() {
            let code = polled.json::<ErrorBody>().await.map(|b| b.error.code).unwrap_or_default();
            println!("{}", refusal(catalog, lang, &code, None));
            home.log(&format!("pairing ended: {code}"));
            return 1;
        }
        let Ok(body) = polled.json::<Polled>().await else { continue };
        if body.status != "approved" {
            continue;
        }
        let pairing = Pairing { server: server.clone(), agent_id: body.agent_id, token: body.token, paired_at: chrono::Utc::now() };
        if home.save_pairing(&pairing).is_err() {
            say("pair-save-failed", &[("path", Arg::from(home.pairing_path().display().to_string()))]);
            return 1;
        }
        home.log(&format!("paired as {}", pairing.agent_id));
        say("pair-done", &[]);
        return 0;
    }
}
