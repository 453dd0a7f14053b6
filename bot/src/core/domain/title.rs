use eimza_protocol::{Arg, turkish};
use serde::{Deserialize, Serialize};

use super::UserError;

const MIN_CHARS: usize = 2;
const MAX_CHARS: usize = 80;

/// Ünvan: free text (2–80 characters, trimmed) or one of the institution's configured titles,
/// in which case the configured spelling is kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Title(String);

impl From<Title> for String {
    fn from(t: Title) -> String {
        t.0
    }
}

impl TryFrom<String> for Title {
    type Error = TitleError;
    fn try_from(s: String) -> Result<Title, TitleError> {
        Title::parse(&s, &[])
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TitleError {
    #[error("shorter than {MIN_CHARS} characters")]
    TooShort,
    #[error("longer than {MAX_CHARS} characters")]
    TooLong,
    #[error("contains control characters")]
    Control,
}

impl UserError for TitleError {
    fn message(&self) -> (&'static str, Vec<(&'static str, Arg)>) {
        match self {
            TitleError::TooShort => ("err-title-too-short", vec![("min", Arg::from(MIN_CHARS))]),
            TitleError::TooLong => ("err-title-too-long", vec![("max", Arg::from(MAX_CHARS))]),
            TitleError::Control => ("err-title-control", vec![]),
        }
    }
}

impl Title {
    pub fn parse(input: &str, configured: &[String]) -> Result<Title, TitleError> {
        let tidy = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if tidy.chars().any(char::is_control) {
            return Err(TitleError::Control);
        }
        let n = tidy.chars().count();
        if n < MIN_CHARS {
            return Err(TitleError::TooShort);
        }
        if n > MAX_CHARS {
            return Err(TitleError::TooLong);
        }
        let key = turkish::fold(&tidy);
        if let Some(known) = configured.iter().find(|t| turkish::fold(t) == key) {
            return Ok(Title(known.clone()));
        }
        Ok(Title(tidy))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_text_and_configured_titles() {
        let configured = vec!["Şube Müdürü".to_owned(), "Uzman".to_owned()];
        assert_eq!(Title::parse("  Veri   Hazırlama ", &configured).unwrap().as_str(), "Veri Hazırlama");
        assert_eq!(Title::parse("ŞUBE MÜDÜRÜ", &configured).unwrap().as_str(), "Şube Müdürü");
        assert_eq!(Title::parse("x", &configured), Err(TitleError::TooShort));
        assert_eq!(Title::parse(" ", &configured), Err(TitleError::TooShort));
        assert_eq!(Title::parse(&"a".repeat(81), &configured), Err(TitleError::TooLong));
        assert!(Title::parse(&"ğ".repeat(80), &configured).is_ok());
        assert_eq!(Title::parse("ab\u{7}c", &configured), Err(TitleError::Control));
    }
}
