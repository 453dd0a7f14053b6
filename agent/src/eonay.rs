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

use crate::card::cert::{KeyKind, SigningCertificate};
use crate::card::preflight::{self, Diagnosis, Options};
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
pub struct Pending {
    pub ticket: TicketNo,
    expires_at: DateTime<Utc>,
    attestation: Attestation,
}

/// What the card showed when it was checked against the ticket's person.
pub enum CardChecked {
    /// Usable: open, PIN not asked yet.
    Usable(Card<Unverified>),
    /// Not usable: the diagnosis says why (already reported to the bot).
    NotUsable(Box<Diagnosis>),
}

/// A statement ready for the card: its exact bytes and until when the bot accepts it.
pub struct Prepared {
    pub ticket: TicketNo,
    pub bytes: Vec<u8>,
    pub expires_at: DateTime<Utc>,
}

/// How sending the signed statement ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    Accepted(TicketNo),
    /// The bot refused it: the message id says why.
    Refused(&'static str),
    /// The bot stayed out of reach: kept, sent again by the next run.
    SavedForLater,
    /// Another answer: the message id says what.
    Failed(&'static str),
}

/// The e-Onay step's parts, shared by the command line (`run`) and the window's wizard: each is
/// one call to the bot or the card, blocking (the window runs them off its own thread).
pub struct Eonay {
    home: Home,
    pairing: Pairing,
    api: BotApi,
    rt: tokio::runtime::Runtime,
}

impl Eonay {
    /// The paired PC's e-Onay; `Err(message id)` when not paired or nothing works.
    pub fn open(home: &Home, lang: Lang) -> Result<Eonay, &'static str> {
        let pairing = home.pairing().ok_or("run-not-paired")?;
        let api = BotApi::new(&pairing, lang).map_err(|_| "api-err-unexpected")?;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|_| "api-err-unexpected")?;
        Ok(Eonay { home: Home::at(home.dir()), pairing, api, rt })
    }

    /// A statement signed earlier that the bot never answered, while it is valid (it goes first).
    pub fn saved(&self) -> Option<Pending> {
        let pending = self.home.load::<Option<Pending>>(PENDING)?;
        if pending.expires_at > Utc::now() {
            return Some(pending);
        }
        forget_pending(&self.home);
        None
    }

    /// The ticket waiting for this PC's card step.
    pub fn card_step(&self) -> Result<CardStepInfo, ApiError> {
        match self.rt.block_on(self.api.card_step()) {
            Ok(Some(info)) => Ok(info),
            Ok(None) => Err(ApiError::NoCardStep),
            Err(e) => Err(e),
        }
    }

    /// The pre-flight against the ticket's person; a card that cannot be used is reported to the
    /// bot (the person's chat hears the same).
    pub fn check_card(&self, info: &CardStepInfo, options: &Options) -> CardChecked {
        let options = Options { now: Utc::now(), expected_tckn: Some(info.tckn.clone()), ..options.clone() };
        let (diagnosis, card) = preflight::run(&options);
        let on_card = card.as_ref().and_then(|c| c.certificate().tckn.clone());
        let finding = Finding::of(&diagnosis, Some(&info.tckn), on_card.as_ref());
        if let Some(own) = &finding.holders_own {
            renewal::remember(&self.home, own);
        }
        match card {
            Some(card) if diagnosis.usable => CardChecked::Usable(card),
            _ => {
                self.report_card(info.ticket_no, finding.problems);
                CardChecked::NotUsable(Box::new(diagnosis))
            }
        }
    }

    /// Tells the bot what the card showed (a locked PIN ends the request there).
    pub fn report_card(&self, ticket_no: TicketNo, problems: Vec<CardProblem>) {
        let report = CardCheckReport { ticket_no, usable: false, problems };
        if let Err(e) = self.rt.block_on(self.api.card_check(&report)) {
            self.home.log(&format!("e-Onay: the card check could not be sent: {e}"));
        }
    }

    /// A nonce from the bot and the statement built on it, for the card to sign.
    pub fn prepare(&self, info: &CardStepInfo) -> Result<Prepared, ApiError> {
        let challenge = self.rt.block_on(self.api.challenge(&info.ticket_no))?;
        let agent = Id::new(&self.pairing.agent_id).ok_or(ApiError::Unexpected)?;
        let statement = Statement {
            origin: self.api.origin().to_owned(),
            ticket: info.ticket_no,
            tckn: info.tckn.clone(),
            nonce: challenge.nonce.clone(),
            agent,
            signed_at: Utc::now().trunc_subsecs(0),
        };
        let expires_at = DateTime::parse_from_rfc3339(&challenge.expires_at).map(|t| t.to_utc()).unwrap_or_else(|_| Utc::now());
        Ok(Prepared { ticket: info.ticket_no, bytes: statement.encode(), expires_at })
    }

    /// The card's signature over the statement, kept before it is sent: a crash or a lost network
    /// between here and the verdict loses nothing. `None` when the card's key is of a kind the
    /// bot does not check.
    pub fn seal(&self, prepared: &Prepared, certificate: &SigningCertificate, signature: &[u8]) -> Option<Pending> {
        let algorithm = algorithm(certificate.key)?;
        let b64 = base64::engine::general_purpose::STANDARD;
        let attestation = Attestation {
            statement: b64.encode(&prepared.bytes),
            algorithm,
            signature: b64.encode(signature),
            certificate: b64.encode(&certificate.der),
        };
        let pending = Pending { ticket: prepared.ticket, expires_at: prepared.expires_at, attestation };
        if self.home.store(PENDING, &pending).is_err() {
            self.home.log("e-Onay: the signed statement could not be kept; sending it at once");
        }
        self.home.log(&format!("e-Onay: statement signed for {}", prepared.ticket));
        Some(pending)
    }

    /// Sends the signed statement until the bot answers (or for a while); `retrying` hears the
    /// first time the bot is out of reach.
    pub fn send(&self, pending: &Pending, retrying: &mut dyn FnMut()) -> Sent {
        let until = std::time::Instant::now() + SEND_FOR;
        let mut attempt = 0u32;
        loop {
            match self.rt.block_on(self.api.attest(&pending.attestation)) {
                Ok(Verdict::Accepted { ticket_no }) => {
                    forget_pending(&self.home);
                    self.home.log(&format!("e-Onay: accepted for {ticket_no}"));
                    return Sent::Accepted(ticket_no);
                }
                Ok(Verdict::Refused { reason, .. }) => {
                    forget_pending(&self.home);
                    self.home.log(&format!("e-Onay: refused ({})", reason.code()));
                    return Sent::Refused(reason.message_id());
                }
                Err(ApiError::Unreachable) if std::time::Instant::now() < until && pending.expires_at > Utc::now() => {
                    if attempt == 0 {
                        retrying();
                    }
                    attempt += 1;
                    std::thread::sleep(crate::link::run::backoff(attempt.min(3)));
                }
                Err(ApiError::Unreachable) => return Sent::SavedForLater,
                Err(e) => {
                    forget_pending(&self.home);
                    return Sent::Failed(e.message_id());
                }
            }
        }
    }
}

/// Runs the step at the terminal; the exit code: 0 e-Onay recorded, 1 not (said why), 2 bad input.
pub fn run(catalog: &Catalog, lang: Lang, home: &Home, options: &EonayOptions) -> i32 {
    let say = |id: &str, args: &[(&str, Arg)]| println!("{}", catalog.text(lang, id, args));
    let Some(url) = checked_url(&options.kamu_sm_url) else {
        say("eonay-bad-url", &[("url", Arg::from(options.kamu_sm_url.as_str()))]);
        return 2;
    };
    let eonay = match Eonay::open(home, lang) {
        Ok(eonay) => eonay,
        Err(id) => {
            say(id, &[]);
            return 1;
        }
    };
    if let Some(pending) = eonay.saved() {
        say("eonay-sending-saved", &[("ticket", Arg::from(pending.ticket.to_string()))]);
        return said_verdict(catalog, lang, &eonay, &pending);
    }
    let info = match eonay.card_step() {
        Ok(info) => info,
        Err(e) => {
            say(e.message_id(), &[]);
            return 1;
        }
    };
    say("eonay-title", &[("ticket", Arg::from(info.ticket_no.to_string()))]);
    let card = match eonay.check_card(&info, &options.card) {
        CardChecked::Usable(card) => card,
        CardChecked::NotUsable(diagnosis) => {
            println!("{}", report::diagnosis(catalog, lang, &diagnosis));
            return 1;
        }
    };
    let (name, masked) = (printable(&card.certificate().holder), info.tckn.masked());
    let who = [("name", Arg::from(name.as_str())), ("tckn", Arg::from(masked.as_str()))];
    say("eonay-card-ok", &who);
    if open_page(&url, options.open_browser) {
        say("eonay-browser-opened", &[("url", Arg::from(url.as_str()))]);
    } else {
        say("eonay-open-yourself", &[("url", Arg::from(url.as_str()))]);
    }
    say("eonay-steps", &who);
    if !confirmed(catalog, lang) {
        say("eonay-not-confirmed", &[]);
        return 1;
    }
    let prepared = match eonay.prepare(&info) {
        Ok(prepared) => prepared,
        Err(e) => {
            say(e.message_id(), &[]);
            return 1;
        }
    };
    say("eonay-statement", &[("sentence", Arg::from(Statement::sentence(&info.ticket_no)))]);
    if algorithm(card.certificate().key).is_none() {
        say("eonay-key-unsupported", &[]);
        return 1;
    }
    let certificate = card.certificate().clone();
    let signature = match prompt::sign_with_pin(catalog, lang, card, &prepared.bytes, Attempts::WhileTheCardAllows) {
        Ok(signature) => signature,
        Err(Stop::Card(CardError::PinLocked)) => {
            eonay.report_card(info.ticket_no, vec![CardProblem::PinLocked]);
            say("eonay-locked-reported", &[]);
            return 1;
        }
        Err(_) => {
            say("eonay-not-signed", &[]);
            return 1;
        }
    };
    let Some(pending) = eonay.seal(&prepared, &certificate, &signature) else {
        say("eonay-key-unsupported", &[]);
        return 1;
    };
    said_verdict(catalog, lang, &eonay, &pending)
}

/// Sends and says the verdict in our own words.
fn said_verdict(catalog: &Catalog, lang: Lang, eonay: &Eonay, pending: &Pending) -> i32 {
    let say = |id: &str, args: &[(&str, Arg)]| println!("{}", catalog.text(lang, id, args));
    match eonay.send(pending, &mut || say("eonay-bot-unreachable-retrying", &[])) {
        Sent::Accepted(ticket) => {
            say("eonay-accepted", &[("ticket", Arg::from(ticket.to_string()))]);
            0
        }
        Sent::Refused(id) | Sent::Failed(id) => {
            say(id, &[]);
            1
        }
        Sent::SavedForLater => {
            say("eonay-saved-for-later", &[]);
            1
        }
    }
}

/// Opens Kamu SM's page in the browser; false when it could not (the person opens it).
pub fn open_page(url: &str, open_browser: bool) -> bool {
    open_browser && open::that_detached(url).is_ok()
}

/// "e-Onay tamamlandı" in the person's words: yes, no, or asked again (three times).
fn confirmed(catalog: &Catalog, lang: Lang) -> bool {
    for _ in 0..3 {
        let Some(answer) = prompt::read_answer(&catalog.text(lang, "eonay-confirm-prompt", &[])) else { return false };
        match yes_or_no(&answer) {
            Some(yes) => return yes,
            None => println!("{}", catalog.text(lang, "eonay-confirm-again", &[])),
        }
    }
    false
}

fn forget_pending(home: &Home) {
    let _ = std::fs::remove_file(home.dir().join(PENDING));
}

/// Whether the bot can check what this card's key signs.
pub fn signs_for_the_bot(certificate: &SigningCertificate) -> bool {
    algorithm(certificate.key).is_some()
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
pub fn checked_url(url: &str) -> Option<String> {
    let url = url.trim();
    let clean = !url.is_empty() && url.len() <= 300 && !url.chars().any(|c| c.is_control() || c.is_whitespace() || c == '"' || c == '\'');
    let scheme_ok = url.starts_with("https://") || crate::link::checked_server(url).is_some_and(|s| s.starts_with("http://"));
    (clean && scheme_ok).then(|| url.to_owned())
}

/// A name from the card as it may be printed: no control characters, bounded.
pub fn printable(text: &str) -> String {
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
