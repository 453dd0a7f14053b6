//! A desktop for the agent's window: a private Xvfb display (1366×768, the smallest office
//! screen the window must fit) whose framebuffer is a file, read as a screenshot and written as
//! PNG; keys typed with xdotool (XTEST, as a keyboard would). scripts/test installs xvfb, Mesa's
//! software OpenGL and xdotool.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Desktop {
    pub display: String,
    xvfb: Child,
    fbdir: tempfile::TempDir,
}

impl Desktop {
    pub fn start() -> Desktop {
        let fbdir = tempfile::tempdir().unwrap();
        for _ in 0..20 {
            let n = 200 + rand::random::<u16>() % 30_000;
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                continue;
            }
            let xvfb = Command::new("Xvfb")
                .arg(format!(":{n}"))
                .args(["-screen", "0", "1366x768x24", "-nolisten", "tcp", "-fbdir"])
                .arg(fbdir.path())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (scripts/test installs xvfb)");
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && fbdir.path().join("Xvfb_screen0").exists() {
                    return Desktop { display: format!(":{n}"), xvfb, fbdir };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let mut xvfb = xvfb;
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
        panic!("Xvfb did not start");
    }

    /// `xdotool ARGS` on this display.
    pub fn xdotool(&self, args: &[&str]) -> bool {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("xdotool (scripts/test installs it)")
            .success()
    }

    /// Waits until a window whose title contains `name` is mapped; gives it the keyboard (no
    /// window manager here to do it) and puts the pointer on it.
    pub fn wait_for_window(&self, name: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.xdotool(&["search", "--onlyvisible", "--name", name]) {
            assert!(Instant::now() < deadline, "no window named {name:?} appeared");
            std::thread::sleep(Duration::from_millis(100));
        }
        self.xdotool(&["mousemove", "450", "330"]);
        self.xdotool(&["search", "--onlyvisible", "--name", name, "windowfocus", "--sync"]);
        std::thread::sleep(Duration::from_millis(300));
    }

    pub fn key(&self, key: &str) {
        assert!(self.xdotool(&["key", "--delay", "60", key]), "xdotool key {key}");
    }

    pub fn type_text(&self, text: &str) {
        assert!(self.xdotool(&["type", "--delay", "60", text]), "xdotool type");
    }

    /// The screen as PNG at `path` (the framebuffer file is XWD: a header, a colour map, then
    /// 32-bit pixels B, G, R, unused).
    pub fn screenshot(&self, path: &Path) {
        let xwd = std::fs::read(self.fbdir.path().join("Xvfb_screen0")).unwrap();
        let be = |i: usize| u32::from_be_bytes(xwd[i * 4..i * 4 + 4].try_into().unwrap()) as usize;
        let (header, width, height, bits, line, ncolors) = (be(0), be(4), be(5), be(11), be(12), be(19));
        assert_eq!(bits, 32, "a 24-bit screen keeps 32-bit pixels");
        let start = header + ncolors * 12;
        let mut rgb = Vec::with_capacity(width * height * 3);
        for y in 0..height {
            let row = &xwd[start + y * line..start + y * line + width * 4];
            for px in row.chunks_exact(4) {
                rgb.extend_from_slice(&[px[2], px[1], px[0]]);
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
        let mut encoder = png::Encoder::new(file, width as u32, height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header().unwrap().write_image_data(&rgb).unwrap();
    }

    pub fn screenshot_dir() -> PathBuf {
        crate::root().join("target").join("screenshots")
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        let _ = self.xvfb.kill();
        let _ = self.xvfb.wait();
    }
}

/// A private D-Bus session bus (`dbus-daemon`, which scripts/test installs) with a stand-in for
/// the desktop's tray: the `org.kde.StatusNotifierWatcher` a panel provides, noting each
/// StatusNotifierItem that registers. The test then reads the item and works its menu over the
/// bus as a panel would.
pub struct TrayHost {
    pub address: String,
    daemon: Child,
    _dir: tempfile::TempDir,
    pub bus: zbus::Connection,
    registered: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

struct Watcher {
    registered: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

#[zbus::interface(name = "org.kde.StatusNotifierWatcher")]
impl Watcher {
    async fn register_status_notifier_item(&self, service: String, #[zbus(header)] header: zbus::message::Header<'_>) {
        // An item names its bus name or its object path; a path is on the sender's connection.
        let name = if service.starts_with('/') { header.sender().map(|s| s.to_string()).unwrap_or_default() } else { service };
        self.registered.lock().unwrap().push(name);
    }

    async fn register_status_notifier_host(&self, _service: String) {}

    #[zbus(property)]
    async fn registered_status_notifier_items(&self) -> Vec<String> {
        self.registered.lock().unwrap().clone()
    }

    #[zbus(property)]
    async fn is_status_notifier_host_registered(&self) -> bool {
        true
    }

    #[zbus(property)]
    async fn protocol_version(&self) -> i32 {
        0
    }
}

/// An icon on the bus: width, height, ARGB bytes.
pub type Pixmap = (i32, i32, Vec<u8>);
/// A tooltip on the bus: icon name, icons, title, description.
type ToolTip = (String, Vec<Pixmap>, String, String);
/// A dbusmenu layout node: id, properties, children (each a node in a variant).
type MenuNode = (i32, std::collections::HashMap<String, zbus::zvariant::OwnedValue>, Vec<zbus::zvariant::OwnedValue>);

/// One entry of an item's menu: its id and label.
#[derive(Clone, Debug, PartialEq)]
pub struct MenuEntry {
    pub id: i32,
    pub label: String,
}

impl TrayHost {
    pub async fn start() -> TrayHost {
        let dir = tempfile::tempdir().unwrap();
        let address = format!("unix:path={}", dir.path().join("bus").display());
        let daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile"])
            .arg(format!("--address={address}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon (scripts/test installs it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !dir.path().join("bus").exists() {
            assert!(Instant::now() < deadline, "dbus-daemon did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let registered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let bus = zbus::connection::Builder::address(address.as_str())
            .unwrap()
            .name("org.kde.StatusNotifierWatcher")
            .unwrap()
            .serve_at("/StatusNotifierWatcher", Watcher { registered: registered.clone() })
            .unwrap()
            .build()
            .await
            .expect("the stand-in tray on the private bus");
        TrayHost { address, daemon, _dir: dir, bus, registered }
    }

    /// Waits for an item to register; its bus name.
    pub async fn item(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(name) = self.registered.lock().unwrap().first().cloned() {
                return name;
            }
            assert!(Instant::now() < deadline, "no tray item registered");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn proxy<'a>(&'a self, name: &'a str, path: &'a str, interface: &'a str) -> zbus::Proxy<'a> {
        zbus::Proxy::new(&self.bus, name, path, interface).await.unwrap()
    }

    /// A property of the item (`Status`, `Title`…).
    pub async fn property<T>(&self, name: &str, property: &str) -> T
    where
        T: TryFrom<zbus::zvariant::OwnedValue>,
        T::Error: Into<zbus::Error>,
    {
        self.proxy(name, "/StatusNotifierItem", "org.kde.StatusNotifierItem").await.get_property(property).await.unwrap()
    }

    /// The tooltip's title and description.
    pub async fn tool_tip(&self, name: &str) -> (String, String) {
        let (_icon, _pixmaps, title, description): ToolTip = self.property(name, "ToolTip").await;
        (title, description)
    }

    /// The icon's pixmaps: width, height, ARGB bytes.
    pub async fn icons(&self, name: &str) -> Vec<Pixmap> {
        self.property(name, "IconPixmap").await
    }

    /// The menu's top entries, as a panel reads them (com.canonical.dbusmenu `GetLayout`).
    pub async fn menu(&self, name: &str) -> Vec<MenuEntry> {
        use zbus::zvariant::{Structure, Value};
        let path: zbus::zvariant::OwnedObjectPath = self.property(name, "Menu").await;
        let menu = self.proxy(name, path.as_str(), "com.canonical.dbusmenu").await;
        let (_revision, (_root, _props, children)): (u32, MenuNode) =
            menu.call("GetLayout", &(0i32, 1i32, Vec::<String>::new())).await.unwrap();
        children
            .into_iter()
            .filter_map(|child| {
                let fields = Structure::try_from(Value::from(child)).ok()?.into_fields();
                let id = i32::try_from(&fields[0]).ok()?;
                let props = zbus::zvariant::Dict::try_from(fields[1].try_clone().ok()?).ok()?;
                let label: Option<String> = props.get(&"label").ok()?;
                Some(MenuEntry { id, label: label.unwrap_or_default() })
            })
            .collect()
    }

    /// Clicks a menu entry, as a panel does (`Event(id, "clicked", …)`).
    pub async fn click(&self, name: &str, entry: &MenuEntry) {
        let path: zbus::zvariant::OwnedObjectPath = self.property(name, "Menu").await;
        let menu = self.proxy(name, path.as_str(), "com.canonical.dbusmenu").await;
        let _: () = menu.call("Event", &(entry.id, "clicked", zbus::zvariant::Value::from(0i32), 0u32)).await.unwrap_or_else(|e| {
            // The item may end its process before answering ("Çıkış").
            eprintln!("tray click: {e}");
        });
    }
}

impl Drop for TrayHost {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}
