//! Certificates made in the test, the way Kamu SM's look: issuer "Kamu SM Nitelikli Elektronik
//! Sertifika Hizmet Sağlayıcısı", subject CN = the holder's name and serialNumber = TC Kimlik No,
//! chosen validity. The holder's key is a real RSA key (the virtual card signs with it) or any
//! public key a PKCS#11 token generated.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, IsCa, Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SignatureAlgorithm,
};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPublicKey;

pub const KAMU_SM_ISSUER: &str = "Kamu SM Nitelikli Elektronik Sertifika Hizmet Sağlayıcısı - Sürüm 6";
pub const OTHER_ISSUER: &str = "Örnek Ticari Elektronik Sertifika Hizmet Sağlayıcısı";

/// One RSA-2048 key per test process: generating one takes a while, and the tests need a real
/// key, not a different one each.
pub fn rsa_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 2048).expect("RSA key generation"))
}

/// A public key rcgen can put into a certificate: the subjectPublicKey bits and the algorithm.
pub struct PublicKey {
    pub bits: Vec<u8>,
    pub algorithm: &'static SignatureAlgorithm,
}

impl PublicKeyData for PublicKey {
    fn der_bytes(&self) -> &[u8] {
        &self.bits
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        self.algorithm
    }
}

impl PublicKey {
    pub fn rsa(key: &RsaPrivateKey) -> PublicKey {
        PublicKey { bits: key.to_public_key().to_pkcs1_der().expect("RSA public key DER").into_vec(), algorithm: &rcgen::PKCS_RSA_SHA256 }
    }
}

/// What the certificate says.
#[derive(Clone, Debug)]
pub struct CertSpec {
    pub holder: String,
    pub tckn: String,
    pub issuer: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
}

impl CertSpec {
    /// A Kamu SM certificate for `tckn` that expires in `days_left` days (inside the renewal
    /// window when ≤ ~90).
    pub fn kamu_sm(holder: &str, tckn: &str, days_left: i64) -> CertSpec {
        let now = Utc::now();
        CertSpec {
            holder: holder.to_owned(),
            tckn: tckn.to_owned(),
            issuer: KAMU_SM_ISSUER.to_owned(),
            not_after: now + Duration::days(days_left),
            not_before: now + Duration::days(days_left) - Duration::days(3 * 365),
        }
    }

    pub fn issued_by(mut self, issuer: &str) -> CertSpec {
        self.issuer = issuer.to_owned();
        self
    }

    /// The certificate, DER, for `key`, signed by a CA of `self.issuer` made for the occasion.
    pub fn der(&self, key: &PublicKey) -> Vec<u8> {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("CA key");
        let mut ca = CertificateParams::default();
        let mut ca_dn = DistinguishedName::new();
        ca_dn.push(DnType::CountryName, "TR");
        ca_dn.push(DnType::OrganizationName, "Kamu Sertifikasyon Merkezi");
        ca_dn.push(DnType::CommonName, self.issuer.as_str());
        ca.distinguished_name = ca_dn;
        ca.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let issuer = Issuer::new(ca, ca_key);

        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "TR");
        dn.push(DnType::CommonName, self.holder.as_str());
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            DnValue::PrintableString(self.tckn.as_str().try_into().expect("digits are printable")),
        );
        params.distinguished_name = dn;
        params.key_usages = vec![KeyUsagePurpose::ContentCommitment];
        params.not_before = time::OffsetDateTime::from_unix_timestamp(self.not_before.timestamp()).expect("time");
        params.not_after = time::OffsetDateTime::from_unix_timestamp(self.not_after.timestamp()).expect("time");
        params.signed_by(key, &issuer).expect("certificate").der().to_vec()
    }
}
