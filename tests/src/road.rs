//! One person's renewal in progress, for the journey tests and the benchmark: the bot, their web
//! chat and ticket, their paired PC (`eimza-agent calis` and `eonay`) with the virtual AKİS card,
//! and the bot's agent API as a forger or replayer would use it.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use eimza_protocol::attest::{Attestation, SignatureAlgorithm, Statement};
use eimza_protocol::wire::Id;
use eimza_protocol::{Tckn, TicketNo};
use rsa::RsaPrivateKey;
use serde_json::Value;

use crate::agent::{Agent, pair, pushed};
use crate::pki::{self, CertSpec, PublicKey};
use crate::trust::{Issued, TestCa};
use crate::vcard::{self, CardState, Reader, VirtualCard};
use crate::{TestBot, WebChat, unique_email, valid_tckn};

pub const STAFF_GROUP: i64 = -100_313;
pub const STAFF_USER: i64 = 4242;
pub const HOLDER: &str = "AYŞE YILMAZ";

/// One person's renewal in progress: the bot, their chat and ticket, their paired PC and card.
pub struct Road {
    pub bot: TestBot,
    pub chat: WebChat,
    pub ticket: String,
    pub tckn: String,
    pub email: String,
    pub agent: Agent,
    /// Declared before `reader`: fields drop in order, and the card must be out (pcscd seeing
    /// no card) before the reader goes back to the pool, or the next test's card, waiting in
    /// vpcd's queue, takes its place and this card is never seen leaving.
    pub card: Option<VirtualCard>,
    pub reader: Reader,
    pub state: Arc<Mutex<CardState>>,
    pub issued: Issued,
}

/// How the road is set up.
pub struct Setup<'a> {
    /// Picks the person's TC Kimlik No (each test its own).
    pub n: u64,
    pub env: Vec<(&'static str, String)>,
    /// The certificate on the card; `None`: the holder's own Kamu SM certificate from the trusted CA.
    pub certificate: Option<Issued>,
    /// The OCSP responder the certificate names.
    pub ocsp: Option<&'a str>,
    /// `calis` runs and the card step completes before the test goes on.
    pub card_step: bool,
}

impl Setup<'_> {
    pub fn new(n: u64) -> Setup<'static> {
        Setup { n, env: Vec::new(), certificate: None, ocsp: None, card_step: true }
    }
}

/// The holder's own certificate, issued by `ca` for the virtual card's key.
pub fn holders_certificate(ca: &TestCa, tckn: &str, ocsp: Option<&str>) -> Issued {
    ca.issue(&CertSpec::kamu_sm(HOLDER, tckn, 45), &PublicKey::rsa(pki::rsa_key()), ocsp)
}

impl Road {
    pub async fn start(setup: Setup<'_>) -> Road {
        let env: Vec<(&str, &str)> = setup.env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let bot = TestBot::start_with(&env).await;
        let tckn = valid_tckn(setup.n);
        let email = unique_email("ayse.yilmaz");
        let chat = WebChat::open(&bot.url()).await;
        chat.fill_intake(&tckn, "Ayşe Yılmaz", "Uzman", &email, "05.03.1980").await;
        let opened = chat.press("confirm").await.text();
        let start = opened.find("EIMZA-").expect(&opened);
        let ticket = opened[start..start + 17].to_owned();
        let agent = Agent::new();
        pair(&bot, &chat, &agent).await;
        let issued = setup.certificate.unwrap_or_else(|| holders_certificate(TestCa::kamu_sm(), &tckn, setup.ocsp));
        let reader = Reader::acquire();
        let state = Arc::new(Mutex::new(CardState::new(vcard::ATR_TC, issued.der.clone(), pki::rsa_key().clone())));
        let card = Some(VirtualCard::insert(&reader, state.clone()));
        let mut road = Road { bot, chat, ticket, tckn, email, agent, reader, card, state, issued };
        if setup.card_step {
            road.run_agent();
            road.told(&format!("kart ve sertifika {} numaralı başvurunuzun yenilemesi için uygun", road.ticket)).await;
        }
        road
    }

    /// `eimza-agent calis` with the real PC/SC service and this test's reader.
    pub fn run_agent(&mut self) {
        let mut command = self.agent.command(&["calis", "--okuyucu", self.reader.name(), "--kart-bekleme", "60"]);
        command.env_remove("PCSCLITE_CSOCK_NAME");
        self.agent.running = Some(command.spawn().unwrap());
    }

    /// `eimza-agent eonay`, started; its stdin is written by the test, its stdout collected.
    pub fn eonay(&self) -> Eonay {
        let mut command = self.agent.command(&["eonay", "--okuyucu", self.reader.name(), "--tarayici-acma"]);
        command.env_remove("PCSCLITE_CSOCK_NAME").stdin(Stdio::piped());
        Eonay::spawn(command)
    }

    /// `eimza-agent eonay` with all its answers at once; (exit code, what it printed).
    pub fn eonay_with(&self, answers: &str) -> (i32, String) {
        let mut run = self.eonay();
        run.type_line(answers.trim_end_matches('\n'));
        run.finish()
    }

    /// A message the bot pushed into the person's chat.
    pub async fn told(&self, words: &str) -> String {
        pushed(&self.chat, words).await["text"].as_str().unwrap_or_default().to_owned()
    }

    pub async fn state(&self) -> String {
        let status = self.chat.say("/durum").await.text();
        let line = status.lines().find(|l| l.starts_with("Durum: ")).unwrap_or_default();
        line.trim_start_matches("Durum: ").to_owned()
    }

    pub async fn history(&self) -> String {
        let (status, page) = self.bot.staff_page(&format!("/staff/tickets/{}", self.ticket)).await;
        assert_eq!(status, 200);
        page
    }

    /// The bot's agent API with this PC's token, as a forger or replayer would use it.
    pub fn api(&self) -> AgentApi {
        let pairing = self.agent.pairing();
        AgentApi {
            client: reqwest::Client::new(),
            base: self.bot.url(),
            token: pairing["token"].as_str().unwrap().to_owned(),
            agent_id: pairing["agent_id"].as_str().unwrap().to_owned(),
        }
    }
}

/// A running `eimza-agent eonay`: lines typed one at a time, output read as it comes.
pub struct Eonay {
    pub child: Child,
    pub out: Arc<Mutex<String>>,
}

impl Eonay {
    pub fn spawn(mut command: std::process::Command) -> Eonay {
        let mut child = command.spawn().unwrap();
        let out = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().unwrap();
        let collected = out.clone();
        std::thread::spawn(move || {
            // Prompts end without a newline: read bytes, not lines.
            let mut reader = BufReader::new(stdout);
            loop {
                let buffer = match reader.fill_buf() {
                    Ok([]) | Err(_) => break,
                    Ok(b) => b.to_vec(),
                };
                reader.consume(buffer.len());
                collected.lock().unwrap().push_str(&String::from_utf8_lossy(&buffer));
            }
        });
        Eonay { child, out }
    }

    pub fn type_line(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    pub fn printed(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    pub async fn wait_for_output(&self, words: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.printed().contains(words) {
            assert!(Instant::now() < deadline, "eonay did not print {words:?}: {}", self.printed());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn finish(mut self) -> (i32, String) {
        drop(self.child.stdin.take());
        let status = self.child.wait().unwrap();
        // The reader thread ends with the process's stdout.
        let deadline = Instant::now() + Duration::from_secs(5);
        while Arc::strong_count(&self.out) > 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        let text = self.printed() + &err;
        assert!(!text.contains("panicked"), "{text}");
        (status.code().unwrap_or(-1), text)
    }

    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The agent API with a PC's token.
pub struct AgentApi {
    pub client: reqwest::Client,
    pub base: String,
    pub token: String,
    pub agent_id: String,
}

impl AgentApi {
    pub async fn challenge(&self, ticket: &str) -> String {
        let r = self
            .client
            .post(format!("{}/api/agent/challenges", self.base))
            .bearer_auth(&self.token)
            .json(&serde_json::json!({ "ticket_no": ticket }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        r.json::<Value>().await.unwrap()["nonce"].as_str().unwrap().to_owned()
    }

    /// A statement for `ticket` and `tckn` with `nonce`, as this PC would build it.
    pub fn statement(&self, origin: &str, ticket: &str, tckn: &str, nonce: &str) -> Vec<u8> {
        Statement {
            origin: origin.to_owned(),
            ticket: ticket.parse::<TicketNo>().unwrap(),
            tckn: Tckn::parse(tckn).unwrap(),
            nonce: Id::new(nonce).unwrap(),
            agent: Id::new(&self.agent_id).unwrap(),
            signed_at: chrono::DateTime::from_timestamp(chrono::Utc::now().timestamp(), 0).unwrap(),
        }
        .encode()
    }

    pub async fn attest(&self, statement: &[u8], key: &RsaPrivateKey, certificate: &[u8]) -> (u16, Value) {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(statement);
        let signature = key.sign(rsa::Pkcs1v15Sign::new::<sha2::Sha256>(), &digest).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD;
        let body = Attestation {
            statement: b64.encode(statement),
            algorithm: SignatureAlgorithm::RsaPkcs1Sha256,
            signature: b64.encode(signature),
            certificate: b64.encode(certificate),
        };
        self.post_attestation(&serde_json::to_value(body).unwrap()).await
    }

    pub async fn post_attestation(&self, body: &Value) -> (u16, Value) {
        let r = self.client.post(format!("{}/api/agent/attestations", self.base)).bearer_auth(&self.token).json(body).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

/// A staff step on the ticket's page, as a staff member's browser posts it.
pub async fn staff_posts(bot: &TestBot, ticket: &str, form: &[(&str, &str)]) -> (u16, String) {
    bot.admin().await.post(&format!("/staff/tickets/{ticket}/actions"), form).await
}
