//! # eimza-bot
//!
//! The support-desk bot for e-İmza renewals: it collects a renewal request in a conversation,
//! opens and tracks the ticket, and shows tickets to staff.
//!
//! # Layout
//! - [`domain`]: validated values (TC Kimlik No, name, title, e-mail, birth date, ticket no).
//! - [`ticket`]: the ticket life cycle, a pure transition function.
//! - [`conversation`]: the renewal dialogue, a pure engine over transport-neutral types.
//! - [`service`]: one message end to end — store, engine, actions, rendering.
//! - [`store`]: SQLite / PostgreSQL persistence; owns encryption of personal data ([`vault`]).
//! - [`i18n`]: rendering messages in the person's language (catalogue from `eimza-protocol`).
//! - [`web`]: the web chat page, its JSON API and the staff view.
//! - [`mail`]: the e-mail delivery worker over the outbox (SMTP or .eml files); [`webhook`]:
//!   the help-desk webhook worker; [`delivery`]: what both share (retries, settling).
//! - [`roster`]: reading the support desk's roster CSV; reminders are queued from it.
//! - [`startup`], [`config`], [`jobs`]: wiring, configuration, background jobs.

pub mod clock;
pub mod config;
pub mod delivery;
pub mod discord;
pub mod conversation;
pub mod domain;
pub mod i18n;
pub mod jobs;
pub mod link;
pub mod mail;
pub mod platform;
pub mod roster;
pub mod service;
pub mod staff_desk;
pub mod startup;
pub mod store;
pub mod telegram;
pub mod ticket;
pub mod vault;
pub mod web;
pub mod webhook;

pub use config::Config;
pub use startup::Application;
