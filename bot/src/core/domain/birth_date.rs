use chrono::{Datelike, NaiveDate};
use eimza_protocol::{Arg, turkish};

use super::UserError;

const MIN_AGE: i32 = 18;
const MAX_AGE: i32 = 100;

/// Doğum Tarihi: a real day in the past, age 18 to 100.
#[derive(Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct BirthDate(NaiveDate);

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BirthDateError {
    #[error("not in day-month-year form")]
    Format,
    #[error("unknown month name")]
    UnknownMonth(String),
    #[error("no such day in the calendar")]
    NoSuchDate(String),
    #[error("in the future")]
    InFuture,
    #[error("younger than {MIN_AGE}")]
    TooYoung,
    #[error("older than {MAX_AGE}")]
    TooOld,
}

impl UserError for BirthDateError {
    fn message(&self) -> (&'static str, Vec<(&'static str, Arg)>) {
        match self {
            BirthDateError::Format => ("err-birth-format", vec![]),
            BirthDateError::UnknownMonth(m) => ("err-birth-month", vec![("month", Arg::from(m.clone()))]),
            BirthDateError::NoSuchDate(d) => ("err-birth-no-such-date", vec![("date", Arg::from(d.clone()))]),
            BirthDateError::InFuture => ("err-birth-future", vec![]),
            BirthDateError::TooYoung => ("err-birth-too-young", vec![("age", Arg::from(MIN_AGE as i64))]),
            BirthDateError::TooOld => ("err-birth-too-old", vec![("age", Arg::from(MAX_AGE as i64))]),
        }
    }
}

/// Month names as people type them: Turkish with or without Turkish letters, English (for the
/// English chat), and the usual three-letter abbreviations of both.
fn month_from_name(word: &str) -> Option<u32> {
    let w = turkish::deaccent(&turkish::to_lower(word.trim_end_matches('.')));
    const TURKISH: [&str; 12] =
        ["ocak", "subat", "mart", "nisan", "mayis", "haziran", "temmuz", "agustos", "eylul", "ekim", "kasim", "aralik"];
    const ENGLISH: [&str; 12] =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];
    let find = |names: &[&str; 12]| names.iter().position(|n| *n == w || (w.len() >= 3 && n.starts_with(&w) && w.len() <= n.len()));
    find(&TURKISH).or_else(|| find(&ENGLISH)).map(|i| i as u32 + 1)
}

/// A calendar day as people in Türkiye write it: day-month-year with `-`, `.`, `/` or spaces,
/// the month as a number or a Turkish name; the year with four digits (two-digit years are
/// ambiguous). Also the ISO form `1980-03-05` that spreadsheets export.
pub fn parse_day(input: &str) -> Result<NaiveDate, BirthDateError> {
    let s = input.trim();
    let parts: Vec<&str> = s.split(['-', '.', '/', ' ']).filter(|p| !p.is_empty()).collect();
    if parts.len() != 3 {
        return Err(BirthDateError::Format);
    }
    let number = |p: &str| -> Option<u32> { (p.len() <= 4 && p.chars().all(|c| c.is_ascii_digit())).then(|| p.parse().ok()).flatten() };
    // ISO: year first.
    let (day_part, year_part) = if parts[0].len() == 4 && parts[2].len() <= 2 { (parts[2], parts[0]) } else { (parts[0], parts[2]) };
    let day = number(day_part).ok_or(BirthDateError::Format)?;
    let month = match number(parts[1]) {
        Some(m) => m,
        None if parts[1].chars().all(char::is_alphabetic) => {
            month_from_name(parts[1]).ok_or_else(|| BirthDateError::UnknownMonth(parts[1].to_owned()))?
        }
        None => return Err(BirthDateError::Format),
    };
    if year_part.len() != 4 {
        return Err(BirthDateError::Format);
    }
    let year = number(year_part).ok_or(BirthDateError::Format)? as i32;
    if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
        return Err(BirthDateError::NoSuchDate(s.to_owned()));
    }
    NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| BirthDateError::NoSuchDate(s.to_owned()))
}

fn age_on(birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

impl BirthDate {
    /// Parses `05-03-1980`, `5.3.1980`, `05/03/1980` or `5 Mart 1980` relative to `today`.
    pub fn parse(input: &str, today: NaiveDate) -> Result<BirthDate, BirthDateError> {
        let date = parse_day(input)?;
        if date >= today {
            return Err(BirthDateError::InFuture);
        }
        let age = age_on(date, today);
        if age < MIN_AGE {
            return Err(BirthDateError::TooYoung);
        }
        if age > MAX_AGE {
            return Err(BirthDateError::TooOld);
        }
        Ok(BirthDate(date))
    }

    pub fn from_date(date: NaiveDate) -> BirthDate {
        BirthDate(date)
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }

    /// `05.03.1980`, as dates are written in Türkiye.
    pub fn dmy(&self) -> String {
        self.0.format("%d.%m.%Y").to_string()
    }

    /// `**.**.1980`: enough for the person to recognise it where it must not be shown whole.
    pub fn masked(&self) -> String {
        self.0.format("**.**.%Y").to_string()
    }
}

impl std::fmt::Debug for BirthDate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BirthDate(**-**-****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }
    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn every_accepted_form() {
        for s in ["05-03-1980", "5.3.1980", "05/03/1980", "5 Mart 1980", "5 MART 1980", "05 mart 1980", " 5-3-1980 "] {
            assert_eq!(BirthDate::parse(s, today()).map(|b| b.date()), Ok(ymd(1980, 3, 5)), "{s}");
        }
        assert_eq!(BirthDate::parse("1 Şubat 1970", today()).unwrap().date(), ymd(1970, 2, 1));
        assert_eq!(BirthDate::parse("1 Subat 1970", today()).unwrap().date(), ymd(1970, 2, 1));
        assert_eq!(BirthDate::parse("1 ŞUBAT 1970", today()).unwrap().date(), ymd(1970, 2, 1));
        assert_eq!(BirthDate::parse("30 Agustos 1970", today()).unwrap().date(), ymd(1970, 8, 30));
        assert_eq!(BirthDate::parse("30 AĞUSTOS 1970", today()).unwrap().date(), ymd(1970, 8, 30));
        assert_eq!(BirthDate::parse("3 EYLÜL 1970", today()).unwrap().date(), ymd(1970, 9, 3));
        assert_eq!(BirthDate::parse("12 Kas 1970", today()).unwrap().date(), ymd(1970, 11, 12));
        assert_eq!(BirthDate::parse("12 Aralık 1970", today()).unwrap().date(), ymd(1970, 12, 12));
        assert_eq!(BirthDate::parse("12 ARALIK 1970", today()).unwrap().date(), ymd(1970, 12, 12));
        assert_eq!(BirthDate::parse("29-02-1980", today()).unwrap().date(), ymd(1980, 2, 29));
        assert_eq!(BirthDate::parse("5 Mart 1980", today()).unwrap().dmy(), "05.03.1980");
        assert_eq!(BirthDate::parse("5 March 1980", today()).unwrap().date(), ymd(1980, 3, 5), "English months too");
        assert_eq!(BirthDate::parse("17 Aug 1979", today()).unwrap().date(), ymd(1979, 8, 17));
        assert_eq!(BirthDate::parse("1980-03-05", today()).unwrap().date(), ymd(1980, 3, 5), "ISO from spreadsheets");
    }

    #[test]
    fn each_failure_has_its_own_reason() {
        assert_eq!(BirthDate::parse("dün", today()), Err(BirthDateError::Format));
        assert_eq!(BirthDate::parse("05031980", today()), Err(BirthDateError::Format));
        assert_eq!(BirthDate::parse("05-03-80", today()), Err(BirthDateError::Format));
        assert_eq!(BirthDate::parse("5 Mrt 1980", today()), Err(BirthDateError::UnknownMonth("Mrt".into())));
        assert_eq!(BirthDate::parse("29-02-1981", today()), Err(BirthDateError::NoSuchDate("29-02-1981".into())));
        assert_eq!(BirthDate::parse("31.04.1980", today()), Err(BirthDateError::NoSuchDate("31.04.1980".into())));
        assert_eq!(BirthDate::parse("05-13-1980", today()), Err(BirthDateError::NoSuchDate("05-13-1980".into())));
        assert_eq!(BirthDate::parse("00-01-1980", today()), Err(BirthDateError::NoSuchDate("00-01-1980".into())));
        assert_eq!(BirthDate::parse("01-01-2030", today()), Err(BirthDateError::InFuture));
        assert_eq!(BirthDate::parse("25-11-2026", today()), Err(BirthDateError::InFuture));
        assert_eq!(BirthDate::parse("26-11-2008", today()), Err(BirthDateError::TooYoung));
        assert!(BirthDate::parse("25-11-2008", today()).is_ok());
        assert_eq!(BirthDate::parse("25-11-1925", today()), Err(BirthDateError::TooOld));
        assert!(BirthDate::parse("26-11-1925", today()).is_ok());
        assert!(BirthDate::parse("25-11-1926", today()).is_ok());
    }

    #[test]
    fn debug_hides_the_date() {
        let b = BirthDate::parse("05-03-1980", today()).unwrap();
        assert!(!format!("{b:?}").contains("1980"));
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,40}") {
            let _ = BirthDate::parse(&s, today());
        }
    }
}
