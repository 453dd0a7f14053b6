//! The APDU back-end: the AKİS test profile of CARD.md over any [`Channel`] (PC/SC in the agent).
//! Cards with secure messaging go through PKCS#11 instead; this path serves cards that speak
//! plain ISO 7816-4, and our virtual card in the tests.

use super::apdu::{Command, Response, Transport, exchange, sw};
use super::cert::KeyKind;
use super::{Backend, BackendKind, CardError, Pin, PinTries};

/// A connection that can run a group of APDUs without another program interleaving its own
/// (a PC/SC transaction).
pub trait Channel: Send {
    fn transact<R>(&mut self, f: impl FnOnce(&mut dyn Transport) -> Result<R, CardError>) -> Result<R, CardError>;
}

/// `PKCS-15`, the application (DF) that holds the e-signature objects.
const DF_NAME: &[u8] = b"PKCS-15";
/// The signing certificate's file under that DF.
const EF_SIGNING_CERT: [u8; 2] = [0x2F, 0x10];
/// The PIN's reference in our test profile.
const PIN_REF: u8 = 0x81;
/// The signing key's reference in our test profile.
const KEY_REF: u8 = 0x01;
/// Algorithm reference for RSA PKCS#1 v1.5 with a DigestInfo supplied by us.
const ALG_RSA_PKCS1: u8 = 0x02;
/// READ BINARY chunk: fits every reader's short APDU buffer with room to spare.
const CHUNK: usize = 0xE7;
/// A certificate larger than this is not a certificate.
const MAX_CERT: usize = 16 * 1024;

/// DER prefix of a SHA-256 DigestInfo (RFC 8017 § 9.2, note 1).
const SHA256_DIGEST_INFO: [u8; 19] =
    [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

pub struct ApduBackend<C> {
    channel: C,
}

impl<C: Channel> ApduBackend<C> {
    pub fn new(channel: C) -> ApduBackend<C> {
        ApduBackend { channel }
    }
}

fn check(r: Response) -> Result<Response, CardError> {
    match r.sw {
        sw::OK => Ok(r),
        sw::SECURITY_STATUS => Err(CardError::NotVerified),
        sw::PIN_BLOCKED | sw::PIN_BLOCKED_V1 => Err(CardError::PinLocked),
        sw::FILE_NOT_FOUND | sw::REF_NOT_FOUND => Err(CardError::NoCertificate),
        other => Err(CardError::Refused { sw: other }),
    }
}

fn select_application(t: &mut dyn Transport) -> Result<(), CardError> {
    check(exchange(t, &Command::new(0x00, 0xA4, 0x04, 0x0C).data(DF_NAME))?).map(drop)
}

/// The file size from the FCP template (tag 80 or 81 inside 62), if the card gave one.
fn fcp_size(fcp: &[u8]) -> Option<usize> {
    let body = match fcp {
        [0x62, len, rest @ ..] if usize::from(*len) <= rest.len() => &rest[..usize::from(*len)],
        _ => return None,
    };
    let mut i = 0;
    while i + 2 <= body.len() {
        let (tag, len) = (body[i], usize::from(body[i + 1]));
        let value = body.get(i + 2..i + 2 + len)?;
        if tag == 0x80 || tag == 0x81 {
            return Some(value.iter().fold(0usize, |acc, b| acc << 8 | usize::from(*b)));
        }
        i += 2 + len;
    }
    None
}

impl<C: Channel> Backend for ApduBackend<C> {
    fn kind(&self) -> BackendKind {
        BackendKind::Apdu
    }

    fn read_certificate(&mut self) -> Result<Vec<u8>, CardError> {
        self.channel.transact(|t| {
            select_application(t)?;
            let fcp = check(exchange(t, &Command::new(0x00, 0xA4, 0x02, 0x00).data(EF_SIGNING_CERT).le(256))?)?;
            let size = fcp_size(&fcp.data).unwrap_or(MAX_CERT).min(MAX_CERT);
            let mut der = Vec::with_capacity(size);
            while der.len() < size {
                let offset = der.len();
                if offset > 0x7FFF {
                    break;
                }
                let want = CHUNK.min(size - offset);
                let r = exchange(t, &Command::new(0x00, 0xB0, (offset >> 8) as u8, offset as u8).le(want))?;
                let ended = r.sw == sw::END_OF_FILE;
                if !ended {
                    check(r.clone())?;
                }
                if r.data.is_empty() {
                    break;
                }
                der.extend_from_slice(&r.data);
                if ended {
                    break;
                }
            }
            if der.is_empty() {
                return Err(CardError::NoCertificate);
            }
            Ok(der)
        })
    }

    fn pin_tries(&mut self) -> Result<PinTries, CardError> {
        self.channel.transact(|t| {
            select_application(t)?;
            // VERIFY without data asks the counter and costs no try.
            let r = exchange(t, &Command::new(0x00, 0x20, 0x00, PIN_REF))?;
            match r.sw {
                sw::OK => Ok(PinTries::NotLow),
                sw::PIN_BLOCKED | sw::PIN_BLOCKED_V1 => Ok(PinTries::Locked),
                s => match sw::tries_left(s) {
                    Some(n) => Ok(PinTries::from_count(n)),
                    None => Err(CardError::Refused { sw: s }),
                },
            }
        })
    }

    fn verify_pin(&mut self, pin: &Pin) -> Result<(), CardError> {
        self.channel.transact(|t| {
            select_application(t)?;
            // Built by hand in a buffer that is wiped on drop: a `Command` would copy the digits
            // into a Vec nobody clears.
            let digits = pin.expose();
            let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(5 + digits.len()));
            bytes.extend_from_slice(&[0x00, 0x20, 0x00, PIN_REF, digits.len() as u8]);
            bytes.extend_from_slice(digits);
            let r = Response::parse(&t.transmit_raw(&bytes)?)?;
            match r.sw {
                sw::OK => Ok(()),
                s => match sw::tries_left(s) {
                    Some(0) => Err(CardError::PinLocked),
                    Some(n) => Err(CardError::WrongPin { tries: PinTries::from_count(n) }),
                    None => check(r).map(drop),
                },
            }
        })
    }

    fn sign_digest(&mut self, digest: &[u8; 32], key: KeyKind) -> Result<Vec<u8>, CardError> {
        if !matches!(key, KeyKind::Rsa { .. }) {
            return Err(CardError::Refused { sw: sw::CONDITIONS });
        }
        self.channel.transact(|t| {
            select_application(t)?;
            let mse = Command::new(0x00, 0x22, 0x41, 0xB6).data([0x80, 0x01, ALG_RSA_PKCS1, 0x84, 0x01, KEY_REF]);
            check(exchange(t, &mse)?)?;
            let mut digest_info = SHA256_DIGEST_INFO.to_vec();
            digest_info.extend_from_slice(digest);
            let pso = Command::new(0x00, 0x2A, 0x9E, 0x9A).data(digest_info).le(256);
            Ok(check(exchange(t, &pso)?)?.data)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_size_from_fcp() {
        assert_eq!(fcp_size(&[0x62, 0x04, 0x80, 0x02, 0x05, 0xA0]), Some(0x5A0));
        assert_eq!(fcp_size(&[0x62, 0x07, 0x82, 0x01, 0x01, 0x81, 0x02, 0x01, 0x00]), Some(256));
        assert_eq!(fcp_size(&[0x62, 0x02, 0x82, 0x01]), None);
        assert_eq!(fcp_size(&[0x6F, 0x00]), None);
        assert_eq!(fcp_size(&[0x62, 0x09, 0x80]), None);
    }
}
