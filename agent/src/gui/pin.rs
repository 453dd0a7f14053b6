//! The PIN field: six digits, nothing else, shown as dots; its buffer is ours (not a text
//! editor's, which keeps undo copies), holds at most six bytes that never move, and is wiped
//! when it is cleared, taken or dropped.

use eframe::egui;
use zeroize::{Zeroize, Zeroizing};

use crate::card::Pin;

pub const PIN_LEN: usize = 6;

/// The digits typed so far.
pub struct PinBuffer {
    digits: [u8; PIN_LEN],
    len: usize,
}

impl Default for PinBuffer {
    fn default() -> Self {
        PinBuffer { digits: [0; PIN_LEN], len: 0 }
    }
}

impl Drop for PinBuffer {
    fn drop(&mut self) {
        self.clear();
    }
}

impl PinBuffer {
    /// Takes the typed characters: digits while there is room; anything else is ignored (and
    /// counted, so the field can say "only digits").
    pub fn type_text(&mut self, text: &str) -> usize {
        let mut refused = 0;
        for c in text.chars() {
            match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() && self.len < PIN_LEN => {
                    self.digits[self.len] = b'0' + d as u8;
                    self.len += 1;
                }
                _ => refused += 1,
            }
        }
        refused
    }

    pub fn backspace(&mut self) {
        if self.len > 0 {
            self.len -= 1;
            self.digits[self.len] = 0;
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == PIN_LEN
    }

    pub fn clear(&mut self) {
        self.digits.zeroize();
        self.len = 0;
    }

    /// The PIN for the card, and the field wiped. `None` until six digits are there.
    pub fn take(&mut self) -> Option<Pin> {
        if !self.is_full() {
            return None;
        }
        let mut typed = Zeroizing::new(String::with_capacity(PIN_LEN));
        typed.extend(self.digits[..self.len].iter().map(|&d| char::from(d)));
        self.clear();
        Pin::parse(typed).ok()
    }
}

/// What the field saw this frame.
#[derive(Default)]
pub struct Typed {
    /// Something other than a digit was typed.
    pub refused: bool,
    /// Enter was pressed in the field.
    pub entered: bool,
}

/// Draws the field and takes the keys while it has the focus; returns its response. `label` is
/// what a screen reader says.
pub fn pin_field(ui: &mut egui::Ui, buffer: &mut PinBuffer, label: &str, typed: &mut Typed) -> egui::Response {
    let size = egui::vec2(PIN_LEN as f32 * 30.0 + 12.0, 40.0);
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
    if response.clicked() {
        response.request_focus();
    }
    if response.has_focus() {
        // Tab leaves the field; everything else typed is ours.
        ui.memory_mut(|m| m.set_focus_lock_filter(response.id, egui::EventFilter { tab: false, ..Default::default() }));
        // Read in place, and each typed text wiped where egui keeps it (its input and the raw
        // input it came from): no copy of a digit outlives this frame.
        ui.input_mut(|i| {
            for event in i.events.iter_mut() {
                match event {
                    egui::Event::Text(text) => {
                        typed.refused |= buffer.type_text(text) > 0;
                        text.zeroize();
                    }
                    egui::Event::Key { key: egui::Key::Backspace, pressed: true, .. } => buffer.backspace(),
                    egui::Event::Key { key: egui::Key::Enter, pressed: true, .. } => typed.entered = true,
                    _ => {}
                }
            }
            for event in i.raw.events.iter_mut() {
                if let egui::Event::Text(text) = event {
                    text.zeroize();
                }
            }
        });
    }
    let label = label.to_owned();
    let filled = buffer.len();
    response.widget_info(|| {
        let mut info = egui::WidgetInfo::labeled(egui::Role::PasswordInput, true, &label);
        // A screen reader hears how many digits are in, never which.
        info.current_text_value = Some("•".repeat(filled));
        info
    });
    let visuals = ui.style().interact(&response);
    let stroke = if response.has_focus() { ui.visuals().selection.stroke } else { visuals.bg_stroke };
    ui.painter().rect(rect, 4.0, ui.visuals().extreme_bg_color, stroke, egui::StrokeKind::Inside);
    for i in 0..PIN_LEN {
        let center = egui::pos2(rect.left() + 21.0 + i as f32 * 30.0, rect.center().y);
        if i < filled {
            ui.painter().circle_filled(center, 6.0, ui.visuals().text_color());
        } else {
            ui.painter().line_segment(
                [center + egui::vec2(-8.0, 10.0), center + egui::vec2(8.0, 10.0)],
                egui::Stroke::new(1.0, ui.visuals().weak_text_color()),
            );
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_six_digits_get_in() {
        let mut b = PinBuffer::default();
        assert_eq!(b.type_text("12a3"), 1);
        assert_eq!(b.type_text("٤"), 1, "an Arabic-Indic digit is not a card digit");
        assert_eq!(b.type_text("45678"), 2);
        assert!(b.is_full());
        b.backspace();
        assert_eq!(b.len(), 5);
        assert!(b.take().is_none(), "five digits are not a PIN");
        b.type_text("9");
        assert!(b.take().is_some());
        assert!(b.is_empty(), "taken and wiped");
        assert_eq!(b.digits, [0; PIN_LEN]);
    }
}
