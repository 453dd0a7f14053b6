//! Rendering our messages in a person's language: the catalogue from `locales/` (read at start,
//! the embedded copy as fallback), dates in Europe/Istanbul time with month names from the
//! catalogue, and nested messages (a state's name inside a sentence).

use std::path::Path;

use crate::core::conversation::{Label, Msg, PIN_WARNING, Reply, Value};
pub use crate::core::outbound::{Rendered, RenderedButton};
use chrono::{Datelike, TimeZone, Timelike};
use eimza_protocol::i18n::{FILES, Source};
use eimza_protocol::{Arg, Catalog, Lang};

pub struct Texts {
    catalog: Catalog,
}

impl Texts {
    pub fn embedded() -> Texts {
        Texts { catalog: Catalog::embedded() }
    }

    /// Reads `dir/<lang>/*.ftl`; falls back to the embedded files when the folder is missing
    /// or a file does not parse (and says so in the log).
    pub fn load(dir: &Path) -> Texts {
        let mut sources = Vec::new();
        for lang in Lang::ALL {
            for file in FILES {
                match std::fs::read_to_string(dir.join(lang.code()).join(file)) {
                    Ok(text) => sources.push(Source { lang, file: (*file).to_owned(), text }),
                    Err(_) => {
                        tracing::debug!(dir = %dir.display(), "locales folder incomplete; using the embedded texts");
                        return Texts::embedded();
                    }
                }
            }
        }
        match Catalog::from_sources(sources) {
            Ok(catalog) => {
                tracing::info!(dir = %dir.display(), "texts loaded from the locales folder");
                Texts { catalog }
            }
            Err(e) => {
                tracing::warn!(error = %e, "locales folder has errors; using the embedded texts");
                Texts::embedded()
            }
        }
    }

    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.catalog.has(lang, id)
    }

    /// A message without variables.
    pub fn get(&self, lang: Lang, id: &str) -> String {
        self.catalog.text(lang, id, &[])
    }

    pub fn with(&self, lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
        self.catalog.text(lang, id, args)
    }

    pub fn msg(&self, lang: Lang, msg: &Msg) -> String {
        let args: Vec<(&str, Arg)> = msg
            .args
            .iter()
            .map(|(name, value)| {
                let arg = match value {
                    Value::Plain(a) => a.clone(),
                    Value::DateTime(ms) => Arg::Str(self.datetime(lang, *ms)),
                    Value::Day(day) => Arg::Str(self.catalog.date(lang, day.year(), day.month(), day.day())),
                    Value::Message(inner) => Arg::Str(self.msg(lang, inner)),
                    Value::Lines(lines) => Arg::Str(lines.iter().map(|m| self.msg(lang, m)).collect::<Vec<_>>().join("\n")),
                };
                (*name, arg)
            })
            .collect();
        self.catalog.text(lang, msg.id, &args)
    }

    pub fn reply(&self, lang: Lang, reply: &Reply) -> Rendered {
        Rendered {
            text: reply.parts.iter().map(|m| self.msg(lang, m)).collect::<Vec<_>>().join("\n\n"),
            buttons: reply
                .buttons
                .iter()
                .map(|b| RenderedButton {
                    id: b.id.encode(),
                    label: match &b.label {
                        Label::Msg(m) => self.msg(lang, m),
                        Label::Verbatim(s) => s.clone(),
                    },
                })
                .collect(),
            // The engine's warning about a PIN typed into the chat (`ActionResult::MessageDeleted`).
            pin_warning: reply.parts.iter().any(|m| m.id == PIN_WARNING).then_some(lang),
        }
    }

    /// "25 Kasım 2026" / "November 25, 2026", in Istanbul time.
    pub fn date(&self, lang: Lang, ms: i64) -> String {
        let t = istanbul(ms);
        self.catalog.date(lang, t.year(), t.month(), t.day())
    }

    /// A calendar day: "7 Aralık 2026" / "December 7, 2026".
    pub fn day(&self, lang: Lang, day: chrono::NaiveDate) -> String {
        self.catalog.date(lang, day.year(), day.month(), day.day())
    }

    /// "25 Kasım 2026 14:05" / "November 25, 2026, 14:05", in Istanbul time.
    pub fn datetime(&self, lang: Lang, ms: i64) -> String {
        let t = istanbul(ms);
        let time = format!("{:02}:{:02}", t.hour(), t.minute());
        self.with(lang, "datetime-long", &[("date", Arg::Str(self.date(lang, ms))), ("time", Arg::Str(time))])
    }
}

fn istanbul(ms: i64) -> chrono::DateTime<chrono_tz::Tz> {
    chrono_tz::Europe::Istanbul
        .timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(|| chrono_tz::Europe::Istanbul.timestamp_millis_opt(0).unwrap())
}

/// Thousands grouped the way each language writes them: 1.234.567 / 1,234,567.
pub fn number(lang: Lang, n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let sep = match lang {
        Lang::Tr => '.',
        Lang::En => ',',
    };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Splits a message at line ends so that no part is longer than `max` characters (a platform's
/// limit: Telegram 4,096, Discord 2,000); a line longer than that is cut. Nothing is lost.
pub fn split_at_lines(text: &str, max: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        let mut line = line;
        while line.chars().count() > max {
            let cut = line.char_indices().nth(max).map(|(i, _)| i).unwrap_or(line.len());
            if !current.is_empty() {
                parts.push(std::mem::take(&mut current));
            }
            parts.push(line[..cut].to_owned());
            line = &line[cut..];
        }
        if current.chars().count() + line.chars().count() > max {
            parts.push(std::mem::take(&mut current));
        }
        current.push_str(line);
    }
    if !current.trim().is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}

/// Minimal HTML escaping for text and attribute values (our pages and the e-mails' HTML part).
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_texts_split_at_line_ends() {
        let text = (0..300).map(|i| format!("{i:03} satır İı\n")).collect::<String>();
        let parts = split_at_lines(&text, 1000);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.chars().count() <= 1000));
        assert_eq!(parts.concat(), text, "nothing is lost");
        let one = "ş".repeat(2500);
        let parts = split_at_lines(&one, 1000);
        assert_eq!(parts.iter().map(|p| p.chars().count()).collect::<Vec<_>>(), vec![1000, 1000, 500]);
        assert_eq!(split_at_lines("kısa", 1000), vec!["kısa".to_owned()]);
    }

    #[test]
    fn dates_in_istanbul_time_with_turkish_month_names() {
        let t = Texts::embedded();
        // 2026-11-25T11:05:00Z = 14:05 in Istanbul
        let ms = 1_795_604_700_000;
        assert_eq!(t.datetime(Lang::Tr, ms), "25 Kasım 2026 14:05");
        assert_eq!(t.datetime(Lang::En, ms), "November 25, 2026, 14:05");
        // 2026-08-01T21:30:00Z is already 2 August in Istanbul
        assert_eq!(t.date(Lang::Tr, 1_785_619_800_000), "2 Ağustos 2026");
    }

    #[test]
    fn nested_messages_render_in_the_same_language() {
        let t = Texts::embedded();
        let m = Msg::new("already-open").with("ticket", "EIMZA-2026-000001").with("state", Msg::new("state-submitted"));
        assert!(t.msg(Lang::Tr, &m).contains("(Başvuru alındı)"));
        assert!(t.msg(Lang::En, &m).contains("(Request received)"));
    }

    #[test]
    fn numbers_are_grouped_per_language() {
        assert_eq!(number(Lang::Tr, 1_234_567), "1.234.567");
        assert_eq!(number(Lang::En, 1_234_567), "1,234,567");
        assert_eq!(number(Lang::Tr, 999), "999");
        assert_eq!(number(Lang::Tr, -1000), "-1.000");
    }
}
