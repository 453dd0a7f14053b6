//! The e-Onay attestation: after the person finished e-Onay on Kamu SM's site, their own card
//! signs a statement that binds it to this bot, this ticket, this person, this PC and a one-time
//! nonce the bot handed out (web-eid's authentication token, bound tighter). Both sides build and
//! read the statement here, byte for byte; the HTTP bodies of the agent's API that carry it are
//! here too.
//!
//! The statement is UTF-8 text, one `key: value` per line in a fixed order, each line ending in
//! `\n`, nothing else — the signed bytes are exactly what [`Statement::encode`] writes:
//!
//! ```text
//! EIMZA-EONAY-ATTESTATION/1
//! origin: https://eimza.kurum.gov.tr
//! ticket: EIMZA-2026-000123
//! tckn: 10000000146
//! nonce: kX3v0uVtq8d5mC1n2b7rWQyZsJ4eH6fA9gL0pT3oRk8
//! agent: a-Qx7…
//! signed-at: 2026-12-01T10:00:00Z
//! statement: EIMZA-2026-000123 numaralı başvurum için e-Onay işlemini tamamladığımı beyan ederim.
//! ```

use serde::{Deserialize, Serialize};

use crate::wire::{CardProblem, Id};
use crate::{Catalog, Lang, Tckn, TicketNo};

/// The first line: the format's name and version.
pub const FORMAT: &str = "EIMZA-EONAY-ATTESTATION/1";

/// A nonce is valid this long after the bot handed it out.
pub const NONCE_TTL_SECS: i64 = 5 * 60;

/// The canonical statement a card signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Statement {
    /// The bot's address as the agent was paired with it (`https://…`, no trailing slash).
    pub origin: String,
    pub ticket: TicketNo,
    pub tckn: Tckn,
    pub nonce: Id,
    pub agent: Id,
    /// When the card signed it, whole seconds, UTC.
    pub signed_at: chrono::DateTime<chrono::Utc>,
}

/// Why a statement does not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("not UTF-8 text")]
    NotText,
    #[error("not the format {FORMAT}")]
    Format,
    #[error("line {0} is not what the format says")]
    Line(usize),
    #[error("a value has the wrong shape: {0}")]
    Value(&'static str),
    #[error("the sentence is not the one the person agreed to")]
    Sentence,
}

impl Statement {
    /// The sentence the person agrees to, shown before the PIN (Turkish: the legal text).
    pub fn sentence(ticket: &TicketNo) -> String {
        Catalog::shared().text(Lang::Tr, "attest-sentence", &[("ticket", ticket.to_string().into())])
    }

    /// The exact bytes the card signs.
    pub fn encode(&self) -> Vec<u8> {
        let lines = [
            FORMAT.to_owned(),
            format!("origin: {}", self.origin),
            format!("ticket: {}", self.ticket),
            format!("tckn: {}", self.tckn.as_str()),
            format!("nonce: {}", self.nonce),
            format!("agent: {}", self.agent),
            format!("signed-at: {}", self.signed_at.format("%Y-%m-%dT%H:%M:%SZ")),
            format!("statement: {}", Self::sentence(&self.ticket)),
        ];
        lines.iter().flat_map(|l| [l.as_str(), "\n"]).collect::<String>().into_bytes()
    }

    /// Reads signed bytes back, strictly: anything but what [`Statement::encode`] would write
    /// for the same values is refused.
    pub fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
        let text = std::str::from_utf8(bytes).map_err(|_| StatementError::NotText)?;
        let body = text.strip_suffix('\n').ok_or(StatementError::Format)?;
        let lines: Vec<&str> = body.split('\n').collect();
        if lines.first() != Some(&FORMAT) {
            return Err(StatementError::Format);
        }
        if lines.len() != 8 {
            return Err(StatementError::Line(lines.len().min(8)));
        }
        let keys = ["origin", "ticket", "tckn", "nonce", "agent", "signed-at", "statement"];
        let mut values = Vec::with_capacity(keys.len());
        for (i, key) in keys.iter().enumerate() {
            let value = lines[i + 1].strip_prefix(key).and_then(|r| r.strip_prefix(": ")).ok_or(StatementError::Line(i + 2))?;
            values.push(value);
        }
        let origin = values[0];
        if origin.is_empty() || origin.len() > 200 || origin.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(StatementError::Value("origin"));
        }
        let ticket: TicketNo = values[1].parse().map_err(|_| StatementError::Value("ticket"))?;
        let tckn = Tckn::parse(values[2]).ok().filter(|t| t.as_str() == values[2]).ok_or(StatementError::Value("tckn"))?;
        let nonce = Id::new(values[3]).ok_or(StatementError::Value("nonce"))?;
        let agent = Id::new(values[4]).ok_or(StatementError::Value("agent"))?;
        let signed_at = chrono::NaiveDateTime::parse_from_str(values[5], "%Y-%m-%dT%H:%M:%SZ")
            .map_err(|_| StatementError::Value("signed-at"))?
            .and_utc();
        let statement = Statement { origin: origin.to_owned(), ticket, tckn, nonce, agent, signed_at };
        if values[6] != Self::sentence(&statement.ticket) {
            return Err(StatementError::Sentence);
        }
        // The canonical form only: the same values must give the same bytes.
        if statement.encode() != bytes {
            return Err(StatementError::Format);
        }
        Ok(statement)
    }
}

/// How the card signed: what the bot verifies the signature with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureAlgorithm {
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPssSha256,
    RsaPssSha384,
    EcdsaP256Sha256,
    EcdsaP384Sha384,
}

// ---------------------------------------------------------------------------------------------
// The agent's HTTP API (bearer agent token), besides the WebSocket link.

/// `GET /api/agent/card-step`: the ticket waiting for this PC's card step, if any.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardStepInfo {
    pub ticket_no: TicketNo,
    /// The holder's number: the PC refuses someone else's card before any PIN is asked.
    pub tckn: Tckn,
    /// The bot's address, as the statement must name it.
    pub origin: String,
}

/// `POST /api/agent/challenges`: a nonce for this ticket, this person and this PC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeRequest {
    pub ticket_no: TicketNo,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// 32 random bytes, base64url.
    pub nonce: Id,
    pub ticket_no: TicketNo,
    /// RFC 3339; the attestation must arrive before.
    pub expires_at: String,
}

/// `POST /api/agent/attestations`: the signed statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// The statement's exact bytes, base64 (standard alphabet).
    pub statement: String,
    pub algorithm: SignatureAlgorithm,
    /// The signature, base64.
    pub signature: String,
    /// The card's signing certificate, DER, base64.
    pub certificate: String,
}

/// The bot's answer to an attestation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    /// e-Onay is recorded as done for the ticket.
    Accepted { ticket_no: TicketNo },
    /// Nothing changed; `reason` says why (`message` in the requested language).
    Refused { reason: AttestationRefusal, message: String },
}

/// Why the bot refused an attestation, in the order it checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AttestationRefusal {
    /// The body or the statement does not read.
    Malformed,
    /// The statement names another bot.
    WrongOrigin,
    /// The signature does not verify with the certificate's key.
    BadSignature,
    /// The certificate does not chain to a trusted Kamu SM certificate.
    UntrustedCertificate,
    /// The certificate was not valid now or when it signed.
    CertificateNotValid,
    /// The certificate may not sign (key usage).
    NotForSigning,
    /// The certificate is someone else's.
    WrongPerson,
    /// The nonce was not handed out for this ticket, person and PC.
    UnknownNonce,
    NonceExpired,
    /// The nonce was used before (a replay).
    NonceUsed,
    /// The certificate is revoked (OCSP).
    Revoked,
    /// Revocation could not be checked (the responder did not answer `good`).
    RevocationUnknown,
    /// The ticket is not waiting for e-Onay.
    WrongState,
    /// A refusal of a newer bot.
    #[serde(other)]
    Unknown,
}

impl AttestationRefusal {
    /// The stable code (history notes, logs).
    pub fn code(self) -> &'static str {
        match self {
            AttestationRefusal::Malformed => "malformed",
            AttestationRefusal::WrongOrigin => "wrong-origin",
            AttestationRefusal::BadSignature => "bad-signature",
            AttestationRefusal::UntrustedCertificate => "untrusted-certificate",
            AttestationRefusal::CertificateNotValid => "certificate-not-valid",
            AttestationRefusal::NotForSigning => "not-for-signing",
            AttestationRefusal::WrongPerson => "wrong-person",
            AttestationRefusal::UnknownNonce => "unknown-nonce",
            AttestationRefusal::NonceExpired => "nonce-expired",
            AttestationRefusal::NonceUsed => "nonce-used",
            AttestationRefusal::Revoked => "revoked",
            AttestationRefusal::RevocationUnknown => "revocation-unknown",
            AttestationRefusal::WrongState => "wrong-state",
            AttestationRefusal::Unknown => "unknown",
        }
    }

    /// What the person reads about it (bot.ftl and agent.ftl both have it).
    pub fn message_id(self) -> &'static str {
        match self {
            AttestationRefusal::Malformed | AttestationRefusal::WrongOrigin | AttestationRefusal::Unknown => "attest-refused-malformed",
            AttestationRefusal::BadSignature => "attest-refused-signature",
            AttestationRefusal::UntrustedCertificate | AttestationRefusal::NotForSigning => "attest-refused-untrusted",
            AttestationRefusal::CertificateNotValid => "attest-refused-not-valid",
            AttestationRefusal::WrongPerson => "attest-refused-wrong-person",
            AttestationRefusal::UnknownNonce | AttestationRefusal::NonceExpired | AttestationRefusal::NonceUsed => "attest-refused-nonce",
            AttestationRefusal::Revoked => "attest-refused-revoked",
            AttestationRefusal::RevocationUnknown => "attest-refused-revocation-unknown",
            AttestationRefusal::WrongState => "attest-refused-state",
        }
    }
}

/// `POST /api/agent/card-checks`: what the PC found on the card outside a work item (the e-Onay
/// step found the PIN locked, say), with the same meaning as a `card-check` report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardCheckReport {
    pub ticket_no: TicketNo,
    pub usable: bool,
    #[serde(default)]
    pub problems: Vec<CardProblem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement() -> Statement {
        Statement {
            origin: "https://eimza.kurum.gov.tr".into(),
            ticket: TicketNo::new(2026, 123),
            tckn: Tckn::parse("10000000146").unwrap(),
            nonce: Id::new("kX3v0uVtq8d5mC1n2b7rWQyZsJ4eH6fA9gL0pT3oRk8").unwrap(),
            agent: Id::new("a-Qx7kX3v0uVtq8d5mC1n2b").unwrap(),
            signed_at: chrono::DateTime::from_timestamp(1_796_119_200, 0).unwrap(),
        }
    }

    #[test]
    fn the_statement_is_canonical_and_reads_back() {
        let s = statement();
        let bytes = s.encode();
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("EIMZA-EONAY-ATTESTATION/1\norigin: https://eimza.kurum.gov.tr\nticket: EIMZA-2026-000123\n"));
        assert!(
            text.ends_with("statement: EIMZA-2026-000123 numaralı başvurum için e-Onay işlemini tamamladığımı beyan ederim.\n"),
            "{text}"
        );
        assert!(text.contains("signed-at: 2026-12-01T10:00:00Z\n"), "{text}");
        assert_eq!(Statement::parse(&bytes), Ok(s));
    }

    #[test]
    fn anything_but_the_canonical_bytes_is_refused() {
        let good = String::from_utf8(statement().encode()).unwrap();
        let cases = [
            good.replace("\n", "\r\n"),
            good.trim_end().to_owned(),
            good.replace("ATTESTATION/1", "ATTESTATION/2"),
            good.replace("ticket: EIMZA-2026-000123", "ticket: eimza-2026-000123"),
            good.replace("tckn: 10000000146", "tckn: 10000000147"),
            good.replace("tckn: 10000000146", "tckn: 100 000 001 46"),
            good.replace("nonce: ", "nonce:  "),
            good.replace("beyan ederim.", "beyan etmem."),
            good.replace("origin: https://eimza.kurum.gov.tr", "origin: https://eimza.kurum.gov.tr x"),
            good.replace("signed-at: 2026-12-01T10:00:00Z", "signed-at: 2026-12-01T07:20:00+00:00"),
            format!("{good}extra: 1\n"),
            String::new(),
        ];
        for case in cases {
            assert!(Statement::parse(case.as_bytes()).is_err(), "{case:?}");
        }
        assert_eq!(Statement::parse(&[0xff, 0xfe]), Err(StatementError::NotText));
    }

    proptest::proptest! {
        #[test]
        fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = Statement::parse(&bytes);
        }
    }
}
