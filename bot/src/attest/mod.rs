//! Verifying an e-Onay attestation (`eimza_protocol::attest`): what a card signed and whether
//! the bot can believe it. [`Trust::verify`] does the checks that need only the attestation and
//! the configured trust — the statement reads and names this bot, the signature verifies with the
//! certificate's key, the certificate chains to a configured Kamu SM certificate, was valid now
//! and when it signed, and may sign — in that order, and says which failed. The person, the nonce
//! and revocation ([`ocsp`]) are checked by `service::attestation` around it, with the ticket.

mod chain;
pub mod ocsp;

use base64::Engine as _;
use eimza_protocol::Tckn;
use eimza_protocol::attest::{Attestation, AttestationRefusal, SignatureAlgorithm, Statement};
use x509_parser::prelude::{FromDer, X509Certificate};

pub use chain::Anchors;

/// What the bot trusts: the Kamu SM certificates an attestation's certificate must chain to, and
/// how revocation is checked.
pub struct Trust {
    /// The bot's own address as agents were paired with it (no trailing slash).
    pub origin: String,
    pub anchors: Anchors,
    pub ocsp: Option<ocsp::Ocsp>,
}

/// An attestation whose statement, signature and certificate hold.
#[derive(Clone, Debug)]
pub struct Checked {
    pub statement: Statement,
    /// The TC Kimlik No in the certificate's subject.
    pub certificate_tckn: Option<Tckn>,
    /// The certificate's serial number (hex) and issuer, for the history.
    pub serial: String,
    pub issuer: String,
    /// The certificate (DER) and its issuer's (for OCSP).
    pub certificate: Vec<u8>,
    pub issuer_certificate: Vec<u8>,
}

impl Trust {
    /// The checks that need no ticket, in order: statement, origin, signature, chain, validity
    /// (now and at signing), key usage.
    pub fn verify(&self, attestation: &Attestation, now: chrono::DateTime<chrono::Utc>) -> Result<Checked, AttestationRefusal> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let (Ok(bytes), Ok(signature), Ok(der)) =
            (b64.decode(&attestation.statement), b64.decode(&attestation.signature), b64.decode(&attestation.certificate))
        else {
            return Err(AttestationRefusal::Malformed);
        };
        let statement = Statement::parse(&bytes).map_err(|_| AttestationRefusal::Malformed)?;
        if statement.origin.trim_end_matches('/') != self.origin.trim_end_matches('/') {
            return Err(AttestationRefusal::WrongOrigin);
        }
        let (_, certificate) = X509Certificate::from_der(&der).map_err(|_| AttestationRefusal::Malformed)?;
        if !signature_verifies(&certificate, attestation.algorithm, &bytes, &signature) {
            return Err(AttestationRefusal::BadSignature);
        }
        let issuer = self.anchors.issuer_of(&certificate).ok_or(AttestationRefusal::UntrustedCertificate)?;
        let validity = certificate.validity();
        let valid_at = |t: chrono::DateTime<chrono::Utc>| {
            validity.not_before.timestamp() <= t.timestamp() && t.timestamp() <= validity.not_after.timestamp()
        };
        if !valid_at(now) || !valid_at(statement.signed_at) {
            return Err(AttestationRefusal::CertificateNotValid);
        }
        if !may_sign(&certificate) {
            return Err(AttestationRefusal::NotForSigning);
        }
        Ok(Checked {
            certificate_tckn: subject_tckn(&certificate),
            serial: certificate.raw_serial_as_string(),
            issuer: issuer_name(&certificate),
            certificate: der.clone(),
            issuer_certificate: issuer.to_vec(),
            statement,
        })
    }
}

/// A trusted certificate a PC saw on a card (the renewed one, perhaps).
#[derive(Clone, Debug)]
pub struct Seen {
    pub tckn: Tckn,
    pub serial: String,
    pub not_before: chrono::DateTime<chrono::Utc>,
    pub not_after: chrono::DateTime<chrono::Utc>,
}

impl Trust {
    /// A certificate that chains to a configured Kamu SM certificate, is valid now, may sign and
    /// names a TC Kimlik No; `None` otherwise.
    pub fn renewed_certificate(&self, der: &[u8], now: chrono::DateTime<chrono::Utc>) -> Option<Seen> {
        let (_, certificate) = X509Certificate::from_der(der).ok()?;
        self.anchors.issuer_of(&certificate)?;
        let validity = certificate.validity();
        let (not_before, not_after) = (validity.not_before.timestamp(), validity.not_after.timestamp());
        if !(not_before <= now.timestamp() && now.timestamp() <= not_after && may_sign(&certificate)) {
            return None;
        }
        Some(Seen {
            tckn: subject_tckn(&certificate)?,
            serial: certificate.raw_serial_as_string(),
            not_before: chrono::DateTime::from_timestamp(not_before, 0)?,
            not_after: chrono::DateTime::from_timestamp(not_after, 0)?,
        })
    }
}

/// The signature over the statement's exact bytes, with the certificate's own key, by the
/// algorithm the agent names (which must fit the key).
fn signature_verifies(certificate: &X509Certificate, algorithm: SignatureAlgorithm, message: &[u8], signature: &[u8]) -> bool {
    use ring::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
    use x509_parser::public_key::PublicKey;
    let spki = certificate.public_key();
    let key = &spki.subject_public_key.data;
    let curve = match spki.parsed() {
        Ok(PublicKey::RSA(_)) => "rsa",
        Ok(PublicKey::EC(point)) if point.key_size() == 256 => "p256",
        Ok(PublicKey::EC(point)) if point.key_size() == 384 => "p384",
        _ => return false,
    };
    let fixed = signature.len() == 64 || signature.len() == 96;
    let algorithm: &dyn VerificationAlgorithm = match (algorithm, curve) {
        (SignatureAlgorithm::RsaPkcs1Sha256, "rsa") => &sig::RSA_PKCS1_2048_8192_SHA256,
        (SignatureAlgorithm::RsaPkcs1Sha384, "rsa") => &sig::RSA_PKCS1_2048_8192_SHA384,
        (SignatureAlgorithm::RsaPssSha256, "rsa") => &sig::RSA_PSS_2048_8192_SHA256,
        (SignatureAlgorithm::RsaPssSha384, "rsa") => &sig::RSA_PSS_2048_8192_SHA384,
        (SignatureAlgorithm::EcdsaP256Sha256, "p256") if fixed => &sig::ECDSA_P256_SHA256_FIXED,
        (SignatureAlgorithm::EcdsaP256Sha256, "p256") => &sig::ECDSA_P256_SHA256_ASN1,
        (SignatureAlgorithm::EcdsaP384Sha384, "p384") if fixed => &sig::ECDSA_P384_SHA384_FIXED,
        (SignatureAlgorithm::EcdsaP384Sha384, "p384") => &sig::ECDSA_P384_SHA384_ASN1,
        _ => return false,
    };
    UnparsedPublicKey::new(algorithm, key).verify(message, signature).is_ok()
}

/// A signing certificate: key usage present with digitalSignature or nonRepudiation.
fn may_sign(certificate: &X509Certificate) -> bool {
    match certificate.key_usage() {
        Ok(Some(usage)) => usage.value.digital_signature() || usage.value.non_repudiation(),
        _ => false,
    }
}

/// The TC Kimlik No in the subject's serialNumber (digits only: other CAs prefix them).
fn subject_tckn(certificate: &X509Certificate) -> Option<Tckn> {
    let serial = certificate.subject().iter_by_oid(&x509_parser::oid_registry::OID_X509_SERIALNUMBER).next()?.as_str().ok()?;
    let digits: String = serial.chars().filter(char::is_ascii_digit).collect();
    Tckn::parse(&digits).ok()
}

fn issuer_name(certificate: &X509Certificate) -> String {
    let issuer = certificate.issuer();
    let name = issuer.iter_common_name().next().and_then(|a| a.as_str().ok()).map(str::to_owned).unwrap_or_else(|| issuer.to_string());
    // It goes into the history as it is: printable, one line, bounded.
    name.chars().filter(|c| !c.is_control()).take(200).collect()
}
