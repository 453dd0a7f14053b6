//! Wall-clock time in one place: milliseconds since the Unix epoch, and Türkiye's calendar day.

use chrono::{NaiveDate, TimeZone};

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn istanbul_today(now_ms: i64) -> NaiveDate {
    chrono_tz::Europe::Istanbul.timestamp_millis_opt(now_ms).single().map(|t| t.date_naive()).unwrap_or_default()
}

/// The first millisecond of `day` in Istanbul.
pub fn istanbul_day_start(day: NaiveDate) -> i64 {
    chrono_tz::Europe::Istanbul
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .earliest()
        .map(|t| t.timestamp_millis())
        .unwrap_or_default()
}
