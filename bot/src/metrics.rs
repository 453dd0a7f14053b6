//! What the bot counts for its operators: one process-wide registry (`METRICS`) the code bumps
//! where things happen (turns and their latency, deliveries, pairing failures, rate-limit
//! refusals, Telegram's pace and 429s, job runs), and the values read when scraped (tickets by
//! state, outbox depth and oldest age per channel, connected agents). `/metrics` renders it in
//! the Prometheus text format; no label ever holds personal data.

use std::sync::LazyLock;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Channel {
    pub channel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Delivery {
    pub channel: String,
    /// `sent`, `retried`, `failed`.
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Limit {
    /// `web-session`, `web-message`, `agent-api`, `pairing`, `staff-login`.
    pub limit: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Job {
    /// `expiry-reminders`, `approval-reminders`, `digest`, `retention`.
    pub job: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Holder {
    /// `batch`, `transaction`, `statement`, `commit` (see [`TurnHolder`]).
    pub holder: &'static str,
}

/// Who held SQLite's turn to write: a group-committed batch, a unit of work's transaction, one
/// write alone, or the task that commits a group its last holder left open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TurnHolder {
    Batch,
    Transaction,
    Statement,
    Commit,
}

impl TurnHolder {
    pub const ALL: [TurnHolder; 4] = [TurnHolder::Batch, TurnHolder::Transaction, TurnHolder::Statement, TurnHolder::Commit];

    pub fn label(self) -> &'static str {
        match self {
            TurnHolder::Batch => "batch",
            TurnHolder::Transaction => "transaction",
            TurnHolder::Statement => "statement",
            TurnHolder::Commit => "commit",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct State {
    pub state: String,
}

pub struct Metrics {
    registry: Registry,
    pub turns: Counter,
    pub turn_seconds: Histogram,
    /// Items per group-committed batch (conversation saves, chat-state reads).
    pub batch_items: Histogram,
    /// Holders whose writes one COMMIT of SQLite's writer made durable (group commit).
    pub commit_holders: Histogram,
    /// SQLite: how long each holder kept this process's one turn to write, by kind of holder
    /// (in [`TurnHolder::ALL`]'s order; see [`Metrics::write_turn_seconds`]).
    write_turn_seconds: [Histogram; TurnHolder::ALL.len()],
    /// SQLite: one script of a write transaction, sent to SQLite's thread and answered.
    pub write_script_seconds: Histogram,
    pub deliveries: Family<Delivery, Counter>,
    pub pairing_failures: Counter,
    pub rate_limited: Family<Limit, Counter>,
    pub telegram_sent: Counter,
    pub telegram_429: Counter,
    pub job_runs: Family<Job, Counter>,
    pub tickets: Family<State, Gauge>,
    pub outbox_depth: Family<Channel, Gauge>,
    pub outbox_oldest_seconds: Family<Channel, Gauge>,
    pub agents_connected: Gauge,
}

pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("eimza");
        let turns = Counter::default();
        registry.register("conversation_turns", "Conversation turns handled", turns.clone());
        // 0.5 ms … 4 s.
        let turn_seconds = Histogram::new(exponential_buckets(0.0005, 2.0, 14));
        registry.register("conversation_turn_seconds", "Time to handle one conversation turn", turn_seconds.clone());
        // 1 … 256.
        let batch_items = Histogram::new(exponential_buckets(1.0, 2.0, 9));
        registry.register("store_batch_items", "Turns served by one batched statement or commit", batch_items.clone());
        // 0 … 128 (0: a transaction left open by holders that wrote nothing).
        let commit_holders = Histogram::new([0.0].into_iter().chain(exponential_buckets(1.0, 2.0, 8)));
        registry.register(
            "store_commit_holders",
            "Holders whose writes one COMMIT of the writer made durable (SQLite)",
            commit_holders.clone(),
        );
        // 50 µs … 0.4 s.
        let holders = Family::<Holder, Histogram, _>::new_with_constructor(|| Histogram::new(exponential_buckets(0.00005, 2.0, 14)));
        registry.register("store_write_turn_seconds", "How long one holder kept the turn to write (SQLite)", holders.clone());
        // Made once, so that observing one is no lookup (and all three are shown from the start).
        let write_turn_seconds = TurnHolder::ALL.map(|h| holders.get_or_create(&Holder { holder: h.label() }).clone());
        let write_script_seconds = Histogram::new(exponential_buckets(0.00005, 2.0, 14));
        registry.register(
            "store_write_script_seconds",
            "One script of a write transaction, from sending to its answer (SQLite)",
            write_script_seconds.clone(),
        );
        let deliveries = Family::<Delivery, Counter>::default();
        registry.register("outbox_deliveries", "Outbox messages sent, retried later or failed for good", deliveries.clone());
        let pairing_failures = Counter::default();
        registry.register("pairing_failures", "Wrong or expired pairing codes presented", pairing_failures.clone());
        let rate_limited = Family::<Limit, Counter>::default();
        registry.register("rate_limit_refusals", "Requests refused by a rate limit", rate_limited.clone());
        let telegram_sent = Counter::default();
        registry.register("telegram_messages_sent", "Messages Telegram accepted", telegram_sent.clone());
        let telegram_429 = Counter::default();
        registry.register("telegram_retry_after", "Telegram's 429 answers (waited out)", telegram_429.clone());
        let job_runs = Family::<Job, Counter>::default();
        registry.register("job_runs", "Background job runs that did work", job_runs.clone());
        let tickets = Family::<State, Gauge>::default();
        registry.register("tickets", "Tickets by state", tickets.clone());
        let outbox_depth = Family::<Channel, Gauge>::default();
        registry.register("outbox_pending", "Outbox messages waiting per channel", outbox_depth.clone());
        let outbox_oldest_seconds = Family::<Channel, Gauge>::default();
        registry.register(
            "outbox_oldest_pending_seconds",
            "Age of the oldest waiting outbox message per channel",
            outbox_oldest_seconds.clone(),
        );
        let agents_connected = Gauge::default();
        registry.register("agents_connected", "Agents connected to this instance", agents_connected.clone());
        Metrics {
            registry,
            turns,
            turn_seconds,
            batch_items,
            commit_holders,
            write_turn_seconds,
            write_script_seconds,
            deliveries,
            pairing_failures,
            rate_limited,
            telegram_sent,
            telegram_429,
            job_runs,
            tickets,
            outbox_depth,
            outbox_oldest_seconds,
            agents_connected,
        }
    }

    /// A rate limit said no.
    pub fn refused(&self, limit: &str) {
        self.rate_limited.get_or_create(&Limit { limit: limit.to_owned() }).inc();
    }

    /// A job did work.
    pub fn job_ran(&self, job: &str) {
        self.job_runs.get_or_create(&Job { job: job.to_owned() }).inc();
    }

    /// An outbox message settled: `outcome` is `sent`, `retried` or `failed`.
    pub fn delivered(&self, channel: &str, outcome: &str) {
        self.deliveries.get_or_create(&Delivery { channel: channel.to_owned(), outcome: outcome.to_owned() }).inc();
    }

    /// How long each holder of this kind kept SQLite's turn to write.
    pub fn write_turn_seconds(&self, holder: TurnHolder) -> &Histogram {
        &self.write_turn_seconds[holder as usize]
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_has_the_names_operators_alert_on() {
        METRICS.turns.inc();
        METRICS.turn_seconds.observe(0.003);
        METRICS.delivered("email", "sent");
        METRICS.refused("pairing");
        METRICS.outbox_depth.get_or_create(&Channel { channel: "email".into() }).set(3);
        METRICS.write_turn_seconds(TurnHolder::Statement).observe(0.0001);
        let text = METRICS.render();
        for name in [
            "eimza_conversation_turns_total",
            "eimza_conversation_turn_seconds_bucket{le=\"0.004\"}",
            "eimza_outbox_deliveries_total{channel=\"email\",outcome=\"sent\"}",
            "eimza_rate_limit_refusals_total{limit=\"pairing\"}",
            "eimza_outbox_pending{channel=\"email\"} 3",
            "eimza_agents_connected",
            // Each kind of holder of SQLite's turn to write shown from the start.
            "eimza_store_write_turn_seconds_count{holder=\"batch\"}",
            "eimza_store_write_turn_seconds_count{holder=\"transaction\"}",
            "eimza_store_write_turn_seconds_count{holder=\"statement\"}",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
        assert!(text.ends_with("# EOF\n"), "the OpenMetrics end marker");
    }
}
