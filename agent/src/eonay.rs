//! `eimza-agent eonay`: the guided e-Onay step and its proof.
//!
//! 1. The bot says which ticket waits for this PC's card step (and whose it is).
//! 2. The pre-flight checks the card against that person, before anything else; a card that
//!    cannot be used is explained here and reported to the bot (a locked PIN ends the request).
//! 3. Kamu SM's online operations page opens in the browser; the steps are shown with the
//!    person's own name and masked number from the card; the person confirms e-Onay is done.
//! 4. A one-time nonce from the bot; the statement (`eimza_protocol::attest`) with the sentence
//!    the person agrees to is shown; the PIN (tries shown, last try guarded, never retried by us);
//!    the card signs the statement's exact bytes.
//! 5. The signed statement is kept in the agent's folder until the bot gives its verdict, so a bot
//!    restart or a lost network loses nothing: it is sent again (by this run, or the next one).
//!
//! It talks to the bot over HTTP with the stored agent token, independently of `calis` (which may
//! or may not run). From a pipe every answer is one line: the confirmation, then the PIN(s).

use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, SubsecRound, Utc};
use eimza_protocol::attest::{Attestation, CardCheckReport, CardStepInfo, SignatureAlgorithm, Statement, Verdict};
use eimza_protocol::wire::{CardProblem, Id};
use eimza_protocol::{Arg, Catalog, Lang, TicketNo};
use serde::{Deserialize, Serialize};

use crate::card::cert::KeyKind;
use crate::card::preflight::{self, Options};
use crate::card::{Card, CardError, Unverified};
use crate::link::api::{ApiError, BotApi};
use crate::link::card_step::Finding;
use crate::link::home::{Home, Pairing};
use crate::link::renewal;
use crate::prompt::{self, Attempts, Stop};
use crate::report;

/// Kamu SM's online operations site (CARD.md, "e-Onay").
pub const KAMU_SM_URL: &str = "https://onlineislemler.kamusm.gov.tr/";

const PENDING: &str = "attestation.json";
/// How long an unreachable bot is tried again before the statement is left for the next run.
const SEND_FOR: Duration = Duration::from_secs(90);

pub struct EonayOptions {
    pub card: Options,
    /// The page to open (checked: `https://`, or `http://` on this machine).
    pub kamu_sm_url: String,
    pub open_browser: bool,
}

/// A signed statement the bot has not answered yet.
#[derive(Serialize, Deserialize)]
struct Pending {
    ticket: TicketNo,
    expires_at: DateTime<Utc>,
    attestation: Attestation,
}

struct Step<'a> {
    catalog: &'a Catalog,
    lang: Lang,
    home: &'a Home,
    api: BotApi,
    rt: tokio::runtime::Runtime,
}

impl Step<'_> {
    fn say(&self, id: &str, args: &[(&str, Arg)]) {
        println!("{}", self.catalog.text(self.lang, id, args));
    }

    fn t(&self, id: &str) -> String {
        self.catalog.text(self.lang, id, &[])
    }
}

/// Runs the step; the exit code: 0 e-Onay recorded, 1 not (said why), 2 bad input.
pub fn run(catalog: &Catalog, lang: Lang, home: &Home, options: &EonayOptions) -> i32 {
    let Some(url) = checked_url(&options.kamu_sm_url) else {
        println!("{}", catalog.text(lang, "eonay-bad-url", &[("url", Arg::from(options.kamu_sm_url.as_str()))]));
        return 2;
    };
    let Some(pairing) = home.pairing() else {
        println!("{}", catalog.text(lang, "run-not-paired", &[]));
        return 1;
    };
    let (Ok(api), Ok(rt)) = (BotApi::new(&pairing, lang), tokio::runtime::Builder::new_current_thread().enable_all().build()) else {
        println!("{}", catalog.text(lang, "api-err-unexpected", &[]));
        return 1;
    };
    let step = Step { catalog, lang, home, api, rt };
    // A statement signed earlier that the bot never answered goes first, while it is valid.
    if let Some(pending) = step.home.load::<Option<Pending>>(PENDING) {
        if pending.expires_at > Utc::now() {
            step.say("eonay-sending-saved", &[("ticket", Arg::from(pending.ticket.to_string()))]);
            return step.send(&pending);
        }
        forget_pending(home);
    }
    let info = match step.rt.block_on(step.api.card_step()) {
        Ok(Some(info)) => info,
        Ok(None) => {
            step.say("eonay-no-card-step", &[]);
            return 1;
        }
        Err(e) => {
            step.say(e.message_id(), &[]);
            return 1;
        }
    };
    step.say("eonay-title", &[("ticket", Arg::from(info.ticket_no.to_string()))]);
    let Some(card) = step.card(&info, &options.card) else { return 1 };
    step.guide(&info, card.certificate(), &url, options.open_browser);
    if !step.confirmed() {
        step.say("eonay-not-confirmed", &[]);
        return 1;
    }
    step.attest(&pairing, &info, card)
}

impl Step<'_> {
    /// The pre-flight against the ticket's person; a card that cannot be used is explained and
    /// reported to the bot (the person's chat hears the same).
    fn card(&self, info: &CardStepInfo, options: &Options) -> Option<Card<Unverified>> {
        let options = Options { now: Utc::now(), expected_tckn: Some(info.tckn.clone()), ..options.clone() };
        let (diagnosis, card) = preflight::run(&options);
        let on_card = card.as_ref().and_then(|c| c.certificate().tckn.clone());
        let finding = Finding::of(&diagnosis, Some(&info.tckn), on_card.as_ref());
        if let Some(own) = &finding.holders_own {
            renewal::remember(self.home, own);
        }
        match card {
            Some(card) if diagnosis.usable => Some(card),
            _ => {
                println!("{}", report::diagnosis(self.catalog, self.lang, &diagnosis));
                self.report_card(info.ticket_no, finding.problems);
                None
            }
        }
    }

    /// Tells the bot what the card showed (a locked PIN ends the request there).
    fn report_card(&self, ticket_no: TicketNo, problems: Vec<CardProblem>) {
        let report = CardCheckReport { ticket_no, usable: false, problems };
        if let Err(e) = self.rt.block_on(self.api.card_check(&report)) {
            self.home.log(&format!("e-Onay: the card check could not be sent: {e}"));
        }
    }

    /// Opens Kamu SM's page and shows the steps with the person's own name and number.
    fn guide(&self, info: &CardStepInfo, certificate: &crate::card::cert::SigningCertificate, url: &str, open_browser: bool) {
        let name = printable(&certificate.holder);
        let masked = info.tckn.masked();
        self.say("eonay-card-ok", &[("name", Arg::from(name.as_str())), ("tckn", Arg::from(masked.as_str()))]);
        let opened = open_browser && open::that_detached(url).is_ok();
        if opened {
            self.say("eonay-browser-opened", &[("url", Arg::from(url))]);
        } else {
            self.say("eonay-open-yourself", &[("url", Arg::from(url))]);
        }
        self.say("eonay-steps", &[("name", Arg::from(name.as_str())), ("tckn", Arg::from(masked.as_str()))]);
    }

    /// "e-Onay tamamlandı" in the person's words: yes, no, or asked again (three times).
    fn confirmed(&self) -> bool {
        for _ in 0..3 {
            let Some(answer) = prompt::read_answer(&self.t("eonay-confirm-prompt")) else { return false };
            match yes_or_no(&answer) {
                Some(yes) => return yes,
                None => self.say("eonay-confirm-again", &[]),
            }
        }
        false
    }

    /// Nonce, statement, PIN, signature; then the bot's verdict.
    fn attest(&self, pairing: &Pairing, info: &CardStepInfo, card: Card<Unverified>) -> i32 {
        let challenge = match self.rt.block_on(self.api.challenge(&info.ticket_no)) {
            Ok(c) => c,
            Err(e) => {
                self.say(e.message_id(), &[]);
                return 1;
            }
        };
        let Some(agent) = Id::new(&pairing.agent_id) else {
            self.say("api-err-unexpected", &[]);
            return 1;
        };
        let statement = Statement {
            origin: self.api.origin().to_owned(),
            ticket: info.ticket_no,
            tckn: info.tckn.clone(),
            nonce: challenge.nonce.clone(),
            agent,
            signed_at: Utc::now().trunc_subsecs(0),
        };
        self.say("eonay-statement", &[("sentence", Arg::from(Statement::sentence(&info.ticket_no)))]);
        let Some(algorithm) = algorithm(card.certificate().key) else {
            self.say("eonay-key-unsupported", &[]);
            return 1;
        };
        let der = card.certificate().der.clone();
        let bytes = statement.encode();
        let signature = match prompt::sign_with_pin(self.catalog, self.lang, card, &bytes, Attempts::WhileTheCardAllows) {
            Ok(signature) => signature,
            Err(Stop::Card(CardError::PinLocked)) => {
                self.report_card(info.ticket_no, vec![CardProblem::PinLocked]);
                self.say("eonay-locked-reported", &[]);
                return 1;
            }
            Err(_) => {
                self.say("eonay-not-signed", &[]);
                return 1;
            }
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        let attestation =
            Attestation { statement: b64.encode(&bytes), algorithm, signature: b64.encode(&signature), certificate: b64.encode(&der) };
        let expires_at = DateTime::parse_from_rfc3339(&challenge.expires_at).map(|t| t.to_utc()).unwrap_or_else(|_| Utc::now());
        let pending = Pending { ticket: info.ticket_no, expires_at, attestation };
        // Kept before it is sent: a crash or a lost network between here and the verdict loses
        // nothing.
        if self.home.store(PENDING, &pending).is_err() {
            self.home.log("e-Onay: the signed statement could not be kept; sending it at once");
        }
        self.home.log(&format!("e-Onay: statement signed for {}", info.ticket_no));
        self.send(&pending)
    }

    /// Sends the signed statement until the bot answers (or for a while), and says the verdict
    /// in our own words.
    fn send(&self, pending: &Pending) -> i32 {
        let until = std::time::Instant::now() + SEND_FOR;
        let mut attempt = 0u32;
        loop {
            match self.rt.block_on(self.api.attest(&pending.attestation)) {
                Ok(Verdict::Accepted { ticket_no }) => {
                    forget_pending(self.home);
                    self.home.log(&format!("e-Onay: accepted for {ticket_no}"));
                    self.say("eonay-accepted", &[("ticket", Arg::from(ticket_no.to_string()))]);
                    return 0;
                }
                Ok(Verdict::Refused { reason, .. }) => {
                    forget_pending(self.home);
                    self.home.log(&format!("e-Onay: refused ({})", reason.code()));
                    self.say(reason.message_id(), &[]);
                    return 1;
                }
                Err(ApiError::Unreachable) if std::time::Instant::now() < until && pending.expires_at > Utc::now() => {
                    if attempt == 0 {
                        self.say("eonay-bot-unreachable-retrying", &[]);
                    }
                    attempt += 1;
                    std::thread::sleep(crate::link::run::backoff(attempt.min(3)));
                }
                Err(ApiError::Unreachable) => {
                    self.say("eonay-saved-for-later", &[]);
                    return 1;
                }
                Err(e) => {
                    forget_pending(self.home);
                    self.say(e.message_id(), &[]);
                    return 1;
                }
            }
        }
    }
}

fn forget_pending(home: &Home) {
    let _ = std::fs::remove_file(home.dir().join(PENDING));
}

/// How the card signs: the card layer signs SHA-256 digests (RSA PKCS#1 v1.5, ECDSA P-256 r‖s).
fn algorithm(key: KeyKind) -> Option<SignatureAlgorithm> {
    match key {
        KeyKind::Rsa { .. } => Some(SignatureAlgorithm::RsaPkcs1Sha256),
        KeyKind::EcP256 => Some(SignatureAlgorithm::EcdsaP256Sha256),
        KeyKind::Other => None,
    }
}

/// Evet / hayır in either language, any case (Turkish-folded).
fn yes_or_no(answer: &str) -> Option<bool> {
    let folded = eimza_protocol::turkish::to_lower(answer.trim());
    let folded = folded.trim_end_matches(['.', '!']);
    match folded {
        "evet" | "e" | "tamam" | "tamamlandı" | "tamamladım" | "yes" | "y" | "done" => Some(true),
        "hayır" | "hayir" | "h" | "no" | "n" | "henüz değil" | "not yet" => Some(false),
        _ => None,
    }
}

/// The page to open: `https://`, or `http://` on this machine (tests); one line, no spaces.
fn checked_url(url: &str) -> Option<String> {
    let url = url.trim();
    let clean = !url.is_empty() && url.len() <= 300 && !url.chars().any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '\'');
    let scheme_ok = url.starts_with("https://") || crate::link::checked_server(url).is_some_and(|s| s.starts_with("http://"));
    (clean && scheme_ok).then(|| url.to_owned())
}

/// A name from the card as it may be printed: no control characters, bounded.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_in_either_language_and_any_case() {
        for yes in ["evet", "EVET", "Evet.", "e", "TAMAMLANDI", "Tamamlandı", "yes", " Y "] {
            assert_eq!(yes_or_no(yes), Some(true), "{yes}");
        }
        for no in ["hayır", "HAYIR", "Hayir", "no", "henüz değil"] {
            assert_eq!(yes_or_no(no), Some(false), "{no}");
        }
        for unclear in ["", "belki", "evet hayır", "1"] {
            assert_eq!(yes_or_no(unclear), None, "{unclear}");
        }
    }

    #[test]
    fn only_a_clean_https_page_is_opened() {
        assert_eq!(checked_url(KAMU_SM_URL).as_deref(), Some(KAMU_SM_URL));
        assert!(checked_url("http://127.0.0.1:9/x").is_some());
        for bad in ["http://kamusm.gov.tr", "file:///etc/passwd", "https://a b", "https://a\"&calc", "javascript:alert(1)", ""] {
            assert_eq!(checked_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_card_signs_with_an_algorithm_the_bot_knows() {
        assert_eq!(algorithm(KeyKind::Rsa { bits: 2048 }), Some(SignatureAlgorithm::RsaPkcs1Sha256));
        assert_eq!(algorithm(KeyKind::EcP256), Some(SignatureAlgorithm::EcdsaP256Sha256));
        assert_eq!(algorithm(KeyKind::Other), None);
    }

    #[test]
    fn names_from_the_card_print_on_one_line() {
        assert_eq!(printable("AYŞE\u{1b}[2J YILMAZ\n"), "AYŞE[2J YILMAZ");
    }
}
