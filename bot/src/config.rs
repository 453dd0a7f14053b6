//! Configuration: embedded defaults (`eimza.default.toml`), then a TOML file, then `EIMZA_…`
//! environment variables. Secrets (the data key, staff passwords) are wrapped so they never
//! print.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::SecretString;
use serde::Deserialize;

use crate::core::domain::EmailDomains;

const DEFAULTS: &str = include_str!("../eimza.default.toml");

#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    pub http_addr: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// 32 bytes in base64; when absent, `<data_dir>/eimza.key` is used (created on first run).
    #[serde(default)]
    pub data_key: Option<SecretString>,
    pub locales_dir: PathBuf,
    pub retention_days: u32,
    /// Web chat transcripts and sessions of people without an open request, and conversations
    /// (unfinished drafts among them), are forgotten after this many idle days.
    #[serde(default = "thirty")]
    pub idle_days: u32,
    pub purge_interval_secs: u64,
    pub institution: InstitutionConfig,
    pub staff: StaffConfig,
    pub mail: MailConfig,
    pub reminders: RemindersConfig,
    pub helpdesk: HelpdeskConfig,
    pub web: WebConfig,
    pub agents: AgentsConfig,
    /// Messages into a person's own chat outside a reply (reminders, ticket notices, questions
    /// from a PC asking to pair).
    pub person_chat: ChatDeliveryConfig,
    /// Posts in the staff chats.
    pub staff_chat: ChatDeliveryConfig,
    /// What an e-Onay attestation's certificate must chain to, and revocation.
    pub trust: TrustConfig,
    /// The reminders to approve the renewal form.
    pub approval: ApprovalConfig,
    /// Working days: the religious holidays (the fixed ones are built in).
    pub calendar: CalendarConfig,
    pub telegram: TelegramConfig,
    pub discord: DiscordConfig,
    /// `/metrics` for Prometheus.
    pub metrics: MetricsConfig,
    /// Where people reach the web chat; used in links in e-mails.
    pub public_url: String,
}

/// The Telegram bot (on when a token is configured).
#[derive(Clone, Debug, Deserialize)]
pub struct TelegramConfig {
    /// From @BotFather; set it with EIMZA_TELEGRAM__TOKEN. Empty = Telegram off.
    #[serde(default)]
    pub token: Option<SecretString>,
    /// The Bot API's address (a local Bot API server, or a stand-in in tests).
    pub api_url: String,
    pub mode: TelegramMode,
    /// Webhook mode: Telegram sends this in `X-Telegram-Bot-Api-Secret-Token`; requests without
    /// it are refused. Required in webhook mode.
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
    /// Long polling: how long one getUpdates call waits for news.
    pub poll_timeout_secs: u32,
    pub sensitive_fields_via_web: bool,
    /// The staff group (a negative chat id); 0 = none.
    pub staff_chat_id: i64,
    /// Telegram user ids allowed to act on tickets from the staff group.
    pub staff_user_ids: Vec<i64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TelegramMode {
    Polling,
    Webhook,
}

/// The Discord application (on when a token, the application id and public key are configured).
#[derive(Clone, Debug, Deserialize)]
pub struct DiscordConfig {
    /// Bot token; set it with EIMZA_DISCORD__TOKEN. Empty = Discord off.
    #[serde(default)]
    pub token: Option<SecretString>,
    pub application_id: u64,
    /// The application's public key (hex), for the signatures on interactions.
    pub public_key: String,
    /// Discord's address (a stand-in in tests).
    pub api_url: String,
    /// Slash commands are registered in these guilds (at once); empty = globally.
    pub guild_ids: Vec<u64>,
    /// The staff channel; 0 = none.
    pub staff_channel_id: u64,
    /// Users and roles allowed to act on tickets from the staff channel.
    pub staff_user_ids: Vec<u64>,
    pub staff_role_ids: Vec<u64>,
    pub sensitive_fields_via_web: bool,
}

fn configured(secret: &Option<SecretString>) -> bool {
    use secrecy::ExposeSecret;
    secret.as_ref().is_some_and(|s| !s.expose_secret().trim().is_empty())
}

impl TelegramConfig {
    pub fn enabled(&self) -> bool {
        configured(&self.token)
    }
}

impl DiscordConfig {
    pub fn enabled(&self) -> bool {
        configured(&self.token) && self.application_id != 0 && !self.public_key.trim().is_empty()
    }
}

/// The desktop agents' link.
#[derive(Clone, Debug, Deserialize)]
pub struct AgentsConfig {
    /// When work for a PC is not acknowledged this long, the person is told the PC is offline.
    pub offline_notice_secs: u64,
}

/// Limits of the public web chat API (per client address, per session).
#[derive(Clone, Debug, Deserialize)]
pub struct WebConfig {
    pub sessions_burst: u32,
    pub sessions_per_minute: u32,
    pub messages_burst: u32,
    pub messages_per_minute: u32,
    /// One-time links to the web form (TC Kimlik No, birth date) are valid this long.
    pub form_link_minutes: u32,
    /// A client must send its request's headers within this many seconds.
    #[serde(default = "ten")]
    pub header_read_timeout_secs: u64,
    /// On SIGTERM, requests in flight get this long to finish before the process exits anyway.
    pub shutdown_grace_secs: u64,
    /// The reverse proxies (addresses or networks, `10.0.0.0/8`) whose `X-Forwarded-For` /
    /// `Forwarded` name the real client; from anyone else the headers are ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// The header those proxies write: `x-forwarded-for` (nginx, HAProxy) or `forwarded`.
    #[serde(default)]
    pub trusted_proxy_header: String,
}

fn thirty() -> u32 {
    30
}

fn ten() -> u64 {
    10
}

/// Forwarding of every new ticket and every change to the institution's existing help-desk.
#[derive(Clone, Debug, Deserialize)]
pub struct HelpdeskConfig {
    /// E-mail-to-ticket address; empty = off.
    #[serde(default)]
    pub email: String,
    /// JSON webhook; empty = off.
    #[serde(default)]
    pub webhook_url: String,
    /// Key of the HMAC-SHA256 signature of each webhook call.
    #[serde(default)]
    pub webhook_secret: Option<SecretString>,
    /// How long one webhook call may take.
    pub timeout_secs: u64,
    /// Temporary failures are retried after this, doubling (at most an hour), up to `max_attempts`.
    pub retry_base_secs: u64,
    pub max_attempts: u32,
}

/// The trust an e-Onay attestation is checked against.
#[derive(Clone, Debug, Deserialize)]
pub struct TrustConfig {
    /// PEM files with Kamu SM's certificates (roots and/or intermediates).
    pub ca_files: Vec<PathBuf>,
    pub revocation: Revocation,
    /// An OCSP responder used instead of the one the certificate names; empty = the certificate's.
    #[serde(default)]
    pub ocsp_responder: String,
    pub ocsp_timeout_secs: u64,
    /// A nonce handed out for an attestation is valid this long.
    pub nonce_ttl_secs: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Revocation {
    Off,
    Ocsp,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ApprovalConfig {
    pub every_working_days: u32,
    pub max_reminders: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct CalendarConfig {
    /// Whole-day holidays besides the fixed ones, `YYYY-MM-DD`.
    pub holidays: Vec<chrono::NaiveDate>,
}

impl CalendarConfig {
    pub fn calendar(&self) -> crate::core::workdays::Calendar {
        crate::core::workdays::Calendar { holidays: self.holidays.clone() }
    }
}

/// Retries of the messages into people's chats and into the staff chats.
#[derive(Clone, Debug, Deserialize)]
pub struct ChatDeliveryConfig {
    pub retry_base_secs: u64,
    pub max_attempts: u32,
}

#[derive(Clone, Debug, Deserialize)]
pub struct RemindersConfig {
    /// Days before expiry a reminder goes out.
    pub offsets: Vec<u32>,
    pub office_start_hour: u32,
    pub office_end_hour: u32,
    pub weekdays_only: bool,
    pub interval_secs: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct MailConfig {
    pub transport: MailTransport,
    pub from: String,
    /// Verification e-mails per hour to all addresses together.
    pub codes_per_hour: u32,
    #[serde(default)]
    pub staff_to: Vec<String>,
    /// Where `transport = "file"` writes its `.eml` files; `<data_dir>/outbox` when absent or
    /// blank. The bot's own folder: made private if new, refused if open to others.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    pub retry_base_secs: u64,
    pub max_attempts: u32,
    pub poll_interval_ms: u64,
    pub smtp: SmtpConfig,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Clone, Debug, Deserialize)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: Option<SecretString>,
    pub timeout_secs: u64,
    /// An extra certificate authority to trust for the server's certificate (PEM), for a relay
    /// whose certificate the institution's own CA issued.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

#[derive(Clone, Debug, Deserialize)]
pub struct InstitutionConfig {
    pub name: String,
    pub domains: Vec<String>,
    #[serde(default)]
    pub allow_subdomains: bool,
    #[serde(default)]
    pub titles: Vec<String>,
}

impl InstitutionConfig {
    pub fn email_domains(&self) -> EmailDomains {
        EmailDomains { domains: self.domains.clone(), allow_subdomains: self.allow_subdomains }
    }
}

/// Where Prometheus reads the metrics: on an address of their own (no token), or on the main
/// address behind a bearer token; neither: not served.
#[derive(Clone, Debug, Deserialize)]
pub struct MetricsConfig {
    /// e.g. `127.0.0.1:9464`; empty: not on an address of their own.
    pub listen: String,
    /// `Authorization: Bearer …` for `/metrics` on the main address.
    pub token: Option<SecretString>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct StaffConfig {
    /// A session ends after this long without a request.
    pub idle_minutes: u32,
    /// … and this long after the login in any case.
    pub session_hours: u32,
    /// Failed logins are counted over this window …
    pub lockout_minutes: u32,
    /// … and refused beyond this many for one account name …
    pub failures_per_account: u32,
    /// … or from one address (IPv6 counted per /64).
    pub failures_per_address: u32,
    /// How long the first start's setup link is good for.
    pub setup_link_hours: u32,
    /// A ticket whose state has not changed for longer than this many working days is stalled.
    pub stalled_working_days: u32,
    /// The daily digest goes out from this hour (Istanbul) on working days.
    pub digest_hour: u32,
    /// Tickets per page on /staff.
    pub page_size: u32,
}

impl Config {
    /// Defaults, then `file` (if given, it must exist; otherwise `eimza.toml` if present), then
    /// the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, Box<figment::Error>> {
        Self::figment(file).extract().map_err(Box::new)
    }

    /// The layers [`Config::load`] reads, merged.
    fn figment(file: Option<&Path>) -> Figment {
        Self::files(file).merge(Self::environment())
    }

    /// `EIMZA_…` variables; `EIMZA_CONFIG` and `EIMZA_LOG_FORMAT` are read before the
    /// configuration.
    fn environment() -> Env {
        Env::prefixed("EIMZA_").ignore(&["CONFIG", "LOG_FORMAT"]).split("__")
    }

    /// The embedded defaults and the configuration file.
    fn files(file: Option<&Path>) -> Figment {
        let mut figment = Figment::from(Toml::string(DEFAULTS));
        match file {
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => {
                if let Ok(path) = std::env::var("EIMZA_CONFIG") {
                    figment = figment.merge(Toml::file_exact(path));
                } else {
                    figment = figment.merge(Toml::file("eimza.toml"));
                }
            }
        }
        figment
    }

    /// Only the embedded defaults and the given overrides (tests and benchmarks).
    pub fn defaults_with(overrides: &[(&str, &str)]) -> Result<Config, Box<figment::Error>> {
        let mut toml = String::new();
        for (key, value) in overrides {
            toml.push_str(&format!("{key} = {value}\n"));
        }
        Figment::from(Toml::string(DEFAULTS)).merge(Toml::string(&toml)).extract().map_err(Box::new)
    }

    /// `eimza-bot config check`: the effective configuration with secrets hidden, the keys no
    /// version of the bot knows (a typo silently keeps the default), and the first value that
    /// does not read, with its key.
    pub fn check(file: Option<&Path>) -> ConfigCheck {
        Self::check_layers(Self::figment(file))
    }

    fn check_layers(figment: Figment) -> ConfigCheck {
        let (effective, unknown) = match figment.extract::<serde_json::Value>() {
            Ok(mut value) => {
                let known = serde_json::to_value(Figment::from(Toml::string(DEFAULTS)).extract::<serde_json::Value>().unwrap_or_default())
                    .unwrap_or_default();
                let mut unknown = Vec::new();
                unknown_keys(&value, &known, "", &mut unknown);
                hide_secrets(&mut value);
                (value, unknown)
            }
            Err(_) => (serde_json::Value::Null, Vec::new()),
        };
        let problem = figment.extract::<Config>().err().map(|e| {
            let key = if e.path.is_empty() { String::new() } else { e.path.join(".") };
            // The error repeats the value it could not read: not for a secret.
            let what = if is_secret(e.path.last().map(String::as_str).unwrap_or("")) { "…".to_owned() } else { e.kind.to_string() };
            (key, what)
        });
        ConfigCheck { effective, unknown, problem }
    }

    pub fn database_url(&self) -> String {
        if self.database_url.trim().is_empty() {
            format!("sqlite:{}", self.data_dir.join("eimza.db").display())
        } else {
            self.database_url.clone()
        }
    }
}

/// What `config check` found.
#[derive(Debug)]
pub struct ConfigCheck {
    /// Every setting in effect, secrets as `***`.
    pub effective: serde_json::Value,
    /// Keys given that the bot does not know (`mail.smtp.pasword`).
    pub unknown: Vec<String>,
    /// The first value that does not read: (key, what is wrong).
    pub problem: Option<(String, String)>,
}

/// Keys the defaults do not list but the bot reads (secrets and optional settings).
const OPTIONAL_KEYS: [&str; 9] = [
    "data_key",
    "telegram.token",
    "telegram.webhook_secret",
    "discord.token",
    "mail.smtp.password",
    "mail.smtp.ca_file",
    "mail.dir",
    "helpdesk.webhook_secret",
    "metrics.token",
];

fn unknown_keys(value: &serde_json::Value, known: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    let serde_json::Value::Object(map) = value else { return };
    for (key, inner) in map {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match known.get(key) {
            Some(known_inner) => unknown_keys(inner, known_inner, &path, out),
            None if OPTIONAL_KEYS.contains(&path.as_str()) => {}
            None => out.push(path),
        }
    }
}

/// A key whose value is a secret: shown as `***` whatever its type.
fn is_secret(key: &str) -> bool {
    ["token", "secret", "password", "data_key", "webhook_url"].iter().any(|s| key.contains(s))
}

/// Secrets print as `***` (set) or as they are when empty; a URL's password (`database_url`)
/// as `***` too.
fn hide_secrets(value: &mut serde_json::Value) {
    let serde_json::Value::Object(map) = value else { return };
    for (key, inner) in map.iter_mut() {
        match inner {
            serde_json::Value::Object(_) => hide_secrets(inner),
            serde_json::Value::String(s) if s.is_empty() => {}
            serde_json::Value::Null => {}
            _ if is_secret(key) => *inner = serde_json::Value::String("***".to_owned()),
            serde_json::Value::String(s) if s.contains("://") => *s = without_password(s),
            _ => {}
        }
    }
}

/// `postgres://user:pass@host/db` → `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((userinfo, host)) = rest.rsplit_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_hides_secrets_and_names_unknown_keys_and_bad_values() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("eimza.toml");
        std::fs::write(
            &file,
            "data_key = \"c2VjcmV0\"\n[mail]\ndir = \"/srv/eimza-posta\"\n[mail.smtp]\npasword = \"x\"\npassword = \"gizli-parola\"\n[staff]\nidle_minutes = 45\n[telegram]\ntoken = \"123:abc\"\n",
        )
        .unwrap();
        // The file alone: the test's own environment has EIMZA_TEST_… variables of its harness.
        let check = Config::check_layers(Config::files(Some(&file)));
        assert_eq!(check.unknown, ["mail.smtp.pasword"]);
        assert!(check.problem.is_none(), "{:?}", check.problem);
        let text = check.effective.to_string();
        assert!(!text.contains("gizli-parola") && !text.contains("c2VjcmV0") && !text.contains("123:abc"), "{text}");
        assert_eq!(check.effective["mail"]["smtp"]["password"], "***");
        assert_eq!(check.effective["staff"]["idle_minutes"], 45);
        std::fs::write(&file, "[staff]\nidle_minutes = \"yarım saat\"\n").unwrap();
        let check = Config::check_layers(Config::files(Some(&file)));
        let (key, what) = check.problem.expect("a bad value");
        assert_eq!(key, "staff.idle_minutes");
        assert!(what.contains("yarım saat") || what.contains("string"), "{what}");
        // A URL's password, a webhook URL, a token typed as a number, a bad secret's echo.
        std::fs::write(
            &file,
            "database_url = \"postgres://eimza:pg-gizli@db/eimza\"\n[helpdesk]\nwebhook_url = \"https://hooks.example/abc123\"\n[metrics]\ntoken = 123456\n",
        )
        .unwrap();
        let check = Config::check_layers(Config::files(Some(&file)));
        let text = check.effective.to_string();
        assert!(!text.contains("pg-gizli") && !text.contains("abc123") && !text.contains("123456"), "{text}");
        assert_eq!(check.effective["database_url"], "postgres://eimza:***@db/eimza");
        std::fs::write(&file, "data_key = [1, 2]\n").unwrap();
        let (key, what) = Config::check_layers(Config::files(Some(&file))).problem.expect("a bad secret");
        assert_eq!((key.as_str(), what.as_str()), ("data_key", "…"));
    }

    #[test]
    fn embedded_defaults_run_out_of_the_box() {
        let c = Config::defaults_with(&[]).unwrap();
        assert_eq!(c.http_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url(), "sqlite:data/eimza.db");
        assert_eq!(c.retention_days, 90);
        assert!(!c.institution.domains.is_empty());
        assert_eq!((c.staff.idle_minutes, c.staff.digest_hour, c.staff.stalled_working_days), (30, 9, 3));
    }

    #[test]
    fn overrides_and_secrets_do_not_print() {
        let c = Config::defaults_with(&[("database_url", "\"postgres://u@h/db\""), ("data_key", "\"c2VjcmV0\"")]).unwrap();
        assert_eq!(c.database_url(), "postgres://u@h/db");
        assert!(!format!("{c:?}").contains("c2VjcmV0"));
    }
}
