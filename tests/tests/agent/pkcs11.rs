//! The PKCS#11 back-end with SoftHSM2 as the module (Kamu SM's `akisp11` in production): tokens
//! made in the test with keys generated on the token, the same operations and the same error
//! words as the APDU path. SoftHSM never locks a PIN, so locking is tested on the APDU path.

use std::path::PathBuf;

use chrono::Utc;
use eimza_agent::card::cert::{KeyKind, issuers_or_default};
use eimza_agent::card::preflight::{self, BackendChoice, Options};
use eimza_agent::card::{BackendKind, CardError, LastTry, Pin, PinTries};
use eimza_protocol::Tckn;
use eimza_tests::pki::CertSpec;
use eimza_tests::softhsm::{KeyAlg, MODULE, SoftHsm, USER_PIN};
use eimza_tests::valid_tckn;
use zeroize::Zeroizing;

/// A token for a new person; returns their TC Kimlik No.
fn token(n: u64, alg: KeyAlg, days_left: i64) -> String {
    let tckn = valid_tckn(n);
    SoftHsm::shared().token(&format!("kart-{n}"), alg, &CertSpec::kamu_sm("MEHMET ÇELİK", &tckn, days_left));
    tckn
}

fn options(tckn: &str) -> Options {
    Options {
        reader: None,
        backend: BackendChoice::Pkcs11,
        pkcs11_module: Some(PathBuf::from(MODULE)),
        expected_tckn: Some(Tckn::parse(tckn).unwrap()),
        issuers: issuers_or_default(&[]),
        now: Utc::now(),
    }
}

fn pin(s: &str) -> Pin {
    Pin::parse(Zeroizing::new(s.to_owned())).unwrap()
}

fn agent(args: &[&str], lang: &str, stdin: &str) -> (i32, String) {
    let hsm = SoftHsm::shared();
    let _no_token_half_written = hsm.quiet();
    eimza_tests::run_agent(args, lang, &[("SOFTHSM2_CONF", hsm.conf.as_os_str())], stdin)
}

#[test]
fn an_rsa_token_is_read_checked_and_signs_after_the_pin() {
    let t = token(201, KeyAlg::Rsa2048, 50);
    let (d, card) = preflight::run(&options(&t));
    assert_eq!(d.backend, Some(BackendKind::Pkcs11), "{d:?}");
    assert_eq!(d.pkcs11_module.as_deref(), Some(MODULE));
    assert!(d.usable, "{d:?}");
    assert_eq!(d.certificate.as_ref().unwrap().key, KeyKind::Rsa { bits: 2048 });
    assert_eq!(d.certificate.as_ref().unwrap().holder, "MEHMET ÇELİK");
    assert_eq!(d.pin_tries, Some(PinTries::NotLow));

    let refused = card.unwrap().verify_pin(&pin("000000"), LastTry::NotConfirmed).unwrap_err();
    assert!(matches!(refused.error, CardError::WrongPin { .. }), "{:?}", refused.error);
    let mut verified = refused.card.verify_pin(&pin(USER_PIN), LastTry::NotConfirmed).unwrap();
    let signature = verified.sign(b"EIMZA-2026-000777").unwrap();
    assert_eq!(signature.len(), 256);
}

#[test]
fn an_ecdsa_p256_token_signs_too() {
    let t = token(202, KeyAlg::EcP256, 50);
    let (d, card) = preflight::run(&options(&t));
    assert!(d.usable, "{d:?}");
    assert_eq!(d.certificate.as_ref().unwrap().key, KeyKind::EcP256);
    let mut verified = card.unwrap().verify_pin(&pin(USER_PIN), LastTry::NotConfirmed).unwrap();
    // Card::sign checks the signature against the certificate before returning it.
    assert_eq!(verified.sign(b"ecdsa").unwrap().len(), 64);
}

#[test]
fn among_several_tokens_the_persons_own_card_is_chosen() {
    let first = token(203, KeyAlg::EcP256, 50);
    let second = token(204, KeyAlg::EcP256, 50);
    for t in [&first, &second] {
        let (d, _) = preflight::run(&options(t));
        assert!(d.usable, "{d:?}");
        assert_eq!(d.certificate.unwrap().tckn_masked, Some(Tckn::parse(t).unwrap().masked()));
    }
}

#[test]
fn the_same_refusals_as_the_apdu_path() {
    let t = token(205, KeyAlg::EcP256, 200);
    let (d, _) = preflight::run(&options(&t));
    assert_eq!(d.problems.iter().map(|p| p.code).collect::<Vec<_>>(), vec!["renewal-window-not-open"]);
    let expired = token(206, KeyAlg::EcP256, -1);
    let (d, _) = preflight::run(&options(&expired));
    assert_eq!(d.problems.iter().map(|p| p.code).collect::<Vec<_>>(), vec!["expired"]);
}

#[test]
fn the_card_command_uses_the_module_and_speaks_turkish() {
    let t = token(207, KeyAlg::Rsa2048, 40);
    let (code, text) = agent(&["kart", "--pkcs11", MODULE, "--erisim", "pkcs11", "--tckn", &t], "tr_TR.UTF-8", "");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("Karta erişim: PKCS#11 modülü ({MODULE})")), "{text}");
    assert!(text.contains("PIN deneme hakkı: tam (kart sayıyı bildirmiyor)"), "{text}");
    assert!(text.contains("Sonuç: kart e-İmza yenilemesi için kullanılabilir."), "{text}");

    let (code, json) = agent(&["kart", "--json", "--pkcs11", MODULE, "--tckn", &t], "tr_TR.UTF-8", "");
    assert_eq!(code, 0, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["backend"], "pkcs11");
    assert_eq!(v["pkcs11_module"], MODULE);
    assert_eq!(v["pin_tries"]["state"], "not-low");

    let (code, text) = agent(&["kart", "--pkcs11", MODULE, "--tckn", &t, "--imza-testi"], "tr_TR.UTF-8", "111111\n");
    assert_eq!(code, 1);
    assert!(text.contains("PIN yanlış. Kart kalan hakkı bildirmiyor"), "{text}");
    let (code, text) = agent(&["kart", "--pkcs11", MODULE, "--tckn", &t, "--imza-testi"], "tr_TR.UTF-8", &format!("{USER_PIN}\n"));
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("İmza testi başarılı"), "{text}");
}

#[test]
fn a_missing_module_or_a_bad_option_is_explained() {
    let (code, text) = agent(&["kart", "--pkcs11", "/yok/libakisp11.so", "--erisim", "pkcs11"], "tr_TR.UTF-8", "");
    assert_eq!(code, 1);
    assert!(text.contains("Kamu SM'nin kart modülü kullanılamıyor (/yok/libakisp11.so)"), "{text}");
    let (code, text) = agent(&["kart", "--erisim", "usb"], "tr_TR.UTF-8", "");
    assert_eq!(code, 2);
    assert!(text.contains("“usb” tanınmadı"), "{text}");
    let (code, text) = agent(&["kart", "--tckn", "12345678901"], "tr_TR.UTF-8", "");
    assert_eq!(code, 2);
    assert!(text.contains("Verilen T.C. Kimlik No geçerli değil"), "{text}");
    // A file that is not a PKCS#11 module at all.
    let (code, text) = agent(&["kart", "--pkcs11", "/etc/hostname"], "tr_TR.UTF-8", "");
    assert_eq!(code, 1);
    assert!(text.contains("kart modülü kullanılamıyor (/etc/hostname)"), "{text}");
}
