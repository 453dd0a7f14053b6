//! SQLite: the group commit's batches (`gather.rs`) run on a thread of their own, each kind with a
//! connection of its own (rusqlite, on the same SQLite library sqlx links), every statement a
//! call on that thread.
//!
//! Why: through sqlx, every statement is a hand-off to the connection's worker thread and back,
//! and the batch's task is one more wake-up on the runtime. A batch of four saves spent about
//! 240 µs so, mostly in waking threads, where SQLite's own work for it is a few tens of µs. Here
//! a turn's task queues its item; this thread, woken once, runs the whole batch and answers.
//!
//! The guarantees are the group commit's. A write batch takes this process's turn to write (the
//! one every other write takes, so SQLite never sees two writers of ours) and holds it from
//! `BEGIN IMMEDIATE` to `COMMIT`; an item is answered only after that COMMIT. Each item is one
//! statement (a save with its transcript lines is a savepoint), so one the database refuses fails
//! only itself and the rest commit; a failure that ends the transaction, or a COMMIT that fails,
//! fails every item of the batch. A memory database, or one opened read-only, keeps its batches
//! on sqlx's connections (another connection could not see it, or must not write).

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};
use tokio::runtime::Handle;

use super::{Result, Store, StoreError};

/// What a batch thread works with: the store (for the turn to write and whether it was closed),
/// its own connection (opened at the first batch, and again after one that left it in doubt).
pub(super) struct Lane {
    store: Store,
    file: PathBuf,
    runtime: Handle,
    writes: bool,
    conn: Option<Connection>,
}

impl Lane {
    /// For a batch kind that writes (`writes`) or only reads the database file `file`.
    pub(super) fn new(store: Store, file: &Path, writes: bool) -> Lane {
        Lane { store, file: file.to_owned(), runtime: Handle::current(), writes, conn: None }
    }

    /// `work` in one transaction: a writing lane's holds the turn to write and starts with
    /// `BEGIN IMMEDIATE`; a reading lane's sees one snapshot. Committed when `work` succeeds, else
    /// rolled back (a connection whose ROLLBACK fails is closed, and opened anew next time).
    pub(super) fn transaction<T>(&mut self, work: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let Lane { store, file, runtime, writes, conn } = self;
        let _turn = if *writes { Some(store.write_turn_blocking(runtime)?) } else { None };
        if store.pool.is_closed() {
            *conn = None;
            return Err(StoreError::Db(sqlx::Error::PoolClosed));
        }
        let c = match conn.take() {
            Some(c) => conn.insert(c),
            None => conn.insert(open(file, *writes)?),
        };
        let done = c.execute_batch(if *writes { "BEGIN IMMEDIATE" } else { "BEGIN" }).map_err(StoreError::from).and_then(|()| {
            let value = work(c)?;
            c.execute_batch("COMMIT")?;
            Ok(value)
        });
        if done.is_err() && !c.is_autocommit() && c.execute_batch("ROLLBACK").is_err() {
            *conn = None;
        }
        done
    }
}

/// A connection of a batch thread, set up as sqlx's are (`SQLITE_PRAGMAS`); a reading lane's
/// cannot write.
fn open(file: &Path, writes: bool) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(file, flags)?;
    for pragma in super::SQLITE_PRAGMAS {
        conn.execute_batch(pragma)?;
    }
    if !writes {
        conn.execute_batch("PRAGMA query_only = ON")?;
    }
    Ok(conn)
}

/// The file of a SQLite URL that a batch thread may open too: none for a memory database, one
/// opened otherwise than read-write, or a name sqlx would decode first.
pub(super) fn shared_file(url: &str) -> Option<PathBuf> {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (file, query) = path.split_once('?').unwrap_or((path, ""));
    let read_write = query.split('&').all(|p| p.is_empty() || p == "mode=rwc" || p == "mode=rw");
    (!file.is_empty() && file != ":memory:" && !file.contains('%') && read_write).then(|| PathBuf::from(file))
}

#[cfg(test)]
mod tests {
    use super::shared_file;

    #[test]
    fn only_a_plain_file_is_shared_with_the_batch_threads() {
        assert_eq!(shared_file("sqlite:///tmp/x/e.db?mode=rwc"), Some("/tmp/x/e.db".into()));
        assert_eq!(shared_file("sqlite://e.db"), Some("e.db".into()));
        assert_eq!(shared_file("sqlite:e.db?mode=ro"), None);
        assert_eq!(shared_file("sqlite::memory:"), None);
        assert_eq!(shared_file("sqlite://e.db?mode=memory&cache=shared"), None);
        assert_eq!(shared_file("sqlite:///tmp/a%20b.db"), None);
    }
}
