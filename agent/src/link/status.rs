//! `eimza-agent durum`: pairing and connection state in words.

use eimza_protocol::{Arg, Catalog, Lang};

use super::home::{Home, LinkState};

fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        // Elsewhere the state file is trusted as written.
        true
    }
}

pub fn run(catalog: &Catalog, lang: Lang, home: &Home) -> i32 {
    let say = |id: &str, args: &[(&str, Arg)]| println!("{}", catalog.text(lang, id, args));
    let date = |at: chrono::DateTime<chrono::Utc>| crate::report::date(catalog, lang, at);
    let Some(pairing) = home.pairing() else {
        say("status-not-paired", &[]);
        return 1;
    };
    say(
        "status-paired",
        &[
            ("server", Arg::from(pairing.server.as_str())),
            ("agent", Arg::from(pairing.agent_id.as_str())),
            ("date", Arg::from(date(pairing.paired_at))),
        ],
    );
    match home.link_status() {
        Some(s) if s.state == LinkState::Revoked => say("status-revoked", &[]),
        Some(s) if s.state == LinkState::Outdated => say("status-outdated", &[]),
        Some(s) if process_alive(s.pid) && s.state == LinkState::Connected => {
            say("status-connected", &[("since", Arg::from(date(s.since)))])
        }
        Some(s) if process_alive(s.pid) => say("status-connecting", &[("since", Arg::from(date(s.since)))]),
        _ => say("status-offline", &[]),
    }
    0
}
