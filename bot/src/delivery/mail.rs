//! E-mail delivery: the worker that takes due `email` messages from the outbox, writes them in
//! the reader's language (plain text + simple HTML, RFC 2047 subject, Istanbul `Date`, a
//! `Message-ID` derived from the outbox key so a retry is recognisable as the same mail) and
//! sends them over SMTP or into `.eml` files. Temporary failures (4xx, connection refused,
//! time-outs) are retried with exponential backoff; permanent ones (5xx) are marked failed and
//! shown on /staff.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use chrono::TimeZone;
use eimza_protocol::{Arg, Lang};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::{Delivered, Policy, SendError, Worker};
use crate::clock;
use crate::config::{Config, MailConfig, MailTransport, SmtpSecurity};
use crate::core::outbound::{Channel, HelpdeskChange, Mail, Outbound};
use crate::i18n::Texts;
use crate::i18n::escape_html as escape;
use crate::store::{Claimed, Store, StoreError, TicketRow};

/// How long a claimed message is ours before another worker may take it.
const LEASE_MS: i64 = 5 * 60 * 1000;
/// Messages claimed and sent at once, and the SMTP connections kept open for them.
const BATCH: i64 = 32;
const POOL_SIZE: u32 = 8;

enum Sender {
    File(AsyncFileTransport<Tokio1Executor>),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// What to do with one outbox message.
enum Composed {
    Mail(Box<Message>),
    /// Nothing to send (no staff address configured, the personal data is gone): done, with
    /// the reason in the row.
    Skip(String),
}

pub struct Mailer {
    store: Store,
    texts: Arc<Texts>,
    config: MailConfig,
    sender: Sender,
    from: Mailbox,
    /// Where people open the web chat (links in reminders).
    public_url: String,
    /// The institution's help-desk address for e-mail-to-ticket forwarding.
    helpdesk: Option<String>,
}

/// How long the mail worker waits, once woken, for more mail to claim with what woke it
/// ([`Policy::linger`]). Short: a person waits that long more for their code. At 10 ms the
/// simulated people of `scripts/bench chat` (HTTP) waited 8.8–9.7 ms each for their code, at
/// 2 ms 3.6–4.6 ms, with about as many claims (0.03 → 0.03–0.06 one-statement holds a message).
const LINGER: Duration = Duration::from_millis(2);

impl Mailer {
    pub fn new(store: Store, texts: Arc<Texts>, all: &Config) -> anyhow::Result<Mailer> {
        let config = all.mail.clone();
        let data_dir: &Path = &all.data_dir;
        let from: Mailbox = config.from.parse().map_err(|e| anyhow::anyhow!("mail.from {:?}: {e}", config.from))?;
        let sender = match config.transport {
            MailTransport::File => {
                let dir = match configured_dir(&config) {
                    // The verification codes are in these files: a folder of the operator's
                    // choosing, outside the private data folder, must itself be closed to others.
                    Some(dir) => {
                        crate::vault::own_private_dir(dir).with_context(|| format!("mail.dir {}", dir.display()))?;
                        dir.to_owned()
                    }
                    None => {
                        let dir = data_dir.join("outbox");
                        crate::vault::private_dir(&dir)?;
                        dir
                    }
                };
                Sender::File(AsyncFileTransport::new(dir))
            }
            MailTransport::Smtp => {
                if configured_dir(&config).is_some() {
                    tracing::warn!("mail.dir is set but mail.transport is smtp: no e-mail is written to files");
                }
                let smtp = &config.smtp;
                let tls = || -> anyhow::Result<TlsParameters> {
                    let mut builder = TlsParameters::builder(smtp.host.clone());
                    if let Some(path) = &smtp.ca_file {
                        let pem = std::fs::read(path).with_context(|| format!("mail.smtp.ca_file {}", path.display()))?;
                        let ca = lettre::transport::smtp::client::Certificate::from_pem(&pem)
                            .with_context(|| format!("mail.smtp.ca_file {}: not a PEM certificate", path.display()))?;
                        builder = builder.add_root_certificate(ca);
                    }
                    Ok(builder.build()?)
                };
                let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)
                    .port(smtp.port)
                    .timeout(Some(Duration::from_secs(smtp.timeout_secs)))
                    .tls(match smtp.security {
                        SmtpSecurity::None => Tls::None,
                        SmtpSecurity::Starttls => Tls::Required(tls()?),
                        SmtpSecurity::Tls => Tls::Wrapper(tls()?),
                    });
                if !smtp.username.is_empty() {
                    let password = smtp.password.as_ref().map(|p| p.expose_secret().to_owned()).unwrap_or_default();
                    builder = builder.credentials(Credentials::new(smtp.username.clone(), password));
                }
                Sender::Smtp(builder.pool_config(PoolConfig::new().max_size(POOL_SIZE)).build())
            }
        };
        let public_url = all.public_url.trim_end_matches('/').to_owned() + "/";
        let helpdesk = Some(all.helpdesk.email.trim().to_owned()).filter(|e| !e.is_empty());
        Ok(Mailer { store, texts, config, sender, from, public_url, helpdesk })
    }

    /// The e-mail channel's retry policy (`mail.*` keys).
    pub fn policy(&self) -> Policy {
        Policy {
            retry_base_secs: self.config.retry_base_secs,
            max_attempts: self.config.max_attempts,
            lease_ms: LEASE_MS,
            batch: BATCH,
            poll: Duration::from_millis(self.config.poll_interval_ms.max(50)),
            linger: LINGER,
        }
    }

    /// Delivers every due e-mail now (tests and benchmarks; the bot runs [`super::run`]).
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        super::drain(&self.store, self, &self.policy()).await
    }

    async fn send(&self, message: Message) -> Result<(), SendError> {
        match &self.sender {
            Sender::File(t) => t.send(message).await.map(|_| ()).map_err(|e| SendError::Temporary(e.to_string())),
            Sender::Smtp(t) => t
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| if e.is_permanent() { SendError::Permanent(e.to_string()) } else { SendError::Temporary(e.to_string()) }),
        }
    }

    /// Writes the e-mail an outbox message stands for. The outer error is the store's; the
    /// inner one a message that can never be sent as it is.
    async fn compose(&self, key: &str, mail: &Mail) -> Result<Result<Composed, SendError>, StoreError> {
        let (to, lang, subject, body): (Vec<String>, Lang, String, String) = match mail {
            Mail::EmailCode { to, code, lang } => {
                let minutes = crate::core::conversation::PendingCode::VALID_MS / 60_000;
                let body = self.texts.with(*lang, "mail-code-body", &[("code", Arg::Str(code.clone())), ("minutes", Arg::Num(minutes))]);
                (vec![to.clone()], *lang, self.texts.get(*lang, "mail-code-subject"), body)
            }
            Mail::Reminder { to, name, days, expires_day, lang, person } => {
                return Ok(self.reminder(key, to, name, *days, *expires_day, *lang, person));
            }
            Mail::HelpdeskForward(HelpdeskChange { ticket_id, .. }) => {
                let Some(helpdesk) = &self.helpdesk else {
                    return Ok(Ok(Composed::Skip(self.texts.get(Lang::Tr, "mail-no-helpdesk-address"))));
                };
                let Some(ticket) = self.store.ticket_by_id(*ticket_id).await? else {
                    return Ok(Err(SendError::Permanent("the ticket of this notice does not exist".into())));
                };
                let (subject, body) = self.staff_notice(&ticket, "helpdesk-ticket-changed");
                (vec![helpdesk.clone()], Lang::Tr, subject, body)
            }
            Mail::StaffNotice { ticket_id, notice } => {
                let Some(ticket) = self.store.ticket_by_id(*ticket_id).await? else {
                    return Ok(Err(SendError::Permanent("the ticket of this notice does not exist".into())));
                };
                if self.config.staff_to.is_empty() {
                    return Ok(Ok(Composed::Skip(self.texts.get(Lang::Tr, "mail-no-staff-address"))));
                }
                let (subject, body) = self.staff_notice(&ticket, notice.message_id());
                (self.config.staff_to.clone(), Lang::Tr, subject, body)
            }
            Mail::StaffDigest { digest } => {
                if self.config.staff_to.is_empty() {
                    return Ok(Ok(Composed::Skip(self.texts.get(Lang::Tr, "mail-no-staff-address"))));
                }
                let (subject, body) = super::digest::render(&self.texts, Lang::Tr, digest, &self.public_url);
                (self.config.staff_to.clone(), Lang::Tr, subject, body)
            }
            Mail::ApplicantNotice { ticket_id, notice } => {
                let Some(ticket) = self.store.ticket_by_id(*ticket_id).await? else {
                    return Ok(Err(SendError::Permanent("the ticket of this notice does not exist".into())));
                };
                let (Some(email), Some(name)) = (&ticket.email, &ticket.name) else {
                    return Ok(Ok(Composed::Skip(self.texts.get(Lang::Tr, "mail-personal-data-gone"))));
                };
                let lang = ticket.lang;
                let args = [
                    ("name", Arg::Str(name.clone())),
                    ("notice", Arg::Str(self.texts.with(lang, notice.message_id(), &[("email", Arg::Str(masked(email)))]))),
                    ("ticket", Arg::Str(ticket.number.clone())),
                    ("state", Arg::Str(self.texts.get(lang, ticket.state.message_id()))),
                ];
                let subject = self.texts.with(lang, "mail-applicant-subject", &[("ticket", Arg::Str(ticket.number.clone()))]);
                (vec![email.clone()], lang, subject, self.texts.with(lang, "mail-applicant-body", &args))
            }
        };
        Ok(self.message(key, &to, lang, &subject, &body).map(|m| Composed::Mail(Box::new(m))))
    }

    /// A certificate-expiry reminder, with the one-click unsubscribe headers.
    #[allow(clippy::too_many_arguments)] // the fields of `Mail::Reminder`, destructured once
    fn reminder(
        &self,
        key: &str,
        to: &str,
        name: &str,
        days: i64,
        expires_day: i64,
        lang: Lang,
        person: &str,
    ) -> Result<Composed, SendError> {
        let expires = crate::store::day_from_number(expires_day);
        let noon = expires.and_hms_opt(12, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or_default();
        let args = [
            ("name", Arg::Str(name.to_owned())),
            ("days", Arg::Num(days)),
            ("date", Arg::Str(self.texts.date(lang, noon))),
            ("url", Arg::Str(self.public_url.clone())),
        ];
        let subject = self.texts.with(lang, "mail-reminder-subject", &args);
        let body = self.texts.with(lang, "mail-reminder-body", &args);
        let mut message = self.message(key, &[to.to_owned()], lang, &subject, &body)?;
        // RFC 2369 / 8058: mail programs offer "unsubscribe" and post to this link.
        let token = self.store.unsubscribe_token(person);
        let link = format!("<{}abonelik/iptal/{token}>", self.public_url);
        let headers = message.headers_mut();
        headers.insert_raw(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe"), link));
        headers
            .insert_raw(HeaderValue::new(HeaderName::new_from_ascii_str("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click".to_owned()));
        Ok(Composed::Mail(Box::new(message)))
    }

    fn staff_notice(&self, ticket: &TicketRow, what_id: &str) -> (String, String) {
        let lang = Lang::Tr;
        let gone = || self.texts.get(lang, "staff-personal-data-deleted");
        let what = self.texts.get(lang, what_id);
        let args = [
            ("what", Arg::Str(what.clone())),
            ("ticket", Arg::Str(ticket.number.clone())),
            ("state", Arg::Str(self.texts.get(lang, ticket.state.message_id()))),
            ("name", Arg::Str(ticket.name.clone().unwrap_or_else(gone))),
            ("tckn", Arg::Str(ticket.tckn_masked.clone().unwrap_or_else(gone))),
            ("title", Arg::Str(ticket.title.clone().unwrap_or_else(gone))),
            ("email", Arg::Str(ticket.email.clone().unwrap_or_else(gone))),
        ];
        let subject = self.texts.with(lang, "mail-staff-subject", &[("ticket", Arg::Str(ticket.number.clone())), ("what", Arg::Str(what))]);
        (subject, self.texts.with(lang, "mail-staff-body", &args))
    }

    fn message(&self, idem_key: &str, to: &[String], lang: Lang, subject: &str, body: &str) -> Result<Message, SendError> {
        let footer = self.texts.get(lang, "mail-footer");
        let text = format!("{body}\n\n-- \n{footer}\n");
        let html = html_body(lang, body, &footer);
        let domain = self.from.email.domain().to_owned();
        let digest = Sha256::digest(idem_key.as_bytes());
        let id: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let mut builder = Message::builder().from(self.from.clone()).subject(subject).message_id(Some(format!("<{id}@{domain}>")));
        for address in to {
            let mailbox: Mailbox = address.parse().map_err(|e| SendError::Permanent(format!("recipient address: {e}")))?;
            builder = builder.to(mailbox);
        }
        let mut message = builder
            .multipart(
                MultiPart::alternative()
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_PLAIN).body(text))
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html)),
            )
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        // lettre writes the Date in UTC; people in Türkiye read their own time.
        let date = chrono_tz::Europe::Istanbul.timestamp_millis_opt(clock::now_ms()).single().map(|d| d.to_rfc2822());
        if let Some(date) = date {
            message.headers_mut().insert_raw(HeaderValue::new(HeaderName::new_from_ascii_str("Date"), date));
        }
        Ok(message)
    }
}

/// An address as a notice names it: `i***@kurum.gov.tr`.
fn masked(email: &str) -> String {
    crate::core::domain::KurumEmail::try_from(email.to_owned()).map(|e| e.masked()).unwrap_or_default()
}

fn html_body(lang: Lang, body: &str, footer: &str) -> String {
    let mut html = format!(
        "<!doctype html><html lang=\"{}\"><body style=\"font-family:Arial,Helvetica,sans-serif;color:#1d2733;line-height:1.5\">",
        lang.code()
    );
    for line in body.lines().filter(|l| !l.trim().is_empty()) {
        html.push_str(&format!("<p>{}</p>", escape(line)));
    }
    html.push_str(&format!("<p style=\"color:#5a6776;font-size:12px\">{}</p></body></html>", escape(footer)));
    html
}

impl Worker for Mailer {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn deliver(&self, item: &Claimed) -> Result<Result<Delivered, SendError>, StoreError> {
        let Ok(Outbound::Email(mail)) = &item.message else {
            return Ok(Err(SendError::Permanent("not an e-mail".into())));
        };
        Ok(match self.compose(&item.key, mail).await? {
            Err(e) => Err(e),
            Ok(Composed::Skip(reason)) => Ok(Delivered::Skipped(reason)),
            Ok(Composed::Mail(message)) => self.send(*message).await.map(|()| Delivered::Sent),
        })
    }
}

/// `mail.dir`, unless absent or blank.
fn configured_dir(config: &MailConfig) -> Option<&Path> {
    config.dir.as_deref().filter(|d| d.to_str().is_none_or(|s| !s.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_dir_blank_is_no_setting() {
        let with = |dir: &str| Config::defaults_with(&[("mail.dir", &format!("{dir:?}"))]).unwrap().mail;
        assert_eq!(configured_dir(&Config::defaults_with(&[]).unwrap().mail), None);
        assert_eq!(configured_dir(&with("")), None);
        assert_eq!(configured_dir(&with("  ")), None, "a blank setting is no setting");
        assert_eq!(configured_dir(&with("/var/spool/eimza")), Some(Path::new("/var/spool/eimza")));
    }

    #[test]
    fn html_is_escaped() {
        let html = html_body(Lang::Tr, "<b>Ayşe</b>\n\nsatır", "alt");
        assert!(html.contains("<p>&lt;b&gt;Ayşe&lt;/b&gt;</p><p>satır</p>"));
    }
}
