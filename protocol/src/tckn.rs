//! TC Kimlik No, the Turkish identity number: the bot validates what a person types, the agent
//! compares it with the number in the card's certificate, and both show it masked.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// TC Kimlik No: 11 digits, the first not 0, two check digits.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Tckn(String);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TcknError {
    #[error("empty")]
    Empty,
    #[error("contains something other than digits")]
    NotDigits,
    #[error("has {0} digits, not 11")]
    Length(usize),
    #[error("starts with 0")]
    LeadingZero,
    #[error("check digits do not match")]
    Checksum,
}

impl Tckn {
    /// Parses what a person typed; spaces, dashes and dots between digit groups are tolerated.
    pub fn parse(input: &str) -> Result<Tckn, TcknError> {
        let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '\u{a0}' | '\t')).collect();
        if digits.is_empty() {
            return Err(TcknError::Empty);
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(TcknError::NotDigits);
        }
        if digits.len() != 11 {
            return Err(TcknError::Length(digits.len()));
        }
        let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
        if d[0] == 0 {
            return Err(TcknError::LeadingZero);
        }
        let odd = d[0] + d[2] + d[4] + d[6] + d[8];
        let even = d[1] + d[3] + d[5] + d[7];
        // (odd * 7 − even) mod 10, kept non-negative.
        let tenth = (odd * 7 + 10 * even - even) % 10;
        let eleventh = d[..10].iter().sum::<u32>() % 10;
        if d[9] != tenth || d[10] != eleventh {
            return Err(TcknError::Checksum);
        }
        Ok(Tckn(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// First 3 and last 2 digits, as shown to staff and in notifications: `100******46`.
    pub fn masked(&self) -> String {
        format!("{}******{}", &self.0[..3], &self.0[9..])
    }
}

/// Debug never prints the number: values end up in logs through `{:?}`.
impl fmt::Debug for Tckn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tckn({})", self.masked())
    }
}

impl Serialize for Tckn {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A number from the wire or the store is checked (digits, check digits) before it is used.
impl<'de> Deserialize<'de> for Tckn {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Tckn, D::Error> {
        let text = String::deserialize(deserializer)?;
        match Tckn::parse(&text) {
            Ok(t) if t.0 == text => Ok(t),
            _ => Err(serde::de::Error::custom("not a TC Kimlik No")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers() {
        for s in ["10000000146", "12345678950", "123 456 789 50", "123-456-789-50", " 10000000146 "] {
            assert!(Tckn::parse(s).is_ok(), "{s}");
        }
        assert_eq!(Tckn::parse("123 456 789 50").unwrap().as_str(), "12345678950");
    }

    #[test]
    fn invalid_numbers_say_why() {
        assert_eq!(Tckn::parse("12345678901"), Err(TcknError::Checksum));
        assert_eq!(Tckn::parse("02345678950"), Err(TcknError::LeadingZero));
        assert_eq!(Tckn::parse("1234567895"), Err(TcknError::Length(10)));
        assert_eq!(Tckn::parse("123456789500"), Err(TcknError::Length(12)));
        assert_eq!(Tckn::parse(""), Err(TcknError::Empty));
        assert_eq!(Tckn::parse("   "), Err(TcknError::Empty));
        assert_eq!(Tckn::parse("1234567895a"), Err(TcknError::NotDigits));
        assert_eq!(Tckn::parse("١٢٣٤٥٦٧٨٩٥٠"), Err(TcknError::NotDigits));
        // only the tenth digit wrong / only the eleventh wrong
        assert_eq!(Tckn::parse("12345678940"), Err(TcknError::Checksum));
        assert_eq!(Tckn::parse("12345678951"), Err(TcknError::Checksum));
    }

    #[test]
    fn masking_and_debug_hide_the_middle() {
        let t = Tckn::parse("10000000146").unwrap();
        assert_eq!(t.masked(), "100******46");
        assert_eq!(format!("{t:?}"), "Tckn(100******46)");
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = Tckn::parse(&s);
        }

        #[test]
        fn the_check_digits_we_compute_are_accepted(first in 1u32..10, rest in proptest::collection::vec(0u32..10, 8)) {
            let mut d = vec![first];
            d.extend(rest);
            let odd = d[0] + d[2] + d[4] + d[6] + d[8];
            let even = d[1] + d[3] + d[5] + d[7];
            let tenth = ((odd * 7) as i64 - even as i64).rem_euclid(10) as u32;
            d.push(tenth);
            let eleventh = d.iter().sum::<u32>() % 10;
            d.push(eleventh);
            let s: String = d.iter().map(|x| char::from_digit(*x, 10).unwrap()).collect();
            proptest::prop_assert!(Tckn::parse(&s).is_ok());
        }
    }
}
