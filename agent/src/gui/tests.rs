//! The window's logic, headless (egui_kittest: widgets found by their accessible labels, clicked
//! and typed into like a person would): pairing, the card panel's states, every wizard step and
//! failure, the PIN dialog, the language switch. The background work is a recorder here; the
//! real one runs in tests/agent/window.rs under Xvfb against a bot and the virtual card.

use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, Mutex};

use chrono::{Duration, Utc};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use eimza_protocol::pairing::PairingCodeError;
use eimza_protocol::wire::CardProblem;
use eimza_protocol::{Catalog, Lang, TicketNo};

use super::app::{App, Setup, Wizard};
use super::work::{Backend, Update, WizardCommand, WizardUpdate};
use crate::card::atr::AkisFamily;
use crate::card::cert::{CertProblem, KeyKind};
use crate::card::preflight::{CertificateReport, Diagnosis, ErrorReport, ProblemReport, ReaderReport};
use crate::card::{CardError, LastTry, PinTries};
use crate::link::card_step::{Cause, Finding};
use crate::link::pair::PairError;
use crate::link::run::LinkEvent;

/// What the window asked of the background work.
#[derive(Debug, PartialEq, Eq)]
enum Call {
    Pair { server: String, code: String, name: String },
    StartLink,
    StartWizard,
    EonayDone,
    Pin { digits: String, last_try: LastTry },
    Cancel,
    Unlink,
    OpenPage(String),
    Notify(String),
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Call>>>);

impl Recorder {
    fn calls(&self) -> Vec<Call> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
    fn push(&self, call: Call) {
        self.0.lock().unwrap().push(call);
    }
}

impl Backend for Recorder {
    fn pair(&mut self, server: String, code: String, name: String) {
        self.push(Call::Pair { server, code, name });
    }
    fn start_link(&mut self) {
        self.push(Call::StartLink);
    }
    fn start_wizard(&mut self) {
        self.push(Call::StartWizard);
    }
    fn wizard(&mut self, command: WizardCommand) {
        self.push(match command {
            WizardCommand::EonayDone => Call::EonayDone,
            WizardCommand::Pin { pin, last_try } => Call::Pin { digits: String::from_utf8_lossy(pin.expose()).into_owned(), last_try },
            WizardCommand::Cancel => Call::Cancel,
        });
    }
    fn unlink(&mut self) -> bool {
        self.push(Call::Unlink);
        true
    }
    fn open_page(&mut self, url: &str) -> bool {
        self.push(Call::OpenPage(url.to_owned()));
        true
    }
    fn open_log_folder(&mut self) -> bool {
        true
    }
    fn set_start_at_login(&mut self, _on: bool) -> bool {
        true
    }
    fn notify(&mut self, title: &str, _body: &str) {
        self.push(Call::Notify(title.to_owned()));
    }
    fn log(&mut self, _line: &str) {}
}

fn pairing() -> crate::link::home::Pairing {
    crate::link::home::Pairing {
        server: "https://eimza.kurum.gov.tr".into(),
        agent_id: "a-test".into(),
        token: "t".into(),
        paired_at: Utc::now(),
    }
}

struct Window {
    harness: Harness<'static, App>,
    calls: Recorder,
    updates: Sender<Update>,
}

fn window(paired: bool) -> Window {
    let calls = Recorder::default();
    let (updates, rx) = channel();
    let setup = Setup {
        catalog: Catalog::shared(),
        lang: Lang::Tr,
        pairing: paired.then(pairing),
        server: Some("https://eimza.kurum.gov.tr".into()),
        pc_name: "BIM-PC-07".into(),
        kamu_sm_url: "https://onlineislemler.kamusm.gov.tr/".into(),
        start_at_login: true,
    };
    let app = App::new(setup, Box::new(calls.clone()), rx);
    let harness = Harness::builder().with_size([900.0, 1000.0]).build_ui_state(|ui, app: &mut App| app.show(ui), app);
    let mut w = Window { harness, calls, updates };
    w.step();
    w
}

impl Window {
    /// A few frames (spinners ask for more forever: no "run until still").
    fn step(&mut self) {
        self.harness.run_steps(4);
    }

    fn send(&mut self, update: Update) {
        self.updates.send(update).unwrap();
        self.step();
    }

    fn shows(&self, text: &str) -> bool {
        self.harness.query_all_by_label_contains(text).next().is_some()
    }

    fn assert_shows(&self, text: &str) {
        assert!(self.shows(text), "{text:?} is not on the screen");
    }

    fn click(&mut self, label: &str) {
        self.harness.get_by_label(label).click();
        self.step();
    }

    fn ticket() -> TicketNo {
        TicketNo::new(2026, 42)
    }
}

fn diagnosis() -> Diagnosis {
    Diagnosis {
        pcsc_service: true,
        readers: vec![ReaderReport { name: "ACS ACR39U 00 00".into(), card_present: false, atr: None, akis_family: None }],
        error: Some(ErrorReport { code: "no-card", error: CardError::NoCard }),
        ..Diagnosis::empty()
    }
}

fn with_card(opens_in_days: i64) -> Diagnosis {
    let now = Utc::now();
    let opens = now + Duration::days(opens_in_days);
    let mut d = diagnosis();
    d.readers[0].card_present = true;
    d.readers[0].atr = Some("3B9F97".into());
    d.reader = Some("ACS ACR39U 00 00".into());
    d.akis_family = Some(AkisFamily::Tc);
    d.error = None;
    d.pkcs11_module = Some("/usr/lib/libakisp11.so".into());
    d.certificate = Some(CertificateReport {
        holder: "AYŞE YILMAZ".into(),
        tckn_masked: Some("100******46".into()),
        issuer: "Kamu SM".into(),
        not_before: now - Duration::days(1000),
        not_after: now + Duration::days(60),
        renewal_window_opens: opens,
        key: KeyKind::Rsa { bits: 2048 },
    });
    d.pin_tries = Some(PinTries::Known(3));
    if opens_in_days > 0 {
        d.problems = vec![ProblemReport { code: "cert-window-not-open", problem: CertProblem::WindowNotOpen { opens } }];
    } else {
        d.usable = true;
    }
    d
}

#[test]
fn pairing_takes_a_forgiving_code_and_waits_for_the_approval() {
    let mut w = window(false);
    w.assert_shows("Bu bilgisayarı sohbetinizle eşleştirin");
    assert!(w.harness.get_by_label("Eşleştirme kodu").is_focused(), "the code field has the focus");
    w.harness.get_by_label("Eşleştirme kodu").type_text("kqfm dxzt");
    w.step();
    w.click("Eşleştir");
    assert_eq!(
        w.calls.calls(),
        [Call::Pair { server: "https://eimza.kurum.gov.tr".into(), code: "kqfm dxzt".into(), name: "BIM-PC-07".into() }]
    );
    w.send(Update::PairWaiting("BIM-PC-07".into()));
    w.assert_shows("“BIM-PC-07” bilgisayarı için “Onayla”ya basın");
    w.send(Update::Paired(pairing()));
    assert_eq!(w.calls.calls(), [Call::StartLink]);
    w.assert_shows("Bağlanıyor");
    w.assert_shows("e-Onay adımına başla");
    w.send(Update::Link(LinkEvent::Connected));
    w.assert_shows("Bağlı");
    w.send(Update::Link(LinkEvent::Retrying { at: Utc::now() + Duration::seconds(30) }));
    w.assert_shows("Çevrim dışı — ");
}

#[test]
fn a_wrong_or_expired_code_is_said_in_words() {
    let mut w = window(false);
    w.harness.get_by_label("Eşleştirme kodu").type_text("KQF1-DXZT");
    w.step();
    w.click("Eşleştir");
    w.assert_shows("Eşleştirme kodunda “1” bulunmaz");
    assert!(w.calls.calls().is_empty(), "a malformed code never leaves the PC");
    w.send(Update::PairFailed(PairError::BadCode(PairingCodeError::Length(7))));
    w.assert_shows("girilen kodda 7 harf var");
    w.send(Update::PairFailed(PairError::Refused { code: "pair-code-expired".into(), retry_after: None }));
    w.assert_shows("Bu eşleştirme kodunun süresi dolmuş");
    w.send(Update::PairFailed(PairError::Refused { code: "pair-code-unknown".into(), retry_after: None }));
    w.assert_shows("Bu eşleştirme kodu tanınmadı");
    // A server address that would send the token in clear is refused before anything is sent.
    w.harness.get_by_label("Sunucu adresi").focus();
    w.harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    w.harness.get_by_label("Sunucu adresi").type_text("http://eimza.kurum.gov.tr");
    w.step();
    w.harness.get_by_label("Eşleştirme kodu").focus();
    w.step();
    w.click("Eşleştir");
    w.assert_shows("“http://eimza.kurum.gov.tr”");
    assert!(w.calls.calls().is_empty());
}

#[test]
fn the_card_panel_follows_the_card() {
    let mut w = window(true);
    w.assert_shows("Kart okuyucular denetleniyor");
    let mut none = diagnosis();
    none.readers.clear();
    none.error = Some(ErrorReport { code: "no-reader", error: CardError::NoReader });
    w.send(Update::Card(Box::new(none)));
    w.assert_shows("Kart okuyucu bulunamadı. Okuyucuyu bilgisayara takın");
    w.assert_shows("Kamu SM'nin kart sürücüsü (AKİS PKCS#11 modülü) bulunamadı");
    let mut down = diagnosis();
    down.pcsc_service = false;
    w.send(Update::Card(Box::new(down)));
    w.assert_shows("Akıllı kart hizmeti (PC/SC) çalışmıyor");
    w.send(Update::Card(Box::new(diagnosis())));
    w.assert_shows("Takılı değil");
    w.send(Update::Card(Box::new(with_card(20))));
    w.assert_shows("AYŞE YILMAZ (100******46)");
    w.assert_shows("AKİS (TC, 2020 ve sonrası)");
    w.assert_shows("Kalan PIN deneme hakkı: 3");
    w.assert_shows("tarihinden itibaren yapılabilir");
    w.send(Update::Card(Box::new(with_card(-5))));
    w.assert_shows("Sonuç: kart e-İmza yenilemesi için kullanılabilir.");
    w.assert_shows("Gerekenlerin hepsi yerinde.");
    // Someone else's card: the link's check against the ticket says so.
    let finding = Finding {
        usable: false,
        problems: vec![CardProblem::WrongPerson],
        causes: vec![Cause::Certificate(CertProblem::WrongPerson { on_card: "100******46".into(), expected: "200******12".into() })],
        certificate_not_after: None,
        renewal_opens: None,
        holders_own: None,
        gave_up: false,
    };
    w.send(Update::Link(LinkEvent::CardStep { ticket: Window::ticket(), holder_masked: Some("200******12".into()) }));
    w.send(Update::Link(LinkEvent::Finding(finding)));
    w.assert_shows("Takılı kart başvuru sahibine ait değil");
    w.harness.get_by_label("Bilgi işlem için raporu kopyala").click();
    let mut copied = false;
    for _ in 0..3 {
        w.harness.step();
        copied |= w.harness.output().platform_output.commands.iter().any(
            |c| matches!(c, egui::OutputCommand::CopyText(t) if t.contains("e-İmza kartı denetim raporu") && t.contains("AYŞE YILMAZ")),
        );
    }
    assert!(copied, "the kart report went to the clipboard");
    w.step();
    w.assert_shows("Rapor panoya kopyalandı");
}

#[test]
fn the_wizard_walks_the_card_step_with_e_onay() {
    let mut w = window(true);
    w.calls.calls();
    let ticket = Window::ticket();
    w.send(Update::Link(LinkEvent::CardStep { ticket, holder_masked: Some("100******46".into()) }));
    assert_eq!(w.calls.calls(), [Call::Notify("e-İmza yenileme: kartınızı takmanız gerekiyor".into())]);
    w.assert_shows("Kart adımı ve e-Onay — EIMZA-2026-000042");
    w.assert_shows("e-İmza kartınızı okuyucuya takın.");
    let no_card = Finding {
        usable: false,
        problems: vec![CardProblem::NoCard],
        causes: vec![Cause::Card(CardError::NoCard)],
        certificate_not_after: None,
        renewal_opens: None,
        holders_own: None,
        gave_up: false,
    };
    w.send(Update::Link(LinkEvent::Finding(no_card.clone())));
    w.assert_shows("Okuyucuda kart yok");
    assert!(w.calls.calls().is_empty());
    w.send(Update::Link(LinkEvent::Finding(Finding { usable: true, problems: vec![], causes: vec![], ..no_card })));
    assert_eq!(w.calls.calls(), [Call::StartWizard], "a usable card starts e-Onay at once");
    w.assert_shows("Kartınız denetleniyor");
    w.send(Update::Wizard(WizardUpdate::CardOk { ticket, name: "AYŞE YILMAZ".into(), masked: "100******46".into() }));
    w.assert_shows("Kartınız hazır: AYŞE YILMAZ (100******46) adına Kamu SM sertifikası.");
    assert!(w.harness.get_by_label("Kamu SM sayfasını aç").is_focused(), "the step's button has the focus");
    // Keyboard only: Enter presses the focused button.
    w.harness.key_press(egui::Key::Enter);
    w.step();
    assert_eq!(w.calls.calls(), [Call::OpenPage("https://onlineislemler.kamusm.gov.tr/".into())]);
    w.assert_shows("T.C. Kimlik No alanına kendi numaranızı (100******46) yazın");
    w.assert_shows("Kartınızdan “AYŞE YILMAZ” adının okunmasını bekleyin");
    w.click("e-Onay'ı tamamladım");
    assert_eq!(w.calls.calls(), [Call::EonayDone]);
    w.assert_shows("Beyan hazırlanıyor");
    let sentence = "EIMZA-2026-000042 numaralı başvurum için e-Onay işlemini tamamladığımı beyan ederim.";
    w.send(Update::Wizard(WizardUpdate::Statement { ticket, sentence: sentence.into(), tries: PinTries::Known(3), refused: None }));
    w.assert_shows(sentence);
    w.click("PIN ile imzala");
    w.assert_shows("Kalan PIN deneme hakkı: 3");
    assert!(w.harness.get_by_label("PIN (6 haneli)").is_focused());
    w.harness.get_by_label("PIN (6 haneli)").type_text("12a34");
    w.step();
    w.assert_shows("PIN yalnızca rakamlardan oluşur.");
    w.click("İmzala");
    assert!(w.calls.calls().is_empty(), "four digits are not sent");
    w.harness.get_by_label("PIN (6 haneli)").focus();
    w.step();
    w.harness.get_by_label("PIN (6 haneli)").type_text("56");
    w.step();
    w.harness.key_press(egui::Key::Enter);
    w.step();
    assert_eq!(w.calls.calls(), [Call::Pin { digits: "123456".into(), last_try: LastTry::NotConfirmed }]);
    w.assert_shows("PIN kartta denetleniyor");
    // A wrong PIN: said, the tries left shown, the dialog open again, the field empty.
    let wrong = CardError::WrongPin { tries: PinTries::Known(2) };
    w.send(Update::Wizard(WizardUpdate::Statement { ticket, sentence: sentence.into(), tries: PinTries::Known(2), refused: Some(wrong) }));
    w.assert_shows("PIN yanlış. Kalan deneme hakkınız: 2");
    assert!(w.harness.get_by_label("PIN (6 haneli)").value().unwrap_or_default().is_empty());
    w.harness.get_by_label("PIN (6 haneli)").type_text("654321");
    w.step();
    w.click("İmzala");
    assert_eq!(w.calls.calls(), [Call::Pin { digits: "654321".into(), last_try: LastTry::NotConfirmed }]);
    w.send(Update::Wizard(WizardUpdate::Sending { retrying: false }));
    w.assert_shows("İmzalı beyan sunucuya gönderiliyor");
    w.send(Update::Wizard(WizardUpdate::Sending { retrying: true }));
    w.assert_shows("Sunucuya şu an ulaşılamıyor");
    w.send(Update::Wizard(WizardUpdate::Accepted(ticket)));
    w.assert_shows("e-Onay doğrulandı: EIMZA-2026-000042 numaralı başvurunuza kaydedildi");
    w.click("Kapat");
    assert!(matches!(w.harness.state().wizard, Wizard::Off));
    w.assert_shows("Başvuru: EIMZA-2026-000042 (T.C. Kimlik No 100******46)");
    w.assert_shows("EIMZA-2026-000042 numaralı başvurunuz için e-Onay tamamlandı.");
    assert!(!w.shows("e-Onay adımına başla"), "nothing left to start");
}

#[test]
fn the_last_try_needs_a_second_red_confirmation() {
    let mut w = window(true);
    let ticket = Window::ticket();
    w.send(Update::Wizard(WizardUpdate::Statement { ticket, sentence: "beyan".into(), tries: PinTries::Final, refused: None }));
    w.click("PIN ile imzala");
    w.assert_shows("son hak; yanlış girilirse kart kilitlenir");
    w.assert_shows("Son deneme hakkınız kaldı.");
    w.harness.get_by_label("PIN (6 haneli)").type_text("123456");
    w.step();
    w.click("İmzala");
    w.harness.key_press(egui::Key::Enter);
    w.step();
    assert!(!w.calls.calls().iter().any(|c| matches!(c, Call::Pin { .. })), "not without the confirmation");
    w.click("Son hakkımı kullanmak istiyorum");
    w.click("İmzala");
    assert_eq!(w.calls.calls(), [Call::Pin { digits: "123456".into(), last_try: LastTry::Confirmed }]);
}

#[test]
fn every_failure_says_the_way_forward() {
    let mut w = window(true);
    w.calls.calls();
    w.click("e-Onay adımına başla");
    assert_eq!(w.calls.calls(), [Call::StartWizard]);
    // A locked card: the Kilit Çözme help, no retry.
    w.send(Update::Wizard(WizardUpdate::CardFailed(CardError::PinLocked)));
    w.assert_shows("“Kilit Çözme” menüsünden açabilirsiniz");
    w.assert_shows("bilgi işlem birimine bildirildi");
    assert!(!w.shows("Yeniden dene"));
    // The card went away: try again.
    w.send(Update::Wizard(WizardUpdate::CardFailed(CardError::CardRemoved)));
    w.assert_shows("Yeniden dene");
    w.click("Yeniden dene");
    assert_eq!(w.calls.calls(), [Call::StartWizard]);
    // Not usable: the diagnosis in words.
    w.send(Update::Wizard(WizardUpdate::CardNotUsable(Box::new(with_card(20)))));
    w.assert_shows("Sonuç: kart şu anda kullanılamıyor.");
    // Nothing waits for this PC, the bot refused, the bot out of reach.
    w.send(Update::Wizard(WizardUpdate::Failed("eonay-no-card-step")));
    w.assert_shows("Bu bilgisayarda e-Onay adımını bekleyen bir başvuru yok");
    w.send(Update::Wizard(WizardUpdate::Failed("gui-saved-for-later")));
    w.assert_shows("İmzalı beyanınız bu bilgisayarda saklandı");
    w.send(Update::Wizard(WizardUpdate::Failed("api-err-unreachable")));
    w.assert_shows("Yeniden dene");
}

#[test]
fn the_language_switches_to_english_and_back() {
    let mut w = window(true);
    w.click("Ayarlar");
    w.click("English");
    w.assert_shows("Start at login");
    w.click("Home");
    w.assert_shows("Start the e-Onay step");
    w.send(Update::Card(Box::new(diagnosis())));
    w.assert_shows("Not inserted");
    w.click("Settings");
    w.click("Türkçe");
    w.assert_shows("Oturum açılınca başlat");
    // Unpairing asks first.
    w.click("Bu bilgisayarın eşleştirmesini kaldır");
    w.assert_shows("Emin misiniz?");
    w.click("Evet, kaldır");
    assert!(w.calls.calls().contains(&Call::Unlink));
    w.assert_shows("Bu bilgisayarı sohbetinizle eşleştirin");
}
