//! The command line, in the user's language: `eimza-agent kart` (English alias `card`) with its
//! options. Turkish names first, English ones as visible aliases.

use clap::{Arg, ArgAction, Command};
use eimza_protocol::{Catalog, Lang};

/// The help page's layout with headings in the reader's language (clap's own are English).
fn template(catalog: &Catalog, lang: Lang, subcommands: bool) -> String {
    let t = |id: &str| catalog.text(lang, id, &[]);
    let mut page = format!("{{about-with-newline}}\n{} {{usage}}\n", t("cli-usage"));
    if subcommands {
        page.push_str(&format!("\n{}\n{{subcommands}}\n", t("cli-commands")));
    }
    page.push_str(&format!("\n{}\n{{options}}{{after-help}}", t("cli-options")));
    page
}

/// Every command of the tree with the reader's headings.
fn localized(command: Command, catalog: &Catalog, lang: Lang) -> Command {
    let has_subcommands = command.get_subcommands().next().is_some();
    let command = command
        .help_template(template(catalog, lang, has_subcommands))
        // clap keeps `&'static str`s; one short word per process.
        .subcommand_value_name(&*Box::leak(catalog.text(lang, "cli-command-placeholder", &[]).into_boxed_str()))
        .arg_required_else_help(false);
    command.mut_subcommands(|sub| localized(sub, catalog, lang))
}

/// What went wrong on the command line, in the reader's words (clap's own errors are English):
/// the argument it stumbled on, and where to find help.
pub fn usage_error(catalog: &Catalog, lang: Lang, error: &clap::Error) -> String {
    use clap::error::{ContextKind, ContextValue};
    let argument = match error.get(ContextKind::InvalidArg).or_else(|| error.get(ContextKind::InvalidSubcommand)) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        _ => String::new(),
    };
    let argument: String = argument.chars().filter(|c| !c.is_control()).take(80).collect();
    if argument.is_empty() {
        return catalog.text(lang, "cli-usage-error-plain", &[]);
    }
    catalog.text(lang, "cli-usage-error", &[("argument", eimza_protocol::Arg::from(argument))])
}

pub fn command(catalog: &Catalog, lang: Lang) -> Command {
    localized(root_command(catalog, lang), catalog, lang)
}

fn root_command(catalog: &Catalog, lang: Lang) -> Command {
    let t = |id: &str| catalog.text(lang, id, &[]);
    Command::new("eimza-agent")
        .version(env!("CARGO_PKG_VERSION"))
        .about(t("agent-about"))
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true)
        .arg(help_arg(catalog, lang))
        .arg(Arg::new("version").short('V').long("version").action(ArgAction::Version).help(t("cli-version")))
        .subcommand(card_command(catalog, lang))
        .subcommand(pair_command(catalog, lang))
        .subcommand(run_command(catalog, lang))
        .subcommand(eonay_command(catalog, lang))
        .subcommand(status_command(catalog, lang))
        .subcommand(window_command(catalog, lang))
}

/// A value's placeholder in the help (`--okuyucu <AD>`), in the reader's language. clap keeps
/// `&'static str`s: the few placeholders of one process's help are leaked once.
fn placeholder(catalog: &Catalog, lang: Lang, id: &str) -> &'static str {
    Box::leak(catalog.text(lang, id, &[]).into_boxed_str())
}

/// The reader and PKCS#11 module options `kart`, `calis` and `eonay` share.
fn card_access_args(catalog: &Catalog, lang: Lang) -> [Arg; 2] {
    let t = |id: &str| catalog.text(lang, id, &[]);
    [
        Arg::new("reader")
            .long("okuyucu")
            .visible_alias("reader")
            .value_name(placeholder(catalog, lang, "cli-value-name"))
            .help(t("cli-card-reader")),
        Arg::new("pkcs11")
            .long("pkcs11")
            .value_name(placeholder(catalog, lang, "cli-value-path"))
            .env("EIMZA_PKCS11_MODULE")
            .help(t("cli-card-pkcs11")),
    ]
}

fn card_command(catalog: &Catalog, lang: Lang) -> Command {
    let t = |id: &str| catalog.text(lang, id, &[]);
    Command::new("kart")
        .visible_alias("card")
        .about(t("cli-card-about"))
        .disable_help_flag(true)
        .arg(help_arg(catalog, lang))
        .arg(Arg::new("json").long("json").action(ArgAction::SetTrue).help(t("cli-card-json")))
        .arg(
            Arg::new("sign-test")
                .long("imza-testi")
                .visible_alias("sign-test")
                .action(ArgAction::SetTrue)
                .conflicts_with_all(["json", "watch"])
                .help(t("cli-card-sign-test")),
        )
        .arg(
            Arg::new("watch")
                .long("izle")
                .visible_alias("watch")
                .action(ArgAction::SetTrue)
                .conflicts_with("json")
                .help(t("cli-card-watch")),
        )
        .args(card_access_args(catalog, lang))
        .arg(
            Arg::new("backend")
                .long("erisim")
                .visible_alias("backend")
                .value_name(placeholder(catalog, lang, "cli-value-method"))
                .help(t("cli-card-backend")),
        )
        .arg(Arg::new("tckn").long("tckn").value_name("TCKN").help(t("cli-card-tckn")))
        .arg(
            Arg::new("issuer")
                .long("saglayici")
                .visible_alias("issuer")
                .value_name(placeholder(catalog, lang, "cli-value-name"))
                .action(ArgAction::Append)
                .help(t("cli-card-issuer")),
        )
}

fn pair_command(catalog: &Catalog, lang: Lang) -> Command {
    let t = |id: &str| catalog.text(lang, id, &[]);
    Command::new("eslestir")
        .visible_alias("pair")
        .about(t("cli-pair-about"))
        .disable_help_flag(true)
        .arg(help_arg(catalog, lang))
        .arg(Arg::new("server").long("sunucu").visible_alias("server").value_name("URL").required(true).help(t("cli-pair-server")))
        .arg(
            Arg::new("name")
                .long("ad")
                .visible_alias("name")
                .value_name(placeholder(catalog, lang, "cli-value-name"))
                .help(t("cli-pair-name")),
        )
        .arg(
            Arg::new("code").value_name(placeholder(catalog, lang, "cli-value-code")).required(true).num_args(1..).help(t("cli-pair-code")),
        )
}

fn run_command(catalog: &Catalog, lang: Lang) -> Command {
    let t = |id: &str| catalog.text(lang, id, &[]);
    Command::new("calis")
        .visible_alias("run")
        .about(t("cli-run-about"))
        .disable_help_flag(true)
        .arg(help_arg(catalog, lang))
        .args(card_access_args(catalog, lang))
        .arg(
            Arg::new("card-wait")
                .long("kart-bekleme")
                .visible_alias("card-wait")
                .value_name(placeholder(catalog, lang, "cli-value-seconds"))
                .env("EIMZA_AGENT_CARD_WAIT_SECS")
                .value_parser(clap::value_parser!(u64).range(1..=86_400))
                .default_value("1800")
                .help(t("cli-run-card-wait")),
        )
}

fn eonay_command(catalog: &Catalog, lang: Lang) -> Command {
    let t = |id: &str| catalog.text(lang, id, &[]);
    Command::new("eonay")
        .visible_alias("e-onay")
        .about(t("cli-eonay-about"))
        .disable_help_flag(true)
        .arg(help_arg(catalog, lang))
        .args(card_access_args(catalog, lang))
        .arg(
            Arg::new("kamusm-url")
                .long("kamusm-adresi")
                .visible_alias("kamusm-url")
                .value_name("URL")
                .env("EIMZA_KAMUSM_URL")
                .default_value(crate::eonay::KAMU_SM_URL)
                .help(t("cli-eonay-url")),
        )
        .arg(
            Arg::new("no-browser")
                .long("tarayici-acma")
                .visible_alias("no-browser")
                .action(ArgAction::SetTrue)
                .help(t("cli-eonay-no-browser")),
        )
}

fn window_command(catalog: &Catalog, lang: Lang) -> Command {
    let t = |id: &str| catalog.text(lang, id, &[]);
    let [wait, url] = [run_command(catalog, lang), eonay_command(catalog, lang)]
        .map(|c| c.get_arguments().find(|a| matches!(a.get_id().as_str(), "card-wait" | "kamusm-url")).cloned());
    Command::new("pencere")
        .visible_alias("window")
        .about(t("cli-window-about"))
        .disable_help_flag(true)
        .arg(help_arg(catalog, lang))
        .args(card_access_args(catalog, lang))
        .args(wait)
        .args(url)
        .arg(Arg::new("hidden").long("gizli").visible_alias("hidden").action(ArgAction::SetTrue).help(t("cli-window-hidden")))
}

fn status_command(catalog: &Catalog, lang: Lang) -> Command {
    let t = |id: &str| catalog.text(lang, id, &[]);
    Command::new("durum").visible_alias("status").about(t("cli-status-about")).disable_help_flag(true).arg(help_arg(catalog, lang))
}

fn help_arg(catalog: &Catalog, lang: Lang) -> Arg {
    Arg::new("help").short('h').long("help").action(ArgAction::Help).help(catalog.text(lang, "cli-help", &[]))
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
        assert!(tr.contains("Kullanım:") && tr.contains("Komutlar:") && tr.contains("Seçenekler:"), "{tr}");
        assert!(!tr.contains("Usage:") && !tr.contains("Commands:") && !tr.contains("Options:"), "{tr}");
        let en = command(&catalog, Lang::En).render_help().to_string();
        assert!(en.contains("e-signature card"), "{en}");
        let card = command(&catalog, Lang::Tr).find_subcommand_mut("kart").unwrap().render_help().to_string();
        assert!(card.contains("--imza-testi"), "{card}");
        assert!(card.contains("PIN'inizi sorar"), "{card}");
        assert!(card.contains("Kullanım:") && !card.contains("Usage:"), "{card}");
        let error = command(&catalog, Lang::Tr).try_get_matches_from(["eimza-agent", "kart", "--bilinmeyen"]).unwrap_err();
        let said = usage_error(&catalog, Lang::Tr, &error);
        assert!(said.contains("--bilinmeyen") && said.contains("eimza-agent --help"), "{said}");
        command(&catalog, Lang::Tr).debug_assert();
        command(&catalog, Lang::En).debug_assert();
    }
}
