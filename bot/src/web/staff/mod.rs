//! The staff desk (`/staff`): sign-in with database sessions ([`login`]), the ticket list with
//! counts, filters, paging and the CSV export ([`list`]), a ticket's page with its actions,
//! assignment, internal notes, answers and the corporate-application data ([`ticket`]), and the
//! admin's accounts, roster and audit log ([`admin`]).
//!
//! Every page needs a live session of a role that may see it; every POST must come from our own
//! origin (403 otherwise, before anything else), carry the session's CSRF token, and be allowed
//! for the session's role.

mod admin;
mod list;
mod login;
mod ticket;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use eimza_protocol::Lang;
use subtle::ConstantTimeEq;

use super::{AppState, escape, request_lang};
use crate::core::staff::Role;
use crate::i18n::Texts;
use crate::store::{Actor, StaffSession};

/// The session cookie.
const COOKIE: &str = "eimza_staff";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/staff", get(list::list))
        .route("/staff/export.csv", get(list::export))
        .route("/staff/login", get(login::form).post(login::submit))
        .route("/staff/logout", post(login::logout))
        .route("/staff/logout-everywhere", post(login::logout_everywhere))
        .route("/staff/setup/{token}", get(login::setup_form).post(login::setup_submit))
        .route("/staff/tickets/{number}", get(ticket::show))
        .route("/staff/tickets/{number}/actions", post(ticket::act))
        .route("/staff/tickets/{number}/assign", post(ticket::assign))
        .route("/staff/tickets/{number}/notes", post(ticket::note))
        .route("/staff/tickets/{number}/answer", post(ticket::answer))
        .route("/staff/tickets/{number}/reveal", post(ticket::reveal))
        .route("/staff/agents/{agent}/revoke", post(ticket::revoke_agent))
        .route("/staff/admin", get(admin::page_route))
        .route("/staff/admin/accounts", post(admin::add_account))
        .route("/staff/admin/accounts/{name}", post(admin::change_account))
        // Roster files of a large institution run to megabytes.
        .route("/staff/roster", post(admin::upload_roster).layer(DefaultBodyLimit::max(32 * 1024 * 1024)))
}

/// A form post must come from our own page: its `Origin` is the bot's public address, never
/// `null`, never whatever `Host` the request names (DNS rebinding would pass that). Without
/// `Origin` (older browsers), a browser's `Sec-Fetch-Site` must say same-origin; a post with
/// neither is refused.
fn same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    let public = public_url.trim().trim_end_matches('/');
    let public_origin = public.split_once("://").map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)));
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin) => public_origin.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(origin.trim_end_matches('/'))),
        None => matches!(headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()), Some("same-origin")),
    }
}

/// The session token from the `Cookie` header.
fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 64)
}

/// The `Set-Cookie` value of a new session: not readable by scripts, never sent with a request
/// another site starts, `Secure` when the desk is served over https.
fn session_cookie(token: &str, public_url: &str) -> String {
    let secure = if public_url.trim().to_ascii_lowercase().starts_with("https://") { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/staff; HttpOnly; SameSite=Strict{secure}")
}

fn clear_cookie() -> String {
    format!("{COOKIE}=; Path=/staff; HttpOnly; SameSite=Strict; Max-Age=0")
}

/// How the history and the audit log name a staff member of the desk.
fn actor(session: &StaffSession) -> Actor {
    Actor::staff(session.account.name.clone())
}

fn csrf_field(session: &StaffSession) -> String {
    format!("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", escape(&session.csrf))
}

/// A whole staff page: the bar (the desk, admin for admins, who is signed in, log out), the
/// title, the body.
fn page(texts: &Texts, lang: Lang, session: Option<&StaffSession>, title: &str, body: &str) -> String {
    let t = |id: &str| escape(&texts.get(lang, id));
    let bar = match session {
        Some(s) => {
            let admin = if s.account.role.may(Role::Admin) {
                format!("<a href=\"/staff/admin\">{}</a>", t("staff-nav-admin"))
            } else {
                String::new()
            };
            format!(
                "<header class=\"bar\"><nav aria-label=\"{nav}\"><a href=\"/staff\">{desk}</a>{admin}</nav>\
                 <span class=\"who\">{who}</span>\
                 <form method=\"post\" action=\"/staff/logout\">{csrf}<button class=\"link\">{logout}</button></form>\
                 <form method=\"post\" action=\"/staff/logout-everywhere\">{csrf}<button class=\"link\">{everywhere}</button></form></header>",
                nav = t("staff-nav-label"),
                desk = t("staff-nav-desk"),
                who = escape(&texts.with(
                    lang,
                    "staff-signed-in-as",
                    &[("name", s.account.name.clone().into()), ("role", texts.get(lang, s.account.role.message_id()).into())]
                )),
                csrf = csrf_field(s),
                logout = t("staff-logout"),
                everywhere = t("staff-logout-everywhere"),
            )
        }
        None => String::new(),
    };
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} — {app}</title><link rel=\"stylesheet\" href=\"/assets/staff.css\"></head>\
         <body>{bar}<main><h1>{title}</h1>{body}</main></body></html>",
        code = lang.code(),
        title = escape(title),
        app = t("staff-page-title"),
    )
}

/// A page that only says something (a refusal, a failure), with the way back.
fn said(texts: &Texts, lang: Lang, session: Option<&StaffSession>, status: StatusCode, message: &str) -> Response {
    let back = match session {
        Some(_) => format!("<p><a href=\"/staff\">{}</a></p>", escape(&texts.get(lang, "staff-back"))),
        None => format!("<p><a href=\"/staff/login\">{}</a></p>", escape(&texts.get(lang, "staff-login-link"))),
    };
    let body = format!("<p class=\"notice\" role=\"alert\">{}</p>{back}", escape(message));
    (status, Html(page(texts, lang, session, &texts.get(lang, "staff-page-title"), &body))).into_response()
}

/// An unexpected failure: a polite page for the reader, the details in the log.
fn failed(texts: &Texts, lang: Lang, error: crate::store::StoreError) -> Response {
    tracing::error!(error = %error, "staff desk failed");
    said(texts, lang, None, StatusCode::INTERNAL_SERVER_ERROR, &texts.get(lang, "api-error-internal"))
}

/// The signed-in staff member allowed to see a page (`needed`): without a session, the way to
/// the login (back to `here` afterwards); with too small a role, 403.
async fn signed_in(state: &AppState, headers: &HeaderMap, needed: Role, here: &str) -> Result<(StaffSession, Lang), Response> {
    let texts = state.service.texts();
    let lang = request_lang(headers);
    let session = match cookie_token(headers) {
        Some(token) => state.accounts.session(&token, crate::clock::now_ms()).await.map_err(|e| failed(texts, lang, e))?,
        None => None,
    };
    let Some(session) = session else {
        let next: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("next", here).finish();
        return Err(Redirect::to(&format!("/staff/login?{next}")).into_response());
    };
    if !session.account.role.may(needed) {
        tracing::info!(staff = %session.account.name, page = here, "a staff page refused to the account's role");
        return Err(said(texts, lang, Some(&session), StatusCode::FORBIDDEN, &texts.get(lang, "staff-role-refused")));
    }
    Ok((session, lang))
}

/// Who may post to the desk, judged from the headers alone (before a body is read): from our
/// own origin (403 first: a forged cross-site post learns nothing), a live session (401), a
/// role that may (403). The form's CSRF token is checked with [`csrf_matches`] once read.
async fn may_post_headers(state: &AppState, headers: &HeaderMap, needed: Role) -> Result<(StaffSession, Lang), Response> {
    let texts = state.service.texts();
    let lang = request_lang(headers);
    if !same_origin(headers, &state.service.settings().public_url) {
        return Err(said(texts, lang, None, StatusCode::FORBIDDEN, &texts.get(lang, "staff-forbidden-origin")));
    }
    let session = match cookie_token(headers) {
        Some(token) => state.accounts.session(&token, crate::clock::now_ms()).await.map_err(|e| failed(texts, lang, e))?,
        None => None,
    };
    let Some(session) = session else {
        return Err(said(texts, lang, None, StatusCode::UNAUTHORIZED, &texts.get(lang, "staff-session-ended")));
    };
    if !session.account.role.may(needed) {
        tracing::info!(staff = %session.account.name, "a staff action refused to the account's role");
        return Err(said(texts, lang, Some(&session), StatusCode::FORBIDDEN, &texts.get(lang, "staff-role-refused")));
    }
    Ok((session, lang))
}

/// The form's CSRF token is the session's (constant-time), or the refusal.
// The refusal is the page to answer with; it is built only when refusing.
#[allow(clippy::result_large_err)]
fn csrf_matches(state: &AppState, session: &StaffSession, lang: Lang, csrf: &str) -> Result<(), Response> {
    if bool::from(session.csrf.as_bytes().ct_eq(csrf.as_bytes())) {
        return Ok(());
    }
    let texts = state.service.texts();
    Err(said(texts, lang, Some(session), StatusCode::FORBIDDEN, &texts.get(lang, "staff-forbidden-origin")))
}

/// Who may make a form post: [`may_post_headers`], then the form's CSRF token.
async fn may_post(state: &AppState, headers: &HeaderMap, csrf: &str, needed: Role) -> Result<(StaffSession, Lang), Response> {
    let (session, lang) = may_post_headers(state, headers, needed).await?;
    csrf_matches(state, &session, lang, csrf)?;
    Ok((session, lang))
}

/// The client's address as the limits and the audit log group it.
fn client_address(state: &AppState, peer: std::net::SocketAddr, headers: &HeaderMap) -> String {
    super::client::limit_key(super::client::client_ip(peer.ip(), headers, &state.proxies))
}

/// What a form field holds once control characters (other than line breaks where allowed) are
/// gone and it is trimmed; `None` when longer than `max` characters.
fn clean_text(value: &str, max: usize, lines: bool) -> Option<String> {
    let cleaned: String = value.chars().filter(|c| !c.is_control() || (lines && *c == '\n')).collect::<String>().trim().to_owned();
    (cleaned.chars().count() <= max).then_some(cleaned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn a_staff_form_post_must_come_from_our_own_page() {
        let public = "https://eimza.kurum.gov.tr/";
        assert!(same_origin(&headers(&[("origin", "https://eimza.kurum.gov.tr"), ("host", "10.0.0.5:8080")]), public), "behind a proxy");
        assert!(same_origin(&headers(&[("origin", "HTTPS://EIMZA.KURUM.GOV.TR/")]), public));
        assert!(
            !same_origin(&headers(&[("origin", "http://rebound.example:8080"), ("host", "rebound.example:8080")]), public),
            "DNS rebinding"
        );
        assert!(!same_origin(&headers(&[("origin", "null"), ("host", "127.0.0.1:8080")]), public));
        assert!(!same_origin(&headers(&[("origin", "https://evil.example"), ("host", "eimza.kurum.gov.tr")]), public));
        assert!(!same_origin(&headers(&[("sec-fetch-site", "cross-site")]), public), "no Origin, but a browser says where from");
        assert!(same_origin(&headers(&[("sec-fetch-site", "same-origin")]), public));
        assert!(!same_origin(&headers(&[]), public), "neither: refused");
    }

    #[test]
    fn the_session_cookie_is_read_and_set_safely() {
        let h = headers(&[("cookie", "a=1; eimza_staff=abc_DEF-123 ; b=2")]);
        assert_eq!(cookie_token(&h).as_deref(), Some("abc_DEF-123"));
        assert_eq!(cookie_token(&headers(&[("cookie", "eimza_staff=")])), None);
        assert_eq!(cookie_token(&headers(&[("cookie", &format!("eimza_staff={}", "x".repeat(65)))])), None);
        let http = session_cookie("t", "http://127.0.0.1:8080/");
        assert!(http.contains("HttpOnly") && http.contains("SameSite=Strict") && !http.contains("Secure"));
        assert!(session_cookie("t", "https://eimza.kurum.gov.tr/").ends_with("; Secure"));
    }

    #[test]
    fn form_text_is_cleaned_and_bounded() {
        assert_eq!(clean_text("  a\u{7}b\nc ", 10, true).as_deref(), Some("ab\nc"));
        assert_eq!(clean_text("a\nb", 10, false).as_deref(), Some("ab"));
        assert_eq!(clean_text("çok uzun", 3, false), None);
    }
}
