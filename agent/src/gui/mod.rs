//! `eimza-agent pencere`: the agent as a desktop program. One engine: the window ([`app`]) is a
//! thin view over the same functions `calis`, `kart` and `eonay` use, run off its thread
//! ([`work`]); the PIN field ([`pin`]) keeps its digits to itself; [`settings`] holds the rest.

pub mod app;
pub mod pin;
pub mod settings;
#[cfg(target_os = "linux")]
pub mod tray;
pub mod work;

#[cfg(test)]
mod tests;

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eframe::egui;
use eimza_protocol::{Catalog, Lang};

use crate::card::preflight::Options;
use crate::link::home::Home;

pub struct WindowOptions {
    pub card: Options,
    pub card_wait: Duration,
    pub kamu_sm_url: String,
    /// Start in the background (at login): the window comes forward when work arrives.
    pub hidden: bool,
}

/// The eframe side: draws the app, brings the window forward when asked, hides it on close.
struct Window {
    app: app::App,
    instance: settings::Instance,
    quit: bool,
    title: String,
}

impl eframe::App for Window {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        if self.instance.asked_to_show() {
            self.app.raise = true;
        }
        self.app.show(ui);
        if std::mem::take(&mut self.app.raise) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Visible(true));
            ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
            ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
        }
        // Only when it changes: a viewport command asks for another frame.
        let title = format!("eimza — {}", self.app.link_text().0);
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        // Closing keeps the agent at work in the background (the link, the card step); a start
        // from the menu brings the window back. Only "Çıkış" ends it.
        if self.app.quit && !self.quit {
            self.quit = true;
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if ctx.input(|i| i.viewport().close_requested()) && !self.quit && self.app.pairing.is_some() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            ctx.send_viewport_cmd(egui::ViewportCommand::Visible(false));
        }
    }
}

/// Opens the window; returns the exit code. Started in the background (`--gizli`), the agent
/// first works without any window — the link, the card step's wait — and opens it only when work
/// arrives or another start asks for it: no display connection, no OpenGL, a few MiB until then.
pub fn run(catalog: &'static Catalog, lang: Lang, home: Home, options: WindowOptions) -> i32 {
    let Some(instance) = settings::Instance::claim(home.dir()) else {
        println!("{}", catalog.text(lang, "gui-already-running", &[]));
        return 0;
    };
    // The window's context, once there is one: the work wakes it.
    let window_ctx: Arc<Mutex<Option<egui::Context>>> = Arc::default();
    let slot = window_ctx.clone();
    let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
        if let Some(ctx) = slot.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            ctx.request_repaint();
        }
    });
    let (mut backend, updates) =
        work::Live::new(catalog, lang, Home::at(home.dir()), options.card.clone(), options.card_wait, wake.clone());
    // The tray hears every update on its way to the window (Linux: a StatusNotifierItem).
    #[cfg(target_os = "linux")]
    let updates = {
        let look = if home.pairing().is_some() { tray::Look::Connecting } else { tray::Look::NotPaired };
        tray::tee(updates, tray::start(catalog, lang, look, instance.show_request(), Home::at(home.dir())), look, wake)
    };
    #[cfg(not(target_os = "linux"))]
    drop(wake);
    let mut early = Vec::new();
    if options.hidden {
        match in_the_background(&home, &mut backend, &updates, &instance) {
            Some(seen) => early = seen,
            None => return 0,
        }
    }
    let viewport = egui::ViewportBuilder::default()
        .with_title("eimza")
        .with_app_id("eimza-agent")
        .with_inner_size([900.0, 660.0])
        .with_min_inner_size([560.0, 420.0]);
    let native = eframe::NativeOptions { viewport, renderer: eframe::Renderer::Glow, ..Default::default() };
    let result = eframe::run_native(
        "eimza-agent",
        native,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            // Hidden after a close, the work must still reach the window.
            ctx.send_viewport_cmd(egui::ViewportCommand::RequestPaintWhileHidden);
            *window_ctx.lock().unwrap_or_else(|p| p.into_inner()) = Some(ctx.clone());
            // Another start's request to come forward wakes the window (no frames while idle).
            let show = instance.show_request();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_millis(500));
                    if show.exists() {
                        ctx.request_repaint();
                    }
                }
            });
            let pairing = home.pairing();
            let setup = app::Setup {
                catalog,
                lang,
                pairing,
                server: settings::shipped_server(),
                pc_name: crate::link::pair::pc_name(),
                kamu_sm_url: options.kamu_sm_url.clone(),
                start_at_login: settings::starts_at_login(),
            };
            let mut app = app::App::new(setup, Box::new(backend), updates);
            for update in early {
                app.apply(update);
            }
            Ok(Box::new(Window { app, instance, quit: false, title: String::new() }))
        }),
    );
    match result {
        Ok(()) => 0,
        Err(e) => {
            println!("{}", catalog.text(lang, "gui-cannot-open", &[("reason", eimza_protocol::Arg::from(e.to_string()))]));
            1
        }
    }
}

/// Runs the link with no window until work arrives or another start asks for the window; returns
/// what the work said meanwhile (the latest card look only), or `None` when the work ended.
fn in_the_background(
    home: &Home,
    backend: &mut work::Live,
    updates: &Receiver<work::Update>,
    instance: &settings::Instance,
) -> Option<Vec<work::Update>> {
    use work::Backend as _;
    // Unpaired, nothing can arrive: the window waits for the person to open it from the menu
    // (an office PC with the package but no renewal yet is not shown a form at every login).
    if home.pairing().is_some() {
        backend.start_link();
    }
    let mut seen: Vec<work::Update> = Vec::new();
    loop {
        match updates.recv_timeout(Duration::from_millis(700)) {
            Ok(update) => {
                let arrived = matches!(update, work::Update::Link(crate::link::run::LinkEvent::CardStep { .. }));
                // Only the latest card look and link state are kept: days in the background
                // do not pile up.
                use crate::link::run::LinkEvent as L;
                let state =
                    |u: &work::Update| matches!(u, work::Update::Link(L::Connecting | L::Connected | L::Retrying { .. } | L::Stopped(_)));
                if matches!(update, work::Update::Card(_)) {
                    seen.retain(|u| !matches!(u, work::Update::Card(_)));
                } else if state(&update) {
                    seen.retain(|u| !state(u));
                }
                seen.push(update);
                if arrived {
                    return Some(seen);
                }
            }
            Err(RecvTimeoutError::Timeout) if instance.asked_to_show() => return Some(seen),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return None,
        }
    }
}
