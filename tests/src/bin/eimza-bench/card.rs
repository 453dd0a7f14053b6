//! The agent's card pre-flight on the virtual AKİS card through the real pcscd + vpcd, its idle
//! memory while watching readers, and the size of its release binary.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use eimza_agent::card::cert::issuers_or_default;
use eimza_agent::card::preflight::{self, BackendChoice, Options};
use eimza_protocol::Tckn;
use eimza_tests::pki::{self, CertSpec, PublicKey};
use eimza_tests::vcard::{self, CardState, Reader, VirtualCard};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn report(label: &str, mut ms: Vec<f64>, target_ms: f64) {
    ms.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&ms, 0.50), percentile(&ms, 0.99));
    println!(
        "{label}: {} runs, p50 {p50:.1} ms, p99 {p99:.1} ms, max {:.1} ms (target p99 < {target_ms:.0} ms: {:.1}x)",
        ms.len(),
        ms[ms.len() - 1],
        target_ms / p99
    );
}

fn agent_binary() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().join("eimza-agent")
}

/// VmRSS of a process, in MiB.
fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

pub fn run() {
    println!("== agent card layer (virtual AKİS card on pcscd + vpcd)");
    if std::env::var("EIMZA_TEST_VPCD").is_err() {
        println!("no virtual readers (run scripts/bench, which starts pcscd)");
        return;
    }
    let tckn = eimza_tests::valid_tckn(4242);
    let key = pki::rsa_key().clone();
    let der = CertSpec::kamu_sm("AYŞE IŞIK", &tckn, 40).der(&PublicKey::rsa(&key));
    let reader = Reader::acquire();
    let _card = VirtualCard::insert(&reader, std::sync::Arc::new(std::sync::Mutex::new(CardState::new(vcard::ATR_TC, der, key))));
    let options = Options {
        reader: Some(reader.name().to_owned()),
        backend: BackendChoice::Apdu,
        pkcs11_module: None,
        expected_tckn: Some(Tckn::parse(&tckn).unwrap()),
        issuers: issuers_or_default(&[]),
        now: Utc::now(),
    };
    let mut ms = Vec::new();
    for _ in 0..100 {
        let start = Instant::now();
        let (d, card) = preflight::run(&options);
        assert!(d.usable && card.is_some(), "{d:?}");
        drop(card);
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    report("pre-flight in the agent (find reader + card, ATR, read certificate, check it, read PIN tries)", ms, 500.0);

    let binary = agent_binary();
    let mut ms = Vec::new();
    for _ in 0..50 {
        let start = Instant::now();
        let out = Command::new(&binary).args(["kart", "--json", "--okuyucu", reader.name(), "--tckn", &tckn]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    report("`eimza-agent kart --json` as a process (start-up included)", ms, 500.0);

    let mut watcher = Command::new(&binary).args(["kart", "--izle"]).stdout(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_secs(3));
    let idle = rss_mib(watcher.id());
    let _ = watcher.kill();
    let _ = watcher.wait();
    println!(
        "agent idle RSS while watching readers and cards (`eimza-agent kart --izle`): {idle:.1} MiB (target < 20 MB: {:.1}x)",
        20.0 / idle
    );
    let size = std::fs::metadata(&binary).map(|m| m.len()).unwrap_or(0) as f64 / (1024.0 * 1024.0);
    println!("release binary size of eimza-agent: {size:.1} MiB");
}
