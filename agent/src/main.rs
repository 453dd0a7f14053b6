//! `eimza-agent`: the desktop helper on the applicant's PC. `main` only picks the language,
//! parses the command line and hands over to the command.

use eimza_agent::card::cert::issuers_or_default;
use eimza_agent::card::preflight::{BackendChoice, Options};
use eimza_agent::link::home::Home;
use eimza_agent::link::{notify, pair, run, status};
use eimza_agent::{card_command, cli, eonay};
use eimza_protocol::{Catalog, Lang};

fn main() {
    let lang = std::env::var("LANG").ok().as_deref().and_then(Lang::from_tag).unwrap_or_default();
    let catalog = Catalog::shared();
    let matches = match cli::command(catalog, lang).try_get_matches() {
        Ok(matches) => matches,
        Err(e) if matches!(e.kind(), clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion) => e.exit(),
        Err(e) => {
            eprintln!("{}", cli::usage_error(catalog, lang, &e));
            std::process::exit(2);
        }
    };
    let code = match matches.subcommand() {
        Some(("kart", m)) => card_command::run(catalog, lang, m),
        Some(("eslestir", m)) => {
            let server = m.get_one::<String>("server").cloned().unwrap_or_default();
            // The code may come in pieces ("KQFM DXZT"): the parser ignores the spaces.
            let code = m.get_many::<String>("code").map(|v| v.cloned().collect::<Vec<_>>().join(" ")).unwrap_or_default();
            let name = m.get_one::<String>("name").cloned();
            block_on(pair::run(catalog, lang, &Home::locate(), &server, &code, name.as_deref()))
        }
        Some(("calis", m)) => {
            let runner = run::Runner {
                catalog,
                lang,
                home: Home::locate(),
                notifier: notify::from_env(),
                card: card_options(m),
                card_wait: std::time::Duration::from_secs(m.get_one::<u64>("card-wait").copied().unwrap_or(1800)),
                events: None,
                stop: None,
            };
            block_on(runner.run())
        }
        Some(("eonay", m)) => {
            let options = eonay::EonayOptions {
                card: card_options(m),
                kamu_sm_url: m.get_one::<String>("kamusm-url").cloned().unwrap_or_else(|| eonay::KAMU_SM_URL.to_owned()),
                open_browser: !m.get_flag("no-browser"),
            };
            eonay::run(catalog, lang, &Home::locate(), &options)
        }
        Some(("durum", _)) => status::run(catalog, lang, &Home::locate()),
        Some(("pencere", m)) => {
            let options = eimza_agent::gui::WindowOptions {
                card: card_options(m),
                card_wait: std::time::Duration::from_secs(m.get_one::<u64>("card-wait").copied().unwrap_or(1800)),
                kamu_sm_url: m.get_one::<String>("kamusm-url").cloned().unwrap_or_else(|| eonay::KAMU_SM_URL.to_owned()),
                hidden: m.get_flag("hidden"),
            };
            eimza_agent::gui::run(catalog, lang, Home::locate(), options)
        }
        _ => {
            let _ = cli::command(catalog, lang).print_help();
            0
        }
    };
    std::process::exit(code);
}

/// The card options of `calis` and `eonay`: the reader and module chosen, Kamu SM's issuers.
fn card_options(m: &clap::ArgMatches) -> Options {
    Options {
        reader: m.get_one::<String>("reader").cloned(),
        backend: BackendChoice::Auto,
        pkcs11_module: m.get_one::<String>("pkcs11").filter(|s| !s.is_empty()).map(Into::into),
        expected_tckn: None,
        issuers: issuers_or_default(&[]),
        now: chrono::Utc::now(),
    }
}

/// One thread is plenty for one WebSocket; the card work runs on the blocking pool. A card wait
/// still blocked in PC/SC when the command ends does not hold the exit up.
fn block_on(command: impl std::future::Future<Output = i32>) -> i32 {
    match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => {
            let code = rt.block_on(command);
            rt.shutdown_timeout(std::time::Duration::from_secs(2));
            code
        }
        Err(e) => {
            eprintln!("{e}");
            1
        }
    }
}
