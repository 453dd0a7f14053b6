//! A ticket's page: what it is and how long it has waited, the corporate-application data for
//! officers (each look in the access log), the staff steps, assignment, the answer to the
//! person, internal notes, the timeline, the person's PCs, and who looked at what.

use std::net::SocketAddr;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use eimza_protocol::{Arg, Lang};
use serde::Deserialize;

use super::{actor, clean_text, client_address, csrf_field, failed, may_post, page, said, signed_in};
use crate::clock;
use crate::core::button::StaffAction;
use crate::core::staff::{self, Role};
use crate::core::ticket::TicketState;
use crate::i18n::Texts;
use crate::store::{CorporateData, StaffSession, TicketRow};
use crate::web::{AppState, escape};

/// A cancel reason is one short line of text.
const MAX_REASON: usize = 300;
/// An answer or an internal note.
const MAX_TEXT: usize = 2000;

/// What a post adds to the page it shows.
#[derive(Default)]
struct Extras {
    /// The outcome of an action: (it worked, what to say).
    said: Option<(bool, String)>,
    revealed: Option<CorporateData>,
    /// 400 when the form itself was wrong.
    bad_input: bool,
}

impl Extras {
    fn done(ok: bool, text: String) -> Extras {
        Extras { said: Some((ok, text)), ..Extras::default() }
    }

    /// The form was wrong: said, and the page again with 400.
    fn bad(text: String) -> Extras {
        Extras { said: Some((false, text)), bad_input: true, ..Extras::default() }
    }
}

/// `GET /staff/tickets/{number}`.
pub async fn show(State(state): State<AppState>, Path(number): Path<String>, headers: HeaderMap) -> Response {
    let here = format!("/staff/tickets/{}", url::form_urlencoded::byte_serialize(number.as_bytes()).collect::<String>());
    let (session, lang) = match signed_in(&state, &headers, Role::Viewer, &here).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    render(&state, &session, lang, &number, Extras::default()).await
}

fn action_code(action: StaffAction) -> &'static str {
    match action {
        StaffAction::Cancel => "cancel",
        StaffAction::CorporateApplied => "corporate-applied",
        StaffAction::FormEmailSent => "form-email-sent",
        StaffAction::ResendCardStep => "resend-card-step",
    }
}

/// The full data is shown only while the institutional application is being made (data
/// minimisation): after e-Onay, and until the renewal-form e-mail is out.
fn reveal_allowed(state: TicketState) -> bool {
    matches!(state, TicketState::EOnayDone | TicketState::CorporateApplied)
}

/// The staff step the ticket's state calls for.
fn next_step(state: TicketState) -> Option<StaffAction> {
    match state {
        TicketState::CardStep => Some(StaffAction::ResendCardStep),
        TicketState::EOnayDone => Some(StaffAction::CorporateApplied),
        TicketState::CorporateApplied => Some(StaffAction::FormEmailSent),
        _ => None,
    }
}

async fn render(state: &AppState, session: &StaffSession, lang: Lang, number: &str, extras: Extras) -> Response {
    let texts = state.service.texts();
    let store = state.service.store();
    let found = match store.ticket_detail(number).await {
        Ok(f) => f,
        Err(e) => return failed(texts, lang, e),
    };
    let Some((ticket, events)) = found else {
        return said(texts, lang, Some(session), StatusCode::NOT_FOUND, &texts.get(lang, "staff-not-found"));
    };
    let officer = session.account.role.may(Role::Officer);
    // Notes may say anything about the person: only the roles that may see their data read them.
    let notes = async {
        match officer {
            true => store.ticket_notes(ticket.id).await,
            false => Ok(Vec::new()),
        }
    };
    let loaded = tokio::try_join!(store.agents_of_ticket(&ticket.number), notes, store.audit_log(Some(ticket.id), 50), store.accounts());
    let (agents, notes, access, accounts) = match loaded {
        Ok(l) => l,
        Err(e) => return failed(texts, lang, e),
    };
    let view = View {
        texts,
        lang,
        session,
        ticket: &ticket,
        target: format!("/staff/tickets/{}", escape(&ticket.number)),
        csrf: csrf_field(session),
        officer,
    };
    let mut body = format!("<nav class=\"crumbs\"><a href=\"/staff\">{}</a></nav>", view.t("staff-back"));
    if let Some((ok, text)) = &extras.said {
        body.push_str(&format!("<p class=\"{}\" role=\"status\">{}</p>", if *ok { "flash" } else { "notice" }, escape(text)));
    }
    body.push_str(&view.facts(&state.calendar));
    body.push_str(&view.corporate(extras.revealed.as_ref()));
    body.push_str(&view.actions(&accounts));
    body.push_str(&view.notes(&notes));
    body.push_str(&timeline(texts, lang, &events));
    body.push_str(&view.agents(&agents));
    body.push_str(&view.access(&access));
    let title = texts.with(lang, "staff-ticket-title", &[("ticket", ticket.number.clone().into())]);
    let status = if extras.bad_input { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    (status, Html(page(texts, lang, Some(session), &title, &body))).into_response()
}

/// A ticket's page, section by section.
struct View<'a> {
    texts: &'a Texts,
    lang: Lang,
    session: &'a StaffSession,
    ticket: &'a TicketRow,
    /// The ticket page's path (escaped), the forms post below it.
    target: String,
    csrf: String,
    officer: bool,
}

impl View<'_> {
    fn t(&self, id: &str) -> String {
        escape(&self.texts.get(self.lang, id))
    }

    fn gone(&self) -> String {
        format!("<span class=\"deleted\">{}</span>", self.t("staff-personal-data-deleted"))
    }

    /// What it is, whose it is, how long it has waited.
    fn facts(&self, calendar: &crate::core::workdays::Calendar) -> String {
        let (texts, lang, ticket) = (self.texts, self.lang, self.ticket);
        let now = clock::now_ms();
        let waited = ticket
            .state
            .is_open()
            .then(|| staff::waiting_days(calendar, clock::istanbul_today(ticket.updated_at), clock::istanbul_today(now)));
        let value = |v: &Option<String>| v.as_deref().map(escape).unwrap_or_else(|| self.gone());
        let rows = [
            ("staff-col-state", format!("<strong>{}</strong>", self.t(ticket.state.message_id()))),
            (
                "staff-col-waiting",
                escape(&waited.map(|d| texts.with(lang, "staff-waiting-days", &[("days", d.into())])).unwrap_or_else(|| "—".into())),
            ),
            ("staff-col-assigned", escape(ticket.assigned_to.as_deref().unwrap_or("—"))),
            ("staff-col-name", value(&ticket.name)),
            ("staff-col-tckn", value(&ticket.tckn_masked)),
            ("staff-col-title", value(&ticket.title)),
            ("staff-col-email", value(&ticket.email)),
            ("staff-col-opened", escape(&texts.datetime(lang, ticket.created_at))),
        ];
        let items: String = rows.iter().map(|(label, v)| format!("<dt>{}</dt><dd>{v}</dd>", self.t(label))).collect();
        format!("<dl class=\"facts\">{items}</dl>")
    }

    /// The corporate application's data: officers only, each look written down.
    fn corporate(&self, revealed: Option<&CorporateData>) -> String {
        let (target, csrf) = (&self.target, &self.csrf);
        let inner = match (revealed, self.officer) {
            (Some(data), _) => {
                let row = |label: &str, v: &str| format!("<dt>{}</dt><dd><output>{}</output></dd>", self.t(label), escape(v));
                format!(
                    "<dl class=\"corporate\" id=\"corporate-data\">{}{}{}{}{}</dl><p class=\"hint\">{}</p>",
                    row("staff-col-tckn", &data.tckn),
                    row("staff-col-name", &data.name),
                    row("staff-col-title", &data.title),
                    row("staff-col-email", &data.email),
                    row("staff-col-birth", &data.birth_date.format("%d.%m.%Y").to_string()),
                    self.t("staff-corporate-logged"),
                )
            }
            (None, true) if self.ticket.name.is_some() && !reveal_allowed(self.ticket.state) => {
                format!("<p class=\"hint\">{}</p>", self.t("staff-corporate-not-now"))
            }
            (None, true) if self.ticket.name.is_some() => format!(
                "<form method=\"post\" action=\"{target}/reveal\">{csrf}<button type=\"submit\">{}</button></form><p class=\"hint\">{}</p>",
                self.t("staff-corporate-reveal"),
                self.t("staff-corporate-reveal-hint"),
            ),
            (None, true) => format!("<p>{}</p>", self.gone()),
            (None, false) => format!("<p class=\"hint\">{}</p>", self.t("staff-corporate-officers-only")),
        };
        format!("<section aria-labelledby=\"corporate\"><h2 id=\"corporate\">{}</h2>{inner}</section>", self.t("staff-corporate-title"))
    }

    /// The staff steps, assignment and the answer to the person: officers, open tickets.
    fn actions(&self, accounts: &[crate::store::Account]) -> String {
        let ticket = self.ticket;
        if !self.officer || !ticket.state.is_open() {
            return String::new();
        }
        let (target, csrf) = (&self.target, &self.csrf);
        let mut html = format!("<section aria-labelledby=\"actions\"><h2 id=\"actions\">{}</h2>", self.t("staff-actions"));
        if let Some(action) = next_step(ticket.state) {
            html.push_str(&format!(
                "<form method=\"post\" action=\"{target}/actions\">{csrf}<input type=\"hidden\" name=\"action\" value=\"{}\"><button type=\"submit\" class=\"primary\">{}</button></form>",
                action_code(action),
                self.t(action.label_id()),
            ));
        }
        html.push_str(&format!(
            "<form method=\"post\" action=\"{target}/actions\">{csrf}<input type=\"hidden\" name=\"action\" value=\"cancel\">\
             <label>{} <input name=\"reason\" required maxlength=\"{MAX_REASON}\"></label> <button type=\"submit\">{}</button></form>",
            self.t("staff-cancel-reason"),
            self.t(StaffAction::Cancel.label_id()),
        ));
        // Assignment: claim, release, or give it to another officer.
        let mine = ticket.assigned_to.as_deref() == Some(self.session.account.name.as_str());
        html.push_str(&format!("<form method=\"post\" action=\"{target}/assign\" class=\"inline\">{csrf}"));
        if !mine {
            html.push_str(&format!("<button type=\"submit\" name=\"to\" value=\"me\">{}</button> ", self.t("staff-claim")));
        }
        if ticket.assigned_to.is_some() {
            html.push_str(&format!("<button type=\"submit\" name=\"to\" value=\"\">{}</button> ", self.t("staff-release")));
        }
        html.push_str("</form>");
        let others: String = accounts
            .iter()
            .filter(|a| a.disabled_at.is_none() && a.role.may(Role::Officer))
            .map(|a| format!("<option value=\"{0}\">{0}</option>", escape(&a.name)))
            .collect();
        html.push_str(&format!(
            "<form method=\"post\" action=\"{target}/assign\" class=\"inline\">{csrf}<label>{} <select name=\"to\">{others}</select></label> <button type=\"submit\">{}</button></form></section>",
            self.t("staff-assign-to"),
            self.t("staff-assign"),
        ));
        if ticket.name.is_some() {
            html.push_str(&format!(
                "<section aria-labelledby=\"answer\"><h2 id=\"answer\">{}</h2><form method=\"post\" action=\"{target}/answer\">{csrf}\
                 <label for=\"answer-text\" class=\"hint\">{}</label><textarea id=\"answer-text\" name=\"text\" rows=\"3\" maxlength=\"{MAX_TEXT}\" required></textarea>\
                 <button type=\"submit\">{}</button></form></section>",
                self.t("staff-answer-title"),
                self.t("staff-answer-hint"),
                self.t("staff-answer-send"),
            ));
        }
        html
    }

    /// Internal notes (never shown to the person; officers only).
    fn notes(&self, notes: &[crate::store::NoteRow]) -> String {
        if !self.officer {
            return String::new();
        }
        let (target, csrf) = (&self.target, &self.csrf);
        let mut html = format!(
            "<section aria-labelledby=\"notes\"><h2 id=\"notes\">{}</h2><p class=\"hint\">{}</p>",
            self.t("staff-notes-title"),
            self.t("staff-notes-hint")
        );
        if notes.is_empty() {
            html.push_str(&format!("<p>{}</p>", self.t("staff-notes-none")));
        }
        for note in notes {
            html.push_str(&format!(
                "<article class=\"note\"><p class=\"meta\">{} · {}</p><p>{}</p></article>",
                escape(&note.author),
                escape(&self.texts.datetime(self.lang, note.at)),
                escape(&note.text).replace('\n', "<br>")
            ));
        }
        if self.ticket.name.is_some() {
            html.push_str(&format!(
                "<form method=\"post\" action=\"{target}/notes\">{csrf}<label for=\"note-text\" class=\"hint\">{}</label>\
                 <textarea id=\"note-text\" name=\"text\" rows=\"2\" maxlength=\"{MAX_TEXT}\" required></textarea><button type=\"submit\">{}</button></form>",
                self.t("staff-note-label"),
                self.t("staff-note-add"),
            ));
        }
        html.push_str("</section>");
        html
    }

    /// The person's PCs, each with a way to unlink it.
    fn agents(&self, agents: &[crate::store::AgentRow]) -> String {
        let mut html = format!("<section aria-labelledby=\"pcs\"><h2 id=\"pcs\">{}</h2>", self.t("staff-agents"));
        if agents.is_empty() {
            html.push_str(&format!("<p>{}</p>", self.t("staff-agents-none")));
        }
        for agent in agents {
            let unlink = if self.officer {
                format!(
                    "<form method=\"post\" action=\"/staff/agents/{}/revoke\" class=\"inline\">{}<input type=\"hidden\" name=\"ticket\" value=\"{}\"><button type=\"submit\">{}</button></form>",
                    escape(agent.id.as_str()),
                    self.csrf,
                    escape(&self.ticket.number),
                    self.t("staff-agent-revoke"),
                )
            } else {
                String::new()
            };
            let seen =
                self.texts.with(self.lang, "staff-agent-seen", &[("seen", Arg::from(self.texts.datetime(self.lang, agent.last_seen_at)))]);
            html.push_str(&format!("<p>{} ({}), {} {unlink}</p>", escape(&agent.pc_name), escape(&agent.pc_os), escape(&seen)));
        }
        html.push_str("</section>");
        html
    }

    /// Who looked at the person's data.
    fn access(&self, access: &[crate::store::AuditEntry]) -> String {
        let mut html = format!("<section aria-labelledby=\"access\"><h2 id=\"access\">{}</h2>", self.t("staff-access-title"));
        if access.is_empty() {
            html.push_str(&format!("<p>{}</p></section>", self.t("staff-access-none")));
            return html;
        }
        html.push_str(&format!(
            "<table id=\"access-log\"><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
            self.t("staff-col-when"),
            self.t("staff-col-actor"),
            self.t("staff-col-kind")
        ));
        for a in access {
            html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&self.texts.datetime(self.lang, a.at)),
                escape(&a.account),
                escape(&self.texts.get(self.lang, &format!("staff-audit-{}", a.kind)))
            ));
        }
        html.push_str("</tbody></table></section>");
        html
    }
}

fn timeline(texts: &Texts, lang: Lang, events: &[crate::store::EventRow]) -> String {
    let t = |id: &str| escape(&texts.get(lang, id));
    let state_name = |code: &str| TicketState::from_code(code).map(|s| texts.get(lang, s.message_id())).unwrap_or_default();
    let mut html = format!(
        "<section aria-labelledby=\"timeline\"><h2 id=\"timeline\">{}</h2><div class=\"table-wrap\"><table id=\"timeline-table\"><thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        t("staff-timeline"),
        t("staff-col-when"),
        t("staff-col-actor"),
        t("staff-col-state"),
        t("staff-col-note"),
    );
    for e in events {
        // Staff read who did it from the desk's side ("the applicant", not "you").
        let who = texts.get(lang, &format!("staff-actor-{}", e.actor_kind));
        let who = match &e.actor_id {
            Some(id) if e.actor_kind == "staff" => format!("{who} ({id})"),
            _ => who,
        };
        let note_id = e.note.clone().or_else(|| Some(format!("history-{}", e.event)).filter(|id| texts.has(lang, id)));
        let note = match (note_id.map(|n| texts.get(lang, &n)), &e.detail) {
            (Some(note), Some(detail)) => format!("{note}: {detail}"),
            (note, _) => note.unwrap_or_default(),
        };
        let moved = if e.from_state != e.to_state {
            format!("{} → {}", state_name(&e.from_state), state_name(&e.to_state))
        } else {
            String::new()
        };
        html.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&texts.datetime(lang, e.at)),
            escape(&who),
            escape(&moved),
            escape(&note)
        ));
    }
    html.push_str("</tbody></table></div></section>");
    html
}

/// An officer's post about a ticket (origin, session, token, role), and the ticket; or the page
/// that refuses it or says the ticket does not exist.
async fn officer_on_ticket(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
    number: &str,
) -> Result<(StaffSession, Lang, TicketRow), Response> {
    let (session, lang) = may_post(state, headers, csrf, Role::Officer).await?;
    let ticket = ticket_of(state, &session, lang, number).await?;
    Ok((session, lang, ticket))
}

/// The ticket a post is about, or the page that says it does not exist.
async fn ticket_of(state: &AppState, session: &StaffSession, lang: Lang, number: &str) -> Result<TicketRow, Response> {
    let texts = state.service.texts();
    match state.service.store().ticket_detail(number).await {
        Ok(Some((ticket, _))) => Ok(ticket),
        Ok(None) => Err(said(texts, lang, Some(session), StatusCode::NOT_FOUND, &texts.get(lang, "staff-not-found"))),
        Err(e) => Err(failed(texts, lang, e)),
    }
}

#[derive(Default, Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// `POST /staff/tickets/{number}/actions`: a staff step, in the same words as the staff chat.
pub async fn act(
    State(state): State<AppState>,
    Path(number): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<ActionForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or_default();
    let (session, lang, ticket) = match officer_on_ticket(&state, &headers, &form.csrf, &number).await {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    let Some(action) = StaffAction::ALL.into_iter().find(|a| action_code(*a) == form.action) else {
        return render(&state, &session, lang, &ticket.number, Extras::bad(texts.get(lang, "staff-action-unknown"))).await;
    };
    let reason = clean_text(&form.reason, MAX_REASON, false).unwrap_or_default();
    if action == StaffAction::Cancel && (reason.is_empty() || form.reason.chars().count() > MAX_REASON) {
        let text = texts.with(lang, "staff-cancel-reason-needed", &[("max", Arg::from(MAX_REASON as i64))]);
        return render(&state, &session, lang, &ticket.number, Extras::bad(text)).await;
    }
    let reason = (action == StaffAction::Cancel).then_some(reason.as_str());
    match state.desk.perform(&actor(&session), &session.account.name, action, ticket.id, reason).await {
        Ok(msg) => {
            let ok = msg.id == action.done_id();
            render(&state, &session, lang, &ticket.number, Extras::done(ok, texts.msg(lang, &msg))).await
        }
        Err(e) => failed(texts, lang, e),
    }
}

#[derive(Default, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    to: String,
}

/// `POST /staff/tickets/{number}/assign`: claim (`me`), release (empty), or give to an officer.
pub async fn assign(
    State(state): State<AppState>,
    Path(number): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<AssignForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or(AssignForm { csrf: String::new(), to: "\u{0}".into() });
    let (session, lang, ticket) = match officer_on_ticket(&state, &headers, &form.csrf, &number).await {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    let to = match form.to.trim() {
        "" => None,
        "me" => Some(session.account.name.clone()),
        name => {
            let accounts = match state.service.store().accounts().await {
                Ok(a) => a,
                Err(e) => return failed(texts, lang, e),
            };
            match accounts.into_iter().find(|a| a.name == name && a.disabled_at.is_none() && a.role.may(Role::Officer)) {
                Some(a) => Some(a.name),
                None => {
                    return render(&state, &session, lang, &ticket.number, Extras::bad(texts.get(lang, "staff-assign-unknown"))).await;
                }
            }
        }
    };
    let store = state.service.store();
    let result = async {
        let mut tx = store.begin().await?;
        let changed = tx.assign_ticket(ticket.id, to.as_deref(), &actor(&session), clock::now_ms()).await?;
        tx.commit().await?;
        Ok::<_, crate::store::StoreError>(changed)
    }
    .await;
    let text = match (result, &to) {
        (Err(e), _) => return failed(texts, lang, e),
        (Ok(false), _) => texts.get(lang, "staff-assign-unchanged"),
        (Ok(true), Some(name)) => {
            texts.with(lang, "staff-assigned", &[("ticket", ticket.number.clone().into()), ("name", name.clone().into())])
        }
        (Ok(true), None) => texts.with(lang, "staff-released", &[("ticket", ticket.number.clone().into())]),
    };
    render(&state, &session, lang, &ticket.number, Extras::done(true, text)).await
}

#[derive(Default, Deserialize)]
pub struct TextForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    text: String,
}

fn text_form(form: Result<axum::Form<TextForm>, FormRejection>) -> TextForm {
    form.map(|f| f.0).unwrap_or_default()
}

/// `POST /staff/tickets/{number}/notes`: an internal note (never shown to the person).
pub async fn note(
    State(state): State<AppState>,
    Path(number): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<TextForm>, FormRejection>,
) -> Response {
    let form = text_form(form);
    let (session, lang, ticket) = match officer_on_ticket(&state, &headers, &form.csrf, &number).await {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    let text = match clean_text(&form.text, MAX_TEXT, true) {
        Some(text) if !text.is_empty() => text,
        _ => {
            let text = texts.with(lang, "staff-text-needed", &[("max", Arg::from(MAX_TEXT as i64))]);
            return render(&state, &session, lang, &ticket.number, Extras::bad(text)).await;
        }
    };
    let store = state.service.store();
    let result = async {
        let mut tx = store.begin().await?;
        let added = tx.add_ticket_note(ticket.id, &actor(&session), &text, clock::now_ms()).await?;
        tx.commit().await?;
        Ok::<_, crate::store::StoreError>(added)
    }
    .await;
    match result {
        Ok(true) => render(&state, &session, lang, &ticket.number, Extras::done(true, texts.get(lang, "staff-note-added"))).await,
        Ok(false) => {
            render(&state, &session, lang, &ticket.number, Extras::done(false, texts.get(lang, "staff-personal-data-deleted"))).await
        }
        Err(e) => failed(texts, lang, e),
    }
}

/// `POST /staff/tickets/{number}/answer`: an answer to the person, into their own chat.
pub async fn answer(
    State(state): State<AppState>,
    Path(number): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<TextForm>, FormRejection>,
) -> Response {
    let form = text_form(form);
    let (session, lang, ticket) = match officer_on_ticket(&state, &headers, &form.csrf, &number).await {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    let Some(text) = clean_text(&form.text, MAX_TEXT, true).filter(|t| !t.is_empty()) else {
        let text = texts.with(lang, "staff-text-needed", &[("max", Arg::from(MAX_TEXT as i64))]);
        return render(&state, &session, lang, &ticket.number, Extras::bad(text)).await;
    };
    let key = format!("staff-answer:{}:web:{}", ticket.id, session.account.name);
    match state.desk.answer_ticket(&actor(&session), &session.account.name, ticket.id, &text, &key).await {
        Ok(msg) => {
            let ok = msg.id == "staff-answer-sent";
            render(&state, &session, lang, &ticket.number, Extras::done(ok, texts.msg(lang, &msg))).await
        }
        Err(e) => failed(texts, lang, e),
    }
}

#[derive(Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /staff/tickets/{number}/reveal`: the full data for the corporate application, shown
/// once to an officer and written to the access log first.
pub async fn reveal(
    State(state): State<AppState>,
    Path(number): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<axum::Form<CsrfForm>, FormRejection>,
) -> Response {
    let csrf = form.map(|f| f.0.csrf).unwrap_or_default();
    let (session, lang, ticket) = match officer_on_ticket(&state, &headers, &csrf, &number).await {
        Ok(found) => found,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    if !reveal_allowed(ticket.state) {
        return render(&state, &session, lang, &ticket.number, Extras::done(false, texts.get(lang, "staff-corporate-not-now"))).await;
    }
    let store = state.service.store();
    let data = match store.corporate_data(ticket.id).await {
        Ok(Some(data)) => data,
        Ok(None) => {
            return render(&state, &session, lang, &ticket.number, Extras::done(false, texts.get(lang, "staff-personal-data-deleted")))
                .await;
        }
        Err(e) => return failed(texts, lang, e),
    };
    // Written before it is shown: no look without its row.
    if let Err(e) =
        store.audit("reveal", &session.account.name, &client_address(&state, peer, &headers), Some(ticket.id), None, clock::now_ms()).await
    {
        return failed(texts, lang, e);
    }
    tracing::info!(staff = %session.account.name, ticket = %ticket.number, "corporate-application data revealed");
    render(&state, &session, lang, &ticket.number, Extras { revealed: Some(data), ..Extras::default() }).await
}

#[derive(Default, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    ticket: String,
}

/// `POST /staff/agents/{agent}/revoke`: staff unlink a PC; its live connection closes at once.
pub async fn revoke_agent(
    State(state): State<AppState>,
    Path(agent): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<RevokeForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or_default();
    let (session, lang) = match may_post(&state, &headers, &form.csrf, Role::Officer).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    let Some(agent) = crate::core::domain::AgentId::parse(&agent) else {
        return said(texts, lang, Some(&session), StatusCode::NOT_FOUND, &texts.get(lang, "staff-not-found"));
    };
    match state.service.store().revoke_agent_by_staff(&agent, &actor(&session), clock::now_ms()).await {
        Ok(_) => {
            state.service.links().close(&agent);
            tracing::info!(staff = %session.account.name, agent = %agent, "agent unlinked by staff");
        }
        Err(e) => return failed(texts, lang, e),
    }
    let back = Some(form.ticket).filter(|t| !t.is_empty() && t.len() <= 32 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    // 303 See Other: the browser shows the ticket again with a GET.
    Redirect::to(&back.map(|t| format!("/staff/tickets/{t}")).unwrap_or_else(|| "/staff".to_owned())).into_response()
}
