//! The trust anchors: the Kamu SM certificates the institution configured (`trust.ca_files`,
//! PEM). Every configured certificate is an anchor — root or intermediate, the institution
//! chooses what it trusts — and an attestation's certificate must be signed by one of them,
//! which must be a CA that may sign certificates and was valid when it did.

use std::path::Path;

use x509_parser::prelude::{FromDer, X509Certificate};

/// The configured certificates, DER.
#[derive(Clone, Default)]
pub struct Anchors {
    certificates: Vec<Vec<u8>>,
}

/// Why the trust anchors could not be read (the bot refuses to start: the configuration is wrong).
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    #[error("reading {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path} holds no PEM certificate")]
    Empty { path: String },
    #[error("{path}: a certificate does not parse")]
    Parse { path: String },
    #[error("{path}: {subject} is not a CA certificate")]
    NotCa { path: String, subject: String },
}

impl Anchors {
    /// Reads every certificate of every file (a file may hold several).
    pub fn load(files: &[impl AsRef<Path>]) -> Result<Anchors, AnchorError> {
        let mut certificates = Vec::new();
        for file in files {
            let path = file.as_ref().display().to_string();
            let pem = std::fs::read(file.as_ref()).map_err(|source| AnchorError::Read { path: path.clone(), source })?;
            let before = certificates.len();
            for block in x509_parser::pem::Pem::iter_from_buffer(&pem) {
                let block = block.map_err(|_| AnchorError::Parse { path: path.clone() })?;
                if block.label != "CERTIFICATE" {
                    continue;
                }
                let (_, cert) = X509Certificate::from_der(&block.contents).map_err(|_| AnchorError::Parse { path: path.clone() })?;
                if !cert.is_ca() {
                    return Err(AnchorError::NotCa { path: path.clone(), subject: cert.subject().to_string() });
                }
                certificates.push(block.contents);
            }
            if certificates.len() == before {
                return Err(AnchorError::Empty { path });
            }
        }
        Ok(Anchors { certificates })
    }

    /// From certificates in DER (tests and benchmarks).
    pub fn from_der(certificates: Vec<Vec<u8>>) -> Anchors {
        Anchors { certificates }
    }

    pub fn is_empty(&self) -> bool {
        self.certificates.is_empty()
    }

    /// The configured certificate that issued `certificate` (DER), if one did: same name, a CA
    /// allowed to sign certificates, its signature verifies, valid when the certificate began.
    pub fn issuer_of(&self, certificate: &X509Certificate) -> Option<&[u8]> {
        self.certificates.iter().map(Vec::as_slice).find(|der| {
            let Ok((_, ca)) = X509Certificate::from_der(der) else { return false };
            let signs_certificates = match ca.key_usage() {
                Ok(Some(usage)) => usage.value.key_cert_sign(),
                Ok(None) => true,
                Err(_) => false,
            };
            let began = certificate.validity().not_before.timestamp();
            ca.is_ca()
                && signs_certificates
                && ca.subject().as_raw() == certificate.issuer().as_raw()
                && ca.validity().not_before.timestamp() <= began
                && began <= ca.validity().not_after.timestamp()
                && certificate.verify_signature(Some(ca.public_key())).is_ok()
        })
    }
}
