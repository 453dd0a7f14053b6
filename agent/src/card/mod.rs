//! The card layer: find the reader and the e-İmza card, read and check the certificate, guard the
//! PIN, sign.
//!
//! # Layout
//! - [`apdu`]: command/response APDUs and the `61xx`/`6Cxx` rules, over a byte [`apdu::Transport`].
//! - `pcsc_io`: the only module that imports `pcsc` — readers, card watching, the transport.
//! - [`atr`]: AKİS recognition by historical bytes.
//! - `profile`: the APDU back-end (AKİS test profile from CARD.md).
//! - `pkcs11`: the PKCS#11 back-end (Kamu SM's `akisp11`, SoftHSM in tests).
//! - [`cert`]: the signing certificate and the checks made before any PIN is asked.
//! - [`pin`]: the PIN (six digits, wiped after use) and the tries counter.
//! - [`session`]: [`Card<Unverified>`](session::Card) → `Card<Verified>`: signing exists only
//!   after the PIN was verified, and the PIN guard (tries read first, last try confirmed twice)
//!   cannot be skipped.
//! - [`preflight`]: choose reader, card and back-end; the diagnosis `eimza-agent kart` prints.
//!
//! Nothing here logs a PIN, a certificate's holder or an identity number.

pub mod apdu;
pub mod atr;
pub mod cert;
mod pcsc_io;
pub mod pin;
mod pkcs11;
pub mod preflight;
mod profile;
pub mod session;

use eimza_protocol::Arg;
use serde::Serialize;

pub use pcsc_io::{CardEvent, Pcsc, ReaderSnapshot, WatchCanceller, Watcher};
pub use pin::{LastTry, Pin, PinFormatError, PinTries};
pub use pkcs11::{Pkcs11Module, default_module_paths};
pub use profile::ApduBackend;
pub use session::{Card, Unverified, Verified};

/// Which way the agent talks to the card.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackendKind {
    Apdu,
    Pkcs11,
}

/// The card operations both back-ends offer. Only [`session::Card`] calls `verify_pin` and
/// `sign_digest`, so the PIN guard and the typestate cannot be bypassed.
pub trait Backend: Send {
    fn kind(&self) -> BackendKind;
    /// The signing certificate, DER.
    fn read_certificate(&mut self) -> Result<Vec<u8>, CardError>;
    /// Reads the counter without using a try.
    fn pin_tries(&mut self) -> Result<PinTries, CardError>;
    fn verify_pin(&mut self, pin: &Pin) -> Result<(), CardError>;
    /// Signs a SHA-256 digest with the signing key: RSA PKCS#1 v1.5 or ECDSA P-256 (raw r‖s).
    fn sign_digest(&mut self, digest: &[u8; 32], key: cert::KeyKind) -> Result<Vec<u8>, CardError>;
}

/// Everything that can go wrong on the card side, each with a Turkish explanation of what to do.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    #[error("the smart-card service (pcscd) is not running")]
    NoService,
    #[error("no card reader is connected")]
    NoReader,
    #[error("the reader was removed or is unavailable")]
    ReaderGone,
    #[error("no card in the reader")]
    NoCard,
    #[error("the card was removed")]
    CardRemoved,
    #[error("the card was reset by another program")]
    CardReset,
    #[error("another program is using the card")]
    CardBusy,
    #[error("not an AKİS card (ATR {atr})")]
    NotAkis { atr: String },
    #[error("no signing certificate on the card")]
    NoCertificate,
    #[error("the certificate on the card cannot be read")]
    BadCertificate,
    #[error("the PIN is locked")]
    PinLocked,
    #[error("wrong PIN ({tries:?})")]
    WrongPin { tries: PinTries },
    #[error("the last PIN try needs a second confirmation")]
    LastTryNeedsConfirmation,
    #[error("PIN format: {0:?}")]
    PinFormat(PinFormatError),
    #[error("the PIN was not verified")]
    NotVerified,
    #[error("the card refused with status {sw:04X}")]
    Refused { sw: u16 },
    #[error("card protocol error: {0}")]
    Protocol(&'static str),
    #[error("PKCS#11 module not usable: {path}")]
    Pkcs11Module { path: String },
    #[error("the PKCS#11 module shows no card")]
    NoToken,
    #[error("PKCS#11 {function} failed: {detail}")]
    Pkcs11 { function: String, detail: String },
    #[error("the signature does not verify against the certificate")]
    SignatureInvalid,
    #[error("PC/SC: {0}")]
    Pcsc(String),
}

impl CardError {
    /// A stable code for `--json` and the log.
    pub fn code(&self) -> &'static str {
        match self {
            CardError::NoService => "no-service",
            CardError::NoReader => "no-reader",
            CardError::ReaderGone => "reader-gone",
            CardError::NoCard => "no-card",
            CardError::CardRemoved => "card-removed",
            CardError::CardReset => "card-reset",
            CardError::CardBusy => "card-busy",
            CardError::NotAkis { .. } => "not-akis",
            CardError::NoCertificate => "no-certificate",
            CardError::BadCertificate => "bad-certificate",
            CardError::PinLocked => "pin-locked",
            CardError::WrongPin { .. } => "wrong-pin",
            CardError::LastTryNeedsConfirmation => "last-try-needs-confirmation",
            CardError::PinFormat(_) => "pin-format",
            CardError::NotVerified => "pin-not-verified",
            CardError::Refused { .. } => "card-refused",
            CardError::Protocol(_) => "card-protocol",
            CardError::Pkcs11Module { .. } => "pkcs11-module",
            CardError::NoToken => "no-token",
            CardError::Pkcs11 { .. } => "pkcs11",
            CardError::SignatureInvalid => "signature-invalid",
            CardError::Pcsc(_) => "pcsc",
        }
    }

    /// How the bot hears of it.
    pub fn problem(&self) -> eimza_protocol::wire::CardProblem {
        use eimza_protocol::wire::CardProblem as P;
        match self {
            CardError::NoService => P::NoService,
            CardError::NoReader => P::NoReader,
            CardError::ReaderGone => P::ReaderGone,
            CardError::NoCard => P::NoCard,
            CardError::CardRemoved => P::CardRemoved,
            CardError::CardReset => P::CardReset,
            CardError::CardBusy => P::CardBusy,
            CardError::NotAkis { .. } => P::NotAkis,
            CardError::NoCertificate => P::NoCertificate,
            CardError::BadCertificate => P::BadCertificate,
            CardError::PinLocked => P::PinLocked,
            CardError::Pkcs11Module { .. } => P::Pkcs11Module,
            CardError::NoToken => P::NoToken,
            CardError::WrongPin { .. }
            | CardError::LastTryNeedsConfirmation
            | CardError::PinFormat(_)
            | CardError::NotVerified
            | CardError::Refused { .. }
            | CardError::Protocol(_)
            | CardError::Pkcs11 { .. }
            | CardError::SignatureInvalid
            | CardError::Pcsc(_) => P::Internal,
        }
    }

    /// The Fluent message a person reads, with its variables.
    pub fn message(&self) -> (&'static str, Vec<(&'static str, Arg)>) {
        match self {
            CardError::NoService => ("card-err-no-service", vec![]),
            CardError::NoReader => ("card-err-no-reader", vec![]),
            CardError::ReaderGone => ("card-err-reader-gone", vec![]),
            CardError::NoCard => ("card-err-no-card", vec![]),
            CardError::CardRemoved => ("card-err-card-removed", vec![]),
            CardError::CardReset => ("card-err-card-reset", vec![]),
            CardError::CardBusy => ("card-err-card-busy", vec![]),
            CardError::NotAkis { atr } => ("card-err-not-akis", vec![("atr", Arg::from(atr.as_str()))]),
            CardError::NoCertificate => ("card-err-no-certificate", vec![]),
            CardError::BadCertificate => ("card-err-bad-certificate", vec![]),
            CardError::PinLocked => ("card-err-pin-locked", vec![]),
            CardError::WrongPin { tries } => match tries.count() {
                Some(n) => ("card-err-wrong-pin", vec![("tries", Arg::Num(n.into()))]),
                None => ("card-err-wrong-pin-unknown", vec![]),
            },
            CardError::LastTryNeedsConfirmation => ("card-err-last-try", vec![]),
            CardError::PinFormat(e) => (e.message_id(), vec![]),
            CardError::NotVerified => ("card-err-not-verified", vec![]),
            CardError::Refused { sw } => ("card-err-refused", vec![("sw", Arg::from(format!("{sw:04X}")))]),
            CardError::Protocol(_) | CardError::Pcsc(_) => ("card-err-unexpected", vec![]),
            CardError::Pkcs11Module { path } => ("card-err-pkcs11-module", vec![("path", Arg::from(path.as_str()))]),
            CardError::NoToken => ("card-err-no-token", vec![]),
            CardError::Pkcs11 { .. } => ("card-err-unexpected", vec![]),
            CardError::SignatureInvalid => ("card-err-signature-invalid", vec![]),
        }
    }
}
