//! `eimza-bot`: runs the bot until Ctrl-C or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser};
use eimza_bot::i18n::Texts;
use eimza_bot::{Application, Config};
use eimza_protocol::Lang;
use tracing_subscriber::EnvFilter;

// A turn's many small values are allocated on a tokio thread and freed on SQLite's connection
// thread; mimalloc frees those without the lock contention of glibc's arenas (about 5 % of the
// throughput in `scripts/bench chat`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, disable_help_flag = true, disable_version_flag = true)]
struct Args {
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// `human` (default) or `json` (one object per line, for log collectors).
    #[arg(long, global = true, env = "EIMZA_LOG_FORMAT", default_value = "human", value_parser = ["human", "json"])]
    log_format: String,
    #[arg(short = 'h', long, action = clap::ArgAction::Help, global = true)]
    help: Option<bool>,
    #[arg(short = 'V', long, action = clap::ArgAction::Version)]
    version: Option<bool>,
    #[command(subcommand)]
    command: Option<Tool>,
}

#[derive(clap::Subcommand)]
enum Tool {
    /// Roster of certificate holders.
    Roster {
        #[command(subcommand)]
        action: RosterAction,
    },
    /// The data key.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Staff accounts of the desk.
    Staff {
        #[command(subcommand)]
        action: StaffAction,
    },
    /// A consistent copy of the SQLite database, while the bot runs.
    Backup { file: PathBuf },
    /// A backup into an empty data folder (with the same data key).
    Restore { file: PathBuf },
    /// The configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(clap::Subcommand)]
enum ConfigAction {
    Check,
}

#[derive(clap::Subcommand)]
enum StaffAction {
    Add {
        name: String,
        #[arg(long, default_value = "officer")]
        role: String,
    },
    Passwd {
        name: String,
    },
    List,
}

#[derive(clap::Subcommand)]
enum KeyAction {
    Rotate,
}

#[derive(clap::Subcommand)]
enum RosterAction {
    Import { file: PathBuf },
}

/// The command line, with its help texts in the user's language (from `LANG`).
fn parse_args() -> Args {
    let lang = std::env::var("LANG").ok().as_deref().and_then(Lang::from_tag).unwrap_or_default();
    let texts = Texts::embedded();
    let command = Args::command()
        .about(texts.get(lang, "cli-bot-about"))
        .mut_arg("config", |a| a.help(texts.get(lang, "cli-bot-config")))
        .mut_arg("log_format", |a| a.help(texts.get(lang, "cli-log-format")))
        .mut_subcommand("backup", |c| {
            c.about(texts.get(lang, "cli-backup-about")).mut_arg("file", |a| a.help(texts.get(lang, "cli-backup-file")))
        })
        .mut_subcommand("restore", |c| {
            c.about(texts.get(lang, "cli-restore-about")).mut_arg("file", |a| a.help(texts.get(lang, "cli-backup-file")))
        })
        .mut_subcommand("config", |c| {
            c.about(texts.get(lang, "cli-config-about")).mut_subcommand("check", |k| k.about(texts.get(lang, "cli-config-check-about")))
        })
        .mut_arg("help", |a| a.help(texts.get(lang, "cli-help")))
        .mut_arg("version", |a| a.help(texts.get(lang, "cli-version")))
        .mut_subcommand("key", |c| {
            c.about(texts.get(lang, "cli-key-about")).mut_subcommand("rotate", |r| r.about(texts.get(lang, "cli-key-rotate-about")))
        })
        .mut_subcommand("staff", |c| {
            c.about(texts.get(lang, "cli-staff-about"))
                .mut_subcommand("add", |a| {
                    a.about(texts.get(lang, "cli-staff-add-about"))
                        .mut_arg("name", |n| n.help(texts.get(lang, "cli-staff-name")))
                        .mut_arg("role", |r| r.help(texts.get(lang, "cli-staff-role")))
                })
                .mut_subcommand("passwd", |p| {
                    p.about(texts.get(lang, "cli-staff-passwd-about")).mut_arg("name", |n| n.help(texts.get(lang, "cli-staff-name")))
                })
                .mut_subcommand("list", |l| l.about(texts.get(lang, "cli-staff-list-about")))
        })
        .mut_subcommand("roster", |c| {
            c.about(texts.get(lang, "cli-roster-about")).mut_subcommand("import", |i| {
                i.about(texts.get(lang, "cli-roster-about")).mut_arg("file", |a| a.help(texts.get(lang, "cli-roster-file")))
            })
        });
    let matches = command.get_matches();
    Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Everything this process writes (database, its journal, the key, e-mail files) holds
    // personal data or secrets: readable by its own user only.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let args = parse_args();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    if args.log_format == "json" {
        tracing_subscriber::fmt().json().with_current_span(false).with_env_filter(filter).init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    if let Some(Tool::Config { action: ConfigAction::Check }) = &args.command {
        check_config(args.config.as_deref());
    }
    let config = Config::load(args.config.as_deref()).context("reading the configuration")?;
    match args.command {
        None => {
            let app = Application::build(config).await?;
            app.run_until_stopped(shutdown_signal()).await
        }
        Some(Tool::Roster { action: RosterAction::Import { file } }) => import_roster(&config, &file).await,
        Some(Tool::Key { action: KeyAction::Rotate }) => rotate_key(&config).await,
        Some(Tool::Staff { action }) => staff(&config, action).await,
        Some(Tool::Backup { file }) => backup(&config, &file).await,
        Some(Tool::Restore { file }) => restore(&config, &file).await,
        Some(Tool::Config { .. }) => Ok(()),
    }
}

fn cli_lang() -> Lang {
    std::env::var("LANG").ok().as_deref().and_then(Lang::from_tag).unwrap_or_default()
}

/// A refusal of `backup`/`restore` in words, exit 2; anything else as an error.
fn backup_refusal(texts: &Texts, lang: Lang, error: anyhow::Error) -> anyhow::Result<()> {
    match error.downcast_ref::<eimza_bot::startup::BackupProblem>() {
        Some(problem) => {
            eprintln!("{}", texts.get(lang, problem.message_id()));
            std::process::exit(2);
        }
        None => Err(error),
    }
}

/// `eimza-bot backup FILE`.
async fn backup(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let (lang, texts) = (cli_lang(), Texts::load(&config.locales_dir));
    match eimza_bot::startup::backup(config, file).await {
        Ok(bytes) => {
            let size = format!("{:.1}", bytes as f64 / 1_048_576.0);
            println!("{}", texts.with(lang, "backup-done", &[("file", file.display().to_string().into()), ("size", size.into())]));
            Ok(())
        }
        Err(e) => backup_refusal(&texts, lang, e),
    }
}

/// `eimza-bot restore FILE`.
async fn restore(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let (lang, texts) = (cli_lang(), Texts::load(&config.locales_dir));
    match eimza_bot::startup::restore(config, file).await {
        Ok(done) => {
            println!("{}", texts.with(lang, "restore-done", &[("tickets", done.tickets.into()), ("pending", done.pending.into())]));
            Ok(())
        }
        Err(e) => backup_refusal(&texts, lang, e),
    }
}

/// `eimza-bot config check`: the effective settings (secrets hidden) on standard output, the
/// problems in words on standard error; exit 1 when there is one.
fn check_config(file: Option<&std::path::Path>) -> ! {
    let lang = cli_lang();
    let texts = Texts::embedded();
    let check = Config::check(file);
    if !check.effective.is_null() {
        println!("{}", serde_json::to_string_pretty(&check.effective).unwrap_or_default());
    }
    for key in &check.unknown {
        eprintln!("{}", texts.with(lang, "config-unknown-key", &[("key", key.clone().into())]));
    }
    if let Some((key, what)) = &check.problem {
        eprintln!("{}", texts.with(lang, "config-bad-value", &[("key", key.clone().into()), ("problem", what.clone().into())]));
    }
    if check.unknown.is_empty() && check.problem.is_none() {
        eprintln!("{}", texts.get(lang, "config-ok"));
        std::process::exit(0);
    }
    std::process::exit(1);
}

/// A new password: typed twice without echo at a terminal; one line of standard input
/// otherwise (scripts, tests).
fn read_password(texts: &Texts, lang: Lang) -> anyhow::Result<zeroize::Zeroizing<String>> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = zeroize::Zeroizing::new(rpassword::prompt_password(texts.get(lang, "cli-staff-password-prompt"))?);
        let again = zeroize::Zeroizing::new(rpassword::prompt_password(texts.get(lang, "cli-staff-password-again"))?);
        if *first != *again {
            eprintln!("{}", texts.get(lang, "staff-password-mismatch"));
            std::process::exit(1);
        }
        Ok(first)
    } else {
        let mut line = zeroize::Zeroizing::new(String::new());
        std::io::stdin().read_line(&mut line)?;
        Ok(zeroize::Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned()))
    }
}

/// `eimza-bot staff add|passwd|list`.
async fn staff(config: &Config, action: StaffAction) -> anyhow::Result<()> {
    use eimza_bot::core::staff::{MIN_PASSWORD_CHARS, Role};
    let lang = std::env::var("LANG").ok().as_deref().and_then(Lang::from_tag).unwrap_or_default();
    let texts = Texts::load(&config.locales_dir);
    let store = eimza_bot::startup::open_store(config).await?;
    let accounts = eimza_bot::service::accounts::Accounts::new(store.clone(), config.staff.clone());
    let outcome = match action {
        StaffAction::List => {
            for a in store.accounts().await? {
                let state = if a.disabled_at.is_some() { texts.get(lang, "staff-account-disabled") } else { String::new() };
                println!("{}\t{}\t{state}", a.name, texts.get(lang, a.role.message_id()));
            }
            store.close().await;
            return Ok(());
        }
        StaffAction::Add { name, role } => {
            let Some(role) = Role::parse(&role) else {
                eprintln!("{}", texts.get(lang, "staff-role-unknown"));
                std::process::exit(2);
            };
            let password = read_password(&texts, lang)?;
            accounts.add(&name, role, &password, eimza_bot::clock::now_ms()).await?.map(|name| {
                texts.with(lang, "staff-account-added", &[("name", name.into()), ("role", texts.get(lang, role.message_id()).into())])
            })
        }
        StaffAction::Passwd { name } => {
            let password = read_password(&texts, lang)?;
            accounts.set_password(&name, &password).await?.map(|name| texts.with(lang, "staff-password-changed", &[("name", name.into())]))
        }
    };
    store.close().await;
    match outcome {
        Ok(said) => {
            println!("{said}");
            Ok(())
        }
        Err(problem) => {
            eprintln!("{}", texts.with(lang, problem.message_id(), &[("min", MIN_PASSWORD_CHARS.into())]));
            std::process::exit(1);
        }
    }
}

/// `eimza-bot key rotate`: a new encryption key for everything encrypted (the bot stopped).
async fn rotate_key(config: &Config) -> anyhow::Result<()> {
    let lang = std::env::var("LANG").ok().as_deref().and_then(Lang::from_tag).unwrap_or_default();
    let texts = Texts::load(&config.locales_dir);
    if config.data_key.is_some() {
        eprintln!("{}", texts.get(lang, "key-rotate-env"));
        std::process::exit(2);
    }
    let key_file = config.data_dir.join("eimza.key");
    let done = eimza_bot::keys::rotate(&key_file, &config.database_url(), None).await?;
    println!(
        "{}",
        texts.with(lang, "key-rotated", &[("count", (done.rewritten as i64).into()), ("file", key_file.display().to_string().into())])
    );
    Ok(())
}

/// `eimza-bot roster import FILE`: all or nothing; the problems of a refused file, line by line.
async fn import_roster(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let lang = std::env::var("LANG").ok().as_deref().and_then(Lang::from_tag).unwrap_or_default();
    let texts = Texts::load(&config.locales_dir);
    let Ok(bytes) = std::fs::read(file) else {
        eprintln!("{}", texts.with(lang, "roster-err-file", &[("path", file.display().to_string().into())]));
        std::process::exit(2);
    };
    let entries = match eimza_bot::roster::parse(&bytes, &config.institution.email_domains(), &config.institution.titles) {
        Ok(entries) => entries,
        Err(error) => {
            for line in eimza_bot::roster::report(&texts, lang, &error) {
                eprintln!("{line}");
            }
            std::process::exit(1);
        }
    };
    let store = eimza_bot::startup::open_store(config).await?;
    let summary = store.import_roster(&entries, "import", eimza_bot::clock::now_ms()).await?;
    store.close().await;
    println!(
        "{}",
        texts.with(
            lang,
            "roster-imported",
            &[("count", entries.len().into()), ("added", summary.added.into()), ("updated", summary.updated.into()),]
        )
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
