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

use crate::clock;
use crate::config::{Config, HelpdeskConfig};
use crate::delivery::{self, Retry, SendError};
use crate::store::{Claimed, Store, StoreError, outbox_kinds};

const LEASE_MS: i64 = 5 * 60 * 1000;

pub struct Webhook {
    store: Store,
    client: http_client::Client,
    config: HelpdeskConfig,
    institution: String,
    retry: Retry,
    poll: Duration,
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
        let client = http_client::Client::builder().timeout(Duration::from_secs(config.mail.smtp.timeout_secs.max(5))).build()?;
        Ok(Webhook {
            store,
            client,
            config: config.helpdesk.clone(),
            institution: config.institution.name.clone(),
            retry: Retry { base_secs: config.mail.retry_base_secs, max_attempts: config.mail.max_attempts },
            poll: Duration::from_millis(config.mail.poll_interval_ms.max(50)),
        })
    }

    pub async fn run(self) {
        loop {
            if let Err(e) = self.deliver_due().await {
                tracing::error!(error = %e, "help-desk webhook delivery failed; will retry");
            }
            tokio::time::sleep(self.poll).await;
        }
    }

    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let mut handled = 0;
        loop {
            let batch = self.store.claim_due(outbox_kinds::WEBHOOK, clock::now_ms(), LEASE_MS, 32).await?;
            if batch.is_empty() {
                return Ok(handled);
            }
            // In order: a help-desk should see a ticket's changes as they happened.
            for item in &batch {
                let result = self.send(item).await?;
                delivery::settle(&self.store, item, result, self.retry).await?;
                handled += 1;
            }
        }
    }

    /// The documented payload of one change.
    async fn payload(&self, item: &Claimed) -> Result<Option<serde_json::Value>, StoreError> {
        let Some(ticket) = (match item.ticket_id {
            Some(id) => self.store.ticket_by_id(id).await?,
            None => None,
        }) else {
            return Ok(None);
        };
        let change = item.payload.clone().unwrap_or_default();
        let at = chrono_tz::Europe::Istanbul
            .timestamp_millis_opt(change["at"].as_i64().unwrap_or_default())
            .single()
            .map(|t| t.to_rfc3339())
            .unwrap_or_default();
        Ok(Some(json!({
            "version": 1,
            "type": "ticket.changed",
            "ticket": ticket.number,
            "event": change["event"],
            "from": change["from"],
            "to": change["to"],
            "actor": change["actor"],
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

    async fn send(&self, item: &Claimed) -> Result<Result<(), SendError>, StoreError> {
        if item.kind != outbox_kinds::FORWARD {
            return Ok(Err(SendError::Permanent(format!("unknown webhook kind {}", item.kind))));
        }
        let Some(payload) = self.payload(item).await? else {
            return Ok(Err(SendError::Permanent("the ticket of this change does not exist".into())));
        };
        let body = serde_json::to_vec(&payload).unwrap_or_default();
        let timestamp = clock::now_ms() / 1000;
        let secret = self.config.webhook_secret.as_ref().map(|s| s.expose_secret().as_bytes().to_vec()).unwrap_or_default();
        let delivery: String = Sha256::digest(item.idem_key.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect();
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
            Ok(r) if r.status().is_success() => Ok(()),
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
