//! The built-in web form where people on Telegram or Discord give their TC Kimlik No and birth
//! date, so that these stay on the institution's server instead of a foreign chat server.
//! `GET /form/{token}` shows it, `POST /form/{token}` checks both fields (a mistake shows the
//! form again with the field's explanation), uses the one-time link up and hands the answers to
//! the person's conversation; the next question arrives in their chat.

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use eimza_protocol::Lang;
use serde::Deserialize;

use super::{AppState, escape};
use crate::clock;
use crate::core::conversation::{Field, Msg};
use crate::core::domain::{BirthDate, Tckn};
use crate::store::FormLinkRefusal;

pub fn routes() -> Router<AppState> {
    Router::new().route("/form/{token}", get(show).post(submit))
}

#[derive(Debug, Default, Deserialize)]
struct Answers {
    #[serde(default)]
    tckn: String,
    #[serde(default)]
    birth_date: String,
}

/// The person's language: chosen in the chat, else their platform's, else the browser's.
async fn person_lang(state: &AppState, person_id: i64, headers: &HeaderMap) -> Lang {
    match state.service.store().chat_state(person_id).await {
        Ok(chat) => chat.conversation.lang.or(chat.conversation.platform_lang).unwrap_or_else(|| super::request_lang(headers)),
        Err(_) => super::request_lang(headers),
    }
}

fn page(state: &AppState, lang: Lang, body: &str) -> String {
    super::html_page(state.service.texts(), lang, "form-title", body)
}

fn refusal_page(state: &AppState, refusal: FormLinkRefusal) -> Response {
    let id = match refusal {
        FormLinkRefusal::Unknown => "form-link-unknown",
        FormLinkRefusal::Used => "form-link-used",
        FormLinkRefusal::Expired => "form-link-expired",
    };
    let lang = Lang::Tr;
    let body = format!("<p>{}</p>", escape(&state.service.texts().get(lang, id)));
    (StatusCode::GONE, Html(page(state, lang, &body))).into_response()
}

fn internal(state: &AppState, e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "web form failed");
    let body = format!("<p>{}</p>", escape(&state.service.texts().get(Lang::Tr, "api-error-internal")));
    (StatusCode::INTERNAL_SERVER_ERROR, Html(page(state, Lang::Tr, &body))).into_response()
}

fn form_html(state: &AppState, lang: Lang, token: &str, answers: &Answers, errors: &[(Field, String)]) -> String {
    let texts = state.service.texts();
    let error_of = |field: Field| {
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, e)| format!("<p class=\"error\" id=\"{}-error\" role=\"alert\">{}</p>", field.code(), escape(e)))
            .unwrap_or_default()
    };
    // Label, field, hint, then the explanation of a mistake (tied to the field for screen readers).
    let input = |field: Field, name: &str, value: &str, extra: &str, hint_id: &str| {
        let invalid = if errors.iter().any(|(f, _)| *f == field) {
            format!(" aria-invalid=\"true\" aria-describedby=\"{}-error\"", field.code())
        } else {
            String::new()
        };
        format!(
            "<label for=\"{name}\">{label}</label><input id=\"{name}\" name=\"{name}\" value=\"{value}\" autocomplete=\"off\" required{extra}{invalid}><p class=\"hint\">{hint}</p>{error}",
            label = escape(&texts.get(lang, field.label_id())),
            value = escape(value),
            hint = escape(&texts.get(lang, hint_id)),
            error = error_of(field),
        )
    };
    format!(
        "<p>{intro}</p><form method=\"post\" action=\"/form/{token}\" class=\"sensitive-form\">{tckn}{birth}<button type=\"submit\">{submit}</button></form><p class=\"hint\">{privacy}</p>",
        intro = escape(&texts.get(lang, "form-intro")),
        token = escape(token),
        tckn = input(Field::Tckn, "tckn", &answers.tckn, " inputmode=\"numeric\" maxlength=\"20\"", "form-tckn-hint"),
        birth = input(Field::BirthDate, "birth_date", &answers.birth_date, " maxlength=\"40\"", "form-birth-hint"),
        submit = escape(&texts.get(lang, "form-submit")),
        privacy = escape(&texts.get(lang, "form-privacy")),
    )
}

async fn show(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    match state.service.store().form_link(&token, clock::now_ms()).await {
        Ok(Ok(person)) => {
            let lang = person_lang(&state, person, &headers).await;
            Html(page(&state, lang, &form_html(&state, lang, &token, &Answers::default(), &[]))).into_response()
        }
        Ok(Err(refusal)) => refusal_page(&state, refusal),
        Err(e) => internal(&state, e),
    }
}

async fn submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Answers>, axum::extract::rejection::FormRejection>,
) -> Response {
    let store = state.service.store();
    let person = match store.form_link(&token, clock::now_ms()).await {
        Ok(Ok(person)) => person,
        Ok(Err(refusal)) => return refusal_page(&state, refusal),
        Err(e) => return internal(&state, e),
    };
    let lang = person_lang(&state, person, &headers).await;
    // A malformed body is an empty form: both fields are then explained.
    let answers = form.map(|Form(a)| a).unwrap_or_default();
    // The same checks as in the chat, each explained next to its field.
    let texts = state.service.texts();
    let today = clock::istanbul_today(clock::now_ms());
    let mut errors = Vec::new();
    if let Err(e) = Tckn::parse(&answers.tckn) {
        errors.push((Field::Tckn, texts.msg(lang, &Msg::from_error(&e))));
    }
    if let Err(e) = BirthDate::parse(&answers.birth_date, today) {
        errors.push((Field::BirthDate, texts.msg(lang, &Msg::from_error(&e))));
    }
    if !errors.is_empty() {
        let body = form_html(&state, lang, &token, &answers, &errors);
        return (StatusCode::UNPROCESSABLE_ENTITY, Html(page(&state, lang, &body))).into_response();
    }
    match store.use_form_link(&token, clock::now_ms()).await {
        Ok(Ok(_)) => {}
        Ok(Err(refusal)) => return refusal_page(&state, refusal),
        Err(e) => return internal(&state, e),
    }
    let fields = vec![(Field::Tckn, answers.tckn.clone()), (Field::BirthDate, answers.birth_date.clone())];
    match state.service.submit_form(person, fields).await {
        Ok(_) => {
            tracing::info!(person_id = person, "web form answered");
            let body = format!("<p class=\"done\">{}</p>", escape(&texts.get(lang, "form-done")));
            Html(page(&state, lang, &body)).into_response()
        }
        Err(e) => internal(&state, e),
    }
}
