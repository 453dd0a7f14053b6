//! # eimza-agent
//!
//! The desktop helper on the applicant's PC: it finds the e-İmza card, checks it, guards the
//! PIN and signs; pairing with the bot and the guided e-Onay step build on this.
//!
//! # Layout
//! - [`card`]: PC/SC, AKİS recognition, the APDU and PKCS#11 back-ends, certificate checks,
//!   the PIN guard (typestate), the pre-flight and its diagnosis.
//! - [`cli`]: the command line in Turkish (English aliases); [`card_command`]: `kart`.
//! - [`link`]: pairing (`eslestir`), the WebSocket link to the bot (`calis`), `durum`, the
//!   desktop notification.
//! - [`eonay`]: `eonay`, the guided e-Onay step and the card-signed attestation.
//! - [`gui`]: `pencere`, the window — pairing, the card panel, the e-Onay wizard, the PIN dialog.
//! - [`prompt`]: answers and the PIN at the terminal; the PIN-then-sign dialogue.
//! - [`report`]: the diagnosis as Turkish/English text for a person, and as JSON for machines.

pub mod card;
pub mod card_command;
pub mod cli;
pub mod eonay;
pub mod gui;
pub mod link;
pub mod prompt;
pub mod report;
