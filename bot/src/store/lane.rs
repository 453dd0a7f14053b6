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
//! one `Store::write_turn` gives every transaction, so no transaction of ours meets it at SQLite's
//! lock) and holds it from `BEGIN IMMEDIATE` to `COMMIT`; an item is answered only after that
//! COMMIT. Each item is one statement (a save with its transcript lines is a savepoint), so one
//! the database refuses fails only itself and the rest commit; a failure that ends the
//! transaction, a savepoint that cannot be undone, or a COMMIT that fails, fails every item of
//! the batch, and a connection in doubt is closed. A URL this thread could not open as sqlx did
//! (a memory database, one opened read-only, other open options, an encoded name) keeps its
//! batches on sqlx's connections (`shared_file`).
//!
//! After `Store::close` a thread keeps its connection until its next batch (refused) or until the
//! last `Store` is dropped: harmless for WAL, whose last connection to close checkpoints it.

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
        // Closed: the connection goes too (checked again after waiting for the turn).
        let closed = |conn: &mut Option<Connection>| {
            let closed = store.pool.is_closed();
            if closed {
                *conn = None;
            }
            closed
        };
        if closed(conn) {
            return Err(StoreError::Db(sqlx::Error::PoolClosed));
        }
        let _turn = if *writes { Some(store.write_turn_blocking(runtime)?) } else { None };
        if closed(conn) {
            return Err(StoreError::Db(sqlx::Error::PoolClosed));
        }
        let c = match conn.take() {
            Some(c) => conn.insert(c),
            None => conn.insert(open(file, *writes)?),
        };
        c.execute_batch(if *writes { "BEGIN IMMEDIATE" } else { "BEGIN" })?;
        match work(c) {
            Ok(value) => match c.execute_batch("COMMIT") {
                Ok(()) => Ok(value),
                // Its outcome unknown to us: the connection is not used again (closing it ends
                // whatever it still had open).
                Err(e) => {
                    *conn = None;
                    Err(e.into())
                }
            },
            Err(e) => {
                if !c.is_autocommit() && c.execute_batch("ROLLBACK").is_err() {
                    *conn = None;
                }
                Err(e)
            }
        }
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
    use super::{Lane, shared_file};
    use crate::store::gather::{Batch, Reads, Saves, SealedLine, SealedSave};

    fn sealed(person_id: i64, version: i64, transcript: Vec<SealedLine>) -> SealedSave {
        SealedSave { person_id, version, state: b"durum".to_vec(), unsent: None, now: 5, transcript }
    }

    /// On a batch thread an item fails alone, in the batch's one transaction: a save the database
    /// refuses, a save whose transcript line is refused (its savepoint takes the save back too),
    /// a row that cannot be read; the others are answered and kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_item_fails_alone_and_a_refused_line_takes_its_save_back() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.db");
        let store = crate::store::Store::connect(&format!("sqlite:{}", file.display()), crate::vault::Vault::from_master_key(&[5; 32]))
            .await
            .unwrap();
        let (a, b) = (store.person("telegram", "a", 1).await.unwrap(), store.person("telegram", "b", 1).await.unwrap());
        let pool = store.pool.clone();
        // (the conversation's version, its transcript lines)
        let kept = |person: i64| {
            let pool = pool.clone();
            async move {
                let sql = "SELECT (SELECT version FROM conversations WHERE person_id = $1), (SELECT COUNT(*) FROM webchat_messages WHERE person_id = $1)";
                let row = sqlx::query(sql).bind(person).fetch_one(&pool).await.unwrap();
                (sqlx::Row::get::<i64, _>(&row, 0), sqlx::Row::get::<i64, _>(&row, 1))
            }
        };
        let mut lane = {
            let (store, file) = (store.clone(), file.clone());
            tokio::task::spawn_blocking(move || Lane::new(store, &file, true)).await.unwrap()
        };
        let (mut lane, answers) = tokio::task::spawn_blocking(move || {
            // 999999 is nobody: its first save breaks a foreign key.
            let answers = Saves::run_on(&mut lane, &[sealed(a, 0, vec![]), sealed(999_999, 0, vec![]), sealed(b, 0, vec![])]).unwrap();
            (lane, answers)
        })
        .await
        .unwrap();
        assert!(matches!(answers[..], [Ok(true), Err(_), Ok(true)]), "{answers:?}");

        // This connection refuses a line whose direction is 'bozuk'.
        let trigger = "CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.webchat_messages WHEN NEW.direction = 'bozuk'
                       BEGIN SELECT RAISE(ABORT, 'refused'); END";
        lane.conn.as_ref().unwrap().execute_batch(trigger).unwrap();
        let answers = tokio::task::spawn_blocking(move || {
            let a_said = vec![(5, "in", b"merhaba".to_vec()), (5, "bozuk", b"x".to_vec())];
            let b_said = vec![(5, "in", b"selam".to_vec())];
            Saves::run_on(&mut lane, &[sealed(a, 1, a_said), sealed(b, 1, b_said), sealed(a, 7, vec![(5, "in", b"eski".to_vec())])])
                .unwrap()
        })
        .await
        .unwrap();
        assert!(matches!(answers[..], [Err(_), Ok(true), Ok(false)]), "{answers:?}");
        assert_eq!(kept(a).await, (1, 0), "a's save went back with its lines");
        assert_eq!(kept(b).await, (2, 1));

        // A row that cannot be read fails only its own look-up.
        sqlx::query("UPDATE conversations SET version = 'bozuk' WHERE person_id = $1").bind(b).execute(&store.pool).await.unwrap();
        let found = {
            let (store, file) = (store.clone(), file.clone());
            tokio::task::spawn_blocking(move || {
                let keys = [("telegram", "a"), ("telegram", "b"), ("telegram", "kimse")].map(|(t, u)| (t.to_owned(), u.to_owned()));
                Reads::run_on(&mut Lane::new(store, &file, false), &keys).unwrap()
            })
            .await
            .unwrap()
        };
        assert!(
            matches!(&found[..], [Ok(Some(chat)), Err(_), Ok(None)] if chat.person_id == a && chat.version == Some(1)),
            "{:?}",
            found.iter().map(|f| f.as_ref().map(|c| c.as_ref().map(|c| c.person_id))).collect::<Vec<_>>()
        );
    }

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
