//! `eimza-agent`: the desktop helper on the applicant's PC. `main` only picks the language,
//! parses the command line and hands over to the command.

use eimza_agent::{card_command, cli};
use eimza_protocol::{Catalog, Lang};

fn main() {
    let lang = std::env::var("LANG").ok().as_deref().and_then(Lang::from_tag).unwrap_or_default();
    let catalog = Catalog::embedded();
    let matches = cli::command(&catalog, lang).get_matches();
    let code = match matches.subcommand() {
        Some(("kart", m)) => card_command::run(&catalog, lang, m),
        _ => {
            let _ = cli::command(&catalog, lang).print_help();
            0
        }
    };
    std::process::exit(code);
}
