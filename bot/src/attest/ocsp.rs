//! Revocation by OCSP (RFC 6960), optional (`trust.ocsp`): the responder named in the
//! certificate's Authority Information Access, or a configured one, is asked about the
//! certificate; only a `good` answer, signed by the issuer (or by a responder certificate the
//! issuer signed for OCSP), fresh, and about this very certificate, lets an attestation through.

use std::time::Duration;

use der::{Decode, Encode};
use eimza_protocol::attest::AttestationRefusal;
use x509_ocsp::{BasicOcspResponse, CertId, CertStatus, OcspRequest, OcspResponse, OcspResponseStatus, Request, TbsRequest};
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

/// Longest answer read from a responder.
const MAX_RESPONSE: usize = 64 * 1024;
/// Clocks differ: an answer "from the future" by this much is still fresh.
const SKEW_SECS: i64 = 300;

const SHA1: &str = "1.3.14.3.2.26";
const OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
/// An answer without `nextUpdate` counts for this long after its `thisUpdate`.
const MAX_AGE_WITHOUT_NEXT_UPDATE: i64 = 24 * 3600;

pub struct Ocsp {
    client: http_client::Client,
    /// Used instead of the certificate's own responder when set.
    responder: Option<String>,
}

impl Ocsp {
    pub fn new(responder: Option<String>, timeout: Duration) -> anyhow::Result<Ocsp> {
        // No redirects: an answer comes from the responder asked, or not at all.
        let client = http_client::Client::builder().timeout(timeout).redirect(http_client::redirect::Policy::none()).build()?;
        Ok(Ocsp { client, responder: responder.filter(|r| !r.trim().is_empty()) })
    }

    /// `Ok` only for a `good` answer about this certificate.
    pub async fn check(&self, certificate: &[u8], issuer: &[u8], now: chrono::DateTime<chrono::Utc>) -> Result<(), AttestationRefusal> {
        let unknown = AttestationRefusal::RevocationUnknown;
        let (_, cert) = X509Certificate::from_der(certificate).map_err(|_| unknown)?;
        let (_, ca) = X509Certificate::from_der(issuer).map_err(|_| unknown)?;
        let url = self.responder.clone().or_else(|| responder_of(&cert)).ok_or(unknown)?;
        let id = cert_id(&cert, &ca).ok_or(unknown)?;
        let request = OcspRequest {
            tbs_request: TbsRequest {
                version: Default::default(),
                requestor_name: None,
                request_list: vec![Request { req_cert: id.clone(), single_request_extensions: None }],
                request_extensions: None,
            },
            optional_signature: None,
        };
        let body = request.to_der().map_err(|_| unknown)?;
        let answer = self.client.post(&url).header("Content-Type", "application/ocsp-request").body(body).send().await.map_err(|e| {
            tracing::warn!(error = %e, "OCSP responder did not answer");
            unknown
        })?;
        if !answer.status().is_success() {
            tracing::warn!(status = %answer.status(), "OCSP responder refused");
            return Err(unknown);
        }
        if answer.content_length().is_some_and(|n| n > MAX_RESPONSE as u64) {
            return Err(unknown);
        }
        let bytes = answer.bytes().await.map_err(|_| unknown)?;
        if bytes.len() > MAX_RESPONSE {
            return Err(unknown);
        }
        status_in(&bytes, &id, &ca, now)
    }
}

/// The responder of the certificate's Authority Information Access (http only: OCSP answers are
/// signed, and responders serve plain HTTP).
fn responder_of(cert: &X509Certificate) -> Option<String> {
    cert.extensions().iter().find_map(|ext| match ext.parsed_extension() {
        ParsedExtension::AuthorityInfoAccess(aia) => aia.accessdescs.iter().find_map(|d| match &d.access_location {
            GeneralName::URI(uri) if d.access_method.to_id_string() == "1.3.6.1.5.5.7.48.1" && uri.starts_with("http") => {
                Some((*uri).to_owned())
            }
            _ => None,
        }),
        _ => None,
    })
}

/// RFC 6960's CertID with SHA-1: the issuer's name and key hashed, and the serial number.
fn cert_id(cert: &X509Certificate, issuer: &X509Certificate) -> Option<CertId> {
    let sha1 = |data: &[u8]| ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data).as_ref().to_vec();
    Some(CertId {
        hash_algorithm: spki::AlgorithmIdentifierOwned { oid: SHA1.parse().ok()?, parameters: Some(der::asn1::Null.into()) },
        issuer_name_hash: der::asn1::OctetString::new(sha1(cert.issuer().as_raw())).ok()?,
        issuer_key_hash: der::asn1::OctetString::new(sha1(&issuer.public_key().subject_public_key.data)).ok()?,
        serial_number: x509_cert::serial_number::SerialNumber::new(cert.raw_serial()).ok()?,
    })
}

/// Reads the responder's answer: signed by the issuer or its delegated responder, fresh, `good`
/// for our CertID.
fn status_in(bytes: &[u8], id: &CertId, issuer: &X509Certificate, now: chrono::DateTime<chrono::Utc>) -> Result<(), AttestationRefusal> {
    let unknown = AttestationRefusal::RevocationUnknown;
    let response = OcspResponse::from_der(bytes).map_err(|_| unknown)?;
    if response.response_status != OcspResponseStatus::Successful {
        return Err(unknown);
    }
    let basic = response.response_bytes.ok_or(unknown)?;
    let basic = BasicOcspResponse::from_der(basic.response.as_bytes()).map_err(|_| unknown)?;
    if !signed_by_issuer(&basic, issuer) {
        tracing::warn!("an OCSP answer not signed by the issuer was ignored");
        return Err(unknown);
    }
    let single = basic.tbs_response_data.responses.iter().find(|r| same_cert(&r.cert_id, id)).ok_or(unknown)?;
    let seconds = |t: &x509_ocsp::OcspGeneralizedTime| t.0.to_unix_duration().as_secs() as i64;
    let now = now.timestamp();
    // Fresh: made before now, and either still inside its own validity or — when it names none —
    // no older than a day (an old `good` answer must not stand in for a revocation since).
    let this_update = seconds(&single.this_update);
    let fresh = this_update <= now + SKEW_SECS
        && match single.next_update.as_ref() {
            Some(next) => now - SKEW_SECS <= seconds(next),
            None => now - this_update <= MAX_AGE_WITHOUT_NEXT_UPDATE,
        };
    match &single.cert_status {
        _ if !fresh => Err(unknown),
        CertStatus::Good(_) => Ok(()),
        CertStatus::Revoked(_) => Err(AttestationRefusal::Revoked),
        CertStatus::Unknown(_) => Err(unknown),
    }
}

/// The same CertID: hash algorithm (its parameters aside: a NULL may be left out), issuer
/// hashes and serial number.
fn same_cert(a: &CertId, b: &CertId) -> bool {
    a.hash_algorithm.oid == b.hash_algorithm.oid
        && a.issuer_name_hash == b.issuer_name_hash
        && a.issuer_key_hash == b.issuer_key_hash
        && a.serial_number == b.serial_number
}

/// The answer's signature verifies with the issuer's key, or with an included responder
/// certificate that the issuer signed and that may sign OCSP answers.
fn signed_by_issuer(basic: &BasicOcspResponse, issuer: &X509Certificate) -> bool {
    let Ok(tbs) = basic.tbs_response_data.to_der() else { return false };
    let Some(signature) = basic.signature.as_bytes() else { return false };
    let algorithm = basic.signature_algorithm.oid.to_string();
    if verifies(&algorithm, &issuer.public_key().subject_public_key.data, &tbs, signature) {
        return true;
    }
    basic.certs.iter().flatten().any(|responder| {
        let Ok(der) = responder.to_der() else { return false };
        let Ok((_, responder)) = X509Certificate::from_der(&der) else { return false };
        let delegated = match responder.extended_key_usage() {
            Ok(Some(eku)) => eku.value.other.iter().any(|o| o.to_id_string() == OCSP_SIGNING) || eku.value.ocsp_signing,
            _ => false,
        };
        let valid_now = responder.validity().is_valid();
        delegated
            && valid_now
            && responder.verify_signature(Some(issuer.public_key())).is_ok()
            && verifies(&algorithm, &responder.public_key().subject_public_key.data, &tbs, signature)
    })
}

fn verifies(algorithm: &str, key: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use ring::signature::{self as sig, UnparsedPublicKey, VerificationAlgorithm};
    let algorithm: &dyn VerificationAlgorithm = match algorithm {
        "1.2.840.113549.1.1.11" => &sig::RSA_PKCS1_2048_8192_SHA256,
        "1.2.840.113549.1.1.12" => &sig::RSA_PKCS1_2048_8192_SHA384,
        "1.2.840.113549.1.1.13" => &sig::RSA_PKCS1_2048_8192_SHA512,
        "1.2.840.10045.4.3.2" => &sig::ECDSA_P256_SHA256_ASN1,
        "1.2.840.10045.4.3.3" => &sig::ECDSA_P384_SHA384_ASN1,
        _ => return false,
    };
    UnparsedPublicKey::new(algorithm, key).verify(message, signature).is_ok()
}
