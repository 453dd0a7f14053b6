//! The write side: this process's turn to write, the connection a write runs on, and a
//! transaction on it.
//!
//! SQLite has one writer, and so has this process: one connection of its own ([`Inline`]: its
//! statements run on the thread of the task that holds the turn to write, not on a thread of
//! sqlx's). A transaction on it runs its statements in as few [`Script`]s as it can: a write
//! whose answer nobody waits for is held and run with the next statement that is waited for;
//! `BEGIN` rides with the first script and `COMMIT` with the last.
//!
//! PostgreSQL: a connection from the pool, sqlx's own transactions, each statement sent at once
//! (rows are locked, so writers do not wait for one another here).

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::SeqCst;

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use sqlx::any::{AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::pool::PoolConnection;
use sqlx::{Any, Either, Execute, Executor, SqlStr};
use sqlx_core::transaction::TransactionManager as _;
use tokio::sync::{MappedMutexGuard, Mutex, MutexGuard};

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

/// Made on each SQLite connection when it opens (`SQLITE_SETTINGS`; only the writer uses it).
pub(super) const GUARD_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS turn_guard (outcome TEXT NOT NULL CHECK (outcome = 'unchanged'))";

/// SQLite: the process's one writer connection, and what the next write must do first (the
/// flags are set with the turn to write held, or by a transaction dropped open).
pub(super) struct WriterSlot {
    /// `None` before the first write and after [`Store::close`].
    pub conn: Mutex<Option<Inline>>,
    /// The database's `sqlite:` URL, as the pool has it.
    url: String,
    /// A commit failed on it, or it failed otherwise than by a statement's refusal: closed.
    broken: AtomicBool,
    /// A transaction on it was dropped open: rolled back before anything else runs on it.
    dropped_open: AtomicBool,
}

impl std::fmt::Debug for WriterSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WriterSlot")
    }
}

impl WriterSlot {
    pub fn new(url: &str) -> WriterSlot {
        WriterSlot { conn: Mutex::default(), url: url.to_owned(), broken: AtomicBool::new(false), dropped_open: AtomicBool::new(false) }
    }

    /// Puts the writer right before anything else runs on it: a broken one is closed (which
    /// ends whatever it had open); a transaction dropped open is rolled back, and a ROLLBACK
    /// that fails for whatever reason (SQLite may have ended the transaction itself, after a
    /// full disk or an I/O error) costs the connection too. The next write opens another.
    fn tidy(&self, writer: &mut Option<Inline>) {
        if self.broken.swap(false, SeqCst) {
            *writer = None;
            self.dropped_open.store(false, SeqCst);
            return;
        }
        if !self.dropped_open.swap(false, SeqCst) {
            return;
        }
        if let Some(conn) = writer.as_mut()
            && conn.rollback().is_err()
        {
            *writer = None;
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
}

impl Store {
    /// The connection for one write, with this process's turn to write.
    ///
    /// SQLite: waits for the turn, which holds the one writer connection (replaced when it was
    /// found unsound, see [`WriterSlot`]). PostgreSQL: no wait (rows are locked), a connection
    /// from the pool.
    pub(super) async fn write_turn(&self, holder: TurnHolder) -> Result<WriteConn<'_>> {
        let Some(slot) = &self.writer else {
            return Ok(WriteConn::Pooled(self.pool.acquire().await?));
        };
        let mut writer = slot.conn.lock().await;
        let since = std::time::Instant::now();
        if self.pool.is_closed() {
            return Err(StoreError::Db(sqlx::Error::PoolClosed));
        }
        slot.tidy(&mut writer);
        if writer.is_none() {
            *writer = Some(Inline::open(&slot.url, super::SQLITE_SETTINGS)?);
        }
        let conn = MutexGuard::try_map(writer, Option::as_mut).map_err(|_| corrupt("the writer connection is missing"))?;
        Ok(WriteConn::Writer { conn, slot, since, holder })
    }

    /// One write of one statement, with the turn to write; its rows (`RETURNING`).
    pub(super) async fn write_rows(&self, query: AnyQuery<'_>) -> Result<Vec<AnyRow>> {
        let mut conn = self.write_turn(TurnHolder::Statement).await?;
        let rows = query.fetch_all(&mut conn).await;
        if let Err(e) = &rows {
            conn.failed(e);
        }
        Ok(rows?)
    }

    /// One write of one statement, with the turn to write; how many rows it changed.
    pub(super) async fn write_count(&self, query: AnyQuery<'_>) -> Result<u64> {
        let mut conn = self.write_turn(TurnHolder::Statement).await?;
        let done = query.execute(&mut conn).await;
        if let Err(e) = &done {
            conn.failed(e);
        }
        Ok(done?.rows_affected())
    }

    /// Starts the write transaction for one unit of work (on SQLite, nothing is sent yet).
    pub async fn begin(&self) -> Result<Tx<'_>> {
        self.begin_for(TurnHolder::Transaction).await
    }

    /// [`Store::begin`] for a holder of another kind (a batch in one transaction).
    pub(super) async fn begin_for(&self, holder: TurnHolder) -> Result<Tx<'_>> {
        let tx = TxConn::begin(self.write_turn(holder).await?).await?;
        Ok(Tx { tx, store: self, queued: false })
    }
}

/// The connection one write runs on (see [`Store::write_turn`]).
pub(super) enum WriteConn<'s> {
    /// SQLite: the writer connection, held with the turn to write.
    Writer {
        conn: MappedMutexGuard<'s, Inline>,
        slot: &'s Arc<WriterSlot>,
        /// When the turn was taken (how long it is held is measured: it is SQLite's bottleneck).
        since: std::time::Instant,
        /// Who holds it (measured apart: a batch, a transaction, one write).
        holder: TurnHolder,
    },
    /// PostgreSQL: one from the pool.
    Pooled(PoolConnection<Any>),
}

impl WriteConn<'_> {
    /// Not to be trusted again: closed (SQLite: as soon as the turn to write is free, and
    /// replaced at the next write).
    pub fn discard(&mut self) {
        match self {
            WriteConn::Writer { slot, .. } => {
                slot.broken.store(true, SeqCst);
                slot.tidy_soon();
            }
            WriteConn::Pooled(conn) => conn.close_on_drop(),
        }
    }

    /// After a failed write: a failure that is not a statement's refusal (a value that did not
    /// convert, a script that did not answer for each statement; PostgreSQL: the connection
    /// lost) means the connection is discarded.
    pub fn failed(&mut self, error: &sqlx::Error) {
        if !matches!(error, sqlx::Error::Database(_)) {
            self.discard();
        }
    }

    /// [`WriteConn::failed`] for the store's own errors.
    pub fn failed_with(&mut self, error: &StoreError) {
        if !super::refused(error) {
            self.discard();
        }
    }
}

impl Drop for WriteConn<'_> {
    fn drop(&mut self) {
        if let WriteConn::Writer { since, holder, .. } = self {
            crate::metrics::METRICS.write_turn_seconds(*holder).observe(since.elapsed().as_secs_f64());
        }
    }
}

impl WriteConn<'_> {
    /// SQLite: runs a script on the writer (there is no script on PostgreSQL).
    pub async fn run(&mut self, script: Script) -> std::result::Result<Vec<Answer>, Failed> {
        match self {
            WriteConn::Writer { conn, .. } => script.run(conn).await,
            WriteConn::Pooled(_) => Err(Failed {
                part: Part::Asked,
                error: sqlx::Error::Protocol("a script is for SQLite's writer".into()),
                answered: Vec::new(),
            }),
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
            WriteConn::Writer { conn, .. } => (&mut **conn).fetch_many(query),
            WriteConn::Pooled(conn) => (&mut **conn).fetch_many(query),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, std::result::Result<Option<AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        match self {
            WriteConn::Writer { conn, .. } => (&mut **conn).fetch_optional(query),
            WriteConn::Pooled(conn) => (&mut **conn).fetch_optional(query),
        }
    }

    fn prepare_with<'e>(self, sql: SqlStr, parameters: &'e [AnyTypeInfo]) -> BoxFuture<'e, std::result::Result<AnyStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        match self {
            WriteConn::Writer { conn, .. } => (&mut **conn).prepare_with(sql, parameters),
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
/// SQLite: begun and ended by its own statements, sent in [`Script`]s (see the module docs);
/// sqlx's transaction manager never counts a transaction on the writer, so no ROLLBACK that
/// failed leaves it counting one that SQLite ended. PostgreSQL: sqlx's transaction manager, as
/// `sqlx::Transaction` does, but keeping hold of the connection, so that one whose COMMIT
/// failed is closed, not reused.
pub(super) struct TxConn<'s> {
    conn: WriteConn<'s>,
    /// SQLite: the statements not sent yet (the first is `BEGIN` until it is sent). `None` on
    /// PostgreSQL.
    held: Option<Script>,
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
}

impl std::fmt::Debug for TxConn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxConn").field("begun", &self.begun).field("open", &self.open).finish_non_exhaustive()
    }
}

impl<'s> TxConn<'s> {
    async fn begin(mut conn: WriteConn<'s>) -> std::result::Result<TxConn<'s>, sqlx::Error> {
        let held = match conn {
            WriteConn::Writer { .. } => {
                let mut script = Script::default();
                // IMMEDIATE: SQLite's write lock from the first statement on, so what this
                // transaction read (a conversation's version) holds until it commits, even
                // against another process.
                script.push("BEGIN IMMEDIATE", None, Part::Begin)?;
                Some(script)
            }
            WriteConn::Pooled(ref mut pooled) => {
                if let Err(e) = Manager::begin(pooled, None).await {
                    conn.failed(&e);
                    return Err(e);
                }
                None
            }
        };
        Ok(TxConn { conn, held, begun: false, open: true, guarded: None, changed: false, failed: false })
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

    /// SQLite: sends what is held, as one script.
    async fn send(&mut self) -> std::result::Result<Vec<Answer>, sqlx::Error> {
        if self.failed {
            return Err(sqlx::Error::Protocol("the transaction failed before".into()));
        }
        let script = self.held.replace(Script::default()).unwrap_or_default();
        self.begun |= script.has(Part::Begin);
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
                        self.changed = error.as_database_error().is_some_and(|e| e.kind() == sqlx::error::ErrorKind::CheckViolation)
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

    /// Commits: a failed COMMIT's outcome is unknown, and it is reported as such (not as a
    /// refusal), the connection closed.
    pub async fn commit(&mut self) -> std::result::Result<(), sqlx::Error> {
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
        // Nothing sent, and nothing held but the BEGIN.
        if !self.begun && held.len() == 1 {
            self.open = false; // nothing was written
            return Ok(());
        }
        held.push("COMMIT", None, Part::Commit)?;
        self.send().await?;
        self.open = false;
        Ok(())
    }
}

impl Drop for TxConn<'_> {
    fn drop(&mut self) {
        if !self.open {
            return;
        }
        match &mut self.conn {
            WriteConn::Writer { slot, .. } => {
                if self.begun {
                    slot.dropped_open.store(true, SeqCst);
                    slot.tidy_soon();
                }
            }
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
