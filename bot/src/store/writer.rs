//! The write side: this process's turn to write, the connection a write runs on, and a
//! transaction on it.
//!
//! SQLite has one writer, and so has this process: one connection of its own ([`Inline`]: its
//! statements run on the thread of the task that holds the turn to write, not on a thread of
//! sqlx's). A transaction on it runs its statements in as few [`Script`]s as it can: a write
//! whose answer nobody waits for is held and run with the next statement that is waited for;
//! `BEGIN` rides with the first script and the end of the transaction with the last.
//!
//! Group commit: a holder's writes are not committed by the holder itself when another write
//! waits for the turn. The transaction stays open, the next holder's writes join it (a
//! transaction's inside a savepoint of its own, so that its failure rolls back only its own
//! writes), and the group is committed for all of them: by the holder that finds it full or old
//! enough, or, when the last holder finds nobody waiting, by a task of its own once the tasks
//! ready to run have had their turn (so those about to write join first). Each holder hears
//! that its writes are written
//! only after that COMMIT ([`WriteConn::durable`]), so what it tells anyone after that is
//! durable exactly as before; a COMMIT that fails, or a transaction SQLite ended itself (a
//! full disk, an I/O error), fails every holder of the group. Why: a COMMIT is SQLite's WAL
//! append of every page the transaction dirtied, and under load most of the writer's time went
//! to COMMITs of transactions that dirty the same pages (the tickets', the history's and the
//! outbox's last pages, the conversations').
//!
//! PostgreSQL: a connection from the pool, sqlx's own transactions, each statement sent at once
//! (rows are locked, so writers do not wait for one another here).

use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::any::{AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::pool::PoolConnection;
use sqlx::{Any, Either, Execute, Executor, SqlStr};
use sqlx_core::transaction::TransactionManager as _;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard, oneshot};

use super::inline::Inline;
use super::script::{Answer, Failed, Part, Script};
use super::{AnyQuery, Result, Store, StoreError, Tx, corrupt};
use crate::metrics::TurnHolder;

type Manager = <Any as sqlx::Database>::TransactionManager;

/// Fails when the conversation `$1` is no longer at version `$2` (0: none saved): a `CHECK` on a
/// table of the writer's own that never holds a row. A failed statement stops its script, so
/// a COMMIT after it never runs.
const GUARD: &str = "INSERT INTO temp.turn_guard (outcome)
     SELECT 'changed' WHERE COALESCE((SELECT version FROM main.conversations WHERE person_id = $1), 0) <> $2";

/// Fails when the statement before it changed another number of rows than `$1`
/// (`changes()` is the count of the last statement that completed).
const COUNT: &str = "INSERT INTO temp.turn_guard (outcome) SELECT 'miscounted' WHERE changes() <> $1";

/// The failure of a `CHECK` ([`GUARD`], [`COUNT`]): what it checks was not so, as opposed to
/// a statement that could not run (a full disk, an I/O error).
fn check_failed(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|e| e.kind() == sqlx::error::ErrorKind::CheckViolation)
}

/// Made on each SQLite connection when it opens (`SQLITE_SETTINGS`; only the writer uses it).
pub(super) const GUARD_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS turn_guard (outcome TEXT NOT NULL CHECK (outcome = 'unchanged'))";

/// The writer's own settings, before the store's (`SQLITE_SETTINGS`, whose temporary table a
/// later change of `temp_store` would drop). Its journals are kept in memory, never in a file:
/// a savepoint's (a transaction that joins a group copies there every page that existed before
/// it and that it changes) and a statement's (one that may fail half-way inside a transaction).
/// SQLite keeps them in memory up to 64 KiB and moves them to a temporary file past that: a
/// file made, written and deleted for about a third of the chat turns with actions in
/// `scripts/bench chat` (1,240 in a run). A savepoint's journal is one transaction's pages and a
/// statement's one statement's, freed at its end; the long transactions (a roster file, the
/// day's reminders, retention) begin alone, in autocommit, and so have no savepoint. The pool's
/// connections (reads) keep SQLite's default: a large sort there still spills to a file.
const WRITER_SETTINGS: &[&str] = &["PRAGMA temp_store = MEMORY"];

/// Holders one COMMIT makes durable at most.
const MAX_GROUP: usize = 64;

/// How long the first holder of a group waits at most for its COMMIT, counted until a holder
/// gives up the turn (a holder in the middle of its transaction is not cut short).
const MAX_GROUP_AGE: Duration = Duration::from_millis(2);

/// The answer a holder waits for: its writes committed, or why not.
type Told = oneshot::Sender<std::result::Result<(), String>>;

/// What is done once the COMMIT of a holder's group has ended, before the holder is told; it
/// hears whether the holder's writes were committed (false: failed, so they may or may not be
/// written). Done by the group's committer, not by the holder: a holder whose wait is cancelled
/// (a request dropped) leaves its writes in the group all the same, and what must follow them
/// (`Tx::commit` settles the chat states they change) must not be lost with its wait.
pub(super) type AfterCommit = Box<dyn FnOnce(bool) + Send>;

/// A holder whose writes wait in the group for its COMMIT.
struct Member {
    told: Told,
    after: Option<AfterCommit>,
}

/// Tells the members of a group its outcome: every member's [`AfterCommit`] first, then the
/// answers. Why that order: a holder told may let its person's next message run at once; a later
/// member's forgetting of that person (a ticket it moved) must already be done by then, or that
/// message would start from the state the forgetting was for.
fn tell_all(members: Vec<Member>, outcome: std::result::Result<(), String>) {
    let told: Vec<Told> = members
        .into_iter()
        .map(|member| {
            if let Some(after) = member.after {
                after(outcome.is_ok());
            }
            member.told
        })
        .collect();
    for told in told {
        let _ = told.send(outcome.clone());
    }
}

/// SQLite: the process's writer connection, and the holders whose writes wait in its open
/// transaction for the COMMIT that makes them durable (see the module docs).
pub(super) struct Writer {
    conn: Inline,
    members: Vec<Member>,
    /// When the first of them gave up the turn.
    since: Option<Instant>,
}

impl Writer {
    /// Commits the open transaction and tells its members. A COMMIT that fails fails them all
    /// (its outcome is unknown) and costs the connection. Either way no group is open after it.
    fn commit_group(&mut self, slot: &Arc<WriterSlot>) {
        crate::metrics::METRICS.commit_holders.observe(self.members.len() as f64);
        match self.conn.plain("COMMIT") {
            Ok(()) => {
                self.since = None;
                tell_all(std::mem::take(&mut self.members), Ok(()));
            }
            Err(e) => {
                tracing::error!(error = %e, holders = self.members.len(), "the writer's COMMIT failed; its group is told so");
                self.fail_group(&format!("commit: {e}"));
                slot.broken.store(true, SeqCst);
                slot.tidy_soon();
            }
        }
        slot.group_open.store(false, SeqCst);
    }

    /// Tells the members that their writes are not (known to be) written.
    fn fail_group(&mut self, why: &str) {
        self.since = None;
        tell_all(std::mem::take(&mut self.members), Err(why.to_owned()));
    }

    /// Rolls back the writes of a transaction that does not end: to its savepoint when it has
    /// one, leaving the group's; otherwise (it began in autocommit, so they are all its own) the
    /// whole transaction. If that fails, the connection is not trusted again.
    fn abandon(&mut self, slot: &Arc<WriterSlot>, savepoint: bool) {
        if self.conn.is_autocommit() {
            return; // SQLite ended the whole transaction itself; the group hears it at release
        }
        let rolled_back = match savepoint {
            true => self.conn.plain("ROLLBACK TO tx").and_then(|()| self.conn.plain("RELEASE tx")),
            false => self.conn.plain("ROLLBACK"),
        };
        if rolled_back.is_err() {
            slot.broken.store(true, SeqCst);
            slot.tidy_soon();
        }
    }
}

/// SQLite: the process's one writer connection, and what the next write must do first (the
/// flag is set with the turn to write held).
pub(super) struct WriterSlot {
    /// `None` before the first write and after [`Store::close`].
    pub conn: Mutex<Option<Writer>>,
    /// The database's `sqlite:` URL, as the pool has it.
    url: String,
    /// A `BEGIN`, `RELEASE`, `COMMIT` or a rollback failed on it: closed.
    broken: AtomicBool,
    /// Writes waiting for the turn (in [`WriterSlot::lock_counted`]): the group is left open
    /// for them.
    waiting: AtomicUsize,
    /// A transaction was left open for the next holder: whoever stops waiting last without
    /// taking the turn (a write given up) has it committed ([`WriterSlot::commit_soon`]).
    group_open: AtomicBool,
    /// A task is on its way to commit the open group ([`WriterSlot::commit_after_the_ready`]).
    commit_pending: AtomicBool,
}

impl std::fmt::Debug for WriterSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriterSlot")
    }
}

impl WriterSlot {
    /// The database's `sqlite:` URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn new(url: &str) -> WriterSlot {
        WriterSlot {
            conn: Mutex::default(),
            url: url.to_owned(),
            broken: AtomicBool::new(false),
            waiting: AtomicUsize::new(0),
            group_open: AtomicBool::new(false),
            commit_pending: AtomicBool::new(false),
        }
    }

    /// Puts the writer right before anything else runs on it: a broken one is closed (which
    /// ends whatever it had open, so the group left in it hears it failed). The next write
    /// opens another.
    fn tidy(&self, writer: &mut Option<Writer>) {
        if self.broken.swap(false, SeqCst) {
            if let Some(mut broken) = writer.take() {
                broken.fail_group("the writer connection failed");
            }
            self.group_open.store(false, SeqCst);
        }
    }

    /// [`WriterSlot::tidy`] by a task of its own as soon as the turn to write is free (or by
    /// the next write, whichever comes first), so SQLite's write lock is not held until this
    /// process writes again.
    fn tidy_soon(self: &Arc<Self>) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let slot = self.clone();
            runtime.spawn(async move {
                let mut writer = slot.conn.lock().await;
                slot.tidy(&mut writer);
            });
        }
    }

    /// Closing, with the turn to write held: whatever the writer has open is committed for the
    /// holders waiting for it, and the writer closed.
    pub(super) fn close(self: &Arc<Self>, writer: &mut Option<Writer>) {
        self.tidy(writer);
        if let Some(mut open) = writer.take()
            && !open.conn.is_autocommit()
        {
            open.commit_group(self);
        }
        self.group_open.store(false, SeqCst);
    }

    /// The turn to write, counted among [`WriterSlot::waiting`] while waiting for it.
    async fn lock_counted(self: &Arc<Self>) -> MutexGuard<'_, Option<Writer>> {
        /// Counts one waiting write out again; the last one to give up waiting has a group left
        /// open for it committed (`SeqCst` both here and in [`give_up`]: one of the two sides
        /// sees the other's write).
        struct Counted<'a>(&'a Arc<WriterSlot>, bool);
        impl Drop for Counted<'_> {
            fn drop(&mut self) {
                let last = self.0.waiting.fetch_sub(1, SeqCst) == 1;
                if !self.1 && last && self.0.group_open.load(SeqCst) {
                    self.0.commit_soon();
                }
            }
        }
        self.waiting.fetch_add(1, SeqCst);
        let mut counted = Counted(self, false);
        let writer = self.conn.lock().await;
        counted.1 = true;
        writer
    }

    /// The group its last holder left open, finding nobody waiting to join it: committed by a
    /// task of its own once the tasks ready to run have had their turn (`yield_now`), so that
    /// the turns about to write join it first. Why: a COMMIT's WAL append is most of what a
    /// group costs the writer, and it is much the same for one holder as for four
    /// (`scripts/bench chat`: 2.4 → 3.8 holders a COMMIT, up to a fifth more messages a second,
    /// and a lower p99). One task for the group: a holder that finds one on its way leaves the
    /// group to it. `false`: there is no runtime to run it, and the caller commits now.
    fn commit_after_the_ready(self: &Arc<Self>) -> bool {
        if self.commit_pending.swap(true, SeqCst) {
            return true;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            self.commit_pending.store(false, SeqCst);
            return false;
        };
        /// Clears the flag when the task is dropped before it took the turn (its runtime shut
        /// down): the next group's last holder then does not leave its group to a task that
        /// never comes.
        struct Pending(Arc<WriterSlot>);
        impl Drop for Pending {
            fn drop(&mut self) {
                self.0.commit_pending.store(false, SeqCst);
            }
        }
        let pending = Pending(self.clone());
        runtime.spawn(async move {
            tokio::task::yield_now().await;
            let slot = pending.0.clone();
            let writer = slot.lock_counted().await;
            let since = Instant::now();
            // The holders after this COMMIT make a group of their own, with a task of its own.
            drop(pending);
            if let Ok(writer) = MutexGuard::try_map(writer, Option::as_mut) {
                give_up(&slot, writer, true);
                crate::metrics::METRICS.write_turn_seconds(TurnHolder::Commit).observe(since.elapsed().as_secs_f64());
            }
        });
        true
    }

    /// A task of its own takes the turn and gives it up at once: the group left open is
    /// committed then (unless another write waits and joins it).
    fn commit_soon(self: &Arc<Self>) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let slot = self.clone();
            runtime.spawn(async move {
                let writer = slot.lock_counted().await;
                if let Ok(writer) = MutexGuard::try_map(writer, Option::as_mut) {
                    give_up(&slot, writer, false);
                }
            });
        }
    }
}

/// Gives up the turn to write. A transaction left open (the group's writes, waiting for their
/// COMMIT) stays open if the group is neither full nor old: for the next holder if a write
/// waits for the turn, else for the task that commits it after the ready tasks
/// ([`WriterSlot::commit_after_the_ready`]). It is committed now otherwise (or when `commit`
/// says so: a holder found a conversation changed, and its turn reads it again; or it is that
/// task). A transaction SQLite ended itself fails the group.
fn give_up(slot: &Arc<WriterSlot>, mut writer: MappedMutexGuard<'_, Writer>, commit: bool) {
    let writer = &mut *writer;
    if slot.broken.load(SeqCst) {
        writer.fail_group("the writer connection failed");
        slot.group_open.store(false, SeqCst);
        return;
    }
    if writer.conn.is_autocommit() {
        writer.fail_group("the transaction was rolled back");
        slot.group_open.store(false, SeqCst);
        return;
    }
    slot.group_open.store(true, SeqCst);
    let young = writer.since.is_none_or(|since| since.elapsed() < MAX_GROUP_AGE);
    if !commit && young && writer.members.len() < MAX_GROUP && (slot.waiting.load(SeqCst) > 0 || slot.commit_after_the_ready()) {
        return;
    }
    writer.commit_group(slot);
}

impl Store {
    /// The connection for one write, with this process's turn to write.
    ///
    /// SQLite: waits for the turn, which holds the one writer connection (replaced when it was
    /// found unsound, see [`WriterSlot`]); a batch or a single write opens a group (a
    /// transaction) when another write already waits to join it (a save batch of two
    /// statements or more opens one itself, whoever waits, with [`WriteConn::join_group`]).
    /// PostgreSQL: no wait (rows are locked), a connection from the pool.
    pub(super) async fn write_turn(&self, holder: TurnHolder) -> Result<WriteConn<'_>> {
        self.write_turn_after(holder, false).await
    }

    /// [`Store::write_turn`]; `alone`: a group left open is committed before this holder
    /// starts (a long holder, whose hold the group's holders should not wait through). Any
    /// group older than [`MAX_GROUP_AGE`] is too.
    async fn write_turn_after(&self, holder: TurnHolder, alone: bool) -> Result<WriteConn<'_>> {
        let Some(slot) = &self.writer else {
            return Ok(WriteConn::Pooled(self.pool.acquire().await?));
        };
        let mut writer = slot.lock_counted().await;
        let since = Instant::now();
        if self.pool.is_closed() {
            return Err(StoreError::Db(sqlx::Error::PoolClosed));
        }
        slot.tidy(&mut writer);
        if writer.is_none() {
            let settings: Vec<&str> = WRITER_SETTINGS.iter().chain(super::SQLITE_SETTINGS).copied().collect();
            *writer = Some(Writer { conn: Inline::open(&slot.url, &settings)?, members: Vec::new(), since: None });
        }
        let mut conn = MutexGuard::try_map(writer, Option::as_mut).map_err(|_| corrupt("the writer connection is missing"))?;
        if !conn.conn.is_autocommit() && (alone || conn.since.is_some_and(|since| since.elapsed() >= MAX_GROUP_AGE)) {
            conn.commit_group(slot);
            if slot.broken.load(SeqCst) {
                return Err(StoreError::Db(sqlx::Error::Protocol("the writer's COMMIT before this write failed".into())));
            }
        }
        // A transaction opens its own, with its first script (`TxConn::begin`). Found busy
        // (another process writes): the writes then run on their own, each waiting as it does.
        if holder != TurnHolder::Transaction && conn.conn.is_autocommit() && slot.waiting.load(SeqCst) > 0 {
            let _ = conn.conn.plain("BEGIN IMMEDIATE");
        }
        let joined = !conn.conn.is_autocommit();
        Ok(WriteConn::Writer { conn: Some(conn), slot, since, holder, joined, commit: false })
    }

    /// One write of one statement, with the turn to write; its rows (`RETURNING`), once durable.
    pub(super) async fn write_rows(&self, query: AnyQuery<'_>) -> Result<Vec<AnyRow>> {
        let mut conn = self.write_turn(TurnHolder::Statement).await?;
        let rows = query.fetch_all(&mut conn).await;
        conn.settled(&rows).await?;
        Ok(rows?)
    }

    /// One write of one statement, with the turn to write; how many rows it changed, once
    /// durable.
    pub(super) async fn write_count(&self, query: AnyQuery<'_>) -> Result<u64> {
        let mut conn = self.write_turn(TurnHolder::Statement).await?;
        let done = query.execute(&mut conn).await;
        conn.settled(&done).await?;
        Ok(done?.rows_affected())
    }

    /// Starts the write transaction for one unit of work (on SQLite, nothing is sent yet).
    pub async fn begin(&self) -> Result<Tx<'_>> {
        self.begin_for(TurnHolder::Transaction).await
    }

    /// [`Store::begin`], but on SQLite the turn to write is taken with the transaction's first
    /// script rather than now: what the caller does before its first statement that is waited
    /// for (a chat turn's rendering, sealing and row building when all its writes wait for the
    /// COMMIT) does not hold the writer, whose turn is what every other write waits for.
    /// Nothing else differs: `BEGIN IMMEDIATE` (or the group's savepoint) still rides with that
    /// script, so what the transaction reads holds until it commits; one that sends nothing
    /// never takes the turn.
    pub async fn begin_deferred(&self) -> Result<Tx<'_>> {
        let Some(slot) = &self.writer else { return self.begin().await };
        if self.pool.is_closed() {
            return Err(StoreError::Db(sqlx::Error::PoolClosed));
        }
        let tx = TxConn::deferred(self, slot, TurnHolder::Transaction);
        Ok(Tx { tx, store: self, queued: Default::default(), chats: Default::default() })
    }

    /// [`Store::begin`] for a holder of another kind (a batch in one transaction).
    pub(super) async fn begin_for(&self, holder: TurnHolder) -> Result<Tx<'_>> {
        let tx = TxConn::begin(self.write_turn(holder).await?).await?;
        Ok(Tx { tx, store: self, queued: Default::default(), chats: Default::default() })
    }

    /// [`Store::begin`] for a long transaction (a roster file, the day's reminders, a retention
    /// pass): the writes of a group left open are committed first, so their holders do not wait
    /// through it nor share its fate; it then begins in autocommit and opens SQLite's
    /// transaction itself, without a savepoint, whose journal would hold every page it changes
    /// (each statement's own journal is still kept, freed at its end: see
    /// [`WRITER_SETTINGS`]).
    pub(super) async fn begin_alone(&self) -> Result<Tx<'_>> {
        let tx = TxConn::begin(self.write_turn_after(TurnHolder::Transaction, true).await?).await?;
        Ok(Tx { tx, store: self, queued: Default::default(), chats: Default::default() })
    }
}

/// What a write does once the turn to write was given up.
fn given_up() -> sqlx::Error {
    sqlx::Error::Protocol("the turn to write was given up".into())
}

/// The connection one write runs on (see [`Store::write_turn`]).
pub(super) enum WriteConn<'s> {
    /// SQLite: the writer connection, held with the turn to write.
    Writer {
        /// `None` once the turn is given up ([`WriteConn::durable`]).
        conn: Option<MappedMutexGuard<'s, Writer>>,
        slot: &'s Arc<WriterSlot>,
        /// When the turn was taken (how long it is held is measured: it is SQLite's bottleneck).
        since: Instant,
        /// Who holds it (measured apart: a batch, a transaction, one write).
        holder: TurnHolder,
        /// This holder's writes run inside a transaction it does not end alone (a group it
        /// opened or joined): they are durable only at the group's COMMIT.
        joined: bool,
        /// The group is committed when this holder gives up the turn, whoever waits (it found
        /// a conversation changed, and its turn reads it again, from the pool).
        commit: bool,
    },
    /// PostgreSQL: one from the pool.
    Pooled(PoolConnection<Any>),
}

impl WriteConn<'_> {
    /// Not to be trusted again: closed (SQLite: as soon as the turn to write is free, and
    /// replaced at the next write; the group left in it fails).
    pub fn discard(&mut self) {
        match self {
            WriteConn::Writer { slot, .. } => {
                slot.broken.store(true, SeqCst);
                slot.tidy_soon();
            }
            WriteConn::Pooled(conn) => conn.close_on_drop(),
        }
    }

    /// After a failed write: PostgreSQL, a failure that is not a statement's refusal (the
    /// connection lost) means the connection is discarded. SQLite's writer stays: its other
    /// failures (a value that did not convert, a column that did not decode) leave it sound, its
    /// transaction as SQLite says (`give_up` reads it), so one holder's mistake does not fail the
    /// group's writes with it; a `BEGIN`, `RELEASE` or `COMMIT` that fails still costs it.
    pub fn failed(&mut self, error: &sqlx::Error) {
        if let WriteConn::Pooled(conn) = self
            && !matches!(error, sqlx::Error::Database(_))
        {
            conn.close_on_drop();
        }
    }

    /// [`WriteConn::failed`] for the store's own errors.
    pub fn failed_with(&mut self, error: &StoreError) {
        if let (WriteConn::Pooled(conn), false) = (&mut *self, super::refused(error)) {
            conn.close_on_drop();
        }
    }

    /// SQLite: the writer, while the turn is held.
    fn inline(&mut self) -> std::result::Result<&mut Inline, sqlx::Error> {
        match self {
            WriteConn::Writer { conn: Some(writer), .. } => Ok(&mut writer.conn),
            WriteConn::Writer { conn: None, .. } => Err(given_up()),
            WriteConn::Pooled(_) => Err(sqlx::Error::Protocol("the writer is SQLite's".into())),
        }
    }

    /// SQLite: this holder's writes are in a transaction it does not end alone (its own BEGIN
    /// was sent).
    fn mark_joined(&mut self) {
        if let WriteConn::Writer { joined, .. } = self {
            *joined = true;
        }
    }

    /// SQLite: this holder's statements go into one transaction, not a commit each, even when
    /// nobody waits to join it: the group's when one is open, else one opened now
    /// (`BEGIN IMMEDIATE`) and committed as a group is. If that `BEGIN` fails (the database
    /// busy: another process writes), they run on their own, each waiting as it does, as in
    /// [`Store::write_turn`].
    pub fn join_group(&mut self) {
        if let WriteConn::Writer { conn: Some(writer), joined, .. } = self
            && writer.conn.is_autocommit()
            && writer.conn.plain("BEGIN IMMEDIATE").is_ok()
        {
            *joined = true;
        }
    }

    /// SQLite: the group is committed when this holder gives up the turn, whoever waits.
    pub fn commit_when_done(&mut self) {
        if let WriteConn::Writer { commit, .. } = self {
            *commit = true;
        }
    }

    /// SQLite: the transaction this holder's writes went into has ended without a COMMIT
    /// (SQLite rolled it back itself: a full disk, an I/O error): none of them is written.
    pub fn lost(&self) -> bool {
        match self {
            WriteConn::Writer { conn: Some(writer), joined, .. } => *joined && writer.conn.is_autocommit(),
            _ => false,
        }
    }

    /// Gives up the turn to write (see [`give_up`]), once.
    fn give_up_turn(&mut self) {
        if let WriteConn::Writer { conn, slot, since, holder, commit, .. } = self
            && let Some(writer) = conn.take()
        {
            // A group's COMMIT, when this holder makes it, counts in its hold.
            give_up(slot, writer, *commit);
            crate::metrics::METRICS.write_turn_seconds(*holder).observe(since.elapsed().as_secs_f64());
        }
    }

    /// After a single write: a failure that is not a refusal costs the connection (see
    /// [`WriteConn::failed`]); otherwise the answer waits for [`WriteConn::durable`], a refusal
    /// too (SQLite: it may have been made by a row of the group, not committed yet; if the
    /// group fails, the refusal is not told, the group's failure is).
    pub async fn settled<T>(&mut self, done: &std::result::Result<T, sqlx::Error>) -> std::result::Result<(), sqlx::Error> {
        if let Err(e) = done
            && !matches!(e, sqlx::Error::Database(_))
        {
            self.failed(e);
            return Ok(());
        }
        self.durable(None).await
    }

    /// Waits until this holder's writes are durable, giving up the turn to write. SQLite: at
    /// once when each committed itself; otherwise at the COMMIT of the group they joined (see
    /// the module docs). An error: they are not known to be written (not a refusal). `after`:
    /// done at the group's COMMIT even if this wait is cancelled ([`AfterCommit`]); not done
    /// when there is no group to wait for (the caller, not cancelled before it hears, does it).
    pub async fn durable(&mut self, after: Option<AfterCommit>) -> std::result::Result<(), sqlx::Error> {
        let WriteConn::Writer { conn, joined, .. } = self else { return Ok(()) };
        let Some(writer) = conn.as_mut() else { return Err(given_up()) };
        if writer.conn.is_autocommit() {
            let lost = *joined;
            self.give_up_turn();
            return match lost {
                true => Err(sqlx::Error::Protocol("the transaction was rolled back".into())),
                false => Ok(()),
            };
        }
        let (told, hear) = oneshot::channel();
        writer.members.push(Member { told, after });
        writer.since.get_or_insert_with(Instant::now);
        self.give_up_turn();
        match hear.await {
            Ok(told) => told.map_err(sqlx::Error::Protocol),
            Err(_) => Err(sqlx::Error::Protocol("the writer closed before its commit".into())),
        }
    }
}

impl Drop for WriteConn<'_> {
    fn drop(&mut self) {
        self.give_up_turn();
    }
}

impl WriteConn<'_> {
    /// SQLite: runs a script on the writer (there is no script on PostgreSQL).
    pub async fn run(&mut self, script: Script) -> std::result::Result<Vec<Answer>, Failed> {
        match self.inline() {
            Ok(conn) => script.run(conn).await,
            Err(error) => Err(Failed { part: Part::Asked, error, answered: Vec::new() }),
        }
    }
}

impl<'c> Executor<'c> for &'c mut WriteConn<'_> {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, std::result::Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            WriteConn::Writer { conn: Some(writer), .. } => (&mut writer.conn).fetch_many(query),
            WriteConn::Writer { conn: None, .. } => Box::pin(futures_util::stream::once(std::future::ready(Err(given_up())))),
            WriteConn::Pooled(conn) => (&mut **conn).fetch_many(query),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, std::result::Result<Option<AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            WriteConn::Writer { conn: Some(writer), .. } => (&mut writer.conn).fetch_optional(query),
            WriteConn::Writer { conn: None, .. } => Box::pin(std::future::ready(Err(given_up()))),
            WriteConn::Pooled(conn) => (&mut **conn).fetch_optional(query),
        }
    }

    fn prepare_with<'e>(self, sql: SqlStr, parameters: &'e [AnyTypeInfo]) -> BoxFuture<'e, std::result::Result<AnyStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        match self {
            WriteConn::Writer { conn: Some(writer), .. } => (&mut writer.conn).prepare_with(sql, parameters),
            WriteConn::Writer { conn: None, .. } => Box::pin(std::future::ready(Err(given_up()))),
            WriteConn::Pooled(conn) => (&mut **conn).prepare_with(sql, parameters),
        }
    }
}

impl std::fmt::Debug for WriteConn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WriteConn::Writer { .. } => "WriteConn::Writer",
            WriteConn::Pooled(_) => "WriteConn::Pooled",
        })
    }
}

/// A write connection inside a transaction. Every statement of a [`Tx`] runs through it (it is
/// the executor the store's queries are given).
///
/// SQLite: begun and ended by its own statements, sent in [`Script`]s (see the module docs):
/// `BEGIN IMMEDIATE` when it begins in autocommit (the group is its own until it ends), or
/// `SAVEPOINT tx` when a group is open; its last script (with `RELEASE tx` if a savepoint) puts
/// its writes in the group, and [`WriteConn::durable`] waits for the group's COMMIT; a
/// transaction that fails or is dropped open is rolled back to its savepoint, the group's
/// writes kept, or whole when it has none. sqlx's
/// transaction manager never counts a transaction on the writer, so no ROLLBACK that failed
/// leaves it counting one that SQLite ended. PostgreSQL: sqlx's transaction manager, as
/// `sqlx::Transaction` does, but keeping hold of the connection, so that one whose COMMIT
/// failed is closed, not reused.
pub(super) struct TxConn<'s> {
    conn: WriteConn<'s>,
    /// SQLite: the statements not sent yet (the first is `BEGIN` or the savepoint until it is
    /// sent). `None` on PostgreSQL.
    held: Option<Script>,
    /// SQLite: how many statements the transaction's start is.
    start: usize,
    /// SQLite: it began inside a group, in a savepoint of its own (`SAVEPOINT tx`); otherwise
    /// it began in autocommit, opened SQLite's transaction (`BEGIN IMMEDIATE`), and holds it
    /// alone until it ends.
    savepoint: bool,
    /// SQLite: a script with the `BEGIN` was sent (a transaction may be open on the connection).
    begun: bool,
    /// Neither committed nor rolled back.
    open: bool,
    /// SQLite: the conversation (person, version) whose save this transaction guards.
    guarded: Option<(i64, i64)>,
    /// SQLite: that guard failed: the conversation changed since it was read.
    changed: bool,
    /// SQLite: a script failed; nothing more is sent (the transaction is rolled back when this
    /// is dropped).
    failed: bool,
    /// SQLite: a statement presumed to change so many rows changed another number
    /// ([`TxConn::write_presumed`]): nothing of the transaction is written.
    presumed_wrong: bool,
    /// SQLite: the turn to write is taken with the first script, not yet
    /// ([`Store::begin_deferred`]); `conn` holds no writer until then.
    deferred: Option<(&'s Store, TurnHolder)>,
}

impl std::fmt::Debug for TxConn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxConn").field("begun", &self.begun).field("open", &self.open).finish_non_exhaustive()
    }
}

impl<'s> TxConn<'s> {
    async fn begin(mut conn: WriteConn<'s>) -> std::result::Result<TxConn<'s>, sqlx::Error> {
        let (held, savepoint) = match conn {
            WriteConn::Writer { .. } => {
                let (script, savepoint) = TxConn::start_script(&mut conn)?;
                (Some(script), savepoint)
            }
            WriteConn::Pooled(ref mut pooled) => {
                if let Err(e) = Manager::begin(pooled, None).await {
                    conn.failed(&e);
                    return Err(e);
                }
                (None, false)
            }
        };
        Ok(TxConn::new(conn, held, savepoint, None))
    }

    /// A transaction not begun on SQLite's side yet, `held` its start (if any).
    fn new(conn: WriteConn<'s>, held: Option<Script>, savepoint: bool, deferred: Option<(&'s Store, TurnHolder)>) -> TxConn<'s> {
        let start = held.as_ref().map_or(0, Script::len);
        TxConn {
            conn,
            held,
            start,
            savepoint,
            begun: false,
            open: true,
            guarded: None,
            changed: false,
            failed: false,
            presumed_wrong: false,
            deferred,
        }
    }

    /// SQLite: a transaction whose turn to write is taken with its first script (see
    /// [`Store::begin_deferred`]).
    fn deferred(store: &'s Store, slot: &'s Arc<WriterSlot>, holder: TurnHolder) -> TxConn<'s> {
        // Holds no writer (as one whose turn was given up) until the turn is taken.
        let conn = WriteConn::Writer { conn: None, slot, since: Instant::now(), holder, joined: false, commit: false };
        TxConn::new(conn, Some(Script::default()), false, Some((store, holder)))
    }

    /// SQLite: the statement that starts a transaction on the writer `conn` holds, and whether
    /// it is a savepoint. IMMEDIATE: SQLite's write lock from the first statement on, so what
    /// this transaction read (a conversation's version) holds until it commits, even against
    /// another process. A group left open holds it already; then its own writes are in a
    /// savepoint, rolled back alone if it fails. One that begins in autocommit holds only its
    /// own writes until it ends, and is rolled back whole: no savepoint, whose journal would
    /// copy every page it changes (all of a roster import's).
    fn start_script(conn: &mut WriteConn<'s>) -> std::result::Result<(Script, bool), sqlx::Error> {
        let mut script = Script::default();
        let savepoint = !conn.inline()?.is_autocommit();
        script.push(if savepoint { "SAVEPOINT tx" } else { "BEGIN IMMEDIATE" }, None, Part::Begin)?;
        Ok((script, savepoint))
    }

    /// SQLite, deferred: takes the turn to write now, and puts the transaction's start before
    /// what it holds.
    async fn take_turn(&mut self) -> std::result::Result<(), sqlx::Error> {
        let Some((store, holder)) = self.deferred else { return Ok(()) };
        let commit = matches!(self.conn, WriteConn::Writer { commit: true, .. });
        // Still deferred until the turn is here: a wait cancelled meanwhile leaves it to the
        // next try.
        let mut conn = match store.write_turn(holder).await {
            Ok(conn) => conn,
            Err(e) => {
                self.failed = true;
                return Err(match e {
                    StoreError::Db(e) => e,
                    other => sqlx::Error::Protocol(other.to_string()),
                });
            }
        };
        self.deferred = None;
        if commit {
            conn.commit_when_done();
        }
        let (mut script, savepoint) = TxConn::start_script(&mut conn).inspect_err(|_| self.failed = true)?;
        self.start = script.len();
        script.append(self.held.take().unwrap_or_default());
        (self.held, self.savepoint, self.conn) = (Some(script), savepoint, conn);
        Ok(())
    }

    /// A write whose answer nobody waits for. SQLite: held and sent with the next statement
    /// that is waited for, or with the COMMIT, and a failure of it is reported there; `rows`:
    /// how many rows it must change, checked by a statement right after it that fails
    /// otherwise (so the COMMIT after it never runs). PostgreSQL: sent now.
    pub async fn write_later(&mut self, query: AnyQuery<'_>, rows: Option<u64>) -> std::result::Result<(), sqlx::Error> {
        match &mut self.held {
            Some(held) => {
                held.push_query(query, Part::Write)?;
                if let Some(n) = rows {
                    held.push_query(sqlx::query(COUNT).bind(i64::try_from(n).unwrap_or(i64::MAX)), Part::Count)?;
                }
                Ok(())
            }
            None => {
                let done = query.execute(&mut self.conn).await?;
                match rows {
                    Some(n) if done.rows_affected() != n => {
                        Err(sqlx::Error::Protocol(format!("a write changed {} rows, not {n}", done.rows_affected())))
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// SQLite: a write held as with [`TxConn::write_later`], presumed to change `rows` rows (a
    /// limit's count that is not reached); if it changes another number, the transaction fails
    /// at that statement, nothing of it written, and [`TxConn::presumed_wrong`] says so: its
    /// work runs again, asking. False (nothing done) where nothing is held: PostgreSQL, which
    /// sends each statement at once, asks.
    pub fn write_presumed(&mut self, query: AnyQuery<'_>, rows: u64) -> std::result::Result<bool, sqlx::Error> {
        let Some(held) = &mut self.held else { return Ok(false) };
        held.push_query(query, Part::Write)?;
        held.push_query(sqlx::query(COUNT).bind(i64::try_from(rows).unwrap_or(i64::MAX)), Part::Presumed)?;
        Ok(true)
    }

    /// Whether the transaction failed because a write changed another number of rows than
    /// presumed ([`TxConn::write_presumed`]).
    pub fn presumed_wrong(&self) -> bool {
        self.presumed_wrong
    }

    /// SQLite: this transaction saves `person_id`'s conversation read at `version`; it fails
    /// (and [`TxConn::changed`] says so) if the conversation is at another version by then.
    /// PostgreSQL: nothing; the save itself finds out.
    pub fn guard_version(&mut self, person_id: i64, version: i64) -> std::result::Result<(), sqlx::Error> {
        let Some(held) = &mut self.held else { return Ok(()) };
        held.push_query(sqlx::query(GUARD).bind(person_id).bind(version), Part::Guard)?;
        self.guarded = Some((person_id, version));
        Ok(())
    }

    /// Whether the guard covers a save of this conversation at this version.
    pub fn guards_version(&self, person_id: i64, version: i64) -> bool {
        self.guarded == Some((person_id, version))
    }

    pub fn changed(&self) -> bool {
        self.changed
    }

    /// SQLite: the group is committed when this transaction is done, whoever waits (see
    /// [`WriteConn::commit_when_done`]).
    pub fn commit_when_done(&mut self) {
        self.conn.commit_when_done();
    }

    /// SQLite: sends what is held, as one script.
    async fn send(&mut self) -> std::result::Result<Vec<Answer>, sqlx::Error> {
        if self.failed {
            return Err(sqlx::Error::Protocol("the transaction failed before".into()));
        }
        self.take_turn().await?;
        let script = self.held.replace(Script::default()).unwrap_or_default();
        if script.has(Part::Begin) {
            self.begun = true;
            self.conn.mark_joined();
        }
        let sent = std::time::Instant::now();
        let ran = self.conn.run(script).await;
        crate::metrics::METRICS.write_script_seconds.observe(sent.elapsed().as_secs_f64());
        match ran {
            Ok(answers) => Ok(answers),
            Err(Failed { part, error, .. }) => {
                self.failed = true;
                self.conn.failed(&error);
                match part {
                    // Only its CHECK says the conversation changed; any other failure of it
                    // (a full disk, an I/O error) is told as it is.
                    Part::Guard => {
                        self.changed = check_failed(&error);
                        if self.changed {
                            // The turn reads the conversation again, from the pool: the group's
                            // writes must be there by then.
                            self.conn.commit_when_done();
                        }
                    }
                    // Another transaction still open on it? Not sound: replaced.
                    Part::Begin => self.conn.discard(),
                    Part::Commit => {
                        // Whatever SQLite did with the transaction, this connection is not
                        // trusted again; the outcome is unknown, so not told as a refusal.
                        self.conn.discard();
                        self.open = false;
                        return Err(sqlx::Error::Protocol(format!("commit: {error}")));
                    }
                    Part::Count => tracing::error!("a write changed another number of rows than it must; the transaction is rolled back"),
                    Part::Presumed => self.presumed_wrong = check_failed(&error),
                    Part::Write | Part::Asked => {}
                }
                Err(error)
            }
        }
    }

    /// SQLite: the held statements and `query`, sent together; `query`'s answer.
    async fn asked<'q>(&mut self, query: impl Execute<'q, Any>) -> std::result::Result<Answer, sqlx::Error> {
        if let Some(held) = &mut self.held {
            held.push_query(query, Part::Asked)?;
        }
        self.send().await?.pop().ok_or_else(|| sqlx::Error::Protocol("a script without its answer".into()))
    }

    /// SQLite: the held statements and each of `queries`, sent together in one script; each
    /// query's answer, in order (there is no script on PostgreSQL: an error).
    pub async fn ask_each(&mut self, queries: Vec<AnyQuery<'_>>) -> std::result::Result<Vec<Answer>, sqlx::Error> {
        let Some(held) = &mut self.held else { return Err(sqlx::Error::Protocol("a script is SQLite's".into())) };
        let asked = queries.len();
        for query in queries {
            held.push_query(query, Part::Asked)?;
        }
        let mut answers = self.send().await?;
        let before = answers.len().checked_sub(asked).ok_or_else(|| sqlx::Error::Protocol("a script without its answers".into()))?;
        Ok(answers.split_off(before))
    }

    /// Commits: SQLite, the writes go into the group (with `RELEASE tx` if in a savepoint) and
    /// this waits for its COMMIT
    /// ([`WriteConn::durable`], with `after`). A failed COMMIT's outcome is unknown, and it is
    /// reported as such (not as a refusal), the connection closed.
    pub async fn commit(&mut self, after: Option<AfterCommit>) -> std::result::Result<(), sqlx::Error> {
        let Some(held) = &mut self.held else {
            let result = match &mut self.conn {
                WriteConn::Pooled(pooled) => Manager::commit(pooled).await,
                WriteConn::Writer { .. } => Err(sqlx::Error::Protocol("a transaction on the writer without its script".into())),
            };
            self.open = false;
            return result.map_err(|e| {
                self.conn.discard();
                sqlx::Error::Protocol(format!("commit: {e}"))
            });
        };
        // Nothing sent, and nothing held but the start.
        if !self.begun && held.len() == self.start {
            self.open = false; // nothing was written
            return Ok(());
        }
        // Its writes join the group: by its savepoint's RELEASE, or, when it began in
        // autocommit, as they are (whatever is held is sent first, a failure of it rolled back whole). One
        // whose statement failed is not committed, even with nothing left to send.
        if self.failed {
            return Err(sqlx::Error::Protocol("the transaction failed before".into()));
        }
        // Deferred: the turn to write now (and with it, whether this ends in a savepoint).
        self.take_turn().await?;
        let Some(held) = &mut self.held else { return Err(sqlx::Error::Protocol("a transaction on the writer without its script".into())) };
        if self.savepoint {
            held.push("RELEASE tx", None, Part::Commit)?;
        }
        if self.savepoint || !held.is_empty() {
            self.send().await?;
        }
        self.open = false;
        self.conn.durable(after).await.map_err(|e| sqlx::Error::Protocol(format!("commit: {e}")))
    }
}

impl Drop for TxConn<'_> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        match &mut self.conn {
            // Rolled back now (in place, with the turn still held): to its savepoint, so the
            // group's writes go on, or whole when it began in autocommit; and SQLite's write lock
            // is not held past the turn.
            WriteConn::Writer { conn: Some(writer), slot, .. } => {
                if self.begun {
                    writer.abandon(slot, self.savepoint);
                }
            }
            WriteConn::Writer { conn: None, .. } => {}
            // Queued; it runs before the connection is used again (as sqlx::Transaction does).
            WriteConn::Pooled(pooled) => Manager::start_rollback(pooled),
        }
    }
}

impl<'c, 's> Executor<'c> for &'c mut TxConn<'s> {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, std::result::Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        if self.held.is_none() {
            return (&mut self.conn).fetch_many(query);
        }
        Box::pin(futures_util::stream::once(self.asked(query)).flat_map(|answer| {
            let items: Vec<std::result::Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>> = match answer {
                Ok(Answer { rows, result, .. }) => {
                    rows.into_iter().map(|r| Ok(Either::Right(r))).chain([Ok(Either::Left(result))]).collect()
                }
                Err(e) => vec![Err(e)],
            };
            futures_util::stream::iter(items)
        }))
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, std::result::Result<Option<AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        if self.held.is_none() {
            return (&mut self.conn).fetch_optional(query);
        }
        Box::pin(async move { Ok(self.asked(query).await?.rows.into_iter().next()) })
    }

    fn prepare_with<'e>(self, sql: SqlStr, parameters: &'e [AnyTypeInfo]) -> BoxFuture<'e, std::result::Result<AnyStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        (&mut self.conn).prepare_with(sql, parameters)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering::SeqCst;
    use std::time::Duration;

    use tokio::sync::oneshot;

    use super::super::tests::{persons, sqlite_store};
    use super::super::{AnyQuery, Store, StoreError};
    use crate::metrics::TurnHolder;

    /// Every member's `after` runs before any member is told: a member told may let its
    /// person's next message run, which must not find a state that a later member's `after`
    /// was to forget.
    #[test]
    fn a_group_runs_every_after_before_it_tells_anyone() {
        for outcome in [Ok(()), Err("commit: disk I/O error".to_owned())] {
            let (first_told, first_hears) = oneshot::channel();
            let first_hears = std::sync::Arc::new(std::sync::Mutex::new(first_hears));
            let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            let (second_told, _second_hears) = oneshot::channel();
            let after = {
                let (first_hears, seen) = (first_hears.clone(), seen.clone());
                Box::new(move |committed: bool| {
                    let told_before = first_hears.lock().unwrap().try_recv().is_ok();
                    seen.lock().unwrap().push((committed, told_before));
                }) as super::AfterCommit
            };
            let members = vec![super::Member { told: first_told, after: None }, super::Member { told: second_told, after: Some(after) }];
            super::tell_all(members, outcome.clone());
            assert_eq!(*seen.lock().unwrap(), [(outcome.is_ok(), false)], "the first was told before the second's after ran");
            assert_eq!(first_hears.lock().unwrap().try_recv().unwrap(), outcome);
        }
    }

    fn insert(user: &'static str) -> AnyQuery<'static> {
        sqlx::query("INSERT INTO persons (transport, user_id, created_at) VALUES ('web', $1, 1)").bind(user)
    }

    /// Waits until `n` writes wait for the turn to write.
    async fn until_waiting(store: &Store, n: usize) {
        let slot = store.writer.as_ref().unwrap();
        for _ in 0..1000 {
            if slot.waiting.load(SeqCst) == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("{n} writes never waited for the turn");
    }

    /// A transaction that has written `user` and holds the turn until told to commit; its
    /// commit's outcome.
    async fn holding(store: &Store, user: &'static str) -> (tokio::task::JoinHandle<super::super::Result<()>>, oneshot::Sender<()>) {
        let (holds, held) = oneshot::channel();
        let (go, goes) = oneshot::channel::<()>();
        let task = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = store.begin().await?;
                insert(user).execute(&mut tx.tx).await?;
                let _ = holds.send(());
                let _ = goes.await;
                tx.commit().await
            }
        });
        held.await.unwrap();
        (task, go)
    }

    /// A deferred transaction takes the turn to write only with its first script: begun, given
    /// writes that ride with its COMMIT, or committed with nothing at all, it does not wait for a
    /// holder; its commit then waits for the turn and joins the holder's group.
    #[tokio::test]
    async fn a_deferred_transaction_takes_the_turn_with_its_first_script() {
        let (store, _dir) = sqlite_store().await;
        let (a, go_a) = holding(&store, "a").await;
        let soon = Duration::from_secs(5);
        let nothing = async { store.begin_deferred().await.unwrap().commit().await.unwrap() };
        tokio::time::timeout(soon, nothing).await.expect("it waited for the turn");
        let mut tx = tokio::time::timeout(soon, store.begin_deferred()).await.expect("it waited for the turn").unwrap();
        tx.tx.write_later(insert("b"), Some(1)).await.unwrap();
        assert_eq!(store.writer.as_ref().unwrap().waiting.load(SeqCst), 0, "nothing waits for the turn yet");
        let release = async {
            until_waiting(&store, 1).await;
            assert_eq!(persons(&store).await, 0, "neither is written before the holder goes on");
            go_a.send(()).unwrap();
        };
        let (committed, ()) = tokio::join!(tx.commit(), release);
        committed.unwrap();
        a.await.unwrap().unwrap();
        assert_eq!(persons(&store).await, 2);
    }

    /// A presumption that fails inside an open group takes back only its own transaction's
    /// writes: it hears [`StoreError::Presumed`], the holder whose group it joined commits as
    /// before.
    #[tokio::test]
    async fn a_presumption_that_fails_in_a_group_takes_back_only_its_own_writes() {
        let (store, _dir) = sqlite_store().await;
        let (a, go_a) = holding(&store, "a").await;
        let mut tx = store.begin_deferred().await.unwrap();
        tx.tx.write_later(insert("b"), Some(1)).await.unwrap();
        // Presumed to count one row; it counts none.
        let none = sqlx::query("UPDATE persons SET created_at = 2 WHERE user_id = 'nobody'");
        assert!(tx.tx.write_presumed(none, 1).unwrap());
        tx.tx.write_later(insert("c"), Some(1)).await.unwrap();
        let release = async {
            until_waiting(&store, 1).await;
            go_a.send(()).unwrap();
        };
        let (committed, ()) = tokio::join!(tx.commit(), release);
        assert!(matches!(committed, Err(StoreError::Presumed)), "{committed:?}");
        a.await.unwrap().unwrap();
        let users: Vec<String> = sqlx::query("SELECT user_id FROM persons ORDER BY user_id")
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| sqlx::Row::get(r, "user_id"))
            .collect();
        assert_eq!(users, ["a"]);
    }

    /// A transaction that takes the turn (writing nothing yet), says so, and on `go` writes
    /// `user` and commits.
    fn taking(
        store: &Store,
        user: &'static str,
    ) -> (tokio::task::JoinHandle<super::super::Result<()>>, oneshot::Receiver<()>, oneshot::Sender<()>) {
        taking_as(store, user, false)
    }

    /// [`taking`], a long transaction (`begin_alone`) when `alone`.
    fn taking_as(
        store: &Store,
        user: &'static str,
        alone: bool,
    ) -> (tokio::task::JoinHandle<super::super::Result<()>>, oneshot::Receiver<()>, oneshot::Sender<()>) {
        let (holds, held) = oneshot::channel();
        let (go, goes) = oneshot::channel::<()>();
        let task = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = if alone { store.begin_alone().await? } else { store.begin().await? };
                let _ = holds.send(());
                let _ = goes.await;
                insert(user).execute(&mut tx.tx).await?;
                tx.commit().await
            }
        });
        (task, held, go)
    }

    /// Writes waiting for the turn join the transaction of the one holding it, and each hears
    /// "written" only at the group's one COMMIT: until then another connection sees none of
    /// them, and none has returned.
    #[tokio::test]
    async fn writes_waiting_for_the_turn_share_one_commit_and_hear_of_it_only_then() {
        let (store, _dir) = sqlite_store().await;
        let (a, go_a) = holding(&store, "a").await;
        // A single write and a transaction wait behind it.
        let b = tokio::spawn({
            let store = store.clone();
            async move { store.person("web", "b", 1).await }
        });
        until_waiting(&store, 1).await;
        let (c, c_held, go_c) = taking(&store, "c");
        until_waiting(&store, 2).await;
        go_a.send(()).unwrap();
        c_held.await.unwrap();
        // 'a' and 'b' are written and gave up the turn, but nothing is committed yet.
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(!a.is_finished() && !b.is_finished(), "told before the COMMIT");
        assert_eq!(persons(&store).await, 0, "nothing committed while the group is open");
        go_c.send(()).unwrap();
        a.await.unwrap().unwrap();
        b.await.unwrap().unwrap();
        c.await.unwrap().unwrap();
        assert_eq!(persons(&store).await, 3, "one COMMIT for the three");
    }

    /// A group whose last holder finds nobody waiting is committed by a task of its own after
    /// the tasks ready to run: a transaction ready meanwhile joins it, and the first holder
    /// hears "written" only at that one COMMIT.
    #[tokio::test]
    async fn a_group_left_by_its_last_holder_is_committed_after_the_ready_tasks_joined_it() {
        let (store, _dir) = sqlite_store().await;
        let b_wrote = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let a = tokio::spawn({
            let (store, b_wrote) = (store.clone(), b_wrote.clone());
            async move {
                let mut tx = store.begin().await?;
                insert("a").execute(&mut tx.tx).await?;
                tx.commit().await?;
                Ok::<_, StoreError>(b_wrote.load(SeqCst))
            }
        });
        let b = tokio::spawn({
            let (store, b_wrote) = (store.clone(), b_wrote.clone());
            async move {
                let mut tx = store.begin().await?;
                insert("b").execute(&mut tx.tx).await?;
                b_wrote.store(true, SeqCst);
                tx.commit().await
            }
        });
        assert!(a.await.unwrap().unwrap(), "'a' heard of its COMMIT only with 'b' in it");
        b.await.unwrap().unwrap();
        assert_eq!(persons(&store).await, 2);
        assert!(!store.writer.as_ref().unwrap().commit_pending.load(SeqCst));
    }

    /// A commit task dropped before it ran (its runtime shut down) does not leave the next
    /// group to a task that never comes.
    #[test]
    fn a_commit_task_dropped_before_it_ran_leaves_no_group_waiting() {
        let runtime = || tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let first = runtime();
        let (store, _dir) = first.block_on(sqlite_store());
        let slot = store.writer.clone().unwrap();
        let other = runtime();
        assert!(other.block_on(async { slot.commit_after_the_ready() }), "a task is on its way");
        assert!(slot.commit_pending.load(SeqCst));
        drop(other);
        assert!(!slot.commit_pending.load(SeqCst), "its flag went with it");
        first.block_on(async {
            let mut tx = store.begin().await.unwrap();
            insert("a").execute(&mut tx.tx).await.unwrap();
            tokio::time::timeout(Duration::from_secs(5), tx.commit()).await.expect("committed").unwrap();
        });
        assert_eq!(first.block_on(persons(&store)), 1);
    }

    /// A transaction whose wait for the group's COMMIT is cancelled (its request dropped) is
    /// committed with the group all the same, and the chat state it changed is forgotten then,
    /// by the committer: the person's next message does not start from what it replaced.
    #[tokio::test]
    async fn a_cancelled_wait_for_the_commit_still_forgets_the_chat_states_it_changed() {
        let (store, _dir) = sqlite_store().await;
        let person = store.person("web", "p", 1).await.unwrap();
        let (_, state) = store.chat_state_of("web", "p").await.unwrap().unwrap();
        let recent = store.recent.clone().unwrap();
        recent.remember("web", "p", person, state, super::super::recent::monotonic_ms());
        assert!(recent.recall("web", "p", super::super::recent::monotonic_ms()).is_some());
        let (a, go_a) = holding(&store, "a").await;
        // A transaction that changes the person's chat state waits behind 'a', 'c' behind it.
        let b = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = store.begin().await?;
                tx.touched(person);
                insert("b").execute(&mut tx.tx).await?;
                tx.commit().await
            }
        });
        until_waiting(&store, 1).await;
        let (c, c_held, go_c) = taking(&store, "c");
        until_waiting(&store, 2).await;
        go_a.send(()).unwrap();
        // 'b' has written and waits for the group's COMMIT, which 'c' now holds open.
        c_held.await.unwrap();
        b.abort();
        assert!(b.await.unwrap_err().is_cancelled());
        assert!(recent.recall("web", "p", super::super::recent::monotonic_ms()).is_some(), "nothing committed yet");
        go_c.send(()).unwrap();
        a.await.unwrap().unwrap();
        c.await.unwrap().unwrap();
        assert_eq!(persons(&store).await, 4, "'p', 'a', 'b' and 'c'");
        assert!(recent.recall("web", "p", super::super::recent::monotonic_ms()).is_none(), "forgotten at the COMMIT");
    }

    /// A transaction of the group that fails is rolled back alone (its savepoint): the group's
    /// other writes are committed. One that finds a conversation changed has the group committed
    /// at once (its turn reads the conversation again, from the pool), though another write waits.
    #[tokio::test]
    async fn a_failing_transaction_of_a_group_takes_only_its_own_writes_back() {
        let (store, _dir) = sqlite_store().await;
        let person = store.person("web", "p", 1).await.unwrap();
        let (a, go_a) = holding(&store, "a").await;
        // Refused: a duplicate after a good write.
        let refused = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = store.begin().await?;
                insert("r").execute(&mut tx.tx).await?;
                insert("a").execute(&mut tx.tx).await?;
                tx.commit().await
            }
        });
        until_waiting(&store, 1).await;
        // Changed: read at a version the conversation is not at.
        let changed = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = store.begin().await?;
                tx.expect_version(person, 5)?;
                let refused = insert("x").execute(&mut tx.tx).await;
                Ok::<_, StoreError>(refused.is_err() && tx.changed())
            }
        });
        until_waiting(&store, 2).await;
        let (c, c_held, go_c) = taking(&store, "c");
        until_waiting(&store, 3).await;
        go_a.send(()).unwrap();
        c_held.await.unwrap();
        assert!(refused.await.unwrap().as_ref().is_err_and(super::super::refused));
        assert!(changed.await.unwrap().unwrap(), "told the conversation changed");
        // The conflict committed the group while 'c' holds the turn.
        tokio::time::timeout(Duration::from_secs(5), a).await.expect("committed at the conflict").unwrap().unwrap();
        assert_eq!(persons(&store).await, 2, "'p' and 'a'; 'r' and 'x' rolled back");
        go_c.send(()).unwrap();
        c.await.unwrap().unwrap();
        assert_eq!(persons(&store).await, 3);
    }

    /// A transaction that begins in autocommit (no group open) has no savepoint: when it
    /// fails it is rolled back whole, SQLite's write lock is let go, and the next write goes on.
    /// A roster import's is such a transaction, and so its pages are not copied to a savepoint's
    /// journal.
    #[tokio::test]
    async fn a_failing_transaction_that_opened_the_group_is_rolled_back_whole() {
        let (store, _dir) = sqlite_store().await;
        for alone in [false, true] {
            let mut tx = if alone { store.begin_alone().await.unwrap() } else { store.begin().await.unwrap() };
            assert!(!tx.tx.savepoint, "nothing to keep but its own writes");
            insert("r").execute(&mut tx.tx).await.unwrap();
            assert!(insert("r").execute(&mut tx.tx).await.is_err(), "a duplicate");
            assert!(tx.commit().await.is_err());
            let mut writer = store.writer.as_ref().unwrap().conn.lock().await;
            assert!(writer.as_mut().unwrap().conn.is_autocommit(), "no transaction left open");
            drop(writer);
            assert_eq!(persons(&store).await, 0, "its first write is gone too");
        }
        store.person("web", "n", 1).await.unwrap();
        assert_eq!(persons(&store).await, 1);
        // One that joins a group has one.
        let (a, go_a) = holding(&store, "a").await;
        let joins = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = store.begin().await?;
                let savepoint = tx.tx.savepoint;
                insert("j").execute(&mut tx.tx).await?;
                tx.commit().await.map(|()| savepoint)
            }
        });
        until_waiting(&store, 1).await;
        go_a.send(()).unwrap();
        a.await.unwrap().unwrap();
        assert!(joins.await.unwrap().unwrap(), "in a savepoint of its own");
        assert_eq!(persons(&store).await, 3);
    }

    /// The writer's journals (a savepoint's, a statement's) are kept in memory, not in a
    /// temporary file made for each (`WRITER_SETTINGS`); its guard table is there.
    #[tokio::test]
    async fn the_writer_journals_in_memory() {
        let (store, _dir) = sqlite_store().await;
        store.person("web", "p", 1).await.unwrap();
        let mut writer = store.writer.as_ref().unwrap().conn.lock().await;
        let conn = &mut writer.as_mut().unwrap().conn;
        let temp_store: i64 = sqlx::query_scalar("PRAGMA temp_store").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(temp_store, 2, "MEMORY");
        let guard: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM temp.turn_guard").fetch_one(&mut *conn).await.unwrap();
        assert_eq!(guard, 0);
    }

    /// SQLite ends the whole transaction itself (`OR ROLLBACK`, as a full disk or an I/O error
    /// does): every write of the group is gone, and each of its holders is told so (not as a
    /// refusal: nothing of it is run again as if it were), a write refused by a row of the group
    /// too. The writer goes on.
    #[tokio::test]
    async fn a_group_sqlite_rolled_back_fails_every_holder_in_it() {
        let (store, _dir) = sqlite_store().await;
        store.person("web", "p", 1).await.unwrap();
        let (a, go_a) = holding(&store, "a").await;
        // Refused by 'a', which is not committed yet: not told until the group's outcome is.
        let refused = tokio::spawn({
            let store = store.clone();
            async move { store.write_count(insert("a")).await }
        });
        until_waiting(&store, 1).await;
        let ended = tokio::spawn({
            let store = store.clone();
            async move {
                let mut tx = store.begin().await?;
                sqlx::query("INSERT OR ROLLBACK INTO persons (transport, user_id, created_at) VALUES ('web', 'p', 1)")
                    .execute(&mut tx.tx)
                    .await?;
                tx.commit().await
            }
        });
        until_waiting(&store, 2).await;
        go_a.send(()).unwrap();
        let a = a.await.unwrap();
        assert!(a.as_ref().is_err_and(|e| !super::super::refused(e)), "{a:?}");
        let refused = refused.await.unwrap();
        assert!(refused.as_ref().is_err_and(|e| !super::super::refused(e)), "the group's failure, not the refusal: {refused:?}");
        assert!(ended.await.unwrap().is_err());
        assert_eq!(persons(&store).await, 1, "'a' went with the group");
        store.person("web", "d", 1).await.unwrap();
        assert_eq!(persons(&store).await, 2, "the writer goes on");
    }

    /// A holder's own mistake (a statement given fewer values than it has placeholders) fails
    /// that holder only: the writer stays sound, and the group's writes are committed.
    #[tokio::test]
    async fn a_holders_mistake_does_not_fail_the_group() {
        let (store, _dir) = sqlite_store().await;
        let (a, go_a) = holding(&store, "a").await;
        let mistaken = tokio::spawn({
            let store = store.clone();
            async move { store.write_count(sqlx::query("INSERT INTO persons (transport, user_id, created_at) VALUES ('web', $1, 1)")).await }
        });
        until_waiting(&store, 1).await;
        let (c, c_held, go_c) = taking(&store, "c");
        until_waiting(&store, 2).await;
        go_a.send(()).unwrap();
        c_held.await.unwrap();
        let mistaken = mistaken.await.unwrap();
        assert!(mistaken.as_ref().is_err_and(|e| !super::super::refused(e)), "{mistaken:?}");
        go_c.send(()).unwrap();
        a.await.unwrap().unwrap();
        c.await.unwrap().unwrap();
        assert_eq!(persons(&store).await, 2);
    }

    /// A long transaction (`begin_alone`, a roster file) that takes the turn from a group left
    /// open commits the group first: its holders hear of it before the long one even starts.
    #[tokio::test]
    async fn a_long_transaction_commits_the_group_it_finds_before_it_starts() {
        let (store, _dir) = sqlite_store().await;
        let (a, go_a) = holding(&store, "a").await;
        let (long, held, go) = taking_as(&store, "long", true);
        until_waiting(&store, 1).await;
        go_a.send(()).unwrap();
        held.await.unwrap();
        tokio::time::timeout(Duration::from_secs(5), a).await.expect("committed before the long one").unwrap().unwrap();
        assert_eq!(persons(&store).await, 1);
        go.send(()).unwrap();
        long.await.unwrap().unwrap();
        assert_eq!(persons(&store).await, 2);
    }

    /// The write a group was left open for gives up waiting (its task cancelled) before it
    /// takes the turn: the group is committed all the same, by a task of the writer's own.
    #[tokio::test]
    async fn a_group_left_for_a_write_that_gave_up_is_committed_anyway() {
        let (store, _dir) = sqlite_store().await;
        let (a, go_a) = holding(&store, "a").await;
        let mut waiting = Box::pin(store.write_turn(TurnHolder::Statement));
        assert!(futures_util::poll!(&mut waiting).is_pending());
        assert_eq!(store.writer.as_ref().unwrap().waiting.load(SeqCst), 1);
        go_a.send(()).unwrap();
        let slot = store.writer.as_ref().unwrap();
        for _ in 0..1000 {
            if slot.group_open.load(SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert!(slot.group_open.load(SeqCst), "'a' left the group open for the write waiting");
        assert!(!a.is_finished());
        drop(waiting);
        tokio::time::timeout(Duration::from_secs(5), a).await.expect("committed without the write that gave up").unwrap().unwrap();
        assert_eq!(persons(&store).await, 1);
    }
}
