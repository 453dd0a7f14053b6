//! The pairing code a person carries from the chat to the PC: 8 letters from an alphabet without
//! vowels or look-alikes (no 0/O, 1/I/l, no words), shown as `KQFM-DXZT`; ~34.6 bits. Typing is
//! forgiving: lower case, no dash, spaces anywhere.

use std::fmt;

/// 20 consonants: nothing to misread, nothing that spells a word.
pub const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const LENGTH: usize = 8;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PairingCode(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairingCodeError {
    Empty,
    /// This many letters, not 8.
    Length(usize),
    /// A character that never appears in a code (a vowel, a digit, a sign).
    Character(char),
}

impl PairingCodeError {
    /// The Fluent message (in `agent.ftl`) and its variables.
    pub fn message(self) -> (&'static str, Vec<(&'static str, crate::Arg)>) {
        match self {
            PairingCodeError::Empty => ("pair-code-empty", vec![]),
            PairingCodeError::Length(n) => ("pair-code-length", vec![("count", crate::Arg::from(n))]),
            PairingCodeError::Character(c) => ("pair-code-character", vec![("char", crate::Arg::from(c.to_string()))]),
        }
    }
}

impl PairingCode {
    /// A new random code; `random_index(n)` returns a uniform value below `n`.
    pub fn generate(mut random_index: impl FnMut(usize) -> usize) -> PairingCode {
        PairingCode((0..LENGTH).map(|_| char::from(ALPHABET[random_index(ALPHABET.len())])).collect())
    }

    pub fn parse(typed: &str) -> Result<PairingCode, PairingCodeError> {
        let mut letters = String::with_capacity(LENGTH);
        for c in typed.chars() {
            if c.is_whitespace() || matches!(c, '-' | '–' | '—' | '_' | '.') {
                continue;
            }
            // Turkish keyboards: ı/İ never appear in codes, so plain ASCII upper-casing is right.
            let upper = c.to_ascii_uppercase();
            if !upper.is_ascii() || !ALPHABET.contains(&(upper as u8)) {
                return Err(PairingCodeError::Character(c));
            }
            letters.push(upper);
        }
        match letters.len() {
            0 => Err(PairingCodeError::Empty),
            LENGTH => Ok(PairingCode(letters)),
            n => Err(PairingCodeError::Length(n)),
        }
    }

    /// The 8 letters without the dash: what is hashed and stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `KQFM-DXZT`, as people see it.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..4], &self.0[4..])
    }
}

/// A code is a secret while it is valid: debug output shows only its first letter.
impl fmt::Debug for PairingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PairingCode({}***)", &self.0[..1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forgiving_parse() {
        let code = PairingCode::parse("KQFM-DXZT").unwrap();
        assert_eq!(code.display(), "KQFM-DXZT");
        for typed in ["kqfmdxzt", " kqfm dxzt ", "KQFM–DXZT", "k q f m - d x z t", "kqfm_dxzt\n"] {
            assert_eq!(PairingCode::parse(typed), Ok(code.clone()), "{typed}");
        }
    }

    #[test]
    fn mistakes_are_named() {
        assert_eq!(PairingCode::parse(""), Err(PairingCodeError::Empty));
        assert_eq!(PairingCode::parse(" - "), Err(PairingCodeError::Empty));
        assert_eq!(PairingCode::parse("KQFM-DXZ"), Err(PairingCodeError::Length(7)));
        assert_eq!(PairingCode::parse("KQFM-DXZTB"), Err(PairingCodeError::Length(9)));
        assert_eq!(PairingCode::parse("KQFM-DXZ0"), Err(PairingCodeError::Character('0')));
        assert_eq!(PairingCode::parse("KAFM-DXZT"), Err(PairingCodeError::Character('A')));
        assert_eq!(PairingCode::parse("kıfm-dxzt"), Err(PairingCodeError::Character('ı')));
    }

    #[test]
    fn generated_codes_parse_and_debug_hides_them() {
        let mut n = 0;
        let code = PairingCode::generate(|len| {
            n += 7;
            n % len
        });
        assert_eq!(PairingCode::parse(&code.display()), Ok(code.clone()));
        assert!(format!("{code:?}").ends_with("***)"));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,30}") {
            let _ = PairingCode::parse(&s);
        }
    }
}
