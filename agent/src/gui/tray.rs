//! The tray icon: a StatusNotifierItem on the session's D-Bus (ksni, pure Rust over zbus: no
//! GTK), the colour of the link's state, and a menu — Aç, the state (opens the window too),
//! Programdan çık. Closing the window leaves the agent here.
//!
//! It runs on a thread of its own with a small async runtime, fed the work's updates
//! ([`tee`]); "Aç" asks for the window the way a second start does (the show request), so the
//! background start and the open window both answer it. With no tray on the desktop (no
//! StatusNotifierWatcher) nothing breaks: closing still hides the window, a start from the menu
//! brings it back.

use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, mpsc};

use eimza_protocol::{Catalog, Lang};

use super::work::Update;
use crate::link::home::Home;
use crate::link::run::LinkEvent;

/// What the icon says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Look {
    NotPaired,
    Connecting,
    Connected,
    /// The link is down for now (retrying) or for good.
    Offline,
    /// A card step waits for the person.
    CardStep,
}

impl Look {
    /// The look after an update of the work; `None` when the update changes nothing here.
    pub fn after(self, update: &Update) -> Option<Look> {
        let next = match update {
            Update::Paired(_) => Look::Connecting,
            Update::Link(LinkEvent::Connecting) => Look::Connecting,
            Update::Link(LinkEvent::Connected) if self == Look::CardStep => Look::CardStep,
            Update::Link(LinkEvent::Connected | LinkEvent::Renewed) => Look::Connected,
            Update::Link(LinkEvent::Retrying { .. } | LinkEvent::Stopped(_)) => Look::Offline,
            Update::Link(LinkEvent::CardStep { .. }) => Look::CardStep,
            // The bot accepted the e-Onay proof: the wait is over.
            Update::Wizard(super::work::WizardUpdate::Accepted(_)) => Look::Connected,
            _ => return None,
        };
        (next != self).then_some(next)
    }

    /// The state's words (the window's own, from locales/).
    pub fn text(self, catalog: &Catalog, lang: Lang) -> String {
        let id = match self {
            Look::NotPaired => "gui-link-not-paired",
            Look::Connecting => "gui-link-connecting",
            Look::Connected => "gui-link-connected",
            Look::Offline => "gui-tray-offline",
            Look::CardStep => "gui-tray-card-step",
        };
        catalog.text(lang, id, &[])
    }

    /// The icon's colour (ARGB): green, amber, red, blue for "waits for you", grey.
    fn colour(self) -> [u8; 4] {
        match self {
            Look::NotPaired => [0xff, 0x80, 0x80, 0x80],
            Look::Connecting => [0xff, 0xd0, 0x8a, 0x00],
            Look::Connected => [0xff, 0x1e, 0x8e, 0x3e],
            Look::Offline => [0xff, 0xc6, 0x28, 0x28],
            Look::CardStep => [0xff, 0x15, 0x65, 0xc0],
        }
    }
}

/// A filled circle of the look's colour with a white ring, `size` pixels square, ARGB32 in
/// network byte order as the specification wants.
fn circle(colour: [u8; 4], size: i32) -> ksni::Icon {
    let mut data = Vec::with_capacity((size * size * 4) as usize);
    let centre = (size as f32 - 1.0) / 2.0;
    let radius = size as f32 / 2.0 - 1.0;
    for y in 0..size {
        for x in 0..size {
            let distance = ((x as f32 - centre).powi(2) + (y as f32 - centre).powi(2)).sqrt();
            let pixel = if distance <= radius - 2.0 {
                colour
            } else if distance <= radius {
                [0xff, 0xff, 0xff, 0xff]
            } else {
                [0, 0, 0, 0]
            };
            data.extend_from_slice(&pixel);
        }
    }
    ksni::Icon { width: size, height: size, data }
}

/// The item on the bus.
struct AgentTray {
    catalog: &'static Catalog,
    lang: Lang,
    look: Look,
    /// The file a second start writes to bring the window forward.
    show_request: PathBuf,
    /// Where the tray's few lines go (`agent.log`).
    home: Home,
}

impl AgentTray {
    fn open_window(&self) {
        if let Err(e) = std::fs::write(&self.show_request, b"") {
            self.home.log(&format!("tray: could not ask for the window: {e}"));
        }
    }
}

impl ksni::Tray for AgentTray {
    fn id(&self) -> String {
        "eimza-agent".into()
    }

    fn title(&self) -> String {
        self.catalog.text(self.lang, "gui-title", &[])
    }

    fn category(&self) -> ksni::Category {
        ksni::Category::Communications
    }

    fn status(&self) -> ksni::Status {
        if self.look == Look::CardStep { ksni::Status::NeedsAttention } else { ksni::Status::Active }
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        [22, 32, 48].into_iter().map(|size| circle(self.look.colour(), size)).collect()
    }

    fn attention_icon_pixmap(&self) -> Vec<ksni::Icon> {
        self.icon_pixmap()
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        ksni::ToolTip {
            title: self.title(),
            description: self.look.text(self.catalog, self.lang),
            icon_name: String::new(),
            icon_pixmap: Vec::new(),
        }
    }

    /// A click on the icon opens the window.
    fn activate(&mut self, _x: i32, _y: i32) {
        self.open_window();
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        use ksni::menu::StandardItem;
        let state = self.catalog.text(
            self.lang,
            "gui-tray-state",
            &[("state", eimza_protocol::Arg::from(self.look.text(self.catalog, self.lang)))],
        );
        vec![
            StandardItem {
                label: self.catalog.text(self.lang, "gui-tray-open", &[]),
                activate: Box::new(|t: &mut Self| t.open_window()),
                ..Default::default()
            }
            .into(),
            StandardItem { label: state, activate: Box::new(|t: &mut Self| t.open_window()), ..Default::default() }.into(),
            ksni::MenuItem::Separator,
            StandardItem {
                label: self.catalog.text(self.lang, "gui-tray-quit", &[]),
                activate: Box::new(|t: &mut Self| {
                    t.home.log("tray: quit");
                    std::process::exit(0)
                }),
                ..Default::default()
            }
            .into(),
        ]
    }
}

/// Starts the tray on its own thread; returns where to send its new looks. A desktop with no
/// tray is said once in the log.
pub fn start(catalog: &'static Catalog, lang: Lang, look: Look, show_request: PathBuf, home: Home) -> mpsc::Sender<Look> {
    let (looks, next) = mpsc::channel::<Look>();
    // Without a thread for it (none left), the window works without a tray.
    let _ = std::thread::Builder::new().name("tray".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(runtime) => runtime,
            Err(e) => return home.log(&format!("tray: no runtime: {e}")),
        };
        runtime.block_on(async move {
            use ksni::TrayMethods as _;
            let log = Home::at(home.dir());
            let tray = AgentTray { catalog, lang, look, show_request, home };
            // A tray that appears later (the panel restarted) is registered with then.
            let handle = match tray.assume_sni_available(true).spawn().await {
                Ok(handle) => handle,
                Err(e) => return log.log(&format!("tray: none on this desktop ({e})")),
            };
            log.log("tray: shown");
            // The updates come from a plain channel: read on a blocking thread.
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            std::thread::spawn(move || {
                while let Ok(look) = next.recv() {
                    if tx.send(look).is_err() {
                        break;
                    }
                }
            });
            while let Some(look) = rx.recv().await {
                handle.update(|t| t.look = look).await;
            }
        });
    });
    looks
}

/// Passes the work's updates on to the window (waking it) and tells the tray the new look.
pub fn tee(updates: Receiver<Update>, tray: mpsc::Sender<Look>, mut look: Look, wake: Arc<dyn Fn() + Send + Sync>) -> Receiver<Update> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for update in updates {
            if let Some(next) = look.after(&update) {
                look = next;
                let _ = tray.send(look);
            }
            if tx.send(update).is_err() {
                break;
            }
            wake();
        }
    });
    rx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_look_follows_the_link_and_the_card_step() {
        let at = chrono::Utc::now();
        let ticket: eimza_protocol::TicketNo = "EIMZA-2026-000042".parse().unwrap();
        let mut look = Look::NotPaired;
        let mut seen = Vec::new();
        for update in [
            Update::Link(LinkEvent::Connecting),
            Update::Link(LinkEvent::Connected),
            Update::Link(LinkEvent::Connected),
            Update::Link(LinkEvent::Retrying { at }),
            Update::Link(LinkEvent::Connecting),
            Update::Link(LinkEvent::CardStep { ticket, holder_masked: None }),
            // A reconnect while the card step waits still says it waits.
            Update::Link(LinkEvent::Connected),
            Update::Link(LinkEvent::Renewed),
            Update::Link(LinkEvent::Stopped("agent-revoked")),
        ] {
            if let Some(next) = look.after(&update) {
                look = next;
                seen.push(look);
            }
        }
        use Look::*;
        assert_eq!(seen, [Connecting, Connected, Offline, Connecting, CardStep, Connected, Offline]);
    }

    #[test]
    fn the_menu_and_the_tooltip_speak_the_persons_language() {
        use ksni::Tray as _;
        let catalog = Catalog::shared();
        let tray = |lang, look| AgentTray {
            catalog,
            lang,
            look,
            show_request: PathBuf::from("/nonexistent/window.show"),
            home: Home::at(std::path::Path::new("/nonexistent")),
        };
        let labels = |t: &AgentTray| {
            t.menu()
                .into_iter()
                .filter_map(|item| match item {
                    ksni::MenuItem::Standard(s) => Some(s.label),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        let tr = tray(Lang::Tr, Look::CardStep);
        assert_eq!(labels(&tr), ["Aç", "Durum: Kart adımı sizi bekliyor", "Programdan çık"]);
        assert_eq!(tr.status(), ksni::Status::NeedsAttention);
        assert_eq!(tr.tool_tip().description, "Kart adımı sizi bekliyor");
        let en = tray(Lang::En, Look::Connected);
        assert_eq!(labels(&en), ["Open", "Status: Connected", "Quit the program"]);
        assert_eq!(en.status(), ksni::Status::Active);
        // The icon is the state's colour, in the sizes panels ask for.
        let icons = en.icon_pixmap();
        assert_eq!(icons.iter().map(|i| (i.width, i.data.len())).collect::<Vec<_>>(), [(22, 22 * 22 * 4), (32, 4096), (48, 48 * 48 * 4)]);
        let centre = (16 * 32 + 16) * 4;
        assert_eq!(icons[1].data[centre..centre + 4], Look::Connected.colour());
    }
}
