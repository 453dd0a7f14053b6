//! The SMTP side of the tests: the shared sink `scripts/test` started, private sinks a test can
//! stop and start ([`SmtpSink`]), and reading what arrived ([`Maildir`]).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One message as a person's mail program would show it.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The raw header block, for checks of encoding and headers.
    pub raw_headers: String,
    pub file: PathBuf,
}

impl Mail {
    /// The one-time code in the text (`E-7K4Q2`).
    pub fn code(&self) -> Option<String> {
        self.text.match_indices("E-").find_map(|(i, _)| {
            let candidate = self.text.get(i..i + 7)?;
            candidate[2..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()).then(|| candidate.to_owned())
        })
    }

    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.raw_headers.lines().find(|l| l.to_ascii_lowercase().starts_with(&prefix)).map(|l| l[prefix.len()..].trim().to_owned())
    }
}

/// A Maildir the sink writes to.
#[derive(Clone, Debug)]
pub struct Maildir(pub PathBuf);

impl Maildir {
    /// The shared sink's Maildir (`scripts/test` exports it).
    pub fn shared() -> Maildir {
        Maildir(PathBuf::from(std::env::var("EIMZA_TEST_MAILDIR").expect("EIMZA_TEST_MAILDIR is not set: run the tests with scripts/test")))
    }

    /// Every message so far, oldest first.
    pub fn all(&self) -> Vec<Mail> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .filter_map(|d| std::fs::read_dir(self.0.join(d)).ok())
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        files.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
        // A delivered file never changes: each is parsed once (a hundred people waiting for
        // their codes at once would otherwise parse the whole Maildir twenty times a second).
        static PARSED: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<PathBuf, Mail>>> =
            std::sync::LazyLock::new(Default::default);
        files
            .iter()
            .filter_map(|f| {
                if let Some(mail) = PARSED.lock().unwrap().get(f) {
                    return Some(mail.clone());
                }
                let mail = parse(f)?;
                PARSED.lock().unwrap().insert(f.clone(), mail.clone());
                Some(mail)
            })
            .collect()
    }

    /// Messages to `address`, oldest first.
    pub fn to(&self, address: &str) -> Vec<Mail> {
        self.all().into_iter().filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address))).collect()
    }

    /// Waits until `count` messages to `address` have arrived; returns them.
    pub async fn wait_for(&self, address: &str, count: usize) -> Vec<Mail> {
        self.wait_until(address, &format!("{count} e-mail(s)"), |mails| mails.len() >= count).await
    }

    /// Waits until the messages to `address` satisfy `arrived` (`what` names it should they
    /// not); returns them.
    pub async fn wait_until(&self, address: &str, what: &str, arrived: impl Fn(&[Mail]) -> bool) -> Vec<Mail> {
        // Mail goes out once the bot is back and its retry comes round: a fault case with
        // kills every few hundred milliseconds needs more than a quiet test.
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mails = self.to(address);
            if arrived(&mails) {
                return mails;
            }
            let subjects: Vec<&str> = mails.iter().map(|m| m.subject.as_str()).collect();
            assert!(Instant::now() < deadline, "waited for {what} to {address}; got {subjects:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The code of the newest e-mail to `address`, once `count` have arrived.
    pub async fn code_for(&self, address: &str, count: usize) -> String {
        let mails = self.wait_for(address, count).await;
        mails.last().and_then(Mail::code).expect("a code in the e-mail")
    }
}

fn parse(file: &Path) -> Option<Mail> {
    let bytes = std::fs::read(file).ok()?;
    let message = mail_parser::MessageParser::default().parse(&bytes)?;
    let to = message.to().map(|a| a.iter().filter_map(|addr| addr.address().map(str::to_owned)).collect()).unwrap_or_default();
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").or_else(|| bytes.windows(2).position(|w| w == b"\n\n"))?;
    Some(Mail {
        to,
        subject: message.subject().unwrap_or_default().to_owned(),
        text: message.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
        html: message.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
        raw_headers: String::from_utf8_lossy(&bytes[..end]).into_owned(),
        file: file.to_owned(),
    })
}

/// The shared sink's port.
pub fn shared_port() -> u16 {
    std::env::var("EIMZA_TEST_SMTP_PORT")
        .expect("EIMZA_TEST_SMTP_PORT is not set: run the tests with scripts/test, which starts the SMTP sink")
        .parse()
        .expect("a port number")
}

/// A private SMTP sink a test can stop and start on the same port.
pub struct SmtpSink {
    pub port: u16,
    pub maildir: Maildir,
    /// `--tls-mode` (`starttls` or `wrapper`), certificate and key files, for a TLS server.
    tls: Option<(&'static str, PathBuf, PathBuf)>,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = SmtpSink { port: crate::free_port(), maildir: Maildir(dir.path().join("mail")), tls: None, child: None, _dir: dir };
        sink.resume().await;
        sink
    }

    /// A server that speaks TLS: `mode` is `starttls` or `wrapper` (implicit TLS, as on 465).
    pub async fn start_tls(mode: &'static str, cert: PathBuf, key: PathBuf) -> SmtpSink {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = SmtpSink {
            port: crate::free_port(),
            maildir: Maildir(dir.path().join("mail")),
            tls: Some((mode, cert, key)),
            child: None,
            _dir: dir,
        };
        sink.resume().await;
        sink
    }

    /// Starts (again) on the same port and Maildir.
    pub async fn resume(&mut self) {
        let mut command = Command::new("/usr/bin/python3");
        command
            .arg(crate::root().join("tests/smtp_sink.py"))
            .arg("--port")
            .arg(self.port.to_string())
            .arg("--maildir")
            .arg(&self.maildir.0);
        if let Some((mode, cert, key)) = &self.tls {
            command.arg("--tls-mode").arg(mode).arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start tests/smtp_sink.py (Debian package python3-aiosmtpd)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.is_err() {
            assert!(Instant::now() < deadline, "the SMTP sink did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops the server: connections are refused until [`SmtpSink::resume`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}
