//! Forwarding to the institution's existing help-desk: every ticket change as a signed JSON
//! webhook (to a real HTTP server that first fails, so the retry is exercised) and as an
//! e-mail-to-ticket message over real SMTP.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use eimza_tests::mail::SmtpSink;
use eimza_tests::{TestBot, WebChat, unique_email};

#[derive(Default)]
struct Received {
    calls: usize,
    accepted: Vec<(HeaderMap, serde_json::Value, Vec<u8>)>,
}

async fn receiver() -> (String, Arc<Mutex<Received>>) {
    let received = Arc::new(Mutex::new(Received::default()));
    let state = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let state = state.clone();
            async move {
                let mut r = state.lock().unwrap();
                r.calls += 1;
                if r.calls == 1 {
                    return StatusCode::SERVICE_UNAVAILABLE; // the help-desk is down once
                }
                let json = serde_json::from_slice(&body).unwrap();
                r.accepted.push((headers, json, body.to_vec()));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_change_reaches_the_help_desk_signed_and_once() {
    let (url, received) = receiver().await;
    let sink = SmtpSink::start().await;
    let bot = TestBot::start_with(&[
        ("EIMZA_MAIL__SMTP__PORT", &sink.port.to_string()),
        ("EIMZA_HELPDESK__EMAIL", "yardim@kurum.gov.tr"),
        ("EIMZA_HELPDESK__WEBHOOK_URL", &url),
        ("EIMZA_HELPDESK__WEBHOOK_SECRET", "gizli-anahtar"),
    ])
    .await;
    let chat = WebChat::open(&bot.url()).await;
    chat.press("consent:yes").await;
    chat.say("10000000146").await;
    chat.say("Ayşe Yılmaz").await;
    chat.say("Uzman").await;
    let email = unique_email("ayse");
    chat.say(&email).await;
    let code = sink.maildir.code_for(&email, 1).await;
    chat.say(&code).await;
    chat.say("05-03-1980").await;
    let opened = chat.press("confirm").await.text();
    let number = opened[opened.find("EIMZA-").unwrap()..][..17].to_owned();
    chat.say("/iptal").await;
    chat.press("cancel:yes").await;

    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().unwrap().accepted.len() < 2 {
        assert!(Instant::now() < deadline, "the webhook did not receive both changes");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await; // time for any duplicate
    {
        let r = received.lock().unwrap();
        assert_eq!(r.accepted.len(), 2, "each change once");
        assert!(r.calls >= 3, "the failed call was retried");
        let changes: Vec<(String, String)> =
            r.accepted.iter().map(|(_, j, _)| (j["from"].as_str().unwrap().into(), j["to"].as_str().unwrap().into())).collect();
        assert_eq!(changes, [("collecting".into(), "submitted".into()), ("submitted".into(), "cancelled".into())], "in order");
        for (headers, json, body) in r.accepted.iter() {
            assert_eq!(json["ticket"], number.as_str());
            assert_eq!(json["type"], "ticket.changed");
            assert_eq!(json["applicant"]["tckn_masked"], "100******46");
            assert_eq!(json["institution"], "Örnek Kurumu");
            assert!(!String::from_utf8_lossy(body).contains("10000000146"), "never the full TC Kimlik No");
            let timestamp = headers["x-eimza-timestamp"].to_str().unwrap();
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"gizli-anahtar").unwrap();
            mac.update(format!("{timestamp}.").as_bytes());
            mac.update(body);
            let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(headers["x-eimza-signature"].to_str().unwrap(), format!("sha256={expected}"));
            assert_eq!(headers["x-eimza-delivery"].to_str().unwrap().len(), 32);
        }
    }

    let mails = sink.maildir.wait_for("yardim@kurum.gov.tr", 2).await;
    assert_eq!(mails[0].subject, format!("[{number}] e-İmza yenileme başvurusunda değişiklik"));
    assert!(mails[0].text.contains("T.C. Kimlik No: 100******46"));
    assert!(mails[1].text.contains("Durum: İptal edildi"));
}
