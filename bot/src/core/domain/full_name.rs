use eimza_protocol::{Arg, turkish};
use serde::{Deserialize, Serialize};

use super::UserError;

const MAX_CHARS: usize = 100;

/// Ad Soyad: letters of the Turkish alphabet (and q, w, x, which registered names may carry),
/// spaces, hyphen, apostrophe; at least two words. Stored as typed (white space tidied);
/// compared with Turkish case folding.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FullName(String);

/// A name is personal data: `Debug` shows initials only.
impl std::fmt::Debug for FullName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let initials: Vec<String> = self.0.split(' ').filter_map(|w| w.chars().next()).map(|c| format!("{c}.")).collect();
        write!(f, "FullName({})", initials.join(" "))
    }
}

impl From<FullName> for String {
    fn from(n: FullName) -> String {
        n.0
    }
}

impl TryFrom<String> for FullName {
    type Error = FullNameError;
    fn try_from(s: String) -> Result<FullName, FullNameError> {
        FullName::parse(&s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FullNameError {
    #[error("empty")]
    Empty,
    #[error("only one word")]
    OneWord,
    #[error("character {0:?} is not allowed")]
    InvalidChar(char),
    #[error("longer than {MAX_CHARS} characters")]
    TooLong,
}

impl UserError for FullNameError {
    fn message(&self) -> (&'static str, Vec<(&'static str, Arg)>) {
        match self {
            FullNameError::Empty => ("err-name-empty", vec![]),
            FullNameError::OneWord => ("err-name-one-word", vec![]),
            FullNameError::InvalidChar(c) => ("err-name-invalid-char", vec![("char", Arg::from(c.to_string()))]),
            FullNameError::TooLong => ("err-name-too-long", vec![("max", Arg::from(MAX_CHARS))]),
        }
    }
}

fn is_name_letter(c: char) -> bool {
    c.is_ascii_alphabetic() || "çğıöşüÇĞİÖŞÜâîûÂÎÛ".contains(c)
}

impl FullName {
    pub fn parse(input: &str) -> Result<FullName, FullNameError> {
        // Typographic apostrophes (’) come from phone keyboards; store the plain one.
        let tidy: String = input.split_whitespace().collect::<Vec<_>>().join(" ").replace(['’', '‘', 'ʼ'], "'");
        if tidy.is_empty() {
            return Err(FullNameError::Empty);
        }
        if tidy.chars().count() > MAX_CHARS {
            return Err(FullNameError::TooLong);
        }
        if let Some(c) = tidy.chars().find(|c| !(is_name_letter(*c) || matches!(c, ' ' | '-' | '\''))) {
            return Err(FullNameError::InvalidChar(c));
        }
        let words = tidy.split([' ', '-']).filter(|w| w.chars().any(is_name_letter)).count();
        if !tidy.contains(' ') || words < 2 {
            return Err(FullNameError::OneWord);
        }
        Ok(FullName(tidy))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The comparison key: "ILGAZ IŞIK" and "ılgaz ışık" share it, "ilgaz işik" does not.
    pub fn folded(&self) -> String {
        turkish::fold(&self.0)
    }

    pub fn same_person_name(&self, other: &str) -> bool {
        self.folded() == turkish::fold(other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_turkish_names() {
        for s in ["Ayşe Yılmaz", "ILGAZ IŞIK", "Çağrı Öztürk-Güneş", "Ahmet O'Neil", "İsmail  Hakkı  Çelik", "Hâlide Edib"] {
            assert!(FullName::parse(s).is_ok(), "{s}");
        }
        assert_eq!(FullName::parse("  İsmail  Hakkı ").unwrap().as_str(), "İsmail Hakkı");
        assert_eq!(FullName::parse("Ahmet O’Neil").unwrap().as_str(), "Ahmet O'Neil");
    }

    #[test]
    fn refuses_with_a_reason() {
        assert_eq!(FullName::parse(""), Err(FullNameError::Empty));
        assert_eq!(FullName::parse("Ayşe"), Err(FullNameError::OneWord));
        assert_eq!(FullName::parse("Ayşe -"), Err(FullNameError::OneWord));
        assert_eq!(FullName::parse("Ayşe Y1lmaz"), Err(FullNameError::InvalidChar('1')));
        assert_eq!(FullName::parse("Ayşe Yılmaz!"), Err(FullNameError::InvalidChar('!')));
        assert_eq!(FullName::parse(&"Ayşe ".repeat(30)), Err(FullNameError::TooLong));
    }

    #[test]
    fn compares_with_turkish_folding() {
        let n = FullName::parse("ILGAZ IŞIK").unwrap();
        assert!(n.same_person_name("ılgaz ışık"));
        assert!(!n.same_person_name("ilgaz işik"));
        assert!(FullName::parse("İPEK ÇİÇEK").unwrap().same_person_name("ipek çiçek"));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,120}") {
            let _ = FullName::parse(&s);
        }
    }
}
