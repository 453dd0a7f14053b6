//! SQLite: the writer connection, its statements run on the thread of the task that holds the
//! turn to write (and the batch tasks' read connections, run on theirs: `gather.rs` `Reader`).
//!
//! Why: sqlx runs every SQLite statement on the connection's own worker thread, and each
//! script is a wake-up there and one back. Measured at one message in flight, a batch of one
//! save held the turn 92 µs and a one-row INSERT 114 µs, nearly all of it those two thread
//! switches (SQLite's own work, the VDBE, was 3 % of the samples); under load the writer's
//! holders mostly waited for its thread to wake. Here the same statements run in place: the
//! turn to write is held by one task at a time, so at most one of the runtime's threads is in
//! SQLite for the writer at once, for tens of microseconds (a COMMIT's WAL append is the
//! longest; checkpoints run on the pool in their own task, which the writer's commit hook asks
//! for once the log is 16 MiB long; only if that task stopped or fell behind, or readers kept
//! the log from starting over, does a commit reach the bound, `WAL_BOUND`, and checkpoint
//! itself). SQLite's own busy wait would block that thread while
//! another connection holds the write lock: here it is off, and a statement that finds the
//! database busy is tried again after an asynchronous sleep, for as long as the store's
//! `busy_timeout` (the statement did nothing; a COMMIT found busy is still open, and SQLite's
//! answer to that is to try it again).
//!
//! Answers are sqlx's own types ([`AnyRow`], [`AnyQueryResult`], [`sqlx::Error`]), made as
//! sqlx-sqlite makes them (a value's type is the one it has, not its column's), so the store's
//! queries read the same whichever connection ran them; `&mut Inline` is an sqlx executor.

use std::ffi::c_int;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use rusqlite::config::DbConfig;
use rusqlite::types::{ToSqlOutput, ValueRef};
use sqlx::any::{AnyQueryResult, AnyRow, AnyStatement, AnyTypeInfo};
use sqlx::{Any, Either, Execute, SqlStr};
use sqlx_core::any::{AnyColumn, AnyTypeInfoKind, AnyValue, AnyValueKind};
use sqlx_core::ext::ustr::UStr;

use super::script::{Answer, Failed, Part, Script};

/// How long a statement waits for a write lock another connection holds, in all (SQLite's
/// `busy_timeout` on the store's other connections).
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// Statements kept prepared: the store's own texts, and the batches' for each row count that
/// comes up (up to a few hundred under load).
const PREPARED: usize = 512;

/// Frames in the write-ahead log (about 4 KiB each: 16 MiB) past which the writer asks the
/// checkpoint task for a checkpoint now rather than at its next second: under load the log
/// grows by 20,000 frames a second. In `scripts/bench chat` (whose runs vary by ±10 %),
/// 4,000 did best at 16 in flight in two rounds of each: 1,000 and 2,000 checkpoint several
/// times a second, and their writes and fsyncs slowed the writer's; at 8,000 and more the log
/// came near the bound again.
const CHECKPOINT_SOON: c_int = 4_000;

/// The log's bound, as `PRAGMA wal_autocheckpoint` sets it on the store's other connections
/// (`SQLITE_SETTINGS`): past it the writer checkpoints itself, as SQLite would have.
pub(super) const WAL_BOUND: c_int = 20_000;

/// SQLite's hook after each commit of the writer (it replaces SQLite's own, which checkpoints
/// inside the commit that crosses `wal_autocheckpoint`, holding every writer up for as long;
/// a `PRAGMA wal_autocheckpoint` run later on the connection would put SQLite's back). The
/// batch tasks' read connections have it too, and never commit. Never an error: the commit is
/// done whatever this returns, and an error would report it failed.
fn after_commit(wal: &rusqlite::hooks::Wal, frames: c_int) -> rusqlite::Result<()> {
    if frames >= WAL_BOUND {
        let _ = wal.checkpoint();
    } else if frames >= CHECKPOINT_SOON {
        super::CHECKPOINT_DUE.notify_waiters();
    }
    Ok(())
}

/// The writer's own SQLite connection (see the module docs).
pub(super) struct Inline {
    conn: rusqlite::Connection,
}

impl std::fmt::Debug for Inline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Inline")
    }
}

impl Inline {
    /// The file of a `sqlite:` URL as the store's pool has it (see `sqlite_url`), and how it
    /// is opened; an error for what the writer cannot open as the pool does (an in-memory
    /// database, URL options other than `mode`), so that the store refuses it at connect.
    pub fn file_of(url: &str) -> Result<(std::path::PathBuf, rusqlite::OpenFlags), sqlx::Error> {
        use rusqlite::OpenFlags;
        use std::str::FromStr as _;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
        let unsupported = |what: &str| sqlx::Error::Configuration(format!("SQLite's writer cannot open {what}").into());
        let options_of_url: Vec<&str> = url.split_once('?').map_or("", |(_, query)| query).split('&').filter(|o| !o.is_empty()).collect();
        let mode = match options_of_url.as_slice() {
            [] => OpenFlags::SQLITE_OPEN_READ_WRITE,
            ["mode=ro"] => OpenFlags::SQLITE_OPEN_READ_ONLY,
            ["mode=rw"] => OpenFlags::SQLITE_OPEN_READ_WRITE,
            ["mode=rwc"] => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
            _ => return Err(unsupported("a database URL with options other than one mode=ro|rw|rwc")),
        };
        let flags = OpenFlags::SQLITE_OPEN_NO_MUTEX | mode;
        let file = options.get_filename();
        // An empty name is a private temporary database per connection, `file:` sqlx's name
        // for an in-memory one: either is another database than the pool's.
        if url.contains(":memory:") || file.as_os_str().is_empty() || file.to_string_lossy().starts_with("file:") {
            return Err(unsupported("an in-memory or temporary database"));
        }
        Ok((file.to_owned(), flags))
    }

    /// Opens the database of `url` (see [`Inline::file_of`]; after migrations) with the
    /// settings every connection of the store has.
    pub fn open(url: &str, settings: &[&str]) -> Result<Inline, sqlx::Error> {
        let (file, flags) = Inline::file_of(url)?;
        let conn = rusqlite::Connection::open_with_flags(Path::new(&file), flags).map_err(error)?;
        conn.set_prepared_statement_cache_capacity(PREPARED);
        // What the build gives every connection (`.cargo/config.toml`), set here as well for a
        // build without it: a statement keeps its plan whatever is bound, so the writer's
        // `LIMIT $n` statements are not prepared again at each run.
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).map_err(error)?;
        for statement in settings {
            // A PRAGMA may answer with a row (journal_mode does): read and left.
            let mut statement = conn.prepare(statement).map_err(error)?;
            let mut rows = statement.raw_query();
            while rows.next().map_err(error)?.is_some() {}
        }
        // No busy wait on this thread (see the module docs): `run` waits asynchronously.
        conn.busy_timeout(Duration::ZERO).map_err(error)?;
        conn.wal_hook(Some(after_commit));
        Ok(Inline { conn })
    }

    /// Runs a script's statements in order, each prepared once and kept; stops at the first
    /// that fails (those before it ran, and their answers are given back with the failure). A
    /// statement that finds the database busy is tried again after a sleep, up to
    /// [`BUSY_WAIT`].
    pub async fn run(&mut self, script: &Script) -> Result<Vec<Answer>, Failed> {
        let mut answers = Vec::with_capacity(script.len());
        let mut since: Option<Instant> = None;
        let mut pause = Duration::from_millis(1);
        for (part, sql, values) in script.statements() {
            loop {
                match self.one(sql, values) {
                    Ok(answer) => {
                        answers.push(answer);
                        break;
                    }
                    // Only where waiting is SQLite's answer: outside a transaction (a busy
                    // statement, a BEGIN, did nothing) or at its COMMIT (still open). Inside one
                    // (never, with BEGIN IMMEDIATE) busy means roll back, and it fails now.
                    Err(error)
                        if busy(&error)
                            && (self.conn.is_autocommit() || part == Part::Commit)
                            && since.get_or_insert_with(Instant::now).elapsed() < BUSY_WAIT =>
                    {
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(Duration::from_millis(50));
                    }
                    Err(error) => return Err(Failed { part, error, answered: answers }),
                }
            }
        }
        Ok(answers)
    }

    /// One statement of the writer's own, with no values and no answer (`BEGIN`, `COMMIT`,
    /// a savepoint's), at once: no busy wait (see [`Inline::run`] for where one is due).
    pub fn plain(&mut self, sql: &str) -> Result<(), sqlx::Error> {
        self.conn.prepare_cached(sql).and_then(|mut s| s.raw_execute()).map(drop).map_err(error)
    }

    /// No transaction is open (each statement commits itself).
    pub fn is_autocommit(&self) -> bool {
        self.conn.is_autocommit()
    }

    fn one(&self, sql: &str, values: &[AnyValueKind]) -> Result<Answer, sqlx::Error> {
        let mut statement = self.conn.prepare_cached(sql).map_err(error)?;
        if statement.parameter_count() != values.len() {
            return Err(sqlx::Error::Protocol(format!("{} values for {} placeholders", values.len(), statement.parameter_count())));
        }
        for (i, value) in values.iter().enumerate() {
            statement.raw_bind_parameter(i + 1, Bound(value)).map_err(error)?;
        }
        let names: Vec<UStr> = statement.column_names().into_iter().map(UStr::new).collect();
        let columns: Vec<AnyColumn> = names
            .iter()
            .enumerate()
            .map(|(ordinal, name)| AnyColumn { ordinal, name: name.clone(), type_info: AnyTypeInfo { kind: AnyTypeInfoKind::Null } })
            .collect();
        let column_names: Arc<sqlx_core::HashMap<UStr, usize>> = Arc::new(names.into_iter().enumerate().map(|(i, n)| (n, i)).collect());
        let mut rows = Vec::new();
        let mut stepped = statement.raw_query();
        while let Some(row) = stepped.next().map_err(error)? {
            let mut values = Vec::with_capacity(columns.len());
            for i in 0..columns.len() {
                values.push(AnyValue { kind: kind_of(row.get_ref(i).map_err(error)?)? });
            }
            rows.push(AnyRow { column_names: column_names.clone(), columns: columns.clone(), values });
        }
        drop(stepped);
        let result = AnyQueryResult { rows_affected: self.conn.changes(), last_insert_id: Some(self.conn.last_insert_rowid()) };
        Ok(Answer { rows, result })
    }

    /// A query of one statement, run as a script of one.
    async fn query<'q>(&mut self, query: impl Execute<'q, Any>) -> Result<Answer, sqlx::Error> {
        let mut script = Script::default();
        script.push_query(query, Part::Asked)?;
        let mut answers = self.run(&script).await.map_err(|f| f.error)?;
        answers.pop().ok_or_else(|| sqlx::Error::Protocol("a statement without its answer".into()))
    }
}

/// A value as sqlx-sqlite reads it: by the type the value has.
fn kind_of(value: ValueRef<'_>) -> Result<AnyValueKind, sqlx::Error> {
    Ok(match value {
        ValueRef::Null => AnyValueKind::Null(AnyTypeInfoKind::Null),
        ValueRef::Integer(i) => AnyValueKind::BigInt(i),
        ValueRef::Real(r) => AnyValueKind::Double(r),
        ValueRef::Text(t) => AnyValueKind::Text(Arc::new(String::from_utf8(t.to_vec()).map_err(|e| sqlx::Error::Decode(Box::new(e)))?)),
        ValueRef::Blob(b) => AnyValueKind::Blob(Arc::new(b.to_vec())),
    })
}

/// A value bound as sqlx-sqlite binds it.
struct Bound<'a>(&'a AnyValueKind);

impl rusqlite::ToSql for Bound<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            AnyValueKind::Null(_) => ValueRef::Null,
            AnyValueKind::Bool(b) => ValueRef::Integer(i64::from(*b)),
            AnyValueKind::SmallInt(i) => ValueRef::Integer(i64::from(*i)),
            AnyValueKind::Integer(i) => ValueRef::Integer(i64::from(*i)),
            AnyValueKind::BigInt(i) => ValueRef::Integer(*i),
            AnyValueKind::Real(r) => ValueRef::Real(f64::from(*r)),
            AnyValueKind::Double(d) => ValueRef::Real(*d),
            AnyValueKind::Text(t) => ValueRef::Text(t.as_bytes()),
            AnyValueKind::TextSlice(t) => ValueRef::Text(t.as_bytes()),
            AnyValueKind::Blob(b) => ValueRef::Blob(b),
            other => return Err(rusqlite::Error::ToSqlConversionFailure(format!("a value SQLite cannot hold: {other:?}").into())),
        }))
    }
}

/// SQLite's refusal of a statement, as sqlx-sqlite tells it: a database error (its code the
/// extended result code), so the store tells a refusal (a constraint, a full disk) from a
/// connection that failed exactly as before.
#[derive(Debug)]
struct Refusal {
    code: i32,
    message: String,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(code: {}) {}", self.code, self.message)
    }
}

impl std::error::Error for Refusal {}

impl sqlx::error::DatabaseError for Refusal {
    fn message(&self) -> &str {
        &self.message
    }

    fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
        Some(self.code.to_string().into())
    }

    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use rusqlite::ffi;
        use sqlx::error::ErrorKind;
        match self.code {
            ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => ErrorKind::UniqueViolation,
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY => ErrorKind::ForeignKeyViolation,
            ffi::SQLITE_CONSTRAINT_NOTNULL => ErrorKind::NotNullViolation,
            ffi::SQLITE_CONSTRAINT_CHECK => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// A constraint of the schema refused the statement (`SQLITE_CONSTRAINT` and its extended
/// codes: a key, a `CHECK`, a trigger's `RAISE`): about its own row, unlike a busy database, a
/// full disk or an I/O error, which the next statement would meet as well.
pub(super) fn constraint(e: &sqlx::Error) -> bool {
    primary_code(e) == Some(rusqlite::ffi::SQLITE_CONSTRAINT)
}

/// SQLite's primary result code of a refusal made here (its extended code without the detail).
fn primary_code(e: &sqlx::Error) -> Option<c_int> {
    e.as_database_error().and_then(|d| d.try_downcast_ref::<Refusal>()).map(|r| r.code & 0xff)
}

/// Another connection holds the write lock (`SQLITE_BUSY` and its extended codes). Not
/// `SQLITE_LOCKED`: with no shared cache (refused at connect) it is a conflict within this
/// connection, which waiting does not end.
fn busy(e: &sqlx::Error) -> bool {
    primary_code(e) == Some(rusqlite::ffi::SQLITE_BUSY)
}

/// SQLite's own failures are refusals ([`sqlx::Error::Database`]), as with sqlx-sqlite; the
/// rest (a value that does not convert) are not.
fn error(e: rusqlite::Error) -> sqlx::Error {
    match e {
        rusqlite::Error::SqliteFailure(failure, message) => sqlx::Error::Database(Box::new(Refusal {
            code: failure.extended_code,
            message: message.unwrap_or_else(|| failure.to_string()),
        })),
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

impl<'c> sqlx::Executor<'c> for &'c mut Inline {
    type Database = Any;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        Box::pin(futures_util::stream::once(self.query(query)).flat_map(|answer| {
            let items: Vec<Result<Either<AnyQueryResult, AnyRow>, sqlx::Error>> = match answer {
                Ok(Answer { rows, result }) => rows.into_iter().map(|r| Ok(Either::Right(r))).chain([Ok(Either::Left(result))]).collect(),
                Err(e) => vec![Err(e)],
            };
            futures_util::stream::iter(items)
        }))
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, Result<Option<AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + Execute<'q, Any>,
    {
        Box::pin(async move { Ok(self.query(query).await?.rows.into_iter().next()) })
    }

    fn prepare_with<'e>(self, _sql: SqlStr, _parameters: &'e [AnyTypeInfo]) -> BoxFuture<'e, Result<AnyStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        // The store never prepares on the writer: its statements are kept prepared here.
        Box::pin(std::future::ready(Err(sqlx::Error::Protocol("the writer connection does not hand out prepared statements".into()))))
    }
}
