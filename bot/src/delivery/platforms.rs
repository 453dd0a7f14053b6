//! How the service reaches people and the support desk on chat platforms outside a reply to a
//! message: a pairing request, a reminder, a staff member's answer, a staff chat post. Each
//! platform adapter (Telegram, Discord) registers itself here when it is configured; the service
//! and the outbox workers only see these two traits.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use futures_util::future::BoxFuture;

use crate::core::conversation::Transport;
use crate::delivery::SendError;
use crate::i18n::Rendered;

/// Sends a message into a person's chat on one platform.
pub trait Messenger: Send + Sync {
    /// `user_id` is the person's id on the platform (as in `persons.user_id`).
    fn send<'a>(&'a self, user_id: &'a str, message: &'a Rendered) -> BoxFuture<'a, Result<(), SendError>>;
}

/// A post for the staff chat about one ticket.
#[derive(Clone, Debug)]
pub struct StaffPost {
    /// The ticket it is about (none for the daily digest).
    pub ticket_id: Option<i64>,
    pub message: Rendered,
    /// Post it as a reply to this earlier post of the same ticket (chat id, message id).
    pub reply_to: Option<(String, String)>,
}

/// The support desk's group or channel on one platform.
pub trait StaffChat: Send + Sync {
    /// Posts and returns where the post landed (chat id, message id), so replies to it can be
    /// traced back to the ticket.
    fn post<'a>(&'a self, post: &'a StaffPost) -> BoxFuture<'a, Result<(String, String), SendError>>;
}

/// The configured platforms.
#[derive(Default)]
pub struct Platforms {
    messengers: RwLock<HashMap<Transport, Arc<dyn Messenger>>>,
    staff_chats: RwLock<HashMap<Transport, Arc<dyn StaffChat>>>,
}

impl Platforms {
    pub fn add_messenger(&self, transport: Transport, messenger: Arc<dyn Messenger>) {
        self.messengers.write().unwrap_or_else(|p| p.into_inner()).insert(transport, messenger);
    }

    pub fn add_staff_chat(&self, transport: Transport, chat: Arc<dyn StaffChat>) {
        self.staff_chats.write().unwrap_or_else(|p| p.into_inner()).insert(transport, chat);
    }

    pub fn messenger(&self, transport: Transport) -> Option<Arc<dyn Messenger>> {
        self.messengers.read().unwrap_or_else(|p| p.into_inner()).get(&transport).cloned()
    }

    pub fn staff_chat(&self, transport: Transport) -> Option<Arc<dyn StaffChat>> {
        self.staff_chats.read().unwrap_or_else(|p| p.into_inner()).get(&transport).cloned()
    }
}
