//! `eimza-agent calis`: keeps one WebSocket to the bot. Work is written to the inbox before it
//! is acknowledged (so an ack never loses it); a card step raises a notification and runs as its
//! own task (`card_step`: it waits for a usable card and reports every change), replacing any
//! older one. Reports go to the outbox first and stay there until the bot acknowledges them;
//! the connection sends whatever the outbox holds, now or after a reconnect (the bot ignores a
//! repeated report id). Beside it, `renewal` watches for the renewed card.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eimza_protocol::wire::{self, AgentMessage, BotMessage, ErrorCode, HEARTBEAT_SECS, Id, PROTOCOL_VERSION, ReportBody, WorkBody};
use eimza_protocol::{Arg, Catalog, Lang};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use sha2::Digest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::api::BotApi;
use super::card_step::{self, Cancel, Cause, Finding, Job, Said};
use super::home::{Home, LinkState, Pairing};
use super::notify::Notifier;
use super::renewal;
use crate::card::preflight::Options;

const INBOX: &str = "inbox.json";
const OUTBOX: &str = "outbox.json";
/// Reconnect delays grow to this.
const BACKOFF_CAP: Duration = Duration::from_secs(60);

#[derive(Default, Serialize, Deserialize)]
struct Inbox {
    /// Work ids already handled, with their body (kept so a re-delivered item is only acked).
    items: BTreeMap<Id, InboxItem>,
}

#[derive(Serialize, Deserialize)]
struct InboxItem {
    body: WorkBody,
    done: bool,
    /// A card step's reports so far, and what the last one said.
    #[serde(default)]
    reports: u32,
    #[serde(default)]
    said: Option<Said>,
}

#[derive(Default, Serialize, Deserialize)]
struct Outbox {
    reports: BTreeMap<Id, (Id, ReportBody)>,
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
type Out = futures_util::stream::SplitSink<Socket, Message>;
type In = futures_util::stream::SplitStream<Socket>;

/// How a connection ended.
enum Ended {
    /// Reconnect after a pause.
    Dropped,
    /// Never reconnect: the exit code and the message id.
    Final(i32, &'static str, LinkState),
}

/// The id of a work item's `seq`-th report: the same after a restart, so the bot keeps one.
fn report_id(work_id: &Id, seq: u32) -> Id {
    let plain = if seq == 0 { format!("r-{work_id}") } else { format!("r-{work_id}-{seq}") };
    Id::new(&plain).unwrap_or_else(|| {
        // A long work id: a digest of it keeps the id within bounds and still the same each time.
        let digest = sha2::Sha256::digest(format!("{work_id}/{seq}").as_bytes());
        let hex: String = digest.iter().take(20).map(|b| format!("{b:02x}")).collect();
        Id::new(&format!("r-{hex}")).unwrap_or_else(|| work_id.clone())
    })
}

/// The delay before reconnect attempt `n` (0-based): doubling from 1 s to the cap, each time
/// somewhere in its upper half, so a thousand agents do not come back in the same second.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = Duration::from_secs(1u64 << attempt.min(6)).min(BACKOFF_CAP);
    let jitter: f64 = rand::random_range(0.5..=1.0);
    ceiling.mul_f64(jitter)
}

/// What the link does, for a window that shows it (the command line prints the same in words).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkEvent {
    Connecting,
    Connected,
    /// The connection dropped; the next try is at this time.
    Retrying {
        at: chrono::DateTime<chrono::Utc>,
    },
    /// Stopped for good (revoked, outdated, a bad server): the message id says why.
    Stopped(&'static str),
    /// A card step arrived for this ticket (the holder's number masked).
    CardStep {
        ticket: eimza_protocol::TicketNo,
        holder_masked: Option<String>,
    },
    /// What the card step found (the same as the bot hears).
    Finding(Finding),
    /// The renewed card was seen and the bot completed the request.
    Renewed,
}

/// Hears the link's events (the window's thread is woken by it).
pub type Events = Arc<dyn Fn(LinkEvent) + Send + Sync>;

pub struct Runner {
    pub catalog: &'static Catalog,
    pub lang: Lang,
    pub home: Home,
    pub notifier: Box<dyn Notifier>,
    pub card: Options,
    /// How long a card step waits for a card that can be used.
    pub card_wait: Duration,
    /// The window's ear, when a window runs the link.
    pub events: Option<Events>,
    /// Ends the link from outside (the window's "unpair"): the card step is cancelled, nothing
    /// more is taken.
    pub stop: Option<Arc<tokio::sync::Notify>>,
}

/// The runner and what its tasks share with the connection.
struct Shared {
    runner: Runner,
    /// Inbox and outbox are read, changed and written under this lock.
    files: Mutex<()>,
    /// The card step running now: its work id and its cancel.
    step: Mutex<Option<(Id, Arc<Cancel>)>>,
    /// A report was filed: the connection sends it.
    outbox_filed: tokio::sync::Notify,
}

impl Runner {
    /// Runs until the agent is revoked or outdated; returns the exit code.
    pub async fn run(self) -> i32 {
        let Some(pairing) = self.home.pairing() else {
            self.say("run-not-paired", &[]);
            return 1;
        };
        let shared =
            Arc::new(Shared { runner: self, files: Mutex::new(()), step: Mutex::new(None), outbox_filed: tokio::sync::Notify::new() });
        let watch = shared.clone().watch_for_renewed_card(&pairing);
        let code = match shared.runner.stop.clone() {
            Some(stop) => tokio::select! {
                code = shared.keep_connected(&pairing) => code,
                () = stop.notified() => {
                    shared.home().log("stopped: unpaired in the window");
                    0
                }
            },
            None => shared.keep_connected(&pairing).await,
        };
        watch.cancel();
        if let Some((_, step)) = shared.step.lock().unwrap_or_else(|p| p.into_inner()).take() {
            step.cancel();
        }
        code
    }

    fn say(&self, id: &str, args: &[(&str, Arg)]) {
        println!("{}", self.catalog.text(self.lang, id, args));
    }

    fn tell(&self, event: LinkEvent) {
        if let Some(events) = &self.events {
            events(event);
        }
    }
}

impl Shared {
    fn say(&self, id: &str, args: &[(&str, Arg)]) {
        self.runner.say(id, args);
    }

    fn home(&self) -> &Home {
        &self.runner.home
    }

    fn tell(&self, event: LinkEvent) {
        self.runner.tell(event);
    }

    async fn keep_connected(self: &Arc<Self>, pairing: &Pairing) -> i32 {
        let mut attempt = 0;
        loop {
            self.home().save_link_status(LinkState::Connecting);
            self.tell(LinkEvent::Connecting);
            match self.connect_once(pairing, &mut attempt).await {
                Ended::Final(code, message, state) => {
                    self.home().save_link_status(state);
                    self.tell(LinkEvent::Stopped(message));
                    self.say(message, &[]);
                    self.home().log(&format!("stopped: {message}"));
                    return code;
                }
                Ended::Dropped => {
                    let pause = backoff(attempt);
                    attempt = attempt.saturating_add(1);
                    self.home().log(&format!("disconnected; retry in {} ms", pause.as_millis()));
                    self.say("run-reconnecting", &[("seconds", Arg::from(pause.as_secs().max(1) as i64))]);
                    let at = chrono::Utc::now() + chrono::Duration::from_std(pause).unwrap_or_default();
                    self.tell(LinkEvent::Retrying { at });
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }

    /// Connects and says hello; the bot's welcome, or how the connection ended.
    async fn handshake(&self, pairing: &Pairing) -> Result<(Out, In), Ended> {
        let Some(url) = super::ws_url(&pairing.server) else { return Err(Ended::Final(2, "pair-bad-server", LinkState::Connecting)) };
        let Ok(mut request) = url.into_client_request() else { return Err(Ended::Dropped) };
        let Ok(auth) = format!("Bearer {}", pairing.token).parse() else { return Err(Ended::Dropped) };
        request.headers_mut().insert("Authorization", auth);
        if let Ok(lang) = self.runner.lang.code().parse() {
            request.headers_mut().insert("Accept-Language", lang);
        }
        let socket = match tokio_tungstenite::connect_async(request).await {
            Ok((socket, _)) => socket,
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) if response.status() == 401 => {
                let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned();
                let message = if body.contains("\"revoked\"") { "link-err-revoked" } else { "link-err-unauthorized" };
                return Err(Ended::Final(3, message, LinkState::Revoked));
            }
            Err(_) => return Err(Ended::Dropped),
        };
        let (mut out, mut inp) = socket.split();
        let hello = AgentMessage::Hello { protocol: PROTOCOL_VERSION, agent_version: env!("CARGO_PKG_VERSION").to_owned() };
        if out.send(Message::text(wire::encode(&hello))).await.is_err() {
            return Err(Ended::Dropped);
        }
        match tokio::time::timeout(Duration::from_secs(10), inp.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => match wire::decode::<BotMessage>(&text) {
                Ok(BotMessage::Welcome { .. }) => Ok((out, inp)),
                Ok(BotMessage::Error { code: ErrorCode::VersionMismatch, .. }) => {
                    Err(Ended::Final(4, "link-err-version", LinkState::Outdated))
                }
                Ok(BotMessage::Error { code: ErrorCode::Revoked, .. }) => Err(Ended::Final(3, "link-err-revoked", LinkState::Revoked)),
                _ => Err(Ended::Dropped),
            },
            _ => Err(Ended::Dropped),
        }
    }

    /// Sends the reports of the outbox not sent on this connection yet. False when the
    /// connection dropped.
    async fn send_outbox(&self, out: &mut Out, sent: &mut BTreeSet<Id>) -> bool {
        let outbox: Outbox = {
            let _files = self.files.lock().unwrap_or_else(|p| p.into_inner());
            self.home().load(OUTBOX)
        };
        for (report_id, (work_id, body)) in outbox.reports {
            if sent.contains(&report_id) {
                continue;
            }
            let report = AgentMessage::Report { report_id: report_id.clone(), work_id, body };
            if out.send(Message::text(wire::encode(&report))).await.is_err() {
                return false;
            }
            sent.insert(report_id);
        }
        true
    }

    /// Work acknowledged before a crash but never finished is started again (the bot has
    /// forgotten it: it is ours); the newest card step only, the older ones are done.
    fn resume_work(self: &Arc<Self>) {
        let inbox: Inbox = {
            let _files = self.files.lock().unwrap_or_else(|p| p.into_inner());
            self.home().load(INBOX)
        };
        for (work_id, item) in inbox.items.into_iter().filter(|(_, item)| !item.done) {
            self.start_work(work_id, item.body);
        }
    }

    async fn connect_once(self: &Arc<Self>, pairing: &Pairing, attempt: &mut u32) -> Ended {
        let (mut out, mut inp) = match self.handshake(pairing).await {
            Ok(link) => link,
            Err(ended) => return ended,
        };
        *attempt = 0;
        self.home().save_link_status(LinkState::Connected);
        self.home().log("connected");
        self.tell(LinkEvent::Connected);
        self.say("run-connected", &[("server", Arg::from(pairing.server.as_str()))]);
        let mut sent = BTreeSet::new();
        if !self.send_outbox(&mut out, &mut sent).await {
            return Ended::Dropped;
        }
        if self.step.lock().unwrap_or_else(|p| p.into_inner()).is_none() {
            self.resume_work();
        }
        let mut heartbeat = tokio::time::interval(Duration::from_secs(u64::from(HEARTBEAT_SECS)));
        heartbeat.tick().await;
        let mut seq = 0u64;
        let silence = Duration::from_secs(u64::from(HEARTBEAT_SECS) * 3);
        loop {
            tokio::select! {
                _ = heartbeat.tick() => {
                    seq += 1;
                    if out.send(Message::text(wire::encode(&AgentMessage::Heartbeat { seq }))).await.is_err() {
                        return Ended::Dropped;
                    }
                }
                _ = self.outbox_filed.notified() => {
                    if !self.send_outbox(&mut out, &mut sent).await {
                        return Ended::Dropped;
                    }
                }
                frame = tokio::time::timeout(silence, inp.next()) => {
                    let text = match frame {
                        Ok(Some(Ok(Message::Text(text)))) => text,
                        Ok(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => continue,
                        Ok(Some(Ok(Message::Binary(_)))) => continue,
                        _ => return Ended::Dropped,
                    };
                    if let Some(ended) = self.on_frame(&text, &mut out).await {
                        return ended;
                    }
                }
            }
        }
    }

    /// One frame from the bot; `Some` when the connection ends.
    async fn on_frame(self: &Arc<Self>, text: &str, out: &mut Out) -> Option<Ended> {
        match wire::decode::<BotMessage>(text) {
            Ok(BotMessage::Work { work_id, body }) => {
                let fresh = self.store_work(&work_id, &body);
                // Stored first, acknowledged second: the bot may forget it now.
                if out.send(Message::text(wire::encode(&AgentMessage::Ack { work_id: work_id.clone() }))).await.is_err() {
                    return Some(Ended::Dropped);
                }
                if fresh {
                    self.start_work(work_id, body);
                }
            }
            Ok(BotMessage::Ack { report_id }) => {
                let _files = self.files.lock().unwrap_or_else(|p| p.into_inner());
                let mut outbox: Outbox = self.home().load(OUTBOX);
                if outbox.reports.remove(&report_id).is_some() {
                    let _ = self.home().store(OUTBOX, &outbox);
                }
            }
            Ok(BotMessage::Error { code: ErrorCode::Revoked, .. }) => return Some(Ended::Final(3, "link-err-revoked", LinkState::Revoked)),
            Ok(BotMessage::Error { code: ErrorCode::VersionMismatch, .. }) => {
                return Some(Ended::Final(4, "link-err-version", LinkState::Outdated));
            }
            Ok(BotMessage::Error { code, .. }) => self.home().log(&format!("bot refused a frame: {code:?}")),
            Ok(BotMessage::Welcome { .. } | BotMessage::HeartbeatAck { .. } | BotMessage::Unknown) => {}
            // A newer bot's message type: ignored, the link stays up.
            Err(_) => self.home().log("unreadable frame from the bot ignored"),
        }
        None
    }

    /// Remembers a work item; false when it was seen before (a re-delivery: ack only).
    fn store_work(&self, work_id: &Id, body: &WorkBody) -> bool {
        let _files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let mut inbox: Inbox = self.home().load(INBOX);
        if inbox.items.contains_key(work_id) {
            return false;
        }
        // Kept whole (the holder's number included, in the user's private folder) until handled,
        // so a crash between the ack and the check loses nothing.
        inbox.items.insert(work_id.clone(), InboxItem { body: body.clone(), done: false, reports: 0, said: None });
        let _ = self.home().store(INBOX, &inbox);
        true
    }

    /// Starts handling a work item: a card step replaces the one running (its work is done).
    fn start_work(self: &Arc<Self>, work_id: Id, body: WorkBody) {
        match body {
            WorkBody::CardStep { ticket_no, tckn, .. } => {
                let cancel = Cancel::new();
                let replaced = self.step.lock().unwrap_or_else(|p| p.into_inner()).replace((work_id.clone(), cancel.clone()));
                if let Some((old, step)) = replaced {
                    step.cancel();
                    self.finish(&old);
                }
                self.home().log(&format!("work {work_id}: card step for {ticket_no}"));
                self.say("run-card-step", &[("ticket", Arg::from(ticket_no.to_string()))]);
                self.tell(LinkEvent::CardStep { ticket: ticket_no, holder_masked: tckn.as_ref().map(|t| t.masked()) });
                let shared = self.clone();
                tokio::task::spawn_blocking(move || shared.card_step(&work_id, ticket_no, tckn, &cancel));
            }
            // A newer bot's work: stored and acknowledged; reported as not understood.
            WorkBody::Unknown => {
                self.home().log(&format!("work {work_id}: a kind this agent does not know"));
                self.file_report(&work_id, ReportBody::Unknown);
                self.finish(&work_id);
            }
        }
    }

    /// The card step (blocking): notify, wait for a usable card, report each change.
    fn card_step(self: &Arc<Self>, work_id: &Id, ticket: eimza_protocol::TicketNo, holder: Option<eimza_protocol::Tckn>, cancel: &Cancel) {
        let (catalog, lang) = (self.runner.catalog, self.runner.lang);
        let ticket_arg = || [("ticket", Arg::from(ticket.to_string()))];
        let title = catalog.text(lang, "notify-card-step-title", &[]);
        let notified = self.runner.notifier.notify(&title, &catalog.text(lang, "notify-card-step-body", &ticket_arg()));
        let job = Job { holder, options: self.runner.card.clone(), wait: self.runner.card_wait };
        let said_before = {
            let _files = self.files.lock().unwrap_or_else(|p| p.into_inner());
            self.home().load::<Inbox>(INBOX).items.get(work_id).and_then(|item| item.said.clone())
        };
        card_step::run(&job, said_before, cancel, &mut |finding: Finding| {
            self.say_finding(&finding);
            self.tell(LinkEvent::Finding(finding.clone()));
            if let Some(own) = &finding.holders_own {
                renewal::remember(self.home(), own);
            }
            self.home().log(&format!(
                "work {work_id}: card usable={} problems={:?} gave_up={}",
                finding.usable, finding.problems, finding.gave_up
            ));
            self.file_card_report(work_id, &finding, notified);
        });
        if !cancel.is_cancelled() {
            let mut step = self.step.lock().unwrap_or_else(|p| p.into_inner());
            if step.as_ref().is_some_and(|(id, _)| id == work_id) {
                *step = None;
            }
            drop(step);
            self.finish(work_id);
        }
    }

    /// What the card step found, on the PC's screen, in the words of `eimza-agent kart`.
    fn say_finding(&self, finding: &Finding) {
        let (catalog, lang) = (self.runner.catalog, self.runner.lang);
        if finding.usable {
            self.say("run-card-ready", &[]);
            return;
        }
        for cause in &finding.causes {
            let text = match cause {
                Cause::Certificate(problem) => crate::report::problem(catalog, lang, problem),
                Cause::Card(error) => crate::report::card_error(catalog, lang, error),
            };
            println!("{text}");
        }
        if finding.gave_up {
            self.say("run-card-gave-up", &[]);
        }
    }

    /// Files a report in the outbox and wakes the connection.
    fn file_report(&self, work_id: &Id, body: ReportBody) {
        {
            let _files = self.files.lock().unwrap_or_else(|p| p.into_inner());
            let mut outbox: Outbox = self.home().load(OUTBOX);
            outbox.reports.insert(report_id(work_id, 0), (work_id.clone(), body));
            let _ = self.home().store(OUTBOX, &outbox);
        }
        self.outbox_filed.notify_one();
    }

    /// Files a card step's report, numbered after the ones before, and remembers what it said
    /// with the work item — in one go, so a crash cannot say it twice.
    fn file_card_report(&self, work_id: &Id, finding: &Finding, notified: bool) {
        {
            let _files = self.files.lock().unwrap_or_else(|p| p.into_inner());
            let mut inbox: Inbox = self.home().load(INBOX);
            let seq = match inbox.items.get_mut(work_id) {
                Some(item) => {
                    item.reports += 1;
                    item.said = Some(finding.said());
                    item.reports - 1
                }
                None => 0,
            };
            let mut outbox: Outbox = self.home().load(OUTBOX);
            outbox.reports.insert(report_id(work_id, seq), (work_id.clone(), finding.report(notified)));
            // The outbox first: a report kept but not marked said is sent; the reverse would be lost.
            let _ = self.home().store(OUTBOX, &outbox);
            let _ = self.home().store(INBOX, &inbox);
        }
        self.outbox_filed.notify_one();
    }

    /// The work item is handled: the holder's number is not needed on disk any more.
    fn finish(&self, work_id: &Id) {
        let _files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        let mut inbox: Inbox = self.home().load(INBOX);
        if let Some(item) = inbox.items.get_mut(work_id) {
            item.done = true;
            if let WorkBody::CardStep { tckn, .. } = &mut item.body {
                *tckn = None;
            }
            let _ = self.home().store(INBOX, &inbox);
        }
    }

    /// Watches for the renewed card beside the link (its own thread); a certificate it finds
    /// goes to the bot over HTTP.
    fn watch_for_renewed_card(self: Arc<Self>, pairing: &Pairing) -> Arc<Cancel> {
        let cancel = Cancel::new();
        let Ok(api) = BotApi::new(pairing, self.runner.lang) else { return cancel };
        let (found, mut certificates) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
        let (shared, stop) = (self.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || {
            renewal::watch(shared.home(), &shared.runner.card, &stop, &mut |der| {
                let _ = found.send(der);
            })
        });
        tokio::spawn(async move {
            while let Some(der) = certificates.recv().await {
                match api.certificate_seen(&der).await {
                    Ok(true) => {
                        renewal::forget(self.home());
                        self.home().log("the renewed certificate was seen; the request is complete");
                        self.say("run-renewed-card", &[]);
                        self.tell(LinkEvent::Renewed);
                    }
                    Ok(false) => self.home().log("a later certificate was seen; the bot did not complete a request with it"),
                    Err(e) => self.home().log(&format!("the renewed certificate could not be sent: {e}")),
                }
            }
        });
        cancel
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_the_cap_with_jitter() {
        for attempt in 0..20 {
            let d = backoff(attempt);
            let ceiling = Duration::from_secs(1u64 << attempt.min(6)).min(BACKOFF_CAP);
            assert!(d <= ceiling && d >= ceiling / 2, "{attempt}: {d:?}");
        }
        assert!(backoff(30) <= BACKOFF_CAP);
    }
}
