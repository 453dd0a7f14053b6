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
    let server = checked_server(server)?;
    let rest = server
        .strip_prefix("https://")
        .map(|r| format!("wss://{r}"))
        .or_else(|| server.strip_prefix("http://").map(|r| format!("ws://{r}")))?;
    Some(format!("{rest}/api/agent/ws"))
}

/// A server address the agent accepts: https anywhere, plain http only on this machine (the
/// token must never cross a network in clear). Parsed as a URL and compared by its host: no
/// user name or password (`http://localhost:1@evil.example` is evil.example), no query or
/// fragment; a path is kept (a bot behind a proxy prefix).
pub fn checked_server(server: &str) -> Option<String> {
    let parsed = url::Url::parse(server.trim()).ok()?;
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some() || parsed.fragment().is_some() {
        return None;
    }
    let local = match parsed.host()? {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    match parsed.scheme() {
        "https" => {}
        "http" if local => {}
        _ => return None,
    }
    Some(parsed.as_str().trim_end_matches('/').to_owned())
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
        assert_eq!(checked_server("https://a.b/eimza/").as_deref(), Some("https://a.b/eimza"));
        assert_eq!(checked_server("HTTPS://EIMZA.Kurum.gov.tr").as_deref(), Some("https://eimza.kurum.gov.tr"));
    }

    #[test]
    fn a_user_name_does_not_make_a_host_local() {
        for bad in [
            "http://localhost:1@evil.example",
            "http://localhost@evil.example/",
            "http://127.0.0.1:80@evil.example",
            "https://user:pass@eimza.kurum.gov.tr",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "https://eimza.kurum.gov.tr/?next=x",
            "https://eimza.kurum.gov.tr/#x",
            "javascript:alert(1)",
        ] {
            assert_eq!(checked_server(bad), None, "{bad}");
            assert_eq!(ws_url(bad), None, "{bad}");
        }
    }
}
