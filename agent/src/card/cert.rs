//! The signing certificate read from the card, and the checks made before any PIN is asked:
//! the right person, Kamu SM as issuer, valid now, and inside the renewal window (Kamu SM renews
//! at most three months before expiry). Also signature verification against the certificate,
//! so the agent proves a signature is good before it reports one.

use chrono::{DateTime, Months, Utc};
use eimza_protocol::Tckn;
use serde::Serialize;
use x509_parser::oid_registry::{OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_PKCS1_RSAENCRYPTION, OID_X509_SERIALNUMBER};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::CardError;

/// Kamu SM accepts a renewal at most this many months before the certificate expires.
pub const RENEWAL_WINDOW_MONTHS: u32 = 3;

/// The issuer names the agent accepts when none are configured (matched as Turkish-folded
/// substrings of the issuer's common name or organisation).
pub const DEFAULT_ISSUERS: &[&str] = &["Kamu Sertifikasyon Merkezi", "Kamu SM"];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum KeyKind {
    Rsa { bits: usize },
    EcP256,
    Other,
}

/// The parts of the certificate the agent uses, owned.
#[derive(Clone)]
pub struct SigningCertificate {
    pub der: Vec<u8>,
    pub holder: String,
    /// The identity number from the subject's serialNumber, when it is one.
    pub tckn: Option<Tckn>,
    pub issuer: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub key: KeyKind,
    /// The subjectPublicKey bits (RSAPublicKey DER, or the EC point).
    public_key: Vec<u8>,
}

impl std::fmt::Debug for SigningCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The holder's name and number are personal data; logs get neither.
        f.debug_struct("SigningCertificate")
            .field("tckn", &self.tckn)
            .field("issuer", &self.issuer)
            .field("not_after", &self.not_after)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Why a certificate cannot be used for the renewal, in the order they are checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertProblem {
    /// The subject carries no TC Kimlik No.
    NoIdentityNumber,
    /// The card belongs to someone else (both numbers masked).
    WrongPerson {
        on_card: String,
        expected: String,
    },
    NotKamuSm {
        issuer: String,
    },
    NotYetValid {
        from: DateTime<Utc>,
    },
    Expired {
        on: DateTime<Utc>,
    },
    /// Too early: Kamu SM opens the renewal on this date.
    WindowNotOpen {
        opens: DateTime<Utc>,
    },
}

impl CertProblem {
    pub fn message_id(&self) -> &'static str {
        match self {
            CertProblem::NoIdentityNumber => "cert-no-tckn",
            CertProblem::WrongPerson { .. } => "cert-wrong-person",
            CertProblem::NotKamuSm { .. } => "cert-not-kamusm",
            CertProblem::NotYetValid { .. } => "cert-not-yet-valid",
            CertProblem::Expired { .. } => "cert-expired",
            CertProblem::WindowNotOpen { .. } => "cert-window-not-open",
        }
    }

    /// How the bot hears of it.
    pub fn problem(&self) -> eimza_protocol::wire::CardProblem {
        use eimza_protocol::wire::CardProblem as P;
        match self {
            CertProblem::NoIdentityNumber => P::NoIdentityNumber,
            CertProblem::WrongPerson { .. } => P::WrongPerson,
            CertProblem::NotKamuSm { .. } => P::NotKamuSm,
            CertProblem::NotYetValid { .. } => P::NotYetValid,
            CertProblem::Expired { .. } => P::Expired,
            CertProblem::WindowNotOpen { .. } => P::RenewalWindowNotOpen,
        }
    }

    /// A stable name for `--json`.
    pub fn code(&self) -> &'static str {
        match self {
            CertProblem::NoIdentityNumber => "no-identity-number",
            CertProblem::WrongPerson { .. } => "wrong-person",
            CertProblem::NotKamuSm { .. } => "not-kamu-sm",
            CertProblem::NotYetValid { .. } => "not-yet-valid",
            CertProblem::Expired { .. } => "expired",
            CertProblem::WindowNotOpen { .. } => "renewal-window-not-open",
        }
    }
}

impl SigningCertificate {
    pub fn parse(der: &[u8]) -> Result<SigningCertificate, CardError> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|_| CardError::BadCertificate)?;
        let subject = cert.subject();
        let holder = subject.iter_common_name().next().and_then(|a| a.as_str().ok()).unwrap_or_default().to_owned();
        let serial = subject.iter_by_oid(&OID_X509_SERIALNUMBER).next().and_then(|a| a.as_str().ok()).unwrap_or_default();
        // Kamu SM writes the bare 11 digits; other CAs prefix them ("TCKN", "IDCTR-"): keep the digits.
        let digits: String = serial.chars().filter(char::is_ascii_digit).collect();
        let tckn = Tckn::parse(&digits).ok();
        let issuer_name = cert.issuer();
        let issuer = issuer_name
            .iter_common_name()
            .next()
            .and_then(|a| a.as_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| issuer_name.to_string());
        let validity = cert.validity();
        let time = |t: i64| DateTime::<Utc>::from_timestamp(t, 0).ok_or(CardError::BadCertificate);
        let spki = cert.public_key();
        let key = if spki.algorithm.algorithm == OID_PKCS1_RSAENCRYPTION {
            match spki.parsed() {
                Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => KeyKind::Rsa { bits: rsa.key_size() },
                _ => return Err(CardError::BadCertificate),
            }
        } else if spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY
            && spki.algorithm.parameters.as_ref().and_then(|p| p.as_oid().ok()) == Some(OID_EC_P256)
        {
            KeyKind::EcP256
        } else {
            KeyKind::Other
        };
        Ok(SigningCertificate {
            der: der.to_vec(),
            holder,
            tckn,
            issuer,
            not_before: time(validity.not_before.timestamp())?,
            not_after: time(validity.not_after.timestamp())?,
            key,
            public_key: spki.subject_public_key.data.to_vec(),
        })
    }

    /// The day Kamu SM starts accepting the renewal of this certificate.
    pub fn renewal_opens(&self) -> DateTime<Utc> {
        self.not_after.checked_sub_months(Months::new(RENEWAL_WINDOW_MONTHS)).unwrap_or(self.not_after)
    }

    pub fn is_from_issuer(&self, issuers: &[String]) -> bool {
        let ours = eimza_protocol::turkish::fold(&self.issuer);
        issuers.iter().any(|name| {
            let name = eimza_protocol::turkish::fold(name);
            !name.is_empty() && ours.contains(&name)
        })
    }

    /// Every reason this certificate cannot be used now, in checking order; empty when it can.
    /// `expected` is the identity number of the ticket; `None` when the agent has no ticket yet
    /// (a diagnosis), in which case the person is not checked.
    pub fn problems(&self, expected: Option<&Tckn>, issuers: &[String], now: DateTime<Utc>) -> Vec<CertProblem> {
        let mut problems = Vec::new();
        match (&self.tckn, expected) {
            (None, _) => problems.push(CertProblem::NoIdentityNumber),
            (Some(on_card), Some(expected)) if on_card != expected => {
                problems.push(CertProblem::WrongPerson { on_card: on_card.masked(), expected: expected.masked() })
            }
            _ => {}
        }
        if !self.is_from_issuer(issuers) {
            problems.push(CertProblem::NotKamuSm { issuer: self.issuer.clone() });
        }
        if now < self.not_before {
            problems.push(CertProblem::NotYetValid { from: self.not_before });
        } else if now >= self.not_after {
            problems.push(CertProblem::Expired { on: self.not_after });
        } else if now < self.renewal_opens() {
            problems.push(CertProblem::WindowNotOpen { opens: self.renewal_opens() });
        }
        problems
    }

    /// Checks a card's signature over `message` (SHA-256) with this certificate's key:
    /// RSA PKCS#1 v1.5, or ECDSA P-256 as raw r‖s (PKCS#11) or DER.
    pub fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        use ring::signature::{self, UnparsedPublicKey};
        match self.key {
            KeyKind::Rsa { .. } => {
                UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.public_key).verify(message, signature).is_ok()
            }
            KeyKind::EcP256 => {
                let alg: &dyn signature::VerificationAlgorithm =
                    if signature.len() == 64 { &signature::ECDSA_P256_SHA256_FIXED } else { &signature::ECDSA_P256_SHA256_ASN1 };
                UnparsedPublicKey::new(alg, &self.public_key).verify(message, signature).is_ok()
            }
            KeyKind::Other => false,
        }
    }
}

/// The issuer list from configuration, or the defaults.
pub fn issuers_or_default(configured: &[String]) -> Vec<String> {
    if configured.is_empty() { DEFAULT_ISSUERS.iter().map(|s| (*s).to_owned()).collect() } else { configured.to_vec() }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, KeyPair};

    use super::*;

    const TCKN: &str = "10000000146";

    /// A self-made certificate: `issuer_cn` signs, the subject has `serial` as serialNumber.
    fn cert(serial: Option<&str>, issuer_cn: &str, not_before: DateTime<Utc>, not_after: DateTime<Utc>) -> (SigningCertificate, KeyPair) {
        let issuer_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, issuer_cn);
        ca.distinguished_name = dn;
        let issuer = rcgen::Issuer::new(ca, issuer_key);
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "ZEYNEP ĞÜLŞEN");
        if let Some(serial) = serial {
            dn.push(DnType::CustomDnType(vec![2, 5, 4, 5]), DnValue::PrintableString(serial.try_into().unwrap()));
        }
        params.distinguished_name = dn;
        params.not_before = time::OffsetDateTime::from_unix_timestamp(not_before.timestamp()).unwrap();
        params.not_after = time::OffsetDateTime::from_unix_timestamp(not_after.timestamp()).unwrap();
        let der = params.signed_by(&key, &issuer).unwrap().der().to_vec();
        (SigningCertificate::parse(&der).unwrap(), key)
    }

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
    }

    fn issuers() -> Vec<String> {
        issuers_or_default(&[])
    }

    #[test]
    fn a_kamu_sm_certificate_in_its_window_has_no_problem() {
        let (c, _) =
            cert(Some(TCKN), "Kamu SM Nitelikli Elektronik Sertifika Hizmet Sağlayıcısı - Sürüm 6", at(2024, 1, 10), at(2027, 1, 10));
        assert_eq!(c.holder, "ZEYNEP ĞÜLŞEN");
        assert_eq!(c.tckn.as_ref().map(Tckn::as_str), Some(TCKN));
        assert_eq!(c.key, KeyKind::EcP256);
        let expected = Tckn::parse(TCKN).unwrap();
        assert_eq!(c.problems(Some(&expected), &issuers(), at(2026, 11, 25)), vec![]);
        assert_eq!(c.renewal_opens(), at(2026, 10, 10));
        // Debug output shows neither the name nor the full number.
        let debug = format!("{c:?}");
        assert!(!debug.contains("ZEYNEP") && !debug.contains(TCKN), "{debug}");
    }

    #[test]
    fn each_problem_in_checking_order() {
        let kamu = "Kamu SM Nitelikli Elektronik Sertifika Hizmet Sağlayıcısı - Sürüm 6";
        let (c, _) = cert(Some(TCKN), kamu, at(2024, 1, 10), at(2027, 1, 10));
        let other = Tckn::parse("12345678950").unwrap();
        assert_eq!(
            c.problems(Some(&other), &issuers(), at(2026, 11, 25)),
            vec![CertProblem::WrongPerson { on_card: "100******46".into(), expected: "123******50".into() }]
        );
        // Without a ticket (a plain diagnosis) the person is not checked.
        assert_eq!(c.problems(None, &issuers(), at(2026, 11, 25)), vec![]);
        // Too early: the window opens three calendar months before the end.
        assert_eq!(c.problems(None, &issuers(), at(2026, 10, 9)), vec![CertProblem::WindowNotOpen { opens: at(2026, 10, 10) }]);
        assert_eq!(c.problems(None, &issuers(), at(2027, 1, 10)), vec![CertProblem::Expired { on: at(2027, 1, 10) }]);
        assert_eq!(c.problems(None, &issuers(), at(2023, 12, 31)), vec![CertProblem::NotYetValid { from: at(2024, 1, 10) }]);

        let (foreign, _) = cert(Some(TCKN), "Örnek Ticari Sertifika Hizmet Sağlayıcısı", at(2024, 1, 10), at(2027, 1, 10));
        assert_eq!(
            foreign.problems(None, &issuers(), at(2026, 11, 25)),
            vec![CertProblem::NotKamuSm { issuer: "Örnek Ticari Sertifika Hizmet Sağlayıcısı".into() }]
        );
        // A configured list replaces the default.
        assert_eq!(foreign.problems(None, &["örnek ticari".to_owned()], at(2026, 11, 25)), vec![]);

        let (anonymous, _) = cert(None, kamu, at(2024, 1, 10), at(2027, 1, 10));
        assert_eq!(anonymous.problems(None, &issuers(), at(2026, 11, 25)), vec![CertProblem::NoIdentityNumber]);
        // A prefixed number is still found; a wrong check digit is not an identity number.
        let (prefixed, _) = cert(Some("TCKN10000000146"), kamu, at(2024, 1, 10), at(2027, 1, 10));
        assert_eq!(prefixed.tckn.as_ref().map(Tckn::as_str), Some(TCKN));
        let (broken, _) = cert(Some("10000000147"), kamu, at(2024, 1, 10), at(2027, 1, 10));
        assert_eq!(broken.tckn, None);
    }

    #[test]
    fn the_window_on_the_last_day_of_a_long_month() {
        let (c, _) = cert(Some(TCKN), "Kamu SM", at(2024, 5, 31), at(2027, 5, 31));
        // 31 May − 3 months = 28 February (chrono clamps to the month's last day).
        assert_eq!(c.renewal_opens(), at(2027, 2, 28));
        let _ = Duration::days(1);
    }

    #[test]
    fn signatures_are_checked_against_the_certificate_key() {
        let (c, key) = cert(Some(TCKN), "Kamu SM", at(2024, 1, 10), at(2027, 1, 10));
        let pkcs8 = key.serialize_der();
        let rng = ring::rand::SystemRandom::new();
        let signer = ring::signature::EcdsaKeyPair::from_pkcs8(&ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng).unwrap();
        let signature = signer.sign(&rng, b"mesaj").unwrap();
        assert!(c.verifies(b"mesaj", signature.as_ref()));
        assert!(!c.verifies(b"baska mesaj", signature.as_ref()));
        assert!(!c.verifies(b"mesaj", &[0u8; 64]));
        assert!(SigningCertificate::parse(b"not a certificate").is_err());
    }
}
