//! The agent's side of pairing and the live link to the bot.
//!
//! - `home`: where the agent keeps its pairing (token, mode 0600), its link state, its inbox of
//!   work and outbox of reports, and its log — all in the user's config folder.
//! - `pair`: `eimza-agent eslestir` — present the code, wait for the person's approval in chat,
//!   keep the token.
//! - `run`: `eimza-agent calis` — one outbound WebSocket, heartbeats, reconnect with backoff and
//!   jitter, work stored before it is acknowledged, reports kept until the bot acknowledges them.
//! - `card_step`: the card step as a wait for a usable card, reporting each change.
//! - `renewal`: remembers whose certificate is renewed and watches for the new card.
//! - `api`: the bot's HTTP API for a paired PC (card step, nonce, attestation).
//! - `notify`: the desktop notification, behind a small trait.
//! - `status`: `eimza-agent durum`.

pub mod api;
pub mod card_step;
pub mod home;
pub mod notify;
pub mod pair;
pub mod renewal;
pub mod run;
pub mod status;

/// `https://host` → `wss://host/api/agent/ws`; `http://` only for this machine.
pub fn ws_url(server: &str) -> Option<String> {
    let server = server.trim().trim_end_matches('/');
    if let Some(rest) = server.strip_prefix("https://") {
        return Some(format!("wss://{rest}/api/agent/ws"));
    }
    let rest = server.strip_prefix("http://")?;
    is_local(rest).then(|| format!("ws://{rest}/api/agent/ws"))
}

/// A server address the agent accepts: https anywhere, plain http only on this machine (the
/// token must never cross a network in clear).
pub fn checked_server(server: &str) -> Option<String> {
    let server = server.trim().trim_end_matches('/');
    ws_url(server).map(|_| server.to_owned())
}

fn is_local(host_and_path: &str) -> bool {
    let host = host_and_path.split('/').next().unwrap_or("");
    let host =
        if host.starts_with('[') { host.split(']').next().map(|h| &h[1..]).unwrap_or("") } else { host.split(':').next().unwrap_or("") };
    matches!(host, "localhost" | "127.0.0.1" | "::1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tls_or_loopback() {
        assert_eq!(ws_url("https://eimza.kurum.gov.tr/").as_deref(), Some("wss://eimza.kurum.gov.tr/api/agent/ws"));
        assert_eq!(ws_url("http://127.0.0.1:8080").as_deref(), Some("ws://127.0.0.1:8080/api/agent/ws"));
        assert_eq!(ws_url("http://localhost:8080").as_deref(), Some("ws://localhost:8080/api/agent/ws"));
        assert_eq!(ws_url("http://[::1]:8080").as_deref(), Some("ws://[::1]:8080/api/agent/ws"));
        assert_eq!(ws_url("http://eimza.kurum.gov.tr"), None);
        assert_eq!(ws_url("ftp://x"), None);
        assert_eq!(ws_url(""), None);
        assert_eq!(checked_server(" https://a.b/ ").as_deref(), Some("https://a.b"));
    }
}
