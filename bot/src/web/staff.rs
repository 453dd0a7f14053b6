//! The staff view (`/staff`): tickets by state, search, and each ticket's timeline, behind HTTP
//! basic auth; on a ticket's page the staff steps (corporate application made, renewal-form
//! e-mail sent, card step sent again, cancel with a reason) as same-origin POST forms, each a
//! history row naming the staff member — the same actions as the staff chat's buttons.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use eimza_protocol::{Arg, Lang};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{AppState, escape, request_lang};
use crate::core::button::StaffAction;
use crate::core::ticket::TicketState;
use crate::i18n::Texts;
use crate::store::{TicketFilter, TicketRow};

/// The configured staff accounts.
pub struct StaffAccounts {
    users: Vec<(String, SecretString)>,
}

impl StaffAccounts {
    pub fn new(users: Vec<(String, SecretString)>) -> StaffAccounts {
        StaffAccounts { users }
    }

    /// The staff member named in a valid `Authorization: Basic …` header.
    pub fn check(&self, headers: &HeaderMap) -> Option<String> {
        let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (name, password) = decoded.split_once(':')?;
        let mut found = None;
        // Compare with every account, in constant time, so timing tells nothing.
        for (user, secret) in &self.users {
            let ok = user.as_bytes().ct_eq(name.as_bytes()) & secret.expose_secret().as_bytes().ct_eq(password.as_bytes());
            if bool::from(ok) {
                found = Some(user.clone());
            }
        }
        found
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(list))
        .route("/staff/tickets/{number}", get(detail))
        .route("/staff/tickets/{number}/actions", axum::routing::post(act))
        .route("/staff/agents/{agent}/revoke", axum::routing::post(revoke_agent))
        // Roster files of a large institution run to megabytes.
        .route("/staff/roster", axum::routing::post(upload_roster).layer(axum::extract::DefaultBodyLimit::max(32 * 1024 * 1024)))
}

/// Browsers send basic-auth credentials with any request, also one another site makes them
/// send; a form post must come from our own page: its `Origin` is the bot's public address (or,
/// behind no proxy, the host asked), never `null`. Without `Origin` (older browsers, scripts), a
/// browser's `Sec-Fetch-Site` must say same-origin.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let public = public_url.trim().trim_end_matches('/');
    let public_origin = public.split_once("://").map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)));
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin) => {
            let origin = origin.trim_end_matches('/');
            public_origin.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(origin))
                || (host.is_some() && origin.split_once("://").map(|(_, rest)| rest) == host)
        }
        None => match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
            Some(site) => matches!(site, "same-origin" | "none"),
            None => true,
        },
    }
}

/// Who posts a staff form: a staff member, from our own page. Otherwise the refusal page.
// The refusal is the page to answer with; it is built only when refusing.
#[allow(clippy::result_large_err)]
fn staff_form_post(state: &AppState, headers: &HeaderMap, lang: Lang) -> Result<String, Response> {
    let texts = state.service.texts();
    let Some(staff) = state.staff.check(headers) else {
        return Err(unauthorized(texts, lang));
    };
    if !same_origin(headers, &state.service.settings().public_url) {
        return Err((StatusCode::FORBIDDEN, Html(page(texts, lang, &escape(&texts.get(lang, "staff-forbidden-origin"))))).into_response());
    }
    Ok(staff)
}

/// `POST /staff/roster`: a CSV file from the form on /staff; all of it or nothing.
async fn upload_roster(State(state): State<AppState>, headers: HeaderMap, mut form: axum::extract::Multipart) -> Response {
    let texts = state.service.texts();
    let lang = request_lang(&headers);
    let staff = match staff_form_post(&state, &headers, lang) {
        Ok(staff) => staff,
        Err(refusal) => return refusal,
    };
    let mut bytes = None;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("file") {
            bytes = field.bytes().await.ok();
        }
    }
    let back = format!("<nav><a href=\"/staff\">{}</a></nav>", escape(&texts.get(lang, "staff-back")));
    let settings = state.service.settings();
    let lines = match bytes.as_deref().map(|b| crate::roster::parse(b, &settings.domains, &settings.titles)) {
        None => vec![texts.get(lang, "roster-err-empty")],
        Some(Err(error)) => crate::roster::report(texts, lang, &error),
        Some(Ok(entries)) => match state.service.store().import_roster(&entries, "import", crate::clock::now_ms()).await {
            Ok(summary) => {
                tracing::info!(staff = %staff, added = summary.added, updated = summary.updated, "roster imported");
                vec![texts.with(
                    lang,
                    "roster-imported",
                    &[("count", entries.len().into()), ("added", summary.added.into()), ("updated", summary.updated.into())],
                )]
            }
            Err(e) => return failed(texts, lang, e),
        },
    };
    let body: String = lines.iter().map(|l| format!("<p>{}</p>", escape(l))).collect();
    Html(page(texts, lang, &format!("{back}<h2>{}</h2>{body}", escape(&texts.get(lang, "staff-roster-title"))))).into_response()
}

fn unauthorized(texts: &Texts, lang: Lang) -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, Html(page(texts, lang, &escape(&texts.get(lang, "staff-unauthorized"))))).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"eimza staff\", charset=\"UTF-8\""));
    response
}

/// An unexpected failure: a polite page for the reader, the details in the log.
fn failed(texts: &Texts, lang: Lang, error: crate::store::StoreError) -> Response {
    tracing::error!(error = %error, "staff view failed");
    (StatusCode::INTERNAL_SERVER_ERROR, Html(page(texts, lang, &escape(&texts.get(lang, "api-error-internal"))))).into_response()
}

fn page(texts: &Texts, lang: Lang, body: &str) -> String {
    super::html_page(texts, lang, "staff-page-title", body)
}

#[derive(Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    q: Option<String>,
}

fn text_or_deleted(texts: &Texts, lang: Lang, value: &Option<String>) -> String {
    match value {
        Some(v) => escape(v),
        None => format!("<span class=\"deleted\">{}</span>", escape(&texts.get(lang, "staff-personal-data-deleted"))),
    }
}

fn ticket_cells(texts: &Texts, lang: Lang, t: &TicketRow, link: bool) -> String {
    let number = if link { format!("<a href=\"/staff/tickets/{n}\">{n}</a>", n = escape(&t.number)) } else { escape(&t.number) };
    format!(
        "<td>{number}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>",
        escape(&texts.get(lang, t.state.message_id())),
        text_or_deleted(texts, lang, &t.name),
        text_or_deleted(texts, lang, &t.tckn_masked),
        text_or_deleted(texts, lang, &t.title),
        text_or_deleted(texts, lang, &t.email),
        escape(&texts.datetime(lang, t.created_at)),
        escape(&texts.datetime(lang, t.updated_at)),
    )
}

fn header_cells(texts: &Texts, lang: Lang, ids: &[&str]) -> String {
    ids.iter().map(|id| format!("<th scope=\"col\">{}</th>", escape(&texts.get(lang, id)))).collect()
}

const TICKET_COLUMNS: [&str; 8] = [
    "staff-col-number",
    "staff-col-state",
    "staff-col-name",
    "staff-col-tckn",
    "staff-col-title",
    "staff-col-email",
    "staff-col-opened",
    "staff-col-updated",
];

async fn list(State(state): State<AppState>, Query(q): Query<ListQuery>, headers: HeaderMap) -> Response {
    let texts = state.service.texts();
    let lang = request_lang(&headers);
    let Some(staff) = state.staff.check(&headers) else {
        return unauthorized(texts, lang);
    };
    let filter = TicketFilter {
        state: q.state.as_deref().and_then(TicketState::from_code),
        search: q.q.clone().filter(|s| !s.trim().is_empty()),
        limit: 200,
    };
    let tickets = match state.service.store().list_tickets(&filter).await {
        Ok(t) => t,
        Err(e) => return failed(texts, lang, e),
    };
    tracing::info!(staff = %staff, count = tickets.len(), "staff viewed tickets");
    let mut body = String::from("<nav>");
    body.push_str(&format!("<a href=\"/staff\">{}</a>", escape(&texts.get(lang, "staff-filter-all"))));
    for s in TicketState::ALL.iter().filter(|s| **s != TicketState::Collecting) {
        body.push_str(&format!("<a href=\"/staff?state={}\">{}</a>", s.code(), escape(&texts.get(lang, s.message_id()))));
    }
    body.push_str("</nav>");
    body.push_str(&format!(
        "<form method=\"get\" action=\"/staff\"><label for=\"q\">{}</label> <input id=\"q\" name=\"q\" value=\"{}\"> <button>{}</button></form>",
        escape(&texts.get(lang, "staff-search-label")),
        escape(q.q.as_deref().unwrap_or("")),
        escape(&texts.get(lang, "staff-search-button")),
    ));
    body.push_str(&format!(
        // The browser's own "Choose file" button speaks the browser's language, not the page's:
        // the input is hidden inside a label that says it in ours.
        "<form method=\"post\" action=\"/staff/roster\" enctype=\"multipart/form-data\"><span>{}</span> \
         <label class=\"file\"><input id=\"roster\" name=\"file\" type=\"file\" accept=\".csv,text/csv\" required>{}</label> \
         <button>{}</button></form>",
        escape(&texts.get(lang, "staff-roster-label")),
        escape(&texts.get(lang, "staff-roster-choose")),
        escape(&texts.get(lang, "staff-roster-upload")),
    ));
    body.push_str(&format!(
        "<p>{}</p>",
        escape(&texts.with(lang, "staff-count", &[("count", Arg::Str(crate::i18n::number(lang, tickets.len() as i64)))]))
    ));
    if tickets.is_empty() {
        body.push_str(&format!("<p>{}</p>", escape(&texts.get(lang, "staff-empty"))));
    } else {
        body.push_str(&format!(
            "<div class=\"table-wrap\"><table><thead><tr>{}</tr></thead><tbody>",
            header_cells(texts, lang, &TICKET_COLUMNS)
        ));
        for t in &tickets {
            body.push_str(&format!("<tr>{}</tr>", ticket_cells(texts, lang, t, true)));
        }
        body.push_str("</tbody></table></div>");
    }
    match state.service.store().failed_messages(20).await {
        Ok(failed) if !failed.is_empty() => {
            body.push_str(&format!(
                "<h2>{}</h2><div class=\"table-wrap\"><table><thead><tr>{}</tr></thead><tbody>",
                escape(&texts.get(lang, "staff-failed-mail")),
                header_cells(texts, lang, &["staff-col-when", "staff-col-number", "staff-col-kind", "staff-col-error"])
            ));
            for f in &failed {
                body.push_str(&format!(
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&texts.datetime(lang, f.failed_at)),
                    escape(f.ticket_number.as_deref().unwrap_or("")),
                    escape(&texts.get(lang, &format!("staff-outbox-kind-{}", f.kind))),
                    escape(&f.error),
                ));
            }
            body.push_str("</tbody></table></div>");
        }
        Ok(_) => {}
        Err(e) => return failed(texts, lang, e),
    }
    Html(page(texts, lang, &body)).into_response()
}

async fn detail(State(state): State<AppState>, Path(number): Path<String>, headers: HeaderMap) -> Response {
    let texts = state.service.texts();
    let lang = request_lang(&headers);
    if state.staff.check(&headers).is_none() {
        return unauthorized(texts, lang);
    }
    let found = match state.service.store().ticket_detail(&number).await {
        Ok(f) => f,
        Err(e) => return failed(texts, lang, e),
    };
    let back = format!("<nav><a href=\"/staff\">{}</a></nav>", escape(&texts.get(lang, "staff-back")));
    let Some((ticket, events)) = found else {
        return (StatusCode::NOT_FOUND, Html(page(texts, lang, &format!("{back}<p>{}</p>", escape(&texts.get(lang, "staff-not-found"))))))
            .into_response();
    };
    let state_name = |code: &str| TicketState::from_code(code).map(|s| texts.get(lang, s.message_id())).unwrap_or_default();
    let mut body = back;
    body.push_str(&format!(
        "<table><thead><tr>{}</tr></thead><tbody><tr>{}</tr></tbody></table>",
        header_cells(texts, lang, &TICKET_COLUMNS),
        ticket_cells(texts, lang, &ticket, false)
    ));
    body.push_str(&format!("<h2>{}</h2>", escape(&texts.get(lang, "staff-timeline"))));
    body.push_str(&format!(
        "<table><thead><tr>{}</tr></thead><tbody>",
        header_cells(texts, lang, &["staff-col-when", "staff-col-actor", "staff-col-from", "staff-col-to", "staff-col-note"])
    ));
    for e in &events {
        // Staff read who did it from the desk's side ("the applicant", not "you").
        let actor = texts.get(lang, &format!("staff-actor-{}", e.actor_kind));
        let who = match &e.actor_id {
            Some(id) if e.actor_kind == "staff" => format!("{actor} ({id})"),
            _ => actor,
        };
        let note = match (e.note.as_deref().map(|n| texts.get(lang, n)), &e.detail) {
            (Some(note), Some(detail)) => format!("{note}: {detail}"),
            (note, _) => note.unwrap_or_default(),
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&texts.datetime(lang, e.at)),
            escape(&who),
            escape(&state_name(&e.from_state)),
            escape(&state_name(&e.to_state)),
            escape(&note),
        ));
    }
    body.push_str("</tbody></table>");
    body.push_str(&action_forms(texts, lang, &ticket));
    let agents = match state.service.store().agents_of_ticket(&ticket.number).await {
        Ok(a) => a,
        Err(e) => return failed(texts, lang, e),
    };
    body.push_str(&format!("<h2>{}</h2>", escape(&texts.get(lang, "staff-agents"))));
    if agents.is_empty() {
        body.push_str(&format!("<p>{}</p>", escape(&texts.get(lang, "staff-agents-none"))));
    }
    for agent in &agents {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/staff/agents/{}/revoke\"><input type=\"hidden\" name=\"ticket\" value=\"{}\"><p>{} ({}), {} <button type=\"submit\">{}</button></p></form>",
            escape(agent.id.as_str()),
            escape(&ticket.number),
            escape(&agent.pc_name),
            escape(&agent.pc_os),
            escape(&texts.with(lang, "staff-agent-seen", &[("seen", eimza_protocol::Arg::from(texts.datetime(lang, agent.last_seen_at)))])),
            escape(&texts.get(lang, "staff-agent-revoke")),
        ));
    }
    Html(page(texts, lang, &body)).into_response()
}

/// The staff steps the ticket's state allows, each a form posting to `…/actions`.
fn action_forms(texts: &Texts, lang: Lang, ticket: &TicketRow) -> String {
    let next = match ticket.state {
        TicketState::CardStep => Some(StaffAction::ResendCardStep),
        TicketState::EOnayDone => Some(StaffAction::CorporateApplied),
        TicketState::CorporateApplied => Some(StaffAction::FormEmailSent),
        _ => None,
    };
    if !ticket.state.is_open() {
        return String::new();
    }
    let target = format!("/staff/tickets/{}/actions", escape(&ticket.number));
    let mut html = format!("<h2>{}</h2>", escape(&texts.get(lang, "staff-actions")));
    if let Some(action) = next {
        html.push_str(&format!(
            "<form method=\"post\" action=\"{target}\"><input type=\"hidden\" name=\"action\" value=\"{}\"><button type=\"submit\">{}</button></form>",
            action_code(action),
            escape(&texts.get(lang, action.label_id())),
        ));
    }
    html.push_str(&format!(
        "<form method=\"post\" action=\"{target}\"><input type=\"hidden\" name=\"action\" value=\"cancel\">\
         <label>{} <input name=\"reason\" required maxlength=\"{MAX_REASON}\"></label> <button type=\"submit\">{}</button></form>",
        escape(&texts.get(lang, "staff-cancel-reason")),
        escape(&texts.get(lang, StaffAction::Cancel.label_id())),
    ));
    html
}

fn action_code(action: StaffAction) -> &'static str {
    match action {
        StaffAction::Cancel => "cancel",
        StaffAction::CorporateApplied => "corporate-applied",
        StaffAction::FormEmailSent => "form-email-sent",
        StaffAction::ResendCardStep => "resend-card-step",
    }
}

/// A cancel reason is one short line of text.
const MAX_REASON: usize = 300;

#[derive(serde::Deserialize)]
struct ActionForm {
    action: String,
    #[serde(default)]
    reason: String,
}

/// `POST /staff/tickets/{number}/actions`: a staff step from the ticket's page; the answer
/// page says how it went, in the same words as the staff chat.
async fn act(
    State(state): State<AppState>,
    Path(number): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<ActionForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let texts = state.service.texts();
    let lang = request_lang(&headers);
    let staff = match staff_form_post(&state, &headers, lang) {
        Ok(staff) => staff,
        Err(refusal) => return refusal,
    };
    let back = |number: &str| {
        format!("<nav><a href=\"/staff/tickets/{0}\">{1}</a></nav>", escape(number), escape(&texts.get(lang, "staff-back-to-ticket")))
    };
    let said = |status: StatusCode, text: String| {
        (status, Html(page(texts, lang, &format!("{}<p>{}</p>", back(&number), escape(&text))))).into_response()
    };
    let ticket = match state.service.store().ticket_detail(&number).await {
        Ok(Some((ticket, _))) => ticket,
        Ok(None) => return said(StatusCode::NOT_FOUND, texts.get(lang, "staff-not-found")),
        Err(e) => return failed(texts, lang, e),
    };
    let Ok(axum::Form(form)) = form else { return said(StatusCode::BAD_REQUEST, texts.get(lang, "staff-action-unknown")) };
    let Some(action) = StaffAction::ALL.into_iter().find(|a| action_code(*a) == form.action) else {
        return said(StatusCode::BAD_REQUEST, texts.get(lang, "staff-action-unknown"));
    };
    let reason: String = form.reason.chars().filter(|c| !c.is_control()).collect::<String>().trim().to_owned();
    if action == StaffAction::Cancel && (reason.is_empty() || reason.chars().count() > MAX_REASON) {
        return said(StatusCode::BAD_REQUEST, texts.with(lang, "staff-cancel-reason-needed", &[("max", Arg::from(MAX_REASON as i64))]));
    }
    let reason = (action == StaffAction::Cancel).then_some(reason.as_str());
    match state.desk.perform(&crate::store::Actor::staff(staff.clone()), &staff, action, ticket.id, reason).await {
        Ok(msg) => said(StatusCode::OK, texts.msg(lang, &msg)),
        Err(e) => failed(texts, lang, e),
    }
}

#[derive(serde::Deserialize)]
struct RevokeForm {
    ticket: String,
}

/// `POST /staff/agents/{agent}/revoke`: staff unlink a PC; its live connection closes at once.
async fn revoke_agent(
    State(state): State<AppState>,
    Path(agent): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<RevokeForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let texts = state.service.texts();
    let lang = request_lang(&headers);
    let staff = match staff_form_post(&state, &headers, lang) {
        Ok(staff) => staff,
        Err(refusal) => return refusal,
    };
    let Some(agent) = crate::core::domain::AgentId::parse(&agent) else {
        return (StatusCode::NOT_FOUND, Html(page(texts, lang, &escape(&texts.get(lang, "staff-not-found"))))).into_response();
    };
    let actor = crate::store::Actor::staff(staff.clone());
    match state.service.store().revoke_agent_by_staff(&agent, &actor, crate::clock::now_ms()).await {
        Ok(_) => {
            state.service.links().close(&agent);
            tracing::info!(staff = %staff, agent = %agent, "agent unlinked by staff");
        }
        Err(e) => return failed(texts, lang, e),
    }
    let back = form.ok().map(|f| f.0.ticket).filter(|t| t.len() <= 32 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    let to = back.map(|t| format!("/staff/tickets/{t}")).unwrap_or_else(|| "/staff".to_owned());
    // 303 See Other: the browser shows the ticket again with a GET.
    axum::response::Redirect::to(&to).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_staff_form_post_must_come_from_our_own_page() {
        let public = "https://eimza.kurum.gov.tr/";
        assert!(same_origin(&headers(&[("origin", "https://eimza.kurum.gov.tr"), ("host", "10.0.0.5:8080")]), public), "behind a proxy");
        assert!(same_origin(&headers(&[("origin", "http://127.0.0.1:8080"), ("host", "127.0.0.1:8080")]), public), "no proxy");
        assert!(!same_origin(&headers(&[("origin", "null"), ("host", "127.0.0.1:8080")]), public));
        assert!(!same_origin(&headers(&[("origin", "https://evil.example"), ("host", "eimza.kurum.gov.tr")]), public));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")]), public), "no Origin, but a browser says where from");
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")]), public));
        assert!(same_origin(&headers(&[]), public), "a script with the password");
    }
}
