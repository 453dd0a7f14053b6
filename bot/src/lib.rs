//! # eimza-bot
//!
//! The support-desk bot for e-İmza renewals: it collects a renewal request in a conversation,
//! opens and tracks the ticket, talks to the person's paired PC, and shows tickets to staff.
//!
//! # Layout
//! - [`core`]: the pure core — validated values ([`core::domain`]), the ticket life cycle
//!   ([`core::ticket`]), the renewal dialogue ([`core::conversation`]), and the typed names
//!   that travel between modules ([`core::notice`], [`core::button`]). No I/O.
//! - [`service`]: one person's message end to end (load, engine, actions, save) and the staff
//!   desk's actions; every message that is not a reply is an outbox row written here.
//! - Channels in: [`web`] (web chat, web form, staff pages, the agents' API and link),
//!   [`telegram`], [`discord`]. Thin adapters over [`service`].
//! - [`delivery`]: the outbox workers — e-mail, help-desk webhook, a person's chat, the staff
//!   chats — and what they share (one drain loop, retries).
//! - [`agents`]: this process's live agent connections and their background loops.
//! - [`attest`]: verifying an e-Onay attestation (statement, signature, certificate chain, OCSP).
//! - [`store`]: SQLite / PostgreSQL persistence; owns encryption of personal data ([`vault`]).
//! - [`i18n`]: rendering messages in the person's language (catalogue from `eimza-protocol`).
//! - [`roster`]: reading the support desk's roster CSV; reminders are queued from it.
//! - [`startup`], [`config`], [`jobs`], [`clock`]: wiring, configuration, background jobs.

pub mod agents;
pub mod attest;
pub mod clock;
pub mod config;
pub mod core;
pub mod delivery;
pub mod discord;
pub mod health;
pub mod i18n;
pub mod jobs;
pub mod keys;
pub mod metrics;
pub mod rate;
pub mod roster;
pub mod service;
pub mod startup;
pub mod store;
pub mod telegram;
pub mod vault;
pub mod web;

pub use config::Config;
pub use startup::Application;
