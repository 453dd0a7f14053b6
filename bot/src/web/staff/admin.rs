//! The admin's page: staff accounts (add, change role, new password, disable), the roster
//! import, and the audit log.

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use eimza_protocol::Lang;
use serde::Deserialize;

use super::{csrf_field, csrf_matches, failed, may_post, may_post_headers, page, signed_in};
use crate::clock;
use crate::core::staff::{MIN_PASSWORD_CHARS, Role};
use crate::store::StaffSession;
use crate::web::{AppState, escape};

async fn render(state: &AppState, session: &StaffSession, lang: Lang, said: Option<(bool, Vec<String>)>, status: StatusCode) -> Response {
    let texts = state.service.texts();
    let store = state.service.store();
    let (accounts, audit) = match tokio::try_join!(store.accounts(), store.audit_log(None, 50)) {
        Ok(r) => r,
        Err(e) => return failed(texts, lang, e),
    };
    let t = |id: &str| escape(&texts.get(lang, id));
    let csrf = csrf_field(session);
    let mut body = format!("<nav class=\"crumbs\"><a href=\"/staff\">{}</a></nav>", t("staff-back"));
    if let Some((ok, lines)) = said {
        let class = if ok { "flash" } else { "notice" };
        for line in lines {
            body.push_str(&format!("<p class=\"{class}\" role=\"status\">{}</p>", escape(&line)));
        }
    }
    body.push_str(&accounts_html(texts, lang, session, &accounts));
    body.push_str(&format!(
        // The browser's own "Choose file" button speaks the browser's language, not the page's:
        // the input is hidden inside a label that says it in ours.
        "<section aria-labelledby=\"roster\"><h2 id=\"roster\">{}</h2><form method=\"post\" action=\"/staff/roster\" enctype=\"multipart/form-data\">{csrf}<span>{}</span> \
         <label class=\"file\"><input id=\"roster-file\" name=\"file\" type=\"file\" accept=\".csv,text/csv\" required>{}</label> \
         <button>{}</button></form></section>",
        t("staff-roster-title"),
        t("staff-roster-label"),
        t("staff-roster-choose"),
        t("staff-roster-upload"),
    ));
    body.push_str(&audit_html(texts, lang, &audit));
    (status, Html(page(texts, lang, Some(session), &texts.get(lang, "staff-admin-title"), &body))).into_response()
}

/// `GET /staff/admin`.
pub async fn page_route(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (session, lang) = match signed_in(&state, &headers, Role::Admin, "/staff/admin").await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    render(&state, &session, lang, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// `POST /staff/admin/accounts`: a new account.
pub async fn add_account(State(state): State<AppState>, headers: HeaderMap, form: Result<axum::Form<AddForm>, FormRejection>) -> Response {
    let form =
        form.map(|f| f.0).unwrap_or(AddForm { csrf: String::new(), name: String::new(), role: String::new(), password: String::new() });
    let (session, lang) = match may_post(&state, &headers, &form.csrf, Role::Admin).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    let Some(role) = Role::parse(&form.role) else {
        return render(&state, &session, lang, Some((false, vec![texts.get(lang, "staff-role-unknown")])), StatusCode::BAD_REQUEST).await;
    };
    match state.accounts.add(&form.name, role, &form.password, clock::now_ms()).await {
        Ok(Ok(name)) => {
            tracing::info!(staff = %session.account.name, account = %name, role = role.code(), "staff account added");
            let text =
                texts.with(lang, "staff-account-added", &[("name", name.into()), ("role", texts.get(lang, role.message_id()).into())]);
            render(&state, &session, lang, Some((true, vec![text])), StatusCode::OK).await
        }
        Ok(Err(problem)) => {
            let text = texts.with(lang, problem.message_id(), &[("min", MIN_PASSWORD_CHARS.into())]);
            render(&state, &session, lang, Some((false, vec![text])), StatusCode::BAD_REQUEST).await
        }
        Err(e) => failed(texts, lang, e),
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    role: String,
}

/// `POST /staff/admin/accounts/{name}`: another account's role, or disabling it (one's own
/// account is changed from the command line, so nobody locks the desk out by a click).
pub async fn change_account(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    form: Result<axum::Form<ChangeForm>, FormRejection>,
) -> Response {
    let form = form.map(|f| f.0).unwrap_or(ChangeForm { csrf: String::new(), action: String::new(), role: String::new() });
    let (session, lang) = match may_post(&state, &headers, &form.csrf, Role::Admin).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let texts = state.service.texts();
    let refuse = |id: &str| Some((false, vec![texts.get(lang, id)]));
    if name == session.account.name {
        return render(&state, &session, lang, refuse("staff-account-yourself"), StatusCode::BAD_REQUEST).await;
    }
    let store = state.service.store();
    let done = match (form.action.as_str(), Role::parse(&form.role)) {
        ("role", Some(role)) => store.set_role(&name, role).await,
        ("role", None) => return render(&state, &session, lang, refuse("staff-role-unknown"), StatusCode::BAD_REQUEST).await,
        ("disable", _) => store.disable_account(&name, clock::now_ms()).await,
        _ => return render(&state, &session, lang, refuse("staff-action-unknown"), StatusCode::BAD_REQUEST).await,
    };
    match done {
        Ok(true) => {
            tracing::info!(staff = %session.account.name, account = %name, action = %form.action, "staff account changed");
            let text = texts.with(lang, "staff-account-changed", &[("name", name.into())]);
            render(&state, &session, lang, Some((true, vec![text])), StatusCode::OK).await
        }
        Ok(false) => render(&state, &session, lang, refuse("staff-account-unknown"), StatusCode::NOT_FOUND).await,
        Err(e) => failed(texts, lang, e),
    }
}

/// `POST /staff/roster`: a CSV file from the admin page; all of it or nothing.
pub async fn upload_roster(State(state): State<AppState>, headers: HeaderMap, mut form: axum::extract::Multipart) -> Response {
    // Who sends it is judged before a byte of the (large) body is read.
    let (session, lang) = match may_post_headers(&state, &headers, Role::Admin).await {
        Ok(s) => s,
        Err(refusal) => return refusal,
    };
    let mut bytes = None;
    let mut csrf = String::new();
    while let Ok(Some(field)) = form.next_field().await {
        match field.name() {
            Some("file") => bytes = field.bytes().await.ok(),
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            _ => {}
        }
    }
    if let Err(refusal) = csrf_matches(&state, &session, lang, &csrf) {
        return refusal;
    }
    let texts = state.service.texts();
    let settings = state.service.settings();
    let (ok, lines) = match bytes.as_deref().map(|b| crate::roster::parse(b, &settings.domains, &settings.titles)) {
        None => (false, vec![texts.get(lang, "roster-err-empty")]),
        Some(Err(error)) => (false, crate::roster::report(texts, lang, &error)),
        Some(Ok(entries)) => match state.service.store().import_roster(&entries, "import", clock::now_ms()).await {
            Ok(summary) => {
                tracing::info!(staff = %session.account.name, added = summary.added, updated = summary.updated, "roster imported");
                let line = texts.with(
                    lang,
                    "roster-imported",
                    &[("count", entries.len().into()), ("added", summary.added.into()), ("updated", summary.updated.into())],
                );
                (true, vec![line])
            }
            Err(e) => return failed(texts, lang, e),
        },
    };
    let status = if ok { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    render(&state, &session, lang, Some((ok, lines)), status).await
}

/// The newest rows of the audit log: logins, failures, reveals, exports.
fn audit_html(texts: &crate::i18n::Texts, lang: Lang, audit: &[crate::store::AuditEntry]) -> String {
    let t = |id: &str| escape(&texts.get(lang, id));
    let mut body = String::new();
    body.push_str(&format!(
        "<section aria-labelledby=\"audit\"><h2 id=\"audit\">{}</h2><div class=\"table-wrap\"><table id=\"audit-log\"><thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        t("staff-audit-title"),
        t("staff-col-when"),
        t("staff-col-actor"),
        t("staff-col-kind"),
        t("staff-col-number"),
        t("staff-col-address"),
    ));
    for a in audit {
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&texts.datetime(lang, a.at)),
            escape(&a.account),
            escape(&texts.get(lang, &format!("staff-audit-{}", a.kind))),
            escape(a.ticket.as_deref().unwrap_or("")),
            escape(&a.address),
        ));
    }
    body.push_str("</tbody></table></div></section>");
    body
}

/// The accounts, each with its role and the forms to change it, and the form for a new one.
fn accounts_html(texts: &crate::i18n::Texts, lang: Lang, session: &StaffSession, accounts: &[crate::store::Account]) -> String {
    let t = |id: &str| escape(&texts.get(lang, id));
    let csrf = csrf_field(session);
    let mut body = String::new();
    let role_options = |selected: Role| -> String {
        Role::ALL
            .iter()
            .map(|r| {
                format!("<option value=\"{}\"{}>{}</option>", r.code(), if *r == selected { " selected" } else { "" }, t(r.message_id()))
            })
            .collect()
    };
    body.push_str(&format!(
        "<section aria-labelledby=\"accounts\"><h2 id=\"accounts\">{}</h2><div class=\"table-wrap\"><table><thead><tr>\
         <th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>",
        t("staff-accounts-title"),
        t("staff-login-name"),
        t("staff-col-role"),
        t("staff-col-opened"),
        t("staff-actions"),
    ));
    for a in accounts {
        let target = format!("/staff/admin/accounts/{}", escape(&a.name));
        let forms = if a.disabled_at.is_some() {
            t("staff-account-disabled")
        } else if a.name == session.account.name {
            t("staff-account-yourself")
        } else {
            format!(
                "<form method=\"post\" action=\"{target}\" class=\"inline\">{csrf}<input type=\"hidden\" name=\"action\" value=\"role\">\
                 <select name=\"role\" aria-label=\"{role_label}\">{roles}</select> <button type=\"submit\">{change}</button></form>\
                 <form method=\"post\" action=\"{target}\" class=\"inline\">{csrf}<input type=\"hidden\" name=\"action\" value=\"disable\"><button type=\"submit\">{disable}</button></form>",
                role_label = t("staff-col-role"),
                roles = role_options(a.role),
                change = t("staff-account-change-role"),
                disable = t("staff-account-disable"),
            )
        };
        body.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{forms}</td></tr>",
            escape(&a.name),
            t(a.role.message_id()),
            escape(&texts.date(lang, a.created_at)),
        ));
    }
    body.push_str("</tbody></table></div>");
    body.push_str(&format!(
        "<h3>{}</h3><form method=\"post\" action=\"/staff/admin/accounts\" class=\"sensitive-form\">{csrf}\
         <label for=\"new-name\">{}</label><input id=\"new-name\" name=\"name\" required maxlength=\"32\" autocomplete=\"off\" autocapitalize=\"none\" spellcheck=\"false\">\
         <p class=\"hint\">{}</p>\
         <label for=\"new-role\">{}</label><select id=\"new-role\" name=\"role\">{}</select>\
         <label for=\"new-password\">{}</label><input id=\"new-password\" name=\"password\" type=\"password\" required autocomplete=\"new-password\">\
         <p class=\"hint\">{}</p><button type=\"submit\">{}</button></form></section>",
        t("staff-account-add-title"),
        t("staff-login-name"),
        t("staff-account-name-hint"),
        t("staff-col-role"),
        role_options(Role::Officer),
        t("staff-new-password"),
        escape(&texts.with(lang, "staff-password-hint", &[("min", MIN_PASSWORD_CHARS.into())])),
        t("staff-account-add"),
    ));
    body
}
