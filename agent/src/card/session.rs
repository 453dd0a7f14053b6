//! An open card in two states. `Card<Unverified>` can read the certificate and the tries counter;
//! only `verify_pin` turns it into `Card<Verified>`, the only state that can sign. The PIN guard
//! lives here, once, for both back-ends: the counter is read before every attempt, a locked card
//! is never tried, the last try needs `LastTry::Confirmed`, and nothing is ever retried.

use std::marker::PhantomData;

use sha2::{Digest, Sha256};

use super::cert::SigningCertificate;
use super::{Backend, BackendKind, CardError, LastTry, Pin, PinTries};

pub struct Unverified;
pub struct Verified;

pub struct Card<S> {
    backend: Box<dyn Backend>,
    certificate: SigningCertificate,
    state: PhantomData<S>,
}

/// A refused PIN attempt gives the card back, still unverified, with the reason.
pub struct Refused {
    pub card: Card<Unverified>,
    pub error: CardError,
}

impl std::fmt::Debug for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refused").field("error", &self.error).finish_non_exhaustive()
    }
}

impl<S> std::fmt::Debug for Card<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Card").field("backend", &self.backend.kind()).field("certificate", &self.certificate).finish()
    }
}

impl<S> Card<S> {
    pub fn certificate(&self) -> &SigningCertificate {
        &self.certificate
    }

    pub fn backend_kind(&self) -> BackendKind {
        self.backend.kind()
    }

    pub fn pin_tries(&mut self) -> Result<PinTries, CardError> {
        self.backend.pin_tries()
    }
}

impl Card<Unverified> {
    /// Reads the signing certificate; a card without a readable one cannot be used.
    pub fn open(mut backend: Box<dyn Backend>) -> Result<Card<Unverified>, CardError> {
        let der = backend.read_certificate()?;
        let certificate = SigningCertificate::parse(&der)?;
        Ok(Card { backend, certificate, state: PhantomData })
    }

    /// One PIN attempt, only if the counter allows it. A wrong PIN comes back as
    /// `CardError::WrongPin` with the tries left; the caller asks the person again (never us).
    // The refused card comes back whole in the error, to be asked again: it is moved, not copied.
    #[allow(clippy::result_large_err)]
    pub fn verify_pin(mut self, pin: &Pin, last_try: LastTry) -> Result<Card<Verified>, Refused> {
        let tries = match self.backend.pin_tries() {
            Ok(t) => t,
            Err(error) => return Err(Refused { card: self, error }),
        };
        if tries.is_locked() {
            return Err(Refused { card: self, error: CardError::PinLocked });
        }
        if tries.is_final() && last_try != LastTry::Confirmed {
            return Err(Refused { card: self, error: CardError::LastTryNeedsConfirmation });
        }
        match self.backend.verify_pin(pin) {
            Ok(()) => Ok(Card { backend: self.backend, certificate: self.certificate, state: PhantomData }),
            Err(error) => Err(Refused { card: self, error }),
        }
    }
}

impl Card<Verified> {
    /// Signs SHA-256(`message`) with the card and checks the signature against the certificate
    /// before handing it out: a card that signs with another key is caught here.
    pub fn sign(&mut self, message: &[u8]) -> Result<Vec<u8>, CardError> {
        let digest: [u8; 32] = Sha256::digest(message).into();
        let signature = self.backend.sign_digest(&digest, self.certificate.key)?;
        if !self.certificate.verifies(message, &signature) {
            return Err(CardError::SignatureInvalid);
        }
        Ok(signature)
    }
}
