//! SoftHSM2 as the PKCS#11 module, standing in for Kamu SM's `akisp11`: a token directory of the
//! test process's own, tokens made in the test with the key pair generated *on the token* (as a
//! card does) and a Kamu SM-like certificate for its public key stored beside it.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectClass};
use cryptoki::session::UserType;
use cryptoki::types::AuthPin;
use rsa::BigUint;
use rsa::pkcs1::EncodeRsaPublicKey;

use crate::pki::{CertSpec, PublicKey};

pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";
pub const USER_PIN: &str = "123456";
const SO_PIN: &str = "87654321";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAlg {
    Rsa2048,
    EcP256,
}

pub struct SoftHsm {
    /// `SOFTHSM2_CONF` for agent processes started by the tests.
    pub conf: PathBuf,
    context: Pkcs11,
    /// Token set-up is one at a time: SoftHSM hands out one free slot at a time.
    setup: Mutex<()>,
    _dir: tempfile::TempDir,
}

impl SoftHsm {
    /// The process's SoftHSM, made on first use. Its configuration goes into `SOFTHSM2_CONF`,
    /// which SoftHSM reads when it is initialised — by the tests here or by the agent's code in
    /// this process — and which agent processes get passed explicitly.
    pub fn shared() -> &'static SoftHsm {
        static HSM: OnceLock<SoftHsm> = OnceLock::new();
        HSM.get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let tokens = dir.path().join("tokens");
            std::fs::create_dir_all(&tokens).expect("token dir");
            let conf = dir.path().join("softhsm2.conf");
            std::fs::write(
                &conf,
                format!(
                    "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
                    tokens.display()
                ),
            )
            .expect("softhsm2.conf");
            // SAFETY: set once, before this process loads SoftHSM (this OnceLock is the only
            // place that does); nothing else in the tests reads or writes this variable.
            #[allow(unsafe_code)] // setting an environment variable is unsafe in edition 2024; see SAFETY
            unsafe {
                std::env::set_var("SOFTHSM2_CONF", &conf)
            };
            let context = Pkcs11::new(MODULE).expect("SoftHSM2 module (the softhsm2 package; scripts/test installs it)");
            context.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)).expect("C_Initialize");
            SoftHsm { conf, context, setup: Mutex::new(()), _dir: dir }
        })
    }

    /// Holds off token set-up while an agent process reads the token folder: SoftHSM in another
    /// process may see a token half written.
    pub fn quiet(&self) -> std::sync::MutexGuard<'_, ()> {
        self.setup.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new token labelled `label` with a key pair of `alg` and a certificate from `spec`.
    pub fn token(&self, label: &str, alg: KeyAlg, spec: &CertSpec) {
        let _one_at_a_time = self.setup.lock().unwrap_or_else(|p| p.into_inner());
        let ctx = &self.context;
        let free = ctx
            .get_all_slots()
            .expect("slots")
            .into_iter()
            .find(|s| ctx.get_token_info(*s).map(|t| !t.token_initialized()).unwrap_or(false))
            .expect("SoftHSM always offers a free slot");
        ctx.init_token(free, &AuthPin::from(SO_PIN), label).expect("C_InitToken");
        // SoftHSM gives the new token a slot id of its own: find it by label.
        let slot = ctx
            .get_slots_with_token()
            .expect("slots")
            .into_iter()
            .find(|s| ctx.get_token_info(*s).map(|t| t.label().trim() == label).unwrap_or(false))
            .expect("the new token");
        let session = ctx.open_rw_session(slot).expect("session");
        session.login(UserType::So, Some(&AuthPin::from(SO_PIN))).expect("SO login");
        session.init_pin(&AuthPin::from(USER_PIN)).expect("C_InitPIN");
        session.logout().expect("logout");
        session.login(UserType::User, Some(&AuthPin::from(USER_PIN))).expect("user login");

        let id = vec![0x45, 0x01];
        let (mechanism, public_template) = match alg {
            KeyAlg::Rsa2048 => (
                Mechanism::RsaPkcsKeyPairGen,
                vec![
                    Attribute::Token(true),
                    Attribute::Private(false),
                    Attribute::ModulusBits(2048.into()),
                    Attribute::PublicExponent(vec![1, 0, 1]),
                    Attribute::Verify(true),
                    Attribute::Id(id.clone()),
                ],
            ),
            KeyAlg::EcP256 => (
                Mechanism::EccKeyPairGen,
                vec![
                    Attribute::Token(true),
                    Attribute::Private(false),
                    // DER of OID 1.2.840.10045.3.1.7 (P-256).
                    Attribute::EcParams(vec![0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]),
                    Attribute::Verify(true),
                    Attribute::Id(id.clone()),
                ],
            ),
        };
        let private_template = vec![
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Sign(true),
            Attribute::Id(id.clone()),
        ];
        let (public, _private) = session.generate_key_pair(&mechanism, &public_template, &private_template).expect("C_GenerateKeyPair");
        let key = match alg {
            KeyAlg::Rsa2048 => {
                let attrs = session.get_attributes(public, &[AttributeType::Modulus, AttributeType::PublicExponent]).expect("modulus");
                let (mut n, mut e) = (Vec::new(), Vec::new());
                for a in attrs {
                    match a {
                        Attribute::Modulus(v) => n = v,
                        Attribute::PublicExponent(v) => e = v,
                        _ => {}
                    }
                }
                let public = rsa::RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e)).expect("RSA public key");
                PublicKey { bits: public.to_pkcs1_der().expect("DER").into_vec(), algorithm: &rcgen::PKCS_RSA_SHA256 }
            }
            KeyAlg::EcP256 => {
                let attrs = session.get_attributes(public, &[AttributeType::EcPoint]).expect("EC point");
                let point = attrs
                    .into_iter()
                    .find_map(|a| match a {
                        Attribute::EcPoint(v) => Some(v),
                        _ => None,
                    })
                    .expect("EC point");
                // CKA_EC_POINT is the point wrapped in a DER OCTET STRING (04 41 …).
                PublicKey { bits: point[2..].to_vec(), algorithm: &rcgen::PKCS_ECDSA_P256_SHA256 }
            }
        };
        let der = spec.der(&key);
        let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("own certificate parses");
        session
            .create_object(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::CertificateType(CertificateType::X_509),
                Attribute::Token(true),
                Attribute::Label(b"imza".to_vec()),
                Attribute::Id(id),
                Attribute::Subject(cert.subject().as_raw().to_vec()),
                Attribute::Value(der.clone()),
            ])
            .expect("C_CreateObject certificate");
        // Closing the last session logs the tests' user out: the agent must log in itself.
        session.logout().expect("logout");
        drop(session);
    }
}
