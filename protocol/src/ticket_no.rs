//! The ticket number, `EIMZA-2026-000123`: the bot hands it out, the agent shows it and signs
//! it into the attestation, so both check its shape the same way.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The human-friendly ticket number, `EIMZA-2026-000123`: the year the ticket opened and a
/// sequence per year that the store hands out and never reuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketNo {
    year: i32,
    seq: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not a ticket number (EIMZA-YYYY-NNNNNN)")]
pub struct TicketNoError;

impl TicketNo {
    pub fn new(year: i32, seq: u32) -> TicketNo {
        TicketNo { year, seq }
    }
    pub fn year(&self) -> i32 {
        self.year
    }
    pub fn seq(&self) -> u32 {
        self.seq
    }
}

impl fmt::Display for TicketNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EIMZA-{}-{:06}", self.year, self.seq)
    }
}

impl FromStr for TicketNo {
    type Err = TicketNoError;

    /// Forgiving: any case, surrounding spaces.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let upper = s.trim().to_ascii_uppercase();
        let rest = upper.strip_prefix("EIMZA-").ok_or(TicketNoError)?;
        let (year, seq) = rest.split_once('-').ok_or(TicketNoError)?;
        if year.len() != 4 || !(6..=9).contains(&seq.len()) || !year.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(TicketNoError);
        }
        Ok(TicketNo { year: year.parse().map_err(|_| TicketNoError)?, seq: seq.parse().map_err(|_| TicketNoError)? })
    }
}

impl Serialize for TicketNo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A ticket number from the wire is checked by its shape before anything uses it.
impl<'de> Deserialize<'de> for TicketNo {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TicketNo, D::Error> {
        let text = String::deserialize(deserializer)?;
        // Exactly the canonical form: no spaces, no lower case, nothing to clean up.
        match text.parse::<TicketNo>() {
            Ok(number) if number.to_string() == text => Ok(number),
            _ => Err(serde::de::Error::custom("not a ticket number")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let t = TicketNo::new(2026, 123);
        assert_eq!(t.to_string(), "EIMZA-2026-000123");
        assert_eq!("eimza-2026-000123 ".parse::<TicketNo>(), Ok(t));
        assert_eq!(TicketNo::new(2026, 1_234_567).to_string(), "EIMZA-2026-1234567");
        for bad in ["", "EIMZA-26-000123", "EIMZA-2026-12", "TICKET-2026-000123", "EIMZA-2026-00012a"] {
            assert_eq!(bad.parse::<TicketNo>(), Err(TicketNoError), "{bad}");
        }
    }

    #[test]
    fn the_wire_takes_only_the_canonical_form() {
        assert_eq!(serde_json::to_string(&TicketNo::new(2026, 7)).unwrap(), "\"EIMZA-2026-000007\"");
        assert_eq!(serde_json::from_str::<TicketNo>("\"EIMZA-2026-000007\"").unwrap(), TicketNo::new(2026, 7));
        for hostile in
            ["\"eimza-2026-000007\"", "\" EIMZA-2026-000007\"", "\"EIMZA-2026-000007'; rm -rf /\"", "\"EIMZA-2026-\\u2019\"", "7"]
        {
            assert!(serde_json::from_str::<TicketNo>(hostile).is_err(), "{hostile}");
        }
    }
}
