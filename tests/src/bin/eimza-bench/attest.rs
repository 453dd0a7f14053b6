//! The e-Onay attestation: how many the bot verifies per second on one core (RSA-2048, the chain
//! to a configured CA, no OCSP), and the whole road's wall time with the real processes and no
//! human waits — intake, pairing, card step, e-Onay with the PIN, the two staff steps, approval.

use std::time::{Duration, Instant};

use base64::Engine as _;
use eimza_bot::attest::{Anchors, Trust};
use eimza_protocol::attest::{Attestation, SignatureAlgorithm, Statement};
use eimza_protocol::wire::Id;
use eimza_protocol::{Tckn, TicketNo};
use eimza_tests::pki::{self, CertSpec, PublicKey};
use eimza_tests::road::{Road, Setup, staff_posts};
use eimza_tests::trust::TestCa;

const ORIGIN: &str = "https://eimza.kurum.gov.tr";

pub fn verifications(n: usize) {
    use sha2::Digest;
    println!("== e-Onay attestation verification (RSA-2048, chain to a configured CA, no OCSP), one core");
    let ca = TestCa::new();
    let trust = Trust { origin: ORIGIN.into(), anchors: Anchors::from_der(vec![ca.der()]), ocsp: None };
    let key = pki::rsa_key();
    let tckn = eimza_tests::valid_tckn(777);
    let issued = ca.issue(&CertSpec::kamu_sm("AYŞE YILMAZ", &tckn, 45), &PublicKey::rsa(key), None);
    let b64 = base64::engine::general_purpose::STANDARD;
    let now = chrono::Utc::now();
    // Each with its own nonce and ticket, signed before the clock starts.
    let attestations: Vec<Attestation> = (0..n)
        .map(|i| {
            let nonce: [u8; 32] = rand::random();
            let statement = Statement {
                origin: ORIGIN.into(),
                ticket: TicketNo::new(2026, (i % 999_999) as u32 + 1),
                tckn: Tckn::parse(&tckn).unwrap(),
                nonce: Id::new(&base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(nonce)).unwrap(),
                agent: Id::new("a-bench").unwrap(),
                signed_at: chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap(),
            }
            .encode();
            let signature = key.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &sha2::Sha256::digest(&statement)).unwrap();
            Attestation {
                statement: b64.encode(&statement),
                algorithm: SignatureAlgorithm::RsaPkcs1Sha256,
                signature: b64.encode(signature),
                certificate: b64.encode(&issued.der),
            }
        })
        .collect();
    for a in attestations.iter().take(100) {
        trust.verify(a, now).expect("a good attestation");
    }
    let started = Instant::now();
    for a in &attestations {
        trust.verify(a, now).expect("a good attestation");
    }
    let elapsed = started.elapsed();
    let rate = n as f64 / elapsed.as_secs_f64();
    println!("  verified            {n} in {:.2} s", elapsed.as_secs_f64());
    println!("  per second          {rate:.0}");
    println!("  each                {:.1} µs", elapsed.as_secs_f64() * 1e6 / n as f64);
    println!("  rate / target       {:.2}x (target ≥ 5000/s)", rate / 5_000.0);
}

/// The whole road once, timed phase by phase (the release bot and agent, SQLite).
pub async fn journey() {
    println!("== the whole road (release bot and agent, SQLite, pcscd + vpcd, SMTP sink), no human waits");
    if std::env::var("EIMZA_TEST_VPCD").is_err() {
        println!("no virtual readers (run scripts/bench, which starts pcscd)");
        return;
    }
    let started = Instant::now();
    let road = Road::start(Setup::new(778)).await;
    let to_card = started.elapsed();
    let (code, out) = road.eonay_with("evet\n123456\n");
    assert_eq!(code, 0, "{out}");
    road.told("e-Onay işleminiz doğrulandı").await;
    let to_eonay = started.elapsed();
    let (status, _) = staff_posts(&road.bot, &road.ticket, &[("action", "corporate-applied")]).await;
    assert_eq!(status, 200);
    let (status, _) = staff_posts(&road.bot, &road.ticket, &[("action", "form-email-sent")]).await;
    assert_eq!(status, 200);
    road.told("“Yenileme Formu” e-postasını").await;
    let thanks = road.chat.say("Onayladım").await.text();
    assert!(thanks.contains("onayınızı aldım"), "{thanks}");
    road.told("Yenileme başvurunuz tamamlandı").await;
    let total = started.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("  intake, pairing, card step    {:>7.0} ms", ms(to_card));
    println!("  e-Onay (PIN, attestation)     {:>7.0} ms", ms(to_eonay - to_card));
    println!("  staff steps and approval      {:>7.0} ms", ms(total - to_eonay));
    println!("  whole road                    {:>7.0} ms", ms(total));
    println!("  target / wall time            {:.2}x (target < 5 s)", 5.0 / total.as_secs_f64());
}
