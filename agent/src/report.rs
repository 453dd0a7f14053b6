//! Turning card results into words: the diagnosis a help-desk person reads over the phone, card
//! errors and certificate problems — every word from the catalogue, dates in Istanbul time.

use chrono::{DateTime, Datelike, Utc};
use eimza_protocol::{Arg, Catalog, Lang};

use crate::card::cert::CertProblem;
use crate::card::preflight::Diagnosis;
use crate::card::{BackendKind, CardError, PinTries};

/// "25 Kasım 2026", the calendar day in Istanbul.
pub fn date(catalog: &Catalog, lang: Lang, at: DateTime<Utc>) -> String {
    let local = at.with_timezone(&chrono_tz::Europe::Istanbul);
    catalog.date(lang, local.year(), local.month(), local.day())
}

pub fn card_error(catalog: &Catalog, lang: Lang, error: &CardError) -> String {
    let (id, args) = error.message();
    catalog.text(lang, id, &args)
}

pub fn problem(catalog: &Catalog, lang: Lang, problem: &CertProblem) -> String {
    let d = |at: &DateTime<Utc>| Arg::from(date(catalog, lang, *at));
    let args: Vec<(&str, Arg)> = match problem {
        CertProblem::NoIdentityNumber => vec![],
        CertProblem::WrongPerson { on_card, expected } => {
            vec![("card", Arg::from(on_card.as_str())), ("expected", Arg::from(expected.as_str()))]
        }
        CertProblem::NotKamuSm { issuer } => vec![("issuer", Arg::from(issuer.as_str()))],
        CertProblem::NotYetValid { from } => vec![("date", d(from))],
        CertProblem::Expired { on } => vec![("date", d(on))],
        CertProblem::WindowNotOpen { opens } => vec![("date", d(opens))],
    };
    catalog.text(lang, problem.message_id(), &args)
}

pub fn tries(catalog: &Catalog, lang: Lang, tries: PinTries) -> String {
    match tries {
        PinTries::Known(n) => catalog.text(lang, "diag-tries-known", &[("tries", Arg::Num(n.into()))]),
        PinTries::Final => catalog.text(lang, "diag-tries-final", &[]),
        PinTries::Locked => catalog.text(lang, "diag-tries-locked", &[]),
        PinTries::NotLow => catalog.text(lang, "diag-tries-not-low", &[]),
        PinTries::Low => catalog.text(lang, "diag-tries-low", &[]),
    }
}

fn family(catalog: &Catalog, lang: Lang, family: Option<crate::card::atr::AkisFamily>) -> String {
    match family {
        Some(f) => catalog.text(lang, f.message_id(), &[]),
        None => catalog.text(lang, "diag-not-akis", &[]),
    }
}

/// The diagnosis as lines of text, in the order a person checks things.
pub fn diagnosis(catalog: &Catalog, lang: Lang, d: &Diagnosis) -> String {
    let t = |id: &str, args: &[(&str, Arg)]| catalog.text(lang, id, args);
    let mut lines = vec![t("diag-title", &[]), String::new()];
    lines.push(t(if d.pcsc_service { "diag-service-ok" } else { "diag-service-down" }, &[]));
    if d.pcsc_service {
        if d.readers.is_empty() {
            lines.push(t("diag-no-readers", &[]));
        } else {
            lines.push(t("diag-readers", &[("count", Arg::from(d.readers.len()))]));
            for r in &d.readers {
                let line = match &r.atr {
                    None => t("diag-reader-empty", &[("name", Arg::from(r.name.as_str()))]),
                    Some(atr) => t(
                        "diag-reader-card",
                        &[
                            ("name", Arg::from(r.name.as_str())),
                            ("atr", Arg::from(atr.as_str())),
                            ("family", Arg::from(family(catalog, lang, r.akis_family))),
                        ],
                    ),
                };
                lines.push(format!("  • {line}"));
            }
        }
    }
    if let Some(reader) = &d.reader {
        lines.push(t("diag-reader-used", &[("name", Arg::from(reader.as_str()))]));
    }
    match d.backend {
        Some(BackendKind::Apdu) => lines.push(t("diag-backend-apdu", &[])),
        Some(BackendKind::Pkcs11) => {
            lines.push(t("diag-backend-pkcs11", &[("path", Arg::from(d.pkcs11_module.clone().unwrap_or_default()))]));
        }
        None => {}
    }
    if let Some(c) = &d.certificate {
        lines.push(match &c.tckn_masked {
            Some(tckn) => t("diag-holder", &[("name", Arg::from(c.holder.as_str())), ("tckn", Arg::from(tckn.as_str()))]),
            None => t("diag-holder-no-tckn", &[("name", Arg::from(c.holder.as_str()))]),
        });
        lines.push(t("diag-issuer", &[("issuer", Arg::from(c.issuer.as_str()))]));
        lines.push(t(
            "diag-validity",
            &[("from", Arg::from(date(catalog, lang, c.not_before))), ("to", Arg::from(date(catalog, lang, c.not_after)))],
        ));
        let window_id = if c.renewal_window_opens <= Utc::now() { "diag-window-open" } else { "diag-window-later" };
        lines.push(t(window_id, &[("date", Arg::from(date(catalog, lang, c.renewal_window_opens)))]));
    }
    if let Some(tr) = d.pin_tries {
        lines.push(tries(catalog, lang, tr));
    }
    lines.push(String::new());
    for p in &d.problems {
        lines.push(format!("⚠ {}", problem(catalog, lang, &p.problem)));
    }
    if let Some(e) = &d.error {
        lines.push(format!("⚠ {}", card_error(catalog, lang, &e.error)));
    }
    if d.pin_tries == Some(PinTries::Locked) && d.error.is_none() {
        lines.push(format!("⚠ {}", card_error(catalog, lang, &CardError::PinLocked)));
    }
    lines.push(t(if d.usable { "diag-usable" } else { "diag-unusable" }, &[]));
    lines.join("\n")
}
