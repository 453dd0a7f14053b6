//! The wire format is a contract between two programs released separately: the committed golden
//! files are what version 1 looks like, byte for byte; older and newer peers' frames still parse.

use eimza_protocol::wire::{
    self, AgentMessage, BotMessage, CardProblem, DecodeError, ErrorCode, Id, MAX_FRAME_BYTES, PROTOCOL_VERSION, ReportBody, WorkBody,
};
use eimza_protocol::{Tckn, TicketNo};

fn id(s: &str) -> Id {
    Id::new(s).unwrap()
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/golden/{name}.json", env!("CARGO_MANIFEST_DIR"))).unwrap().trim().to_owned()
}

fn agent_messages() -> Vec<(&'static str, AgentMessage)> {
    vec![
        ("agent-hello", AgentMessage::Hello { protocol: PROTOCOL_VERSION, agent_version: "0.1.0".into() }),
        ("agent-heartbeat", AgentMessage::Heartbeat { seq: 42 }),
        ("agent-ack", AgentMessage::Ack { work_id: id("w-01JD5Q8Y") }),
        (
            "agent-report-card-check",
            AgentMessage::Report {
                report_id: id("r-01JD5QA1"),
                work_id: id("w-01JD5Q8Y"),
                body: ReportBody::CardCheck {
                    notified: true,
                    usable: false,
                    problems: vec![CardProblem::RenewalWindowNotOpen],
                    certificate_not_after: Some("2027-03-01T09:00:00Z".into()),
                    renewal_opens: None,
                    gave_up: false,
                },
            },
        ),
    ]
}

fn bot_messages() -> Vec<(&'static str, BotMessage)> {
    vec![
        ("bot-welcome", BotMessage::Welcome { protocol: 1, heartbeat_secs: 20 }),
        ("bot-heartbeat-ack", BotMessage::HeartbeatAck { seq: 42 }),
        (
            "bot-work-card-step",
            BotMessage::Work {
                work_id: id("w-01JD5Q8Y"),
                body: WorkBody::CardStep {
                    ticket_no: "EIMZA-2026-000123".parse::<TicketNo>().unwrap(),
                    nonce: id("kX3v0uVtq8d5mC1n2b7rWQyZsJ4eH6fA9gL0pT3oRk8"),
                    tckn: Some(Tckn::parse("10000000146").unwrap()),
                },
            },
        ),
        ("bot-ack", BotMessage::Ack { report_id: id("r-01JD5QA1") }),
        ("bot-error-version", BotMessage::Error { code: ErrorCode::VersionMismatch, protocol: Some(1) }),
        ("bot-error-revoked", BotMessage::Error { code: ErrorCode::Revoked, protocol: None }),
    ]
}

#[test]
fn every_message_matches_its_golden_file_both_ways() {
    for (name, message) in agent_messages() {
        assert_eq!(wire::encode(&message), golden(name), "{name}");
        assert_eq!(wire::decode::<AgentMessage>(&golden(name)), Ok(message), "{name}");
    }
    for (name, message) in bot_messages() {
        assert_eq!(wire::encode(&message), golden(name), "{name}");
        assert_eq!(wire::decode::<BotMessage>(&golden(name)), Ok(message), "{name}");
    }
}

#[test]
fn older_and_newer_peers_frames_still_parse() {
    // An older agent's report without the optional fields.
    let old = r#"{"type":"report","report_id":"r1","work_id":"w1","body":{"kind":"card-check","notified":false,"usable":true}}"#;
    assert_eq!(
        wire::decode::<AgentMessage>(old),
        Ok(AgentMessage::Report {
            report_id: id("r1"),
            work_id: id("w1"),
            body: ReportBody::CardCheck {
                notified: false,
                usable: true,
                problems: vec![],
                certificate_not_after: None,
                renewal_opens: None,
                gave_up: false
            }
        })
    );
    // A bot from before the holder's number was sent.
    let work = r#"{"type":"work","work_id":"w","body":{"kind":"card-step","ticket_no":"EIMZA-2026-000001","nonce":"n"}}"#;
    assert!(matches!(wire::decode::<BotMessage>(work), Ok(BotMessage::Work { body: WorkBody::CardStep { tckn: None, .. }, .. })));
    // A newer bot adds a field we do not know yet: ignored.
    let newer = r#"{"type":"welcome","protocol":1,"heartbeat_secs":20,"server_time":"2026-11-25T12:00:00Z"}"#;
    assert_eq!(wire::decode::<BotMessage>(newer), Ok(BotMessage::Welcome { protocol: 1, heartbeat_secs: 20 }));
    // A newer bot's kind of work, a newer agent's problem code and error code: still read.
    let work = r#"{"type":"work","work_id":"w","body":{"kind":"print-form","pages":2}}"#;
    assert_eq!(wire::decode::<BotMessage>(work), Ok(BotMessage::Work { work_id: id("w"), body: WorkBody::Unknown }));
    let report = r#"{"type":"report","report_id":"r","work_id":"w","body":{"kind":"card-check","notified":true,"usable":false,"problems":["card-on-fire"]}}"#;
    assert!(matches!(
        wire::decode::<AgentMessage>(report),
        Ok(AgentMessage::Report { body: ReportBody::CardCheck { problems, .. }, .. }) if problems == vec![CardProblem::Unknown]
    ));
    let error = r#"{"type":"error","code":"overloaded"}"#;
    assert_eq!(wire::decode::<BotMessage>(error), Ok(BotMessage::Error { code: ErrorCode::Unknown, protocol: None }));
}

#[test]
fn bad_frames_are_told_apart_and_never_panic() {
    assert_eq!(wire::decode::<AgentMessage>(r#"{"type":"telemetry","x":1}"#), Err(DecodeError::UnknownType));
    assert_eq!(wire::decode::<BotMessage>(r#"{"type":"work","work_id":"w"}"#), Err(DecodeError::Malformed));
    assert_eq!(wire::decode::<AgentMessage>("not json"), Err(DecodeError::Malformed));
    assert_eq!(wire::decode::<AgentMessage>("[1,2,3]"), Err(DecodeError::Malformed));
    assert_eq!(wire::decode::<AgentMessage>(r#"{"no":"type"}"#), Err(DecodeError::Malformed));
    let huge = format!(r#"{{"type":"heartbeat","seq":1,"pad":"{}"}}"#, "x".repeat(MAX_FRAME_BYTES));
    assert_eq!(wire::decode::<AgentMessage>(&huge), Err(DecodeError::TooLarge));
    assert_eq!(DecodeError::TooLarge.code(), ErrorCode::TooLarge);
    // Values are checked by their shape while the frame is read: a hostile one is no frame.
    for hostile in [
        r#"{"type":"work","work_id":"w","body":{"kind":"card-step","ticket_no":"EIMZA-2026-000001\u2019; iex x","nonce":"n"}}"#,
        r#"{"type":"work","work_id":"w","body":{"kind":"card-step","ticket_no":"EIMZA-2026-000001","nonce":"n","tckn":"12345678901"}}"#,
        r#"{"type":"work","work_id":"w\u001b[2J","body":{"kind":"card-step","ticket_no":"EIMZA-2026-000001","nonce":"n"}}"#,
    ] {
        assert_eq!(wire::decode::<BotMessage>(hostile), Err(DecodeError::Malformed), "{hostile}");
    }
    assert_eq!(wire::decode::<AgentMessage>(r#"{"type":"ack","work_id":"../../etc"}"#), Err(DecodeError::Malformed));
    assert_eq!(ErrorCode::VersionMismatch.message_id(), "link-err-version");
}

proptest::proptest! {
    #[test]
    fn decoding_arbitrary_text_never_panics(s in "\\PC{0,300}") {
        let _ = wire::decode::<AgentMessage>(&s);
        let _ = wire::decode::<BotMessage>(&s);
    }
}
