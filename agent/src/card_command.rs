//! `eimza-agent kart`: the diagnosis (text or JSON), the sign test and card watching.
//! Exit codes: 0 usable card / test passed, 1 no usable card or the test failed.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use clap::ArgMatches;
use eimza_protocol::{Arg, Catalog, Lang, Tckn};

use crate::card::cert::{CertProblem, issuers_or_default};
use crate::card::preflight::{self, BackendChoice, Options};
use crate::card::{CardEvent, Pcsc, PinTries, atr};
use crate::prompt::{self, Attempts, Stop};
use crate::report;

/// A user mistake on the command line, as a message id (and variables).
pub struct UsageError(pub &'static str, pub Vec<(&'static str, Arg)>);

pub fn options(m: &ArgMatches) -> Result<Options, UsageError> {
    let expected_tckn = match m.get_one::<String>("tckn") {
        Some(s) => Some(Tckn::parse(s).map_err(|_| UsageError("cli-bad-tckn", vec![]))?),
        None => None,
    };
    let backend = match m.get_one::<String>("backend").map(|s| eimza_protocol::turkish::to_lower(s.trim())) {
        None => BackendChoice::Auto,
        Some(s) => match s.as_str() {
            "otomatik" | "auto" => BackendChoice::Auto,
            "apdu" => BackendChoice::Apdu,
            "pkcs11" | "pkcs#11" => BackendChoice::Pkcs11,
            _ => return Err(UsageError("cli-bad-backend", vec![("value", Arg::from(s))])),
        },
    };
    let issuers: Vec<String> = m.get_many::<String>("issuer").map(|v| v.cloned().collect()).unwrap_or_default();
    Ok(Options {
        reader: m.get_one::<String>("reader").cloned(),
        backend,
        pkcs11_module: m.get_one::<String>("pkcs11").filter(|s| !s.is_empty()).map(PathBuf::from),
        expected_tckn,
        issuers: issuers_or_default(&issuers),
        now: chrono::Utc::now(),
    })
}

pub fn run(catalog: &Catalog, lang: Lang, m: &ArgMatches) -> i32 {
    let options = match options(m) {
        Ok(o) => o,
        Err(UsageError(id, args)) => {
            eprintln!("{}", catalog.text(lang, id, &args));
            return 2;
        }
    };
    if m.get_flag("watch") {
        return watch(catalog, lang);
    }
    let (diagnosis, card) = preflight::run(&options);
    if m.get_flag("json") {
        match serde_json::to_string_pretty(&diagnosis) {
            Ok(json) => println!("{json}"),
            Err(_) => return 1,
        }
        return if diagnosis.usable { 0 } else { 1 };
    }
    println!("{}", report::diagnosis(catalog, lang, &diagnosis));
    if !m.get_flag("sign-test") {
        return if diagnosis.usable { 0 } else { 1 };
    }
    // The sign test only needs a card that can sign for its owner: a renewal window that is not
    // open yet does not stop it; anything else does, before a PIN is asked.
    let blocking = diagnosis.problems.iter().any(|p| !matches!(p.problem, CertProblem::WindowNotOpen { .. }));
    let card = match card {
        Some(c) if !blocking && diagnosis.pin_tries != Some(PinTries::Locked) => c,
        _ => {
            println!("\n{}", catalog.text(lang, "sign-not-possible", &[]));
            return 1;
        }
    };
    println!();
    sign_test(catalog, lang, card)
}

fn sign_test(catalog: &Catalog, lang: Lang, card: crate::card::Card<crate::card::Unverified>) -> i32 {
    let challenge: [u8; 32] = rand::random();
    match prompt::sign_with_pin(catalog, lang, card, &challenge, Attempts::One) {
        Ok(_) => {
            println!("{}", catalog.text(lang, "sign-ok", &[]));
            0
        }
        // What stopped it was said already.
        Err(Stop::Declined | Stop::FormatGiveUp | Stop::Card(_)) => 1,
    }
}

fn watch(catalog: &Catalog, lang: Lang) -> i32 {
    let say = |id: &str, args: &[(&str, Arg)]| {
        println!("{}", catalog.text(lang, id, args));
        let _ = std::io::stdout().flush();
    };
    say("watch-started", &[]);
    loop {
        let watcher = Pcsc::establish().and_then(|p| p.watcher());
        let mut watcher = match watcher {
            Ok(w) => w,
            Err(e) => {
                println!("{}", report::card_error(catalog, lang, &e));
                std::thread::sleep(Duration::from_secs(5));
                continue;
            }
        };
        loop {
            let events = match watcher.next(Duration::from_secs(3600)) {
                Ok(events) => events,
                Err(e) => {
                    println!("{}", report::card_error(catalog, lang, &e));
                    break;
                }
            };
            let mut stopped = false;
            for event in events {
                match event {
                    CardEvent::ReaderAdded { reader } => say("watch-reader-added", &[("name", Arg::from(reader))]),
                    CardEvent::ReaderRemoved { reader } => say("watch-reader-removed", &[("name", Arg::from(reader))]),
                    CardEvent::CardInserted { reader, atr: bytes } => {
                        let family = match atr::recognise(&bytes) {
                            Some(f) => catalog.text(lang, f.message_id(), &[]),
                            None => catalog.text(lang, "diag-not-akis", &[]),
                        };
                        say("watch-card-inserted", &[("name", Arg::from(reader)), ("family", Arg::from(family))]);
                    }
                    CardEvent::CardRemoved { reader } => say("watch-card-removed", &[("name", Arg::from(reader))]),
                    CardEvent::ServiceStopped => {
                        say("watch-service-stopped", &[]);
                        stopped = true;
                    }
                }
            }
            if stopped {
                std::thread::sleep(Duration::from_secs(2));
                break;
            }
        }
    }
}
