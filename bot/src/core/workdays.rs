//! Working days in Türkiye: Monday to Friday, except the public holidays — the fixed ones built
//! in, the religious ones (whose dates move with the lunar calendar) from configuration. Half
//! days (the eves, 28 October's afternoon) count as working days: the morning is worked.

use chrono::{Datelike, NaiveDate, Weekday};

/// The fixed public holidays, (month, day): New Year, National Sovereignty and Children's Day,
/// Labour Day, Atatürk Commemoration and Youth and Sports Day, Democracy and National Unity Day,
/// Victory Day, Republic Day.
const FIXED: [(u32, u32); 7] = [(1, 1), (4, 23), (5, 1), (5, 19), (7, 15), (8, 30), (10, 29)];

/// The calendar the desk works by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Calendar {
    /// The religious holidays (Ramazan and Kurban Bayramı), whole days.
    pub holidays: Vec<NaiveDate>,
}

impl Calendar {
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
        let fixed = FIXED.contains(&(day.month(), day.day()));
        !weekend && !fixed && !self.holidays.contains(&day)
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`).
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut count = 0;
        let mut day = from;
        // Bounded: no wait the desk measures is longer than a few years.
        for _ in 0..4000 {
            let Some(next) = day.succ_opt() else { break };
            if next > to {
                break;
            }
            day = next;
            if self.is_working_day(day) {
                count += 1;
            }
        }
        count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekends_and_holidays_are_not_working_days() {
        let calendar = Calendar { holidays: vec![d(2026, 3, 20)] };
        assert!(calendar.is_working_day(d(2026, 12, 1)), "a Tuesday");
        assert!(!calendar.is_working_day(d(2026, 12, 5)), "a Saturday");
        assert!(!calendar.is_working_day(d(2026, 10, 29)), "Republic Day");
        assert!(!calendar.is_working_day(d(2027, 4, 23)), "the fixed ones every year");
        assert!(!calendar.is_working_day(d(2026, 3, 20)), "a configured Bayram day");
        assert!(calendar.is_working_day(d(2026, 10, 28)), "an eve counts: the morning is worked");
    }

    #[test]
    fn counting_skips_what_is_not_worked() {
        let calendar = Calendar::default();
        // Thursday → the next Monday: Friday and Monday.
        assert_eq!(calendar.working_days_between(d(2026, 12, 3), d(2026, 12, 7)), 2);
        assert_eq!(calendar.working_days_between(d(2026, 12, 3), d(2026, 12, 3)), 0);
        assert_eq!(calendar.working_days_between(d(2026, 12, 7), d(2026, 12, 3)), 0);
        // Over Republic Day (Thursday 29 October 2026).
        assert_eq!(calendar.working_days_between(d(2026, 10, 27), d(2026, 10, 30)), 2);
    }
}
