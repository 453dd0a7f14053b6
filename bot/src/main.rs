//! `eimza-bot`: runs the bot until Ctrl-C or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser};
use eimza_bot::i18n::Texts;
use eimza_bot::{Application, Config};
use eimza_protocol::Lang;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(version, disable_help_flag = true, disable_version_flag = true)]
struct Args {
    #[arg(long)]
    config: Option<PathBuf>,
    #[arg(short = 'h', long, action = clap::ArgAction::Help)]
    help: Option<bool>,
    #[arg(short = 'V', long, action = clap::ArgAction::Version)]
    version: Option<bool>,
}

/// The command line, with its help texts in the user's language (from `LANG`).
fn parse_args() -> Args {
    let lang = std::env::var("LANG").ok().as_deref().and_then(Lang::from_tag).unwrap_or_default();
    let texts = Texts::embedded();
    let command = Args::command()
        .about(texts.get(lang, "cli-bot-about"))
        .mut_arg("config", |a| a.help(texts.get(lang, "cli-bot-config")))
        .mut_arg("help", |a| a.help(texts.get(lang, "cli-help")))
        .mut_arg("version", |a| a.help(texts.get(lang, "cli-version")));
    let matches = command.get_matches();
    Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let args = parse_args();
    let config = Config::load(args.config.as_deref()).context("reading the configuration")?;
    let app = Application::build(config).await?;
    app.run_until_stopped(shutdown_signal()).await
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
