//! The message catalogue: Fluent bundles for Turkish (the default) and English.
//!
//! Binaries hand in the sources ([`Catalog::from_sources`]) — normally the files they read from
//! `locales/` at start — and fall back to the copies embedded at build time ([`Catalog::embedded`]).
//! The parity test (`tests/locales.rs`) keeps the two languages' message ids and variables equal.

use std::fmt;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};
use unic_langid::LanguageIdentifier;

/// A language we speak. Turkish is the default everywhere.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Tr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Tr, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Tr => "tr",
            Lang::En => "en",
        }
    }

    /// "tr", "tr-TR", "en_US.UTF-8", "EN" … → a language we speak, if any.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_', '.', ';']).next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "tr" => Some(Lang::Tr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Picks the best language from an HTTP `Accept-Language` header; Turkish when nothing we
    /// speak is asked for.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let q = pieces.find_map(|p| p.trim().strip_prefix("q=")).and_then(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
            if let Some(lang) = Lang::from_tag(tag)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or_default()
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A value for a message variable.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Arg {
    Str(String),
    Num(i64),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Str(s.to_owned())
    }
}
impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Str(s)
    }
}
impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}
impl From<u32> for Arg {
    fn from(n: u32) -> Self {
        Arg::Num(n.into())
    }
}
impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{lang}/{file}: Fluent syntax errors: {errors}")]
    Syntax { lang: Lang, file: String, errors: String },
    #[error("{lang}/{file}: message ids defined twice: {errors}")]
    Duplicate { lang: Lang, file: String, errors: String },
    #[error("no messages for {0}")]
    Missing(Lang),
}

/// One source file of the catalogue.
#[derive(Clone, Debug)]
pub struct Source {
    pub lang: Lang,
    pub file: String,
    pub text: String,
}

/// The files compiled into every binary, so a binary without its `locales/` folder still speaks.
pub const EMBEDDED: &[(Lang, &str, &str)] = &[
    (Lang::Tr, "bot.ftl", include_str!("../../locales/tr/bot.ftl")),
    (Lang::Tr, "web.ftl", include_str!("../../locales/tr/web.ftl")),
    (Lang::Tr, "agent.ftl", include_str!("../../locales/tr/agent.ftl")),
    (Lang::Tr, "chat.ftl", include_str!("../../locales/tr/chat.ftl")),
    (Lang::Tr, "kvkk.ftl", include_str!("../../locales/tr/kvkk.ftl")),
    (Lang::En, "bot.ftl", include_str!("../../locales/en/bot.ftl")),
    (Lang::En, "web.ftl", include_str!("../../locales/en/web.ftl")),
    (Lang::En, "agent.ftl", include_str!("../../locales/en/agent.ftl")),
    (Lang::En, "chat.ftl", include_str!("../../locales/en/chat.ftl")),
    (Lang::En, "kvkk.ftl", include_str!("../../locales/en/kvkk.ftl")),
];

/// The file names a binary looks for under `locales/<lang>/`.
pub const FILES: &[&str] = &["bot.ftl", "web.ftl", "agent.ftl", "chat.ftl", "kvkk.ftl"];

pub struct Catalog {
    tr: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Catalog")
    }
}

impl Catalog {
    /// The catalogue compiled into the binary. The embedded files are checked by the tests, so
    /// building from them cannot fail in a released binary.
    pub fn embedded() -> Catalog {
        Catalog::from_sources(embedded_sources()).expect("embedded locales are valid (tested)")
    }

    /// The embedded catalogue, built once per process (for texts both sides must agree on, such
    /// as the sentence an attestation signs).
    pub fn shared() -> &'static Catalog {
        static SHARED: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
        SHARED.get_or_init(Catalog::embedded)
    }

    pub fn from_sources(sources: impl IntoIterator<Item = Source>) -> Result<Catalog, CatalogError> {
        let mut tr = new_bundle(Lang::Tr);
        let mut en = new_bundle(Lang::En);
        let (mut has_tr, mut has_en) = (false, false);
        for source in sources {
            let resource = FluentResource::try_new(source.text).map_err(|(_, errors)| CatalogError::Syntax {
                lang: source.lang,
                file: source.file.clone(),
                errors: format!("{errors:?}"),
            })?;
            let bundle = match source.lang {
                Lang::Tr => {
                    has_tr = true;
                    &mut tr
                }
                Lang::En => {
                    has_en = true;
                    &mut en
                }
            };
            bundle.add_resource(resource).map_err(|errors| CatalogError::Duplicate {
                lang: source.lang,
                file: source.file.clone(),
                errors: format!("{errors:?}"),
            })?;
        }
        if !has_tr {
            return Err(CatalogError::Missing(Lang::Tr));
        }
        if !has_en {
            return Err(CatalogError::Missing(Lang::En));
        }
        Ok(Catalog { tr, en })
    }

    fn bundle(&self, lang: Lang) -> &FluentBundle<FluentResource> {
        match lang {
            Lang::Tr => &self.tr,
            Lang::En => &self.en,
        }
    }

    pub fn has(&self, lang: Lang, id: &str) -> bool {
        self.bundle(lang).has_message(id)
    }

    /// A calendar date written out: "25 Kasım 2026" / "November 25, 2026" (month names and the
    /// order of the parts come from the catalogue).
    pub fn date(&self, lang: Lang, year: i32, month: u32, day: u32) -> String {
        let month = self.text(lang, &format!("month-{month}"), &[]);
        self.text(
            lang,
            "date-long",
            &[("day", Arg::Str(day.to_string())), ("month", Arg::Str(month)), ("year", Arg::Str(year.to_string()))],
        )
    }

    /// The text of message `id` in `lang`, falling back to Turkish, and to the id itself if the
    /// message is missing everywhere (the parity and coverage tests keep that from happening).
    pub fn text(&self, lang: Lang, id: &str, args: &[(&str, Arg)]) -> String {
        let fluent_args = if args.is_empty() {
            None
        } else {
            let mut fa = FluentArgs::with_capacity(args.len());
            for (name, value) in args {
                match value {
                    Arg::Str(s) => fa.set(*name, FluentValue::from(s.as_str())),
                    Arg::Num(n) => fa.set(*name, FluentValue::from(*n)),
                }
            }
            Some(fa)
        };
        for lang in [lang, Lang::Tr] {
            let bundle = self.bundle(lang);
            if let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle.format_pattern(pattern, fluent_args.as_ref(), &mut errors).into_owned();
            }
        }
        id.to_owned()
    }
}

fn new_bundle(lang: Lang) -> FluentBundle<FluentResource> {
    let langid: LanguageIdentifier = lang.code().parse().expect("static language tags parse");
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // Chat platforms show the Unicode isolation marks as stray characters; our variables are
    // plain left-to-right text.
    bundle.set_use_isolating(false);
    bundle
}

pub fn embedded_sources() -> impl Iterator<Item = Source> {
    EMBEDDED.iter().map(|(lang, file, text)| Source { lang: *lang, file: (*file).to_owned(), text: (*text).to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9,tr;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept_language("de-DE,tr;q=0.5,en;q=0.4"), Lang::Tr);
        assert_eq!(Lang::from_accept_language("fr"), Lang::Tr);
        assert_eq!(Lang::from_accept_language(""), Lang::Tr);
        assert_eq!(Lang::from_accept_language("tr;q=0.2, en;q=0.9"), Lang::En);
    }

    #[test]
    fn embedded_catalogue_builds_and_formats_without_isolation_marks() {
        let c = Catalog::embedded();
        let text = c.text(Lang::Tr, "err-tckn-length", &[("count", Arg::Num(9))]);
        assert!(text.contains('9'), "{text}");
        assert!(!text.contains('\u{2068}'));
    }

    #[test]
    fn missing_messages_fall_back_to_the_id() {
        let c = Catalog::embedded();
        assert_eq!(c.text(Lang::En, "no-such-message", &[]), "no-such-message");
    }
}
