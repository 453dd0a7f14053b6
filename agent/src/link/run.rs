//! `eimza-agent calis`: keeps one WebSocket to the bot. Work is written to the inbox before it
//! is acknowledged (so an ack never loses it); each card step raises a notification and runs the
//! card pre-flight; its report stays in the outbox until the bot acknowledges it, and is sent
//! again after a reconnect (the bot ignores a repeated report id).

use std::collections::BTreeMap;
use std::time::Duration;

use eimza_protocol::wire::{
    self, AgentMessage, BotMessage, CardProblem, ErrorCode, HEARTBEAT_SECS, Id, PROTOCOL_VERSION, ReportBody, WorkBody,
};
use eimza_protocol::{Arg, Catalog, Lang};
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::home::{Home, LinkState, Pairing};
use super::notify::Notifier;
use crate::card::preflight::{self, Options};

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

/// The delay before reconnect attempt `n` (0-based): doubling from 1 s to the cap, each time
/// somewhere in its upper half, so a thousand agents do not come back in the same second.
pub fn backoff(attempt: u32) -> Duration {
    let ceiling = Duration::from_secs(1u64 << attempt.min(6)).min(BACKOFF_CAP);
    let jitter: f64 = rand::random_range(0.5..=1.0);
    ceiling.mul_f64(jitter)
}

pub struct Runner<'a> {
    pub catalog: &'a Catalog,
    pub lang: Lang,
    pub home: Home,
    pub notifier: Box<dyn Notifier>,
    pub card: Options,
}

impl Runner<'_> {
    fn say(&self, id: &str, args: &[(&str, Arg)]) {
        println!("{}", self.catalog.text(self.lang, id, args));
    }

    /// Runs until the agent is revoked or outdated; returns the exit code.
    pub async fn run(&self) -> i32 {
        let Some(pairing) = self.home.pairing() else {
            self.say("run-not-paired", &[]);
            return 1;
        };
        let mut attempt = 0;
        loop {
            self.home.save_link_status(LinkState::Connecting);
            match self.connect_once(&pairing, &mut attempt).await {
                Ended::Final(code, message, state) => {
                    self.home.save_link_status(state);
                    self.say(message, &[]);
                    self.home.log(&format!("stopped: {message}"));
                    return code;
                }
                Ended::Dropped => {
                    let pause = backoff(attempt);
                    attempt = attempt.saturating_add(1);
                    self.home.log(&format!("disconnected; retry in {} ms", pause.as_millis()));
                    self.say("run-reconnecting", &[("seconds", Arg::from(pause.as_secs().max(1) as i64))]);
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
        if let Ok(lang) = self.lang.code().parse() {
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

    /// Reports the bot has not acknowledged go again, and work acknowledged before a crash but
    /// never handled is handled now (the bot has forgotten it: it is ours). False when the
    /// connection dropped.
    async fn catch_up(&self, out: &mut Out) -> bool {
        let outbox: Outbox = self.home.load(OUTBOX);
        for (report_id, (work_id, body)) in &outbox.reports {
            let report = AgentMessage::Report { report_id: report_id.clone(), work_id: work_id.clone(), body: body.clone() };
            if out.send(Message::text(wire::encode(&report))).await.is_err() {
                return false;
            }
        }
        let inbox: Inbox = self.home.load(INBOX);
        for (work_id, item) in inbox.items.iter().filter(|(_, item)| !item.done) {
            let report = self.handle_work(work_id, &item.body).await;
            if out.send(Message::text(wire::encode(&report))).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn connect_once(&self, pairing: &Pairing, attempt: &mut u32) -> Ended {
        let (mut out, mut inp) = match self.handshake(pairing).await {
            Ok(link) => link,
            Err(ended) => return ended,
        };
        *attempt = 0;
        self.home.save_link_status(LinkState::Connected);
        self.home.log("connected");
        self.say("run-connected", &[("server", Arg::from(pairing.server.as_str()))]);
        if !self.catch_up(&mut out).await {
            return Ended::Dropped;
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
                frame = tokio::time::timeout(silence, inp.next()) => {
                    let text = match frame {
                        Ok(Some(Ok(Message::Text(text)))) => text,
                        Ok(Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)))) => continue,
                        Ok(Some(Ok(Message::Binary(_)))) => continue,
                        _ => return Ended::Dropped,
                    };
                    match wire::decode::<BotMessage>(&text) {
                        Ok(BotMessage::Work { work_id, body }) => {
                            let fresh = self.store_work(&work_id, &body);
                            // Stored first, acknowledged second: the bot may forget it now.
                            if out.send(Message::text(wire::encode(&AgentMessage::Ack { work_id: work_id.clone() }))).await.is_err() {
                                return Ended::Dropped;
                            }
                            if fresh {
                                let report = self.handle_work(&work_id, &body).await;
                                if out.send(Message::text(wire::encode(&report))).await.is_err() {
                                    return Ended::Dropped;
                                }
                            }
                        }
                        Ok(BotMessage::Ack { report_id }) => {
                            let mut outbox: Outbox = self.home.load(OUTBOX);
                            if outbox.reports.remove(&report_id).is_some() {
                                let _ = self.home.store(OUTBOX, &outbox);
                            }
                        }
                        Ok(BotMessage::Error { code: ErrorCode::Revoked, .. }) => return Ended::Final(3, "link-err-revoked", LinkState::Revoked),
                        Ok(BotMessage::Error { code: ErrorCode::VersionMismatch, .. }) => {
                            return Ended::Final(4, "link-err-version", LinkState::Outdated);
                        }
                        Ok(BotMessage::Error { code, .. }) => self.home.log(&format!("bot refused a frame: {code:?}")),
                        Ok(BotMessage::Welcome { .. } | BotMessage::HeartbeatAck { .. } | BotMessage::Unknown) => {}
                        // A newer bot's message type: ignored, the link stays up.
                        Err(_) => self.home.log("unreadable frame from the bot ignored"),
                    }
                }
            }
        }
    }

    /// Remembers a work item; false when it was seen before (a re-delivery: ack only).
    fn store_work(&self, work_id: &Id, body: &WorkBody) -> bool {
        let mut inbox: Inbox = self.home.load(INBOX);
        if inbox.items.contains_key(work_id) {
            return false;
        }
        // Kept whole (the holder's number included, in the user's private folder) until handled,
        // so a crash between the ack and the check loses nothing.
        inbox.items.insert(work_id.clone(), InboxItem { body: body.clone(), done: false });
        let _ = self.home.store(INBOX, &inbox);
        true
    }

    /// Notifies the person, runs the card pre-flight, and files the report in the outbox.
    async fn handle_work(&self, work_id: &Id, body: &WorkBody) -> AgentMessage {
        let report_body = match body {
            WorkBody::CardStep { ticket_no, tckn, .. } => {
                self.home.log(&format!("work {work_id}: card step for {ticket_no}"));
                self.say("run-card-step", &[("ticket", Arg::from(ticket_no.to_string()))]);
                let title = self.catalog.text(self.lang, "notify-card-step-title", &[]);
                let text = self.catalog.text(self.lang, "notify-card-step-body", &[("ticket", Arg::from(ticket_no.to_string()))]);
                let notified = self.notifier.notify(&title, &text);
                // The ticket holder's number: someone else's card is refused before any PIN is asked.
                let options = Options { now: chrono::Utc::now(), expected_tckn: tckn.clone(), ..self.card.clone() };
                let diagnosis = tokio::task::spawn_blocking(move || preflight::run(&options).0).await.ok();
                match diagnosis {
                    Some(d) => ReportBody::CardCheck {
                        notified,
                        usable: d.usable,
                        problems: d.problems.iter().map(|p| p.problem.problem()).chain(d.error.iter().map(|e| e.error.problem())).collect(),
                        certificate_not_after: d.certificate.as_ref().map(|c| c.not_after.to_rfc3339()),
                    },
                    None => ReportBody::CardCheck {
                        notified,
                        usable: false,
                        problems: vec![CardProblem::Internal],
                        certificate_not_after: None,
                    },
                }
            }
            // A newer bot's work: stored and acknowledged; reported as not understood.
            WorkBody::Unknown => {
                self.home.log(&format!("work {work_id}: a kind this agent does not know"));
                ReportBody::Unknown
            }
        };
        let report_id = Id::new(&format!("r-{work_id}")).unwrap_or_else(|| work_id.clone());
        let mut outbox: Outbox = self.home.load(OUTBOX);
        outbox.reports.insert(report_id.clone(), (work_id.clone(), report_body.clone()));
        let _ = self.home.store(OUTBOX, &outbox);
        let mut inbox: Inbox = self.home.load(INBOX);
        if let Some(item) = inbox.items.get_mut(work_id) {
            item.done = true;
            // Handled: the holder's number is not needed on disk any more.
            if let WorkBody::CardStep { tckn, .. } = &mut item.body {
                *tckn = None;
            }
            let _ = self.home.store(INBOX, &inbox);
        }
        AgentMessage::Report { report_id, work_id: work_id.clone(), body: report_body }
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
