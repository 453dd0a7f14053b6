//! The help-desk webhook: every ticket change, as JSON, POSTed to the institution's existing
//! help-desk, signed, through the outbox (retried, never lost, each change once by its key).
//!
//! Headers: `X-Eimza-Timestamp` (Unix seconds), `X-Eimza-Signature: sha256=<hex HMAC-SHA256 of
//! "<timestamp>.<body>" with the shared secret>`, `X-Eimza-Delivery` (stable per change: a
//! receiver can drop repeats). The TC Kimlik No is sent masked only.

use std::time::Duration;

use chrono::TimeZone;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Delivered, Policy, SendError, Worker};
use crate::clock;
use crate::config::{Config, HelpdeskConfig};
use crate::core::outbound::{Channel, HelpdeskChange, Outbound};
use crate::store::{Claimed, Store, StoreError};

const LEASE_MS: i64 = 5 * 60 * 1000;

pub struct Webhook {
    store: Store,
    client: http_client::Client,
    config: HelpdeskConfig,
    institution: String,
}

/// `sha256=<hex>` of `"<timestamp>.<body>"`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

impl Webhook {
    pub fn new(store: Store, config: &Config) -> anyhow::Result<Webhook> {
        let client = http_client::Client::builder().timeout(Duration::from_secs(config.helpdesk.timeout_secs.max(1))).build()?;
        Ok(Webhook { store, client, config: config.helpdesk.clone(), institution: config.institution.name.clone() })
    }

    /// The webhook's retry policy (`helpdesk.*` keys). In order per ticket: a help-desk should
    /// see a ticket's changes as they happened.
    pub fn policy(&self) -> Policy {
        Policy {
            retry_base_secs: self.config.retry_base_secs,
            max_attempts: self.config.max_attempts,
            lease_ms: LEASE_MS,
            batch: 32,
            poll: Duration::from_secs(2),
            linger: Duration::ZERO,
        }
    }

    /// Delivers every due change now (tests; the bot runs [`super::run`]).
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        super::drain(&self.store, self, &self.policy()).await
    }

    /// The documented payload of one change.
    async fn payload(&self, change: &HelpdeskChange) -> Result<Option<serde_json::Value>, StoreError> {
        let Some(ticket) = self.store.ticket_by_id(change.ticket_id).await? else {
            return Ok(None);
        };
        let at = chrono_tz::Europe::Istanbul.timestamp_millis_opt(change.at).single().map(|t| t.to_rfc3339()).unwrap_or_default();
        Ok(Some(json!({
            "version": 1,
            "type": "ticket.changed",
            "ticket": ticket.number,
            "event": change.event,
            "from": change.from,
            "to": change.to,
            "actor": change.actor,
            "at": at,
            "state": ticket.state.code(),
            "institution": self.institution,
            "applicant": {
                "name": ticket.name,
                "title": ticket.title,
                "email": ticket.email,
                "tckn_masked": ticket.tckn_masked,
            },
        })))
    }
}

impl Worker for Webhook {
    fn channel(&self) -> Channel {
        Channel::Webhook
    }

    async fn deliver(&self, item: &Claimed) -> Result<Result<Delivered, SendError>, StoreError> {
        let Ok(Outbound::Webhook(change)) = &item.message else {
            return Ok(Err(SendError::Permanent("not a help-desk change".into())));
        };
        let Some(payload) = self.payload(change).await? else {
            return Ok(Err(SendError::Permanent("the ticket of this change does not exist".into())));
        };
        let body = serde_json::to_vec(&payload).unwrap_or_default();
        let timestamp = clock::now_ms() / 1000;
        let secret = self.config.webhook_secret.as_ref().map(|s| s.expose_secret().as_bytes().to_vec()).unwrap_or_default();
        let delivery: String = Sha256::digest(item.key.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect();
        let response = self
            .client
            .post(&self.config.webhook_url)
            .header("Content-Type", "application/json")
            .header("X-Eimza-Timestamp", timestamp.to_string())
            .header("X-Eimza-Signature", signature(&secret, timestamp, &body))
            .header("X-Eimza-Delivery", delivery)
            .body(body)
            .send()
            .await;
        Ok(match response {
            Err(e) => Err(SendError::Temporary(e.to_string())),
            Ok(r) if r.status().is_success() => Ok(Delivered::Sent),
            Ok(r) if r.status().is_server_error() || matches!(r.status().as_u16(), 408 | 429) => {
                Err(SendError::Temporary(format!("HTTP {}", r.status())))
            }
            Ok(r) => Err(SendError::Permanent(format!("HTTP {}", r.status()))),
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: python3 -c "import hmac,hashlib; print(hmac.new(b'gizli', b'1795604700.{}', hashlib.sha256).hexdigest())"
        assert_eq!(
            super::signature(b"gizli", 1_795_604_700, b"{}"),
            "sha256=9cac76ee10569cd3ea24699e4a09684a7938342783696e89b5c60bd627917863"
        );
    }
}
