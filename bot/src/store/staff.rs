//! What the staff side reads: ticket lists, search and timelines. TC Kimlik No is decrypted
//! only to be masked; the birth date is never read here.

use sqlx::Row;

use super::tickets::TCKN;
use super::{Result, Store, corrupt, opt};
use crate::core::domain::Tckn;
use crate::core::ticket::TicketState;

#[derive(Clone, Debug, Default)]
pub struct TicketFilter {
    pub state: Option<TicketState>,
    /// A ticket number, a full TC Kimlik No, or part of a name or e-mail address.
    pub search: Option<String>,
    pub limit: i64,
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
        })
    }

    pub async fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketRow>> {
        let state = filter.state.map(|s| s.code().to_owned()).unwrap_or_default();
        let search = filter.search.as_deref().map(str::trim).unwrap_or("");
        let number = search.to_ascii_uppercase();
        let tckn_hash = Tckn::parse(search).ok().map(|t| self.vault.lookup_hash(TCKN, t.as_str())).unwrap_or_default();
        let like = format!("%{}%", eimza_protocol::turkish::fold(search).replace(['%', '_'], ""));
        // One statement for every filter: empty parameters switch their condition off.
        let rows = sqlx::query(
            "SELECT id, number, state, name, tckn_enc, title, email, created_at, updated_at, lang FROM tickets
             WHERE ($1 = '' OR state = $1)
               AND ($2 = 1 OR number = $3 OR tckn_hash = $4 OR name_fold LIKE $5 OR LOWER(email) LIKE $5)
             ORDER BY id DESC LIMIT $6",
        )
        .bind(state)
        .bind(search.is_empty() as i64)
        .bind(number)
        .bind(tckn_hash)
        .bind(like)
        .bind(filter.limit.clamp(1, 1000))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| self.ticket_row(r)).collect()
    }

    /// One ticket by its id (for composing its notices).
    pub async fn ticket_by_id(&self, id: i64) -> Result<Option<TicketRow>> {
        let row =
            sqlx::query("SELECT id, number, state, name, tckn_enc, title, email, created_at, updated_at, lang FROM tickets WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|r| self.ticket_row(&r)).transpose()
    }

    pub async fn ticket_detail(&self, number: &str) -> Result<Option<(TicketRow, Vec<EventRow>)>> {
        let Some(row) = sqlx::query(
            "SELECT id, number, state, name, tckn_enc, title, email, created_at, updated_at, lang FROM tickets WHERE number = $1",
        )
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
