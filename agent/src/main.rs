//! `eimza-agent`: the desktop helper on the applicant's PC. This first version answers `--help`
//! and `--version` in the user's language; pairing, the card layer and e-Onay arrive next.

use clap::{Arg, ArgAction, Command};
use eimza_protocol::{Catalog, Lang};

fn command(catalog: &Catalog, lang: Lang) -> Command {
    Command::new("eimza-agent")
        .version(env!("CARGO_PKG_VERSION"))
        .about(catalog.text(lang, "agent-about", &[]))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .arg(Arg::new("help").short('h').long("help").action(ArgAction::Help).help(catalog.text(lang, "cli-help", &[])))
        .arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help(catalog.text(lang, "cli-version", &[])),
        )
}

fn main() {
    let lang = std::env::var("LANG").ok().as_deref().and_then(Lang::from_tag).unwrap_or_default();
    let catalog = Catalog::embedded();
    command(&catalog, lang).get_matches();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_is_in_turkish_by_default_and_english_on_request() {
        let catalog = Catalog::embedded();
        let tr = command(&catalog, Lang::Tr).render_help().to_string();
        assert!(tr.contains("e-İmza kartınızla"), "{tr}");
        assert!(tr.contains("Sürüm bilgisini gösterir"));
        let en = command(&catalog, Lang::En).render_help().to_string();
        assert!(en.contains("e-signature card"), "{en}");
        command(&catalog, Lang::Tr).debug_assert();
    }
}
