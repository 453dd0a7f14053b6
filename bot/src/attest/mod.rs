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
        if normalized_origin(&statement.origin).is_none() || normalized_origin(&statement.origin) != normalized_origin(&self.origin) {
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

/// An address as the agent and the bot both mean it: scheme, host in lower case, the port only
/// when not the default, and a path prefix without its trailing slash.
fn normalized_origin(address: &str) -> Option<String> {
    let url = http_client::Url::parse(address.trim()).ok()?;
    Some(format!("{}{}", url.origin().ascii_serialization(), url.path().trim_end_matches('/')))
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

/// A person's signing certificate: not a CA, key usage present with digitalSignature or
/// nonRepudiation.
fn may_sign(certificate: &X509Certificate) -> bool {
    if certificate.is_ca() {
        return false;
    }
    match certificate.key_usage() {
        Ok(Some(usage)) => usage.value.digital_signature() || usage.value.non_repudiation(),
        _ => false,
    }
}

/// The T.C. Kimlik No in the subject's serialNumber: exactly eleven digits, or with the `TCKN`
/// prefix some CAs write — never digits gathered from a longer value.
fn subject_tckn(certificate: &X509Certificate) -> Option<Tckn> {
    let serial = certificate.subject().iter_by_oid(&x509_parser::oid_registry::OID_X509_SERIALNUMBER).next()?.as_str().ok()?;
    let digits = serial.trim().strip_prefix("TCKN").unwrap_or(serial.trim());
    (digits.len() == 11 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| Tckn::parse(digits).ok()).flatten()
}

fn issuer_name(certificate: &X509Certificate) -> String {
    let issuer = certificate.issuer();
    let name = issuer.iter_common_name().next().and_then(|a| a.as_str().ok()).map(str::to_owned).unwrap_or_else(|| issuer.to_string());
    // It goes into the history as it is: printable, one line, bounded.
    name.chars().filter(|c| !c.is_control()).take(200).collect()
}

#[cfg(test)]
mod tests {
    //! The checks that need no ticket, with certificates made here: every signature algorithm
    //! the agent may name, and each way a statement or certificate is refused.

    use base64::Engine as _;
    use eimza_protocol::wire::Id;
    use eimza_protocol::{Tckn, TicketNo};
    use rcgen::{CertificateParams, CertifiedIssuer, DistinguishedName, DnType, DnValue, IsCa, KeyPair, KeyUsagePurpose, PublicKeyData};
    use ring::signature::{self as sig, KeyPair as _};

    use super::*;

    const ORIGIN: &str = "https://eimza.kurum.gov.tr";

    fn ca() -> CertifiedIssuer<'static, KeyPair> {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, "Kamu SM Nitelikli Elektronik Sertifika Hizmet Sağlayıcısı - Sürüm 6");
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        CertifiedIssuer::self_signed(params, KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap()).unwrap()
    }

    struct Rsa(Vec<u8>);
    impl PublicKeyData for Rsa {
        fn der_bytes(&self) -> &[u8] {
            &self.0
        }
        fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
            &rcgen::PKCS_RSA_SHA256
        }
    }

    /// A holder certificate for `key`; `usage` and the validity in days around now as given.
    fn holder(ca: &CertifiedIssuer<'static, KeyPair>, key: &impl PublicKeyData, usage: KeyUsagePurpose, days: (i64, i64)) -> Vec<u8> {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "AYŞE YILMAZ");
        dn.push(DnType::CustomDnType(vec![2, 5, 4, 5]), DnValue::PrintableString("10000000146".try_into().unwrap()));
        params.distinguished_name = dn;
        params.key_usages = vec![usage];
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now + time::Duration::days(days.0);
        params.not_after = now + time::Duration::days(days.1);
        params.signed_by(key, ca).unwrap().der().to_vec()
    }

    fn statement(origin: &str) -> Vec<u8> {
        Statement {
            origin: origin.into(),
            ticket: TicketNo::new(2026, 7),
            tckn: Tckn::parse("10000000146").unwrap(),
            nonce: Id::new("bm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9uY2Utbm9u").unwrap(),
            agent: Id::new("a-test").unwrap(),
            signed_at: chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap(),
        }
        .encode()
    }

    fn attestation(statement: &[u8], algorithm: SignatureAlgorithm, signature: &[u8], certificate: &[u8]) -> Attestation {
        let b64 = base64::engine::general_purpose::STANDARD;
        Attestation { statement: b64.encode(statement), algorithm, signature: b64.encode(signature), certificate: b64.encode(certificate) }
    }

    fn trust(ca: &CertifiedIssuer<'static, KeyPair>) -> Trust {
        Trust { origin: ORIGIN.into(), anchors: Anchors::from_der(vec![ca.der().to_vec()]), ocsp: None }
    }

    fn ecdsa(curve: &'static rcgen::SignatureAlgorithm, signing: &'static sig::EcdsaSigningAlgorithm) -> (KeyPair, sig::EcdsaKeyPair) {
        let key = KeyPair::generate_for(curve).unwrap();
        let ring = sig::EcdsaKeyPair::from_pkcs8(signing, &key.serialize_der(), &ring::rand::SystemRandom::new()).unwrap();
        (key, ring)
    }

    #[test]
    fn ecdsa_p256_and_p384_in_either_encoding() {
        let ca = ca();
        let trust = trust(&ca);
        let bytes = statement(ORIGIN);
        let rng = ring::rand::SystemRandom::new();
        let cases = [
            (&rcgen::PKCS_ECDSA_P256_SHA256, &sig::ECDSA_P256_SHA256_FIXED_SIGNING, SignatureAlgorithm::EcdsaP256Sha256),
            (&rcgen::PKCS_ECDSA_P256_SHA256, &sig::ECDSA_P256_SHA256_ASN1_SIGNING, SignatureAlgorithm::EcdsaP256Sha256),
            (&rcgen::PKCS_ECDSA_P384_SHA384, &sig::ECDSA_P384_SHA384_FIXED_SIGNING, SignatureAlgorithm::EcdsaP384Sha384),
            (&rcgen::PKCS_ECDSA_P384_SHA384, &sig::ECDSA_P384_SHA384_ASN1_SIGNING, SignatureAlgorithm::EcdsaP384Sha384),
        ];
        for (curve, signing, algorithm) in cases {
            let (key, ring) = ecdsa(curve, signing);
            assert_eq!(ring.public_key().as_ref(), key.public_key_raw());
            let der = holder(&ca, &key, KeyUsagePurpose::ContentCommitment, (-1, 700));
            let signature = ring.sign(&rng, &bytes).unwrap();
            let checked = trust.verify(&attestation(&bytes, algorithm, signature.as_ref(), &der), chrono::Utc::now()).unwrap();
            assert_eq!(checked.certificate_tckn.as_ref().map(Tckn::as_str), Some("10000000146"));
            assert_eq!(checked.issuer, "Kamu SM Nitelikli Elektronik Sertifika Hizmet Sağlayıcısı - Sürüm 6");
            // The algorithm must fit the key.
            let other = if algorithm == SignatureAlgorithm::EcdsaP256Sha256 {
                SignatureAlgorithm::EcdsaP384Sha384
            } else {
                SignatureAlgorithm::EcdsaP256Sha256
            };
            assert_eq!(
                trust.verify(&attestation(&bytes, other, signature.as_ref(), &der), chrono::Utc::now()).err(),
                Some(AttestationRefusal::BadSignature)
            );
            assert_eq!(
                trust.verify(&attestation(&bytes, SignatureAlgorithm::RsaPkcs1Sha256, signature.as_ref(), &der), chrono::Utc::now()).err(),
                Some(AttestationRefusal::BadSignature)
            );
        }
    }

    #[test]
    fn rsa_pkcs1_and_pss_with_sha256_and_sha384() {
        use rsa::pkcs1::EncodeRsaPublicKey;
        use sha2::Digest;
        let ca = ca();
        let trust = trust(&ca);
        let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).unwrap();
        let public = Rsa(key.to_public_key().to_pkcs1_der().unwrap().into_vec());
        let der = holder(&ca, &public, KeyUsagePurpose::DigitalSignature, (-1, 700));
        let bytes = statement(ORIGIN);
        let (d256, d384) = (sha2::Sha256::digest(&bytes), sha2::Sha384::digest(&bytes));
        let mut rng = rsa::rand_core::OsRng;
        let cases = [
            (SignatureAlgorithm::RsaPkcs1Sha256, key.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &d256).unwrap()),
            (SignatureAlgorithm::RsaPkcs1Sha384, key.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha384>(), &d384).unwrap()),
            (SignatureAlgorithm::RsaPssSha256, key.sign_with_rng(&mut rng, rsa::Pss::new::<sha2::Sha256>(), &d256).unwrap()),
            (SignatureAlgorithm::RsaPssSha384, key.sign_with_rng(&mut rng, rsa::Pss::new::<sha2::Sha384>(), &d384).unwrap()),
        ];
        for (algorithm, signature) in &cases {
            assert!(trust.verify(&attestation(&bytes, *algorithm, signature, &der), chrono::Utc::now()).is_ok(), "{algorithm:?}");
        }
        let (_, pkcs1) = &cases[0];
        assert_eq!(
            trust.verify(&attestation(&bytes, SignatureAlgorithm::RsaPssSha256, pkcs1, &der), chrono::Utc::now()).err(),
            Some(AttestationRefusal::BadSignature),
            "PKCS#1 v1.5 is not PSS"
        );
    }

    #[test]
    fn each_refusal_names_its_check() {
        let ca = ca();
        let trust = trust(&ca);
        let rng = ring::rand::SystemRandom::new();
        let (key, ring) = ecdsa(&rcgen::PKCS_ECDSA_P256_SHA256, &sig::ECDSA_P256_SHA256_FIXED_SIGNING);
        let good = holder(&ca, &key, KeyUsagePurpose::ContentCommitment, (-1, 700));
        let now = chrono::Utc::now();
        let signed = |bytes: &[u8], der: &[u8]| {
            attestation(bytes, SignatureAlgorithm::EcdsaP256Sha256, ring.sign(&rng, bytes).unwrap().as_ref(), der)
        };
        let bytes = statement(ORIGIN);
        assert!(trust.verify(&signed(&bytes, &good), now).is_ok());
        // Another bot's statement.
        assert_eq!(trust.verify(&signed(&statement("https://baska.gov.tr"), &good), now).err(), Some(AttestationRefusal::WrongOrigin));
        // The same address however it is written.
        let spelled =
            Trust { origin: "https://EIMZA.kurum.gov.tr:443/".into(), anchors: Anchors::from_der(vec![ca.der().to_vec()]), ocsp: None };
        assert!(spelled.verify(&signed(&bytes, &good), now).is_ok());
        // Not base64, not a statement, not a certificate.
        let mut broken = signed(&bytes, &good);
        broken.statement = "%%%".into();
        assert_eq!(trust.verify(&broken, now).err(), Some(AttestationRefusal::Malformed));
        let garbage = b"EIMZA-EONAY-ATTESTATION/1\n";
        assert_eq!(trust.verify(&signed(garbage, &good), now).err(), Some(AttestationRefusal::Malformed));
        assert_eq!(trust.verify(&signed(&bytes, b"not a certificate"), now).err(), Some(AttestationRefusal::Malformed));
        // A forger's CA with the same name.
        let forged = holder(&self::ca(), &key, KeyUsagePurpose::ContentCommitment, (-1, 700));
        assert_eq!(trust.verify(&signed(&bytes, &forged), now).err(), Some(AttestationRefusal::UntrustedCertificate));
        // Expired, or not valid yet.
        let expired = holder(&ca, &key, KeyUsagePurpose::ContentCommitment, (-900, -1));
        assert_eq!(trust.verify(&signed(&bytes, &expired), now).err(), Some(AttestationRefusal::CertificateNotValid));
        let later = now + chrono::Duration::days(800);
        assert_eq!(trust.verify(&signed(&bytes, &good), later).err(), Some(AttestationRefusal::CertificateNotValid));
        // A key that may not sign.
        let encipher = holder(&ca, &key, KeyUsagePurpose::KeyEncipherment, (-1, 700));
        assert_eq!(trust.verify(&signed(&bytes, &encipher), now).err(), Some(AttestationRefusal::NotForSigning));
        // No anchors configured: nothing is trusted.
        let empty = Trust { origin: ORIGIN.into(), anchors: Anchors::default(), ocsp: None };
        assert_eq!(empty.verify(&signed(&bytes, &good), now).err(), Some(AttestationRefusal::UntrustedCertificate));
    }

    #[test]
    fn a_renewed_certificate_must_be_trusted_valid_and_name_a_person() {
        let ca = ca();
        let trust = trust(&ca);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let now = chrono::Utc::now();
        let seen = trust.renewed_certificate(&holder(&ca, &key, KeyUsagePurpose::ContentCommitment, (0, 1000)), now).unwrap();
        assert_eq!(seen.tckn.as_str(), "10000000146");
        assert!(trust.renewed_certificate(&holder(&self::ca(), &key, KeyUsagePurpose::ContentCommitment, (0, 1000)), now).is_none());
        assert!(trust.renewed_certificate(&holder(&ca, &key, KeyUsagePurpose::ContentCommitment, (-900, -1)), now).is_none());
        assert!(trust.renewed_certificate(b"garbage", now).is_none());
    }
}
