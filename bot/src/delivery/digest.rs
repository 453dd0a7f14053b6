//! The daily digest as people read it, in the staff chat and in the IT desk's e-mail alike: a
//! title, the tickets waiting on the desk, the stalled ones, each with its working-day clock and
//! a link to its page on `/staff`.

use eimza_protocol::{Arg, Lang};

use crate::core::staff::{Digest, DigestLine};
use crate::i18n::Texts;

/// (subject, body).
pub fn render(texts: &Texts, lang: Lang, digest: &Digest, public_url: &str) -> (String, String) {
    let day = chrono::NaiveDate::parse_from_str(&digest.day, "%Y-%m-%d").map(|d| texts.day(lang, d)).unwrap_or_else(|_| digest.day.clone());
    let subject = texts.with(lang, "staff-digest-subject", &[("day", Arg::Str(day))]);
    let base = public_url.trim_end_matches('/');
    let line = |l: &DigestLine| {
        texts.with(
            lang,
            "staff-digest-line",
            &[
                ("ticket", Arg::Str(l.number.clone())),
                ("state", Arg::Str(texts.get(lang, l.state.message_id()))),
                ("days", l.waiting_days.into()),
                ("link", Arg::Str(format!("{base}/staff/tickets/{}", l.number))),
            ],
        )
    };
    let mut body = vec![subject.clone()];
    if !digest.waiting.is_empty() {
        body.push(String::new());
        body.push(texts.with(lang, "staff-digest-waiting", &[("count", (digest.waiting.len() as i64).into())]));
        body.extend(digest.waiting.iter().map(line));
    }
    if !digest.stalled.is_empty() {
        body.push(String::new());
        body.push(texts.with(
            lang,
            "staff-digest-stalled",
            &[("count", (digest.stalled.len() as i64).into()), ("days", digest.stalled_after.into())],
        ));
        body.extend(digest.stalled.iter().map(line));
    }
    (subject, body.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::ticket::TicketState;

    #[test]
    fn a_digest_reads_as_a_list_with_links() {
        let texts = Texts::embedded();
        let digest = Digest {
            day: "2026-12-07".into(),
            waiting: vec![DigestLine { number: "EIMZA-2026-000005".into(), state: TicketState::EOnayDone, waiting_days: 1 }],
            stalled: vec![DigestLine { number: "EIMZA-2026-000002".into(), state: TicketState::CardStep, waiting_days: 5 }],
            stalled_after: 3,
        };
        let (subject, body) = render(&texts, Lang::Tr, &digest, "https://eimza.kurum.gov.tr/");
        assert!(subject.contains("7 Aralık 2026"), "{subject}");
        assert!(body.contains("https://eimza.kurum.gov.tr/staff/tickets/EIMZA-2026-000005"), "{body}");
        assert!(body.contains("3 iş gününden uzun"), "{body}");
        let (_, en) = render(&texts, Lang::En, &digest, "https://eimza.kurum.gov.tr");
        assert!(en.contains("1 working day") && en.contains("5 working days"), "{en}");
    }
}
