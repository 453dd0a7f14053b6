//! The staff desk's pure rules: roles and what each may do, the password policy, account
//! names, what a stalled ticket is, the digest's contents, and CSV cells that a spreadsheet
//! cannot take for formulas.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::ticket::TicketState;
use super::workdays::Calendar;

/// What a staff account may do; each role may do what the ones before it may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Reads the desk (personal data masked), never changes anything.
    Viewer,
    /// Acts on tickets and may reveal the data the corporate application needs.
    Officer,
    /// Also manages accounts and the roster.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Officer, Role::Admin];

    pub fn code(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Officer => "officer",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code().eq_ignore_ascii_case(s.trim()))
    }

    /// Its name for people (`staff-role-<code>`).
    pub fn message_id(self) -> &'static str {
        match self {
            Role::Viewer => "staff-role-viewer",
            Role::Officer => "staff-role-officer",
            Role::Admin => "staff-role-admin",
        }
    }

    pub fn may(self, needed: Role) -> bool {
        self >= needed
    }
}

/// The shortest password an account may have. A desk that reveals T.C. Kimlik Nos deserves
/// more than the usual eight.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longer is pointless and makes hashing a way to tie the server up.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Why a new password is refused; each names its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordProblem {
    Empty,
    TooShort,
    TooLong,
    /// The password is the account's own name (or contains it).
    ContainsName,
}

impl PasswordProblem {
    pub fn message_id(self) -> &'static str {
        match self {
            PasswordProblem::Empty => "staff-password-empty",
            PasswordProblem::TooShort => "staff-password-short",
            PasswordProblem::TooLong => "staff-password-long",
            PasswordProblem::ContainsName => "staff-password-name",
        }
    }
}

/// The password policy: long enough, not the account name. Length is counted in characters
/// (a Turkish ğ is one).
pub fn check_password(name: &str, password: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if password.trim().is_empty() {
        return Err(PasswordProblem::Empty);
    }
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    let folded = eimza_protocol::turkish::fold(password);
    let name = eimza_protocol::turkish::fold(name.trim());
    if !name.is_empty() && folded.contains(&name) {
        return Err(PasswordProblem::ContainsName);
    }
    Ok(())
}

/// An account name: 2–32 of lower-case ASCII letters, digits, `.`, `-`, `_`, starting with a
/// letter (it appears in the history, the audit log and URLs; no look-alike letters).
pub fn valid_account_name(name: &str) -> bool {
    (2..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
}

/// A spreadsheet reads a cell that starts with `=`, `+`, `-`, `@` (or a tab or carriage return
/// before one) as a formula: such a cell gets a leading apostrophe, which shows as text.
pub fn csv_cell(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

/// How long a ticket has waited, in working days, since its last change of state.
pub fn waiting_days(calendar: &Calendar, since: NaiveDate, today: NaiveDate) -> i64 {
    calendar.working_days_between(since, today)
}

/// The latest day a ticket may have last changed state on and still be waiting longer than
/// `days` working days on `today`: a ticket qualifies when its day is on or before it.
pub fn stalled_cutoff(calendar: &Calendar, today: NaiveDate, days: i64) -> NaiveDate {
    // Walk back until the count from `day` to today exceeds `days`.
    let mut day = today;
    for _ in 0..4000 {
        if calendar.working_days_between(day, today) > days {
            return day;
        }
        match day.pred_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    day
}

/// The states in which the desk, not the person, is expected to act next.
pub const WAITING_ON_STAFF: [TicketState; 2] = [TicketState::EOnayDone, TicketState::CorporateApplied];

/// One line of the daily digest: no personal data, only the ticket and its clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestLine {
    pub number: String,
    pub state: TicketState,
    pub waiting_days: i64,
}

/// The daily digest: tickets waiting on the desk, and tickets stalled longer than the limit in
/// any other open state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// The day it is for, `YYYY-MM-DD` (Istanbul).
    pub day: String,
    pub waiting: Vec<DigestLine>,
    pub stalled: Vec<DigestLine>,
    pub stalled_after: i64,
}

impl Digest {
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty() && self.stalled.is_empty()
    }
}

/// An open ticket as the digest sees it.
#[derive(Clone, Debug)]
pub struct OpenTicket {
    pub number: String,
    pub state: TicketState,
    /// The Istanbul day of its last change of state.
    pub since: NaiveDate,
}

/// The digest for `today`: every ticket waiting on the desk; every other open ticket (not one
/// still being collected) that has waited longer than `stalled_after` working days.
pub fn digest(calendar: &Calendar, today: NaiveDate, tickets: &[OpenTicket], stalled_after: i64) -> Digest {
    let mut waiting = Vec::new();
    let mut stalled = Vec::new();
    for t in tickets {
        let days = waiting_days(calendar, t.since, today);
        let line = DigestLine { number: t.number.clone(), state: t.state, waiting_days: days };
        if WAITING_ON_STAFF.contains(&t.state) {
            waiting.push(line);
        } else if t.state.is_open() && t.state != TicketState::Collecting && days > stalled_after {
            stalled.push(line);
        }
    }
    // The longest waits first.
    waiting.sort_by(|a, b| b.waiting_days.cmp(&a.waiting_days).then(a.number.cmp(&b.number)));
    stalled.sort_by(|a, b| b.waiting_days.cmp(&a.waiting_days).then(a.number.cmp(&b.number)));
    Digest { day: today.format("%Y-%m-%d").to_string(), waiting, stalled, stalled_after }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.may(Role::Officer) && Role::Admin.may(Role::Viewer));
        assert!(Role::Officer.may(Role::Viewer) && !Role::Officer.may(Role::Admin));
        assert!(!Role::Viewer.may(Role::Officer));
        assert_eq!(Role::parse(" Officer "), Some(Role::Officer));
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn passwords_must_be_long_and_not_the_name() {
        assert_eq!(check_password("ayse", ""), Err(PasswordProblem::Empty));
        assert_eq!(check_password("ayse", "            "), Err(PasswordProblem::Empty));
        assert_eq!(check_password("ayse", "kısa-şifre1"), Err(PasswordProblem::TooShort), "11 characters, 14 bytes");
        assert_eq!(check_password("ayse", "çok-uzun-şifre!"), Ok(()));
        assert_eq!(check_password("ayse", "AYSE-1234567890"), Err(PasswordProblem::ContainsName));
        assert_eq!(check_password("ayse", &"x".repeat(257)), Err(PasswordProblem::TooLong));
    }

    #[test]
    fn account_names_are_plain() {
        assert!(valid_account_name("ayse.kaya") && valid_account_name("it_desk-2"));
        for bad in ["", "a", "Ayse", "ayşe", "1abc", "ayse kaya", "<script>", &"a".repeat(33)] {
            assert!(!valid_account_name(bad), "{bad}");
        }
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(csv_cell("=HYPERLINK(\"http://x\")"), "'=HYPERLINK(\"http://x\")");
        for c in ["+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert!(csv_cell(c).starts_with('\''), "{c:?}");
        }
        assert_eq!(csv_cell("Ayşe Kaya"), "Ayşe Kaya");
        assert_eq!(csv_cell("123******46"), "123******46");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn the_stalled_cutoff_matches_the_count() {
        let calendar = Calendar::default();
        let today = d(2026, 12, 7); // a Monday
        for days in 0..12 {
            let cutoff = stalled_cutoff(&calendar, today, days);
            assert!(waiting_days(&calendar, cutoff, today) > days, "{days}");
            assert!(waiting_days(&calendar, cutoff.succ_opt().unwrap(), today) <= days, "{days}: the latest such day");
        }
        // Over a weekend: waiting more than 1 working day on Monday means changed before Friday.
        assert_eq!(stalled_cutoff(&calendar, today, 1), d(2026, 12, 3));
    }

    #[test]
    fn the_digest_lists_the_desks_work_and_stalled_tickets() {
        let calendar = Calendar::default();
        let today = d(2026, 12, 7);
        let t = |n: &str, state, since| OpenTicket { number: n.into(), state, since };
        let tickets = vec![
            t("EIMZA-2026-000001", TicketState::EOnayDone, d(2026, 12, 4)),
            t("EIMZA-2026-000002", TicketState::CardStep, d(2026, 11, 30)),
            t("EIMZA-2026-000003", TicketState::CardStep, d(2026, 12, 4)),
            t("EIMZA-2026-000004", TicketState::Collecting, d(2026, 11, 1)),
            t("EIMZA-2026-000005", TicketState::CorporateApplied, d(2026, 11, 30)),
        ];
        let digest = digest(&calendar, today, &tickets, 3);
        let numbers = |lines: &[DigestLine]| lines.iter().map(|l| l.number.clone()).collect::<Vec<_>>();
        assert_eq!(numbers(&digest.waiting), ["EIMZA-2026-000005", "EIMZA-2026-000001"], "longest wait first");
        assert_eq!(numbers(&digest.stalled), ["EIMZA-2026-000002"]);
        assert_eq!(digest.stalled[0].waiting_days, 5);
        assert_eq!(digest.day, "2026-12-07");
        assert!(super::digest(&calendar, today, &tickets[2..3], 3).is_empty());
    }
}
