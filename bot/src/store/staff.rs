//! What the staff desk reads: ticket lists (filters, search, paging, sorting), counts by state,
//! timelines, internal notes, and — for the corporate application only — the full data. TC
//! Kimlik No is decrypted to be masked, except in [`Store::corporate_data`].

use sqlx::Row;

use super::tickets::TCKN;
use super::{Result, Store, corrupt, opt};
use crate::core::domain::Tckn;
use crate::core::ticket::TicketState;

/// Whose tickets the desk shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AssignedFilter {
    #[default]
    Anyone,
    /// Assigned to this account.
    To(String),
    Nobody,
}

/// The list's order; each maps to a fixed `ORDER BY` (nothing from the request reaches SQL).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Number,
    /// The last change of state: how long it has waited.
    Waiting,
    State,
    Name,
}

impl SortKey {
    pub const ALL: [SortKey; 4] = [SortKey::Number, SortKey::Waiting, SortKey::State, SortKey::Name];

    pub fn code(self) -> &'static str {
        match self {
            SortKey::Number => "number",
            SortKey::Waiting => "waiting",
            SortKey::State => "state",
            SortKey::Name => "name",
        }
    }

    pub fn parse(s: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.code() == s)
    }

    fn order_by(self, descending: bool) -> &'static str {
        match (self, descending) {
            (SortKey::Number, false) => "id ASC",
            (SortKey::Number, true) => "id DESC",
            // Waiting longest = changed longest ago: "descending" wait is ascending time.
            (SortKey::Waiting, true) => "updated_at ASC, id ASC",
            (SortKey::Waiting, false) => "updated_at DESC, id DESC",
            (SortKey::State, false) => "state ASC, id DESC",
            (SortKey::State, true) => "state DESC, id DESC",
            (SortKey::Name, false) => "name_fold ASC, id DESC",
            (SortKey::Name, true) => "name_fold DESC, id DESC",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    pub state: Option<TicketState>,
    /// A ticket number, a full TC Kimlik No, or part of a name or e-mail address.
    pub search: Option<String>,
    pub assigned: AssignedFilter,
    /// Only open tickets whose state last changed before this time (ms): the "waiting longer
    /// than N working days" filter, its cut-off computed by the caller from the calendar.
    pub changed_before: Option<i64>,
    pub sort: SortKey,
    /// Ascending instead of the default descending (newest number, longest wait first).
    pub ascending: bool,
    pub limit: i64,
    pub offset: i64,
}

/// One page of the desk's list.
#[derive(Clone, Debug)]
pub struct DeskPage {
    pub rows: Vec<TicketRow>,
    /// How many match the filter over all pages.
    pub total: i64,
}

/// An internal note (never shown to the person).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteRow {
    pub at: i64,
    pub author: String,
    pub text: String,
}

/// What Kamu SM's corporate application asks for, in full: shown only to officers, each time
/// written to the access log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorporateData {
    pub tckn: String,
    pub name: String,
    pub title: String,
    pub email: String,
    pub birth_date: chrono::NaiveDate,
}

/// Encryption purpose of internal notes.
pub(super) const NOTE: &str = "ticket-note";

const TICKET_COLUMNS: &str = "id, number, state, name, tckn_enc, title, email, created_at, updated_at, lang, assigned_to";

/// The rows of the tickets `ids` (the ids are bound, never spliced).
pub(super) fn tickets_query(backend: super::Backend, ids: &[i64]) -> super::AnyQuery<'static> {
    let list = super::row_placeholders(backend, ids.len(), 1);
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE id IN ({list})");
    ids.iter().fold(sqlx::query(sqlx::AssertSqlSafe(sql)), |query, id| query.bind(*id))
}

#[derive(Clone, Debug, PartialEq)]
pub struct TicketRow {
    pub id: i64,
    pub number: String,
    pub state: TicketState,
    /// `None` once personal data is erased.
    pub name: Option<String>,
    pub tckn_masked: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The applicant's language, for what is sent to them.
    pub lang: eimza_protocol::Lang,
    /// The staff account working on it.
    pub assigned_to: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventRow {
    pub at: i64,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub event: String,
    pub from_state: String,
    pub to_state: String,
    pub note: Option<String>,
    /// What the note is about (a certificate's serial, a refusal's reason, a cancel reason).
    pub detail: Option<String>,
}

/// What the staff view shows for a value that does not decrypt.
pub const UNREADABLE: &str = "???********";

impl Store {
    fn ticket_row(&self, row: &sqlx::any::AnyRow) -> Result<TicketRow> {
        let state: String = row.try_get("state")?;
        // A value that does not open (a damaged row, a restore gone wrong) is shown as such and
        // logged: one bad row must not take the whole list down.
        let tckn_masked = match opt::<Vec<u8>>(row, "tckn_enc")? {
            Some(sealed) => match self.vault.decrypt_str(TCKN, &sealed).ok().and_then(|plain| Tckn::parse(&plain).ok()) {
                Some(tckn) => Some(tckn.masked()),
                None => {
                    tracing::error!(ticket = %row.try_get::<String, _>("number").unwrap_or_default(), "a ticket's T.C. Kimlik No does not decrypt");
                    Some(UNREADABLE.to_owned())
                }
            },
            None => None,
        };
        Ok(TicketRow {
            id: row.try_get("id")?,
            number: row.try_get("number")?,
            state: TicketState::from_code(&state).ok_or_else(|| corrupt("unknown state"))?,
            name: opt(row, "name")?,
            tckn_masked,
            title: opt(row, "title")?,
            email: opt(row, "email")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
            lang: eimza_protocol::Lang::from_tag(&row.try_get::<String, _>("lang")?).unwrap_or_default(),
            assigned_to: opt(row, "assigned_to")?,
        })
    }

    /// The tickets matching `filter`, one page of them.
    pub async fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketRow>> {
        Ok(self.desk_page(filter).await?.rows)
    }

    /// One page of the desk's list and how many match in all.
    pub async fn desk_page(&self, filter: &TicketFilter) -> Result<DeskPage> {
        let state = filter.state.map(|s| s.code().to_owned()).unwrap_or_default();
        let search = filter.search.as_deref().map(str::trim).unwrap_or("");
        let number = search.to_ascii_uppercase();
        let tckn_hash = Tckn::parse(search).ok().map(|t| self.vault.lookup_hash(TCKN, t.as_str())).unwrap_or_default();
        let like = format!("%{}%", eimza_protocol::turkish::fold(search).replace(['%', '_'], ""));
        let (assigned_mode, assigned_to) = match &filter.assigned {
            AssignedFilter::Anyone => (0_i64, String::new()),
            AssignedFilter::To(name) => (1, name.clone()),
            AssignedFilter::Nobody => (2, String::new()),
        };
        // One statement for every filter: empty parameters switch their condition off.
        let condition = "($1 = '' OR state = $1)
               AND ($2 = 1 OR number = $3 OR tckn_hash = $4 OR name_fold LIKE $5 OR LOWER(email) LIKE $5)
               AND ($6 = 0 OR ($6 = 1 AND assigned_to = $7) OR ($6 = 2 AND assigned_to IS NULL))
               AND ($8 = 0 OR (closed_at IS NULL AND updated_at < $8))";
        let bind = |sql: String| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(state.clone())
                .bind(search.is_empty() as i64)
                .bind(number.clone())
                .bind(tckn_hash.clone())
                .bind(like.clone())
                .bind(assigned_mode)
                .bind(assigned_to.clone())
                .bind(filter.changed_before.unwrap_or(0))
        };
        let total: i64 = bind(format!("SELECT COUNT(*) AS n FROM tickets WHERE {condition}")).fetch_one(&self.pool).await?.try_get("n")?;
        let rows = bind(format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE {condition} ORDER BY {} LIMIT $9 OFFSET $10",
            filter.sort.order_by(!filter.ascending)
        ))
        .bind(filter.limit.clamp(1, 10_000))
        .bind(filter.offset.max(0))
        .fetch_all(&self.pool)
        .await?;
        Ok(DeskPage { rows: rows.iter().map(|r| self.ticket_row(r)).collect::<Result<_>>()?, total })
    }

    /// How many tickets are in each state.
    pub async fn counts_by_state(&self) -> Result<Vec<(TicketState, i64)>> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS n FROM tickets GROUP BY state").fetch_all(&self.pool).await?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in &rows {
            let state: String = row.try_get("state")?;
            counts.push((TicketState::from_code(&state).ok_or_else(|| corrupt("unknown state"))?, row.try_get("n")?));
        }
        Ok(counts)
    }

    /// The open tickets as the daily digest sees them: number, state, when it last changed.
    pub async fn open_ticket_clocks(&self) -> Result<Vec<(String, TicketState, i64)>> {
        let rows =
            sqlx::query("SELECT number, state, updated_at FROM tickets WHERE closed_at IS NULL ORDER BY id").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get("state")?;
                Ok((
                    r.try_get("number")?,
                    TicketState::from_code(&state).ok_or_else(|| corrupt("unknown state"))?,
                    r.try_get("updated_at")?,
                ))
            })
            .collect()
    }

    /// The full data for the corporate application; `None` once erased (or never complete).
    pub async fn corporate_data(&self, ticket_id: i64) -> Result<Option<CorporateData>> {
        let Some(row) = sqlx::query("SELECT tckn_enc, birth_enc, name, title, email FROM tickets WHERE id = $1")
            .bind(ticket_id)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let (Some(tckn), Some(birth), Some(name), Some(title), Some(email)) = (
            opt::<Vec<u8>>(&row, "tckn_enc")?,
            opt::<Vec<u8>>(&row, "birth_enc")?,
            opt::<String>(&row, "name")?,
            opt::<String>(&row, "title")?,
            opt::<String>(&row, "email")?,
        ) else {
            return Ok(None);
        };
        let tckn = self.vault.decrypt_str(TCKN, &tckn).map_err(|_| corrupt("a T.C. Kimlik No does not decrypt"))?;
        let birth = self.vault.decrypt_str(super::tickets::BIRTH, &birth).map_err(|_| corrupt("a birth date does not decrypt"))?;
        let birth_date = chrono::NaiveDate::parse_from_str(&birth, "%Y-%m-%d").map_err(|_| corrupt("a birth date"))?;
        Ok(Some(CorporateData { tckn, name, title, email, birth_date }))
    }

    /// The ticket's internal notes, oldest first.
    pub async fn ticket_notes(&self, ticket_id: i64) -> Result<Vec<NoteRow>> {
        let rows = sqlx::query("SELECT at, author, body_enc FROM ticket_notes WHERE ticket_id = $1 ORDER BY id")
            .bind(ticket_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let sealed: Vec<u8> = r.try_get("body_enc")?;
                let text = self.vault.decrypt_str(NOTE, &sealed).unwrap_or_else(|_| UNREADABLE.to_owned());
                Ok(NoteRow { at: r.try_get("at")?, author: r.try_get("author")?, text })
            })
            .collect()
    }

    /// One ticket by its id (for composing its notices). The notices composed side by side
    /// read theirs in one statement ([`super::gather::Tickets`]); on SQLite through a connection
    /// of the batch task's own, not the pool's (each read there was a hand-off to a worker
    /// thread and back, and the unmapping of its memory map when the log had changed since).
    pub async fn ticket_by_id(&self, id: i64) -> Result<Option<TicketRow>> {
        let row = match &self.tickets {
            Some(tickets) => tickets.submit(id).await?,
            None => tickets_query(self.backend, &[id]).fetch_optional(&self.pool).await?,
        };
        row.map(|r| self.ticket_row(&r)).transpose()
    }

    pub async fn ticket_detail(&self, number: &str) -> Result<Option<(TicketRow, Vec<EventRow>)>> {
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT {TICKET_COLUMNS} FROM tickets WHERE number = $1")))
            .bind(number.trim().to_ascii_uppercase())
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let ticket = self.ticket_row(&row)?;
        let events = sqlx::query(
            "SELECT at, actor_kind, actor_id, event, from_state, to_state, note, detail FROM ticket_events
             WHERE ticket_id = $1 ORDER BY id",
        )
        .bind(ticket.id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(|e| {
            Ok(EventRow {
                at: e.try_get("at")?,
                actor_kind: e.try_get("actor_kind")?,
                actor_id: opt(e, "actor_id")?,
                event: e.try_get("event")?,
                from_state: e.try_get("from_state")?,
                to_state: e.try_get("to_state")?,
                note: opt(e, "note")?,
                detail: opt(e, "detail")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
        Ok(Some((ticket, events)))
    }
}

impl super::Tx<'_> {
    /// Assigns the ticket to an account (`None`: to nobody) and notes it in the history, naming
    /// who did it; the ticket's clock does not move (it measures waiting, not handling).
    /// `false` when it already was so.
    pub async fn assign_ticket(&mut self, ticket_id: i64, to: Option<&str>, actor: &super::Actor, now: i64) -> Result<bool> {
        let row = sqlx::query("SELECT assigned_to FROM tickets WHERE id = $1").bind(ticket_id).fetch_one(&mut self.tx).await?;
        if opt::<String>(&row, "assigned_to")?.as_deref() == to {
            return Ok(false);
        }
        sqlx::query("UPDATE tickets SET assigned_to = $2 WHERE id = $1")
            .bind(ticket_id)
            .bind(to.map(str::to_owned))
            .execute(&mut self.tx)
            .await?;
        let (event, note) = match to {
            Some(_) => ("assigned", "history-assigned"),
            None => ("released", "history-released"),
        };
        self.note_on_ticket(&super::TicketNote { ticket_id, actor, event, note: Some(note), detail: to, at: now }).await?;
        Ok(true)
    }

    /// An internal note, encrypted (staff may write anything about the person); the history
    /// says that one was written, not what. `false` when the ticket's personal data is already
    /// erased (read under the row's lock, so an erasure cannot slip in between).
    pub async fn add_ticket_note(&mut self, ticket_id: i64, actor: &super::Actor, text: &str, now: i64) -> Result<bool> {
        let select = match self.store.backend() {
            super::Backend::Postgres => "SELECT purged_at FROM tickets WHERE id = $1 FOR UPDATE",
            super::Backend::Sqlite => "SELECT purged_at FROM tickets WHERE id = $1",
        };
        let row = sqlx::query(select).bind(ticket_id).fetch_one(&mut self.tx).await?;
        if opt::<i64>(&row, "purged_at")?.is_some() {
            return Ok(false);
        }
        let author = actor.id.clone().unwrap_or_default();
        sqlx::query("INSERT INTO ticket_notes (ticket_id, author, body_enc, at) VALUES ($1, $2, $3, $4)")
            .bind(ticket_id)
            .bind(author)
            .bind(self.store.vault.encrypt_str(NOTE, text))
            .bind(now)
            .execute(&mut self.tx)
            .await?;
        self.note_on_ticket(&super::TicketNote {
            ticket_id,
            actor,
            event: "internal-note",
            note: Some("history-internal-note"),
            detail: None,
            at: now,
        })
        .await?;
        Ok(true)
    }

    /// Takes the day's digest: `true` for the first instance to ask (the row commits with the
    /// digest's outbox messages, so a crash in between leaves neither).
    pub async fn claim_digest_day(&mut self, day: &str, now: i64) -> Result<bool> {
        let done = sqlx::query("INSERT INTO digest_runs (day, at) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING")
            .bind(day.to_owned())
            .bind(now)
            .execute(&mut self.tx)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
