//! ARCHITECTURE.md's invariants that a look at the source can check: which module may import
//! which outside crate, that the pure core does no I/O, that the bot's modules import each other
//! without a cycle, and that functions stay short enough to read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn sources(under: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = eimza_tests::root();
    let mut files = Vec::new();
    walk(&root.join(under), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
            (name, text)
        })
        .collect()
}

/// The code of a file without its comments and without its unit tests.
fn code(text: &str) -> String {
    let before_tests = text.split("#[cfg(test)]").next().unwrap_or(text);
    before_tests
        .lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn all_sources() -> Vec<(String, String)> {
    let mut all = sources("bot/src");
    all.extend(sources("agent/src"));
    all.extend(sources("protocol/src"));
    all
}

#[test]
fn outside_crates_are_imported_only_by_their_module() {
    let rules: [(&str, &[&str]); 8] = [
        ("teloxide", &["bot/src/telegram/"]),
        ("serenity", &["bot/src/discord.rs"]),
        ("sqlx", &["bot/src/store/"]),
        ("lettre", &["bot/src/delivery/mail.rs"]),
        ("pcsc", &["agent/src/card/pcsc_io.rs"]),
        ("cryptoki", &["agent/src/card/pkcs11.rs"]),
        ("tokio_tungstenite", &["agent/src/link/"]),
        // HTTP is the web's, and each platform adapter's own inbound route; startup serves them.
        ("axum", &["bot/src/web/", "bot/src/telegram/mod.rs", "bot/src/discord.rs", "bot/src/startup.rs"]),
    ];
    let mut wrong = Vec::new();
    for (file, text) in all_sources() {
        let code = code(&text);
        for (krate, allowed) in rules {
            // `pcsc::` but not `pcsc_io::`: the name must not continue an identifier either side.
            let uses = code
                .match_indices(&format!("{krate}::"))
                .any(|(i, _)| !code[..i].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_'));
            if uses && !allowed.iter().any(|a| file.starts_with(a)) {
                wrong.push(format!("{file} uses {krate}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn the_pure_core_and_the_protocol_do_no_io_and_read_no_clock() {
    let forbidden = [
        "tokio",
        "sqlx",
        "std::fs",
        "std::net",
        "reqwest",
        "http_client",
        "Utc::now",
        "SystemTime",
        "rand::rng()",
        "thread_rng",
        "clock::",
    ];
    let mut wrong = Vec::new();
    let mut files = sources("bot/src/core");
    files.extend(sources("protocol/src"));
    for (file, text) in files {
        let code = code(&text);
        for word in forbidden {
            if code.contains(word) {
                wrong.push(format!("{file}: {word}"));
            }
        }
        // The core knows nothing of the rest of the bot.
        if file.starts_with("bot/src/core/") {
            for line in code.lines().filter(|l| l.contains("crate::")) {
                if line.split("crate::").skip(1).any(|rest| !rest.starts_with("core")) {
                    wrong.push(format!("{file}: {}", line.trim()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// The top-level module a file of the bot belongs to (`service`, `store`, …).
fn module_of(file: &str) -> Option<String> {
    let rest = file.strip_prefix("bot/src/")?;
    let first = rest.split('/').next()?;
    Some(first.trim_end_matches(".rs").to_owned())
}

#[test]
fn the_bots_modules_import_each_other_without_a_cycle() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, text) in sources("bot/src") {
        let Some(from) = module_of(&file) else { continue };
        if from == "lib" || from == "main" {
            continue;
        }
        for rest in code(&text).split("crate::").skip(1) {
            let to: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !to.is_empty() && to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|n| n == node) {
            return Some(path[i..].iter().cloned().chain([node.to_owned()]).collect());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        if let Some(cycle) = visit(node, &edges, &mut Vec::new(), &mut done) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
    // The layers the architecture promises.
    for (module, must_not) in [("store", &["service", "web", "delivery", "telegram", "discord"][..]), ("delivery", &["service", "web"][..])]
    {
        let uses = edges.get(module).cloned().unwrap_or_default();
        for m in must_not {
            assert!(!uses.contains(*m), "{module} uses {m}");
        }
    }
}

#[test]
fn functions_are_short_enough_to_read() {
    const MAX_LINES: usize = 80;
    let mut long = Vec::new();
    for (file, text) in all_sources() {
        if file.ends_with("/tests.rs") {
            continue;
        }
        let code_part = text.split("#[cfg(test)]").next().unwrap_or(&text);
        let lines: Vec<&str> = code_part.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim_start();
            let is_fn = [
                "fn ",
                "pub fn ",
                "async fn ",
                "pub async fn ",
                "pub(crate) fn ",
                "pub(super) fn ",
                "pub(crate) async fn ",
                "pub(super) async fn ",
            ]
            .iter()
            .any(|p| trimmed.starts_with(p));
            if !is_fn || !line.ends_with('{') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            let end = lines[i + 1..].iter().position(|l| l.len() - l.trim_start().len() == indent && l.trim_start().starts_with('}'));
            let length = end.map(|e| e + 2).unwrap_or(0);
            // A long one is allowed when a comment right above says why.
            let reason = lines[i.saturating_sub(4)..i].iter().any(|l| l.contains("Long because") || l.contains("long because"));
            if length > MAX_LINES && !reason {
                long.push(format!("{file}:{} {} lines: {}", i + 1, length, trimmed));
            }
        }
    }
    assert!(long.is_empty(), "functions over {MAX_LINES} lines without a reason:\n{}", long.join("\n"));
}

#[test]
fn the_chat_service_keeps_only_the_turn() {
    let text = std::fs::read_to_string(eimza_tests::root().join("bot/src/service/mod.rs")).unwrap();
    assert!(text.lines().count() < 300, "service/mod.rs has {} lines", text.lines().count());
}
