//! Signing in and out of the desk, and the first admin's one-time setup link.

use std::net::SocketAddr;

use axum::extract::rejection::FormRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use eimza_protocol::Lang;
use serde::Deserialize;

use super::{clear_cookie, client_address, cookie_token, failed, may_post, page, said, same_origin, session_cookie};
use crate::clock;
use crate::core::staff::{MAX_PASSWORD_CHARS, Role};
use crate::i18n::Texts;
use crate::service::accounts::LoginOutcome;
use crate::web::{AppState, escape, request_lang};

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Where to go after the login: only a page of the desk (never another site: `//host`, `/\`).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with("/staff") && !n.contains("//") && !n.contains('\\') && n.len() <= 512 && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/staff".to_owned(),
    }
}

fn login_page(texts: &Texts, lang: Lang, next: &str, name: &str, problem: Option<&str>) -> String {
    let t = |id: &str| escape(&texts.get(lang, id));
    let error = problem.map(|p| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(p))).unwrap_or_default();
    let body = format!(
        "<form class=\"sensitive-form\" method=\"post\" action=\"/staff/login\">{error}\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\
         <label for=\"name\">{name_label}</label><input id=\"name\" name=\"name\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required maxlength=\"64\" value=\"{name}\" autofocus>\
         <label for=\"password\">{password_label}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"{MAX_PASSWORD_CHARS}\">\
         <button type=\"submit\">{submit}</button></form><p class=\"hint\">{hint}</p>",
        next = escape(next),
        name = escape(name),
        name_label = t("staff-login-name"),
        password_label = t("staff-login-password"),
        submit = t("staff-login-submit"),
        hint = t("staff-login-hint"),
    );
    page(texts, lang, None, &texts.get(lang, "staff-login-title"), &body)
}

/// `GET /staff/login`.
pub async fn form(State(state): State<AppState>, Query(q): Query<NextQuery>, headers: HeaderMap) -> Response {
    let lang = request_lang(&headers);
    let texts = state.service.texts();
    let next = safe_next(q.next.as_deref());
    if let Some(token) = cookie_token(&headers)
        && let Ok(Some(_)) = state.accounts.session(&token, clock::now_ms()).await
    {
        return Redirect::to(&next).into_response();
    }
    Html(login_page(texts, lang, &next, "", None)).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /staff/login`.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<axum::Form<LoginForm>, FormRejection>,
) -> Response {
    let lang = request_lang(&headers);
    let texts = state.service.texts();
    let public_url = &state.service.settings().public_url;
    // A login another site makes the browser post would sign the person into our desk as
    // someone else (login CSRF).
    if !same_origin(&headers, public_url) {
        return said(texts, lang, None, StatusCode::FORBIDDEN, &texts.get(lang, "staff-forbidden-origin"));
    }
    let Ok(axum::Form(form)) = form else {
        return (StatusCode::BAD_REQUEST, Html(login_page(texts, lang, "/staff", "", Some(&texts.get(lang, "staff-login-missing")))))
            .into_response();
    };
    let next = safe_next(Some(&form.next));
    let name: String = form.name.chars().filter(|c| !c.is_control()).take(64).collect();
    if name.trim().is_empty() || form.password.is_empty() {
        let page = login_page(texts, lang, &next, &name, Some(&texts.get(lang, "staff-login-missing")));
        return (StatusCode::BAD_REQUEST, Html(page)).into_response();
    }
    let address = client_address(&state, peer, &headers);
    if let Err(wait_secs) = state.limits.logins.take(&address) {
        crate::metrics::METRICS.refused("staff-login");
        let text = texts.with(lang, "staff-login-throttled", &[("minutes", (wait_secs.div_ceil(60).max(1) as i64).into())]);
        return (StatusCode::TOO_MANY_REQUESTS, Html(login_page(texts, lang, &next, &name, Some(&text)))).into_response();
    }
    match state.accounts.login(&name, &form.password, &address, clock::now_ms()).await {
        Ok(LoginOutcome::Welcome { token, .. }) => {
            let mut response = Redirect::to(&next).into_response();
            if let Ok(value) = session_cookie(&token, public_url).parse() {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(LoginOutcome::Refused) => {
            (StatusCode::UNAUTHORIZED, Html(login_page(texts, lang, &next, &name, Some(&texts.get(lang, "staff-login-wrong")))))
                .into_response()
        }
        Ok(LoginOutcome::Throttled { minutes }) => {
            let text = texts.with(lang, "staff-login-throttled", &[("minutes", minutes.into())]);
            (StatusCode::TOO_MANY_REQUESTS, Html(login_page(texts, lang, &next, &name, Some(&text)))).into_response()
        }
        Err(e) => failed(texts, lang, e),
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

fn to_login(texts: &Texts, lang: Lang, message_id: &str) -> Response {
    let mut response = (StatusCode::OK, Html(login_page(texts, lang, "/staff", "", Some(&texts.get(lang, message_id))))).into_response();
    if let Ok(value) = clear_cookie().parse() {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `POST /staff/logout`: this session ends.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, form: Result<axum::Form<CsrfForm>, FormRejection>) -> Response {
    let csrf = form.map(|f| f.0.csrf).unwrap_or_default();
    let (session, lang) = match may_post(&state, &headers, &csrf, Role::Viewer).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    if let Some(token) = cookie_token(&headers)
        && let Err(e) = state.accounts.logout(&token).await
    {
        return failed(texts, lang, e);
    }
    tracing::info!(staff = %session.account.name, "staff logout");
    to_login(texts, lang, "staff-logged-out")
}

/// `POST /staff/logout-everywhere`: every session of the account ends (a lost laptop).
pub async fn logout_everywhere(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<axum::Form<CsrfForm>, FormRejection>,
) -> Response {
    let csrf = form.map(|f| f.0.csrf).unwrap_or_default();
    let (session, lang) = match may_post(&state, &headers, &csrf, Role::Viewer).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    match state.accounts.logout_everywhere(session.account.id).await {
        Ok(ended) => tracing::info!(staff = %session.account.name, sessions = ended, "staff logged out everywhere"),
        Err(e) => return failed(texts, lang, e),
    }
    to_login(texts, lang, "staff-logged-out-everywhere")
}

fn setup_page(texts: &Texts, lang: Lang, token: &str, name: &str, problem: Option<&str>) -> String {
    let t = |id: &str| escape(&texts.get(lang, id));
    let error = problem.map(|p| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(p))).unwrap_or_default();
    let body = format!(
        "<p>{intro}</p><form class=\"sensitive-form\" method=\"post\" action=\"/staff/setup/{token}\">{error}\
         <label for=\"name\">{name_label}</label><input id=\"name\" name=\"name\" autocomplete=\"username\" autocapitalize=\"none\" spellcheck=\"false\" required maxlength=\"32\" value=\"{name}\">\
         <p class=\"hint\">{name_hint}</p>\
         <label for=\"password\">{password_label}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"new-password\" required maxlength=\"{MAX_PASSWORD_CHARS}\">\
         <p class=\"hint\">{password_hint}</p>\
         <label for=\"repeated\">{repeat_label}</label><input id=\"repeated\" name=\"repeated\" type=\"password\" autocomplete=\"new-password\" required maxlength=\"{MAX_PASSWORD_CHARS}\">\
         <button type=\"submit\">{submit}</button></form>",
        token = escape(token),
        name = escape(name),
        intro = t("staff-setup-intro"),
        name_label = t("staff-login-name"),
        name_hint = t("staff-account-name-hint"),
        password_label = t("staff-new-password"),
        password_hint = escape(&texts.with(lang, "staff-password-hint", &[("min", crate::core::staff::MIN_PASSWORD_CHARS.into())])),
        repeat_label = t("staff-new-password-again"),
        submit = t("staff-setup-submit"),
    );
    page(texts, lang, None, &texts.get(lang, "staff-setup-title"), &body)
}

/// `GET /staff/setup/{token}`: the first admin's form, while the link is good.
pub async fn setup_form(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let lang = request_lang(&headers);
    let texts = state.service.texts();
    match state.accounts.setup_link_valid(&token, clock::now_ms()).await {
        Ok(true) => Html(setup_page(texts, lang, &token, "", None)).into_response(),
        Ok(false) => said(texts, lang, None, StatusCode::NOT_FOUND, &texts.get(lang, "staff-setup-link-invalid")),
        Err(e) => failed(texts, lang, e),
    }
}

#[derive(Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    repeated: String,
}

/// `POST /staff/setup/{token}`: the first admin account, signed in at once.
pub async fn setup_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: Result<axum::Form<SetupForm>, FormRejection>,
) -> Response {
    let lang = request_lang(&headers);
    let texts = state.service.texts();
    let public_url = &state.service.settings().public_url;
    if !same_origin(&headers, public_url) {
        return said(texts, lang, None, StatusCode::FORBIDDEN, &texts.get(lang, "staff-forbidden-origin"));
    }
    let form = form.map(|f| f.0).unwrap_or(SetupForm { name: String::new(), password: String::new(), repeated: String::new() });
    let name: String = form.name.chars().filter(|c| !c.is_control()).take(64).collect();
    let address = client_address(&state, peer, &headers);
    match state.accounts.complete_setup(&token, &name, &form.password, &form.repeated, &address, clock::now_ms()).await {
        Ok(Ok((session, account))) => {
            tracing::info!(staff = %account.name, "the first staff admin was set up");
            let mut response = Redirect::to("/staff").into_response();
            if let Ok(value) = session_cookie(&session, public_url).parse() {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Ok(Err(
            problem @ (crate::service::accounts::AccountProblem::SetupLink | crate::service::accounts::AccountProblem::AccountsExist),
        )) => said(texts, lang, None, StatusCode::NOT_FOUND, &texts.get(lang, problem.message_id())),
        Ok(Err(problem)) => {
            let text = texts.with(lang, problem.message_id(), &[("min", crate::core::staff::MIN_PASSWORD_CHARS.into())]);
            (StatusCode::BAD_REQUEST, Html(setup_page(texts, lang, &token, &name, Some(&text)))).into_response()
        }
        Err(e) => failed(texts, lang, e),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn after_the_login_only_a_desk_page() {
        assert_eq!(safe_next(Some("/staff/tickets/EIMZA-2026-000001")), "/staff/tickets/EIMZA-2026-000001");
        assert_eq!(safe_next(Some("/staff?state=eonay-done&page=2")), "/staff?state=eonay-done&page=2");
        for bad in ["https://evil.example/staff", "//evil.example", "/staff//evil", "/staff\\..\\", "/", "/stafff\n"] {
            assert_eq!(safe_next(Some(bad)), "/staff", "{bad}");
        }
        assert_eq!(safe_next(None), "/staff");
    }
}
