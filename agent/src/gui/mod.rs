//! `eimza-agent pencere`: the agent as a desktop program. One engine: the window ([`app`]) is a
//! thin view over the same functions `calis`, `kart` and `eonay` use, run off its thread
//! ([`work`]); the PIN field ([`pin`]) keeps its digits to itself; [`settings`] holds the rest.

pub mod app;
pub mod pin;
pub mod settings;
pub mod work;

#[cfg(test)]
mod tests;

use std::sync::Arc;
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
        let title = self.app.link_text().0;
        ctx.send_viewport_cmd(egui::ViewportCommand::Title(format!("eimza — {title}")));
        // Closing keeps the agent at work in the background (the link, the card step); a start
        // from the menu brings the window back. Only "Çıkış" ends it.
        if ctx.input(|i| i.viewport().close_requested()) && !self.quit && self.app.pairing.is_some() {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            ctx.send_viewport_cmd(egui::ViewportCommand::Visible(false));
        }
        // Another start's request to come forward is looked for now and then.
        ctx.request_repaint_after(Duration::from_millis(700));
    }
}

/// Opens the window; returns the exit code.
pub fn run(catalog: &'static Catalog, lang: Lang, home: Home, options: WindowOptions) -> i32 {
    let Some(instance) = settings::Instance::claim(home.dir()) else {
        println!("{}", catalog.text(lang, "gui-already-running", &[]));
        return 0;
    };
    let viewport = egui::ViewportBuilder::default()
        .with_title("eimza")
        .with_app_id("eimza-agent")
        .with_inner_size([900.0, 660.0])
        .with_min_inner_size([560.0, 420.0])
        .with_visible(!options.hidden);
    let native = eframe::NativeOptions { viewport, renderer: eframe::Renderer::Glow, ..Default::default() };
    let result = eframe::run_native(
        "eimza-agent",
        native,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            if options.hidden {
                ctx.send_viewport_cmd(egui::ViewportCommand::RequestPaintWhileHidden);
            }
            let wake: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
            let pairing = home.pairing();
            let (backend, updates) = work::Live::new(catalog, lang, Home::at(home.dir()), options.card.clone(), options.card_wait, wake);
            let setup = app::Setup {
                catalog,
                lang,
                pairing,
                server: settings::shipped_server(),
                pc_name: crate::link::pair::pc_name(),
                kamu_sm_url: options.kamu_sm_url.clone(),
                start_at_login: settings::starts_at_login(),
            };
            let app = app::App::new(setup, Box::new(backend), updates);
            Ok(Box::new(Window { app, instance, quit: false }))
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
