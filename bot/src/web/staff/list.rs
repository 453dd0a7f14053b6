//! The desk's list: counts by state, filters (state, assignment, waiting longer than N working
//! days), search, sorting and paging; and the same list as a CSV file for Excel.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use eimza_protocol::{Arg, Lang};
use serde::Deserialize;

use super::{client_address, failed, page, signed_in};
use crate::clock;
use crate::core::staff::{self, Role};
use crate::core::ticket::TicketState;
use crate::core::workdays::Calendar;
use crate::i18n::Texts;
use crate::store::{AssignedFilter, SortKey, TicketFilter, TicketRow};
use crate::web::{AppState, escape};

/// The list's query string. Every field is read as text and checked here: a bad value is
/// ignored and said, never a 400 page.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    state: Option<String>,
    q: Option<String>,
    assigned: Option<String>,
    stalled: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    page: Option<String>,
}

/// The most an export holds.
const EXPORT_MAX: i64 = 10_000;
/// The longest wait the filter accepts, in working days.
const STALLED_MAX: i64 = 1000;

/// The filter a query asks for, and what in it was not understood (message ids).
fn is_tckn(search: &str) -> bool {
    crate::core::domain::Tckn::parse(search).is_ok()
}

/// Searches by T.C. Kimlik No an account may make in an hour.
const TCKN_SEARCHES_PER_HOUR: i64 = 60;

/// A search by a full T.C. Kimlik No goes into the audit log (without the number), within an
/// hourly limit; `false` when over it.
async fn audit_tckn_search(
    state: &AppState,
    session: &crate::store::StaffSession,
    address: &str,
    now: i64,
) -> Result<bool, crate::store::StoreError> {
    let hour = crate::store::AuditLimit { since: now - 3_600_000, max: TCKN_SEARCHES_PER_HOUR };
    state.service.store().audit_within("search-tckn", &session.account.name, address, hour, now).await
}

/// The filter of a query for this staff member; a search by a full T.C. Kimlik No is audited
/// (and dropped, said, beyond the hourly limit).
async fn audited_filter(
    state: &AppState,
    session: &crate::store::StaffSession,
    q: &ListQuery,
    address: &str,
    now: i64,
) -> Result<(TicketFilter, Vec<&'static str>), crate::store::StoreError> {
    let (mut filter, mut problems) = filter_of(q, &session.account.name, session.account.role, &state.calendar, now);
    if filter.search.as_deref().is_some_and(is_tckn) && !audit_tckn_search(state, session, address, now).await? {
        problems.push("staff-search-tckn-limit");
        filter.search = None;
    }
    Ok((filter, problems))
}

fn filter_of(q: &ListQuery, me: &str, role: Role, calendar: &Calendar, now: i64) -> (TicketFilter, Vec<&'static str>) {
    let mut problems = Vec::new();
    let mut filter = TicketFilter::default();
    let value = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    if let Some(state) = value(&q.state) {
        match TicketState::from_code(&state) {
            Some(s) => filter.state = Some(s),
            None => problems.push("staff-filter-bad-state"),
        }
    }
    filter.search = value(&q.q).map(|s| s.chars().filter(|c| !c.is_control()).take(200).collect());
    // A full T.C. Kimlik No finds its ticket: that un-masks the number, so only roles that may
    // see it may search by it (and each such search is audited by the caller).
    if filter.search.as_deref().is_some_and(is_tckn) && !role.may(Role::Officer) {
        problems.push("staff-search-tckn-officers");
        filter.search = None;
    }
    filter.assigned = match value(&q.assigned).as_deref() {
        None => AssignedFilter::Anyone,
        Some("me") => AssignedFilter::To(me.to_owned()),
        Some("none") => AssignedFilter::Nobody,
        Some(_) => {
            problems.push("staff-filter-bad-assigned");
            AssignedFilter::Anyone
        }
    };
    if let Some(days) = value(&q.stalled) {
        match days.parse::<i64>() {
            Ok(days) if (0..=STALLED_MAX).contains(&days) => {
                let cutoff = staff::stalled_cutoff(calendar, clock::istanbul_today(now), days);
                filter.changed_before = cutoff.succ_opt().map(clock::istanbul_day_start);
            }
            _ => problems.push("staff-filter-bad-stalled"),
        }
    }
    if let Some(sort) = value(&q.sort) {
        match SortKey::parse(&sort) {
            Some(k) => filter.sort = k,
            None => problems.push("staff-filter-bad-sort"),
        }
    }
    filter.ascending = value(&q.dir).as_deref() == Some("asc");
    if let Some(page) = value(&q.page) {
        match page.parse::<i64>() {
            Ok(p) if (1..=100_000).contains(&p) => filter.offset = p - 1,
            _ => problems.push("staff-filter-bad-page"),
        }
    }
    (filter, problems)
}

/// The query string for the same list with some values changed.
fn query_with(q: &ListQuery, changes: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    let fields = [
        ("state", &q.state),
        ("q", &q.q),
        ("assigned", &q.assigned),
        ("stalled", &q.stalled),
        ("sort", &q.sort),
        ("dir", &q.dir),
        ("page", &q.page),
    ];
    for (name, value) in fields {
        let value = changes.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()).or_else(|| value.clone());
        if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
            out.append_pair(name, &v);
        }
    }
    out.finish()
}

/// How long an open ticket has waited, in working days (`None` once closed).
fn waiting(calendar: &Calendar, t: &TicketRow, now: i64) -> Option<i64> {
    t.state.is_open().then(|| staff::waiting_days(calendar, clock::istanbul_today(t.updated_at), clock::istanbul_today(now)))
}

fn text_or_deleted(texts: &Texts, lang: Lang, value: &Option<String>) -> String {
    match value {
        Some(v) => escape(v),
        None => format!("<span class=\"deleted\">{}</span>", escape(&texts.get(lang, "staff-personal-data-deleted"))),
    }
}

fn waiting_text(texts: &Texts, lang: Lang, days: Option<i64>) -> String {
    match days {
        Some(days) => texts.with(lang, "staff-waiting-days", &[("days", days.into())]),
        None => "—".to_owned(),
    }
}

fn options<T: Copy + PartialEq>(items: &[T], selected: Option<T>, code: impl Fn(T) -> String, label: impl Fn(T) -> String) -> String {
    items
        .iter()
        .map(|item| {
            let sel = if selected == Some(*item) { " selected" } else { "" };
            format!("<option value=\"{}\"{sel}>{}</option>", escape(&code(*item)), escape(&label(*item)))
        })
        .collect()
}

/// `GET /staff`.
pub async fn list(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let here = format!("/staff?{}", query_with(&q, &[]));
    let (session, lang) = match signed_in(&state, &headers, Role::Viewer, &here).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    let now = clock::now_ms();
    let page_size = i64::from(state.accounts.config().page_size.clamp(10, 500));
    let (mut filter, problems) = match audited_filter(&state, &session, &q, &client_address(&state, peer, &headers), now).await {
        Ok(found) => found,
        Err(e) => return failed(texts, lang, e),
    };
    let page_no = filter.offset + 1;
    filter.offset = (page_no - 1) * page_size;
    filter.limit = page_size;
    let store = state.service.store();
    let (found, counts) = match tokio::try_join!(store.desk_page(&filter), store.counts_by_state()) {
        Ok(r) => r,
        Err(e) => return failed(texts, lang, e),
    };
    let t = |id: &str| escape(&texts.get(lang, id));
    let mut body = String::new();
    body.push_str(&counts_html(texts, lang, &counts, filter.state));
    for problem in &problems {
        body.push_str(&format!("<p class=\"notice\" role=\"alert\">{}</p>", t(problem)));
    }
    body.push_str(&filter_form(texts, lang, &q, &filter));
    let pages = ((found.total + page_size - 1) / page_size).max(1);
    body.push_str(&format!(
        "<p class=\"summary\">{} · <a href=\"/staff/export.csv?{}\" download>{}</a></p>",
        escape(&texts.with(lang, "staff-count", &[("count", Arg::Str(crate::i18n::number(lang, found.total)))])),
        escape(&query_with(&q, &[("page", "")])),
        t("staff-export"),
    ));
    if found.rows.is_empty() {
        body.push_str(&format!("<p>{}</p>", t("staff-empty")));
    } else {
        body.push_str(&ticket_table(texts, lang, &found.rows, &state.calendar, now));
    }
    body.push_str(&pager_html(texts, lang, &q, page_no, pages));
    match store.failed_messages(20).await {
        Ok(failed_list) => body.push_str(&failed_html(texts, lang, &failed_list)),
        Err(e) => return failed(texts, lang, e),
    }
    Html(page(texts, lang, Some(&session), &texts.get(lang, "staff-page-title"), &body)).into_response()
}

/// The counts by state, each a link to its filter.
fn counts_html(texts: &Texts, lang: Lang, counts: &[(TicketState, i64)], selected: Option<TicketState>) -> String {
    let t = |id: &str| escape(&texts.get(lang, id));
    let mut body = String::new();
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    body.push_str(&format!("<ul class=\"counts\" aria-label=\"{}\">", t("staff-counts-label")));
    body.push_str(&format!(
        "<li><a href=\"/staff\"{}>{} <strong>{}</strong></a></li>",
        if selected.is_none() { " aria-current=\"true\"" } else { "" },
        t("staff-filter-all"),
        crate::i18n::number(lang, total)
    ));
    for s in TicketState::ALL.iter().filter(|s| **s != TicketState::Collecting) {
        let n = counts.iter().find(|(c, _)| c == s).map(|(_, n)| *n).unwrap_or(0);
        body.push_str(&format!(
            "<li><a href=\"/staff?state={}\"{}>{} <strong>{}</strong></a></li>",
            s.code(),
            if selected == Some(*s) { " aria-current=\"true\"" } else { "" },
            t(s.message_id()),
            crate::i18n::number(lang, n)
        ));
    }
    body.push_str("</ul>");
    body
}

/// Previous / next page links that keep the filters.
fn pager_html(texts: &Texts, lang: Lang, q: &ListQuery, page_no: i64, pages: i64) -> String {
    let t = |id: &str| escape(&texts.get(lang, id));
    let mut body = String::new();
    if pages > 1 {
        body.push_str("<nav class=\"pager\">");
        if page_no > 1 {
            body.push_str(&format!(
                "<a href=\"/staff?{}\" rel=\"prev\">{}</a>",
                escape(&query_with(q, &[("page", &(page_no - 1).to_string())])),
                t("staff-page-prev")
            ));
        }
        body.push_str(&format!(
            "<span>{}</span>",
            escape(&texts.with(lang, "staff-page-of", &[("page", page_no.into()), ("pages", pages.into())]))
        ));
        if page_no < pages {
            body.push_str(&format!(
                "<a href=\"/staff?{}\" rel=\"next\">{}</a>",
                escape(&query_with(q, &[("page", &(page_no + 1).to_string())])),
                t("staff-page-next")
            ));
        }
        body.push_str("</nav>");
    }
    body
}

/// Messages that could not be delivered, for the desk to act on.
fn failed_html(texts: &Texts, lang: Lang, failed_list: &[crate::store::FailedMessage]) -> String {
    let t = |id: &str| escape(&texts.get(lang, id));
    let mut body = String::new();
    if failed_list.is_empty() {
        return body;
    }
    body.push_str(&format!(
        "<h2>{}</h2><div class=\"table-wrap\"><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        t("staff-failed-mail"),
        t("staff-col-when"),
        t("staff-col-number"),
        t("staff-col-kind"),
        t("staff-col-error")
    ));
    for f in failed_list {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&texts.datetime(lang, f.failed_at)),
            escape(f.ticket_number.as_deref().unwrap_or("")),
            escape(&texts.get(lang, &format!("staff-outbox-kind-{}", f.kind))),
            escape(&f.error),
        ));
    }
    body.push_str("</tbody></table></div>");
    body
}

fn filter_form(texts: &Texts, lang: Lang, q: &ListQuery, filter: &TicketFilter) -> String {
    let t = |id: &str| escape(&texts.get(lang, id));
    let states: Vec<TicketState> = TicketState::ALL.into_iter().filter(|s| *s != TicketState::Collecting).collect();
    let assigned = match &filter.assigned {
        AssignedFilter::Anyone => "",
        AssignedFilter::To(_) => "me",
        AssignedFilter::Nobody => "none",
    };
    let assigned_options: String = [("", "staff-assigned-any"), ("me", "staff-assigned-me"), ("none", "staff-assigned-nobody")]
        .iter()
        .map(|(code, id)| format!("<option value=\"{code}\"{}>{}</option>", if *code == assigned { " selected" } else { "" }, t(id)))
        .collect();
    let sort_options =
        options(&SortKey::ALL, Some(filter.sort), |k| k.code().to_owned(), |k| texts.get(lang, &format!("staff-sort-{}", k.code())));
    let dir = if filter.ascending { "asc" } else { "desc" };
    let dir_options: String = [("desc", "staff-sort-desc"), ("asc", "staff-sort-asc")]
        .iter()
        .map(|(code, id)| format!("<option value=\"{code}\"{}>{}</option>", if *code == dir { " selected" } else { "" }, t(id)))
        .collect();
    format!(
        "<form class=\"filters\" method=\"get\" action=\"/staff\" role=\"search\">\
         <label>{search_label}<input name=\"q\" type=\"search\" value=\"{q}\" maxlength=\"200\"></label>\
         <label>{state_label}<select name=\"state\"><option value=\"\">{all}</option>{states}</select></label>\
         <label>{assigned_label}<select name=\"assigned\">{assigned_options}</select></label>\
         <label>{stalled_label}<input name=\"stalled\" type=\"number\" min=\"0\" max=\"{STALLED_MAX}\" inputmode=\"numeric\" value=\"{stalled}\"></label>\
         <label>{sort_label}<select name=\"sort\">{sort_options}</select></label>\
         <label>{dir_label}<select name=\"dir\">{dir_options}</select></label>\
         <button type=\"submit\">{apply}</button> <a href=\"/staff\">{clear}</a></form>",
        search_label = t("staff-search-label"),
        q = escape(q.q.as_deref().unwrap_or("")),
        state_label = t("staff-col-state"),
        all = t("staff-filter-all"),
        states = options(&states, filter.state, |s| s.code().to_owned(), |s| texts.get(lang, s.message_id())),
        assigned_label = t("staff-col-assigned"),
        stalled_label = t("staff-stalled-label"),
        stalled = escape(q.stalled.as_deref().unwrap_or("")),
        sort_label = t("staff-sort-label"),
        dir_label = t("staff-sort-dir"),
        apply = t("staff-search-button"),
        clear = t("staff-filter-clear"),
    )
}

const COLUMNS: [&str; 9] = [
    "staff-col-number",
    "staff-col-state",
    "staff-col-name",
    "staff-col-tckn",
    "staff-col-title",
    "staff-col-email",
    "staff-col-assigned",
    "staff-col-waiting",
    "staff-col-opened",
];

fn ticket_table(texts: &Texts, lang: Lang, rows: &[TicketRow], calendar: &Calendar, now: i64) -> String {
    let head: String = COLUMNS.iter().map(|id| format!("<th scope=\"col\">{}</th>", escape(&texts.get(lang, id)))).collect();
    let mut html = format!("<div class=\"table-wrap\"><table class=\"tickets\"><thead><tr>{head}</tr></thead><tbody>");
    for t in rows {
        let days = waiting(calendar, t, now);
        html.push_str(&format!(
            "<tr><td><a href=\"/staff/tickets/{n}\">{n}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&texts.get(lang, t.state.message_id())),
            text_or_deleted(texts, lang, &t.name),
            text_or_deleted(texts, lang, &t.tckn_masked),
            text_or_deleted(texts, lang, &t.title),
            text_or_deleted(texts, lang, &t.email),
            escape(t.assigned_to.as_deref().unwrap_or("—")),
            escape(&waiting_text(texts, lang, days)),
            escape(&texts.date(lang, t.created_at)),
            n = escape(&t.number),
        ));
    }
    html.push_str("</tbody></table></div>");
    html
}

/// `GET /staff/export.csv`: the filtered list (every page) for Excel in Turkish: UTF-8 with a
/// byte-order mark, `;` between cells, T.C. Kimlik No masked, no cell a formula. The export is
/// in the audit log.
pub async fn export(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let here = format!("/staff?{}", query_with(&q, &[]));
    let (session, lang) = match signed_in(&state, &headers, Role::Viewer, &here).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    let now = clock::now_ms();
    let (mut filter, _) = match audited_filter(&state, &session, &q, &client_address(&state, peer, &headers), now).await {
        Ok(found) => found,
        Err(e) => return failed(texts, lang, e),
    };
    filter.offset = 0;
    filter.limit = EXPORT_MAX;
    let found = match state.service.store().desk_page(&filter).await {
        Ok(f) => f,
        Err(e) => return failed(texts, lang, e),
    };
    let csv = match export_csv(texts, lang, &found.rows, &state.calendar, now) {
        Ok(csv) => csv,
        Err(e) => {
            tracing::error!(error = %e, "writing the CSV export failed");
            return failed(texts, lang, crate::store::StoreError::Corrupt("csv".into()));
        }
    };
    // What was exported, without the search words (they may be a name or a T.C. Kimlik No).
    let detail = format!("{} rows; {}", found.rows.len(), query_with(&q, &[("q", if q.q.is_some() { "…" } else { "" })]));
    if let Err(e) = state
        .service
        .store()
        .audit("export", &session.account.name, &client_address(&state, peer, &headers), None, Some(&detail), now)
        .await
    {
        return failed(texts, lang, e);
    }
    tracing::info!(staff = %session.account.name, rows = found.rows.len(), "staff exported the ticket list");
    let day = clock::istanbul_today(now).format("%Y-%m-%d");
    let mut response = csv.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"eimza-{day}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

fn export_csv(texts: &Texts, lang: Lang, rows: &[TicketRow], calendar: &Calendar, now: i64) -> Result<Vec<u8>, csv::Error> {
    let mut out = Vec::from("\u{feff}".as_bytes());
    {
        let mut writer = csv::WriterBuilder::new().delimiter(b';').terminator(csv::Terminator::CRLF).from_writer(&mut out);
        let mut head: Vec<String> = COLUMNS.iter().map(|id| texts.get(lang, id)).collect();
        head.push(texts.get(lang, "staff-col-updated"));
        writer.write_record(head.iter().map(|h| staff::csv_cell(h)))?;
        let gone = texts.get(lang, "staff-personal-data-deleted");
        for t in rows {
            let value = |v: &Option<String>| v.clone().unwrap_or_else(|| gone.clone());
            let record = [
                t.number.clone(),
                texts.get(lang, t.state.message_id()),
                value(&t.name),
                value(&t.tckn_masked),
                value(&t.title),
                value(&t.email),
                t.assigned_to.clone().unwrap_or_default(),
                waiting(calendar, t, now).map(|d| d.to_string()).unwrap_or_default(),
                texts.datetime(lang, t.created_at),
                texts.datetime(lang, t.updated_at),
            ];
            writer.write_record(record.iter().map(|c| staff::csv_cell(c)))?;
        }
        writer.flush()?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> ListQuery {
        let get = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string());
        ListQuery {
            state: get("state"),
            q: get("q"),
            assigned: get("assigned"),
            stalled: get("stalled"),
            sort: get("sort"),
            dir: get("dir"),
            page: get("page"),
        }
    }

    #[test]
    fn a_query_becomes_a_filter_and_bad_values_are_said() {
        let calendar = Calendar::default();
        let now = 1_796_000_000_000;
        let (f, problems) = filter_of(
            &q(&[("state", "eonay-done"), ("assigned", "me"), ("sort", "waiting"), ("page", "3")]),
            "ayse",
            Role::Viewer,
            &calendar,
            now,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(f.state, Some(TicketState::EOnayDone));
        assert_eq!(f.assigned, AssignedFilter::To("ayse".into()));
        assert_eq!((f.sort, f.ascending, f.offset), (SortKey::Waiting, false, 2));
        let (f, problems) = filter_of(
            &q(&[("state", "x"), ("assigned", "all"), ("stalled", "-1"), ("sort", "id; DROP"), ("page", "0")]),
            "ayse",
            Role::Viewer,
            &calendar,
            now,
        );
        assert_eq!(
            problems,
            [
                "staff-filter-bad-state",
                "staff-filter-bad-assigned",
                "staff-filter-bad-stalled",
                "staff-filter-bad-sort",
                "staff-filter-bad-page"
            ]
        );
        assert_eq!((f.state, f.changed_before, f.sort), (None, None, SortKey::Number));
        let (f, _) = filter_of(&q(&[("stalled", "3")]), "ayse", Role::Viewer, &calendar, now);
        assert!(f.changed_before.is_some_and(|c| c < now));
        // A full T.C. Kimlik No un-masks: viewers may not search by it, officers may.
        let (f, problems) = filter_of(&q(&[("q", "123 456 789 50")]), "ayse", Role::Viewer, &calendar, now);
        assert_eq!((f.search, problems), (None, vec!["staff-search-tckn-officers"]));
        let (f, problems) = filter_of(&q(&[("q", "12345678950")]), "ayse", Role::Officer, &calendar, now);
        assert_eq!((f.search.as_deref(), problems.len()), (Some("12345678950"), 0));
        let (f, _) = filter_of(&q(&[("q", "Ayşe")]), "ayse", Role::Viewer, &calendar, now);
        assert_eq!(f.search.as_deref(), Some("Ayşe"));
    }

    #[test]
    fn the_export_opens_in_turkish_excel_and_runs_no_formula() {
        let texts = Texts::embedded();
        let row = TicketRow {
            id: 1,
            number: "EIMZA-2026-000001".into(),
            state: TicketState::EOnayDone,
            name: Some("=HYPERLINK(\"http://x\";\"tıkla\")".into()),
            tckn_masked: Some("123******50".into()),
            title: Some("+Uzman".into()),
            email: Some("@ayse@kurum.gov.tr".into()),
            created_at: 1_796_000_000_000,
            updated_at: 1_796_000_000_000,
            lang: Lang::Tr,
            assigned_to: None,
        };
        let csv = export_csv(&texts, Lang::Tr, &[row], &Calendar::default(), 1_796_000_000_000).unwrap();
        assert!(csv.starts_with("\u{feff}".as_bytes()), "a byte-order mark");
        let text = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').split("\r\n").collect();
        assert!(lines[0].starts_with("Başvuru No;Durum;Ad Soyad;T.C. Kimlik No;"), "{}", lines[0]);
        assert!(lines[1].contains(";\"'=HYPERLINK(\"\"http://x\"\";\"\"tıkla\"\")\";"), "{}", lines[1]);
        assert!(lines[1].contains(";'+Uzman;'@ayse@kurum.gov.tr;"), "{}", lines[1]);
        assert!(lines[1].contains("123******50") && !text.contains("12345678950"));
    }
}
