//! # eimza-tests
//!
//! Helpers for the end-to-end tests: they start the real `eimza-bot` binary on a free port with
//! its own data folder ([`TestBot`]), talk to it over real HTTP ([`WebChat`]), give each test a
//! fresh PostgreSQL database on the cluster `scripts/test` started ([`fresh_postgres`]), and
//! drive Debian's Chromium through chromedriver ([`browser`]), put a virtual AKİS card into a
//! vpcd reader of the real pcscd ([`vcard`], certificates from [`pki`]), and make PKCS#11 tokens
//! in SoftHSM2 ([`softhsm`]).
//!
//! Set `TEST_LOG=1` to see the bot's log.

pub mod agent;
pub mod browser;
pub mod desktop;
pub mod discord;
pub mod mail;
pub mod pki;
pub mod road;
pub mod softhsm;
pub mod telegram;
pub mod trust;
pub mod vcard;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A binary of the workspace, built by `cargo build --workspace --bins` (scripts/test does) or
/// next to the release benchmark (`scripts/bench`).
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/<name>; target/release/<bench> → beside it.
    let dir = exe.parent().expect("target folder");
    let dir = if dir.ends_with("deps") { dir.parent().expect("target folder") } else { dir };
    let path = dir.join(name);
    assert!(path.exists(), "{} is not built; run `cargo build --workspace --bins` (scripts/test does it)", path.display());
    path
}

/// Runs the real `eimza-agent` with `args` in `lang`, with extra environment `env`, feeding
/// `stdin` (the sign test reads the PIN from a pipe); returns the exit code and what it printed.
/// Asserts it never panicked.
pub fn run_agent(args: &[&str], lang: &str, env: &[(&str, &std::ffi::OsStr)], stdin: &str) -> (i32, String) {
    use std::io::Write;
    let mut command = Command::new(binary("eimza-agent"));
    command.args(args).env("LANG", lang).env_remove("EIMZA_PKCS11_MODULE");
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start eimza-agent");
    child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("eimza-agent output");
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code().unwrap_or(-1), text)
}

/// A valid TC Kimlik No for each `n` (check digits computed), for bulk test data.
pub fn valid_tckn(n: u64) -> String {
    let mut d: Vec<u32> = format!("{:09}", 100_000_000 + n).chars().map(|c| c.to_digit(10).unwrap()).collect();
    let odd = d[0] + d[2] + d[4] + d[6] + d[8];
    let even = d[1] + d[3] + d[5] + d[7];
    d.push(((odd * 7) as i64 - even as i64).rem_euclid(10) as u32);
    let sum: u32 = d.iter().sum();
    d.push(sum % 10);
    d.iter().map(|x| char::from_digit(*x, 10).unwrap()).collect()
}

/// A complete application as the conversation's draft holds it at the summary (every value
/// valid).
pub fn application(tckn: &str, name: &str, email: &str) -> eimza_bot::core::conversation::Draft {
    use eimza_bot::core::domain::{BirthDate, EmailDomains, FullName, KurumEmail, Tckn, Title};
    let domains = EmailDomains { domains: vec![email.rsplit('@').next().unwrap_or("").to_owned()], allow_subdomains: false };
    eimza_bot::core::conversation::Draft {
        consent_at: Some(1),
        tckn: Some(Tckn::parse(tckn).expect("a valid TC Kimlik No")),
        name: Some(FullName::parse(name).expect("a valid name")),
        title: Some(Title::parse("Uzman", &[]).expect("a title")),
        email: Some(KurumEmail::parse(email, &domains).expect("an address")),
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 3, 5).map(BirthDate::from_date),
        ..Default::default()
    }
}

/// A ticket event by an actor of `kind`, as the history names them (`id`).
pub async fn apply(
    store: &eimza_bot::store::Store,
    ticket_id: i64,
    event: eimza_bot::core::ticket::TicketEvent,
    kind: eimza_bot::core::ticket::ActorKind,
    id: Option<&str>,
    at: i64,
) -> Result<eimza_bot::core::ticket::Applied, eimza_bot::core::ticket::Refusal> {
    let actor = eimza_bot::store::Actor { kind, id: id.map(str::to_owned) };
    let mut tx = store.begin().await.expect("begin");
    let outcome = tx.apply_event(&eimza_bot::store::TicketChange::new(ticket_id, event, &actor, at)).await.expect("apply");
    tx.commit().await.expect("commit");
    outcome
}

/// An institutional address no other test uses (the SMTP sink's Maildir is shared).
pub fn unique_email(local: &str) -> String {
    format!("{local}.{}@kurum.gov.tr", rand::random::<u32>())
}

pub fn free_port() -> u16 {
    // The kernel may give a port that was free a moment ago again once its listener closed:
    // never the same one twice in a run (a bot's port and its metrics port did collide).
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> = std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        if GIVEN.lock().unwrap_or_else(|p| p.into_inner()).insert(port) {
            return port;
        }
    }
}

/// The PostgreSQL cluster scripts/test started. Tests that need it fail loudly without it, so a
/// missing database can never pass as a green run.
pub fn postgres_admin_url() -> String {
    std::env::var("EIMZA_TEST_PG_URL").expect("EIMZA_TEST_PG_URL is not set: run the tests with scripts/test, which starts PostgreSQL")
}

/// A new empty database on the test cluster; returns its URL.
pub async fn fresh_postgres() -> String {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let admin = postgres_admin_url();
    let name = format!("eimza_t_{}", rand::random::<u64>());
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.expect("connect to the test cluster");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.expect("create database");
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{name}")
}

/// A running `eimza-bot` process with its own data folder.
pub struct TestBot {
    child: Option<Child>,
    pub port: u16,
    pub data_dir: PathBuf,
    env: Vec<(String, String)>,
    _tmp: Option<tempfile::TempDir>,
    admin: tokio::sync::OnceCell<StaffClient>,
}

impl TestBot {
    /// Starts the bot on SQLite in a fresh temporary folder, sending e-mail to the shared SMTP
    /// sink.
    pub async fn start() -> TestBot {
        Self::start_with(&[]).await
    }

    /// Like [`TestBot::start`] with extra `EIMZA_…` settings (they win over the defaults here).
    pub async fn start_with(env: &[(&str, &str)]) -> TestBot {
        let tmp = tempfile::tempdir().unwrap();
        let data_dir = tmp.path().join("data");
        Self::start_on(data_dir, Some(tmp), env).await
    }

    /// A bot on a data folder made elsewhere (a restored backup); its parent keeps what the bot
    /// prints.
    pub async fn start_in(data_dir: PathBuf, env: &[(&str, &str)]) -> TestBot {
        Self::start_on(data_dir, None, env).await
    }

    async fn start_on(data_dir: PathBuf, tmp: Option<tempfile::TempDir>, env: &[(&str, &str)]) -> TestBot {
        let smtp_port = env
            .iter()
            .find(|(k, _)| *k == "EIMZA_MAIL__SMTP__PORT")
            .map(|(_, v)| v.to_string())
            .unwrap_or_else(|| mail::shared_port().to_string());
        let mut all: Vec<(String, String)> = vec![
            ("EIMZA_MAIL__TRANSPORT".into(), "smtp".into()),
            ("EIMZA_MAIL__SMTP__HOST".into(), "127.0.0.1".into()),
            ("EIMZA_MAIL__SMTP__PORT".into(), smtp_port),
            ("EIMZA_MAIL__SMTP__SECURITY".into(), "none".into()),
            ("EIMZA_MAIL__SMTP__TIMEOUT_SECS".into(), "5".into()),
            ("EIMZA_MAIL__RETRY_BASE_SECS".into(), "1".into()),
            ("EIMZA_HELPDESK__RETRY_BASE_SECS".into(), "1".into()),
            ("EIMZA_PERSON_CHAT__RETRY_BASE_SECS".into(), "1".into()),
            ("EIMZA_STAFF_CHAT__RETRY_BASE_SECS".into(), "1".into()),
            ("EIMZA_MAIL__POLL_INTERVAL_MS".into(), "200".into()),
            ("EIMZA_MAIL__STAFF_TO".into(), "[\"bilgiislem@kurum.gov.tr\"]".into()),
            // The tests' stand-in for Kamu SM's certificates.
            ("EIMZA_TRUST__CA_FILES".into(), format!("[\"{}\"]", trust::TestCa::kamu_sm().pem_path().display())),
        ];
        all.retain(|(k, _)| !env.iter().any(|(e, _)| e == k));
        all.extend(env.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let mut bot = TestBot { child: None, port: free_port(), data_dir, env: all, _tmp: tmp, admin: tokio::sync::OnceCell::new() };
        bot.spawn().await;
        bot
    }

    async fn spawn(&mut self) {
        let log = std::env::var("TEST_LOG").is_ok();
        let mut cmd = Command::new(binary("eimza-bot"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("EIMZA_HTTP_ADDR", format!("127.0.0.1:{}", self.port))
            .env("EIMZA_DATA_DIR", &self.data_dir)
            .env("EIMZA_LOCALES_DIR", root().join("locales"))
            .env("EIMZA_PUBLIC_URL", self.url())
            .env("RUST_LOG", if log { "info,eimza_bot=debug" } else { "warn" })
            .current_dir(self.data_dir.parent().unwrap())
            .stdin(Stdio::null())
            // What the bot prints (its log on stdout; for whoever started it, the first start's
            // setup link, on stderr) is kept beside its data folder: [`TestBot::printed`],
            // [`TestBot::said`].
            .stdout(if log { Stdio::inherit() } else { Stdio::from(std::fs::File::create(self.output("stdout")).expect("stdout file")) })
            .stderr(if log { Stdio::inherit() } else { Stdio::from(std::fs::File::create(self.output("stderr")).expect("stderr file")) });
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start eimza-bot");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::Client::new();
        loop {
            if let Ok(r) = client.get(format!("{}/healthz", self.url())).send().await
                && r.status().is_success()
            {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("eimza-bot exited with {status} before it served: {}", self.said());
            }
            assert!(Instant::now() < deadline, "eimza-bot did not answer /healthz within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.child = Some(child);
    }

    fn output(&self, stream: &str) -> PathBuf {
        self.data_dir.parent().unwrap().join(stream)
    }

    /// What the bot printed on its standard output (its log) since it last started.
    pub fn printed(&self) -> String {
        std::fs::read_to_string(self.output("stdout")).unwrap_or_default()
    }

    /// What the bot said on its standard error (to whoever started it) since it last started.
    pub fn said(&self) -> String {
        std::fs::read_to_string(self.output("stderr")).unwrap_or_default()
    }

    /// The running process's id (the benchmark reads its memory).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// SIGTERM, as systemd stops a service; waits at most `within` for the exit: its code (`None`
    /// if it had to be killed) and how long it took.
    pub fn terminate(&mut self, within: Duration) -> (Option<i32>, Duration) {
        let Some(mut child) = self.child.take() else { return (None, Duration::ZERO) };
        let started = Instant::now();
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return (status.code(), started.elapsed());
            }
            if started.elapsed() > within {
                let _ = child.kill();
                let _ = child.wait();
                return (None, started.elapsed());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// kill -9, as a crash or power cut would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// kill -9 and start again on the same data folder and port.
    pub async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    /// Runs `eimza-bot` with this bot's settings (its data folder and database) and `args`,
    /// feeding `stdin`; returns the exit code and what it printed.
    pub fn cli(&self, args: &[&str], stdin: &str) -> (i32, String) {
        use std::io::Write;
        let mut cmd = Command::new(binary("eimza-bot"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("EIMZA_DATA_DIR", &self.data_dir)
            .env("EIMZA_LOCALES_DIR", root().join("locales"))
            .env("EIMZA_PUBLIC_URL", self.url())
            .env("RUST_LOG", "warn")
            .env("LANG", "tr_TR.UTF-8")
            .current_dir(self.data_dir.parent().unwrap())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start eimza-bot");
        child.stdin.take().expect("stdin").write_all(stdin.as_bytes()).expect("write stdin");
        let out = child.wait_with_output().expect("eimza-bot output");
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(!text.contains("panicked"), "{text}");
        (out.status.code().unwrap_or(-1), text)
    }

    /// A staff account made with `eimza-bot staff add`, signed in.
    pub async fn staff_account(&self, name: &str, role: &str) -> StaffClient {
        let (code, out) = self.cli(&["staff", "add", name, "--role", role], &format!("{STAFF_PASSWORD}\n"));
        assert!(code == 0 || out.contains("zaten var"), "staff add {name}: {out}");
        StaffClient::login(&self.url(), name, STAFF_PASSWORD).await.unwrap_or_else(|(status, page)| panic!("login {name}: {status} {page}"))
    }

    /// The desk as the test admin sees it (made on first use).
    pub async fn admin(&self) -> &StaffClient {
        self.admin.get_or_init(|| self.staff_account("admin", "admin")).await
    }

    /// A staff page as the admin sees it: (status, HTML).
    pub async fn staff_page(&self, path: &str) -> (u16, String) {
        self.admin().await.get(path).await
    }
}

/// The password of every staff account the tests make.
pub const STAFF_PASSWORD: &str = "sınav-parolası-2026";

/// A signed-in staff member of the desk over real HTTP: the session cookie, the CSRF token of
/// the forms, and our own `Origin` on every post, as a browser sends them.
#[derive(Clone, Debug)]
pub struct StaffClient {
    client: reqwest::Client,
    base: String,
    pub cookie: String,
    pub csrf: String,
}

/// The value of the hidden `csrf` field in a page.
pub fn csrf_of(page: &str) -> Option<String> {
    let start = page.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(page[start..].split('"').next()?.to_owned())
}

impl StaffClient {
    /// Signs in on /staff/login; the refusal's (status, page) otherwise.
    pub async fn login(base: &str, name: &str, password: &str) -> Result<StaffClient, (u16, String)> {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let r = client
            .post(format!("{base}/staff/login"))
            .header("origin", base)
            .form(&[("name", name), ("password", password), ("next", "/staff")])
            .send()
            .await
            .expect("login");
        let status = r.status().as_u16();
        let cookie = r
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("eimza_staff="))
            .map(|v| v.split(';').next().unwrap_or("").to_owned());
        let Some(cookie) = cookie.filter(|_| status == 303) else {
            return Err((status, r.text().await.unwrap_or_default()));
        };
        let mut staff = StaffClient { client, base: base.to_owned(), cookie, csrf: String::new() };
        let (_, page) = staff.get("/staff").await;
        staff.csrf = csrf_of(&page).expect("a CSRF token on /staff");
        Ok(staff)
    }

    /// The same client with a session cookie that opens nothing.
    pub fn signed_out(&self) -> StaffClient {
        StaffClient { cookie: "eimza_staff=yok".into(), ..self.clone() }
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.client.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.expect("staff page");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    /// A GET with its headers (the CSV export).
    pub async fn get_response(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.base)).header("cookie", &self.cookie).send().await.expect("staff page")
    }

    /// A form post from the desk's own page (CSRF token and `Origin` added): (status, page).
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        self.post_with(path, form, Some(&self.base.clone()), Some(&self.csrf.clone())).await
    }

    /// A form post with the given `Origin` and CSRF token (or none), for the refusals.
    pub async fn post_with(&self, path: &str, form: &[(&str, &str)], origin: Option<&str>, csrf: Option<&str>) -> (u16, String) {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        if let Some(csrf) = csrf {
            fields.push(("csrf", csrf));
        }
        let mut request = self.client.post(format!("{}{path}", self.base)).header("cookie", &self.cookie).form(&fields);
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let r = request.send().await.expect("staff post");
        let status = r.status().as_u16();
        let location = r.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
        let body = r.text().await.unwrap_or_default();
        (status, location.map(|l| format!("location: {l}\n{body}")).unwrap_or(body))
    }

    /// A multipart post (the roster upload) with the CSRF token.
    pub async fn post_file(&self, path: &str, bytes: Vec<u8>) -> (u16, String) {
        let form = reqwest::multipart::Form::new()
            .text("csrf", self.csrf.clone())
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("roster.csv"));
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("origin", &self.base)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }
}

impl Drop for TestBot {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A web chat session over the JSON API.
pub struct WebChat {
    client: reqwest::Client,
    base: String,
    pub session: String,
    pub token: String,
    pub lang: &'static str,
    /// The replies to session creation (the greeting).
    pub greeting: Vec<Value>,
}

/// What one message got back.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// All reply texts joined, for `contains` checks.
    pub fn text(&self) -> String {
        self.body["replies"]
            .as_array()
            .map(|rs| rs.iter().map(|r| r["text"].as_str().unwrap_or("")).collect::<Vec<_>>().join("\n---\n"))
            .unwrap_or_default()
    }
    pub fn buttons(&self) -> Vec<String> {
        self.body["replies"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["buttons"].as_array().cloned().unwrap_or_default())
            .map(|b| b["id"].as_str().unwrap_or("").to_owned())
            .collect()
    }
    pub fn error_message(&self) -> String {
        self.body["error"]["message"].as_str().unwrap_or("").to_owned()
    }
}

impl WebChat {
    pub async fn open(base: &str) -> WebChat {
        Self::open_in(base, "tr").await
    }

    pub async fn open_in(base: &str, lang: &'static str) -> WebChat {
        let client = reqwest::Client::new();
        let r = client.post(format!("{base}/api/webchat/sessions")).header("Accept-Language", lang).send().await.expect("create session");
        assert_eq!(r.status().as_u16(), 201);
        let body: Value = r.json().await.unwrap();
        WebChat {
            client,
            base: base.to_owned(),
            session: body["session"].as_str().unwrap().to_owned(),
            token: body["token"].as_str().unwrap().to_owned(),
            lang,
            greeting: body["replies"].as_array().cloned().unwrap_or_default(),
        }
    }

    fn messages_url(&self) -> String {
        format!("{}/api/webchat/sessions/{}/messages", self.base, self.session)
    }

    pub async fn post_raw(&self, body: Vec<u8>, token: &str) -> Answer {
        let r = self
            .client
            .post(self.messages_url())
            .header("Authorization", format!("Bearer {token}"))
            .header("Accept-Language", self.lang)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("send message");
        let status = r.status().as_u16();
        let body = r.json().await.unwrap_or(Value::Null);
        Answer { status, body }
    }

    pub async fn say(&self, text: &str) -> Answer {
        let a = self.post_raw(serde_json::to_vec(&json!({ "text": text })).unwrap(), &self.token).await;
        assert_eq!(a.status, 200, "{text:?} → {:?}", a.body);
        a
    }

    /// A message that may meet a stopping bot: its status, or `None` when the connection failed
    /// (the bot was no longer accepting).
    pub async fn try_say(&self, text: &str) -> Option<u16> {
        let r = self
            .client
            .post(self.messages_url())
            .header("Authorization", format!("Bearer {}", self.token))
            .header("Content-Type", "application/json")
            .body(serde_json::to_vec(&json!({ "text": text })).unwrap())
            .send()
            .await
            .ok()?;
        Some(r.status().as_u16())
    }

    pub async fn press(&self, button: &str) -> Answer {
        let a = self.post_raw(serde_json::to_vec(&json!({ "button": button })).unwrap(), &self.token).await;
        assert_eq!(a.status, 200, "button {button:?} → {:?}", a.body);
        a
    }

    pub async fn transcript(&self) -> Answer {
        let r = self.client.get(self.messages_url()).header("Authorization", format!("Bearer {}", self.token)).send().await.unwrap();
        Answer { status: r.status().as_u16(), body: r.json().await.unwrap_or(Value::Null) }
    }

    /// Consent and the five answers with the e-mailed code read from the shared SMTP sink, up
    /// to the summary (not confirmed).
    pub async fn fill_intake(&self, tckn: &str, name: &str, title: &str, email: &str, birth: &str) -> Answer {
        self.press("consent:yes").await;
        self.say(tckn).await;
        self.say(name).await;
        self.say(title).await;
        self.verify_email(email).await;
        self.say(birth).await
    }

    /// Types the address, reads the code the bot mailed to it, types the code.
    pub async fn verify_email(&self, email: &str) -> Answer {
        let before = mail::Maildir::shared().to(email).len();
        let a = self.say(email).await;
        assert!(a.text().contains("doğrulama kodu gönderdik") || a.text().contains("sent a verification code"), "{}", a.text());
        let code = mail::Maildir::shared().code_for(email, before + 1).await;
        self.say(&code).await
    }

    /// Moves this session to another bot URL (same data, e.g. after a restart on a new port).
    pub fn rebase(&mut self, base: &str) {
        self.base = base.to_owned();
    }
}
