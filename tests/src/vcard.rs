//! A virtual AKİS card for the real PC/SC stack: it connects to `vsmartcard-vpcd` (a pcscd reader
//! driver listening on TCP) and answers like a card of our APDU test profile (CARD.md): ATR of a
//! chosen family, the signing certificate in EF 2F10 under DF `PKCS-15`, a PIN whose tries count
//! down and lock at 0 and survive power cycles and re-insertion, PSO:CDS with a real RSA key, and
//! removal on command — also in the middle of a read or a signature.
//!
//! vpcd's wire format: every message is a 2-byte big-endian length and a payload; a 1-byte payload
//! is a control (`00` power off, `01` power on, `02` reset, `04` send the ATR), anything longer is
//! a command APDU to answer. Connecting is inserting the card; closing is removing it.
//!
//! Readers come from a pool ([`Reader::acquire`]) so tests running in parallel never share one.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rsa::{Pkcs1v15Sign, RsaPrivateKey};

pub const ATR_UEKAE: &str = "3B9F968131FE45806755454B41451292318073B3A1806A";
pub const ATR_TC: &str = "3B9F978131FE458065544353228231C073F62180810553";
pub const ATR_V1: &str = "3BBA11008131FE4D55454B41452056312E30AE";
/// A card that is not AKİS (a European bank card's ATR).
pub const ATR_BANK: &str = "3B6800000073C84013009000";

pub const PIN: &str = "123456";
pub const MAX_TRIES: u8 = 3;

/// A reader of the vpcd driver: its PC/SC name and the TCP port a card connects to.
#[derive(Clone, Debug)]
pub struct ReaderSpec {
    pub name: String,
    pub port: u16,
}

/// The readers scripts/test configured (`EIMZA_TEST_VPCD="name=port;…"`), or Debian's default
/// vpcd configuration.
fn configured_readers() -> Vec<ReaderSpec> {
    match std::env::var("EIMZA_TEST_VPCD") {
        Ok(spec) => spec
            .split(';')
            .filter_map(|entry| {
                let (name, port) = entry.rsplit_once('=')?;
                Some(ReaderSpec { name: name.to_owned(), port: port.parse().ok()? })
            })
            .collect(),
        Err(_) => {
            vec![ReaderSpec { name: "Virtual PCD 00 00".into(), port: 35963 }, ReaderSpec { name: "Virtual PCD 00 01".into(), port: 35964 }]
        }
    }
}

struct Pool {
    free: Mutex<Vec<ReaderSpec>>,
    returned: Condvar,
}

fn pool() -> &'static Pool {
    static POOL: std::sync::OnceLock<Pool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| Pool { free: Mutex::new(configured_readers()), returned: Condvar::new() })
}

/// A reader this test has to itself until dropped.
pub struct Reader {
    spec: Option<ReaderSpec>,
}

impl Reader {
    pub fn acquire() -> Reader {
        let pool = pool();
        let mut free = pool.free.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(spec) = free.pop() {
                return Reader { spec: Some(spec) };
            }
            free = pool.returned.wait(free).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Every reader, for tests about "any reader" (no reader chosen); waits until all are free.
    pub fn acquire_all() -> Vec<Reader> {
        let pool = pool();
        let total = configured_readers().len();
        let mut free = pool.free.lock().unwrap_or_else(|p| p.into_inner());
        while free.len() < total {
            free = pool.returned.wait(free).unwrap_or_else(|p| p.into_inner());
        }
        free.drain(..).map(|spec| Reader { spec: Some(spec) }).collect()
    }

    pub fn name(&self) -> &str {
        &self.spec.as_ref().expect("reader held").name
    }

    pub fn port(&self) -> u16 {
        self.spec.as_ref().expect("reader held").port
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        if let Some(spec) = self.spec.take() {
            let pool = pool();
            pool.free.lock().unwrap_or_else(|p| p.into_inner()).push(spec);
            pool.returned.notify_all();
        }
    }
}

/// How the card hands out a signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureAnswer {
    /// In the PSO:CDS answer.
    Direct,
    /// `61 00`, then GET RESPONSE.
    GetResponse,
}

/// The card's memory: what survives power cycles and re-insertion.
pub struct CardState {
    pub atr: Vec<u8>,
    pub certificate: Vec<u8>,
    pub key: RsaPrivateKey,
    pub pin: Vec<u8>,
    pub tries: u8,
    pub signature_answer: SignatureAnswer,
    /// Counts every command APDU (for "the agent never retried" checks).
    pub commands: Vec<Vec<u8>>,
    /// Pull the card out when the n-th (1-based) command with this INS arrives, unanswered.
    pub remove_on: Option<(u8, usize)>,
    /// READ BINARY answers at most this many bytes (to make the agent read in pieces).
    pub read_limit: usize,
}

impl CardState {
    pub fn new(atr_hex: &str, certificate: Vec<u8>, key: RsaPrivateKey) -> CardState {
        CardState {
            atr: eimza_agent::card::atr::from_hex(atr_hex).expect("ATR hex"),
            certificate,
            key,
            pin: PIN.as_bytes().to_vec(),
            tries: MAX_TRIES,
            signature_answer: SignatureAnswer::Direct,
            commands: Vec::new(),
            remove_on: None,
            read_limit: 256,
        }
    }

    /// The VERIFY commands that carried a PIN, i.e. the tries the agent used.
    pub fn pin_attempts(&self) -> usize {
        self.commands.iter().filter(|c| c.len() > 5 && c[1] == 0x20).count()
    }
}

/// A card in a reader. Dropping it pulls it out.
pub struct VirtualCard {
    pub state: Arc<Mutex<CardState>>,
    stream: Option<TcpStream>,
    thread: Option<JoinHandle<()>>,
    reader: ReaderSpec,
}

/// Volatile per-power-cycle state.
#[derive(Default)]
struct Session {
    df_selected: bool,
    ef_selected: bool,
    verified: bool,
    mse_set: bool,
    pending: Vec<u8>,
}

impl VirtualCard {
    /// Inserts a card with `state` into `reader` and waits until pcscd sees it.
    ///
    /// vpcd sometimes drops a freshly accepted connection after a card vanished mid-command (it
    /// can take file descriptor 0 for "no client"); a real person would pull the card and push
    /// it in again, and so do we: up to five times, two seconds each.
    pub fn insert(reader: &Reader, state: Arc<Mutex<CardState>>) -> VirtualCard {
        let spec = ReaderSpec { name: reader.name().to_owned(), port: reader.port() };
        for _ in 0..5 {
            let mut card = VirtualCard::connect(&spec, state.clone());
            if wait_for_card_within(&spec.name, true, Duration::from_secs(2)) {
                return card;
            }
            card.pull();
        }
        panic!("pcscd did not see the card inserted in {}", spec.name);
    }

    fn connect(spec: &ReaderSpec, state: Arc<Mutex<CardState>>) -> VirtualCard {
        let deadline = Instant::now() + Duration::from_secs(10);
        let stream = loop {
            match TcpStream::connect(("127.0.0.1", spec.port)) {
                Ok(s) => break s,
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
                Err(e) => panic!("vpcd on port {} is not listening (is pcscd running? scripts/test starts it): {e}", spec.port),
            }
        };
        stream.set_nodelay(true).ok();
        let thread_stream = stream.try_clone().expect("clone socket");
        let thread_state = state.clone();
        let thread = std::thread::spawn(move || serve(thread_stream, thread_state));
        VirtualCard { state, stream: Some(stream), thread: Some(thread), reader: spec.clone() }
    }

    /// Pulls the card out and waits until pcscd notices.
    pub fn remove(mut self) -> Arc<Mutex<CardState>> {
        self.pull();
        self.wait_until_seen(false);
        self.state.clone()
    }

    fn pull(&mut self) {
        if let Some(s) = self.stream.take() {
            let _ = s.shutdown(Shutdown::Both);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }

    /// Waits until PC/SC reports the reader with (or without) a card.
    pub fn wait_until_seen(&self, present: bool) {
        wait_for_card(&self.reader.name, present);
    }
}

/// Waits (up to 10 s) until `reader` has a card (or none), as PC/SC reports it.
pub fn wait_for_card(reader: &str, present: bool) {
    assert!(
        wait_for_card_within(reader, present, Duration::from_secs(10)),
        "pcscd did not see the card {} in {reader}",
        if present { "inserted" } else { "removed" }
    );
}

fn wait_for_card_within(reader: &str, present: bool, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let seen = eimza_agent::card::Pcsc::establish()
            .and_then(|p| p.readers())
            .map(|readers| readers.iter().any(|r| r.name == reader && r.atr.is_some()))
            .unwrap_or(false);
        if seen == present {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

impl Drop for VirtualCard {
    /// Pulls the card and waits until pcscd noticed, so the next test using this reader never
    /// sees the old card.
    fn drop(&mut self) {
        if self.stream.is_some() {
            self.pull();
            if !std::thread::panicking() {
                self.wait_until_seen(false);
            }
        }
    }
}

fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    // vpcd writes the length and the payload separately without TCP_NODELAY: with Linux's
    // delayed ACK every command would wait ~40 ms for Nagle. Acknowledging at once keeps the
    // virtual card as quick as a reader on USB (quick-ack mode has to be renewed per read).
    #[cfg(target_os = "linux")]
    let _ = socket2::SockRef::from(&*stream).set_tcp_quickack(true);
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).ok()?;
    let mut payload = vec![0; usize::from(u16::from_be_bytes(len))];
    #[cfg(target_os = "linux")]
    let _ = socket2::SockRef::from(&*stream).set_tcp_quickack(true);
    stream.read_exact(&mut payload).ok()?;
    Some(payload)
}

fn write_message(stream: &mut TcpStream, payload: &[u8]) -> Option<()> {
    let mut message = (payload.len() as u16).to_be_bytes().to_vec();
    message.extend_from_slice(payload);
    stream.write_all(&message).ok()
}

fn serve(mut stream: TcpStream, state: Arc<Mutex<CardState>>) {
    let mut session = Session::default();
    while let Some(message) = read_message(&mut stream) {
        match message.as_slice() {
            [0x00] | [0x01] | [0x02] => session = Session::default(),
            [0x04] => {
                let atr = state.lock().unwrap_or_else(|p| p.into_inner()).atr.clone();
                if write_message(&mut stream, &atr).is_none() {
                    return;
                }
            }
            [_] => {}
            apdu => {
                let answer = {
                    let mut card = state.lock().unwrap_or_else(|p| p.into_inner());
                    card.commands.push(apdu.to_vec());
                    if let Some((ins, n)) = card.remove_on {
                        let seen = card.commands.iter().filter(|c| c.get(1) == Some(&ins)).count();
                        if apdu.get(1) == Some(&ins) && seen >= n {
                            card.remove_on = None;
                            drop(card);
                            let _ = stream.shutdown(Shutdown::Both);
                            return;
                        }
                    }
                    respond(&mut card, &mut session, apdu)
                };
                if write_message(&mut stream, &answer).is_none() {
                    return;
                }
            }
        }
    }
}

fn sw(data: &[u8], sw: u16) -> Vec<u8> {
    let mut out = data.to_vec();
    out.extend_from_slice(&sw.to_be_bytes());
    out
}

/// Header, data and Le of a short or extended APDU.
fn parse(apdu: &[u8]) -> Option<([u8; 4], Vec<u8>, Option<usize>)> {
    let header = [*apdu.first()?, *apdu.get(1)?, *apdu.get(2)?, *apdu.get(3)?];
    let body = &apdu[4..];
    let le_short = |b: u8| Some(if b == 0 { 256 } else { usize::from(b) });
    match body.len() {
        0 => Some((header, Vec::new(), None)),
        1 => Some((header, Vec::new(), le_short(body[0]))),
        _ if body[0] == 0 && body.len() >= 3 => {
            // Extended: 00 Lc(2) data [Le(2)] or 00 Le(2).
            let lc = usize::from(u16::from_be_bytes([body[1], body[2]]));
            if body.len() == 3 {
                return Some((header, Vec::new(), Some(if lc == 0 { 65_536 } else { lc })));
            }
            let data = body.get(3..3 + lc)?.to_vec();
            let le = body.get(3 + lc..3 + lc + 2).map(|b| match u16::from_be_bytes([b[0], b[1]]) {
                0 => 65_536,
                n => usize::from(n),
            });
            Some((header, data, le))
        }
        _ => {
            let lc = usize::from(body[0]);
            let data = body.get(1..1 + lc)?.to_vec();
            let le = body.get(1 + lc).and_then(|b| le_short(*b));
            Some((header, data, le))
        }
    }
}

const DIGEST_INFO_PREFIX: [u8; 19] =
    [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

fn respond(card: &mut CardState, s: &mut Session, apdu: &[u8]) -> Vec<u8> {
    let Some(([cla, ins, p1, p2], data, le)) = parse(apdu) else { return sw(&[], 0x6700) };
    if cla != 0x00 {
        return sw(&[], 0x6E00);
    }
    match ins {
        0xA4 if p1 == 0x04 => {
            if data == b"PKCS-15" {
                s.df_selected = true;
                s.ef_selected = false;
                sw(&[], 0x9000)
            } else {
                sw(&[], 0x6A82)
            }
        }
        0xA4 if p1 == 0x02 => {
            if !s.df_selected || data != [0x2F, 0x10] {
                return sw(&[], 0x6A82);
            }
            s.ef_selected = true;
            let size = card.certificate.len() as u16;
            let fcp = [0x62, 0x04, 0x80, 0x02, (size >> 8) as u8, size as u8];
            if p2 == 0x0C { sw(&[], 0x9000) } else { sw(&fcp, 0x9000) }
        }
        0xB0 => {
            if !s.ef_selected {
                return sw(&[], 0x6986);
            }
            let offset = usize::from(p1) << 8 | usize::from(p2);
            let cert = &card.certificate;
            if offset >= cert.len() {
                return sw(&[], 0x6B00);
            }
            let want = le.unwrap_or(256).min(card.read_limit);
            let end = (offset + want).min(cert.len());
            let status = if end - offset < le.unwrap_or(256) && end == cert.len() { 0x6282 } else { 0x9000 };
            sw(&cert[offset..end], status)
        }
        0x20 => {
            if p2 != 0x81 {
                return sw(&[], 0x6A88);
            }
            if data.is_empty() {
                return if s.verified {
                    sw(&[], 0x9000)
                } else if card.tries == 0 {
                    sw(&[], 0x6983)
                } else {
                    sw(&[], 0x63C0 | u16::from(card.tries))
                };
            }
            if card.tries == 0 {
                return sw(&[], 0x6983);
            }
            if data.len() != card.pin.len() {
                return sw(&[], 0x6700);
            }
            if data == card.pin {
                card.tries = MAX_TRIES;
                s.verified = true;
                sw(&[], 0x9000)
            } else {
                card.tries -= 1;
                s.verified = false;
                if card.tries == 0 { sw(&[], 0x6983) } else { sw(&[], 0x63C0 | u16::from(card.tries)) }
            }
        }
        0x22 => {
            // MSE:SET for digital signature with a key reference (tag 84).
            if p1 == 0x41 && p2 == 0xB6 && data.windows(2).any(|w| w[0] == 0x84) {
                s.mse_set = true;
                sw(&[], 0x9000)
            } else {
                sw(&[], 0x6A80)
            }
        }
        0x2A if p1 == 0x9E && p2 == 0x9A => {
            if !s.verified {
                return sw(&[], 0x6982);
            }
            if !s.mse_set {
                return sw(&[], 0x6985);
            }
            if data.len() != 51 || data[..19] != DIGEST_INFO_PREFIX {
                return sw(&[], 0x6A80);
            }
            let Ok(signature) = card.key.sign(Pkcs1v15Sign::new_unprefixed(), &data) else { return sw(&[], 0x6F00) };
            match card.signature_answer {
                SignatureAnswer::Direct => sw(&signature, 0x9000),
                SignatureAnswer::GetResponse => {
                    s.pending = signature;
                    sw(&[], 0x6100)
                }
            }
        }
        0xC0 => {
            if s.pending.is_empty() {
                return sw(&[], 0x6985);
            }
            let n = le.unwrap_or(256).min(s.pending.len());
            let chunk: Vec<u8> = s.pending.drain(..n).collect();
            let status = if s.pending.is_empty() { 0x9000 } else { 0x6100 | (s.pending.len().min(256) % 256) as u16 };
            sw(&chunk, status)
        }
        _ => sw(&[], 0x6D00),
    }
}
