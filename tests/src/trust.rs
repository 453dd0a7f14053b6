//! A certificate authority made for the tests, standing in for Kamu SM's: its certificate is a
//! PEM file the test bots trust (`trust.ca_files`), it issues holder certificates the way Kamu SM
//! does (see `pki`), and a real `openssl ocsp` responder answers for it — `good`, `revoked` or
//! nothing, as the test sets up. Another [`TestCa`] with the same name stands in for a forger.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rcgen::{
    CertificateParams, CertifiedIssuer, CustomExtension, DistinguishedName, DnType, DnValue, IsCa, KeyPair, KeyUsagePurpose, SerialNumber,
};

use crate::pki::{CertSpec, PublicKey};

pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
    dir: tempfile::TempDir,
}

/// A certificate the CA issued: DER, and its serial as OpenSSL writes it (upper-case hex).
#[derive(Clone, Debug)]
pub struct Issued {
    pub der: Vec<u8>,
    pub serial_hex: String,
    pub not_after: chrono::DateTime<chrono::Utc>,
}

impl TestCa {
    /// A CA named like Kamu SM's signing CA; every one made is a different key.
    pub fn new() -> TestCa {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("CA key");
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "TR");
        dn.push(DnType::OrganizationName, "Kamu Sertifikasyon Merkezi");
        dn.push(DnType::CommonName, crate::pki::KAMU_SM_ISSUER);
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let issuer = CertifiedIssuer::self_signed(params, key).expect("CA certificate");
        let dir = tempfile::tempdir().expect("CA folder");
        std::fs::write(dir.path().join("ca.pem"), issuer.pem()).expect("CA PEM");
        std::fs::write(dir.path().join("ca.key"), issuer.key().serialize_pem()).expect("CA key PEM");
        TestCa { issuer, dir }
    }

    /// The CA every test bot trusts (`TestBot` passes its PEM as `trust.ca_files`).
    pub fn kamu_sm() -> &'static TestCa {
        static CA: OnceLock<TestCa> = OnceLock::new();
        CA.get_or_init(TestCa::new)
    }

    /// The CA's certificate, DER.
    pub fn der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }

    pub fn pem_path(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn key_path(&self) -> PathBuf {
        self.dir.path().join("ca.key")
    }

    /// A holder certificate for `key` as `spec` describes it (the issuer's name is the CA's),
    /// naming `ocsp` as its responder when given.
    pub fn issue(&self, spec: &CertSpec, key: &PublicKey, ocsp: Option<&str>) -> Issued {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "TR");
        dn.push(DnType::CommonName, spec.holder.as_str());
        dn.push(
            DnType::CustomDnType(vec![2, 5, 4, 5]),
            DnValue::PrintableString(spec.tckn.as_str().try_into().expect("digits are printable")),
        );
        params.distinguished_name = dn;
        params.key_usages = vec![KeyUsagePurpose::ContentCommitment];
        params.not_before = time::OffsetDateTime::from_unix_timestamp(spec.not_before.timestamp()).expect("time");
        params.not_after = time::OffsetDateTime::from_unix_timestamp(spec.not_after.timestamp()).expect("time");
        // Positive, eight bytes, never starting with a zero byte: OpenSSL prints it as it is.
        let mut serial: [u8; 8] = rand::random();
        serial[0] = serial[0].clamp(0x10, 0x7f);
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        if let Some(url) = ocsp {
            params.custom_extensions.push(CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], ocsp_access(url)));
        }
        let der = params.signed_by(key, &self.issuer).expect("holder certificate").der().to_vec();
        Issued { der, serial_hex: serial.iter().map(|b| format!("{b:02X}")).collect(), not_after: spec.not_after }
    }
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}

/// AuthorityInfoAccess with one OCSP responder: SEQUENCE { SEQUENCE { id-ad-ocsp, [6] url } }.
fn ocsp_access(url: &str) -> Vec<u8> {
    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        match body.len() {
            n if n < 0x80 => out.push(n as u8),
            n if n < 0x100 => out.extend([0x81, n as u8]),
            n => out.extend([0x82, (n >> 8) as u8, n as u8]),
        }
        out.extend_from_slice(body);
        out
    }
    let method = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
    let location = tlv(0x86, url.as_bytes());
    let description = tlv(0x30, &[&method[..], &location].concat());
    tlv(0x30, &description)
}

/// What the responder says about a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Good,
    Revoked,
}

/// `openssl ocsp` answering for a [`TestCa`], signed with the CA's own key; killed on drop.
pub struct OcspResponder {
    child: Child,
    pub url: String,
}

impl OcspResponder {
    /// A free port and the responder's address on it (certificates name it before it starts).
    pub fn address() -> (u16, String) {
        let port = crate::free_port();
        (port, format!("http://127.0.0.1:{port}/"))
    }

    /// Starts a responder on `port` that knows `certificates` (any other serial is `unknown`).
    pub fn start(ca: &TestCa, port: u16, certificates: &[(&Issued, Status)]) -> OcspResponder {
        let index = ca.dir.path().join(format!("index-{}.txt", rand::random::<u32>()));
        let mut file = std::fs::File::create(&index).expect("OCSP index");
        let stamp = |t: chrono::DateTime<chrono::Utc>| t.format("%y%m%d%H%M%SZ").to_string();
        for (issued, status) in certificates {
            let line = match status {
                Status::Good => format!("V\t{}\t\t{}\tunknown\t/CN=holder\n", stamp(issued.not_after), issued.serial_hex),
                Status::Revoked => {
                    let when = stamp(chrono::Utc::now() - chrono::Duration::days(1));
                    format!("R\t{}\t{when}\t{}\tunknown\t/CN=holder\n", stamp(issued.not_after), issued.serial_hex)
                }
            };
            file.write_all(line.as_bytes()).expect("OCSP index line");
        }
        drop(file);
        let child = Command::new("openssl")
            .arg("ocsp")
            .arg("-index")
            .arg(&index)
            // OpenSSL 3.0 takes a port only (it listens on every address; tests talk to loopback).
            .args(["-port", &port.to_string()])
            .arg("-rsigner")
            .arg(ca.pem_path())
            .arg("-rkey")
            .arg(ca.key_path())
            .arg("-CA")
            .arg(ca.pem_path())
            .args(["-ndays", "1", "-ignore_err"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl ocsp (scripts/test installs openssl)");
        let deadline = Instant::now() + Duration::from_secs(10);
        // Not by connecting: `openssl ocsp` serves one connection at a time and gives up on one
        // that sends nothing.
        while !listening(port) {
            assert!(Instant::now() < deadline, "openssl ocsp did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        OcspResponder { child, url: format!("http://127.0.0.1:{port}/") }
    }
}

/// Something listens on `port` (the kernel's socket tables, IPv4 and IPv6).
fn listening(port: u16) -> bool {
    let needle = format!(":{port:04X} ");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|table| {
        std::fs::read_to_string(table).unwrap_or_default().lines().any(|l| {
            l.split_whitespace().nth(1).is_some_and(|local| format!("{local} ").ends_with(&needle))
                && l.split_whitespace().nth(3) == Some("0A")
        })
    })
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
