//! The window's work, off its thread: pairing, the link, the card panel and the e-Onay wizard —
//! each the same engine the commands use (`pair`, `run::Runner`, `preflight`, `eonay::Eonay`),
//! each on its own thread, talking to the window by messages. The window never waits on a card
//! or the network, so it never freezes.
//!
//! [`Backend`] is what the window asks for; [`Live`] does it for real, tests give a recorder.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use eimza_protocol::attest::Statement;
use eimza_protocol::wire::CardProblem;
use eimza_protocol::{Catalog, Lang, TicketNo};

use crate::card::preflight::{self, Diagnosis, Options};
use crate::card::{CardError, LastTry, Pin, PinTries};
use crate::eonay::{CardChecked, Eonay, Sent};
use crate::link::card_step::{self, Cancel};
use crate::link::home::{Home, Pairing};
use crate::link::notify;
use crate::link::pair::{self, PairError};
use crate::link::run::{LinkEvent, Runner};

/// What the background work tells the window.
pub enum Update {
    /// The bot accepted the code: the person is asked in chat to approve this PC (its name).
    PairWaiting(String),
    Paired(Pairing),
    PairFailed(PairError),
    Link(LinkEvent),
    /// The card panel's latest look at the readers and the card.
    Card(Box<Diagnosis>),
    Wizard(WizardUpdate),
}

/// The e-Onay wizard's progress, from its worker.
pub enum WizardUpdate {
    /// The card is the ticket holder's and usable: the e-Onay steps can be shown.
    CardOk {
        ticket: TicketNo,
        name: String,
        masked: String,
    },
    CardNotUsable(Box<Diagnosis>),
    /// The statement to sign and the PIN tries left (with why the last PIN was refused).
    Statement {
        ticket: TicketNo,
        sentence: String,
        tries: PinTries,
        refused: Option<CardError>,
    },
    Sending {
        retrying: bool,
    },
    Accepted(TicketNo),
    /// The request stopped: a locked card (the desk was told), the card went away…
    CardFailed(CardError),
    /// A message id (a refusal, the bot out of reach, nothing waiting for this PC).
    Failed(&'static str),
}

/// What the window asks the wizard's worker.
pub enum WizardCommand {
    /// "e-Onay'ı tamamladım".
    EonayDone,
    Pin {
        pin: Pin,
        last_try: LastTry,
    },
    Cancel,
}

/// What the window asks for.
pub trait Backend {
    fn pair(&mut self, server: String, code: String, name: String);
    /// Starts the link to the bot (when paired).
    fn start_link(&mut self);
    /// Starts (or restarts) the e-Onay wizard's worker.
    fn start_wizard(&mut self);
    fn wizard(&mut self, command: WizardCommand);
    /// Forgets the pairing on this PC.
    fn unlink(&mut self) -> bool;
    fn open_page(&mut self, url: &str) -> bool;
    fn open_log_folder(&mut self) -> bool;
    fn set_start_at_login(&mut self, on: bool) -> bool;
    /// Raises the desktop notification (the card step arrived).
    fn notify(&mut self, title: &str, body: &str);
    /// A line in the agent's log (states only: never a PIN, a name or a number).
    fn log(&mut self, line: &str);
}

/// The real work. Each update wakes the window (`wake`).
pub struct Live {
    pub catalog: &'static Catalog,
    pub lang: Lang,
    pub home: Home,
    pub card: Options,
    pub card_wait: Duration,
    pub to_window: Sender<Update>,
    pub wake: Arc<dyn Fn() + Send + Sync>,
    wizard: Option<Sender<WizardCommand>>,
    /// The wizard worker whose updates count (an older one's are dropped).
    wizard_generation: Arc<std::sync::atomic::AtomicU64>,
    /// The running link's stop, when there is one.
    link: Option<Arc<tokio::sync::Notify>>,
    panel: Arc<Cancel>,
}

impl Live {
    pub fn new(
        catalog: &'static Catalog,
        lang: Lang,
        home: Home,
        card: Options,
        card_wait: Duration,
        wake: Arc<dyn Fn() + Send + Sync>,
    ) -> (Live, Receiver<Update>) {
        let (to_window, from_work) = channel();
        let live = Live {
            catalog,
            lang,
            home,
            card,
            card_wait,
            to_window,
            wake,
            wizard: None,
            wizard_generation: Arc::default(),
            link: None,
            panel: Cancel::new(),
        };
        live.start_card_panel();
        (live, from_work)
    }

    fn sender(&self) -> impl Fn(Update) + Send + Sync + 'static {
        let (tx, wake) = (self.to_window.clone(), self.wake.clone());
        move |update| {
            let _ = tx.send(update);
            wake();
        }
    }

    /// The card panel: a pre-flight now and after every reader or card change (no polling).
    fn start_card_panel(&self) {
        let (send, options, cancel) = (self.sender(), self.card.clone(), self.panel.clone());
        std::thread::spawn(move || {
            let mut watcher = card_step::open_watcher(&cancel);
            while !cancel.is_cancelled() {
                let (diagnosis, card) = preflight::run(&Options { now: chrono::Utc::now(), expected_tckn: None, ..options.clone() });
                drop(card); // let go of the card at once: the wizard may need it
                send(Update::Card(Box::new(diagnosis)));
                // A day at most; any change wakes it (and the service coming back).
                card_step::wait_for_change(&mut watcher, &cancel, Instant::now() + Duration::from_secs(86_400));
            }
        });
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.panel.cancel();
    }
}

impl Backend for Live {
    fn pair(&mut self, server: String, code: String, name: String) {
        let (send, lang, home) = (self.sender(), self.lang, Home::at(self.home.dir()));
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                send(Update::PairFailed(PairError::ServerError));
                return;
            };
            let outcome = rt.block_on(async {
                let presented = pair::present(&server, &code, Some(&name), lang).await?;
                send(Update::PairWaiting(presented.name.clone()));
                presented.wait(&home).await
            });
            match outcome {
                Ok(pairing) => {
                    home.log(&format!("paired as {} (window)", pairing.agent_id));
                    send(Update::Paired(pairing));
                }
                Err(e) => send(Update::PairFailed(e)),
            }
        });
    }

    fn start_link(&mut self) {
        if self.link.is_some() {
            return;
        }
        let stop = Arc::new(tokio::sync::Notify::new());
        self.link = Some(stop.clone());
        let send = Arc::new(self.sender());
        let runner = Runner {
            catalog: self.catalog,
            lang: self.lang,
            home: Home::at(self.home.dir()),
            // The window raises its own notification (and comes forward) on the card step.
            notifier: Box::new(Silent),
            card: self.card.clone(),
            card_wait: self.card_wait,
            events: Some(Arc::new(move |event| send(Update::Link(event)))),
            stop: Some(stop),
        };
        std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(runner.run());
            }
        });
    }

    fn start_wizard(&mut self) {
        if let Some(old) = self.wizard.take() {
            let _ = old.send(WizardCommand::Cancel);
        }
        let (tx, rx) = channel();
        self.wizard = Some(tx);
        let send = self.sender();
        let (home, lang, options) = (Home::at(self.home.dir()), self.lang, self.card.clone());
        let current = self.wizard_generation.clone();
        let generation = current.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        std::thread::spawn(move || {
            // A worker replaced by a newer one (the card step came again) says nothing more.
            let update = |u: WizardUpdate| {
                if current.load(std::sync::atomic::Ordering::SeqCst) == generation {
                    send(Update::Wizard(u));
                }
            };
            wizard(&home, lang, &options, &rx, &update);
        });
    }

    fn wizard(&mut self, command: WizardCommand) {
        if let Some(tx) = &self.wizard {
            let _ = tx.send(command);
        }
    }

    /// Stops the link and the wizard, and removes what this PC kept for the pairing: the token,
    /// the work (which holds the holder's number), the reports, a signed statement, the renewal
    /// watch.
    fn unlink(&mut self) -> bool {
        if let Some(stop) = self.link.take() {
            stop.notify_one();
        }
        self.wizard_generation.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if let Some(old) = self.wizard.take() {
            let _ = old.send(WizardCommand::Cancel);
        }
        let removed = std::fs::remove_file(self.home.pairing_path()).is_ok();
        for kept in ["inbox.json", "outbox.json", "attestation.json", "holder.json", "link.json"] {
            let _ = std::fs::remove_file(self.home.dir().join(kept));
        }
        if removed {
            self.home.log("unpaired from the window");
        }
        removed
    }

    fn open_page(&mut self, url: &str) -> bool {
        crate::eonay::checked_url(url).is_some_and(|url| crate::eonay::open_page(&url, true))
    }

    fn open_log_folder(&mut self) -> bool {
        open::that_detached(self.home.dir()).is_ok()
    }

    fn set_start_at_login(&mut self, on: bool) -> bool {
        super::settings::set_start_at_login(on).is_ok()
    }

    fn notify(&mut self, title: &str, body: &str) {
        notify::from_env().notify(title, body);
    }

    fn log(&mut self, line: &str) {
        self.home.log(line);
    }
}

/// The window shows the card step itself: the link does not notify twice.
struct Silent;

impl notify::Notifier for Silent {
    fn notify(&self, _title: &str, _body: &str) -> bool {
        true
    }
}

/// The e-Onay wizard's worker: the same steps as `eimza-agent eonay`, each answer of the person
/// awaited from the window. The PIN is tried only when the person sends one.
fn wizard(home: &Home, lang: Lang, options: &Options, commands: &Receiver<WizardCommand>, update: &dyn Fn(WizardUpdate)) {
    let eonay = match Eonay::open(home, lang) {
        Ok(eonay) => eonay,
        Err(id) => return update(WizardUpdate::Failed(id)),
    };
    if let Some(pending) = eonay.saved() {
        return send(&eonay, &pending, update);
    }
    let info = match eonay.card_step() {
        Ok(info) => info,
        Err(e) => return update(WizardUpdate::Failed(e.message_id())),
    };
    let mut card = match eonay.check_card(&info, options) {
        CardChecked::Usable(card) => card,
        CardChecked::NotUsable(diagnosis) => return update(WizardUpdate::CardNotUsable(diagnosis)),
    };
    let name = crate::eonay::printable(&card.certificate().holder);
    update(WizardUpdate::CardOk { ticket: info.ticket_no, name, masked: info.tckn.masked() });
    match commands.recv() {
        Ok(WizardCommand::EonayDone) => {}
        _ => return,
    }
    let prepared = match eonay.prepare(&info) {
        Ok(prepared) => prepared,
        Err(e) => return update(WizardUpdate::Failed(e.message_id())),
    };
    let sentence = Statement::sentence(&info.ticket_no);
    let certificate = card.certificate().clone();
    // A key the bot cannot check: said before any PIN is asked.
    if !crate::eonay::signs_for_the_bot(&certificate) {
        return update(WizardUpdate::Failed("eonay-key-unsupported"));
    }
    let mut refused = None;
    let mut verified = loop {
        // The counter is read again before each try: it may have changed.
        let tries = match card.pin_tries() {
            Ok(tries) => tries,
            Err(e) => return update(WizardUpdate::CardFailed(e)),
        };
        if tries.is_locked() {
            eonay.report_card(info.ticket_no, vec![CardProblem::PinLocked]);
            return update(WizardUpdate::CardFailed(CardError::PinLocked));
        }
        update(WizardUpdate::Statement { ticket: info.ticket_no, sentence: sentence.clone(), tries, refused: refused.take() });
        let (pin, last_try) = match commands.recv() {
            Ok(WizardCommand::Pin { pin, last_try }) => (pin, last_try),
            _ => return,
        };
        match card.verify_pin(&pin, last_try) {
            Ok(verified) => break verified,
            Err(no) if matches!(no.error, CardError::WrongPin { .. }) => {
                refused = Some(no.error);
                card = no.card;
            }
            Err(no) => {
                if matches!(no.error, CardError::PinLocked) {
                    eonay.report_card(info.ticket_no, vec![CardProblem::PinLocked]);
                }
                return update(WizardUpdate::CardFailed(no.error));
            }
        }
    };
    let signature = match verified.sign(&prepared.bytes) {
        Ok(signature) => signature,
        Err(e) => return update(WizardUpdate::CardFailed(e)),
    };
    drop(verified);
    match eonay.seal(&prepared, &certificate, &signature) {
        Some(pending) => send(&eonay, &pending, update),
        None => update(WizardUpdate::Failed("eonay-key-unsupported")),
    }
}

fn send(eonay: &Eonay, pending: &crate::eonay::Pending, update: &dyn Fn(WizardUpdate)) {
    update(WizardUpdate::Sending { retrying: false });
    match eonay.send(pending, &mut || update(WizardUpdate::Sending { retrying: true })) {
        Sent::Accepted(ticket) => update(WizardUpdate::Accepted(ticket)),
        Sent::Refused(id) | Sent::Failed(id) => update(WizardUpdate::Failed(id)),
        Sent::SavedForLater => update(WizardUpdate::Failed("gui-saved-for-later")),
    }
}
