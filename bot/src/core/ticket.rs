//! The ticket life cycle: a pure transition function `(state, event, actor) → (state, effects)`.
//!
//! ```text
//! Collecting ─Confirm─▶ Submitted ─AgentPaired─▶ AgentPaired ─CardStepRequested─▶ CardStep
//!   ─EOnayAttested─▶ EOnayDone ─CorporateApplied─▶ CorporateApplied ─FormEmailSent─▶ FormEmailSent
//!   ─FormApproved─▶ Completed;   NewCertificate (the PC saw the renewed card) from
//!   CorporateApplied / FormEmailSent → Completed;   Cancel from any open state → Cancelled;
//!   Fail from AgentPaired / CardStep → Failed (card locked, certificate expired).
//! ```
//!
//! Each event belongs to the actors that may cause it. An event whose effect already happened
//! (a retried webhook, a replayed agent report) is a [`Applied::Duplicate`]: no new state, no
//! effects, not an error. Everything else that does not fit is a [`Refusal`] with a message id.
//! No I/O here; the store records each applied transition as a history event.

use serde::{Deserialize, Serialize};

use super::notice::{ApplicantNotice, StaffNotice};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TicketState {
    Collecting,
    Submitted,
    AgentPaired,
    CardStep,
    EOnayDone,
    CorporateApplied,
    FormEmailSent,
    Completed,
    Cancelled,
    Failed,
}

impl TicketState {
    pub const ALL: [TicketState; 10] = [
        TicketState::Collecting,
        TicketState::Submitted,
        TicketState::AgentPaired,
        TicketState::CardStep,
        TicketState::EOnayDone,
        TicketState::CorporateApplied,
        TicketState::FormEmailSent,
        TicketState::Completed,
        TicketState::Cancelled,
        TicketState::Failed,
    ];

    /// The happy path in order; `Cancelled` and `Failed` are off it.
    const PATH: [TicketState; 8] = [
        TicketState::Collecting,
        TicketState::Submitted,
        TicketState::AgentPaired,
        TicketState::CardStep,
        TicketState::EOnayDone,
        TicketState::CorporateApplied,
        TicketState::FormEmailSent,
        TicketState::Completed,
    ];

    fn rank(self) -> Option<usize> {
        Self::PATH.iter().position(|s| *s == self)
    }

    pub fn is_open(self) -> bool {
        !matches!(self, TicketState::Completed | TicketState::Cancelled | TicketState::Failed)
    }

    /// The stable name stored in the database and used in message ids (`state-<code>`).
    pub fn code(self) -> &'static str {
        match self {
            TicketState::Collecting => "collecting",
            TicketState::Submitted => "submitted",
            TicketState::AgentPaired => "agent-paired",
            TicketState::CardStep => "card-step",
            TicketState::EOnayDone => "eonay-done",
            TicketState::CorporateApplied => "corporate-applied",
            TicketState::FormEmailSent => "form-email-sent",
            TicketState::Completed => "completed",
            TicketState::Cancelled => "cancelled",
            TicketState::Failed => "failed",
        }
    }

    pub fn from_code(code: &str) -> Option<TicketState> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn message_id(self) -> &'static str {
        match self {
            TicketState::Collecting => "state-collecting",
            TicketState::Submitted => "state-submitted",
            TicketState::AgentPaired => "state-agent-paired",
            TicketState::CardStep => "state-card-step",
            TicketState::EOnayDone => "state-eonay-done",
            TicketState::CorporateApplied => "state-corporate-applied",
            TicketState::FormEmailSent => "state-form-email-sent",
            TicketState::Completed => "state-completed",
            TicketState::Cancelled => "state-cancelled",
            TicketState::Failed => "state-failed",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActorKind {
    Applicant,
    Staff,
    Agent,
    System,
}

impl ActorKind {
    pub fn code(self) -> &'static str {
        match self {
            ActorKind::Applicant => "applicant",
            ActorKind::Staff => "staff",
            ActorKind::Agent => "agent",
            ActorKind::System => "system",
        }
    }
    pub fn from_code(code: &str) -> Option<ActorKind> {
        [ActorKind::Applicant, ActorKind::Staff, ActorKind::Agent, ActorKind::System].into_iter().find(|a| a.code() == code)
    }
}

/// Why a card step failed for good. (Someone else's card is not one: people pick up the wrong
/// card, and the step waits for the right one.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailReason {
    /// Three wrong PINs: only Kamu SM's "Kilit Çözme" opens the card again.
    CardLocked,
    /// The certificate has expired: it cannot be renewed, a new one must be applied for.
    CertificateExpired,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TicketEvent {
    Confirm,
    AgentPaired,
    CardStepRequested,
    EOnayAttested,
    CorporateApplied,
    FormEmailSent,
    FormApproved,
    /// The person's PC saw their renewed certificate (later expiry, same person, Kamu SM's).
    NewCertificate,
    Cancel,
    Fail(FailReason),
}

impl TicketEvent {
    pub fn code(self) -> &'static str {
        match self {
            TicketEvent::Confirm => "confirm",
            TicketEvent::AgentPaired => "agent-paired",
            TicketEvent::CardStepRequested => "card-step-requested",
            TicketEvent::EOnayAttested => "eonay-attested",
            TicketEvent::CorporateApplied => "corporate-applied",
            TicketEvent::FormEmailSent => "form-email-sent",
            TicketEvent::FormApproved => "form-approved",
            TicketEvent::NewCertificate => "new-certificate",
            TicketEvent::Cancel => "cancel",
            TicketEvent::Fail(FailReason::CardLocked) => "fail-card-locked",
            TicketEvent::Fail(FailReason::CertificateExpired) => "fail-certificate-expired",
        }
    }

    /// Who may cause this event.
    fn allowed(self, actor: ActorKind) -> bool {
        use ActorKind::*;
        match self {
            TicketEvent::Confirm | TicketEvent::FormApproved => actor == Applicant,
            // The applicant approves the pairing in chat; the system may re-link a known PC.
            TicketEvent::AgentPaired => matches!(actor, Applicant | System),
            TicketEvent::CardStepRequested => matches!(actor, Applicant | System | Staff),
            TicketEvent::EOnayAttested => actor == Agent,
            TicketEvent::CorporateApplied => actor == Staff,
            // Staff marks it, or the system learns it from Kamu SM's e-mail.
            TicketEvent::FormEmailSent => matches!(actor, Staff | System),
            TicketEvent::NewCertificate => matches!(actor, Agent | System),
            TicketEvent::Cancel => matches!(actor, Applicant | Staff),
            TicketEvent::Fail(_) => matches!(actor, Agent | System),
        }
    }

    /// (the states it may start from, the state it leads to)
    fn edge(self) -> (&'static [TicketState], TicketState) {
        use TicketState::*;
        match self {
            TicketEvent::Confirm => (&[Collecting], Submitted),
            TicketEvent::AgentPaired => (&[Submitted], AgentPaired),
            TicketEvent::CardStepRequested => (&[AgentPaired], CardStep),
            TicketEvent::EOnayAttested => (&[CardStep], EOnayDone),
            TicketEvent::CorporateApplied => (&[EOnayDone], CorporateApplied),
            TicketEvent::FormEmailSent => (&[CorporateApplied], FormEmailSent),
            TicketEvent::FormApproved => (&[FormEmailSent], Completed),
            TicketEvent::NewCertificate => (&[CorporateApplied, FormEmailSent], Completed),
            TicketEvent::Cancel => (&[Collecting, Submitted, AgentPaired, CardStep, EOnayDone, CorporateApplied, FormEmailSent], Cancelled),
            TicketEvent::Fail(_) => (&[AgentPaired, CardStep], Failed),
        }
    }
}

/// Who is told what after a transition. The store writes these to the outbox in the same
/// transaction as the state change; delivery workers (chat, staff chat, e-mail) read them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Effect {
    NotifyApplicant(ApplicantNotice),
    NotifyStaff(StaffNotice),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    Moved {
        to: TicketState,
        effects: Vec<Effect>,
    },
    /// The event's effect already happened: nothing to do.
    Duplicate,
}

/// Why an event was refused; each maps to a message for the person who tried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("this actor may not cause that event")]
    NotAllowed,
    #[error("the ticket is closed ({0:?})")]
    Closed(TicketState),
    #[error("an earlier step is missing (ticket is {0:?})")]
    TooEarly(TicketState),
}

impl Refusal {
    pub fn message_id(self) -> &'static str {
        match self {
            Refusal::NotAllowed => "refusal-not-allowed",
            Refusal::Closed(_) => "refusal-closed",
            Refusal::TooEarly(_) => "refusal-too-early",
        }
    }
}

pub fn transition(state: TicketState, event: TicketEvent, actor: ActorKind) -> Result<Applied, Refusal> {
    if !event.allowed(actor) {
        return Err(Refusal::NotAllowed);
    }
    let (from, to) = event.edge();
    if from.contains(&state) {
        return Ok(Applied::Moved { to, effects: effects_of(event, actor) });
    }
    if state == to {
        return Ok(Applied::Duplicate);
    }
    // A step of the happy path replayed after the ticket moved further along it.
    if let (Some(now), Some(target)) = (state.rank(), to.rank())
        && target <= now
    {
        return Ok(Applied::Duplicate);
    }
    if !state.is_open() {
        return Err(Refusal::Closed(state));
    }
    Err(Refusal::TooEarly(state))
}

fn effects_of(event: TicketEvent, actor: ActorKind) -> Vec<Effect> {
    use Effect::{NotifyApplicant, NotifyStaff};
    match event {
        TicketEvent::Confirm => vec![NotifyStaff(StaffNotice::NewTicket)],
        TicketEvent::AgentPaired | TicketEvent::CardStepRequested => vec![],
        TicketEvent::EOnayAttested => vec![NotifyApplicant(ApplicantNotice::EOnayDone), NotifyStaff(StaffNotice::EOnayDone)],
        TicketEvent::CorporateApplied => vec![NotifyApplicant(ApplicantNotice::CorporateApplied)],
        TicketEvent::FormEmailSent => vec![NotifyApplicant(ApplicantNotice::FormEmailSent)],
        TicketEvent::FormApproved | TicketEvent::NewCertificate => {
            vec![NotifyApplicant(ApplicantNotice::Completed), NotifyStaff(StaffNotice::Completed)]
        }
        TicketEvent::Cancel => match actor {
            ActorKind::Staff => vec![NotifyApplicant(ApplicantNotice::CancelledByStaff)],
            _ => vec![NotifyStaff(StaffNotice::Cancelled)],
        },
        TicketEvent::Fail(reason) => vec![NotifyApplicant(ApplicantNotice::Failed(reason)), NotifyStaff(StaffNotice::Failed(reason))],
    }
}

/// One line of a ticket's history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryEntry {
    pub event: TicketEvent,
    pub actor: ActorKind,
    pub from: TicketState,
    pub to: TicketState,
}

/// A ticket's state with its append-only history; what the store persists row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lifecycle {
    state: TicketState,
    history: Vec<HistoryEntry>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle { state: TicketState::Collecting, history: Vec::new() }
    }
}

impl Lifecycle {
    pub fn state(&self) -> TicketState {
        self.state
    }
    pub fn history(&self) -> &[HistoryEntry] {
        &self.history
    }

    /// Applies an event; on a move, appends one history entry and returns the effects.
    pub fn apply(&mut self, event: TicketEvent, actor: ActorKind) -> Result<Vec<Effect>, Refusal> {
        match transition(self.state, event, actor)? {
            Applied::Duplicate => Ok(vec![]),
            Applied::Moved { to, effects } => {
                self.history.push(HistoryEntry { event, actor, from: self.state, to });
                self.state = to;
                Ok(effects)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ActorKind::*;
    use TicketEvent as E;
    use TicketState as S;
    use proptest::prelude::*;

    const EVENTS: [TicketEvent; 11] = [
        E::Confirm,
        E::AgentPaired,
        E::CardStepRequested,
        E::EOnayAttested,
        E::CorporateApplied,
        E::FormEmailSent,
        E::FormApproved,
        E::NewCertificate,
        E::Cancel,
        E::Fail(FailReason::CardLocked),
        E::Fail(FailReason::CertificateExpired),
    ];
    const ACTORS: [ActorKind; 4] = [Applicant, Staff, Agent, System];

    /// The diagram of PRODUCT.md, written out edge by edge: the oracle the property tests use.
    fn legal_edge(from: S, to: S) -> bool {
        matches!(
            (from, to),
            (S::Collecting, S::Submitted)
                | (S::Submitted, S::AgentPaired)
                | (S::AgentPaired, S::CardStep)
                | (S::CardStep, S::EOnayDone)
                | (S::EOnayDone, S::CorporateApplied)
                | (S::CorporateApplied, S::FormEmailSent)
                | (S::FormEmailSent, S::Completed)
                | (S::CorporateApplied, S::Completed)
                | (S::AgentPaired | S::CardStep, S::Failed)
        ) || (from.is_open() && to == S::Cancelled)
    }

    #[test]
    fn the_happy_path() {
        let mut t = Lifecycle::default();
        let steps = [
            (E::Confirm, Applicant, S::Submitted),
            (E::AgentPaired, Applicant, S::AgentPaired),
            (E::CardStepRequested, System, S::CardStep),
            (E::EOnayAttested, Agent, S::EOnayDone),
            (E::CorporateApplied, Staff, S::CorporateApplied),
            (E::FormEmailSent, Staff, S::FormEmailSent),
            (E::FormApproved, Applicant, S::Completed),
        ];
        for (event, actor, expected) in steps {
            t.apply(event, actor).unwrap();
            assert_eq!(t.state(), expected);
        }
        assert_eq!(t.history().len(), 7);
    }

    #[test]
    fn the_renewed_card_closes_the_loop() {
        assert!(matches!(transition(S::CorporateApplied, E::NewCertificate, Agent), Ok(Applied::Moved { to: S::Completed, .. })));
        assert!(matches!(transition(S::FormEmailSent, E::NewCertificate, System), Ok(Applied::Moved { to: S::Completed, .. })));
        assert_eq!(transition(S::CardStep, E::NewCertificate, Agent), Err(Refusal::TooEarly(S::CardStep)));
        assert_eq!(transition(S::FormEmailSent, E::NewCertificate, Applicant), Err(Refusal::NotAllowed));
        assert_eq!(transition(S::Completed, E::NewCertificate, Agent), Ok(Applied::Duplicate), "a second sighting");
    }

    #[test]
    fn each_actor_only_its_own_events() {
        assert_eq!(transition(S::EOnayDone, E::CorporateApplied, Applicant), Err(Refusal::NotAllowed));
        assert_eq!(transition(S::CardStep, E::EOnayAttested, Applicant), Err(Refusal::NotAllowed));
        assert_eq!(transition(S::CardStep, E::EOnayAttested, Staff), Err(Refusal::NotAllowed));
        assert_eq!(transition(S::FormEmailSent, E::FormApproved, Staff), Err(Refusal::NotAllowed));
        assert_eq!(transition(S::Submitted, E::Cancel, Agent), Err(Refusal::NotAllowed));
        assert_eq!(transition(S::Collecting, E::Confirm, System), Err(Refusal::NotAllowed));
    }

    #[test]
    fn duplicates_are_no_ops() {
        assert_eq!(transition(S::Submitted, E::Confirm, Applicant), Ok(Applied::Duplicate));
        assert_eq!(transition(S::CorporateApplied, E::EOnayAttested, Agent), Ok(Applied::Duplicate));
        assert_eq!(transition(S::Cancelled, E::Cancel, Staff), Ok(Applied::Duplicate));
        assert_eq!(transition(S::Failed, E::Fail(FailReason::CardLocked), Agent), Ok(Applied::Duplicate));
        let mut t = Lifecycle::default();
        t.apply(E::Confirm, Applicant).unwrap();
        assert_eq!(t.apply(E::Confirm, Applicant), Ok(vec![]));
        assert_eq!(t.history().len(), 1);
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(transition(S::Submitted, E::CorporateApplied, Staff), Err(Refusal::TooEarly(S::Submitted)));
        assert_eq!(transition(S::Completed, E::Cancel, Applicant), Err(Refusal::Closed(S::Completed)));
        assert_eq!(transition(S::Cancelled, E::AgentPaired, Applicant), Err(Refusal::Closed(S::Cancelled)));
        assert_eq!(transition(S::Submitted, E::Fail(FailReason::CardLocked), Agent), Err(Refusal::TooEarly(S::Submitted)));
        for r in [Refusal::NotAllowed, Refusal::Closed(S::Completed), Refusal::TooEarly(S::Submitted)] {
            assert!(r.message_id().starts_with("refusal-"));
        }
    }

    #[test]
    fn codes_round_trip() {
        for s in S::ALL {
            assert_eq!(S::from_code(s.code()), Some(s));
        }
        for a in ACTORS {
            assert_eq!(ActorKind::from_code(a.code()), Some(a));
        }
    }

    #[test]
    fn confirm_tells_staff_and_staff_cancel_tells_the_applicant() {
        assert_eq!(
            transition(S::Collecting, E::Confirm, Applicant),
            Ok(Applied::Moved { to: S::Submitted, effects: vec![Effect::NotifyStaff(StaffNotice::NewTicket)] })
        );
        assert_eq!(
            transition(S::Submitted, E::Cancel, Staff),
            Ok(Applied::Moved { to: S::Cancelled, effects: vec![Effect::NotifyApplicant(ApplicantNotice::CancelledByStaff)] })
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn random_event_sequences_stay_legal(steps in proptest::collection::vec((0..EVENTS.len(), 0..ACTORS.len()), 0..60)) {
            let mut t = Lifecycle::default();
            for (e, a) in steps {
                let before_state = t.state();
                let before_history = t.history().to_vec();
                let result = t.apply(EVENTS[e], ACTORS[a]);
                // history is append-only: the old history is a prefix of the new one
                prop_assert_eq!(&t.history()[..before_history.len()], &before_history[..]);
                match result {
                    Ok(_) if t.state() != before_state => {
                        prop_assert!(legal_edge(before_state, t.state()), "{:?} -> {:?}", before_state, t.state());
                        prop_assert_eq!(t.history().len(), before_history.len() + 1);
                    }
                    _ => {
                        prop_assert_eq!(t.state(), before_state);
                        prop_assert_eq!(t.history().len(), before_history.len());
                    }
                }
                // closed tickets never reopen
                if !before_state.is_open() {
                    prop_assert_eq!(t.state(), before_state);
                }
            }
            // Completed only after every step up to the corporate application, in order (the
            // form approval may be overtaken by the PC seeing the renewed card).
            if t.state() == S::Completed {
                let visited: Vec<S> = t.history().iter().map(|h| h.to).collect();
                let full = S::PATH[1..].to_vec();
                let by_new_card: Vec<S> = S::PATH[1..6].iter().copied().chain([S::Completed]).collect();
                prop_assert!(visited == full || visited == by_new_card, "{:?}", visited);
            }
        }

        #[test]
        fn every_refusal_leaves_state_alone(s in 0..S::ALL.len(), e in 0..EVENTS.len(), a in 0..ACTORS.len()) {
            let state = S::ALL[s];
            match transition(state, EVENTS[e], ACTORS[a]) {
                Ok(Applied::Moved { to, .. }) => prop_assert!(legal_edge(state, to)),
                Ok(Applied::Duplicate) | Err(_) => {}
            }
        }
    }
}
