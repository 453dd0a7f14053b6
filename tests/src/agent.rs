//! The desktop agent as the end-to-end tests and the benchmark run it: an installation with its
//! own folder (`EIMZA_AGENT_HOME`), notifications to a file, and the chat side of pairing.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{TestBot, WebChat, binary};

/// An agent installation: its own folder, a file instead of desktop notifications, and no
/// PC/SC service (its card check then reports "no-service" at once).
pub struct Agent {
    pub home: tempfile::TempDir,
    pub running: Option<Child>,
}

impl Agent {
    pub fn new() -> Agent {
        Agent { home: tempfile::tempdir().unwrap(), running: None }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(binary("eimza-agent"));
        c.args(args)
            .env("LANG", "tr_TR.UTF-8")
            .env("EIMZA_AGENT_HOME", self.home.path())
            .env("EIMZA_AGENT_NOTIFY_FILE", self.notify_file())
            .env("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")
            .env_remove("EIMZA_PKCS11_MODULE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    pub fn notify_file(&self) -> PathBuf {
        self.home.path().join("notifications.txt")
    }

    pub fn notifications(&self) -> Vec<String> {
        std::fs::read_to_string(self.notify_file()).unwrap_or_default().lines().map(str::to_owned).collect()
    }

    /// `eimza-agent eslestir`, started (it waits for the approval in chat).
    pub fn start_pairing(&self, server: &str, code: &str) -> Child {
        self.command(&["eslestir", "--sunucu", server, "--ad", "EIMZA-PC-12", code]).spawn().unwrap()
    }

    pub fn run(&mut self) {
        self.running = Some(self.command(&["calis"]).spawn().unwrap());
    }

    pub fn status(&self) -> String {
        let out = self.command(&["durum"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn pairing(&self) -> Value {
        serde_json::from_slice(&std::fs::read(self.home.path().join("pairing.json")).unwrap()).unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("agent.log")).unwrap_or_default()
    }
}

impl Default for Agent {
    fn default() -> Agent {
        Agent::new()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut c) = self.running.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub fn finish(child: Child) -> (i32, String) {
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code().unwrap_or(-1), text)
}

pub async fn wait_for<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The transcript's bot messages, newest last.
pub async fn bot_lines(chat: &WebChat) -> Vec<Value> {
    chat.transcript().await.body["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|m| m["direction"] == "out")
        .collect()
}

/// Waits for a bot message containing `words` that arrived on its own; returns it.
pub async fn pushed(chat: &WebChat, words: &str) -> Value {
    wait_for(words, async || bot_lines(chat).await.into_iter().rev().find(|m| m["text"].as_str().unwrap_or("").contains(words))).await
}

/// The id of a pushed message's button that starts with `prefix` (`pair-approve:`…).
pub fn button_id(message: &Value, prefix: &str) -> String {
    message["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b["id"].as_str())
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} button in {message}"))
        .to_owned()
}

pub fn code_in(text: &str) -> String {
    let start = text.find("Eşleştirme kodunuz: ").expect(text) + "Eşleştirme kodunuz: ".len();
    text[start..start + 9].to_owned()
}

/// Pairs `agent` for the person in `chat` (code, `eslestir`, approval in chat); returns the
/// approval's reply text.
pub async fn pair(bot: &TestBot, chat: &WebChat, agent: &Agent) -> String {
    let a = chat.press("pair").await;
    let code = code_in(&a.text());
    assert!(a.text().contains(&format!("eimza-agent eslestir --sunucu {} {code}", bot.url())), "{}", a.text());
    assert!(a.text().contains("10 dakika geçerlidir"), "{}", a.text());
    let child = agent.start_pairing(&bot.url(), &code.to_lowercase().replace('-', " "));
    let ask = pushed(chat, "bu sohbetle eşleşmek istiyor").await;
    assert!(ask["text"].as_str().unwrap().contains("“EIMZA-PC-12” ("), "{ask}");
    let approve = button_id(&ask, "pair-approve:");
    let labels: Vec<&str> = ask["buttons"].as_array().unwrap().iter().map(|b| b["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["Onayla", "Reddet"]);
    let reply = chat.press(&approve).await.text();
    let (code, out) = finish(child);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Eşleştirme tamamlandı"), "{out}");
    reply
}

impl Agent {
    pub fn pairing_file_missing(&self) -> bool {
        !self.home.path().join("pairing.json").exists()
    }
}
