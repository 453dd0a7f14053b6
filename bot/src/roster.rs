//! The roster the support desk imports: who has a certificate and when it expires. This module
//! reads the CSV file (pure: bytes in, validated entries or every problem with its line out);
//! the store saves it all or nothing; the reminder job reads it.
//!
//! Files come from Excel in Turkish (`;` separated, Windows-1254) as often as from elsewhere
//! (`,`, UTF-8 with or without a byte-order mark); all are accepted. Column names are matched
//! loosely ("TC Kimlik No", "TCKN", "Ad Soyad", "Ünvan", "Unvan", "Kurum E-Posta",
//! "Sertifika Bitiş Tarihi", …), in any order.

use chrono::NaiveDate;
use eimza_protocol::turkish;

use crate::core::conversation::Msg;
use crate::core::domain::{EmailDomains, FullName, KurumEmail, Tckn, Title, parse_day};

/// One person of the roster.
#[derive(Clone, Debug, PartialEq)]
pub struct RosterEntry {
    pub tckn: Tckn,
    pub name: FullName,
    pub title: Title,
    pub email: KurumEmail,
    pub expires: NaiveDate,
}

/// What is wrong with a line (1-based, the header is line 1).
#[derive(Clone, Debug, PartialEq)]
pub struct LineProblem {
    pub line: usize,
    pub column: Option<Column>,
    pub problem: Msg,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RosterError {
    Empty,
    /// Columns the header lacks.
    MissingColumns(Vec<Column>),
    Lines(Vec<LineProblem>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Tckn,
    Name,
    Title,
    Email,
    Expires,
}

impl Column {
    const ALL: [Column; 5] = [Column::Tckn, Column::Name, Column::Title, Column::Email, Column::Expires];

    pub fn label_id(self) -> &'static str {
        match self {
            Column::Tckn => "field-tckn",
            Column::Name => "field-name",
            Column::Title => "field-title",
            Column::Email => "field-email",
            Column::Expires => "roster-col-expires",
        }
    }

    /// Header spellings, as `turkish::words_key` writes them.
    fn names(self) -> &'static [&'static str] {
        match self {
            Column::Tckn => &[
                "tc kimlik no",
                "t c kimlik no",
                "tckn",
                "tc kimlik",
                "t c kimlik",
                "tc no",
                "t c no",
                "kimlik no",
                "tc kimlik numarasi",
                "t c kimlik numarasi",
            ],
            Column::Name => &["ad soyad", "adi soyadi", "ad soyadi", "adi soyad", "isim", "ad ve soyad"],
            Column::Title => &["unvan", "unvani", "gorev unvani"],
            Column::Email => &["kurum e posta", "e posta", "eposta", "email", "e mail", "kurum eposta", "e posta adresi"],
            Column::Expires => &[
                "sertifika bitis tarihi",
                "bitis tarihi",
                "son gecerlilik tarihi",
                "gecerlilik bitis tarihi",
                "sertifika son kullanma tarihi",
                "son kullanma tarihi",
                "sertifika son gecerlilik tarihi",
                "gecerlilik tarihi",
                "son gecerlilik",
                "bitis",
                "sertifika bitis",
                "bitis tarih",
            ],
        }
    }
}

/// UTF-8 (a BOM is dropped) or, failing that, Windows-1254 (Excel's Turkish "CSV").
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1254.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

fn delimiter(header: &str) -> u8 {
    let count = |c: char| header.matches(c).count();
    [(';', count(';')), (',', count(',')), ('\t', count('\t'))].into_iter().max_by_key(|(_, n)| *n).map(|(c, _)| c as u8).unwrap_or(b';')
}

pub fn parse(bytes: &[u8], domains: &EmailDomains, titles: &[String]) -> Result<Vec<RosterEntry>, RosterError> {
    let text = decode(bytes);
    let Some(header_line) = text.lines().find(|l| !l.trim().is_empty()) else {
        return Err(RosterError::Empty);
    };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter(header_line)).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header = reader.headers().map_err(|_| RosterError::Empty)?.clone();
    let keys: Vec<String> = header.iter().map(turkish::words_key).collect();
    let position = |c: Column| keys.iter().position(|k| c.names().contains(&k.as_str()));
    let missing: Vec<Column> = Column::ALL.into_iter().filter(|c| position(*c).is_none()).collect();
    if !missing.is_empty() {
        return Err(RosterError::MissingColumns(missing));
    }
    let [tckn_at, name_at, title_at, email_at, expires_at] = Column::ALL.map(|c| position(c).unwrap_or(0));

    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let line = record.as_ref().ok().and_then(|r| r.position()).map(|p| p.line() as usize).unwrap_or(i + 2);
        let Ok(record) = record else {
            problems.push(LineProblem { line, column: None, problem: Msg::new("roster-err-unreadable") });
            continue;
        };
        if record.iter().all(|c| c.is_empty()) {
            continue;
        }
        let cell = |at: usize| record.get(at).unwrap_or("");
        let mut problem = |column: Column, msg: Msg| problems.push(LineProblem { line, column: Some(column), problem: msg });
        let tckn = Tckn::parse(cell(tckn_at)).map_err(|e| problem(Column::Tckn, Msg::from_error(&e))).ok();
        let name = FullName::parse(cell(name_at)).map_err(|e| problem(Column::Name, Msg::from_error(&e))).ok();
        let title = Title::parse(cell(title_at), titles).map_err(|e| problem(Column::Title, Msg::from_error(&e))).ok();
        let email = KurumEmail::parse(cell(email_at), domains).map_err(|e| problem(Column::Email, Msg::from_error(&e))).ok();
        let expires = parse_day(cell(expires_at)).map_err(|e| problem(Column::Expires, Msg::from_error(&e))).ok();
        if let Some(t) = &tckn
            && let Some(first) = seen.insert(t.as_str().to_owned(), line)
        {
            problem(Column::Tckn, Msg::new("roster-err-duplicate").with("line", first));
            continue;
        }
        if let (Some(tckn), Some(name), Some(title), Some(email), Some(expires)) = (tckn, name, title, email, expires) {
            entries.push(RosterEntry { tckn, name, title, email, expires });
        }
    }
    if !problems.is_empty() {
        return Err(RosterError::Lines(problems));
    }
    if entries.is_empty() {
        return Err(RosterError::Empty);
    }
    Ok(entries)
}

/// The lines that explain a refused file, in the reader's language.
pub fn report(texts: &crate::i18n::Texts, lang: eimza_protocol::Lang, error: &RosterError) -> Vec<String> {
    use eimza_protocol::Arg;
    match error {
        RosterError::Empty => vec![texts.get(lang, "roster-err-empty")],
        RosterError::MissingColumns(columns) => {
            let names = columns.iter().map(|c| texts.get(lang, c.label_id())).collect::<Vec<_>>().join(", ");
            vec![texts.with(lang, "roster-err-missing", &[("columns", Arg::Str(names))])]
        }
        RosterError::Lines(problems) => {
            let mut lines: Vec<String> = problems
                .iter()
                .map(|p| {
                    let problem = Arg::Str(texts.msg(lang, &p.problem));
                    let line = Arg::Num(p.line as i64);
                    match p.column {
                        Some(c) => texts.with(
                            lang,
                            "roster-err-line",
                            &[("line", line), ("column", Arg::Str(texts.get(lang, c.label_id()))), ("problem", problem)],
                        ),
                        None => texts.with(lang, "roster-err-line-plain", &[("line", line), ("problem", problem)]),
                    }
                })
                .collect();
            lines.push(texts.get(lang, "roster-err-nothing-taken"));
            lines
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> EmailDomains {
        EmailDomains { domains: vec!["kurum.gov.tr".into()], allow_subdomains: false }
    }

    #[test]
    fn excel_turkish_semicolons_in_windows_1254() {
        let text = "TC Kimlik No;Adı Soyadı;Ünvanı;Kurum E-Posta;Sertifika Bitiş Tarihi\r\n\
                    10000000146;Ilgaz Işık;Şube Müdürü;ilgaz@kurum.gov.tr;05.01.2027\r\n";
        let (bytes, _, _) = encoding_rs::WINDOWS_1254.encode(text);
        assert!(std::str::from_utf8(&bytes).is_err(), "really Windows-1254");
        let rows = parse(&bytes, &domains(), &[]).unwrap();
        assert_eq!(rows[0].name.as_str(), "Ilgaz Işık");
        assert_eq!(rows[0].title.as_str(), "Şube Müdürü");
        assert_eq!(rows[0].expires, NaiveDate::from_ymd_opt(2027, 1, 5).unwrap());
    }

    #[test]
    fn utf8_with_bom_commas_any_column_order() {
        let text = "\u{feff}Kurum E-Posta,Ad Soyad,TCKN,Unvan,Bitiş Tarihi\n\
                    ayse@kurum.gov.tr,Ayşe Yılmaz,12345678950,Uzman,2027-03-31\n\n";
        let rows = parse(text.as_bytes(), &domains(), &[]).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].tckn.as_str(), "12345678950");
        assert_eq!(rows[0].expires, NaiveDate::from_ymd_opt(2027, 3, 31).unwrap());
    }

    #[test]
    fn every_bad_line_is_reported_with_its_number_and_nothing_is_taken() {
        let text = "TC Kimlik No;Ad Soyad;Ünvan;Kurum E-Posta;Sertifika Bitiş Tarihi\n\
                    10000000146;Ilgaz Işık;Uzman;ilgaz@kurum.gov.tr;05.01.2027\n\
                    12345678901;Ayşe;Uzman;ayse@gmail.com;31.02.2027\n\
                    10000000146;Ilgaz Işık;Uzman;ilgaz@kurum.gov.tr;05.01.2027\n";
        let Err(RosterError::Lines(problems)) = parse(text.as_bytes(), &domains(), &[]) else { panic!() };
        let found: Vec<(usize, Option<Column>, &str)> = problems.iter().map(|p| (p.line, p.column, p.problem.id)).collect();
        assert_eq!(
            found,
            vec![
                (3, Some(Column::Tckn), "err-tckn-checksum"),
                (3, Some(Column::Name), "err-name-one-word"),
                (3, Some(Column::Email), "err-email-domain"),
                (3, Some(Column::Expires), "err-birth-no-such-date"),
                (4, Some(Column::Tckn), "roster-err-duplicate"),
            ]
        );
    }

    #[test]
    fn other_usual_headers_are_understood() {
        let text =
            "T.C. Kimlik No;Adı Soyadı;Unvan;E-Posta;Son Geçerlilik Tarihi\n10000000146;Ilgaz Işık;Uzman;ilgaz@kurum.gov.tr;31.12.2027\n";
        let entries = parse(text.as_bytes(), &domains(), &[]).unwrap();
        assert_eq!(entries.len(), 1);
        let text = "TC Kimlik No;Ad Soyad;Ünvan;Kurum E-Posta;Bitiş\n10000000146;Ilgaz Işık;Uzman;ilgaz@kurum.gov.tr;31.12.2027\n";
        assert_eq!(parse(text.as_bytes(), &domains(), &[]).unwrap().len(), 1);
    }

    #[test]
    fn a_header_without_the_needed_columns_says_which() {
        let text = "TC;Ad Soyad;E-posta\n1;2;3\n";
        assert_eq!(
            parse(text.as_bytes(), &domains(), &[]),
            Err(RosterError::MissingColumns(vec![Column::Tckn, Column::Title, Column::Expires]))
        );
        assert_eq!(parse(b"", &domains(), &[]), Err(RosterError::Empty));
        assert_eq!(parse(b"\n\n", &domains(), &[]), Err(RosterError::Empty));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
            let _ = parse(&bytes, &domains(), &[]);
        }
    }
}
