//! The agent's card layer through the real PC/SC stack: pcscd (started by scripts/test) with the
//! vsmartcard-vpcd driver, and our virtual AKİS card connected to it. Every refusal, the PIN
//! guard, signing, and a card or reader disappearing at the worst moment.

use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use eimza_agent::card::atr::AkisFamily;
use eimza_agent::card::cert::{DEFAULT_ISSUERS, issuers_or_default};
use eimza_agent::card::preflight::{self, BackendChoice, Diagnosis, Options};
use eimza_agent::card::{BackendKind, Card, CardError, CardEvent, LastTry, Pcsc, Pin, PinTries, Unverified};
use eimza_protocol::Tckn;
use eimza_tests::pki::{self, CertSpec, PublicKey};
use eimza_tests::vcard::{self, CardState, Reader, SignatureAnswer, VirtualCard};
use eimza_tests::{binary, valid_tckn};
use zeroize::Zeroizing;

fn tckn(n: u64) -> String {
    valid_tckn(n)
}

/// A card state for `tckn` with a Kamu SM certificate expiring in `days_left` days.
fn state(atr: &str, tckn: &str, days_left: i64) -> Arc<Mutex<CardState>> {
    state_with(atr, CertSpec::kamu_sm("AYŞE IŞIK", tckn, days_left))
}

fn state_with(atr: &str, spec: CertSpec) -> Arc<Mutex<CardState>> {
    let key = pki::rsa_key().clone();
    let der = spec.der(&PublicKey::rsa(&key));
    Arc::new(Mutex::new(CardState::new(atr, der, key)))
}

fn options(reader: &Reader, expected: Option<&str>) -> Options {
    Options {
        reader: Some(reader.name().to_owned()),
        backend: BackendChoice::Auto,
        pkcs11_module: None,
        expected_tckn: expected.map(|t| Tckn::parse(t).unwrap()),
        issuers: issuers_or_default(&[]),
        now: Utc::now(),
    }
}

fn preflight(reader: &Reader, expected: Option<&str>) -> (Diagnosis, Option<Card<Unverified>>) {
    preflight::run(&options(reader, expected))
}

fn pin(s: &str) -> Pin {
    Pin::parse(Zeroizing::new(s.to_owned())).unwrap()
}

fn agent(args: &[&str], lang: &str, stdin: &str) -> (i32, String) {
    eimza_tests::run_agent(args, lang, &[], stdin)
}

#[test]
fn both_akis_families_and_the_old_v1_are_recognised_and_their_certificate_read() {
    let reader = Reader::acquire();
    let t = tckn(11);
    for (atr, family) in [(vcard::ATR_UEKAE, AkisFamily::Uekae), (vcard::ATR_TC, AkisFamily::Tc), (vcard::ATR_V1, AkisFamily::V1)] {
        let card = VirtualCard::insert(&reader, state(atr, &t, 60));
        let (d, open) = preflight(&reader, Some(&t));
        assert_eq!(d.akis_family, Some(family), "{atr}");
        assert_eq!(d.atr.as_deref(), Some(atr));
        assert_eq!(d.backend, Some(BackendKind::Apdu));
        assert!(d.usable, "{d:?}");
        assert!(d.problems.is_empty());
        assert_eq!(d.pin_tries, Some(PinTries::Known(3)));
        let cert = d.certificate.as_ref().unwrap();
        assert_eq!(cert.holder, "AYŞE IŞIK");
        assert_eq!(cert.tckn_masked.as_deref(), Some(Tckn::parse(&t).unwrap().masked().as_str()));
        assert_eq!(cert.issuer, pki::KAMU_SM_ISSUER);
        assert!(open.is_some());
        // Reading the diagnosis used no PIN try.
        drop(open);
        assert_eq!(card.remove().lock().unwrap().pin_attempts(), 0);
    }
}

#[test]
fn a_certificate_read_in_small_pieces_is_the_same_certificate() {
    let reader = Reader::acquire();
    let t = tckn(12);
    let s = state(vcard::ATR_TC, &t, 30);
    s.lock().unwrap().read_limit = 17;
    let expected = s.lock().unwrap().certificate.clone();
    let _card = VirtualCard::insert(&reader, s.clone());
    let (d, open) = preflight(&reader, Some(&t));
    assert!(d.usable, "{d:?}");
    assert_eq!(open.unwrap().certificate().der, expected);
    let reads = s.lock().unwrap().commands.iter().filter(|c| c[1] == 0xB0).count();
    assert!(reads >= expected.len() / 17, "read in {reads} pieces");
}

#[test]
fn the_card_command_speaks_turkish_and_english_and_json() {
    let reader = Reader::acquire();
    let t = tckn(13);
    let _card = VirtualCard::insert(&reader, state(vcard::ATR_TC, &t, 45));
    let masked = Tckn::parse(&t).unwrap().masked();
    let (code, text) = agent(&["kart", "--okuyucu", reader.name(), "--tckn", &t], "tr_TR.UTF-8", "");
    assert_eq!(code, 0, "{text}");
    for expected in [
        "e-İmza kartı denetim raporu",
        "Akıllı kart hizmeti (PC/SC): çalışıyor",
        &format!("{}: kart takılı, ATR {}, AKİS (TC, 2020 ve sonrası)", reader.name(), vcard::ATR_TC),
        &format!("Kullanılan okuyucu: {}", reader.name()),
        "Karta erişim: doğrudan komutlar (APDU)",
        &format!("Sertifika sahibi: AYŞE IŞIK (T.C. Kimlik No {masked})"),
        "Sertifikayı veren: Kamu SM Nitelikli Elektronik Sertifika Hizmet Sağlayıcısı - Sürüm 6",
        "Yenileme: ",
        "tarihinden beri yapılabilir",
        "Kalan PIN deneme hakkı: 3",
        "Sonuç: kart e-İmza yenilemesi için kullanılabilir.",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    assert!(!text.contains(&t), "the full TC Kimlik No is never printed:\n{text}");

    let (code, text) = agent(&["card", "--reader", reader.name(), "--tckn", &t], "en_US.UTF-8", "");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("PIN tries left: 3"), "{text}");
    assert!(text.contains("Result: the card can be used for the e-signature renewal."), "{text}");

    let (code, json) = agent(&["kart", "--json", "--okuyucu", reader.name()], "tr_TR.UTF-8", "");
    assert_eq!(code, 0, "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["pcsc_service"], true);
    assert_eq!(v["reader"], reader.name());
    assert_eq!(v["atr"], vcard::ATR_TC);
    assert_eq!(v["akis_family"], "tc");
    assert_eq!(v["backend"], "apdu");
    assert_eq!(v["certificate"]["tckn_masked"], masked);
    assert_eq!(v["certificate"]["key"]["rsa"]["bits"], 2048);
    assert_eq!(v["pin_tries"], serde_json::json!({"state": "known", "left": 3}));
    assert_eq!(v["problems"], serde_json::json!([]));
    assert_eq!(v["error"], serde_json::Value::Null);
    assert_eq!(v["usable"], true);
}

#[test]
fn every_certificate_refusal_comes_before_any_pin_and_says_what_to_do() {
    let reader = Reader::acquire();
    let owner = tckn(21);
    let someone_else = tckn(22);
    let cases: Vec<(CertSpec, Option<&str>, &str, &str)> = vec![
        (CertSpec::kamu_sm("AYŞE IŞIK", &owner, 40), Some(someone_else.as_str()), "wrong-person", "Bu kart başka birine ait"),
        (
            CertSpec::kamu_sm("AYŞE IŞIK", &owner, 40).issued_by(pki::OTHER_ISSUER),
            Some(owner.as_str()),
            "not-kamu-sm",
            "Bu sertifikayı Kamu SM vermemiş",
        ),
        (CertSpec::kamu_sm("AYŞE IŞIK", &owner, -3), Some(owner.as_str()), "expired", "süresi"),
        (CertSpec::kamu_sm("AYŞE IŞIK", &owner, 200), Some(owner.as_str()), "renewal-window-not-open", "Yenileme için henüz erken"),
    ];
    for (spec, expected, code, words) in cases {
        let s = state_with(vcard::ATR_UEKAE, spec.clone());
        let card = VirtualCard::insert(&reader, s.clone());
        let (d, _) = preflight(&reader, expected);
        assert!(!d.usable, "{code}: {d:?}");
        assert_eq!(d.problems.iter().map(|p| p.code).collect::<Vec<_>>(), vec![code]);
        let mut args = vec!["kart", "--okuyucu", reader.name()];
        if let Some(e) = expected {
            args.extend(["--tckn", e]);
        }
        let (exit, text) = agent(&args, "tr_TR.UTF-8", "");
        assert_eq!(exit, 1, "{text}");
        assert!(text.contains(words), "{code}: missing {words:?} in\n{text}");
        // The sign test refuses before asking for a PIN (window-not-open excepted: see below).
        args.push("--imza-testi");
        let (exit, text) = agent(&args, "tr_TR.UTF-8", "123456\n");
        if code == "renewal-window-not-open" {
            assert_eq!(exit, 0, "a card that is merely early can still sign:\n{text}");
        } else {
            assert_eq!(exit, 1);
            assert!(text.contains("İmza testi yapılamıyor"), "{text}");
            assert!(!text.contains("PIN'iniz (ekranda görünmez)"), "{text}");
        }
        let state = card.remove();
        if code != "renewal-window-not-open" {
            assert_eq!(state.lock().unwrap().pin_attempts(), 0, "{code}: no PIN reached the card");
        }
    }
    // The window's opening date is written out in Turkish.
    let spec = CertSpec::kamu_sm("AYŞE IŞIK", &owner, 200);
    let opens = spec.not_after.checked_sub_months(chrono::Months::new(3)).unwrap().with_timezone(&chrono_tz::Europe::Istanbul);
    let _card = VirtualCard::insert(&reader, state_with(vcard::ATR_UEKAE, spec));
    let (_, text) = agent(&["kart", "--okuyucu", reader.name()], "tr_TR.UTF-8", "");
    let month = ["Ocak", "Şubat", "Mart", "Nisan", "Mayıs", "Haziran", "Temmuz", "Ağustos", "Eylül", "Ekim", "Kasım", "Aralık"];
    use chrono::Datelike;
    let date = format!("{} {} {}", opens.day(), month[opens.month0() as usize], opens.year());
    assert!(text.contains(&format!("Yenileme {date} tarihinden itibaren yapılabilir")), "{date} in\n{text}");
}

#[test]
fn a_card_that_is_not_akis_is_named_with_its_atr_and_an_empty_reader_says_so() {
    let reader = Reader::acquire();
    let (d, _) = preflight(&reader, None);
    assert_eq!(d.error.as_ref().map(|e| e.code), Some("no-card"));
    let (exit, text) = agent(&["kart", "--okuyucu", reader.name()], "tr_TR.UTF-8", "");
    assert_eq!(exit, 1);
    assert!(text.contains("Okuyucuda kart yok"), "{text}");

    let _card = VirtualCard::insert(&reader, state(vcard::ATR_BANK, &tckn(31), 40));
    let (d, open) = preflight(&reader, None);
    assert!(open.is_none());
    assert_eq!(d.error.as_ref().map(|e| &e.error), Some(&CardError::NotAkis { atr: vcard::ATR_BANK.to_owned() }));
    let (exit, text) = agent(&["kart", "--okuyucu", reader.name()], "tr_TR.UTF-8", "");
    assert_eq!(exit, 1);
    assert!(text.contains(&format!("Bu bir AKİS e-İmza kartı değil (ATR {})", vcard::ATR_BANK)), "{text}");
    assert!(text.contains("AKİS kartı değil"), "{text}");
}

#[test]
fn wrong_pin_shows_tries_left_and_the_right_pin_signs_a_verifiable_signature() {
    let reader = Reader::acquire();
    let t = tckn(41);
    let s = state(vcard::ATR_TC, &t, 50);
    let _card = VirtualCard::insert(&reader, s.clone());
    let (_, open) = preflight(&reader, Some(&t));
    let card = open.unwrap();
    let refused = card.verify_pin(&pin("000000"), LastTry::NotConfirmed).unwrap_err();
    assert_eq!(refused.error, CardError::WrongPin { tries: PinTries::Known(2) });
    let mut card = refused.card;
    assert_eq!(card.pin_tries().unwrap(), PinTries::Known(2));
    assert_eq!(s.lock().unwrap().pin_attempts(), 1, "one wrong PIN is one try, never retried by the agent");

    let mut verified = card.verify_pin(&pin(vcard::PIN), LastTry::NotConfirmed).unwrap();
    assert_eq!(verified.pin_tries().unwrap(), PinTries::NotLow, "verified: the card answers 9000");
    let message = b"EIMZA-2026-000042 nonce";
    let signature = verified.sign(message).unwrap();
    assert_eq!(signature.len(), 256);
    // Checked independently of the agent: ring with the key from the certificate.
    let der = verified.certificate().der.clone();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, &cert.public_key().subject_public_key.data)
        .verify(message, &signature)
        .expect("the card's signature verifies");
    assert_eq!(s.lock().unwrap().tries, 3, "a correct PIN resets the counter");
}

#[test]
fn the_last_try_needs_a_second_confirmation_and_a_locked_card_is_never_tried() {
    let reader = Reader::acquire();
    let t = tckn(51);
    let s = state(vcard::ATR_UEKAE, &t, 50);
    s.lock().unwrap().tries = 1;
    let card = VirtualCard::insert(&reader, s.clone());
    let (d, open) = preflight(&reader, Some(&t));
    assert_eq!(d.pin_tries, Some(PinTries::Final));
    let refused = open.unwrap().verify_pin(&pin(vcard::PIN), LastTry::NotConfirmed).unwrap_err();
    assert_eq!(refused.error, CardError::LastTryNeedsConfirmation);
    assert_eq!(s.lock().unwrap().pin_attempts(), 0);

    // The command line asks for the word, and "no" leaves the card alone.
    let (exit, text) = agent(&["kart", "--okuyucu", reader.name(), "--imza-testi"], "tr_TR.UTF-8", "hayır\n123456\n");
    assert_eq!(exit, 1);
    assert!(text.contains("Kalan PIN deneme hakkı: 1 — son hak"), "{text}");
    assert!(text.contains("Son PIN deneme hakkınız kaldı"), "{text}");
    assert!(text.contains("PIN denenmedi"), "{text}");
    assert_eq!(s.lock().unwrap().pin_attempts(), 0);

    // Confirmed and wrong: the card locks, and the person learns what to do.
    let refused = refused.card.verify_pin(&pin("999999"), LastTry::Confirmed).unwrap_err();
    assert_eq!(refused.error, CardError::PinLocked);
    assert_eq!(s.lock().unwrap().tries, 0);
    drop(refused);
    // Locked survives a power cycle (re-insertion) and is never tried again.
    let s = card.remove();
    let _card = VirtualCard::insert(&reader, s.clone());
    let (d, open) = preflight(&reader, Some(&t));
    assert_eq!(d.pin_tries, Some(PinTries::Locked));
    assert!(!d.usable);
    let before = s.lock().unwrap().pin_attempts();
    let refused = open.unwrap().verify_pin(&pin(vcard::PIN), LastTry::Confirmed).unwrap_err();
    assert_eq!(refused.error, CardError::PinLocked);
    assert_eq!(s.lock().unwrap().pin_attempts(), before);
    let (exit, text) = agent(&["kart", "--okuyucu", reader.name(), "--imza-testi"], "tr_TR.UTF-8", "123456\n");
    assert_eq!(exit, 1);
    assert!(text.contains("PIN kilitli"), "{text}");
    assert!(text.contains("Kilit Çözme"), "{text}");
    assert_eq!(s.lock().unwrap().pin_attempts(), before);
}

#[test]
fn tries_survive_a_power_cycle() {
    let reader = Reader::acquire();
    let t = tckn(52);
    let card = VirtualCard::insert(&reader, state(vcard::ATR_TC, &t, 50));
    let (_, open) = preflight(&reader, Some(&t));
    let refused = open.unwrap().verify_pin(&pin("111111"), LastTry::NotConfirmed).unwrap_err();
    assert_eq!(refused.error, CardError::WrongPin { tries: PinTries::Known(2) });
    drop(refused);
    let s = card.remove();
    let _card = VirtualCard::insert(&reader, s);
    let (d, _) = preflight(&reader, Some(&t));
    assert_eq!(d.pin_tries, Some(PinTries::Known(2)));
}

#[test]
fn the_sign_test_signs_and_a_badly_typed_pin_never_reaches_the_card() {
    let reader = Reader::acquire();
    let t = tckn(61);
    let s = state(vcard::ATR_TC, &t, 50);
    let _card = VirtualCard::insert(&reader, s.clone());
    let (exit, text) = agent(&["kart", "--okuyucu", reader.name(), "--imza-testi"], "tr_TR.UTF-8", "12345\n12a456\n\n");
    assert_eq!(exit, 1, "{text}");
    assert!(text.contains("PIN 6 haneli olmalı. Bu deneme kartınıza gönderilmedi"), "{text}");
    assert!(text.contains("PIN yalnızca rakamlardan oluşur"), "{text}");
    assert!(text.contains("PIN girilmedi"), "{text}");
    assert!(text.contains("karta hiçbir şey gönderilmedi"), "{text}");
    assert_eq!(s.lock().unwrap().pin_attempts(), 0);

    let (exit, text) = agent(&["kart", "--okuyucu", reader.name(), "--imza-testi"], "tr_TR.UTF-8", "1234567\n123456\n");
    assert_eq!(exit, 0, "{text}");
    assert!(text.contains("İmza testi başarılı"), "{text}");
    assert!(!text.contains("123456"), "the PIN is never echoed:\n{text}");
    assert_eq!(s.lock().unwrap().pin_attempts(), 1);

    let (exit, text) = agent(&["kart", "--okuyucu", reader.name(), "--imza-testi"], "tr_TR.UTF-8", "654321\n");
    assert_eq!(exit, 1);
    assert!(text.contains("PIN yanlış. Kalan deneme hakkınız: 2"), "{text}");
    assert_eq!(s.lock().unwrap().pin_attempts(), 2, "no automatic retry after a wrong PIN");

    let (exit, text) = agent(&["card", "--reader", reader.name(), "--sign-test"], "en_US.UTF-8", "123456\n");
    assert_eq!(exit, 0, "{text}");
    assert!(text.contains("Sign test passed"), "{text}");
}

#[test]
fn a_signature_fetched_with_get_response_is_the_same_signature() {
    let reader = Reader::acquire();
    let t = tckn(62);
    let s = state(vcard::ATR_UEKAE, &t, 50);
    s.lock().unwrap().signature_answer = SignatureAnswer::GetResponse;
    let _card = VirtualCard::insert(&reader, s.clone());
    let (_, open) = preflight(&reader, Some(&t));
    let mut verified = open.unwrap().verify_pin(&pin(vcard::PIN), LastTry::NotConfirmed).unwrap();
    assert_eq!(verified.sign(b"zincir").unwrap().len(), 256);
    assert!(s.lock().unwrap().commands.iter().any(|c| c[1] == 0xC0), "GET RESPONSE was used");
}

#[test]
fn a_card_pulled_out_while_reading_or_signing_is_reported_and_costs_no_try() {
    let reader = Reader::acquire();
    let t = tckn(71);
    let s = state(vcard::ATR_TC, &t, 50);
    s.lock().unwrap().remove_on = Some((0xB0, 2));
    let card = VirtualCard::insert(&reader, s.clone());
    let (d, open) = preflight(&reader, Some(&t));
    assert!(open.is_none());
    let code = d.error.as_ref().map(|e| e.code);
    assert_eq!(code, Some("card-removed"), "{d:?}");
    let s = card.remove();

    let card = VirtualCard::insert(&reader, s.clone());
    let (_, open) = preflight(&reader, Some(&t));
    let mut verified = open.unwrap().verify_pin(&pin(vcard::PIN), LastTry::NotConfirmed).unwrap();
    s.lock().unwrap().remove_on = Some((0x2A, 1));
    let err = verified.sign(b"yarim kalan imza").unwrap_err();
    assert_eq!(err, CardError::CardRemoved);
    let s = card.remove();
    assert_eq!(s.lock().unwrap().tries, 3);
    let text = eimza_agent::report::card_error(&eimza_protocol::Catalog::embedded(), eimza_protocol::Lang::Tr, &err);
    assert!(text.contains("Kart işlem sırasında çıkarıldı"), "{text}");
}

#[test]
fn a_reader_that_is_not_there_and_a_stopped_service_have_their_own_words() {
    let opts = Options { reader: Some("Olmayan Okuyucu 00 00".into()), ..options(&Reader::acquire(), None) };
    let (d, _) = preflight::run(&opts);
    assert_eq!(d.error.as_ref().map(|e| e.code), Some("reader-gone"));

    // The client library talks to pcscd over a socket; pointing it elsewhere is pcscd not running.
    let out = Command::new(binary("eimza-agent"))
        .args(["kart"])
        .env("LANG", "tr_TR.UTF-8")
        .env("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1));
    assert!(text.contains("Akıllı kart hizmeti (PC/SC): çalışmıyor"), "{text}");
    assert!(text.contains("pcscd'yi başlatın"), "{text}");
    let out = Command::new(binary("eimza-agent"))
        .args(["kart", "--json"])
        .env("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["pcsc_service"], false);
    assert_eq!(v["error"]["code"], "no-service");
}

#[test]
fn with_no_reader_chosen_the_akis_card_is_found_among_several_readers() {
    let readers = Reader::acquire_all();
    assert!(readers.len() >= 2, "scripts/test configures several virtual readers");
    let t = tckn(81);
    let _bank = VirtualCard::insert(&readers[0], state(vcard::ATR_BANK, &t, 40));
    let _akis = VirtualCard::insert(&readers[1], state(vcard::ATR_TC, &t, 40));
    let opts = Options { reader: None, ..options(&readers[0], Some(&t)) };
    let (d, open) = preflight::run(&opts);
    assert!(open.is_some(), "{d:?}");
    assert_eq!(d.reader.as_deref(), Some(readers[1].name()));
    assert!(d.readers.len() >= 2);
    let (exit, text) = agent(&["kart", "--tckn", &t], "tr_TR.UTF-8", "");
    assert_eq!(exit, 0, "{text}");
    assert!(text.contains(&format!("{}: kart takılı, ATR {}, AKİS kartı değil", readers[0].name(), vcard::ATR_BANK)), "{text}");
    assert!(text.contains(&format!("Kullanılan okuyucu: {}", readers[1].name())), "{text}");
}

#[test]
fn the_watcher_sees_cards_come_and_go_without_polling() {
    let reader = Reader::acquire();
    let mut watcher = Pcsc::establish().unwrap().watcher().unwrap();
    let _initial = watcher.next(Duration::from_millis(100)).unwrap();
    let ours = |events: Vec<CardEvent>| {
        events
            .into_iter()
            .filter(|e| matches!(e, CardEvent::CardInserted { reader: r, .. } | CardEvent::CardRemoved { reader: r } if r == reader.name()))
            .collect::<Vec<_>>()
    };
    let card = VirtualCard::insert(&reader, state(vcard::ATR_TC, &tckn(91), 40));
    let mut seen = Vec::new();
    for _ in 0..20 {
        seen.extend(ours(watcher.next(Duration::from_secs(2)).unwrap()));
        if !seen.is_empty() {
            break;
        }
    }
    assert_eq!(
        seen,
        vec![CardEvent::CardInserted { reader: reader.name().to_owned(), atr: eimza_agent::card::atr::from_hex(vcard::ATR_TC).unwrap() }]
    );
    card.remove();
    let mut seen = Vec::new();
    for _ in 0..20 {
        seen.extend(ours(watcher.next(Duration::from_secs(2)).unwrap()));
        if !seen.is_empty() {
            break;
        }
    }
    assert_eq!(seen, vec![CardEvent::CardRemoved { reader: reader.name().to_owned() }]);
}

#[test]
fn the_watch_command_prints_cards_in_turkish() {
    use std::io::BufRead;
    let reader = Reader::acquire();
    /// Stops the watcher even when an assertion fails first.
    struct KillOnDrop(std::process::Child);
    impl Drop for KillOnDrop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = KillOnDrop(
        Command::new(binary("eimza-agent"))
            .args(["kart", "--izle"])
            .env("LANG", "tr_TR.UTF-8")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    assert_eq!(rx.recv_timeout(Duration::from_secs(10)).unwrap(), "Okuyucular ve kartlar izleniyor. Durdurmak için Ctrl+C.");
    let card = VirtualCard::insert(&reader, state(vcard::ATR_UEKAE, &tckn(92), 40));
    let wanted = format!("Kart takıldı ({}): AKİS (UEKAE, 2011–2019)", reader.name());
    let mut lines = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) {
        let done = line == wanted;
        lines.push(line);
        if done {
            break;
        }
    }
    assert!(lines.contains(&wanted), "{lines:?}");
    card.remove();
    let wanted = format!("Kart çıkarıldı ({})", reader.name());
    let mut found = false;
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(10)) {
        if line == wanted {
            found = true;
            break;
        }
    }
    drop(child);
    assert!(found, "{wanted}");
}

#[test]
fn default_issuers_accept_kamu_sm_names_in_any_case() {
    let names: Vec<String> = DEFAULT_ISSUERS.iter().map(|s| s.to_string()).collect();
    let key = pki::rsa_key();
    for issuer in [pki::KAMU_SM_ISSUER, "KAMU SM NİTELİKLİ ELEKTRONİK SERTİFİKA HİZMET SAĞLAYICISI"] {
        let der = CertSpec::kamu_sm("X", &tckn(93), 40).issued_by(issuer).der(&PublicKey::rsa(key));
        let cert = eimza_agent::card::cert::SigningCertificate::parse(&der).unwrap();
        assert!(cert.is_from_issuer(&names), "{issuer}");
    }
}
