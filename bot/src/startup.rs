//! Building and running the bot: `Application::build(config)` wires the store, texts, chat
//! service, HTTP server and background jobs; `run_until_stopped(shutdown)` serves until the
//! shutdown future completes, then drains and stops.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::agents::Links;
use crate::config::{Config, TelegramMode};
use crate::core::conversation::{Settings, Transport};
use crate::delivery::mail::Mailer;
use crate::delivery::person_chat::PersonChat;
use crate::delivery::platforms::Platforms;
use crate::delivery::staff_chat::StaffChats;
use crate::delivery::webhook::Webhook;
use crate::discord::Discord;
use crate::i18n::Texts;
use crate::service::ChatService;
use crate::service::desk::{StaffDesk, StaffRoster};
use crate::store::{KeyCheck, Routing, Store};
use crate::telegram::Telegram;
use crate::vault::Vault;
use crate::web::{self, AppState};
use crate::{clock, jobs};

pub struct Application {
    listener: TcpListener,
    state: AppState,
    store: Store,
    texts: Arc<Texts>,
    platforms: Arc<Platforms>,
    /// Taken by the workers when the bot starts running.
    mailer: Option<Mailer>,
    webhook: Option<Webhook>,
    config: Config,
    telegram: Option<Arc<Telegram>>,
    discord: Option<Arc<Discord>>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let store = open_store(&config).await?.with_routing(routing(&config)).with_codes_per_hour(config.mail.codes_per_hour);
        let institution = &config.institution;
        let institution_json = serde_json::json!({
            "domains": institution.domains,
            "allow_subdomains": institution.allow_subdomains,
            "titles": institution.titles,
        });
        store.save_institution(&institution.name, &institution_json.to_string(), clock::now_ms()).await?;
        let texts = Arc::new(Texts::load(&config.locales_dir));
        let accounts = Arc::new(crate::service::accounts::Accounts::new(store.clone(), config.staff.clone()));
        print_setup_link(&accounts, &config, &texts).await?;
        let mailer = Mailer::new(store.clone(), texts.clone(), &config).context("e-mail configuration")?;
        let webhook = match config.helpdesk.webhook_url.trim().is_empty() {
            true => None,
            false => Some(Webhook::new(store.clone(), &config).context("help-desk webhook configuration")?),
        };
        let trust = Arc::new(trust(&config)?);
        let attestations =
            Arc::new(crate::service::attestation::Attestations::new(store.clone(), texts.clone(), trust, config.trust.nonce_ttl_secs));
        let links = Arc::new(Links::default());
        let service = Arc::new(
            ChatService::new(store.clone(), texts.clone(), settings(&config), links)
                .with_form_link_minutes(config.web.form_link_minutes)
                .with_message_limit(config.web.messages_burst, config.web.messages_per_minute),
        );
        let roster = StaffRoster {
            telegram_users: config.telegram.staff_user_ids.clone(),
            discord_users: config.discord.staff_user_ids.clone(),
            discord_roles: config.discord.staff_role_ids.clone(),
        };
        let desk = Arc::new(StaffDesk::new(store.clone(), texts.clone(), roster));
        let platforms = Arc::new(Platforms::default());
        let telegram = if config.telegram.enabled() {
            if config.telegram.mode == TelegramMode::Webhook && config.telegram.webhook_secret.is_none() {
                anyhow::bail!("telegram.mode = \"webhook\" needs EIMZA_TELEGRAM__WEBHOOK_SECRET");
            }
            let telegram = Telegram::new(&config.telegram, service.clone(), desk.clone()).context("Telegram configuration")?;
            platforms.add_messenger(Transport::Telegram, telegram.clone());
            platforms.add_staff_chat(Transport::Telegram, telegram.clone());
            Some(telegram)
        } else {
            None
        };
        let discord = if config.discord.enabled() {
            let discord = Discord::new(&config.discord, service.clone(), desk.clone()).context("Discord configuration")?;
            platforms.add_messenger(Transport::Discord, discord.clone());
            platforms.add_staff_chat(Transport::Discord, discord.clone());
            Some(discord)
        } else {
            None
        };
        let listener = TcpListener::bind(config.http_addr).await.with_context(|| format!("listening on {}", config.http_addr))?;
        let limits = Arc::new(web::Limits::new(&config.web));
        let proxies =
            Arc::new(web::client::Proxies::parse(&config.web.trusted_proxies, &config.web.trusted_proxy_header).map_err(|entry| {
                anyhow::anyhow!("web.trusted_proxies / trusted_proxy_header: {entry:?} is not an address, a network or a known header")
            })?);
        let calendar = Arc::new(config.calendar.calendar());
        let health = health(&config, telegram.as_ref(), discord.as_ref());
        let metrics_token = config.metrics.token.clone().filter(|t| !t.expose_secret().trim().is_empty()).map(Arc::new);
        let state = AppState { service, attestations, desk: desk.clone(), proxies, accounts, calendar, health, metrics_token, limits };
        Ok(Application { listener, state, store, texts, platforms, mailer: Some(mailer), webhook, config, telegram, discord })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn run_until_stopped(mut self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(url = %format!("http://{}", self.local_addr()), "eimza-bot is serving the web chat and /staff");
        let links = self.state.service.links().clone();
        let mut tasks = self.spawn_workers();
        if !self.config.metrics.listen.trim().is_empty() {
            let addr = self.config.metrics.listen.trim();
            let listener = TcpListener::bind(addr).await.with_context(|| format!("metrics.listen {addr}"))?;
            tracing::info!(addr = %addr, "metrics at /metrics");
            let app = web::metrics_router(self.state.clone());
            tasks.push(tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, app).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            }));
        }
        let mut app = web::router(self.state);
        if let Some(discord) = &self.discord {
            tracing::info!("Discord is on (interactions at /discord/interactions)");
            app = app.merge(discord.routes());
            // Registers the commands and ends: not a worker to watch.
            tasks.push(tokio::spawn(discord.clone().run()));
        }
        if let Some(telegram) = &self.telegram {
            tracing::info!(mode = ?self.config.telegram.mode, "Telegram is on");
            if self.config.telegram.mode == TelegramMode::Webhook {
                app = app.merge(telegram.routes());
            }
            // Ends after its set-up in webhook mode; its polling is watched by its answers.
            tasks.push(tokio::spawn(telegram.clone().run()));
        }
        // Agent WebSockets never end by themselves: close them when stopping, or the graceful
        // shutdown would wait for them forever.
        let shutdown = async move {
            shutdown.await;
            links.close_all();
        };
        let header_timeout = std::time::Duration::from_secs(self.config.web.header_read_timeout_secs.max(1));
        let grace = std::time::Duration::from_secs(self.config.web.shutdown_grace_secs.max(1));
        let served = web::server::serve(self.listener, app, header_timeout, grace, shutdown).await;
        for task in tasks {
            task.abort();
        }
        self.store.close().await;
        tracing::info!("eimza-bot stopped");
        served.context("HTTP server")
    }

    /// The background jobs and the outbox workers, one per channel.
    fn spawn_workers(&mut self) -> Vec<tokio::task::JoinHandle<()>> {
        let (store, config) = (self.store.clone(), self.config.clone());
        let store = &store;
        let links = self.state.service.links().clone();
        let every = Duration::from_secs(config.purge_interval_secs.max(1));
        let offline_after = Duration::from_secs(config.agents.offline_notice_secs.max(1));
        let health = self.state.health.clone();
        let mut tasks = vec![
            tokio::spawn(health.watch("retention", jobs::purge_loop(store.clone(), every, config.retention_days, config.idle_days))),
            tokio::spawn(health.watch("expiry-reminders", jobs::reminder_loop(store.clone(), config.reminders.clone()))),
            tokio::spawn(health.watch(
                "approval-reminders",
                jobs::approval_loop(store.clone(), config.reminders.clone(), config.approval.clone(), config.calendar.calendar()),
            )),
            tokio::spawn(health.watch("agents", crate::agents::poll_loop(store.clone(), links.clone(), offline_after))),
            tokio::spawn(health.watch("agents-idle", crate::agents::idle_loop(store.clone(), links))),
            tokio::spawn(health.watch("digest", jobs::digest_loop(store.clone(), config.calendar.calendar(), config.staff.clone()))),
        ];
        if let Some(mailer) = self.mailer.take() {
            let policy = mailer.policy();
            tasks.push(tokio::spawn(health.watch("outbox-email", crate::delivery::run(store.clone(), mailer, policy))));
        }
        let chat = PersonChat::new(store.clone(), self.texts.clone(), self.platforms.clone(), config.person_chat.clone());
        let policy = chat.policy();
        tasks.push(tokio::spawn(health.watch("outbox-chat", crate::delivery::run(store.clone(), chat, policy))));
        if let Some(webhook) = self.webhook.take() {
            let policy = webhook.policy();
            tasks.push(tokio::spawn(health.watch("outbox-webhook", crate::delivery::run(store.clone(), webhook, policy))));
        }
        for platform in store.routing().staff_chats.clone() {
            let institution = config.institution.name.clone();
            let chats = StaffChats::new(
                store.clone(),
                self.texts.clone(),
                self.platforms.clone(),
                platform,
                institution,
                config.public_url.clone(),
                config.staff_chat.clone(),
            );
            let policy = chats.policy();
            tasks.push(tokio::spawn(health.watch("outbox-staff-chat", crate::delivery::run(store.clone(), chats, policy))));
        }
        tasks
    }
}

/// The trust e-Onay attestations are checked against; a CA file that does not read stops the
/// start (the configuration is wrong), none configured is said in the log.
fn trust(config: &Config) -> anyhow::Result<crate::attest::Trust> {
    let anchors = crate::attest::Anchors::load(&config.trust.ca_files).context("trust.ca_files")?;
    if anchors.is_empty() {
        tracing::warn!("trust.ca_files is empty: every e-Onay attestation will be refused as untrusted (see README)");
    }
    let ocsp = match config.trust.revocation {
        crate::config::Revocation::Off => None,
        crate::config::Revocation::Ocsp => Some(crate::attest::ocsp::Ocsp::new(
            Some(config.trust.ocsp_responder.clone()),
            Duration::from_secs(config.trust.ocsp_timeout_secs.max(1)),
        )?),
    };
    Ok(crate::attest::Trust { origin: config.public_url.trim_end_matches('/').to_owned(), anchors, ocsp })
}

/// A fresh install has no staff account: a one-time link for the first admin, printed where
/// whoever starts the bot reads it (not a password left in a file) — on stderr, apart from the
/// log on stdout (which may be JSON for a collector).
async fn print_setup_link(accounts: &crate::service::accounts::Accounts, config: &Config, texts: &Texts) -> anyhow::Result<()> {
    if let Some(link) = accounts.setup_link(&config.public_url, clock::now_ms()).await? {
        let hours = config.staff.setup_link_hours.max(1);
        for lang in [eimza_protocol::Lang::Tr, eimza_protocol::Lang::En] {
            eprintln!("{}", texts.with(lang, "staff-setup-link-printed", &[("link", link.clone().into()), ("hours", hours.into())]));
        }
    }
    Ok(())
}

/// What `/readyz` watches besides the workers: Telegram's long polling, when it polls; Discord's
/// REST calls, when it is configured.
fn health(config: &Config, telegram: Option<&Arc<Telegram>>, discord: Option<&Arc<Discord>>) -> Arc<crate::health::Health> {
    let health = Arc::new(crate::health::Health::default());
    if let Some(discord) = discord {
        health.watch_discord(discord.calls());
    }
    if let Some(telegram) = telegram
        && config.telegram.mode == TelegramMode::Polling
    {
        // A poll is answered within its timeout; three missed in a row is a broken link.
        health.watch_telegram(telegram.answered_at(), 3 * (i64::from(config.telegram.poll_timeout_secs) + 15) * 1000);
    }
    health
}

/// What the conversation needs of the configuration.
fn settings(config: &Config) -> Settings {
    let institution = &config.institution;
    Settings {
        institution: institution.name.clone(),
        domains: institution.email_domains(),
        titles: institution.titles.clone(),
        retention_days: config.retention_days,
        public_url: config.public_url.clone(),
        web_form: [
            (config.telegram.sensitive_fields_via_web, Transport::Telegram),
            (config.discord.sensitive_fields_via_web, Transport::Discord),
        ]
        .into_iter()
        .filter_map(|(on, t)| on.then_some(t))
        .collect(),
        helpdesk_forwarding: !config.helpdesk.email.trim().is_empty() || !config.helpdesk.webhook_url.trim().is_empty(),
    }
}

/// Who hears of ticket changes: the help-desk forwarding and one staff chat per configured
/// platform.
fn routing(config: &Config) -> Routing {
    let mut staff_chats = Vec::new();
    if config.telegram.enabled() && config.telegram.staff_chat_id != 0 {
        staff_chats.push(Transport::Telegram);
    }
    if config.discord.enabled() && config.discord.staff_channel_id != 0 {
        staff_chats.push(Transport::Discord);
    }
    Routing {
        helpdesk_email: !config.helpdesk.email.trim().is_empty(),
        helpdesk_webhook: !config.helpdesk.webhook_url.trim().is_empty(),
        staff_chats,
    }
}

/// The database with its key, as configured (the bot and its command-line tools share it).
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    crate::vault::private_dir(&config.data_dir).with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
    let key_file = config.data_dir.join("eimza.key");
    let (vault, key_is_new, key_name) = match &config.data_key {
        Some(key) => (Vault::from_base64(key.expose_secret()).context("EIMZA_DATA_KEY")?, false, "EIMZA_DATA_KEY".to_owned()),
        None => {
            let existed = key_file.exists();
            (Vault::load_or_create(&key_file)?, !existed, key_file.display().to_string())
        }
    };
    let store = Store::connect(&config.database_url(), vault).await.context("opening the database")?;
    match store.check_key(key_is_new).await.context("checking the data key")? {
        KeyCheck::Matches => Ok(store),
        KeyCheck::Mismatch => anyhow::bail!(
            "the data key ({key_name}) is not the key this database was made with: nothing encrypted in it could be read. \
             Restore the right key (the key file or EIMZA_DATA_KEY from your backup) and start again. Do not start with another key."
        ),
        KeyCheck::NewKeyForOldData => {
            // Not kept: the next start must not take it for the database's key.
            let _ = std::fs::remove_file(&key_file);
            anyhow::bail!(
                "the data key file {key_name} was missing, but the database already holds data encrypted with a key: \
                 restore the key file (or EIMZA_DATA_KEY) from your backup and start again. A new key was not kept."
            )
        }
    }
}

/// The SQLite database file the configuration names, or `None` on PostgreSQL.
fn sqlite_file(config: &Config) -> Option<std::path::PathBuf> {
    let url = config.database_url();
    let path = url.strip_prefix("sqlite:")?.trim_start_matches("//");
    Some(std::path::PathBuf::from(path.split('?').next().unwrap_or(path)))
}

/// `eimza-bot backup FILE`: a consistent copy of the SQLite database while the bot runs, read
/// only, written beside FILE first and renamed once on disk (an interrupted backup leaves no
/// FILE). The key is not in it (keep `eimza.key` apart); returns the backup's size in bytes.
pub async fn backup(config: &Config, file: &Path) -> anyhow::Result<u64> {
    let Some(source) = sqlite_file(config) else { anyhow::bail!(BackupProblem::Postgres) };
    if !source.exists() {
        anyhow::bail!(BackupProblem::NoDatabase);
    }
    if file.exists() {
        anyhow::bail!(BackupProblem::TargetExists);
    }
    let partial = std::path::PathBuf::from(format!("{}.partial", file.display()));
    let _ = std::fs::remove_file(&partial);
    crate::store::sqlite_backup(&source, &partial).await.context("writing the backup")?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, file)?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(std::fs::metadata(file).map(|m| m.len()).unwrap_or(0))
}

/// What `restore` put back: tickets and messages waiting in the outbox.
#[derive(Debug)]
pub struct Restored {
    pub tickets: i64,
    pub pending: i64,
}

/// Why a backup or a restore was refused (each names its message).
#[derive(Debug, thiserror::Error)]
pub enum BackupProblem {
    #[error("PostgreSQL: use pg_dump / pg_restore")]
    Postgres,
    #[error("the target exists")]
    TargetExists,
    #[error("no database to back up")]
    NoDatabase,
    #[error("the database exists")]
    DatabaseExists,
    #[error("no data key")]
    NoKey,
    #[error("the backup was made with another key")]
    WrongKey,
    #[error("not a backup")]
    NotABackup,
}

impl BackupProblem {
    pub fn message_id(&self) -> &'static str {
        match self {
            BackupProblem::Postgres => "backup-postgres",
            BackupProblem::TargetExists => "backup-target-exists",
            BackupProblem::NoDatabase => "backup-no-database",
            BackupProblem::DatabaseExists => "restore-database-exists",
            BackupProblem::NoKey => "restore-no-key",
            BackupProblem::WrongKey => "restore-wrong-key",
            BackupProblem::NotABackup => "restore-not-a-backup",
        }
    }
}

/// `eimza-bot restore FILE`: a backup becomes the database of an empty data folder — only if the
/// data key it was made with is the one configured (the key-check value inside says).
pub async fn restore(config: &Config, file: &Path) -> anyhow::Result<Restored> {
    let Some(target) = sqlite_file(config) else { anyhow::bail!(BackupProblem::Postgres) };
    // A database, or a write-ahead log SQLite would replay onto the restored file.
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let beside = |suffix: &str| target.with_file_name(format!("{name}{suffix}"));
    if ["", "-wal", "-shm", "-journal"].iter().any(|s| beside(s).exists()) {
        anyhow::bail!(BackupProblem::DatabaseExists);
    }
    let key_file = config.data_dir.join("eimza.key");
    let vault = match &config.data_key {
        Some(key) => Vault::from_base64(key.expose_secret()).context("EIMZA_DATA_KEY")?,
        None if key_file.exists() => crate::keys::vault_of(&key_file)?,
        None => anyhow::bail!(BackupProblem::NoKey),
    };
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    if !bytes.starts_with(b"SQLite format 3\0") {
        anyhow::bail!(BackupProblem::NotABackup);
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::vault::private_dir(dir)?;
    }
    let staging = beside(".restoring");
    let leftovers = || {
        for suffix in [".restoring", ".restoring-wal", ".restoring-shm"] {
            let _ = std::fs::remove_file(beside(suffix));
        }
    };
    leftovers();
    crate::vault::write_private(&staging, &bytes)?;
    std::fs::File::open(&staging)?.sync_all()?;
    let checked = async {
        let store = Store::connect(&format!("sqlite:{}", staging.display()), vault).await?;
        // A damaged file, or a SQLite file the bot never ran on, is no backup.
        if !store.integrity_ok().await? || !store.has_key_check().await? {
            store.close().await;
            return Ok(None);
        }
        let check = store.check_key(false).await?;
        let tickets: i64 = store.counts_by_state().await?.iter().map(|(_, n)| n).sum();
        let pending: i64 = store.outbox_depths().await?.iter().map(|d| d.pending).sum();
        store.close().await;
        Ok::<_, crate::store::StoreError>(Some((check, tickets, pending)))
    }
    .await;
    let outcome = match checked {
        Ok(Some((KeyCheck::Matches, tickets, pending))) => {
            std::fs::rename(&staging, &target)?;
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
            }
            Ok(Restored { tickets, pending })
        }
        Ok(Some(_)) => Err(anyhow::anyhow!(BackupProblem::WrongKey)),
        Ok(None) => Err(anyhow::anyhow!(BackupProblem::NotABackup)),
        Err(e) => Err(anyhow::Error::new(e).context("reading the backup")),
    };
    leftovers();
    outcome
}
