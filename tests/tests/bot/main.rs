//! The bot end to end: the web chat, the conversation service, the store on SQLite and
//! PostgreSQL, e-mail, the roster and reminders, privacy, the help-desk forwarding, the browser,
//! and the architecture's invariants. One test binary (each links the whole bot).

mod architecture;
mod browser;
mod desk;
mod helpdesk;
mod mail;
mod operations;
mod privacy;
mod roster;
mod service;
mod store;
mod webchat;
