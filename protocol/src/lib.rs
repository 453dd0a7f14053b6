//! # eimza-protocol
//!
//! Everything the bot and the agent must agree on, and nothing that does I/O.
//!
//! # Layout
//! - [`i18n`]: the message catalogue. Every word a person reads, in the bot or the agent, is a
//!   Fluent message under `locales/`; this module builds the Turkish and English bundles from
//!   sources handed to it (the files embedded in the binary, or ones a binary read from disk).
//! - [`tckn`]: the TC Kimlik No, validated (check digits) and masked for display.
//! - [`turkish`]: Turkish-aware lower/upper casing and case folding (İ/i and I/ı are four letters).
//!
//! The wire types of the bot ↔ agent link join this crate with the pairing work; they will be
//! versioned serde types, converted to each side's own types at the edge.

pub mod i18n;
pub mod tckn;
pub mod turkish;

pub use i18n::{Arg, Catalog, CatalogError, Lang};
pub use tckn::{Tckn, TcknError};
