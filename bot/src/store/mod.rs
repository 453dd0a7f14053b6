//! Persistence: SQLite (the default, one file) or PostgreSQL (several bot instances), through
//! sqlx's `Any` driver so both run the same code; the few statements whose dialects differ
//! choose by [`Backend`]. Migrations under `migrations/{sqlite,postgres}` are embedded and
//! applied at connect.
//!
//! The store owns the [`Vault`]: personal data is encrypted on the way in and decrypted on the
//! way out here, so no caller can forget it.
//!
//! Every write that belongs to one message happens in one [`Tx`]; with SQLite, writes are
//! serialised by a process-wide lock (SQLite has one writer anyway, and this avoids
//! `SQLITE_BUSY` on lock upgrades) that holds the process's one writer connection (its
//! statements run in place, `inline.rs`), and a transaction's statements go to it in as few
//! scripts as it can (`writer.rs`, `script.rs`), committed with the writes of the holders
//! that waited for the turn meanwhile (group commit, `writer.rs`);
//! with PostgreSQL, rows are locked `FOR UPDATE`.

mod accounts;
mod agents;
mod chat;
mod eonay;
mod gather;
mod inline;
pub mod keys;
mod ops;
mod outbox;
mod platforms;
mod recent;
mod roster;
mod script;
mod staff;
mod tickets;
mod webchat;
mod writer;

use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Any, AnyPool, Executor, Row};

pub use accounts::{Account, AuditEntry, AuditLimit, FirstAdmin, LoginAttempt, SetupOutcome, StaffSession};
pub use agents::{AgentRow, Claim, Decided, PairingClaim, PairingDecisionRow, PairingStatus, WorkTicket};
pub use chat::{ChatState, ConversationSave, OwedReplies, OwedTurn, SavedFrom, SealedUnsent, Unsent};
pub use eonay::{ApprovalDue, ChallengeRow, Resent, StepTicket};
pub use ops::{OutboxDepth, sqlite_backup};
pub use outbox::{Claimed, FailedMessage, OutboxChanges};
pub use platforms::FormLinkRefusal;
pub use recent::ReadMark;
pub use roster::{ImportSummary, day_from_number, day_number};
pub use staff::{AssignedFilter, CorporateData, DeskPage, EventRow, NoteRow, SortKey, TicketFilter, TicketRow};
pub use tickets::{Actor, OpenOutcome, TicketApplication, TicketChange, TicketNote};
pub use webchat::{TranscriptButton, TranscriptEntry, WebSession};

use crate::vault::Vault;
use writer::{TxConn, WriterSlot};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data could not be decrypted or decoded: {0}")]
    Corrupt(String),
    #[error("unsupported database URL (use sqlite:… or postgres://…)")]
    UnsupportedUrl,
    /// A transaction's conversation changed since it was read (see [`Tx::expect_version`]).
    #[error("the conversation changed since it was read")]
    Changed,
    /// A transaction presumed a limit not reached, and it was (see `TxConn::write_presumed`):
    /// nothing of it was written; its work runs again without presuming.
    #[error("a limit presumed not reached was reached")]
    Presumed,
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    vault: Vault,
    /// SQLite only: the writer connection; one write at a time in this process.
    writer: Option<Arc<WriterSlot>>,
    /// Rung when a transaction that queued outbox messages commits, so delivery starts at once:
    /// a count per channel (`outbox.rs` `OutboxChanges`).
    outbox_signal: Arc<tokio::sync::watch::Sender<outbox::Rung>>,
    /// Who hears of ticket changes besides the applicant.
    routing: Arc<Routing>,
    /// SQLite only: personal data was erased; the next checkpoint truncates the write-ahead log
    /// so no old copy of it stays in the file.
    scrub: Arc<std::sync::atomic::AtomicBool>,
    /// Verification e-mails to all addresses together per hour (`mail.codes_per_hour`).
    codes_per_hour: i64,
    /// A code e-mail's count is not presumed under the limits before this time (ms): a count
    /// was refused lately (`Tx::count_code_mail`).
    presume_codes_from: Arc<std::sync::atomic::AtomicI64>,
    /// Group commit of conversation saves, and batched chat-state and web-session reads
    /// (`gather.rs`); `None` in the store their own tasks use.
    saves: Option<gather::Gather<gather::Saves>>,
    reads: Option<gather::Gather<gather::Reads>>,
    sessions: Option<gather::Gather<gather::Sessions>>,
    /// `/durum`'s reads side by side (`tickets.rs` `status_view`).
    statuses: Option<gather::Gather<gather::Statuses>>,
    /// Tickets read by id side by side, for their notices (`staff.rs` `ticket_by_id`).
    tickets: Option<gather::Gather<gather::Tickets>>,
    /// The outbox's claims ended side by side (`outbox.rs` `release`), one transaction for all
    /// (SQLite).
    releases: Option<gather::Gather<gather::Releases>>,
    /// People first seen side by side, added in one statement (SQLite).
    persons: Option<gather::Gather<gather::Persons>>,
    /// SQLite only: the chat states this process saved last (`recent.rs`).
    recent: Option<Arc<recent::RecentChats>>,
    /// SQLite only: the web sessions found (`webchat.rs`).
    known_sessions: Option<Arc<webchat::KnownSessions>>,
}

/// Who hears of ticket changes besides the applicant, as configured; the store applies it in the
/// transaction of each change.
#[derive(Clone, Debug, Default)]
pub struct Routing {
    /// Every change goes to the institution's help-desk by e-mail (e-mail-to-ticket).
    pub helpdesk_email: bool,
    /// … and/or to its JSON webhook.
    pub helpdesk_webhook: bool,
    /// The staff chats (one per platform) that hear of staff notices and questions.
    pub staff_chats: Vec<crate::core::conversation::Transport>,
}

fn migrator(backend: Backend) -> Migrator {
    let files: [(i64, &str, &'static str); 10] = match backend {
        Backend::Sqlite => [
            (1, "init", include_str!("../../../migrations/sqlite/0001_init.sql")),
            (2, "agents", include_str!("../../../migrations/sqlite/0002_agents.sql")),
            (3, "chat platforms", include_str!("../../../migrations/sqlite/0003_chat_platforms.sql")),
            (4, "unsent replies", include_str!("../../../migrations/sqlite/0004_unsent_replies.sql")),
            (5, "outbox lanes", include_str!("../../../migrations/sqlite/0005_outbox_lanes.sql")),
            (6, "e-onay", include_str!("../../../migrations/sqlite/0006_eonay.sql")),
            (7, "limits", include_str!("../../../migrations/sqlite/0007_limits.sql")),
            (8, "staff desk", include_str!("../../../migrations/sqlite/0008_staff_desk.sql")),
            (9, "mail limit minutes", include_str!("../../../migrations/sqlite/0009_mail_limit_minutes.sql")),
            (10, "outbox pending by channel", include_str!("../../../migrations/sqlite/0010_outbox_pending_by_channel.sql")),
        ],
        Backend::Postgres => [
            (1, "init", include_str!("../../../migrations/postgres/0001_init.sql")),
            (2, "agents", include_str!("../../../migrations/postgres/0002_agents.sql")),
            (3, "chat platforms", include_str!("../../../migrations/postgres/0003_chat_platforms.sql")),
            (4, "unsent replies", include_str!("../../../migrations/postgres/0004_unsent_replies.sql")),
            (5, "outbox lanes", include_str!("../../../migrations/postgres/0005_outbox_lanes.sql")),
            (6, "e-onay", include_str!("../../../migrations/postgres/0006_eonay.sql")),
            (7, "limits", include_str!("../../../migrations/postgres/0007_limits.sql")),
            (8, "staff desk", include_str!("../../../migrations/postgres/0008_staff_desk.sql")),
            (9, "mail limit minutes", include_str!("../../../migrations/postgres/0009_mail_limit_minutes.sql")),
            (10, "outbox pending by channel", include_str!("../../../migrations/postgres/0010_outbox_pending_by_channel.sql")),
        ],
    };
    Migrator::with_migrations(
        files
            .into_iter()
            .map(|(version, name, sql)| {
                Migration::new(version, name.into(), MigrationType::Simple, sqlx::SqlSafeStr::into_sql_str(sql), false)
            })
            .collect(),
    )
}

/// What every SQLite connection of the store runs when it opens (the pool's, the writer's and
/// the batch readers').
const SQLITE_SETTINGS: &[&str] = &[
    // WAL: readers never wait for the writer. NORMAL: durable at checkpoints, which WAL makes
    // safe against corruption; fsync per commit would cap us at a few hundred messages a second.
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA foreign_keys = ON",
    // Deleted content is overwritten with zeros, not left in free pages: erased personal data
    // is gone from the file.
    "PRAGMA secure_delete = ON",
    "PRAGMA busy_timeout = 10000",
    // Checkpoints run in the background (see `checkpoint_loop`); this only bounds the WAL
    // should that task ever stop or fall behind (on the writer, `inline.rs` `after_commit`
    // keeps the same bound, `WAL_BOUND`).
    "PRAGMA wal_autocheckpoint = 20000",
    // No memory map, whatever SQLite's build would have: the pool's connections map the file
    // (`POOL_SETTINGS`, after these), the others read without one.
    "PRAGMA mmap_size = 0",
    // 64 MiB of page cache instead of SQLite's 2 MiB: the roster's key index alone is larger
    // than that with a million people.
    "PRAGMA cache_size = -65536",
    writer::GUARD_TABLE,
];

/// The pool's connections' own, after [`SQLITE_SETTINGS`]: its reads are the long ones (the
/// reminder scan over the roster, the desk's lists), and through a memory map SQLite reads
/// their pages without a system call and a copy each. The writer and the batch readers
/// (`gather.rs`) have no map: each of their statements reads a few pages, and a connection that
/// finds the log changed at the start of a read — theirs do, nearly every time under load —
/// drops its page cache and unmaps its whole map (SQLite's `pagerBeginReadTransaction`). Each
/// unmapping stops the other core to flush its TLB; in `scripts/bench chat` at 16 in flight,
/// without their maps: 20,666 messages/s against 18,378 (eight runs of each, alternated).
/// Without the pool's, the reminder scan's second run over a million people took 0.36–0.56 s
/// instead of 0.22–0.27 s.
const POOL_SETTINGS: &[&str] = &["PRAGMA mmap_size = 268435456"];

impl Store {
    /// Connects, creating a SQLite file (and its folder) if needed, and applies migrations.
    pub async fn connect(url: &str, vault: Vault) -> Result<Store> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        let url = match backend {
            Backend::Sqlite => sqlite_url(url),
            Backend::Postgres => url.to_owned(),
        };
        if backend == Backend::Sqlite {
            inline::Inline::file_of(&url)?;
        }
        let options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 4,
                Backend::Postgres => 10,
            })
            .acquire_timeout(Duration::from_secs(10))
            // A local SQLite file cannot lose its connection; sqlx's default ping before every
            // acquire would double the round trips of each query.
            .test_before_acquire(backend == Backend::Postgres);
        let options = if backend == Backend::Sqlite {
            options.after_connect(|conn, _| {
                Box::pin(async move {
                    for statement in SQLITE_SETTINGS.iter().chain(POOL_SETTINGS) {
                        conn.execute(*statement).await?;
                    }
                    Ok(())
                })
            })
        } else {
            options
        };
        let pool = options.connect(&url).await?;
        migrator(backend).run(&pool).await?;
        let scrub = Arc::new(std::sync::atomic::AtomicBool::new(false));
        if backend == Backend::Sqlite {
            warn_without_stable_plans(&pool).await;
            tokio::spawn(checkpoint_loop(pool.clone(), scrub.clone()));
        }
        let mut store = Store {
            scrub,
            pool,
            backend,
            vault,
            writer: (backend == Backend::Sqlite).then(|| Arc::new(WriterSlot::new(&url))),
            outbox_signal: Arc::new(tokio::sync::watch::Sender::new(outbox::Rung::default())),
            routing: Arc::new(Routing::default()),
            codes_per_hour: outbox::CODES_PER_HOUR_ALL,
            presume_codes_from: Arc::default(),
            saves: None,
            reads: None,
            sessions: None,
            statuses: None,
            tickets: None,
            releases: None,
            persons: None,
            recent: (backend == Backend::Sqlite).then(Default::default),
            known_sessions: (backend == Backend::Sqlite).then(Default::default),
        };
        store.saves = Some(gather::Gather::start(store.clone()));
        store.reads = Some(gather::Gather::start(store.clone()));
        store.sessions = Some(gather::Gather::start(store.clone()));
        store.statuses = Some(gather::Gather::start(store.clone()));
        store.tickets = Some(gather::Gather::start(store.clone()));
        // SQLite only: there each end was a turn to write of its own. On PostgreSQL they run
        // side by side on the pool, each a one-row UPDATE that can only wait, never deadlock.
        store.releases = (backend == Backend::Sqlite).then(|| gather::Gather::start(store.clone()));
        // SQLite only, for the same reason; and on PostgreSQL one multi-row upsert would lock its
        // rows in no set order, and two instances' could wait for each other in a circle.
        store.persons = (backend == Backend::Sqlite).then(|| gather::Gather::start(store.clone()));
        Ok(store)
    }

    /// At most this many verification e-mails per hour to all addresses together (a large
    /// institution's renewal day may need more than the default).
    pub fn with_codes_per_hour(mut self, codes: u32) -> Store {
        self.codes_per_hour = i64::from(codes.max(1));
        self
    }

    /// Who hears of ticket changes (see [`Routing`]).
    pub fn with_routing(mut self, routing: Routing) -> Store {
        self.routing = Arc::new(routing);
        self
    }

    pub fn routing(&self) -> &Routing {
        &self.routing
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// Changes each time a transaction that queued messages on `channel` commits: the channel's
    /// delivery worker holds one and starts at once (none misses a change made while it was
    /// busy), and is not woken by the other channels' messages.
    pub fn outbox_changes(&self, channel: crate::core::outbound::Channel) -> outbox::OutboxChanges {
        outbox::OutboxChanges::new(self.outbox_signal.subscribe(), channel)
    }

    pub async fn close(&self) {
        let Some(slot) = &self.writer else { return self.pool.close().await };
        // With the turn to write held, the pool is marked closed (`close` does that when called)
        // and the writer closed: a write waiting for the turn then finds the store closed, not
        // an empty slot to fill from the pool. A group left open is committed first: its
        // holders wait to hear that.
        let mut writer = slot.conn.lock().await;
        let closing = self.pool.close();
        slot.close(&mut writer);
        drop(writer);
        closing.await;
    }

    /// Saves the institution's configuration (name and the JSON of its settings) as row 1.
    pub async fn save_institution(&self, name: &str, config_json: &str, now: i64) -> Result<i64> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO institutions (id, name, config, updated_at) VALUES (1, $1, $2, $3)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, config = excluded.config,
                                            updated_at = excluded.updated_at",
        )
        .bind(name.to_owned())
        .bind(config_json.to_owned())
        .bind(now)
        .execute(&mut tx.tx)
        .await?;
        tx.commit().await?;
        Ok(1)
    }

    /// Forgets processed-update ids older than `before` (they only guard against re-delivery,
    /// which platforms stop after a day).
    pub async fn forget_updates_before(&self, before: i64) -> Result<u64> {
        // Alone: it may delete many rows (see `begin_alone`).
        let mut tx = self.begin_alone().await?;
        let done = sqlx::query("DELETE FROM processed_updates WHERE at < $1").bind(before).execute(&mut tx.tx).await?;
        // e-Onay nonces that expired before then are of no use to anyone.
        sqlx::query("DELETE FROM eonay_challenges WHERE expires_at < $1").bind(before).execute(&mut tx.tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Forgets the verification e-mails counted before `before` (the limits look back a day).
    pub async fn forget_mail_limits_before(&self, before: i64) -> Result<u64> {
        // The minutes that ended by then (the one `before` falls in keeps its count).
        self.write_count(sqlx::query("DELETE FROM mail_limit_minutes WHERE minute < $1").bind(before.div_euclid(MINUTE_MS))).await?;
        self.write_count(sqlx::query("DELETE FROM mail_limits WHERE at <= $1").bind(before)).await
    }
}

/// Asks the checkpoint tasks for a checkpoint now: the writer's log grew past
/// `inline.rs`' `CHECKPOINT_SOON` frames. One for the process (SQLite's hook that tells it is
/// a plain function): a task of another store that hears it checkpoints its own log, which
/// costs next to nothing when that log has nothing new.
pub(super) static CHECKPOINT_DUE: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Says so when the bundled SQLite was built without `SQLITE_ENABLE_QPSG` (`.cargo/config.toml`;
/// a `LIBSQLITE3_FLAGS` already in the build's environment takes its place): the pool's
/// connections then prepare a statement with a bound `LIMIT` again at each run. Slower, not
/// wrong, so the bot starts all the same.
async fn warn_without_stable_plans(pool: &AnyPool) {
    let used = sqlx::query_scalar::<_, i64>("SELECT sqlite_compileoption_used('ENABLE_QPSG')").fetch_one(pool).await;
    if !matches!(used, Ok(1)) {
        tracing::warn!(
            "SQLite was built without SQLITE_ENABLE_QPSG (see .cargo/config.toml): statements with a bound LIMIT are prepared again at each run"
        );
    }
}

/// Copies the SQLite write-ahead log into the database file every second, and within 50 ms of
/// a commit that left the writer's log past 16 MiB ([`CHECKPOINT_DUE`]), off the request
/// path: left to SQLite, a checkpoint (and its fsync) lands inside whichever commit crosses
/// the threshold, and that message and every writer after it wait for it (under load, 190 ms
/// each, twice a run: a fifth of the bench's time). PASSIVE never blocks writers. After an
/// erasure it truncates the log instead, so the old pages in it are gone too.
async fn checkpoint_loop(pool: AnyPool, scrub: Arc<std::sync::atomic::AtomicBool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The last checkpoint failed (a full disk): the next is tried at the next second only, not
    // at every commit's asking (nor logged as often).
    let mut failed = false;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = CHECKPOINT_DUE.notified(), if !failed => {
                // At most one asked-for checkpoint per 50 ms (the log grows by about 1,000
                // frames meanwhile under load): a log a reader keeps from starting over stays
                // long, and every commit then asks again.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        if pool.is_closed() {
            return;
        }
        let truncate = scrub.swap(false, std::sync::atomic::Ordering::SeqCst);
        let sql = if truncate { "PRAGMA wal_checkpoint(TRUNCATE)" } else { "PRAGMA wal_checkpoint(PASSIVE)" };
        let done = sqlx::query(sql).fetch_optional(&pool).await;
        failed = done.is_err();
        match done {
            // TRUNCATE reports (busy, log frames, checkpointed); busy = 1: readers kept it from
            // finishing, so it is tried again next time.
            Ok(Some(row)) if truncate && row.try_get::<i64, _>(0).unwrap_or(0) != 0 => {
                scrub.store(true, std::sync::atomic::Ordering::SeqCst)
            }
            Ok(_) => {}
            Err(e) => {
                if truncate {
                    scrub.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "WAL checkpoint failed; will retry");
            }
        }
    }
}

/// Whether the data key opens this database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// The key is the database's own (or the first one, now recorded).
    Matches,
    /// The database was made with another key.
    Mismatch,
    /// A key was just created, but the database already holds data made with a lost one.
    NewKeyForOldData,
}

/// The limits' counting unit for all addresses together (`mail_limit_minutes`).
const MINUTE_MS: i64 = 60_000;

const KEY_CHECK: &str = "key-check";
const KEY_CHECK_VALUE: &[u8] = b"eimza data key";

impl Store {
    /// Checks the data key against the value sealed at the first start (recording it then).
    /// `key_is_new`: the key file was created by this start.
    pub async fn check_key(&self, key_is_new: bool) -> Result<KeyCheck> {
        let row = sqlx::query("SELECT sealed FROM key_check WHERE id = 1").fetch_optional(&self.pool).await?;
        if let Some(row) = row {
            let sealed: Vec<u8> = row.try_get("sealed")?;
            let opens = self.vault.decrypt(KEY_CHECK, &sealed).is_ok_and(|v| v == KEY_CHECK_VALUE);
            return Ok(match (opens, key_is_new) {
                (true, _) => KeyCheck::Matches,
                (false, true) => KeyCheck::NewKeyForOldData,
                (false, false) => KeyCheck::Mismatch,
            });
        }
        let has_data = sqlx::query("SELECT (SELECT COUNT(*) FROM persons) + (SELECT COUNT(*) FROM roster) AS n")
            .fetch_one(&self.pool)
            .await?
            .try_get::<i64, _>("n")?
            > 0;
        if has_data && key_is_new {
            return Ok(KeyCheck::NewKeyForOldData);
        }
        self.write_count(
            sqlx::query("INSERT INTO key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
                .bind(self.vault.encrypt(KEY_CHECK, KEY_CHECK_VALUE)),
        )
        .await?;
        Ok(KeyCheck::Matches)
    }

    /// Asks for the write-ahead log to be truncated at the next checkpoint (after an erasure).
    pub fn scrub_soon(&self) {
        self.scrub.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// `sqlite:data/eimza.db` → make sure the folder exists and the file is created if missing.
fn sqlite_url(url: &str) -> String {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (file, query) = path.split_once('?').unwrap_or((path, ""));
    if !file.is_empty()
        && file != ":memory:"
        && let Some(dir) = std::path::Path::new(file).parent()
    {
        let _ = crate::vault::private_dir(dir);
        // Created here, private, before SQLite creates it (its journal and WAL files take the
        // database file's permissions); an older, wider one is narrowed.
        let path = std::path::Path::new(file);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            options.mode(0o600);
            let _ = options.open(path);
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
        }
        #[cfg(not(unix))]
        let _ = options.open(path);
    }
    let mut params: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if !params.iter().any(|p| p.starts_with("mode=")) {
        params.push("mode=rwc");
    }
    format!("sqlite://{file}?{}", params.join("&"))
}

/// A limit counted in the database ([`Tx::count_alone`]); the number is its PostgreSQL
/// advisory lock key when the limit counts alone over everyone (its high bits spell "eimza",
/// so another program's small keys do not collide), or the seed of its keys' hashes.
#[derive(Clone, Copy, Debug)]
#[repr(i64)]
pub(crate) enum Limit {
    /// Verification e-mails per address and in all: one lock for all.
    CodeMail = 0x6569_6d7a_6100_0001,
    /// Wrong pairing codes per source address and in all: one lock for all.
    PairingFailures = 0x6569_6d7a_6100_0002,
    /// Failed staff logins per account name and per address (one lock per name, one per
    /// address).
    Logins = 0x6569_6d7a_6100_0003,
    /// Audited staff actions with a limit per account (searches by T.C. Kimlik No): one lock
    /// per account.
    AuditedPerAccount = 0x6569_6d7a_6100_0004,
}

/// One write transaction (see the module docs).
pub struct Tx<'s> {
    tx: TxConn<'s>,
    store: &'s Store,
    /// The channels this transaction asked outbox messages of (a duplicate key among them too:
    /// their delivery workers, woken at the commit, then find nothing new).
    queued: outbox::Rung,
    /// The chat states this transaction changes, settled at its commit (`recent.rs`).
    chats: recent::Changes,
}

impl Tx<'_> {
    /// Commits. [`StoreError::Changed`] when a guard ([`Tx::expect_version`]) found the
    /// conversation changed, [`StoreError::Presumed`] when a limit it presumed not reached was
    /// (`presume` of [`Tx::count_code_mail`]): nothing of the transaction was written.
    pub async fn commit(mut self) -> Result<()> {
        // After the COMMIT, whatever its answer (one whose answer was lost may have written): by
        // the group's committer, in case this wait is cancelled (`AfterCommit`), else here.
        let settle = std::mem::take(&mut self.chats).settle(self.store.recent.as_ref());
        let after = settle.clone().map(|settle| Box::new(move |committed: bool| settle.run(committed)) as writer::AfterCommit);
        let committed = self.tx.commit(after).await;
        if let Some(settle) = settle {
            settle.run(committed.is_ok());
        }
        let changed = committed.is_err() && self.tx.changed();
        let presumed_wrong = committed.is_err() && self.tx.presumed_wrong();
        // Rung after a commit, and after a failed one too unless nothing was written (a guard
        // found the conversation changed, a presumption was wrong): a COMMIT whose answer was
        // lost may have written its messages, and a worker that looks for nothing only looks.
        if self.queued != outbox::Rung::default() && !changed && !presumed_wrong {
            self.store.outbox_signal.send_modify(|rung| rung.add(&self.queued));
        }
        match committed {
            Ok(()) => Ok(()),
            Err(_) if changed => Err(StoreError::Changed),
            Err(_) if presumed_wrong => Err(StoreError::Presumed),
            Err(e) => Err(e.into()),
        }
    }

    /// This transaction saves `person_id`'s conversation read at `version`. SQLite: checked
    /// with its first statements, under SQLite's write lock, so the save can ride with the
    /// COMMIT unanswered; if it changed, the transaction fails and [`Tx::changed`] says so.
    /// PostgreSQL: the save itself finds out ([`Tx::save_conversation`] answers false).
    pub fn expect_version(&mut self, person_id: i64, version: i64) -> Result<()> {
        // Changed by the save this guards ([`Tx::save_conversation`]).
        self.chats.touched_known(person_id);
        Ok(self.tx.guard_version(person_id, version)?)
    }

    /// This transaction changes `person_id`'s chat state in a way it does not carry to the
    /// person's next message (a ticket moved, data erased): forgotten at the commit.
    pub(super) fn touched(&mut self, person_id: i64) {
        self.chats.touched(person_id);
    }

    /// This transaction's save leaves `state` for the person's next message.
    pub(super) fn saves_state(&mut self, person_id: i64, from: chat::SavedFrom<'_>, state: ChatState) {
        self.chats.saved(from.transport, from.user_id, person_id, state);
    }

    /// Whether this transaction failed because the conversation changed (see
    /// [`Tx::expect_version`]).
    pub fn changed(&self) -> bool {
        self.tx.changed()
    }

    /// Whether this transaction failed because a limit it presumed not reached was (see
    /// [`StoreError::Presumed`]): nothing of it was written.
    pub fn presumed_wrong(&self) -> bool {
        self.tx.presumed_wrong()
    }

    /// Makes this transaction the only one counting `limit` until it ends (with `keys`, only
    /// among those counting the same key: one lock per account name, one per address), so
    /// that counting what is under the limit and adding the row that counts are one step.
    /// SQLite: nothing to do, a transaction holds the database's only write lock from its first
    /// statement. PostgreSQL: transaction-scoped advisory locks, keys in one order; without
    /// them READ COMMITTED lets parallel transactions (of one instance or several) each see
    /// room under the limit. Best as the transaction's first statement (it is in all but a
    /// chat turn's, where the code e-mail is its only action): after a row lock it could wait
    /// in a circle, which PostgreSQL breaks by refusing one side; and a stricter isolation
    /// level than READ COMMITTED would take its snapshot before the wait.
    pub(crate) async fn count_alone(&mut self, limit: Limit, keys: &[&str]) -> Result<()> {
        if self.store.backend != Backend::Postgres {
            return Ok(());
        }
        if keys.is_empty() {
            sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(limit as i64).execute(&mut self.tx).await?;
            return Ok(());
        }
        let mut keys = keys.to_vec();
        keys.sort_unstable();
        keys.dedup();
        for key in keys {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))")
                .bind(key.to_owned())
                .bind(limit as i64)
                .execute(&mut self.tx)
                .await?;
        }
        Ok(())
    }

    /// Records a platform update id; false if it was processed before (a re-delivery).
    pub async fn mark_update(&mut self, transport: &str, update_id: &str, now: i64) -> Result<bool> {
        let done = sqlx::query("INSERT INTO processed_updates (transport, update_id, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(transport.to_owned())
            .bind(update_id.to_owned())
            .bind(now)
            .execute(&mut self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

/// `(…), (…)` placeholders for a multi-row statement of `rows` rows × `columns` values, numbered
/// from 1. SQLite gets positional `?`: sqlx looks every parameter up by name, and SQLite finds a
/// `$N` name by a linear scan, which makes a 4,000-parameter statement quadratic.
fn row_placeholders(backend: Backend, rows: usize, columns: usize) -> String {
    let mut sql = String::with_capacity(rows * columns * 5);
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push_str(", ");
            }
            match backend {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => sql.push_str(&format!("${}", r * columns + c + 1)),
            }
        }
        sql.push(')');
    }
    sql
}

/// A statement of one unit of work, on either database.
type AnyQuery<'q> = sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>;

/// Whether the database refused a statement (a constraint, a type): nothing of it was written,
/// and the connection is sound.
fn refused(e: &StoreError) -> bool {
    matches!(e, StoreError::Db(sqlx::Error::Database(_)))
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// Reads an optional column that may be NULL.
fn opt<T>(row: &sqlx::any::AnyRow, col: &str) -> Result<Option<T>>
where
    T: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any>,
{
    Ok(row.try_get::<Option<T>, _>(col)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::sqlite_url;

    #[test]
    fn placeholders_per_dialect() {
        assert_eq!(super::row_placeholders(super::Backend::Postgres, 2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(super::row_placeholders(super::Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
    }

    pub(crate) async fn sqlite_store() -> (super::Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("t.db").display());
        (super::Store::connect(&url, crate::vault::Vault::from_master_key(&[5; 32])).await.unwrap(), dir)
    }

    pub(super) async fn persons(store: &super::Store) -> i64 {
        sqlx::Row::get(&sqlx::query("SELECT COUNT(*) AS n FROM persons").fetch_one(&store.pool).await.unwrap(), "n")
    }

    /// SQLite itself ends the transaction when a statement says `OR ROLLBACK` (as it does on a
    /// full disk or an I/O error); the ROLLBACK of the transaction dropped open then fails. The
    /// writer connection must not stay in doubt: later writes must commit for real.
    #[tokio::test]
    async fn the_writer_recovers_when_sqlite_ended_the_transaction_itself() {
        let (store, _dir) = sqlite_store().await;
        store.person("web", "a", 1).await.unwrap();
        {
            let mut tx = store.begin().await.unwrap();
            sqlx::query("INSERT INTO persons (transport, user_id, created_at) VALUES ('web', 'b', 1)").execute(&mut tx.tx).await.unwrap();
            let refused = sqlx::query("INSERT OR ROLLBACK INTO persons (transport, user_id, created_at) VALUES ('web', 'a', 1)")
                .execute(&mut tx.tx)
                .await;
            assert!(refused.is_err(), "the duplicate is refused");
        } // dropped open
        let mut tx = store.begin().await.unwrap();
        sqlx::query("INSERT INTO persons (transport, user_id, created_at) VALUES ('web', 'c', 1)").execute(&mut tx.tx).await.unwrap();
        tx.commit().await.unwrap();
        // Seen from another connection: committed for real ('b' went with the rollback).
        assert_eq!(persons(&store).await, 2);
        // Another transaction dropped open (a conflict: rolled back, 'e' is not kept), then
        // writes of one statement each.
        {
            let mut tx = store.begin().await.unwrap();
            sqlx::query("INSERT INTO persons (transport, user_id, created_at) VALUES ('web', 'e', 1)").execute(&mut tx.tx).await.unwrap();
        }
        store.person("web", "d", 1).await.unwrap();
        assert_eq!(persons(&store).await, 3);
        let mut tx = store.begin().await.unwrap();
        sqlx::query("INSERT INTO persons (transport, user_id, created_at) VALUES ('web', 'f', 1)").execute(&mut tx.tx).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(persons(&store).await, 4);
    }

    /// A turn with actions leaves the state it saved for the person's next message, read from
    /// no database (`recent.rs` `Changes`); not one whose guard found the conversation changed.
    #[tokio::test]
    async fn a_turn_with_actions_leaves_its_state_for_the_next_message() {
        use crate::core::conversation::Conversation;
        let (store, _dir) = sqlite_store().await;
        let person = store.person("web", "a", 1).await.unwrap();
        let (_, read) = store.chat_state_of("web", "a").await.unwrap().unwrap();
        let conversation = Conversation { recent_updates: vec!["u1".into()], ..Conversation::default() };
        let from = Some(super::SavedFrom { transport: "web", user_id: "a", state: &read });
        let save = super::ConversationSave { person_id: person, version: 0, conversation: &conversation, unsent: None, now: 1, from };
        let recent = store.recent.clone().unwrap();
        let recalled = || recent.recall("web", "a", super::recent::monotonic_ms()).map(|(_, state)| (state.version, state.conversation));
        let mut tx = store.begin().await.unwrap();
        tx.expect_version(person, 0).unwrap();
        assert!(tx.save_conversation(&save).await.unwrap());
        assert_eq!(recalled(), None, "not before its COMMIT");
        tx.commit().await.unwrap();
        assert_eq!(recalled(), Some((1, conversation.clone())));
        // The same save again: its guard finds version 1, nothing is written or kept.
        let mut tx = store.begin().await.unwrap();
        tx.expect_version(person, 0).unwrap();
        assert!(tx.save_conversation(&save).await.unwrap());
        assert!(matches!(tx.commit().await, Err(super::StoreError::Changed)));
        assert_eq!(recalled(), None);
        assert_eq!(store.chat_state(person).await.unwrap().version, 1);
        // Unguarded, the save itself is refused: a transaction committed after it keeps nothing.
        let (_, fresh) = store.chat_state_of("web", "a").await.unwrap().unwrap();
        let from = Some(super::SavedFrom { transport: "web", user_id: "a", state: &fresh });
        let mut tx = store.begin().await.unwrap();
        assert!(!tx.save_conversation(&super::ConversationSave { version: 5, from, ..save }).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(recalled(), None);
    }

    /// A transaction guarding a conversation's version: the save and an outbox row ride with the
    /// COMMIT. If the conversation changed meanwhile, nothing of it is written, `commit` says
    /// `Changed`, and the writer goes on.
    #[tokio::test]
    async fn a_guarded_transaction_writes_nothing_when_the_conversation_changed() {
        use crate::core::conversation::Conversation;
        use crate::core::outbound::{ChatMessage, Outbound};
        let (store, _dir) = sqlite_store().await;
        let person = store.person("web", "a", 1).await.unwrap();
        let conversation = Conversation::default();
        let save =
            |version| super::ConversationSave { person_id: person, version, conversation: &conversation, unsent: None, now: 1, from: None };
        let outbox = |key: &str| Outbound::PersonChat { person_id: person, message: ChatMessage::AgentOutdated { pc_name: key.into() } };
        let count = |sql: &'static str| {
            let pool = store.pool.clone();
            async move { sqlx::Row::get::<i64, _>(&sqlx::query(sql).fetch_one(&pool).await.unwrap(), 0) }
        };
        // Version 0 (none saved) holds: written.
        let mut tx = store.begin().await.unwrap();
        tx.expect_version(person, 0).unwrap();
        tx.enqueue("k1", &outbox("1"), 1).await.unwrap();
        assert!(tx.save_conversation(&save(0)).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(count("SELECT version FROM conversations").await, 1);
        assert_eq!(count("SELECT COUNT(*) FROM outbox").await, 1);
        // Read at version 0 again, but it is at 1 now: nothing of it is written.
        let mut tx = store.begin().await.unwrap();
        tx.expect_version(person, 0).unwrap();
        tx.enqueue("k2", &outbox("2"), 1).await.unwrap();
        assert!(tx.save_conversation(&save(0)).await.unwrap());
        assert!(matches!(tx.commit().await, Err(super::StoreError::Changed)));
        assert_eq!(count("SELECT COUNT(*) FROM outbox").await, 1);
        // The same found by a statement waited for (a read inside the transaction).
        let mut tx = store.begin().await.unwrap();
        tx.expect_version(person, 7).unwrap();
        tx.enqueue("k3", &outbox("3"), 1).await.unwrap();
        assert!(tx.mark_update("web", "u1", 1).await.is_err());
        assert!(tx.changed());
        drop(tx);
        assert_eq!(count("SELECT COUNT(*) FROM processed_updates").await, 0);
        // The writer goes on: version 1 holds.
        let mut tx = store.begin().await.unwrap();
        tx.expect_version(person, 1).unwrap();
        assert!(tx.mark_update("web", "u2", 1).await.unwrap());
        assert!(tx.save_conversation(&save(1)).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(count("SELECT version FROM conversations").await, 2);
        assert_eq!(count("SELECT COUNT(*) FROM outbox").await, 1);
    }

    /// A held write that fails is reported by the next statement sent (here the COMMIT), and
    /// nothing of the transaction is written; a statement after the failure is refused without
    /// being sent; a write that changes another number of rows than it must stops its script
    /// before the COMMIT. The writer goes on each time.
    #[tokio::test]
    async fn a_held_write_that_fails_keeps_the_whole_transaction_out() {
        let (store, _dir) = sqlite_store().await;
        let insert =
            |user: &'static str| sqlx::query("INSERT INTO persons (transport, user_id, created_at) VALUES ('web', $1, 1)").bind(user);
        store.person("web", "a", 1).await.unwrap();
        // A duplicate person, held behind a good one; refused at the COMMIT.
        let mut tx = store.begin().await.unwrap();
        tx.tx.write_later(insert("b"), None).await.unwrap();
        tx.tx.write_later(insert("a"), None).await.unwrap();
        let refused = tx.commit().await;
        assert!(refused.as_ref().is_err_and(super::refused), "{refused:?}");
        assert_eq!(persons(&store).await, 1, "'b' went with the rollback");
        // Refused by a statement waited for; the next one is not sent at all.
        let mut tx = store.begin().await.unwrap();
        tx.tx.write_later(insert("c"), None).await.unwrap();
        assert!(insert("a").execute(&mut tx.tx).await.is_err());
        assert!(matches!(insert("d").execute(&mut tx.tx).await, Err(sqlx::Error::Protocol(_))));
        drop(tx);
        assert_eq!(persons(&store).await, 1);
        // An UPDATE that must change one row and changes none: the COMMIT after it never runs.
        let mut tx = store.begin().await.unwrap();
        tx.tx.write_later(insert("e"), Some(1)).await.unwrap();
        tx.tx.write_later(sqlx::query("UPDATE persons SET created_at = 2 WHERE user_id = 'nobody'"), Some(1)).await.unwrap();
        assert!(tx.commit().await.is_err());
        assert_eq!(persons(&store).await, 1, "'e' went with the rollback");
        // The writer goes on.
        let mut tx = store.begin().await.unwrap();
        tx.tx.write_later(insert("f"), Some(1)).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(persons(&store).await, 2);
    }

    /// A commit that leaves the write-ahead log past 16 MiB asks the checkpoint task for
    /// a checkpoint at once (SQLite would otherwise checkpoint inside a later commit, holding
    /// every writer up): the writer's hook is SQLite's hook, not SQLite's own.
    #[tokio::test]
    async fn a_long_log_asks_for_a_checkpoint_at_once() {
        let (store, _dir) = sqlite_store().await;
        let person = store.person("web", "a", 1).await.unwrap();
        let asked = super::CHECKPOINT_DUE.notified();
        tokio::pin!(asked);
        asked.as_mut().enable();
        let mut tx = store.begin().await.unwrap();
        // A page each: 4,200 frames.
        for n in 0..4_200 {
            sqlx::query("INSERT INTO webchat_messages (person_id, at, direction, body_enc) VALUES ($1, $2, 'in', $3)")
                .bind(person)
                .bind(n)
                .bind(vec![7u8; 4_000])
                .execute(&mut tx.tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        assert!(futures_util::FutureExt::now_or_never(asked).is_some(), "the commit asked for a checkpoint");
    }

    /// The writer's hook keeps the log's bound the other connections have.
    #[test]
    fn the_writers_log_bound_is_the_others() {
        let pragma = format!("PRAGMA wal_autocheckpoint = {}", super::inline::WAL_BOUND);
        assert!(super::SQLITE_SETTINGS.contains(&pragma.as_str()), "{pragma}");
    }

    /// The pool reads through a memory map; the writer and the batch readers do not
    /// (`POOL_SETTINGS`).
    #[tokio::test]
    async fn only_the_pool_reads_through_a_memory_map() {
        let (store, _dir) = sqlite_store().await;
        let mapped = |row: sqlx::any::AnyRow| sqlx::Row::get::<i64, _>(&row, 0);
        let pool = mapped(sqlx::query("PRAGMA mmap_size").fetch_one(&store.pool).await.unwrap());
        assert_eq!(pool, 268_435_456);
        let mut tx = store.begin().await.unwrap();
        let writer = mapped(sqlx::query("PRAGMA mmap_size").fetch_one(&mut tx.tx).await.unwrap());
        drop(tx);
        let mut reader = super::gather::Reader::for_task(&store);
        let batch = mapped(sqlx::query("PRAGMA mmap_size").fetch_one(reader.conn(&store).await.unwrap()).await.unwrap());
        assert_eq!((writer, batch), (0, 0));
    }

    /// The bundled SQLite keeps a statement's plan whatever is bound to it (`.cargo/config.toml`,
    /// `SQLITE_ENABLE_QPSG`): a `LIMIT $n` is not planned with the number bound, so running the
    /// statement again with another number does not parse and plan it again. Checked on the
    /// pool's connections (sqlx) and on a connection of the writer's kind (rusqlite): one SQLite.
    #[tokio::test]
    async fn a_statement_keeps_its_plan_whatever_is_bound() {
        let (store, dir) = sqlite_store().await;
        let used: i64 = sqlx::query_scalar("SELECT sqlite_compileoption_used('ENABLE_QPSG')").fetch_one(&store.pool).await.unwrap();
        assert_eq!(used, 1, "SQLite built without SQLITE_ENABLE_QPSG");
        let conn = rusqlite::Connection::open(dir.path().join("t.db")).unwrap();
        let mut statement = conn.prepare("SELECT id FROM outbox WHERE channel = ?1 ORDER BY id LIMIT ?2").unwrap();
        for limit in [1, 5, 50] {
            statement.query_map(rusqlite::params!["email", limit], |row| row.get::<_, i64>(0)).unwrap().for_each(drop);
        }
        assert_eq!(statement.get_status(rusqlite::StatementStatus::RePrepare), 0, "prepared again for another LIMIT");
    }

    /// A transaction dropped open is rolled back at once, not at the next write: SQLite's write
    /// lock is free for another connection (another process) without this one writing again.
    #[tokio::test]
    async fn a_transaction_dropped_open_lets_go_of_the_write_lock() {
        let (store, _dir) = sqlite_store().await;
        {
            let mut tx = store.begin().await.unwrap();
            assert!(tx.mark_update("web", "u1", 1).await.unwrap());
        }
        let mut other = store.pool.acquire().await.unwrap();
        sqlx::query("PRAGMA busy_timeout = 2000").execute(&mut *other).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut *other).await.expect("the write lock is free");
        sqlx::query("ROLLBACK").execute(&mut *other).await.unwrap();
        let n: i64 = sqlx::Row::get(&sqlx::query("SELECT COUNT(*) FROM processed_updates").fetch_one(&mut *other).await.unwrap(), 0);
        assert_eq!(n, 0, "rolled back");
    }

    /// A write waiting for its turn while the store closes finds it closed (it does not open a
    /// new writer connection that nobody closes). Two threads: the waiting write runs the moment
    /// the turn is free, as in the bot.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_write_waiting_while_the_store_closes_is_refused() {
        let (store, _dir) = sqlite_store().await;
        let tx = store.begin().await.unwrap();
        let closing = tokio::spawn({
            let store = store.clone();
            async move { store.close().await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let waiting = tokio::spawn({
            let store = store.clone();
            async move { store.person("web", "late", 1).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        drop(tx);
        closing.await.unwrap();
        let refused = waiting.await.unwrap();
        assert!(matches!(refused, Err(super::StoreError::Db(sqlx::Error::PoolClosed))), "{refused:?}");
        assert!(matches!(store.begin().await, Err(super::StoreError::Db(sqlx::Error::PoolClosed))));
    }

    #[test]
    fn sqlite_urls_get_create_mode() {
        assert_eq!(sqlite_url("sqlite:/tmp/x/e.db"), "sqlite:///tmp/x/e.db?mode=rwc");
        assert_eq!(sqlite_url("sqlite://e.db?mode=ro"), "sqlite://e.db?mode=ro");
    }
}
