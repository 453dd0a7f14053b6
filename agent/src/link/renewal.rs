//! The new card closes the loop. During the card step the PC remembers whose certificate it is
//! renewing (a salted hash of the holder's number, and the old certificate's expiry — no name,
//! and the number not in clear; eleven digits with check digits can be guessed back from the
//! hash by someone who reads this user's private folder, which also holds the agent's token);
//! afterwards every card put into a reader is read (certificate only, never the
//! PIN), and a certificate of the same person that expires later than the renewed one is sent to
//! the bot, which checks it against its trust anchors and the ticket and completes the request.

use std::time::Duration;

use chrono::{DateTime, Utc};
use eimza_protocol::Tckn;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::card_step::{Cancel, HoldersCertificate};
use super::home::Home;
use crate::card::preflight::{self, Options};
use crate::card::{CardEvent, Pcsc};

const HOLDER: &str = "holder.json";
/// A renewal takes weeks, not months: a forgotten record stops being looked at after this.
const HOLDER_DAYS: i64 = 120;

/// Whose certificate this PC is waiting to see renewed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Holder {
    salt: String,
    tckn_hash: String,
    /// The expiry of the certificate being renewed; the renewed one expires later.
    renewing_not_after: DateTime<Utc>,
    since: DateTime<Utc>,
}

fn hash(salt: &str, tckn: &Tckn) -> String {
    let digest = Sha256::new().chain_update(salt.as_bytes()).chain_update(tckn.as_str().as_bytes()).finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

impl Holder {
    pub fn new(certificate: &HoldersCertificate, now: DateTime<Utc>) -> Holder {
        let salt: [u8; 16] = rand::random();
        let salt: String = salt.iter().map(|b| format!("{b:02x}")).collect();
        Holder { tckn_hash: hash(&salt, &certificate.tckn), salt, renewing_not_after: certificate.not_after, since: now }
    }

    pub fn is(&self, tckn: &Tckn) -> bool {
        hash(&self.salt, tckn) == self.tckn_hash
    }

    /// A certificate of the same person that expires later than the one being renewed.
    pub fn renewed_by(&self, tckn: Option<&Tckn>, not_after: DateTime<Utc>) -> bool {
        tckn.is_some_and(|t| self.is(t)) && not_after > self.renewing_not_after
    }

    fn is_stale(&self, now: DateTime<Utc>) -> bool {
        now - self.since > chrono::Duration::days(HOLDER_DAYS)
    }
}

/// Remembers the holder's certificate from a card step (kept as it was when the same person's
/// was remembered before: the first one seen is the one being renewed).
pub fn remember(home: &Home, certificate: &HoldersCertificate) {
    let now = Utc::now();
    if let Some(known) = holder(home)
        && known.is(&certificate.tckn)
        && !known.is_stale(now)
    {
        return;
    }
    let _ = home.store(HOLDER, &Holder::new(certificate, now));
}

/// The remembered holder, unless there is none or it is stale.
pub fn holder(home: &Home) -> Option<Holder> {
    let holder: Option<Holder> = home.load(HOLDER);
    holder.filter(|h| !h.is_stale(Utc::now()))
}

/// The bot completed the request: nothing more to look for.
pub fn forget(home: &Home) {
    let _ = std::fs::remove_file(home.dir().join(HOLDER));
}

/// Watches for cards (blocking, until cancelled). With a holder remembered, the card present at
/// the start and every card inserted later is read; `seen` gets the DER of a renewed certificate.
pub fn watch(home: &Home, options: &Options, cancel: &Cancel, seen: &mut dyn FnMut(Vec<u8>)) {
    let mut look = true;
    while !cancel.is_cancelled() {
        if look && let Some(holder) = holder(home) {
            let (_, card) = preflight::run(&Options { now: Utc::now(), expected_tckn: None, ..options.clone() });
            if let Some(card) = card {
                let certificate = card.certificate();
                if holder.renewed_by(certificate.tckn.as_ref(), certificate.not_after) {
                    seen(certificate.der.clone());
                }
            }
        }
        look = wait_for_insertion(cancel);
    }
}

/// True when a card was inserted (or the service came back); false on a cancel or an error pause.
fn wait_for_insertion(cancel: &Cancel) -> bool {
    let Ok(mut watcher) = Pcsc::establish().and_then(|p| p.watcher()) else {
        std::thread::sleep(Duration::from_secs(5));
        return !cancel.is_cancelled();
    };
    let _ = watcher.next(Duration::ZERO);
    cancel.set_watcher(Some(watcher.canceller()));
    loop {
        if cancel.is_cancelled() {
            return false;
        }
        match watcher.next(Duration::from_secs(3600)) {
            Ok(events) if events.iter().any(|e| matches!(e, CardEvent::CardInserted { .. })) => return true,
            Ok(events) if events.contains(&CardEvent::ServiceStopped) => {
                std::thread::sleep(Duration::from_secs(2));
                return true;
            }
            Ok(_) => continue,
            Err(_) => {
                std::thread::sleep(Duration::from_secs(2));
                return true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_later_certificate_of_the_same_person_is_the_renewed_one() {
        let tckn = Tckn::parse("10000000146").unwrap();
        let other = Tckn::parse("10000000078").unwrap();
        let old = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let holder = Holder::new(&HoldersCertificate { tckn: tckn.clone(), not_after: old }, Utc::now());
        assert!(holder.renewed_by(Some(&tckn), old + chrono::Duration::days(3 * 365)));
        assert!(!holder.renewed_by(Some(&tckn), old), "the same certificate");
        assert!(!holder.renewed_by(Some(&other), old + chrono::Duration::days(900)));
        assert!(!holder.renewed_by(None, old + chrono::Duration::days(900)));
        let json = serde_json::to_string(&holder).unwrap();
        assert!(!json.contains("10000000146"), "no number in clear: {json}");
    }

    #[test]
    fn an_old_record_is_not_looked_at() {
        let certificate = HoldersCertificate { tckn: Tckn::parse("10000000146").unwrap(), not_after: Utc::now() };
        let holder = Holder::new(&certificate, Utc::now() - chrono::Duration::days(HOLDER_DAYS + 1));
        assert!(holder.is_stale(Utc::now()));
    }
}
