//! The pure core: validated values, the ticket life cycle, the renewal conversation, and the
//! typed names that link them to the rest (notices, button ids). Nothing here does I/O or reads
//! a clock: time comes in through arguments.

pub mod button;
pub mod conversation;
pub mod domain;
pub mod notice;
pub mod outbound;
pub mod staff;
pub mod ticket;
pub mod workdays;
