//! The agent binary answers `--help` and `--version` in the user's language.

use std::process::Command;

use eimza_tests::binary;

fn run(args: &[&str], lang: &str) -> (bool, String) {
    let out = Command::new(binary("eimza-agent")).args(args).env("LANG", lang).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

#[test]
fn help_and_version() {
    let (ok, help) = run(&["--help"], "tr_TR.UTF-8");
    assert!(ok);
    assert!(help.contains("e-İmza kartınızla ilgili adımları"), "{help}");
    assert!(help.contains("Bu yardım metnini gösterir"));
    let (ok, help) = run(&["--help"], "en_US.UTF-8");
    assert!(ok);
    assert!(help.contains("e-signature card"), "{help}");
    let (ok, version) = run(&["--version"], "C");
    assert!(ok);
    assert!(version.contains(env!("CARGO_PKG_VERSION")));
    let (ok, _) = run(&["--bilinmeyen"], "tr_TR.UTF-8");
    assert!(!ok, "unknown flags fail");
}

#[test]
fn bot_help_is_turkish_by_default() {
    let out = Command::new(binary("eimza-bot")).arg("--help").env("LANG", "tr_TR.UTF-8").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(text.contains("eimza destek botu"), "{text}");
    assert!(text.contains("Yapılandırma dosyası"));
}
