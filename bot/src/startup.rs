//! Building and running the bot: `Application::build(config)` wires the store, texts, chat
//! service, HTTP server and background jobs; `run_until_stopped(shutdown)` serves until the
//! shutdown future completes, then drains and stops.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use base64::Engine as _;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use tokio::net::TcpListener;

use crate::config::{Config, TelegramMode};
use crate::conversation::Transport;
use crate::staff_desk::{StaffDesk, StaffRoster, staff_chat_loop};
use crate::telegram::Telegram;
use crate::discord::Discord;
use crate::conversation::Settings;
use crate::i18n::Texts;
use crate::service::ChatService;
use crate::store::Store;
use crate::vault::{self, Vault};
use crate::web::{self, AppState, StaffAccounts};
use crate::mail::Mailer;
use crate::webhook::Webhook;
use crate::{clock, jobs};

pub struct Application {
    listener: TcpListener,
    state: AppState,
    store: Store,
    mailer: Mailer,
    webhook: Option<Webhook>,
    config: Config,
    desk: Arc<StaffDesk>,
    telegram: Option<Arc<Telegram>>,
    discord: Option<Arc<Discord>>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        let store = open_store(&config).await?.with_forwarding(config.helpdesk.channels()).with_staff_chats(staff_chats(&config));
        let institution = &config.institution;
        let institution_json = serde_json::json!({
            "domains": institution.domains,
            "allow_subdomains": institution.allow_subdomains,
            "titles": institution.titles,
        });
        store.save_institution(&institution.name, &institution_json.to_string(), clock::now_ms()).await?;
        let texts = Arc::new(Texts::load(&config.locales_dir));
        let settings = Settings {
            institution: institution.name.clone(),
            domains: institution.email_domains(),
            titles: institution.titles.clone(),
            retention_days: config.retention_days,
            public_url: config.public_url.clone(),
            web_form: [
                (config.telegram.sensitive_fields_via_web, crate::conversation::Transport::Telegram),
                (config.discord.sensitive_fields_via_web, crate::conversation::Transport::Discord),
            ]
            .into_iter()
            .filter_map(|(on, t)| on.then_some(t))
            .collect(),
        };
        let staff = Arc::new(StaffAccounts::new(staff_accounts(&config)?));
        let mailer = Mailer::new(store.clone(), texts.clone(), &config).context("e-mail configuration")?;
        let webhook = if config.helpdesk.webhook_url.trim().is_empty() {
            None
        } else {
            Some(Webhook::new(store.clone(), &config).context("help-desk webhook configuration")?)
        };
        let service = Arc::new(ChatService::new(store.clone(), texts, settings).with_form_link_minutes(config.web.form_link_minutes));
        let roster = StaffRoster {
            telegram_users: config.telegram.staff_user_ids.clone(),
            discord_users: config.discord.staff_user_ids.clone(),
            discord_roles: config.discord.staff_role_ids.clone(),
        };
        let retry = crate::delivery::Retry { base_secs: config.mail.retry_base_secs, max_attempts: config.mail.max_attempts };
        let desk = Arc::new(StaffDesk::new(service.clone(), roster, retry));
        let telegram = if config.telegram.enabled() {
            let telegram = Telegram::new(&config.telegram, service.clone(), desk.clone()).context("Telegram configuration")?;
            service.platforms().add_messenger(Transport::Telegram, telegram.clone());
            if config.telegram.staff_chat_id != 0 {
                service.platforms().add_staff_chat(Transport::Telegram, telegram.clone());
            }
            if config.telegram.mode == TelegramMode::Webhook && config.telegram.webhook_secret.is_none() {
                anyhow::bail!("telegram.mode = \"webhook\" needs EIMZA_TELEGRAM__WEBHOOK_SECRET");
            }
            Some(telegram)
        } else {
            None
        };
        let discord = if config.discord.enabled() {
            let discord = Discord::new(&config.discord, service.clone(), desk.clone()).context("Discord configuration")?;
            service.platforms().add_messenger(Transport::Discord, discord.clone());
            if config.discord.staff_channel_id != 0 {
                service.platforms().add_staff_chat(Transport::Discord, discord.clone());
            }
            Some(discord)
        } else {
            None
        };
        let listener = TcpListener::bind(config.http_addr)
            .await
            .with_context(|| format!("listening on {}", config.http_addr))?;
        let limits = Arc::new(web::Limits::new(&config.web));
        Ok(Application { listener, state: AppState { service, staff, limits }, store, mailer, webhook, config, desk, telegram, discord })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(url = %format!("http://{}", self.local_addr()), "eimza-bot is serving the web chat and /staff");
        let purge = tokio::spawn(jobs::purge_loop(
            self.store.clone(),
            Duration::from_secs(self.config.purge_interval_secs.max(1)),
            self.config.retention_days,
        ));
        let mail = tokio::spawn(self.mailer.run());
        let webhook = self.webhook.map(|w| tokio::spawn(w.run()));
        let reminders = tokio::spawn(jobs::reminder_loop(self.store.clone(), self.config.reminders.clone()));
        let links = self.state.service.links().clone();
        let agent_work = tokio::spawn(crate::link::poll_loop(
            self.state.service.clone(),
            Duration::from_secs(self.config.agents.offline_notice_secs.max(1)),
        ));
        let idle_agents = tokio::spawn(crate::link::idle_loop(self.store.clone(), links.clone()));
        let chat_outbox = tokio::spawn(jobs::chat_outbox_loop(self.state.service.clone()));
        let mut platform_tasks = Vec::new();
        let mut app = web::router(self.state);
        if let Some(discord) = &self.discord {
            tracing::info!("Discord is on (interactions at /discord/interactions)");
            app = app.merge(discord.routes());
            platform_tasks.push(tokio::spawn(discord.clone().run()));
            if self.config.discord.staff_channel_id != 0 {
                platform_tasks.push(tokio::spawn(staff_chat_loop(self.desk.clone(), Transport::Discord)));
            }
        }
        if let Some(telegram) = &self.telegram {
            tracing::info!(mode = ?self.config.telegram.mode, "Telegram is on");
            if self.config.telegram.mode == TelegramMode::Webhook {
                app = app.merge(telegram.routes());
            }
            platform_tasks.push(tokio::spawn(telegram.clone().run()));
            if self.config.telegram.staff_chat_id != 0 {
                platform_tasks.push(tokio::spawn(staff_chat_loop(self.desk.clone(), Transport::Telegram)));
            }
        }
        // Agent WebSockets never end by themselves: close them when stopping, or the graceful
        // shutdown would wait for them forever.
        let shutdown = async move {
            shutdown.await;
            links.close_all();
        };
        let served = axum::serve(self.listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown)
            .await;
        for task in platform_tasks {
            task.abort();
        }
        agent_work.abort();
        chat_outbox.abort();
        idle_agents.abort();
        purge.abort();
        mail.abort();
        if let Some(w) = webhook {
            w.abort();
        }
        reminders.abort();
        self.store.close().await;
        tracing::info!("eimza-bot stopped");
        served.context("HTTP server")
    }
}

/// The staff chats that hear of tickets: one outbox channel per configured platform.
fn staff_chats(config: &Config) -> Vec<&'static str> {
    let mut channels = Vec::new();
    if config.telegram.enabled() && config.telegram.staff_chat_id != 0 {
        channels.push(crate::store::outbox_kinds::STAFF_TELEGRAM);
    }
    if config.discord.enabled() && config.discord.staff_channel_id != 0 {
        channels.push(crate::store::outbox_kinds::STAFF_DISCORD);
    }
    channels
}

/// The database with its key, as configured (the bot and its command-line tools share it).
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data folder {}", config.data_dir.display()))?;
    let vault = match &config.data_key {
        Some(key) => Vault::from_base64(key.expose_secret()).context("EIMZA_DATA_KEY")?,
        None => Vault::load_or_create(&config.data_dir.join("eimza.key"))?,
    };
    Store::connect(&config.database_url(), vault).await.context("opening the database")
}

/// The configured staff accounts; with none, one "admin" account whose random password is kept
/// in `<data_dir>/staff-password` (mode 0600), so a fresh install is usable and still closed.
fn staff_accounts(config: &Config) -> anyhow::Result<Vec<(String, SecretString)>> {
    if !config.staff.users.is_empty() {
        return Ok(config.staff.users.iter().map(|u| (u.name.clone(), u.password.clone())).collect());
    }
    let path = config.data_dir.join("staff-password");
    let password = read_or_create_password(&path)?;
    tracing::info!(file = %path.display(), "no staff accounts configured: user \"admin\", password in this file");
    Ok(vec![("admin".to_owned(), password)])
}

fn read_or_create_password(path: &Path) -> anyhow::Result<SecretString> {
    match std::fs::read_to_string(path) {
        Ok(p) => Ok(SecretString::from(p.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 15];
            rand::rng().fill_bytes(&mut bytes);
            let password = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
            vault::write_private(path, password.as_bytes()).with_context(|| format!("writing {}", path.display()))?;
            Ok(SecretString::from(password))
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
