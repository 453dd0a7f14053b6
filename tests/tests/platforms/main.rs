//! The real bot on Telegram and Discord, against their local stand-ins: whole renewals, the web
//! form, the staff chats. One test binary.

mod discord;
mod staff_chat;
mod telegram;
