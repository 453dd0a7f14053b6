//! Background jobs. The retention job erases the personal data of tickets closed longer ago
//! than the retention period, forgets idle web chats and conversations, and forgets old
//! processed-update ids and the verification e-mail counts older than a day (the limits look
//! back a day). The reminder job queues the
//! certificate-expiry e-mails, in office hours only.

use std::time::Duration;

use chrono::{Datelike, TimeZone, Timelike, Weekday};

use crate::clock;
use crate::config::RemindersConfig;
use crate::core::workdays::Calendar;
use crate::store::Store;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;

pub async fn purge_loop(store: Store, every: Duration, retention_days: u32, idle_days: u32) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let now = clock::now_ms();
        if let Err(e) = purge_once(&store, retention_days, now).await {
            tracing::error!(error = %e, "retention job failed; will retry");
        }
        if let Err(e) = expire_idle_once(&store, idle_days, now).await {
            tracing::error!(error = %e, "retention job failed; will retry");
        }
    }
}

/// Forgets idle transcripts, sessions and conversations; returns how many rows went.
pub async fn expire_idle_once(store: &Store, idle_days: u32, now: i64) -> Result<u64, crate::store::StoreError> {
    let gone = store.expire_idle(now - i64::from(idle_days.max(1)) * DAY_MS).await?;
    if gone > 0 {
        tracing::info!(rows = gone, "idle web chat data and conversations forgotten");
    }
    Ok(gone)
}

pub async fn purge_once(store: &Store, retention_days: u32, now: i64) -> Result<u64, crate::store::StoreError> {
    // Not held up by a failure of the rest: the counts are hashes of addresses, kept a day.
    let forgot = store.forget_mail_limits_before(now - DAY_MS).await;
    let purged = store.purge_closed(now - i64::from(retention_days) * DAY_MS, now).await?;
    if purged > 0 {
        crate::metrics::METRICS.job_ran("retention");
        tracing::info!(tickets = purged, "personal data of closed tickets erased after the retention period");
    }
    store.forget_updates_before(now - 7 * DAY_MS).await?;
    forgot?;
    Ok(purged)
}

pub async fn reminder_loop(store: Store, config: RemindersConfig) {
    let mut tick = tokio::time::interval(Duration::from_secs(config.interval_secs.max(1)));
    loop {
        tick.tick().await;
        if let Err(e) = reminders_once(&store, &config, clock::now_ms()).await {
            tracing::error!(error = %e, "reminder job failed; will retry");
        }
    }
}

/// Whether `now` is in office hours in Türkiye: reminders are never sent at night or, if so
/// configured, at weekends.
pub fn in_office_hours(config: &RemindersConfig, now: i64) -> bool {
    let Some(t) = chrono_tz::Europe::Istanbul.timestamp_millis_opt(now).single() else { return false };
    let weekend = matches!(t.weekday(), Weekday::Sat | Weekday::Sun);
    (!config.weekdays_only || !weekend) && t.hour() >= config.office_start_hour && t.hour() < config.office_end_hour
}

/// Queues today's due reminders if it is office time; returns how many.
pub async fn reminders_once(store: &Store, config: &RemindersConfig, now: i64) -> Result<usize, crate::store::StoreError> {
    if !in_office_hours(config, now) {
        return Ok(0);
    }
    let queued = store.queue_due_reminders(clock::istanbul_today(now), &config.offsets, now).await?;
    if queued > 0 {
        crate::metrics::METRICS.job_ran("expiry-reminders");
        tracing::info!(queued, "certificate-expiry reminders queued");
    }
    Ok(queued)
}

/// The reminders to approve the renewal form, in office hours: every few working days after the
/// form e-mail notice, a few times at most (`approval.*`).
pub async fn approval_loop(store: Store, hours: RemindersConfig, approval: crate::config::ApprovalConfig, calendar: Calendar) {
    let mut tick = tokio::time::interval(Duration::from_secs(hours.interval_secs.max(1)));
    loop {
        tick.tick().await;
        let now = clock::now_ms();
        if !in_office_hours(&hours, now) {
            continue;
        }
        if let Err(e) = approvals_once(&store, &approval, &calendar, now).await {
            tracing::error!(error = %e, "approval reminders failed; will retry");
        }
    }
}

/// Sends the approval reminders due at `now`; returns how many.
pub async fn approvals_once(
    store: &Store,
    approval: &crate::config::ApprovalConfig,
    calendar: &Calendar,
    now: i64,
) -> Result<usize, crate::store::StoreError> {
    let today = clock::istanbul_today(now);
    // Reminders go out on working days only (a weekday holiday included).
    if !calendar.is_working_day(today) {
        return Ok(0);
    }
    let mut sent = 0;
    for due in store.approvals_due(now, i64::from(approval.max_reminders)).await? {
        let notified = clock::istanbul_today(due.notified_at);
        if calendar.working_days_between(notified, today) < i64::from(approval.every_working_days.max(1)) {
            continue;
        }
        let mut tx = store.begin().await?;
        tx.remind_approval(&due, now).await?;
        tx.commit().await?;
        sent += 1;
    }
    if sent > 0 {
        crate::metrics::METRICS.job_ran("approval-reminders");
        tracing::info!(sent, "renewal-form approval reminders queued");
    }
    Ok(sent)
}

/// The desk's daily round: the digest once a day, and sessions past their time removed.
pub async fn digest_loop(store: Store, calendar: Calendar, config: crate::config::StaffConfig) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        let now = clock::now_ms();
        if let Err(e) = digest_once(&store, &calendar, &config, now).await {
            tracing::error!(error = %e, "the daily digest failed; will retry");
        }
        let idle = now - i64::from(config.idle_minutes.max(1)) * 60_000;
        let started = now - i64::from(config.session_hours.max(1)) * 3_600_000;
        if let Err(e) = store.expire_staff_sessions(idle, started).await {
            tracing::error!(error = %e, "removing ended staff sessions failed; will retry");
        }
        // Failed logins matter for the throttle and a while after; reveals and exports stay.
        if let Err(e) = store.forget_login_failures(now - 90 * DAY_MS).await {
            tracing::error!(error = %e, "forgetting old failed logins failed; will retry");
        }
    }
}

/// The daily digest at `now`: on a working day from `digest_hour` (Istanbul), once per day
/// across every instance on the database, to each staff chat and the IT desk's e-mail — the
/// tickets waiting on the desk and those stalled longer than `stalled_working_days`. Nothing is
/// sent on a day with nothing to say. Returns the digest when this call sent it.
pub async fn digest_once(
    store: &Store,
    calendar: &Calendar,
    config: &crate::config::StaffConfig,
    now: i64,
) -> Result<Option<crate::core::staff::Digest>, crate::store::StoreError> {
    use crate::core::outbound::{Mail, Outbound, StaffMessage};
    use crate::core::staff::{OpenTicket, digest};
    let Some(local) = chrono_tz::Europe::Istanbul.timestamp_millis_opt(now).single() else { return Ok(None) };
    let today = local.date_naive();
    if !calendar.is_working_day(today) || local.hour() < config.digest_hour {
        return Ok(None);
    }
    let day = today.format("%Y-%m-%d").to_string();
    let open = store.open_ticket_clocks().await?;
    let tickets: Vec<OpenTicket> =
        open.into_iter().map(|(number, state, at)| OpenTicket { number, state, since: clock::istanbul_today(at) }).collect();
    let digest = digest(calendar, today, &tickets, i64::from(config.stalled_working_days));
    let mut tx = store.begin().await?;
    if !tx.claim_digest_day(&day, now).await? {
        return Ok(None);
    }
    if digest.is_empty() {
        tx.commit().await?;
        tracing::info!("nothing for today's digest");
        return Ok(None);
    }
    for platform in store.routing().staff_chats.clone() {
        let post = Outbound::StaffChat { platform, ticket_id: None, message: StaffMessage::Digest { digest: digest.clone() } };
        tx.enqueue(format!("digest:{day}:{}", platform.code()), &post, now).await?;
    }
    tx.enqueue(format!("digest:{day}:email"), &Outbound::Email(Mail::StaffDigest { digest: digest.clone() }), now).await?;
    tx.commit().await?;
    crate::metrics::METRICS.job_ran("digest");
    tracing::info!(waiting = digest.waiting.len(), stalled = digest.stalled.len(), "the daily digest was queued");
    Ok(Some(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RemindersConfig {
        RemindersConfig {
            offsets: vec![40, 30, 14, 7, 3, 1],
            office_start_hour: 9,
            office_end_hour: 17,
            weekdays_only: true,
            interval_secs: 600,
        }
    }

    #[test]
    fn office_hours_are_istanbul_working_hours() {
        let at = |y, m, d, h| chrono_tz::Europe::Istanbul.with_ymd_and_hms(y, m, d, h, 30, 0).unwrap().timestamp_millis();
        assert!(in_office_hours(&config(), at(2026, 11, 25, 9)), "Wednesday 09:30");
        assert!(in_office_hours(&config(), at(2026, 11, 25, 16)));
        assert!(!in_office_hours(&config(), at(2026, 11, 25, 17)), "17:30 is after hours");
        assert!(!in_office_hours(&config(), at(2026, 11, 25, 3)), "never at night");
        assert!(!in_office_hours(&config(), at(2026, 11, 28, 11)), "Saturday");
        assert!(in_office_hours(&RemindersConfig { weekdays_only: false, ..config() }, at(2026, 11, 28, 11)));
    }
}
