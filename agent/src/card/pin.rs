//! The PIN, handled with care: exactly six digits before it may reach a card (a wrong format
//! must never cost a try), kept in memory that is wiped when dropped, and never printed.

use std::fmt;

use serde::Serialize;
use zeroize::Zeroizing;

/// A PIN in the format Kamu SM's e-İmza cards use. `Debug` shows no digit.
pub struct Pin(Zeroizing<Vec<u8>>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinFormatError {
    Empty,
    NotDigits,
    Length(usize),
}

impl PinFormatError {
    pub fn message_id(self) -> &'static str {
        match self {
            PinFormatError::Empty => "pin-format-empty",
            PinFormatError::NotDigits => "pin-format-not-digits",
            PinFormatError::Length(_) => "pin-format-length",
        }
    }
}

impl Pin {
    pub const LENGTH: usize = 6;

    /// Takes the typed text (and wipes the caller's copy by taking ownership of it). Surrounding
    /// whitespace — a newline from the terminal — is ignored; nothing else is forgiven, since a
    /// "corrected" PIN the person did not type could cost a try.
    pub fn parse(typed: Zeroizing<String>) -> Result<Pin, PinFormatError> {
        let trimmed = typed.trim();
        if trimmed.is_empty() {
            return Err(PinFormatError::Empty);
        }
        if !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinFormatError::NotDigits);
        }
        let count = trimmed.chars().count();
        if count != Pin::LENGTH {
            return Err(PinFormatError::Length(count));
        }
        Ok(Pin(Zeroizing::new(trimmed.as_bytes().to_vec())))
    }

    /// The ASCII digits, for the one place that hands them to the card.
    pub(crate) fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(******)")
    }
}

/// What a card says about its PIN counter. APDU cards give a number; PKCS#11 tokens only flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "left", rename_all = "kebab-case")]
pub enum PinTries {
    /// This many tries before the card locks.
    Known(u8),
    /// The token does not say how many, only that the counter is not low.
    NotLow,
    /// The token says a wrong PIN was entered since the last correct one.
    Low,
    /// One try left: the next wrong PIN locks the card.
    Final,
    /// Locked: only Kamu SM's "Kilit Çözme" opens it again.
    Locked,
}

impl PinTries {
    /// Normalises the numeric form: 0 left is locked, 1 left is the final try.
    pub fn from_count(n: u8) -> PinTries {
        match n {
            0 => PinTries::Locked,
            1 => PinTries::Final,
            n => PinTries::Known(n),
        }
    }

    pub fn is_locked(self) -> bool {
        self == PinTries::Locked
    }

    pub fn is_final(self) -> bool {
        self == PinTries::Final
    }

    /// The number of tries when the card tells it.
    pub fn count(self) -> Option<u8> {
        match self {
            PinTries::Known(n) => Some(n),
            PinTries::Final => Some(1),
            PinTries::Locked => Some(0),
            PinTries::NotLow | PinTries::Low => None,
        }
    }
}

/// Whether the person has confirmed, a second time and explicitly, that they want to use the
/// last try. Without it the last try is never used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LastTry {
    NotConfirmed,
    Confirmed,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(s: &str) -> Result<Pin, PinFormatError> {
        Pin::parse(Zeroizing::new(s.to_owned()))
    }

    #[test]
    fn only_six_ascii_digits_are_a_pin() {
        assert_eq!(pin("123456").unwrap().expose(), b"123456");
        assert_eq!(pin(" 123456\n").unwrap().expose(), b"123456");
        assert_eq!(pin("").unwrap_err(), PinFormatError::Empty);
        assert_eq!(pin("  \n").unwrap_err(), PinFormatError::Empty);
        assert_eq!(pin("12345").unwrap_err(), PinFormatError::Length(5));
        assert_eq!(pin("1234567").unwrap_err(), PinFormatError::Length(7));
        assert_eq!(pin("12 3456").unwrap_err(), PinFormatError::NotDigits);
        assert_eq!(pin("12345a").unwrap_err(), PinFormatError::NotDigits);
        // Arabic-Indic and full-width digits are digits to Unicode, not to the card.
        assert_eq!(pin("١٢٣٤٥٦").unwrap_err(), PinFormatError::NotDigits);
        assert_eq!(pin("１２３４５６").unwrap_err(), PinFormatError::NotDigits);
    }

    #[test]
    fn debug_never_shows_the_digits() {
        assert_eq!(format!("{:?}", pin("987654").unwrap()), "Pin(******)");
    }

    #[test]
    fn tries() {
        assert_eq!(PinTries::from_count(0), PinTries::Locked);
        assert_eq!(PinTries::from_count(1), PinTries::Final);
        assert_eq!(PinTries::from_count(3), PinTries::Known(3));
        assert_eq!(PinTries::Final.count(), Some(1));
        assert_eq!(PinTries::Low.count(), None);
        assert_eq!(serde_json::to_string(&PinTries::Known(3)).unwrap(), r#"{"state":"known","left":3}"#);
        assert_eq!(serde_json::to_string(&PinTries::Locked).unwrap(), r#"{"state":"locked"}"#);
    }
}
