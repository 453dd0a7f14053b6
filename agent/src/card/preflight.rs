//! The pre-flight: find the reader and the card, choose the back-end, read and check the
//! certificate, read the PIN counter — without ever asking for the PIN. The result is a
//! [`Diagnosis`] (what `eimza-agent kart` prints) and, when the card can be used, the open card.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use eimza_protocol::Tckn;
use serde::Serialize;

use super::atr::{self, AkisFamily};
use super::cert::{CertProblem, KeyKind, SigningCertificate};
use super::{ApduBackend, Backend, BackendKind, Card, CardError, Pcsc, PinTries, Pkcs11Module, ReaderSnapshot, Unverified};

/// How to choose the back-end.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackendChoice {
    /// PKCS#11 when a module is configured or installed and shows a card; APDU otherwise.
    #[default]
    Auto,
    Apdu,
    Pkcs11,
}

#[derive(Clone, Debug)]
pub struct Options {
    /// Use this reader only (several readers, or tests sharing a machine).
    pub reader: Option<String>,
    pub backend: BackendChoice,
    pub pkcs11_module: Option<PathBuf>,
    /// The ticket's identity number; `None` for a plain diagnosis.
    pub expected_tckn: Option<Tckn>,
    pub issuers: Vec<String>,
    pub now: DateTime<Utc>,
}

/// What the pre-flight found. Field names are stable: `eimza-agent kart --json` prints this.
#[derive(Clone, Debug, Serialize)]
pub struct Diagnosis {
    pub pcsc_service: bool,
    pub readers: Vec<ReaderReport>,
    pub reader: Option<String>,
    pub atr: Option<String>,
    pub akis_family: Option<AkisFamily>,
    pub backend: Option<BackendKind>,
    pub pkcs11_module: Option<String>,
    pub certificate: Option<CertificateReport>,
    pub problems: Vec<ProblemReport>,
    pub pin_tries: Option<PinTries>,
    pub error: Option<ErrorReport>,
    pub usable: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct ReaderReport {
    pub name: String,
    pub card_present: bool,
    pub atr: Option<String>,
    pub akis_family: Option<AkisFamily>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CertificateReport {
    pub holder: String,
    pub tckn_masked: Option<String>,
    pub issuer: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub renewal_window_opens: DateTime<Utc>,
    pub key: KeyKind,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProblemReport {
    pub code: &'static str,
    #[serde(skip)]
    pub problem: CertProblem,
}

#[derive(Clone, Debug, Serialize)]
pub struct ErrorReport {
    pub code: &'static str,
    #[serde(skip)]
    pub error: CardError,
}

impl Diagnosis {
    /// Nothing found yet: no service, no reader, no card.
    pub fn empty() -> Diagnosis {
        Diagnosis {
            pcsc_service: false,
            readers: Vec::new(),
            reader: None,
            atr: None,
            akis_family: None,
            backend: None,
            pkcs11_module: None,
            certificate: None,
            problems: Vec::new(),
            pin_tries: None,
            error: None,
            usable: false,
        }
    }

    fn fail(mut self, error: CardError) -> (Diagnosis, Option<Card<Unverified>>) {
        self.error = Some(ErrorReport { code: error.code(), error });
        self.usable = false;
        (self, None)
    }
}

/// With several cards in the module's readers: the one that belongs to the ticket's person, else
/// the one in the PC/SC reader we picked, else the first.
fn choose_token(
    module: &Pkcs11Module,
    tokens: &[super::pkcs11::TokenInfo],
    reader: Option<&str>,
    expected: Option<&Tckn>,
) -> Option<Result<super::pkcs11::Pkcs11Backend, CardError>> {
    if tokens.len() > 1
        && let Some(expected) = expected
    {
        for token in tokens {
            let Ok(mut backend) = module.open(token.slot) else { continue };
            let owner = backend.read_certificate().ok().and_then(|der| SigningCertificate::parse(&der).ok()).and_then(|c| c.tckn);
            if owner.as_ref() == Some(expected) {
                return Some(Ok(backend));
            }
        }
    }
    let by_reader = reader.and_then(|name| tokens.iter().find(|t| t.slot_description.contains(name)));
    let first_usable = || tokens.iter().find(|t| module.open(t.slot).is_ok());
    by_reader.or_else(first_usable).map(|token| module.open(token.slot))
}

/// Runs the pre-flight. Never asks for the PIN and never uses a try.
pub fn run(options: &Options) -> (Diagnosis, Option<Card<Unverified>>) {
    let mut d = Diagnosis::empty();
    let pcsc = Pcsc::establish();
    let (pcsc, readers) = match pcsc.and_then(|p| p.readers().map(|r| (p, r))) {
        Ok((p, r)) => (Some(p), r),
        Err(_) => (None, Vec::new()),
    };
    d.pcsc_service = pcsc.is_some();
    d.readers = readers
        .iter()
        .map(|r| ReaderReport {
            name: r.name.clone(),
            card_present: r.atr.is_some(),
            atr: r.atr.as_deref().map(atr::hex),
            akis_family: r.atr.as_deref().and_then(atr::recognise),
        })
        .collect();
    let pcsc_card = pick_card(pcsc.is_some(), &readers, options.reader.as_deref());
    if let Ok(reader) = &pcsc_card {
        d.reader = Some(reader.name.clone());
        d.atr = reader.atr.as_deref().map(atr::hex);
        d.akis_family = reader.atr.as_deref().and_then(atr::recognise);
    }
    let backend = match choose_backend(options, &mut d, pcsc.as_ref(), pcsc_card) {
        Ok(b) => b,
        Err(e) => return d.fail(e),
    };
    d.backend = Some(backend.kind());
    let mut card = match Card::open(backend) {
        Ok(c) => c,
        Err(e) => return d.fail(e),
    };
    check_certificate(&mut d, card.certificate(), options);
    match card.pin_tries() {
        Ok(tries) => d.pin_tries = Some(tries),
        Err(e) => return d.fail(e),
    }
    d.usable = d.problems.is_empty() && !d.pin_tries.is_some_and(PinTries::is_locked);
    (d, Some(card))
}

/// The PC/SC card: in the chosen reader, or the first AKİS card in any reader.
fn pick_card<'r>(service: bool, readers: &'r [ReaderSnapshot], chosen: Option<&str>) -> Result<&'r ReaderSnapshot, CardError> {
    match chosen {
        _ if !service => Err(CardError::NoService),
        Some(name) => readers.iter().find(|r| r.name == name).ok_or(CardError::ReaderGone).and_then(|r| match &r.atr {
            None => Err(CardError::NoCard),
            Some(_) => Ok(r),
        }),
        None if readers.is_empty() => Err(CardError::NoReader),
        None => {
            let with_card: Vec<&ReaderSnapshot> = readers.iter().filter(|r| r.atr.is_some()).collect();
            with_card
                .iter()
                .find(|r| r.atr.as_deref().and_then(atr::recognise).is_some())
                .or(with_card.first())
                .copied()
                .ok_or(CardError::NoCard)
        }
    }
}

/// PKCS#11 when a module is configured or installed and shows a card (the ticket person's own
/// among several); plain APDUs to the PC/SC card otherwise.
fn choose_backend(
    options: &Options,
    d: &mut Diagnosis,
    pcsc: Option<&Pcsc>,
    pcsc_card: Result<&ReaderSnapshot, CardError>,
) -> Result<Box<dyn Backend>, CardError> {
    if options.backend != BackendChoice::Apdu {
        match Pkcs11Module::find(options.pkcs11_module.as_deref()) {
            Some(Ok(module)) => {
                d.pkcs11_module = Some(module.path().display().to_string());
                let tokens = module.tokens()?;
                match choose_token(&module, &tokens, d.reader.as_deref(), options.expected_tckn.as_ref()) {
                    Some(backend) => return backend.map(|b| Box::new(b) as Box<dyn Backend>),
                    None if options.backend == BackendChoice::Pkcs11 => return Err(CardError::NoToken),
                    None => {}
                }
            }
            Some(Err(e)) if options.backend == BackendChoice::Pkcs11 || options.pkcs11_module.is_some() => return Err(e),
            None if options.backend == BackendChoice::Pkcs11 => {
                return Err(CardError::Pkcs11Module { path: super::default_module_paths()[0].display().to_string() });
            }
            _ => {}
        }
    }
    let reader = pcsc_card?;
    let atr_bytes = reader.atr.clone().unwrap_or_default();
    if atr::recognise(&atr_bytes).is_none() {
        return Err(CardError::NotAkis { atr: atr::hex(&atr_bytes) });
    }
    let card = pcsc.ok_or(CardError::NoService)?.connect(&reader.name)?;
    Ok(Box::new(ApduBackend::new(card)))
}

/// What the certificate says, and every reason it cannot be used for this renewal.
fn check_certificate(d: &mut Diagnosis, certificate: &SigningCertificate, options: &Options) {
    d.certificate = Some(CertificateReport {
        holder: certificate.holder.clone(),
        tckn_masked: certificate.tckn.as_ref().map(Tckn::masked),
        issuer: certificate.issuer.clone(),
        not_before: certificate.not_before,
        not_after: certificate.not_after,
        renewal_window_opens: certificate.renewal_opens(),
        key: certificate.key,
    });
    d.problems = certificate
        .problems(options.expected_tckn.as_ref(), &options.issuers, options.now)
        .into_iter()
        .map(|problem| ProblemReport { code: problem.code(), problem })
        .collect();
}
