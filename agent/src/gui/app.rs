//! The window: a thin view over the agent's state. Every text from `locales/` (Turkish first,
//! English switchable); every action handed to the [`Backend`]; every answer arrives as an
//! [`Update`]. Keyboard-only use works: the step's main control takes the focus when the step
//! appears, Enter presses it, Tab moves on.

use std::sync::mpsc::Receiver;

use chrono::Utc;
use eframe::egui;
use eimza_protocol::pairing::PairingCode;
use eimza_protocol::wire::CardProblem;
use eimza_protocol::{Arg, Catalog, Lang, TicketNo};

use super::pin::{PinBuffer, Typed, pin_field};
use super::work::{Backend, Update, WizardCommand, WizardUpdate};
use crate::card::preflight::Diagnosis;
use crate::card::{CardError, LastTry, PinTries};
use crate::link::card_step::{Cause, Finding};
use crate::link::home::Pairing;
use crate::link::pair::PairError;
use crate::link::run::LinkEvent;
use crate::report;

const RED: egui::Color32 = egui::Color32::from_rgb(0xc0, 0x1c, 0x28);
const GREEN: egui::Color32 = egui::Color32::from_rgb(0x26, 0x80, 0x3c);

/// Where the pairing form is.
pub enum PairForm {
    Editing,
    Sending,
    /// Waiting for "Onayla" in chat (this PC's name as the chat shows it).
    Waiting(String),
    Failed(PairError),
}

/// The link as the window shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Link {
    NotStarted,
    Connecting,
    Connected,
    Retrying(chrono::DateTime<Utc>),
    Stopped(&'static str),
}

/// Why the wizard stopped.
pub enum Failure {
    Diagnosis(Box<Diagnosis>),
    Card(CardError),
    Message(&'static str),
}

/// The card step with e-Onay, step by step.
pub enum Wizard {
    Off,
    /// The card step arrived: waiting for a usable card (the link's findings shown).
    WaitingForCard,
    Checking,
    Guide {
        ticket: TicketNo,
        name: String,
        masked: String,
        page_opened: Option<bool>,
    },
    Preparing,
    Sign {
        ticket: TicketNo,
        sentence: String,
        tries: PinTries,
        refused: Option<CardError>,
    },
    Verifying,
    Sending {
        retrying: bool,
    },
    Done(TicketNo),
    Failed(Failure),
}

impl Wizard {
    /// The step shown as current (0-based, of [`STEPS`]).
    fn step(&self) -> usize {
        match self {
            Wizard::Off | Wizard::WaitingForCard | Wizard::Checking => 0,
            Wizard::Guide { page_opened: None, .. } => 1,
            Wizard::Guide { .. } => 2,
            Wizard::Preparing | Wizard::Sign { .. } | Wizard::Verifying => 3,
            Wizard::Sending { .. } => 4,
            Wizard::Done(_) => 6,
            Wizard::Failed(_) => usize::MAX,
        }
    }
}

const STEPS: [&str; 5] = ["gui-step-card", "gui-step-page", "gui-step-eonay", "gui-step-sign", "gui-step-send"];

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Home,
    Settings,
}

pub struct App {
    catalog: &'static Catalog,
    pub lang: Lang,
    backend: Box<dyn Backend>,
    updates: Receiver<Update>,
    pub pairing: Option<Pairing>,
    pub tab: Tab,
    // The pairing form.
    pub server: String,
    pub code: String,
    pub pc_name: String,
    pub pair_state: PairForm,
    pub link: Link,
    pub card: Option<Box<Diagnosis>>,
    /// The card step the link received: its ticket and the holder's masked number.
    pub card_step: Option<(TicketNo, Option<String>)>,
    pub finding: Option<Finding>,
    pub wizard: Wizard,
    pub pin: PinBuffer,
    pub pin_open: bool,
    pin_typed: Typed,
    last_try_confirmed: bool,
    pub kamu_sm_url: String,
    pub start_at_login: bool,
    unlink_asked: bool,
    /// A short line after an action ("copied", "could not open").
    pub notice: Option<String>,
    /// The step changed: its main control takes the focus.
    focus_pending: bool,
    /// The window should come forward (work arrived, another start asked).
    pub raise: bool,
    pub renewed: bool,
    /// "Programdan çık" was pressed: the window closes and the agent ends.
    pub quit: bool,
    /// e-Onay was recorded for this ticket (from this window).
    pub accepted: Option<TicketNo>,
    /// What the log last heard of the screen.
    logged: &'static str,
}

pub struct Setup {
    pub catalog: &'static Catalog,
    pub lang: Lang,
    pub pairing: Option<Pairing>,
    pub server: Option<String>,
    pub pc_name: String,
    pub kamu_sm_url: String,
    pub start_at_login: bool,
}

impl App {
    pub fn new(setup: Setup, mut backend: Box<dyn Backend>, updates: Receiver<Update>) -> App {
        if setup.pairing.is_some() {
            backend.start_link();
        }
        App {
            catalog: setup.catalog,
            lang: setup.lang,
            backend,
            updates,
            link: if setup.pairing.is_some() { Link::Connecting } else { Link::NotStarted },
            pairing: setup.pairing,
            tab: Tab::Home,
            server: setup.server.unwrap_or_default(),
            code: String::new(),
            pc_name: setup.pc_name,
            pair_state: PairForm::Editing,
            card: None,
            card_step: None,
            finding: None,
            wizard: Wizard::Off,
            pin: PinBuffer::default(),
            pin_open: false,
            pin_typed: Typed::default(),
            last_try_confirmed: false,
            kamu_sm_url: setup.kamu_sm_url,
            start_at_login: setup.start_at_login,
            unlink_asked: false,
            notice: None,
            focus_pending: true,
            raise: false,
            renewed: false,
            accepted: None,
            quit: false,
            logged: "",
        }
    }

    fn t(&self, id: &str) -> String {
        self.catalog.text(self.lang, id, &[])
    }

    fn ta(&self, id: &str, args: &[(&str, Arg)]) -> String {
        self.catalog.text(self.lang, id, args)
    }

    /// Takes what the background work said.
    pub fn take_updates(&mut self) {
        while let Ok(update) = self.updates.try_recv() {
            self.apply(update);
        }
    }

    pub fn apply(&mut self, update: Update) {
        match update {
            Update::PairWaiting(name) => self.pair_state = PairForm::Waiting(name),
            Update::PairFailed(e) => {
                self.pair_state = PairForm::Failed(e);
                self.focus_pending = true;
            }
            Update::Paired(pairing) => {
                self.pairing = Some(pairing);
                self.pair_state = PairForm::Editing;
                self.code.clear();
                self.link = Link::Connecting;
                self.backend.start_link();
                self.focus_pending = true;
            }
            Update::Link(event) => self.on_link(event),
            Update::Card(diagnosis) => self.card = Some(diagnosis),
            Update::Wizard(update) => self.on_wizard(update),
        }
    }

    fn on_link(&mut self, event: LinkEvent) {
        match event {
            LinkEvent::Connecting => self.link = Link::Connecting,
            LinkEvent::Connected => self.link = Link::Connected,
            LinkEvent::Retrying { at } => self.link = Link::Retrying(at),
            LinkEvent::Stopped(id) => self.link = Link::Stopped(id),
            LinkEvent::CardStep { ticket, holder_masked } => {
                let body = self.ta("notify-card-step-body", &[("ticket", Arg::from(ticket.to_string()))]);
                self.backend.notify(&self.t("notify-card-step-title"), &body);
                self.card_step = Some((ticket, holder_masked));
                self.finding = None;
                self.tab = Tab::Home;
                self.raise = true;
                // e-Onay already under way goes on; anything else starts again at the card.
                let under_way = matches!(
                    self.wizard,
                    Wizard::Checking
                        | Wizard::Guide { .. }
                        | Wizard::Preparing
                        | Wizard::Sign { .. }
                        | Wizard::Verifying
                        | Wizard::Sending { .. }
                );
                if !under_way {
                    self.wizard = Wizard::WaitingForCard;
                    self.focus_pending = true;
                }
            }
            LinkEvent::Finding(finding) => {
                let usable = finding.usable;
                self.finding = Some(finding);
                // The card is ready: e-Onay goes on at once.
                if usable && matches!(self.wizard, Wizard::WaitingForCard) {
                    self.start_wizard();
                }
            }
            LinkEvent::Renewed => self.renewed = true,
        }
    }

    fn on_wizard(&mut self, update: WizardUpdate) {
        self.focus_pending = true;
        self.wizard = match update {
            WizardUpdate::CardOk { ticket, name, masked } => Wizard::Guide { ticket, name, masked, page_opened: None },
            WizardUpdate::CardNotUsable(d) => Wizard::Failed(Failure::Diagnosis(d)),
            WizardUpdate::Statement { ticket, sentence, tries, refused } => {
                // A wrong PIN: the dialog stays open, with the tries left.
                self.pin_open = refused.is_some();
                self.last_try_confirmed = false;
                Wizard::Sign { ticket, sentence, tries, refused }
            }
            WizardUpdate::Sending { retrying } => {
                self.pin_open = false;
                Wizard::Sending { retrying }
            }
            WizardUpdate::Accepted(ticket) => {
                self.accepted = Some(ticket);
                Wizard::Done(ticket)
            }
            WizardUpdate::CardFailed(e) => {
                self.pin_open = false;
                Wizard::Failed(Failure::Card(e))
            }
            WizardUpdate::Failed(id) => {
                self.pin_open = false;
                Wizard::Failed(Failure::Message(id))
            }
        };
    }

    fn start_wizard(&mut self) {
        self.pin.clear();
        self.pin_open = false;
        self.wizard = Wizard::Checking;
        self.backend.start_wizard();
    }

    /// The screen by name, for the agent's log (a support person reads where someone stopped).
    fn screen(&self) -> &'static str {
        if self.pairing.is_none() {
            return match self.pair_state {
                PairForm::Editing => "pairing form",
                PairForm::Sending => "pairing: sending",
                PairForm::Waiting(_) => "pairing: waiting for the approval",
                PairForm::Failed(_) => "pairing: refused",
            };
        }
        match (&self.wizard, self.pin_open) {
            (Wizard::Sign { .. }, true) => "pin dialog",
            (Wizard::Off, _) => "home",
            (Wizard::WaitingForCard, _) => "wizard: waiting for the card",
            (Wizard::Checking, _) => "wizard: checking the card",
            (Wizard::Guide { page_opened: None, .. }, _) => "wizard: open the page",
            (Wizard::Guide { .. }, _) => "wizard: e-onay steps",
            (Wizard::Preparing, _) => "wizard: preparing",
            (Wizard::Sign { .. }, false) => "wizard: statement",
            (Wizard::Verifying, _) => "wizard: verifying the pin",
            (Wizard::Sending { .. }, _) => "wizard: sending",
            (Wizard::Done(_), _) => "wizard: accepted",
            (Wizard::Failed(_), _) => "wizard: stopped",
        }
    }

    fn log_screen(&mut self) {
        let screen = self.screen();
        if screen != self.logged {
            self.logged = screen;
            self.backend.log(&format!("window: {screen}"));
        }
    }

    /// Draws the whole window.
    pub fn show(&mut self, ui: &mut egui::Ui) {
        self.take_updates();
        self.log_screen();
        egui::Panel::top("top").show(ui, |ui| self.top_bar(ui));
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                if self.pairing.is_none() {
                    self.pairing_form(ui);
                } else if self.tab == Tab::Settings {
                    self.settings(ui);
                } else {
                    self.home(ui);
                }
            });
        });
        if self.pin_open {
            self.pin_dialog(ui.ctx());
        }
        // A click or a key may have changed the screen: said now, not at the next frame.
        self.log_screen();
        if matches!(self.link, Link::Retrying(_)) {
            // The countdown to the next try.
            ui.ctx().request_repaint_after(std::time::Duration::from_secs(1));
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading(self.t("gui-title"));
            ui.separator();
            let (text, color) = self.link_text();
            ui.colored_label(color, text);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if self.pairing.is_some() {
                    let settings = self.t("gui-tab-settings");
                    let home = self.t("gui-tab-home");
                    ui.selectable_value(&mut self.tab, Tab::Settings, settings);
                    ui.selectable_value(&mut self.tab, Tab::Home, home);
                }
            });
        });
    }

    pub fn link_text(&self) -> (String, egui::Color32) {
        match &self.link {
            Link::NotStarted => (self.t("gui-link-not-paired"), egui::Color32::GRAY),
            Link::Connecting => (self.t("gui-link-connecting"), egui::Color32::from_rgb(0xb3, 0x6b, 0x00)),
            Link::Connected => (self.t("gui-link-connected"), GREEN),
            Link::Retrying(at) => {
                let seconds = (*at - Utc::now()).num_seconds().max(0);
                (self.ta("gui-link-offline", &[("seconds", Arg::from(seconds))]), RED)
            }
            Link::Stopped(id) => (self.t(id), RED),
        }
    }

    fn pairing_form(&mut self, ui: &mut egui::Ui) {
        ui.heading(self.t("gui-pair-title"));
        ui.label(self.t("gui-pair-intro"));
        ui.add_space(8.0);
        let waiting = matches!(self.pair_state, PairForm::Sending | PairForm::Waiting(_));
        let mut submit = false;
        egui::Grid::new("pair-form").num_columns(2).spacing([12.0, 8.0]).show(ui, |ui| {
            let label = ui.label(self.t("gui-pair-server"));
            ui.add_enabled(!waiting, egui::TextEdit::singleline(&mut self.server).desired_width(360.0).hint_text("https://"))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label(self.t("gui-pair-code"));
            let code = ui.add_enabled(!waiting, egui::TextEdit::singleline(&mut self.code).desired_width(160.0).hint_text("ABCD-EFGH"));
            let code = code.labelled_by(label.id);
            if self.focus_pending && !waiting {
                code.request_focus();
                self.focus_pending = false;
            }
            submit |= code.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            ui.end_row();
            let label = ui.label(self.t("gui-pair-name"));
            ui.add_enabled(!waiting, egui::TextEdit::singleline(&mut self.pc_name).desired_width(240.0)).labelled_by(label.id);
            ui.end_row();
        });
        ui.label(egui::RichText::new(self.t("gui-pair-name-hint")).weak());
        ui.add_space(8.0);
        if ui.add_enabled(!waiting, egui::Button::new(self.t("gui-pair-button"))).clicked() {
            submit = true;
        }
        if submit && !waiting {
            self.submit_pairing();
        }
        ui.add_space(8.0);
        match &self.pair_state {
            PairForm::Editing => {}
            PairForm::Sending => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(self.t("gui-pair-sending"));
                });
            }
            PairForm::Waiting(name) => {
                let text = self.ta("gui-pair-waiting", &[("name", Arg::from(name.as_str()))]);
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(text);
                });
            }
            PairForm::Failed(e) => {
                ui.colored_label(RED, e.text(self.catalog, self.lang));
            }
        }
    }

    /// The code is forgiving (lower case, spaces, no dash): the same parser as the command's.
    fn submit_pairing(&mut self) {
        if crate::link::checked_server(&self.server).is_none() {
            self.pair_state = PairForm::Failed(PairError::BadServer(self.server.trim().to_owned()));
            return;
        }
        if let Err(e) = PairingCode::parse(&self.code) {
            self.pair_state = PairForm::Failed(PairError::BadCode(e));
            self.focus_pending = true;
            return;
        }
        self.pair_state = PairForm::Sending;
        let name: String = self.pc_name.chars().filter(|c| !c.is_control()).take(64).collect();
        self.backend.pair(self.server.trim().to_owned(), self.code.clone(), name.trim().to_owned());
    }

    fn home(&mut self, ui: &mut egui::Ui) {
        if let Some((ticket, masked)) = &self.card_step {
            let line = match masked {
                Some(tckn) => self.ta("gui-home-request", &[("ticket", Arg::from(ticket.to_string())), ("tckn", Arg::from(tckn.as_str()))]),
                None => self.ta("gui-home-request-plain", &[("ticket", Arg::from(ticket.to_string()))]),
            };
            ui.label(line);
        }
        if let Some(ticket) = self.accepted {
            ui.colored_label(GREEN, self.ta("gui-home-eonay-done", &[("ticket", Arg::from(ticket.to_string()))]));
        }
        if self.renewed {
            ui.colored_label(GREEN, self.t("run-renewed-card"));
            ui.add_space(6.0);
        }
        if !matches!(self.wizard, Wizard::Off) {
            egui::Frame::group(ui.style()).show(ui, |ui| self.wizard_panel(ui));
            ui.add_space(10.0);
        } else if self.accepted.is_none() && ui.button(self.t("gui-eonay-start")).clicked() {
            self.start_wizard();
        }
        ui.add_space(6.0);
        self.card_panel(ui);
    }

    fn card_panel(&mut self, ui: &mut egui::Ui) {
        ui.heading(self.t("gui-card-title"));
        let Some(d) = self.card.as_deref() else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(self.t("gui-card-looking"));
            });
            return;
        };
        let mut rows: Vec<(String, String)> = Vec::new();
        let present = d.readers.iter().find(|r| Some(&r.name) == d.reader.as_ref()).or_else(|| d.readers.iter().find(|r| r.card_present));
        rows.push((
            self.t("gui-card-reader"),
            d.reader.clone().or_else(|| d.readers.first().map(|r| r.name.clone())).unwrap_or_else(|| self.t("gui-none")),
        ));
        let has_card = present.is_some_and(|r| r.card_present);
        rows.push((self.t("gui-card-card"), self.t(if has_card { "gui-card-present" } else { "gui-card-absent" })));
        if has_card {
            let family = d.akis_family.map(|f| self.t(f.message_id())).unwrap_or_else(|| self.t("diag-not-akis"));
            rows.push((self.t("gui-card-family"), family));
        }
        if let Some(c) = &d.certificate {
            let holder = match &c.tckn_masked {
                Some(tckn) => format!("{} ({tckn})", c.holder),
                None => c.holder.clone(),
            };
            rows.push((self.t("gui-card-holder"), holder));
            rows.push((self.t("gui-card-issuer"), c.issuer.clone()));
            rows.push((self.t("gui-card-expiry"), report::date(self.catalog, self.lang, c.not_after)));
            let opens = report::date(self.catalog, self.lang, c.renewal_window_opens);
            let window = if c.renewal_window_opens <= Utc::now() { "gui-card-renewal-open" } else { "gui-card-renewal-later" };
            rows.push((self.t("gui-card-renewal"), self.ta(window, &[("date", Arg::from(opens))])));
        }
        if let Some(tries) = d.pin_tries {
            rows.push((self.t("gui-card-tries"), report::tries(self.catalog, self.lang, tries)));
        }
        egui::Grid::new("card-panel").num_columns(2).spacing([16.0, 4.0]).striped(true).show(ui, |ui| {
            for (k, v) in &rows {
                ui.label(egui::RichText::new(k).strong());
                ui.label(v);
                ui.end_row();
            }
        });
        ui.add_space(4.0);
        let mut warnings: Vec<String> = d.problems.iter().map(|p| report::problem(self.catalog, self.lang, &p.problem)).collect();
        warnings.extend(d.error.iter().map(|e| report::card_error(self.catalog, self.lang, &e.error)));
        if self.finding.as_ref().is_some_and(|f| f.problems.contains(&CardProblem::WrongPerson)) && d.certificate.is_some() {
            warnings.push(self.t("gui-card-wrong-person"));
        }
        for w in &warnings {
            ui.colored_label(RED, w);
        }
        if d.usable && warnings.is_empty() {
            ui.colored_label(GREEN, self.t("diag-usable"));
        }
        self.self_check(ui);
        if let Some(n) = &self.notice {
            ui.label(egui::RichText::new(n).weak());
        }
    }

    /// What is missing on this PC and what to do, and the report for the IT department.
    fn self_check(&mut self, ui: &mut egui::Ui) {
        let Some(d) = self.card.as_deref() else { return };
        ui.add_space(10.0);
        ui.heading(self.t("gui-check-title"));
        let mut checks = Vec::new();
        if !d.pcsc_service {
            checks.push(self.t("gui-check-service"));
        } else if d.readers.is_empty() {
            checks.push(self.t("gui-check-reader"));
        }
        if d.pkcs11_module.is_none() {
            checks.push(self.t("gui-check-module"));
        }
        if checks.is_empty() {
            ui.colored_label(GREEN, self.t("gui-check-ok"));
        }
        for c in &checks {
            ui.label(format!("• {c}"));
        }
        if ui.button(self.t("gui-copy-report")).clicked() {
            let text = report::diagnosis(self.catalog, self.lang, d);
            ui.ctx().copy_text(text);
            self.notice = Some(self.t("gui-copied"));
        }
    }

    /// The steps in a row: done in green, the current one bold and underlined, the rest faint;
    /// "Adım 2 / 5" first, for a screen reader (the colours say nothing to it). Only letters and
    /// digits: the bundled font has no symbols.
    fn steps(&self, ui: &mut egui::Ui) {
        let current = self.wizard.step();
        let failed = matches!(self.wizard, Wizard::Failed(_));
        ui.horizontal_wrapped(|ui| {
            if current < STEPS.len() {
                let of = self.ta("gui-step-of", &[("n", Arg::from(current + 1)), ("total", Arg::from(STEPS.len()))]);
                ui.label(egui::RichText::new(of).weak());
            }
            for (i, id) in STEPS.iter().enumerate() {
                let text = egui::RichText::new(format!("{}. {}", i + 1, self.t(id)));
                let text = if i < current && !failed {
                    text.color(GREEN)
                } else if i == current {
                    text.strong().underline()
                } else {
                    text.color(ui.visuals().weak_text_color())
                };
                ui.label(text);
            }
        });
        ui.separator();
    }

    /// A primary button that takes the focus when its step appears (Enter presses it).
    fn main_button(&mut self, ui: &mut egui::Ui, id: &str) -> bool {
        let response = ui.add(egui::Button::new(egui::RichText::new(self.t(id)).strong()));
        // Under the PIN dialog the focus belongs to the PIN field.
        if self.focus_pending && !self.pin_open {
            response.request_focus();
            self.focus_pending = false;
        }
        response.clicked()
    }

    fn wizard_panel(&mut self, ui: &mut egui::Ui) {
        let title = match &self.card_step {
            Some((ticket, _)) => self.ta("gui-wizard-title", &[("ticket", Arg::from(ticket.to_string()))]),
            None => self.t("gui-wizard-title-plain"),
        };
        ui.heading(title);
        self.steps(ui);
        match &self.wizard {
            Wizard::Off => {}
            Wizard::WaitingForCard => self.waiting_for_card(ui),
            Wizard::Checking | Wizard::Preparing | Wizard::Verifying => {
                let id = match self.wizard {
                    Wizard::Checking => "gui-wizard-checking",
                    Wizard::Preparing => "gui-wizard-preparing",
                    _ => "gui-wizard-verifying",
                };
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(self.t(id));
                });
            }
            Wizard::Guide { name, masked, page_opened, .. } => {
                let (name, masked, page_opened) = (name.clone(), masked.clone(), *page_opened);
                self.guide(ui, &name, &masked, page_opened);
            }
            Wizard::Sign { sentence, tries, refused, .. } => {
                let (sentence, tries, refused) = (sentence.clone(), *tries, refused.is_some());
                ui.label(self.t("gui-wizard-statement-intro"));
                egui::Frame::NONE.inner_margin(8.0).fill(ui.visuals().faint_bg_color).show(ui, |ui| {
                    ui.label(egui::RichText::new(format!("“{sentence}”")).italics());
                });
                if !refused || !self.pin_open {
                    ui.label(report::tries(self.catalog, self.lang, tries));
                }
                if self.main_button(ui, "gui-wizard-sign") {
                    self.pin_open = true;
                    self.focus_pending = true;
                }
            }
            Wizard::Sending { retrying } => {
                let id = if *retrying { "eonay-bot-unreachable-retrying" } else { "gui-wizard-sending" };
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(self.t(id));
                });
            }
            Wizard::Done(ticket) => {
                let text = self.ta("eonay-accepted", &[("ticket", Arg::from(ticket.to_string()))]);
                ui.colored_label(GREEN, text);
                if self.main_button(ui, "gui-wizard-close") {
                    self.wizard = Wizard::Off;
                }
            }
            Wizard::Failed(_) => self.failed(ui),
        }
    }

    /// The card step arrived: what the link's check found, while the card is awaited.
    fn waiting_for_card(&mut self, ui: &mut egui::Ui) {
        ui.label(self.t("gui-wizard-insert"));
        if let Some(f) = &self.finding {
            for cause in &f.causes {
                let text = match cause {
                    Cause::Certificate(p) => report::problem(self.catalog, self.lang, p),
                    Cause::Card(e) => report::card_error(self.catalog, self.lang, e),
                };
                ui.colored_label(RED, text);
            }
            if f.gave_up {
                ui.label(self.t("gui-wizard-gave-up"));
            }
        }
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(self.t("gui-wizard-waiting-card"));
        });
        if self.main_button(ui, "gui-wizard-check-now") {
            self.start_wizard();
        }
    }

    /// The card is the holder's: open Kamu SM's page, then the e-Onay steps with their name.
    fn guide(&mut self, ui: &mut egui::Ui, name: &str, masked: &str, page_opened: Option<bool>) {
        let who = [("name", Arg::from(name)), ("tckn", Arg::from(masked))];
        ui.colored_label(GREEN, self.ta("eonay-card-ok", &who));
        ui.add_space(6.0);
        let Some(opened) = page_opened else {
            ui.label(self.t("gui-wizard-open-page-intro"));
            if self.main_button(ui, "gui-wizard-open-page") {
                let opened = self.backend.open_page(&self.kamu_sm_url);
                if let Wizard::Guide { page_opened, .. } = &mut self.wizard {
                    *page_opened = Some(opened);
                }
                self.focus_pending = true;
            }
            return;
        };
        let url = Arg::from(self.kamu_sm_url.as_str());
        let id = if opened { "eonay-browser-opened" } else { "eonay-open-yourself" };
        ui.label(self.ta(id, &[("url", url)]));
        ui.add_space(4.0);
        ui.label(self.ta("eonay-steps", &who));
        ui.add_space(6.0);
        if self.main_button(ui, "gui-wizard-eonay-done") {
            self.wizard = Wizard::Preparing;
            self.backend.wizard(WizardCommand::EonayDone);
        }
    }

    /// Why the wizard stopped, and the way forward.
    fn failed(&mut self, ui: &mut egui::Ui) {
        let Wizard::Failed(failure) = &self.wizard else { return };
        let (text, retry) = match failure {
            Failure::Diagnosis(d) => (plain(&report::diagnosis(self.catalog, self.lang, d)), true),
            Failure::Card(CardError::PinLocked) => (
                format!("{}\n\n{}", report::card_error(self.catalog, self.lang, &CardError::PinLocked), self.t("eonay-locked-reported")),
                false,
            ),
            Failure::Card(e) => (report::card_error(self.catalog, self.lang, e), true),
            Failure::Message(id) => (self.t(id), *id != "eonay-no-card-step"),
        };
        ui.colored_label(RED, text);
        ui.horizontal(|ui| {
            if retry && self.main_button(ui, "gui-wizard-retry") {
                self.start_wizard();
            }
            if ui.button(self.t("gui-wizard-close")).clicked() {
                self.wizard = Wizard::Off;
            }
        });
    }

    fn pin_dialog(&mut self, ctx: &egui::Context) {
        let Wizard::Sign { tries, refused, .. } = &self.wizard else {
            self.pin_open = false;
            return;
        };
        let (tries, refused) = (*tries, refused.clone());
        let mut submit = false;
        let mut cancel = false;
        egui::Modal::new(egui::Id::unique("pin-dialog")).show(ctx, |ui| {
            ui.set_width(420.0);
            ui.heading(self.t("gui-pin-title"));
            // After a wrong PIN its message says the tries left; otherwise the count is shown.
            match &refused {
                Some(e) => ui.colored_label(RED, report::card_error(self.catalog, self.lang, e)),
                None => ui.label(egui::RichText::new(report::tries(self.catalog, self.lang, tries)).strong()),
            };
            let last = tries == PinTries::Final;
            if last {
                egui::Frame::NONE.inner_margin(8.0).fill(egui::Color32::from_rgb(0xfd, 0xe7, 0xe9)).show(ui, |ui| {
                    ui.colored_label(RED, self.t("gui-pin-last-try"));
                    let confirm = egui::RichText::new(self.t("gui-pin-last-try-confirm")).color(RED);
                    ui.checkbox(&mut self.last_try_confirmed, confirm);
                });
            }
            ui.add_space(6.0);
            let label = self.t("gui-pin-label");
            let shown = ui.label(&label);
            self.pin_typed.entered = false;
            let field = pin_field(ui, &mut self.pin, &label, &mut self.pin_typed).labelled_by(shown.id);
            if self.focus_pending {
                field.request_focus();
                self.focus_pending = false;
            }
            if self.pin_typed.refused {
                ui.label(egui::RichText::new(self.t("gui-pin-digits-only")).weak());
            }
            let ready = self.pin.is_full() && (!last || self.last_try_confirmed);
            if self.pin_typed.entered && ready {
                submit = true;
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                if ui.add_enabled(ready, egui::Button::new(self.t("gui-pin-sign"))).clicked() {
                    submit = true;
                }
                if ui.button(self.t("gui-pin-cancel")).clicked() {
                    cancel = true;
                }
            });
            ui.label(egui::RichText::new(self.t("gui-pin-never-kept")).weak().small());
        });
        if submit {
            let last_try = if tries == PinTries::Final && self.last_try_confirmed { LastTry::Confirmed } else { LastTry::NotConfirmed };
            if let Some(pin) = self.pin.take() {
                self.pin_typed = Typed::default();
                self.wizard = Wizard::Verifying;
                self.pin_open = false;
                self.backend.wizard(WizardCommand::Pin { pin, last_try });
            }
        }
        if cancel {
            self.pin.clear();
            self.pin_open = false;
        }
    }

    fn settings(&mut self, ui: &mut egui::Ui) {
        ui.heading(self.t("gui-settings-title"));
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            ui.label(self.t("gui-settings-language"));
            // Each language named in itself, whatever the window's language.
            let (tr, en) = (self.catalog.text(Lang::Tr, "gui-language-name", &[]), self.catalog.text(Lang::En, "gui-language-name", &[]));
            ui.radio_value(&mut self.lang, Lang::Tr, tr);
            ui.radio_value(&mut self.lang, Lang::En, en);
        });
        let mut at_login = self.start_at_login;
        if ui.checkbox(&mut at_login, self.t("gui-settings-start-at-login")).changed() {
            if self.backend.set_start_at_login(at_login) {
                self.start_at_login = at_login;
            } else {
                self.notice = Some(self.t("gui-settings-failed"));
            }
        }
        ui.add_space(6.0);
        if let Some(p) = &self.pairing {
            let since = report::date(self.catalog, self.lang, p.paired_at);
            ui.label(self.ta("gui-settings-paired", &[("server", Arg::from(p.server.as_str())), ("date", Arg::from(since))]));
        }
        if !self.unlink_asked {
            if ui.button(self.t("gui-settings-unlink")).clicked() {
                self.unlink_asked = true;
            }
        } else {
            ui.colored_label(RED, self.t("gui-settings-unlink-sure"));
            ui.horizontal(|ui| {
                if ui.button(self.t("gui-settings-unlink-yes")).clicked() {
                    if self.backend.unlink() {
                        self.pairing = None;
                        self.link = Link::NotStarted;
                        self.wizard = Wizard::Off;
                        self.tab = Tab::Home;
                        self.focus_pending = true;
                    } else {
                        self.notice = Some(self.t("gui-settings-failed"));
                    }
                    self.unlink_asked = false;
                }
                if ui.button(self.t("gui-pin-cancel")).clicked() {
                    self.unlink_asked = false;
                }
            });
        }
        if ui.button(self.t("gui-settings-log-folder")).clicked() && !self.backend.open_log_folder() {
            self.notice = Some(self.t("gui-settings-failed"));
        }
        ui.label(egui::RichText::new(self.t("gui-settings-quit-hint")).weak());
        if ui.button(self.t("gui-settings-quit")).clicked() {
            self.quit = true;
        }
        ui.add_space(10.0);
        ui.label(self.ta("gui-settings-version", &[("version", Arg::from(env!("CARGO_PKG_VERSION")))]));
        ui.label(egui::RichText::new(self.t("gui-settings-licences")).small());
        if let Some(n) = &self.notice {
            ui.label(egui::RichText::new(n).weak());
        }
    }
}

/// The terminal's warning sign is not in the bundled font: the window's own colour says it.
fn plain(text: &str) -> String {
    text.replace("⚠ ", "")
}
