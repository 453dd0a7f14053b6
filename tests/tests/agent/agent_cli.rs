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

#[test]
fn bot_refuses_a_bad_configuration_with_a_message_not_a_panic() {
    for (key, value) in [("EIMZA_HTTP_ADDR", "not-an-address"), ("EIMZA_RETENTION_DAYS", "-3"), ("EIMZA_DATABASE_URL", "mysql://x")] {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(binary("eimza-bot"))
            .env(key, value)
            .env("EIMZA_DATA_DIR", dir.path())
            .env(
                "EIMZA_HTTP_ADDR",
                if key == "EIMZA_HTTP_ADDR" { value.to_owned() } else { format!("127.0.0.1:{}", eimza_tests::free_port()) },
            )
            .current_dir(dir.path())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{key}={value} must not start");
        assert!(!err.contains("panicked"), "{key}: {err}");
        assert!(err.contains("Error:"), "{key}: {err}");
    }
}
