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
    for wrong in ["Basvuru", "basvuru", "Dogum", "Unvan", "sifre", "Sifre", "Iptal", "Gonder"] {
        assert!(!all.contains(wrong), "Turkish text contains '{wrong}' without Turkish letters");
    }
    assert!(tr.contains_key("welcome"));
}
