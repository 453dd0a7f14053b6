//! Group commit: the conversation saves of the turns in flight are written together by one task
//! (a statement for the first saves; then, on SQLite, a one-row `UPDATE` for each other save,
//! see [`sqlite_saves`], and on PostgreSQL one statement for them all; in one transaction
//! whatever the database when web transcript lines go with them), and their chat-state reads
//! answered by one statement; the
//! outbox's claims ended meanwhile are written in one transaction ([`Releases`]), and the people
//! first seen meanwhile added in one statement ([`Persons`]).
//!
//! Why: most of a turn's cost was not the engine nor SQLite's own work but thread hand-offs
//! (sqlx runs each SQLite statement on the connection's worker thread, and each statement is a
//! wake-up there and back) and one commit — a write-ahead-log append — per message. A
//! [`Gather`] takes whatever is queued when its task gets to it — one item when the bot is quiet
//! (no timer, no added wait), dozens under load — and runs them as one batch.
//!
//! Guarantees kept: a turn hears "saved" only after the commit that holds its save (its replies
//! leave after that, as before); the optimistic version check is per row, so a conflict fails
//! only that turn (it re-runs), never the batch; two saves of one person never share a batch
//! (the later waits for the next, so a person's order holds); a batch the database refused
//! before anything of it was written is run again item by item, so one bad item fails only
//! itself; any other failure (the connection, a commit whose outcome is unknown) fails the
//! batch's turns. Answers are per item: when a statement fails after some saves of the batch
//! were written, those saves still count as saved (see [`sqlite_saves`] and [`pooled_saves`]
//! for what the others hear); a batch with web transcript lines is one transaction, refused or
//! written whole.

use std::collections::{HashMap, HashSet, VecDeque};

use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use super::inline::Inline;
use super::outbox::Release;
use super::script::{Answer, Failed, Part, Script};
use super::{AnyQuery, Backend, Result, Store, StoreError, row_placeholders};
use crate::metrics::TurnHolder;

/// Items a batch takes at most (bounded by SQLite's 32,766 parameters: 5 per save).
const MAX_BATCH: usize = 256;

/// One kind of work that can be done for many callers at once.
pub(super) trait Batch: Send + Sync + 'static {
    type Item: Send + Sync + 'static;
    type Answer: Send + 'static;
    /// Items that must not share a batch (the same person's saves) have the same key.
    fn key(_item: &Self::Item) -> Option<i64> {
        None
    }
    /// One answer per item, in order; an item's error fails only that item. An error of the
    /// whole fails the batch; one that is a refusal must mean that nothing of the batch was
    /// written (its items then run alone). Reads go through `reader`.
    fn run(store: &Store, reader: &mut Reader, items: &[Self::Item]) -> impl Future<Output = Result<Vec<Result<Self::Answer>>>> + Send;
}

/// The connection a batch reads through.
pub(super) enum Reader {
    /// SQLite, a batch task's: a connection of its own ([`Inline`]), its statements run in
    /// place on the task's thread, as the writer's are (through sqlx's pool each read was a
    /// hand-off to the connection's worker thread and back, dearer than the read); closed after
    /// a failure that was not a statement's refusal, and opened anew.
    Kept(Option<Inline>),
    /// PostgreSQL, or a batch run without a task: one from the pool for each batch.
    Pooled(Option<sqlx::pool::PoolConnection<sqlx::Any>>),
}

/// A batch's connection for its reads (an sqlx executor).
#[derive(Debug)]
pub(super) enum ReadConn<'r> {
    Inline(&'r mut Inline),
    Pooled(&'r mut sqlx::AnyConnection),
}

impl<'c> sqlx::Executor<'c> for ReadConn<'c> {
    type Database = sqlx::Any;

    fn fetch_many<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> futures_util::stream::BoxStream<'e, std::result::Result<sqlx::Either<sqlx::any::AnyQueryResult, sqlx::any::AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + sqlx::Execute<'q, sqlx::Any>,
    {
        match self {
            ReadConn::Inline(conn) => conn.fetch_many(query),
            ReadConn::Pooled(conn) => conn.fetch_many(query),
        }
    }

    fn fetch_optional<'e, 'q: 'e, E>(
        self,
        query: E,
    ) -> futures_util::future::BoxFuture<'e, std::result::Result<Option<sqlx::any::AnyRow>, sqlx::Error>>
    where
        'c: 'e,
        E: 'q + sqlx::Execute<'q, sqlx::Any>,
    {
        match self {
            ReadConn::Inline(conn) => conn.fetch_optional(query),
            ReadConn::Pooled(conn) => conn.fetch_optional(query),
        }
    }

    fn prepare_with<'e>(
        self,
        sql: sqlx::SqlStr,
        parameters: &'e [sqlx::any::AnyTypeInfo],
    ) -> futures_util::future::BoxFuture<'e, std::result::Result<sqlx::any::AnyStatement, sqlx::Error>>
    where
        'c: 'e,
    {
        match self {
            ReadConn::Inline(conn) => conn.prepare_with(sql, parameters),
            ReadConn::Pooled(conn) => conn.prepare_with(sql, parameters),
        }
    }
}

impl Reader {
    /// A batch task's.
    pub(super) fn for_task(store: &Store) -> Reader {
        match store.backend {
            super::Backend::Sqlite => Reader::Kept(None),
            super::Backend::Postgres => Reader::Pooled(None),
        }
    }

    /// For one batch run without a task.
    pub(super) fn once() -> Reader {
        Reader::Pooled(None)
    }

    pub(super) async fn conn(&mut self, store: &Store) -> Result<ReadConn<'_>> {
        if store.pool.is_closed() {
            *self = Reader::once();
            return Err(StoreError::Db(sqlx::Error::PoolClosed));
        }
        Ok(match self {
            Reader::Kept(kept) => {
                let conn = match (kept.take(), &store.writer) {
                    (Some(conn), _) => conn,
                    (None, Some(slot)) => Inline::open(slot.url(), super::SQLITE_SETTINGS)?,
                    (None, None) => return Err(super::corrupt("a kept reader without SQLite")),
                };
                ReadConn::Inline(kept.insert(conn))
            }
            Reader::Pooled(pooled) => {
                let conn = match pooled.take() {
                    Some(conn) => conn,
                    None => store.pool.acquire().await?,
                };
                ReadConn::Pooled(pooled.insert(conn))
            }
        })
    }

    /// After a batch: a pooled connection goes back; a kept one stays unless the batch failed
    /// otherwise than by a statement's refusal.
    fn after<T>(&mut self, result: &Result<T>) {
        match self {
            Reader::Pooled(pooled) => *pooled = None,
            Reader::Kept(kept) => {
                if result.as_ref().is_err_and(|e| !super::refused(e)) {
                    *kept = None;
                }
            }
        }
    }
}

/// Runs a batch through `reader`, and lets the reader know how it went.
async fn run_batch<B: Batch>(store: &Store, reader: &mut Reader, items: &[B::Item]) -> Result<Vec<Result<B::Answer>>> {
    let ran = B::run(store, reader, items).await;
    reader.after(&ran);
    ran
}

/// One item run alone.
pub(super) async fn run_one<B: Batch>(store: &Store, reader: &mut Reader, item: &B::Item) -> Result<B::Answer> {
    run_batch::<B>(store, reader, std::slice::from_ref(item)).await?.pop().unwrap_or_else(|| Err(super::corrupt("a batch gave no answer")))
}

/// The same failure told to another caller (the error itself is not `Clone`).
fn told_again(e: &StoreError) -> StoreError {
    StoreError::Db(sqlx::Error::Protocol(e.to_string()))
}

type Waiting<B> = (<B as Batch>::Item, oneshot::Sender<Result<<B as Batch>::Answer>>);

/// The queue of one kind of batch; its task ends when the last [`Store`] holding it is dropped.
pub(super) struct Gather<B: Batch> {
    queue: mpsc::UnboundedSender<Waiting<B>>,
}

impl<B: Batch> Clone for Gather<B> {
    fn clone(&self) -> Self {
        Gather { queue: self.queue.clone() }
    }
}

impl<B: Batch> std::fmt::Debug for Gather<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Gather")
    }
}

impl<B: Batch> Gather<B> {
    /// Starts the task. `store` must not hold gatherers itself (or the task would keep its own
    /// queue open for ever); it only runs the batch's statements.
    pub(super) fn start(store: Store) -> Gather<B> {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(gather_loop::<B>(store, waiting));
        Gather { queue }
    }

    /// Queues the item and waits for its answer.
    pub(super) async fn submit(&self, item: B::Item) -> Result<B::Answer> {
        let (answer, answered) = oneshot::channel();
        if self.queue.send((item, answer)).is_err() {
            return Err(super::StoreError::Db(sqlx::Error::PoolClosed));
        }
        answered.await.unwrap_or(Err(super::StoreError::Db(sqlx::Error::PoolClosed)))
    }
}

async fn gather_loop<B: Batch>(store: Store, mut waiting: mpsc::UnboundedReceiver<Waiting<B>>) {
    // Items whose key was already in the batch, for the next one (oldest first).
    let mut deferred: VecDeque<Waiting<B>> = VecDeque::new();
    let mut reader = Reader::for_task(&store);
    loop {
        if deferred.is_empty() {
            match waiting.recv().await {
                Some(first) => deferred.push_back(first),
                None => return,
            }
        }
        // Tokio runs a woken task next on the thread of the task that woke it, as soon as that
        // one awaits: this one, before the turns ready beside it. Yielding once (no timer: the
        // task is back at the runtime's next turn) lets them queue their items first; without
        // it, under load, batches of one ran while the writer (which runs in place, see
        // `inline.rs`) kept this thread from the others.
        tokio::task::yield_now().await;
        while let Ok(next) = waiting.try_recv() {
            deferred.push_back(next);
        }
        let mut keys = HashSet::new();
        let mut batch = Vec::new();
        let mut later = VecDeque::new();
        while let Some(waiting) = deferred.pop_front() {
            let fresh = B::key(&waiting.0).is_none_or(|k| keys.insert(k));
            if fresh && batch.len() < MAX_BATCH { batch.push(waiting) } else { later.push_back(waiting) }
        }
        deferred = later;
        crate::metrics::METRICS.batch_items.observe(batch.len() as f64);
        let (items, answers): (Vec<_>, Vec<_>) = batch.into_iter().unzip();
        match run_batch::<B>(&store, &mut reader, &items).await {
            Ok(results) if results.len() == items.len() => {
                for (answer, result) in answers.into_iter().zip(results) {
                    let _ = answer.send(result);
                }
            }
            // A statement refused the batch (a constraint): nothing of it was written, and one
            // item may be why, so each runs alone and fails only itself.
            Err(e) if super::refused(&e) && items.len() > 1 => {
                for (item, answer) in items.into_iter().zip(answers) {
                    let _ = answer.send(run_one::<B>(&store, &mut reader, &item).await);
                }
            }
            // Anything else (the connection, the pool, a commit whose outcome is unknown) fails
            // every turn of the batch at once, as it would have failed each alone: none is run
            // again here, where a save that did commit would read as a conflict.
            Ok(_) => {
                for answer in answers {
                    let _ = answer.send(Err(super::corrupt("a batch gave no answer for each item")));
                }
            }
            Err(e) => {
                let mut answers = answers.into_iter();
                let first = answers.next();
                for answer in answers {
                    let _ = answer.send(Err(told_again(&e)));
                }
                if let Some(first) = first {
                    let _ = first.send(Err(e));
                }
            }
        }
    }
}

/// A conversation's save, sealed by the caller (encryption runs on the turn's own task).
pub(super) struct SealedSave {
    pub person_id: i64,
    /// The version read; saved as `version + 1` if it is still the stored one (0: a first save).
    pub version: i64,
    pub state: Vec<u8>,
    pub unsent: Option<Vec<u8>>,
    pub now: i64,
    /// The web chat's transcript lines of the turn, sealed.
    pub transcript: Vec<SealedLine>,
}

/// A transcript line as stored: `(at, direction, encrypted body)`.
pub(super) type SealedLine = (i64, &'static str, Vec<u8>);

/// Conversation saves (with their transcript lines, then in one transaction); the answer is
/// whether each was saved (false: someone saved that conversation since it was read).
pub(super) struct Saves;

impl Batch for Saves {
    type Item = SealedSave;
    type Answer = bool;

    fn key(item: &SealedSave) -> Option<i64> {
        Some(item.person_id)
    }

    async fn run(store: &Store, _: &mut Reader, items: &[SealedSave]) -> Result<Vec<Result<bool>>> {
        let (mut first, mut later): (Vec<&SealedSave>, Vec<&SealedSave>) = items.iter().partition(|s| s.version == 0);
        // In person order, so that two instances' batches sharing people usually lock their
        // rows in one order (PostgreSQL, when the plan walks the VALUES in turn; the planner
        // chooses) and do not wait for each other in a circle; a deadlock PostgreSQL breaks
        // anyway is a refusal, and its batch runs again item by item.
        first.sort_unstable_by_key(|s| s.person_id);
        later.sort_unstable_by_key(|s| s.person_id);
        if items.iter().any(|s| !s.transcript.is_empty()) {
            return with_transcript(store, items, &first, &later).await;
        }
        match store.backend {
            Backend::Sqlite => sqlite_saves(store, items, &first, &later).await,
            Backend::Postgres => pooled_saves(store, items, &first, &later).await,
        }
    }
}

/// Whether each item was saved, by the people `saved` holds, or why it failed.
fn answers(items: &[SealedSave], saved: &HashSet<i64>, mut failed: HashMap<i64, StoreError>) -> Vec<Result<bool>> {
    items
        .iter()
        .map(|s| match failed.remove(&s.person_id) {
            Some(e) => Err(e),
            None => Ok(saved.contains(&s.person_id)),
        })
        .collect()
}

/// SQLite: the save of one conversation stored before, if its version is still the one read.
const UPDATE_ONE: &str = "UPDATE conversations SET version = version + 1, state_enc = $3, updated_at = $4, unsent_enc = $5
     WHERE person_id = $1 AND version = $2";

/// SQLite: which save each statement of a batch is for, in order: `None`, the first saves, one
/// statement ([`insert_statement`]); then each other save in a one-row `UPDATE` of its own
/// ([`UPDATE_ONE`]), one text prepared once, rather than one `UPDATE … FROM (VALUES …)
/// RETURNING` as on PostgreSQL: SQLite materialises that join and buffers the rows it returns
/// in ephemeral tables, and its text (so its preparation) differs with each batch size.
fn statement_saves<'a>(first: &[&'a SealedSave], later: &[&'a SealedSave]) -> Vec<Option<&'a SealedSave>> {
    let first = (!first.is_empty()).then_some(None);
    first.into_iter().chain(later.iter().map(|s| Some(*s))).collect()
}

/// The statement of one of [`statement_saves`].
fn sqlite_statement(store: &Store, first: &[&SealedSave], save: Option<&SealedSave>) -> AnyQuery<'static> {
    match save {
        None => insert_statement(store, first),
        Some(s) => sqlx::query(UPDATE_ONE).bind(s.person_id).bind(s.version).bind(s.state.clone()).bind(s.now).bind(s.unsent.clone()),
    }
}

/// `saved` learns whose saves the answer of one of [`statement_saves`] says went through.
fn note_answer(save: Option<&SealedSave>, answer: &Answer, saved: &mut HashSet<i64>) -> Result<()> {
    match save {
        None => note_saved(&answer.rows, saved),
        Some(s) => {
            if answer.result.rows_affected() == 1 {
                saved.insert(s.person_id);
            }
            Ok(())
        }
    }
}

/// The statements of `saves` (some of [`statement_saves`]), as one script.
fn sqlite_script(store: &Store, first: &[&SealedSave], saves: &[Option<&SealedSave>]) -> Result<Script> {
    let mut script = Script::default();
    for save in saves {
        script.push_query(sqlite_statement(store, first, *save), Part::Asked)?;
    }
    Ok(script)
}

/// SQLite, the usual batch: its statements ([`statement_saves`]) in one script on the writer.
///
/// Transaction: the group's if one is open. Otherwise, with two statements or more, one of its
/// own (`WriteConn::join_group`), which stays open as a group that later writes join, its
/// COMMIT the group's. One statement, or a `BEGIN` that failed (the database busy), runs with
/// no transaction: each statement commits itself, waiting up to 10 s for the lock.
///
/// What each turn hears when statement *k* fails (a failed statement writes nothing of its own
/// and stops the script):
/// - *k* is the first, or SQLite ended the transaction: the batch fails with SQLite's error, a
///   refusal, so each save runs again alone. Nothing of the batch is written (in the second
///   case the group's other holders fail too).
/// - *k* is refused by a constraint: that turn gets the refusal; the saves after it run in a
///   new script.
/// - any other failure (a busy database, a full disk): *k* and every save after it get a copy
///   of the error that is not a refusal, so none runs again.
///
/// Saves before *k* answer saved or not (a conflict). Every answer is sent after the COMMIT
/// (`durable`); if it fails, every turn gets its error. A save not written has the group
/// committed at once (the turn reads again, from the pool).
async fn sqlite_saves(store: &Store, items: &[SealedSave], first: &[&SealedSave], later: &[&SealedSave]) -> Result<Vec<Result<bool>>> {
    let saves = statement_saves(first, later);
    // Built before the turn to write is taken, which every other write waits for.
    let mut script = sqlite_script(store, first, &saves)?;
    let mut conn = store.write_turn(TurnHolder::Batch).await?;
    if saves.len() > 1 {
        conn.join_group();
    }
    let (mut saved, mut failed) = (HashSet::new(), HashMap::new());
    let mut next = 0;
    while next < saves.len() {
        let (answered, failure) = match conn.run(std::mem::take(&mut script)).await {
            Ok(answers) => (answers, None),
            Err(Failed { error, answered, .. }) => (answered, Some(StoreError::from(error))),
        };
        for (save, answer) in saves[next..].iter().zip(&answered) {
            note_answer(*save, answer, &mut saved)?;
        }
        next += answered.len();
        let Some(e) = failure else { break };
        // SQLite ended the transaction (a full disk): nothing of the batch is written.
        if conn.lost() || next == 0 {
            return Err(e);
        }
        // Only the batch's first statement is the first saves'; this one is a later save's.
        let Some(Some(save)) = saves.get(next) else { return Err(e) };
        // A constraint's: only its save fails, and those after it (which did not run) are built
        // again, from the next one; anything else fails it and them.
        let rest = match matches!(&e, StoreError::Db(db) if super::inline::constraint(db)) {
            true => {
                failed.insert(save.person_id, e);
                next += 1;
                sqlite_script(store, first, &saves[next..])
            }
            false => Err(e),
        };
        match rest {
            Ok(rest) => script = rest,
            Err(e) => {
                // Not as a refusal: none of them runs again as if refused.
                for s in saves[next..].iter().flatten() {
                    failed.insert(s.person_id, told_again(&e));
                }
                break;
            }
        }
    }
    if saved.len() < items.len() {
        conn.commit_when_done();
    }
    conn.durable(None).await?;
    Ok(answers(items, &saved, failed))
}

/// PostgreSQL, the usual batch: the first saves, then the others, each one statement atomic on
/// its own, with no transaction of the batch's own around them (its BEGIN and COMMIT would be
/// two more round trips).
async fn pooled_saves(store: &Store, items: &[SealedSave], first: &[&SealedSave], later: &[&SealedSave]) -> Result<Vec<Result<bool>>> {
    let mut saved = HashSet::new();
    let mut conn = store.write_turn(TurnHolder::Batch).await?;
    // Refused before anything was written: the batch runs again item by item.
    if let Err(e) = inserts(store, &mut conn, first, &mut saved).await {
        conn.failed_with(&e);
        return Err(e);
    }
    let Err(e) = updates(store, &mut conn, later, &mut saved).await else {
        return Ok(answers(items, &saved, HashMap::new()));
    };
    conn.failed_with(&e);
    if first.is_empty() {
        return Err(e);
    }
    // The first saves are written, so this batch answers for the others itself: each alone if
    // the statement refused them (nothing of it was written), else all failed.
    let mut failed = HashMap::new();
    for s in later {
        let alone = match super::refused(&e) {
            true => updates(store, &mut conn, &[*s], &mut saved).await,
            false => Err(told_again(&e)),
        };
        if let Err(e) = alone {
            failed.insert(s.person_id, e);
        }
    }
    Ok(answers(items, &saved, failed))
}

/// Saves with their web transcript lines: one transaction (a line is never stored without its
/// save). On SQLite the saves are one script ([`statement_saves`]) and the lines ride with its end.
async fn with_transcript(store: &Store, items: &[SealedSave], first: &[&SealedSave], later: &[&SealedSave]) -> Result<Vec<Result<bool>>> {
    let mut saved = HashSet::new();
    let mut tx = store.begin_for(TurnHolder::Batch).await?;
    match store.backend {
        Backend::Sqlite => {
            let saves = statement_saves(first, later);
            let queries = saves.iter().map(|save| sqlite_statement(store, first, *save)).collect();
            for (save, answer) in saves.into_iter().zip(tx.tx.ask_each(queries).await?.iter()) {
                note_answer(save, answer, &mut saved)?;
            }
        }
        Backend::Postgres => {
            updates(store, &mut tx.tx, later, &mut saved).await?;
            inserts(store, &mut tx.tx, first, &mut saved).await?;
        }
    }
    let lines: Vec<(i64, &SealedLine)> = items
        .iter()
        .filter(|s| saved.contains(&s.person_id))
        .flat_map(|s| s.transcript.iter().map(move |line| (s.person_id, line)))
        .collect();
    for chunk in lines.chunks(MAX_BATCH) {
        let sql = format!(
            "INSERT INTO webchat_messages (person_id, at, direction, body_enc) VALUES {}",
            row_placeholders(store.backend, chunk.len(), 4)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (person_id, (at, direction, body)) in chunk {
            query = query.bind(*person_id).bind(*at).bind(*direction).bind(body.clone());
        }
        tx.tx.write_later(query, None).await?;
    }
    if saved.len() < items.len() {
        tx.tx.commit_when_done();
    }
    // A failed COMMIT's outcome is unknown, and `commit` says so with an error that is not a
    // refusal, so no item is run again.
    tx.commit().await?;
    Ok(answers(items, &saved, HashMap::new()))
}

/// The first saves of conversations (none stored yet): one statement; `saved` learns whose
/// went through (not someone else's first save since).
async fn inserts<C>(store: &Store, conn: &mut C, saves: &[&SealedSave], saved: &mut HashSet<i64>) -> Result<()>
where
    for<'c> &'c mut C: sqlx::Executor<'c, Database = sqlx::Any>,
{
    if saves.is_empty() {
        return Ok(());
    }
    note_saved(&insert_statement(store, saves).fetch_all(&mut *conn).await?, saved)
}

/// The saves of conversations stored before, if their version is still the one read: one
/// statement; `saved` learns whose went through.
async fn updates<C>(store: &Store, conn: &mut C, saves: &[&SealedSave], saved: &mut HashSet<i64>) -> Result<()>
where
    for<'c> &'c mut C: sqlx::Executor<'c, Database = sqlx::Any>,
{
    if saves.is_empty() {
        return Ok(());
    }
    note_saved(&update_statement(store, saves).fetch_all(&mut *conn).await?, saved)
}

/// `saved` learns whose saves the rows (`RETURNING person_id`) say went through.
fn note_saved(rows: &[sqlx::any::AnyRow], saved: &mut HashSet<i64>) -> Result<()> {
    for row in rows {
        saved.insert(row.try_get::<i64, _>("person_id")?);
    }
    Ok(())
}

/// The statement of [`inserts`] (not empty).
fn insert_statement(store: &Store, saves: &[&SealedSave]) -> AnyQuery<'static> {
    let sql = format!(
        "INSERT INTO conversations (person_id, version, state_enc, updated_at, unsent_enc) VALUES {}
         ON CONFLICT (person_id) DO NOTHING RETURNING person_id",
        row_placeholders(store.backend, saves.len(), 5)
    );
    // Only placeholders are generated; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for s in saves {
        query = query.bind(s.person_id).bind(1_i64).bind(s.state.clone()).bind(s.now).bind(s.unsent.clone());
    }
    query
}

/// The statement of [`updates`] (not empty).
fn update_statement(store: &Store, saves: &[&SealedSave]) -> AnyQuery<'static> {
    let sql = format!(
        "UPDATE conversations AS c SET version = c.version + 1, state_enc = v.column3, updated_at = v.column4,
                unsent_enc = v.column5
         FROM (VALUES {}) AS v WHERE c.person_id = v.column1 AND c.version = v.column2 RETURNING person_id",
        row_placeholders(store.backend, saves.len(), 5)
    );
    // Only placeholders are generated; every value is bound.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for s in saves {
        query = query.bind(s.person_id).bind(s.version).bind(s.state.clone()).bind(s.now).bind(s.unsent.clone());
    }
    query
}

/// A person's chat state as stored (decrypted by the caller).
#[derive(Clone)]
pub(super) struct StoredChat {
    pub person_id: i64,
    pub version: Option<i64>,
    pub state: Option<Vec<u8>>,
    pub unsent: Option<Vec<u8>>,
    pub open_number: Option<String>,
    pub open_state: Option<String>,
}

impl StoredChat {
    /// From a row of the chat-state query (`chat.rs` and [`Reads`] select the same columns).
    pub(super) fn from_row(row: &sqlx::any::AnyRow) -> Result<StoredChat> {
        Ok(StoredChat {
            person_id: row.try_get("person_id")?,
            version: row.try_get("version")?,
            state: row.try_get("state_enc")?,
            unsent: row.try_get("unsent_enc")?,
            open_number: row.try_get("open_number")?,
            open_state: row.try_get("open_state")?,
        })
    }
}

/// Chat-state reads by the person's transport and id there, in one statement.
pub(super) struct Reads;

impl Batch for Reads {
    type Item = (String, String);
    type Answer = Option<StoredChat>;

    async fn run(store: &Store, reader: &mut Reader, items: &[(String, String)]) -> Result<Vec<Result<Option<StoredChat>>>> {
        // A join with the keys (not `IN`): SQLite then looks each one up in the unique index.
        let sql = format!(
            "SELECT p.id AS person_id, p.transport, p.user_id, c.version, c.state_enc, c.unsent_enc,
                    (SELECT number FROM tickets t WHERE t.person_id = p.id AND t.closed_at IS NULL
                      ORDER BY t.id DESC LIMIT 1) AS open_number,
                    (SELECT state FROM tickets t WHERE t.person_id = p.id AND t.closed_at IS NULL
                      ORDER BY t.id DESC LIMIT 1) AS open_state
             FROM (VALUES {}) AS k JOIN persons p ON p.transport = k.column1 AND p.user_id = k.column2
             LEFT JOIN conversations c ON c.person_id = p.id",
            row_placeholders(store.backend, items.len(), 2)
        );
        // Only placeholders are generated; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (transport, user_id) in items {
            query = query.bind(transport.clone()).bind(user_id.clone());
        }
        let mut found = HashMap::new();
        for row in query.fetch_all(reader.conn(store).await?).await? {
            let key: (String, String) = (row.try_get("transport")?, row.try_get("user_id")?);
            found.insert(key, StoredChat::from_row(&row)?);
        }
        Ok(items.iter().map(|(transport, user_id)| Ok(found.get(&(transport.clone(), user_id.clone())).cloned())).collect())
    }
}

/// `/durum`'s status views of the people asking side by side, in one statement
/// (`tickets.rs` `status_query`).
pub(super) struct Statuses;

impl Batch for Statuses {
    type Item = i64;
    type Answer = Option<crate::core::conversation::StatusView>;

    async fn run(store: &Store, reader: &mut Reader, items: &[i64]) -> Result<Vec<Result<Self::Answer>>> {
        let rows = super::tickets::status_query(store.backend, items).fetch_all(reader.conn(store).await?).await?;
        // In person order: each person's rows side by side.
        let mut of: HashMap<i64, std::ops::Range<usize>> = HashMap::new();
        for (i, row) in rows.iter().enumerate() {
            of.entry(row.try_get("person_id")?).and_modify(|r| r.end = i + 1).or_insert(i..i + 1);
        }
        Ok(items.iter().map(|person| super::tickets::status_of(of.get(person).map_or(&[][..], |r| &rows[r.clone()]))).collect())
    }
}

/// Tickets by id for the notices composed side by side, in one statement (`staff.rs`
/// `tickets_query`): their rows, opened by the caller.
pub(super) struct Tickets;

impl Batch for Tickets {
    type Item = i64;
    type Answer = Option<sqlx::any::AnyRow>;

    async fn run(store: &Store, reader: &mut Reader, items: &[i64]) -> Result<Vec<Result<Self::Answer>>> {
        let mut found = HashMap::new();
        for row in super::staff::tickets_query(store.backend, items).fetch_all(reader.conn(store).await?).await? {
            found.insert(row.try_get::<i64, _>("id")?, row);
        }
        Ok(items.iter().map(|id| Ok(found.get(id).cloned())).collect())
    }
}

/// The outbox's claims ended side by side (`outbox.rs` `release`): one transaction, so one
/// turn to write and one COMMIT for all instead of one each (over the web chat's HTTP API they
/// were more than half the writer's holds). A statement refused fails the transaction, and each
/// runs again alone.
pub(super) struct Releases;

impl Batch for Releases {
    type Item = Release;
    type Answer = ();

    async fn run(store: &Store, _: &mut Reader, items: &[Release]) -> Result<Vec<Result<()>>> {
        if let [alone] = items {
            return Ok(vec![store.end_claim(alone).await]);
        }
        let mut tx = store.begin_for(TurnHolder::Batch).await?;
        for release in items {
            tx.tx.write_later(release.query(), None).await?;
        }
        tx.commit().await?;
        Ok(items.iter().map(|_| Ok(())).collect())
    }
}

/// People found or added by their id on a transport, in one statement (SQLite): `(transport,
/// user id, now)` → the person's id. The first message of each person is one; side by side,
/// each was a turn to write of its own, about a fifth of the writer's holds in
/// `scripts/bench chat`.
pub(super) struct Persons;

impl Batch for Persons {
    type Item = (String, String, i64);
    type Answer = i64;

    async fn run(store: &Store, _: &mut Reader, items: &[(String, String, i64)]) -> Result<Vec<Result<i64>>> {
        store.add_persons(items).await
    }
}

/// Web chat sessions by id, in one statement: `(token hash, person)`.
pub(super) struct Sessions;

impl Batch for Sessions {
    type Item = String;
    type Answer = Option<(String, i64)>;

    async fn run(store: &Store, reader: &mut Reader, items: &[String]) -> Result<Vec<Result<Option<(String, i64)>>>> {
        let sql = format!(
            "SELECT s.id, s.token_hash, s.person_id FROM (VALUES {}) AS k JOIN webchat_sessions s ON s.id = k.column1",
            row_placeholders(store.backend, items.len(), 1)
        );
        // Only placeholders are generated; every value is bound.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in items {
            query = query.bind(id.clone());
        }
        let mut found = HashMap::new();
        for row in query.fetch_all(reader.conn(store).await?).await? {
            found.insert(row.try_get::<String, _>("id")?, (row.try_get("token_hash")?, row.try_get("person_id")?));
        }
        Ok(items.iter().map(|id| Ok(found.get(id).cloned())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::domain::{BirthDate, EmailDomains, FullName, KurumEmail, Tckn, Title};
    use eimza_protocol::Lang;

    fn draft(tckn: &str) -> crate::core::conversation::Draft {
        let domains = EmailDomains { domains: vec!["kurum.gov.tr".into()], allow_subdomains: false };
        crate::core::conversation::Draft {
            consent_at: Some(1),
            tckn: Some(Tckn::parse(tckn).unwrap()),
            name: Some(FullName::parse("Ayşe Yılmaz").unwrap()),
            title: Some(Title::parse("Uzman", &[]).unwrap()),
            email: Some(KurumEmail::parse("ayse@kurum.gov.tr", &domains).unwrap()),
            birth_date: chrono::NaiveDate::from_ymd_opt(1980, 3, 5).map(BirthDate::from_date),
            ..Default::default()
        }
    }

    /// Three people with a ticket each, opened in their order (EIMZA-2027-000001 to 3).
    async fn three_tickets(store: &Store) -> Vec<i64> {
        store.save_institution("Örnek", "{}", 1).await.unwrap();
        let mut people = Vec::new();
        for (i, tckn) in ["10000000146", "12345678950", "23456789138"].into_iter().enumerate() {
            let person = store.person("web", &format!("p{i}"), 1).await.unwrap();
            let mut tx = store.begin().await.unwrap();
            tx.open_ticket(person, &draft(tckn), Lang::Tr, 1_800_000_000_000).await.unwrap();
            tx.commit().await.unwrap();
            people.push(person);
        }
        people
    }

    fn sealed(person_id: i64, version: i64, state: &str) -> SealedSave {
        SealedSave { person_id, version, state: state.as_bytes().to_vec(), unsent: None, now: 1, transcript: Vec::new() }
    }

    /// Each person's stored conversation: its version and state.
    async fn stored(store: &Store, people: &[i64]) -> Vec<Option<(i64, String)>> {
        let mut found = Vec::new();
        for &p in people {
            let row = sqlx::query("SELECT version, state_enc FROM conversations WHERE person_id = $1")
                .bind(p)
                .fetch_optional(&store.pool)
                .await
                .unwrap();
            found.push(row.map(|r| (r.get("version"), String::from_utf8(r.get("state_enc")).unwrap())));
        }
        found
    }

    /// One batch of saves, run as the gather task runs it (a hang is a failure).
    async fn saves(store: &Store, batch: &[SealedSave]) -> Result<Vec<Result<bool>>> {
        let mut reader = Reader::for_task(store);
        let ran = tokio::time::timeout(std::time::Duration::from_secs(20), run_batch::<Saves>(store, &mut reader, batch)).await;
        ran.expect("the batch ends")
    }

    /// Six people with a first save each (`"bir"`), in the order the batch runs their saves.
    async fn six_saved(store: &Store) -> Vec<i64> {
        let mut people = Vec::new();
        for i in 0..6 {
            people.push(store.person("web", &format!("s{i}"), 1).await.unwrap());
        }
        people.sort_unstable();
        let firsts: Vec<SealedSave> = people[..5].iter().map(|&p| sealed(p, 0, "bir")).collect();
        assert!(saves(store, &firsts).await.unwrap().iter().all(|s| matches!(s, Ok(true))));
        people
    }

    /// A batch mixing a first save, saves read at the stored version, a stale version and a
    /// stale first save; the answers expected, and what is stored after it.
    fn mixed(people: &[i64]) -> ([SealedSave; 6], [Option<(i64, String)>; 6]) {
        let batch = [
            sealed(people[5], 0, "iki"),
            sealed(people[3], 1, "iki"),
            sealed(people[2], 1, "iki"),
            sealed(people[1], 7, "iki"),
            sealed(people[0], 1, "iki"),
            sealed(people[4], 0, "iki"),
        ];
        let two = |v: i64, s: &str| Some((v, s.to_owned()));
        (batch, [two(2, "iki"), two(1, "bir"), two(2, "iki"), two(2, "iki"), two(1, "bir"), two(1, "iki")])
    }

    /// A batch of saves on SQLite, a statement each after the first saves': each answered by
    /// its own row (saved, or read stale), and a save a constraint refuses in the middle fails
    /// alone: those before it stay written and those after it are written too. A refusal of
    /// the batch's first statement fails the batch with nothing of it written (it then runs
    /// again item by item).
    #[tokio::test]
    async fn a_save_refused_in_the_middle_of_a_batch_fails_only_itself() {
        let (store, _dir) = super::super::tests::sqlite_store().await;
        let people = six_saved(&store).await;
        // As a constraint would: the trigger's ABORT is SQLite's refusal of that one statement.
        let refuse = format!(
            "CREATE TRIGGER refuse BEFORE UPDATE ON conversations WHEN NEW.person_id = {} BEGIN SELECT RAISE(ABORT, 'refused'); END",
            people[2]
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(refuse)).execute(&store.pool).await.unwrap();
        let (batch, mut expected) = mixed(&people);
        let answers: Vec<Option<bool>> = saves(&store, &batch).await.unwrap().into_iter().map(|a| a.ok()).collect();
        assert_eq!(answers, [Some(true), Some(true), None, Some(false), Some(true), Some(false)]);
        expected[2] = Some((1, "bir".to_owned()));
        assert_eq!(stored(&store, &people).await, expected);

        let batch = [sealed(people[2], 1, "üç"), sealed(people[3], 2, "üç")];
        let failed = saves(&store, &batch).await;
        assert!(failed.as_ref().is_err_and(super::super::refused), "the batch's first statement refused: {:?}", failed.map(|_| ()));
        assert_eq!(stored(&store, &people[2..4]).await, expected[2..4], "nothing of that batch written");
    }

    /// Another connection holds SQLite's write lock when a batch starts: it cannot open a
    /// transaction of its own, so each save commits itself once the lock is free, each still
    /// answered by its own row.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_that_finds_the_database_busy_waits_and_answers_each_save() {
        let (store, _dir) = super::super::tests::sqlite_store().await;
        let people = six_saved(&store).await;
        let mut other = store.pool.acquire().await.unwrap();
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *other).await.unwrap();
        let (batch, expected) = mixed(&people);
        let running = tokio::spawn({
            let store = store.clone();
            async move { saves(&store, &batch).await.unwrap().into_iter().map(|a| a.ok()).collect::<Vec<_>>() }
        });
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(!running.is_finished(), "the batch waits for the lock");
        sqlx::raw_sql("COMMIT").execute(&mut *other).await.unwrap();
        drop(other);
        assert_eq!(running.await.unwrap(), [Some(true), Some(true), Some(true), Some(false), Some(true), Some(false)]);
        assert_eq!(stored(&store, &people).await, expected);
    }

    /// One batch of status views: the rows of its one statement are told apart by person, each
    /// gets their own ticket in the order asked (a person asked twice too), and someone without
    /// a ticket gets none.
    #[tokio::test]
    async fn a_batch_of_status_views_tells_each_persons_rows_apart() {
        let (store, _dir) = super::super::tests::sqlite_store().await;
        let people = three_tickets(&store).await;
        let nobody = store.person("web", "nobody", 1).await.unwrap();
        let asked = [people[2], nobody, people[0], people[1], people[2]];
        let mut reader = Reader::for_task(&store);
        let views = run_batch::<Statuses>(&store, &mut reader, &asked).await.unwrap();
        let numbers: Vec<Option<String>> = views.into_iter().map(|v| v.unwrap().map(|v| v.number.to_string())).collect();
        assert_eq!(
            numbers,
            [Some("EIMZA-2027-000003"), None, Some("EIMZA-2027-000001"), Some("EIMZA-2027-000002"), Some("EIMZA-2027-000003")]
                .map(|n| n.map(str::to_owned))
        );
    }

    /// One batch of tickets by id: each id its own ticket, in the order asked (one asked twice
    /// too), and an id of no ticket none.
    #[tokio::test]
    async fn a_batch_of_tickets_by_id_answers_each_id() {
        let (store, _dir) = super::super::tests::sqlite_store().await;
        three_tickets(&store).await;
        let ids: Vec<i64> =
            sqlx::query("SELECT id FROM tickets ORDER BY id").fetch_all(&store.pool).await.unwrap().iter().map(|r| r.get("id")).collect();
        let asked = [ids[1], 9_999, ids[0], ids[1], ids[2]];
        let mut reader = Reader::for_task(&store);
        let rows = run_batch::<Tickets>(&store, &mut reader, &asked).await.unwrap();
        let numbers: Vec<Option<String>> = rows.into_iter().map(|r| r.unwrap().map(|r| r.get::<String, _>("number"))).collect();
        let expected = [Some("EIMZA-2027-000002"), None, Some("EIMZA-2027-000001"), Some("EIMZA-2027-000002"), Some("EIMZA-2027-000003")];
        assert_eq!(numbers, expected.map(|n| n.map(str::to_owned)));
        let ticket = store.ticket_by_id(ids[2]).await.unwrap().unwrap();
        assert_eq!((ticket.number.as_str(), ticket.name.as_deref()), ("EIMZA-2027-000003", Some("Ayşe Yılmaz")));
    }
}
