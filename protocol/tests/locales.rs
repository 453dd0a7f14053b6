//! Keeps Turkish and English in step: the same files, the same message ids, the same variables
//! in every message, and no empty message. Reads the files under `locales/` (what a binary loads
//! at start) and checks that the embedded copies are the same files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use eimza_protocol::i18n::{EMBEDDED, FILES};
use eimza_protocol::{Catalog, Lang};
use fluent_syntax::ast;

fn locales_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../locales")
}

type Messages = BTreeMap<String, BTreeSet<String>>;

fn collect_inline(expr: &ast::InlineExpression<&str>, vars: &mut BTreeSet<String>) {
    match expr {
        ast::InlineExpression::VariableReference { id } => {
            vars.insert(id.name.to_owned());
        }
        ast::InlineExpression::FunctionReference { arguments, .. } => {
            for a in &arguments.positional {
                collect_inline(a, vars);
            }
            for a in &arguments.named {
                collect_inline(&a.value, vars);
            }
        }
        ast::InlineExpression::TermReference { arguments: Some(arguments), .. } => {
            for a in &arguments.positional {
                collect_inline(a, vars);
            }
        }
        ast::InlineExpression::Placeable { expression } => collect_expr(expression, vars),
        _ => {}
    }
}

fn collect_expr(expr: &ast::Expression<&str>, vars: &mut BTreeSet<String>) {
    match expr {
        ast::Expression::Select { selector, variants } => {
            collect_inline(selector, vars);
            for v in variants {
                collect_pattern(&v.value, vars);
            }
        }
        ast::Expression::Inline(inline) => collect_inline(inline, vars),
    }
}

fn collect_pattern(pattern: &ast::Pattern<&str>, vars: &mut BTreeSet<String>) {
    for element in &pattern.elements {
        if let ast::PatternElement::Placeable { expression } = element {
            collect_expr(expression, vars);
        }
    }
}

fn is_blank(pattern: &ast::Pattern<&str>) -> bool {
    pattern.elements.iter().all(|e| match e {
        ast::PatternElement::TextElement { value } => value.trim().is_empty(),
        ast::PatternElement::Placeable { .. } => false,
    })
}

fn messages_of(lang: &str) -> (Messages, Vec<String>) {
    let mut messages = Messages::new();
    let mut problems = Vec::new();
    for file in FILES {
        let path = locales_dir().join(lang).join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let resource = match fluent_syntax::parser::parse(text.as_str()) {
            Ok(r) => r,
            Err((_, errors)) => {
                problems.push(format!("{lang}/{file}: syntax errors {errors:?}"));
                continue;
            }
        };
        for entry in &resource.body {
            let (id, value, attributes) = match entry {
                ast::Entry::Message(m) => (m.id.name, m.value.as_ref(), &m.attributes),
                ast::Entry::Term(t) => (t.id.name, Some(&t.value), &t.attributes),
                _ => continue,
            };
            let mut vars = BTreeSet::new();
            match value {
                Some(v) if !is_blank(v) => collect_pattern(v, &mut vars),
                _ => problems.push(format!("{lang}/{file}: message {id} is empty")),
            }
            for attr in attributes {
                collect_pattern(&attr.value, &mut vars);
            }
            if messages.insert(id.to_owned(), vars).is_some() {
                problems.push(format!("{lang}: message {id} is defined twice"));
            }
        }
    }
    (messages, problems)
}

#[test]
fn turkish_and_english_have_the_same_messages_and_variables() {
    let (tr, mut problems) = messages_of("tr");
    let (en, en_problems) = messages_of("en");
    problems.extend(en_problems);
    for (id, vars) in &tr {
        match en.get(id) {
            None => problems.push(format!("en lacks {id}")),
            Some(en_vars) if en_vars != vars => problems.push(format!("{id}: tr uses {vars:?}, en uses {en_vars:?}")),
            Some(_) => {}
        }
    }
    for id in en.keys() {
        if !tr.contains_key(id) {
            problems.push(format!("tr lacks {id}"));
        }
    }
    assert!(tr.len() > 50, "suspiciously few messages: {}", tr.len());
    assert!(problems.is_empty(), "locale problems:\n{}", problems.join("\n"));
}

#[test]
fn every_locale_file_is_embedded_and_identical() {
    for lang in Lang::ALL {
        for file in FILES {
            let on_disk = std::fs::read_to_string(locales_dir().join(lang.code()).join(file)).unwrap();
            let embedded = EMBEDDED
                .iter()
                .find(|(l, f, _)| *l == lang && f == file)
                .map(|(_, _, t)| *t)
                .unwrap_or_else(|| panic!("{lang}/{file} is not embedded"));
            assert_eq!(on_disk, embedded);
        }
        let present: BTreeSet<String> = std::fs::read_dir(locales_dir().join(lang.code()))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        let expected: BTreeSet<String> = FILES.iter().map(|f| f.to_string()).collect();
        assert_eq!(present, expected, "files under locales/{lang} must be the ones binaries load");
    }
    Catalog::embedded();
}

#[test]
fn turkish_text_uses_turkish_letters_correctly() {
    // A cheap guard against text typed on an English keyboard: these words must be spelled
    // with their Turkish letters wherever they appear.
    let (tr, _) = messages_of("tr");
    let mut all = String::new();
    for file in FILES {
        all.push_str(&std::fs::read_to_string(locales_dir().join("tr").join(file)).unwrap());
    }
    for wrong in ["Basvuru", "basvuru", "Dogum", "sifre", "Sifre", "Iptal", "Gonder", "Ünvan", "TC Kimlik"] {
        assert!(!all.contains(wrong), "Turkish text contains '{wrong}' without Turkish letters");
    }
    assert!(tr.contains_key("welcome"));
}

/// Rust source files under `dir` (relative to the workspace), without their unit tests.
fn rust_sources(dir: &str) -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    walk(&root.join(dir), &mut files);
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or(&text).to_owned();
            (p.display().to_string(), code)
        })
        .collect()
}

/// The string literals right after each `marker` in `code`, on the same logical call (the first
/// literal before a `)` or `;`).
fn literals_after(code: &str, marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find(marker) {
        rest = &rest[i + marker.len()..];
        let stop = rest.find([')', ';', '{']).unwrap_or(rest.len());
        if let Some(q) = rest[..stop].find('"') {
            let after = &rest[q + 1..];
            if let Some(end) = after.find('"') {
                out.push(after[..end].to_owned());
            }
        }
    }
    out
}

/// A message id's shape: lower case words joined by dashes.
fn looks_like_id(s: &str) -> bool {
    s.contains('-')
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[test]
fn every_message_id_the_code_uses_exists_in_both_languages() {
    let (tr, _) = messages_of("tr");
    let (en, _) = messages_of("en");
    // Where the code names a message: rendering calls, buttons, history notes, and the match
    // arms of the functions that map a type to its message.
    let markers = [
        "Msg::new(",
        "texts.get(",
        "texts().get(",
        "texts.with(",
        "catalog.text(",
        ".text(lang, ",
        "t(\"",
        "say(\"",
        "self.say(",
        "Button::new(",
        "note: Some(",
        "message_id: \"",
        "Msg::new(id",
    ];
    let mut used = BTreeSet::new();
    for dir in ["bot/src", "agent/src", "protocol/src"] {
        for (file, code) in rust_sources(dir) {
            for marker in markers {
                for id in literals_after(&code, marker) {
                    if looks_like_id(&id) {
                        used.insert((id, file.clone()));
                    }
                }
            }
            // `fn message_id(…) { match … { X => "id", … } }` and its kin.
            for f in ["fn message_id", "fn label_id", "fn done_id"] {
                let mut rest = code.as_str();
                while let Some(i) = rest.find(f) {
                    rest = &rest[i..];
                    let body_end = rest.find("\n    }\n").or_else(|| rest.find("\n}\n")).unwrap_or(rest.len());
                    for piece in rest[..body_end].split("=> \"").skip(1) {
                        if let Some(end) = piece.find('"')
                            && looks_like_id(&piece[..end])
                        {
                            used.insert((piece[..end].to_owned(), file.clone()));
                        }
                    }
                    rest = &rest[f.len()..];
                }
            }
        }
    }
    assert!(used.len() > 150, "the scan found too few ids: {}", used.len());
    let missing: Vec<String> = used
        .iter()
        .filter(|(id, _)| !tr.contains_key(id) || !en.contains_key(id))
        .map(|(id, file)| format!("{id} (used in {file})"))
        .collect();
    assert!(missing.is_empty(), "message ids used in the code but missing from locales/:\n{}", missing.join("\n"));
}

/// Variables that hold a number a noun follows ("3 days", "1 try").
const NUMBER_VARIABLES: [&str; 10] = ["count", "days", "tries", "minutes", "seconds", "hours", "n", "added", "updated", "max"];

#[test]
fn english_numbers_choose_their_plural() {
    let mut problems = Vec::new();
    for file in FILES {
        let path = locales_dir().join("en").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let resource = fluent_syntax::parser::parse(text.as_str()).unwrap_or_else(|(r, _)| r);
        for entry in &resource.body {
            let ast::Entry::Message(m) = entry else { continue };
            let Some(value) = &m.value else { continue };
            // Variables used as plain text at the top of the message, and those a selector
            // chooses on.
            let mut plain = BTreeSet::new();
            let mut selected = BTreeSet::new();
            for element in &value.elements {
                let ast::PatternElement::Placeable { expression } = element else { continue };
                match expression {
                    ast::Expression::Inline(ast::InlineExpression::VariableReference { id }) => {
                        plain.insert(id.name);
                    }
                    ast::Expression::Select { selector: ast::InlineExpression::VariableReference { id }, .. } => {
                        selected.insert(id.name);
                    }
                    _ => {}
                }
            }
            for var in plain {
                if NUMBER_VARIABLES.contains(&var) && !selected.contains(var) {
                    problems.push(format!("en/{file}: {} shows ${var} without a plural selector", m.id.name));
                }
            }
        }
    }
    assert!(problems.is_empty(), "English plurals:\n{}", problems.join("\n"));
}

#[test]
fn the_privacy_notice_names_the_transfers_of_each_channel() {
    use eimza_protocol::Arg;
    let catalog = Catalog::embedded();
    let notice = |lang, channel: &str, helpdesk: &str| {
        let args = [
            ("institution", Arg::from("Örnek Kurumu")),
            ("retention_days", Arg::from(90i64)),
            ("channel", Arg::from(channel)),
            ("helpdesk", Arg::from(helpdesk)),
        ];
        catalog.text(lang, "kvkk-notice", &args)
    };
    let web = notice(Lang::Tr, "web", "no");
    assert!(web.contains("Kamu SM'ye (TÜBİTAK BİLGEM).\n"), "{web}");
    assert!(!web.contains("Telegram") && !web.contains("yardım masası"), "{web}");
    for article in ["madde 10", "Veri sorumlusu: Örnek Kurumu", "Hukuki sebep", "otomatik yollarla", "madde 11", "90 gün"] {
        assert!(web.contains(article), "{article} in {web}");
    }
    let telegram = notice(Lang::Tr, "telegram", "yes");
    assert!(telegram.contains("(TÜBİTAK BİLGEM). Telegram'da yazdıklarınız"), "{telegram}");
    assert!(
        telegram.contains("yurt dışındaki sunucularında da işlenir. Başvurunuz kurumunuzun yardım masası sistemine de iletilir.\n"),
        "{telegram}"
    );
    let discord = notice(Lang::En, "discord", "no");
    assert!(discord.contains("(TÜBİTAK BİLGEM). What you write on Discord"), "{discord}");
    assert_eq!(catalog.text(Lang::Tr, "btn-consent-yes", &[]), "Okudum, anladım");
}
