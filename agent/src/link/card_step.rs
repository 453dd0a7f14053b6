//! The card step on the PC: a wait, not a shot. The pre-flight runs, and whatever it finds that
//! the person can fix (no reader, no card, someone else's card, a card that is not Kamu SM's…)
//! is said once; then the agent waits for the readers or the card to change — PC/SC's
//! `SCardGetStatusChange`, no polling — and checks again, until the card can be used, the
//! request cannot go on (a locked PIN, an expired certificate), or the configured time passes
//! (the person can ask again from chat). Blocking: it runs on a blocking thread, and
//! [`Cancel`] wakes it when a newer card step replaces it or the program stops.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use eimza_protocol::Tckn;
use eimza_protocol::wire::{CardProblem, ReportBody};

use crate::card::cert::CertProblem;
use crate::card::preflight::{self, Diagnosis, Options};
use crate::card::{CardError, CardEvent, Pcsc, WatchCanceller, Watcher};

/// Problems that may clear without any reader or card event (another program let go of the
/// card, a reset): checked again after this long.
const TRANSIENT_RECHECK: Duration = Duration::from_secs(3);
/// Without the PC/SC service there is nothing to wait on: it is looked for again this often.
const SERVICE_RECHECK: Duration = Duration::from_secs(2);

/// What one pre-flight found, as the bot hears it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub usable: bool,
    pub problems: Vec<CardProblem>,
    /// The same problems with their detail, for the PC's screen.
    pub causes: Vec<Cause>,
    pub certificate_not_after: Option<DateTime<Utc>>,
    pub renewal_opens: Option<DateTime<Utc>>,
    /// The certificate read is the ticket holder's own: the one this request renews.
    pub holders_own: Option<HoldersCertificate>,
    /// The wait ran out with this finding.
    pub gave_up: bool,
}

/// What the bot last heard from a card step: the same again is not said twice (also across a
/// restart of the agent, which keeps it with the work item).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Said {
    pub usable: bool,
    pub problems: Vec<CardProblem>,
    pub gave_up: bool,
}

/// A problem as the pre-flight described it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    Certificate(CertProblem),
    Card(CardError),
}

/// The holder's certificate as the card showed it during the card step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoldersCertificate {
    pub tckn: Tckn,
    pub not_after: DateTime<Utc>,
}

impl Finding {
    pub fn of(d: &Diagnosis, holder: Option<&Tckn>, certificate_tckn: Option<&Tckn>) -> Finding {
        let locked = d.pin_tries.is_some_and(|t| t.is_locked()).then_some(CardError::PinLocked);
        let causes: Vec<Cause> = d
            .problems
            .iter()
            .map(|p| Cause::Certificate(p.problem.clone()))
            .chain(d.error.iter().map(|e| Cause::Card(e.error.clone())))
            .chain(locked.map(Cause::Card))
            .collect();
        let problems = causes
            .iter()
            .map(|c| match c {
                Cause::Certificate(p) => p.problem(),
                Cause::Card(e) => e.problem(),
            })
            .collect();
        let renewal_opens = d.problems.iter().find_map(|p| match p.problem {
            CertProblem::WindowNotOpen { opens } => Some(opens),
            _ => None,
        });
        let not_after = d.certificate.as_ref().map(|c| c.not_after);
        let holders_own = match (holder, certificate_tckn, not_after) {
            (Some(holder), Some(on_card), Some(not_after)) if holder == on_card => {
                Some(HoldersCertificate { tckn: holder.clone(), not_after })
            }
            _ => None,
        };
        Finding { usable: d.usable, problems, causes, certificate_not_after: not_after, renewal_opens, holders_own, gave_up: false }
    }

    /// Nothing the PC could wait for changes this: the card can be used, or the request cannot
    /// go on (the bot ends it).
    /// Someone else's card ends nothing, whatever state it is in (expired, locked): people pick
    /// up the wrong card.
    pub fn is_final(&self) -> bool {
        let someone_elses = self.problems.contains(&CardProblem::WrongPerson);
        self.usable || (!someone_elses && self.problems.iter().any(|p| matches!(p, CardProblem::PinLocked | CardProblem::Expired)))
    }

    pub fn said(&self) -> Said {
        Said { usable: self.usable, problems: self.problems.clone(), gave_up: self.gave_up }
    }

    /// Problems that clear by themselves, without a reader or card event.
    fn is_transient(&self) -> bool {
        self.problems.iter().any(|p| {
            matches!(
                p,
                CardProblem::CardBusy | CardProblem::CardReset | CardProblem::CardRemoved | CardProblem::ReaderGone | CardProblem::Internal
            )
        })
    }

    pub fn report(&self, notified: bool) -> ReportBody {
        ReportBody::CardCheck {
            notified,
            usable: self.usable,
            problems: self.problems.clone(),
            certificate_not_after: self.certificate_not_after.map(|t| t.to_rfc3339()),
            renewal_opens: self.renewal_opens.map(|t| t.to_rfc3339()),
            gave_up: self.gave_up,
        }
    }
}

/// Stops a running card step from another thread.
#[derive(Default)]
pub struct Cancel {
    cancelled: AtomicBool,
    watcher: Mutex<Option<WatchCanceller>>,
}

impl Cancel {
    pub fn new() -> Arc<Cancel> {
        Arc::new(Cancel::default())
    }

    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        if let Some(watcher) = self.watcher.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            watcher.cancel();
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    pub fn set_watcher(&self, canceller: Option<WatchCanceller>) {
        *self.watcher.lock().unwrap_or_else(|p| p.into_inner()) = canceller;
    }
}

/// One card step to run.
pub struct Job {
    /// The ticket holder's number: someone else's card is refused before any PIN is asked.
    pub holder: Option<Tckn>,
    pub options: Options,
    /// How long to wait for a card that can be used.
    pub wait: Duration,
}

/// Runs the pre-flight until the card can be used, the request cannot go on, or the wait is
/// over. `found` hears every finding that differs from the last one said (`last`: what an
/// earlier run of the same step said), and the last one again marked `gave_up` when the wait ran
/// out. Nothing is heard once cancelled.
pub fn run(job: &Job, last: Option<Said>, cancel: &Cancel, found: &mut dyn FnMut(Finding)) {
    let deadline = Instant::now() + job.wait;
    // The watcher exists before the first check, so a card inserted right after it is seen.
    let mut watcher = open_watcher(cancel);
    let mut last = last;
    let mut say = |finding: Finding| {
        if last.as_ref() != Some(&finding.said()) {
            last = Some(finding.said());
            found(finding);
        }
    };
    loop {
        if cancel.is_cancelled() {
            return;
        }
        let finding = check(job);
        if cancel.is_cancelled() {
            return;
        }
        let is_final = finding.is_final();
        let transient = finding.is_transient();
        say(finding);
        if is_final {
            return;
        }
        let until = if transient { deadline.min(Instant::now() + TRANSIENT_RECHECK) } else { deadline };
        wait_for_change(&mut watcher, cancel, until);
        if Instant::now() >= deadline && !cancel.is_cancelled() {
            // One last look: the change that woke us may have been the fix.
            let finding = check(job);
            let gave_up = !finding.is_final();
            say(Finding { gave_up, ..finding });
            return;
        }
    }
}

/// One pre-flight with the holder's number (the card is opened, read and let go).
fn check(job: &Job) -> Finding {
    let options = Options { now: Utc::now(), expected_tckn: job.holder.clone(), ..job.options.clone() };
    let (diagnosis, card) = preflight::run(&options);
    let on_card = card.as_ref().and_then(|c| c.certificate().tckn.clone());
    Finding::of(&diagnosis, job.holder.as_ref(), on_card.as_ref())
}

pub fn open_watcher(cancel: &Cancel) -> Option<Watcher> {
    let mut watcher = Pcsc::establish().and_then(|p| p.watcher()).ok()?;
    // The first answer describes what is there now; only changes after it matter.
    let _ = watcher.next(Duration::ZERO);
    cancel.set_watcher(Some(watcher.canceller()));
    Some(watcher)
}

/// Waits until a reader or a card comes or goes (also what the window's card panel waits on), the PC/SC service returns or stops, `until`
/// passes, or the step is cancelled.
pub fn wait_for_change(watcher: &mut Option<Watcher>, cancel: &Cancel, until: Instant) {
    loop {
        let now = Instant::now();
        if cancel.is_cancelled() || now >= until {
            return;
        }
        let Some(w) = watcher.as_mut() else {
            std::thread::sleep(SERVICE_RECHECK.min(until - now));
            *watcher = open_watcher(cancel);
            if watcher.is_some() {
                return; // the service is back: check again
            }
            continue;
        };
        match w.next(until - now) {
            // A change of no interest (our own pre-flight used the card), a timeout or a cancel.
            Ok(events) if events.is_empty() => continue,
            Ok(events) => {
                if events.contains(&CardEvent::ServiceStopped) {
                    cancel.set_watcher(None);
                    *watcher = None;
                }
                return;
            }
            Err(_) => {
                cancel.set_watcher(None);
                *watcher = None;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(usable: bool, problems: Vec<CardProblem>) -> Finding {
        Finding {
            usable,
            problems,
            causes: Vec::new(),
            certificate_not_after: None,
            renewal_opens: None,
            holders_own: None,
            gave_up: false,
        }
    }

    #[test]
    fn a_locked_pin_or_an_expired_certificate_ends_the_wait() {
        assert!(finding(true, vec![]).is_final());
        assert!(finding(false, vec![CardProblem::PinLocked]).is_final());
        assert!(finding(false, vec![CardProblem::Expired]).is_final());
        assert!(!finding(false, vec![CardProblem::WrongPerson]).is_final(), "people pick up the wrong card");
        assert!(!finding(false, vec![CardProblem::NoCard]).is_final());
        assert!(!finding(false, vec![CardProblem::RenewalWindowNotOpen]).is_final());
        assert!(!finding(false, vec![CardProblem::WrongPerson, CardProblem::Expired]).is_final(), "a colleague's expired card");
        assert!(!finding(false, vec![CardProblem::WrongPerson, CardProblem::PinLocked]).is_final(), "a colleague's locked card");
    }

    #[test]
    fn busy_or_reset_cards_are_checked_again_without_an_event() {
        assert!(finding(false, vec![CardProblem::CardBusy]).is_transient());
        assert!(!finding(false, vec![CardProblem::NoReader]).is_transient());
    }

    #[test]
    fn the_report_carries_the_dates() {
        let at = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let f = Finding { renewal_opens: Some(at), gave_up: true, ..finding(false, vec![CardProblem::RenewalWindowNotOpen]) };
        let ReportBody::CardCheck { renewal_opens, gave_up, usable, .. } = f.report(true) else { panic!("card check") };
        assert_eq!(renewal_opens.as_deref(), Some("2027-01-15T08:00:00+00:00"));
        assert!(gave_up && !usable);
    }
}
