//! PC/SC: the only module that imports `pcsc`. Lists readers and the cards in them, connects,
//! runs APDU groups in transactions, and watches for readers and cards coming and going without
//! polling (`SCardGetStatusChange` with the PnP pseudo-reader).

use std::ffi::{CStr, CString};
use std::time::Duration;

use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use serde::Serialize;

use super::CardError;
use super::apdu::Transport;
use super::profile::Channel;

fn map_err(e: pcsc::Error) -> CardError {
    use pcsc::Error as E;
    match e {
        E::NoReadersAvailable => CardError::NoReader,
        E::NoService | E::ServiceStopped | E::Shutdown | E::CommError => CardError::NoService,
        E::NoSmartcard => CardError::NoCard,
        E::RemovedCard => CardError::CardRemoved,
        E::ResetCard => CardError::CardReset,
        E::UnknownReader | E::ReaderUnavailable => CardError::ReaderGone,
        E::SharingViolation => CardError::CardBusy,
        other => CardError::Pcsc(format!("{other:?}")),
    }
}

/// A reader and what is in it, at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReaderSnapshot {
    pub name: String,
    /// The ATR of the card in the reader; `None` when it is empty.
    #[serde(skip)]
    pub atr: Option<Vec<u8>>,
}

/// A connection to the PC/SC service.
pub struct Pcsc {
    context: Context,
}

impl Pcsc {
    pub fn establish() -> Result<Pcsc, CardError> {
        Ok(Pcsc { context: Context::establish(Scope::User).map_err(map_err)? })
    }

    /// Every reader and, without connecting to it, the ATR of the card in each.
    pub fn readers(&self) -> Result<Vec<ReaderSnapshot>, CardError> {
        let names = match self.context.list_readers_owned() {
            Ok(names) => names,
            Err(pcsc::Error::NoReadersAvailable) => return Ok(Vec::new()),
            Err(e) => return Err(map_err(e)),
        };
        let mut states: Vec<ReaderState> = names.into_iter().map(|n| ReaderState::new(n, State::UNAWARE)).collect();
        if states.is_empty() {
            return Ok(Vec::new());
        }
        self.context.get_status_change(Duration::ZERO, &mut states).map_err(map_err)?;
        Ok(states
            .iter()
            .map(|s| ReaderSnapshot {
                name: s.name().to_string_lossy().into_owned(),
                atr: s.event_state().contains(State::PRESENT).then(|| s.atr().to_vec()).filter(|a| !a.is_empty()),
            })
            .collect())
    }

    /// Connects to the card in `reader` (shared: other programs may use it between our
    /// transactions, as Kamu SM's tools do).
    pub fn connect(&self, reader: &str) -> Result<PcscCard, CardError> {
        let name = CString::new(reader).map_err(|_| CardError::ReaderGone)?;
        let card = self.context.connect(&name, ShareMode::Shared, Protocols::ANY).map_err(map_err)?;
        Ok(PcscCard { card })
    }

    pub fn watcher(&self) -> Result<Watcher, CardError> {
        let context = Context::establish(Scope::User).map_err(map_err)?;
        let mut watcher = Watcher { context, states: vec![ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE)] };
        watcher.refresh_readers()?;
        Ok(watcher)
    }
}

/// A connected card.
pub struct PcscCard {
    card: pcsc::Card,
}

impl PcscCard {
    pub fn atr(&self) -> Result<Vec<u8>, CardError> {
        Ok(self.card.status2_owned().map_err(map_err)?.atr().to_vec())
    }
}

struct InTransaction<'a> {
    card: &'a pcsc::Card,
}

impl Transport for InTransaction<'_> {
    fn transmit_raw(&mut self, command: &[u8]) -> Result<Vec<u8>, CardError> {
        let mut buffer = vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let answer = self.card.transmit(command, &mut buffer).map_err(map_err)?;
        if answer.len() < 2 {
            // Some drivers (vpcd among them) answer nothing when the card vanished mid-command;
            // the reader state says what happened.
            self.card.status2_owned().map_err(map_err)?;
            return Err(CardError::CardRemoved);
        }
        Ok(answer.to_vec())
    }
}

impl Channel for PcscCard {
    fn transact<R>(&mut self, f: impl FnOnce(&mut dyn Transport) -> Result<R, CardError>) -> Result<R, CardError> {
        // Another program (or our own earlier process, which resets the card when it lets go, so
        // a verified PIN never outlives it) may have reset the card since we connected. Nothing
        // was sent yet, so reconnecting and starting the transaction again is safe; a reset in
        // the middle of an operation is reported instead.
        if let Err(pcsc::Error::ResetCard) = self.card.status2_owned() {
            self.card.reconnect(ShareMode::Shared, Protocols::ANY, Disposition::LeaveCard).map_err(map_err)?;
        }
        let transaction = self.card.transaction().map_err(map_err)?;
        let result = f(&mut InTransaction { card: &transaction });
        // Ending can fail only when the card is already gone; the operation's own error says more.
        let end = transaction.end(Disposition::LeaveCard).map_err(|(_, e)| map_err(e));
        match (result, end) {
            (Ok(r), Ok(())) => Ok(r),
            (Ok(_), Err(e)) | (Err(e), _) => Err(e),
        }
    }
}

/// Something that changed in the readers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CardEvent {
    ReaderAdded { reader: String },
    ReaderRemoved { reader: String },
    CardInserted { reader: String, atr: Vec<u8> },
    CardRemoved { reader: String },
    ServiceStopped,
}

/// Waits for reader and card changes; blocks in PC/SC, never polls.
pub struct Watcher {
    context: Context,
    /// The PnP pseudo-reader first, then every known reader.
    states: Vec<ReaderState>,
}

/// Wakes a [`Watcher`] waiting in another thread (its `next` returns no events).
#[derive(Clone)]
pub struct WatchCanceller {
    context: Context,
}

impl WatchCanceller {
    pub fn cancel(&self) {
        let _ = self.context.cancel();
    }
}

impl Watcher {
    pub fn canceller(&self) -> WatchCanceller {
        WatchCanceller { context: self.context.clone() }
    }

    fn refresh_readers(&mut self) -> Result<Vec<CardEvent>, CardError> {
        let names: Vec<CString> = match self.context.list_readers_owned() {
            Ok(n) => n,
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(map_err(e)),
        };
        let mut events = Vec::new();
        let pnp: &CStr = pcsc::PNP_NOTIFICATION();
        self.states.retain(|s| {
            let keep = s.name() == pnp || names.iter().any(|n| n.as_c_str() == s.name());
            if !keep {
                events.push(CardEvent::ReaderRemoved { reader: s.name().to_string_lossy().into_owned() });
            }
            keep
        });
        for name in names {
            if !self.states.iter().any(|s| s.name() == name.as_c_str()) {
                events.push(CardEvent::ReaderAdded { reader: name.to_string_lossy().into_owned() });
                self.states.push(ReaderState::new(name, State::UNAWARE));
            }
        }
        Ok(events)
    }

    /// The changes since the last call, waiting up to `timeout` for the first one. Readers and
    /// cards present at the start are reported as added/inserted by the first call.
    pub fn next(&mut self, timeout: Duration) -> Result<Vec<CardEvent>, CardError> {
        let mut events = Vec::new();
        match self.context.get_status_change(timeout, &mut self.states) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout | pcsc::Error::Cancelled) => return Ok(events),
            Err(pcsc::Error::NoService | pcsc::Error::ServiceStopped) => return Ok(vec![CardEvent::ServiceStopped]),
            Err(e) => return Err(map_err(e)),
        }
        let pnp: &CStr = pcsc::PNP_NOTIFICATION();
        let mut readers_changed = false;
        for state in &mut self.states {
            let (before, now) = (state.current_state(), state.event_state());
            if !now.contains(State::CHANGED) && before != State::UNAWARE {
                continue;
            }
            let reader = state.name().to_string_lossy().into_owned();
            // The PnP pseudo-reader, or a reader that went away: the list is read again.
            if state.name() == pnp || now.intersects(State::UNKNOWN | State::UNAVAILABLE) {
                readers_changed = true;
            } else if now.contains(State::PRESENT) && !before.contains(State::PRESENT) {
                events.push(CardEvent::CardInserted { reader, atr: state.atr().to_vec() });
            } else if now.contains(State::EMPTY) && before.contains(State::PRESENT) {
                events.push(CardEvent::CardRemoved { reader });
            }
            state.sync_current_state();
        }
        if readers_changed {
            events.extend(self.refresh_readers()?);
        }
        Ok(events)
    }
}
